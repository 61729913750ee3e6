"""Helpers of the parsers: slot setters, the slow paths of their type checks, and error paths.

Each parser first tests ``value.__class__ is str`` (or ``int``, ``dict``,
``list``) inline (faster than ``type()``, and it does not narrow static
types); only when that fails does it call one of these, which
either accepts the value (a subclass, or any mapping) or raises
:class:`InvalidEventError` naming the exact path.  So an element that
passes its inline test costs no path: paths (:func:`join`, in the syntax
``InvalidEventError`` documents) are built on these slow paths only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar, cast

from ._errors import InvalidEventError, shorten

T = TypeVar("T")

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


def field_hash(self: Any) -> int:
    """``hash`` of a frozen dataclass instance, as ``dataclass`` generates it: of the tuple of its fields, in order.

    One function for every class that sets ``__hash__ = field_hash``, so that
    ``dataclass`` keeps it rather than compiling a ``__hash__`` per class
    (0.4 M instructions a class at a cold start, CPython 3.12: bench/coldstart.py).
    The fields must be the class's ``__match_args__`` (none keyword-only).
    """
    read: Callable[[str], object] = self.__getattribute__
    names: tuple[str, ...] = self.__match_args__
    return hash(tuple(map(read, names)))


def field_eq(self: Any, other: object) -> bool:
    """``==`` of frozen dataclass instances, as ``dataclass`` generates it: the same class, equal fields in order.

    Shared, like :func:`field_hash`, by the classes that set ``__eq__ = field_eq``
    and give ``dataclass`` ``eq=False`` (:func:`as_generated` then records ``eq``).
    """
    names: tuple[str, ...] = self.__match_args__
    read: Callable[[str], object] = self.__getattribute__
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # as the generated __eq__ answers
    read_other: Callable[[str], object] = other.__getattribute__
    return tuple(map(read, names)) == tuple(map(read_other, names))


def field_repr(self: Any) -> str:
    """``repr`` of a dataclass instance, as ``dataclass`` generates it: ``Class(field=value, ...)``, fields in order.

    Shared, like :func:`field_hash`, by the classes that set ``__repr__ = field_repr``
    and give ``dataclass`` ``repr=False`` (:func:`as_generated` then records ``repr``).
    """
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
    return f"{self.__class__.__qualname__}({shown})"


def as_generated(cls: type[T]) -> type[T]:
    """*cls*, a dataclass given ``init=False, repr=False, eq=False`` that defines its own ``__init__`` (as ``dataclass``
    would generate it) and shares :func:`field_repr` and :func:`field_eq`, recorded in ``__dataclass_params__`` as
    ``dataclass`` records a class whose ``__init__``, ``__repr__`` and ``__eq__`` it made.

    ``dataclass`` compiles each method it generates when the class is made; these three are the most of it.
    """
    params = vars(cls)["__dataclass_params__"]
    params.init = params.repr = params.eq = True
    return cls


def json_type_name(value: object) -> str:
    """The JSON name of *value*'s type (``"object"``, ``"null"``...), else its Python name."""
    name = _JSON_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def join(path: str, key: str | int) -> str:
    """The path of *key* (an object's key or an array's index) inside *path*.

    The syntax is :class:`InvalidEventError`'s: ``.key`` for an ASCII
    identifier (no dot at the start of a path), ``[3]`` for an index,
    ``["a.b"]`` (a JSON string) for any other key.
    """
    step = path_step(key)
    return step[1:] if not path and step[0] == "." else path + step


def path_step(key: str | int) -> str:
    """The step to *key* from its container: ``.key``, ``[3]`` or ``["a.b"]``."""
    if isinstance(key, int):
        return f"[{key}]"
    if key.isascii() and key.isidentifier():
        return f".{key}"
    return f"[{json_string(key)}]"


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(text: str) -> str:
    """*text* as a JSON string literal that is one printable line: ``json.loads`` gives *text* back."""
    return '"' + "".join(_json_char(char) for char in text) + '"'


def _json_char(char: str) -> str:
    escape = _SHORT_ESCAPES.get(char)
    if escape is not None:
        return escape
    if char.isprintable():
        return char
    code = ord(char)
    if code > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


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
