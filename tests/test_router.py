"""Router: dispatch by exact event class, fallback, registration errors, and static typing of handlers."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    EVENT_TYPES,
    BatchCompletedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    UnknownWebhookEvent,
    WebhookConfigurationError,
    WebhookEvent,
    parse_event,
)
from tests.strategies import EVENT_TYPE_NAMES, example_payload, valid_payloads

ROOT = Path(__file__).parent.parent
ALL_CLASSES: list[type[Any]] = [*EVENT_TYPES.values(), UnknownWebhookEvent]


def _unknown_event() -> WebhookEvent:
    return parse_event({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {"x": 1}})


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_dispatch_calls_the_handler_of_the_event_class_and_returns_its_result(event_type: str) -> None:
    router = Router()
    for cls in ALL_CLASSES:
        router.on(cls)(lambda event, cls=cls: (cls, event))
    event = parse_event(example_payload(event_type))
    assert router.dispatch(event) == (EVENT_TYPES[event_type], event)


@given(
    registered=st.sets(st.sampled_from(ALL_CLASSES)),
    payload=st.one_of(valid_payloads(), st.just({"id": "e", "created_at": 0, "type": "not.yet.known"})),
    with_fallback=st.booleans(),
)
def test_dispatch_prefers_the_class_handler_then_the_fallback_then_none(
    registered: set[type[Any]], payload: dict[str, Any], with_fallback: bool
) -> None:
    router = Router()
    for cls in registered:
        router.on(cls)(lambda event, cls=cls: ("handler", cls))
    if with_fallback:
        router.fallback(lambda event: ("fallback", type(event)))
    event = parse_event(payload)
    result = router.dispatch(event)
    if type(event) in registered:
        assert result == ("handler", type(event))
    elif with_fallback:
        assert result == ("fallback", type(event))
    else:
        assert result is None


def test_unknown_event_types_go_to_the_fallback() -> None:
    router = Router()
    seen: list[WebhookEvent] = []
    router.on(ResponseCompletedWebhookEvent)(lambda event: pytest.fail("wrong handler"))
    router.fallback(seen.append)
    event = _unknown_event()
    router.dispatch(event)
    assert seen == [event]
    assert isinstance(seen[0], UnknownWebhookEvent)


def test_decorators_return_the_handler_unchanged() -> None:
    router = Router()

    def handler(event: ResponseCompletedWebhookEvent) -> str:
        return event.id

    def fallback(event: WebhookEvent) -> str:
        return "other"

    assert router.on(ResponseCompletedWebhookEvent)(handler) is handler
    assert router.fallback(fallback) is fallback
    assert router.handler_for(parse_event(example_payload("response.completed"))) is handler
    assert router.handler_for(parse_event(example_payload("batch.completed"))) is fallback


def test_registering_a_second_handler_for_a_class_fails_at_registration() -> None:
    router = Router()
    router.on(BatchCompletedWebhookEvent)(lambda event: 1)
    with pytest.raises(
        WebhookConfigurationError, match=r"^a handler for BatchCompletedWebhookEvent is already registered$"
    ):
        router.on(BatchCompletedWebhookEvent)
    register = Router().on(ResponseCompletedWebhookEvent)
    register(lambda event: 1)
    with pytest.raises(
        WebhookConfigurationError, match=r"^a handler for ResponseCompletedWebhookEvent is already registered$"
    ):
        register(lambda event: 2)


def test_registering_a_second_fallback_fails() -> None:
    router = Router()
    router.fallback(lambda event: 1)
    with pytest.raises(WebhookConfigurationError, match=r"^a fallback handler is already registered$"):
        router.fallback(lambda event: 2)


@pytest.mark.parametrize("not_an_event", [dict, object, str, type(None)])
def test_registering_a_class_that_is_not_an_event_class_fails(not_an_event: Any) -> None:
    with pytest.raises(WebhookConfigurationError) as info:
        Router().on(not_an_event)
    assert str(info.value) == f"{not_an_event!r} is not an event class of openai_webhook_events"


def test_configuration_errors_are_value_errors() -> None:
    router = Router()
    router.fallback(print)
    with pytest.raises(ValueError, match="already registered"):
        router.fallback(print)


def test_handler_exceptions_propagate_unchanged() -> None:
    router = Router()
    boom = RuntimeError("boom")

    def fail(event: WebhookEvent) -> None:
        raise boom

    router.fallback(fail)
    with pytest.raises(RuntimeError) as caught:
        router.dispatch(_unknown_event())
    assert caught.value is boom


# --- static typing -----------------------------------------------------------------------------

TYPING_SNIPPET = """\
from openai_webhook_events import (
    BatchCompletedWebhookEvent, ResponseCompletedWebhookEvent, ResponseFailedWebhookEvent, Router, WebhookEvent,
)

router = Router()


@router.on(ResponseCompletedWebhookEvent)
def completed(event: ResponseCompletedWebhookEvent) -> str:
    return event.data.id


@router.on(ResponseFailedWebhookEvent)
def failed(event: WebhookEvent) -> None:  # a wider parameter type is fine
    pass


@router.on(BatchCompletedWebhookEvent)  # BAD
def wrong(event: ResponseCompletedWebhookEvent) -> None:
    pass


@router.fallback  # BAD
def narrow_fallback(event: ResponseCompletedWebhookEvent) -> None:
    pass


text: str = completed(ResponseCompletedWebhookEvent.__new__(ResponseCompletedWebhookEvent))
"""


def _mypy_strict(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Run ``mypy --strict`` (no project config) on *source* saved as ``handlers.py``."""
    snippet = tmp_path / "handlers.py"
    snippet.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "", "--cache-dir", str(tmp_path / "cache"),
         "--python-version", "3.10", str(snippet)],
        cwd=ROOT, env={**os.environ, "MYPYPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_mypy_strict_rejects_handlers_whose_parameter_does_not_match_the_registered_class(tmp_path: Path) -> None:
    result = _mypy_strict(tmp_path, TYPING_SNIPPET)
    bad_lines = {n for n, line in enumerate(TYPING_SNIPPET.splitlines(), 1) if line.endswith("# BAD")}
    error_lines = {int(n) for n in re.findall(r"handlers\.py:(\d+): error:", result.stdout)}
    assert result.returncode == 1, result.stdout + result.stderr
    assert error_lines == bad_lines, result.stdout
    assert result.stdout.count("[arg-type]") == len(bad_lines), result.stdout


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_mypy_strict_accepts_the_snippet_without_the_mismatched_handlers(tmp_path: Path) -> None:
    lines = TYPING_SNIPPET.splitlines()
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.endswith("# BAD"):
            skipping = True
        elif skipping and not line.strip():
            skipping = False
        if not skipping:
            kept.append(line)
    result = _mypy_strict(tmp_path, "\n".join(kept) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
