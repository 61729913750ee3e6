"""What the receive step answers: :class:`Response` (status, headers, JSON body).

Its own module so that the receive step (``_receive``) and the hand-off
and dead-letter paths (``_forward``) build answers without importing each
other.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ._errors import PayloadTooLargeError, WebhookVerificationError, publish

RETRY_AFTER = 5
"""``Retry-After`` (seconds) of a 503 answered when a store, queue or dead letter is unreachable."""
MAX_RETRY_AFTER = 3600
"""The longest ``Retry-After`` (seconds) of a 409: a lease longer than an hour is not waited out in one retry."""
JSON_HEADER = ("content-type", "application/json")


@dataclass(frozen=True)
class Response:
    """What to answer: ``status``, ``headers`` (``content-type`` first) and the JSON ``body``.

    ``message`` is the text inside the body, ``{"message": ...}``.
    """

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = (JSON_HEADER,)

    @property
    def body(self) -> bytes:
        return json.dumps({"message": self.message}).encode()


publish([Response])  # its public home

HANDLER_FAILED = Response(500, "handler failed")
"""An HTTP adapter's answer when the handler raised (the receive step has logged it)."""


def retry_later(message: str) -> Response:
    """A 503 with ``Retry-After``: something the delivery needs is unreachable, OpenAI retries."""
    return Response(503, message, (JSON_HEADER, ("retry-after", str(RETRY_AFTER))))


def retry_after(seconds_left: float) -> int:
    """A 409's ``Retry-After`` when another attempt holds the delivery for *seconds_left* (a finite number):
    rounded up, within 1 and :data:`MAX_RETRY_AFTER`."""
    return min(max(1, math.ceil(seconds_left)), MAX_RETRY_AFTER)


def in_progress(retry_after: int) -> Response:
    """A 409 with ``Retry-After``: another attempt holds the delivery."""
    return Response(409, "in progress", (JSON_HEADER, ("retry-after", str(retry_after))))


def refusal(error: Exception) -> Response:
    """The answer to a delivery refused with *error*: 401 a failed verification, 413 a body over the bound, else 400.

    The body never repeats the error's message (it could tell about the secret or the expected signature).
    """
    if isinstance(error, WebhookVerificationError):
        return Response(401, "webhook verification failed")
    if isinstance(error, PayloadTooLargeError):
        return Response(413, "payload too large")
    return Response(400, "invalid payload")
