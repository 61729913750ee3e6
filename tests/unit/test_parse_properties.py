"""Hypothesis properties of parse_event and to_dict, over payloads built from the contract."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import EVENT_TYPES, InvalidEventError, UnknownWebhookEvent, parse_event, to_dict
from tests.strategies import (
    corrupted_payloads,
    json_values,
    near_valid_payloads,
    valid_payloads,
    with_unknown_keys,
)


@given(valid_payloads())
def test_valid_payload_parses_to_its_class_and_back(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    assert type(event) is EVENT_TYPES[payload["type"]]
    assert parse_event(to_dict(event)) == event
    assert hash(event) == hash(parse_event(to_dict(event)))


@given(valid_payloads(nulls=False))
def test_to_dict_restores_a_payload_without_nulls_or_unknown_keys(payload: dict[str, Any]) -> None:
    assert to_dict(parse_event(payload)) == payload


@given(with_unknown_keys(valid_payloads()))
def test_keys_outside_the_contract_are_ignored(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    payload, extended = pair
    assert parse_event(extended) == parse_event(payload)


@given(corrupted_payloads())
def test_every_single_corruption_is_rejected_at_its_exact_path(case: tuple[str, dict[str, Any], str]) -> None:
    what, payload, path = case
    try:
        event = parse_event(payload)
    except InvalidEventError as error:
        assert error.path == path, what
        assert str(error).startswith(f"{path}: "), what
    else:
        raise AssertionError(f"{what} was accepted as {event!r}")


@given(json_values() | near_valid_payloads())
def test_any_json_value_gives_an_event_or_invalid_event_error(value: Any) -> None:
    try:
        event = parse_event(value)
    except InvalidEventError as error:
        assert isinstance(error.path, str)
        assert "\n" not in str(error)
    else:
        assert parse_event(to_dict(event)) == event


@given(st.text(max_size=30).filter(lambda t: t not in EVENT_TYPES), json_values(10))
def test_unknown_types_keep_their_data_unchanged(event_type: str, data: Any) -> None:
    payload = {"id": "evt_1", "created_at": 1, "type": event_type, "data": data}
    event = parse_event(payload)
    assert isinstance(event, UnknownWebhookEvent)
    restored = to_dict(event)
    assert restored.get("data") == data
    hash(event)


def test_every_corruption_of_every_example_is_rejected_at_its_exact_path() -> None:
    from tests.strategies import EVENT_TYPE_NAMES, corruptions, example_payload

    cases = [case for t in EVENT_TYPE_NAMES for case in corruptions(example_payload(t), t)]
    assert len(cases) > 1000
    for what, payload, path in cases:
        try:
            parse_event(payload)
        except InvalidEventError as error:
            assert error.path == path, what
        else:
            raise AssertionError(f"{what} was accepted")
