"""What every idempotency store shares: the record states and the :class:`Claim` a claim answers.

``Claim`` is public as ``openai_webhook_events.idempotency.Claim``; it
lives here so that the stores talking to a server (``_sqlite_store``,
``_redis_store``, ``_dynamodb_store``) and ``idempotency``, which
re-exports them, import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ClaimState = Literal["acquired", "completed", "in_progress"]
ACQUIRED: Final = "acquired"
COMPLETED: Final = "completed"
IN_PROGRESS: Final = "in_progress"

GC_SLACK_SECONDS = 60  # a server drops a record this long after its expiry: expiry itself is decided by each write


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``state`` and the record's expiry (Unix seconds).

    ``acquired``: the caller holds the key until ``expires_at``.
    ``completed``: a delivery with this key was processed; remembered until
    ``expires_at``.  ``in_progress``: another attempt holds the key until
    ``expires_at``.
    """

    state: ClaimState
    expires_at: float


def claim_answer(state: object, token: object, expires_at: object, mine: str) -> Claim:
    """The :class:`Claim` for a record read back after a claim (*mine*: the claimant's token)."""
    text = state.decode() if isinstance(state, bytes) else str(state)
    holder = token.decode() if isinstance(token, bytes) else str(token)
    expiry = float(expires_at.decode() if isinstance(expires_at, bytes) else expires_at)  # type: ignore[arg-type]
    if text == IN_PROGRESS and holder == mine:
        return Claim(ACQUIRED, expiry)
    return Claim(COMPLETED if text == COMPLETED else IN_PROGRESS, expiry)
