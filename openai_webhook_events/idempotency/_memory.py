"""``MemoryStore``: idempotency records in a ``dict`` of this process (public as ``idempotency.MemoryStore``)."""

from __future__ import annotations

import threading

from .._errors import publish
from ._base import ACQUIRED, COMPLETED, IN_PROGRESS, Claim


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
            if self._records.get(key, ())[:2] != (IN_PROGRESS, token):
                return False
            self._records[key] = (COMPLETED, token, expires_at)
            return True

    def release(self, key: str, token: str) -> bool:
        with self._lock:
            if self._records.get(key, ())[:2] != (IN_PROGRESS, token):
                return False
            del self._records[key]
            return True


publish([MemoryStore], "idempotency")  # named (repr, help, pickle) by its public home
