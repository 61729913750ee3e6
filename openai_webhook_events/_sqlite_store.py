"""``SQLiteStore``: idempotency records in an SQLite database file (public as ``idempotency.SQLiteStore``)."""

from __future__ import annotations

import threading

from ._claim import Claim, claim_answer
from ._errors import WebhookConfigurationError

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

        if sqlite3.sqlite_version_info < (3, 35, 0):
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
        return claim_answer(state, holder, expiry, mine=token)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        with self._lock:
            cursor = self._connection.execute(self._complete, {"key": key, "token": token, "expires_at": expires_at})
        return cursor.rowcount == 1

    def release(self, key: str, token: str) -> bool:
        with self._lock:
            cursor = self._connection.execute(self._release, {"key": key, "token": token})
        return cursor.rowcount == 1
