"""The one header reader: every header shape and the Lambda adapter give the same answer, joined or repeated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from openai_webhook_events import MissingHeaderError, Webhook, WebhookError, aws_lambda
from tests.strategies import example_payload, hmac_signature, lambda_event, name_casings, whsec

NOW = 1_750_000_000
KEY = b"header reader key, 32 bytes long"
SECRET = whsec(KEY)
WEBHOOK = Webhook(SECRET)
BODY = json.dumps(example_payload("response.completed")).encode()
GOOD = hmac_signature(KEY, "wh_1", NOW, BODY)
OTHER = hmac_signature(b"another key", "wh_1", NOW, BODY)
Pairs = list[tuple[str, str]]


def delivery(*extra: tuple[str, str], signature: list[str] | None = None) -> Pairs:
    pairs = [("Webhook-Id", "wh_1"), ("Webhook-Timestamp", str(NOW))]
    pairs += [("Webhook-Signature", value) for value in (signature if signature is not None else [GOOD])]
    return pairs + list(extra)


def _joined(pairs: Pairs, separator: str) -> dict[str, str]:
    """What a server that folds repeated headers into one value makes of *pairs* (first spelling kept)."""
    joined: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        joined[key] = f"{joined[key]}{separator}{value}" if key in joined else value
    return joined


def _environ_headers(pairs: Pairs) -> Any:
    from werkzeug.datastructures import EnvironHeaders

    environ = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in _joined(pairs, ",").items()}
    return EnvironHeaders(environ)  # wsgiref joins repeats with ","


def _starlette(pairs: Pairs) -> Any:
    from starlette.datastructures import Headers

    return Headers(raw=[(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs])


def _multidict(pairs: Pairs) -> Any:
    from multidict import CIMultiDict

    return CIMultiDict(pairs)


def _http_message(pairs: Pairs) -> Any:
    import http.client
    import io

    raw = "".join(f"{name}: {value}\r\n" for name, value in pairs).encode("latin-1") + b"\r\n"
    return http.client.parse_headers(io.BytesIO(raw))


def _through(shape: Callable[[Pairs], Any]) -> Callable[[Pairs], object]:
    return lambda pairs: WEBHOOK.unwrap(BODY, shape(pairs), now=NOW)


def _lambda(template: str) -> Callable[[Pairs], object]:
    return lambda pairs: aws_lambda.unwrap(WEBHOOK, lambda_event(template, BODY, pairs, base64_body=False), now=NOW)


READERS: dict[str, Callable[[Pairs], object]] = {
    "dict, repeats joined with ', '": _through(lambda pairs: _joined(pairs, ", ")),
    "list of pairs": _through(list),
    "werkzeug EnvironHeaders": _through(_environ_headers),
    "starlette Headers": _through(_starlette),
    "multidict CIMultiDict": _through(_multidict),
    "http.client.HTTPMessage": _through(_http_message),
    "Lambda REST API (multiValueHeaders)": _lambda("apiGatewayProxyEvent.json"),
    "Lambda HTTP API (repeats joined with ',')": _lambda("apiGatewayProxyV2Event.json"),
}

ACCEPTED = "accepted"
REPEATED_ID = "InvalidHeaderError: invalid header webhook-id: repeated with different values"
REPEATED_TIMESTAMP = "InvalidHeaderError: invalid header webhook-timestamp: repeated with different values"
MISMATCH = "SignatureMismatchError: no matching signature"
MISSING_ID = "MissingHeaderError: missing header webhook-id"
NO_V1 = "InvalidHeaderError: invalid header webhook-signature: no v1,<base64> signature"
CASES: list[tuple[str, Pairs, str]] = [
    ("one signature", delivery(), ACCEPTED),
    ("two signature headers, good last", delivery(signature=[OTHER, GOOD]), ACCEPTED),
    ("two signature headers, good first", delivery(signature=[GOOD, OTHER]), ACCEPTED),
    ("comma-joined entries", delivery(signature=[f"{OTHER},{GOOD}"]), ACCEPTED),
    ("comma-space-joined entries", delivery(signature=[f"{GOOD}, {OTHER}"]), ACCEPTED),
    ("space-separated entries", delivery(signature=[f"{OTHER} {GOOD}"]), ACCEPTED),
    ("a joined header and another", delivery(signature=[f"{OTHER},{OTHER}", GOOD]), ACCEPTED),
    ("only wrong signatures", delivery(signature=[OTHER, OTHER]), MISMATCH),
    ("v1 <sig>: a space for the comma", delivery(signature=[GOOD.replace(",", " ")]), NO_V1),
    ("v1 <sig> and a wrong one", delivery(signature=[GOOD.replace(",", " "), OTHER]), MISMATCH),
    ("a malformed entry comma-joined before the good one", delivery(signature=[f"garbage,{GOOD}"]), ACCEPTED),
    ("a version with no signature, then the good one", delivery(signature=[f"v1,{GOOD}"]), ACCEPTED),
    ("only malformed entries", delivery(signature=["garbage,v1", "v1,", GOOD[3:]]), NO_V1),
    ("id repeated, same value", delivery(("webhook-id", "wh_1")), ACCEPTED),
    ("id repeated, other value", delivery(("webhook-id", "wh_2")), REPEATED_ID),
    ("timestamp repeated, same value", delivery(("WEBHOOK-TIMESTAMP", str(NOW))), ACCEPTED),
    ("timestamp repeated, other value", delivery(("webhook-timestamp", str(NOW + 1))), REPEATED_TIMESTAMP),
    ("id missing", delivery()[1:], MISSING_ID),
    ("signature missing", delivery(signature=[]), "MissingHeaderError: missing header webhook-signature"),
]  # fmt: skip
LATIN1_UNSAFE = {"werkzeug EnvironHeaders", "starlette Headers", "http.client.HTTPMessage"}
CASES += [
    # KELVIN SIGN: "\u212a".lower() == "k" in Unicode, but header names fold ASCII letters only.
    ("a Kelvin sign in the id's name", [("webhoo\u212a-id", "wh_1"), *delivery()[1:]], MISSING_ID),
]  # fmt: skip


def outcome(read: Callable[[Pairs], object], pairs: Pairs) -> str:
    try:
        read(pairs)
    except WebhookError as exc:
        return f"{type(exc).__name__}: {exc}"
    return ACCEPTED


@pytest.mark.parametrize(("case", "pairs", "expected"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_header_shape_and_the_lambda_adapter_give_the_same_answer(
    reader: str, case: str, pairs: Pairs, expected: str
) -> None:
    if reader in LATIN1_UNSAFE and not all(name.isascii() for name, _ in pairs):
        pairs = [(name.encode("utf-8").decode("latin-1"), value) for name, value in pairs]  # as such a server reads it
    assert outcome(READERS[reader], pairs) == expected


# --- The dict fast path is the general reader --------------------------------------------------------

NAMES = ("webhook-id", "webhook-timestamp", "webhook-signature")
joined_entries = st.tuples(
    st.lists(st.sampled_from([GOOD, OTHER, "v1", "x"]), min_size=1, max_size=3), st.sampled_from([",", ", ", " "])
).map(lambda entries_and_separator: entries_and_separator[1].join(entries_and_separator[0]))
values = joined_entries | st.sampled_from(["wh_1", "wh_1, wh_1", "wh_1,wh_2", str(NOW), f"{NOW}, {NOW}", "", " "])
names = (
    st.sampled_from(NAMES)
    | st.sampled_from(NAMES).flatmap(name_casings)
    | st.sampled_from(["content-type", "webhoo\u212a-id", "x"])
    | st.just(b"webhook-id")
    | st.just(7)
)


@given(st.dictionaries(names, values | values.map(str.encode), max_size=7), st.booleans())
@example({"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD}, False)
@example({"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD, "Webhook-Id": "x"}, False)
@example({"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD, "x": "y"}, False)
@example({"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD, 7: "y"}, False)
@example({"webhook-id": "wh_1, wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD}, False)
@example({"webhook-id": "wh_1", "webhook-timestamp": f"{NOW}, {NOW}", "webhook-signature": GOOD}, False)
def test_a_dict_reads_exactly_as_its_pairs_do(headers: dict[Any, Any], lower_case: bool) -> None:
    if lower_case:  # the dict fast path needs the three lower-case names
        headers = {"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD, **headers}
    assert outcome(lambda _: WEBHOOK.verify(BODY, headers, now=NOW), []) == outcome(
        lambda _: WEBHOOK.verify(BODY, list(headers.items()), now=NOW), []
    )


@pytest.mark.parametrize("prefix", ["\n", "\r", "\x0b", "\x0c", "\xa0", "\u3000", "X"])
def test_only_spaces_and_tabs_after_a_joining_comma_are_dropped(prefix: str) -> None:
    pairs = [("webhook-id", f"wh_1,{prefix}wh_1"), *delivery()[1:]]
    with pytest.raises(WebhookError) as info:
        WEBHOOK.verify(BODY, pairs, now=NOW)
    assert f"{type(info.value).__name__}: {info.value}" == REPEATED_ID
    WEBHOOK.verify(BODY, [("webhook-id", "wh_1, \t wh_1"), *delivery()[1:]], now=NOW)  # accepted


@pytest.mark.parametrize(
    ("class_name", "shown"),
    [("H" * 60, "H" * 60), ("H" * 61, "an object"), ("not an identifier", "an object")],
)
def test_a_header_value_of_another_type_is_named_by_its_class_only_if_short_and_plain(
    class_name: str, shown: str
) -> None:
    value = type(class_name, (), {})()
    with pytest.raises(WebhookError) as info:
        WEBHOOK.verify(BODY, [("webhook-id", value), *delivery()[1:]], now=NOW)
    assert str(info.value) == f"invalid header webhook-id: expected str or bytes, got {shown}"
    with pytest.raises(TypeError) as type_error:
        WEBHOOK.verify(BODY, [*delivery(), value], now=NOW)
    assert str(type_error.value) == f"headers: expected (name, value) pairs, got a {shown}"
    with pytest.raises(TypeError) as type_error:
        WEBHOOK.verify(BODY, value, now=NOW)
    assert str(type_error.value).endswith(f"an iterable of (name, value) pairs, not {shown}")


@pytest.mark.parametrize(
    ("pair", "one_entry"),
    [
        ("v2,junk-not-a-version", True),
        ("v1234567,junk-not-a-version", True),  # a version: "v", a digit, at most 8 characters
        ("v1a,junk-not-a-version", True),
        ("v12345678,junk-not-a-version", False),  # 9 characters: two malformed entries
        ("va,junk-not-a-version", False),
        ("x,junk-not-a-version", False),
        (",v2,junk-not-a-version,", True),  # commas around a run are dropped
        ("Xv2,junk-not-a-version", False),
    ],
)
def test_a_version_joined_to_its_value_counts_as_one_of_the_first_64_entries(pair: str, one_entry: bool) -> None:
    pairs = delivery(signature=[" ".join([pair] * 32 + [GOOD])])  # 32 or 64 entries before the good one
    if one_entry:
        WEBHOOK.verify(BODY, pairs, now=NOW)
    else:
        with pytest.raises(WebhookError) as info:
            WEBHOOK.verify(BODY, pairs, now=NOW)
        assert str(info.value) == "invalid header webhook-signature: no v1,<base64> signature"


def test_a_run_of_comma_separated_entries_is_read_in_order_from_its_start() -> None:
    WEBHOOK.verify(BODY, delivery(signature=[",".join([GOOD, *["x"] * 200])]), now=NOW)
    WEBHOOK.verify(BODY, delivery(signature=[",".join(["x", "y", "z", GOOD])]), now=NOW)


@pytest.mark.parametrize("as_bytes", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_plain_dict_with_one_bytes_value_verifies_as_with_text(as_bytes: str) -> None:
    headers: dict[str, Any] = {"webhook-id": "wh_1", "webhook-timestamp": str(NOW), "webhook-signature": GOOD}
    headers[as_bytes] = headers[as_bytes].encode()
    WEBHOOK.verify(BODY, headers, now=NOW)
    headers["webhook-signature"] = OTHER.encode() if as_bytes == "webhook-signature" else OTHER
    with pytest.raises(WebhookError, match="no matching signature"):
        WEBHOOK.verify(BODY, headers, now=NOW)


@pytest.mark.parametrize("prefix", ["svix-", "x-webhook-", "webhook_", "http_webhook_", "webhook-x-"])
def test_only_the_three_webhook_names_are_read(prefix: str) -> None:
    renamed = [(prefix + name.lower().removeprefix("webhook-"), value) for name, value in delivery(signature=[OTHER])]
    with pytest.raises(MissingHeaderError) as info:
        WEBHOOK.verify(BODY, renamed, now=NOW)
    assert info.value.header == "webhook-id"
    WEBHOOK.verify(BODY, renamed + delivery(), now=NOW)  # beside the real names, other names change nothing


@pytest.mark.parametrize(
    ("extra", "exact_size"),
    [({}, False), ({}, True), ({"user-agent": "OpenAI/1.0", "content-type": "application/json"}, False)],
    ids=["three headers", "body of exactly max_body_bytes", "other headers too"],
)
def test_a_plain_delivery_is_verified_without_the_general_readers(
    extra: dict[str, str], exact_size: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bytes, a dict of the three lower-case headers (maybe more), one signature: the fast path of each step."""
    from openai_webhook_events import _verify

    body = json.dumps(example_payload("response.completed")).encode()
    webhook = Webhook(SECRET, max_body_bytes=len(body)) if exact_size else WEBHOOK
    headers = {**WEBHOOK.sign(body, webhook_id="wh_fast"), **extra}

    def general(*args: object) -> Any:
        raise AssertionError("the general reader ran")

    for name in ("read_webhook_headers", "_body_bytes", "v1_signatures", "signed_by_any"):
        monkeypatch.setattr(_verify, name, general)
    assert webhook._verified(body, headers, None) == (  # pyright: ignore[reportPrivateUsage]
        "wh_fast",
        headers["webhook-timestamp"],
        headers["webhook-signature"],
    )
