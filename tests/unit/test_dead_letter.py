"""Signed but invalid deliveries (ERROR, 400 or the dead letter) and the hand-off option of the receive step."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import pytest

from openai_webhook_events import (
    InvalidPayloadError,
    Router,
    Webhook,
    WebhookConfigurationError,
    asgi,
    aws_lambda,
    wsgi,
)
from openai_webhook_events._receive import receive
from openai_webhook_events.idempotency import Idempotency, MemoryStore
from tests import helpers
from tests.helpers import Runs, call, drive, environ, records, scope
from tests.strategies import example_payload, lambda_event, whsec

SECRET = whsec(b"dead letter test secret 32 bytes")
WEBHOOK = Webhook(SECRET)
NOW = 1_800_000_000
BODY = json.dumps(example_payload("response.completed")).encode()
INVALID = [b"{not json", b'{"type": "response.completed", "id": 7}', b"[]", "\u00e9t\u00e9".encode("latin-1")]
FIELDS = ("webhook_id", "event_id", "event_type", "outcome", "status", "error")


def signed(body: bytes, webhook_id: str = "wh_dl") -> dict[str, str]:
    return WEBHOOK.sign(body, webhook_id=webhook_id, timestamp=NOW)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in FIELDS}


class Kept:
    """A dead letter (or a hand-off's ``send``) that keeps what it is given, or raises."""

    def __init__(self, fail: bool = False) -> None:
        self.kept: list[tuple[bytes, dict[str, str]]] = []
        self.fail = fail

    def __call__(self, body: bytes, headers: dict[str, str]) -> None:
        if self.fail:
            raise ConnectionError("bucket unreachable")
        self.kept.append((body, dict(headers)))

    def send(self, body: bytes, headers: Mapping[str, str]) -> None:
        self(body, dict(headers))


# --- Signed but invalid -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", INVALID)
def test_a_signed_invalid_body_is_answered_400_and_logged_at_error(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    runs = Runs()
    answer = receive(WEBHOOK, runs.router, body, signed(body), now=NOW)
    assert (answer.status, answer.message) == (400, "invalid payload")
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert fields(record)["outcome"] == "invalid"
    assert record.getMessage().startswith("signed webhook delivery wh_dl is not a valid event: ")
    assert runs.events == []


@pytest.mark.parametrize(
    "headers",
    [
        {"webhook-id": "wh_dl", "webhook-timestamp": str(NOW), "webhook-signature": "v1," + "A" * 44},  # forged
        {"webhook-id": "wh_dl", "webhook-timestamp": str(NOW)},  # no signature
        signed(b"{not json") | {"webhook-timestamp": str(NOW - 301)},  # stale
    ],
)
def test_an_unsigned_invalid_body_stays_a_warning_and_never_reaches_the_dead_letter(
    headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    dead_letter = Kept()
    answer = receive(WEBHOOK, Runs().router, b"{not json", headers, now=NOW, dead_letter=dead_letter)
    assert answer.status == 401
    [record] = records(caplog)
    assert (record.levelno, fields(record)["outcome"]) == (logging.WARNING, "rejected")
    assert dead_letter.kept == []


def test_an_oversized_body_is_refused_before_verification_and_never_reaches_the_dead_letter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead_letter = Kept()
    small = Webhook(SECRET, max_body_bytes=4)
    answer = receive(small, Runs().router, b"{not json", signed(b"{not json"), now=NOW, dead_letter=dead_letter)
    assert answer.status == 413  # PayloadTooLargeError, before the signature is checked
    [record] = records(caplog)
    assert (record.levelno, fields(record)["outcome"]) == (logging.WARNING, "too_large")
    assert dead_letter.kept == []


@pytest.mark.parametrize(
    ("body", "as_text"), [(body, False) for body in INVALID] + [(body, True) for body in INVALID[:3]]
)  # the last is not UTF-8: no str holds it
def test_with_a_dead_letter_a_signed_invalid_body_is_kept_and_answered_200(
    body: bytes, as_text: bool, caplog: pytest.LogCaptureFixture
) -> None:
    dead_letter, runs, store = Kept(), Runs(), MemoryStore()
    headers = {**signed(body), "Authorization": "Bearer do-not-copy", "Webhook-Id": "wh_dl"}
    given: bytes | str = body.decode() if as_text else body
    answer = receive(WEBHOOK, runs.router, given, headers, now=NOW, dead_letter=dead_letter,
                     idempotency=Idempotency(store))  # fmt: skip
    assert (answer.status, answer.message) == (200, "dead-lettered")
    assert dead_letter.kept == [(body, signed(body))]  # the bytes as signed, the three webhook-* headers only
    WEBHOOK.verify(*dead_letter.kept[0], now=NOW)  # enough to verify it again later
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert fields(record)["outcome"] == "dead_lettered"
    assert runs.events == []
    assert store.claim("openai-webhook-events#wh_dl", "probe", NOW, NOW + 1).state == "acquired"  # never claimed


def test_a_dead_letter_that_raises_answers_503_with_retry_after_and_logs_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = receive(WEBHOOK, Runs().router, b"[]", signed(b"[]"), now=NOW, dead_letter=Kept(fail=True))
    assert (answer.status, answer.headers[1:]) == (503, (("retry-after", "5"),))
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert fields(record) == {"webhook_id": "wh_dl", "event_id": None, "event_type": None,
                              "outcome": "dead_letter_failed", "status": 503, "error": "ConnectionError"}  # fmt: skip
    assert "bucket unreachable" in record.getMessage()


def test_a_valid_delivery_never_reaches_the_dead_letter() -> None:
    dead_letter, runs = Kept(), Runs()
    assert receive(WEBHOOK, runs.router, BODY, signed(BODY), now=NOW, dead_letter=dead_letter).status == 200
    assert (dead_letter.kept, len(runs.events)) == ([], 1)


def test_lambda_handler_passes_the_dead_letter_through() -> None:
    dead_letter = Kept()
    handler = aws_lambda.lambda_handler(WEBHOOK, Runs().router, dead_letter=dead_letter)
    event = lambda_event("apiGatewayProxyV2Event.json", b"[]", list(WEBHOOK.sign(b"[]").items()), base64_body=False)
    assert handler(event, None)["statusCode"] == 200
    assert [body for body, _ in dead_letter.kept] == [b"[]"]


# --- Hand-off (receive step level; the SQS queue itself: tests/unit/test_queue.py) -----------------------


def test_with_a_hand_off_a_verified_delivery_is_forwarded_and_answered_200_without_a_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    queue = Kept()
    headers = {**signed(BODY), "Cookie": "session=secret"}
    answer = receive(WEBHOOK, None, BODY, headers, now=NOW, hand_off=queue)
    assert (answer.status, answer.message) == (200, "queued")
    assert queue.kept == [(BODY, signed(BODY))]
    [record] = records(caplog)
    assert fields(record)["outcome"] == "handed_off"
    assert fields(record)["event_type"] == "response.completed"


@pytest.mark.parametrize("body", INVALID)
def test_a_signed_invalid_body_is_not_handed_off(body: bytes) -> None:
    queue, dead_letter = Kept(), Kept()
    assert receive(WEBHOOK, None, body, signed(body), now=NOW, hand_off=queue).status == 400
    assert receive(WEBHOOK, None, body, signed(body), now=NOW, hand_off=queue, dead_letter=dead_letter).status == 200
    assert (queue.kept, len(dead_letter.kept)) == ([], 1)


def test_a_forged_delivery_is_not_handed_off() -> None:
    queue = Kept()
    forged = {**signed(BODY), "webhook-signature": "v1," + "A" * 44}
    assert receive(WEBHOOK, None, BODY, forged, now=NOW, hand_off=queue).status == 401
    assert queue.kept == []


def test_a_hand_off_that_raises_answers_503_with_retry_after_and_logs_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = receive(WEBHOOK, None, BODY, signed(BODY), now=NOW, hand_off=Kept(fail=True))
    assert (answer.status, answer.message, answer.headers[1:]) == (503, "queue unavailable", (("retry-after", "5"),))
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert (fields(record)["outcome"], fields(record)["error"]) == ("hand_off_failed", "ConnectionError")


class NoSend:
    pass


ELSEWHERE = (
    "with hand_off= the handlers run in the queue's worker (aws_lambda.sqs_handler): "
    "pass router=None and give the router and idempotency to the worker"
)
REFUSED_OPTIONS = [  # each with its whole message (matched as a regular expression: escaped)
    (None, {}, re.escape("router is None: pass a Router, or hand_off= to forward deliveries")),
    (None, {"hand_off": NoSend()}, re.escape("hand_off must have a send(body, headers) method")),
    (Router(), {"hand_off": Kept()}, re.escape(ELSEWHERE)),
    (None, {"hand_off": Kept(), "idempotency": Idempotency(MemoryStore())}, re.escape(ELSEWHERE)),
    (Router(), {"dead_letter": "s3://bucket"}, re.escape("dead_letter must be a callable dead_letter(body, headers)")),
]


@pytest.mark.parametrize(("router", "options", "message"), REFUSED_OPTIONS)
def test_options_that_cannot_work_together_are_refused_when_the_handler_is_made(
    router: Router | None, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(WebhookConfigurationError, match=f"^{message}$"):
        aws_lambda.lambda_handler(WEBHOOK, router, **options)
    with pytest.raises(WebhookConfigurationError, match=f"^{message}$"):
        receive(WEBHOOK, router, BODY, signed(BODY), now=NOW, **options)


@pytest.mark.parametrize(("router", "options", "message"), REFUSED_OPTIONS)
def test_the_wsgi_and_asgi_apps_refuse_options_that_cannot_work_together_when_they_are_made(
    router: Router | None, options: dict[str, Any], message: str
) -> None:
    makers: list[Any] = [wsgi.app, asgi.app]
    for make in makers:
        with pytest.raises(WebhookConfigurationError, match=f"^{message}$"):
            make(WEBHOOK, router, **options)


def served(adapter: str, application: Any, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """Status and message of *application* (a WSGI or an ASGI app) for one POST of *body*."""
    if adapter == "wsgi":
        status, _, answer = call(application, environ(body, headers))
        return int(status.split()[0]), answer["message"]
    answered = asyncio.run(drive(application, [body], scope(headers, length=len(body))))
    return answered["status"], answered["message"]


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
def test_the_wsgi_and_asgi_apps_pass_the_dead_letter_and_the_hand_off_through(adapter: str) -> None:
    make: Any = {"wsgi": wsgi.app, "asgi": asgi.app}[adapter]
    dead_letter, queue = Kept(), Kept()
    invalid = WEBHOOK.sign(b"[]", webhook_id="wh_dl")  # signed now: the apps verify at the clock
    handed = WEBHOOK.sign(BODY, webhook_id="wh_ho")
    keeping, forwarding = make(WEBHOOK, Runs().router, dead_letter=dead_letter), make(WEBHOOK, None, hand_off=queue)
    assert served(adapter, keeping, b"[]", invalid) == (200, "dead-lettered")
    assert served(adapter, forwarding, BODY, {**handed, "Cookie": "session=secret"}) == (200, "queued")
    assert dead_letter.kept == [(b"[]", invalid)]  # the three webhook-* headers, under their lower-case names
    assert queue.kept == [(BODY, handed)]


def test_a_handed_off_delivery_the_worker_refuses_is_logged_at_error_with_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    forged = {**WEBHOOK.sign(BODY, webhook_id="wh_q1"), "webhook-signature": "v1," + "A" * 44}
    worker = aws_lambda.sqs_handler(WEBHOOK, Runs().router)
    answer = worker(helpers.sqs_event(helpers.record("m-forged", BODY.decode(), forged)), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-forged"}]}
    [record] = records(caplog)
    assert (record.levelno, fields(record)["outcome"], fields(record)["status"]) == (logging.ERROR, "rejected", 401)
    assert record.getMessage() == (
        "handed-off webhook delivery refused by the worker (not from the producer, or the worker's secret or "
        "tolerance differs; left to the queue's redrive): no matching signature"
    )


@pytest.mark.parametrize("path", ["invalid", "dead_lettered", "dead_letter_failed", "handed_off", "hand_off_failed"])
def test_each_answer_and_record_of_the_dead_letter_and_hand_off_paths_is_pinned_whole(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openai_webhook_events")
    with pytest.raises(InvalidPayloadError) as refused:
        WEBHOOK.unwrap(b"[]", signed(b"[]"), now=NOW)
    error = refused.value
    reason = f"signed webhook delivery wh_dl is not a valid event: {error}"
    event_id = json.loads(BODY)["id"]
    failed = "ConnectionError: bucket unreachable"
    cases: dict[str, tuple[Any, tuple[int, str], dict[str, Any], str]] = {
        "invalid": ({}, (400, "invalid payload"), {"status": 400, "error": type(error).__name__}, reason),
        "dead_lettered": ({"dead_letter": Kept()}, (200, "dead-lettered"),
                          {"status": 200, "error": type(error).__name__}, f"{reason}; kept by the dead letter"),
        "dead_letter_failed": ({"dead_letter": Kept(fail=True)}, (503, "dead letter unavailable"),
                               {"status": 503, "error": "ConnectionError"},
                               f"{reason}; the dead letter failed (answered 503, OpenAI retries): {failed}"),
        "handed_off": ({"hand_off": Kept()}, (200, "queued"),
                       {"event_id": event_id, "event_type": "response.completed", "status": 200, "error": None},
                       f"handed off webhook event {event_id} (response.completed)"),
        "hand_off_failed": ({"hand_off": Kept(fail=True)}, (503, "queue unavailable"),
                            {"event_id": event_id, "event_type": "response.completed", "status": 503,
                             "error": "ConnectionError"},
                            f"hand-off failed for webhook delivery wh_dl (answered 503, OpenAI retries): {failed}"),
    }  # fmt: skip
    options, answered, expected, message = cases[path]
    body = BODY if "hand_off" in options else b"[]"
    router = None if "hand_off" in options else Runs().router
    answer = receive(WEBHOOK, router, body, signed(body), now=NOW, **options)
    assert (answer.status, answer.message) == answered
    [record] = records(caplog)
    base = {"webhook_id": "wh_dl", "event_id": None, "event_type": None, "outcome": path}
    level = logging.DEBUG if path == "handed_off" else logging.ERROR
    assert (record.levelno, fields(record)) == (level, {**base, **expected})
    assert record.getMessage() == message
