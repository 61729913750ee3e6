"""parse_event and to_dict on real example payloads and on the cases the openai SDK gets wrong."""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import json
import pickle
import subprocess
import sys
import types
from typing import Any

import pytest

import openai_webhook_events as owe
from openai_webhook_events import (
    EVENT_TYPES,
    FrozenDict,
    InvalidEventError,
    ResponseCompletedWebhookEvent,
    UnknownEventTypeError,
    UnknownWebhookEvent,
    WebhookConfigurationError,
    WebhookError,
    parse_event,
    to_dict,
)
from tests.strategies import EVENT_TYPE_NAMES, example_payload


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_example_payload_parses_to_its_class_and_round_trips(event_type: str) -> None:
    payload = example_payload(event_type)
    event = parse_event(payload)
    assert type(event) is EVENT_TYPES[event_type]
    assert event.type == event_type
    assert to_dict(event) == payload
    assert parse_event(to_dict(event)) == event
    assert hash(event) == hash(parse_event(example_payload(event_type)))
    assert pickle.loads(pickle.dumps(event)) == event


def _invalid(payload: Any, **kwargs: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as info:
        parse_event(payload, **kwargs)
    return info.value


def test_safety_identifier_blocked_gets_its_own_class() -> None:
    event = parse_event(example_payload("safety_identifier.blocked"))
    assert type(event) is owe.SafetyIdentifierBlockedWebhookEvent
    assert event.data.safety_identifier.startswith("user_")
    assert not hasattr(event.data, "id")


def test_unknown_type_is_kept_with_validated_envelope_and_read_only_data() -> None:
    payload = {"id": "evt_1", "created_at": 5, "type": "brand.new", "object": "event", "data": {"a": [1, {"b": None}]}}
    event = parse_event(payload)
    assert type(event) is UnknownWebhookEvent
    assert (event.id, event.created_at, event.type, event.object) == ("evt_1", 5, "brand.new", "event")
    assert event.data == FrozenDict({"a": (1, FrozenDict({"b": None}))})
    assert isinstance(event.data, FrozenDict)
    with pytest.raises(TypeError):
        event.data["a"] = 2  # type: ignore[index]
    hash(event)
    assert to_dict(event) == payload


def test_unknown_type_raises_when_asked() -> None:
    error = _invalid({"id": "evt_1", "created_at": 5, "type": "brand.new", "data": {}}, unknown="raise")
    assert isinstance(error, UnknownEventTypeError)
    assert error.event_type == "brand.new"
    assert error.path == "type"
    assert str(error) == "type: unknown event type 'brand.new'"


@pytest.mark.parametrize(
    ("event_type", "shown"),
    [
        ("t" * 58, "'" + "t" * 58 + "'"),  # a repr of 60 characters is shown whole
        ("t" * 59, "'" + "t" * 56 + "..."),  # longer: cut to 57 characters and "..."
        ("t" * 1000, "'" + "t" * 56 + "..."),
    ],
)
def test_a_long_value_in_a_message_is_cut_to_60_characters(event_type: str, shown: str) -> None:
    error = _invalid({"id": "evt_1", "created_at": 5, "type": event_type, "data": {}}, unknown="raise")
    assert str(error) == f"type: unknown event type {shown}"
    payload = example_payload("safety.alert.created") | {"object": event_type}
    assert str(_invalid(payload)) == f"object: expected 'event', got {shown}"


def test_a_deferred_parser_imports_its_module_on_first_use_then_replaces_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openai_webhook_events import _parse

    # Private on purpose (docs/quality/mutation.md): the deferred parser is built at import, and mutmut tries its
    # mutants only against tests that build one. That the payload module loads on first use is the public behaviour
    # (test_nested_payload_classes_load_on_first_use); that the parser then replaces itself shows only in _PARSERS.
    event_type = "agent.session.created"
    monkeypatch.setitem(_parse._PARSERS, event_type, None)  # restored after the test
    first = _parse._deferred_parser(event_type, EVENT_TYPES[event_type], ("_agent_models", "parse_created_data"))
    payload = example_payload(event_type)
    event = first(payload)
    assert type(event) is EVENT_TYPES[event_type]
    assert (event.type, to_dict(event)) == (event_type, payload)
    replacement = _parse._PARSERS[event_type]
    assert replacement is not None
    assert replacement is not first
    assert replacement(payload) == event


@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        ({"id": 1, "created_at": 5, "type": "brand.new"}, "id", "id: expected string, got integer"),
        ({"id": "e", "created_at": "5", "type": "brand.new"}, "created_at", "created_at: expected integer, got string"),
        ({"id": "e", "type": "brand.new"}, "created_at", "created_at: required key missing"),
        (
            {"id": "e", "created_at": 5, "type": "brand.new", "object": 1},
            "object",
            "object: expected string or null, got integer",
        ),
        (
            {"id": "e", "created_at": 5, "type": "brand.new", "data": {"x": {1, 2}}},
            "data.x",
            "data.x: expected a JSON value, got set",
        ),
        (
            {"id": "e", "created_at": 5, "type": "brand.new", "data": {1: "x"}},
            "data",
            "data: expected string keys, got integer",
        ),
    ],
)
def test_unknown_type_envelope_errors_name_the_key(payload: Any, path: str, message: str) -> None:
    error = _invalid(payload)
    assert (error.path, str(error)) == (path, message)


def test_created_at_string_is_rejected_at_created_at() -> None:
    payload = example_payload("response.completed") | {"created_at": "abc"}
    assert _invalid(payload).path == "created_at"


def test_missing_data_is_rejected_at_data() -> None:
    payload = example_payload("response.completed")
    del payload["data"]
    error = _invalid(payload)
    assert (error.path, str(error)) == ("data", "data: required key missing")
    assert error.reason == "required key missing"


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ([], "array"),
        ("x", "string"),
        (None, "null"),
        (1, "integer"),
        (1.5, "number"),
        (True, "boolean"),
        (b"{}", "bytes"),
    ],
)
def test_non_object_payload_is_rejected_at_the_root(payload: Any, name: str) -> None:
    error = _invalid(payload)
    assert error.path == ""
    assert str(error) == f"expected object, got {name}"
    data_error = _invalid(example_payload("response.completed") | {"data": payload})
    assert str(data_error) == f"data: expected object, got {name}"


@pytest.mark.parametrize(("value", "path"), [(None, "type"), (5, "type"), ([], "type")])
def test_type_must_be_a_string(value: Any, path: str) -> None:
    assert _invalid({"type": value}).path == path


def test_missing_type_is_reported_at_type() -> None:
    assert str(_invalid({"id": "e"})) == "type: required key missing"


def test_error_is_a_value_error_and_a_webhook_error() -> None:
    error = _invalid({})
    assert isinstance(error, ValueError)
    assert isinstance(error, WebhookError)


def test_error_path_is_exact_inside_arrays() -> None:
    payload = example_payload("realtime.call.incoming")
    payload["data"]["sip_headers"][2]["value"] = 7
    error = _invalid(payload)
    assert (error.path, str(error)) == (
        "data.sip_headers[2].value",
        "data.sip_headers[2].value: expected string, got integer",
    )


def test_booleans_are_not_integers() -> None:
    payload = example_payload("batch.completed") | {"created_at": True}
    assert str(_invalid(payload)) == "created_at: expected integer, got boolean"


def test_literal_mismatch_names_the_expected_value() -> None:
    payload = example_payload("live.transport.connected")
    payload["data"]["type"] = "sip"
    assert str(_invalid(payload)) == "data.type: expected 'webrtc', got 'sip'"
    payload = example_payload("live.transport.incoming")
    payload["data"]["type"] = "webrtc"
    assert str(_invalid(payload)) == "data.type: expected 'sip', got 'webrtc'"
    payload = example_payload("safety.alert.created") | {"object": None}
    assert str(_invalid(payload)) == "object: expected 'event', got null"
    payload = example_payload("safety.alert.created") | {"object": 5}
    assert str(_invalid(payload)) == "object: expected 'event', got integer"


OBJECT_REQUIRED = sorted(
    event_type
    for event_type, cls in EVENT_TYPES.items()
    if cls.__dataclass_fields__["object"].default is dataclasses.MISSING
)


@pytest.mark.parametrize("event_type", OBJECT_REQUIRED)
def test_a_required_object_that_is_absent_is_rejected_at_object(event_type: str) -> None:
    payload = example_payload(event_type)
    del payload["object"]
    error = _invalid(payload)
    assert (error.path, str(error)) == ("object", "object: required key missing")
    assert "safety.alert.created" in OBJECT_REQUIRED


_ABSENT = object()


@pytest.mark.parametrize("event_type", ["safety.alert.created", "batch.failed"])  # object required / optional
def test_the_envelope_parser_checks_every_envelope_field(event_type: str) -> None:
    from openai_webhook_events import _parse

    # Private on purpose: built here rather than at import, so that mutation testing sees which tests exercise
    # it (docs/quality/mutation.md); parse_event's answers for the same payloads are the public side (the first assert).
    parse = _parse._event_parser(EVENT_TYPES[event_type], event_type, _parse._resource_data)
    good = example_payload(event_type)
    assert parse(good) == parse_event(good)

    def error(**changes: Any) -> tuple[str, str]:
        payload = {**good, **changes}
        for key in [key for key, value in changes.items() if value is _ABSENT]:
            del payload[key]
        with pytest.raises(InvalidEventError) as info:
            parse(payload)
        return info.value.path, str(info.value)

    for key in ("id", "created_at", "data"):
        assert error(**{key: _ABSENT}) == (key, f"{key}: required key missing")
    assert error(id=5) == ("id", "id: expected string, got integer")
    assert error(created_at="5") == ("created_at", "created_at: expected integer, got string")
    assert error(created_at=True) == ("created_at", "created_at: expected integer, got boolean")
    assert error(object="evt") == ("object", "object: expected 'event', got 'evt'")
    assert error(object=5) == ("object", "object: expected 'event', got integer")
    if event_type in OBJECT_REQUIRED:
        assert error(object=None) == ("object", "object: expected 'event', got null")
        assert error(object=_ABSENT) == ("object", "object: required key missing")
    else:
        assert parse({**good, "object": None}).object is None
        assert parse({k: v for k, v in good.items() if k != "object"}).object is None
    event = parse({**good, "id": _Text("evt_x"), "created_at": _Int(7), "object": _Text("event")})
    assert (event.id, event.created_at, event.object, event.type) == ("evt_x", 7, "event", event_type)
    assert type(event.object) is str


def test_optional_object_may_be_absent_or_null() -> None:
    payload = example_payload("batch.failed")
    assert parse_event(payload | {"object": None}).object is None
    del payload["object"]
    assert parse_event(payload).object is None


@pytest.mark.parametrize(
    ("event_type", "key", "value"),
    [
        ("agent.session.action_required", "required_action", {"type": "a_new_kind_of_action"}),
        ("realtime.call.incoming", "sip_media_security", "zrtp"),
    ],
)
def test_open_enumerations_keep_new_values_as_strings(event_type: str, key: str, value: Any) -> None:
    payload = example_payload(event_type)
    payload["data"][key] = value
    event = parse_event(payload)
    assert to_dict(event)["data"][key] == value


def test_unknown_keys_are_ignored_at_every_level() -> None:
    payload = example_payload("agent.session.created")
    extended = json.loads(json.dumps(payload))
    extended["new_top"] = 1
    extended["data"]["new_inner"] = [1]
    extended["data"]["connect"]["new_deeper"] = {"x": None}
    assert parse_event(extended) == parse_event(payload)


def test_any_mapping_is_accepted_as_an_object() -> None:
    payload = example_payload("response.completed")
    as_proxy = types.MappingProxyType({**payload, "data": types.MappingProxyType(payload["data"])})
    assert parse_event(as_proxy) == parse_event(payload)
    assert parse_event(collections.OrderedDict(payload)) == parse_event(payload)


def test_defaultdict_does_not_invent_missing_keys() -> None:
    payload = collections.defaultdict(str, example_payload("response.completed"))
    del payload["created_at"]
    assert _invalid(payload).path == "created_at"


def test_arrays_must_be_lists() -> None:
    payload = example_payload("live.call.incoming")
    payload["data"]["sip_headers"] = tuple(payload["data"]["sip_headers"])
    assert str(_invalid(payload)) == "data.sip_headers: expected array, got tuple"


def test_deeply_nested_unknown_data_is_an_invalid_event_not_a_recursion_error() -> None:
    data: Any = []
    for _ in range(100_000):
        data = [data]
    error = _invalid({"id": "e", "created_at": 1, "type": "brand.new", "data": data})
    assert error.path.startswith("data[0][0]")
    assert "nested deeper than" in str(error)


def _nested(levels: int, kind: str) -> Any:
    """*levels* nested arrays or objects around the JSON scalars (which sit at depth *levels*)."""
    data: Any = [1, 1.5, True, "s", None]
    for _ in range(levels - 1):
        data = [data] if kind == "array" else {"k": data}
    return data


@pytest.mark.parametrize("kind", ["array", "object"])
def test_unknown_data_may_nest_200_levels_and_no_more(kind: str) -> None:
    payload: dict[str, Any] = {"id": "e", "created_at": 1, "type": "brand.new", "data": _nested(200, kind)}
    assert to_dict(parse_event(payload)) == payload
    payload["data"] = _nested(201, kind)
    assert str(_invalid(payload)).endswith(": nested deeper than 200 levels")


def test_unknown_data_accepts_any_mapping_and_list_subclasses() -> None:
    data = types.MappingProxyType({"a": _Headers([1, types.MappingProxyType({"b": None})])})
    event = parse_event({"id": "e", "created_at": 1, "type": "brand.new", "data": data})
    assert event.data == FrozenDict({"a": (1, FrozenDict({"b": None}))})
    error = _invalid({"id": "e", "created_at": 1, "type": "brand.new", "data": {"x": [_BrokenMapping()]}})
    assert (error.path, str(error)) == ("data.x[0]", "data.x[0]: unreadable mapping (RuntimeError)")


def test_unknown_option_must_be_keep_or_raise() -> None:
    with pytest.raises(WebhookConfigurationError) as info:
        parse_event(example_payload("batch.completed"), unknown="ignore")  # type: ignore[arg-type]
    assert str(info.value) == "unknown must be 'keep' or 'raise', not 'ignore'"


def test_events_are_frozen_all_the_way_down() -> None:
    event = parse_event(example_payload("live.transport.incoming"))
    assert isinstance(event, owe.LiveTransportIncomingWebhookEvent)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.id = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data.sip_headers[0].name = "other"  # type: ignore[misc]
    assert isinstance(event.data.sip_headers, tuple)
    events: dict[owe.WebhookEvent, int] = {event: 1}
    assert events[parse_event(example_payload("live.transport.incoming"))] == 1


def test_positional_match_patterns_follow_the_contract_order() -> None:
    match parse_event(example_payload("response.completed")):
        case ResponseCompletedWebhookEvent(event_id, created_at, owe.ResourceData(resource_id), "response.completed"):
            assert (event_id[:4], created_at > 0, resource_id[:5]) == ("evt_", True, "resp_")
        case _:
            pytest.fail("positional pattern did not match")


def test_replace_and_asdict_work_as_for_any_dataclass() -> None:
    event = parse_event(example_payload("response.completed"))
    assert isinstance(event, ResponseCompletedWebhookEvent)
    changed = dataclasses.replace(event, id="evt_other")
    assert (type(changed), changed.id, changed.data) == (type(event), "evt_other", event.data)
    assert dataclasses.asdict(event)["data"] == {"id": event.data.id}


def test_to_dict_rejects_what_is_not_an_event() -> None:
    with pytest.raises(TypeError) as info:
        to_dict({"id": "x"})  # type: ignore[arg-type]
    assert str(info.value) == "to_dict() expects an event of this package, not dict"


def test_an_agent_session_without_connect_has_connect_none() -> None:
    payload = example_payload("agent.session.created")
    payload["data"].pop("connect", None)
    event = parse_event(payload)
    assert event.data.connect is None  # type: ignore[union-attr]
    assert to_dict(event) == payload


class _Int(int):
    pass


def _as_subclasses(value: Any) -> Any:
    """*value* with every object a read-only mapping and every string, array and integer a subclass."""
    if isinstance(value, dict):
        return types.MappingProxyType({key: _as_subclasses(item) for key, item in value.items()})
    if isinstance(value, list):
        return _Headers([_as_subclasses(item) for item in value])
    if isinstance(value, str):
        return _Text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _Int(value)
    return value


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_every_field_accepts_any_mapping_and_subclasses_of_str_list_and_int(event_type: str) -> None:
    payload = example_payload(event_type)
    assert parse_event(_as_subclasses(payload)) == parse_event(payload)
    assert to_dict(parse_event(_as_subclasses(payload))) == payload


def test_nested_payload_classes_load_on_first_use() -> None:
    code = (
        "import sys, openai_webhook_events as o\n"
        "assert 'openai_webhook_events._call_models' not in sys.modules\n"
        "assert o.SipHeader.__name__ == 'SipHeader'\n"
        "assert 'openai_webhook_events._call_models' in sys.modules\n"
        "assert 'openai_webhook_events._agent_models' not in sys.modules\n"
        "try:\n    o.NoSuchName\nexcept AttributeError as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "has no attribute 'NoSuchName'" in result.stdout


def test_every_public_name_is_importable_from_the_package() -> None:
    namespace: dict[str, Any] = {}
    exec("from openai_webhook_events import *", namespace)
    assert set(owe.__all__) <= set(namespace)
    assert set(owe._LAZY) <= set(owe.__all__), "every lazily loaded name is public"


def test_frozen_dict_is_an_immutable_hashable_mapping() -> None:
    frozen = FrozenDict({"a": 1, "b": (FrozenDict({"c": None}),)})
    assert (len(frozen), list(frozen), frozen["a"]) == (2, ["a", "b"], 1)
    assert hash(frozen) == hash(frozen) == hash(FrozenDict({"b": (FrozenDict({"c": None}),), "a": 1}))
    # Hashes depend on the contents (a constant would make every set or dict of events a linear search).
    assert len({hash(FrozenDict({"n": n})) for n in range(100)}) > 90
    assert frozen == {"a": 1, "b": (FrozenDict({"c": None}),)}
    assert repr(frozen) == "FrozenDict({'a': 1, 'b': (FrozenDict({'c': None}),)})"
    assert FrozenDict() == {}
    for name in [*dir(frozen), "extra"]:  # every attribute, the ones holding the items too, and a new one
        with pytest.raises(AttributeError, match=r"^FrozenDict is immutable$"):
            setattr(frozen, name, {})
        with pytest.raises(AttributeError, match=r"^FrozenDict is immutable$"):
            delattr(frozen, name)
    assert frozen == {"a": 1, "b": (FrozenDict({"c": None}),)}


class _Text(str):
    pass


class _Headers(list):  # type: ignore[type-arg]
    pass


class _BrokenMapping(collections.abc.Mapping):  # type: ignore[type-arg]
    def __getitem__(self, key: object) -> object:
        raise RuntimeError("broken")

    def __iter__(self) -> Any:
        raise RuntimeError("broken")

    def __len__(self) -> int:
        return 1


def test_subclasses_of_str_and_list_are_accepted() -> None:
    payload = example_payload("realtime.call.incoming")
    payload["data"]["sip_headers"] = _Headers(payload["data"]["sip_headers"])
    payload["data"]["call_id"] = _Text(payload["data"]["call_id"])
    assert to_dict(parse_event(payload)) == example_payload("realtime.call.incoming")
    unknown = parse_event({"id": "e", "created_at": 1, "type": "brand.new", "data": [_Text("x")]})
    assert unknown.data == ("x",)


def test_a_mapping_where_a_string_belongs_is_named_object() -> None:
    payload = example_payload("response.completed")
    payload["data"]["id"] = types.MappingProxyType({})
    assert str(_invalid(payload)) == "data.id: expected string, got object"


def test_an_unreadable_mapping_is_an_invalid_event() -> None:
    payload = example_payload("response.completed") | {"data": _BrokenMapping()}
    assert str(_invalid(payload)) == "data: unreadable mapping (RuntimeError)"


def test_unknown_data_keeps_keys_that_are_subclasses_of_str() -> None:
    class Key(str):
        pass

    event = parse_event({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {"a": {Key("k"): [1]}}})
    assert isinstance(event, UnknownWebhookEvent)
    assert event.data == FrozenDict({"a": FrozenDict({"k": (1,)})})
