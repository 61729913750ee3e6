"""``SQLiteStore``: idempotency records in an SQLite database file (public as ``idempotency.SQLiteStore``)."""

from __future__ import annotations

import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any, cast

from .._errors import WebhookConfigurationError, publish, shorten
from ._base import Claim, claim_answer

if TYPE_CHECKING:
    import sqlite3

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

    A database file deleted or replaced while the store is open (a
    temporary-file cleaner, a restore) is reopened, never written on:
    before each operation the path's identity (device, inode) is compared
    with that of the file the store opened, and on a difference the store
    opens the path again and creates the table.  Reopening rather than failing
    closed: the file the path names is the one every other process, and
    every process started later, uses; following it keeps them all on one
    record per key, while refusing would answer 503 until the process
    restarts and win back no record (a deleted file's are gone for every
    process alike).  The identity is compared again after the statement:
    if the file changed during it, the operation raises
    ``sqlite3.OperationalError`` (a store failure) instead of answering
    from a file no other process reads.

    The database is opened at the first operation, not here: a file that
    cannot be opened yet (a directory not mounted yet; a file deleted while
    another process still holds its ``-wal`` and ``-shm``, which SQLite
    refuses with "disk I/O error" until that process's next operation
    reopens the path) makes each operation raise that ``sqlite3`` error, a
    store failure (503 with ``Retry-After`` at claim, fail closed), and the
    next operation tries again.

    Raises :class:`WebhookConfigurationError` for an SQLite older than 3.35
    (no ``RETURNING``), a *path* that is not a ``str`` or ``os.PathLike``
    or holds a NUL character, a *timeout* that is not a finite number of
    seconds >= 0, or a bad *table* name.  An operation on a closed store
    raises ``sqlite3.ProgrammingError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = True,
        timeout: float = 5.0,
        table: str = "webhook_deliveries",
    ):
        import sqlite3  # here: importing it costs ~3 ms of cold start to every other store

        if sqlite3.sqlite_version_info < (3, 35, 0):
            raise WebhookConfigurationError(f"SQLiteStore needs SQLite >= 3.35, this is {sqlite3.sqlite_version}")
        name = os.fspath(path) if isinstance(path, os.PathLike) else cast("object", path)
        if not isinstance(name, str) or "\0" in name:
            raise WebhookConfigurationError(f"path must be a str or os.PathLike without NUL, not {shorten(path)}")
        given = cast("object", timeout)
        if isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 <= given < math.inf:
            raise WebhookConfigurationError(f"timeout must be a number of seconds >= 0, not {shorten(given)}")
        if not table.isidentifier() or not table.isascii():
            raise WebhookConfigurationError(f"table must be a plain SQL identifier, not {table!r}")
        in_memory = name in ("", ":memory:")
        # Absolute, so that a later chdir moves neither the file compared nor the one reopened.
        self._path = name if in_memory else os.path.abspath(name)
        self._file = None if in_memory else self._path  # the path whose identity is compared (None: no file)
        self._timeout = timeout
        self._setup = (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}",
            _SQLITE_SCHEMA.format(table=table),
        )
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None  # opened by the first operation
        self._identity: tuple[int, int] | None = None
        self._closed = False
        self._claim = _SQLITE_CLAIM.format(table=table)
        self._complete = _SQLITE_COMPLETE.format(table=table)
        self._release = _SQLITE_RELEASE.format(table=table)

    def _open(self) -> tuple[sqlite3.Connection, tuple[int, int] | None]:
        """A connection to the store's path with the table created, and the identity of its file (None in memory)."""
        import sqlite3

        while True:
            # The path names one file before and after the connection opened one: that is the file it opened
            # (which it holds open, so its inode number cannot be reused).  A file just created takes a second round.
            before = None if self._file is None else _identity(self._file)
            connection = sqlite3.connect(
                self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            if self._file is None or (before is not None and _identity(self._file) == before):
                break
            connection.close()
        deadline = time.monotonic() + self._timeout
        try:
            for statement in self._setup:
                while True:
                    try:
                        connection.execute(statement)
                        break
                    except sqlite3.OperationalError as error:
                        # Switching a new file to WAL upgrades a read lock to a write lock, which SQLite does not
                        # wait for: "database is locked" at once while another process opens the file too.
                        if str(error) != "database is locked" or time.monotonic() >= deadline:
                            raise
                        time.sleep(0.005)
        except BaseException:
            connection.close()  # not left open until the garbage collector finds it
            raise
        return connection, before

    def _connected(self) -> sqlite3.Connection:
        """The connection to the file the path names now, opened (again) when there is none or the file changed;
        the caller holds the lock."""
        connection = self._connection
        if connection is None or (self._file is not None and _identity(self._file) != self._identity):
            if self._closed:
                import sqlite3

                raise sqlite3.ProgrammingError("SQLiteStore: cannot operate on a closed database")
            connection, self._identity = self._open()  # if it raises, the next operation tries again
            if self._connection is not None:
                self._connection.close()  # SQLite neither checkpoints into nor deletes the WAL of a moved file
            self._connection = connection
        return connection

    def _execute(self, statement: str, parameters: dict[str, object]) -> tuple[Any, int]:
        """The row *statement* returns and the rows it changed, run on the file the path names now."""
        # Two os.stat per operation: a claim 24.7 -> 29.0 us (synchronous=NORMAL, ext4; FULL: ~150 us, the fsync).
        with self._lock:
            cursor = self._connected().execute(statement, parameters)
            answer = cursor.fetchone(), cursor.rowcount
            if self._file is not None and _identity(self._file) != self._identity:
                import sqlite3

                raise sqlite3.OperationalError(
                    f"SQLiteStore: the database file {self._file} was deleted or replaced during this operation, "
                    "whose answer is therefore void (the next operation reopens the file)"
                )
        return answer

    def close(self) -> None:
        """Close the database connection (for good: a closed store does not reopen)."""
        with self._lock:
            self._file = None
            self._closed = True
            if self._connection is not None:
                self._connection.close()

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        row, _ = self._execute(self._claim, {"key": key, "token": token, "expires_at": expires_at, "now": now})
        state, holder, expiry = row
        return claim_answer(state, holder, expiry, mine=token)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return self._execute(self._complete, {"key": key, "token": token, "expires_at": expires_at})[1] == 1

    def release(self, key: str, token: str) -> bool:
        return self._execute(self._release, {"key": key, "token": token})[1] == 1


def _identity(path: str) -> tuple[int, int] | None:
    """The (device, inode) of the file *path* names, or None when there is none."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


publish([SQLiteStore], "idempotency")  # named (repr, help, pickle) by its public home
