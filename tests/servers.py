"""Real stores for the idempotency tests: redis-server and dynalite on free 127.0.0.1 ports, stopped by PID.

``.ci/run`` installs both (``apt-get install redis-server``; ``npm install``
of dynalite into ``.ci/dynalite/``, git-ignored).  Without a binary the
tests that need it are skipped, except under ``CI=true``, where a missing
binary fails them.

Also the receiver process of the multi-process tests:
``python -m tests.servers '<spec json>'`` builds the store the spec names,
prints ``ready``, waits for a line on stdin, receives the deliveries and
prints their statuses as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / ".ci" / "dynalite" / "node_modules" / "dynalite" / "cli.js"
SECRET_KEY = b"real store test secret, 32 bytes"
TABLE = "webhook-deliveries"
START_TIMEOUT = 15.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # the 3xx itself raises HTTPError, with its status


urlopen = urllib.request.build_opener(_NoRedirect()).open
"""``urllib.request.urlopen`` following no redirect: a 3xx is an ``HTTPError`` with its status, as OpenAI sees it."""


def missing(what: str) -> None:
    """Skip (fail under ``CI=true``) a test whose server is not installed."""
    import pytest  # here: the benchmark starts these servers too, without pytest

    message = f"{what} is not installed: run .ci/run, or see tests/servers.py"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"server not listening on {port} after {START_TIMEOUT} s")


class Server:
    """One server process on a fixed port: ``start``, ``stop`` (by PID: SIGTERM, then SIGKILL), ``restart``."""

    def __init__(
        self, command: list[str], port: int, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.command = command
        self.port = port
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port, self.process)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The process stopped (SIGSTOP) inside the block, a stall: its sockets still take connections and
        bytes, it answers nothing; continued (SIGCONT) after, it processes what came in meanwhile."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)


def redis_server(directory: Path, *, appendonly: bool = False) -> Server:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server")
    port = free_port()
    persistence = ["--appendonly", "yes", "--appendfsync", "always"] if appendonly else ["--appendonly", "no"]
    command = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", *persistence]
    return Server([*command, "--dir", str(directory)], port)


def dynalite(directory: Path | None = None) -> Server:
    node = shutil.which("node")
    if node is None or not DYNALITE.exists():
        missing("dynalite (node and .ci/dynalite)")
    port = free_port()
    storage = ["--path", str(directory)] if directory is not None else ["--inMemory"]
    return Server([str(node), str(DYNALITE), "--port", str(port), *storage], port)


def redis_client(port: int, timeout: float = 1.0) -> Any:
    """redis-py's client with the short timeouts (*timeout* seconds) and the single retry the README recommends."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
    )


def dynamodb_client(port: int) -> Any:
    """boto3's client on dynalite, with dummy credentials and the short timeouts the README recommends."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # dummy: dynalite checks no credentials
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
    )


def create_table(client: Any, name: str = TABLE) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})


def store_from_spec(spec: dict[str, Any]) -> Any:
    """The store a JSON-able *spec* names: ``{"kind": "sqlite"|"redis"|"dynamodb", ...}``."""
    from openai_webhook_events.idempotency import DynamoDBStore, RedisStore, SQLiteStore

    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], timeout=spec.get("timeout", 10.0))
    if spec["kind"] == "redis":
        return RedisStore(redis_client(spec["port"]))
    return DynamoDBStore(dynamodb_client(spec["port"]), spec.get("table", TABLE))


def _child(spec: dict[str, Any]) -> None:
    """Receive ``spec["deliveries"]`` (``[body, headers]`` pairs) once the parent says go; print the statuses."""
    import base64

    from openai_webhook_events import Router, Webhook
    from openai_webhook_events._receive import receive
    from openai_webhook_events.idempotency import Idempotency

    webhook = Webhook("whsec_" + base64.b64encode(SECRET_KEY).decode())
    router = Router()
    executions = Path(spec["executions"])

    @router.fallback
    def handle(event: Any) -> None:
        with executions.open("a") as out:
            out.write(f"{os.getpid()} {event.id}\n")
            out.flush()
        time.sleep(spec.get("hold", 0.0))

    idempotency = Idempotency(store_from_spec(spec), lease=spec.get("lease"))
    print("ready", flush=True)
    sys.stdin.readline()
    statuses = [
        receive(webhook, router, body.encode(), headers, idempotency=idempotency).status
        for body, headers in spec["deliveries"]
    ]
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
