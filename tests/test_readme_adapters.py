"""The README's "WSGI and ASGI" snippets run as written: the WSGI app, the ASGI app, and its Starlette mount."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient
from werkzeug.test import Client

from openai_webhook_events import Webhook
from tests.strategies import example_payload
from tests.test_readme import README
from tests.test_receive import SECRET


def _snippets() -> list[str]:
    section = README.read_text().split("## WSGI and ASGI", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def _delivery() -> tuple[bytes, dict[str, str], str]:
    payload = example_payload("response.completed")
    body = json.dumps(payload).encode()
    return body, Webhook(SECRET).sign(body), payload["data"]["id"]


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)


def test_the_readme_has_the_wsgi_the_asgi_and_the_mount_snippets() -> None:
    assert len(_snippets()) == 3


def test_the_wsgi_snippet_answers_a_delivery_and_refuses_a_forgery(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {}
    exec(_snippets()[0], namespace)
    client = Client(namespace["application"])
    body, headers, data_id = _delivery()
    answer = client.post("/", data=body, headers=headers)
    assert (answer.status_code, answer.get_json()) == (200, {"message": "ok"})
    assert capsys.readouterr().out == f"response done: {data_id}\n"
    assert client.post("/", data=body + b" ", headers=headers).status_code == 401


def test_the_asgi_snippet_awaits_its_async_handler_where_starlette_mounts_it() -> None:
    namespace: dict[str, Any] = {}
    asgi_snippet, mount_snippet = _snippets()[1:]
    exec(asgi_snippet, namespace)
    exec(mount_snippet, namespace)
    body, headers, data_id = _delivery()
    with TestClient(namespace["site"]) as client:
        answer = client.post("/webhooks/openai", content=body, headers=headers)
        assert (answer.status_code, answer.json(), namespace["done"]) == (200, {"message": "ok"}, [data_id])
        other = json.dumps(example_payload("batch.failed")).encode()
        assert client.post("/webhooks/openai", content=other, headers=Webhook(SECRET).sign(other)).status_code == 200
        assert client.get("/webhooks/openai").status_code == 405
