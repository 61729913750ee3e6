"""Where a verified delivery goes when it is not handled here: a dead letter, or a queue (the hand-off).

- :func:`invalid_delivery`: a delivery whose signature holds but whose body
  is not a valid event (OpenAI changed its contract, or a bug here): always
  an ERROR record; 400 by default (OpenAI retries it for up to 72 hours),
  or with a *dead_letter* callable 200 once the callable holds it, 503 when
  it raises (nothing is lost either way).
- :func:`hand_over`: fast acknowledgement, a verified and parsed delivery
  forwarded to a :class:`HandOff` (``queue.SQSQueue``): 200 once it holds
  it, 503 with ``Retry-After`` when it raises.
- :func:`queued_clock` and :func:`reject_queued`: a handed-off delivery
  re-verified by the queue's worker.

Only verified deliveries reach a dead letter or a queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias

from ._claim import ASYNC_STORE_NEEDS_ASGI
from ._errors import InvalidPayloadError, WebhookConfigurationError, WebhookVerificationError, publish
from ._headers import WEBHOOK_ID
from ._log import clean, failure, log
from ._response import DEAD_LETTER_UNAVAILABLE, DEAD_LETTERED, INVALID, QUEUE_UNAVAILABLE, QUEUED, Response, refusal
from ._router import AsyncRouter

if TYPE_CHECKING:
    from ._models import WebhookEvent

__all__ = [
    "HAND_OFF_SLACK",
    "DeadLetter",
    "HandOff",
    "check_options",
    "hand_over",
    "invalid_delivery",
    "queued_clock",
    "reject_queued",
]

DeadLetter: TypeAlias = Callable[[bytes, dict[str, str]], object]
"""``dead_letter(body, headers)``: keeps a signed delivery whose body is not a valid event.

*body* is the raw body exactly as signed; *headers* holds the three
``webhook-*`` headers only (lower-case names, the values as verified): enough
to verify the delivery again later, and none of the request's other headers,
which may carry credentials.  What it returns is ignored; what it raises
answers 503.
"""

HAND_OFF_SLACK = 60
"""Seconds a producer may take between verifying a delivery and the queue stamping it (``SentTimestamp``)."""


class HandOff(Protocol):
    """Where the fast-acknowledging receiver forwards each verified delivery (``queue.SQSQueue`` is one).

    ``send(body, headers)`` gets the raw body (bytes, valid UTF-8 JSON) and
    the three ``webhook-*`` headers (lower-case names); it returns once the
    queue holds the delivery and raises otherwise.
    """

    def send(self, body: bytes, headers: Mapping[str, str]) -> None: ...


publish([HandOff], "queue")  # its public home


def check_options(
    router: object, idempotency: object, dead_letter: object, hand_off: object, *, awaits: bool = False
) -> None:
    """Raise :class:`WebhookConfigurationError` for options that cannot work together.

    Without *hand_off* a router is required; with it the handlers run in the
    queue's worker, so *router* and *idempotency* must be ``None`` (the
    worker, ``aws_lambda.sqs_handler``, takes them); *dead_letter* must be
    callable and *hand_off* have a ``send`` method.  An
    :class:`~openai_webhook_events.AsyncRouter` and an async idempotency
    store only where the caller awaits them (*awaits*: the ASGI app).
    """
    if not awaits and isinstance(router, AsyncRouter):
        raise WebhookConfigurationError(
            "an AsyncRouter's handlers need openai_webhook_events.asgi.app to be awaited: give this adapter a Router"
        )
    if not awaits and getattr(idempotency, "awaits", False) is True:
        raise WebhookConfigurationError(ASYNC_STORE_NEEDS_ASGI)
    if hand_off is None:
        if router is None:
            raise WebhookConfigurationError("router is None: pass a Router, or hand_off= to forward deliveries")
    elif not callable(getattr(hand_off, "send", None)):
        raise WebhookConfigurationError("hand_off must have a send(body, headers) method")
    elif router is not None or idempotency is not None:
        raise WebhookConfigurationError(
            "with hand_off= the handlers run in the queue's worker (aws_lambda.sqs_handler): "
            "pass router=None and give the router and idempotency to the worker"
        )
    if dead_letter is not None and not callable(dead_letter):
        raise WebhookConfigurationError("dead_letter must be a callable dead_letter(body, headers)")


def raw(body: bytes | bytearray | memoryview | str) -> bytes:
    """A verified body as the bytes that were signed."""
    return body.encode() if isinstance(body, str) else bytes(body)


def invalid_delivery(
    error: InvalidPayloadError, body: bytes | str, headers: dict[str, str], dead_letter: DeadLetter | None
) -> Response:
    """A signed body that is not a valid event: ERROR; 400, or the dead letter's 200 (503 when it raises)."""
    webhook_id = headers[WEBHOOK_ID]
    reason = f"signed webhook delivery {clean(webhook_id)} is not a valid event: {clean(error)}"
    if dead_letter is None:
        log(logging.ERROR, reason, outcome="invalid", status=400, webhook_id=webhook_id, error=error)
        return INVALID
    try:
        dead_letter(raw(body), headers)
    except Exception as exc:
        log(
            logging.ERROR,
            f"{reason}; the dead letter failed (answered 503, OpenAI retries): {failure(exc)}",
            outcome="dead_letter_failed",
            status=503,
            webhook_id=webhook_id,
            error=exc,
        )
        return DEAD_LETTER_UNAVAILABLE
    log(logging.ERROR, f"{reason}; kept by the dead letter", outcome="dead_lettered", status=200,
        webhook_id=webhook_id, error=error)  # fmt: skip
    return DEAD_LETTERED


def hand_over(hand_off: HandOff, body: bytes | str, headers: dict[str, str], event: WebhookEvent) -> Response:
    """Forward a verified, parsed delivery to *hand_off*: 200 once it holds it, 503 with ``Retry-After`` otherwise."""
    webhook_id = headers[WEBHOOK_ID]
    try:
        hand_off.send(raw(body), headers)
    except Exception as exc:
        log(
            logging.ERROR,
            f"hand-off failed for webhook delivery {clean(webhook_id)} (answered 503, OpenAI retries): {failure(exc)}",
            outcome="hand_off_failed",
            status=503,
            webhook_id=webhook_id,
            event=event,
            error=exc,
        )
        return QUEUE_UNAVAILABLE
    log(
        logging.DEBUG,
        f"handed off webhook event {clean(event.id)} ({clean(event.type)})",
        outcome="handed_off",
        status=200,
        webhook_id=webhook_id,
        event=event,
    )
    return QUEUED


def queued_clock(handed_off_at: float) -> Callable[[int], float]:
    """The clock a handed-off delivery is verified at: within :data:`HAND_OFF_SLACK` before *handed_off_at*.

    The producer verified it at some moment before the queue stamped it at
    *handed_off_at*; of those moments, the one closest to its
    ``webhook-timestamp`` (the seconds the answer takes).  So the queue's
    age is not a replay, and a delivery written to the queue by anyone but
    the producer must still be signed and was fresh when it entered the queue.
    """
    return lambda seconds: min(max(seconds, handed_off_at - HAND_OFF_SLACK), handed_off_at)


def reject_queued(error: InvalidPayloadError | WebhookVerificationError, message_id: object = None) -> Response:
    """A delivery the queue's worker refuses: logged at ERROR (it should have passed the producer); 401 or 400.

    *message_id* names the queue message when the record itself is unreadable.
    """
    what = "handed-off webhook delivery" if message_id is None else f"queue message {clean(message_id) or '(no id)'}"
    answer = refusal(error)
    log(
        logging.ERROR,
        f"{what} refused by the worker (not from the producer, or the worker's secret or tolerance differs; "
        f"left to the queue's redrive): {clean(error)}",
        outcome="rejected",
        status=answer.status,
        error=error,
    )
    return answer
