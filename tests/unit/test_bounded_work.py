"""Parsing, freezing and to_dict cost O(size of the payload): no path is built unless a value is rejected.

Work is counted, not timed: bytes held at the peak (tracemalloc) and the path steps rendered.
``bench/run.py`` times the worst shapes against ``json.loads``.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest

from openai_webhook_events import InvalidEventError, _checks, parse_event, to_dict


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def _unknown_event(data: Any) -> dict[str, Any]:
    return {"id": "evt_1", "created_at": 1, "type": "brand.new", "data": data}


LONG_KEY = "k" * 50_000
SHAPES = {
    "long key above deep nesting": {LONG_KEY: _nested(190, [0] * 100)},
    "long keys, many elements": {f"{LONG_KEY}{n}": [{"a": [n]}] * 50 for n in range(3)},
    "many keys": {f"key{n}": {"k": n} for n in range(2_000)},
    "many small objects": [{"a": 0}] * 2_000,
    "200-deep objects": _nested(197, {"x.y": {"z": [1]}}),
}


def _peak_bytes(function: Any, *args: Any) -> int:
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("data", SHAPES.values(), ids=SHAPES.keys())
def test_parse_event_and_to_dict_hold_memory_in_proportion_to_the_payload(data: Any) -> None:
    payload = _unknown_event(data)
    body = json.dumps(payload)
    event = parse_event(payload)  # imports and caches warmed up
    decoded = _peak_bytes(json.loads, body)  # each element once
    # The frozen copy of each element, and nothing proportional to a path times the elements
    # (building the path of each element below the long key held 190 x 50 kB at once); the
    # slack is for a tracer's own allocations (coverage).
    assert _peak_bytes(parse_event, payload) < 3 * decoded + 300_000
    assert _peak_bytes(to_dict, event) < 3 * decoded + 300_000


class _StepCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps = 0
        step, join = _checks.path_step, _checks.join

        def counted_step(key: str | int) -> str:
            self.steps += 1
            return step(key)

        def counted_join(path: str, key: str | int) -> str:
            self.steps += 1
            return join(path, key)

        monkeypatch.setattr(_checks, "path_step", counted_step)
        monkeypatch.setattr(_checks, "join", counted_join)


@pytest.mark.parametrize("data", SHAPES.values(), ids=SHAPES.keys())
def test_an_accepted_payload_builds_no_path(data: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _StepCounter(monkeypatch)
    assert to_dict(parse_event(_unknown_event(data)))["data"] == json.loads(json.dumps(data))
    assert counter.steps == 0


def test_a_rejected_value_builds_its_path_once_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = _StepCounter(monkeypatch)
    with pytest.raises(InvalidEventError) as info:
        parse_event(_unknown_event({LONG_KEY: [0, _nested(150, {1, 2})]}))
    assert info.value.path == f"data.{LONG_KEY}[1]" + "[0]" * 150
    assert counter.steps == 152


@pytest.mark.parametrize("innermost", [{}, {"a": 1}, [], [1]], ids=["{}", "object", "[]", "array"])
def test_a_container_on_the_201st_level_is_rejected_at_its_path(innermost: Any) -> None:
    payload = _unknown_event(_nested(199, innermost))
    assert to_dict(parse_event(payload)) == payload
    with pytest.raises(InvalidEventError) as info:
        parse_event(_unknown_event(_nested(200, innermost)))
    assert (info.value.path, info.value.reason) == ("data" + "[0]" * 200, "nested deeper than 200 levels")
