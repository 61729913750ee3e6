"""Idempotency benchmark: the receive step on each store, against Powertools' idempotency utility on the same store.

    python bench/idempotency.py            # prints the table
    python bench/idempotency.py --quick    # a smoke run (few deliveries)

``bench/run.py`` runs it too and writes its table into ``bench/RESULTS.md``.

Each contender receives signed ``batch.completed`` deliveries with fresh
``webhook-id`` values (a first delivery each), then the same deliveries
again (duplicates).  Measured per delivery: the CPU time of this process
(``time.process_time``: the servers' own CPU is not counted) and the store
round trips (HTTP requests botocore sends, commands redis-py sends,
operations on the in-process stores).  The servers run on 127.0.0.1:
redis-server (no persistence) and dynalite (in memory), started here and
stopped by PID.  Powertools has no SQLite or in-memory layer.  Its
contender verifies and parses with this package, then calls a handler
wrapped in ``idempotent_function`` keyed on ``webhook-id``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

from openai_webhook_events import Router, Webhook, parse_event  # noqa: E402
from openai_webhook_events._json import load_payload  # noqa: E402
from openai_webhook_events._receive import receive  # noqa: E402
from openai_webhook_events.idempotency import (  # noqa: E402
    DynamoDBStore,
    Idempotency,
    MemoryStore,
    RedisStore,
    SQLiteStore,
)
from tests import servers  # noqa: E402

PACKAGE = "openai-webhook-events"
POWERTOOLS = "Powertools idempotent_function"
WEBHOOK = Webhook("whsec_" + "YmVuY2htYXJrIGlkZW1wb3RlbmN5IHNlY3JldCAzMiBi")
BODY_TEMPLATE = (
    '{"id": "evt_%s", "object": "event", "created_at": 1750288048, "type": "batch.completed", '
    '"data": {"id": "batch_2b81f7657480c24f4a2c6511"}}'
)


@dataclass
class Contender:
    store: str
    name: str
    deliver: Callable[[bytes, dict[str, str]], int]  # -> status
    round_trips: Callable[[], int]  # a counter that only grows
    first_us: list[float] = field(default_factory=list)
    duplicate_us: list[float] = field(default_factory=list)
    first_trips: list[float] = field(default_factory=list)
    duplicate_trips: list[float] = field(default_factory=list)


class CountingStore:
    """An in-process store whose operations are counted (one operation is one round trip there)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls = 0

    def claim(self, *args: Any) -> Any:
        self.calls += 1
        return self.store.claim(*args)

    def complete(self, *args: Any) -> Any:
        self.calls += 1
        return self.store.complete(*args)

    def release(self, *args: Any) -> Any:
        self.calls += 1
        return self.store.release(*args)


class LambdaContext:
    """The one method of a Lambda context both contenders read: 10 s left in the invocation."""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _router() -> Router:
    router = Router()
    router.fallback(lambda event: None)
    return router


def ours(store_name: str, store: Any, round_trips: Callable[[], int]) -> Contender:
    router, idempotency = _router(), Idempotency(store)

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        remaining = LambdaContext().get_remaining_time_in_millis() / 1000
        return receive(WEBHOOK, router, body, headers, idempotency=idempotency, remaining=remaining).status

    return Contender(store_name, PACKAGE, deliver, round_trips)


def powertools(store_name: str, persistence: Any, round_trips: Callable[[], int]) -> Contender:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    router = _router()
    config = IdempotencyConfig(event_key_jmespath="webhook_id", expires_after_seconds=7 * 24 * 3600)
    config.register_lambda_context(cast(Any, LambdaContext()))  # as in Lambda: in-progress records get a deadline
    current: list[Any] = [None]

    @idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=config)
    def process(delivery: dict[str, str]) -> None:
        router.dispatch(current[0])

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        WEBHOOK.verify(body, headers)
        current[0] = parse_event(load_payload(body))
        try:
            process(delivery={"webhook_id": headers["webhook-id"]})
        except IdempotencyAlreadyInProgressError:
            return 409
        return 200

    return Contender(store_name, POWERTOOLS, deliver, round_trips)


def _counting_redis(port: int) -> tuple[Any, Callable[[], int]]:
    client = servers.redis_client(port)
    count = [0]
    send = client.execute_command

    def execute_command(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return send(*args, **kwargs)

    client.execute_command = execute_command
    return client, lambda: count[0]


def _counting_dynamodb(port: int | None) -> tuple[Any, Callable[[], int]]:
    """A boto3 client on dynalite at *port* (``None``: on moto's mock), counting the requests it sends."""
    if port is None:
        import boto3  # type: ignore[import-untyped]

        client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    else:
        client = servers.dynamodb_client(port)
    count = [0]

    def sent(**kwargs: Any) -> None:
        count[0] += 1

    client.meta.events.register("before-send.dynamodb", sent)
    return client, lambda: count[0]


def _powertools_table(client: Any) -> None:
    """The table Powertools' DynamoDB layer expects by default (partition key ``id``)."""
    client.create_table(
        TableName="powertools-idempotency",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName="powertools-idempotency", WaiterConfig={"Delay": 0.1})


@contextmanager
def contenders(notes: list[str]) -> Iterator[list[Contender]]:
    """Every contender, its servers running for the duration of the block."""
    with ExitStack() as stack:
        found: list[Contender] = []
        memory = CountingStore(MemoryStore())
        found.append(ours("memory", memory, lambda: memory.calls))
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        sqlite = CountingStore(SQLiteStore(str(directory / "bench.db")))
        found.append(ours("SQLite (WAL, durable)", sqlite, lambda: sqlite.calls))
        try:
            import aws_lambda_powertools  # noqa: F401
        except ImportError:
            notes.append("aws-lambda-powertools is not installed: its contenders skipped (pip install -e '.[bench]')")
            have_powertools = False
        else:
            have_powertools = True

        if shutil.which("redis-server"):
            server = servers.redis_server(directory).start()
            stack.callback(server.stop)
            client, trips = _counting_redis(server.port)
            found.append(ours("Redis", RedisStore(client), trips))
            if have_powertools:
                from aws_lambda_powertools.utilities.idempotency.persistence.cache import CachePersistenceLayer

                with warnings.catch_warnings():  # Powertools 3.x warns about its own Redis class's future rename
                    warnings.simplefilter("ignore", DeprecationWarning)
                    layer = CachePersistenceLayer(client=client)
                found.append(powertools("Redis", layer, trips))
        else:
            notes.append("redis-server is not installed: Redis skipped")

        if shutil.which("node") and servers.DYNALITE.exists():
            server = servers.dynalite().start()
            stack.callback(server.stop)
            client, trips = _counting_dynamodb(server.port)
            servers.create_table(client)
            found.append(ours("DynamoDB (dynalite)", DynamoDBStore(client, servers.TABLE), trips))
            if have_powertools:
                from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

                _powertools_table(client)
                table = DynamoDBPersistenceLayer(table_name="powertools-idempotency", boto3_client=client)
                found.append(powertools("DynamoDB (dynalite)", table, trips))
        else:
            notes.append("dynalite is not installed (.ci/run installs it): DynamoDB skipped")
        yield found


def _deliveries(count: int, serial: list[int]) -> list[tuple[bytes, dict[str, str]]]:
    made = []
    for _ in range(count):
        serial[0] += 1
        body = (BODY_TEMPLATE % f"{serial[0]:08d}").encode()
        made.append((body, WEBHOOK.sign(body, webhook_id=f"wh_bench_{serial[0]:08d}")))
    return made


def _pass(contender: Contender, deliveries: list[tuple[bytes, dict[str, str]]]) -> tuple[float, float]:
    """(CPU µs, round trips) per delivery over one pass; every answer must be 200."""
    trips = contender.round_trips()
    started = time.process_time()
    statuses = [contender.deliver(body, headers) for body, headers in deliveries]
    elapsed = time.process_time() - started
    assert statuses == [200] * len(deliveries), (contender.store, contender.name, set(statuses))
    return elapsed / len(deliveries) * 1e6, (contender.round_trips() - trips) / len(deliveries)


def _run(found: list[Contender], rounds: int, per_round: int, serial: list[int]) -> None:
    """Rounds of first deliveries then their duplicates, the contenders in rotating order."""
    for contender in found:  # warm up: connections, scripts loaded, imports done
        warm = _deliveries(5, serial)
        _pass(contender, warm)
        _pass(contender, warm)
    for round_index in range(rounds):
        shift = round_index % len(found)
        for contender in found[shift:] + found[:shift]:
            deliveries = _deliveries(per_round, serial)
            cpu, trips = _pass(contender, deliveries)
            contender.first_us.append(cpu)
            contender.first_trips.append(trips)
            cpu, trips = _pass(contender, deliveries)
            contender.duplicate_us.append(cpu)
            contender.duplicate_trips.append(trips)


@contextmanager
def moto_contenders(notes: list[str]) -> Iterator[list[Contender]]:
    """Both contenders on moto's in-process DynamoDB, which (unlike dynalite) returns the item a
    failed condition found; its CPU is in this process, so only the round trips compare with the rest."""
    try:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
        from moto import mock_aws
    except ImportError:
        notes.append("moto or aws-lambda-powertools is not installed: the moto rows skipped")
        yield []
        return
    with mock_aws():
        client, trips = _counting_dynamodb(None)
        servers.create_table(client)
        _powertools_table(client)
        yield [
            ours("DynamoDB (moto, in-process)", DynamoDBStore(client, servers.TABLE), trips),
            powertools(
                "DynamoDB (moto, in-process)",
                DynamoDBPersistenceLayer(table_name="powertools-idempotency", boto3_client=client),
                trips,
            ),
        ]


def measure(quick: bool = False) -> tuple[list[Contender], list[str]]:
    """Run every contender (:func:`_run`); the moto ones after the others, on their own."""
    rounds, per_round = (3, 10) if quick else (15, 100)
    notes: list[str] = []
    serial = [0]
    with contenders(notes) as found:
        _run(found, rounds, per_round, serial)
    with moto_contenders(notes) as on_moto:
        if on_moto:
            _run(on_moto, rounds, per_round, serial)
    notes.append(
        f"idempotency: {rounds} rounds x {per_round} first deliveries + their duplicates per contender; medians"
    )
    notes.append(
        "idempotency: dynalite does not implement ReturnValuesOnConditionCheckFailure, so a duplicate costs "
        "both contenders a get_item there; the moto rows show the one request DynamoDB itself needs"
    )
    if quick:
        notes.append("idempotency --quick: a smoke run, its numbers are not results")
    return found + on_moto, notes


HEADER = ("store", "contender", "CPU µs, first", "CPU µs, duplicate", "round trips, first", "round trips, duplicate")


def rows(found: list[Contender]) -> list[tuple[str, ...]]:
    return [
        (
            c.store,
            c.name,
            f"{statistics.median(c.first_us):,.0f}",
            f"{statistics.median(c.duplicate_us):,.0f}",
            f"{statistics.median(c.first_trips):g}",
            f"{statistics.median(c.duplicate_trips):g}",
        )
        for c in found
    ]


def render_text(found: list[Contender]) -> str:
    table = [HEADER, *rows(found)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in table)


def render_markdown(found: list[Contender], notes: list[str]) -> str:
    out = [
        "",
        "## Idempotency: the receive step per store, and Powertools on the same store",
        "",
        "`bench/idempotency.py` (run by `bench/run.py`): signed deliveries through the whole receive step "
        "(verify, parse, claim, handler, complete); then the same deliveries again (duplicates). CPU time of "
        "this process per delivery (the servers' CPU not counted) and store round trips per delivery "
        "(target: 2 for a first delivery, 1 for a duplicate). Powertools verifies and parses with this package, "
        "then calls the handler through `idempotent_function`.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    out += ["| " + " | ".join(row) + " |" for row in rows(found)]
    out += [""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few deliveries")
    args = parser.parse_args(argv)
    found, notes = measure(args.quick)
    print(render_text(found))
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
