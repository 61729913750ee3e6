"""What every idempotency store and the receive step share: the record states, the :class:`Claim` a claim
answers (public as ``idempotency.Claim``), and the checks of a store's answers (:func:`checked_claim`,
:func:`checked_done`).

The receive step imports this module for every adapter: it imports no store.
"""

from __future__ import annotations

import inspect  # already loaded: dataclasses imports it
import math
from dataclasses import dataclass
from typing import Final, Literal, cast

from .._errors import WebhookConfigurationError, publish, shorten

ClaimState = Literal["acquired", "completed", "in_progress"]
ACQUIRED: Final = "acquired"
COMPLETED: Final = "completed"
IN_PROGRESS: Final = "in_progress"

GC_SLACK_SECONDS = 60  # a server drops a record this long after its expiry: expiry itself is decided by each write
STOPS = (KeyboardInterrupt, SystemExit)
"""What a store call may raise that ends the receive step: any other exception, ``BaseException`` subclasses
such as ``gevent.Timeout`` included, counts as a store error."""


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


publish([Claim], "idempotency")  # named (repr, help, pickle) by its public home


def claim_answer(state: object, token: object, expires_at: object, mine: str) -> Claim:
    """The :class:`Claim` for a record read back after a claim (*mine*: the claimant's token)."""
    text = state.decode() if isinstance(state, bytes) else str(state)
    holder = token.decode() if isinstance(token, bytes) else str(token)
    expiry = float(expires_at.decode() if isinstance(expires_at, bytes) else expires_at)  # type: ignore[arg-type]
    if text == IN_PROGRESS and holder == mine:
        return Claim(ACQUIRED, expiry)
    return Claim(COMPLETED if text == COMPLETED else IN_PROGRESS, expiry)


ASYNC_STORE_NEEDS_ASGI = (
    "an async idempotency store (async def claim/complete/release) needs openai_webhook_events.asgi.app "
    "to await it: give this adapter a sync store (RedisStore for a redis.Redis client)"
)
_OPERATIONS = ("claim", "complete", "release")


def awaits(store: object) -> bool:
    """Whether *store*'s three operations are ``async def`` (an async store); ``False`` when none is.

    Raises :class:`WebhookConfigurationError` naming the plain ones when only some are.
    """
    flavours = [inspect.iscoroutinefunction(getattr(store, name, None)) for name in _OPERATIONS]
    if all(flavours) or not any(flavours):
        return flavours[0]
    mixed = ", ".join(name for name, flavour in zip(_OPERATIONS, flavours, strict=True) if not flavour)
    raise WebhookConfigurationError(
        f"store {type(store).__name__} mixes async def and plain operations: {mixed} not async def"
    )


class StoreAnswerError(Exception):
    """A store answered outside its protocol: the receive step counts it as a store error (a store that is down)."""


def checked_claim(answer: object, store: object) -> Claim:
    """*answer* of ``store.claim`` when it is a valid :class:`Claim` (a subclass too): one of the three states
    and an expiry that is a finite number; else :class:`StoreAnswerError` naming *store*'s class (that of the
    store it wraps, for a ``__wrapped__`` one)."""
    if not isinstance(answer, Claim):
        problem = f"{shorten(answer)}, not a Claim"
    elif answer.state not in (ACQUIRED, COMPLETED, IN_PROGRESS):
        problem = f"a Claim in the unknown state {shorten(answer.state)}"
    else:
        expiry = cast("object", answer.expires_at)  # whatever the store put there
        if isinstance(expiry, (int, float)) and not isinstance(expiry, bool) and math.isfinite(expiry):
            return answer
        problem = f"a Claim expiring at {shorten(expiry)}, not a finite number of seconds"
    raise StoreAnswerError(f"{_name(store)}.claim answered {problem}")


def checked_done(answer: object, store: object, operation: str) -> bool:
    """*answer* of ``store.complete``/``store.release`` (*operation*) when it is a ``bool``; else
    :class:`StoreAnswerError` naming *store*'s class (``None`` from a forgotten ``return`` is not "no")."""
    if isinstance(answer, bool):
        return answer
    raise StoreAnswerError(f"{_name(store)}.{operation} answered {shorten(answer)}, not a bool")


def _name(store: object) -> str:
    """The class name of *store*, or of the store it wraps (its ``__wrapped__``: the ASGI app's time bound)."""
    return type(getattr(store, "__wrapped__", store)).__name__
