"""Events and FrozenDict through pickle, copy, dataclasses and a process pool; errors through the pool."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from openai_webhook_events import (
    FrozenDict,
    InvalidEventError,
    UnknownWebhookEvent,
    WebhookEvent,
    parse_event,
    to_dict,
)
from tests import pool_workers
from tests.strategies import EVENT_TYPE_NAMES, example_payload

UNKNOWN_PAYLOAD: dict[str, Any] = {
    "id": "evt_unknown",
    "created_at": 1_750_000_000,
    "type": "brand.new",
    "object": "event",
    "data": {"items": [1, 2.5, "x", None, True, {"nested": [{"deep": {"k": []}}, []]}], "meta": {}},
}
PAYLOADS = [example_payload(name) for name in EVENT_TYPE_NAMES] + [UNKNOWN_PAYLOAD]
IDS = [*EVENT_TYPE_NAMES, "unknown"]


def _assert_same_event(copied: object, original: WebhookEvent) -> None:
    assert type(copied) is type(original)
    assert copied == original
    assert hash(copied) == hash(original)
    assert to_dict(copied) == to_dict(original)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_every_event_survives_pickle_with_every_protocol(payload: dict[str, Any], protocol: int) -> None:
    event = parse_event(payload)
    _assert_same_event(pickle.loads(pickle.dumps(event, protocol)), event)


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_every_event_survives_copy_and_deepcopy(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    _assert_same_event(copy.copy(event), event)
    _assert_same_event(copy.deepcopy(event), event)


def _json_shape(value: Any) -> Any:
    """*value* with mappings as dicts, tuples as lists and None-valued keys dropped, at every level."""
    if isinstance(value, Mapping):
        return {key: _json_shape(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_json_shape(item) for item in value]
    return value


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_asdict_gives_every_field_of_every_event(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    fields = dataclasses.asdict(event)
    assert list(fields) == [field.name for field in dataclasses.fields(event)]
    assert _json_shape(fields) == _json_shape(to_dict(event))


def test_asdict_keeps_unknown_data_a_frozen_dict_equal_to_the_original() -> None:
    event = parse_event(UNKNOWN_PAYLOAD)
    data = dataclasses.asdict(event)["data"]
    assert type(data) is FrozenDict
    assert data == event.data
    items = data["items"]
    assert isinstance(items, tuple)
    assert type(items[5]) is FrozenDict


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_replace_gives_the_event_with_one_field_changed(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    replaced = dataclasses.replace(event, id="evt_replaced")
    assert type(replaced) is type(event)
    assert replaced == parse_event(payload | {"id": "evt_replaced"})


def _nested_frozen_dict() -> FrozenDict:
    event = parse_event(UNKNOWN_PAYLOAD)
    assert isinstance(event, UnknownWebhookEvent)
    assert isinstance(event.data, FrozenDict)
    return event.data


def _frozen_dicts(value: Any) -> Iterator[FrozenDict]:
    if isinstance(value, FrozenDict):
        yield value
        for item in value.values():
            yield from _frozen_dicts(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from _frozen_dicts(item)


@pytest.mark.parametrize(
    "duplicate",
    [
        *(lambda value, p=p: pickle.loads(pickle.dumps(value, p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)),
        copy.copy,
        copy.deepcopy,
    ],
    ids=[*(f"pickle-{p}" for p in range(pickle.HIGHEST_PROTOCOL + 1)), "copy", "deepcopy"],
)
def test_a_frozen_dict_survives_pickle_and_copy_equal_hashable_and_immutable(duplicate: Any) -> None:
    original = _nested_frozen_dict()
    copied = duplicate(original)
    assert type(copied) is FrozenDict
    assert copied == original
    assert hash(copied) == hash(original)
    assert [type(inner) for inner in _frozen_dicts(copied)] == [FrozenDict] * 5
    with pytest.raises(TypeError):
        copied["items"] = ()  # type: ignore[index]
    for name in dir(copied):  # every attribute, the ones holding the items too
        with pytest.raises(AttributeError, match=r"^FrozenDict is immutable$"):
            setattr(copied, name, {})
    assert copied == original


def test_a_deep_copy_of_a_frozen_dict_owns_its_contents() -> None:
    original = FrozenDict({"a": FrozenDict({"b": 1})})
    copied = copy.deepcopy(original)
    assert copied == original
    assert copied["a"] is not original["a"]


# --- Across a process boundary ------------------------------------------------------------------


def test_events_cross_a_process_pool_intact(process_pool: ProcessPoolExecutor) -> None:
    events = list(process_pool.map(parse_event, PAYLOADS))
    for event, payload in zip(events, PAYLOADS, strict=True):
        _assert_same_event(event, parse_event(payload))
    assert process_pool.submit(pool_workers.echo, _nested_frozen_dict()).result() == _nested_frozen_dict()


def test_a_worker_rejecting_a_payload_raises_invalid_event_error_and_the_pool_keeps_working(
    process_pool: ProcessPoolExecutor,
) -> None:
    payload = example_payload("realtime.call.incoming")
    payload["data"]["sip_headers"][1]["value"] = 5
    with pytest.raises(InvalidEventError) as info:
        process_pool.submit(parse_event, payload).result()
    assert (info.value.path, str(info.value)) == (
        "data.sip_headers[1].value",
        "data.sip_headers[1].value: expected string, got integer",
    )
    assert process_pool.submit(parse_event, PAYLOADS[0]).result() == parse_event(PAYLOADS[0])
