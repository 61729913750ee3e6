"""The WSGI app under gunicorn (2 workers) and wsgiref, the ASGI app under uvicorn: deliveries over real HTTP.

Each server serves ``tests/apps/served.py`` on a free 127.0.0.1 port, with
idempotency on one SQLite file its workers share, and is stopped by PID;
``uvicorn-redis`` is the ASGI app awaiting ``AsyncRedisStore`` on a
``redis.asyncio`` client of a real redis-server, no worker thread.
Handler runs are counted through the file each run appends to.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deliveries import signed_headers
from tests.servers import ROOT, Server, free_port, redis_client, redis_server
from tests.strategies import example_payload

SECRET_BYTES = b"served app secret of 32 bytes..."
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
MAX_BODY = 4096
HOLD = 0.5


@dataclass
class Served:
    kind: str
    port: int
    runs: Path
    redis_port: str | None = None  # the redis-server of uvicorn-redis

    def lines(self, webhook_id: str) -> list[str]:
        """The ``tag`` of every handler run recorded for *webhook_id*."""
        text = self.runs.read_text() if self.runs.exists() else ""
        return [line.split()[0] for line in text.splitlines() if line.split()[1] == webhook_id]


def _command(kind: str, port: int) -> list[str]:
    if kind == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                "--graceful-timeout", "2", "--log-level", "warning", "tests.apps.served:wsgi_app"]  # fmt: skip
    if kind.startswith("uvicorn"):
        return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on",
                "--log-level", "warning", "tests.apps.served:asgi_app"]  # fmt: skip
    return [sys.executable, "-m", "tests.apps.served", str(port)]


@contextlib.contextmanager
def serving(kind: str, folder: Path) -> Iterator[Served]:
    """*kind*'s server on a free port (and, for ``uvicorn-redis``, its redis-server), stopped by PID after."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SERVED_SECRET": SECRET, "SERVED_MAX_BODY": str(MAX_BODY),
           "SERVED_DB": str(folder / "deliveries.db"), "SERVED_RUNS": str(folder / "runs"),
           "SERVED_HOLD": str(HOLD)}  # fmt: skip
    with contextlib.ExitStack() as stack:
        redis_port = None
        if kind == "uvicorn-redis":
            store = redis_server(folder).start()
            stack.callback(store.stop)
            redis_port = env["SERVED_REDIS_PORT"] = str(store.port)
            del env["SERVED_DB"]
        server = Server(_command(kind, port), port, cwd=ROOT, env=env).start()
        stack.callback(server.stop)
        yield Served(kind, port, folder / "runs", redis_port)


@pytest.fixture(scope="module", params=["gunicorn", "wsgiref", "uvicorn", "uvicorn-redis"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    kind: str = request.param
    with serving(kind, tmp_path_factory.mktemp(kind)) as running:
        yield running


def delivery(
    event_type: str, webhook_id: str, *, timestamp: int | None = None, key: bytes = SECRET_BYTES
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(example_payload(event_type)).encode()
    return body, signed(body, webhook_id, timestamp=timestamp, key=key)


def signed(body: bytes, webhook_id: str, *, timestamp: int | None = None, key: bytes = SECRET_BYTES) -> dict[str, str]:
    return dict(signed_headers(body, webhook_id, int(time.time()) if timestamp is None else timestamp, key))


def post(
    served: Served, body: bytes | Iterable[bytes], headers: dict[str, str], method: str = "POST"
) -> tuple[int, dict[str, str], str]:
    """Send one request (an iterable body goes chunked, without Content-Length): status, headers, message."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        chunked = not isinstance(body, bytes)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered before the body was sent
            connection.request(method, "/any/path/works", body=body, headers=headers, encode_chunked=chunked)
        answer = connection.getresponse()
        text = answer.read()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, json.loads(text)["message"]
    finally:
        connection.close()


def test_a_signed_delivery_is_processed_and_answered_200(served: Served) -> None:
    body, headers = delivery("response.completed", f"wh_valid_{served.kind}")
    status, answer_headers, message = post(served, body, headers)
    assert (status, message, answer_headers["content-type"]) == (200, "ok", "application/json")
    # ASGI: the async def handler ran to its end (it records after an await)
    assert served.lines(f"wh_valid_{served.kind}") == ["async" if served.kind.startswith("uvicorn") else "sync"]


def test_a_plain_fallback_handler_runs_on_every_server(served: Served) -> None:
    body, headers = delivery("response.failed", f"wh_fallback_{served.kind}")
    assert post(served, body, headers)[0] == 200
    assert served.lines(f"wh_fallback_{served.kind}") == ["fallback"]


@pytest.mark.parametrize("change", ["forged", "stale", "no signature", "tampered"])
def test_unverifiable_deliveries_are_answered_401_and_not_processed(served: Served, change: str) -> None:
    webhook_id = f"wh_{change.replace(' ', '_')}_{served.kind}"
    body, headers = delivery(
        "response.completed",
        webhook_id,
        key=b"another secret" if change == "forged" else SECRET_BYTES,
        timestamp=int(time.time()) - 3600 if change == "stale" else None,
    )
    if change == "no signature":
        del headers["webhook-signature"]
    if change == "tampered":
        body = body.replace(b"resp_", b"resq_")
    assert post(served, body, headers)[::2] == (401, "webhook verification failed")
    assert served.lines(webhook_id) == []


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "evt_1", "type": "batch.failed"}'])
def test_a_signed_malformed_body_is_answered_400(served: Served, body: bytes) -> None:
    assert post(served, body, signed(body, "wh_malformed"))[::2] == (400, "invalid payload")


def test_a_body_over_the_bound_by_content_length_is_answered_413(served: Served) -> None:
    body = b"{" + b" " * MAX_BODY + b"}"
    assert post(served, body, signed(body, "wh_big"))[::2] == (413, "payload too large")


def test_a_chunked_body_is_read_and_one_over_the_bound_is_answered_413(served: Served) -> None:
    body, headers = delivery("response.completed", f"wh_chunked_{served.kind}")
    if served.kind == "wsgiref":  # it does not decode chunked bodies (no wsgi.input_terminated): none is read
        assert post(served, [body[:10], body[10:]], headers)[::2] == (401, "webhook verification failed")
        assert served.lines(f"wh_chunked_{served.kind}") == []
        return
    assert post(served, [body[:10], body[10:]], headers)[::2] == (200, "ok")
    big = b"{" + b" " * MAX_BODY + b"}"
    assert post(served, [big[:1000]] * 5 + [big[5000:]], signed(big, "wh_big"))[::2] == (413, "payload too large")


def test_another_method_is_answered_405_with_allow(served: Served) -> None:
    status, headers, message = post(served, b"", {}, method="GET")
    assert (status, headers["allow"], message) == (405, "POST", "use POST")


def test_a_duplicate_is_acknowledged_without_running_the_handler_again(served: Served) -> None:
    body, headers = delivery("response.completed", f"wh_duplicate_{served.kind}")
    assert post(served, body, headers)[::2] == (200, "ok")
    assert post(served, body, headers)[::2] == (200, "already processed")
    assert len(served.lines(f"wh_duplicate_{served.kind}")) == 1


def test_a_handler_that_raises_is_answered_500_and_its_retry_processes(served: Served) -> None:
    body, headers = delivery("batch.failed", f"wh_raises_{served.kind}")
    assert post(served, body, headers)[::2] == (500, "handler failed")
    assert served.lines(f"wh_raises_{served.kind}") == []
    assert post(served, body, headers)[::2] == (200, "ok")  # the claim was released: the retry runs
    assert served.lines(f"wh_raises_{served.kind}") == ["retried"]


def test_eight_concurrent_deliveries_of_one_webhook_run_its_handler_once(served: Served) -> None:
    body, headers = delivery("batch.completed", f"wh_concurrent_{served.kind}")
    answers: list[tuple[int, str]] = []
    go = threading.Barrier(8)

    def deliver() -> None:
        go.wait()
        answers.append(post(served, body, headers)[::2])

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 8
    assert answers.count((200, "ok")) == 1
    assert set(answers) <= {(200, "ok"), (200, "already processed"), (409, "in progress")}
    assert served.lines(f"wh_concurrent_{served.kind}") == ["held"]
    if served.kind != "wsgiref":  # wsgiref serves one request at a time: the others come after, as duplicates
        assert (409, "in progress") in answers


def test_under_uvicorn_the_async_redis_store_keeps_each_delivery_record_in_redis(tmp_path: Path) -> None:
    with serving("uvicorn-redis", tmp_path) as served:
        body, headers = delivery("response.completed", "wh_recorded")
        assert post(served, body, headers)[::2] == (200, "ok")
        assert post(served, body, headers)[::2] == (200, "already processed")
        record = redis_client(int(str(served.redis_port))).get("webhook:openai-webhook-events#wh_recorded")
        assert record.startswith(b"completed ")
        assert not (tmp_path / "deliveries.db").exists()  # not the SQLite store of the other servers
        assert served.lines("wh_recorded") == ["async"]
