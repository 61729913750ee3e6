"""Deep nesting is refused before the C JSON scanner runs, in small thread stacks too; big bodies by size first."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import InvalidPayloadError, Webhook, sign
from openai_webhook_events._json import MAX_NESTING, load_payload, nesting_exceeds
from tests.strategies import brackety_json, json_values, whsec

ROOT = Path(__file__).parents[2]
NOW = 1_750_000_000
SECRET = whsec(b"nesting test key, 32 bytes long!")
WEBHOOK = Webhook(SECRET, max_body_bytes=None)
TOO_DEEP = f"body is nested deeper than {MAX_NESTING} levels"


def nested(depth: int, inner: str = "1", kinds: str = "[{") -> str:
    """*inner* inside *depth* arrays and objects (taken from *kinds* in turn), outermost an object."""
    opens, closes = ['{"a": '], ["}"]
    for level in range(1, depth):
        kind = kinds[level % len(kinds)]
        opens.append("[" if kind == "[" else '{"k": ')
        closes.append("]" if kind == "[" else "}")
    return "".join(opens) + inner + "".join(reversed(closes))


def depth_of(value: Any) -> int:
    """The nesting depth of arrays and objects in a decoded JSON value."""
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def test_nesting_up_to_the_limit_loads_and_one_level_more_is_refused() -> None:
    for kinds in ("[", "{", "[{"):
        assert depth_of(load_payload(nested(MAX_NESTING, kinds=kinds))) == MAX_NESTING
        with pytest.raises(InvalidPayloadError) as info:
            load_payload(nested(MAX_NESTING + 1, kinds=kinds))
        assert str(info.value) == TOO_DEEP


def test_the_limit_lies_above_what_any_event_can_hold() -> None:
    body = nested(MAX_NESTING).encode()  # decodes, then the event's own depth check answers
    with pytest.raises(InvalidPayloadError) as info:
        WEBHOOK.unwrap(body, sign(body, SECRET, timestamp=NOW), now=NOW)
    assert str(info.value) != TOO_DEEP


@pytest.mark.parametrize(
    "text",
    [
        '"' + "[" * 500 + '"',  # brackets in a string
        '"\\\\' + "[" * 500 + '"',  # after an escaped backslash
        '"\\"' + "[" * 500 + '"',  # after an escaped quote
        "[" * 100 + '"' + "]]]{{{" * 100 + '"' + "]" * 100,  # a string between real brackets
        "[]" * 1000,  # many shallow brackets
    ],
)
def test_brackets_inside_strings_and_siblings_do_not_count(text: str) -> None:
    assert load_payload('{"a": ' + text.replace("[]" * 1000, "[" + ",".join(["[]"] * 1000) + "]") + "}")


@pytest.mark.parametrize("escapes", ["\\\\", "\\\\\\\\", '\\"\\\\', '\\\\\\"'])
def test_a_string_ending_in_escapes_closes_before_a_string_full_of_brackets(escapes: str) -> None:
    body = '{"a": "x' + escapes + '", "b": "' + "[" * 500 + '"}'
    assert load_payload(body) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"a": "' + "[" * 500, "body is not valid JSON (unterminated string starting at char 6)"),
        ('{"a": "\\' + "[" * 500, "body is not valid JSON (invalid \\escape at char 7)"),
        ("]" * 300 + "[" * 300, "body is not valid JSON (expecting value at char 0)"),
        ("]" + "[" * (MAX_NESTING + 1), "body is not valid JSON (expecting value at char 0)"),  # as deep as allowed
        ('{"a": [' * 300, TOO_DEEP),
        ('"' + "[" * 300 + '"', "body is not a JSON object"),  # every bracket inside a string
    ],
)
def test_malformed_bodies_with_many_brackets_get_a_one_line_reason(body: str, message: str) -> None:
    with pytest.raises(InvalidPayloadError) as info:
        load_payload(body)
    assert str(info.value) == message


def test_an_unclosed_body_as_deep_as_the_limit_is_bad_json_however_many_empty_containers_it_holds() -> None:
    body = '{"a": [' + "[], {}, " * 500 + "[" * (MAX_NESTING - 2)  # never closed: the decoder runs out first
    with pytest.raises(InvalidPayloadError) as info:
        load_payload(body)
    assert str(info.value) == f"body is not valid JSON (expecting value at char {len(body)})"


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("siblings", "deepest"),
    [
        ([3, 2, 2], MAX_NESTING - 1),
        ([], MAX_NESTING - 1),
        ([5, 7], MAX_NESTING - 1),
        ([2, 9, 4, 3], MAX_NESTING - 1),
    ],
)
@pytest.mark.parametrize("deepest_at", [0, 1, -1])
def test_the_deepest_of_many_siblings_decides_and_the_limit_itself_loads(
    siblings: list[int], deepest: int, deepest_at: int
) -> None:
    depths = list(siblings)
    depths.insert(deepest_at if deepest_at >= 0 else len(depths), deepest)
    for extra, too_deep in ((0, True), (-1, False)):  # the object and the array around add two levels
        body = '{"a": [' + ", ".join(_deep(depth + extra) for depth in depths) + "]}"
        if too_deep:
            with pytest.raises(InvalidPayloadError) as info:
                load_payload(body)
            assert str(info.value) == TOO_DEEP
        else:
            assert depth_of(load_payload(body)) == MAX_NESTING


@given(json_values(max_leaves=30), st.integers(MAX_NESTING - 12, MAX_NESTING + 4), st.sampled_from(["[", "{", "[{"]))
def test_the_prescan_agrees_with_the_decoded_depth(value: Any, wrap: int, kinds: str) -> None:
    text = nested(wrap, json.dumps(value), kinds)
    expected = json.loads(text)
    try:
        loaded = load_payload(text)
    except InvalidPayloadError as exc:
        assert str(exc) == TOO_DEEP
        assert depth_of(expected) > MAX_NESTING
    else:
        assert loaded == expected
        assert depth_of(expected) <= MAX_NESTING


@given(brackety_json(), st.integers(0, 12), st.booleans(), st.sampled_from([(",", ":"), (", ", ": ")]))
def test_the_prescan_is_exact_at_any_limit_whatever_the_strings_hold(
    value: Any, limit: int, ascii_only: bool, separators: tuple[str, str]
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, separators=separators)
    assert nesting_exceeds(text, limit) is (depth_of(value) > limit)


@given(
    st.lists(brackety_json(8), min_size=1, max_size=60),
    st.integers(0, 6),
    st.integers(0, 8),
)
def test_the_prescan_is_exact_on_many_small_containers_under_a_deep_spine(
    siblings: list[Any], spine: int, limit: int
) -> None:
    value: Any = siblings
    for _ in range(spine):
        value = [value, [], {}]
    assert nesting_exceeds(json.dumps(value), limit) is (depth_of(value) > limit)


def test_the_prescan_walks_a_string_that_opens_with_a_closer_as_it_comes() -> None:
    # balanced, but the walk starts below zero: dropping innermost pairs would not lower its top
    assert nesting_exceeds("]" + "[]" * 10 + "[", 0) is False
    assert nesting_exceeds("]" + "[[]]" * 10 + "[", 0) is True


@given(st.text(st.sampled_from('[]{}"\\ ,:1a\u00e9'), max_size=80), st.integers(0, 6))
def test_the_prescan_answers_any_text_and_agrees_with_the_decoder_where_it_decodes(text: str, limit: int) -> None:
    answer = nesting_exceeds(text, limit)
    assert isinstance(answer, bool)
    try:
        value = json.loads(text)
    except ValueError:
        return
    assert answer is (depth_of(value) > limit)


@pytest.mark.parametrize("depth", [MAX_NESTING, MAX_NESTING + 1])
def test_text_holding_a_lone_surrogate_is_measured_like_any_other_text(depth: int) -> None:
    # A str body may hold a lone surrogate (the decoder accepts one); the pre-scan must not trip on it.
    text = nested(depth - 2, '["\\ud800 [", "\ud800", ' + ", ".join(["[]"] * 300) + "]")  # two levels in
    if depth > MAX_NESTING:
        with pytest.raises(InvalidPayloadError) as info:
            load_payload(text)
        assert str(info.value) == TOO_DEEP
    else:
        assert depth_of(load_payload(text)) == MAX_NESTING
    assert nesting_exceeds(text, depth) is False
    assert nesting_exceeds(text, depth - 1) is True


def test_a_scanner_out_of_recursion_is_an_invalid_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(text: str, start: int) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("openai_webhook_events._json._scan_once", exhausted)
    with pytest.raises(InvalidPayloadError) as info:
        load_payload("{}")
    assert str(info.value) == "body is nested too deeply for the recursion left"
    assert info.value.__context__ is None or info.value.__suppress_context__


def _in_thread(stack_size: int, work: Callable[[], object]) -> object:
    result: list[object] = []
    previous = threading.stack_size(stack_size)
    try:

        def run() -> None:
            try:
                result.append(work())
            except Exception as exc:
                result.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join(timeout=60)
    assert result, "the thread did not finish"
    return result[0]


def test_in_a_256_kib_thread_deep_bodies_are_refused_and_the_limit_loads() -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    body = nested(MAX_NESTING).encode()
    refused = _in_thread(256 * 1024, lambda: WEBHOOK.unwrap(deep, sign(deep, SECRET, timestamp=NOW), now=NOW))
    assert isinstance(refused, InvalidPayloadError)
    assert str(refused) == TOO_DEEP
    assert depth_of(_in_thread(256 * 1024, lambda: load_payload(body))) == MAX_NESTING


def test_a_signed_body_nested_50_000_deep_does_not_crash_a_1_mib_thread() -> None:
    # On 3.13 the C scanner used to exhaust such a stack (a segfault): run it in its own interpreter.
    script = textwrap.dedent(f"""
        import threading
        from openai_webhook_events import InvalidPayloadError, Webhook, sign
        webhook = Webhook({SECRET!r})
        body = b'{{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
        def run():
            try:
                webhook.unwrap(body, sign(body, {SECRET!r}, timestamp={NOW}), now={NOW})
            except InvalidPayloadError as exc:
                print(exc)
        threading.stack_size(1 << 20)
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, TOO_DEEP + "\n", "")


# --- Big bodies -------------------------------------------------------------------------------------

LIMIT = 1 << 20


@pytest.mark.parametrize(
    "make",
    [lambda n: "a" * n, lambda n: bytearray(n), lambda n: memoryview(bytes(n))],
    ids=["str", "bytearray", "memoryview"],
)
def test_big_bodies_are_refused_by_size_before_they_are_encoded_or_copied(make: Callable[[int], Any]) -> None:
    payload = make(8 * LIMIT)
    headers = sign(b"", SECRET, timestamp=NOW)
    webhook = Webhook(SECRET)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidPayloadError) as info:
            webhook.verify(payload, headers, now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(info.value) == f"body is larger than {LIMIT} bytes"
    assert peak < LIMIT // 4  # no encoded or copied body


def test_text_is_measured_in_utf8_bytes_and_a_memoryview_in_bytes() -> None:
    webhook = Webhook(SECRET, max_body_bytes=8)
    webhook.verify("é" * 4, sign("é" * 4, SECRET, timestamp=NOW), now=NOW)  # 8 bytes
    with pytest.raises(InvalidPayloadError):
        webhook.verify("é" * 5, sign("é" * 5, SECRET, timestamp=NOW), now=NOW)  # 5 characters, 10 bytes
    wide = memoryview(bytes(12)).cast("I")  # 3 items, 12 bytes
    with pytest.raises(InvalidPayloadError):
        webhook.verify(wide, sign(bytes(12), SECRET, timestamp=NOW), now=NOW)  # type: ignore[arg-type]
    Webhook(SECRET).verify(wide, sign(bytes(12), SECRET, timestamp=NOW), now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("extra", [0, 1])
def test_a_spine_holding_an_empty_array_at_every_level_is_measured_to_its_deepest_array(extra: int) -> None:
    levels = MAX_NESTING - 2 + extra  # the object, the spine, and the empty array at its bottom: MAX_NESTING + extra
    body = '{"a":' + "[[]," * levels + "1" + "]" * levels + "}"
    assert nesting_exceeds(body, MAX_NESTING) is (extra == 1)
    if not extra:
        assert load_payload(body) == json.loads(body)
    else:
        with pytest.raises(InvalidPayloadError, match=f"^{TOO_DEEP}$"):
            load_payload(body)
