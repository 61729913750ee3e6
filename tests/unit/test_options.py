"""The receive step's options are checked in one place, ``_options.Options.of``: the ASGI app's store_timeout too."""

from __future__ import annotations

import math
from typing import Any

import pytest

from openai_webhook_events import Router, WebhookConfigurationError
from openai_webhook_events._options import Options


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, True, "2", None])
def test_a_store_timeout_that_is_not_a_number_of_seconds_is_refused_where_every_option_is_checked(timeout: Any) -> None:
    with pytest.raises(WebhookConfigurationError, match=r"^store_timeout must be a number of seconds > 0, not "):
        Options.of(Router(), awaits=True, store_timeout=timeout)


@pytest.mark.parametrize("timeout", [0.05, 2, 1e9])
def test_a_store_timeout_in_seconds_is_accepted(timeout: float) -> None:
    router = Router()
    options = Options.of(router, awaits=True, store_timeout=timeout)
    assert (options.router, options.idempotency, options.dead_letter, options.hand_off) == (router, None, None, None)


def test_options_hold_only_their_four_fields() -> None:
    options = Options.of(Router())
    with pytest.raises(AttributeError):
        options.awaits = True  # type: ignore[attr-defined]
