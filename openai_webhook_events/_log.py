"""The package's log records: one bounded, printable line each, with the same ``extra`` fields.

One record carries more: a ``failed`` record (a handler raised) has the
handler's exception as ``exc_info``, so a formatter prints its traceback
on the lines after the record's own.

Every record goes to the ``openai_webhook_events`` logger and carries
``webhook_id``, ``event_id``, ``event_type`` (each at most 200 printable
characters), ``outcome``, ``status`` and ``error`` (the exception's class
name).  The receive step (``_receive``) decides which
record each answer logs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import WebhookEvent

logger = logging.getLogger("openai_webhook_events")

_LOG_TEXT_LIMIT = 200  # characters of one logged value (ids, types, reasons)


def clean(value: object, limit: int = _LOG_TEXT_LIMIT) -> str:
    """*value* as one printable line of at most *limit* characters (control characters escaped)."""
    text = str(value)
    if not text.isprintable():
        text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def log(
    level: int,
    message: str,
    *,
    outcome: str,
    status: int | None,
    webhook_id: str | None = None,
    event: WebhookEvent | None = None,
    error: BaseException | None = None,
    exc_info: bool = False,
) -> None:
    """One bounded, one-line record with the ``extra`` fields every record of the package carries."""
    if not logger.isEnabledFor(level):
        return
    logger.log(
        level,
        message,
        exc_info=exc_info,
        extra={
            "webhook_id": None if webhook_id is None else clean(webhook_id),
            "event_id": None if event is None else clean(event.id),
            "event_type": None if event is None else clean(event.type),
            "outcome": outcome,
            "status": status,
            "error": None if error is None else type(error).__name__,
        },
    )


def failure(error: BaseException) -> str:
    """*error* as one clean line: its class name and its message."""
    return clean(f"{type(error).__name__}: {error}")
