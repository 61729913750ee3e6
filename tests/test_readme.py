"""The README's quick start runs as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.strategies import example_payload

README = Path(__file__).parent.parent / "README.md"


def _quick_start() -> dict[str, Any]:
    section = README.read_text().split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace


def test_quick_start_handles_an_event_and_rejects_a_bad_one() -> None:
    handle = _quick_start()["handle"]
    payload = example_payload("response.completed")
    assert handle(json.dumps(payload).encode()) == f"response {payload['data']['id']} completed"
    assert handle(json.dumps(example_payload("batch.failed")).encode()) == "ignored batch.failed"
    payload["data"]["id"] = 5
    assert handle(json.dumps(payload).encode()) == "rejected: data.id: expected string, got integer"
