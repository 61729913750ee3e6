"""idempotency: the options of Idempotency, and the store protocol on every store.

Redis runs on ``fakeredis`` (its Lua interpreter runs the real scripts; where
``fakeredis[lua]`` does not install, as on CPython 3.15, on a real redis-server)
and DynamoDB on ``moto``'s in-process mock: both are single-threaded fakes of
the semantics, never of races (the real servers are in
``test_idempotency_stores.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

import openai_webhook_events.idempotency as idempotency_module
from openai_webhook_events import WebhookConfigurationError, parse_event
from openai_webhook_events.idempotency import (
    ACQUIRED,
    COMPLETED,
    DEFAULT_LEASE,
    IN_PROGRESS,
    SKEW_MARGIN,
    AsyncRedisStore,
    Claim,
    DynamoDBStore,
    Idempotency,
    IdempotencyStore,
    MemoryStore,
    RedisStore,
    SQLiteStore,
)
from tests.servers import TABLE, create_table, redis_client, redis_server
from tests.strategies import example_payload, whsec

NOW = 1_800_000_000.0


class EvalOnlyRedis:
    """A redis client without ``register_script`` (only ``eval``), as some compatible clients are."""

    def __init__(self, client: Any) -> None:
        self.eval = client.eval


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


def _memory(tmp_path: Path) -> Iterator[IdempotencyStore]:
    yield MemoryStore()


def _sqlite(tmp_path: Path) -> Iterator[IdempotencyStore]:
    store = SQLiteStore(str(tmp_path / "deliveries.db"))
    yield store
    store.close()


@contextmanager
def redis_connection(directory: Path, *, decode_responses: bool = False) -> Iterator[Any]:
    """A Redis client on fakeredis, or on a real redis-server where fakeredis[lua] does not install."""
    try:
        import fakeredis
    except ImportError:
        server = redis_server(directory).start()
        try:
            client = redis_client(server.port)
            yield client.__class__(connection_pool=client.connection_pool.__class__(
                **{**client.connection_pool.connection_kwargs, "decode_responses": decode_responses}
            ))  # fmt: skip
        finally:
            server.stop()
    else:
        yield fakeredis.FakeRedis(decode_responses=decode_responses)


def _redis(tmp_path: Path) -> Iterator[IdempotencyStore]:
    with redis_connection(tmp_path) as client:
        yield RedisStore(client)


def _redis_decoded_eval_only(tmp_path: Path) -> Iterator[IdempotencyStore]:
    with redis_connection(tmp_path, decode_responses=True) as client:
        yield RedisStore(EvalOnlyRedis(client), prefix="other:")


def _dynamodb(tmp_path: Path) -> Iterator[IdempotencyStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield DynamoDBStore(client, TABLE)


STORES: dict[str, Callable[[Path], Iterator[IdempotencyStore]]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "redis": _redis,
    "redis eval, decoded": _redis_decoded_eval_only,
    "dynamodb": _dynamodb,
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdempotencyStore]:
    yield from STORES[request.param](tmp_path)


# --- The store protocol, on every store ---------------------------------------------------------


CLAIM_RULES: dict[str, list[tuple[str, str, float, float, Claim]]] = {
    # Claims in order: key, token, now and expires_at (seconds after NOW), and what the store answers.
    "a free key is acquired until the lease ends": [("k", "a", 0, 30, Claim(ACQUIRED, NOW + 30))],
    "a live claim blocks other tokens and says until when": [
        ("k", "a", 0, 30.5, Claim(ACQUIRED, NOW + 30.5)),
        ("k", "b", 10, 40, Claim(IN_PROGRESS, NOW + 30.5)),
        ("other", "b", 10, 40, Claim(ACQUIRED, NOW + 40)),
    ],
    "the same token claims its own key again": [
        ("k", "a", 0, 30, Claim(ACQUIRED, NOW + 30)),
        ("k", "a", 1, 31, Claim(ACQUIRED, NOW + 31)),
    ],
    "an expired claim is taken over": [
        ("k", "a", 0, 30, Claim(ACQUIRED, NOW + 30)),
        ("k", "b", 30, 60, Claim(ACQUIRED, NOW + 60)),
        ("k", "a", 31, 61, Claim(IN_PROGRESS, NOW + 60)),
    ],
}


@pytest.mark.parametrize("rule", CLAIM_RULES)
def test_claims_answer_by_the_keys_holder_and_lease(store: IdempotencyStore, rule: str) -> None:
    steps = CLAIM_RULES[rule]
    answers = [store.claim(key, token, NOW + now, NOW + expires_at) for key, token, now, expires_at, _ in steps]
    assert answers == [claim for *_, claim in steps]


def test_a_completed_key_answers_completed_until_its_retention_ends(store: IdempotencyStore) -> None:
    store.claim("k", "a", NOW, NOW + 30)
    assert store.complete("k", "a", NOW + 5, NOW + 1000) is True
    assert store.claim("k", "b", NOW + 999, NOW + 1029) == Claim(COMPLETED, NOW + 1000)
    assert store.claim("k", "a", NOW + 999, NOW + 1029) == Claim(COMPLETED, NOW + 1000)
    assert store.claim("k", "b", NOW + 1000, NOW + 1030) == Claim(ACQUIRED, NOW + 1030)


def test_release_frees_the_key_for_the_next_attempt(store: IdempotencyStore) -> None:
    store.claim("k", "a", NOW, NOW + 30)
    assert store.release("k", "a") is True
    assert store.claim("k", "b", NOW + 1, NOW + 31) == Claim(ACQUIRED, NOW + 31)


def test_a_zombie_cannot_complete_or_release_the_new_owners_claim(store: IdempotencyStore) -> None:
    store.claim("k", "zombie", NOW, NOW + 30)
    store.claim("k", "owner", NOW + 31, NOW + 61)
    assert store.complete("k", "zombie", NOW + 32, NOW + 1000) is False
    assert store.release("k", "zombie") is False
    assert store.claim("k", "third", NOW + 33, NOW + 63) == Claim(IN_PROGRESS, NOW + 61)
    assert store.complete("k", "owner", NOW + 34, NOW + 1000) is True
    assert store.release("k", "owner") is False  # completed: a release no longer undoes it
    assert store.claim("k", "third", NOW + 35, NOW + 65) == Claim(COMPLETED, NOW + 1000)


def test_tokens_holding_spaces_or_ending_alike_are_told_apart(store: IdempotencyStore) -> None:
    assert store.claim("k", "a b 1", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
    for other in ("b 1", "1", "a b", ""):
        assert store.claim("k", other, NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
        assert store.complete("k", other, NOW, NOW + 1000) is False
        assert store.release("k", other) is False
    assert store.claim("k", "a b 1", NOW + 1, NOW + 31) == Claim(ACQUIRED, NOW + 31)
    assert store.complete("k", "a b 1", NOW + 2, NOW + 1000) is True
    assert store.claim("k", "a b 1", NOW + 3, NOW + 33) == Claim(COMPLETED, NOW + 1000)


def test_complete_and_release_of_an_unknown_key_change_nothing(store: IdempotencyStore) -> None:
    assert store.complete("missing", "a", NOW, NOW + 1000) is False
    assert store.release("missing", "a") is False
    assert store.claim("missing", "b", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)


# --- Store specifics ----------------------------------------------------------------------------


def test_sqlite_store_is_shared_by_two_connections_to_one_file(tmp_path: Path) -> None:
    first, second = SQLiteStore(str(tmp_path / "d.db")), SQLiteStore(str(tmp_path / "d.db"), durable=False)
    try:
        assert first.claim("k", "a", NOW, NOW + 30).state == ACQUIRED
        assert second.claim("k", "b", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
        assert first.complete("k", "a", NOW, NOW + 1000)
        assert second.claim("k", "b", NOW, NOW + 30) == Claim(COMPLETED, NOW + 1000)
    finally:
        first.close()
        second.close()


def _pragma(store: SQLiteStore, name: str) -> object:
    # The store's own connection: synchronous and busy_timeout are settings of a connection, not of the file.
    return store._connected().execute(f"PRAGMA {name}").fetchone()[0]


def test_sqlite_store_is_durable_by_default_and_waits_five_seconds_for_another_writer(tmp_path: Path) -> None:
    durable, fast = SQLiteStore(str(tmp_path / "d.db")), SQLiteStore(str(tmp_path / "d.db"), durable=False)
    waiting = SQLiteStore(str(tmp_path / "d.db"), timeout=0.25)
    try:
        assert [_pragma(durable, "journal_mode"), _pragma(durable, "synchronous")] == ["wal", 2]  # 2: FULL
        assert _pragma(fast, "synchronous") == 1  # NORMAL
        assert [_pragma(durable, "busy_timeout"), _pragma(waiting, "busy_timeout")] == [5000, 250]
        tables = durable._connected().execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        assert tables == [("webhook_deliveries",)]
    finally:
        for store in (durable, fast, waiting):
            store.close()


def test_sqlite_store_serves_every_thread(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"))
    try:
        with ThreadPoolExecutor(2) as pool:
            claims = list(pool.map(lambda key: store.claim(key, "a", NOW, NOW + 30), ["k1", "k2"]))
        assert [claim.state for claim in claims] == [ACQUIRED, ACQUIRED]
    finally:
        store.close()


def test_sqlite_store_keeps_its_file_when_the_process_changes_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    store = SQLiteStore("d.db")
    try:
        monkeypatch.chdir(tmp_path / "elsewhere")
        assert store.claim("k", "a", NOW, NOW + 30).state == ACQUIRED
        assert SQLiteStore(str(tmp_path / "d.db")).claim("k", "b", NOW, NOW + 30).state == IN_PROGRESS
        assert list((tmp_path / "elsewhere").iterdir()) == []  # no database reopened under the new directory
    finally:
        store.close()


@pytest.mark.parametrize("path", [":memory:", ""], ids=["memory", "temporary"])
def test_sqlite_store_in_memory_or_temporary_serves_the_protocol_without_a_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.chdir(tmp_path)
    opened: list[SQLiteStore] = []
    opening = threading.Thread(target=lambda: opened.append(SQLiteStore(path)), daemon=True)
    opening.start()
    opening.join(10)
    [store] = opened  # opened at once: it waits for no file to appear
    assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
    assert store.complete("k", "a", NOW, NOW + 1000) is True
    assert store.claim("k", "b", NOW, NOW + 30) == Claim(COMPLETED, NOW + 1000)
    store.close()
    assert list(tmp_path.iterdir()) == []  # no file named after the path in the working directory


def _delete(path: Path) -> None:
    """What a temporary-file cleaner does to an SQLite database: the file, its WAL and shared memory go."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _database(path: Path, *claims: str) -> Path:
    """A closed database file at *path* holding a live claim of each key in *claims* (by token ``"there"``)."""
    store = SQLiteStore(str(path))
    assert store.release("none", "none") is False  # opened, even with no claims
    for key in claims:
        store.claim(key, "there", NOW, NOW + 30)
    store.close()  # the last connection: its WAL is checkpointed into the file and removed
    return path


def test_a_closed_sqlite_store_does_not_reopen_its_deleted_file(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "d.db"
    store = SQLiteStore(str(path))
    assert store.claim("first", "a", NOW, NOW + 30).state == ACQUIRED  # opened
    store.close()
    _delete(path)
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        store.claim("k", "a", NOW, NOW + 30)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_store_whose_file_was_deleted_reopens_the_file_its_path_names_then(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    old = SQLiteStore(str(path))
    assert old.claim("k", "old", NOW, NOW + 30).state == ACQUIRED  # in the file about to go
    _delete(path)
    new = SQLiteStore(str(path))
    try:
        assert new.claim("k", "new", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert old.claim("k", "old", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)  # new's claim, in the new file
        assert old.claim("k2", "old", NOW, NOW + 30).state == ACQUIRED
        assert new.claim("k2", "new", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
    finally:
        old.close()
        new.close()


def test_sqlite_store_whose_file_is_deleted_during_an_operation_fails_it_and_reopens_at_the_next(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "d.db"
    store = SQLiteStore(str(path))
    store._connected().set_trace_callback(lambda statement: _delete(path))  # as the claim's statement starts
    try:
        with pytest.raises(sqlite3.OperationalError) as failed:
            store.claim("k", "a", NOW, NOW + 30)
        assert str(failed.value) == (
            f"SQLiteStore: the database file {path} was deleted or replaced during this operation, "
            "whose answer is therefore void (the next operation reopens the file)"
        )
        _database(path, "k")  # the file another process created meanwhile
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
    finally:
        store.close()


def test_sqlite_store_reopening_its_replaced_file_uses_the_file_its_path_names_once_it_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "d.db"
    store = SQLiteStore(str(path))
    assert store.claim("first", "a", NOW, NOW + 30).state == ACQUIRED  # opened
    _delete(path)
    os.replace(_database(tmp_path / "restored.db"), path)  # a restore: the next operation reopens the path
    replaced_again, connect = _database(tmp_path / "again.db", "k"), sqlite3.connect

    def replacing_first(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if replaced_again.exists():  # between the reopening's look at the path and its connect
            _delete(path)
            os.replace(replaced_again, path)
        return connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", replacing_first)
    try:
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)  # "again"'s record
    finally:
        store.close()


def test_sqlite_store_whose_database_cannot_open_yet_is_constructed_and_each_operation_fails_until_it_opens(
    tmp_path: Path,
) -> None:
    import sqlite3

    store = SQLiteStore(tmp_path / "not yet" / "d.db")  # a directory not mounted yet
    try:
        for _ in range(2):  # each operation tries to open it again
            with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
                store.claim("k", "a", NOW, NOW + 30)
        (tmp_path / "not yet").mkdir()
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert store.complete("k", "a", NOW, NOW + 1000) is True
    finally:
        store.close()


def test_a_receive_step_whose_sqlite_database_cannot_open_answers_503_and_processes_once_it_opens(
    tmp_path: Path,
) -> None:
    from openai_webhook_events import Router, Webhook, receive

    webhook = Webhook(whsec(b"secret key of the sqlite test"))
    body = json.dumps(example_payload("batch.completed")).encode()
    headers = webhook.sign(body, webhook_id="wh_1")
    runs: list[str] = []
    router = Router()
    router.fallback(lambda event: runs.append(event.id))
    idempotency = Idempotency(SQLiteStore(str(tmp_path / "not yet" / "d.db")))
    refused = receive(webhook, router, body, headers, idempotency=idempotency)
    assert (refused.status, dict(refused.headers)["retry-after"], runs) == (503, "5", [])  # fail closed
    (tmp_path / "not yet").mkdir()
    assert receive(webhook, router, body, headers, idempotency=idempotency).status == 200
    assert receive(webhook, router, body, headers, idempotency=idempotency).message == "already processed"
    assert len(runs) == 1


def test_sqlite_store_closes_each_connection_to_a_file_that_is_not_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "d.db"
    path.write_bytes(b"not a database, " * 64)
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", recording)
    store = SQLiteStore(str(path))
    for _ in range(2):
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            store.claim("k", "a", NOW, NOW + 30)
    assert len(opened) == 2
    for connection in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
            connection.execute("SELECT 1")
    store.close()


@pytest.mark.parametrize(("held", "opens"), [(0.3, True), (5.0, False)], ids=["released", "held"])
def test_sqlite_store_switching_a_new_file_to_wal_waits_its_timeout_for_another_writer(
    tmp_path: Path, held: float, opens: bool
) -> None:
    import sqlite3

    path = tmp_path / "d.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE other (x)")  # a new file, not in WAL mode yet
    writer.execute("BEGIN IMMEDIATE")  # as another process opening it at once holds it for a moment
    threading.Timer(held, writer.execute, ["COMMIT"]).start()
    store = SQLiteStore(str(path), timeout=1.0)
    started = time.monotonic()
    try:
        if opens:  # SQLite itself answers "database is locked" at once, not waiting for the writer
            assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
            assert time.monotonic() - started >= held * 0.9
        else:
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                store.claim("k", "a", NOW, NOW + 30)
            assert 1.0 <= time.monotonic() - started < 4.0
    finally:
        store.close()


def test_a_sqlite_store_closed_before_any_operation_never_opens_its_file(tmp_path: Path) -> None:
    import sqlite3

    store = SQLiteStore(str(tmp_path / "d.db"))
    store.close()
    with pytest.raises(sqlite3.ProgrammingError) as refused:
        store.claim("k", "a", NOW, NOW + 30)
    assert str(refused.value) == "SQLiteStore: cannot operate on a closed database"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("timeout", [0, 0.0, 2.5])
def test_sqlite_store_takes_any_finite_timeout_from_zero_not_waiting_at_all(tmp_path: Path, timeout: float) -> None:
    store = SQLiteStore(str(tmp_path / "d.db"), timeout=timeout)
    assert store.claim("k", "a", NOW, NOW + 30).state == ACQUIRED
    store.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"path": b"d.db"}, "path must be a str or os.PathLike without NUL, not b'd.db'"),
        ({"path": "d\0.db"}, "path must be a str or os.PathLike without NUL, not 'd\\x00.db'"),
        ({"path": None}, "path must be a str or os.PathLike without NUL, not None"),
        ({"timeout": -1}, "timeout must be a number of seconds >= 0, not -1"),
        ({"timeout": float("nan")}, "timeout must be a number of seconds >= 0, not nan"),
        ({"timeout": float("inf")}, "timeout must be a number of seconds >= 0, not inf"),
        ({"timeout": True}, "timeout must be a number of seconds >= 0, not True"),
        ({"timeout": "5"}, "timeout must be a number of seconds >= 0, not '5'"),
    ],
)
def test_sqlite_store_refuses_a_path_or_timeout_it_could_never_open_with(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(WebhookConfigurationError) as error:
        SQLiteStore(**{"path": str(tmp_path / "d.db"), **options})
    assert str(error.value) == message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("table", ["", "x; DROP TABLE y", "naïve"])
def test_sqlite_store_refuses_a_table_name_that_is_not_a_plain_identifier(tmp_path: Path, table: str) -> None:
    with pytest.raises(WebhookConfigurationError, match="plain SQL identifier"):
        SQLiteStore(str(tmp_path / "d.db"), table=table)


@pytest.mark.parametrize(("version", "accepted"), [((3, 34, 1), False), ((3, 35, 0), True)])
def test_sqlite_store_needs_sqlite_3_35_for_returning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: tuple[int, int, int], accepted: bool
) -> None:
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", version)
    monkeypatch.setattr(sqlite3, "sqlite_version", ".".join(map(str, version)))
    if accepted:
        SQLiteStore(str(tmp_path / "d.db")).close()
    else:
        with pytest.raises(WebhookConfigurationError) as error:
            SQLiteStore(str(tmp_path / "d.db"))
        assert str(error.value) == "SQLiteStore needs SQLite >= 3.35, this is 3.34.1"


class ScriptOnlyRedis:
    """A redis client with ``register_script`` and no ``eval``, counting the scripts it registers."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.scripts = 0

    def register_script(self, text: str) -> Any:
        self.scripts += 1
        return self.client.register_script(text)


def test_redis_store_runs_its_scripts_through_register_script_when_the_client_has_it(tmp_path: Path) -> None:
    with redis_connection(tmp_path) as client:
        script_only = ScriptOnlyRedis(client)
        store = RedisStore(script_only)
        assert script_only.scripts == 3  # claim, complete, release: registered once, run by EVALSHA
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert store.complete("k", "a", NOW, NOW + 1000) is True
        assert store.release("k", "a") is False
        assert store.claim("k", "b", NOW, NOW + 30) == Claim(COMPLETED, NOW + 1000)


class CommandRedis:
    """A redis client with ``register_script`` and ``execute_command`` (redis-py's), recording the commands sent."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.register_script = client.register_script
        self.commands: list[tuple[Any, ...]] = []

    def execute_command(self, *args: Any) -> Any:
        self.commands.append(args)
        return self.client.execute_command(*args)


def test_redis_store_sends_each_operation_as_one_evalsha_of_its_registered_script(tmp_path: Path) -> None:
    with redis_connection(tmp_path) as client:
        recording = CommandRedis(client)
        store = RedisStore(recording)
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert store.complete("k", "a", NOW, NOW + 1000) is True
        assert store.release("k", "a") is False
        assert [(str(name).upper(), key) for name, _, _, key, *_ in recording.commands] == [
            ("EVALSHA", "webhook:k")
        ] * 3
        shas = [bytes(sha).decode() for _, sha, *_ in recording.commands]
        assert len(set(shas)) == 3
        assert all(client.script_exists(sha) == [True] for sha in shas)


@pytest.mark.parametrize("store_class", [RedisStore, AsyncRedisStore])
def test_a_redis_store_refuses_an_object_with_neither_register_script_nor_eval(store_class: type[Any]) -> None:
    with pytest.raises(WebhookConfigurationError) as error:
        store_class(object())
    assert str(error.value) == "object is not a Redis client: it has neither register_script nor eval"


def test_redis_store_runs_a_registered_script_without_a_sha_through_the_script_itself(tmp_path: Path) -> None:
    with redis_connection(tmp_path) as client:

        class ScriptsWithoutSha:  # a compatible client whose scripts are plain callables
            execute_command = client.execute_command

            def register_script(self, text: str) -> Any:
                script = client.register_script(text)
                return lambda keys, args: script(keys=keys, args=args)

        store = RedisStore(ScriptsWithoutSha())
        assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
        assert store.complete("k", "a", NOW, NOW + 1000) is True


def test_redis_store_keys_carry_the_prefix_and_expire_after_their_record(tmp_path: Path) -> None:
    with redis_connection(tmp_path) as client:
        _check_prefix_and_expiry(client)
        RedisStore(client).claim("k", "a", NOW, NOW + 30)
        assert sorted(client.keys()) == [b"hooks:k", b"webhook:k"]  # the default prefix


def _check_prefix_and_expiry(client: Any) -> None:
    store = RedisStore(client, prefix="hooks:")
    store.claim("k", "a", NOW, NOW + 30)
    assert client.keys() == [b"hooks:k"]
    assert 89_000 < client.pttl("hooks:k") <= 90_000  # 30 s lease + 60 s of slack before the server drops it
    store.complete("k", "a", NOW, NOW + 3600)
    assert 3_659_000 < client.pttl("hooks:k") <= 3_660_000


def test_redis_store_gives_a_record_already_a_minute_past_its_expiry_a_millisecond_on_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_connection(tmp_path) as client:
        frozen = time.time()
        monkeypatch.setattr(time, "time", lambda: frozen)  # fakeredis's clock: its PTTL then reads the TTL as set
        RedisStore(client).claim("k", "a", NOW, NOW - 60)
        assert client.pttl("webhook:k") in (-2, 0, 1)  # gone, or at most Redis's shortest time to live


class StrippedOldItem:
    """A DynamoDB client whose conditional failures carry no item (as servers without
    ``ReturnValuesOnConditionCheckFailure`` answer), counting ``get_item`` calls."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.get_items = 0

    def put_item(self, **kwargs: Any) -> Any:
        try:
            return self.client.put_item(**kwargs)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            error.response.pop("Item", None)
            raise

    def get_item(self, **kwargs: Any) -> Any:
        self.get_items += 1
        assert kwargs["ConsistentRead"] is True
        return self.client.get_item(**kwargs)


def test_dynamodb_store_reads_the_holder_with_get_item_when_the_failed_condition_has_no_item(dynamodb: Any) -> None:
    client = StrippedOldItem(dynamodb)
    store = DynamoDBStore(client, TABLE)
    assert store.claim("k", "a", NOW, NOW + 30) == Claim(ACQUIRED, NOW + 30)
    assert store.claim("k", "b", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)
    assert client.get_items == 1


def test_dynamodb_store_reads_the_holder_from_the_failed_condition_without_a_get_item(dynamodb: Any) -> None:
    store = DynamoDBStore(dynamodb, TABLE)
    store.claim("k", "a", NOW, NOW + 30)
    dynamodb.get_item = None  # any get_item call would fail
    assert store.claim("k", "b", NOW, NOW + 30) == Claim(IN_PROGRESS, NOW + 30)


def test_dynamodb_store_writes_the_ttl_attribute_after_the_records_expiry(dynamodb: Any) -> None:
    store = DynamoDBStore(dynamodb, TABLE)
    store.claim("k", "a", NOW, NOW + 30.5)
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "k"}})["Item"]
    assert item["expiration"] == {"N": str(int(NOW) + 31 + 60)}
    store.complete("k", "a", NOW, NOW + 3600)
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "k"}})["Item"]
    assert (item["state"], item["expiration"]) == ({"S": "completed"}, {"N": str(int(NOW) + 3600 + 60)})


class VanishingRecord:
    """A DynamoDB client on which every conditional claim fails and the record is then gone."""

    def __init__(self, old: dict[str, Any] | None) -> None:
        self.old = old
        self.puts = 0

    def put_item(self, **kwargs: Any) -> Any:
        self.puts += 1
        response: dict[str, Any] = {"Error": {"Code": "ConditionalCheckFailedException"}}
        if self.old is not None:
            response["Item"] = self.old
        raise ConditionFailed(response)

    def get_item(self, **kwargs: Any) -> Any:
        return {}


class ConditionFailed(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response


@pytest.mark.parametrize(
    "old",
    [None, {"pk": {"S": "k"}, "state": {"S": "in_progress"}, "token": {"S": "x"}, "expires_at": {"N": str(NOW - 1)}}],
)
def test_dynamodb_store_retries_a_claim_whose_holder_vanished_three_times_then_raises(old: Any) -> None:
    client = VanishingRecord(old)
    with pytest.raises(RuntimeError, match="changed under three claims"):
        DynamoDBStore(client, TABLE).claim("k", "a", NOW, NOW + 30)
    assert client.puts == 3


def test_dynamodb_store_takes_a_failed_conditions_record_expiring_exactly_now_for_a_vanished_one() -> None:
    # expires_at <= now is expired: such a record cannot have failed the condition, so it changed meanwhile
    client = VanishingRecord(
        {"pk": {"S": "k"}, "state": {"S": "in_progress"}, "token": {"S": "x"}, "expires_at": {"N": repr(NOW)}}
    )
    with pytest.raises(RuntimeError, match="changed under three claims"):
        DynamoDBStore(client, TABLE).claim("k", "a", NOW, NOW + 30)
    assert client.puts == 3


class Unreachable:
    """A client whose every call fails as botocore fails when the endpoint does not answer."""

    def __init__(self, response: object = None) -> None:
        self.response = response

    def _fail(self, **kwargs: Any) -> Any:
        error = OSError("Connect timeout on endpoint URL")
        if self.response is not None:
            error.response = self.response  # type: ignore[attr-defined]
        raise error

    put_item = update_item = delete_item = get_item = _fail


@pytest.mark.parametrize(
    "response", [None, "not a dict", {"Error": "not a dict"}, {"Error": {"Code": "ProvisionedThroughputExceeded"}}]
)
def test_dynamodb_store_propagates_errors_that_are_not_a_failed_condition(response: object) -> None:
    store = DynamoDBStore(Unreachable(response), TABLE)
    with pytest.raises(OSError, match="Connect timeout"):
        store.claim("k", "a", NOW, NOW + 30)
    with pytest.raises(OSError, match="Connect timeout"):
        store.complete("k", "a", NOW, NOW + 30)
    with pytest.raises(OSError, match="Connect timeout"):
        store.release("k", "a")


# --- Idempotency ---------------------------------------------------------------------------------


def test_idempotency_defaults_to_seven_days_of_retention_and_the_webhook_id_key() -> None:
    idempotency = Idempotency(MemoryStore())
    assert idempotency.retention == 7 * 24 * 3600
    assert idempotency.key == "webhook-id"
    event = parse_event(example_payload("batch.completed"))
    assert idempotency.store_key("wh_1", event) == "openai-webhook-events#wh_1"
    assert Idempotency(MemoryStore(), key="event-id", namespace="ep2").store_key("wh_1", event) == f"ep2#{event.id}"


def test_idempotency_accepts_a_timedelta_retention_of_72_hours() -> None:
    assert Idempotency(MemoryStore(), retention=timedelta(hours=72)).retention == 72 * 3600


@pytest.mark.parametrize("retention", [72 * 3600 - 1, timedelta(hours=1), 3600])
def test_idempotency_refuses_a_retention_shorter_than_openais_72_hour_retry_window(retention: Any) -> None:
    with pytest.raises(WebhookConfigurationError, match="at least 72 hours"):
        Idempotency(MemoryStore(), retention=retention)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retention": True}, "retention must be a number of seconds > 0"),
        ({"retention": "7d"}, "retention must be a number of seconds > 0"),
        ({"retention": float("inf")}, "retention must be a number of seconds > 0"),
        ({"retention": float("nan")}, "retention must be a number of seconds > 0"),
        ({"lease": 0}, "lease must be a number of seconds > 0"),
        ({"lease": timedelta(seconds=-1)}, "lease must be a number of seconds > 0"),
        ({"key": "id"}, "key must be 'webhook-id' or 'event-id', not 'id'"),
        ({"namespace": ""}, "namespace must be a non-empty str"),
        ({"namespace": 3}, "namespace must be a non-empty str"),
    ],
)
def test_idempotency_refuses_bad_options_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookConfigurationError, match=message):
        Idempotency(MemoryStore(), **options)


def test_idempotency_refuses_a_store_without_the_three_operations() -> None:
    class Half:
        def claim(self) -> None: ...

    with pytest.raises(WebhookConfigurationError, match="store Half has no complete, release method"):
        Idempotency(Half())  # type: ignore[arg-type]


def test_the_lease_is_the_remaining_time_plus_the_skew_margin_never_under_a_second() -> None:
    idempotency = Idempotency(MemoryStore())
    assert idempotency.lease(None) == DEFAULT_LEASE == 60
    assert idempotency.lease(12.5) == 12.5 + SKEW_MARGIN
    assert idempotency.lease(-10) == 1.0
    fixed = Idempotency(MemoryStore(), lease=timedelta(seconds=3))
    assert (fixed.lease(None), fixed.lease(900)) == (3.0, 3.0)


def test_a_long_key_is_stored_as_its_sha256_inside_its_namespace() -> None:
    idempotency = Idempotency(MemoryStore())
    event = parse_event(example_payload("batch.completed"))
    key = idempotency.store_key("w" * 500, event)
    assert key.startswith("openai-webhook-events#sha256:")
    assert len(key) == len("openai-webhook-events#sha256:") + 64
    assert key != idempotency.store_key("w" * 499, event)


def test_a_lease_of_a_second_or_less_is_kept_as_given() -> None:
    assert [Idempotency(MemoryStore(), lease=lease).lease(900) for lease in (0.25, 1)] == [0.25, 1.0]


def test_a_key_of_200_characters_is_stored_as_it_is_and_a_longer_one_as_its_sha256() -> None:
    event = parse_event(example_payload("batch.completed"))
    idempotency = Idempotency(MemoryStore(), namespace="ns")
    assert idempotency.store_key("w" * 197, event) == "ns#" + "w" * 197  # 200 characters
    digest = hashlib.sha256(b"w" * 198).hexdigest()
    assert idempotency.store_key("w" * 198, event) == f"ns#sha256:{digest}"


def test_a_long_event_id_holding_a_lone_surrogate_is_stored_as_the_sha256_of_its_utf_8_bytes() -> None:
    raw = "evt_\ud800" + "x" * 300  # JSON's "\\ud800" escape: valid JSON, a str no strict codec encodes
    event = parse_event({**example_payload("batch.completed"), "id": raw})
    key = Idempotency(MemoryStore(), key="event-id", namespace="ns").store_key("wh_1", event)
    assert key == "ns#sha256:" + hashlib.sha256(b"evt_\xed\xa0\x80" + b"x" * 300).hexdigest()


def test_tokens_are_random_and_distinct() -> None:
    tokens = {Idempotency.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) == 32 for token in tokens)


def test_repr_names_the_store_and_options() -> None:
    assert repr(Idempotency(MemoryStore(), lease=5)) == (
        "Idempotency(MemoryStore, retention=604800.0, lease=5.0, key='webhook-id', namespace='openai-webhook-events')"
    )


def test_every_public_class_is_named_by_the_idempotency_module() -> None:
    classes = [
        value for name in idempotency_module.__all__ if isinstance(value := getattr(idempotency_module, name), type)
    ]
    assert {cls.__name__ for cls in classes} >= {"Claim", "DynamoDBStore", "RedisStore", "SQLiteStore", "MemoryStore"}
    assert {cls.__module__ for cls in classes} == {"openai_webhook_events.idempotency"}
    store = SQLiteStore(":memory:")
    assert repr(store).startswith("<openai_webhook_events.idempotency.SQLiteStore object at ")
    store.close()
    claim = Claim(COMPLETED, NOW)
    assert pickle.loads(pickle.dumps(claim)) == claim
    assert typing.get_type_hints(Claim) == {
        "state": typing.Literal["acquired", "completed", "in_progress"],
        "expires_at": float,
    }


@pytest.mark.parametrize("module", ["_memory", "_sqlite", "_redis", "_dynamodb"])
def test_a_store_module_needs_only_the_claim_module_beyond_the_core(module: str) -> None:
    code = (
        "import sys, openai_webhook_events\n"
        "core = set(sys.modules)\n"
        f"import openai_webhook_events.idempotency.{module}\n"
        "print(sorted(name for name in set(sys.modules) - core if name.startswith('openai_webhook_events.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = {"openai_webhook_events.idempotency", "openai_webhook_events.idempotency._base"}
    assert result.stdout == f"{sorted(expected | {f'openai_webhook_events.idempotency.{module}'})}\n"


def test_the_claim_checks_the_receive_step_imports_bring_no_store_and_no_idempotency_policy() -> None:
    code = (
        "import sys, openai_webhook_events.idempotency._base\n"
        "print(sorted(name for name in sys.modules if name.startswith('openai_webhook_events.idempotency')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "['openai_webhook_events.idempotency', 'openai_webhook_events.idempotency._base']\n"


def test_each_public_name_of_idempotency_is_imported_on_first_use_and_an_unknown_one_is_an_attribute_error() -> None:
    code = (
        "import sys, openai_webhook_events.idempotency as i\n"
        "store = i.RedisStore\n"
        "print(sorted(name for name in sys.modules if name.startswith('openai_webhook_events.idempotency.')))\n"
        "print(i.__dict__['RedisStore'] is store, 'SQLiteStore' in i.__dict__)\n"
        "try:\n    i.NoSuchStore\nexcept AttributeError as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        "['openai_webhook_events.idempotency._base', 'openai_webhook_events.idempotency._redis']",
        "True False",
        "module 'openai_webhook_events.idempotency' has no attribute 'NoSuchStore'",
    ]


def test_a_missing_server_binary_skips_its_tests_but_fails_them_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import servers

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="redis-server is not installed"):
        servers.missing("redis-server")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        servers.missing("redis-server")
