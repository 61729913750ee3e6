"""CPU per request of the ASGI app on an async store (no thread hop) vs on a sync store (worker threads) vs WSGI.

    python bench/asgi_store.py [--requests 2000] [--reps 3] [--concurrency 8]
    python bench/asgi_store.py --servers [--requests 3000] [--reps 3] [--concurrency 8]

In process, no HTTP server: each app gets signed first deliveries of fresh
webhook-ids (claim, handler, complete: 2 store round trips each) on one
real redis-server (started on a free 127.0.0.1 port, ``--save ''``).  The
ASGI apps are driven on one event loop, *concurrency* requests at a time;
the WSGI app is called in a loop.  CPU is this process's (every thread's)
``time.process_time``, so the redis-server's own CPU is left out; the
contenders take turns, *reps* times, and the medians are printed with their
ratio to WSGI.  The HTTP server's own cost (uvicorn, gunicorn) is not in it.

With ``--servers``: ``tests/apps/served.py`` under real servers, one
worker each (uvicorn; gunicorn gthread with 4 threads), the same redis-server;
*concurrency* client threads on keep-alive connections POST signed first
deliveries (the plain fallback handler); the servers' CPU (``/proc``, the
worker processes') per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import threading
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
from tests.servers import Server, free_port, redis_server  # noqa: E402
from tests.strategies import example_payload  # noqa: E402

BODY = json.dumps(example_payload("response.completed")).encode()
FAILED_BODY = json.dumps(example_payload("response.failed")).encode()  # served.py's plain fallback handles it
WEBHOOK = Webhook(SECRET)


def deliveries(count: int, event_type: str = "response.completed") -> list[tuple[tuple[str, str], ...]]:
    """Headers of *count* signed deliveries of *event_type*'s example body, each a fresh webhook-id."""
    run = uuid.uuid4().hex[:12]
    now = int(time.time())
    body = BODY if event_type == "response.completed" else FAILED_BODY
    return [signed_headers(body, f"wh_{run}_{n}", now) for n in range(count)]


def router() -> Router[Any]:
    handlers: Router[Any] = Router()
    handlers.fallback(lambda event: None)
    return handlers


def asgi_cpu(app: Any, batch: list[tuple[tuple[str, str], ...]], concurrency: int) -> float:
    """CPU seconds per request of *app* answering every delivery of *batch* (all must answer 200)."""

    async def one(headers: tuple[tuple[str, str], ...]) -> int:
        sent: list[dict[str, Any]] = []
        pairs = [(name.encode(), value.encode()) for name, value in headers]
        scope = {"type": "http", "method": "POST", "path": "/", "headers": pairs}

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
        b"".join(app(environ, lambda status, headers, seen=statuses: seen.append(status)))
        assert statuses == ["200 OK"], statuses
    return (time.process_time() - start) / len(batch)


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process *pid* and its children still running (gunicorn's worker)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def served_cpu(command: list[str], env: dict[str, str], port: int, requests: int, concurrency: int) -> float:
    """Server CPU seconds per request of *command* answering *requests* first deliveries from *concurrency* threads."""
    server = Server(command, port, cwd=ROOT, env=env).start()
    try:
        assert server.process is not None
        batches = [deliveries(requests // concurrency, "response.failed") for _ in range(concurrency)]
        post_all(port, deliveries(20, "response.failed"))  # warm up: connections, scripts loaded
        before = server_cpu(server.process.pid)
        threads = [threading.Thread(target=post_all, args=(port, batch)) for batch in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return (server_cpu(server.process.pid) - before) / sum(len(batch) for batch in batches)
    finally:
        server.stop()


def post_all(port: int, batch: list[tuple[tuple[str, str], ...]]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for headers in batch:
            connection.request("POST", "/", body=FAILED_BODY, headers=dict(headers))
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, answer.status
    finally:
        connection.close()


def servers_main(requests: int, reps: int, concurrency: int, redis_port: int) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SERVED_SECRET": SECRET, "SERVED_REDIS_PORT": str(redis_port),
           "SERVED_MAX_BODY": "65536"}  # fmt: skip
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
               "tests.apps.served:asgi_app", "--port"]  # fmt: skip
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread", "--threads", "4",
                "--log-level", "warning", "tests.apps.served:wsgi_app", "--bind"]  # fmt: skip
    contenders: dict[str, Callable[[int], float]] = {
        "uvicorn, AsyncRedisStore (awaited on the loop)": lambda port: served_cpu(
            [*uvicorn, str(port)], env, port, requests, concurrency),
        "uvicorn, RedisStore (worker threads)": lambda port: served_cpu(
            [*uvicorn, str(port)], {**env, "SERVED_ASGI_THREADS": "1"}, port, requests, concurrency),
        "gunicorn gthread, RedisStore (wsgi)": lambda port: served_cpu(
            [*gunicorn, f"127.0.0.1:{port}"], env, port, requests, concurrency),
    }  # fmt: skip
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(reps):
        order = list(contenders)[rep % 3 :] + list(contenders)[: rep % 3]
        for name in order:
            results[name].append(contenders[name](free_port()))
    return results


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--requests", type=int, default=2000)
    options.add_argument("--reps", type=int, default=3)
    options.add_argument("--concurrency", type=int, default=8)
    options.add_argument("--servers", action="store_true", help="under uvicorn and gunicorn gthread, over HTTP")
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        server = redis_server(Path(folder)).start()
        try:
            if args.servers:
                results = servers_main(args.requests, args.reps, args.concurrency, server.port)
                return report(results, "gunicorn gthread, RedisStore (wsgi)", args, "server CPU/request")
            results = in_process_main(args.requests, args.reps, args.concurrency, server.port)
            return report(results, "wsgi, RedisStore", args, "CPU/request in process")
        finally:
            server.stop()


def in_process_main(requests: int, reps: int, concurrency: int, port: int) -> dict[str, list[float]]:
    sync_client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)

    def async_app() -> Any:  # a client per event loop: redis.asyncio connections belong to one loop
        client = redis.asyncio.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
        return asgi.app(WEBHOOK, router(), idempotency=Idempotency(AsyncRedisStore(client)))

    threaded = asgi.app(WEBHOOK, router(), idempotency=Idempotency(RedisStore(sync_client)))
    plain = wsgi.app(WEBHOOK, router(), idempotency=Idempotency(RedisStore(sync_client)))
    contenders: dict[str, Callable[[list[tuple[tuple[str, str], ...]]], float]] = {
        "asgi, AsyncRedisStore (awaited on the loop)": lambda b: asgi_cpu(async_app(), b, concurrency),
        "asgi, RedisStore (worker threads)": lambda b: asgi_cpu(threaded, b, concurrency),
        "wsgi, RedisStore": lambda b: wsgi_cpu(plain, b),
    }
    for measure in contenders.values():  # warm up: connections, scripts loaded (EVALSHA)
        measure(deliveries(50))
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(reps):
        order = list(contenders)[rep % 3 :] + list(contenders)[: rep % 3]
        for name in order:
            results[name].append(contenders[name](deliveries(requests)))
    return results


def report(results: dict[str, list[float]], baseline: str, args: argparse.Namespace, what: str) -> int:
    base = statistics.median(results[baseline])
    print(f"{args.requests} first deliveries x {args.reps} reps, concurrency {args.concurrency}; median {what}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:48s} {median * 1e6:8.1f} us  {median / base:5.2f}x wsgi   (reps: "
              + ", ".join(f"{v * 1e6:.0f}" for v in values) + ")")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
