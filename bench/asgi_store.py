"""CPU per request of the ASGI app on an async store (no thread hop) vs on a sync store (worker threads) vs WSGI.

    python bench/asgi_store.py [--requests 2000] [--reps 3] [--concurrency 8]

In process, no HTTP server: each app gets signed first deliveries of fresh
webhook-ids (claim, handler, complete: 2 store round trips each) on one
real redis-server (started on a free 127.0.0.1 port, ``--save ''``).  The
ASGI apps are driven on one event loop, *concurrency* requests at a time;
the WSGI app is called in a loop.  CPU is this process's (every thread's)
``time.process_time``, so the redis-server's own CPU is left out; the
contenders take turns, *reps* times, and the medians are printed with their
ratio to WSGI.  The HTTP server's own cost (uvicorn, gunicorn) is not in it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import redis  # noqa: E402
import redis.asyncio  # noqa: E402

from openai_webhook_events import Router, Webhook, asgi, wsgi  # noqa: E402
from openai_webhook_events.idempotency import AsyncRedisStore, Idempotency, RedisStore  # noqa: E402
from tests.deliveries import SECRET, signed_headers  # noqa: E402
from tests.servers import redis_server  # noqa: E402
from tests.strategies import example_payload  # noqa: E402

BODY = __import__("json").dumps(example_payload("response.completed")).encode()
WEBHOOK = Webhook(SECRET)


def deliveries(count: int) -> list[tuple[tuple[str, str], ...]]:
    run = uuid.uuid4().hex[:12]
    now = int(time.time())
    return [signed_headers(BODY, f"wh_{run}_{n}", now) for n in range(count)]


def router() -> Router[Any]:
    handlers: Router[Any] = Router()
    handlers.fallback(lambda event: None)
    return handlers


def asgi_cpu(app: Any, batch: list[tuple[tuple[str, str], ...]], concurrency: int) -> float:
    """CPU seconds per request of *app* answering every delivery of *batch* (all must answer 200)."""

    async def one(headers: tuple[tuple[str, str], ...]) -> int:
        sent: list[dict[str, Any]] = []
        scope = {"type": "http", "method": "POST", "path": "/", "headers": [(n.encode(), v.encode()) for n, v in headers]}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": BODY}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        status: int = sent[0]["status"]
        return status

    async def run() -> float:
        start = time.process_time()
        for at in range(0, len(batch), concurrency):
            statuses = await asyncio.gather(*(one(headers) for headers in batch[at : at + concurrency]))
            assert set(statuses) == {200}, statuses
        return (time.process_time() - start) / len(batch)

    return asyncio.run(run())


def wsgi_cpu(app: Any, batch: list[tuple[tuple[str, str], ...]]) -> float:
    start = time.process_time()
    for headers in batch:
        environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(BODY)), "wsgi.input": io.BytesIO(BODY)}
        environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers})
        statuses: list[str] = []
        b"".join(app(environ, lambda status, headers: statuses.append(status)))
        assert statuses == ["200 OK"], statuses
    return (time.process_time() - start) / len(batch)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--requests", type=int, default=2000)
    options.add_argument("--reps", type=int, default=3)
    options.add_argument("--concurrency", type=int, default=8)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        server = redis_server(Path(folder)).start()
        try:
            port = server.port
            sync_client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)

            def async_app() -> Any:  # a client per event loop: redis.asyncio connections belong to one loop
                client = redis.asyncio.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
                return asgi.app(WEBHOOK, router(), idempotency=Idempotency(AsyncRedisStore(client)))

            threaded = asgi.app(WEBHOOK, router(), idempotency=Idempotency(RedisStore(sync_client)))
            plain = wsgi.app(WEBHOOK, router(), idempotency=Idempotency(RedisStore(sync_client)))
            contenders: dict[str, Callable[[list[tuple[tuple[str, str], ...]]], float]] = {
                "asgi, AsyncRedisStore (awaited on the loop)": lambda b: asgi_cpu(async_app(), b, args.concurrency),
                "asgi, RedisStore (worker threads)": lambda b: asgi_cpu(threaded, b, args.concurrency),
                "wsgi, RedisStore": lambda b: wsgi_cpu(plain, b),
            }
            for measure in contenders.values():  # warm up: connections, scripts loaded (EVALSHA)
                measure(deliveries(50))
            results: dict[str, list[float]] = {name: [] for name in contenders}
            for rep in range(args.reps):
                order = list(contenders)[rep % 3 :] + list(contenders)[: rep % 3]
                for name in order:
                    results[name].append(contenders[name](deliveries(args.requests)))
        finally:
            server.stop()
    base = statistics.median(results["wsgi, RedisStore"])
    print(f"{args.requests} first deliveries x {args.reps} reps, ASGI concurrency {args.concurrency}; median CPU/request")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:45s} {median * 1e6:8.1f} us  {median / base:5.2f}x wsgi   (reps: "
              + ", ".join(f"{v * 1e6:.0f}" for v in values) + ")")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
