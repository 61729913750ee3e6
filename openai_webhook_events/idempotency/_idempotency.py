"""``Idempotency``: the receive step's deduplication of deliveries through a store, its defaults, and the store
protocol classes (public in ``idempotency``).

A delivery's record key, the lease of an attempt, the retention of a
completion, and the claims of unknown outcome to release before the next
claim.  The protocol classes type what ``idempotency``'s docstring states.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from .._errors import WebhookConfigurationError, publish
from .._log import clean, failure, log
from ._base import STOPS, Claim, awaits, checked_done

if TYPE_CHECKING:
    from datetime import timedelta

    from .._models import WebhookEvent

MINIMUM_RETENTION = 72 * 3600.0
"""OpenAI retries a delivery for up to 72 hours: a completion must be remembered at least that long."""
DEFAULT_RETENTION = 7 * 24 * 3600.0
DEFAULT_LEASE = 60.0
"""The lease outside AWS Lambda (seconds): how long a claim blocks other attempts."""
SKEW_MARGIN = 5.0
"""Seconds added to a Lambda invocation's remaining time for clocks that differ between instances."""
_MAX_RAW_KEY = 200  # longer keys are stored as their SHA-256 (DynamoDB keys stop at 2048 bytes)
MAX_UNSETTLED = 128
"""Claims of unknown outcome an :class:`Idempotency` remembers to release; past that the oldest is forgotten
(its key stays blocked until its lease runs out)."""
SETTLE_PAUSE = 1.0
"""Seconds after a release of those claims failed before :meth:`Idempotency._settle` tries again: while the store
is down, one claim a second waits on it twice, not every claim."""
SETTLE_BATCH = 8
"""Remembered claims one settle releases at most, so a request waits for a bounded number of releases."""


class IdempotencyStore(Protocol):
    """The three atomic, token-fenced operations a store provides (see the module docstring)."""

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim: ...

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool: ...

    def release(self, key: str, token: str) -> bool: ...


class AsyncIdempotencyStore(Protocol):
    """:class:`IdempotencyStore`'s three operations as ``async def`` (:class:`AsyncRedisStore` is one): for the
    ASGI app, which awaits them on the event loop."""

    async def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim: ...

    async def complete(self, key: str, token: str, now: float, expires_at: float) -> bool: ...

    async def release(self, key: str, token: str) -> bool: ...


def _seconds(value: object, name: str) -> float:
    """*value* (seconds, or a ``timedelta``) as a finite float > 0; else :class:`WebhookConfigurationError`."""
    total: Any = getattr(value, "total_seconds", None)  # a timedelta, without importing datetime (~1.5 ms)
    seconds: object = total() if callable(total) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
        raise WebhookConfigurationError(f"{name} must be a number of seconds > 0 or a timedelta, not {value!r}")
    return float(seconds)


class Idempotency:
    """Deduplicate deliveries through *store*, for the receive step (``idempotency=`` of the adapters).

    *retention* (seconds or ``timedelta``, default 7 days) is how long a
    completed delivery is remembered; less than 72 hours (OpenAI's retry
    window) is refused.  *lease* is how long a claim blocks other attempts:
    by default, in AWS Lambda, the invocation's remaining time plus
    :data:`SKEW_MARGIN` (never less than 1 s), elsewhere 60 s; a *lease*
    given here overrides both.  *key* is ``"webhook-id"`` (the signed
    header, the key Standard Webhooks names; the default) or ``"event-id"``
    (the event's own ``id``).  *namespace* separates endpoints that share a
    store.

    *store* is an :class:`IdempotencyStore` or, for the ASGI app only, an
    :class:`AsyncIdempotencyStore` (``awaits`` is ``True`` then).

    A claim whose outcome is unknown (the store call raised, or answered
    outside the protocol: it may still land once the store is back) must
    not block its key for a whole lease: the receive step records it with
    :meth:`unsettle` and, before its next claim through this object,
    :meth:`settle` releases it (token-fenced, so never another attempt's
    record).  :attr:`_unsettled` holds at most :data:`MAX_UNSETTLED` of them.

    Raises :class:`WebhookConfigurationError` for a store without
    ``claim``/``complete``/``release`` or mixing ``async def`` and plain
    ones, or a bad option.
    """

    __slots__ = ("_lease", "_lock", "_settle_at", "_unsettled", "awaits", "key", "namespace", "retention", "store")

    def __init__(
        self,
        store: IdempotencyStore | AsyncIdempotencyStore,
        *,
        retention: float | timedelta = DEFAULT_RETENTION,
        lease: float | timedelta | None = None,
        key: Literal["webhook-id", "event-id"] = "webhook-id",
        namespace: str = "openai-webhook-events",
    ) -> None:
        missing = [name for name in ("claim", "complete", "release") if not callable(getattr(store, name, None))]
        if missing:
            raise WebhookConfigurationError(f"store {type(store).__name__} has no {', '.join(missing)} method")
        self.retention = _seconds(retention, "retention")
        if self.retention < MINIMUM_RETENTION:
            raise WebhookConfigurationError(
                f"retention must be at least 72 hours (OpenAI retries a delivery that long), not {retention!r}"
            )
        self._lease = None if lease is None else _seconds(lease, "lease")
        if key not in ("webhook-id", "event-id"):
            raise WebhookConfigurationError(f"key must be 'webhook-id' or 'event-id', not {key!r}")
        given_namespace = cast("object", namespace)
        if not isinstance(given_namespace, str) or not given_namespace:
            raise WebhookConfigurationError(f"namespace must be a non-empty str, not {namespace!r}")
        self.store = store
        self.awaits = awaits(store)  # an async store: only the ASGI app can await it
        self.key = key
        self.namespace = namespace
        self._unsettled: list[tuple[str, str, float]] = []
        """``(key, token, lease expiry)`` of the claims of unknown outcome not yet released, oldest first
        (shared with a ``copy.copy`` of this object)."""
        self._lock = threading.Lock()
        self._settle_at = -math.inf  # no settle before this time: a release failed just before

    def __repr__(self) -> str:
        return (
            f"Idempotency({type(self.store).__name__}, retention={self.retention!r}, lease={self._lease!r}, "
            f"key={self.key!r}, namespace={self.namespace!r})"
        )

    def lease(self, remaining: float | None = None) -> float:
        """The lease in seconds for an attempt with *remaining* seconds to run (``None``: unknown)."""
        if self._lease is not None:
            return self._lease
        if remaining is None:
            return DEFAULT_LEASE
        return max(1.0, remaining + SKEW_MARGIN)

    def store_key(self, webhook_id: str, event: WebhookEvent) -> str:
        """The record key of a delivery: the namespace, then its ``webhook-id`` or the event's ``id``."""
        raw = webhook_id if self.key == "webhook-id" else event.id
        key = f"{self.namespace}#{raw}"
        if len(key) > _MAX_RAW_KEY:
            key = f"{self.namespace}#sha256:{hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()}"
        return key

    @staticmethod
    def new_token() -> str:
        """A fresh random token naming one attempt."""
        return os.urandom(16).hex()

    def _unsettle(self, key: str, token: str, expires_at: float) -> None:
        """Remember a claim of *key* by *token*, leased until *expires_at*, whose outcome is unknown."""
        with self._lock:
            self._unsettled.append((key, token, expires_at))
            del self._unsettled[:-MAX_UNSETTLED]

    def _settle(self, now: float) -> None:
        """Release the remembered claims whose lease has not run out at *now*, in order, best effort.

        A release that answers (``True`` or ``False``) settles its claim;
        at the first one that fails (a store error) the rest are kept, and
        calls before :data:`SETTLE_PAUSE` seconds have passed do nothing:
        a store still down costs one failed call a second.  Nothing is
        raised but ``KeyboardInterrupt`` and ``SystemExit``.  (The ASGI app
        does the same with an async store, awaiting each release: :meth:`_due`,
        then :meth:`_defer` for the ones left.)
        """
        pending = self._due(now)
        store = cast("IdempotencyStore", self.store)  # the sync receive step refused an async store
        settled = 0
        try:
            for key, token, _ in pending:
                checked_done(store.release(key, token), store, "release")
                settled += 1
        except BaseException as error:  # a gevent.Timeout too: kept for the next call
            self._defer(pending[settled:], now, error)
            if isinstance(error, STOPS):
                raise

    def _due(self, now: float) -> list[tuple[str, str, float]]:
        """Take the remembered claims to release at *now* (lease not run out), oldest first, at most
        :data:`SETTLE_BATCH`; none within :data:`SETTLE_PAUSE` seconds of a failed release.  Those not released
        go back with :meth:`_defer`."""
        if now < self._settle_at:
            return []
        with self._lock:
            pending = [claim for claim in self._unsettled if claim[2] > now]
            self._unsettled[:] = pending[SETTLE_BATCH:]
        return pending[:SETTLE_BATCH]

    def _defer(self, claims: list[tuple[str, str, float]], now: float, error: BaseException) -> None:
        """Keep *claims* (from :meth:`_due`, the first of them failed to release at *now* with *error*) for a
        later settle, no sooner than :data:`SETTLE_PAUSE` seconds from *now*; log one WARNING
        (``settle_failed``) naming the first one's key and *error*."""
        with self._lock:
            self._unsettled[:0] = claims
            del self._unsettled[:-MAX_UNSETTLED]
            self._settle_at = now + SETTLE_PAUSE
        log(
            logging.WARNING,
            f"idempotency store failed to release a claim of unknown outcome ({clean(claims[0][0])}); {len(claims)} "
            f"kept, tried again at a claim {SETTLE_PAUSE:g} s later or after (each blocks its key): {failure(error)}",
            outcome="settle_failed",
            status=None,
            error=error,
        )


publish(
    [AsyncIdempotencyStore, Idempotency, IdempotencyStore], "idempotency"
)  # named (repr, help, pickle) by its public home
