"""Fast acknowledgement: hand verified deliveries off to a queue, and read them back in the worker.

The producer side: :class:`SQSQueue` is the receive step's ``hand_off=``
for Amazon SQS: it sends each verified delivery as one message through a
client you pass in (boto3's ``boto3.client("sqs")``, or anything with its
``send_message``).  The worker side: :func:`sqs_deliveries` reads those
messages back out of the event of a Lambda function the queue triggers,
and ``receive_queued`` verifies each against the queue's clock and runs
the rest of the receive step (``aws_lambda.sqs_handler`` does both).

A message holds the raw body as its text and the three ``webhook-*``
headers as ``String`` message attributes of the same names, so the worker
verifies the delivery again exactly as it was signed.  A body SQS cannot
carry as text (not UTF-8, or holding a character SQS refuses, such as
U+FFFF) is sent base64-encoded, with the attribute ``body-encoding`` set to
``base64``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ._errors import InvalidPayloadError, WebhookConfigurationError, WebhookVerificationError
from ._hand_off import DeadLetter, HandOff
from ._headers import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, read_webhook_headers
from ._log import clean, log
from ._receive import Attempt, claim_sync, route
from ._response import refusal

if TYPE_CHECKING:
    from ._options import Options
    from ._verify import Webhook

__all__ = ["DeadLetter", "HandOff", "QueuedDelivery", "SQSQueue", "sqs_deliveries", "sqs_id"]  # the public names

BODY_ENCODING = "body-encoding"
_HEADERS = (WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE)
_SQS_ID = re.compile(r"[!-~]{1,128}")  # what SQS accepts as a MessageGroupId or MessageDeduplicationId
_NOT_SQS_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # what SQS refuses in a body


def sqs_id(webhook_id: str) -> str:
    """*webhook_id* as a FIFO ``MessageDeduplicationId``/``MessageGroupId``: as is when SQS accepts it.

    SQS takes 1 to 128 printable ASCII characters (no space); any other id
    becomes ``sha256-`` and the hex SHA-256 of its UTF-8 bytes (71 characters).
    """
    if _SQS_ID.fullmatch(webhook_id):
        return webhook_id
    return "sha256-" + hashlib.sha256(webhook_id.encode("utf-8", "surrogatepass")).hexdigest()


class SQSQueue:
    """The ``hand_off=`` that sends each verified delivery to the SQS queue at *queue_url* through *client*.

    *client* needs ``send_message(**kwargs)`` as boto3's SQS client has it
    (give it short timeouts: a send that fails answers 503 and OpenAI
    retries).  On a FIFO queue (*queue_url* ends with ``.fifo``, or
    ``fifo=True``) each message's ``MessageDeduplicationId`` and
    ``MessageGroupId`` are the ``webhook-id`` (see :func:`sqs_id`): SQS drops
    a retry of the same delivery within its 5-minute deduplication window,
    and deliveries do not wait for one another (one group each: no
    ordering, which OpenAI does not promise either, and no head-of-line
    blocking behind a failing message).

    Raises :class:`WebhookConfigurationError` for a *client* without
    ``send_message``, or a *queue_url* that is not a non-empty ``str``.
    """

    __slots__ = ("_client", "fifo", "queue_url")

    def __init__(self, client: Any, queue_url: str, *, fifo: bool | None = None) -> None:
        if not callable(getattr(client, "send_message", None)):
            raise WebhookConfigurationError("client must have a send_message method (boto3.client('sqs'))")
        if not isinstance(cast("object", queue_url), str) or not queue_url:
            raise WebhookConfigurationError("queue_url must be the queue's URL, a non-empty str")
        self._client: Any = client
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo") if fifo is None else bool(fifo)

    def __repr__(self) -> str:
        return f"SQSQueue({self.queue_url!r}, fifo={self.fifo!r})"

    def send(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Send one delivery: *body* (the raw bytes) and its ``webhook-*`` *headers*; what the client raises propagates.

        Raises :class:`~openai_webhook_events.MissingHeaderError` when a
        ``webhook-*`` header is absent.
        """
        values = read_webhook_headers(headers)
        attributes = {name: _string(value) for name, value in zip(_HEADERS, values, strict=True)}
        try:
            text: str | None = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or _NOT_SQS_TEXT.search(text):
            text = base64.b64encode(body).decode("ascii")
            attributes[BODY_ENCODING] = _string("base64")
        message: dict[str, object] = {"QueueUrl": self.queue_url, "MessageBody": text, "MessageAttributes": attributes}
        if self.fifo:
            message["MessageGroupId"] = message["MessageDeduplicationId"] = sqs_id(values[0])
        self._client.send_message(**message)


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


@dataclass(frozen=True, repr=False)
class QueuedDelivery:
    """A delivery read out of a queue message: the raw ``body``, the three ``webhook-*`` ``headers``, and
    ``sent_at``, when the queue took it in (Unix seconds, from the message's ``SentTimestamp``).

    Its ``repr`` shows the body's length and the header names, no value (a signature is a credential's work).
    """

    body: bytes
    headers: dict[str, str]
    sent_at: float

    def __repr__(self) -> str:
        return (
            f"QueuedDelivery(body=<{len(self.body)} bytes>, headers={sorted(self.headers)!r}, sent_at={self.sent_at!r})"
        )


def sqs_deliveries(event: object) -> list[tuple[str, QueuedDelivery | InvalidPayloadError]]:
    """Each record of the Lambda SQS *event*: its ``messageId`` and the delivery :class:`SQSQueue` sent in it.

    A record that does not hold one (no ``webhook-*`` message attributes, no
    ``SentTimestamp``, a body that is not a string or not valid base64)
    gives its :class:`InvalidPayloadError` in place of the delivery; a
    record without a ``messageId`` string gives ``""`` (which makes Lambda
    retry the whole batch).  Raises :class:`InvalidPayloadError` when
    *event* is not an SQS event (no ``Records`` list).
    """
    records = _field(event, "Records")
    if not isinstance(records, list):
        raise InvalidPayloadError("Lambda event is not an SQS event (no Records list)")
    found: list[tuple[str, QueuedDelivery | InvalidPayloadError]] = []
    for record in cast("list[object]", records):
        message_id = _field(record, "messageId")
        try:
            delivery: QueuedDelivery | InvalidPayloadError = _delivery(record)
        except InvalidPayloadError as error:
            delivery = error
        found.append((message_id if isinstance(message_id, str) else "", delivery))
    return found


def _field(value: object, name: str) -> object:
    return cast("Mapping[str, object]", value).get(name) if isinstance(value, Mapping) else None


def _delivery(record: object) -> QueuedDelivery:
    attributes = _field(record, "messageAttributes")
    headers: dict[str, str] = {}
    for name in (*_HEADERS, BODY_ENCODING):
        value = _field(_field(attributes, name), "stringValue")
        if isinstance(value, str):
            headers[name] = value
        elif name != BODY_ENCODING:
            raise InvalidPayloadError(f"SQS record has no string message attribute {name}: not a handed-off delivery")
    sent = _field(_field(record, "attributes"), "SentTimestamp")
    if not (isinstance(sent, str) and sent.isdigit() and sent.isascii() and len(sent) <= 20):
        raise InvalidPayloadError("SQS record has no SentTimestamp attribute (milliseconds)")
    body = _field(record, "body")
    if not isinstance(body, str):
        raise InvalidPayloadError("SQS record has no body string")
    encoding = headers.pop(BODY_ENCODING, None)
    if encoding not in (None, "base64"):
        raise InvalidPayloadError(f"SQS record has an unknown {BODY_ENCODING}")
    try:
        raw = body.encode()
    except UnicodeEncodeError:
        raise InvalidPayloadError("SQS record body is not valid Unicode text") from None
    if encoding:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise InvalidPayloadError("SQS record body is not valid base64") from None
    return QueuedDelivery(raw, headers, int(sent) / 1000)


# --- The worker -------------------------------------------------------------------------------------

HAND_OFF_SLACK = 60
"""Seconds a producer may take between verifying a delivery and the queue stamping it (``SentTimestamp``)."""


def queued_clock(handed_off_at: float) -> Callable[[int], float]:
    """The clock a handed-off delivery is verified at: within :data:`HAND_OFF_SLACK` before *handed_off_at*.

    The producer verified it at some moment before the queue stamped it at
    *handed_off_at*; of those moments, the one closest to its
    ``webhook-timestamp`` (the seconds the answer takes).  So the queue's
    age is not a replay, and a delivery written to the queue by anyone but
    the producer must still be signed and was fresh when it entered the queue.
    """
    return lambda seconds: min(max(seconds, handed_off_at - HAND_OFF_SLACK), handed_off_at)


def reject_queued(error: InvalidPayloadError | WebhookVerificationError, message_id: object = None) -> None:
    """Log a delivery the queue's worker refuses at ERROR (it should have passed the producer), with the status
    the receive step would answer it (401 or 400); it stays in the queue.

    *message_id* names the queue message when the record itself is unreadable.
    """
    what = "handed-off webhook delivery" if message_id is None else f"queue message {clean(message_id) or '(no id)'}"
    log(
        logging.ERROR,
        f"{what} refused by the worker (not from the producer, or the worker's secret or tolerance differs; "
        f"left to the queue's redrive): {clean(error)}",
        outcome="rejected",
        status=refusal(error).status,
        error=error,
    )


def receive_queued(webhook: Webhook, options: Options, delivery: QueuedDelivery, remaining: float | None) -> bool:
    """The receive step for a delivery taken off the hand-off queue: whether it is done with.

    Verified again against the queue's clock (:func:`queued_clock` of its
    ``sent_at``), then as the receive step goes on (``_receive.route``).
    Done (``True``, the message can be deleted): handled, no handler, a
    duplicate of a processed delivery, processed but not recorded by the
    store, or signed but invalid and kept by the dead letter.  Not done
    (``False``, left to the queue's retries and its redrive policy): a
    failed verification (ERROR), signed but invalid without a dead letter,
    in progress elsewhere, a store or dead letter unreachable, a handler
    that raised (logged with its traceback and not re-raised, so the
    batch's other deliveries go on) or returned an awaitable.
    """
    received_at = time.time()
    try:
        verified = webhook._verified(delivery.body, delivery.headers, None, queued_clock(delivery.sent_at))  # pyright: ignore[reportPrivateUsage]
    except (InvalidPayloadError, WebhookVerificationError) as error:
        reject_queued(error)
        return False
    started = claim_sync(route(verified, delivery.body, options, received_at, remaining, None))
    if isinstance(started, Attempt):
        try:
            started = started.run()
        except Exception:  # logged by Attempt.failed, the claim released
            return False
    return 200 <= started.status < 300
