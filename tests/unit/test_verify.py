"""Signature verification: published vectors, independent signers, tampering, rotation, the window, header shapes."""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import hashlib
import hmac
import os
import sys
import time
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import standardwebhooks
from hypothesis import assume, example, given
from hypothesis import strategies as st

from openai_webhook_events import (
    InvalidHeaderError,
    InvalidPayloadError,
    MissingHeaderError,
    PayloadTooLargeError,
    ResponseCompletedWebhookEvent,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    Webhook,
    WebhookConfigurationError,
    WebhookVerificationError,
    _verify,
    aws_lambda,
    sign,
    unwrap,
    verify_signature,
)
from tests.strategies import (
    HEADER_SHAPES,
    REPEATING_SHAPES,
    WEBHOOK_HEADERS,
    bodies,
    hmac_signature,
    lambda_event,
    name_casings,
    secret_forms,
    usable_key,
    webhook_ids,
    whsec,
    whsec_keys,
)

# OpenAI's published test vector (the same in openai-python, openai-node, openai-go, ...).
OPENAI_SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
OPENAI_PAYLOAD = (
    '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, '
    '"type": "response.completed", "data": {"id": "resp_123"}}'
)
OPENAI_TIMESTAMP = 1750861210
OPENAI_HEADERS = {
    "webhook-id": "wh_685c059ae39c8190af8c71ed1022a24d",
    "webhook-timestamp": "1750861210",
    "webhook-signature": "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=",
}

# The Standard Webhooks reference libraries' test vector.
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_PAYLOAD = '{"test": 2432232314}'
STANDARD_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}

NOW = 1_750_000_000
KEY = bytes(range(32))
SECRET = whsec(KEY)
BODY = b'{"id": "evt_1", "object": "event", "created_at": 1750000000, "type": "batch.completed", "data": {"id": "b"}}'

timestamps = st.integers(min_value=0, max_value=10**20 - 1)

T = TypeVar("T")


def _late_in_one_clock_second(action: Callable[[], T]) -> tuple[int, T]:
    """*action*'s result and the Unix second it ran in, with the clock at x.5 seconds or later in that second.

    A clock rounded instead of truncated would read the next second, a fractional one more than the whole
    second.  A run that crosses into the next second proves nothing and is tried again.
    """
    for _ in range(10):
        time.sleep(max(0.0, 0.5 - time.time() % 1))
        start = time.time()
        result = action()
        if int(time.time()) == int(start) and start % 1 >= 0.5:
            return int(start), result
    pytest.fail("the clock crossed a second during every try")


def signed(body: bytes = BODY, key: bytes = KEY, webhook_id: str = "wh_1", timestamp: int = NOW) -> dict[str, str]:
    """Headers for *body* signed with the ``hmac`` module, not with the package."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": hmac_signature(key, webhook_id, str(timestamp), body),
    }


# --- Published vectors --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [OPENAI_PAYLOAD, OPENAI_PAYLOAD.encode()], ids=["str", "bytes"])
def test_openai_sdk_test_vector_verifies_at_its_timestamp(payload: str | bytes) -> None:
    verify_signature(payload, OPENAI_HEADERS, OPENAI_SECRET, now=OPENAI_TIMESTAMP)
    Webhook(OPENAI_SECRET).verify(payload, OPENAI_HEADERS, now=OPENAI_TIMESTAMP)
    event = unwrap(payload, OPENAI_HEADERS, OPENAI_SECRET, now=OPENAI_TIMESTAMP)
    assert isinstance(event, ResponseCompletedWebhookEvent)
    assert (event.id, event.data.id) == ("evt_685c059ae3a481909bdc86819b066fb6", "resp_123")


def test_openai_sdk_test_vector_is_rejected_now_and_with_another_secret() -> None:
    with pytest.raises(TimestampOutOfRangeError) as info:
        verify_signature(OPENAI_PAYLOAD, OPENAI_HEADERS, OPENAI_SECRET)
    assert info.value.too_old is True
    with pytest.raises(SignatureMismatchError):
        verify_signature(OPENAI_PAYLOAD, OPENAI_HEADERS, STANDARD_SECRET, now=OPENAI_TIMESTAMP)


def test_standard_webhooks_test_vector_verifies() -> None:
    verify_signature(STANDARD_PAYLOAD, STANDARD_HEADERS, STANDARD_SECRET, now=1614265330)


def test_sign_reproduces_the_published_signatures() -> None:
    assert sign(OPENAI_PAYLOAD, OPENAI_SECRET, webhook_id=OPENAI_HEADERS["webhook-id"], timestamp=OPENAI_TIMESTAMP) == (
        OPENAI_HEADERS
    )
    assert sign(STANDARD_PAYLOAD, STANDARD_SECRET, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330) == (
        STANDARD_HEADERS
    )


# --- Independent signers ------------------------------------------------------------------------


@given(secret_forms(), webhook_ids, timestamps, bodies, st.booleans())
def test_an_hmac_computed_here_verifies(
    form: tuple[str | bytes, bytes], webhook_id: str, timestamp: int, body: bytes, as_text: bool
) -> None:
    secret, key = form
    headers = signed(body, key, webhook_id, timestamp)
    payload: str | bytes = body
    if as_text:
        with contextlib.suppress(UnicodeDecodeError):
            payload = body.decode()
    verify_signature(payload, headers, secret, now=timestamp)
    Webhook(secret).verify(payload, headers, now=timestamp)


@given(whsec_keys, webhook_ids, st.text(st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_standardwebhooks_signatures_verify_and_ours_verify_there(key: bytes, webhook_id: str, text: str) -> None:
    now = int(time.time())
    reference = standardwebhooks.Webhook(key)
    signature = reference.sign(webhook_id, datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc), text)
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(now), "webhook-signature": signature}
    verify_signature(text.encode(), headers, whsec(key), now=now)

    ours = sign(text.encode(), whsec(key, padded=False), webhook_id=webhook_id, timestamp=now)
    assert ours == headers
    reference.verify(text, ours, json_parse=False)  # its own clock: `now` is the current time
    standardwebhooks.Webhook(whsec(key)).verify(text, sign(text, key), json_parse=False)


@given(st.binary(min_size=1, max_size=300).filter(usable_key))
@example(b"k" * 64)
@example(b"k" * 65)
def test_keys_of_any_length_match_the_hmac_module(key: bytes) -> None:
    headers = signed(BODY, key)
    Webhook(key).verify(BODY, headers, now=NOW)
    assert Webhook(key).sign(BODY, webhook_id="wh_1", timestamp=NOW) == headers


def test_a_secret_without_the_prefix_is_its_utf8_bytes_like_the_openai_sdk() -> None:
    secret = "plain secrét"
    verify_signature(BODY, signed(key=secret.encode()), secret, now=NOW)
    # And not its base64 decoding (what standardwebhooks would do).
    with pytest.raises(SignatureMismatchError):
        verify_signature(
            BODY, signed(key=base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")), STANDARD_SECRET[6:], now=NOW
        )


def test_whsec_secrets_with_and_without_padding_are_the_same_key() -> None:
    # 24 to 27 bytes: no padding, "==", "=", none; b"ab\x17" ends in "YWIX": no "=" but a final X.
    for key in (KEY[:24], KEY[:25], KEY[:26], KEY[:27], KEY[:21] + b"ab\x17", KEY):
        headers = signed(key=key)
        for secret in (whsec(key), whsec(key, padded=False)):
            verify_signature(BODY, headers, secret, now=NOW)


# --- Tampering ----------------------------------------------------------------------------------


@given(bodies, st.data())
def test_flipping_any_bit_of_the_body_is_rejected(body: bytes, data: st.DataObject) -> None:
    assume(body)
    headers = signed(body)
    index = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = body[:index] + bytes([body[index] ^ (1 << bit)]) + body[index + 1 :]
    with pytest.raises(SignatureMismatchError):
        verify_signature(tampered, headers, SECRET, now=NOW)


@given(st.sampled_from(WEBHOOK_HEADERS), st.data())
def test_changing_any_character_of_a_header_is_rejected(name: str, data: st.DataObject) -> None:
    headers = signed()
    value = headers[name]
    index = data.draw(st.integers(0, len(value) - 1))
    replacement = data.draw(st.characters(min_codepoint=32, max_codepoint=126).filter(lambda c: c != value[index]))
    headers[name] = value[:index] + replacement + value[index + 1 :]
    with pytest.raises(WebhookVerificationError):
        verify_signature(BODY, headers, SECRET, now=NOW)


@pytest.mark.parametrize("name", WEBHOOK_HEADERS)
def test_a_signature_for_other_headers_or_an_other_body_is_rejected(name: str) -> None:
    headers = signed()
    other = signed(b"{}") if name == "webhook-signature" else signed(webhook_id="wh_2", timestamp=NOW + 1)
    headers[name] = other[name]
    with pytest.raises(SignatureMismatchError):
        verify_signature(BODY, headers, SECRET, now=NOW)


def test_the_body_is_never_decoded_before_signing() -> None:
    body = b"\xff\xfe not UTF-8 \x80"
    verify_signature(body, signed(body), SECRET, now=NOW)
    with pytest.raises(SignatureMismatchError):
        verify_signature(body.decode("latin-1"), signed(body), SECRET, now=NOW)


# --- Rotation -----------------------------------------------------------------------------------


@given(whsec_keys, whsec_keys, st.booleans(), st.booleans(), st.sampled_from(["old", "new", "both"]))
def test_rotation_either_order_either_signature_first(
    old: bytes, new: bytes, secrets_new_first: bool, signature_new_first: bool, signed_with: str
) -> None:
    assume(old != new)
    secrets = [whsec(new), whsec(old)] if secrets_new_first else [whsec(old), whsec(new)]
    entries = {"old": [signed(key=old)["webhook-signature"]], "new": [signed(key=new)["webhook-signature"]]}
    entries["both"] = entries["new"] + entries["old"] if signature_new_first else entries["old"] + entries["new"]
    headers = {**signed(), "webhook-signature": " ".join(entries[signed_with])}
    for given_secrets in (secrets, tuple(secrets)):
        verify_signature(BODY, headers, given_secrets, now=NOW)
        Webhook(given_secrets).verify(BODY, headers, now=NOW)
    if signed_with != "both":
        only = old if signed_with == "new" else new
        with pytest.raises(SignatureMismatchError):
            verify_signature(BODY, headers, [whsec(only)], now=NOW)


def test_sign_uses_the_first_secret() -> None:
    old, new = b"old secret", b"new secret"
    headers = Webhook([new, old]).sign(BODY, webhook_id="wh_1", timestamp=NOW)
    assert headers == signed(key=new)


def test_other_versions_and_malformed_entries_are_skipped() -> None:
    valid = signed()["webhook-signature"]
    noise = ["v1a," + valid[3:], "v2," + valid[3:], "v1," + valid[3:-1], "garbage", "v1,x", "v1,é" + valid[4:]]
    headers = {**signed(), "webhook-signature": " ".join([*noise, valid])}
    verify_signature(BODY, headers, SECRET, now=NOW)
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, {**headers, "webhook-signature": " ".join(noise)}, SECRET, now=NOW)
    assert info.value.header == "webhook-signature"
    wrong = signed(b"other")["webhook-signature"]
    with pytest.raises(SignatureMismatchError):
        verify_signature(BODY, {**headers, "webhook-signature": " ".join([*noise, wrong])}, SECRET, now=NOW)


@pytest.mark.parametrize(("position", "accepted"), [(64, True), (65, False)])
def test_at_most_64_signature_entries_are_examined(position: int, accepted: bool) -> None:
    wrong = signed(b"other")["webhook-signature"]
    entries = [wrong] * (position - 1) + [signed()["webhook-signature"]]
    headers = {**signed(), "webhook-signature": " ".join(entries)}
    if accepted:
        verify_signature(BODY, headers, SECRET, now=NOW)
    else:
        with pytest.raises(SignatureMismatchError):
            verify_signature(BODY, headers, SECRET, now=NOW)


def test_in_a_long_signature_header_the_first_64_entries_count() -> None:
    wrong = signed(b"other")["webhook-signature"]
    valid = signed()["webhook-signature"]
    first = {**signed(), "webhook-signature": " ".join([valid] + [wrong] * 99)}
    verify_signature(BODY, first, SECRET, now=NOW)
    sixty_fifth = {**signed(), "webhook-signature": " ".join([wrong] * 64 + [valid] + [wrong])}
    with pytest.raises(SignatureMismatchError):
        verify_signature(BODY, sixty_fifth, SECRET, now=NOW)


def test_signature_entries_may_be_separated_by_any_whitespace() -> None:
    valid = signed()["webhook-signature"]
    wrong = signed(b"other")["webhook-signature"]
    for separator in (" ", "  ", "\t", " \t "):
        headers = {**signed(), "webhook-signature": f" {wrong}{separator}{valid} "}
        verify_signature(BODY, headers, [b"unrelated", KEY], now=NOW)


# --- The window ---------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=10**6), timestamps)
@example(1, NOW)
@example(300, NOW)
def test_window_boundaries(tolerance: int, timestamp: int) -> None:
    headers = signed(timestamp=timestamp)
    webhook = Webhook(SECRET, tolerance=tolerance)
    for now in (timestamp - tolerance, timestamp, timestamp + tolerance):
        webhook.verify(BODY, headers, now=now)
        verify_signature(BODY, headers, SECRET, tolerance=tolerance, now=now)
    with pytest.raises(TimestampOutOfRangeError) as info:
        webhook.verify(BODY, headers, now=timestamp + tolerance + 1)
    assert info.value.too_old is True
    assert str(info.value) == "webhook-timestamp is too old"
    with pytest.raises(TimestampOutOfRangeError) as info:
        webhook.verify(BODY, headers, now=timestamp - tolerance - 1)
    assert info.value.too_old is False
    assert str(info.value) == "webhook-timestamp is too new"


def test_the_default_window_is_300_seconds_of_the_real_clock_with_its_fraction() -> None:
    def outcome(age: int) -> WebhookVerificationError | None:
        try:
            verify_signature(BODY, signed(timestamp=int(time.time()) - age), SECRET)
        except WebhookVerificationError as exc:
            return exc
        return None

    # At x.5 seconds or later by the clock: 299 whole seconds ago is 299.5 to 300 seconds old, in the window;
    # 300 whole seconds ago is more than 300 seconds old, out of it (a clock floored to whole seconds says 300).
    assert _late_in_one_clock_second(lambda: outcome(299))[1] is None
    _, error = _late_in_one_clock_second(lambda: outcome(300))
    assert isinstance(error, TimestampOutOfRangeError)
    assert error.too_old is True
    assert Webhook(SECRET).tolerance == 300


WINDOW_EDGES = [
    (300, 300.0, True),
    (300, 299.1, True),
    (300, 300.000001, False),
    (300, 300.9, False),
    (300, -300.0, True),
    (300, -300.9, False),
    (1, 1.0, True),
    (1, -0.5, True),
    (1, 1.5, False),
    (300.5, 300.5, True),
    (300.5, 300.6, False),
]


@pytest.mark.parametrize(("tolerance", "age", "accepted"), WINDOW_EDGES)
def test_a_fraction_of_a_second_counts_against_the_tolerance(
    tolerance: float, age: float, accepted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ``now=`` (a float) and through the clock alike: the class, both module functions, the Lambda adapter."""
    headers = signed()
    monkeypatch.setattr(_verify, "_time", lambda: NOW + age)
    webhook = Webhook(SECRET, tolerance=tolerance)
    attempts: list[Callable[[], object]] = [
        lambda: webhook.verify(BODY, headers),
        lambda: webhook.verify(BODY, headers, now=NOW + age),
        lambda: webhook.unwrap(BODY, headers, now=NOW + age),
        lambda: verify_signature(BODY, headers, SECRET, tolerance=tolerance),
        lambda: verify_signature(BODY, headers, SECRET, tolerance=tolerance, now=NOW + age),
        lambda: unwrap(BODY, headers, SECRET, tolerance=tolerance, now=NOW + age),
        lambda: aws_lambda.unwrap(webhook, lambda_event("albEvent.json", BODY, [*headers.items()], base64_body=False)),
    ]
    for attempt in attempts:
        if accepted:
            attempt()
        else:
            with pytest.raises(TimestampOutOfRangeError) as info:
                attempt()
            assert info.value.too_old is (age > 0)


def test_a_nan_clock_is_out_of_the_window() -> None:
    with pytest.raises(TimestampOutOfRangeError):
        verify_signature(BODY, signed(), SECRET, now=float("nan"))


def test_the_window_is_checked_before_the_signature() -> None:
    headers = {**signed(), "webhook-signature": "v1,nope"}
    with pytest.raises(TimestampOutOfRangeError):
        verify_signature(BODY, headers, SECRET, now=NOW + 301)


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        " 1750000000",
        "1750000000 ",
        "+1750000000",
        "-1750000000",
        "1_750_000_000",
        "1750000000.0",
        "1.75e9",
        "0x684ee180",
        "\u0661\u0667\u0665\u0660\u0660\u0660\u0660\u0660\u0660\u0660",  # Arabic-Indic digits: int() takes them
        "\uff11\uff17\uff15\uff10\uff10\uff10\uff10\uff10\uff10\uff10",  # fullwidth digits
        "1750000000²",
        "1" * 21,
    ],
)
def test_timestamps_must_be_1_to_20_ascii_digits(timestamp: str) -> None:
    headers = {**signed(), "webhook-timestamp": timestamp}
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, headers, SECRET, now=NOW)
    assert info.value.header == "webhook-timestamp"
    assert str(info.value) == "invalid header webhook-timestamp: expected Unix seconds as 1 to 20 ASCII digits"


def test_a_20_digit_timestamp_and_leading_zeros_are_read_as_numbers() -> None:
    with pytest.raises(TimestampOutOfRangeError):
        verify_signature(BODY, signed(timestamp=10**20 - 1), SECRET, now=NOW)
    headers = {**signed(), "webhook-timestamp": f"000{NOW}"}
    headers["webhook-signature"] = hmac_signature(KEY, "wh_1", f"000{NOW}", BODY)
    verify_signature(BODY, headers, SECRET, now=NOW)


# --- Headers ------------------------------------------------------------------------------------


def _pairs(headers: dict[str, str]) -> list[tuple[str, str]]:
    return list(headers.items())


@pytest.mark.parametrize("shape", sorted(HEADER_SHAPES))
def test_every_header_shape_verifies(shape: str) -> None:
    build = HEADER_SHAPES[shape]
    extra = [("Content-Type", "application/json"), ("User-Agent", "OpenAI/1.0")]
    for case in (str.lower, str.title, str.upper):
        pairs = extra + [(case(name), value) for name, value in signed().items()]
        verify_signature(BODY, build(pairs), SECRET, now=NOW)
        with pytest.raises(SignatureMismatchError):
            verify_signature(BODY + b" ", build(pairs), SECRET, now=NOW)


@pytest.mark.parametrize("shape", sorted(HEADER_SHAPES))
@pytest.mark.parametrize("missing", WEBHOOK_HEADERS)
def test_every_header_shape_reports_a_missing_header(shape: str, missing: str) -> None:
    pairs = [(name, value) for name, value in signed().items() if name != missing]
    with pytest.raises(MissingHeaderError) as info:
        verify_signature(BODY, HEADER_SHAPES[shape](pairs), SECRET, now=NOW)
    assert info.value.header == missing
    assert str(info.value) == f"missing header {missing}"


@pytest.mark.parametrize("shape", sorted(REPEATING_SHAPES))
def test_repeated_signature_headers_are_joined(shape: str) -> None:
    old = signed(key=b"old")["webhook-signature"]
    new = signed()["webhook-signature"]
    pairs = [(name, value) for name, value in signed().items() if name != "webhook-signature"]
    for entries in ([old, new], [new, old]):
        with_repeats = [*pairs, ("webhook-signature", entries[0]), ("Webhook-Signature", entries[1])]
        verify_signature(BODY, HEADER_SHAPES[shape](with_repeats), SECRET, now=NOW)


@pytest.mark.parametrize("shape", sorted(REPEATING_SHAPES))
@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp"])
def test_a_repeated_id_or_timestamp_must_repeat_the_same_value(shape: str, name: str) -> None:
    headers = signed()
    same = [*_pairs(headers), (name.upper(), headers[name])]
    verify_signature(BODY, HEADER_SHAPES[shape](same), SECRET, now=NOW)
    other = "wh_2" if name == "webhook-id" else str(NOW + 1)
    different = [*_pairs(headers), (name.upper(), other)]
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, HEADER_SHAPES[shape](different), SECRET, now=NOW)
    assert info.value.header == name
    assert str(info.value) == f"invalid header {name}: repeated with different values"


@given(st.data())
def test_header_names_match_in_any_case(data: st.DataObject) -> None:
    headers = {data.draw(name_casings(name)): value for name, value in signed().items()}
    verify_signature(BODY, headers, SECRET, now=NOW)
    verify_signature(BODY, list(headers.items()), SECRET, now=NOW)


def test_a_dict_with_one_name_in_two_cases_must_agree_like_any_other_shape() -> None:
    headers = signed()
    verify_signature(BODY, {**headers, "Webhook-Id": "wh_1"}, SECRET, now=NOW)
    for other in ({**headers, "Webhook-Id": "wh_2"}, {"Webhook-Id": "wh_1", "WEBHOOK-ID": "wh_2", **headers}):
        with pytest.raises(InvalidHeaderError) as info:
            verify_signature(BODY, other, SECRET, now=NOW)
        assert str(info.value) == "invalid header webhook-id: repeated with different values"


def test_header_values_may_be_bytes_and_must_then_be_utf8() -> None:
    headers: dict[str, Any] = {name: value.encode() for name, value in signed().items()}
    verify_signature(BODY, headers, SECRET, now=NOW)
    verify_signature(BODY, {**headers, "webhook-id": bytearray(b"wh_1")}, SECRET, now=NOW)
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, {**headers, "webhook-id": b"\xff"}, SECRET, now=NOW)
    assert (info.value.header, info.value.reason) == ("webhook-id", "not valid UTF-8")


def test_a_non_ascii_webhook_id_is_signed_as_utf8() -> None:
    headers = signed(webhook_id="wh_é€")
    verify_signature(BODY, headers, SECRET, now=NOW)
    verify_signature(BODY, {name: value.encode() for name, value in headers.items()}, SECRET, now=NOW)


@pytest.mark.parametrize("value", [None, 5, 1.5, ["wh_1", 5], object()])
def test_header_values_of_other_types_are_invalid(value: object) -> None:
    headers: list[tuple[str, object]] = [*_pairs(signed()), ("WEBHOOK-ID", value)]
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, headers, SECRET, now=NOW)
    assert info.value.header == "webhook-id"
    wrong = value[-1] if isinstance(value, list) else value
    assert str(info.value) == f"invalid header webhook-id: expected str or bytes, got {type(wrong).__name__}"


def test_a_none_value_in_a_dict_is_an_invalid_header() -> None:
    with pytest.raises(InvalidHeaderError):
        verify_signature(BODY, {**signed(), "webhook-id": None}, SECRET, now=NOW)


def test_names_that_are_not_ascii_text_never_match() -> None:
    kelvin = "webhoo\u212a-id"  # KELVIN SIGN: "\u212a".lower() == "k"
    headers: dict[Any, Any] = {**signed(), kelvin: "wh_2", 7: "x", b"\xff": "y"}
    verify_signature(BODY, headers, SECRET, now=NOW)
    for skipped in (kelvin, 7):  # skipped, and the names after it still read
        verify_signature(BODY, [(skipped, "x"), *signed().items()], SECRET, now=NOW)
    del headers["webhook-id"]
    with pytest.raises(MissingHeaderError):
        verify_signature(BODY, headers, SECRET, now=NOW)


def test_none_headers_are_no_headers() -> None:
    with pytest.raises(MissingHeaderError) as info:
        verify_signature(BODY, None, SECRET, now=NOW)  # type: ignore[arg-type]
    assert info.value.header == "webhook-id"


def test_an_iterable_of_pairs_is_read_as_pairs_even_with_a_get_method() -> None:
    class PairList(list):  # type: ignore[type-arg]
        def get(self, index: object, default: object = None) -> object:  # by position, as a sequence would
            return self[index] if isinstance(index, int) and -len(self) <= index < len(self) else default

    verify_signature(BODY, PairList(_pairs(signed())), SECRET, now=NOW)


def test_an_object_with_only_get() -> None:
    class OnlyGet:
        def __init__(self, values: dict[str, str]) -> None:
            self._values = values

        def get(self, name: str) -> str | None:
            return self._values.get(name)

    verify_signature(BODY, OnlyGet(signed()), SECRET, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(MissingHeaderError):
        verify_signature(BODY, OnlyGet({}), SECRET, now=NOW)  # type: ignore[arg-type]


SHAPE_ERROR = "headers must be a mapping, an object with .items(), or an iterable of (name, value) pairs, not "


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ("webhook-id: x", SHAPE_ERROR + "str"),
        (b"webhook-id: x", SHAPE_ERROR + "bytes"),
        (5, SHAPE_ERROR + "int"),
        ([("webhook-id",)], "headers: expected (name, value) pairs, got a tuple"),
        (["abc"], "headers: expected (name, value) pairs, got a str"),
        ([5], "headers: expected (name, value) pairs, got a int"),
    ],
)
def test_headers_of_no_known_shape_are_a_type_error(headers: object, message: str) -> None:
    with pytest.raises(TypeError) as info:
        verify_signature(BODY, headers, SECRET, now=NOW)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("webhook-id", "", "empty"),
        ("webhook-id", "\ud800", "not encodable as UTF-8 (a lone surrogate)"),
        ("webhook-signature", "", "empty"),
        ("webhook-signature", "  ", "empty"),
        ("webhook-signature", "v1,abc", "no v1,<base64> signature"),
    ],
)
def test_invalid_header_values(name: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidHeaderError) as info:
        verify_signature(BODY, {**signed(), name: value}, SECRET, now=NOW)
    assert (info.value.header, info.value.reason) == (name, reason)
    assert str(info.value) == f"invalid header {name}: {reason}"


# --- Bodies -------------------------------------------------------------------------------------


def test_bodies_may_be_bytes_like_or_text() -> None:
    headers = signed()
    for payload in (BODY, bytearray(BODY), memoryview(BODY), BODY.decode()):
        verify_signature(payload, headers, SECRET, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidPayloadError, match="lone surrogate"):
        verify_signature("\ud800", headers, SECRET, now=NOW)
    with pytest.raises(TypeError, match="payload must be the raw body"):
        verify_signature({"a": 1}, headers, SECRET, now=NOW)  # type: ignore[arg-type]


def test_unusable_bodies_are_reported_with_their_reason() -> None:
    headers = signed()
    for call in (lambda p: verify_signature(p, headers, SECRET, now=NOW), lambda p: sign(p, SECRET)):
        with pytest.raises(InvalidPayloadError) as info:
            call("ok \ud800")
        assert str(info.value) == "body is not encodable as UTF-8 (a lone surrogate)"
        with pytest.raises(TypeError) as type_info:
            call({"a": 1})
        assert str(type_info.value) == "payload must be the raw body as bytes or str, not dict"


def test_a_body_limit_of_0_accepts_only_the_empty_body() -> None:
    webhook = Webhook(SECRET, max_body_bytes=0)
    assert webhook.max_body_bytes == 0
    webhook.verify(b"", signed(b""), now=NOW)
    with pytest.raises(InvalidPayloadError) as info:
        webhook.verify(b" ", signed(b" "), now=NOW)
    assert str(info.value) == "body is larger than 0 bytes"
    verify_signature(b"", signed(b""), SECRET, now=NOW, max_body_bytes=0)


def test_the_body_size_is_checked_before_the_signature() -> None:
    webhook = Webhook(SECRET, max_body_bytes=len(BODY))
    webhook.verify(BODY, signed(), now=NOW)
    longer = BODY + b" "
    with pytest.raises(PayloadTooLargeError) as info:  # an InvalidPayloadError, answered 413
        webhook.verify(longer, {**signed(), "webhook-signature": "v1,wrong"}, now=NOW)
    assert (str(info.value), info.value.limit) == (f"body is larger than {len(BODY)} bytes", len(BODY))
    assert isinstance(info.value, InvalidPayloadError)
    with pytest.raises(PayloadTooLargeError):  # text is measured in UTF-8 bytes
        webhook.verify(BODY.decode()[:-1] + "é", signed(), now=NOW)
    assert webhook.max_body_bytes == len(BODY)


def test_the_default_body_limit_is_1_mib_and_none_lifts_it() -> None:
    big = b" " * (1 << 20)
    verify_signature(big, signed(big), SECRET, now=NOW)
    with pytest.raises(InvalidPayloadError):
        verify_signature(big + b" ", signed(big + b" "), SECRET, now=NOW)
    verify_signature(big + b" ", signed(big + b" "), SECRET, now=NOW, max_body_bytes=None)
    assert Webhook(SECRET, max_body_bytes=None).max_body_bytes is None


# --- Secrets and options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "secret is empty"),
        (b"", "secret is empty"),
        (bytearray(), "secret is empty"),
        ("whsec_", "secret is empty"),
        ("whsec_=", "secret: the part after whsec_ is not valid base64"),
        ("whsec_abcde", "secret: the part after whsec_ is not valid base64"),
        ("whsec_ab=c", "secret: the part after whsec_ is not valid base64"),
        ("whsec_abc===", "secret: the part after whsec_ is not valid base64"),
        ("whsec_ab==c=", "secret: the part after whsec_ is not valid base64"),
        ("whsec_" + "a" * 35, None),  # 26 bytes, unpadded
        (whsec(KEY[:24]), None),
        (
            "whsec_abc",
            "secret looks truncated: the part after whsec_ decodes to 2 bytes, and a signing secret has at "
            "least 24; copy the whole secret",
        ),
        (
            "whsec_AA==",
            "secret looks truncated: the part after whsec_ decodes to 1 byte, and a signing secret has at "
            "least 24; copy the whole secret",
        ),
        (
            whsec(KEY[:23]),
            "secret looks truncated: the part after whsec_ decodes to 23 bytes, and a signing secret "
            "has at least 24; copy the whole secret",
        ),
        (
            [SECRET, whsec(KEY[:12])],
            "secret 1 looks truncated: the part after whsec_ decodes to 12 bytes, and a "
            "signing secret has at least 24; copy the whole secret",
        ),
        ("whsec_ab-_", "secret: the part after whsec_ is not valid base64"),
        ("whsec_ab cd", "secret: the part after whsec_ is not valid base64 (it contains whitespace)"),
        ("whsec_ abcd", "secret: the part after whsec_ is not valid base64 (it contains whitespace)"),
        ("whsec_abcdé", "secret: the part after whsec_ is not valid base64"),
        ("a\ud800", "secret is not encodable as UTF-8"),
        ([], "the list of secrets is empty"),
        ((), "the list of secrets is empty"),
        ([SECRET, ""], "secret 1 is empty"),
        ([SECRET, 5], "secret 1 must be str or bytes, not int"),
        ([SECRET, [SECRET]], "secret 1 must be str or bytes, not list"),
        (5, "secret must be str, bytes or a sequence of them, not int"),
        ({"a": SECRET}, "secret must be str, bytes or a sequence of them, not dict"),
    ],
)
def test_unusable_secrets_fail_at_construction(secret: Any, message: str | None) -> None:
    if message is None:
        Webhook(secret)
        return
    for make in (Webhook, lambda s: sign(BODY, s)):
        with pytest.raises(WebhookConfigurationError) as info:
            make(secret)
        assert str(info.value) == message
        assert isinstance(info.value, ValueError)
        assert info.value.__context__ is None  # not even a chained error holds the secret


UNDER_A_SECOND = "webhook-timestamp is whole seconds, so a delivery is up to a second old when sent"
UNUSABLE_TOLERANCES: list[tuple[Any, str]] = [
    (0, f"tolerance must be at least 1 second, not 0: {UNDER_A_SECOND}"),
    (0.5, f"tolerance must be at least 1 second, not 0.5: {UNDER_A_SECOND}"),
    (0.999, f"tolerance must be at least 1 second, not 0.999: {UNDER_A_SECOND}"),
    (-1, f"tolerance must be at least 1 second, not -1: {UNDER_A_SECOND}"),
    (-0.5, f"tolerance must be at least 1 second, not -0.5: {UNDER_A_SECOND}"),
    (float("-inf"), f"tolerance must be at least 1 second, not -inf: {UNDER_A_SECOND}"),
    (-(10**200), f"tolerance must be at least 1 second, not -1{'0' * 25}...: {UNDER_A_SECOND}"),  # cut to 30
    (float("nan"), "tolerance must be a finite number of seconds, not nan"),
    (float("inf"), "tolerance must be a finite number of seconds, not inf"),
    (True, "tolerance must be a finite number of seconds, not True"),
    ("300", "tolerance must be a finite number of seconds, not '300'"),
    (None, "tolerance must be a finite number of seconds, not None"),
]


@pytest.mark.parametrize(("tolerance", "message"), UNUSABLE_TOLERANCES)
def test_unusable_tolerances(tolerance: Any, message: str) -> None:
    for make in (
        lambda: Webhook(SECRET, tolerance=tolerance),
        lambda: verify_signature(BODY, signed(), SECRET, tolerance=tolerance, now=NOW),
        lambda: unwrap(BODY, signed(), SECRET, tolerance=tolerance, now=NOW),
    ):
        with pytest.raises(WebhookConfigurationError) as info:
            make()
        assert str(info.value) == message


@pytest.mark.parametrize("max_body_bytes", [-1, 1.5, True, "1"])
def test_unusable_body_limits(max_body_bytes: Any) -> None:
    with pytest.raises(WebhookConfigurationError, match="max_body_bytes"):
        Webhook(SECRET, max_body_bytes=max_body_bytes)


def test_tolerances_of_one_second_or_more_may_be_floats_or_huge_ints() -> None:
    for tolerance in (1, 1.0, 1.5, 10**400):
        webhook = Webhook(SECRET, tolerance=tolerance)
        assert webhook.tolerance == tolerance
        webhook.verify(BODY, signed(), now=NOW + min(tolerance, 10**6))


def test_the_secret_comes_from_the_environment_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)
    with pytest.raises(WebhookConfigurationError) as info:
        Webhook()
    assert str(info.value) == "no secret given and the environment variable OPENAI_WEBHOOK_SECRET is not set"
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "")
    with pytest.raises(WebhookConfigurationError, match="OPENAI_WEBHOOK_SECRET is empty"):
        Webhook()
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_not base64")
    with pytest.raises(WebhookConfigurationError) as info:
        Webhook()
    assert (
        str(info.value) == "OPENAI_WEBHOOK_SECRET: the part after whsec_ is not valid base64 (it contains whitespace)"
    )
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    Webhook().verify(BODY, signed(), now=NOW)
    verify_signature(BODY, signed(), None, now=NOW)  # type: ignore[arg-type]


def test_repr_shows_no_secret() -> None:
    assert repr(Webhook(SECRET)) == "Webhook(<1 secret>, tolerance=300, max_body_bytes=1048576)"
    assert repr(Webhook([SECRET, "other"], tolerance=5, max_body_bytes=None)) == (
        "Webhook(<2 secrets>, tolerance=5, max_body_bytes=None)"
    )


class _Prepared:
    """The :class:`Webhook` objects made while it is installed (weakly: whether they are still alive)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made: list[weakref.ref[Webhook]] = []
        init = Webhook.__init__

        def counted(webhook: Webhook, *args: Any, **kwargs: Any) -> None:
            init(webhook, *args, **kwargs)
            self.made.append(weakref.ref(webhook))

        monkeypatch.setattr(Webhook, "__init__", counted)

    def by(self, call: Callable[[], object]) -> int:
        """How many :class:`Webhook` objects *call* makes."""
        before = len(self.made)
        call()
        return len(self.made) - before

    def alive(self) -> list[Webhook]:
        return [webhook for ref in self.made if (webhook := ref()) is not None]


def _fresh_key() -> bytes:
    """A key no earlier call has used, so no earlier call prepared it."""
    return os.urandom(32)


def test_functions_prepare_a_str_or_bytes_secret_once_and_other_secrets_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepared = _Prepared(monkeypatch)
    key = _fresh_key()
    secret = whsec(key)
    headers = signed(key=key)

    def check(secret: Any, tolerance: Any = 300, max_body_bytes: Any = 1 << 20, now: int = NOW) -> None:
        verify_signature(BODY, headers, secret, tolerance=tolerance, max_body_bytes=max_body_bytes, now=now)

    assert [prepared.by(lambda: check(secret)) for _ in range(3)] == [1, 0, 0]
    assert prepared.by(lambda: check(secret, tolerance=301, now=NOW + 301)) == 1
    with pytest.raises(TimestampOutOfRangeError):  # each window is its own
        check(secret, now=NOW + 301)
    assert prepared.by(lambda: check(secret, tolerance=301, now=NOW + 301)) == 0
    assert [prepared.by(lambda: check(key, max_body_bytes=None)) for _ in range(2)] == [1, 0]
    plain = f"plain {_fresh_key().hex()}"
    plain_headers = signed(key=plain.encode())
    for form in (plain, plain.encode()):  # the same key, each of its own type
        assert prepared.by(functools.partial(verify_signature, BODY, plain_headers, form, now=NOW)) == 1
    rotations: list[Any] = [[secret], (secret,), (secret, bytearray(key))]
    for rotation in rotations:
        assert [prepared.by(functools.partial(check, rotation)) for _ in range(2)] == [1, 1]
    for n in range(40):  # the kept ones stay few
        sign(BODY, f"secret {n} {_fresh_key().hex()}")
        assert len(prepared.alive()) <= 16


def test_functions_read_a_list_of_secrets_or_a_bytearray_anew_on_every_call() -> None:
    key, other = _fresh_key(), _fresh_key()
    rotation: list[str | bytes] = [whsec(key)]
    verify_signature(BODY, signed(key=key), rotation, now=NOW)
    rotation[0] = whsec(other)
    with pytest.raises(SignatureMismatchError):
        verify_signature(BODY, signed(key=key), rotation, now=NOW)
    verify_signature(BODY, signed(key=other), rotation, now=NOW)
    changing = bytearray(key)
    verify_signature(BODY, signed(key=key), (b"unused", changing), now=NOW)  # type: ignore[arg-type]
    changing[:] = other
    verify_signature(BODY, signed(key=other), (b"unused", changing), now=NOW)  # type: ignore[arg-type]


def _held_by_the_package() -> Iterator[object]:
    """Every object the package's modules hold: their globals and what those contain, down to the leaves."""
    package = "openai_webhook_events"
    stack: list[object] = [vars(m) for name, m in sys.modules.items() if name.partition(".")[0] == package]
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if id(value) in seen or isinstance(value, types.ModuleType):  # a module is reached through its own vars
            continue
        seen.add(id(value))
        yield value
        if isinstance(value, (dict, types.MappingProxyType)):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack += value
        elif isinstance(value, types.FunctionType):
            stack += [*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values()]
            stack += [cell.cell_contents for cell in value.__closure__ or () if cell.cell_contents is not None]
        elif isinstance(value, type):
            if value.__module__.partition(".")[0] == package:
                stack.append(vars(value))
        else:
            stack += [vars(value)] if hasattr(value, "__dict__") else []
            slots = [slot for cls in type(value).__mro__ for slot in getattr(cls, "__slots__", ())]
            stack += [getattr(value, slot) for slot in slots if slot != "__weakref__" and hasattr(value, slot)]


def test_the_functions_keep_no_secret_in_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = _Prepared(monkeypatch)
    key, text_key = _fresh_key(), _fresh_key()
    secret = whsec(key)
    verify_signature(BODY, signed(key=key), secret, now=NOW, max_body_bytes=None)
    unwrap(BODY, signed(key=text_key), text_key, now=NOW)
    sign(BODY, secret)
    kept = prepared.alive()
    held = list(_held_by_the_package())
    assert len(kept) == 3
    assert all(any(value is webhook for value in held) for webhook in kept), "the walk reaches the kept ones"
    texts = (secret, secret[6:], secret[6:].rstrip("="), key.hex(), repr(key), text_key.hex(), repr(text_key))
    for value in held:
        if isinstance(value, str):
            assert not any(text in value for text in texts)
        elif isinstance(value, (bytes, bytearray)):
            assert not any(material in value for material in (key, text_key, secret.encode()))


def test_only_arguments_of_the_exact_types_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    class Seconds(int):  # equal to an int, so it would collide with that int's entry
        pass

    class Text(str):
        pass

    prepared = _Prepared(monkeypatch)
    key = _fresh_key()
    secret = whsec(key)
    headers = signed(key=key)
    uncacheable: list[tuple[Any, Any, Any]] = [
        ([secret], 300, None),
        (Text(secret), 300, None),
        (secret, Seconds(300), None),
        (secret, 300, Seconds(1 << 20)),
    ]
    for secrets, tolerance, max_body_bytes in uncacheable:
        for _ in range(2):
            verify_signature(BODY, headers, secrets, tolerance=tolerance, max_body_bytes=max_body_bytes, now=NOW)
        assert (len(prepared.made), prepared.alive()) == (2, []), "made each time, kept by nothing"
        prepared.made.clear()
    assert prepared.by(lambda: verify_signature(BODY, headers, secret, now=NOW)) == 1
    [webhook] = prepared.alive()
    assert webhook.max_body_bytes.__class__ is int


# --- sign ---------------------------------------------------------------------------------------


def test_sign_defaults_to_a_random_id_and_the_current_time_in_whole_seconds() -> None:
    now, (first, second) = _late_in_one_clock_second(lambda: (sign(BODY, SECRET), sign(BODY.decode(), SECRET)))
    assert first["webhook-timestamp"] == second["webhook-timestamp"] == str(now)
    assert first["webhook-id"] != second["webhook-id"]
    for headers in (first, second):
        assert headers["webhook-id"].startswith("wh_")
        assert len(headers["webhook-id"]) == 3 + 32
        verify_signature(BODY, headers, SECRET)


@pytest.mark.parametrize(
    ("webhook_id", "timestamp", "match"),
    [
        ("", None, "webhook_id"),
        ("a b\n", None, "webhook_id"),
        ("wh_1,wh_2", None, "webhook_id"),  # would read as a repeated header
        (5, None, "webhook_id"),
        ("\ud800", None, "webhook_id"),
        ("wh", -1, "timestamp"),
        ("wh", 10**20, "timestamp"),
        ("wh", True, "timestamp"),
        ("wh", "1750000000", "timestamp"),
        ("wh", 1.5, "timestamp"),
    ],
)
def test_sign_rejects_unusable_ids_and_timestamps(webhook_id: Any, timestamp: Any, match: str) -> None:
    with pytest.raises(WebhookConfigurationError, match=match):
        sign(BODY, SECRET, webhook_id=webhook_id, timestamp=timestamp)


def test_sign_accepts_timestamp_0_and_names_the_rule_for_a_bad_id_or_timestamp() -> None:
    headers = sign(BODY, SECRET, webhook_id="wh_epoch", timestamp=0)
    assert headers == signed(webhook_id="wh_epoch", timestamp=0)
    verify_signature(BODY, headers, SECRET, now=0)
    with pytest.raises(WebhookConfigurationError) as info:
        sign(BODY, SECRET, webhook_id="")
    assert str(info.value) == "webhook_id must be a non-empty printable str without commas"
    with pytest.raises(WebhookConfigurationError) as info:
        sign(BODY, SECRET, webhook_id="wh", timestamp=-1)
    assert str(info.value) == "timestamp must be an int of Unix seconds >= 0, not -1"


def test_sign_rejects_bodies_that_are_not_bytes_or_text() -> None:
    with pytest.raises(TypeError):
        sign(5, SECRET)  # type: ignore[arg-type]
    with pytest.raises(InvalidPayloadError):
        sign("\udfff", SECRET)


def test_hmac_signature_helper_is_independent() -> None:
    # The helper the tests trust must itself agree with a from-scratch HMAC.
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in KEY.ljust(64, b"\0")) + b"wh_1.1.x").digest()
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in KEY.ljust(64, b"\0")) + inner).digest()
    assert hmac_signature(KEY, "wh_1", "1", b"x") == "v1," + base64.b64encode(outer).decode()
    assert hmac.compare_digest(outer, hmac.new(KEY, b"wh_1.1.x", "sha256").digest())


def test_messages_built_from_request_data_or_options_are_one_line_and_short() -> None:
    odd = type("Line\nBreak\u2028" + "x" * 500, (), {})  # a class name no identifier can be
    attempts: list[Any] = [
        lambda: verify_signature(BODY, [*_pairs(signed()), ("webhook-id", odd())], SECRET, now=NOW),
        lambda: verify_signature(BODY, [odd()], SECRET, now=NOW),
        lambda: verify_signature(BODY, odd(), SECRET, now=NOW),
        lambda: Webhook(SECRET, tolerance="300\n" * 1000),  # type: ignore[arg-type]
        lambda: Webhook(SECRET, tolerance=-(10**5000)),  # its repr is refused: more digits than int's limit
        lambda: Webhook(SECRET, tolerance=-(10**200)),
        lambda: Webhook(SECRET, max_body_bytes="\u2028" * 1000),  # type: ignore[arg-type]
        lambda: sign(BODY, SECRET, timestamp="1\r\n" * 1000),  # type: ignore[arg-type]
        lambda: verify_signature(BODY, {**signed(), "webhook-id": "wh_1\n" * 1000}, SECRET, now=NOW),
        lambda: verify_signature(BODY, {**signed(), "webhook-signature": "v1,\u2028" * 1000}, SECRET, now=NOW),
    ]
    for attempt in attempts:
        with pytest.raises((WebhookConfigurationError, WebhookVerificationError, TypeError)) as info:
            attempt()
        message = str(info.value)
        assert message.isprintable(), message
        assert len(message) <= 160, message


@pytest.mark.parametrize(("max_body_bytes", "shown"), [(-1, "-1"), (1.5, "1.5"), (True, "True"), ("1", "'1'")])
def test_an_unusable_body_limit_is_named_in_the_error(max_body_bytes: Any, shown: str) -> None:
    with pytest.raises(WebhookConfigurationError) as caught:
        Webhook(SECRET, max_body_bytes=max_body_bytes)
    assert str(caught.value) == f"max_body_bytes must be an int >= 0 or None, not {shown}"
