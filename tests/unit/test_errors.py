"""The package's errors: rebuilt intact by pickle and copy, messages one line and bounded, paths exact."""

from __future__ import annotations

import copy
import json
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    InvalidEventError,
    InvalidHeaderError,
    InvalidPayloadError,
    MissingHeaderError,
    PayloadTooLargeError,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    UnknownEventTypeError,
    WebhookConfigurationError,
    WebhookError,
    WebhookVerificationError,
    _errors,
    parse_event,
)
from openai_webhook_events._errors import MESSAGE_LIMIT, PATH_LIMIT, publish, shorten
from tests import pool_workers
from tests.strategies import hostile_text, rejected_values_in_place

# One instance of each error class, as the package raises it, and its message.
SAMPLES: list[tuple[WebhookError, str]] = [
    (WebhookError("something failed"), "something failed"),
    (WebhookConfigurationError("the list of secrets is empty"), "the list of secrets is empty"),
    (InvalidPayloadError("body is not a JSON object"), "body is not a JSON object"),
    (PayloadTooLargeError(1048576), "body is larger than 1048576 bytes"),
    (
        InvalidEventError("data.sip_headers[2].value", "expected string, got integer"),
        "data.sip_headers[2].value: expected string, got integer",
    ),
    (InvalidEventError("", "expected object, got array"), "expected object, got array"),
    (UnknownEventTypeError("brand.new"), "type: unknown event type 'brand.new'"),
    (WebhookVerificationError("not trusted"), "not trusted"),
    (MissingHeaderError("webhook-id"), "missing header webhook-id"),
    (InvalidHeaderError("webhook-signature", "empty"), "invalid header webhook-signature: empty"),
    (TimestampOutOfRangeError(True), "webhook-timestamp is too old"),
    (TimestampOutOfRangeError(False), "webhook-timestamp is too new"),
    (SignatureMismatchError(), "no matching signature"),
]
# The same classes given hostile values: line breaks, huge keys, quotes.
HOSTILE: list[WebhookError] = [
    WebhookError("line one\nCRITICAL forged line"),
    InvalidEventError('data["a\\nb"]' + "[0]" * 2_000, "expected a JSON value, got set"),
    InvalidEventError("data.x", "reason\r\nwith\u2028breaks" * 100),
    UnknownEventTypeError("brand.new\n" * 1_000),
    InvalidHeaderError("webhook-id\n", "x" * 10_000),
    MissingHeaderError("webhook-\u2029id"),
]
ALL = [error for error, _ in SAMPLES] + HOSTILE


def _ids(errors: list[WebhookError]) -> list[str]:
    return [f"{type(error).__name__}-{index}" for index, error in enumerate(errors)]


def _assert_same_error(copied: BaseException, original: WebhookError) -> None:
    assert type(copied) is type(original)
    assert str(copied) == str(original)
    assert copied.args == original.args
    assert vars(copied) == vars(original)  # path, reason, header, too_old, event_type...


def test_every_error_class_of_the_package_has_a_sample() -> None:
    classes = {
        name for name, value in vars(_errors).items() if isinstance(value, type) and issubclass(value, WebhookError)
    }
    assert {type(error).__name__ for error, _ in SAMPLES} == classes


@pytest.mark.parametrize(("error", "message"), SAMPLES, ids=_ids([e for e, _ in SAMPLES]))
def test_each_error_has_its_message_and_its_constructor_arguments_as_args(error: WebhookError, message: str) -> None:
    assert str(error) == message
    assert type(error)(*error.args).args == error.args
    assert str(type(error)(*error.args)) == message  # args rebuild the same error


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("error", ALL, ids=_ids(ALL))
def test_every_error_survives_pickle_with_every_protocol(error: WebhookError, protocol: int) -> None:
    _assert_same_error(pickle.loads(pickle.dumps(error, protocol)), error)


@pytest.mark.parametrize("error", ALL, ids=_ids(ALL))
def test_every_error_survives_copy_and_deepcopy(error: WebhookError) -> None:
    _assert_same_error(copy.copy(error), error)
    _assert_same_error(copy.deepcopy(error), error)


def test_attributes_survive_pickle() -> None:
    error = pickle.loads(pickle.dumps(UnknownEventTypeError("brand.new")))
    assert (error.event_type, error.path, error.reason) == ("brand.new", "type", "unknown event type 'brand.new'")
    header = pickle.loads(pickle.dumps(InvalidHeaderError("webhook-id", "empty")))
    assert (header.header, header.reason) == ("webhook-id", "empty")
    assert pickle.loads(pickle.dumps(TimestampOutOfRangeError(False))).too_old is False
    assert pickle.loads(pickle.dumps(MissingHeaderError("webhook-id"))).header == "webhook-id"
    assert pickle.loads(pickle.dumps(PayloadTooLargeError(10))).limit == 10


def _assert_one_bounded_line(message: str) -> None:
    assert message.isprintable(), message  # no line break, separator or control character
    assert len(message.splitlines()) <= 1
    assert len(message) <= MESSAGE_LIMIT


@pytest.mark.parametrize("error", HOSTILE, ids=_ids(HOSTILE))
def test_a_hostile_value_gives_a_one_line_bounded_message(error: WebhookError) -> None:
    _assert_one_bounded_line(str(error))


@given(hostile_text, hostile_text, st.booleans())
def test_any_text_in_any_error_gives_a_one_line_bounded_message(first: str, second: str, flag: bool) -> None:
    for error in (
        WebhookError(first),
        WebhookConfigurationError(first),
        InvalidPayloadError(first),
        InvalidEventError(first, second),
        UnknownEventTypeError(first),
        WebhookVerificationError(first),
        MissingHeaderError(first),
        InvalidHeaderError(first, second),
        TimestampOutOfRangeError(flag),
    ):
        _assert_one_bounded_line(str(error))


def test_control_characters_and_line_separators_are_escaped_as_repr_does() -> None:
    error = WebhookError("a\nb\rc\x85d\u2028e\u2029f\x00g\x1bh\ti")
    assert str(error) == "a\\nb\\rc\\x85d\\u2028e\\u2029f\\x00g\\x1bh\\ti"


def test_a_long_message_is_cut_to_the_limit_with_dots() -> None:
    message = str(WebhookError("x" * 10_000))
    assert message == "x" * (MESSAGE_LIMIT - 3) + "..."


def test_a_long_path_shows_its_start_and_its_end_and_the_whole_reason() -> None:
    path = "data.start" + "[0]" * 1_000 + ".the_end"
    error = InvalidEventError(path, "expected string, got integer")
    shown, reason = str(error).split(": ")
    assert (shown[:10], shown[-8:], reason) == ("data.start", ".the_end", "expected string, got integer")
    assert "..." in shown
    assert len(shown) == PATH_LIMIT
    assert error.path == path  # the attribute keeps the whole location


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("short", "'short'"),
        ("a\nb", "'a\\nb'"),
        ("t" * 100_000, "'" + "t" * 56 + "..."),
        (b"x" * 100_000, "b'" + "x" * 55 + "..."),
        (5, "5"),
    ],
)
def test_shorten_gives_a_repr_on_one_line_cut_to_60_characters(value: object, shown: str) -> None:
    assert shorten(value) == shown


class _HostileRepr:
    def __repr__(self) -> str:
        return "first line\nsecond line"


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_shorten_keeps_a_multiline_repr_on_one_line_and_survives_a_failing_repr() -> None:
    assert shorten(_HostileRepr()) == "first line\\nsecond line"
    assert shorten(_BrokenRepr()) == "<_BrokenRepr object>"


# --- Paths -------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"\[(0|[1-9][0-9]*)\]")


def parse_path(path: str) -> list[str | int]:
    """The keys and indexes *path* names, read by the syntax InvalidEventError documents."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        if path.startswith('["', position):
            key, position = json.JSONDecoder().raw_decode(path, position + 1)
            assert path[position] == "]", path
            steps.append(key)
            position += 1
        elif index := _INDEX.match(path, position):
            steps.append(int(index.group(1)))
            position = index.end()
        else:
            if steps:
                assert path[position] == ".", path
                position += 1
            name = _IDENTIFIER.match(path, position)
            assert name, path
            steps.append(name.group())
            position = name.end()
    return steps


def _unknown_event(data: Any) -> dict[str, Any]:
    return {"id": "evt_1", "created_at": 1, "type": "brand.new", "data": data}


def _rejected(payload: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as info:
        parse_event(payload)
    return info.value


@given(rejected_values_in_place())
def test_the_path_names_the_exact_location_whatever_the_keys(case: tuple[Any, list[str | int]]) -> None:
    data, steps = case
    error = _rejected(_unknown_event(data))
    assert parse_path(error.path) == ["data", *steps]
    assert error.path.isprintable()
    assert error.reason in {"expected a JSON value, got set", "expected string keys, got integer"}
    _assert_one_bounded_line(str(error))


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"a.b": [0, 1, 2, {1}]}, 'data["a.b"][3]'),
        ({"x[0]": {1}}, 'data["x[0]"]'),
        ({'say "hi"': {1}}, 'data["say \\"hi\\""]'),
        ({"back\\slash": {1}}, 'data["back\\\\slash"]'),
        ({"": {1}}, 'data[""]'),
        ({"0": {1}}, 'data["0"]'),
        ([{1}], "data[0]"),
        ({"has space": {1}}, 'data["has space"]'),
        ({"line\nbreak\u2028": {1}}, 'data["line\\nbreak\\u2028"]'),
        ({"caf\u00e9": {1}}, 'data["caf\u00e9"]'),
        ({"sip_headers": [0, 1, {"value": {1}}]}, "data.sip_headers[2].value"),
    ],
)
def test_keys_that_are_not_identifiers_are_quoted_in_the_path(data: Any, path: str) -> None:
    error = _rejected(_unknown_event(data))
    assert error.path == path
    assert str(error) == f"{path}: expected a JSON value, got set"


@pytest.mark.parametrize(
    ("key", "spelled"),
    [
        ("\b\f\r\t", "\\b\\f\\r\\t"),
        ("\x00\x1f\x7f", "\\u0000\\u001f\\u007f"),
        ("\ud800", "\\ud800"),  # a lone surrogate, as JSON spells it
        ("\uffff", "\\uffff"),  # the last code point spelled by one escape
        ("\U000e0000", "\\udb40\\udc00"),  # beyond the BMP: a surrogate pair (unassigned: not printable)
        ("\U0001ffff", "\\ud83f\\udfff"),
        ("\U000e0001", "\\udb40\\udc01"),  # a language tag (a format character)
        ("\U0010ffff", "\\udbff\\udfff"),  # the last code point
    ],
)
def test_unprintable_characters_of_a_key_are_spelled_as_json_escapes_in_the_path(key: str, spelled: str) -> None:
    error = _rejected(_unknown_event({key: {1}}))
    assert error.path == f'data["{spelled}"]'
    assert json.loads(error.path[5:-1]) == key


def test_an_unknown_event_type_is_shown_on_one_line() -> None:
    with pytest.raises(UnknownEventTypeError) as info:
        parse_event(_unknown_event({}) | {"type": "brand.new\nCRITICAL forged"}, unknown="raise")
    assert str(info.value) == "type: unknown event type 'brand.new\\nCRITICAL forged'"
    assert info.value.event_type == "brand.new\nCRITICAL forged"


def test_every_error_crosses_a_process_pool_intact(process_pool: ProcessPoolExecutor) -> None:
    for error in ALL:
        with pytest.raises(type(error)) as info:
            process_pool.submit(pool_workers.raise_error, error).result()
        _assert_same_error(info.value, error)
    assert process_pool.submit(pool_workers.echo, "still working").result() == "still working"


@pytest.mark.parametrize("length", [PATH_LIMIT - 1, PATH_LIMIT, PATH_LIMIT + 1, PATH_LIMIT + 30, 3 * PATH_LIMIT])
def test_a_path_up_to_the_limit_is_shown_whole_and_a_longer_one_as_a_third_start_and_two_thirds_end(
    length: int,
) -> None:
    path = "data." + "".join(chr(ord("a") + index % 26) for index in range(length - 5))
    shown = str(InvalidEventError(path, "bad")).removesuffix(": bad")
    head = (PATH_LIMIT - 3) // 3
    assert shown == (path if length <= PATH_LIMIT else path[:head] + "..." + path[head + 3 - PATH_LIMIT :])
    escaped = path[: PATH_LIMIT - 1] + "\n"  # PATH_LIMIT characters, one more once escaped
    assert len(str(InvalidEventError(escaped, "bad")).removesuffix(": bad")) == PATH_LIMIT
    assert "..." in str(InvalidEventError(escaped, "bad"))


def test_a_backslash_is_kept_as_it_is_when_other_characters_are_escaped() -> None:
    assert str(WebhookError("C:\\dir\nnext")) == "C:\\dir\\nnext"


def test_publish_names_each_class_by_the_package_or_its_public_module() -> None:
    # publish runs at import (each public class's home): called here too, so a change to it is seen at run time.
    class AtTheRoot:
        pass

    class InAModule:
        pass

    publish([AtTheRoot, "not a class"])
    publish([InAModule], "idempotency")
    assert (AtTheRoot.__module__, InAModule.__module__) == (
        "openai_webhook_events",
        "openai_webhook_events.idempotency",
    )
