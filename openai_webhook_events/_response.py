"""Every answer: :class:`Response` (status, headers, JSON body), one per outcome, and the refusals' log record.

The receive step, the queue and the adapters pick an answer here; the
adapters only translate it (WSGI, ASGI, a Lambda response).  The table of
docs/receiving.md, by status:

- 200: :data:`OK` (handled, no handler, processed but not recorded),
  :data:`DUPLICATE`, :data:`QUEUED`, :data:`DEAD_LETTERED`;
- 400 :data:`INVALID`, 401 :data:`UNVERIFIED`, 413 :data:`TOO_LARGE`
  (:func:`refusal` picks one for an error, :func:`reject_request` logs it);
- 405 :data:`METHOD_NOT_ALLOWED`; 409 :func:`in_progress` with a clamped
  ``Retry-After`` (:func:`retry_after`);
- 500 :data:`HANDLER_FAILED`, :data:`NOT_AWAITED`, :data:`NOT_RUN`;
- 503 with ``Retry-After``: :data:`STORE_UNAVAILABLE`,
  :data:`QUEUE_UNAVAILABLE`, :data:`DEAD_LETTER_UNAVAILABLE`.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass

from ._checks import as_generated, field_eq, field_hash, field_repr
from ._errors import InvalidPayloadError, PayloadTooLargeError, WebhookVerificationError, publish
from ._log import clean, log

RETRY_AFTER = 5
"""``Retry-After`` (seconds) of a 503 answered when a store, queue or dead letter is unreachable."""
MAX_RETRY_AFTER = 3600
"""The longest ``Retry-After`` (seconds) of a 409: a lease longer than an hour is not waited out in one retry."""
JSON_HEADER = ("content-type", "application/json")


@as_generated
@dataclass(frozen=True, init=False, repr=False, eq=False)
class Response:
    """What to answer: ``status``, ``headers`` (``content-type`` first) and the JSON ``body``.

    ``message`` is the text inside the body, ``{"message": ...}``.
    """

    # Its own __init__ and the shared __repr__, __eq__, __hash__ (_checks' field_*): dataclass compiles only the
    # frozen __setattr__ and __delattr__, 2.2 M fewer instructions of an HTTP Lambda handler's cold start
    # (bench/coldstart.py's lambda_instructions, CPython 3.12).
    __hash__ = field_hash
    __eq__ = field_eq
    __repr__ = field_repr

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = (JSON_HEADER,)

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = (JSON_HEADER,)) -> None:
        _set(self, "status", status)
        _set(self, "message", message)
        _set(self, "headers", headers)

    @property
    def body(self) -> bytes:
        return _json_body(self.message)


_set = object.__setattr__


@functools.lru_cache(maxsize=64)  # the answers' few messages: 2.4 -> 0.15 us a body (timeit, CPython 3.11, 2026-12-07)
def _json_body(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


publish([Response])  # its public home


def _retry_later(message: str) -> Response:
    """A 503 with ``Retry-After``: something the delivery needs is unreachable, OpenAI retries."""
    return Response(503, message, (JSON_HEADER, ("retry-after", str(RETRY_AFTER))))


OK = Response(200, "ok")
DUPLICATE = Response(200, "already processed")
QUEUED = Response(200, "queued")
DEAD_LETTERED = Response(200, "dead-lettered")
INVALID = Response(400, "invalid payload")
UNVERIFIED = Response(401, "webhook verification failed")
METHOD_NOT_ALLOWED = Response(405, "use POST", (JSON_HEADER, ("allow", "POST")))
"""The answer to any method but ``POST`` (not a delivery: nothing is logged)."""
TOO_LARGE = Response(413, "payload too large")
HANDLER_FAILED = Response(500, "handler failed")
"""An HTTP adapter's answer when the handler raised (the receive step has logged it)."""
NOT_AWAITED = Response(500, "handler returned an awaitable")
NOT_RUN = Response(500, "handler returned a generator")
STORE_UNAVAILABLE = _retry_later("store unavailable")
QUEUE_UNAVAILABLE = _retry_later("queue unavailable")
DEAD_LETTER_UNAVAILABLE = _retry_later("dead letter unavailable")

DEFAULT_MESSAGES = {answer.status: answer.message for answer in (OK, INVALID, UNVERIFIED)}
"""``aws_lambda.response``'s message for a status when none is given (else the status's phrase)."""


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
        return UNVERIFIED
    if isinstance(error, PayloadTooLargeError):
        return TOO_LARGE
    return INVALID


def reject_request(error: InvalidPayloadError | WebhookVerificationError) -> Response:
    """The answer to *error*, logged at WARNING: 401 failed verification, 413 body over the bound, else 400.

    For requests refused before or at verification (an adapter's bad length or
    oversized body, a Lambda event of another shape); the body never repeats
    the error's message.
    """
    response = refusal(error)
    outcome = "too_large" if response.status == 413 else "rejected"
    log(logging.WARNING, f"rejected webhook delivery: {clean(error)}", outcome=outcome, status=response.status,
        error=error)  # fmt: skip
    return response


def bad_length() -> Response:
    """The 400 for a ``Content-Length`` that is not a number of bytes (nothing is read), logged."""
    return reject_request(InvalidPayloadError("Content-Length is not a number of bytes"))


def too_large(limit: int) -> Response:
    """The 413 for a body over *limit* bytes, answered before the rest of the body is read, logged."""
    return reject_request(PayloadTooLargeError(limit))
