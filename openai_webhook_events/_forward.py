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
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._errors import InvalidPayloadError, WebhookVerificationError
from ._headers import WEBHOOK_ID
from ._log import clean, failure, log
from ._response import DEAD_LETTER_UNAVAILABLE, DEAD_LETTERED, INVALID, QUEUE_UNAVAILABLE, QUEUED, Response, refusal

if TYPE_CHECKING:
    from ._models import WebhookEvent
    from ._options import DeadLetter, HandOff

__all__ = [
    "HAND_OFF_SLACK",
    "hand_over",
    "invalid_delivery",
    "queued_clock",
    "reject_queued",
]

HAND_OFF_SLACK = 60
"""Seconds a producer may take between verifying a delivery and the queue stamping it (``SentTimestamp``)."""


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
