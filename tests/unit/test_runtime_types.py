"""What the models report at run time is what type checkers see, and the tools that read it build the same events.

``typing.get_type_hints`` and ``dataclasses.fields`` name the concrete payload
class and the ``Literal`` of every event class (before and after its payload
module is imported); pydantic, cattrs and FastAPI build every example exactly
as :func:`parse_event` does, and refuse what it refuses; the classes report
the package as their module; fields are bound by name, not by position.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import inspect
import json
import pickle
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import cattrs
import pydantic
import pytest
from cattrs.strategies import configure_union_passthrough
from fastapi import FastAPI
from fastapi.testclient import TestClient

import openai_webhook_events as owe
from openai_webhook_events import EVENT_TYPES, UnknownWebhookEvent, WebhookEvent, parse_event, to_dict
from openai_webhook_events import _checks as check
from openai_webhook_events._parse import _event_parser, _resource_data
from tests.markdown import python_snippets
from tests.strategies import EVENT_TYPE_NAMES, example_payload

PACKAGE = Path(owe.__file__).parent
UNKNOWN_PAYLOAD = {"id": "evt_1", "created_at": 5, "type": "brand.new", "data": {"a": [1, {"b": None}], "c": 1.5}}


def _unresolved(annotation: Any) -> list[Any]:
    """The TypeVars, strings and forward references anywhere inside *annotation*."""
    if isinstance(annotation, (typing.TypeVar, str, typing.ForwardRef)):
        return [annotation]
    if get_origin(annotation) is Literal:
        return []
    return [found for arg in get_args(annotation) for found in _unresolved(arg)]


# --- typing.get_type_hints and dataclasses.fields ---------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_type_hints_name_the_payload_class_and_the_type_literal(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    hints = typing.get_type_hints(cls)
    assert list(hints) == list(cls.__match_args__)
    assert hints["type"] == Literal[event_type]
    assert (hints["id"], hints["created_at"]) == (str, int)
    assert hints["object"] in (Literal["event"], Union[Literal["event"], None])
    assert dataclasses.is_dataclass(hints["data"])
    assert type(parse_event(example_payload(event_type)).data) is hints["data"]
    assert not [name for name, hint in hints.items() if _unresolved(hint)]
    data_hints = typing.get_type_hints(hints["data"])
    assert not [name for name, hint in data_hints.items() if _unresolved(hint)]


@pytest.mark.parametrize("cls", EVENT_TYPES.values(), ids=lambda cls: cls.__name__)
def test_dataclass_fields_carry_the_same_concrete_types(cls: type) -> None:
    fields = dataclasses.fields(cls)
    assert {field.name: field.type for field in fields} == typing.get_type_hints(cls, include_extras=True)
    assert not [field.name for field in fields if _unresolved(field.type)]


def test_unknown_event_fields_carry_concrete_types_and_the_json_alias() -> None:
    hints = typing.get_type_hints(UnknownWebhookEvent)
    types = {field.name: field.type for field in dataclasses.fields(UnknownWebhookEvent)}
    assert (hints["id"], hints["created_at"], hints["type"], hints["object"]) == (str, int, str, Union[str, None])
    assert types["data"] is owe.JSONValue
    assert {str, int, float, bool, owe.FrozenDict, type(None)} < set(get_args(hints["data"]))
    assert [get_origin(arg) for arg in get_args(hints["data"])].count(tuple) == 1


def test_introspection_before_first_use_imports_the_payload_module() -> None:
    code = (
        "import dataclasses, sys, typing\n"
        "import openai_webhook_events as owe\n"
        "cls = owe.AgentSessionCreatedWebhookEvent\n"
        "assert 'openai_webhook_events._agent_models' not in sys.modules\n"
        "print(repr(owe._agent_models))\n"
        "hints = typing.get_type_hints(cls)\n"
        "assert hints['data'] is owe.AgentSessionCreatedData, hints\n"
        "assert 'openai_webhook_events._call_models' not in sys.modules\n"
        "cls = owe.LiveCallIncomingWebhookEvent\n"
        "assert [f.type for f in dataclasses.fields(cls)][2] is owe.LiveCallIncomingData\n"
        "assert typing.get_type_hints(cls)['data'] is owe.LiveCallIncomingData\n"
        "assert 'openai_webhook_events._safety_models' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "<module 'openai_webhook_events._agent_models' (not imported yet)>\n"


def test_a_payload_module_stand_in_reads_through_to_the_module() -> None:
    stand_in = owe._DeferredModule("openai_webhook_events._call_models")  # type: ignore[attr-defined]
    assert stand_in.SipHeader is owe.SipHeader
    assert repr(stand_in) == "<module 'openai_webhook_events._call_models' (not imported yet)>"


# --- pydantic, cattrs, FastAPI ----------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_pydantic_builds_each_example_as_parse_event_does(event_type: str) -> None:
    payload = example_payload(event_type)
    expected = parse_event(payload)
    built = pydantic.TypeAdapter(EVENT_TYPES[event_type]).validate_python(payload)
    assert (type(built), built) == (type(expected), expected)
    routed = pydantic.TypeAdapter(WebhookEvent).validate_python(payload)
    assert (type(routed), routed) == (type(expected), expected)
    assert pydantic.TypeAdapter(WebhookEvent).validate_json(json.dumps(payload), strict=True) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"data": 5},
        {"data": "resp_1"},
        {"created_at": "soon"},  # pydantic's lax mode takes "123"; see the strict test below
        {"created_at": 1.5},
        {"id": 5},
        {"object": "thing"},
    ],
    ids=repr,
)
def test_pydantic_refuses_what_parse_event_refuses(change: dict[str, Any]) -> None:
    payload = example_payload("response.completed") | change
    with pytest.raises(owe.InvalidEventError):
        parse_event(payload)
    with pytest.raises(pydantic.ValidationError):
        pydantic.TypeAdapter(owe.ResponseCompletedWebhookEvent).validate_python(payload)
    with pytest.raises(pydantic.ValidationError):  # and not an UnknownWebhookEvent
        pydantic.TypeAdapter(WebhookEvent).validate_python(payload)


def test_pydantic_refuses_another_type_for_an_event_class() -> None:
    payload = example_payload("response.completed") | {"type": "batch.failed"}
    with pytest.raises(pydantic.ValidationError, match=r"response\.completed"):
        pydantic.TypeAdapter(owe.ResponseCompletedWebhookEvent).validate_python(payload)
    assert type(pydantic.TypeAdapter(WebhookEvent).validate_python(payload)) is owe.BatchFailedWebhookEvent


@pytest.mark.parametrize("created_at", ["123", True, 123.0])
def test_pydantic_strict_json_refuses_integers_in_disguise(created_at: Any) -> None:
    body = json.dumps(example_payload("response.completed") | {"created_at": created_at})
    with pytest.raises(pydantic.ValidationError, match="created_at"):
        pydantic.TypeAdapter(WebhookEvent).validate_json(body, strict=True)


def test_pydantic_builds_an_unknown_event_with_frozen_data_and_dumps_it_back() -> None:
    expected = parse_event(UNKNOWN_PAYLOAD)
    for adapter in (pydantic.TypeAdapter(UnknownWebhookEvent), pydantic.TypeAdapter(WebhookEvent)):
        built = adapter.validate_python(UNKNOWN_PAYLOAD)
        assert (type(built), built) == (UnknownWebhookEvent, expected)
        assert isinstance(built.data, owe.FrozenDict)
        assert adapter.dump_python(built, mode="json", exclude_none=True) == to_dict(expected)
    with pytest.raises(pydantic.ValidationError, match="known event type"):
        pydantic.TypeAdapter(UnknownWebhookEvent).validate_python(UNKNOWN_PAYLOAD | {"type": "batch.failed"})
    with pytest.raises(pydantic.ValidationError, match="JSON value"):
        pydantic.TypeAdapter(UnknownWebhookEvent).validate_python(UNKNOWN_PAYLOAD | {"data": {1, 2}})


@pytest.fixture(scope="module")
def converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    # cattrs's documented strategy for unions of str and literals (the open enumerations: Literal[...] | str).
    configure_union_passthrough(Union[str, None], converter)
    return converter


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_cattrs_structures_each_example_as_parse_event_does(event_type: str, converter: cattrs.Converter) -> None:
    payload = example_payload(event_type)
    expected = parse_event(payload)
    built = converter.structure(payload, EVENT_TYPES[event_type])
    assert (type(built), built) == (type(expected), expected)
    with pytest.raises(cattrs.ClassValidationError) as info:
        converter.structure(payload | {"type": "brand.new"}, EVENT_TYPES[event_type])
    (message,) = cattrs.transform_error(info.value)
    assert message.endswith(" @ $.type")
    assert f"not in literal typing.Literal[{event_type!r}]" in message


def test_fastapi_route_returns_any_event() -> None:
    app = FastAPI()

    @app.post("/events")
    def echo(payload: dict[str, Any]) -> WebhookEvent:
        return parse_event(payload)

    client = TestClient(app, follow_redirects=False)
    for payload in [*(example_payload(t) for t in EVENT_TYPE_NAMES), UNKNOWN_PAYLOAD]:
        response = client.post("/events", json=payload)
        assert response.status_code == 200, response.text
        assert {k: v for k, v in response.json().items() if v is not None} == payload
    assert client.get("/openapi.json").status_code == 200


# --- pickle, copy, replace, asdict, match, __module__ ------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_events_survive_pickle_copy_replace_asdict_and_match(event_type: str) -> None:
    event = parse_event(example_payload(event_type))
    for twin in (pickle.loads(pickle.dumps(event)), copy.copy(event), copy.deepcopy(event)):
        assert (type(twin), twin) == (type(event), event)
    changed = dataclasses.replace(event, id="evt_other")
    assert (type(changed), changed.id, changed.data) == (type(event), "evt_other", event.data)
    assert dataclasses.asdict(event)["id"] == event.id
    match event:
        case owe.ResponseCompletedWebhookEvent(id, created_at, data):
            assert (id, created_at, data) == (event.id, event.created_at, event.data)
        case owe.AgentSessionIdleWebhookEvent(data=owe.AgentSessionData(id=session)):
            assert session == event.data.id
        case _:
            assert event_type not in ("response.completed", "agent.session.idle")


def _public_classes() -> list[type]:
    return [value for name in owe.__all__ if isinstance(value := getattr(owe, name), type)]


def test_public_classes_report_the_package_as_their_module_and_pickle_by_reference() -> None:
    classes = _public_classes()
    assert {owe.Router, owe.Webhook, owe.FrozenDict, owe.InvalidEventError, owe.SipHeader} <= set(classes)
    assert [cls.__name__ for cls in classes if cls.__module__ != "openai_webhook_events"] == []
    assert [cls.__name__ for cls in classes if pickle.loads(pickle.dumps(cls)) is not cls] == []
    for cls in classes:  # string annotations, if any, resolve in the package's namespace
        typing.get_type_hints(cls)


def test_a_payload_class_reports_the_package_when_its_event_arrives_first() -> None:
    code = (
        "import json, sys\n"
        "import openai_webhook_events as owe\n"
        f"event = owe.parse_event(json.loads({json.dumps(json.dumps(example_payload('realtime.call.incoming')))}))\n"
        "print(type(event.data).__module__, type(event.data.sip_headers[0]).__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout == "openai_webhook_events openai_webhook_events\n"


# --- fields bound by name -------------------------------------------------------------------------


def _reordered_dataclass(real: Any) -> Any:
    """A stand-in for ``dataclasses.dataclass`` that reverses the field order (required fields, then optional)."""

    def decorate(cls: type | None = None, /, **options: Any) -> Any:
        def wrap(cls: type) -> type:
            annotations = inspect.get_annotations(cls)
            required = [name for name in annotations if name not in cls.__dict__]
            optional = [name for name in annotations if name in cls.__dict__]
            cls.__annotations__ = {name: annotations[name] for name in [*required[::-1], *optional[::-1]]}
            return real(**options)(cls)

        return wrap if cls is None else wrap(cls)

    return decorate


def _load_reordered(module: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh copy of the package module *module* whose dataclasses have their fields in reverse order."""
    name = f"openai_webhook_events._reordered{module}"
    spec = importlib.util.spec_from_file_location(name, PACKAGE / f"{module}.py")
    assert spec is not None
    assert spec.loader is not None
    copy_ = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, copy_)
    monkeypatch.setattr(dataclasses, "dataclass", _reordered_dataclass(dataclasses.dataclass))
    spec.loader.exec_module(copy_)
    monkeypatch.undo()
    return copy_


def _assert_same_values(built: Any, expected: Any) -> None:
    """*built* holds, name by name, the values of *expected* (its twin from the real classes)."""
    if dataclasses.is_dataclass(expected):
        assert type(built).__name__ == type(expected).__name__
        for field in dataclasses.fields(expected):
            _assert_same_values(getattr(built, field.name), getattr(expected, field.name))
    elif isinstance(expected, tuple):
        assert len(built) == len(expected)
        for item, expected_item in zip(built, expected, strict=True):
            _assert_same_values(item, expected_item)
    else:
        assert built == expected


PAYLOAD_PARSERS = {
    "agent.session.action_required": ("_agent_models", "parse_action_required_data"),
    "agent.session.created": ("_agent_models", "parse_created_data"),
    "agent.session.idle": ("_agent_models", "parse_session_data"),
    "live.call.incoming": ("_call_models", "parse_live_call_incoming_data"),
    "live.transport.connected": ("_call_models", "parse_live_transport_connected_data"),
    "live.transport.incoming": ("_call_models", "parse_live_transport_incoming_data"),
    "realtime.call.incoming": ("_call_models", "parse_realtime_call_incoming_data"),
    "safety_identifier.blocked": ("_safety_models", "parse_safety_identifier_blocked_data"),
}


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_PARSERS))
def test_reordering_a_payload_class_cannot_swap_its_values(event_type: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, function = PAYLOAD_PARSERS[event_type]
    reordered = _load_reordered(module, monkeypatch)
    data = example_payload(event_type)["data"]
    expected: Any = parse_event(example_payload(event_type)).data
    built = getattr(reordered, function)(data)
    assert type(built).__match_args__ != type(expected).__match_args__ or len(type(built).__match_args__) == 1
    _assert_same_values(built, expected)


@pytest.mark.parametrize("event_type", ["response.completed", "safety.alert.created", "agent.session.created"])
def test_reordering_the_envelope_cannot_swap_its_values(event_type: str, monkeypatch: pytest.MonkeyPatch) -> None:
    reordered = _load_reordered("_models", monkeypatch)
    cls = getattr(reordered, EVENT_TYPES[event_type].__name__)
    assert cls.__match_args__ != EVENT_TYPES[event_type].__match_args__
    payload = example_payload(event_type)
    module, function = PAYLOAD_PARSERS.get(event_type, ("", ""))
    parse_data = getattr(importlib.import_module(f"openai_webhook_events.{module}"), function) if module else None
    parser = _event_parser(cls, event_type, parse_data or _resource_data)
    _assert_same_values(parser(payload), parse_event(payload))


def test_slot_setters_must_name_every_field_of_the_class() -> None:
    with pytest.raises(TypeError, match=r"^slot_setters\(SipHeader\) names \('name',\), not its fields"):
        check.slot_setters(owe.SipHeader, "name")
    with pytest.raises(TypeError, match="SipHeader"):
        check.slot_setters(owe.SipHeader, "name", "value", "extra")
    set_value, set_name = check.slot_setters(owe.SipHeader, "value", "name")
    header = object.__new__(owe.SipHeader)
    set_value(header, "v")
    set_name(header, "n")
    assert header == owe.SipHeader(name="n", value="v")


def test_the_docs_pydantic_snippet_builds_the_event_parse_event_builds() -> None:
    [code] = python_snippets("docs/events.md", "## Run-time types, pydantic and cattrs")
    payload = example_payload("response.completed")
    namespace: dict[str, Any] = {"body": json.dumps(payload)}
    exec(code, namespace)
    assert (type(namespace["event"]), namespace["event"]) == (type(parse_event(payload)), parse_event(payload))


def test_a_fresh_import_gives_every_event_class_concrete_fields_before_and_after_first_use() -> None:
    """As the subprocess test above, in this process: the package imported again, its modules put back after.

    (So the import-time code that retypes the classes runs inside a test, where mutation testing sees it.)
    """
    ours = [name for name in sys.modules if name.partition(".")[0] == "openai_webhook_events"]
    saved = {name: sys.modules.pop(name) for name in ours}
    try:
        fresh: Any = importlib.import_module("openai_webhook_events")
        assert fresh is not owe
        for event_type in EVENT_TYPE_NAMES:  # fields read first: the payload module is imported for them
            cls = fresh.EVENT_TYPES[event_type]
            fields = {field.name: field.type for field in dataclasses.fields(cls)}
            assert fields == typing.get_type_hints(cls)
            assert list(fields) == list(cls.__match_args__) == list(inspect.get_annotations(cls))
            assert fields["type"] == Literal[event_type]
            assert (fields["id"], fields["created_at"]) == (str, int)
            assert fields["data"] is type(fresh.parse_event(example_payload(event_type)).data)
            assert cls.__dataclass_fields__ is cls.__dataclass_fields__  # stored once, not rebuilt
        envelope = fresh.EVENT_TYPES["response.completed"].__mro__[1]
        assert [field.type for field in dataclasses.fields(envelope)][2:4] == list(envelope.__parameters__)
    finally:
        for name in [name for name in sys.modules if name.partition(".")[0] == "openai_webhook_events"]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_pydantic_names_a_bad_value_in_unknown_data_by_its_place_under_the_field() -> None:
    payload = UNKNOWN_PAYLOAD | {"data": {"a": [1, {"b": {1}}]}}
    with pytest.raises(pydantic.ValidationError) as info:
        pydantic.TypeAdapter(UnknownWebhookEvent).validate_python(payload)
    [error] = info.value.errors(include_url=False)
    assert error["loc"] == ("data",)
    assert error["msg"] == "Value error, .a[1].b: expected a JSON value, got set"


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_pydantic_refuses_every_known_type_as_an_unknown_event_naming_its_class(event_type: str) -> None:
    known_class = type(parse_event(example_payload(event_type))).__name__
    with pytest.raises(pydantic.ValidationError, match=f"is a known event type: its payload must match {known_class}"):
        pydantic.TypeAdapter(UnknownWebhookEvent).validate_python(UNKNOWN_PAYLOAD | {"type": event_type})
