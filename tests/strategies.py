"""The Hypothesis strategies shared by every test module.

Sections: payloads built from the contract (valid and corrupted) and
arbitrary JSON values; signing and headers; AWS Lambda request events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from openai_webhook_events.testing import make_payload

# --- Payloads from the contract ---------------------------------------------------------------

DATA_DIR = Path(__file__).parent / "data"
EXAMPLES_DIR = Path(__file__).parent.parent / "openai_webhook_events" / "payloads"
CONTRACT: dict[str, Any] = {
    **json.loads((DATA_DIR / "openai-webhook-events.json").read_text())["events"],  # derived from the SDK
    **json.loads((DATA_DIR / "openai-webhook-events-documented.json").read_text())["events"],  # those it lacks
}
"""Every event type's contract: the SDK-derived one and the documented types the SDK does not model."""
EVENT_TYPE_NAMES = sorted(CONTRACT)

OPEN_ENUMS = frozenset({"data.required_action.type", "data.sip_media_security"})
"""Paths whose enumeration is open: any string is valid there (OpenAI adds values)."""

_MISSING = object()


def example_payload(event_type: str) -> dict[str, Any]:
    """The realistic example payload of *event_type* (``openai_webhook_events/payloads/``), a fresh copy.

    The package's own test helper, :func:`openai_webhook_events.testing.make_payload`;
    tests/unit/test_testing.py checks it against the files.
    """
    return make_payload(event_type)


def _is_nullable(spec: Any) -> bool:
    return isinstance(spec, dict) and "union" in spec and "null" in spec["union"]


def _value(spec: Any, path: str, *, nulls: bool) -> st.SearchStrategy[Any]:
    """Valid JSON values for a contract type *spec* at *path*."""
    if spec == "string":
        return st.text(max_size=20)
    if spec == "integer":
        return st.integers(min_value=-(2**63), max_value=2**63)
    if spec == "null":
        return st.none()
    if "literal" in spec:
        literals = st.sampled_from(spec["literal"])
        return literals | st.text(max_size=20) if path in OPEN_ENUMS else literals
    if "union" in spec:
        members = [m for m in spec["union"] if nulls or m != "null"]
        return st.one_of([_value(m, path, nulls=nulls) for m in members])
    if "list" in spec:
        return st.lists(_value(spec["list"], f"{path}[]", nulls=nulls), max_size=4)
    return _object(spec["fields"], path, nulls=nulls)


def _object(fields: dict[str, Any], path: str, *, nulls: bool) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        (required if field["required"] else optional)[name] = _value(field["type"], sub, nulls=nulls)
    return st.fixed_dictionaries(required, optional=optional)


def valid_payloads(event_type: str | None = None, *, nulls: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads valid under the contract, of *event_type* or of any type.

    With ``nulls=False`` optional keys are absent or set, never ``null``.
    """
    if event_type is None:
        return st.sampled_from(EVENT_TYPE_NAMES).flatmap(lambda t: valid_payloads(t, nulls=nulls))
    return _object(CONTRACT[event_type]["fields"], "", nulls=nulls)


def _extra_keys(value: Any, draw: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _extra_keys(v, draw) for k, v in value.items()}
        for key in draw(st.lists(st.text(min_size=1, max_size=8).filter(lambda k: k not in value), max_size=2)):
            out[key] = draw(json_values(max_leaves=3))
        return out
    if isinstance(value, list):
        return [_extra_keys(v, draw) for v in value]
    return value


@st.composite
def with_unknown_keys(draw: Any, payloads: st.SearchStrategy[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(payload, same payload with keys the contract does not name added to its objects)``."""
    payload = draw(payloads)
    return payload, _extra_keys(payload, draw)


# --- Corruptions ------------------------------------------------------------------------------


def _locations(value: Any, spec: Any, path: str) -> Iterator[tuple[str, Any, bool, Any]]:
    """``(path, spec, required, present value)`` of every contract location present in *value*."""
    if isinstance(spec, dict) and "union" in spec:
        object_spec = _object_spec(spec)
        if value is not None and object_spec is not None:
            yield from _locations(value, object_spec, path)
        return
    if isinstance(spec, dict) and "list" in spec:
        for index, item in enumerate(value):
            sub = f"{path}[{index}]"
            yield sub, spec["list"], True, item
            yield from _locations(item, spec["list"], sub)
        return
    if isinstance(spec, dict) and "fields" in spec:
        for name, field in spec["fields"].items():
            sub = f"{path}.{name}" if path else name
            present = value.get(name, _MISSING)
            yield sub, field["type"], field["required"], present
            if present is not _MISSING:
                yield from _locations(present, field["type"], sub)


def _accepts(spec: Any, value: Any, path: str) -> bool:
    """Whether *value* is valid for *spec* at its top level (nested objects: only their kind)."""
    if spec == "string":
        return isinstance(value, str)
    if spec == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec == "null":
        return value is None
    if "literal" in spec:
        return isinstance(value, str) and (path in OPEN_ENUMS or value in spec["literal"])
    if "union" in spec:
        return any(_accepts(m, value, path) for m in spec["union"])
    if "list" in spec:
        return isinstance(value, list)
    return isinstance(value, dict) and all(k in value for k, f in spec["fields"].items() if f["required"])


def _object_spec(spec: Any) -> dict[str, Any] | None:
    """The object type of *spec* (itself, or the object member of a union), if any."""
    if isinstance(spec, dict) and "fields" in spec:
        return spec
    if isinstance(spec, dict) and "union" in spec:
        return next((m for m in spec["union"] if isinstance(m, dict) and "fields" in m), None)
    return None


_REPLACEMENTS: list[Any] = [None, True, 0, -1, 1.5, "", "text", [], [1], {}, {"nested": {"x": 1}}]


def _set(payload: Any, path: str, value: Any) -> Any:
    """A deep copy of *payload* with the location *path* set to *value* (or removed if ``_MISSING``)."""
    copy = json.loads(json.dumps(payload))
    parts = path.replace("[", ".[").split(".")
    target = copy
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    last = parts[-1]
    if last.startswith("["):
        target[int(last[1:-1])] = value
    elif value is _MISSING:
        del target[last]
    else:
        target[last] = value
    return copy


def corruptions(payload: dict[str, Any], event_type: str) -> list[tuple[str, dict[str, Any], str]]:
    """Every single corruption of a valid *payload*: ``(what, corrupted payload, expected error path)``.

    Drop a required key; replace a value by a wrong-typed one, by ``null``
    where the contract forbids it, or by a nested object.  The ``type`` key
    is only corrupted into non-strings (another string is another event type).
    """
    out = []
    for path, spec, required, present in _locations(payload, {"fields": CONTRACT[event_type]["fields"]}, ""):
        if present is _MISSING:
            continue
        if required and not path.endswith("]"):
            out.append((f"drop {path}", _set(payload, path, _MISSING), path))
        for replacement in _REPLACEMENTS:
            if path == "type" and isinstance(replacement, str):
                continue
            if _accepts(spec, replacement, path):
                continue
            expected = path
            object_spec = _object_spec(spec)
            if isinstance(replacement, dict) and object_spec is not None:
                first_required = next(n for n, f in object_spec["fields"].items() if f["required"])
                expected = f"{path}.{first_required}"
            out.append((f"set {path} = {replacement!r}", _set(payload, path, replacement), expected))
    return out


@st.composite
def corrupted_payloads(draw: Any) -> tuple[str, dict[str, Any], str]:
    """``(what, payload, expected error path)``: a valid payload with exactly one corruption."""
    event_type = draw(st.sampled_from(EVENT_TYPE_NAMES))
    payload = draw(valid_payloads(event_type))
    return draw(st.sampled_from(corruptions(payload, event_type)))


# --- Arbitrary JSON ---------------------------------------------------------------------------

_json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10)
)


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value (no NaN or infinities)."""
    return st.recursive(
        _json_scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=max_leaves,
    )


_BRACKETY_TEXT = st.text(st.sampled_from('[]{}"\\ a\u00e9\u2028'), max_size=6)


def brackety_json(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """JSON values whose strings and keys hold brackets, quotes and backslashes (the nesting pre-scan's traps)."""
    return st.recursive(
        st.none() | st.integers() | _BRACKETY_TEXT,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(_BRACKETY_TEXT, children, max_size=4),
        max_leaves=max_leaves,
    )


@st.composite
def near_valid_payloads(draw: Any) -> Any:
    """Objects with a known or unknown ``type`` whose other keys are arbitrary JSON or nearly valid."""
    base = draw(valid_payloads() | st.dictionaries(st.text(max_size=8), json_values(5), max_size=5))
    for key in draw(st.lists(st.sampled_from(["id", "created_at", "data", "object", "type"]), max_size=3)):
        base[key] = draw(json_values(5))
    if draw(st.booleans()):
        base["type"] = draw(st.sampled_from([*EVENT_TYPE_NAMES, "brand.new"]))
    return base


# Text no log line may carry raw: line breaks and separators, control and format characters,
# lone surrogates, quotes and the path syntax's own characters; sometimes very long.
_hostile_characters = st.sampled_from(
    list("\n\r\x0b\x0c\x1c\x85\u2028\u2029\x00\x1b\x7f\u202e\ud800.[]\"'\\ ")
) | st.characters(exclude_categories=())
_hostile_short_text = st.text(_hostile_characters, max_size=12)
hostile_text = _hostile_short_text | st.builds(
    lambda head, count, tail: head + "k" * count + tail, _hostile_short_text, st.integers(0, 5_000), _hostile_short_text
)


@st.composite
def rejected_values_in_place(draw: Any) -> tuple[Any, list[str | int]]:
    """``(data, steps)``: JSON data with arbitrary keys holding one value ``parse_event`` rejects.

    The rejected value (a ``set``, or an object with a non-string key) sits
    where the keys and indexes of *steps* lead; everything before it on the
    way is valid JSON.
    """
    steps = draw(st.lists(hostile_text | st.integers(0, 3), max_size=6))
    value: Any = draw(st.sampled_from([{1, 2}, {1: "x"}]))
    for step in reversed(steps):
        if isinstance(step, int):
            before = draw(st.lists(_json_scalars, min_size=step, max_size=step))
            value = [*before, value, *draw(st.lists(json_values(5), max_size=2))]
        else:
            others = draw(st.dictionaries(hostile_text.filter(step.__ne__), _json_scalars, max_size=2))
            value = {**others, step: value}
    return value, steps


# --- Signing and headers ----------------------------------------------------------------------

WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

# Text that can be encoded as UTF-8 (no lone surrogates).
_encodable_text = st.characters(blacklist_categories=["Cs"])


def usable_secret_text(text: str) -> bool:
    """The README's rules for a text secret: something visible, not quoted, not an API key, not ``whsec_``."""
    visible = "".join(c for c in text if c.isprintable() and not c.isspace())
    core = text.strip("".join(c for c in set(text) if c.isspace() or not c.isprintable()))
    return (
        bool(visible)
        and not (len(core) > 1 and core[0] in "\"'" and core[-1] == core[0])
        and not (core.startswith(("sk-", "whsec_")))
    )


def usable_key(key: bytes) -> bool:
    """Bytes are used as they are, but printable ASCII text gets the text rules."""
    text = key.decode("latin-1")
    return not (key.isascii() and text.strip().isprintable()) or usable_secret_text(text)


keys = st.binary(min_size=1, max_size=100).filter(usable_key)
"""HMAC keys as ``bytes`` secrets (any length), including ones longer than SHA-256's 64-byte block."""

WHSEC_MIN_BYTES = 24
"""The Standard Webhooks spec's shortest signing secret: a ``whsec_`` secret decoding to fewer is refused."""

whsec_keys = st.binary(min_size=WHSEC_MIN_BYTES, max_size=100).filter(usable_key)
"""HMAC keys a ``whsec_`` secret may stand for (24 bytes or more), usable as ``bytes`` secrets too."""

webhook_ids = st.text(_encodable_text, min_size=1, max_size=40).filter(lambda s: s.isprintable() and "," not in s)
"""``webhook-id`` values (OpenAI's look like ``wh_`` + 32 hex digits; any printable text without a comma, which
would read as a repeated header, is signed the same way)."""

bodies = st.binary(max_size=600) | st.text(_encodable_text, max_size=200).map(str.encode)
"""Raw bodies: any bytes, and UTF-8 text."""


def whsec(key: bytes, *, padded: bool = True) -> str:
    """The ``whsec_<base64>`` form of *key* (with or without ``=`` padding)."""
    text = base64.b64encode(key).decode()
    return "whsec_" + (text if padded else text.rstrip("="))


def hmac_signature(key: bytes, webhook_id: str, timestamp: str | int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body``, computed here with the ``hmac`` module.

    Independent of the package: the tests' reference signature.
    """
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@st.composite
def secret_forms(draw: Any) -> tuple[str | bytes, bytes]:
    """``(secret as a user passes it, the HMAC key it stands for)``: whsec_ (padded or not), text, bytes."""
    kind = draw(st.sampled_from(["whsec", "whsec unpadded", "text", "bytes"]))
    if kind == "text":
        text = draw(st.text(_encodable_text, min_size=1, max_size=40).filter(usable_secret_text))
        return text, text.encode()
    if kind == "bytes":
        key = draw(keys)
        return key, key
    key = draw(whsec_keys)
    return whsec(key, padded=kind == "whsec"), key


@st.composite
def name_casings(draw: Any, name: str) -> str:
    """*name* with each letter in either case."""
    return "".join(c.upper() if draw(st.booleans()) else c for c in name)


def _environ_headers(pairs: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import EnvironHeaders

    return EnvironHeaders({"HTTP_" + name.upper().replace("-", "_"): value for name, value in pairs})


def _starlette_headers(pairs: list[tuple[str, str]]) -> Any:
    from starlette.datastructures import Headers

    return Headers(raw=[(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs])


def _werkzeug_headers(pairs: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import Headers

    return Headers(pairs)


def _multidict(pairs: list[tuple[str, str]]) -> Any:
    from multidict import MultiDict

    return MultiDict(pairs)


def _cimultidict(pairs: list[tuple[str, str]]) -> Any:
    from multidict import CIMultiDict

    return CIMultiDict(pairs)


def _http_message(pairs: list[tuple[str, str]]) -> Any:
    import http.client
    import io

    raw = "".join(f"{name}: {value}\r\n" for name, value in pairs).encode("latin-1") + b"\r\n"
    return http.client.parse_headers(io.BytesIO(raw))


def _email_message(pairs: list[tuple[str, str]]) -> Any:
    import email.message

    message = email.message.Message()
    for name, value in pairs:
        message[name] = value  # appends: repeated headers are kept
    return message


def _mapping_proxy(pairs: list[tuple[str, str]]) -> Any:
    from types import MappingProxyType

    return MappingProxyType(dict(pairs))


def _multi_value_dict(pairs: list[tuple[str, str]]) -> Any:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return multi


HEADER_SHAPES: dict[str, Any] = {
    "dict": dict,
    "MappingProxyType": _mapping_proxy,
    "dict of lists (multiValueHeaders)": _multi_value_dict,
    "list of pairs": list,
    "tuple of pairs": tuple,
    "generator of pairs": lambda pairs: (pair for pair in pairs),
    "bytes pairs": lambda pairs: [(name.encode("latin-1"), value.encode()) for name, value in pairs],
    "str names, bytes values": lambda pairs: [(name, value.encode()) for name, value in pairs],
    "werkzeug Headers": _werkzeug_headers,
    "werkzeug EnvironHeaders": _environ_headers,
    "starlette Headers": _starlette_headers,
    "multidict MultiDict": _multidict,
    "multidict CIMultiDict": _cimultidict,
    "http.client.HTTPMessage": _http_message,
    "email.message.Message": _email_message,
}
"""Builders of every header shape users have, from ``(name, value)`` pairs (ASCII values)."""

REPEATING_SHAPES = frozenset(HEADER_SHAPES) - {"dict", "MappingProxyType", "werkzeug EnvironHeaders"}
"""The shapes that keep a repeated header as separate values."""

header_values = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60),
    st.sampled_from(["", " 1750000000", "+1750000000", "1750000000", "v1,", "v1a,abc", "v2,xyz"]),
)


@st.composite
def arbitrary_headers(draw: Any) -> dict[Any, Any]:
    """Header maps of arbitrary names and values (text or bytes), the ``webhook-*`` names often among them."""
    names = st.one_of(
        st.text(max_size=20),
        st.binary(max_size=20),
        st.sampled_from(WEBHOOK_HEADERS).flatmap(name_casings),
    )
    return draw(st.dictionaries(names, header_values, max_size=6))


# --- AWS Lambda request events ----------------------------------------------------------------

LAMBDA_EVENTS_DIR = DATA_DIR / "lambda-events"
LAMBDA_TEMPLATES: dict[str, str] = {
    "apiGatewayProxyEvent.json": "rest",  # headers in the sender's case, and multiValueHeaders
    "apiGatewayProxyV2Event.json": "http",  # lower-case headers, repeats joined with commas
    "lambdaFunctionUrlEvent.json": "http",
    "lambdaFunctionUrlEventWithHeaders.json": "http",
    "albEvent.json": "alb",  # lower-case headers, only the last of repeated headers
    "albMultiValueHeadersEvent.json": "alb-multi",  # multiValueHeaders only
}
"""Each real AWS request event in ``tests/data/lambda-events/`` and how its integration sends headers."""


def _ascii_lower(name: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in name)


def lambda_event(template: str, body: bytes, headers: list[tuple[str, str]], *, base64_body: bool) -> dict[str, Any]:
    """A copy of the real request event *template* carrying *body* and *headers* as its integration would.

    *headers* are ``(name, value)`` pairs, repeats allowed; names are sent as
    given to a REST API and lower-cased (ASCII letters) by the others.
    """
    event: dict[str, Any] = json.loads((LAMBDA_EVENTS_DIR / template).read_text())
    kind = LAMBDA_TEMPLATES[template]
    names = headers if kind == "rest" else [(_ascii_lower(name), value) for name, value in headers]
    multi: dict[str, list[str]] = {}
    for name, value in names:
        multi.setdefault(name, []).append(value)
    if kind in ("rest", "alb-multi"):
        event["multiValueHeaders"] = {**(event.get("multiValueHeaders") or {}), **multi}
    if kind in ("rest", "alb"):
        event["headers"] = {**(event.get("headers") or {}), **{name: values[-1] for name, values in multi.items()}}
    if kind == "http":
        event["headers"] = {**event["headers"], **{name: ",".join(values) for name, values in multi.items()}}
    event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    event["isBase64Encoded"] = base64_body
    return event


@st.composite
def lambda_deliveries(draw: Any) -> tuple[str, bool, bool, dict[str, Any]]:
    """``(template, base64 body?, repeated signature header?, payload)`` for a signed Lambda delivery."""
    template = draw(st.sampled_from(sorted(LAMBDA_TEMPLATES)))
    payload = draw(valid_payloads() | near_valid_payloads().filter(lambda p: isinstance(p, dict)))
    return template, draw(st.booleans()), draw(st.booleans()), payload
