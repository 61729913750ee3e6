"""``unwrap`` and ``load_payload``: nothing is decoded before the signature holds, and bodies are decoded strictly."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    InvalidEventError,
    InvalidPayloadError,
    PayloadTooLargeError,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    UnknownEventTypeError,
    UnknownWebhookEvent,
    Webhook,
    WebhookConfigurationError,
    parse_event,
    sign,
    unwrap,
)
from openai_webhook_events._json import load_payload
from tests.strategies import EVENT_TYPE_NAMES, json_values, near_valid_payloads, valid_payloads, whsec

NOW = 1_750_000_000
SECRET = whsec(b"unwrap test key, 32 bytes long!!")
WEBHOOK = Webhook(SECRET)


def signed(body: bytes | str) -> dict[str, str]:
    return sign(body, SECRET, webhook_id="wh_unwrap", timestamp=NOW)


@given(valid_payloads(), st.booleans())
def test_valid_deliveries_unwrap_to_the_parsed_event(payload: dict[str, Any], as_text: bool) -> None:
    text = json.dumps(payload)
    body: bytes | str = text if as_text else text.encode()
    event = unwrap(body, signed(body), SECRET, now=NOW)
    assert event == parse_event(payload)
    assert WEBHOOK.unwrap(body, signed(body), now=NOW) == event


def test_unwrap_defaults_to_a_300_second_window_and_applies_the_body_limit() -> None:
    body = json.dumps({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {}}).encode()
    assert unwrap(body, signed(body), SECRET, now=NOW + 300).id == "evt_1"
    assert unwrap(body, signed(body), SECRET, now=NOW - 300).id == "evt_1"
    with pytest.raises(TimestampOutOfRangeError):
        unwrap(body, signed(body), SECRET, now=NOW + 301)
    assert unwrap(body, signed(body), SECRET, now=NOW, max_body_bytes=len(body)).id == "evt_1"
    with pytest.raises(PayloadTooLargeError) as info:
        unwrap(body, signed(body), SECRET, now=NOW, max_body_bytes=len(body) - 1)
    assert str(info.value) == f"body is larger than {len(body) - 1} bytes"


def test_unknown_event_types_are_kept_or_raised() -> None:
    body = json.dumps({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {"x": [1, 2]}})
    assert isinstance(unwrap(body, signed(body), SECRET, now=NOW), UnknownWebhookEvent)
    with pytest.raises(UnknownEventTypeError):
        unwrap(body, signed(body), SECRET, now=NOW, unknown="raise")
    with pytest.raises(WebhookConfigurationError):
        WEBHOOK.unwrap(body, signed(body), now=NOW, unknown="drop")  # type: ignore[arg-type]


def test_nothing_is_decoded_before_the_signature_holds() -> None:
    for body in (b"\xff not even UTF-8", b"[1, 2]", b"{"):
        with pytest.raises(SignatureMismatchError):
            unwrap(body, {**signed(body), "webhook-signature": signed(b"other")["webhook-signature"]}, SECRET, now=NOW)


DEEP = b"[" * 100_000 + b"]" * 100_000
MALFORMED: list[tuple[bytes, str]] = [
    (b"", "body is not valid JSON (expecting value at char 0)"),
    (b"   ", "body is not valid JSON (expecting value at char 3)"),
    (b"\xff{}", "body is not valid UTF-8 (at byte 0)"),
    (b'{"a": "\xed\xa0\x80"}', "body is not valid UTF-8 (at byte 7)"),  # an encoded surrogate
    (b"\xef\xbb\xbf{}", "body is not valid JSON (expecting value at char 0)"),  # a BOM
    ('{"a": 1}'.encode("utf-16"), "body is not valid UTF-8 (at byte 0)"),
    (b'{"a": NaN}', "body is not valid JSON (NaN is not a JSON number)"),
    (b'{"a": Infinity}', "body is not valid JSON (Infinity is not a JSON number)"),
    (b'{"a": [-Infinity]}', "body is not valid JSON (-Infinity is not a JSON number)"),
    (b'{"a": 1e400}', "body is not valid JSON (a number too large for a float)"),
    (b'{"a": -1.5e309}', "body is not valid JSON (a number too large for a float)"),
    (b'{"a": ' + b"1" * 5000 + b"}", "body is not valid JSON (an integer has too many digits)"),
    (DEEP, "body is nested deeper than 208 levels"),
    (b'{"a": 1} x', "body is not valid JSON (extra data at char 9)"),
    (b'{"a": 1}{}', "body is not valid JSON (extra data at char 8)"),
    (b'{"a": 1}\x0c', "body is not valid JSON (extra data at char 8)"),  # whitespace, but not JSON's
    ('{"a": 1} \u00a0'.encode(), "body is not valid JSON (extra data at char 9)"),
    (b'{"a": [1,]}', "body is not valid JSON (* at char [89])"),  # reason and place vary with the Python version
    (b'{"a" 1}', "body is not valid JSON (expecting ':' delimiter at char 5)"),
    (b"{'a': 1}", "body is not valid JSON (expecting property name enclosed in double quotes at char 1)"),
    (b'{"a": "\x01"}', "body is not valid JSON (invalid control character at char 7)"),
    (b'{"a": "x', "body is not valid JSON (unterminated string starting at char 6)"),
    (b"[]", "body is not a JSON object"),
    (b'"text"', "body is not a JSON object"),
    (b"1", "body is not a JSON object"),
    (b"null", "body is not a JSON object"),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_bodies(body: bytes, message: str) -> None:
    for decode in (load_payload, lambda body: unwrap(body, signed(body), SECRET, now=NOW)):
        with pytest.raises(InvalidPayloadError) as info:
            decode(body)
        assert fnmatch.fnmatchcase(str(info.value), message), str(info.value)
        assert type(info.value) is InvalidPayloadError
        assert info.value.__cause__ is None


def test_json_whitespace_around_the_object_and_text_bodies() -> None:
    assert load_payload(b' \t\r\n{"a": [1.5, -2, "\\u00e9", null, true]} \n') == {"a": [1.5, -2, "é", None, True]}
    assert load_payload('{"a": "é"}') == {"a": "é"}
    assert load_payload(bytearray(b"{}")) == {}
    assert load_payload(memoryview(b"{}")) == {}
    with pytest.raises(InvalidPayloadError):
        load_payload("\u00a0{}")  # not JSON whitespace


def test_the_integer_limit_is_the_interpreters() -> None:
    limit = sys.get_int_max_str_digits()
    assert load_payload(b'{"a": ' + b"9" * limit + b"}")["a"] > 0
    with pytest.raises(InvalidPayloadError, match="too many digits"):
        load_payload(b'{"a": ' + b"9" * (limit + 1) + b"}")


# Bodies a sender could sign: any bytes, any text, any JSON value, nearly valid events.
any_bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=100).map(lambda s: s.encode("utf-8", "surrogatepass")),
    json_values().map(lambda v: json.dumps(v).encode()),
    near_valid_payloads().map(lambda v: json.dumps(v).encode()),
    valid_payloads().map(lambda v: json.dumps(v).encode()),
    st.sampled_from([body for body, _ in MALFORMED if body is not DEEP]),
)


@given(any_bodies, st.sampled_from(["keep", "raise"]))
def test_signed_bodies_unwrap_or_raise_only_invalid_payload(body: bytes, unknown: Any) -> None:
    try:
        event = unwrap(body, signed(body), SECRET, now=NOW, unknown=unknown)
    except InvalidPayloadError as exc:  # InvalidEventError and UnknownEventTypeError are InvalidPayloadErrors
        assert "\n" not in str(exc)
        if isinstance(exc, InvalidEventError):
            assert str(exc).startswith(exc.path) if exc.path else True
    else:
        assert event == parse_event(json.loads(body), unknown=unknown)


@given(st.text(max_size=100))
def test_text_bodies_unwrap_or_raise_only_invalid_payload(text: str) -> None:
    try:
        headers = signed(text)
    except InvalidPayloadError:  # a lone surrogate: no UTF-8 body can hold it
        return
    with contextlib.suppress(InvalidPayloadError):
        unwrap(text, headers, SECRET, now=NOW)


@given(st.sampled_from(EVENT_TYPE_NAMES).flatmap(valid_payloads))
def test_a_json_null_data_or_a_wrong_type_is_an_invalid_event(payload: dict[str, Any]) -> None:
    payload = {**payload, "data": None}
    body = json.dumps(payload).encode()
    with pytest.raises(InvalidEventError) as info:
        unwrap(body, signed(body), SECRET, now=NOW)
    assert info.value.path.startswith("data")
