"""The receive step with idempotency on real stores: redis-server, dynalite (DynamoDB) and SQLite files.

Races are run on the real servers only (never on moto: its server is not
atomic).  Each test uses fresh ``webhook-id`` values, and every execution
of a handler is counted through a file it appends to.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from openai_webhook_events import Response, Router, Webhook, WebhookEvent, begin, receive
from openai_webhook_events.idempotency import (
    ACQUIRED,
    COMPLETED,
    IN_PROGRESS,
    Claim,
    Idempotency,
    RedisStore,
    SQLiteStore,
)
from tests import servers
from tests.strategies import example_payload

pytestmark = pytest.mark.real_store

WEBHOOK = Webhook("whsec_" + base64.b64encode(servers.SECRET_KEY).decode())
KINDS = ["sqlite", "redis", "dynamodb"]


def delivery(tag: str = "") -> tuple[bytes, dict[str, str]]:
    """A signed ``batch.completed`` delivery with a fresh webhook-id and event id."""
    unique = uuid.uuid4().hex
    payload = {**example_payload("batch.completed"), "id": f"evt_{tag}{unique}"}
    body = json.dumps(payload).encode()
    return body, WEBHOOK.sign(body, webhook_id=f"wh_{tag}{unique}")


class Executions:
    """A file each handler execution appends one line to: ``<pid> <event id>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def router(self, hold: float = 0.0, fail_first: int = 0) -> Router:
        router = Router()
        failures = [fail_first]

        @router.fallback
        def handle(event: WebhookEvent) -> None:
            with self.path.open("a") as out:
                out.write(f"{os.getpid()} {event.id}\n")
            time.sleep(hold)
            if failures[0] > 0:
                failures[0] -= 1
                raise RuntimeError("handler failed")

        return router

    def per_event(self) -> Counter[str]:
        return Counter(line.split()[1] for line in self.path.read_text().splitlines())


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    server = servers.redis_server(tmp_path_factory.mktemp("redis")).start()
    yield server.port
    server.stop()


@pytest.fixture(scope="module")
def dynalite_port() -> Iterator[int]:
    server = servers.dynalite().start()
    servers.create_table(servers.dynamodb_client(server.port))
    yield server.port
    server.stop()


@pytest.fixture(params=KINDS)
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The JSON-able description of one real store (see ``servers.store_from_spec``)."""
    kind = request.param
    if kind == "sqlite":
        return {"kind": kind, "path": str(tmp_path / "deliveries.db")}
    port = request.getfixturevalue("redis_port" if kind == "redis" else "dynalite_port")
    return {"kind": kind, "port": port}


@pytest.fixture
def executions(tmp_path: Path) -> Executions:
    return Executions(tmp_path / "executions.log")


# --- Exactly one execution per key ----------------------------------------------------------------


def test_sixteen_threads_delivering_the_same_webhooks_run_each_handler_once(
    spec: dict[str, Any], executions: Executions
) -> None:
    deliveries = [delivery() for _ in range(4)]
    router = executions.router(hold=0.2)
    idempotency = Idempotency(servers.store_from_spec(spec), lease=30)
    barrier = threading.Barrier(16)
    statuses: list[list[int]] = []

    def attempt(offset: int) -> None:
        order = deliveries[offset % 4 :] + deliveries[: offset % 4]
        barrier.wait(timeout=30)
        statuses.append([receive(WEBHOOK, router, b, h, idempotency=idempotency).status for b, h in order])

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 16
    assert sorted(executions.per_event().values()) == [1, 1, 1, 1]
    seen = {status for answers in statuses for status in answers}
    assert seen == {200, 409}  # the race happened: some attempts found another one's live claim


def test_six_processes_delivering_the_same_webhooks_run_each_handler_once(
    spec: dict[str, Any], executions: Executions, tmp_path: Path
) -> None:
    deliveries = [[body.decode(), headers] for body, headers in (delivery() for _ in range(3))]
    child_spec = {**spec, "executions": str(executions.path), "deliveries": deliveries, "hold": 0.3, "lease": 30}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.servers", json.dumps(child_spec)],
            cwd=servers.ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        answers = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
    assert sorted(executions.per_event().values()) == [1, 1, 1]
    assert {status for statuses in answers for status in statuses} == {200, 409}


# --- Failures and takeovers -----------------------------------------------------------------------


def test_a_handler_that_raises_then_succeeds_runs_twice_and_is_then_remembered(
    spec: dict[str, Any], executions: Executions
) -> None:
    body, headers = delivery()
    router = executions.router(fail_first=1)
    idempotency = Idempotency(servers.store_from_spec(spec))
    with pytest.raises(RuntimeError, match="handler failed"):
        receive(WEBHOOK, router, body, headers, idempotency=idempotency)
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency) == Response(200, "ok")
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).message == "already processed"
    assert list(executions.per_event().values()) == [2]


def test_a_process_killed_mid_handler_is_taken_over_after_its_lease(
    spec: dict[str, Any], executions: Executions
) -> None:
    body, headers = delivery()
    child_spec = {**spec, "executions": str(executions.path), "deliveries": [[body.decode(), headers]]}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.servers", json.dumps({**child_spec, "hold": 60, "lease": 1.5})],
        cwd=servers.ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        assert child.stdout.readline() == "ready\n"
        child.stdin.write("go\n")
        child.stdin.flush()
        deadline = time.monotonic() + 30
        while not executions.per_event() and time.monotonic() < deadline:
            time.sleep(0.01)
        claimed_by = time.time()  # the claim was made before the handler started
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    router = executions.router()
    idempotency = Idempotency(servers.store_from_spec(spec), lease=30)
    blocked = receive(WEBHOOK, router, body, headers, idempotency=idempotency)
    assert blocked.status == 409
    assert dict(blocked.headers)["retry-after"] in ("1", "2")
    time.sleep(max(0.0, claimed_by + 1.6 - time.time()))
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).status == 200
    assert list(executions.per_event().values()) == [2]
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).message == "already processed"


def test_a_zombie_finishing_late_cannot_touch_the_new_owners_record(
    spec: dict[str, Any], executions: Executions, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = delivery()
    router = executions.router()
    idempotency = Idempotency(servers.store_from_spec(spec), lease=30)
    now = time.time()
    zombie = begin(WEBHOOK, router, body, headers, idempotency=idempotency, now=now)
    owner = begin(WEBHOOK, router, body, headers, idempotency=idempotency, now=now + 31)
    assert not isinstance(zombie, Response)
    assert not isinstance(owner, Response)
    assert zombie.succeeded(now=now + 32).status == 200
    zombie.failed(RuntimeError("late failure"))  # its release must not free the owner's claim
    assert [r.outcome for r in caplog.records if r.name == "openai_webhook_events"] == [  # type: ignore[attr-defined]
        "lease_lost",
        "failed",
    ]
    third = receive(WEBHOOK, router, body, headers, idempotency=idempotency, now=now + 33)
    assert (third.status, dict(third.headers)["retry-after"]) == (409, "28")
    assert owner.succeeded(now=now + 34).status == 200
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency, now=now + 35).message == (
        "already processed"
    )


def test_clock_skew_within_the_margin_keeps_a_live_claim(spec: dict[str, Any], executions: Executions) -> None:
    body, headers = delivery()
    router = executions.router()
    store = servers.store_from_spec(spec)
    now = time.time()
    first = begin(WEBHOOK, router, body, headers, idempotency=Idempotency(store), remaining=20, now=now)
    assert not isinstance(first, Response)
    skewed = now + 20 + 4  # another instance, its clock 4 s ahead, while the first still runs
    assert receive(WEBHOOK, router, body, headers, idempotency=Idempotency(store), now=skewed).status == 409
    assert first.run().status == 200
    assert list(executions.per_event().values()) == [1]


# --- Stores down and restarted --------------------------------------------------------------------


class Harness:
    """A real store of its own (a dedicated server, or a file) that a test can take down and restart."""

    def __init__(self, kind: str, directory: Path, *, persistent: bool) -> None:
        self.kind = kind
        self.directory = directory
        self.server: servers.Server | None = None
        self.locker: sqlite3.Connection | None = None
        if kind == "redis":
            self.server = servers.redis_server(directory, appendonly=persistent).start()
        elif kind == "dynamodb":
            self.server = servers.dynalite(directory / "data" if persistent else None).start()
            servers.create_table(servers.dynamodb_client(self.server.port))

    @property
    def spec(self) -> dict[str, Any]:
        if self.server is None:
            return {"kind": "sqlite", "path": str(self.directory / "deliveries.db"), "timeout": 0.5}
        return {"kind": self.kind, "port": self.server.port}

    def down(self) -> None:
        """Make the store unreachable: stop the server, or hold SQLite's write lock from another connection."""
        if self.server is not None:
            self.server.stop()
            return
        self.locker = sqlite3.connect(self.spec["path"], isolation_level=None)
        self.locker.execute("BEGIN EXCLUSIVE")

    def up(self) -> None:
        if self.server is not None:
            self.server.start()
            if self.kind == "dynamodb":  # in memory: the table went with the server
                servers.create_table(servers.dynamodb_client(self.server.port))
        elif self.locker is not None:
            self.locker.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.locker is not None:
            self.locker.close()


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(kind: str, *, persistent: bool = False) -> Harness:
        made.append(Harness(kind, tmp_path, persistent=persistent))
        return made[-1]

    yield make
    for harness in made:
        harness.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_down_at_claim_answers_503_within_seconds_and_runs_nothing(
    kind: str, harness: Callable[..., Harness], executions: Executions
) -> None:
    store = harness(kind)
    idempotency = Idempotency(servers.store_from_spec(store.spec))
    body, headers = delivery()
    store.down()
    started = time.monotonic()
    answer = receive(WEBHOOK, executions.router(), body, headers, idempotency=idempotency)
    assert time.monotonic() - started < 8
    assert (answer.status, dict(answer.headers)["retry-after"]) == (503, "5")
    assert executions.per_event() == Counter()
    store.up()
    assert receive(WEBHOOK, executions.router(), body, headers, idempotency=idempotency).status == 200


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_down_at_complete_still_answers_200_and_logs_an_error(
    kind: str, harness: Callable[..., Harness], executions: Executions, caplog: pytest.LogCaptureFixture
) -> None:
    store = harness(kind)
    idempotency = Idempotency(servers.store_from_spec(store.spec))
    body, headers = delivery()
    attempt = begin(WEBHOOK, executions.router(), body, headers, idempotency=idempotency)
    assert not isinstance(attempt, Response)
    store.down()
    assert attempt.run().status == 200
    [record] = [r for r in caplog.records if r.name == "openai_webhook_events"]
    assert (record.levelno, record.outcome) == (logging.ERROR, "complete_failed")  # type: ignore[attr-defined]


def test_a_claim_that_timed_out_in_a_redis_stall_does_not_block_its_retry_once_redis_is_back(
    harness: Callable[..., Harness], executions: Executions
) -> None:
    server = harness("redis").server
    assert server is not None
    client = servers.redis_client(server.port, timeout=0.3)
    idempotency = Idempotency(RedisStore(client))
    router = executions.router()
    assert receive(WEBHOOK, router, *delivery("warm"), idempotency=idempotency).status == 200  # scripts loaded
    body, headers = delivery()
    started = time.monotonic()
    with server.paused():
        stalled = receive(WEBHOOK, router, body, headers, idempotency=idempotency)
    assert stalled.status == 503
    assert time.monotonic() - started < 2  # 0.3 s and one retry
    # the claim the client gave up on is processed now that Redis is back: it holds the key for a 60 s lease
    record = f"webhook:{idempotency.namespace}#{headers['webhook-id']}"
    back = time.monotonic()
    while not (client.get(record) or b"").startswith(b"in_progress "):
        assert time.monotonic() - back < 5, "the stalled claim never landed"
        time.sleep(0.01)
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency) == Response(200, "ok")  # not 409
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).message == "already processed"
    assert time.monotonic() - back < 5
    assert sorted(executions.per_event().values()) == [1, 1]  # the warm-up and the stalled delivery: once each


def _commands(client: Any) -> Counter[str]:
    """The commands the redis-server has run so far, by name (``INFO commandstats``)."""
    return Counter({name.removeprefix("cmdstat_"): row["calls"] for name, row in client.info("commandstats").items()})


def test_a_first_delivery_is_two_redis_round_trips_and_a_duplicate_one(redis_port: int, executions: Executions) -> None:
    counter = servers.redis_client(redis_port)
    idempotency = Idempotency(RedisStore(servers.redis_client(redis_port)))
    router = executions.router()
    assert receive(WEBHOOK, router, *delivery("warm"), idempotency=idempotency).status == 200  # scripts loaded
    body, headers = delivery()
    before = _commands(counter)
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency) == Response(200, "ok")
    first = _commands(counter)
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).message == "already processed"
    duplicate = _commands(counter)
    info = Counter({"info": 1})  # the INFO reading the counts
    assert first - before - info == Counter({"evalsha": 2, "get": 2, "set": 2})  # claim, complete: a read, a write
    assert duplicate - first - info == Counter({"evalsha": 1, "get": 1})  # claim: found completed


def test_a_redis_server_whose_script_cache_was_flushed_runs_every_operation_after_loading_it_again(
    redis_port: int,
) -> None:
    client = servers.redis_client(redis_port)
    store = RedisStore(client, prefix="flushed:")
    now = time.time()
    assert store.claim("k", "a", now, now + 60) == Claim(ACQUIRED, now + 60)
    client.script_flush()  # as a restart or a failover to a replica without the scripts does
    assert store.claim("k", "b", now, now + 60) == Claim(IN_PROGRESS, now + 60)
    client.script_flush()
    assert store.complete("k", "a", now, now + 600) is True
    client.script_flush()
    assert store.release("k", "a") is False  # completed: not released
    assert client.get("flushed:k").startswith(b"completed ")


def test_a_redis_error_other_than_noscript_propagates_from_one_evalsha(redis_port: int) -> None:
    import redis

    client = servers.redis_client(redis_port)
    store = RedisStore(client, prefix="wrongtype:")
    store.claim("loaded", "a", time.time(), time.time() + 60)  # the claim script in the server's cache
    client.hset("wrongtype:k", "state", "a hash, not a record")
    before = _commands(client)["evalsha"]
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        store.claim("k", "a", time.time(), time.time() + 60)
    assert _commands(client)["evalsha"] == before + 1  # not run again through the registered script


@pytest.mark.parametrize(("kind", "persistent", "survives"), [
    ("sqlite", True, True),
    ("redis", True, True),  # appendonly yes, appendfsync always
    ("redis", False, False),  # no persistence: a restart forgets every record
    ("dynamodb", True, True),  # dynalite --path
])  # fmt: skip
def test_what_a_restarted_store_remembers(
    kind: str, persistent: bool, survives: bool, harness: Callable[..., Harness], executions: Executions
) -> None:
    store = harness(kind, persistent=persistent)
    body, headers = delivery()
    router = executions.router()
    assert receive(WEBHOOK, router, body, headers, idempotency=Idempotency(servers.store_from_spec(store.spec))) == (
        Response(200, "ok")
    )
    if store.server is not None:
        store.server.restart()
    after = receive(WEBHOOK, router, body, headers, idempotency=Idempotency(servers.store_from_spec(store.spec)))
    assert after.message == ("already processed" if survives else "ok")
    assert list(executions.per_event().values()) == [1 if survives else 2]


# --- An SQLite file deleted or replaced under an open store -------------------------------------

NOW = time.time()
CLEAN_UPS = ["deleted", "replaced"]
# A store operation in a process of its own: the path, the method and its arguments in argv, the answer on stdout.
OTHER_PROCESS = """
import dataclasses, json, sys
from openai_webhook_events.idempotency import SQLiteStore
store = SQLiteStore(sys.argv[1])
answer = getattr(store, sys.argv[2])(*json.loads(sys.argv[3]))
print(json.dumps(dataclasses.astuple(answer) if dataclasses.is_dataclass(answer) else answer))
"""


def in_other_process(path: Path, operation: str, *arguments: object) -> Any:
    """Open ``SQLiteStore(path)`` in a new process, run one operation, and give its answer (a Claim for claim)."""
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(path), operation, json.dumps(arguments)],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(result.stdout)
    return Claim(*answer) if operation == "claim" else answer


def run_child(spec: dict[str, Any]) -> list[int]:
    """The statuses ``tests.servers``' child answers to ``spec["deliveries"]``, told to go at once."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.servers", json.dumps(spec)],
        cwd=servers.ROOT,
        input="go\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    ready, statuses = result.stdout.splitlines()
    assert ready == "ready"
    return list(json.loads(statuses))


def clean_up(path: Path, how: str) -> None:
    """What a temporary-file cleaner (``deleted``) or a restore (``replaced``) does to an open store's file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink()
    if how == "replaced":  # a copy holding one completed delivery, ``restored``
        copy = path.with_name("copy.db")
        assert in_other_process(copy, "claim", "restored", "r", NOW, NOW + 30).state == ACQUIRED
        assert in_other_process(copy, "complete", "restored", "r", NOW, NOW + 1000) is True
        os.replace(copy, path)


@pytest.mark.parametrize("how", CLEAN_UPS)
def test_a_store_whose_file_was_deleted_or_replaced_never_holds_a_key_another_process_holds(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "deliveries.db"
    old = SQLiteStore(str(path))
    try:
        assert old.claim("k", "old", NOW, NOW + 30).state == ACQUIRED  # in the file about to go
        clean_up(path, how)
        assert in_other_process(path, "claim", "k", "new", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert old.claim("k", "old", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
        assert old.complete("k", "old", NOW, NOW + 1000) is False  # its claim went with the old file
        assert old.claim("k2", "old", NOW, NOW + 30).state == ACQUIRED
        assert in_other_process(path, "claim", "k2", "new", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
    finally:
        old.close()


@pytest.mark.parametrize("how", CLEAN_UPS)
def test_a_completion_after_the_file_was_deleted_or_replaced_is_seen_by_every_process(tmp_path: Path, how: str) -> None:
    path = tmp_path / "deliveries.db"
    old = SQLiteStore(str(path))
    try:
        assert old.claim("first", "old", NOW, NOW + 30).state == ACQUIRED  # opened
        clean_up(path, how)
        assert old.claim("k", "old", NOW, NOW + 30).state == ACQUIRED
        assert old.complete("k", "old", NOW, NOW + 1000) is True
        assert in_other_process(path, "claim", "k", "new", NOW, NOW + 30) == Claim(COMPLETED, NOW + 1000)
        restored = Claim(COMPLETED, NOW + 1000) if how == "replaced" else Claim(ACQUIRED, NOW + 30)
        assert old.claim("restored", "old", NOW, NOW + 30) == restored
    finally:
        old.close()


def test_a_delivery_processed_by_a_new_process_after_the_file_was_deleted_is_not_run_again_by_an_old_one(
    tmp_path: Path, executions: Executions
) -> None:
    path = tmp_path / "deliveries.db"
    router = executions.router()
    idempotency = Idempotency(SQLiteStore(str(path)))
    first, (body, headers) = delivery(), delivery()
    assert receive(WEBHOOK, router, *first, idempotency=idempotency).status == 200
    clean_up(path, "deleted")
    child_spec = {"kind": "sqlite", "path": str(path), "executions": str(executions.path)}
    assert run_child({**child_spec, "deliveries": [[body.decode(), headers]]}) == [200]
    assert receive(WEBHOOK, router, body, headers, idempotency=idempotency).message == "already processed"
    assert list(executions.per_event().values()) == [1, 1]


def test_a_file_deleted_during_a_claim_answers_503_and_the_retry_finds_the_new_files_record(
    tmp_path: Path, executions: Executions
) -> None:
    path = tmp_path / "deliveries.db"
    store = SQLiteStore(str(path))
    idempotency = Idempotency(store)
    body, headers = delivery()
    child_spec = {"kind": "sqlite", "path": str(path), "executions": str(executions.path)}
    during: list[list[int]] = []

    def while_the_claim_runs(statement: str) -> None:  # SQLite calls it as the claim's statement starts
        if not during:
            clean_up(path, "deleted")
            during.append(run_child({**child_spec, "deliveries": [[body.decode(), headers]]}))

    store._connected().set_trace_callback(while_the_claim_runs)
    answer = receive(WEBHOOK, executions.router(), body, headers, idempotency=idempotency)
    assert (answer.status, dict(answer.headers)["retry-after"]) == (503, "5")  # not acquired from the old file
    assert during == [[200]]
    assert receive(WEBHOOK, executions.router(), body, headers, idempotency=idempotency).message == (
        "already processed"
    )
    assert list(executions.per_event().values()) == [1]


SESSION = """
import dataclasses, json, sys
from openai_webhook_events.idempotency import SQLiteStore
store = SQLiteStore(sys.argv[1])
print("constructed", flush=True)
for line in sys.stdin:
    operation, arguments = json.loads(line)
    try:
        answer = getattr(store, operation)(*arguments)
    except Exception as error:
        answer = type(error).__name__
    print(json.dumps(dataclasses.astuple(answer) if dataclasses.is_dataclass(answer) else answer), flush=True)
"""


@pytest.fixture
def orphaned_wal(tmp_path: Path) -> Iterator[tuple[Path, SQLiteStore]]:
    """A database path and the old store holding it, whose file was then deleted alone: its ``-wal`` and
    ``-shm`` stay, the old store holds them (holding ``k`` in the file gone)."""
    path = tmp_path / "deliveries.db"
    old = SQLiteStore(str(path))
    try:
        assert old.claim("k", "old", NOW, NOW + 30).state == ACQUIRED
        path.unlink()
        yield path, old
    finally:
        old.close()


def test_a_store_opened_by_a_new_process_while_a_deleted_files_wal_remains_fails_each_operation_until_it_opens(
    orphaned_wal: tuple[Path, SQLiteStore],
) -> None:
    path, old = orphaned_wal
    with subprocess.Popen(
        [sys.executable, "-c", SESSION, str(path)],
        cwd=servers.ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as new:
        stdin, stdout = new.stdin, new.stdout
        assert stdin is not None
        assert stdout is not None

        def ask(operation: str, *arguments: object) -> Any:
            stdin.write(json.dumps([operation, arguments]) + "\n")
            stdin.flush()
            return json.loads(stdout.readline())

        assert stdout.readline() == "constructed\n"  # it waits for no file to open
        assert ask("claim", "k", "new", NOW, NOW + 30) == "OperationalError"  # SQLite: "disk I/O error"
        assert ask("claim", "k", "new", NOW, NOW + 30) == "OperationalError"  # each try opens it again
        assert old.claim("k2", "old", NOW, NOW + 30).state == ACQUIRED  # the old process reopens the path
        assert ask("claim", "k2", "new", NOW, NOW + 30) == [IN_PROGRESS, NOW + 30]
        assert ask("claim", "k", "new", NOW, NOW + 30) == [ACQUIRED, NOW + 30]
        stdin.close()
        assert new.wait(60) == 0


def test_a_receiver_started_while_a_deleted_files_wal_remains_answers_503_until_the_old_process_reopens_the_path(
    orphaned_wal: tuple[Path, SQLiteStore], executions: Executions
) -> None:
    path, old = orphaned_wal
    body, headers = delivery()
    child_spec = {"kind": "sqlite", "path": str(path), "executions": str(executions.path)}
    assert run_child({**child_spec, "deliveries": [[body.decode(), headers]] * 2}) == [503, 503]  # fail closed
    assert old.claim("k", "old", NOW, NOW + 30).state == ACQUIRED  # the old process reopens the path
    assert run_child({**child_spec, "deliveries": [[body.decode(), headers]] * 2}) == [200, 200]
    assert list(executions.per_event().values()) == [1]  # the second answer: already processed
