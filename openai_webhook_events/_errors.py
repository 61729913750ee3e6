"""The exceptions raised by this package; every one derives from :class:`WebhookError`."""

from __future__ import annotations

__all__ = [
    "InvalidEventError",
    "InvalidHeaderError",
    "InvalidPayloadError",
    "MissingHeaderError",
    "SignatureMismatchError",
    "TimestampOutOfRangeError",
    "UnknownEventTypeError",
    "WebhookConfigurationError",
    "WebhookError",
    "WebhookVerificationError",
]


class WebhookError(Exception):
    """Base class of every error this package raises."""


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


class InvalidEventError(InvalidPayloadError):
    """A payload does not match the event contract.

    ``path`` is the location of the first problem, such as
    ``data.sip_headers[2].value`` (``""`` for the payload itself), and the
    message reads ``"<path>: <reason>"``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class UnknownEventTypeError(InvalidEventError):
    """The payload's ``type`` is not a known event type (``parse_event(..., unknown="raise")``)."""

    def __init__(self, event_type: str) -> None:
        self.event_type = event_type
        super().__init__("type", f"unknown event type {shorten(event_type)}")


class WebhookVerificationError(WebhookError):
    """A delivery failed verification: its headers or signature cannot be trusted."""


class MissingHeaderError(WebhookVerificationError):
    """A required ``webhook-*`` header is absent (``header`` names it)."""

    def __init__(self, header: str) -> None:
        self.header = header
        super().__init__(f"missing header {header}")


class InvalidHeaderError(WebhookVerificationError):
    """A ``webhook-*`` header is malformed (``header`` names it)."""

    def __init__(self, header: str, reason: str) -> None:
        self.header = header
        self.reason = reason
        super().__init__(f"invalid header {header}: {reason}")


class TimestampOutOfRangeError(WebhookVerificationError):
    """The ``webhook-timestamp`` lies outside the tolerance window.

    ``too_old`` tells whether it lies in the past (a possible replay) or in
    the future (a clock skew or a forgery).
    """

    def __init__(self, too_old: bool) -> None:
        self.too_old = too_old
        super().__init__("webhook-timestamp is too old" if too_old else "webhook-timestamp is too new")


class SignatureMismatchError(WebhookVerificationError):
    """No ``v1`` signature in ``webhook-signature`` matches any secret."""

    def __init__(self) -> None:
        super().__init__("no matching signature")


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` on one line, cut to about *limit* characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
