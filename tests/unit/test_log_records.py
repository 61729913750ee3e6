"""The package's log records: one line once formatted (a ``failed`` record's traceback follows its line), and
each logged value cut at 200 characters, no sooner."""

from __future__ import annotations

import contextlib
import json
import logging

import pytest

from openai_webhook_events import Router, Webhook, WebhookEvent
from openai_webhook_events._receive import receive
from tests.helpers import records
from tests.strategies import example_payload, hmac_signature, whsec

KEY = b"log records test secret 32 bytes"
WEBHOOK = Webhook(whsec(KEY))
NOW = 1_800_000_000


def deliver(
    payload: dict[str, object], caplog: pytest.LogCaptureFixture, signature: str | None = None
) -> logging.LogRecord:
    """Receive *payload* (its handler failing), and return the one record the package logged."""
    body = json.dumps(payload).encode()
    headers = {
        "webhook-id": "wh_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": signature or hmac_signature(KEY, "wh_1", NOW, body),
    }
    router = Router()

    @router.fallback
    def fail(event: WebhookEvent) -> None:
        raise RuntimeError("downstream unavailable")

    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    with contextlib.suppress(RuntimeError):  # the handler's error, re-raised after it is logged
        receive(WEBHOOK, router, body, headers, now=NOW)
    [record] = records(caplog)
    return record


def test_a_rejected_delivery_is_logged_on_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    record = deliver(example_payload("batch.completed"), caplog, signature="v1,bad")
    assert record.outcome == "rejected"  # type: ignore[attr-defined]
    assert not record.exc_info
    assert "\n" not in logging.Formatter().format(record)


@pytest.mark.parametrize(
    ("event_id", "logged"),
    [("e" * 199, "e" * 199), ("e" * 200, "e" * 200), ("e" * 201, "e" * 197 + "..."), ("e" * 999, "e" * 197 + "...")],
)
def test_a_logged_value_is_kept_whole_up_to_200_characters_and_cut_to_200(
    event_id: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    record = deliver({**example_payload("batch.completed"), "id": event_id}, caplog)
    assert record.outcome == "failed"  # type: ignore[attr-defined]
    assert record.event_id == logged  # type: ignore[attr-defined]


def test_a_failed_record_is_one_line_followed_by_the_handlers_traceback(caplog: pytest.LogCaptureFixture) -> None:
    record = deliver(example_payload("batch.completed"), caplog)
    assert record.outcome == "failed"  # type: ignore[attr-defined]
    line, *traceback = logging.Formatter().format(record).splitlines()
    assert line == record.getMessage()
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "RuntimeError: downstream unavailable"
