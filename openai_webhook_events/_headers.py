"""Reading the three Standard Webhooks headers out of headers of any shape: the one header reader.

Every path that verifies a delivery (:meth:`Webhook.verify`, the AWS Lambda
adapter, any future adapter) reads headers here, so they all answer alike:

- names match case-insensitively, ASCII letters only (a name holding any
  other character, such as the Kelvin sign U+212A that Unicode lower-cases
  to ``k``, matches nothing);
- a repeated ``webhook-signature`` contributes every value, and a value holds
  entries ``v1,<base64>`` separated by spaces and/or commas (base64 has no
  commas, so ``v1,a,v1,b``, ``v1,a, v1,b`` and two headers all give two
  entries); an entry must be exactly ``version,signature`` (``v1 <sig>`` is
  no entry);
- ``webhook-id`` and ``webhook-timestamp`` may be repeated, as separate
  values or joined by a server as ``"x, x"``, when every value is the same;
  different values are rejected (so an id never contains a comma).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeAlias, Union, cast

from ._errors import InvalidHeaderError, MissingHeaderError

WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"
_NAMES = {WEBHOOK_ID: 0, WEBHOOK_TIMESTAMP: 1, WEBHOOK_SIGNATURE: 2}
_NAME_LENGTHS = frozenset(map(len, _NAMES))
MAX_SIGNATURES = 64
"""Entries of ``webhook-signature`` examined, at most (a bound on the work per request)."""
_V1_LENGTH = 47  # "v1," + base64 of 32 bytes
_UPPER_TO_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


class SupportsItems(Protocol):
    """An object with ``.items()`` giving ``(name, value)`` pairs: a mapping, Werkzeug or Starlette headers, ..."""

    def items(self) -> Iterable[tuple[Any, Any]]: ...


HeadersLike: TypeAlias = Union[SupportsItems, Iterable[tuple[Any, Any]]]
"""Request headers in any of the shapes the verifier reads.

A ``dict`` or any mapping, an object with ``.items()`` (Werkzeug
``Headers``/``EnvironHeaders``, Starlette ``Headers``, ``http.client.HTTPMessage``,
``email.message.Message``, multidicts), a dict of lists (``multiValueHeaders``),
or an iterable of ``(name, value)`` pairs.  Names and values are ``str`` or
``bytes``; a value may also be a list or tuple of values.
"""


def ascii_lower(name: str) -> str:
    """*name* with the ASCII letters ``A``-``Z`` lower-cased and every other character kept (no Unicode folding)."""
    return name.lower() if name.isascii() else name.translate(_UPPER_TO_LOWER)


def read_webhook_headers(headers: HeadersLike) -> tuple[str, str, str]:
    """``(webhook-id, webhook-timestamp, webhook-signature)`` out of *headers* (see :data:`HeadersLike`).

    Repeated ``webhook-signature`` values are joined with a space.  Raises
    :class:`MissingHeaderError` for an absent name, :class:`InvalidHeaderError`
    for a value that is not text (or not UTF-8) or a repeated id or timestamp
    with different values, and ``TypeError`` for *headers* of no such shape.
    """
    values: list[list[str]] = [[], [], []]
    for pair in cast("Iterable[tuple[object, object]]", _pairs(headers)):
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"headers: expected (name, value) pairs, got a {_type_name(pair)}") from None
        if isinstance(name, str):
            text = name
        elif isinstance(name, (bytes, bytearray)):
            text = bytes(name).decode("latin-1")
        else:
            continue
        if len(text) not in _NAME_LENGTHS or not text.isascii():  # most names: one test
            continue
        header = str.lower(text)
        index = _NAMES.get(header)
        if index is None:
            continue
        if isinstance(value, (list, tuple)):
            values[index].extend(_text(header, item) for item in cast("Sequence[object]", value))
        else:
            values[index].append(_text(header, value))
    return _single(WEBHOOK_ID, values[0]), _single(WEBHOOK_TIMESTAMP, values[1]), _joined(values[2])


def no_other_spelling(headers: dict[Any, Any]) -> bool:
    """Whether no key of *headers* but the three lower-case names could fold to one of them (conservative).

    With these names present, values ``str`` without commas, and this true,
    the reader's answer for a ``dict`` is those three values: what the
    verifier's dict fast path reads directly.
    """
    # Every spelling the reader would match holds "webhook-" once lower-cased (so do a few it would
    # not, such as a Kelvin sign, and joins across keys: those only send the dict to the reader).
    # C-speed: 2.6 times faster than lower-casing each key and looking it up.
    try:
        return "".join(headers).lower().count("webhook-") == len(_NAMES)
    except TypeError:  # a key that is not str: let the general reader look
        return False


def _pairs(headers: object) -> Iterable[object]:
    if headers is None:
        return ()
    if hasattr(headers, "items"):
        return cast("SupportsItems", headers).items()
    if hasattr(headers, "get") and not hasattr(headers, "__iter__"):
        getter: Any = headers
        return [(name, value) for name in _NAMES if (value := getter.get(name)) is not None]
    if isinstance(headers, (str, bytes, bytearray)) or not hasattr(headers, "__iter__"):
        raise TypeError(
            "headers must be a mapping, an object with .items(), or an iterable of (name, value) pairs, "
            f"not {_type_name(headers)}"
        )
    return cast("Iterable[object]", headers)


def _single(name: str, given: list[str]) -> str:
    """The one value of a header given once or more, each value possibly a server's ``"x, x"`` join."""
    if not given:
        raise MissingHeaderError(name)
    if len(given) == 1 and "," not in given[0]:
        return given[0]  # the common case
    parts = [part for value in given for part in _split_joined(value)]
    if any(part != parts[0] for part in parts):
        raise InvalidHeaderError(name, "repeated with different values")
    return parts[0]


def _split_joined(value: str) -> list[str]:
    """``"x, x"`` -> ``["x", "x"]``: servers join repeats with ``","`` and optional spaces (the first part is exact)."""
    first, *rest = value.split(",")
    return [first, *(part.lstrip(" \t") for part in rest)]


def _joined(given: list[str]) -> str:
    if not given:
        raise MissingHeaderError(WEBHOOK_SIGNATURE)
    return " ".join(given)


def _text(name: str, value: object) -> str:
    """A header value as text: ``str`` as is, ``bytes`` decoded as UTF-8."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidHeaderError(name, "not valid UTF-8") from None
    raise InvalidHeaderError(name, f"expected str or bytes, got {_type_name(value)}")


def _type_name(value: object) -> str:
    name = type(value).__name__
    return name if name.isidentifier() and len(name) <= 60 else "an object"


def _is_version(atom: str) -> bool:
    return len(atom) <= 8 and atom[:1] == "v" and atom[1:2].isdigit()


def v1_signatures(value: str) -> list[str]:
    """The ``v1,<base64>`` entries of a ``webhook-signature`` value, among its first 64 entries.

    Entries are separated by whitespace and/or commas; an entry is a version
    (``v`` and a digit, at most 8 characters: never a signature) joined by a
    comma to its signature, so ``v1 <sig>`` is no entry.  Other versions and
    malformed entries are skipped.  Raises
    :class:`InvalidHeaderError` when there is no entry at all or no
    ``v1`` entry of the right form.
    """
    entries: list[str] = []
    for run in value.split(None, MAX_SIGNATURES)[:MAX_SIGNATURES]:
        atoms = run.strip(",").split(",", 2 * MAX_SIGNATURES)[: 2 * MAX_SIGNATURES]
        index = 0
        while index < len(atoms) and len(entries) < MAX_SIGNATURES:
            atom = atoms[index]
            if _is_version(atom) and index + 1 < len(atoms) and not _is_version(atoms[index + 1]):
                entries.append(f"{atom},{atoms[index + 1]}")
                index += 2
            else:
                entries.append(atom)  # malformed: skipped, but it counts
                index += 1
    if not entries:
        raise InvalidHeaderError(WEBHOOK_SIGNATURE, "empty")
    found = [
        entry
        for entry in entries[:MAX_SIGNATURES]
        if len(entry) == _V1_LENGTH and entry.startswith("v1,") and entry.isascii()
    ]
    if not found:
        raise InvalidHeaderError(WEBHOOK_SIGNATURE, "no v1,<base64> signature")
    return found
