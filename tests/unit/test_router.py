"""Router: dispatch by exact event class, fallback, registration errors; handler typing (AsyncRouter's too)."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    EVENT_TYPES,
    AsyncRouter,
    BatchCompletedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    UnknownWebhookEvent,
    WebhookConfigurationError,
    WebhookEvent,
    parse_event,
)
from tests.strategies import EVENT_TYPE_NAMES, example_payload, valid_payloads

ROOT = Path(__file__).parents[2]
ALL_CLASSES: list[type[Any]] = [*EVENT_TYPES.values(), UnknownWebhookEvent]


def _unknown_event() -> WebhookEvent:
    return parse_event({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {"x": 1}})


def _answers(tag: object) -> Callable[[Any], tuple[object, Any]]:
    """A handler that returns ``(tag, event)``."""
    return lambda event: (tag, event)


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_dispatch_calls_the_handler_of_the_event_class_and_returns_its_result(event_type: str) -> None:
    router = Router[Any]()
    for cls in ALL_CLASSES:
        router.on(cls)(_answers(cls))
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
    router = Router[Any]()
    for cls in registered:
        router.on(cls)(_answers(("handler", cls)))
    if with_fallback:
        router.fallback(lambda event: ("fallback", type(event)))
    event = parse_event(payload)
    result = router.dispatch(event)
    if type(event) in registered:
        assert result == (("handler", type(event)), event)
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
    router = Router[Any]()

    def handler(event: ResponseCompletedWebhookEvent) -> str:
        return event.id

    def fallback(event: WebhookEvent) -> str:
        return "other"

    assert router.on(ResponseCompletedWebhookEvent)(handler) is handler
    assert router.fallback(fallback) is fallback
    assert router.handler_for(parse_event(example_payload("response.completed"))) is handler
    assert router.handler_for(parse_event(example_payload("batch.completed"))) is fallback


def test_registering_a_second_handler_for_a_class_fails_at_registration() -> None:
    router = Router[Any]()
    router.on(BatchCompletedWebhookEvent)(lambda event: 1)
    with pytest.raises(
        WebhookConfigurationError, match=r"^a handler for BatchCompletedWebhookEvent is already registered$"
    ):
        router.on(BatchCompletedWebhookEvent)
    register = Router[Any]().on(ResponseCompletedWebhookEvent)
    register(lambda event: 1)
    with pytest.raises(
        WebhookConfigurationError, match=r"^a handler for ResponseCompletedWebhookEvent is already registered$"
    ):
        register(lambda event: 2)


def test_registering_a_second_fallback_fails() -> None:
    router = Router[Any]()
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


# --- async handlers are refused ----------------------------------------------------------------


async def _async_handler(event: WebhookEvent) -> None:
    pass


async def _async_generator(event: WebhookEvent) -> Any:
    yield event


class _AsyncCallable:
    async def __call__(self, event: WebhookEvent) -> None:
        pass


class _Handlers:
    async def method(self, event: WebhookEvent) -> None:
        pass


def _generator(event: WebhookEvent) -> Any:
    yield event  # pragma: no cover  (never iterated)


class _GeneratorCallable:
    def __call__(self, event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)

    def method(self, event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)


class _AsyncGeneratorCallable:
    async def __call__(self, event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)


GENERATOR_FUNCTIONS = [
    (_generator, "_generator"),
    (functools.partial(_generator), "functools.partial(_generator)"),
    (_GeneratorCallable(), "_GeneratorCallable object"),
    (functools.partial(_GeneratorCallable()), "functools.partial(_GeneratorCallable object)"),
    (_GeneratorCallable().method, "_GeneratorCallable.method"),
]
ASYNC_GENERATOR_FUNCTIONS = [
    (_async_generator, "_async_generator"),
    (functools.partial(_async_generator), "functools.partial(_async_generator)"),
    (_AsyncGeneratorCallable(), "_AsyncGeneratorCallable object"),
]


ASYNC_FUNCTIONS = [
    (_async_handler, "_async_handler"),
    (_async_generator, "_async_generator"),
    (functools.partial(_async_handler), "functools.partial(_async_handler)"),
    (functools.partial(functools.partial(_async_handler)), "functools.partial(_async_handler)"),  # flattened
    (_AsyncCallable(), "_AsyncCallable object"),
    (functools.partial(_AsyncCallable()), "functools.partial(_AsyncCallable object)"),
    (_Handlers().method, "_Handlers.method"),
]
IS_ASYNC = (
    "is async; a Router calls handlers synchronously, so its coroutine would never run and the event would be "
    "dropped: make it a plain def"
)
YIELDS = (
    "is a generator function; calling it runs none of its body, so the event would be dropped: make it return, "
    "not yield"
)
REFUSED = (
    [(Router, *case, IS_ASYNC) for case in ASYNC_FUNCTIONS]
    + [(Router, *case, YIELDS) for case in GENERATOR_FUNCTIONS]
    + [(AsyncRouter, *case, YIELDS) for case in GENERATOR_FUNCTIONS + ASYNC_GENERATOR_FUNCTIONS]
)


@pytest.mark.parametrize(
    ("router_class", "handler", "name", "reason"), REFUSED, ids=[f"{r.__name__}-{n}" for r, _, n, _ in REFUSED]
)
@pytest.mark.parametrize("register", ["on", "fallback"])
def test_a_handler_that_would_not_run_is_refused_at_registration_naming_it(
    router_class: Any, handler: Any, name: str, reason: str, register: str
) -> None:
    router = router_class()
    decorator = router.on(BatchCompletedWebhookEvent) if register == "on" else router.fallback
    with pytest.raises(WebhookConfigurationError) as refused:
        decorator(handler)
    assert str(refused.value) == f"handler {name} {reason}"
    event = parse_event(example_payload("batch.completed"))
    assert router.handler_for(event) is None  # nothing registered
    if register == "on":  # the class stays free for a plain handler

        def plain(event: WebhookEvent) -> str:
            return "sync"

        router.on(BatchCompletedWebhookEvent)(plain)
        assert router.handler_for(event) is plain


@pytest.mark.parametrize("handler", [print, len, str, functools.partial(print, end=""), _Handlers])
def test_sync_callables_of_every_kind_are_accepted(handler: Any) -> None:
    assert Router[Any]().fallback(handler) is handler


class _Awaitable:
    def __await__(self) -> Any:
        yield


AWAITABLE = (
    "returned an awaitable; a Router cannot await it, so the event would be dropped: make the handler a plain def"
)
GENERATOR = (
    "returned a generator; none of its body ran, so the event would be dropped: make the handler return, not yield"
)
UNRUN: dict[str, tuple[Callable[[WebhookEvent], Any], str]] = {
    "coroutine": (_async_handler, AWAITABLE),
    "awaitable": (lambda event: _Awaitable(), AWAITABLE),  # no close(): nothing to close
    "generator": (_generator, GENERATOR),
    "async generator": (_async_generator, GENERATOR),
}


@pytest.mark.parametrize("kind", UNRUN)
def test_a_sync_handler_returning_an_awaitable_or_a_generator_fails_dispatch_instead_of_dropping_the_event(
    kind: str,
) -> None:
    make, reason = UNRUN[kind]
    returned: list[Any] = []

    def hands_back(event: WebhookEvent) -> Any:
        returned.append(make(event))
        return returned[-1]

    router: Router[Any] = Router()
    router.fallback(hands_back)
    with pytest.raises(WebhookConfigurationError) as failed:
        router.dispatch(parse_event(example_payload("batch.completed")))
    assert str(failed.value) == f"handler {hands_back.__qualname__} {reason}"
    [unrun] = returned
    assert [getattr(unrun, frame, None) for frame in ("cr_frame", "gi_frame", "ag_frame")] == [None] * 3  # closed


def test_dispatch_returns_the_handlers_result_unchanged() -> None:
    router = Router[int]()
    router.fallback(lambda event: 0)
    assert router.dispatch(_unknown_event()) == 0
    assert Router().dispatch(_unknown_event()) is None


# --- static typing -----------------------------------------------------------------------------
# Each line marked BAD must be an error for mypy --strict and pyright strict, and no other line.

TYPING_SNIPPET = """\
from collections.abc import Iterator

from openai_webhook_events import (
    BatchCompletedWebhookEvent, ResponseCompletedWebhookEvent, ResponseFailedWebhookEvent, Router, WebhookEvent,
    parse_event,
)

router = Router()  # a Router[None]: handlers return nothing
texts = Router[str]()


@router.on(ResponseCompletedWebhookEvent)
def completed(event: ResponseCompletedWebhookEvent) -> None:
    pass


@router.on(ResponseFailedWebhookEvent)
def failed(event: WebhookEvent) -> None:  # a wider parameter type is fine
    pass


@router.on(BatchCompletedWebhookEvent)
def batch(event: BatchCompletedWebhookEvent) -> None:
    pass


@texts.on(ResponseCompletedWebhookEvent)
def completed_text(event: ResponseCompletedWebhookEvent) -> str:
    return event.data.id


@texts.fallback
def other_text(event: WebhookEvent) -> str:
    return event.type


event = parse_event({})
text: str | None = texts.dispatch(event)
nothing: None = router.dispatch(event)


def lines() -> Iterator[str]:  # a generator function no router takes
    yield ""


@router.on(BatchCompletedWebhookEvent)  # BAD: handler takes another class
def wrong(event: ResponseCompletedWebhookEvent) -> None:
    pass


@router.fallback  # BAD: a fallback must take any event
def narrow_fallback(event: ResponseCompletedWebhookEvent) -> None:
    pass


@texts.on(BatchCompletedWebhookEvent)  # BAD: returns int, the Router[str] wants str
def wrong_result(event: BatchCompletedWebhookEvent) -> int:
    return 1


@router.on(BatchCompletedWebhookEvent)  # BAD: returns str, the Router[None] wants None
def unexpected_result(event: BatchCompletedWebhookEvent) -> str:
    return ""


@router.on(BatchCompletedWebhookEvent)  # BAD: async handler (a coroutine is not None)
async def async_handler(event: BatchCompletedWebhookEvent) -> None:
    pass


@texts.fallback  # BAD: async fallback (a coroutine is not str)
async def async_fallback(event: WebhookEvent) -> str:
    return ""


@router.on(BatchCompletedWebhookEvent)  # BAD: a generator function (an Iterator is not None)
def generator_handler(event: BatchCompletedWebhookEvent) -> Iterator[None]:
    yield


@texts.fallback  # BAD: a generator fallback (an Iterator is not str)
def generator_fallback(event: WebhookEvent) -> Iterator[str]:
    yield ""


number: int | None = texts.dispatch(event)  # BAD: dispatch returns str | None
"""


ASYNC_TYPING_SNIPPET = """\
import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

from openai_webhook_events import (
    AsyncRouter, BatchCompletedWebhookEvent, ResponseCompletedWebhookEvent, WebhookEvent, parse_event,
)

router = AsyncRouter()  # an AsyncRouter[None]
texts = AsyncRouter[str]()


@router.on(ResponseCompletedWebhookEvent)
async def completed(event: ResponseCompletedWebhookEvent) -> None:
    await asyncio.sleep(0)


@router.on(BatchCompletedWebhookEvent)
def plain(event: BatchCompletedWebhookEvent) -> None:
    pass


@texts.on(ResponseCompletedWebhookEvent)
async def completed_text(event: WebhookEvent) -> str:
    return event.type


@texts.fallback
def other_text(event: WebhookEvent) -> str:
    return event.type


async def main() -> None:
    event = parse_event({})
    text: str | None = await texts.dispatch(event)
    await router.dispatch(event)
    kept: Callable[[ResponseCompletedWebhookEvent], Coroutine[Any, Any, None]] = completed  # still a coroutine function
    print(text, kept)


def lines() -> Iterator[str]:  # generator functions no router takes
    yield ""


async def async_lines() -> AsyncIterator[str]:
    yield ""


@router.on(BatchCompletedWebhookEvent)  # BAD: handler takes another class
async def wrong(event: ResponseCompletedWebhookEvent) -> None:
    pass


@texts.on(BatchCompletedWebhookEvent)  # BAD: returns int, the AsyncRouter[str] wants str
async def wrong_result(event: BatchCompletedWebhookEvent) -> int:
    return 1


@texts.fallback  # BAD: a plain fallback returning None, the AsyncRouter[str] wants str
def wrong_fallback(event: WebhookEvent) -> None:
    pass


@router.on(BatchCompletedWebhookEvent)  # BAD: an async generator function (an AsyncIterator is not None)
async def async_generator_handler(event: BatchCompletedWebhookEvent) -> AsyncIterator[None]:
    yield


@texts.fallback  # BAD: a generator fallback (an Iterator is not str)
def generator_fallback(event: WebhookEvent) -> Iterator[str]:
    yield ""


number: int | None = asyncio.run(texts.dispatch(parse_event({})))  # BAD: dispatch gives str | None
"""
SNIPPETS = {"Router": TYPING_SNIPPET, "AsyncRouter": ASYNC_TYPING_SNIPPET}


def _bad_lines(source: str) -> set[int]:
    return {n for n, line in enumerate(source.splitlines(), 1) if "# BAD" in line}


def _without_bad_blocks(source: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in source.splitlines():
        if "# BAD" in line:
            skipping = True
        elif skipping and not line.strip():
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _mypy_strict(tmp_path: Path, source: str) -> tuple[int, set[int], str]:
    """``mypy --strict`` (no project config) on *source*: exit code, error lines, output."""
    snippet = tmp_path / "handlers.py"
    snippet.write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "", "--cache-dir", str(tmp_path / "cache"),
         "--python-version", "3.10", str(snippet)],
        cwd=ROOT, env={**os.environ, "MYPYPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    lines = {int(n) for n in re.findall(r"handlers\.py:(\d+): error:", result.stdout)}
    return result.returncode, lines, result.stdout + result.stderr


def _pyright_strict(tmp_path: Path, source: str) -> tuple[int, set[int], str]:
    """pyright in strict mode on *source*: exit code, error lines, output."""
    (tmp_path / "handlers.py").write_text(source)
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]})
    )
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    assert pyright, "pyright is in the test extra"
    result = subprocess.run(
        [pyright, "--outputjson", "--pythonpath", sys.executable, "handlers.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    return result.returncode, {d["range"]["start"]["line"] + 1 for d in errors}, result.stdout


@pytest.mark.tools
@pytest.mark.parametrize("snippet", SNIPPETS)
@pytest.mark.parametrize("checker", [_mypy_strict, _pyright_strict], ids=["mypy", "pyright"])
def test_type_checkers_reject_each_mismatched_handler_and_result_and_nothing_else(
    tmp_path: Path, checker: Any, snippet: str
) -> None:
    code, error_lines, output = checker(tmp_path, SNIPPETS[snippet])
    assert code == 1, output
    assert error_lines == _bad_lines(SNIPPETS[snippet]), output


@pytest.mark.tools
@pytest.mark.parametrize("snippet", SNIPPETS)
@pytest.mark.parametrize("checker", [_mypy_strict, _pyright_strict], ids=["mypy", "pyright"])
def test_type_checkers_accept_the_snippet_without_the_bad_blocks(tmp_path: Path, checker: Any, snippet: str) -> None:
    source = _without_bad_blocks(SNIPPETS[snippet])
    assert "BAD" not in source
    code, error_lines, output = checker(tmp_path, source)
    assert (code, error_lines) == (0, set()), output


@pytest.mark.parametrize("handler", [None, 5, "handle", object()])
def test_a_handler_that_cannot_be_called_is_refused_at_registration(handler: Any) -> None:
    router: Router[None] = Router()
    for register in (router.fallback, router.on(ResponseCompletedWebhookEvent)):
        with pytest.raises(WebhookConfigurationError) as info:
            register(handler)
        assert str(info.value) == f"handler {type(handler).__qualname__} object is not callable"
    assert router.handler_for(parse_event(example_payload("response.completed"))) is None
