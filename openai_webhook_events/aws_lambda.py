"""AWS Lambda adapters: read a webhook delivery out of a Lambda request event, and answer it.

Understands the request events of API Gateway REST APIs (payload 1.0, with
``multiValueHeaders``), API Gateway HTTP APIs (payload 2.0), Lambda function
URLs, and Application Load Balancers (with or without multi-value headers).

- :func:`read_request` gives the raw body bytes and the headers.
- :func:`unwrap` verifies and parses the delivery in a request event.
- :func:`response` builds a response every one of those integrations accepts.
- :func:`lambda_handler` makes the whole Lambda function out of a
  :class:`~openai_webhook_events.Webhook` and a
  :class:`~openai_webhook_events.Router`.
- :func:`sqs_handler` makes the worker of a hand-off queue
  (``lambda_handler(..., hand_off=queue.SQSQueue(...))``): a Lambda function
  triggered by the SQS queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from ._errors import InvalidPayloadError
from ._lambda_event import is_alb, mapping, request_parts
from ._options import Options
from ._receive import answer
from ._response import DEFAULT_MESSAGES, Response, refusal, reject_request

if TYPE_CHECKING:
    from ._hand_off import DeadLetter, HandOff
    from ._lambda_request import Headers as Headers
    from ._lambda_request import Integration as Integration
    from ._lambda_request import LambdaRequest as LambdaRequest
    from ._lambda_request import read_request as read_request
    from ._models import WebhookEvent
    from ._router import Router
    from ._verify import Webhook
    from .idempotency import Idempotency

__all__ = [
    "Headers",
    "LambdaRequest",
    "lambda_handler",
    "read_request",
    "response",
    "response_for_error",
    "sqs_handler",
    "unwrap",
]


_REQUEST_TYPES = ("Headers", "Integration", "LambdaRequest", "read_request")


def __getattr__(name: str) -> Any:
    """The request types (``Headers``, ``Integration``, ``LambdaRequest``) and :func:`read_request`, which returns
    them, imported on first use (PEP 562)."""
    if name not in _REQUEST_TYPES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import _lambda_request

    for found in _REQUEST_TYPES:  # all four, so typing.get_type_hints resolves their annotations here
        globals()[found] = getattr(_lambda_request, found)
    return globals()[name]


def unwrap(
    webhook: Webhook, event: object, *, now: float | None = None, unknown: Literal["keep", "raise"] = "keep"
) -> WebhookEvent:
    """Verify and parse the delivery in the Lambda request *event* (API Gateway, function URL, ALB) with *webhook*.

    :func:`read_request` takes out the body and headers (raising
    :class:`InvalidPayloadError` for an event of another shape), then
    :meth:`Webhook.unwrap <openai_webhook_events.Webhook.unwrap>` does the
    rest, with *now* and *unknown* as it takes them.
    """
    body, pairs, _, _ = request_parts(event)
    return webhook.unwrap(body, pairs, now=now, unknown=unknown)


def response(event: object, status: int = 200, message: str | None = None) -> dict[str, Any]:
    """A Lambda response with *status* and a small JSON body, shaped for the request *event*.

    The body is ``{"message": ...}`` (for 200, 400 and 401 a fixed text by
    default; pass *message* to choose another).  The result has
    ``statusCode``, ``headers``, ``body`` and ``isBase64Encoded``, which API
    Gateway (REST and HTTP APIs) and function URLs accept; for an ALB event
    it also has ``statusDescription``, and when the request carried
    ``multiValueHeaders`` it has ``multiValueHeaders`` instead of
    ``headers``, as ALB requires.  *event* may be anything: a response for
    an unrecognised event has the API Gateway shape.
    """
    text = message if message is not None else DEFAULT_MESSAGES.get(status, _phrase(status).lower())
    return _lambda_response(event, Response(status, text))


def _phrase(status: int) -> str:
    from http import HTTPStatus  # only ALB answers need it: ~0.7 ms less per cold start (-X importtime, Python 3.12)

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def response_for_error(event: object, error: Exception) -> dict[str, Any]:
    """The response for a delivery rejected with *error*, as the receive step answers it (not logged).

    401 for a failed verification, 413 for a body over ``max_body_bytes``,
    else 400.  The body never repeats the error's message, so it reveals
    nothing about the secret or the expected signature.
    """
    return _lambda_response(event, refusal(error))


def lambda_handler(
    webhook: Webhook,
    router: Router[Any] | None,
    *,
    idempotency: Idempotency | None = None,
    dead_letter: DeadLetter | None = None,
    hand_off: HandOff | None = None,
) -> Callable[[Any, Any], dict[str, Any]]:
    """Make a Lambda function ``handler(event, context)`` out of *webhook* and *router*.

    The handler reads the delivery out of the request event (400 when it is
    not a request of a supported shape) and hands its body and headers to
    the receive step, which answers as the table of
    docs/receiving.md says: 401 for a failed verification, 413 for a body over
    ``max_body_bytes``, 400 for a malformed payload, 200 when handled or
    when no handler applies (an unknown event type is acknowledged, so
    OpenAI does not retry it).  An :class:`~openai_webhook_events.AsyncRouter`
    is refused with :class:`WebhookConfigurationError` (use the ASGI app).  With
    *idempotency* (:class:`~openai_webhook_events.idempotency.Idempotency`)
    each delivery is processed once: 200 for a duplicate of a processed
    one, 409 with ``Retry-After`` (at most an hour) while another instance
    holds it, 503 with ``Retry-After`` when the store is unreachable or
    answers outside its protocol; the default lease is the
    invocation's remaining time (``context.get_remaining_time_in_millis()``)
    plus a margin.  The answer has the shape of :func:`response`, with
    ``Retry-After`` added to its headers when there is one.  Records go to
    the ``openai_webhook_events`` logger (never a secret or signature).  An
    exception raised by a handler is logged with the event's type and id
    and re-raised, so Lambda records a failure and OpenAI retries the
    delivery.

    *dead_letter* (``dead_letter(body, headers)``) keeps a signed delivery
    whose body is not a valid event: 200 once it returns, 503 when it
    raises (400 without it).  *hand_off* (``queue.SQSQueue``, with
    ``router=None``): every verified, parsed delivery is sent to the queue
    and answered 200 (503 when the send raises); :func:`sqs_handler` runs
    the handlers.  Raises :class:`~openai_webhook_events.WebhookConfigurationError`
    for options that do not go together.
    """
    options = Options.of(router, idempotency, dead_letter, hand_off)

    def handler(event: Any, context: Any) -> dict[str, Any]:
        try:
            body, pairs, _, _ = request_parts(event)  # no LambdaRequest, no Headers: see _lambda_request
        except InvalidPayloadError as exc:
            return _lambda_response(event, reject_request(exc))
        return _lambda_response(event, answer(webhook, options, body, pairs, remaining=_remaining_seconds(context)))

    return handler


def sqs_handler(
    webhook: Webhook,
    router: Router[Any],
    *,
    idempotency: Idempotency | None = None,
    dead_letter: DeadLetter | None = None,
) -> Callable[[Any, Any], dict[str, list[dict[str, str]]]]:
    """The Lambda function ``handler(event, context)`` of the worker of a hand-off queue (SQS trigger).

    Each record of the SQS event (sent by ``queue.SQSQueue``) is verified
    again with *webhook*, against the time the queue took it in (its
    ``SentTimestamp``: the queue's age is not a replay), parsed and
    dispatched by the receive step, with *idempotency* and *dead_letter* as
    in :func:`lambda_handler`.  The answer is SQS's partial batch response,
    ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}``: the
    records not done with (a handler that raised, in progress elsewhere, a
    store unreachable or answering outside its protocol, a failed
    verification, a signed but invalid body without a dead letter, a record
    that is no handed-off delivery; each logged) stay in the queue, to be
    retried and, after the queue's ``maxReceiveCount``, moved to its
    dead-letter queue.  One record's failure, the store's included, fails
    that record only: the records after it are still processed (only
    ``KeyboardInterrupt`` and ``SystemExit`` from a store, or a
    ``BaseException`` that is not an ``Exception`` from a handler, end the
    batch).  The event source mapping needs
    ``FunctionResponseTypes: [ReportBatchItemFailures]``.
    Raises :class:`~openai_webhook_events.InvalidPayloadError` for an event
    that is not an SQS event (Lambda retries the whole batch).
    """
    options = Options.of(router, idempotency, dead_letter)
    # only a worker imports the queue: an HTTP-only handler starts ~6 ms CPU faster (bench/coldstart.py, Python 3.12)
    from .queue import receive_queued, reject_queued, sqs_deliveries

    def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
        failures: list[dict[str, str]] = []
        for message_id, delivery in sqs_deliveries(event):
            if isinstance(delivery, InvalidPayloadError):
                reject_queued(delivery, message_id)
                done = False
            else:
                done = receive_queued(webhook, options, delivery, _remaining_seconds(context))
            if not done:
                failures.append({"itemIdentifier": message_id})
        return {"batchItemFailures": failures}

    return handler


def _remaining_seconds(context: object) -> float | None:
    """The invocation's remaining time in seconds, from a Lambda *context* (``None`` if it has none)."""
    remaining: object = getattr(context, "get_remaining_time_in_millis", None)
    milliseconds = remaining() if callable(remaining) else None
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float)):
        return None
    return milliseconds / 1000


def _lambda_response(event: object, answer: Response) -> dict[str, Any]:
    """*answer* (status, headers, body) translated into a Lambda response shaped for the request *event*."""
    status = answer.status
    result: dict[str, Any] = {
        "statusCode": status,
        "headers": dict(answer.headers),
        "body": answer.body.decode(),
        "isBase64Encoded": False,
    }
    request = mapping(event)
    if request is not None and is_alb(request):
        result["statusDescription"] = f"{status} {_phrase(status)}".rstrip()
        if request.get("multiValueHeaders") is not None:
            result["multiValueHeaders"] = {name: [value] for name, value in result.pop("headers").items()}
    return result
