"""The exceptions raised by this package; every one derives from :class:`WebhookError`.

Every message is one line and bounded: ``str(error)`` escapes each
non-printable character (control characters, ``\\r``, ``\\n``, U+0085,
U+2028, U+2029...) as in ``repr`` and is at most :data:`MESSAGE_LIMIT`
characters, whatever the input.  ``error.args`` are the constructor's
arguments, so every error survives ``pickle``, ``copy`` and a process
boundary unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

MESSAGE_LIMIT = 300
"""The longest ``str()`` of any error of this package, in characters."""

PATH_LIMIT = 120
"""The longest ``path`` shown in the message of an :class:`InvalidEventError` (``.path`` keeps it whole)."""


class WebhookError(Exception):
    """Base class of every error this package raises.

    A subclass passes its own constructor's arguments to
    ``super().__init__`` (they become ``args``, from which ``pickle`` and
    ``copy`` rebuild it) and builds its message in ``_describe``.
    """

    def __str__(self) -> str:
        return one_line(self._describe(), MESSAGE_LIMIT)

    def _describe(self) -> str:
        return super().__str__()


class WebhookConfigurationError(WebhookError, ValueError):
    """A secret or option given to this package is unusable.

    Raised when the configuration is given (for example when a
    :class:`Webhook` is created), never because of a request.
    """


class InvalidPayloadError(WebhookError, ValueError):
    """The body of a delivery is not a usable JSON object.

    Bad UTF-8, bad JSON, ``NaN``/``Infinity``, excessive nesting, oversized
    integers, an oversized body, or a request event of an unknown shape.
    """


class PayloadTooLargeError(InvalidPayloadError):
    """The body is larger than the endpoint's ``max_body_bytes`` (``limit``): answered 413, nothing hashed."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def _describe(self) -> str:
        return f"body is larger than {self.limit} bytes"


class InvalidEventError(InvalidPayloadError):
    """A payload does not match the event contract.

    ``path`` is the exact location of the first problem (``""`` for the
    payload itself), and the message reads ``"<path>: <reason>"``.  A path
    is a chain of steps from the payload: a key that is an ASCII identifier
    follows a dot (``data.sip_headers``; no dot at the start), an array
    index is in brackets (``[2]``), and any other key is a JSON string in
    brackets, with every non-printable character as a ``\\u`` escape
    (``data["a.b"]["x y"][0]``, ``data[""]``).  So ``.path`` is one line and
    names exactly one location, however long; the message shows it cut to
    :data:`PATH_LIMIT` characters (its start and its end).
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def _describe(self) -> str:
        if not self.path:
            return self.reason
        return f"{cut_middle(self.path, PATH_LIMIT)}: {self.reason}"


class UnknownEventTypeError(InvalidEventError):
    """The payload's ``type`` is not a known event type (``parse_event(..., unknown="raise")``)."""

    def __init__(self, event_type: str) -> None:
        super().__init__("type", f"unknown event type {shorten(event_type)}")
        self.args = (event_type,)  # what pickle and copy rebuild it from
        self.event_type = event_type


class WebhookVerificationError(WebhookError):
    """A delivery failed verification: its headers or signature cannot be trusted."""


class MissingHeaderError(WebhookVerificationError):
    """A required ``webhook-*`` header is absent (``header`` names it)."""

    def __init__(self, header: str) -> None:
        super().__init__(header)
        self.header = header

    def _describe(self) -> str:
        return f"missing header {self.header}"


class InvalidHeaderError(WebhookVerificationError):
    """A ``webhook-*`` header is malformed (``header`` names it)."""

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(header, reason)
        self.header = header
        self.reason = reason

    def _describe(self) -> str:
        return f"invalid header {self.header}: {self.reason}"


class TimestampOutOfRangeError(WebhookVerificationError):
    """The ``webhook-timestamp`` lies outside the tolerance window.

    ``too_old`` tells whether it lies in the past (a possible replay) or in
    the future (a clock skew or a forgery).
    """

    def __init__(self, too_old: bool) -> None:
        super().__init__(too_old)
        self.too_old = too_old

    def _describe(self) -> str:
        return "webhook-timestamp is too old" if self.too_old else "webhook-timestamp is too new"


class SignatureMismatchError(WebhookVerificationError):
    """No ``v1`` signature in ``webhook-signature`` matches any secret."""

    def __init__(self) -> None:
        super().__init__()

    def _describe(self) -> str:
        return "no matching signature"


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` on one line, cut to *limit* characters (the last three then ``...``).

    Costs O(*limit*) for ``str`` and ``bytes``; never raises (a failing
    ``repr`` shows the type's name).
    """
    if isinstance(value, (str, bytes)) and len(value) > limit:
        value = value[:limit]  # the cut repr needs no more, and a huge value costs nothing
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return one_line(text, limit)


def one_line(text: str, limit: int) -> str:
    """*text* with each non-printable character escaped as ``repr`` does, cut to *limit* characters.

    A cut text ends with ``...`` inside the limit.  Costs O(*limit*).
    """
    shown = _escape(text[:limit])
    if len(text) > limit or len(shown) > limit:
        return shown[: limit - 3] + "..."
    return shown


def cut_middle(text: str, limit: int) -> str:
    """*text* escaped as by :func:`one_line`, or if longer than *limit*: its start, ``...`` and its end."""
    shown = _escape(text[:limit])
    if len(text) <= limit and len(shown) <= limit:
        return shown
    head = (limit - 3) // 3
    return f"{shown[:head]}...{_escape(text[-limit:])[head + 3 - limit :]}"


def _escape(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


# Not about errors: here because every module imports this one first (a module of its own: ~45 us more cold start).
_PACKAGE = __name__.rpartition(".")[0]  # openai_webhook_events, or the name it is vendored under


def publish(values: Iterable[object], module: str = "") -> None:
    """Set each class among *values* a ``__module__`` naming its public home: the package, or its *module*.

    Derived from the package's own ``__name__``, so that ``pickle`` (which
    finds a class through ``__module__``), ``repr`` and ``help`` find it
    there even when the package is vendored under another name.
    """
    home = f"{_PACKAGE}.{module}" if module else _PACKAGE
    for value in values:
        if isinstance(value, type):
            value.__module__ = home
