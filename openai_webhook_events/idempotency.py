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

Standard library only: each store drives a client object the caller
passes in (boto3, redis-py, ``sqlite3`` from the standard library).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, cast

from ._errors import WebhookConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta

    from ._models import WebhookEvent

__all__ = [
    "ACQUIRED",
    "COMPLETED",
    "DEFAULT_LEASE",
    "DEFAULT_RETENTION",
    "IN_PROGRESS",
    "MINIMUM_RETENTION",
    "SKEW_MARGIN",
    "Claim",
    "DynamoDBStore",
    "Idempotency",
    "IdempotencyStore",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
]

ClaimState = Literal["acquired", "completed", "in_progress"]
ACQUIRED: Final = "acquired"
COMPLETED: Final = "completed"
IN_PROGRESS: Final = "in_progress"

MINIMUM_RETENTION = 72 * 3600.0
"""OpenAI retries a delivery for up to 72 hours: a completion must be remembered at least that long."""
DEFAULT_RETENTION = 7 * 24 * 3600.0
DEFAULT_LEASE = 60.0
"""The lease outside AWS Lambda (seconds): how long a claim blocks other attempts."""
SKEW_MARGIN = 5.0
"""Seconds added to a Lambda invocation's remaining time for clocks that differ between instances."""
_MAX_RAW_KEY = 200  # longer keys are stored as their SHA-256 (DynamoDB keys stop at 2048 bytes)


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


class IdempotencyStore(Protocol):
    """The three atomic, token-fenced operations a store provides (see the module docstring)."""

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim: ...

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool: ...

    def release(self, key: str, token: str) -> bool: ...


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

    Raises :class:`WebhookConfigurationError` for a store without
    ``claim``/``complete``/``release``, or a bad option.
    """

    __slots__ = ("_lease", "key", "namespace", "retention", "store")

    def __init__(
        self,
        store: IdempotencyStore,
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
        self.key = key
        self.namespace = namespace

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


# --- Memory ------------------------------------------------------------------------------------


class MemoryStore:
    """Records in a ``dict`` of this process, behind a lock: for tests and local runs.

    Nothing is shared between processes or survives a restart; expired
    records are replaced when claimed again, never swept.
    """

    __slots__ = ("_lock", "_records")

    def __init__(self) -> None:
        self._records: dict[str, tuple[str, str, float]] = {}  # key -> (state, token, expires_at)
        self._lock = threading.Lock()

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        with self._lock:
            record = self._records.get(key)
            if record is not None and record[2] > now and not (record[0] == IN_PROGRESS and record[1] == token):
                return Claim(COMPLETED if record[0] == COMPLETED else IN_PROGRESS, record[2])
            self._records[key] = (IN_PROGRESS, token, expires_at)
            return Claim(ACQUIRED, expires_at)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        with self._lock:
            if self._records.get(key, ("", "", 0.0))[:2] != (IN_PROGRESS, token):
                return False
            self._records[key] = (COMPLETED, token, expires_at)
            return True

    def release(self, key: str, token: str) -> bool:
        with self._lock:
            if self._records.get(key, ("", "", 0.0))[:2] != (IN_PROGRESS, token):
                return False
            del self._records[key]
            return True


def _claim_answer(state: object, token: object, expires_at: object, mine: str) -> Claim:
    """The :class:`Claim` for a record read back after a claim (*mine*: the claimant's token)."""
    text = state.decode() if isinstance(state, bytes) else str(state)
    holder = token.decode() if isinstance(token, bytes) else str(token)
    expiry = float(expires_at.decode() if isinstance(expires_at, bytes) else expires_at)  # type: ignore[arg-type]
    if text == IN_PROGRESS and holder == mine:
        return Claim(ACQUIRED, expiry)
    return Claim(COMPLETED if text == COMPLETED else IN_PROGRESS, expiry)


# --- SQLite ------------------------------------------------------------------------------------

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {table} ("
    "key TEXT PRIMARY KEY, state TEXT NOT NULL, token TEXT NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
)
# One statement: insert, or take over an expired record or our own claim, else rewrite the row unchanged;
# RETURNING reads back what the row holds afterwards (SQLite >= 3.35).
_SQLITE_CLAIM = (
    "INSERT INTO {table} (key, state, token, expires_at) VALUES (:key, 'in_progress', :token, :expires_at) "
    "ON CONFLICT (key) DO UPDATE SET "
    "state = CASE WHEN {cond} THEN 'in_progress' ELSE state END, "
    "token = CASE WHEN {cond} THEN excluded.token ELSE token END, "
    "expires_at = CASE WHEN {cond} THEN excluded.expires_at ELSE expires_at END "
    "RETURNING state, token, expires_at"
).replace("{cond}", "(expires_at <= :now OR (state = 'in_progress' AND token = excluded.token))")
_SQLITE_COMPLETE = (
    "UPDATE {table} SET state = 'completed', expires_at = :expires_at "
    "WHERE key = :key AND token = :token AND state = 'in_progress'"
)
_SQLITE_RELEASE = "DELETE FROM {table} WHERE key = :key AND token = :token AND state = 'in_progress'"


class SQLiteStore:
    """Records in an SQLite database file: one host, any number of threads and processes.

    The database runs in WAL mode; *durable* (the default) sets
    ``synchronous=FULL`` so a completion survives a power loss, ``False``
    uses ``NORMAL`` (survives a crash of the process, not of the machine).
    Each operation is one SQL statement.  *timeout* is how long (seconds) a
    statement waits for another writer.  Not for AWS Lambda (each
    instance's ``/tmp`` is its own) nor for network file systems (their
    locking breaks SQLite's).

    Raises :class:`WebhookConfigurationError` for an SQLite older than 3.35
    (no ``RETURNING``) or a bad *table* name; ``sqlite3`` errors for a
    database that cannot be opened.
    """

    def __init__(self, path: str, *, durable: bool = True, timeout: float = 5.0, table: str = "webhook_deliveries"):
        import sqlite3  # here: importing it costs ~3 ms of cold start to every other store

        if sqlite3.sqlite_version_info < (3, 35, 0):  # pragma: no cover - every supported CPython build here has 3.40
            raise WebhookConfigurationError(f"SQLiteStore needs SQLite >= 3.35, this is {sqlite3.sqlite_version}")
        if not table.isidentifier() or not table.isascii():
            raise WebhookConfigurationError(f"table must be a plain SQL identifier, not {table!r}")
        self._connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._connection.execute(_SQLITE_SCHEMA.format(table=table))
        self._claim = _SQLITE_CLAIM.format(table=table)
        self._complete = _SQLITE_COMPLETE.format(table=table)
        self._release = _SQLITE_RELEASE.format(table=table)

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        with self._lock:
            row = self._connection.execute(
                self._claim, {"key": key, "token": token, "expires_at": expires_at, "now": now}
            ).fetchone()
        state, holder, expiry = row
        return _claim_answer(state, holder, expiry, mine=token)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        with self._lock:
            cursor = self._connection.execute(self._complete, {"key": key, "token": token, "expires_at": expires_at})
        return cursor.rowcount == 1

    def release(self, key: str, token: str) -> bool:
        with self._lock:
            cursor = self._connection.execute(self._release, {"key": key, "token": token})
        return cursor.rowcount == 1


# --- Redis -------------------------------------------------------------------------------------

# KEYS[1] = the key; ARGV = token, now, expires_at, time to live in ms.  Returns {state, token, expires_at}.
_REDIS_CLAIM = """
local record = redis.call('HMGET', KEYS[1], 'state', 'token', 'expires_at')
if record[1] and tonumber(record[3]) > tonumber(ARGV[2])
        and not (record[1] == 'in_progress' and record[2] == ARGV[1]) then
    return record
end
redis.call('HSET', KEYS[1], 'state', 'in_progress', 'token', ARGV[1], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'in_progress', ARGV[1], ARGV[3]}
"""
# ARGV = token, expires_at, time to live in ms.  Returns 1 when completed, else 0.
_REDIS_COMPLETE = """
local record = redis.call('HMGET', KEYS[1], 'state', 'token')
if record[1] ~= 'in_progress' or record[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'completed', 'expires_at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
# ARGV = token.  Returns 1 when released, else 0.
_REDIS_RELEASE = """
local record = redis.call('HMGET', KEYS[1], 'state', 'token')
if record[1] ~= 'in_progress' or record[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""
_GC_SLACK_SECONDS = 60  # the server drops a record this long after its expiry: expiry itself is decided in the script


def _ttl_ms(now: float, expires_at: float) -> int:
    return max(1, math.ceil((expires_at - now + _GC_SLACK_SECONDS) * 1000))


def _redis_script(client: Any, text: str) -> Callable[[str, list[object]], Any]:
    """A function ``(key, args)`` running the Lua *text* on *client* in one round trip (``EVALSHA`` when it can)."""
    register: Any = getattr(client, "register_script", None)
    if callable(register):
        script: Any = register(text)
        return lambda key, args: script(keys=[key], args=args)
    return lambda key, args: client.eval(text, 1, key, *args)


class RedisStore:
    """Records as Redis hashes, each operation one Lua script (``EVALSHA``): Redis, Valkey and compatibles.

    *client* is a redis-py (or valkey) client; ``register_script`` is used
    when it has it, else ``eval``.  Give it short timeouts
    (``redis.Redis(..., socket_timeout=1, socket_connect_timeout=1)``) so an
    unreachable server answers 503 quickly.  Keys are *prefix* followed by
    the record key; each expires on the server a minute after its record.
    Completions survive a server restart only with AOF persistence
    (``appendonly yes``, ``appendfsync everysec`` or ``always``).
    """

    def __init__(self, client: Any, *, prefix: str = "webhook:") -> None:
        self._prefix = prefix
        self._claim = _redis_script(client, _REDIS_CLAIM)
        self._complete = _redis_script(client, _REDIS_COMPLETE)
        self._release = _redis_script(client, _REDIS_RELEASE)

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        args: list[object] = [token, repr(now), repr(expires_at), _ttl_ms(now, expires_at)]
        state, holder, expiry = self._claim(self._prefix + key, args)
        return _claim_answer(state, holder, expiry, mine=token)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return int(self._complete(self._prefix + key, [token, repr(expires_at), _ttl_ms(now, expires_at)])) == 1

    def release(self, key: str, token: str) -> bool:
        return int(self._release(self._prefix + key, [token])) == 1


# --- DynamoDB ----------------------------------------------------------------------------------

_NAMES = {"#state": "state", "#token": "token", "#expires_at": "expires_at"}
_HELD = "#state = :in_progress AND #token = :token"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def _condition_failed(error: Exception) -> dict[str, Any] | None:
    """The old item a conditional write failed on (``{}`` when not returned), or ``None`` for other errors."""
    response: Any = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    found = cast("dict[str, Any]", response)
    details: Any = found.get("Error")
    if not isinstance(details, dict) or cast("dict[str, Any]", details).get("Code") != _CONDITION_FAILED:
        return None
    item: Any = found.get("Item")
    return cast("dict[str, Any]", item) if isinstance(item, dict) else {}


class DynamoDBStore:
    """Records as items of a DynamoDB table, through boto3's low-level client (``boto3.client("dynamodb")``).

    The table's partition key is the string attribute ``pk``; enable TTL on
    the number attribute ``expiration`` (epoch seconds) to have DynamoDB
    delete old items; expiry itself is decided in each write's condition.
    Each operation is one conditional ``put_item``/``update_item``/
    ``delete_item``; a claim that finds the key taken reads the holder from
    the failed condition (``ReturnValuesOnConditionCheckFailure``), or with
    one ``get_item`` where the server does not return it.  Give the client
    short timeouts: ``botocore.config.Config(connect_timeout=1,
    read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})``.
    Completions are as durable as the table.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        for _ in range(3):  # a record released between the failed write and the read is claimed again
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=self._item(key, IN_PROGRESS, token, expires_at),
                    ConditionExpression=f"attribute_not_exists(pk) OR #expires_at <= :now OR ({_HELD})",
                    ExpressionAttributeNames=_NAMES,
                    ExpressionAttributeValues={
                        ":now": {"N": repr(now)},
                        ":in_progress": {"S": IN_PROGRESS},
                        ":token": {"S": token},
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except Exception as error:
                old = _condition_failed(error)
                if old is None:
                    raise
                if not old:
                    old = self._client.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True).get(
                        "Item", {}
                    )
                if old and float(old["expires_at"]["N"]) > now:
                    return _claim_answer(old["state"]["S"], old["token"]["S"], old["expires_at"]["N"], mine=token)
                continue
            return Claim(ACQUIRED, expires_at)
        raise RuntimeError(f"DynamoDBStore: the record {key!r} changed under three claims in a row")

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return self._fenced(
            self._client.update_item,
            key,
            token,
            UpdateExpression="SET #state = :completed, #expires_at = :expires_at, expiration = :expiration",
            ExpressionAttributeNames=_NAMES,
            values={
                ":completed": {"S": COMPLETED},
                ":expires_at": {"N": repr(expires_at)},
                ":expiration": {"N": str(math.ceil(expires_at) + _GC_SLACK_SECONDS)},
            },
        )

    def release(self, key: str, token: str) -> bool:
        return self._fenced(
            self._client.delete_item, key, token, ExpressionAttributeNames={"#state": "state", "#token": "token"}
        )

    def _fenced(self, operation: Any, key: str, token: str, values: dict[str, Any] | None = None, **kw: Any) -> bool:
        """Run the write *operation* on *key* only while it holds *token* in progress; whether it ran."""
        try:
            operation(
                TableName=self._table,
                Key={"pk": {"S": key}},
                ConditionExpression=_HELD,
                ExpressionAttributeValues={
                    **(values or {}),
                    ":in_progress": {"S": IN_PROGRESS},
                    ":token": {"S": token},
                },
                **kw,
            )
        except Exception as error:
            if _condition_failed(error) is None:
                raise
            return False
        return True

    @staticmethod
    def _item(key: str, state: str, token: str, expires_at: float) -> dict[str, Any]:
        return {
            "pk": {"S": key},
            "state": {"S": state},
            "token": {"S": token},
            "expires_at": {"N": repr(expires_at)},
            "expiration": {"N": str(math.ceil(expires_at) + _GC_SLACK_SECONDS)},
        }
