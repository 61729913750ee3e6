"""``RedisStore``: idempotency records as Redis hashes (public as ``idempotency.RedisStore``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ._claim import GC_SLACK_SECONDS, Claim, claim_answer

if TYPE_CHECKING:
    from collections.abc import Callable

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


def _ttl_ms(now: float, expires_at: float) -> int:
    return max(1, math.ceil((expires_at - now + GC_SLACK_SECONDS) * 1000))


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
        return claim_answer(state, holder, expiry, mine=token)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return int(self._complete(self._prefix + key, [token, repr(expires_at), _ttl_ms(now, expires_at)])) == 1

    def release(self, key: str, token: str) -> bool:
        return int(self._release(self._prefix + key, [token])) == 1
