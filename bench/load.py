"""Load benchmark: the receiver under real servers on 127.0.0.1, with a real redis-server, against its peers.

    python bench/load.py            # every contender, 3 interleaved runs, the fault runs; writes bench/RESULTS.md
    python bench/load.py --quick    # CI smoke: this package only, one small run each, no files written
    python bench/load.py --quick --json out.json   # the same, its numbers as JSON too
    python bench/load.py --only "gunicorn gthread, Redis" --only hand-written   # those contenders, no files written

Each run sends N signed deliveries over N/4 ``webhook-id`` values: each id is sent 4 times, one of them
as a concurrent copy of the first (both requests go out together), two later on.  A non-2xx answer is
retried as OpenAI would (exponential backoff with jitter, capped, until a 2xx or a bounded give-up time).
Each handler counts its run with ``INCR runs:<event id>`` on the redis-server (``bench/load_apps.py``):
an id never counted is *lost*, one counted twice is *doubled*.  Measured per run: requests/s (HTTP
requests, retries included, over the run's wall time), server CPU per request (user + system of the
server's processes and their children, from ``/proc/<pid>/stat``) and redis-server's, latency percentiles
of every request, RSS of the server's processes at the end.

Contenders (``bench/load_apps.py``): this package's WSGI app under gunicorn (gthread: 2 workers x 4
threads; sync: 2 workers) with ``RedisStore`` and with ``SQLiteStore``; its ASGI app under uvicorn (2
workers) with ``RedisStore``; Flask + the openai SDK's ``client.webhooks.unwrap`` + Powertools'
``idempotent_function`` on Redis (gthread); a hand-written WSGI function (standardwebhooks ``verify``, a
pydantic model, Redis ``SET NX EX``; gthread).  The fault runs pause redis-server (SIGSTOP) for 3 s a
third of the way through a run, then resume it (SIGCONT).

The Lambda cost section calls the Lambda handlers in-process (this package's ``aws_lambda.lambda_handler``
and a Powertools ``@idempotent`` handler around the SDK's ``unwrap``) on the same redis-server.

Load goes to 127.0.0.1 only, bounded in count and time; every server is stopped by PID at the end, on
error too.  Needs redis-server on PATH; peers (``pip install -e '.[bench]'``) are optional.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from openai_webhook_events import Router, Webhook, WebhookEvent, aws_lambda  # noqa: E402
from openai_webhook_events.idempotency import Idempotency, RedisStore  # noqa: E402
from openai_webhook_events.testing import lambda_event, make_payload  # noqa: E402
from tests import servers  # noqa: E402

SECRET = "whsec_" + "bG9hZCBiZW5jaG1hcmsgc2VjcmV0LCAzMiBieXRlcyE="
WEBHOOK = Webhook(SECRET)
BASELINE = "package WSGI, gunicorn gthread, Redis"
ASGI = "package ASGI, uvicorn, Redis"
ASGI_ASYNC = "package ASGI, uvicorn, Redis async client"
HANDWRITTEN = "hand-written SET NX (standardwebhooks + pydantic), gthread, Redis"
RECOVERY_TARGET_S = 15.0
GIVE_UP_S = 75.0  # a fault run's sender gives a delivery up after this long: past the package's 60 s lease
MARK = "<!-- bench/load.py writes from here to the end -->"
BACKOFF_BASE, BACKOFF_CAP = 0.05, 2.0  # seconds: retry k waits min(cap, base * 2**k) x uniform(0.5, 1)
STALL_SECONDS = 3.0
X = "\N{MULTIPLICATION SIGN}"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Contender:
    name: str
    app: str  # LOAD_APP of bench/load_apps.py
    server: str  # "gthread", "sync" or "uvicorn"
    store: str  # "redis" or "sqlite"
    needs: tuple[str, ...] = ()  # modules a peer needs
    package: bool = True

    @property
    def fault(self) -> bool:
        return self.store == "redis" and self.server != "sync"


CONTENDERS = (
    Contender(BASELINE, "package-wsgi", "gthread", "redis"),
    Contender("package WSGI, gunicorn sync, Redis", "package-wsgi", "sync", "redis"),
    Contender(ASGI, "package-asgi", "uvicorn", "redis"),
    Contender(ASGI_ASYNC, "package-asgi-async", "uvicorn", "redis"),
    Contender("package WSGI, gunicorn gthread, SQLite", "package-wsgi", "gthread", "sqlite"),
    Contender(
        "Flask + SDK unwrap + Powertools, gthread, Redis",
        "powertools",
        "gthread",
        "redis",
        ("flask", "openai", "aws_lambda_powertools"),
        package=False,
    ),
    Contender(
        HANDWRITTEN,
        "handwritten",
        "gthread",
        "redis",
        ("standardwebhooks", "pydantic"),
        package=False,
    ),
)


# --- processes: CPU and RSS from /proc ---------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 (state) is index 0


def tree(root: int) -> list[int]:
    """*root* and every process descending from it (read from ``/proc``)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of *root*'s process tree, children it has reaped included."""
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError, IndexError):
            fields = _stat_fields(pid)
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / CLOCK_TICKS


def rss_mib(root: int) -> float:
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError, StopIteration):
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            total += int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
    return total / 1024


# --- servers -------------------------------------------------------------------------------------------------


def app_server(contender: Contender, redis_port: int, directory: Path) -> servers.Server:
    """The contender's server (not started): gunicorn or uvicorn on a free port, importing ``load_apps:app``."""
    port = servers.free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
        "LOAD_APP": contender.app,
        "LOAD_SECRET": SECRET,
        "LOAD_REDIS_PORT": str(redis_port),
    }
    if contender.store == "sqlite":
        env["LOAD_SQLITE"] = str(directory / f"{contender.app}-{contender.server}.sqlite3")
    bind = f"127.0.0.1:{port}"
    if contender.server == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        command += ["--log-level", "warning", "--no-access-log", "--app-dir", str(HERE), "load_apps:app"]
    else:
        command = [sys.executable, "-m", "gunicorn", "-b", bind, "-w", "2", "-k", contender.server]
        command += ["--threads", "4"] if contender.server == "gthread" else []
        command += ["--chdir", str(HERE), "--log-level", "warning", "load_apps:app"]
    return servers.Server(command, port, cwd=HERE, env=env)


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[servers.Server]:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server): the load benchmark needs it")
    server = servers.redis_server(directory).start()
    try:
        yield server
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)  # a stopped server cannot take SIGTERM
        server.stop()


# --- the load ------------------------------------------------------------------------------------------------


@dataclass
class Delivery:
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    started: float = 0.0
    done: float | None = None  # time of its 2xx
    answers: list[tuple[float, int]] = field(default_factory=list)  # (time, status) of each attempt


class Client:
    """A minimal HTTP/1.1 client on 127.0.0.1: keep-alive connections reused, a fresh one when the server closes."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """The answer's status; 0 when the connection failed or the answer took longer than the timeout."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {len(body)}\r\n{head}\r\n".encode() + body
        for reused in (True, False):
            if reused and not self.idle:
                continue
            connection = self.idle.pop() if reused else None
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", self.port)
                return await asyncio.wait_for(self._exchange(connection, request), self.timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
                if connection is not None:
                    connection[1].close()
                if not reused or isinstance(error, asyncio.TimeoutError):
                    return 0  # else a kept-alive connection the server closed meanwhile: once more on a fresh one
        return 0  # not reached: the fresh connection's attempt returns

    async def _exchange(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes) -> int:
        reader, writer = connection
        writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            raise asyncio.IncompleteReadError(b"", None)
        status = int(status_line.split()[1])
        length, close = 0, status_line.startswith(b"HTTP/1.0")
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
        await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self.idle.append(connection)
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def plan(count: int, tag: str) -> tuple[list[Delivery], list[str]]:
    """The sends of a run, in order, and its event ids: *count* sends over count/4 ids.

    Each id: its first send and a concurrent copy side by side, then two later copies (shuffled).
    """
    ids = max(1, count // 4)
    firsts: list[Delivery] = []
    later: list[Delivery] = []
    events = []
    now = int(time.time())
    for index in range(ids):
        event_id = f"evt_{tag}_{index:06d}"
        body = json.dumps(make_payload("response.completed", id=event_id), separators=(",", ":")).encode()
        webhook_id = f"wh_{tag}_{index:06d}"
        headers = {**WEBHOOK.sign(body, webhook_id=webhook_id, timestamp=now), "content-type": "application/json"}
        events.append(event_id)
        firsts += [Delivery(webhook_id, body, headers) for _ in range(2)]
        later += [Delivery(webhook_id, body, headers) for _ in range(2)]
    random.Random(tag).shuffle(later)
    return firsts + later, events


async def send_all(
    port: int,
    deliveries: list[Delivery],
    concurrency: int,
    give_up: float,
    on_progress: Callable[[int], None] | None = None,
) -> list[float]:
    """Send every delivery, retrying non-2xx; the latency (s) of every request."""
    client = Client(port, timeout=10.0)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    finished = [0]
    rng = random.Random(0)

    async def deliver(delivery: Delivery) -> None:
        attempt = 0
        while True:
            async with gate:
                if not delivery.started:
                    delivery.started = time.perf_counter()
                sent = time.perf_counter()
                status = await client.post(delivery.body, delivery.headers)
                answered = time.perf_counter()
            latencies.append(answered - sent)
            delivery.answers.append((answered, status))
            if 200 <= status < 300:
                delivery.done = answered
                break
            if answered - delivery.started > give_up:
                break
            await asyncio.sleep(min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt) * rng.uniform(0.5, 1.0))
            attempt += 1
        finished[0] += 1
        if on_progress is not None:
            on_progress(finished[0])

    try:
        await asyncio.gather(*(deliver(d) for d in deliveries))
    finally:
        client.close()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def run_counts(redis: Any, events: list[str]) -> tuple[int, int]:
    """(lost, doubled): ids whose handler never ran, and ids whose handler ran more than once."""
    counts = [int(c or 0) for c in redis.mget([f"runs:{e}" for e in events])]
    return sum(1 for c in counts if c == 0), sum(1 for c in counts if c > 1)


def measure_run(
    contender: Contender,
    server: servers.Server,
    redis_server_: servers.Server,
    redis: Any,
    count: int,
    concurrency: int,
    tag: str,
    *,
    stall: bool = False,
    give_up: float = 60.0,
) -> dict[str, Any]:
    """One run of *count* sends to *server*; with *stall*, redis-server paused for 3 s a third of the way."""
    assert server.process is not None
    assert redis_server_.process is not None
    deliveries, events = plan(count, tag)
    redis_pid = redis_server_.process.pid
    resumed: list[float] = []
    stall_task: list[asyncio.Task[None]] = []

    async def pause_store() -> None:
        os.kill(redis_pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(STALL_SECONDS)
        finally:
            os.kill(redis_pid, signal.SIGCONT)
            resumed.append(time.perf_counter())

    def progress(done: int) -> None:
        if stall and not stall_task and done >= len(deliveries) // 3:
            stall_task.append(asyncio.get_running_loop().create_task(pause_store()))

    async def main() -> list[float]:
        latencies = await send_all(server.port, deliveries, concurrency, give_up, progress)
        if stall_task:
            await stall_task[0]
        return latencies

    cpu0, redis_cpu0 = cpu_seconds(server.process.pid), cpu_seconds(redis_pid)
    started = time.perf_counter()
    latencies = asyncio.run(main())
    wall = time.perf_counter() - started
    cpu = cpu_seconds(server.process.pid) - cpu0
    redis_cpu = cpu_seconds(redis_pid) - redis_cpu0
    lost, doubled = run_counts(redis, events)
    statuses: dict[str, int] = {}
    for delivery in deliveries:
        for _, status in delivery.answers:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    requests = len(latencies)
    result: dict[str, Any] = {
        "contender": contender.name,
        "sends": len(deliveries),
        "ids": len(events),
        "requests": requests,
        "wall_s": wall,
        "requests_per_s": requests / wall,
        "sends_per_s": len(deliveries) / wall,  # sends answered 2xx (every one, unless given up) per second
        "cpu_ms_per_request": cpu / requests * 1e3,
        "redis_cpu_us_per_request": redis_cpu / requests * 1e6,
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p95_ms": percentile(latencies, 0.95) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "rss_mib": rss_mib(server.process.pid),
        "statuses": statuses,
        "lost": lost,
        "doubled": doubled,
        "unanswered": sum(1 for d in deliveries if d.done is None),
    }
    if stall and resumed:
        result.update(fault_numbers(deliveries, resumed[0]))
    return result


def fault_numbers(deliveries: list[Delivery], resumed: float) -> dict[str, Any]:
    """After the store's return: how long until every delivery that got a non-2xx had its 2xx; 409 spans."""
    hit = [d for d in deliveries if any(not 200 <= status < 300 for _, status in d.answers)]
    recovery = max(((d.done or math.inf) - resumed for d in hit), default=0.0)
    conflicts = []
    for d in deliveries:
        times = [t for t, status in d.answers if status == 409]
        if times:
            conflicts.append((d.done or d.answers[-1][0]) - times[0])
    return {
        "non_2xx_deliveries": len(hit),
        "recovery_s": max(0.0, recovery),
        "deliveries_with_409": len(conflicts),
        "max_409_s": max(conflicts, default=0.0),
        "median_409_s": statistics.median(conflicts) if conflicts else 0.0,
    }


def warm_up(server: servers.Server) -> None:
    """A few deliveries first: imports done, connections and scripts ready in every worker."""
    deliveries, _ = plan(16, f"warm{server.port}")
    asyncio.run(send_all(server.port, deliveries, 4, 30.0))


def available(contender: Contender) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(module) is not None for module in contender.needs)


# --- Lambda: per-invocation CPU in-process, and its cost -----------------------------------------------------


class LambdaContext:
    """What both handlers read of a Lambda context: 10 s left in the invocation."""

    aws_request_id = "bench"
    function_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def lambda_handlers(port: int) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    """This package's ``lambda_handler`` and, when installed, a Powertools ``@idempotent`` handler, both on Redis."""
    import redis as redis_py

    counter = redis_py.Redis(host="127.0.0.1", port=port)
    router: Router[Any] = Router()

    @router.fallback
    def handle(event: WebhookEvent) -> None:
        counter.incr("runs:" + event.id)

    found = {
        "openai-webhook-events": aws_lambda.lambda_handler(
            WEBHOOK, router, idempotency=Idempotency(RedisStore(servers.redis_client(port)))
        )
    }
    with contextlib.suppress(ImportError):
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent
        from load_apps import powertools_redis_layer
        from openai import OpenAI

        client = OpenAI(api_key="unused: no API call", webhook_secret=SECRET)
        layer = powertools_redis_layer(servers.redis_client(port))
        config = IdempotencyConfig(event_key_jmespath='headers."webhook-id"', expires_after_seconds=7 * 24 * 3600)

        @idempotent(persistence_store=layer, config=config)
        def powertools(event: dict[str, Any], context: Any) -> dict[str, Any]:
            unwrapped = client.webhooks.unwrap(event["body"], event["headers"])
            counter.incr("runs:" + unwrapped.id)
            return {"statusCode": 200, "body": ""}

        found["Powertools @idempotent + SDK unwrap"] = powertools
    return found


def lambda_invocations(port: int, per_batch: int, batches: int) -> dict[str, dict[str, float]]:
    """Median CPU and wall ms per invocation, first deliveries and duplicates, batches interleaved."""
    handlers = lambda_handlers(port)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in handlers}
    context = LambdaContext()
    serial = [0]

    def events(count: int) -> list[dict[str, Any]]:
        made = []
        for _ in range(count):
            serial[0] += 1
            payload = make_payload("response.completed", id=f"evt_lambda_{serial[0]:07d}")
            made.append(lambda_event(payload, SECRET, webhook_id=f"wh_lambda_{serial[0]:07d}"))
        return made

    def timed(handler: Callable[[dict[str, Any], Any], Any], batch: list[dict[str, Any]]) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for event in batch:
            answer = handler(event, context)
            assert answer["statusCode"] == 200, answer
        return (
            (time.process_time() - cpu) / len(batch) * 1e3,
            (time.perf_counter() - wall) / len(batch) * 1e3,
        )

    for handler in handlers.values():  # warm up: imports, connections, scripts
        warm = events(5)
        timed(handler, warm)
        timed(handler, warm)
    names = list(handlers)
    for index in range(batches):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            batch = events(per_batch)
            for kind in ("first", "duplicate"):  # the same events twice: firsts, then their duplicates
                cpu, wall = timed(handlers[name], batch)
                samples[name].setdefault(f"{kind}_cpu_ms", []).append(cpu)
                samples[name].setdefault(f"{kind}_wall_ms", []).append(wall)
    return {name: {key: statistics.median(values) for key, values in kinds.items()} for name, kinds in samples.items()}


# Assumptions of the cost estimate (stated in RESULTS.md).
PRICE_GB_SECOND = 0.0000166667  # USD, us-east-1, x86, first pricing tier: AWS's list price, assumed as of 2026-12-07
PRICE_PER_MILLION_REQUESTS = 0.20  # USD, us-east-1
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB; a share proportional to memory below it
MEMORY_SIZES_MB = (128, 512, 1769)


def cost_per_million(cpu_ms: float, wall_ms: float, memory_mb: int) -> tuple[int, float]:
    """(billed ms, USD per million invocations): CPU scaled by the vCPU share, store waits added, whole ms."""
    billed_ms = math.ceil(cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb) + max(0.0, wall_ms - cpu_ms))
    return billed_ms, 1e6 * billed_ms / 1000 * memory_mb / 1024 * PRICE_GB_SECOND + PRICE_PER_MILLION_REQUESTS


# --- the benchmark -------------------------------------------------------------------------------------------


def measure(
    chosen: list[Contender],
    count: int,
    runs: int,
    concurrency: int,
    fault_count: int,
    fault_runs: int,
    lambda_batches: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, float]], list[str]]:
    """(runs, fault runs, lambda numbers, notes); every server started here is stopped by PID, on error too."""
    notes: list[str] = []
    results: list[dict[str, Any]] = []
    faults: list[dict[str, Any]] = []
    started: dict[str, servers.Server] = {}
    with tempfile.TemporaryDirectory() as name, redis_server(Path(name)) as store:
        directory = Path(name)
        redis = servers.redis_client(store.port)
        try:
            for contender in chosen:
                started[contender.name] = app_server(contender, store.port, directory)
            with ThreadPoolExecutor() as pool:  # servers start side by side (seconds each)
                list(pool.map(lambda server: warm_up(server.start()), started.values()))
            for index in range(runs):  # interleaved: each run visits every contender, in rotating order
                shift = index % len(chosen)
                for contender in chosen[shift:] + chosen[:shift]:
                    tag = f"r{index}{contender.app}{contender.server}{contender.store}"
                    results.append(
                        measure_run(contender, started[contender.name], store, redis, count, concurrency, tag)
                    )
                    print(_line(results[-1]), file=sys.stderr)
            stalled = [c for c in chosen if c.fault]
            for index in range(fault_runs if fault_count else 0):  # interleaved too
                shift = index % len(stalled)
                for contender in stalled[shift:] + stalled[:shift]:
                    tag = f"f{index}{contender.app}{contender.server}"
                    server = started[contender.name]
                    faults.append(
                        measure_run(
                            contender,
                            server,
                            store,
                            redis,
                            fault_count,
                            concurrency,
                            tag,
                            stall=True,
                            give_up=GIVE_UP_S,
                        )
                    )
                    print(_line(faults[-1]), file=sys.stderr)
            lambda_numbers = lambda_invocations(store.port, 100, lambda_batches) if lambda_batches else {}
        finally:
            with ThreadPoolExecutor() as pool:  # each stop waits for its workers: side by side
                list(pool.map(lambda server: server.stop(), started.values()))
    return results, faults, lambda_numbers, notes


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['contender']}: {result['requests_per_s']:.0f} req/s, {result['cpu_ms_per_request']:.2f} ms CPU/req, "
        f"lost {result['lost']}, doubled {result['doubled']}, unanswered {result['unanswered']}, "
        f"statuses {result['statuses']}"
        + (
            f", recovery {result['recovery_s']:.1f} s, max 409 {result['max_409_s']:.1f} s"
            if "recovery_s" in result
            else ""
        )
    )


def medians(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per contender: the median of each number over its runs; lost/doubled/unanswered summed over them."""
    merged: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["contender"] for r in results):
        mine = [r for r in results if r["contender"] == name]
        row: dict[str, Any] = {"runs": len(mine)}
        for key, value in mine[0].items():
            if key in ("lost", "doubled", "unanswered"):
                row[key] = sum(r[key] for r in mine)
            elif isinstance(value, (int, float)):
                row[key] = statistics.median(r[key] for r in mine)
        merged[name] = row
    return merged


def fault_summary(faults: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per contender, over its fault runs: counts summed, each run's recovery, the longest 409 span."""
    summary: dict[str, dict[str, Any]] = {}
    for row in faults:
        into = summary.setdefault(
            row["contender"],
            {"runs": 0, "lost": 0, "doubled": 0, "unanswered": 0, "non_2xx": 0, "recoveries": [], "max_409_s": 0.0},
        )
        into["runs"] += 1
        for key in ("lost", "doubled", "unanswered"):
            into[key] += row[key]
        into["non_2xx"] += row["non_2xx_deliveries"]
        into["recoveries"].append(row["recovery_s"])
        into["max_409_s"] = max(into["max_409_s"], row["max_409_s"])
    return summary


def targets(merged: dict[str, dict[str, Any]], faults: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """Issue 20's targets: (target, wanted, measured, reached), for the contenders measured."""
    found = []
    base, hand = merged.get(BASELINE), merged.get(HANDWRITTEN)
    asgi = next((name for name in (ASGI_ASYNC, ASGI) if name in merged), None)  # the async client's when measured
    if base and hand:
        ratio = base["requests_per_s"] / hand["requests_per_s"]
        found.append(("package WSGI req/s / hand-written SET NX req/s", f"≥ 0.9{X}", f"{ratio:.2f}{X}", ratio >= 0.9))
    if base and asgi:
        ratio = merged[asgi]["cpu_ms_per_request"] / base["cpu_ms_per_request"]
        found.append(
            (f"{asgi}: CPU/request / WSGI (gthread) CPU/request", f"≤ 1.15{X}", f"{ratio:.2f}{X}", ratio <= 1.15)
        )
    for name, row in fault_summary(faults).items():
        if name.startswith("package"):
            worst = max(row["recoveries"])
            found.append(
                (
                    f"store stalled {STALL_SECONDS:g} s, {name}: every delivery 2xx after its return "
                    f"(worst of {row['runs']} runs)",
                    f"≤ {RECOVERY_TARGET_S:g} s",
                    f"{_seconds(worst)} s",
                    worst <= RECOVERY_TARGET_S,
                )
            )
    package = [row for name, row in merged.items() if name.startswith("package")]
    package += [row for row in faults if row["contender"].startswith("package")]
    lost, doubled = sum(r["lost"] for r in package), sum(r["doubled"] for r in package)
    found.append(
        (
            "exactly once: package runs, fault runs included (lost, doubled)",
            "0, 0",
            f"{lost}, {doubled}",
            lost == doubled == 0,
        )
    )
    return found


def render_text(merged: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, row in merged.items():
        lines.append(
            f"{name}: {row['requests_per_s']:,.0f} req/s, server CPU {row['cpu_ms_per_request']:.2f} ms/req, "
            f"redis {row['redis_cpu_us_per_request']:.0f} us/req, p50/p95/p99 {row['p50_ms']:.1f}/{row['p95_ms']:.1f}/"
            f"{row['p99_ms']:.1f} ms, RSS {row['rss_mib']:.0f} MiB; lost {row['lost']}, doubled {row['doubled']}, "
            f"unanswered {row['unanswered']} ({row['runs']} runs)"
        )
    return "\n".join(lines)


def render_markdown(
    merged: dict[str, dict[str, Any]],
    faults: list[dict[str, Any]],
    lambda_numbers: dict[str, dict[str, float]],
    settings: str,
) -> str:
    base = merged[BASELINE]
    out = [
        MARK,
        "",
        "## Under load: real servers, a real redis-server, duplicates and concurrent copies",
        "",
        f"`python bench/load.py` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). {settings} "
        "Servers, redis-server and the load generator share this machine's 2 cores with other work: "
        f"the numbers are noisy, the ratios less so. `{X} WSGI` is the contender's value over this package's WSGI app "
        "under gunicorn gthread (requests/s: above 1 serves more; CPU: above 1 costs more). *req/s* counts every "
        "HTTP request (409s and their retries included); *sends/s* counts the sends, each answered 2xx once. "
        "Latency: every request's. RSS: the sum over the server's processes at the end of a run.",
        "",
        f"| contender | req/s | {X} WSGI | sends/s | server CPU ms/req | {X} WSGI | redis CPU µs/req "
        "| p50 / p95 / p99 ms | RSS MiB | lost | doubled |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in merged.items():
        out.append(
            f"| {name} | {row['requests_per_s']:,.0f} | {row['requests_per_s'] / base['requests_per_s']:.2f}{X} "
            f"| {row['sends_per_s']:,.0f} "
            f"| {row['cpu_ms_per_request']:.2f} | {row['cpu_ms_per_request'] / base['cpu_ms_per_request']:.2f}{X} "
            f"| {row['redis_cpu_us_per_request']:.0f} | {row['p50_ms']:.1f} / {row['p95_ms']:.1f} / "
            f"{row['p99_ms']:.1f} | {row['rss_mib']:.0f} | {row['lost']} | {row['doubled']} |"
        )
    out += ["", "![load](load.png)", "", "Targets (issue 20):", "", "| target | wanted | measured | status |"]
    out.append("| --- | --- | ---: | --- |")
    for target, wanted, measured, reached in targets(merged, faults):
        out.append(f"| {target} | {wanted} | {measured} | {'reached' if reached else '**missed**'} |")
    out.append("")
    if faults:
        out += [
            f"### Store paused for {STALL_SECONDS:g} s (SIGSTOP, then SIGCONT) a third of the way through a run",
            "",
            f"{fault_runs_note(faults)} *Recovery*: after the store came back, the longest time until every "
            "delivery that had a non-2xx answer got its 2xx (∞: some never did before the sender gave up, "
            f"{GIVE_UP_S:g} s after its first send). *409 span*: from a delivery's first 409 to its 2xx (or its last "
            "answer).",
            "",
            "| contender | lost | doubled | never 2xx | deliveries with a non-2xx | recovery s, each run "
            "| longest 409 span s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, row in fault_summary(faults).items():
            recoveries = ", ".join(_seconds(value) for value in row["recoveries"])
            out.append(
                f"| {name} | {row['lost']} | {row['doubled']} | {row['unanswered']} | {row['non_2xx']} "
                f"| {recoveries} | {row['max_409_s']:.1f} |"
            )
        out.append("")
    if lambda_numbers:
        out += lambda_markdown(lambda_numbers)
    return "\n".join(out)


def fault_runs_note(faults: list[dict[str, Any]]) -> str:
    runs = max(row["runs"] for row in fault_summary(faults).values())
    sends = faults[0]["sends"]
    return f"{runs} interleaved runs per contender of {sends:,} sends each; counts summed over them."


def _seconds(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "∞"


def lambda_markdown(numbers: dict[str, dict[str, float]]) -> list[str]:
    out = [
        "### Lambda: cost per million deliveries",
        "",
        "The Lambda handlers called in-process on the same redis-server (an API Gateway REST event from "
        "`openai_webhook_events.testing.lambda_event`): this package's `aws_lambda.lambda_handler` with `RedisStore`, "
        'and a Powertools `@idempotent` handler (Redis persistence layer, key `headers."webhook-id"`) around the '
        "SDK's `client.webhooks.unwrap`. Medians over interleaved batches, per invocation.",
        "",
        f"Assumptions: duration = CPU {X} 1,769 / memory MB (Lambda's CPU share below one full vCPU at 1,769 MB) + "
        "the time waiting on Redis (wall - CPU, as measured over loopback: a real network adds to both "
        "contenders alike), billed per whole ms; price us-east-1, x86: "
        f"${PRICE_GB_SECOND:.10f} per GB-s and ${PRICE_PER_MILLION_REQUESTS:.2f} per million requests "
        "(AWS's list price, assumed unchanged as of 2026-12-07); no free tier; API Gateway and Redis hosting "
        "left out; cold starts too (once per instance: the SDK's import is the cold start rows' ~0.7 s of CPU); "
        "the request charge is the same for both, so the difference is in the duration. "
        "CPU measured on this shared machine, not on Lambda.",
        "",
        "| handler | delivery | CPU ms | wall ms | "
        + " | ".join(f"{m:,} MB: billed ms, USD / million" for m in MEMORY_SIZES_MB)
        + " |",
        "| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in MEMORY_SIZES_MB) + " |",
    ]
    for name, row in numbers.items():
        for kind in ("first", "duplicate"):
            cpu, wall = row[f"{kind}_cpu_ms"], row[f"{kind}_wall_ms"]
            costs = " | ".join("{}, {:.4f}".format(*cost_per_million(cpu, wall, m)) for m in MEMORY_SIZES_MB)
            out.append(f"| {name} | {kind} | {cpu:.3f} | {wall:.3f} | {costs} |")
    out.append("")
    return out


def plot(merged: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(merged)
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.5 * len(names) + 1.5), sharey=True)
    for axis, key, title in (
        (axes[0], "requests_per_s", "requests/s (higher is better)"),
        (axes[1], "cpu_ms_per_request", "server CPU ms per request (lower is better)"),
    ):
        values = [merged[n][key] for n in names]
        colors = ["tab:blue" if n.startswith("package") else "tab:gray" for n in names]
        axis.barh(names, values, color=colors)
        axis.set_title(title, fontsize=10)
    axes[0].invert_yaxis()  # the axes share y: once puts the first contender on top
    axes[0].tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def section(path: Path) -> str:
    """The load section of the results file *path*, after a blank line (from :data:`MARK` to its end; ``""``
    when it has none).

    ``bench/run.py`` keeps it when it rewrites the file.
    """
    text = path.read_text() if path.exists() else ""
    return "\n" + text[text.index(MARK) :] if MARK in text else ""


def write_results(markdown: str, path: Path) -> None:
    """Replace the load section of *path*, or append it."""
    text = path.read_text() if path.exists() else ""
    kept = text.split(MARK)[0].rstrip("\n")
    path.write_text(kept + "\n\n" + markdown.rstrip("\n") + "\n")


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM or SIGINT: leave by an exception, so the servers are stopped on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI smoke: this package only, small, no files written")
    parser.add_argument("--json", type=Path, help="also write the runs as JSON to this file")
    parser.add_argument("--sends", type=int, help="sends per run (default 8,000; --quick 200)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once (default 32)")
    parser.add_argument("--out", type=Path, default=HERE, help="directory of RESULTS.md and load.png (default bench/)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="only the contenders whose name contains TEXT (repeatable); no fault or Lambda runs, no files written",
    )
    args = parser.parse_args(argv)
    for stop in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job starts with it ignored
        signal.signal(stop, _interrupted)
    count = args.sends or (200 if args.quick else 8000)
    runs, fault_count, lambda_batches = (1, 0, 0) if args.quick else (3, max(400, count // 4), 7)
    chosen = [c for c in CONTENDERS if c.package or not args.quick]
    if args.only:
        fault_count, lambda_batches = 0, 0
        chosen = [c for c in chosen if any(text in c.name for text in args.only)]
    skipped = [c.name for c in chosen if not available(c)]
    chosen = [c for c in chosen if c.name not in skipped]
    started = time.perf_counter()
    results, faults, lambda_numbers, notes = measure(
        chosen, count, runs, args.concurrency, fault_count, runs, lambda_batches
    )
    notes += [f"{name}: not installed (pip install -e '.[bench]'), skipped" for name in skipped]
    merged = medians(results)
    print(render_text(merged))
    for row in faults:
        print("fault: " + _line(row))
    for target, wanted, measured, reached in targets(merged, faults):
        print(f"target: {target}: wanted {wanted}, measured {measured}: {'reached' if reached else 'MISSED'}")
    for name, row in lambda_numbers.items():
        print(f"lambda: {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    for note in notes:
        print(f"note: {note}")
    elapsed = time.perf_counter() - started
    print(f"load benchmark: {elapsed:.1f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "faults": faults, "lambda": lambda_numbers}, indent=1))
    if not (args.quick or args.only):
        settings = (
            f"{count:,} sends per run over {count // 4:,} webhook-ids (each sent 4 times: the first with a concurrent "
            f"copy, two more later), {args.concurrency} requests in flight, non-2xx retried with backoff "
            f"({BACKOFF_BASE * 1e3:g} ms doubling, capped at {BACKOFF_CAP:g} s, jittered); medians of {runs} "
            "interleaved runs per contender (lost and doubled: summed over them). gunicorn: 2 workers (gthread: "
            f"{X} 4 threads); uvicorn: 2 workers; redis-server 127.0.0.1, `--save ''`. Each handler counts its run "
            "with `INCR runs:<event id>` on that redis-server."
        )
        write_results(render_markdown(merged, faults, lambda_numbers, settings), args.out / "RESULTS.md")
        plot(merged, args.out / "load.png")
        print(f"wrote {args.out / 'RESULTS.md'} (load section) and {args.out / 'load.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
