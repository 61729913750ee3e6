"""Process each webhook delivery once: :class:`Idempotency` and its stores.

OpenAI delivers at least once: any answer other than a 2xx (a timeout
included) is retried for up to 72 hours, and a slow first attempt and its
retry can run at the same time on two instances.  Give the receive step
(``aws_lambda.lambda_handler(..., idempotency=Idempotency(store))``) a store
shared by every instance and each delivery's handler runs once.

Every store keeps one record per key: its state (``in_progress`` or
``completed``), the random *token* of the attempt that wrote it, and the
Unix time it expires.  The store protocol (:class:`IdempotencyStore`) is
three operations, each one atomic step on the store:

- ``claim(key, token, now, expires_at) -> Claim``: when the key is free,
  its record expired (``expires_at <= now``), or it is ``in_progress`` with
  this same *token*, write ``in_progress``/*token*/*expires_at* and answer
  ``acquired``; otherwise change nothing and answer the record's state
  (``completed`` or ``in_progress``) and its expiry.
- ``complete(key, token, now, expires_at) -> bool``: only while the record
  is ``in_progress`` with *token*, make it ``completed`` until *expires_at*.
- ``release(key, token) -> bool``: only while the record is
  ``in_progress`` with *token*, delete it.

``complete`` and ``release`` answer whether they changed the record: a
late attempt whose lease was taken over (a "zombie") cannot touch the new
owner's record.  Store errors propagate as the client raises them.

The receive step treats a store that misbehaves as a store that is down.
A store error is anything a call raises (``gevent.Timeout`` and other
``BaseException`` subclasses included; only ``KeyboardInterrupt`` and
``SystemExit`` propagate), a ``claim`` answer that is not a :class:`Claim`
in one of the three states with a finite ``expires_at`` (a subclass is
a ``Claim``), and a ``complete``/``release`` answer that is not a
``bool``.  At ``claim`` it answers 503 with ``Retry-After: 5`` (the
handler does not run) and, since that claim may still land once the
store is back (a client timeout while the server stalls), releases it
before the next claim through the same :class:`Idempotency`, so a retry
is not blocked for a whole lease; at ``complete`` 200 (the work is done;
a retry may run it again); at ``release`` nothing changes (the lease runs
out).  Each is logged at ERROR, naming the store's class when it answered
outside the protocol.

An async store (:class:`AsyncIdempotencyStore`: the same three operations
as ``async def``, :class:`AsyncRedisStore` for ``redis.asyncio``) is
awaited by the ASGI app on its event loop; the other adapters refuse it.

Standard library only: each store drives a client object the caller
passes in (boto3, redis-py, ``sqlite3`` from the standard library).
Each store lives in a private module of this package (``_memory``,
``_sqlite``, ``_redis``, ``_dynamodb``), :class:`Idempotency` and the
protocol classes in ``_idempotency``, :class:`Claim` and the checks of a
store's answers in ``_base``; all are public here, the names of
:data:`_LAZY` imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._base import ACQUIRED, COMPLETED, IN_PROGRESS, Claim
from ._base import ClaimState as ClaimState  # Claim's annotation, resolved in this module (its public home)

if TYPE_CHECKING:
    from ._dynamodb import DynamoDBStore
    from ._idempotency import (
        DEFAULT_LEASE,
        DEFAULT_RETENTION,
        MINIMUM_RETENTION,
        SKEW_MARGIN,
        AsyncIdempotencyStore,
        Idempotency,
        IdempotencyStore,
    )
    from ._memory import MemoryStore
    from ._redis import AsyncRedisStore, RedisStore
    from ._sqlite import SQLiteStore

__all__ = [
    "ACQUIRED",
    "COMPLETED",
    "DEFAULT_LEASE",
    "DEFAULT_RETENTION",
    "IN_PROGRESS",
    "MINIMUM_RETENTION",
    "SKEW_MARGIN",
    "AsyncIdempotencyStore",
    "AsyncRedisStore",
    "Claim",
    "DynamoDBStore",
    "Idempotency",
    "IdempotencyStore",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
]

_LAZY = {
    "DEFAULT_LEASE": "_idempotency",
    "DEFAULT_RETENTION": "_idempotency",
    "MINIMUM_RETENTION": "_idempotency",
    "SKEW_MARGIN": "_idempotency",
    "AsyncIdempotencyStore": "_idempotency",
    "Idempotency": "_idempotency",
    "IdempotencyStore": "_idempotency",
    "MemoryStore": "_memory",
    "SQLiteStore": "_sqlite",
    "AsyncRedisStore": "_redis",
    "RedisStore": "_redis",
    "DynamoDBStore": "_dynamodb",
}
"""The public names defined in a private module of this package, imported on first use (PEP 562): the receive
step imports ``_base`` (so this module) for every adapter, and one without idempotency imports no store, nor
``_idempotency`` (its two protocol classes alone cost ~230 us of import, -X importtime on a loaded 2-core machine)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(import_module(f"{__name__}.{module}"), name)
    return value
