"""Properties of verification over arbitrary input: only the package's errors, and never a secret in them."""

from __future__ import annotations

import base64
import contextlib
import json
import string
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    InvalidPayloadError,
    Webhook,
    WebhookConfigurationError,
    WebhookError,
    WebhookVerificationError,
    sign,
    unwrap,
    verify_signature,
)
from tests.strategies import (
    HEADER_SHAPES,
    WEBHOOK_HEADERS,
    arbitrary_headers,
    header_values,
    json_values,
    name_casings,
    whsec,
)

NOW = 1_750_000_000
SECRET = whsec(b"property test key of 32 bytes..")

raw_bodies = st.binary(max_size=200) | st.text(max_size=100)


@given(arbitrary_headers(), raw_bodies, st.integers(min_value=-(10**21), max_value=10**21))
def test_arbitrary_header_maps_and_bodies_raise_only_webhook_errors(
    headers: dict[Any, Any], body: Any, now: int
) -> None:
    for given_headers in (headers, list(headers.items())):
        try:
            verify_signature(body, given_headers, SECRET, now=now)
        except WebhookVerificationError:
            pass
        except InvalidPayloadError:  # a text body with a lone surrogate
            assert isinstance(body, str)
        with contextlib.suppress(WebhookError):
            unwrap(body, given_headers, SECRET, now=now)


@st.composite
def nearly_signed(draw: Any) -> tuple[bytes, list[tuple[str, Any]]]:
    """A validly signed delivery, then some of its headers replaced, repeated, dropped or recased."""
    body = draw(st.binary(max_size=100) | json_values().map(lambda v: json.dumps(v).encode()))
    headers = sign(body, SECRET, timestamp=NOW)
    pairs: list[tuple[str, Any]] = []
    for name, value in headers.items():
        action = draw(st.sampled_from(["keep", "keep", "drop", "replace", "repeat", "bytes"]))
        cased = draw(name_casings(name))
        if action == "keep":
            pairs.append((cased, value))
        elif action == "replace":
            pairs.append((cased, draw(header_values)))
        elif action == "repeat":
            pairs += [
                (cased, value),
                (name, draw(st.sampled_from([value, *draw(st.lists(header_values, max_size=1))]))),
            ]
        elif action == "bytes":
            pairs.append((cased, value.encode()))
    return body, pairs


@given(nearly_signed(), st.sampled_from(["list of pairs", "dict", "werkzeug Headers", "multidict CIMultiDict"]))
def test_nearly_signed_deliveries_verify_or_raise_only_verification_errors(
    delivery: tuple[bytes, list[tuple[str, Any]]], shape: str
) -> None:
    body, pairs = delivery
    if shape not in ("list of pairs", "dict") and not all(isinstance(v, str) and v.isprintable() for _, v in pairs):
        shape = "list of pairs"  # the classes refuse bytes and control characters themselves
    headers = HEADER_SHAPES[shape](pairs)
    try:
        verify_signature(body, headers, SECRET, now=NOW)
    except WebhookVerificationError as exc:
        assert "\n" not in str(exc)
    with contextlib.suppress(WebhookError):
        unwrap(body, HEADER_SHAPES[shape](pairs), SECRET, now=NOW)


# --- Secrets never show ---------------------------------------------------------------------------

secret_texts = st.text(string.ascii_letters + string.digits, min_size=18, max_size=40).map(lambda s: "S3cr3t" + s)
"""Secret material no error message could hold by chance: 24 characters or more, a whsec_ secret's minimum."""


def _texts_of(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
    for chained in (exc.__cause__, exc.__context__):
        if chained is not None:
            parts.append(_texts_of(chained))
    return "\n".join(parts)


def _assert_hidden(text: str, material: str, key: bytes) -> None:
    # The first 12 bytes and 16 characters: what any truncated copy of the secret shows too.
    for needle in (material[:16], base64.b64encode(key[:12]).decode(), repr(key[:12])[:-1]):
        assert needle not in text


@given(secret_texts, st.sampled_from(["whsec", "text", "bytes"]), arbitrary_headers(), raw_bodies)
def test_secrets_never_appear_in_errors_or_repr(material: str, kind: str, headers: dict[Any, Any], body: Any) -> None:
    key = material.encode()
    forms: dict[str, str | bytes] = {"whsec": whsec(key), "text": material, "bytes": key}
    secret = forms[kind]
    webhook = Webhook([secret, SECRET])
    _assert_hidden(repr(webhook), material, key)
    _assert_hidden(repr(vars(webhook)), material, key)
    valid = webhook.sign(b"{}", timestamp=NOW)
    attempts: list[Callable[[], object]] = [
        lambda: webhook.verify(body, headers, now=NOW),
        lambda: webhook.unwrap(body, headers, now=NOW),
        lambda: webhook.unwrap(b"[1]", valid, now=NOW),
        lambda: webhook.unwrap(b'{"type": 5}', webhook.sign(b'{"type": 5}', timestamp=NOW), now=NOW),
        lambda: webhook.verify(b"{} ", valid, now=NOW),
        lambda: webhook.verify(b"{}", valid, now=NOW + 10**6),
        lambda: verify_signature(body, headers, secret, now=NOW),
        lambda: unwrap(b"{}", {**valid, "webhook-signature": "v1," + "A" * 44}, secret, now=NOW),
        lambda: Webhook([secret, ""]),
        lambda: Webhook([secret, 5]),  # type: ignore[list-item]
        lambda: Webhook(secret, tolerance=-1),
        lambda: Webhook("whsec_" + material + "!"),
        lambda: Webhook("whsec_" + material + "="),
        lambda: Webhook([SECRET, whsec(key[:23])]),
        lambda: verify_signature(body, headers, whsec(key[:12]), now=NOW),
        lambda: sign(b"{}", secret, webhook_id=""),
    ]
    for attempt in attempts:
        try:
            attempt()
        except WebhookError as exc:
            _assert_hidden(_texts_of(exc), material, key)
        except TypeError as exc:  # only for headers of no known shape, never here
            raise AssertionError(exc) from None


def test_the_headers_of_every_shape_reach_only_webhook_errors() -> None:
    for shape, build in HEADER_SHAPES.items():
        pairs = [(name, "x") for name in WEBHOOK_HEADERS]
        try:
            verify_signature(b"{}", build(pairs), SECRET, now=NOW)
        except WebhookVerificationError:
            continue
        raise AssertionError(f"{shape}: accepted")


def test_configuration_errors_are_value_errors() -> None:
    assert issubclass(WebhookConfigurationError, ValueError)
    assert issubclass(InvalidPayloadError, ValueError)
