"""Immutable JSON values: :class:`FrozenDict`, :data:`JSONValue`, and freezing and thawing them.

:func:`freeze` turns a decoded JSON value (the ``data`` of an unknown event)
into tuples and :class:`FrozenDict` in O(size of the value): a path is built
only when a value is rejected.  :func:`thaw` turns it back into lists and
dicts.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, TypeAlias, Union

from . import _checks as check
from ._errors import InvalidEventError

_new = object.__new__


class _FrozenJSON:
    """How pydantic validates a :data:`JSONValue`: frozen as :func:`parse_event` freezes ``data``.

    pydantic calls these hooks; nothing here imports pydantic.
    """

    @staticmethod
    def __get_pydantic_core_schema__(source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda value: freeze(value, ""),
            serialization=core_schema.plain_serializer_function_ser_schema(thaw),
        )

    @staticmethod
    def __get_pydantic_json_schema__(schema: Any, handler: Any) -> dict[str, Any]:
        return {}  # any JSON value


JSONValue: TypeAlias = Annotated[Union[str, int, float, bool, "tuple[JSONValue, ...]", "FrozenDict", None], _FrozenJSON]
"""A JSON value made immutable: arrays are tuples, objects are :class:`FrozenDict`."""


class FrozenDict(Mapping[str, JSONValue]):
    """An immutable, hashable mapping: a JSON object kept read-only.

    ``pickle``, ``copy.copy`` and ``copy.deepcopy`` give an equal
    ``FrozenDict``; so ``dataclasses.asdict`` of an event keeps its
    ``FrozenDict`` values as such (deep copies, equal to the originals).
    :func:`to_dict` gives plain dicts and lists.
    """

    __slots__ = ("_hash", "_items")
    _items: dict[str, JSONValue]
    _hash: int  # unset until the first hash(), so a new FrozenDict fills one slot

    def __init__(self, items: Mapping[str, JSONValue] | None = None) -> None:
        object.__setattr__(self, "_items", dict(items or ()))

    def __getitem__(self, key: str) -> JSONValue:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            value = hash(frozenset(self._items.items()))
            object.__setattr__(self, "_hash", value)
            return value

    def __reduce__(self) -> "tuple[type[FrozenDict], tuple[dict[str, JSONValue]]]":
        return (FrozenDict, (self._items,))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


MAX_DEPTH = 200
"""The deepest nesting of objects and arrays a frozen value may have."""
_SCALARS = frozenset({str, int, float, bool, type(None)})
_EMPTY = FrozenDict()  # shared by every empty object: "many empty objects" 14.8x -> 3.3x json.loads (bench/run.py)
# Filling the slot of a new FrozenDict with the freezer's own dict, skipping __init__ and its copy:
# "many small objects" 5.8x -> 4.8x json.loads (bench/run.py).
_set_frozen_items: Callable[[FrozenDict, dict[str, JSONValue]], None] = vars(FrozenDict)["_items"].__set__


class _Unfreezable(Exception):
    """Raised inside :func:`_freeze`: the reason, and the keys from the bad value up, innermost first.

    Each container adds its key while the exception passes, so no path is
    built unless a value is rejected.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.keys: list[str | int] = []


def _is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_list(value: object) -> bool:
    return isinstance(value, list)


def freeze(value: Any, path: str = "data") -> JSONValue:
    """*value*, a JSON value found at *path*, made immutable (see :func:`_freeze`).

    Raises :class:`InvalidEventError` naming the offending location under
    *path* for anything that is not a JSON value or nests deeper than
    :data:`MAX_DEPTH` levels.
    """
    try:
        return _freeze(value, 0)
    except _Unfreezable as exc:
        path += "".join(map(check.path_step, reversed(exc.keys)))
        raise InvalidEventError(path, exc.reason) from None


def _freeze(value: Any, depth: int) -> JSONValue:
    """*value*, a JSON value at nesting level *depth*, made immutable: objects to :class:`FrozenDict`, arrays to tuples.

    Any mapping with ``str`` keys is an object, any ``list`` an array;
    subclasses of ``str``, ``int`` and ``float`` are kept as they are.
    Costs O(size of *value*).
    """
    kind = value.__class__
    if kind in _SCALARS:
        return value  # type: ignore[no-any-return]
    if kind is dict:
        return _freeze_object(value, depth)
    if kind is list:
        return _freeze_array(value, depth)
    if _is_mapping(value):
        try:
            items = check.as_object(value, "")
        except InvalidEventError as exc:
            raise _Unfreezable(exc.reason) from None
        return _freeze_object(items, depth)
    if _is_list(value):
        return _freeze_array(value, depth)
    if isinstance(value, (str, int, float)):
        return value  # subclasses of the JSON scalars
    raise _Unfreezable(f"expected a JSON value, got {check.json_type_name(value)}")


def _freeze_object(items: dict[Any, Any], depth: int) -> FrozenDict:
    if depth >= MAX_DEPTH:
        raise _Unfreezable(f"nested deeper than {MAX_DEPTH} levels")
    if not items:
        return _EMPTY
    depth += 1
    frozen: dict[str, JSONValue] = {}
    key = ""
    try:
        for key, item in items.items():
            if key.__class__ is not str and not isinstance(key, str):
                break
            frozen[key] = item if item.__class__ in _SCALARS else _freeze(item, depth)
        else:
            result = _new(FrozenDict)
            _set_frozen_items(result, frozen)
            return result
    except _Unfreezable as exc:
        exc.keys.append(key)
        raise
    raise _Unfreezable(f"expected string keys, got {check.json_type_name(key)}")


def _freeze_array(items: list[Any], depth: int) -> tuple[JSONValue, ...]:
    if depth >= MAX_DEPTH:
        raise _Unfreezable(f"nested deeper than {MAX_DEPTH} levels")
    if _SCALARS.issuperset(map(type, items)):
        return tuple(items)  # a list of scalars, in C: "long array" 1.9x -> 1.5x json.loads (bench/run.py)
    depth += 1
    frozen: list[JSONValue] = []
    append = frozen.append
    try:
        for item in items:
            append(item if item.__class__ in _SCALARS else _freeze(item, depth))
    except _Unfreezable as exc:
        exc.keys.append(len(frozen))  # the index of the item that failed
        raise
    return tuple(frozen)


def thaw(value: Any) -> Any:
    """A frozen JSON value as JSON-ready builtins: tuples to lists, :class:`FrozenDict` to dicts."""
    kind = value.__class__
    if kind is tuple:
        return [thaw(item) for item in value]
    if kind is FrozenDict:
        return {key: thaw(item) for key, item in value.items()}
    return value
