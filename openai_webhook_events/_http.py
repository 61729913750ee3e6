"""What the HTTP adapters (:mod:`.wsgi`, :mod:`.asgi`) share: the 405 answer and the body bound.

Everything else they answer comes from the receive step.
"""

from __future__ import annotations

from ._errors import PayloadTooLargeError
from ._receive import Response, reject_request

__all__ = ["METHOD_NOT_ALLOWED", "declared_length", "too_large"]

METHOD_NOT_ALLOWED = Response(405, "use POST", (("content-type", "application/json"), ("allow", "POST")))
"""The answer to any method but ``POST`` (not a delivery: nothing is logged)."""

_MAX_DIGITS = 20


def declared_length(value: str | bytes) -> int | None:
    """A ``Content-Length`` value as an ``int``; ``None`` unless it is 1 to 20 ASCII digits (spaces around allowed)."""
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip(" \t")
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


def too_large(limit: int) -> Response:
    """The receive step's 413 for a body over *limit* bytes, answered before the rest of the body is read."""
    return reject_request(PayloadTooLargeError(limit))
