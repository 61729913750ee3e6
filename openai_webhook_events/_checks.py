"""Helpers of the parsers: slot setters, and the slow paths of their type checks.

Each parser first tests ``value.__class__ is str`` (or ``int``, ``dict``,
``list``) inline (faster than ``type()``, and it does not narrow static
types); only when that fails does it call one of these, which
either accepts the value (a subclass, or any mapping) or raises
:class:`InvalidEventError` naming the exact path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, cast

from ._errors import InvalidEventError, shorten

_JSON_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def slot_setters(cls: type[Any], *names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of the slot of each field of dataclass *cls* named in *names*, in that order.

    Bound by name, so the order of the fields in the class does not matter;
    *names* must name every field (a slot left unset would be missing).
    """
    if sorted(names) != sorted(cls.__match_args__):
        raise TypeError(f"slot_setters({cls.__name__}) names {names}, not its fields {cls.__match_args__}")
    return tuple(getattr(cls, name).__set__ for name in names)


def json_type_name(value: object) -> str:
    """The JSON name of *value*'s type (``"object"``, ``"null"``...), else its Python name."""
    name = _JSON_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def wrong_type(path: str, expected: str, value: object) -> NoReturn:
    raise InvalidEventError(path, f"expected {expected}, got {json_type_name(value)}")


def missing(path: str, key: str) -> InvalidEventError:
    return InvalidEventError(join(path, key), "required key missing")


def as_object(value: object, path: str) -> dict[Any, Any]:
    """*value* as a plain ``dict`` if it is a mapping; a copy unless it is exactly a ``dict``.

    Copying subclasses and other mappings means a missing key is always a
    ``KeyError`` (a ``defaultdict`` would invent it).
    """
    if isinstance(value, Mapping):
        try:
            return dict(cast(Any, value))
        except Exception as exc:  # a broken mapping
            raise InvalidEventError(path, f"unreadable mapping ({type(exc).__name__})") from None
    wrong_type(path, "object", value)


def as_str(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    wrong_type(path, "string", value)


def as_optional_str(value: object, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    wrong_type(path, "string or null", value)


def as_int(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    wrong_type(path, "integer", value)


def as_list(value: object, path: str) -> list[Any]:
    """*value* as a plain ``list`` if it is one (a copy of a subclass)."""
    if isinstance(value, list):
        return list(cast(Any, value))
    wrong_type(path, "array", value)


def not_literal(path: str, expected: str, value: object) -> InvalidEventError:
    if isinstance(value, str):
        return InvalidEventError(path, f"expected {expected!r}, got {shorten(value)}")
    return InvalidEventError(path, f"expected {expected!r}, got {json_type_name(value)}")
