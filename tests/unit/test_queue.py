"""The hand-off queue: ``queue.SQSQueue`` (producer) and ``aws_lambda.sqs_handler`` (worker, partial batch response).

The worker is fed real-shaped SQS events: copies of ``tests/data/lambda-events/sqsEvent.json`` (AWS's
sample) whose records carry our message attributes.  The producer runs end to end against moto's SQS
(``mock_aws``: boto3 serialises every request and parses every answer as with AWS; moto's queues answer
them in this process): producer sends, ``receive_message`` reads the queue, the Lambda SQS event is
built from the received messages, ``sqs_handler`` runs it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from openai_webhook_events import (
    InvalidPayloadError,
    MissingHeaderError,
    Router,
    Webhook,
    WebhookConfigurationError,
    WebhookEvent,
    aws_lambda,
)
from openai_webhook_events.idempotency import Claim, Idempotency, MemoryStore
from openai_webhook_events.queue import QueuedDelivery, SQSQueue, sqs_deliveries, sqs_id
from tests.helpers import BODY, NOW, SQS_SAMPLE, Runs, lambda_records, outcome, record, records, sqs_event
from tests.strategies import example_payload, lambda_event, whsec

SECRET = whsec(b"hand-off queue test secret, 32 b")
WEBHOOK = Webhook(SECRET)


def delivery(
    event_type: str = "batch.completed", webhook_id: str = "wh_q1", timestamp: float = NOW
) -> tuple[str, dict[str, str]]:
    payload = example_payload(event_type)
    payload["id"] = f"evt_{webhook_id}"
    body = json.dumps(payload)
    return body, WEBHOOK.sign(body, webhook_id=webhook_id, timestamp=int(timestamp))


def failures(answer: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


# --- The worker on real-shaped SQS events ----------------------------------------------------------


def test_the_sample_event_holds_no_handed_off_delivery_and_every_record_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(json.loads(SQS_SAMPLE.read_text()), None)
    assert failures(answer) == ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"]
    assert runs.events == []
    logged = records(caplog)
    assert [(r.levelno, r.outcome) for r in logged] == [(logging.ERROR, "rejected")] * 2  # type: ignore[attr-defined]
    assert "queue message 059f36b4-87a3-44ab-83d2-661975830a7d refused by the worker" in logged[0].getMessage()


def test_a_batch_is_handled_and_only_the_records_that_failed_are_reported() -> None:
    ok_body, ok_headers = delivery(webhook_id="wh_ok")
    bad_body, bad_headers = delivery(webhook_id="wh_bad")
    runs = Runs("evt_wh_bad")
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(
        sqs_event(record("m-ok", ok_body, ok_headers), record("m-bad", bad_body, bad_headers)), None
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert runs.events == ["evt_wh_ok", "evt_wh_bad"]


def test_a_record_sent_long_ago_is_verified_against_when_the_queue_took_it_in() -> None:
    hours_ago = NOW - 5 * 3600  # in the queue for 5 hours (retries, a backlog): not a replay
    body, headers = delivery(timestamp=hours_ago)
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(sqs_event(record("m1", body, headers, hours_ago)), None)
    assert (failures(answer), runs.events) == ([], ["evt_wh_q1"])


@pytest.mark.parametrize(
    ("signed_before_sent", "done"),  # seconds; offsets, not times, so that the test ids stay the same
    [
        (300 + 60, True),  # the producer verified it at the edge, the send took a minute
        (300 + 61, False),  # stale when the producer could have verified it
        (-300, True),
        (-301, False),  # from the future even for the queue
    ],
)
def test_the_tolerance_counts_from_the_queue_stamp_with_a_minute_for_the_send(
    signed_before_sent: int, done: bool
) -> None:
    body, headers = delivery(timestamp=NOW - signed_before_sent)
    answer = aws_lambda.sqs_handler(WEBHOOK, Runs().router)(sqs_event(record("m1", body, headers, NOW)), None)
    assert failures(answer) == ([] if done else ["m1"])


@pytest.mark.parametrize("timestamp", ["soon", "\uff11" * 10, ""])
def test_a_record_whose_timestamp_is_no_number_is_refused(timestamp: str, caplog: pytest.LogCaptureFixture) -> None:
    body, headers = delivery()
    answer = aws_lambda.sqs_handler(WEBHOOK, Runs().router)(
        sqs_event(record("m1", body, {**headers, "webhook-timestamp": timestamp})), None
    )
    assert failures(answer) == ["m1"]
    assert [r.error for r in records(caplog)] == ["InvalidHeaderError"]  # type: ignore[attr-defined]


def test_a_forged_record_is_reported_and_logged_at_error_never_handled(caplog: pytest.LogCaptureFixture) -> None:
    body, headers = delivery()
    runs = Runs()
    forged = {**headers, "webhook-signature": "v1," + "A" * 44}
    other = Webhook(whsec(b"another endpoint's secret 32 by."))
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(
        sqs_event(record("m-forged", body, forged), record("m-other", body, other.sign(body, timestamp=int(NOW)))), None
    )
    assert (failures(answer), runs.events) == (["m-forged", "m-other"], [])
    assert [(r.levelno, r.outcome, r.status) for r in records(caplog)] == [  # type: ignore[attr-defined]
        (logging.ERROR, "rejected", 401)
    ] * 2


def test_a_signed_invalid_record_is_reported_or_kept_by_the_dead_letter(caplog: pytest.LogCaptureFixture) -> None:
    headers = WEBHOOK.sign("[]", webhook_id="wh_inv", timestamp=int(NOW))
    kept: list[tuple[bytes, dict[str, str]]] = []
    event = sqs_event(record("m-inv", "[]", headers))
    assert failures(aws_lambda.sqs_handler(WEBHOOK, Runs().router)(event, None)) == ["m-inv"]
    with_dead_letter = aws_lambda.sqs_handler(WEBHOOK, Runs().router, dead_letter=lambda b, h: kept.append((b, h)))
    assert failures(with_dead_letter(event, None)) == []
    assert kept == [(b"[]", headers)]
    assert [(r.levelno, r.outcome) for r in records(caplog)] == [  # type: ignore[attr-defined]
        (logging.ERROR, "invalid"),
        (logging.ERROR, "dead_lettered"),
    ]


def test_with_idempotency_a_redelivered_record_runs_its_handler_once() -> None:
    body, headers = delivery()
    runs = Runs()
    handler = aws_lambda.sqs_handler(WEBHOOK, runs.router, idempotency=Idempotency(MemoryStore()))
    first = handler(sqs_event(record("m1", body, headers)), None)
    again = handler(sqs_event(record("m2", body, headers), record("m1", body, headers)), None)
    assert (failures(first), failures(again), runs.events) == ([], [], ["evt_wh_q1"])


def test_a_record_whose_delivery_another_worker_holds_is_retried_later() -> None:
    body, headers = delivery()
    store = MemoryStore()
    store.claim("openai-webhook-events#wh_q1", "another worker", time.time(), time.time() + 60)
    answer = aws_lambda.sqs_handler(WEBHOOK, Runs().router, idempotency=Idempotency(store))(
        sqs_event(record("m1", body, headers)), None
    )
    assert failures(answer) == ["m1"]


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def test_the_lease_follows_the_invocations_remaining_time() -> None:
    body, headers = delivery()
    store = MemoryStore()
    leases: list[float] = []

    def handle(event: WebhookEvent) -> None:
        from openai_webhook_events import current_delivery

        found = current_delivery()
        assert found.lease_expires_at is not None
        leases.append(found.lease_expires_at - found.received_at)

    router = Router()
    router.fallback(handle)
    aws_lambda.sqs_handler(WEBHOOK, router, idempotency=Idempotency(store))(
        sqs_event(record("m1", body, headers)), Context()
    )
    assert leases == [pytest.approx(20 + 5)]


def test_a_store_down_at_claim_leaves_the_record_for_a_retry() -> None:
    class Down(MemoryStore):
        def claim(self, *args: Any) -> Any:
            raise ConnectionError("table unreachable")

    body, headers = delivery()
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router, idempotency=Idempotency(Down()))(
        sqs_event(record("m1", body, headers)), None
    )
    assert (failures(answer), runs.events) == (["m1"], [])


class GreenletTimeout(BaseException):
    """Like ``gevent.Timeout``: a ``BaseException`` raised in the middle of a store call."""


class FirstClaimMisbehaves(MemoryStore):
    """A :class:`MemoryStore` whose first claim raises *failure* (a ``BaseException``) or answers it."""

    def __init__(self, failure: object) -> None:
        super().__init__()
        self.failure: object = failure
        self.claims = 0

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Any:
        self.claims += 1
        if self.claims > 1:
            return super().claim(key, token, now, expires_at)
        if isinstance(self.failure, BaseException):
            raise self.failure
        return self.failure


@pytest.mark.parametrize(
    "failure",
    [ConnectionError("down"), GreenletTimeout("2 s"), None, ("acquired", 0), Claim("acquired", float("nan"))],
    ids=["Exception", "BaseException", "None", "tuple", "nan"],
)
def test_one_records_store_failure_fails_that_record_only_and_the_batch_goes_on(
    failure: object, caplog: pytest.LogCaptureFixture
) -> None:
    (body1, headers1), (body2, headers2) = delivery(webhook_id="wh_q1"), delivery(webhook_id="wh_q2")
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router, idempotency=Idempotency(FirstClaimMisbehaves(failure)))(
        sqs_event(record("m1", body1, headers1), record("m2", body2, headers2)), None
    )
    assert (failures(answer), runs.events) == (["m1"], ["evt_wh_q2"])
    assert [(r.levelno, r.outcome) for r in records(caplog)] == [(logging.ERROR, "store_unavailable")]  # type: ignore[attr-defined]


@pytest.mark.parametrize("operation", ["complete", "release"])
def test_a_base_exception_from_complete_or_release_does_not_stop_the_batch(operation: str) -> None:
    class Fails(MemoryStore):
        def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
            if operation == "complete":
                raise GreenletTimeout("2 s")
            return super().complete(key, token, now, expires_at)

        def release(self, key: str, token: str) -> bool:
            raise GreenletTimeout("2 s")

    (body1, headers1), (body2, headers2) = delivery(webhook_id="wh_q1"), delivery(webhook_id="wh_q2")
    runs = Runs("evt_wh_q1") if operation == "release" else Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router, idempotency=Idempotency(Fails()))(
        sqs_event(record("m1", body1, headers1), record("m2", body2, headers2)), None
    )
    assert runs.events == ["evt_wh_q1", "evt_wh_q2"]
    assert failures(answer) == ([] if operation == "complete" else ["m1"])  # done, not recorded / failed, left held


def test_a_queued_deliverys_repr_shows_header_names_and_the_body_length_but_no_value() -> None:
    body, headers = delivery()
    [(_, queued)] = sqs_deliveries(sqs_event(record("m1", body, headers)))
    shown = repr(queued)
    assert shown == (
        f"QueuedDelivery(body=<{len(body)} bytes>, headers=['webhook-id', 'webhook-signature', "
        f"'webhook-timestamp'], sent_at={NOW!r})"
    )
    assert headers["webhook-signature"] not in shown
    assert headers["webhook-id"] not in shown


def _malformed_records() -> list[tuple[str, Any]]:
    body, headers = delivery()
    good = record("m", body, headers)
    no_sent = copy.deepcopy(good)
    del no_sent["attributes"]["SentTimestamp"]
    bad_sent = copy.deepcopy(good)
    bad_sent["attributes"]["SentTimestamp"] = "soon"
    no_body = copy.deepcopy(good)
    no_body["body"] = None
    not_a_string = copy.deepcopy(good)
    not_a_string["messageAttributes"]["webhook-id"] = {"binaryValue": "d2g=", "dataType": "Binary"}
    return [
        ("no message attributes", {**good, "messageAttributes": {}}),
        ("attributes null", {**good, "messageAttributes": None}),
        ("a binary webhook-id", not_a_string),
        ("no SentTimestamp", no_sent),
        ("a SentTimestamp that is no number", bad_sent),
        ("no body", no_body),
        ("an unknown body encoding", record("m", body, headers, extra={"body-encoding": "gzip"})),
        ("a body that is not base64", record("m", "!!", headers, extra={"body-encoding": "base64"})),
        ("a lone surrogate in the body", record("m", "\ud800", headers)),
    ]


@pytest.mark.parametrize(("case", "bad"), _malformed_records(), ids=[case for case, _ in _malformed_records()])
def test_a_malformed_record_is_reported_without_stopping_the_batch(case: str, bad: dict[str, Any]) -> None:
    body, headers = delivery(webhook_id="wh_next")
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(sqs_event(bad, record("m-next", body, headers)), None)
    assert (failures(answer), runs.events) == (["m"], ["evt_wh_next"])


NO_HEADERS = "SQS record has no string message attribute webhook-id: not a handed-off delivery"
NO_SENT = "SQS record has no SentTimestamp attribute (milliseconds)"
MALFORMED_MESSAGES = {
    "no message attributes": NO_HEADERS,
    "attributes null": NO_HEADERS,
    "a binary webhook-id": NO_HEADERS,
    "no SentTimestamp": NO_SENT,
    "a SentTimestamp that is no number": NO_SENT,
    "no body": "SQS record has no body string",
    "an unknown body encoding": "SQS record has an unknown body-encoding",
    "a body that is not base64": "SQS record body is not valid base64",
    "a lone surrogate in the body": "SQS record body is not valid Unicode text",
}


def test_each_malformed_record_gives_an_error_that_says_what_it_lacks() -> None:
    cases = _malformed_records()
    assert [case for case, _ in cases] == list(MALFORMED_MESSAGES)
    found = sqs_deliveries(sqs_event(*(bad for _, bad in cases)))
    assert [(message_id, str(error)) for message_id, error in found] == [("m", m) for m in MALFORMED_MESSAGES.values()]
    with pytest.raises(InvalidPayloadError) as caught:
        sqs_deliveries({"Records": None})
    assert str(caught.value) == "Lambda event is not an SQS event (no Records list)"


def test_a_sent_timestamp_of_up_to_20_digits_is_read_and_a_longer_one_refused() -> None:
    body, headers = delivery()
    longest, too_long = record("m20", body, headers), record("m21", body, headers)
    longest["attributes"]["SentTimestamp"] = "9" * 20
    too_long["attributes"]["SentTimestamp"] = "1" + "0" * 20
    [(_, read), (_, refused)] = sqs_deliveries(sqs_event(longest, too_long))
    assert isinstance(read, QueuedDelivery)
    assert read.sent_at == int("9" * 20) / 1000
    assert str(refused) == NO_SENT


def test_base64_with_characters_outside_its_alphabet_is_refused_not_skipped() -> None:
    body, headers = delivery()
    encoded = base64.b64encode(body.encode()).decode()
    [(_, refused)] = sqs_deliveries(
        sqs_event(record("m", encoded[:4] + "*" + encoded[4:], headers, extra={"body-encoding": "base64"}))
    )
    assert str(refused) == "SQS record body is not valid base64"


def test_a_record_without_a_message_id_is_handled_and_an_unreadable_one_fails_the_whole_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers = delivery()
    nameless = record("x", body, headers)
    del nameless["messageId"]
    runs = Runs()
    answer = aws_lambda.sqs_handler(WEBHOOK, runs.router)(sqs_event("not a record", nameless), None)
    assert failures(answer) == [""]  # an empty itemIdentifier: Lambda retries the whole batch
    assert "queue message (no id) refused by the worker" in caplog.text
    assert runs.events == ["evt_wh_q1"]


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, [], None, {"httpMethod": "POST"}])
def test_an_event_that_is_not_an_sqs_event_raises_invalid_payload_error(event: Any) -> None:
    with pytest.raises(InvalidPayloadError, match="not an SQS event"):
        aws_lambda.sqs_handler(WEBHOOK, Runs().router)(event, None)


def test_the_worker_needs_a_router() -> None:
    with pytest.raises(WebhookConfigurationError, match="router is None"):
        aws_lambda.sqs_handler(WEBHOOK, None)  # type: ignore[arg-type]


# --- The producer: SQSQueue ------------------------------------------------------------------------


class RecordedCalls:
    """NOT a queue: a client that records the ``send_message`` calls it gets (for the call's exact shape)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "recorded"}


def strings(**values: str) -> dict[str, dict[str, str]]:
    return {name.replace("_", "-"): {"DataType": "String", "StringValue": value} for name, value in values.items()}


def test_a_standard_queue_gets_the_body_as_text_and_the_three_headers_as_attributes() -> None:
    client = RecordedCalls()
    headers = WEBHOOK.sign(BODY, webhook_id="wh_1", timestamp=1_800_000_000)
    SQSQueue(client, "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks").send(BODY, headers)
    assert client.calls == [{
        "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks",
        "MessageBody": BODY.decode(),
        "MessageAttributes": strings(webhook_id="wh_1", webhook_timestamp="1800000000",
                                     webhook_signature=headers["webhook-signature"]),
    }]  # fmt: skip


@pytest.mark.parametrize(("url", "fifo"), [("https://q/webhooks.fifo", None), ("https://q/webhooks", True)])
def test_a_fifo_queue_deduplicates_and_groups_by_webhook_id(url: str, fifo: bool | None) -> None:
    client = RecordedCalls()
    queue = SQSQueue(client, url, fifo=fifo)
    queue.send(BODY, WEBHOOK.sign(BODY, webhook_id="wh_1"))
    [call] = client.calls
    assert (queue.fifo, call["MessageGroupId"], call["MessageDeduplicationId"]) == (True, "wh_1", "wh_1")
    assert repr(queue) == f"SQSQueue({url!r}, fifo=True)"


def test_a_fifo_name_with_fifo_false_sends_no_fifo_fields() -> None:
    client = RecordedCalls()
    SQSQueue(client, "https://q/x.fifo", fifo=False).send(BODY, WEBHOOK.sign(BODY))
    assert "MessageDeduplicationId" not in client.calls[0]


@pytest.mark.parametrize(
    ("webhook_id", "kept"),
    [("wh_" + "a" * 125, True), ("msg_2qjW!~{}", True), ("wh_" + "a" * 126, False), ("wh x", False),
     ("wh_\u00e9", False), ("", False)],
)  # fmt: skip
def test_webhook_ids_sqs_cannot_take_as_ids_are_hashed(webhook_id: str, kept: bool) -> None:
    found = sqs_id(webhook_id)
    if kept:
        assert found == webhook_id
    else:
        assert found.startswith("sha256-")
        assert len(found) == 71
        assert sqs_id(webhook_id) == found != sqs_id(webhook_id + "x")


def test_every_str_id_sqs_cannot_take_is_hashed_from_its_utf8_bytes_even_a_lone_surrogate() -> None:
    # The receive step never hands off such an id (verification refuses it), but sqs_id takes any str.
    for webhook_id, raw in [("wh x", b"wh x"), ("wh_\u00e9", b"wh_\xc3\xa9"), ("wh_\ud800", b"wh_\xed\xa0\x80")]:
        assert sqs_id(webhook_id) == "sha256-" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("body", ["\uffff".encode(), b"\xff\xfe not UTF-8", b"\x00"])
def test_a_body_sqs_cannot_carry_as_text_is_sent_base64_and_read_back_exactly(body: bytes) -> None:
    client = RecordedCalls()
    headers = WEBHOOK.sign(body, webhook_id="wh_b64", timestamp=int(NOW))
    SQSQueue(client, "https://q/webhooks").send(body, headers)
    [call] = client.calls
    assert base64.b64decode(call["MessageBody"]) == body
    assert call["MessageAttributes"]["body-encoding"] == {"DataType": "String", "StringValue": "base64"}
    event = sqs_event(record("m", call["MessageBody"], headers, extra={"body-encoding": "base64"}))
    [(message_id, found)] = sqs_deliveries(event)
    assert not isinstance(found, InvalidPayloadError)
    assert (message_id, found.body, found.headers) == ("m", body, headers)


def test_a_send_without_the_webhook_headers_raises_missing_header_error() -> None:
    with pytest.raises(MissingHeaderError):
        SQSQueue(RecordedCalls(), "https://q/x").send(BODY, {"webhook-id": "wh_1"})


@pytest.mark.parametrize(
    ("client", "url", "message"),
    [
        (object(), "https://q/x", "send_message"),
        (RecordedCalls(), "", "queue_url"),
        (RecordedCalls(), None, "queue_url"),
    ],
)
def test_an_unusable_client_or_url_is_refused(client: Any, url: Any, message: str) -> None:
    with pytest.raises(WebhookConfigurationError, match=message):
        SQSQueue(client, url)


@pytest.mark.parametrize(
    ("client", "url", "message"),
    [
        (object(), "https://q/x", "client must have a send_message method (boto3.client('sqs'))"),
        (RecordedCalls(), "", "queue_url must be the queue's URL, a non-empty str"),
    ],
)
def test_an_unusable_client_or_url_is_refused_with_what_sqs_queue_needs(client: Any, url: Any, message: str) -> None:
    with pytest.raises(WebhookConfigurationError) as caught:
        SQSQueue(client, url)
    assert str(caught.value) == message


# --- End to end on moto's SQS ----------------------------------------------------------------------


@pytest.fixture
def sqs() -> Iterator[Any]:
    """boto3's SQS client on moto's SQS (single-threaded use only: never for races)."""
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def http_delivery(body: str | bytes, webhook_id: str) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    return lambda_event("lambdaFunctionUrlEvent.json", raw, list(WEBHOOK.sign(raw, webhook_id=webhook_id).items()),
                        base64_body=False)  # fmt: skip


@pytest.mark.parametrize("fifo", [False, True])
def test_end_to_end_the_producer_queues_and_the_worker_handles_each_delivery_once(sqs: Any, fifo: bool) -> None:
    name = f"webhooks-{time.monotonic_ns()}" + (".fifo" if fifo else "")
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
    producer = aws_lambda.lambda_handler(WEBHOOK, None, hand_off=SQSQueue(sqs, url))
    first, _ = delivery(webhook_id="wh_e2e_1")
    second, _ = delivery("response.completed", webhook_id="wh_e2e_2")
    sent = [(first, "wh_e2e_1"), (first, "wh_e2e_1"), (second, "wh_e2e_2"), ("[]", "wh_e2e_3")]
    answers = [producer(http_delivery(body, webhook_id), None) for body, webhook_id in sent]
    assert [(a["statusCode"], json.loads(a["body"])["message"]) for a in answers] == [
        (200, "queued"),
        (200, "queued"),
        (200, "queued"),
        (400, "invalid payload"),
    ]  # the OpenAI retry of wh_e2e_1 is queued again; the signed-but-invalid body never is
    event = lambda_records(sqs, url)
    assert len(event["Records"]) == (2 if fifo else 3)  # the FIFO queue dropped the retry (deduplication id)
    runs = Runs()
    worker = aws_lambda.sqs_handler(WEBHOOK, runs.router, idempotency=Idempotency(MemoryStore()))
    assert worker(event, None) == {"batchItemFailures": []}
    assert sorted(runs.events) == ["evt_wh_e2e_1", "evt_wh_e2e_2"]  # the standard queue's copy: a duplicate


def test_end_to_end_a_body_with_a_character_sqs_refuses_survives_the_queue(sqs: Any) -> None:
    """U+FFFF is outside SQS's documented message character set (moto does not enforce it): sent base64."""
    url = sqs.create_queue(QueueName=f"webhooks-{time.monotonic_ns()}")["QueueUrl"]
    payload = example_payload("response.completed")
    payload["id"] = "evt_\uffff"
    body = json.dumps(payload, ensure_ascii=False).encode()
    producer = aws_lambda.lambda_handler(WEBHOOK, None, hand_off=SQSQueue(sqs, url))
    assert producer(http_delivery(body, "wh_ffff"), None)["statusCode"] == 200
    runs = Runs()
    event = lambda_records(sqs, url)
    assert event["Records"][0]["messageAttributes"]["body-encoding"]["stringValue"] == "base64"
    assert aws_lambda.sqs_handler(WEBHOOK, runs.router)(event, None) == {"batchItemFailures": []}
    assert runs.events == ["evt_\uffff"]


def test_end_to_end_a_queue_that_does_not_exist_answers_503(sqs: Any, caplog: pytest.LogCaptureFixture) -> None:
    producer = aws_lambda.lambda_handler(
        WEBHOOK, None, hand_off=SQSQueue(sqs, sqs.meta.endpoint_url + "/123456789012/nowhere")
    )
    body, _ = delivery()
    answer = producer(http_delivery(body, "wh_q1"), None)
    assert (answer["statusCode"], answer["headers"]["retry-after"]) == (503, "5")
    assert [r.outcome for r in records(caplog)] == ["hand_off_failed"]  # type: ignore[attr-defined]


def test_a_dead_letter_that_is_not_callable_is_refused_when_the_worker_is_made() -> None:
    refused = r"^dead_letter must be a callable dead_letter\(body, headers\)$"
    with pytest.raises(WebhookConfigurationError, match=refused):
        aws_lambda.sqs_handler(WEBHOOK, Runs().router, dead_letter=5)  # type: ignore[arg-type]


def test_a_record_that_is_no_delivery_is_logged_at_error_naming_its_message_and_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers = delivery()
    bad = {**record("m-bad", body, headers), "messageAttributes": {}}
    answer = aws_lambda.sqs_handler(WEBHOOK, Runs().router)(sqs_event(bad), None)
    assert failures(answer) == ["m-bad"]
    [logged] = records(caplog)
    assert outcome(logged) == (logging.ERROR, "rejected", 400, "InvalidPayloadError")
    assert logged.getMessage() == (
        "queue message m-bad refused by the worker (not from the producer, or the worker's secret or tolerance "
        f"differs; left to the queue's redrive): {NO_HEADERS}"
    )
