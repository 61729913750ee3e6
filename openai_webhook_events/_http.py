"""What the HTTP adapters (:mod:`.wsgi`, :mod:`.asgi`) share: the 405 answer, the body bound, a bad length.

Everything else they answer comes from the receive step.
"""

from __future__ import annotations

from ._errors import InvalidPayloadError, PayloadTooLargeError
from ._receive import reject_request
from ._response import JSON_HEADER, Response

METHOD_NOT_ALLOWED = Response(405, "use POST", (JSON_HEADER, ("allow", "POST")))
"""The answer to any method but ``POST`` (not a delivery: nothing is logged)."""

_MAX_DIGITS = 20


def declared_length(value: str | bytes) -> int | None:
    """A ``Content-Length`` value as an ``int``; ``None`` unless it is 1 to 20 ASCII digits (spaces around allowed)."""
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip(" \t")
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


def bad_length() -> Response:
    """The receive step's 400 for a ``Content-Length`` that is not a number of bytes (nothing is read)."""
    return reject_request(InvalidPayloadError("Content-Length is not a number of bytes"))


def too_large(limit: int) -> Response:
    """The receive step's 413 for a body over *limit* bytes, answered before the rest of the body is read."""
    return reject_request(PayloadTooLargeError(limit))
