"""``asgi.app`` driven by ASGI messages in process: each branch.

tests/integration/test_http_servers.py serves it under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from openai_webhook_events import (
    AsyncRouter,
    Router,
    Webhook,
    WebhookConfigurationError,
    WebhookEvent,
    asgi,
    aws_lambda,
    current_delivery,
    wsgi,
)
from openai_webhook_events.idempotency import Claim, Idempotency, MemoryStore
from tests import helpers
from tests.helpers import BODY, SECRET, AsyncRuns, RecordingStore, call, environ, until
from tests.strategies import lambda_event

WEBHOOK = Webhook(SECRET, max_body_bytes=len(BODY) + 10)
KEY = "openai-webhook-events#wh_asgi"


def signed(body: bytes = BODY, webhook_id: str = "wh_asgi") -> dict[str, str]:
    return WEBHOOK.sign(body, webhook_id=webhook_id)


def scope(
    headers: dict[str, str] | None = None, method: str = "POST", length: int | None = len(BODY)
) -> dict[str, Any]:
    """An ASGI HTTP scope carrying *headers* (by default, signed) and a Content-Length of *length* unless None."""
    return helpers.scope(signed() if headers is None else headers, method, length)


def request(app: Any, chunks: Iterable[bytes] = (BODY,), the_scope: dict[str, Any] | None = None) -> dict[str, Any]:
    """Drive one HTTP request: the body in *chunks*; returns status, headers, the decoded body and bodies read."""
    return asyncio.run(drive(app, chunks, the_scope))


async def drive(app: Any, chunks: Iterable[bytes] = (BODY,), the_scope: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`request` on the running event loop (several at once with ``asyncio.gather``)."""
    return await helpers.drive(app, chunks, scope() if the_scope is None else the_scope)


def test_an_async_handler_is_awaited_and_sees_its_delivery() -> None:
    runs = AsyncRuns()
    answer = request(asgi.app(WEBHOOK, runs.router))
    assert (answer["status"], answer["message"], answer["headers"]["content-type"]) == (200, "ok", "application/json")
    assert runs.ids == ["wh_asgi"]


def test_plain_handlers_are_called_on_an_async_router_and_on_a_sync_router() -> None:
    seen: list[str] = []
    for router in (AsyncRouter(), Router()):
        router.fallback(lambda event: seen.append(current_delivery().webhook_id))
        assert request(asgi.app(WEBHOOK, router))["status"] == 200
    assert seen == ["wh_asgi", "wh_asgi"]


def test_a_body_in_several_messages_is_joined() -> None:
    runs = AsyncRuns()
    assert request(asgi.app(WEBHOOK, runs.router), [BODY[:7], b"", BODY[7:50], BODY[50:]])["read"] == 4
    assert runs.ids == ["wh_asgi"]


def test_a_content_length_over_the_bound_is_answered_413_before_any_body_is_received() -> None:
    answer = request(asgi.app(WEBHOOK, AsyncRuns().router), the_scope=scope(length=len(BODY) + 11))
    assert (answer["status"], answer["message"], answer["read"]) == (413, "payload too large", 0)


def test_a_body_over_the_bound_is_answered_413_as_soon_as_the_bytes_pass_it() -> None:
    chunks = [BODY, b" " * 11, b"never read"]
    answer = request(asgi.app(WEBHOOK, AsyncRuns().router), chunks, scope(length=None))
    assert (answer["status"], answer["read"]) == (413, 2)


def test_a_content_length_that_is_not_a_number_is_answered_400_as_the_wsgi_app_does() -> None:
    the_scope = scope(length=None)
    the_scope["headers"].append((b"content-length", b"lots"))
    answer = request(asgi.app(WEBHOOK, AsyncRuns().router), the_scope=the_scope)
    assert (answer["status"], answer["read"]) == (400, 0)


def test_without_a_bound_any_body_is_read_whole() -> None:
    unbounded = Webhook(SECRET, max_body_bytes=None)
    big = json.dumps({**json.loads(BODY), "padding": "x" * 200_000}).encode()
    headers = unbounded.sign(big, webhook_id="wh_asgi")
    runs = AsyncRuns()
    answer = request(asgi.app(unbounded, runs.router), [big[:100_000], big[100_000:]], scope(headers, length=len(big)))
    assert (answer["status"], runs.ids) == (200, ["wh_asgi"])


def test_a_client_that_leaves_before_its_body_ends_gets_no_answer_and_nothing_runs() -> None:
    runs = AsyncRuns()
    app = asgi.app(WEBHOOK, runs.router)
    sent: list[Any] = []
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": BODY[:10], "more_body": True}]
    messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app(scope(), receive, send))
    assert (sent, runs.ids) == ([], [])


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_every_method_but_post_is_answered_405_with_allow_post(method: str) -> None:
    answer = request(asgi.app(WEBHOOK, AsyncRuns().router), [], scope(method=method))
    assert (answer["status"], answer["headers"]["allow"], answer["message"]) == (405, "POST", "use POST")
    assert answer["read"] == 0


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [(signed(b"{}"), b"{}", 400), ({**signed(), "webhook-signature": "v1," + "A" * 44}, BODY, 401)],
)
def test_rejections_are_the_receive_steps(headers: dict[str, str], body: bytes, status: int) -> None:
    assert request(asgi.app(WEBHOOK, AsyncRuns().router), [body], scope(headers, length=len(body)))["status"] == status


def test_lifespan_startup_and_shutdown_are_acknowledged() -> None:
    app = asgi.app(WEBHOOK, AsyncRuns().router)
    incoming: list[dict[str, Any]] = [{"type": "lifespan.startup"}, {"type": "lifespan.other"}]
    incoming.append({"type": "lifespan.shutdown"})
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_websocket_is_closed_before_it_is_accepted_and_another_scope_type_raises() -> None:
    app = asgi.app(WEBHOOK, AsyncRuns().router)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "websocket"}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]
    with pytest.raises(ValueError, match="unsupported ASGI scope type 'webtransport'"):
        asyncio.run(app({"type": "webtransport"}, receive, send))


def test_routed_in_starlette_it_answers_at_the_exact_path_where_a_mount_redirects() -> None:
    """An object, not a function: Starlette's Route hands it the request as ASGI; a Mount answers 307 instead."""
    runs = AsyncRuns()
    app = asgi.app(WEBHOOK, runs.router)
    assert not inspect.isfunction(app)  # what Route checks to treat an endpoint as request -> response
    routed = Starlette(routes=[Route("/webhooks/openai", app)])
    with TestClient(routed, follow_redirects=False) as client:
        answer = client.post("/webhooks/openai", content=BODY, headers=signed())
        assert (answer.status_code, answer.json(), runs.ids) == (200, {"message": "ok"}, ["wh_asgi"])
        assert client.get("/webhooks/openai").status_code == 405  # every method reaches the app
        assert client.post("/elsewhere", content=BODY, headers=signed()).status_code == 404
    mounted = Starlette(routes=[Mount("/webhooks/openai", app=app)])
    with TestClient(mounted, follow_redirects=False) as client:
        answer = client.post("/webhooks/openai", content=BODY, headers=signed())
        assert (answer.status_code, answer.headers["location"]) == (307, "http://testserver/webhooks/openai/")
    assert runs.ids == ["wh_asgi"]


# --- Handler failures and idempotency ------------------------------------------------------------


@pytest.mark.parametrize("idempotent", [False, True])
def test_a_handler_that_raises_is_answered_500_logged_once_and_its_retry_processes(
    idempotent: bool, caplog: pytest.LogCaptureFixture
) -> None:
    runs, store = AsyncRuns(failures=1), RecordingStore()
    app = asgi.app(WEBHOOK, runs.router, idempotency=Idempotency(store) if idempotent else None)
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        failed, retried = request(app), request(app)
    assert (failed["status"], failed["message"]) == (500, "handler failed")
    assert (retried["status"], retried["message"]) == (200, "ok")
    assert [r.outcome for r in caplog.records] == ["failed"]  # type: ignore[attr-defined]
    assert runs.ids == ["wh_asgi", "wh_asgi"]
    assert store.calls == (["claim", "release", "claim", "complete"] if idempotent else [])


def test_a_cancelled_handler_releases_its_claim_and_the_cancellation_propagates() -> None:
    store = MemoryStore()
    runs = AsyncRuns(failures=1, error=asyncio.CancelledError)
    app = asgi.app(WEBHOOK, runs.router, idempotency=Idempotency(store))
    with pytest.raises(asyncio.CancelledError):
        request(app)
    assert store.claim(KEY, "t", time.time(), time.time() + 1).state == "acquired"  # released: free again


def test_a_duplicate_is_acknowledged_without_running_the_handler() -> None:
    runs = AsyncRuns()
    app = asgi.app(WEBHOOK, runs.router, idempotency=Idempotency(MemoryStore()))
    assert [request(app)["message"] for _ in range(2)] == ["ok", "already processed"]
    assert runs.ids == ["wh_asgi"]


def test_the_store_is_called_in_a_worker_thread_never_on_the_event_loop() -> None:
    store = RecordingStore()
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(store))
    loop_thread = threading.current_thread()  # asyncio.run runs the loop in this thread
    assert request(app)["status"] == 200
    assert len(store.threads) == 2
    assert loop_thread not in store.threads


def wait_for_calls(store: RecordingStore, calls: list[str]) -> None:
    """Until *store* has had exactly *calls* (at most 2 s): the late ones run in the store's own threads."""
    deadline = time.monotonic() + 2
    while store.calls != calls and time.monotonic() < deadline:
        time.sleep(0.01)


class Slow(RecordingStore):
    """A store whose operations in *slow* take *delay* seconds, then answer (or fail, if also in *failing*)."""

    def __init__(self, slow: set[str], delay: float, *failing: str) -> None:
        super().__init__(*failing)
        self.slow, self.delay = slow, delay
        self.finished = threading.Event()

    def _call(self, name: str, *args: Any) -> Any:
        if name in self.slow:
            time.sleep(self.delay)
        try:
            return super()._call(name, *args)
        finally:
            if name in self.slow:
                self.finished.set()


def impatient(store: RecordingStore, router: AsyncRouter | None = None) -> Any:
    """The ASGI app over *store* that waits 0.05 s for each store call (less than every :class:`Slow` delay here)."""
    return asgi.app(
        WEBHOOK, AsyncRuns().router if router is None else router, idempotency=Idempotency(store), store_timeout=0.05
    )


def test_a_claim_that_does_not_answer_in_time_is_answered_503_and_released_when_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, runs = Slow({"claim"}, 0.5), AsyncRuns()
    app = impatient(store, runs.router)
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        answer = request(app)
    assert not store.finished.is_set()  # answered before the store did
    assert (answer["status"], answer["headers"]["retry-after"], answer["message"]) == (503, "5", "store unavailable")
    (record,) = caplog.records
    assert (record.outcome, record.error) == ("store_unavailable", "TimeoutError")  # type: ignore[attr-defined]
    assert "did not answer within 0.05 s" in record.getMessage()
    assert store.finished.wait(2)
    wait_for_calls(store, ["claim", "release"])
    assert store.calls == ["claim", "release"]  # the late claim was acquired, then given back
    assert runs.ids == []


@pytest.mark.parametrize("failing", [(), ("claim",)])
def test_a_late_claim_that_acquired_nothing_is_left_alone(failing: tuple[str, ...]) -> None:
    inner = MemoryStore()
    inner.claim(KEY, "other attempt", time.time(), time.time() + 60)  # held by another attempt
    store = Slow({"claim"}, 0.2, *failing)
    store.inner = inner
    app = impatient(store)
    assert request(app)["status"] == 503
    assert store.finished.wait(2)
    time.sleep(0.05)
    assert store.calls == ["claim"]


def test_a_complete_that_does_not_answer_in_time_still_answers_200_with_an_error_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, runs = Slow({"complete"}, 0.2), AsyncRuns()
    app = impatient(store, runs.router)
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert request(app)["status"] == 200
    assert [r.outcome for r in caplog.records] == ["complete_failed"]  # type: ignore[attr-defined]
    assert store.finished.wait(2)
    assert runs.ids == ["wh_asgi"]


def test_when_every_store_call_is_stuck_the_next_one_waits_its_timeout_then_answers_503(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(asgi, "_MAX_STORE_CALLS", 1)
    stuck = threading.Event()

    class Stuck(MemoryStore):
        def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
            stuck.wait(5)
            return super().claim(key, token, now, expires_at)

    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(Stuck()), store_timeout=0.05)
    try:
        with caplog.at_level(logging.ERROR, "openai_webhook_events"):
            assert request(app)["status"] == 503  # the one call under way, stuck
            assert request(app)["status"] == 503  # no call may start
    finally:
        stuck.set()
    first, second = (record.getMessage() for record in caplog.records)
    assert "did not answer within 0.05 s" in first
    assert "idempotency store busy: 1 calls under way" in second


# --- Every adapter answers the same ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status"), [("valid", 200), ("forged", 401), ("malformed", 400), ("oversized", 413), ("raises", 500)]
)
def test_the_lambda_wsgi_and_asgi_adapters_answer_the_same_delivery_alike(case: str, status: int) -> None:
    body = {"malformed": b"{}", "oversized": BODY + b" " * 11}.get(case, BODY)
    headers = signed(body)
    if case == "forged":
        headers["webhook-signature"] = "v1," + "A" * 43 + "="
    router = Router()

    @router.fallback
    def handle(event: WebhookEvent) -> None:
        if case == "raises":
            raise RuntimeError("downstream down")

    try:
        event = lambda_event("apiGatewayProxyV2Event.json", body, list(headers.items()), base64_body=False)
        lambda_status = aws_lambda.lambda_handler(WEBHOOK, router)(event, None)["statusCode"]
    except RuntimeError:
        lambda_status = 500  # Lambda's own answer to a function that raised
    wsgi_status = int(call(wsgi.app(WEBHOOK, router), environ(body, headers))[0].split()[0])
    asgi_status = request(asgi.app(WEBHOOK, router), [body], scope(headers, length=len(body)))["status"]
    assert (lambda_status, wsgi_status, asgi_status) == (status, status, status)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "2"])
def test_a_store_timeout_that_is_not_a_number_of_seconds_is_refused(timeout: Any) -> None:
    with pytest.raises(WebhookConfigurationError, match="store_timeout must be a number of seconds > 0, not"):
        asgi.app(WEBHOOK, AsyncRuns().router, store_timeout=timeout)


def test_lifespan_ends_only_at_shutdown_whatever_comes_before() -> None:
    app = asgi.app(WEBHOOK, AsyncRuns().router)
    incoming = ["lifespan.startup", "lifespan.other", "lifespan.later", "lifespan.shutdown"]
    seen: list[str] = []

    async def receive() -> dict[str, Any]:
        seen.append(incoming.pop(0))
        return {"type": seen[-1]}

    async def send(message: Any) -> None:
        seen.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan.startup", "lifespan.startup.complete", "lifespan.other", "lifespan.later",
                    "lifespan.shutdown", "lifespan.shutdown.complete"]  # fmt: skip


BOUND = len(BODY) + 10
OVER = BODY + b" " * 11


@pytest.mark.parametrize(
    ("body", "headers", "length", "status", "message", "logged"),
    [
        (BODY, {**signed(), "webhook-signature": "v1," + "A" * 44}, str(len(BODY)), 401,
         "webhook verification failed", ("rejected", "SignatureMismatchError", "no matching signature")),
        (BODY, signed(), "12x", 400,
         "invalid payload", ("rejected", "InvalidPayloadError", "Content-Length is not a number of bytes")),
        (OVER, signed(OVER), str(len(OVER)), 413,
         "payload too large", ("too_large", "PayloadTooLargeError", f"body is larger than {BOUND} bytes")),
        (OVER, signed(OVER), None, 413,  # no length: the bytes pass the bound
         "payload too large", ("too_large", "PayloadTooLargeError", f"body is larger than {BOUND} bytes")),
    ],
    ids=["forged", "bad length", "length over the bound", "bytes over the bound"],
)  # fmt: skip
def test_the_wsgi_and_asgi_apps_answer_and_log_each_refusal_alike(
    body: bytes,
    headers: dict[str, str],
    length: str | None,
    status: int,
    message: str,
    logged: tuple[str, str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcome, error, text = logged
    env = environ(body, headers, CONTENT_LENGTH=length or "", **{"wsgi.input_terminated": length is None})
    the_scope = scope(headers, length=None)
    if length is not None:
        the_scope["headers"].append((b"content-length", length.encode()))
    with caplog.at_level(logging.WARNING, "openai_webhook_events"):
        wsgi_status, _, wsgi_body = call(wsgi.app(WEBHOOK, Router()), env)
        answer = request(asgi.app(WEBHOOK, Router()), [body], the_scope)
    assert (int(wsgi_status.split()[0]), wsgi_body) == (status, {"message": message})
    assert (answer["status"], answer["message"]) == (status, message)
    expected = (logging.WARNING, outcome, status, error, f"rejected webhook delivery: {text}")
    assert [(r.levelno, r.outcome, r.status, r.error, r.getMessage()) for r in caplog.records] == [expected] * 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("length", [BOUND, None])
def test_a_body_of_exactly_the_bound_is_accepted_with_or_without_its_content_length(length: int | None) -> None:
    runs = AsyncRuns()
    body = BODY + b" " * (BOUND - len(BODY))
    answer = request(asgi.app(WEBHOOK, runs.router), [body[:100], body[100:]], scope(signed(body), length=length))
    assert (answer["status"], runs.ids) == (200, ["wh_asgi"])


def test_a_request_message_without_a_body_key_adds_nothing_to_the_body() -> None:
    runs = AsyncRuns()
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": BODY, "more_body": True},
        {"type": "http.request", "more_body": True},  # ASGI: "body" defaults to b"", "more_body" to False
        {"type": "http.request"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(asgi.app(WEBHOOK, runs.router)(scope(), receive, send))
    assert (sent[0]["status"], messages, runs.ids) == (200, [], ["wh_asgi"])


class Called:
    """A dead letter, and a queue (``send``), that note the thread each call runs in."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def __call__(self, body: bytes, headers: dict[str, str]) -> None:
        self.threads.append(threading.current_thread().name)

    def send(self, body: bytes, headers: Any) -> None:
        self(body, dict(headers))


@pytest.mark.parametrize(
    ("option", "body", "outcome"), [(None, BODY, "processed"), ("dead_letter", b"[]", "dead_lettered"),
                                    ("hand_off", BODY, "handed_off")]
)  # fmt: skip
def test_the_receive_step_leaves_the_event_loop_only_to_call_a_dead_letter_or_a_queue(
    option: str | None, body: bytes, outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    called = Called()
    router = None if option == "hand_off" else AsyncRuns().router
    options: dict[str, Any] = {} if option is None else {option: called}
    app = asgi.app(WEBHOOK, router, **options)
    with caplog.at_level(logging.DEBUG, "openai_webhook_events"):
        assert request(app, [body], scope(signed(body), length=len(body)))["status"] == 200
    [record] = [r for r in caplog.records if r.outcome == outcome]  # type: ignore[attr-defined]
    loop_thread = threading.current_thread().name  # asyncio.run runs the loop in this thread
    if option is None:
        assert record.threadName == loop_thread  # no thread hop when nothing can block
    else:
        assert called.threads == [record.threadName]
        assert record.threadName != loop_thread


def test_a_dead_letter_beside_a_sync_store_receives_a_signed_delivery_that_is_not_an_event() -> None:
    called = Called()
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(MemoryStore()), dead_letter=called)
    assert request(app, [b"[]"], scope(signed(b"[]"), length=2))["status"] == 200
    assert len(called.threads) == 1


def test_a_sync_store_called_in_a_worker_thread_sees_the_requests_context_variables() -> None:
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")
    seen: list[str] = []

    class Seeing(MemoryStore):
        def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
            seen.append(tenant.get())
            return super().claim(key, token, now, expires_at)

    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(Seeing()))

    async def app_for_tenant(the_scope: Any, receive: Any, send: Any) -> None:  # as a middleware sets one
        tenant.set("acme")
        await app(the_scope, receive, send)

    assert request(app_for_tenant)["status"] == 200
    assert seen == ["acme"]


@pytest.mark.parametrize(("timeout", "shown"), [(-1, "-1"), ("2", "'2'"), (float("nan"), "nan")])
def test_a_refused_store_timeout_is_named_in_the_error(timeout: Any, shown: str) -> None:
    with pytest.raises(WebhookConfigurationError) as refused:
        asgi.app(WEBHOOK, AsyncRuns().router, store_timeout=timeout)
    assert str(refused.value) == f"store_timeout must be a number of seconds > 0, not {shown}"


def test_a_failed_handlers_release_runs_in_a_worker_thread_and_its_record_names_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore()
    app = asgi.app(WEBHOOK, AsyncRuns(failures=1).router, idempotency=Idempotency(store))
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert [request(app)["status"] for _ in range(2)] == [500, 200]
    assert store.calls == ["claim", "release", "claim", "complete"]
    assert threading.current_thread() not in store.threads
    assert [(r.outcome, r.error) for r in caplog.records] == [("failed", "RuntimeError")]  # type: ignore[attr-defined]


def test_a_claim_answered_after_its_timeout_leaves_the_key_free_again() -> None:
    store = Slow({"claim"}, 0.3)
    app = impatient(store)
    assert request(app)["status"] == 503
    assert store.finished.wait(2)
    wait_for_calls(store, ["claim", "release"])
    assert store.inner.claim(KEY, "probe", time.time(), time.time() + 1).state == "acquired"


def test_the_store_gets_each_calls_key_token_and_times_unchanged_through_the_worker_thread() -> None:
    store, retention = RecordingStore(), 7 * 24 * 3600
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(store, retention=retention, lease=30))
    before = time.time()
    assert request(app)["status"] == 200
    after = time.time()
    assert store.calls == ["claim", "complete"]
    (key, token, claimed_at, lease_ends), (done_key, done_token, done_at, kept_until) = store.arguments
    assert key == "openai-webhook-events#wh_asgi"
    assert before <= claimed_at <= done_at <= after
    assert (lease_ends, done_key, done_token, kept_until) == (claimed_at + 30, key, token, done_at + retention)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_a_slow_store_call_after_a_handler_does_not_hold_up_another_request(outcome: str) -> None:
    """The completion (or, after a failure, the release) runs off the event loop: another request goes on meanwhile."""
    slow_started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    class SlowAfterHandler(RecordingStore):
        def _call(self, name: str, *args: Any) -> Any:
            if name in ("complete", "release") and args[0].endswith("wh_slow"):
                slow_started.set()
                release.wait(5)
            return super()._call(name, *args)

    router = AsyncRouter()

    @router.fallback
    async def handle(event: WebhookEvent) -> None:
        if current_delivery().webhook_id == "wh_slow":
            if outcome == "failed":
                raise RuntimeError("downstream down")
            return
        for _ in range(1000):  # until the other request is in its slow store call (at most 5 s)
            if slow_started.is_set():
                break
            await asyncio.sleep(0.005)

    app = asgi.app(WEBHOOK, router, idempotency=Idempotency(SlowAfterHandler()), store_timeout=10)

    async def deliver(webhook_id: str) -> None:
        await drive(app, the_scope=scope(signed(webhook_id=webhook_id)))
        finished.append(webhook_id)
        if webhook_id == "wh_fast":
            release.set()

    async def both() -> None:
        await asyncio.gather(deliver("wh_slow"), deliver("wh_fast"))

    asyncio.run(both())
    assert finished == ["wh_fast", "wh_slow"]


def test_the_store_is_called_in_named_daemon_threads_and_its_answers_and_errors_come_back() -> None:
    """A hung store call never keeps the process alive; a slower answer within the timeout is waited for."""
    store = Slow({"claim"}, 0.05)
    answer = request(asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(store), store_timeout=2))
    assert answer["status"] == 200
    assert [(thread.name, thread.daemon) for thread in store.threads] == [("openai-webhook-events-store", True)] * 2
    down = request(
        asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(RecordingStore("claim")), store_timeout=2)
    )
    assert (down["status"], down["message"]) == (503, "store unavailable")


def test_a_late_claim_whose_release_fails_is_left_to_its_lease_quietly(caplog: pytest.LogCaptureFixture) -> None:
    store = Slow({"claim"}, 0.3, "release")
    app = impatient(store)
    with caplog.at_level(logging.WARNING):
        assert request(app)["status"] == 503
        wait_for_calls(store, ["claim", "release"])
        time.sleep(0.05)  # the release has raised in the store's thread by now
    assert store.calls == ["claim", "release"]
    assert [r.name for r in caplog.records if r.name != "openai_webhook_events"] == []  # concurrent.futures logs none


# --- Handlers that never ran, stores that misbehave ---------------------------------------------------


class GreenletTimeout(BaseException):
    """Like ``gevent.Timeout``: a ``BaseException`` raised in the middle of a store call."""


async def _never_iterated(event: WebhookEvent) -> Any:
    yield  # pragma: no cover


def _never_iterated_either(event: WebhookEvent) -> Any:
    yield  # pragma: no cover


@pytest.mark.parametrize("make", [_never_iterated, _never_iterated_either], ids=["async generator", "generator"])
def test_a_handler_returning_a_generator_is_answered_500_closed_and_released_off_the_loop(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store, returned = RecordingStore(), list[Any]()
    router: AsyncRouter[Any] = AsyncRouter()

    @router.fallback
    def handle(event: WebhookEvent) -> Any:
        returned.append(make(event))
        return returned[-1]

    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        answer = request(asgi.app(WEBHOOK, router, idempotency=Idempotency(store)))
    assert (answer["status"], answer["message"]) == (500, "handler returned a generator")
    assert store.calls == ["claim", "release"]
    assert threading.current_thread() not in store.threads
    assert caplog.records[0].threadName != threading.current_thread().name  # answered off the loop too
    [generator] = returned
    assert getattr(generator, "gi_frame", None) is getattr(generator, "ag_frame", None) is None  # closed
    assert [(r.outcome, r.status) for r in caplog.records] == [("not_run", 500)]  # type: ignore[attr-defined]


def test_an_async_handler_returning_a_generator_as_its_result_has_run() -> None:
    router: AsyncRouter[Any] = AsyncRouter()

    @router.fallback
    async def handle(event: WebhookEvent) -> Any:
        return iter(())  # its body ran: what it returns is its result

    assert request(asgi.app(WEBHOOK, router))["status"] == 200


@pytest.mark.parametrize(
    ("store", "logged"),
    [
        (RecordingStore(answers={"claim": None}), "StoreAnswerError: RecordingStore.claim answered None, not a Claim"),
        (RecordingStore(answers={"claim": Claim("acquired", float("nan"))}),
         "StoreAnswerError: RecordingStore.claim answered a Claim expiring at nan, not a finite number of seconds"),
        (RecordingStore("claim", error=GreenletTimeout("2 s")), "GreenletTimeout: 2 s"),
        (RecordingStore("claim", error=asyncio.CancelledError("in the store")), "CancelledError: in the store"),
    ],
    ids=["None", "nan", "BaseException", "the store's own CancelledError"],
)  # fmt: skip
def test_a_store_misbehaving_at_claim_through_the_worker_thread_is_answered_503_naming_the_store(
    store: RecordingStore, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    runs = AsyncRuns()
    with caplog.at_level(logging.ERROR):
        answer = request(asgi.app(WEBHOOK, runs.router, idempotency=Idempotency(store)))
    assert (answer["status"], answer["headers"]["retry-after"], runs.ids) == (503, "5", [])
    [record] = caplog.records  # nothing else, from any logger
    assert record.getMessage() == f"idempotency store failed at claim for webhook delivery wh_asgi: {logged}"


def test_a_complete_answer_that_is_not_a_bool_is_logged_naming_the_store_and_answered_200(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore(answers={"complete": None})
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert request(asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(store)))["status"] == 200
    [record] = caplog.records
    assert record.getMessage().endswith(": StoreAnswerError: RecordingStore.complete answered None, not a bool")


def test_a_release_answer_that_is_not_a_bool_is_logged_naming_the_store(caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore(answers={"release": None})
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        assert request(asgi.app(WEBHOOK, AsyncRuns(failures=1).router, idempotency=Idempotency(store)))["status"] == 500
    assert store.calls == ["claim", "release"]
    [_, record] = caplog.records  # the handler's failure, then the release's
    assert record.getMessage().endswith(": StoreAnswerError: RecordingStore.release answered None, not a bool")


def test_a_late_claim_answer_that_is_not_a_claim_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    store = Slow({"claim"}, 0.2)
    store.answers = {"claim": ("acquired", 0)}
    app = impatient(store)
    with caplog.at_level(logging.WARNING):
        assert request(app)["status"] == 503
        assert store.finished.wait(2)
        time.sleep(0.05)
    assert store.calls == ["claim"]  # nothing to release for an answer it cannot read
    assert [r.name for r in caplog.records] == ["openai_webhook_events"]  # no callback error logged elsewhere


# --- A request cancelled while its claim runs in a worker thread -----------------------------------


class Gated(RecordingStore):
    """A store whose first claim waits for :attr:`gate` (at most 5 s) after it is recorded, then answers."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def _call(self, name: str, *args: Any) -> Any:
        if name == "claim" and not self.gate.is_set():
            self.calls.append("gated")
            self.gate.wait(5)
            self.calls.remove("gated")
        return super()._call(name, *args)


async def cancelled_while_claiming(app: Any, store: Gated) -> None:
    """Start a request, cancel it while its claim waits in the store, then let the claim answer."""
    first = asyncio.ensure_future(drive(app))
    await until(lambda: store.calls == ["gated"])
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    store.gate.set()


def test_a_claim_acquired_after_its_request_was_cancelled_is_released_before_the_retry_claims() -> None:
    store, runs = Gated(), AsyncRuns()
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, runs.router, idempotency=idempotency)

    async def scenario() -> int:
        await cancelled_while_claiming(app, store)
        await until(lambda: len(idempotency._unsettled) == 1)  # remembered once it landed
        return (await drive(app))["status"]

    assert asyncio.run(scenario()) == 200  # not 409 for the rest of a 60 s lease
    assert store.calls == ["claim", "release", "claim", "complete"]
    assert store.arguments[1] == store.arguments[0][:2]  # the cancelled attempt's key and token
    assert runs.ids == ["wh_asgi"]
    assert idempotency._unsettled == []


def test_a_claim_held_elsewhere_after_its_request_was_cancelled_is_not_remembered() -> None:
    store = Gated()
    store.inner.claim(KEY, "other attempt", time.time(), time.time() + 60)
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency)

    async def scenario() -> None:
        await cancelled_while_claiming(app, store)
        await until(lambda: store.calls == ["claim"])
        await asyncio.sleep(0.05)  # the thread has ended and its answer come back

    asyncio.run(scenario())
    assert idempotency._unsettled == []


def test_a_claim_that_raises_an_interrupt_after_its_request_was_cancelled_is_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Gated()
    store.failing, store.error = {"claim"}, KeyboardInterrupt()
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency)

    async def scenario() -> None:
        await cancelled_while_claiming(app, store)
        await until(lambda: store.calls == ["claim"])
        await asyncio.sleep(0.05)  # the interrupt has left the worker thread

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert idempotency._unsettled == []  # nothing acquired, nothing to release
    assert caplog.records == []  # nor a callback error, nor an exception never retrieved


def test_a_claim_under_way_in_a_worker_thread_when_the_event_loop_ends_is_left_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Gated()
    idempotency = Idempotency(store)
    app = asgi.app(WEBHOOK, AsyncRuns().router, idempotency=idempotency, store_timeout=0.2)

    async def scenario() -> None:
        first = asyncio.ensure_future(drive(app))
        await until(lambda: store.calls == ["gated"])
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first  # the loop ends now, waiting for the worker thread, whose claim times out

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    store.gate.set()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING] == []
    assert [key for key, _, _ in idempotency._unsettled] == [KEY]  # the claim timed out: unknown outcome


def test_a_claim_answer_is_checked_once_through_the_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from openai_webhook_events.idempotency import _base

    checks: list[object] = []
    check = _base.checked_claim

    def counting(answer: object, store: object) -> Claim:
        checks.append(answer)
        return check(answer, store)

    monkeypatch.setattr(_base, "checked_claim", counting)
    monkeypatch.setattr(asgi, "checked_claim", counting, raising=False)  # wherever the app could check it
    assert request(asgi.app(WEBHOOK, AsyncRuns().router, idempotency=Idempotency(RecordingStore())))["status"] == 200
    assert len(checks) == 1
