"""The receive step of the hand-off queue's worker: one delivery taken off the queue, done with or not.

The SQS adapter (``aws_lambda.sqs_handler``) reads each record into a body,
headers and the time the queue took it in, and reports the records this
step did not finish as the batch's failures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._receive import Attempt, start

if TYPE_CHECKING:
    from ._headers import HeadersLike
    from ._options import Options
    from ._verify import Webhook

__all__ = ["receive_queued"]


def receive_queued(
    webhook: Webhook,
    options: Options,
    body: bytes | str,
    headers: HeadersLike,
    *,
    handed_off_at: float,
    remaining: float | None = None,
) -> bool:
    """The receive step for a delivery taken off the hand-off queue: whether it is done with.

    Verified again against *handed_off_at* (when the queue took it in), then
    as :func:`receive`.  Done (``True``, the message can be deleted):
    handled, no handler, a duplicate of a processed delivery, processed but
    not recorded by the store, or signed but invalid and kept by
    *dead_letter*.  Not done (``False``, left to the queue's retries and its
    redrive policy): a failed verification (ERROR), signed but invalid
    without a dead letter, in progress elsewhere, a store or dead letter
    unreachable, a handler that raised (logged with its traceback and not
    re-raised, so the batch's other deliveries go on) or returned an
    awaitable.
    """
    started = start(webhook, options, body, headers, remaining=remaining, handed_off_at=handed_off_at)
    if isinstance(started, Attempt):
        try:
            started = started.run()
        except Exception:  # logged by Attempt.failed, the claim released
            return False
    return 200 <= started.status < 300
