"""The receive step: every row of the answers table, the log records, the delivery metadata, the Lambda adapter."""

from __future__ import annotations

import asyncio
import copy
import gc
import inspect
import json
import logging
import threading
import time
import warnings
from collections.abc import Generator
from typing import Any

import pytest

from openai_webhook_events import (
    AsyncRouter,
    Attempt,
    BatchCompletedWebhookEvent,
    Delivery,
    PayloadTooLargeError,
    Response,
    Router,
    Webhook,
    WebhookEvent,
    _headers,
    _response,
    _verify,
    asgi,
    aws_lambda,
    begin,
    current_delivery,
    receive,
    wsgi,
)
from openai_webhook_events._options import Options
from openai_webhook_events.idempotency import Claim, Idempotency, MemoryStore
from openai_webhook_events.idempotency._idempotency import MAX_UNSETTLED, SETTLE_BATCH, SETTLE_PAUSE
from tests.helpers import (
    BODY,
    PAYLOAD,
    SECRET,
    SECRET_KEY,
    RecordingStore,
    call,
    drive,
    environ,
    outcome,
    records,
    scope,
    sqs_event,
)
from tests.helpers import record as sqs_record
from tests.strategies import example_payload, hmac_signature, lambda_event

WEBHOOK = Webhook(SECRET)
NOW = 1_800_000_000
HOUR = 3600.0


def signed(body: bytes = BODY, webhook_id: str = "wh_1", timestamp: int = NOW) -> dict[str, str]:
    return WEBHOOK.sign(body, webhook_id=webhook_id, timestamp=timestamp)


class Counting:
    """A router whose fallback counts its runs, optionally failing the first *failures* of them."""

    def __init__(self, failures: int = 0) -> None:
        self.router = Router()
        self.runs: list[str] = []
        self.failures = failures
        self.router.fallback(self.handle)

    def handle(self, event: WebhookEvent) -> None:
        self.runs.append(event.id)
        if len(self.runs) <= self.failures:
            raise RuntimeError("downstream unavailable")


# --- The answers table ---------------------------------------------------------------------------


def test_a_forged_delivery_is_answered_401_without_touching_the_store() -> None:
    store, counting = RecordingStore(), Counting()
    headers = signed()
    headers["webhook-signature"] = "v1," + "A" * 44
    answer = receive(WEBHOOK, counting.router, BODY, headers, idempotency=Idempotency(store), now=NOW)
    assert (answer.status, answer.message) == (401, "webhook verification failed")
    assert (store.calls, counting.runs) == ([], [])


def test_a_stale_delivery_is_answered_401_without_touching_the_store() -> None:
    store, counting = RecordingStore(), Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW + 301)
    assert answer.status == 401
    assert (store.calls, counting.runs) == ([], [])


def test_half_a_second_past_the_tolerance_is_stale_by_the_clock_or_a_float_now(monkeypatch: pytest.MonkeyPatch) -> None:
    store, counting = RecordingStore(), Counting()
    monkeypatch.setattr(_verify, "_time", lambda: NOW + 300.5)  # a clock floored to whole seconds reads NOW + 300
    assert receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store)).status == 401
    assert (
        receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW + 300.5).status == 401
    )
    assert (store.calls, counting.runs) == ([], [])
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW + 299.5)
    assert answer.status == 200
    assert store.arguments[0][2] == NOW + 299.5  # the store's clock is the same float


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "evt_1"}', b"[]"])
def test_a_signed_malformed_body_is_answered_400_without_touching_the_store(body: bytes) -> None:
    store, counting = RecordingStore(), Counting()
    answer = receive(WEBHOOK, counting.router, body, signed(body), idempotency=Idempotency(store), now=NOW)
    assert (answer.status, answer.message) == (400, "invalid payload")
    assert (store.calls, counting.runs) == ([], [])


def test_an_oversized_body_is_answered_413_before_its_signature_is_checked() -> None:
    small, store = Webhook(SECRET, max_body_bytes=10), RecordingStore()
    answer = receive(small, Counting().router, BODY, {"webhook-id": "x", "webhook-timestamp": str(NOW),
                     "webhook-signature": "v1,x"}, idempotency=Idempotency(store), now=NOW)  # fmt: skip
    assert (answer.status, answer.message, store.calls) == (413, "payload too large", [])


def test_an_event_without_a_handler_is_acknowledged_without_touching_the_store() -> None:
    store = RecordingStore()
    router = Router()
    router.on(BatchCompletedWebhookEvent)(lambda event: None)
    body = json.dumps(example_payload("batch.failed")).encode()
    answer = receive(WEBHOOK, router, body, signed(body), idempotency=Idempotency(store), now=NOW)
    assert (answer.status, answer.message) == (200, "ok")
    assert store.calls == []


def test_a_first_delivery_claims_runs_the_handler_completes_and_answers_200() -> None:
    store, counting = RecordingStore(), Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert answer == Response(200, "ok")
    assert store.calls == ["claim", "complete"]
    assert counting.runs == [PAYLOAD["id"]]


def test_a_duplicate_after_completion_is_answered_200_without_running_the_handler() -> None:
    store, counting = RecordingStore(), Counting()
    idempotency = Idempotency(store)
    receive(WEBHOOK, counting.router, BODY, signed(), idempotency=idempotency, now=NOW)
    retry = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 60), idempotency=idempotency, now=NOW + 60)
    assert (retry.status, retry.message) == (200, "already processed")
    assert counting.runs == [PAYLOAD["id"]]
    assert store.calls == ["claim", "complete", "claim"]


def test_a_duplicate_after_the_retention_runs_the_handler_again() -> None:
    counting = Counting()
    idempotency = Idempotency(MemoryStore(), retention=72 * HOUR)
    receive(WEBHOOK, counting.router, BODY, signed(), idempotency=idempotency, now=NOW)
    later = NOW + int(72 * HOUR)
    receive(WEBHOOK, counting.router, BODY, signed(timestamp=later), idempotency=idempotency, now=later)
    assert len(counting.runs) == 2


def test_a_duplicate_while_the_first_attempt_runs_is_answered_409_with_its_lease_time_left() -> None:
    idempotency = Idempotency(MemoryStore(), lease=30)
    answers: list[Response] = []
    router = Router()

    @router.fallback
    def handle(event: WebhookEvent) -> None:  # the retry arrives while this attempt runs
        later = NOW + 10
        answers.append(receive(WEBHOOK, router, BODY, signed(timestamp=later), idempotency=idempotency, now=later))

    first = receive(WEBHOOK, router, BODY, signed(), idempotency=idempotency, now=NOW)
    assert first.status == 200
    [concurrent] = answers
    assert concurrent.status == 409
    assert concurrent.headers == (("content-type", "application/json"), ("retry-after", "20"))


def test_retry_after_is_rounded_up_and_at_least_one_second() -> None:
    store = MemoryStore()
    store.claim("openai-webhook-events#wh_1", "other", NOW, NOW + 0.2)
    answer = receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert dict(answer.headers)["retry-after"] == "1"


def test_a_handler_that_raises_releases_its_claim_and_the_retry_reprocesses() -> None:
    store, counting = RecordingStore(), Counting(failures=1)
    idempotency = Idempotency(store)
    with pytest.raises(RuntimeError, match="downstream unavailable"):
        receive(WEBHOOK, counting.router, BODY, signed(), idempotency=idempotency, now=NOW)
    assert store.calls == ["claim", "release"]
    retry = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 5), idempotency=idempotency, now=NOW + 5)
    assert retry.status == 200
    assert counting.runs == [PAYLOAD["id"]] * 2


def test_an_attempt_killed_mid_handler_is_taken_over_once_its_lease_expires() -> None:
    store, counting = MemoryStore(), Counting()
    idempotency = Idempotency(store, lease=30)
    killed = begin(WEBHOOK, counting.router, BODY, signed(), idempotency=idempotency, now=NOW)
    assert not isinstance(killed, Response)  # it holds the claim, then its instance dies: never finishes
    early = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 29), idempotency=idempotency, now=NOW + 29)
    assert early.status == 409
    late = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 30), idempotency=idempotency, now=NOW + 30)
    assert late.status == 200
    assert counting.runs == [PAYLOAD["id"]]


def test_a_zombie_that_finishes_after_the_takeover_neither_completes_nor_releases(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, counting = RecordingStore(), Counting()
    idempotency = Idempotency(store, lease=30)
    zombie = begin(WEBHOOK, counting.router, BODY, signed(), idempotency=idempotency, now=NOW)
    owner = begin(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 31), idempotency=idempotency, now=NOW + 31)
    assert not isinstance(zombie, Response)
    assert not isinstance(owner, Response)
    assert zombie.succeeded(now=NOW + 32) == Response(200, "ok")
    zombie.failed(RuntimeError("late"))
    [record] = [r for r in records(caplog) if r.outcome == "lease_lost"]  # type: ignore[attr-defined]
    assert (record.levelno, record.status, record.webhook_id) == (logging.WARNING, 200, "wh_1")  # type: ignore[attr-defined]
    assert record.getMessage() == LEASE_LOST
    third = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 33), idempotency=idempotency, now=NOW + 33)
    assert third.status == 409  # the owner still holds it
    assert owner.succeeded(now=NOW + 34).status == 200
    again = receive(WEBHOOK, counting.router, BODY, signed(timestamp=NOW + 35), idempotency=idempotency, now=NOW + 35)
    assert again.message == "already processed"


LEASE_LOST = (
    "webhook delivery wh_1 was processed but not recorded by this attempt: its record was taken over by "
    "another attempt or is gone from the store"
)


def test_a_record_gone_from_the_store_mid_handler_is_not_reported_as_taken_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    router = Router()
    router.fallback(lambda event: store._records.clear())  # the store restarts without persistence, within the lease
    answer = receive(WEBHOOK, router, BODY, signed(), idempotency=Idempotency(store, lease=30), now=NOW)
    assert answer == Response(200, "ok")
    [record] = records(caplog)
    assert (record.levelno, record.outcome, record.getMessage()) == (logging.WARNING, "lease_lost", LEASE_LOST)  # type: ignore[attr-defined]


def test_an_unreachable_store_at_claim_answers_503_with_retry_after_and_runs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, counting = RecordingStore("claim"), Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert (answer.status, answer.message) == (503, "store unavailable")
    assert answer.headers == (("content-type", "application/json"), ("retry-after", "5"))
    assert counting.runs == []
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "idempotency store failed at claim for webhook delivery wh_1: "
        "ConnectionError: claim: connection refused\\nsecond line"
    )


def test_a_store_failing_at_complete_still_answers_200_and_logs_an_error(caplog: pytest.LogCaptureFixture) -> None:
    store, counting = RecordingStore("complete"), Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert answer.status == 200
    assert counting.runs == [PAYLOAD["id"]]
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert (record.outcome, record.status, record.error) == ("complete_failed", 200, "ConnectionError")  # type: ignore[attr-defined]
    assert record.getMessage() == (
        "webhook delivery wh_1 was processed but the idempotency store failed to record it "
        "(a retry will run the handler again): ConnectionError: complete: connection refused\\nsecond line"
    )
    assert answer == Response(200, "ok")


def test_a_completion_is_recorded_at_the_time_given_and_remembered_for_the_retention(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    completed: list[tuple[float, float]] = []

    class Completing(RecordingStore):
        def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
            completed.append((now, expires_at))
            return super().complete(key, token, now, expires_at)

    idempotency = Idempotency(Completing(), retention=86_400 * 3)
    attempt = begin(WEBHOOK, Counting().router, BODY, signed(), idempotency=idempotency, now=NOW)
    assert not isinstance(attempt, Response)
    assert attempt.run() == Response(200, "ok")  # at begin's clock, as given
    assert attempt.succeeded(now=NOW + 7) == Response(200, "ok")  # the claim is completed: not recorded again
    assert completed == [(NOW, NOW + 86_400 * 3), (NOW + 7, NOW + 7 + 86_400 * 3)]
    handled = [r.getMessage() for r in records(caplog) if getattr(r, "outcome", None) == "processed"]
    assert handled[0] == f"handled webhook event {PAYLOAD['id']} ({PAYLOAD['type']})"


def test_a_store_failing_at_release_logs_an_error_and_the_handlers_exception_propagates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, counting = RecordingStore("release"), Counting(failures=1)
    with pytest.raises(RuntimeError, match="downstream unavailable"):
        receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert [(r.levelno, r.outcome) for r in records(caplog)] == [  # type: ignore[attr-defined]
        (logging.ERROR, "failed"),
        (logging.ERROR, "release_failed"),
    ]
    released = records(caplog)[1]
    assert released.getMessage() == (
        "idempotency store failed to release webhook delivery wh_1 (a retry waits for the lease to expire): "
        "ConnectionError: release: connection refused\\nsecond line"
    )
    assert (released.webhook_id, released.status, released.error) == (  # type: ignore[attr-defined]
        "wh_1",
        None,
        "ConnectionError",
    )


def test_a_handler_returning_a_coroutine_is_answered_500_closed_and_released(caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore()
    router = Router()
    ran: list[str] = []

    async def work(event: WebhookEvent) -> None:
        ran.append(event.id)

    @router.fallback  # a plain function returning a coroutine: registration cannot tell it is async
    def handle(event: WebhookEvent) -> Any:
        return work(event)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would be raised here
        answer = receive(WEBHOOK, router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
        gc.collect()
    assert (answer.status, answer.message) == (500, "handler returned an awaitable")
    assert ran == []
    assert store.calls == ["claim", "release"]
    [record] = records(caplog)
    assert (record.levelno, record.outcome, record.status) == (logging.ERROR, "not_awaited", 500)  # type: ignore[attr-defined]
    assert record.getMessage() == (
        f"handler for webhook event {PAYLOAD['id']} ({PAYLOAD['type']}) returned an awaitable: "
        "async handlers need the ASGI adapter; not processed"
    )


def test_the_coroutine_or_closable_awaitable_a_handler_returns_is_closed_unrun() -> None:
    class Closable:
        def __init__(self) -> None:
            self.closed = 0

        def __await__(self) -> Generator[None, None, None]:
            yield  # pragma: no cover  (never awaited)

        def close(self) -> None:
            self.closed += 1

    async def work() -> None:  # pragma: no cover  (never run)
        pass

    coroutine, closable = work(), Closable()
    for returned in (coroutine, closable):
        router: Router[object] = Router()
        router.fallback(lambda event, returned=returned: returned)  # type: ignore[misc]
        assert receive(WEBHOOK, router, BODY, signed(), now=NOW) == Response(500, "handler returned an awaitable")
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED
    assert closable.closed == 1


def test_only_a_handler_failure_is_logged_with_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(RecordingStore("complete")), now=NOW)
    receive(WEBHOOK, Counting().router, BODY, signed(webhook_id="wh_2"), now=NOW)
    with pytest.raises(RuntimeError):
        receive(
            WEBHOOK, Counting(1).router, BODY, signed(), idempotency=Idempotency(RecordingStore("release")), now=NOW
        )
    logged = [(r.outcome, bool(r.exc_info)) for r in records(caplog)]  # type: ignore[attr-defined]
    assert logged == [("complete_failed", False), ("processed", False), ("failed", True), ("release_failed", False)]


def test_a_handler_returning_another_awaitable_is_answered_500() -> None:
    router: Router[object] = Router()
    loop = asyncio.new_event_loop()
    try:
        router.fallback(lambda event: loop.create_future())
        assert receive(WEBHOOK, router, BODY, signed(), now=NOW).status == 500
    finally:
        loop.close()


@pytest.mark.parametrize("headers", [{}, {"webhook-id": "wh_1", "webhook-timestamp": "1", "webhook-signature": "v1,x"}])
def test_an_oversized_body_is_answered_413_whatever_its_headers(headers: dict[str, str]) -> None:
    small = Webhook(SECRET, max_body_bytes=len(BODY) - 1)
    assert receive(small, Counting().router, BODY, headers, now=NOW).status == 413  # as the HTTP adapters see it
    with pytest.raises(PayloadTooLargeError):
        small.verify(BODY, headers, now=NOW)


def test_without_idempotency_every_delivery_runs_the_handler() -> None:
    counting = Counting()
    for _ in range(2):
        assert receive(WEBHOOK, counting.router, BODY, signed(), now=NOW).status == 200
    assert len(counting.runs) == 2


def test_the_event_id_key_deduplicates_deliveries_with_different_webhook_ids() -> None:
    counting = Counting()
    idempotency = Idempotency(MemoryStore(), key="event-id")
    receive(WEBHOOK, counting.router, BODY, signed(webhook_id="wh_a"), idempotency=idempotency, now=NOW)
    second = receive(WEBHOOK, counting.router, BODY, signed(webhook_id="wh_b"), idempotency=idempotency, now=NOW)
    assert second.message == "already processed"
    assert len(counting.runs) == 1


def test_namespaces_keep_two_endpoints_sharing_a_store_apart() -> None:
    store, counting = MemoryStore(), Counting()
    for namespace in ("a", "b"):
        receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store, namespace=namespace), now=NOW)
    assert len(counting.runs) == 2


def test_clock_skew_within_the_margin_does_not_let_a_retry_take_over_a_live_claim() -> None:
    store, counting = MemoryStore(), Counting()
    # Instance A, 20 s left in its invocation: lease = 20 + the skew margin.
    first = begin(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), remaining=20, now=NOW)
    assert not isinstance(first, Response)
    # Instance B's clock runs 4 s ahead; A is still running when B sees NOW + 24 on its clock.
    skewed = NOW + 20 + 4
    retry = receive(WEBHOOK, counting.router, BODY, signed(timestamp=skewed), idempotency=Idempotency(store),
                    now=skewed)  # fmt: skip
    assert retry.status == 409
    assert first.run().status == 200
    assert counting.runs == [PAYLOAD["id"]]


def test_begin_leases_a_claim_for_the_time_the_caller_has_left_and_a_retry_meanwhile_is_told_how_long() -> None:
    store = MemoryStore()
    first = begin(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), remaining=20, now=NOW)
    assert not isinstance(first, Response)
    retry = receive(WEBHOOK, Counting().router, BODY, signed(timestamp=NOW + 1), idempotency=Idempotency(store),
                    now=NOW + 1)  # fmt: skip
    # The lease is 20 s + SKEW_MARGIN (5 s), of which 24 s are left: not DEFAULT_LEASE's 60 s.
    assert retry == Response(409, "in progress", (("content-type", "application/json"), ("retry-after", "24")))


def test_begin_hands_a_signed_invalid_event_to_the_dead_letter() -> None:
    kept: list[bytes] = []
    answer = begin(WEBHOOK, Router(), b"[]", signed(b"[]"), now=NOW, dead_letter=lambda body, _: kept.append(body))
    assert (answer, kept) == (Response(200, "dead-lettered"), [b"[]"])


def test_begin_forwards_a_delivery_to_hand_off_instead_of_a_router() -> None:
    class Queue:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        def send(self, body: bytes, headers: Any) -> None:
            self.sent.append(body)

    queue = Queue()
    assert begin(WEBHOOK, None, BODY, signed(), now=NOW, hand_off=queue) == Response(200, "queued")
    assert queue.sent == [BODY]


def test_begin_takes_an_async_router_whose_unawaited_handler_is_answered_500() -> None:
    router: AsyncRouter[None] = AsyncRouter()

    @router.fallback
    async def handle(event: WebhookEvent) -> None:
        pass  # pragma: no cover  (never awaited)

    attempt = begin(WEBHOOK, router, BODY, signed(), now=NOW)  # the adapters refuse it when they are made
    assert not isinstance(attempt, Response)
    assert attempt.run() == Response(500, "handler returned an awaitable")


def test_receive_takes_an_async_router_and_answers_its_unawaited_handler_500() -> None:
    router: AsyncRouter[None] = AsyncRouter()

    @router.fallback
    async def handle(event: WebhookEvent) -> None:
        pass  # pragma: no cover  (never awaited)

    answer = receive(WEBHOOK, router, BODY, signed(), now=NOW)  # type: ignore[arg-type]  # typed for a Router
    assert answer == Response(500, "handler returned an awaitable")


@pytest.mark.parametrize("remaining", [None, 5.0, 600.0])
def test_receive_leases_its_claim_for_the_callers_remaining_time(remaining: float | None) -> None:
    store = RecordingStore()
    idempotency = Idempotency(store)
    receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=idempotency, remaining=remaining, now=NOW)
    assert store.arguments[0][3] == NOW + idempotency.lease(remaining)


def test_an_adapter_that_released_the_claim_itself_hands_unrun_the_answer_and_no_release_is_made() -> None:
    store = RecordingStore()
    attempt = begin(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert isinstance(attempt, Attempt)

    def handle() -> Generator[None, None, None]:
        yield  # pragma: no cover  (never resumed)

    unrun = handle()  # a generator none of whose body ran
    assert attempt.unrun(unrun, released=(True, None)) == Response(500, "handler returned a generator")
    assert store.calls == ["claim"]


def test_every_503_carries_its_message_and_retry_after_5() -> None:
    retry_after = (("content-type", "application/json"), ("retry-after", "5"))
    # _retry_later builds the 503 constants at import: called here too, so a change to it is seen at run time.
    assert _response._retry_later("store unavailable") == Response(503, "store unavailable", retry_after)
    constants = {
        "queue unavailable": _response.QUEUE_UNAVAILABLE,
        "dead letter unavailable": _response.DEAD_LETTER_UNAVAILABLE,
    }
    for message, answer in constants.items():
        assert answer == Response(503, message, retry_after)


def test_the_response_body_is_json_with_the_message() -> None:
    assert json.loads(Response(409, "in progress").body) == {"message": "in progress"}


# --- Delivery metadata ----------------------------------------------------------------------------


def test_handlers_read_the_verified_delivery_through_current_delivery() -> None:
    seen: list[Delivery] = []
    router = Router()
    router.fallback(lambda event: seen.append(current_delivery()))
    idempotency = Idempotency(MemoryStore(), lease=30)
    receive(WEBHOOK, router, BODY, signed(webhook_id="wh_meta", timestamp=NOW - 7), idempotency=idempotency, now=NOW)
    receive(WEBHOOK, router, BODY, signed(webhook_id="wh_plain", timestamp=NOW - 7), now=NOW + 1)
    assert seen == [
        Delivery("wh_meta", NOW - 7, NOW, NOW + 30, "openai-webhook-events#wh_meta"),
        Delivery("wh_plain", NOW - 7, NOW + 1),
    ]


def test_current_delivery_outside_a_handler_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match=r"^current_delivery\(\) is only available inside a webhook handler$"):
        current_delivery()
    router = Router()
    router.fallback(lambda event: None)
    receive(WEBHOOK, router, BODY, signed(), now=NOW)
    with pytest.raises(LookupError):
        current_delivery()  # reset after the handler
    failing = Router()

    @failing.fallback
    def fail(event: object) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        receive(WEBHOOK, failing, BODY, signed(), now=NOW)
    with pytest.raises(LookupError):
        current_delivery()  # reset after a handler that raised too


# --- Log records ----------------------------------------------------------------------------------

FIELDS = ("webhook_id", "event_id", "event_type", "outcome", "status", "error")


def test_every_record_carries_the_structured_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    idempotency = Idempotency(MemoryStore())
    counting = Counting()
    headers = signed()
    receive(WEBHOOK, counting.router, BODY, {**headers, "webhook-signature": "v1,bad"}, now=NOW)
    receive(WEBHOOK, counting.router, b"{}", signed(b"{}"), now=NOW)
    receive(WEBHOOK, Router(), BODY, headers, now=NOW)
    receive(WEBHOOK, counting.router, BODY, headers, idempotency=idempotency, now=NOW)
    receive(WEBHOOK, counting.router, BODY, headers, idempotency=idempotency, now=NOW)
    found = [{name: getattr(r, name) for name in FIELDS} for r in records(caplog)]
    event = {"event_id": PAYLOAD["id"], "event_type": "batch.completed"}
    assert found == [
        {"webhook_id": None, "event_id": None, "event_type": None, "outcome": "rejected", "status": 401,
         "error": "InvalidHeaderError"},
        {"webhook_id": "wh_1", "event_id": None, "event_type": None, "outcome": "invalid", "status": 400,
         "error": "InvalidEventError"},
        {"webhook_id": "wh_1", **event, "outcome": "ignored", "status": 200, "error": None},
        {"webhook_id": "wh_1", **event, "outcome": "processed", "status": 200, "error": None},
        {"webhook_id": "wh_1", **event, "outcome": "duplicate", "status": 200, "error": None},
    ]  # fmt: skip
    assert [r.levelno for r in records(caplog)] == [logging.WARNING, logging.ERROR] + [logging.DEBUG] * 2 + [
        logging.INFO
    ]


def test_records_are_one_bounded_line_even_for_hostile_ids_and_types(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    payload = {"id": "evt\n\x1b[31mforged line" + "x" * 500, "created_at": 0, "type": "t\r\n" * 100, "data": {}}
    body = json.dumps(payload).encode()
    webhook_id = "wh_" + "\u2028" * 300  # a line separator: printable for no log viewer
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(NOW),
        "webhook-signature": hmac_signature(SECRET_KEY, webhook_id, NOW, body),
    }
    idempotency = Idempotency(MemoryStore())
    receive(WEBHOOK, Counting().router, body, headers, idempotency=idempotency, now=NOW)
    receive(WEBHOOK, Counting().router, body, headers, idempotency=idempotency, now=NOW)
    logged = records(caplog)
    assert len(logged) == 2
    for record in logged:
        message = record.getMessage()
        assert message.isprintable()
        assert len(message) < 700
        for name in ("webhook_id", "event_id", "event_type"):
            value = getattr(record, name)
            assert value.isprintable()
            assert len(value) <= 200
    assert logged[0].event_id.startswith("evt\\n\\x1b[31mforged line")  # type: ignore[attr-defined]


def test_a_handler_failure_is_logged_with_the_event_and_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(RuntimeError):
        receive(WEBHOOK, Counting(failures=1).router, BODY, signed(), now=NOW)
    [record] = records(caplog)
    assert record.getMessage() == f"handler failed for webhook event {PAYLOAD['id']} (batch.completed)"
    assert (record.outcome, record.error, record.status) == ("failed", "RuntimeError", None)  # type: ignore[attr-defined]
    assert record.exc_info
    assert isinstance(record.exc_info[1], RuntimeError)


def test_nothing_is_formatted_when_the_level_is_disabled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="openai_webhook_events")
    receive(WEBHOOK, Counting().router, BODY, {**signed(), "webhook-signature": "v1,bad"}, now=NOW)
    assert records(caplog) == []


# --- The Lambda adapter ---------------------------------------------------------------------------


class Context:
    def __init__(self, remaining_ms: object) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> object:
        return self.remaining_ms


def lambda_delivery(template: str, headers: dict[str, str]) -> dict[str, Any]:
    return lambda_event(template, BODY, list(headers.items()), base64_body=False)


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ("apiGatewayProxyV2Event.json", "headers"),
        ("albEvent.json", "headers"),
        ("albMultiValueHeadersEvent.json", "multiValueHeaders"),
    ],
)
def test_lambda_handler_answers_409_with_retry_after_in_the_requests_shape(template: str, field: str) -> None:
    store = MemoryStore()
    handler = aws_lambda.lambda_handler(WEBHOOK, Counting().router, idempotency=Idempotency(store))
    headers = WEBHOOK.sign(BODY, webhook_id="wh_lambda")
    now = time.time()
    store.claim("openai-webhook-events#wh_lambda", "other instance", now, now + 100.5)
    result = handler(lambda_delivery(template, headers), Context(10_000))
    assert result["statusCode"] == 409
    wrap = (lambda value: [value]) if field == "multiValueHeaders" else (lambda value: value)
    assert result[field] == {"content-type": wrap("application/json"), "retry-after": wrap("101")}


def test_lambda_handler_processes_a_delivery_once_and_acknowledges_the_duplicate() -> None:
    counting = Counting()
    handler = aws_lambda.lambda_handler(WEBHOOK, counting.router, idempotency=Idempotency(MemoryStore()))
    event = lambda_delivery("apiGatewayProxyEvent.json", WEBHOOK.sign(BODY))
    first, second = handler(event, Context(3000)), handler(event, Context(3000))
    assert first == aws_lambda.response(event, 200)
    assert second == aws_lambda.response(event, 200, "already processed")
    assert counting.runs == [PAYLOAD["id"]]


@pytest.mark.parametrize(
    ("context", "lease"), [(Context(3000), 3 + 5), (Context(0), 5), (None, 60), (Context(True), 60), (Context("x"), 60)]
)
def test_lambda_handler_leases_for_the_invocations_remaining_time_plus_the_margin(context: Any, lease: float) -> None:
    store = RecordingStore()
    claims: list[tuple[float, float]] = []
    original = store.claim

    def claim(key: str, token: str, now: float, expires_at: float) -> Claim:
        claims.append((now, expires_at))
        return original(key, token, now, expires_at)

    store.claim = claim  # type: ignore[method-assign]
    handler = aws_lambda.lambda_handler(WEBHOOK, Counting().router, idempotency=Idempotency(store))
    handler(lambda_delivery("apiGatewayProxyEvent.json", WEBHOOK.sign(BODY)), context)
    [(now, expires_at)] = claims
    assert expires_at - now == pytest.approx(lease)


@pytest.mark.parametrize("answer", [None, Claim("completed", float("nan"))], ids=["None", "nan"])
def test_lambda_handler_answers_503_when_the_claim_answer_is_not_a_valid_claim(
    answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    counting = Counting()
    handler = aws_lambda.lambda_handler(
        WEBHOOK, counting.router, idempotency=Idempotency(RecordingStore(answers={"claim": answer}))
    )
    event = lambda_delivery("apiGatewayProxyV2Event.json", WEBHOOK.sign(BODY))
    result = handler(event, Context(3000))
    assert (result["statusCode"], result["headers"]["retry-after"], counting.runs) == (503, "5", [])
    assert [r.outcome for r in records(caplog)] == ["store_unavailable"]  # type: ignore[attr-defined]


def test_lambda_handler_answers_400_to_an_event_that_is_not_a_request_without_touching_the_store() -> None:
    store = RecordingStore()
    handler = aws_lambda.lambda_handler(WEBHOOK, Counting().router, idempotency=Idempotency(store))
    assert handler({"Records": []}, None)["statusCode"] == 400
    assert store.calls == []


def test_headers_given_as_a_one_shot_iterator_of_pairs_are_read_once_and_kept() -> None:
    counting = Counting()
    answer = receive(WEBHOOK, counting.router, BODY, iter(signed().items()), now=NOW)
    assert answer.status == 200
    assert counting.runs == [PAYLOAD["id"]]


# --- Handlers that never ran -------------------------------------------------------------------------


def _generator(event: WebhookEvent) -> Generator[None, None, None]:
    yield  # pragma: no cover  (never iterated)


async def _async_generator(event: WebhookEvent) -> Any:
    yield  # pragma: no cover  (never iterated)


@pytest.mark.parametrize("make", [_generator, _async_generator], ids=["generator", "async generator"])
def test_a_handler_returning_a_generator_is_answered_500_closed_and_released(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordingStore()
    returned: list[Any] = []
    router: Router[Any] = Router()

    @router.fallback  # a plain function: registered
    def handle(event: WebhookEvent) -> Any:
        returned.append(make(event))
        return returned[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        answer = receive(WEBHOOK, router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
        gc.collect()
    assert answer == Response(500, "handler returned a generator")
    assert store.calls == ["claim", "release"]
    [generator] = returned
    assert (generator.gi_frame if inspect.isgenerator(generator) else generator.ag_frame) is None  # closed
    [record] = records(caplog)
    assert (record.levelno, record.outcome, record.status) == (logging.ERROR, "not_run", 500)  # type: ignore[attr-defined]
    assert record.getMessage() == (
        f"handler for webhook event {PAYLOAD['id']} ({PAYLOAD['type']}) returned a generator: none of its body "
        "ran (make it return, not yield); not processed"
    )
    retry = receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert retry == Response(200, "ok")  # released: a retry (with a fixed handler) runs


def test_an_async_generator_that_awaits_in_its_finally_is_closed_without_a_loop() -> None:
    steps: list[str] = []

    async def started(event: WebhookEvent) -> Any:
        try:
            steps.append("started")
            yield
        finally:
            steps.append("closing")
            await asyncio.sleep(0)
            steps.append("closed")  # pragma: no cover  (abandoned: no loop to finish it)

    def handle(event: WebhookEvent) -> Any:
        generator = started(event)
        with pytest.raises(StopIteration):
            generator.asend(None).send(None)  # run to its yield
        return generator

    router: Router[Any] = Router()
    router.fallback(handle)
    assert receive(WEBHOOK, router, BODY, signed(), now=NOW) == Response(500, "handler returned a generator")
    assert steps == ["started", "closing"]


# --- A store that misbehaves is a store that is down -------------------------------------------------

NOT_CLAIMS = {
    "None": (None, "None, not a Claim"),
    "tuple": (("acquired", NOW + 60), "('acquired', 1800000060), not a Claim"),
    "str": ("acquired", "'acquired', not a Claim"),
    "unknown state": (Claim("held", NOW + 60), "a Claim in the unknown state 'held'"),  # type: ignore[arg-type]
    "nan": (Claim("acquired", float("nan")), "a Claim expiring at nan, not a finite number of seconds"),
    "inf": (Claim("in_progress", float("inf")), "a Claim expiring at inf, not a finite number of seconds"),
    "-inf": (Claim("completed", -float("inf")), "a Claim expiring at -inf, not a finite number of seconds"),
    "bool": (Claim("in_progress", True), "a Claim expiring at True, not a finite number of seconds"),
    "text": (Claim("in_progress", "soon"), "a Claim expiring at 'soon', not a finite number of seconds"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", NOT_CLAIMS)
def test_a_claim_answer_that_is_not_a_valid_claim_is_answered_503_naming_the_store(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer, problem = NOT_CLAIMS[case]
    store, counting = RecordingStore(answers={"claim": answer}), Counting()
    response = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert response == Response(503, "store unavailable", (("content-type", "application/json"), ("retry-after", "5")))
    assert counting.runs == []
    [record] = records(caplog)
    assert outcome(record) == (logging.ERROR, "store_unavailable", 503, "StoreAnswerError")
    assert record.getMessage() == (
        f"idempotency store failed at claim for webhook delivery wh_1: StoreAnswerError: RecordingStore.claim "
        f"answered {problem}"
    )


def test_a_claim_of_a_claim_subclass_with_valid_fields_is_a_claim() -> None:
    class Found(Claim):
        pass

    store, counting = RecordingStore(answers={"claim": Found("acquired", NOW + 60)}), Counting()
    assert receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW).status == 200
    assert counting.runs == [PAYLOAD["id"]]


@pytest.mark.parametrize(
    ("expires_at", "retry_after"),
    [(NOW + 3599.2, "3600"), (NOW + 3600, "3600"), (NOW + 3600.5, "3600"), (NOW + 86_400, "3600"), (1e300, "3600"),
     (NOW - 10, "1"), (-1e300, "1")],
)  # fmt: skip
def test_retry_after_on_a_409_is_at_most_an_hour_and_at_least_a_second(expires_at: float, retry_after: str) -> None:
    store = RecordingStore(answers={"claim": Claim("in_progress", expires_at)})
    answer = receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert (answer.status, dict(answer.headers)["retry-after"]) == (409, retry_after)


class GreenletTimeout(BaseException):
    """Like ``gevent.Timeout``: a ``BaseException`` raised in the middle of a store call."""


def test_a_base_exception_from_the_store_at_claim_is_a_store_error(caplog: pytest.LogCaptureFixture) -> None:
    store, counting = RecordingStore("claim", error=GreenletTimeout("2 seconds")), Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert (answer.status, dict(answer.headers)["retry-after"], counting.runs) == (503, "5", [])
    [record] = records(caplog)
    assert record.getMessage() == (
        "idempotency store failed at claim for webhook delivery wh_1: GreenletTimeout: 2 seconds"
    )


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)], ids=["KeyboardInterrupt", "SystemExit"])
@pytest.mark.parametrize("operation", ["claim", "complete", "release"])
def test_an_interrupt_or_exit_from_a_store_call_propagates(operation: str, error: BaseException) -> None:
    store = RecordingStore(operation, error=error)
    failing = 1 if operation == "release" else 0  # release is called after a handler that raised
    with pytest.raises(type(error)):
        receive(WEBHOOK, Counting(failing).router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert store.calls[-1] == operation


def _bad_answer(operation: str, answer: object) -> tuple[RecordingStore, str]:
    """A store answering *answer* to *operation* (raising it, if an exception), and the problem logged."""
    if isinstance(answer, BaseException):
        return RecordingStore(operation, error=answer), f"{type(answer).__name__}: {answer}"
    problem = f"StoreAnswerError: RecordingStore.{operation} answered {answer!r}, not a bool"
    return RecordingStore(answers={operation: answer}), problem


@pytest.mark.parametrize(
    ("store", "problem"),
    [_bad_answer("complete", answer) for answer in (GreenletTimeout("2 seconds"), None, 1, "yes")],
    ids=["BaseException", "None", "1", "str"],
)
def test_a_store_failing_at_complete_in_any_way_still_answers_200_and_logs_an_error(
    store: RecordingStore, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    counting = Counting()
    answer = receive(WEBHOOK, counting.router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert (answer, counting.runs) == (Response(200, "ok"), [PAYLOAD["id"]])
    [record] = records(caplog)
    assert (record.levelno, record.outcome, record.status) == (logging.ERROR, "complete_failed", 200)  # type: ignore[attr-defined]
    assert record.getMessage().endswith(f"(a retry will run the handler again): {problem}")


@pytest.mark.parametrize(
    ("store", "problem"),
    [_bad_answer("release", answer) for answer in (GreenletTimeout("2 seconds"), None)],
    ids=["BaseException", "None"],
)
def test_a_store_failing_at_release_in_any_way_is_logged_and_the_handlers_error_propagates(
    store: RecordingStore, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(RuntimeError, match="downstream unavailable"):
        receive(WEBHOOK, Counting(1).router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    failed, released = records(caplog)
    assert (failed.outcome, released.outcome) == ("failed", "release_failed")  # type: ignore[attr-defined]
    assert released.getMessage().endswith(f"(a retry waits for the lease to expire): {problem}")


@pytest.mark.parametrize("answer", [True, False])
def test_a_bool_from_release_is_not_logged(answer: bool, caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore(answers={"release": answer})
    with pytest.raises(RuntimeError):
        receive(WEBHOOK, Counting(1).router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert [r.outcome for r in records(caplog)] == ["failed"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("store", "status", "level", "logged", "message"),
    [
        (
            RecordingStore("claim"),
            503,
            logging.ERROR,
            ("store_unavailable", 503, "ConnectionError"),
            "idempotency store failed at claim for webhook delivery wh_1: "
            "ConnectionError: claim: connection refused\\nsecond line",
        ),
        (
            RecordingStore(answers={"claim": Claim("completed", NOW + HOUR)}),
            200,
            logging.INFO,
            ("duplicate", 200, None),
            "duplicate webhook delivery wh_1: already processed, handler not run",
        ),
        (
            RecordingStore(answers={"claim": Claim("in_progress", NOW + 30)}),
            409,
            logging.INFO,
            ("in_progress", 409, None),
            "webhook delivery wh_1 is being processed by another attempt: retry after 30 s",
        ),
    ],
    ids=["store down", "already processed", "held elsewhere"],
)
def test_each_claim_answer_but_acquired_is_logged_once_naming_the_delivery_and_its_event(
    store: RecordingStore,
    status: int,
    level: int,
    logged: tuple[str, int, str | None],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    answer = receive(WEBHOOK, Counting().router, BODY, signed(), idempotency=Idempotency(store), now=NOW)
    assert answer.status == status
    (record,) = records(caplog)
    assert (record.levelno, record.getMessage()) == (level, message)
    assert (record.outcome, record.status, record.error) == logged  # type: ignore[attr-defined]
    assert (record.webhook_id, record.event_id, record.event_type) == ("wh_1", PAYLOAD["id"], PAYLOAD["type"])  # type: ignore[attr-defined]


# --- A claim of unknown outcome is released at the next claim ------------------------------------------


def _deliver(idempotency: Idempotency, number: int, at: float = NOW, counting: Counting | None = None) -> Response:
    """Receive the delivery ``wh_<number>`` at *at*."""
    router = (counting or Counting()).router
    headers = signed(webhook_id=f"wh_{number}", timestamp=int(at))
    return receive(WEBHOOK, router, BODY, headers, idempotency=idempotency, now=at)


def test_a_claim_that_landed_but_whose_answer_was_lost_is_released_so_the_retry_is_processed_at_once() -> None:
    store, counting = RecordingStore(answers={"claim": None}), Counting()  # the claim is written; its answer is lost
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1, counting=counting).status == 503
    del store.answers["claim"]
    retry = _deliver(idempotency, 1, NOW + 5, counting)
    assert retry == Response(200, "ok")  # not 409 for the rest of a 60 s lease
    assert store.calls == ["claim", "release", "claim", "complete"]
    assert store.arguments[1] == store.arguments[0][:2]  # the lost claim's key and token
    assert counting.runs == [PAYLOAD["id"]]


def test_a_claim_that_raised_is_released_before_the_next_claim_of_any_delivery_and_only_once() -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1).status == 503
    store.failing.clear()
    assert _deliver(idempotency, 2, NOW + 1).status == 200
    assert _deliver(idempotency, 3, NOW + 2).status == 200
    assert store.calls == ["claim", "release", "claim", "complete", "claim", "complete"]
    assert store.arguments[1] == store.arguments[0][:2]
    assert idempotency._unsettled == []


@pytest.mark.parametrize(
    "failure",
    [{"error": ConnectionError("reset")}, {"error": GreenletTimeout("2 seconds")}, {"answers": {"release": None}}],
    ids=["ConnectionError", "BaseException", "not a bool"],
)
def test_a_pending_release_that_fails_is_kept_and_tried_again_at_the_following_claim(failure: dict[str, Any]) -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1).status == 503
    store.failing = {"release"} if "error" in failure else set()
    store.error = failure.get("error")
    store.answers = failure.get("answers", {})
    assert _deliver(idempotency, 2, NOW + 1).status == 200  # the claim goes on: the release is best effort
    store.failing, store.answers = set(), {}
    assert _deliver(idempotency, 3, NOW + 2).status == 200
    assert store.calls == ["claim", "release", "claim", "complete", "release", "claim", "complete"]
    assert store.arguments[1] == store.arguments[4] == store.arguments[0][:2]
    assert idempotency._unsettled == []


def test_while_the_store_stays_down_one_claim_a_settle_pause_tries_one_release_and_every_claim_is_kept() -> None:
    store = RecordingStore("claim", "release")
    idempotency = Idempotency(store)
    times = [
        NOW,
        NOW + 0.1,
        NOW + 0.2,
        NOW + 0.1 + SETTLE_PAUSE * 0.99,
        NOW + 0.1 + SETTLE_PAUSE,
    ]  # 1st release at +0.1
    for number, at in enumerate(times):
        assert _deliver(idempotency, number, at).status == 503
    assert store.calls == ["claim", "release", "claim", "claim", "claim", "release", "claim"]
    claims = [arguments for arguments in store.arguments if len(arguments) == 4]
    assert idempotency._unsettled == [(key, token, expires_at) for key, token, _, expires_at in claims]


def test_each_failed_release_of_pending_claims_logs_one_warning_naming_the_first_key_and_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore("claim", "release")
    idempotency = Idempotency(store)
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    for number, at in enumerate([NOW, NOW + 0.1, NOW + 0.2, NOW + 0.1 + SETTLE_PAUSE]):  # releases at +0.1, +1.1
        assert _deliver(idempotency, number, at).status == 503
    store.failing = {"release"}
    store.answers = {}
    assert _deliver(idempotency, 9, NOW + 0.1 + 2 * SETTLE_PAUSE).status == 200  # the claim goes on
    warnings = [record for record in records(caplog) if record.levelno == logging.WARNING]
    assert [record.outcome for record in warnings] == ["settle_failed"] * 3  # type: ignore[attr-defined]
    assert [(record.status, record.error, record.webhook_id) for record in warnings] == [  # type: ignore[attr-defined]
        (None, "ConnectionError", None)
    ] * 3
    assert [record.getMessage() for record in warnings] == [
        f"idempotency store failed to release a claim of unknown outcome (openai-webhook-events#wh_0); {kept} kept, "
        "tried again at a claim 1 s later or after (each blocks its key): "
        "ConnectionError: release: connection refused\\nsecond line"
        for kept in (1, 3, 4)
    ]
    tokens = [arguments[1] for arguments in store.arguments if len(arguments) == 4]
    assert not any(token in record.getMessage() for token in tokens for record in warnings)


def test_a_pending_release_answering_outside_the_protocol_is_logged_naming_the_store_and_its_operation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1).status == 503
    store.failing, store.answers = set(), {"release": None}
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    assert _deliver(idempotency, 2, NOW + 1).status == 200
    (warning,) = [record for record in records(caplog) if record.levelno == logging.WARNING]
    assert warning.getMessage().endswith("RecordingStore.release answered None, not a bool")


@pytest.mark.parametrize("answered", [1, 2])
def test_when_a_later_pending_release_fails_it_and_the_ones_after_it_are_kept_and_the_released_ones_are_not(
    answered: int,
) -> None:
    store = RecordingStore("claim", "release")
    idempotency = Idempotency(store)
    for number, at in enumerate([NOW, NOW + 0.1, NOW + 0.2, NOW + 0.3]):  # four claims of unknown outcome
        assert _deliver(idempotency, number, at).status == 503
    pending = list(idempotency._unsettled)
    released: list[str] = []

    def release_some(key: str, token: str) -> bool:  # the store answers *answered* releases, then is down again
        if len(released) == answered:
            raise ConnectionError("down again")
        released.append(key)
        return True

    store.release = release_some  # type: ignore[method-assign]
    assert _deliver(idempotency, 9, NOW + 0.1 + SETTLE_PAUSE).status == 503
    assert released == [key for key, _, _ in pending[:answered]]
    assert idempotency._unsettled[: len(pending) - answered] == pending[answered:]


def test_a_release_of_pending_claims_that_answers_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1).status == 503
    store.failing.clear()
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    caplog.clear()
    assert _deliver(idempotency, 2, NOW + 1).status == 200
    assert store.calls[1] == "release"
    assert [record.outcome for record in records(caplog)] == ["processed"]  # type: ignore[attr-defined]


def test_at_most_max_unsettled_claims_are_kept_the_oldest_forgotten_first() -> None:
    store = RecordingStore("claim", "release")
    idempotency = Idempotency(store)
    for number in range(MAX_UNSETTLED + 3):
        _deliver(idempotency, number)
    assert len(idempotency._unsettled) == MAX_UNSETTLED
    store.failing.clear()
    released: list[str] = []
    for number in range(1, MAX_UNSETTLED // SETTLE_BATCH + 2):  # each delivery releases at most SETTLE_BATCH first
        store.calls.clear()
        store.arguments.clear()
        assert _deliver(idempotency, -number, NOW + SETTLE_PAUSE).status == 200
        assert store.calls[-2:] == ["claim", "complete"]
        assert len(store.calls) - 2 == min(SETTLE_BATCH, MAX_UNSETTLED - len(released))
        released += [key for key, *_ in store.arguments[:-2]]
    assert released == [f"openai-webhook-events#wh_{number}" for number in range(3, MAX_UNSETTLED + 3)]


def test_a_failed_batch_of_releases_goes_back_in_front_of_the_claims_it_left_in_order() -> None:
    store = RecordingStore("claim", "release")
    idempotency = Idempotency(store)
    for number in range(SETTLE_BATCH + 2):  # one release tried (and failed) at the second; the rest in the pause
        _deliver(idempotency, number, NOW + number / 100)
    before = list(idempotency._unsettled)
    assert len(before) == SETTLE_BATCH + 2
    assert _deliver(idempotency, 99, NOW + 1 + SETTLE_PAUSE).status == 503  # a batch tried: its first release fails
    assert idempotency._unsettled[: len(before)] == before
    assert len(idempotency._unsettled) == len(before) + 1  # and this delivery's own claim of unknown outcome


def test_a_claim_of_unknown_outcome_whose_lease_ran_out_is_not_released() -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store, lease=30)
    assert _deliver(idempotency, 1).status == 503
    store.failing.clear()
    assert _deliver(idempotency, 2, NOW + 30).status == 200  # the store would take the expired record over anyway
    assert store.calls == ["claim", "claim", "complete"]
    assert idempotency._unsettled == []


def test_an_interrupt_during_a_pending_release_propagates_and_the_claim_stays_pending() -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    assert _deliver(idempotency, 1).status == 503
    store.failing, store.error = {"release"}, KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        _deliver(idempotency, 2, NOW + 1)
    assert store.calls == ["claim", "release"]
    assert [key for key, *_ in idempotency._unsettled] == ["openai-webhook-events#wh_1"]


def test_a_copy_of_an_idempotency_shares_its_pending_claims() -> None:
    idempotency = Idempotency(RecordingStore())
    copied = copy.copy(idempotency)  # as the ASGI app bounds its store calls
    copied._unsettle("key", "token", NOW + 60)
    assert idempotency._unsettled == [("key", "token", NOW + 60)]


def test_threads_claiming_at_once_release_each_pending_claim_once() -> None:
    store = RecordingStore("claim")
    idempotency = Idempotency(store)
    for number in range(20):
        assert _deliver(idempotency, number).status == 503
    store.failing.clear()
    start = threading.Barrier(8)
    statuses: list[int] = []

    def deliver(number: int) -> None:
        start.wait()
        statuses.append(_deliver(idempotency, 100 + number, NOW + 1).status)

    threads = [threading.Thread(target=deliver, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    released = [arguments[0] for arguments in store.arguments if len(arguments) == 2]  # release(key, token)
    assert sorted(released) == sorted(f"openai-webhook-events#wh_{number}" for number in range(20))
    assert idempotency._unsettled == []


# --- Verified once -------------------------------------------------------------------------------


def test_one_delivery_reads_its_headers_once_and_hands_the_verified_values_on(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[object] = []
    pairs_of = _headers._pairs  # every read of the one header reader starts here, whoever imported it

    def counting(headers: Any) -> Any:
        reads.append(headers)
        return pairs_of(headers)

    monkeypatch.setattr(_headers, "_pairs", counting)
    kept: list[dict[str, str]] = []
    headers = signed(b"{}")
    pairs = iter([("WEBHOOK-ID", headers["webhook-id"]), ("Webhook-Timestamp", headers["webhook-timestamp"]),
                  ("webhook-signature", headers["webhook-signature"].encode())])  # fmt: skip
    answer = receive(WEBHOOK, Router(), b"{}", pairs, now=NOW, dead_letter=lambda _, h: kept.append(h))
    assert (answer.status, answer.message, len(reads)) == (200, "dead-lettered", 1)
    assert kept == [headers]  # one-shot pairs, read once: the values as verified, under lower-case names


# --- Options checked once ------------------------------------------------------------------------


def test_each_adapter_checks_its_options_when_it_is_made_and_never_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting()
    store = Idempotency(MemoryStore())
    lambda_app = aws_lambda.lambda_handler(WEBHOOK, counting.router, idempotency=store, dead_letter=print)
    worker = aws_lambda.sqs_handler(WEBHOOK, counting.router, idempotency=store, dead_letter=print)
    wsgi_app = wsgi.app(WEBHOOK, counting.router, idempotency=store, dead_letter=print)
    asgi_app = asgi.app(WEBHOOK, counting.router, dead_letter=print)

    def checked(*_: object, **__: object) -> Options:
        raise AssertionError("options checked again")

    monkeypatch.setattr(Options, "of", checked)
    headers = [(name, value) for name, value in WEBHOOK.sign(BODY, webhook_id="wh_http").items()]
    event = lambda_event("apiGatewayProxyV2Event.json", BODY, headers, base64_body=False)
    assert lambda_app(event, None)["statusCode"] == 200
    queued = sqs_record("m", BODY.decode(), WEBHOOK.sign(BODY, webhook_id="wh_queued"), sent_at=time.time())
    assert worker(sqs_event(queued), None) == {"batchItemFailures": []}
    wsgi_headers = WEBHOOK.sign(BODY, webhook_id="wh_wsgi")
    assert call(wsgi_app, environ(BODY, wsgi_headers))[0] == "200 OK"
    answered = asyncio.run(drive(asgi_app, [BODY], scope(WEBHOOK.sign(BODY, webhook_id="wh_asgi"))))
    assert answered["status"] == 200
    assert len(counting.runs) == 4
    with pytest.raises(AssertionError, match="checked again"):
        receive(WEBHOOK, counting.router, BODY, signed())  # called directly: checked per call


def test_an_event_no_handler_takes_is_answered_200_and_logged_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    assert receive(WEBHOOK, Router(), BODY, signed(), now=NOW) == Response(200, "ok")
    (record,) = records(caplog)
    assert record.getMessage() == f"no handler for webhook event {PAYLOAD['id']} ({PAYLOAD['type']})"
    assert (record.levelno, record.outcome, record.status) == (logging.DEBUG, "ignored", 200)  # type: ignore[attr-defined]


def test_complete_args_name_the_key_token_and_retention_and_are_empty_without_idempotency() -> None:
    router = Counting().router
    plain = begin(WEBHOOK, router, BODY, signed(), now=NOW)
    assert isinstance(plain, Attempt)
    assert plain.complete_args(NOW + 1) == ("", "", NOW + 1, NOW + 1)  # nothing to record, nothing retained
    assert plain.complete_args() == ("", "", NOW, NOW)  # begin's fixed clock
    idempotency = Idempotency(MemoryStore())
    held = begin(WEBHOOK, router, BODY, signed(), idempotency=idempotency, now=NOW)
    assert isinstance(held, Attempt)
    key, token, finished, expires_at = held.complete_args()  # begin's fixed clock
    assert (key, finished, expires_at) == ("openai-webhook-events#wh_1", NOW, NOW + idempotency.retention)
    assert token == held.release_args[1]
    assert len(token) == 32
