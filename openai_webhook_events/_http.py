"""What the HTTP adapters (:mod:`.wsgi`, :mod:`.asgi`) share to read a request: its ``Content-Length``.

Their answers come from ``_response``.
"""

from __future__ import annotations

_MAX_DIGITS = 20


def declared_length(value: str | bytes) -> int | None:
    """A ``Content-Length`` value as an ``int``; ``None`` unless it is 1 to 20 ASCII digits (spaces around allowed)."""
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip(" \t")
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None
