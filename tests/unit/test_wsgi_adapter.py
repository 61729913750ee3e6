"""``wsgi.app`` in process: each branch of reading a request and answering it.

tests/integration/test_http_servers.py serves it.
"""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus
from typing import Any

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from openai_webhook_events import (
    AsyncRouter,
    Router,
    Webhook,
    WebhookConfigurationError,
    WebhookEvent,
    aws_lambda,
    wsgi,
)
from openai_webhook_events.idempotency import Claim, Idempotency, MemoryStore
from tests import helpers
from tests.helpers import BODY, SECRET, Reads, RecordingStore, Runs, call

WEBHOOK = Webhook(SECRET, max_body_bytes=len(BODY) + 10)


def signed(body: bytes = BODY, webhook_id: str = "wh_wsgi") -> dict[str, str]:
    return WEBHOOK.sign(body, webhook_id=webhook_id)


def environ(body: bytes = BODY, headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A WSGI environ of a POST carrying *body* and *headers* (by default, signed); *extra* overrides."""
    return helpers.environ(body, signed(body) if headers is None else headers, **extra)


def test_a_signed_delivery_on_any_path_is_processed() -> None:
    runs = Runs()
    status, headers, body = call(wsgi.app(WEBHOOK, runs.router), environ())
    assert (status, headers["content-type"], body) == ("200 OK", "application/json", {"message": "ok"})
    assert runs.ids == ["wh_wsgi"]


def test_mounted_under_a_prefix_by_werkzeugs_dispatcher_it_answers_there() -> None:
    runs = Runs()

    def site(environ: Any, start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("content-type", "text/plain")])
        return [b"not here"]

    client = Client(DispatcherMiddleware(site, {"/webhooks/openai": wsgi.app(WEBHOOK, runs.router)}))
    answer = client.post("/webhooks/openai", data=BODY, headers=signed())
    assert (answer.status_code, answer.get_json(), runs.ids) == (200, {"message": "ok"}, ["wh_wsgi"])
    assert client.post("/elsewhere", data=BODY, headers=signed()).status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", None])
def test_every_method_but_post_is_answered_405_with_allow_post(method: str | None) -> None:
    env = environ()
    env["wsgi.input"] = Reads(BODY, readable=False)
    if method is None:
        del env["REQUEST_METHOD"]
    else:
        env["REQUEST_METHOD"] = method
    status, headers, body = call(wsgi.app(WEBHOOK, Runs().router), env)
    assert (status, headers["allow"], body) == ("405 Method Not Allowed", "POST", {"message": "use POST"})


def test_a_content_length_over_the_bound_is_answered_413_without_reading(caplog: pytest.LogCaptureFixture) -> None:
    big = BODY + b" " * 11
    env = environ(big)
    env["wsgi.input"] = Reads(big, readable=False)
    with caplog.at_level(logging.WARNING, "openai_webhook_events"):
        status, _, body = call(wsgi.app(WEBHOOK, Runs().router), env)
    assert (status.split()[0], body) == ("413", {"message": "payload too large"})
    assert [(r.outcome, r.status) for r in caplog.records] == [("too_large", 413)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("length", ["12x", "-1", " ", "١٢"])
def test_a_content_length_that_is_not_a_number_is_answered_400(length: str) -> None:
    status, _, body = call(wsgi.app(WEBHOOK, Runs().router), environ(CONTENT_LENGTH=length))
    assert (status, body) == ("400 Bad Request", {"message": "invalid payload"})


def test_a_content_length_that_is_not_text_is_answered_400() -> None:
    status, _, _ = call(wsgi.app(WEBHOOK, Runs().router), environ(CONTENT_LENGTH=len(BODY)))
    assert status == "400 Bad Request"


def test_a_body_without_length_is_read_to_its_end_when_the_server_terminates_it() -> None:
    runs = Runs()
    env = {**environ(CONTENT_LENGTH=""), "wsgi.input_terminated": True}
    assert call(wsgi.app(WEBHOOK, runs.router), env)[0] == "200 OK"
    assert runs.ids == ["wh_wsgi"]


def test_a_body_without_length_is_read_only_one_byte_past_the_bound() -> None:
    big = BODY + b" " * 10_000
    env = {**environ(big, signed(big), CONTENT_LENGTH=""), "wsgi.input_terminated": True}
    stream: Reads = env["wsgi.input"]
    status, _, body = call(wsgi.app(WEBHOOK, Runs().router), env)
    assert (status.split()[0], body, stream.taken) == ("413", {"message": "payload too large"}, len(BODY) + 11)


def test_a_body_without_length_on_an_unterminated_stream_is_not_read_and_not_acknowledged() -> None:
    runs = Runs()
    env = environ()
    del env["CONTENT_LENGTH"]
    env["wsgi.input"] = Reads(BODY, readable=False)
    assert call(wsgi.app(WEBHOOK, runs.router), env)[0] == "401 Unauthorized"  # an empty body: its signature fails
    assert runs.ids == []


def test_without_a_bound_any_body_is_read_whole() -> None:
    runs = Runs()
    unbounded = Webhook(SECRET, max_body_bytes=None)
    big = json.dumps({**json.loads(BODY), "padding": "x" * 200_000}).encode()
    assert call(wsgi.app(unbounded, runs.router), environ(big, signed(big)))[0] == "200 OK"
    terminated = {**environ(big, signed(big, "wh_2"), CONTENT_LENGTH=""), "wsgi.input_terminated": True}
    assert call(wsgi.app(unbounded, runs.router), terminated)[0] == "200 OK"
    assert runs.ids == ["wh_wsgi", "wh_2"]


def test_a_stream_shorter_than_its_content_length_is_read_to_its_end_and_rejected() -> None:
    env = environ(BODY[:-5], signed())  # signed whole, cut short in transit
    env["CONTENT_LENGTH"] = str(len(BODY))
    assert call(wsgi.app(WEBHOOK, Runs().router), env)[0] == "401 Unauthorized"


def test_header_values_beyond_ascii_are_read_as_the_utf8_bytes_received() -> None:
    runs = Runs()
    headers = signed(webhook_id="wh_é")
    received = {name: value.encode().decode("latin-1") for name, value in headers.items()}  # what WSGI gives
    assert call(wsgi.app(WEBHOOK, runs.router), environ(headers=received))[0] == "200 OK"
    assert runs.ids == ["wh_é"]


def test_repeated_headers_joined_by_the_server_are_read() -> None:
    runs = Runs()
    headers = signed()
    headers["webhook-signature"] += ",v1," + "A" * 43 + "="  # a second (rotated-out) signature, comma-joined
    headers["webhook-id"] = "wh_wsgi, wh_wsgi"
    env = environ(headers=headers, HTTP_X_NUMBER=5)  # a value that is not text is skipped
    assert call(wsgi.app(WEBHOOK, runs.router), env)[0] == "200 OK"


@pytest.mark.parametrize(("webhook_id", "status"), [("wh_wsgi", "200 OK"), ("wh_other", "401 Unauthorized")])
def test_a_second_spelling_of_a_webhook_header_in_the_environ_is_read_with_the_first(
    webhook_id: str, status: str
) -> None:
    runs = Runs()
    env = environ(HTTP_Webhook_Id=webhook_id)  # a server that keeps case: read as a repeat of webhook-id
    assert call(wsgi.app(WEBHOOK, runs.router), env)[0] == status
    assert runs.ids == (["wh_wsgi"] if status == "200 OK" else [])


def test_a_missing_webhook_header_is_missed_beside_another_header_naming_webhook(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = environ(HTTP_X_WEBHOOK_NOTE="hello")
    del env["HTTP_WEBHOOK_TIMESTAMP"]
    with caplog.at_level(logging.WARNING, "openai_webhook_events"):
        assert call(wsgi.app(WEBHOOK, Runs().router), env)[0] == "401 Unauthorized"
    assert [record.getMessage() for record in caplog.records] == [
        "rejected webhook delivery: missing header webhook-timestamp"
    ]


def test_the_three_ascii_webhook_headers_are_read_straight_into_a_dict_the_fast_path() -> None:
    headers = signed()
    env = environ(headers=headers, HTTP_USER_AGENT="OpenAI/1.0", HTTP_X_NUMBER=5)
    read = wsgi._headers(env)  # pyright: ignore[reportPrivateUsage]
    assert type(read) is dict
    assert read == headers


def test_off_the_fast_path_header_pairs_keep_ascii_values_as_text_and_others_as_their_bytes() -> None:
    env = environ(headers=signed(), HTTP_X_WEBHOOK_NOTE="hello", HTTP_X_NAME="caf\xe9", HTTP_X_NUMBER=5)
    read = wsgi._headers(env)  # pyright: ignore[reportPrivateUsage]
    assert isinstance(read, list)
    assert ("X-WEBHOOK-NOTE", "hello") in read
    assert ("X-NAME", b"caf\xe9") in read
    assert {name for name, _ in read} == {
        "WEBHOOK-ID",
        "WEBHOOK-TIMESTAMP",
        "WEBHOOK-SIGNATURE",
        "X-WEBHOOK-NOTE",
        "X-NAME",
    }


def test_an_environ_key_outside_http_is_never_read_as_a_header_though_it_ends_like_one() -> None:
    env = environ()
    env["CGI__WEBHOOK_ID"] = env.pop("HTTP_WEBHOOK_ID")  # not a header: WSGI puts headers under HTTP_
    assert call(wsgi.app(WEBHOOK, Runs().router), env)[0] == "401 Unauthorized"


def test_a_handler_that_raises_is_answered_500_logged_once_and_its_retry_processes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[str] = []
    router = Router()

    @router.fallback
    def handle(event: WebhookEvent) -> None:
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("downstream down")

    store = RecordingStore()
    application = wsgi.app(WEBHOOK, router, idempotency=Idempotency(store))
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        status, _, body = call(application, environ())
    assert (status, body) == ("500 Internal Server Error", {"message": "handler failed"})
    assert [r.outcome for r in caplog.records] == ["failed"]  # type: ignore[attr-defined]
    assert store.calls == ["claim", "release"]
    assert call(application, environ())[0] == "200 OK"
    assert call(application, environ())[2] == {"message": "already processed"}
    assert len(attempts) == 2


def test_an_interrupt_in_a_handler_is_not_answered_but_releases_the_claim() -> None:
    router = Router()
    router.fallback(lambda event: (_ for _ in ()).throw(KeyboardInterrupt))
    store = MemoryStore()
    with pytest.raises(KeyboardInterrupt):
        call(wsgi.app(WEBHOOK, router, idempotency=Idempotency(store)), environ())
    assert store.claim("openai-webhook-events#wh_wsgi", "t", time.time(), time.time() + 1).state == "acquired"


def test_an_async_router_is_refused_by_every_sync_adapter_when_it_is_made() -> None:
    refused = (
        r"^an AsyncRouter's handlers need openai_webhook_events\.asgi\.app to be awaited: give this adapter a Router$"
    )
    makers: list[Any] = [wsgi.app, aws_lambda.lambda_handler, aws_lambda.sqs_handler]  # type checkers refuse it too
    for make in makers:
        with pytest.raises(WebhookConfigurationError, match=refused):
            make(WEBHOOK, AsyncRouter())


def padded(size: int) -> bytes:
    """A valid delivery body of exactly *size* bytes (the event, then spaces)."""
    return BODY + b" " * (size - len(BODY))


def without_length(env: dict[str, Any]) -> dict[str, Any]:
    """*env* with no ``Content-Length`` and a stream the server ends (chunked)."""
    return {**env, "CONTENT_LENGTH": "", "wsgi.input_terminated": True}


@pytest.mark.parametrize("bound", [len(BODY) + 10, 3 * 64 * 1024 + 7])  # one read, and several
@pytest.mark.parametrize("length", [True, False])
def test_a_body_of_exactly_the_bound_is_accepted_with_or_without_a_content_length(bound: int, length: bool) -> None:
    runs = Runs()
    body = padded(bound)
    env = environ(body, signed(body))
    env = env if length else without_length(env)
    assert call(wsgi.app(Webhook(SECRET, max_body_bytes=bound), runs.router), env)[0] == "200 OK"
    assert (runs.ids, env["wsgi.input"].taken) == (["wh_wsgi"], bound)


NEXT_REQUEST = b"POST /next HTTP/1.1\r\n"  # what may follow a body on the connection


@pytest.mark.parametrize(
    ("max_body_bytes", "size", "length", "status", "taken"),
    [
        (None, 150_000, True, 200, 150_000),  # to its Content-Length, in three reads
        (200_000, 150_000, True, 200, 150_000),
        (100_000, 300_000, False, 413, 100_001),  # no length: one byte past the bound
    ],
)
def test_a_body_of_several_reads_is_read_to_its_length_or_one_byte_past_the_bound_and_no_further(
    max_body_bytes: int | None, size: int, length: bool, status: int, taken: int
) -> None:
    body = padded(size)
    env = environ(body, signed(body), **{"wsgi.input": Reads(body + NEXT_REQUEST)})
    env = env if length else without_length(env)
    answered = call(wsgi.app(Webhook(SECRET, max_body_bytes=max_body_bytes), Runs().router), env)[0]
    assert (answered, env["wsgi.input"].taken) == (f"{status} {HTTPStatus(status).phrase}", taken)  # 413's phrase: 3.13


def test_a_body_without_length_on_an_unterminated_stream_counts_as_empty() -> None:
    env = environ(b"", signed(b""))  # signed as the empty body it counts as
    del env["CONTENT_LENGTH"]
    env["wsgi.input"] = Reads(BODY, readable=False)
    status, _, body = call(wsgi.app(WEBHOOK, Runs().router), env)
    assert (status, body) == ("400 Bad Request", {"message": "invalid payload"})  # verified, and no event


def test_a_header_value_beyond_latin_1_from_a_server_outside_wsgi_is_read_not_raised() -> None:
    runs = Runs()
    application = wsgi.app(WEBHOOK, runs.router)
    assert call(application, environ(HTTP_X_NOTE="price in €"))[0] == "200 OK"  # PEP 3333 values are latin-1
    assert call(application, environ(HTTP_WEBHOOK_ID="wh_€"))[0] == "401 Unauthorized"
    assert runs.ids == ["wh_wsgi"]


@pytest.mark.parametrize("length", ["5\x0b", "\x0c5", "5\n", "\r5", "X5", "5\xa0"])
def test_a_content_length_padded_with_anything_but_spaces_and_tabs_is_answered_400(length: str) -> None:
    status, _, _ = call(wsgi.app(WEBHOOK, Runs().router), environ(CONTENT_LENGTH=length))
    assert status == "400 Bad Request"


def test_a_content_length_of_up_to_20_digits_is_read_and_a_longer_one_refused() -> None:
    twenty = str(len(BODY)).rjust(20, "0")
    status, _, _ = call(wsgi.app(WEBHOOK, Runs().router), environ(CONTENT_LENGTH=" \t" + twenty + "\t "))
    assert status == "200 OK"
    status, _, _ = call(wsgi.app(WEBHOOK, Runs().router), environ(CONTENT_LENGTH="0" + twenty))
    assert status == "400 Bad Request"


@pytest.mark.parametrize(
    "answer", [None, ("acquired", 0.0), Claim("acquired", float("inf"))], ids=["None", "tuple", "inf"]
)
def test_a_claim_answer_that_is_not_a_valid_claim_is_answered_503_with_an_error_log(
    answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    runs = Runs()
    application = wsgi.app(WEBHOOK, runs.router, idempotency=Idempotency(RecordingStore(answers={"claim": answer})))
    with caplog.at_level(logging.ERROR, "openai_webhook_events"):
        status, headers, body = call(application, environ())
    assert (status, headers["retry-after"], body, runs.ids) == (
        "503 Service Unavailable",
        "5",
        {"message": "store unavailable"},
        [],
    )
    [record] = caplog.records
    assert (record.outcome, record.error) == ("store_unavailable", "StoreAnswerError")  # type: ignore[attr-defined]
    assert "RecordingStore.claim answered" in record.getMessage()


def test_a_handler_returning_a_generator_is_answered_500_and_its_claim_released() -> None:
    def lines(event: WebhookEvent) -> Any:
        yield event  # pragma: no cover  (never iterated)

    router: Router[Any] = Router()
    router.fallback(lambda event: lines(event))
    store = RecordingStore()
    status, _, body = call(wsgi.app(WEBHOOK, router, idempotency=Idempotency(store)), environ())
    assert (status, body) == ("500 Internal Server Error", {"message": "handler returned a generator"})
    assert store.calls == ["claim", "release"]
