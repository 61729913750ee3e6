"""AsyncRouter: Router's table and rules, with ``async def`` handlers awaited and plain ones called.

Its static typing is checked with Router's, in tests/unit/test_router.py.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from openai_webhook_events import (
    AsyncRouter,
    BatchCompletedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    WebhookConfigurationError,
    WebhookEvent,
    parse_event,
)
from tests.strategies import example_payload

COMPLETED = parse_event(example_payload("response.completed"))
BATCH = parse_event(example_payload("batch.completed"))


def test_async_and_plain_handlers_are_dispatched_and_their_results_returned() -> None:
    router = AsyncRouter[str]()

    @router.on(ResponseCompletedWebhookEvent)
    async def completed(event: ResponseCompletedWebhookEvent) -> str:
        await asyncio.sleep(0)
        return f"async {event.data.id}"

    @router.fallback
    def other(event: WebhookEvent) -> str:
        return f"plain {event.type}"

    assert asyncio.run(router.dispatch(COMPLETED)) == f"async {example_payload('response.completed')['data']['id']}"
    assert asyncio.run(router.dispatch(BATCH)) == "plain batch.completed"
    assert router.handler_for(COMPLETED) is completed
    assert asyncio.run(AsyncRouter().dispatch(BATCH)) is None


def test_async_callables_of_every_kind_are_accepted_and_awaited() -> None:
    class Handlers:
        async def method(self, event: WebhookEvent) -> str:
            return "method"

        async def __call__(self, event: WebhookEvent) -> str:
            return "callable"

    async def function(event: WebhookEvent, tag: str) -> str:
        return tag

    handlers: list[tuple[Any, str]] = [
        (Handlers().method, "method"),
        (Handlers(), "callable"),
        (functools.partial(function, tag="partial"), "partial"),
    ]
    for handler, result in handlers:
        router: AsyncRouter[str] = AsyncRouter()
        router.fallback(handler)
        assert asyncio.run(router.dispatch(BATCH)) == result


def test_the_registration_rules_are_routers() -> None:
    router = AsyncRouter()
    router.on(BatchCompletedWebhookEvent)(lambda event: None)
    with pytest.raises(WebhookConfigurationError, match="a handler for BatchCompletedWebhookEvent is already"):
        router.on(BatchCompletedWebhookEvent)
    router.fallback(lambda event: None)
    with pytest.raises(WebhookConfigurationError, match="a fallback handler is already registered"):
        router.fallback(lambda event: None)
    with pytest.raises(WebhookConfigurationError, match="is not an event class of openai_webhook_events"):
        router.on(dict)  # type: ignore[type-var]
    with pytest.raises(WebhookConfigurationError, match="handler int object is not callable"):
        router.on(ResponseCompletedWebhookEvent)(5)  # type: ignore[call-overload]


def test_a_second_handler_registered_through_an_earlier_decorator_is_refused() -> None:
    router = AsyncRouter()
    register = router.on(BatchCompletedWebhookEvent)
    register(lambda event: None)
    with pytest.raises(WebhookConfigurationError, match="already registered"):
        register(lambda event: None)


def test_handler_exceptions_propagate_through_dispatch() -> None:
    router = AsyncRouter()
    boom = RuntimeError("boom")

    async def fail(event: WebhookEvent) -> None:
        raise boom

    router.fallback(fail)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(router.dispatch(BATCH))
    assert caught.value is boom


def test_the_sync_router_still_refuses_async_handlers() -> None:
    async def handler(event: WebhookEvent) -> None:
        pass

    with pytest.raises(WebhookConfigurationError, match="is async; a Router calls handlers synchronously"):
        Router().fallback(handler)  # type: ignore[arg-type]


def test_a_handler_returning_a_generator_or_an_async_generator_fails_dispatch_closed() -> None:
    async def agen(event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)

    def gen(event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)

    returned: list[Any] = []

    def hands_back(event: WebhookEvent) -> Any:
        returned.append((gen if len(returned) == 0 else agen)(event))
        return returned[-1]

    for _ in range(2):
        router: AsyncRouter[Any] = AsyncRouter()
        router.fallback(hands_back)
        with pytest.raises(
            WebhookConfigurationError, match=r"^handler .*\.hands_back returned a generator; none of its body ran"
        ):
            asyncio.run(router.dispatch(BATCH))
    generator, async_generator = returned
    assert (generator.gi_frame, async_generator.ag_frame) == (None, None)  # closed
