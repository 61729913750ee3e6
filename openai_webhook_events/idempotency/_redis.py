"""``RedisStore`` and ``AsyncRedisStore``: idempotency records as Redis strings (public in ``idempotency``)."""

from __future__ import annotations

import inspect  # already loaded: dataclasses imports it
import math
from typing import TYPE_CHECKING, Any

from .._errors import WebhookConfigurationError, publish
from ._base import ACQUIRED, COMPLETED, GC_SLACK_SECONDS, IN_PROGRESS, Claim

if TYPE_CHECKING:
    from collections.abc import Callable

# A record is one string, "<state> <expires_at> <token>" (the token last: it may hold spaces), read with
# string.find, not string.match (no captures), and written by one SET ... PX, not HSET then PEXPIRE.  redis-server's
# time per call against the hash and HMGET/HSET/PEXPIRE before (INFO commandstats usec_per_call, medians, redis
# 7.0: python bench/claim_path.py server): first claim 7.9 -> 6.3 µs, duplicate claim 5.6 -> 5.0 µs, complete 6.7 ->
# 6.7 µs.
#
# KEYS[1] = the key; ARGV = token, now, expires_at, time to live in ms.  Returns 1 when acquired, else the
# record's "<state> <expires_at>": one value, not an array, cuts a claim's client CPU 54 -> 46 µs (median,
# python bench/claim_path.py RedisStore).  'in_progress' is the one state whose space is the 12th character.
_REDIS_CLAIM = """
local record = redis.call('GET', KEYS[1])
if record then
    local state_end = string.find(record, ' ', 1, true)
    local expiry_end = string.find(record, ' ', state_end + 2, true)
    if tonumber(string.sub(record, state_end + 1, expiry_end - 1)) > tonumber(ARGV[2])
            and not (state_end == 12 and string.sub(record, expiry_end + 1) == ARGV[1]) then
        return string.sub(record, 1, expiry_end - 1)
    end
end
redis.call('SET', KEYS[1], 'in_progress ' .. ARGV[3] .. ' ' .. ARGV[1], 'PX', ARGV[4])
return 1
"""
# ARGV[1] = token: returns 0 unless the record is in progress with this token.
_REDIS_HELD = """
local record = redis.call('GET', KEYS[1])
if not record or string.sub(record, 1, 12) ~= 'in_progress '
        or string.sub(record, string.find(record, ' ', 14, true) + 1) ~= ARGV[1] then return 0 end
"""
# ARGV = token, expires_at, time to live in ms.  Returns 1 when completed, else 0.
_REDIS_COMPLETE = (
    _REDIS_HELD
    + """
redis.call('SET', KEYS[1], 'completed ' .. ARGV[2] .. ' ' .. ARGV[1], 'PX', ARGV[3])
return 1
"""
)
# ARGV = token.  Returns 1 when released, else 0.
_REDIS_RELEASE = (
    _REDIS_HELD
    + """
redis.call('DEL', KEYS[1])
return 1
"""
)


def _claimed(answer: object, expires_at: float) -> Claim:
    """The :class:`Claim` the claim script answered (*expires_at*: the claim's own)."""
    if answer == 1:
        return Claim(ACQUIRED, float(expires_at))
    state, _, expiry = (answer.decode() if isinstance(answer, bytes) else str(answer)).partition(" ")
    return Claim(COMPLETED if state == COMPLETED else IN_PROGRESS, float(expiry))


def _ttl_ms(now: float, expires_at: float) -> int:
    return max(1, math.ceil((expires_at - now + GC_SLACK_SECONDS) * 1000))


# The ASCII arguments go as bytes, which redis-py sends as they are (a str or a number goes through its
# encoder's isinstance chain): with EVALSHA through execute_command (_redis_script), RedisStore.claim's client
# CPU 44.5 -> 41.9 µs (median of 3 runs, python bench/claim_path.py RedisStore.claim).
def _claim_args(token: str, now: float, expires_at: float) -> list[object]:
    return [token, repr(now).encode(), repr(expires_at).encode(), b"%d" % _ttl_ms(now, expires_at)]


def _complete_args(token: str, now: float, expires_at: float) -> list[object]:
    return [token, repr(expires_at).encode(), b"%d" % _ttl_ms(now, expires_at)]


def _no_script(error: Exception) -> bool:
    """Whether *error* is the server's ``NOSCRIPT`` (its script cache lost the script: a flush, a restart)."""
    return type(error).__name__ == "NoScriptError"  # redis-py's and valkey's, raised before the script ran


def _redis_script(client: Any, text: str) -> tuple[Callable[[str, list[object]], Any], object]:
    """A function ``(key, args)`` running the Lua *text* on *client* in one round trip (``EVALSHA`` when it can),
    and the client's call it makes (``async def`` for an async client).

    With ``register_script`` and ``execute_command``, each call is ``EVALSHA`` with the script's SHA-1; only
    after a ``NOSCRIPT`` does it go through the registered script, which loads it again.
    """
    register: Any = getattr(client, "register_script", None)
    if not callable(register):
        evaluate: Any = getattr(client, "eval", None)
        if not callable(evaluate):
            raise WebhookConfigurationError(
                f"{type(client).__name__} is not a Redis client: it has neither register_script nor eval"
            )
        return lambda key, args: evaluate(text, 1, key, *args), evaluate
    script: Any = register(text)
    sha: object = getattr(script, "sha", None)
    if not callable(getattr(client, "execute_command", None)) or not isinstance(sha, str):
        return lambda key, args: script(keys=[key], args=args), script.__call__
    execute: Any = client.execute_command
    digest = sha.encode()
    # EVALSHA itself, not the registered script's __call__ (its imports, isinstance checks, tuples): a claim's
    # client CPU 66 -> 54 µs (median, redis-py 8, real redis-server: python bench/claim_path.py RedisStore);
    # through execute_command, not evalsha (two calls less), and its SHA-1 and key count as bytes: see _claim_args
    if inspect.iscoroutinefunction(script.__call__):

        async def run_async(key: str, args: list[object]) -> Any:
            try:
                return await execute("EVALSHA", digest, b"1", key, *args)
            except Exception as error:
                if not _no_script(error):
                    raise
            return await script(keys=[key], args=args)

        return run_async, script.__call__

    def run(key: str, args: list[object]) -> Any:
        try:
            return execute("EVALSHA", digest, b"1", key, *args)
        except Exception as error:
            if not _no_script(error):
                raise
        return script(keys=[key], args=args)

    return run, script.__call__


def _redis_scripts(client: Any, asynchronous: bool) -> list[Callable[[str, list[object]], Any]]:
    """The claim, complete and release scripts on *client* (:func:`_redis_script`).

    Raises :class:`WebhookConfigurationError` when *client* is not of the
    flavour asked for (*asynchronous*: its calls are ``async def``).
    """
    scripts = [_redis_script(client, text) for text in (_REDIS_CLAIM, _REDIS_COMPLETE, _REDIS_RELEASE)]
    if inspect.iscoroutinefunction(scripts[0][1]) != asynchronous:
        wanted, given = ("AsyncRedisStore", "an async") if not asynchronous else ("RedisStore", "a sync")
        raise WebhookConfigurationError(f"{type(client).__name__} is {given} client: use idempotency.{wanted} for it")
    return [run for run, _ in scripts]


class RedisStore:
    """Records as Redis strings, each operation one Lua script (``EVALSHA``): Redis, Valkey and compatibles.

    *client* is a redis-py (or valkey) client; ``register_script`` is used
    when it has it, else ``eval``.  Give it short timeouts
    (``redis.Redis(..., socket_timeout=1, socket_connect_timeout=1)``) so an
    unreachable server answers 503 quickly.  Keys are *prefix* followed by
    the record key; each expires on the server a minute after its record.
    Completions survive a server restart only with AOF persistence
    (``appendonly yes``, ``appendfsync everysec`` or ``always``).

    An async client (``redis.asyncio.Redis``) is refused with
    :class:`~openai_webhook_events.WebhookConfigurationError`: it goes to
    :class:`AsyncRedisStore`; so is an object with neither
    ``register_script`` nor ``eval``.
    """

    def __init__(self, client: Any, *, prefix: str = "webhook:") -> None:
        self._prefix = prefix
        self._claim, self._complete, self._release = _redis_scripts(client, asynchronous=False)

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        return _claimed(self._claim(self._prefix + key, _claim_args(token, now, expires_at)), expires_at)

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return int(self._complete(self._prefix + key, _complete_args(token, now, expires_at))) == 1

    def release(self, key: str, token: str) -> bool:
        return int(self._release(self._prefix + key, [token])) == 1


class AsyncRedisStore:
    """:class:`RedisStore` through an async client (``redis.asyncio.Redis``, ``valkey.asyncio``): the same
    records and scripts, each operation ``async def``.

    For the ASGI app (``asgi.app``), which awaits each call on the event
    loop, within its ``store_timeout``, instead of running it in a worker
    thread; the other adapters refuse it.  A sync client is refused with
    :class:`~openai_webhook_events.WebhookConfigurationError`, as is an
    object with neither ``register_script`` nor ``eval``.  Give the client
    short timeouts, as for :class:`RedisStore`.
    """

    def __init__(self, client: Any, *, prefix: str = "webhook:") -> None:
        self._prefix = prefix
        self._claim, self._complete, self._release = _redis_scripts(client, asynchronous=True)

    async def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        return _claimed(await self._claim(self._prefix + key, _claim_args(token, now, expires_at)), expires_at)

    async def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return int(await self._complete(self._prefix + key, _complete_args(token, now, expires_at))) == 1

    async def release(self, key: str, token: str) -> bool:
        return int(await self._release(self._prefix + key, [token])) == 1


publish([RedisStore, AsyncRedisStore], "idempotency")  # named (repr, help, pickle) by their public home
