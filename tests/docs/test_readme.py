"""The quick start of the documentation's home page (docs/index.md, "Quick start") runs as written."""

from __future__ import annotations

import json
from typing import Any

from tests.markdown import python_snippets
from tests.strategies import example_payload


def _quick_start() -> dict[str, Any]:
    [code] = python_snippets("docs/index.md", "## Quick start")
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace


def test_quick_start_handles_an_event_and_rejects_a_bad_one() -> None:
    handle = _quick_start()["handle"]
    payload = example_payload("response.completed")
    assert handle(json.dumps(payload).encode()) == f"response {payload['data']['id']} completed"
    assert handle(json.dumps(example_payload("batch.failed")).encode()) == "ignored batch.failed"
    payload["data"]["id"] = 5
    assert handle(json.dumps(payload).encode()) == "rejected: data.id: expected string, got integer"
