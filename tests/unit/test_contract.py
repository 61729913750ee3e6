"""The models and the registry match the contract file, type by type and field by field."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import pytest

import openai_webhook_events as owe
from openai_webhook_events import EVENT_TYPES
from tests.strategies import CONTRACT, EVENT_TYPE_NAMES, OPEN_ENUMS


def _assert_matches(spec: Any, annotation: Any, path: str) -> None:
    if spec == "string":
        assert annotation is str, path
    elif spec == "integer":
        assert annotation is int, path
    elif "literal" in spec:
        if path in OPEN_ENUMS:
            literal, plain = get_args(annotation)
            assert plain is str, path
            annotation = literal
        assert get_origin(annotation) is Literal, path
        assert set(get_args(annotation)) == set(spec["literal"]), path
    elif "union" in spec:
        members = list(get_args(annotation))
        assert get_origin(annotation) in (Union, types.UnionType), path
        if "null" in spec["union"]:
            assert type(None) in members, path
            members.remove(type(None))
        rest = [m for m in spec["union"] if m != "null"]
        if len(members) == 1:
            members = members[0]
            assert len(rest) == 1, path
            _assert_matches(rest[0], members, path)
        else:  # an open enumeration: Literal[...] | str
            assert path in OPEN_ENUMS, path
            assert rest[0]["literal"] == list(get_args(members[0])), path
            assert (members[1], rest[1]) == (str, "string"), path
    elif "list" in spec:
        assert get_origin(annotation) is tuple, path
        item, ellipsis = get_args(annotation)
        assert ellipsis is Ellipsis, path
        _assert_matches(spec["list"], item, f"{path}[]")
    else:
        _assert_model_matches(spec["fields"], annotation, path)


def _assert_model_matches(fields: dict[str, Any], cls: type, path: str) -> None:
    assert dataclasses.is_dataclass(cls), path
    assert cls.__dataclass_params__.frozen, path  # type: ignore[attr-defined]
    model_fields = {f.name: f for f in dataclasses.fields(cls)}
    assert set(model_fields) == set(fields), path
    assert list(cls.__match_args__) == list(fields), f"{path}: positional order follows the contract"  # type: ignore[attr-defined]
    annotations = typing.get_type_hints(cls)  # the run-time types, as type checkers see them
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        default = model_fields[name].default
        if field["required"]:
            assert default is dataclasses.MISSING, f"{sub} is required"
        else:
            assert default is None, f"{sub} is optional and defaults to None"
        _assert_matches(field["type"], annotations[name], sub)


def test_registry_lists_exactly_the_contract_types() -> None:
    assert sorted(EVENT_TYPES) == EVENT_TYPE_NAMES


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_event_class_matches_contract(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    assert cls.__name__ == CONTRACT[event_type]["class"]
    assert getattr(owe, cls.__name__) is cls, "exported from the package under the SDK's name"
    _assert_model_matches(CONTRACT[event_type]["fields"], cls, "")


def test_event_types_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        EVENT_TYPES["x"] = object  # type: ignore[index]


def test_webhook_event_union_holds_every_event_class_and_unknown() -> None:
    assert set(get_args(owe.WebhookEvent)) == {*EVENT_TYPES.values(), owe.UnknownWebhookEvent}
