"""A real HTTP round trip: examples/wsgi_app.py served on wsgiref at 127.0.0.1, signed deliveries POSTed with urllib.

The server's log goes to a file (``RECIPE_LOG``, tests/recipe_servers.py): a handler's record there shows it ran.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deliveries import signed_headers
from tests.servers import urlopen
from tests.strategies import example_payload, hmac_signature

ROOT = Path(__file__).parents[2]
SECRET_BYTES = b"wsgi test secret of 32 bytes...."
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wsgi_app") / "server.log"


def logged(server_log: Path, text: str) -> int:
    """How many lines of the server's log hold *text*."""
    return sum(text in line for line in server_log.read_text().splitlines())


@pytest.fixture(scope="module")
def server_url(server_log: Path) -> Iterator[str]:
    """Serve examples/wsgi_app.py on wsgiref at a free port; yield its URL; stop it (bounded time, nothing left)."""
    errors = server_log.with_suffix(".err").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.recipe_servers", "wsgiref", "0"],
        stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_WEBHOOK_SECRET": SECRET, "RECIPE_LOG": str(server_log)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the server did not start within 30 s"
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line + server_log.read_text()
        yield line.split()[-1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if terminate is ignored
            process.kill()
            process.wait(timeout=10)
        assert process.returncode is not None
        errors.close()


def post(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url + "/webhooks/openai", data=body, headers=headers, method=method)
    try:
        with urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def signed(body: bytes, webhook_id: str = "wh_http_1", timestamp: int | None = None) -> dict[str, str]:
    return dict(signed_headers(body, webhook_id, int(time.time()) if timestamp is None else timestamp, SECRET_BYTES))


def test_a_signed_delivery_reaches_its_typed_handler(server_url: str, server_log: Path) -> None:
    body = json.dumps(example_payload("response.completed"), indent=3).encode()
    assert post(server_url, body, signed(body, "wh_http_typed")) == (200, {"message": "ok"})
    data_id = example_payload("response.completed")["data"]["id"]
    assert logged(server_log, f"response {data_id} completed") == 1


def test_other_and_unknown_event_types_are_acknowledged_by_the_fallback(server_url: str, server_log: Path) -> None:
    for payload in [
        example_payload("batch.cancelled"),
        {"id": "evt_x", "created_at": 1, "type": "brand.new", "data": {}},
    ]:
        body = json.dumps(payload).encode()
        assert post(server_url, body, signed(body, f"wh_http_{payload['id']}")) == (200, {"message": "ok"})
        assert logged(server_log, f"ignored {payload['type']} event {payload['id']}") == 1


def test_the_signature_covers_the_raw_bytes_not_the_json(server_url: str) -> None:
    body = json.dumps(example_payload("response.completed")).encode()
    reformatted = json.dumps(example_payload("response.completed"), indent=2).encode()  # same JSON, other bytes
    status, answer = post(server_url, reformatted, signed(body))
    assert status == 401
    assert answer == {"message": "webhook verification failed"}


@pytest.mark.parametrize(
    "change",
    ["no signature", "old timestamp", "wrong id"],
)
def test_unverifiable_deliveries_get_401(server_url: str, change: str) -> None:
    body = json.dumps(example_payload("response.completed")).encode()
    headers = signed(body, timestamp=int(time.time()) - 3600 if change == "old timestamp" else None)
    if change == "no signature":
        del headers["webhook-signature"]
    if change == "wrong id":
        headers["webhook-id"] = "wh_other"
    assert post(server_url, body, headers) == (401, {"message": "webhook verification failed"})


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "e", "created_at": 1, "type": "batch.failed"}'])
def test_signed_malformed_payloads_get_400(server_url: str, body: bytes) -> None:
    assert post(server_url, body, signed(body)) == (400, {"message": "invalid payload"})


def test_only_post_is_accepted(server_url: str) -> None:
    request = urllib.request.Request(server_url + "/", method="GET")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urlopen(request, timeout=10)
    with caught.value as error:
        assert error.code == 405
        assert error.headers["allow"] == "POST"
        assert json.loads(error.read()) == {"message": "use POST"}


def post_raw(url: str, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
    """POST with headers sent exactly as listed, repeats included (urllib would merge them)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/webhooks/openai")
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


@pytest.mark.parametrize("good_first", [True, False])
# batch.expired below, not batch.failed: tests/recipe_servers.py gives the router a batch.failed handler that raises
def test_two_signature_headers_are_accepted_in_either_order(
    server_url: str, server_log: Path, good_first: bool
) -> None:
    body = json.dumps(example_payload("batch.expired")).encode()
    headers = signed(body)
    good = headers.pop("webhook-signature")
    other = hmac_signature(b"the previous secret", "wh_http_1", headers["webhook-timestamp"], body)
    signatures = [good, other] if good_first else [other, good]
    pairs = [*headers.items(), *[("webhook-signature", value) for value in signatures]]
    before = logged(server_log, "ignored batch.expired")
    assert post_raw(server_url, body, pairs) == (200, {"message": "ok"})
    assert logged(server_log, "ignored batch.expired") == before + 1
    status, _ = post_raw(server_url, body, [*headers.items(), *[("webhook-signature", other)] * 2])
    assert status == 401


@pytest.mark.parametrize(("second_id", "status"), [("wh_http_1", 200), ("wh_other", 401)])
def test_a_repeated_webhook_id_must_repeat_the_same_value(server_url: str, second_id: str, status: int) -> None:
    body = json.dumps(example_payload("batch.expired")).encode()
    pairs = [*signed(body).items(), ("webhook-id", second_id)]
    assert post_raw(server_url, body, pairs)[0] == status
