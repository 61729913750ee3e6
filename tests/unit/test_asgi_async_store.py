"""``asgi.app`` with an async idempotency store: every store call awaited on the event loop, within its timeout.

Fake async stores in process for timeouts, late answers and garbage;
``AsyncRedisStore`` on ``redis.asyncio`` against a real redis-server.  The
same app under uvicorn: tests/integration/test_http_servers.py (``uvicorn-redis``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from openai_webhook_events import (
    Router,
    Webhook,
    WebhookConfigurationError,
    WebhookEvent,
    asgi,
    aws_lambda,
    receive,
    wsgi,
)
from openai_webhook_events.idempotency import AsyncRedisStore, Claim, Idempotency, MemoryStore, RedisStore
from tests import servers
from tests.deliveries import SECRET, signed_headers
from tests.helpers import AsyncRuns, until
from tests.strategies import example_payload

WEBHOOK = Webhook(SECRET)
BODY = json.dumps(example_payload("response.completed")).encode()
KEY = "openai-webhook-events#wh_async"


def scope(webhook_id: str = "wh_async", body: bytes = BODY) -> dict[str, Any]:
    headers = signed_headers(body, webhook_id, int(time.time()))
    return {"type": "http", "method": "POST", "path": "/", "headers": [(n.encode(), v.encode()) for n, v in headers]}


async def drive(app: Any, webhook_id: str = "wh_async", body: bytes = BODY) -> tuple[int, str, dict[str, str]]:
    """One POST of a signed delivery through *app*: status, message, headers."""
    sent: list[dict[str, Any]] = []
    pending = [body]

    async def receive_message() -> dict[str, Any]:
        return {"type": "http.request", "body": pending.pop()} if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope(webhook_id, body), receive_message, send)
    start, answer = sent
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], json.loads(answer["body"])["message"], headers


class AsyncStore:
    """A :class:`MemoryStore` behind ``async def`` operations: records each call (name, token, thread), waits
    ``delay[name]`` seconds before it, and answers ``answers[name]`` instead when set."""

    def __init__(self, delay: dict[str, float] | None = None, answers: dict[str, Any] | None = None) -> None:
        self.inner = MemoryStore()
        self.delay = delay or {}
        self.answers = answers or {}
        self.calls: list[tuple[str, str]] = []
        self.threads: set[int] = set()

    async def _call(self, name: str, key: str, token: str, *times: float) -> Any:
        self.threads.add(threading.get_ident())
        await asyncio.sleep(self.delay.get(name, 0))
        self.calls.append((name, token))
        answer = getattr(self.inner, name)(key, token, *times)
        return self.answers.get(name, answer)

    async def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        answer: Claim = await self._call("claim", key, token, now, expires_at)
        return answer

    async def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        answer: bool = await self._call("complete", key, token, now, expires_at)
        return answer

    async def release(self, key: str, token: str) -> bool:
        answer: bool = await self._call("release", key, token)
        return answer


def app_for(store: Any, runs: AsyncRuns | None = None, timeout: float = 2.0, **options: Any) -> Any:
    return asgi.app(
        WEBHOOK, (runs or AsyncRuns()).router, idempotency=Idempotency(store), store_timeout=timeout, **options
    )


@pytest.fixture
def no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker thread was started")

    monkeypatch.setattr(asyncio, "to_thread", refuse)
    monkeypatch.setattr(threading.Thread, "start", refuse)


# --- On the event loop ----------------------------------------------------------------------------


@pytest.mark.usefixtures("no_threads")
def test_an_async_store_is_awaited_on_the_event_loop_without_any_worker_thread() -> None:
    store, runs = AsyncStore(), AsyncRuns()
    app = app_for(store, runs)

    async def scenario() -> list[tuple[int, str]]:
        return [(await drive(app))[:2] for _ in range(2)]

    assert asyncio.run(scenario()) == [(200, "ok"), (200, "already processed")]
    assert [name for name, _ in store.calls] == ["claim", "complete", "claim"]
    assert store.threads == {threading.get_ident()}
    assert runs.ids == ["wh_async"]


def test_concurrent_copies_of_one_delivery_run_its_handler_once_and_the_others_are_told_to_retry() -> None:
    runs = AsyncRuns(hold=0.1)
    app = app_for(AsyncStore(), runs)

    async def scenario() -> list[tuple[int, str, dict[str, str]]]:
        return list(await asyncio.gather(*(drive(app) for _ in range(6))))

    answers = asyncio.run(scenario())
    assert sorted(status for status, _, _ in answers) == [200, 409, 409, 409, 409, 409]
    assert {headers.get("retry-after") for status, _, headers in answers if status == 409} == {"60"}
    assert runs.ids == ["wh_async"]


def test_a_failed_handler_releases_its_claim_through_the_async_store_and_its_retry_processes() -> None:
    store, runs = AsyncStore(), AsyncRuns(failures=1)
    app = app_for(store, runs)

    async def scenario() -> list[tuple[int, str]]:
        return [(await drive(app))[:2] for _ in range(2)]

    assert asyncio.run(scenario()) == [(500, "handler failed"), (200, "ok")]
    assert [name for name, _ in store.calls] == ["claim", "release", "claim", "complete"]
    assert runs.ids == ["wh_async", "wh_async"]


def test_a_cancelled_handler_releases_its_claim_and_the_cancellation_propagates() -> None:
    store = AsyncStore()
    app = app_for(store, AsyncRuns(failures=1, error=asyncio.CancelledError))
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(drive(app))
    assert [name for name, _ in store.calls] == ["claim", "release"]


def test_a_handler_returning_a_generator_is_answered_500_and_its_claim_released() -> None:
    store, router = AsyncStore(), Router()

    def unrun(event: WebhookEvent) -> Any:
        return (step for step in "")

    router.fallback(unrun)
    app = asgi.app(WEBHOOK, router, idempotency=Idempotency(store))
    assert asyncio.run(drive(app))[:2] == (500, "handler returned a generator")
    assert [name for name, _ in store.calls] == ["claim", "release"]


def test_a_dead_letter_runs_in_a_worker_thread_while_the_async_store_stays_on_the_loop() -> None:
    kept: list[int] = []
    store = AsyncStore()
    app = app_for(store, dead_letter=lambda body, headers: kept.append(threading.get_ident()))
    invalid = json.dumps({"id": "evt_bad", "created_at": 1, "type": "response.completed"}).encode()

    async def scenario() -> list[tuple[int, str]]:
        return [(await drive(app, "wh_bad", invalid))[:2], (await drive(app))[:2]]

    assert [status for status, _ in asyncio.run(scenario())] == [200, 200]
    assert len(kept) == 1
    assert kept[0] != threading.get_ident()
    assert store.threads == {threading.get_ident()}


# --- Timeouts and late answers --------------------------------------------------------------------


def test_a_claim_that_does_not_answer_in_time_is_answered_503_and_released_when_it_acquires(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, runs = AsyncStore(delay={"claim": 0.2}), AsyncRuns()
    app = app_for(store, runs, timeout=0.05)

    async def scenario() -> tuple[int, str, dict[str, str]]:
        answer = await drive(app)
        assert store.calls == []  # answered before the store did
        await until(lambda: len(store.calls) == 2)
        return answer

    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        status, message, headers = asyncio.run(scenario())
    assert (status, message, headers["retry-after"]) == (503, "store unavailable", "5")
    (record,) = caplog.records
    assert (record.outcome, record.error) == ("store_unavailable", "TimeoutError")  # type: ignore[attr-defined]
    assert "did not answer within 0.05 s" in record.getMessage()
    (claimed, claim_token), (released, release_token) = store.calls
    assert (claimed, released, claim_token) == ("claim", "release", release_token)  # the same attempt's token
    assert store.inner.claim(KEY, "probe", time.time(), time.time() + 1).state == "acquired"  # free again
    assert runs.ids == []


@pytest.mark.parametrize("late", ["held elsewhere", "raises"])
def test_a_late_claim_that_acquired_nothing_is_left_alone(late: str) -> None:
    store = AsyncStore(delay={"claim": 0.1})
    store.inner.claim(KEY, "other attempt", time.time(), time.time() + 60)
    if late == "raises":
        store.answers["claim"] = None
        store.claim = _raising(store.claim)  # type: ignore[method-assign]
    app = app_for(store, timeout=0.02)

    async def scenario() -> int:
        status = (await drive(app))[0]
        await asyncio.sleep(0.2)
        return status

    assert asyncio.run(scenario()) == 503
    assert [name for name, _ in store.calls] == ["claim"]


def _raising(claim: Callable[..., Any]) -> Callable[..., Any]:
    async def failing(*args: Any) -> Claim:
        await claim(*args)
        raise ConnectionError("connection reset")

    return failing


def test_a_request_cancelled_while_its_claim_is_under_way_propagates_and_the_late_claim_is_released() -> None:
    store = AsyncStore(delay={"claim": 0.1})
    app = app_for(store)

    async def scenario() -> None:
        request = asyncio.ensure_future(drive(app))
        await asyncio.sleep(0.02)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await until(lambda: len(store.calls) == 2)

    asyncio.run(scenario())
    assert [name for name, _ in store.calls] == ["claim", "release"]


def test_a_claim_still_under_way_when_the_event_loop_ends_is_cancelled_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AsyncStore(delay={"claim": 5})
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(drive(app_for(store, timeout=0.02)))[0] == 503
    assert store.calls == []
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING] == []


class Stalled(AsyncStore):
    """An :class:`AsyncStore` whose claims take *delay* seconds, counting the claims started."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay={"claim": delay})
        self.started = 0

    async def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        self.started += 1
        return await super().claim(key, token, now, expires_at)


def test_while_the_most_store_calls_are_left_running_past_their_timeout_a_claim_answers_503_without_a_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(asgi, "_MAX_STORE_CALLS", 3)
    store, runs = Stalled(0.6), AsyncRuns()
    app = app_for(store, runs, timeout=0.1)

    async def scenario() -> list[int]:
        statuses = [(await drive(app, f"wh_{number}"))[0] for number in range(3)]  # each left running
        assert store.started == 3
        started = time.monotonic()
        statuses.append((await drive(app, "wh_3"))[0])
        assert time.monotonic() - started < 0.1  # answered at once, not after the timeout
        assert store.started == 3  # no call started
        await until(lambda: len(store.calls) == 6)  # the three claims landed and were released
        store.delay = {}  # the store is back
        statuses.append((await drive(app, "wh_3"))[0])
        return statuses

    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert asyncio.run(scenario()) == [503, 503, 503, 503, 200]
    busy = caplog.records[3]
    assert (busy.outcome, busy.error) == ("store_unavailable", "TimeoutError")  # type: ignore[attr-defined]
    assert busy.getMessage().endswith("TimeoutError: idempotency store busy: 3 calls still under way after 0.1 s")
    assert runs.ids == ["wh_3"]


def test_a_request_cancelled_while_its_call_is_under_way_counts_among_the_calls_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(asgi, "_MAX_STORE_CALLS", 1)
    store = Stalled(0.3)
    app = app_for(store)

    async def scenario() -> list[int]:
        request = asyncio.ensure_future(drive(app, "wh_1"))
        await until(lambda: store.started == 1)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        busy = (await drive(app, "wh_2"))[0]
        await until(lambda: len(store.calls) == 2)  # wh_1's claim landed and was released
        await asyncio.sleep(0.01)  # its release ended too
        store.delay = {}
        return [busy, (await drive(app, "wh_2"))[0]]

    assert asyncio.run(scenario()) == [503, 200]
    assert store.started == 2


def test_a_complete_that_does_not_answer_in_time_answers_200_with_an_error_log_and_lands_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, runs = AsyncStore(delay={"complete": 0.1}), AsyncRuns()
    app = app_for(store, runs, timeout=0.02)

    async def scenario() -> int:
        status = (await drive(app))[0]
        await until(lambda: len(store.calls) == 2)
        return status

    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert asyncio.run(scenario()) == 200
    assert [(r.outcome, r.error) for r in caplog.records] == [("complete_failed", "TimeoutError")]  # type: ignore[attr-defined]
    assert store.inner.claim(KEY, "probe", time.time(), time.time() + 1).state == "completed"
    assert runs.ids == ["wh_async"]


def test_a_late_claim_whose_release_fails_is_left_to_its_lease_quietly(caplog: pytest.LogCaptureFixture) -> None:
    store = AsyncStore(delay={"claim": 0.05})
    released: list[str] = []

    async def failing_release(key: str, token: str) -> bool:
        released.append(token)
        raise ConnectionError("connection reset")

    store.release = failing_release  # type: ignore[method-assign]
    app = app_for(store, timeout=0.01)

    async def scenario() -> int:
        status = (await drive(app))[0]
        await until(lambda: len(released) == 1)
        await asyncio.sleep(0.01)
        return status

    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(scenario()) == 503
    errors = [getattr(r, "outcome", r.name) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["store_unavailable"]  # the claim's own record: the failed late release says nothing


def test_a_late_claim_whose_release_refuses_its_arguments_is_left_to_its_lease_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AsyncStore(delay={"claim": 0.05})

    async def release(key: str) -> bool:  # pragma: no cover  (called with two arguments, it never runs)
        return True

    store.release = release  # type: ignore[assignment,method-assign]
    app = app_for(store, timeout=0.01)

    async def scenario() -> int:
        status = (await drive(app))[0]
        await until(lambda: len(store.calls) == 1)  # the late claim acquired: its release is called
        await asyncio.sleep(0.01)
        return status

    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(scenario()) == 503
    errors = [getattr(r, "outcome", r.name) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["store_unavailable"]  # nothing from asyncio about a callback that raised


class Unreferenced(AsyncStore):
    """An :class:`AsyncStore` whose operation *waits* first awaits a future that only the call refers to
    (the loop refers to tasks weakly), until the test sets the futures in ``waiting``."""

    def __init__(self, waits: str, delay: dict[str, float] | None = None) -> None:
        super().__init__(delay)
        self.waits = waits
        self.waiting: weakref.WeakSet[asyncio.Future[None]] = weakref.WeakSet()

    async def _call(self, name: str, key: str, token: str, *times: float) -> Any:
        if name == self.waits:
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.add(waiter)
            await waiter
        return await super()._call(name, key, token, *times)


@pytest.mark.parametrize(("waits", "delay"), [("claim", {}), ("release", {"claim": 0.05})], ids=["claim", "release"])
def test_a_late_store_call_runs_to_its_end_though_nothing_else_refers_to_it(
    waits: str, delay: dict[str, float]
) -> None:
    store = Unreferenced(waits, delay)
    app = app_for(store, timeout=0.01)

    async def scenario() -> int:
        status = (await drive(app))[0]
        await until(lambda: len(store.waiting) == 1)
        gc.collect()
        for waiter in list(store.waiting):
            waiter.set_result(None)
        await until(lambda: len(store.calls) == 2)
        return status

    assert asyncio.run(scenario()) == 503
    (claimed, claim_token), (released, release_token) = store.calls
    assert (claimed, released, claim_token) == ("claim", "release", release_token)  # the late claim, released


def test_the_app_keeps_no_reference_to_a_store_call_that_ended() -> None:
    calls: list[weakref.ref[asyncio.Task[Any]]] = []

    class Recorded(AsyncStore):
        async def _call(self, name: str, key: str, token: str, *times: float) -> Any:
            calls.append(weakref.ref(asyncio.current_task()))  # type: ignore[arg-type]
            return await super()._call(name, key, token, *times)

    app = app_for(Recorded())
    assert asyncio.run(drive(app))[0] == 200
    gc.collect()
    assert len(calls) == 2
    assert [call() for call in calls] == [None, None]  # while the app lives on


def test_a_claim_that_raised_is_released_on_the_loop_before_the_next_claim() -> None:
    """The claim may have landed before the client gave up (a stalled server): the next claim releases it first."""
    store = AsyncStore()
    inner_claim = store.claim

    async def landed_then_raised(key: str, token: str, now: float, expires_at: float) -> Claim:
        await inner_claim(key, token, now, expires_at)
        raise ConnectionError("timed out reading the answer")

    store.claim = landed_then_raised  # type: ignore[method-assign]
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency)

    async def scenario() -> list[int]:
        first = (await drive(app))[0]
        store.claim = inner_claim  # type: ignore[method-assign]
        return [first, (await drive(app, "wh_next"))[0], (await drive(app))[0]]

    assert asyncio.run(scenario()) == [503, 200, 200]  # the first id is free again: its retry processes
    assert [name for name, _ in store.calls] == ["claim", "release", "claim", "complete", "claim", "complete"]
    assert store.calls[0][1] == store.calls[1][1]  # released with the token of the claim that raised
    assert idempotency._unsettled == []


def test_a_release_of_an_unsettled_claim_that_fails_keeps_it_for_after_the_settle_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AsyncStore(answers={"claim": "garbage"})  # outside the protocol: outcome unknown
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency)

    async def scenario() -> list[int]:
        first = (await drive(app))[0]
        store.answers = {"release": None}  # the settle's release fails too
        second = (await drive(app, "wh_next"))[0]
        return [first, second]

    assert asyncio.run(scenario()) == [503, 200]
    assert [name for name, _ in store.calls] == ["claim", "release", "claim", "complete"]
    assert [key for key, _, _ in idempotency._unsettled] == [KEY]  # kept, tried again after SETTLE_PAUSE
    [warning] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert (warning.outcome, warning.error) == ("settle_failed", "StoreAnswerError")  # type: ignore[attr-defined]
    assert warning.getMessage().endswith("StoreAnswerError: AsyncStore.release answered None, not a bool")


def test_a_request_cancelled_while_it_releases_unsettled_claims_keeps_them_for_a_later_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AsyncStore(answers={"claim": "garbage"})  # outside the protocol: outcome unknown, remembered
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency)

    async def scenario() -> None:
        assert [(await drive(app, webhook_id))[0] for webhook_id in ("wh_a", "wh_b")] == [503, 503]
        store.answers, store.delay = {}, {"release": 0.2}
        request = asyncio.ensure_future(drive(app, "wh_next"))
        await asyncio.sleep(0.05)  # the first release under way
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    asyncio.run(scenario())
    # wh_a's claim was released before wh_b's; wh_b's release was under way when the request was cancelled: kept
    assert [key for key, _, _ in idempotency._unsettled] == ["openai-webhook-events#wh_b"]
    [warning] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert (warning.outcome, warning.error) == ("settle_failed", "CancelledError")  # type: ignore[attr-defined]
    assert "(openai-webhook-events#wh_b); 1 kept" in warning.getMessage()


# --- Store errors and answers outside the protocol ------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("yes", "'yes', not a Claim"),
        (Claim("maybe", 1.0), "a Claim in the unknown state 'maybe'"),  # type: ignore[arg-type]
        (Claim("acquired", math.nan), "a Claim expiring at nan, not a finite number of seconds"),
    ],
)
def test_a_claim_answer_outside_the_protocol_is_answered_503_naming_the_store(
    answer: object, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    runs = AsyncRuns()
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert asyncio.run(drive(app_for(AsyncStore(answers={"claim": answer}), runs)))[:2] == (
            503,
            "store unavailable",
        )
    (record,) = caplog.records
    assert (record.outcome, record.error) == ("store_unavailable", "StoreAnswerError")  # type: ignore[attr-defined]
    assert f"AsyncStore.claim answered {problem}" in record.getMessage()
    assert runs.ids == []


def test_complete_and_release_answers_that_are_not_bools_are_store_errors_naming_the_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AsyncStore(answers={"complete": None, "release": 1})

    async def scenario() -> list[int]:
        first = (await drive(app_for(store)))[0]
        second = (await drive(app_for(store, AsyncRuns(failures=1)), "wh_fails"))[0]
        return [first, second]

    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert asyncio.run(scenario()) == [200, 500]
    outcomes = [(r.outcome, r.error) for r in caplog.records]  # type: ignore[attr-defined]
    assert outcomes == [("complete_failed", "StoreAnswerError"), ("failed", "RuntimeError"),
                        ("release_failed", "StoreAnswerError")]  # fmt: skip
    assert "AsyncStore.complete answered None, not a bool" in caplog.records[0].getMessage()
    assert "AsyncStore.release answered 1, not a bool" in caplog.records[2].getMessage()


@pytest.mark.parametrize("error", [ConnectionError("refused"), asyncio.CancelledError()])
def test_what_an_async_store_raises_at_claim_is_a_store_error_answered_503(error: BaseException) -> None:
    store = AsyncStore()

    async def claim(key: str, token: str, now: float, expires_at: float) -> Claim:
        raise error

    store.claim = claim  # type: ignore[method-assign]
    assert asyncio.run(drive(app_for(store)))[:2] == (503, "store unavailable")


def test_a_store_whose_claim_takes_other_arguments_is_answered_503() -> None:
    class Misfit(AsyncStore):
        async def claim(self, key: str) -> Claim:  # type: ignore[override]
            raise AssertionError("not called")

    assert asyncio.run(drive(app_for(Misfit())))[:2] == (503, "store unavailable")


def test_keyboard_interrupt_raised_by_an_async_store_ends_the_event_loop() -> None:
    store = AsyncStore()

    async def claim(key: str, token: str, now: float, expires_at: float) -> Claim:
        raise KeyboardInterrupt

    store.claim = claim  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(drive(app_for(store)))


# --- Where an async store is refused --------------------------------------------------------------


def test_the_sync_adapters_and_the_sync_receive_step_refuse_an_async_store() -> None:
    idempotency, router = Idempotency(AsyncStore()), Router()
    router.fallback(lambda event: None)
    headers = signed_headers(BODY, "wh_sync", int(time.time()))
    refusals = [
        lambda: wsgi.app(WEBHOOK, router, idempotency=idempotency),
        lambda: aws_lambda.lambda_handler(WEBHOOK, router, idempotency=idempotency),
        lambda: receive(WEBHOOK, router, BODY, headers, idempotency=idempotency),
    ]
    for refused in refusals:
        with pytest.raises(WebhookConfigurationError, match=r"async idempotency store .* needs .*asgi\.app"):
            refused()


def test_a_store_mixing_async_and_plain_operations_is_refused_naming_the_plain_ones() -> None:
    class Mixed(AsyncStore):
        def release(self, key: str, token: str) -> bool:  # type: ignore[override]
            return True

    class MostlyPlain(Mixed):
        def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:  # type: ignore[override]
            return True

    with pytest.raises(WebhookConfigurationError, match="Mixed mixes async def and plain operations: release not"):
        Idempotency(Mixed())  # type: ignore[arg-type]
    with pytest.raises(WebhookConfigurationError) as refused:
        Idempotency(MostlyPlain())  # type: ignore[arg-type]
    assert str(refused.value) == (
        "store MostlyPlain mixes async def and plain operations: complete, release not async def"
    )


def test_a_sync_store_is_not_async_and_an_async_one_is() -> None:
    assert (Idempotency(MemoryStore()).awaits, Idempotency(AsyncStore()).awaits) == (False, True)


def test_each_redis_store_refuses_the_other_flavour_of_client_naming_the_right_store() -> None:
    import redis
    import redis.asyncio

    with pytest.raises(WebhookConfigurationError, match=r"Redis is an async client: use idempotency\.AsyncRedisStore"):
        RedisStore(redis.asyncio.Redis())
    with pytest.raises(WebhookConfigurationError, match=r"Redis is a sync client: use idempotency\.RedisStore"):
        AsyncRedisStore(redis.Redis())


def test_an_async_client_with_only_eval_is_accepted_by_the_async_store() -> None:
    class EvalOnly:
        async def eval(self, *args: object) -> int:
            return 1  # what the claim script answers when it acquired

    assert asyncio.run(AsyncRedisStore(EvalOnly()).claim("k", "t", 1.0, 5.0)) == Claim("acquired", 5.0)


# --- AsyncRedisStore on a real redis-server -------------------------------------------------------


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    server = servers.redis_server(tmp_path_factory.mktemp("redis")).start()
    yield server.port
    server.stop()


def test_async_redis_store_keeps_the_store_protocol_on_a_real_redis_server(redis_port: int) -> None:
    import redis.asyncio

    now = float(int(time.time()))

    async def scenario() -> list[object]:
        client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1)
        store = AsyncRedisStore(client, prefix="protocol:")
        try:
            return [
                await store.claim("k", "a", now, now + 60),
                await store.claim("k", "b", now, now + 60),
                await store.complete("k", "b", now, now + 600),  # not b's: fenced
                await store.release("k", "b"),
                await store.complete("k", "a", now, now + 600),
                await store.claim("k", "c", now, now + 60),
                await store.release("k", "a"),  # completed: nothing to release
                await store.claim("gone", "d", now, now + 60),
                await store.release("gone", "d"),
                await store.claim("gone", "e", now + 1, now + 61),
            ]
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == [
        Claim("acquired", now + 60),
        Claim("in_progress", now + 60),
        False,
        False,
        True,
        Claim("completed", now + 600),
        False,
        Claim("acquired", now + 60),
        True,
        Claim("acquired", now + 61),
    ]


def test_both_redis_stores_keep_a_record_under_the_webhook_prefix_unless_told_otherwise(redis_port: int) -> None:
    import redis
    import redis.asyncio

    now = time.time()
    plain = redis.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1)
    assert RedisStore(plain).claim("sync-default", "t", now, now + 60).state == "acquired"

    async def claim_async() -> None:
        client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1)
        try:
            assert (await AsyncRedisStore(client).claim("async-default", "t", now, now + 60)).state == "acquired"
            assert (
                await AsyncRedisStore(client, prefix="p:").claim("async-own", "t", now, now + 60)
            ).state == "acquired"
        finally:
            await client.aclose()

    asyncio.run(claim_async())
    try:
        assert plain.exists("webhook:sync-default", "webhook:async-default", "p:async-own") == 3
        assert plain.exists("sync-default", "async-default", "webhook:async-own") == 0
    finally:
        plain.close()


def test_async_redis_store_loads_its_scripts_again_after_a_script_flush_and_propagates_other_errors(
    redis_port: int,
) -> None:
    import redis
    import redis.asyncio

    now = time.time()

    async def scenario() -> list[object]:
        client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1)
        store = AsyncRedisStore(client, prefix="flushed:")
        try:
            answers: list[object] = [await store.claim("k", "a", now, now + 60)]
            await client.script_flush()  # as a restart or a failover to a replica without the scripts does
            answers.append(await store.complete("k", "a", now, now + 600))
            await client.script_flush()
            answers.append(await store.claim("k", "b", now, now + 60))
            answers.append(await store.release("k", "b"))  # completed: not released; the script now loaded
            await client.hset("flushed:text", "state", "a hash, not a record")
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                await store.release("text", "a")
            return answers
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == [Claim("acquired", now + 60), True, Claim("completed", now + 600), False]


def test_the_asgi_app_on_redis_asyncio_processes_each_delivery_once_among_concurrent_copies(redis_port: int) -> None:
    import redis.asyncio

    runs = AsyncRuns(hold=0.1)

    async def scenario() -> list[tuple[int, str, dict[str, str]]]:
        client = redis.asyncio.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1)
        app = asgi.app(WEBHOOK, runs.router, idempotency=Idempotency(AsyncRedisStore(client, prefix="copies:")))
        try:
            answers = list(await asyncio.gather(*(drive(app, "wh_copies") for _ in range(8))))
            return [*answers, await drive(app, "wh_copies")]
        finally:
            await client.aclose()

    answers = asyncio.run(scenario())
    assert sorted(status for status, _, _ in answers[:8]) == [200] + [409] * 7
    assert answers[8][:2] == (200, "already processed")
    assert runs.ids == ["wh_copies"]


def test_a_stalled_redis_server_is_sent_no_more_claims_once_the_most_calls_are_left_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis.asyncio

    monkeypatch.setattr(asgi, "_MAX_STORE_CALLS", 3)
    server = servers.redis_server(tmp_path).start()
    runs = AsyncRuns()

    async def scenario() -> tuple[list[int], int, int]:
        client = redis.asyncio.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
        store = AsyncRedisStore(client, prefix="stalled:")
        app = app_for(store, runs, timeout=0.1)
        try:
            assert (await drive(app, "wh_warm"))[0] == 200
            assert await store.release("none", "none") is False  # every script loaded
            await client.config_resetstat()
            with server.paused():
                statuses = [(await drive(app, f"wh_{number}"))[0] for number in range(5)]
            await until(lambda: not app._steps._running, 10)  # the calls left running answered, then releases
            stats = await client.info("commandstats")
            statuses.append((await drive(app, "wh_4"))[0])
            return statuses, stats["cmdstat_evalsha"]["calls"], len(await client.client_list())
        finally:
            await client.aclose()

    try:
        statuses, evalsha, connections = asyncio.run(scenario())
    finally:
        server.stop()
    assert statuses == [503] * 5 + [200]
    # Sent to the stalled server: wh_0's claim, wh_1's release of it (of unknown outcome) and claim, left running;
    # the two claims acquired are released once they answer.  wh_2 to wh_4 sent nothing.
    assert evalsha == 5
    assert connections <= 4  # the one before the stall, one per call left running
    assert runs.ids == ["wh_warm", "wh_4"]
