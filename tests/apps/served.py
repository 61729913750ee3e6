"""The apps the real-HTTP tests serve: ``wsgi_app`` (gunicorn, wsgiref) and ``asgi_app`` (uvicorn).

Configured from the environment: ``SERVED_SECRET`` (the ``whsec_`` secret),
``SERVED_MAX_BODY`` (``max_body_bytes``), ``SERVED_DB`` (the SQLite file
every worker shares for idempotency), ``SERVED_REDIS_PORT`` (instead, the
redis-server on that 127.0.0.1 port: ``RedisStore`` on a ``redis.Redis``
client for ``wsgi_app``, ``AsyncRedisStore`` on a ``redis.asyncio`` client
for ``asgi_app``, or the sync one too with ``SERVED_ASGI_THREADS=1``), ``SERVED_RUNS`` (each handler run
appends a line ``<tag> <webhook-id> <pid>`` to it) and ``SERVED_HOLD``
(seconds the ``batch.completed`` handler holds its claim).  Handlers:
``response.completed`` records ``sync`` (WSGI) or, as an ``async def``,
``async`` after an await (ASGI); ``batch.completed`` holds, then records
``held``; ``batch.failed`` raises on the first attempt of each webhook-id,
then records ``retried``; the fallback (a plain function) records
``fallback``.

``python -m tests.apps.served PORT`` serves ``wsgi_app`` on wsgiref.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from openai_webhook_events import (
    AsyncRouter,
    BatchCompletedWebhookEvent,
    BatchFailedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    Webhook,
    WebhookEvent,
    asgi,
    current_delivery,
    wsgi,
)
from openai_webhook_events.idempotency import AsyncRedisStore, Idempotency, RedisStore, SQLiteStore

RUNS = Path(os.environ.get("SERVED_RUNS", os.devnull))
HOLD = float(os.environ.get("SERVED_HOLD", "0"))
webhook = Webhook(os.environ["SERVED_SECRET"], max_body_bytes=int(os.environ.get("SERVED_MAX_BODY", "4096")))
idempotency = Idempotency(SQLiteStore(os.environ["SERVED_DB"])) if os.environ.get("SERVED_DB") else None
async_idempotency = idempotency
if os.environ.get("SERVED_REDIS_PORT"):
    import redis
    import redis.asyncio

    port = int(os.environ["SERVED_REDIS_PORT"])
    timeouts: dict[str, Any] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    idempotency = Idempotency(RedisStore(redis.Redis(host="127.0.0.1", port=port, **timeouts)))
    async_idempotency = Idempotency(AsyncRedisStore(redis.asyncio.Redis(host="127.0.0.1", port=port, **timeouts)))
    if os.environ.get("SERVED_ASGI_THREADS") == "1":
        async_idempotency = idempotency


def record(tag: str) -> None:
    with RUNS.open("a") as runs:
        runs.write(f"{tag} {current_delivery().webhook_id} {os.getpid()}\n")


def fail_first_attempt() -> None:
    """Raise on the first attempt of this webhook-id (remembered by a marker file beside SERVED_RUNS)."""
    marker = RUNS.with_name(f"failed-{current_delivery().webhook_id}")
    if not marker.exists():
        marker.touch()
        raise RuntimeError("the first attempt fails")


sync_router = Router()
async_router = AsyncRouter()


@sync_router.on(ResponseCompletedWebhookEvent)
def completed(event: ResponseCompletedWebhookEvent) -> None:
    record("sync")


@async_router.on(ResponseCompletedWebhookEvent)
async def completed_async(event: ResponseCompletedWebhookEvent) -> None:
    await asyncio.sleep(0.01)  # runs only if the coroutine is awaited
    record("async")


@sync_router.on(BatchCompletedWebhookEvent)
def held(event: BatchCompletedWebhookEvent) -> None:
    time.sleep(HOLD)
    record("held")


@async_router.on(BatchCompletedWebhookEvent)
async def held_async(event: BatchCompletedWebhookEvent) -> None:
    await asyncio.sleep(HOLD)
    record("held")


@sync_router.on(BatchFailedWebhookEvent)
@async_router.on(BatchFailedWebhookEvent)
def failing(event: BatchFailedWebhookEvent) -> None:
    fail_first_attempt()
    record("retried")


@sync_router.fallback
@async_router.fallback
def fallback(event: WebhookEvent) -> None:
    record("fallback")


wsgi_app = wsgi.app(webhook, sync_router, idempotency=idempotency)
asgi_app = asgi.app(webhook, async_router, idempotency=async_idempotency)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    with make_server("127.0.0.1", int(sys.argv[1]), wsgi_app, handler_class=_Quiet) as server:
        server.serve_forever()
