"""Secrets that cannot work are refused at construction, and no message, repr or traceback frame ever holds one."""

from __future__ import annotations

import base64
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import openai_webhook_events
from openai_webhook_events import (
    Webhook,
    WebhookConfigurationError,
    WebhookError,
    aws_lambda,
    sign,
    unwrap,
    verify_signature,
)
from tests.strategies import hmac_signature, lambda_event, whsec

NOW = 1_750_000_000
KEY = b"S3cr3tKeyMaterial-0123456789abcd"
SECRET = whsec(KEY)
TRUNCATED = whsec(KEY[:23])
"""SECRET with its end lost in a copy: 23 bytes, one fewer than the Standard Webhooks minimum."""
BODY = b'{"id": "evt_1", "object": "event", "created_at": 1, "type": "batch.completed", "data": {"id": "b"}}'
HEADERS = {
    "webhook-id": "wh_1",
    "webhook-timestamp": str(NOW),
    "webhook-signature": hmac_signature(KEY, "wh_1", NOW, BODY),
}

BLANK = "is blank: it holds only whitespace or invisible characters"
QUOTED = "is wrapped in quotes: remove them"
API_KEY = "looks like an OpenAI API key (sk-...), not a webhook signing secret (whsec_...)"
TRUNCATED_REASON = (
    "looks truncated: the part after whsec_ decodes to 23 bytes, and a signing secret has at least 24; "
    "copy the whole secret"
)
REFUSED: list[tuple[Any, str]] = [
    (" ", BLANK),
    ("\n", BLANK),
    ("\t \r\n", BLANK),
    ("\u200b", BLANK),  # zero-width space
    ("\u00a0", BLANK),  # no-break space
    ("\ufeff", BLANK),  # byte order mark
    ("\u2028\u3000\u2060", BLANK),  # line separator, ideographic space, word joiner
    (b" ", BLANK),
    (b"\n\t", BLANK),
    ('"' + SECRET + '"', QUOTED),
    ("'" + SECRET + "'", QUOTED),
    ('"' + SECRET + '"\n', QUOTED),
    ("'my plain secret'", QUOTED),
    ('""', QUOTED),  # the shortest wrapped secret: two quotes
    ("''", QUOTED),
    (b'"' + SECRET.encode() + b'"', QUOTED),
    ("sk-abcdefghijklmnopqrstuvwxyz0123456789", API_KEY),
    ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", API_KEY),
    (" sk-proj-abcdef\n", API_KEY),
    (b"sk-proj-abcdef", API_KEY),
    (SECRET.encode(), "is bytes starting with whsec_: pass the whsec_ secret as str"),
    (" \u200bwhsec_ab cd", "is not valid base64 (it contains whitespace)"),
    (TRUNCATED, TRUNCATED_REASON),
    (TRUNCATED + "\n", TRUNCATED_REASON),
    (
        SECRET[:10],
        "looks truncated: the part after whsec_ decodes to 3 bytes, and a signing secret has at least 24; "
        "copy the whole secret",
    ),
]


@pytest.mark.parametrize(("secret", "reason"), REFUSED, ids=[repr(secret) for secret, _ in REFUSED])
def test_unusable_secrets_are_refused_at_construction_in_every_form(
    secret: Any, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[tuple[str, Callable[[], object]]] = [
        ("secret", lambda: Webhook(secret)),
        ("secret", lambda: verify_signature(BODY, HEADERS, secret, now=NOW)),
        ("secret", lambda: sign(BODY, secret)),
        ("secret 1", lambda: Webhook([SECRET, secret])),
        ("secret 0", lambda: unwrap(BODY, HEADERS, (secret, SECRET), now=NOW)),
    ]
    if isinstance(secret, str):
        monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", secret)
        attempts.append(("OPENAI_WEBHOOK_SECRET", Webhook))
    for where, attempt in attempts:
        with pytest.raises(WebhookConfigurationError) as info:
            attempt()
        assert str(info.value) == f"{where}{':' if 'base64' in reason else ''} {reason}".replace(
            ": is not", ": the part after whsec_ is not"
        )
        text = secret if isinstance(secret, str) else secret.decode()
        for part in (text.strip(), text.strip(" \t\r\n\"'")[6:]):
            assert len(part) < 4 or part not in str(info.value)


@pytest.mark.parametrize(
    "given",
    [SECRET + "\n", " " + SECRET, "\t" + SECRET + " \r\n", "\ufeff" + SECRET, SECRET + "\u200b", "\u00a0" + SECRET],
)
def test_whitespace_and_invisible_characters_around_a_whsec_secret_are_stripped(given: str) -> None:
    Webhook(given).verify(BODY, HEADERS, now=NOW)
    verify_signature(BODY, HEADERS, given, now=NOW)
    assert Webhook(given).sign(BODY, webhook_id="wh_1", timestamp=NOW) == HEADERS


def test_other_text_secrets_are_used_exactly_as_given_whatever_their_length() -> None:
    for secret in (" padded plain secret ", "plain\u200bsecret", "a'b'", "'", SECRET[6:12]):
        headers = {**HEADERS, "webhook-signature": hmac_signature(secret.encode(), "wh_1", NOW, BODY)}
        Webhook(secret).verify(BODY, headers, now=NOW)


def test_binary_keys_of_any_length_that_happen_to_hold_quotes_or_spaces_are_keys() -> None:
    for key in (b'"\x00\xff"', b" \x01 ", b"sk-\xff", b"whsec_\x80", b"\x01"):
        headers = {**HEADERS, "webhook-signature": hmac_signature(key, "wh_1", NOW, BODY)}
        Webhook(key).verify(BODY, headers, now=NOW)


# --- Frame locals -----------------------------------------------------------------------------------

EXPECTED_FOR_FORGERY = hmac_signature(KEY, "wh_1", NOW, BODY + b" ")
"""The signature an attacker's altered body would need: it must not show in any frame."""
NEEDLES = (
    SECRET,
    SECRET[6:],
    base64.b64encode(KEY).decode().rstrip("="),
    repr(KEY),
    KEY.decode(),
    EXPECTED_FOR_FORGERY[3:],
    TRUNCATED[6:].rstrip("="),
    repr(KEY[:23]),
)


def _forged() -> dict[str, str]:
    return {**HEADERS, "webhook-signature": "v1," + "A" * 43 + "="}


def _error_paths(secret: Any) -> list[tuple[str, Callable[[], object]]]:
    webhook = Webhook(secret)
    bad_body = b"[1]"
    signed_bad = {**HEADERS, "webhook-signature": hmac_signature(KEY, "wh_1", NOW, bad_body)}
    event = lambda_event("albEvent.json", BODY + b" ", list(HEADERS.items()), base64_body=False)
    return [
        ("verify: mismatch", lambda: webhook.verify(BODY + b" ", HEADERS, now=NOW)),
        ("verify: forged", lambda: webhook.verify(BODY, _forged(), now=NOW)),
        ("verify: two entries", lambda: webhook.verify(BODY + b" ", [*HEADERS.items(), ("webhook-signature", "v1,x")])),
        ("verify: stale", lambda: webhook.verify(BODY, HEADERS, now=NOW + 10**6)),
        ("verify: missing", lambda: webhook.verify(BODY, {}, now=NOW)),
        ("verify: too large", lambda: Webhook(secret, max_body_bytes=1).verify(BODY, HEADERS, now=NOW)),
        ("verify: bad headers", lambda: webhook.verify(BODY, 5, now=NOW)),  # type: ignore[arg-type]
        ("unwrap: mismatch", lambda: webhook.unwrap(BODY + b" ", HEADERS, now=NOW)),
        ("unwrap: not an event", lambda: webhook.unwrap(bad_body, signed_bad, now=NOW)),
        ("sign: bad id", lambda: webhook.sign(BODY, webhook_id="")),
        ("sign: bad body", lambda: webhook.sign(5)),  # type: ignore[arg-type]
        ("verify_signature: mismatch", lambda: verify_signature(BODY + b" ", HEADERS, secret, now=NOW)),
        ("verify_signature: bad option", lambda: verify_signature(BODY, HEADERS, secret, tolerance=-1)),
        ("unwrap(): mismatch", lambda: unwrap(BODY + b" ", HEADERS, secret, now=NOW)),
        ("unwrap(): not an event", lambda: unwrap(bad_body, signed_bad, secret, now=NOW)),
        ("sign(): bad timestamp", lambda: sign(BODY, secret, timestamp=-1)),
        ("rotation: mismatch", lambda: verify_signature(BODY + b" ", HEADERS, [b"other", secret], now=NOW)),
        ("rotation: a bad secret", lambda: Webhook([secret, " "])),
        ("rotation: a bad option", lambda: Webhook([secret], tolerance=-1)),
        ("constructor: bad option", lambda: Webhook(secret, max_body_bytes=-1)),
        ("constructor: quoted", lambda: Webhook(f'"{secret}"' if isinstance(secret, str) else b'"' + secret + b'"')),
        ("constructor: truncated", lambda: Webhook([secret, TRUNCATED])),
        ("verify_signature: truncated", lambda: verify_signature(BODY, HEADERS, TRUNCATED, now=NOW)),
        ("aws_lambda.unwrap: mismatch", lambda: aws_lambda.unwrap(webhook, event, now=NOW)),
    ]  # fmt: skip


PACKAGE_DIR = str(Path(openai_webhook_events.__file__).parent)


def _in_package(frame: FrameType) -> bool:
    return frame.f_code.co_filename.startswith(PACKAGE_DIR)


def _secret_ids() -> list[Any]:
    return [SECRET, KEY, SECRET + "\n"]


@pytest.mark.parametrize("secret", _secret_ids(), ids=["whsec", "bytes", "whsec with a newline"])
def test_no_traceback_frame_holds_the_secret_the_key_or_the_expected_signature(secret: Any) -> None:
    for path, attempt in _error_paths(secret):
        try:
            attempt()
        except (WebhookError, TypeError) as exc:
            package_frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__) if _in_package(frame)]
            assert package_frames, path
            # The traceback from the package's first frame on, as an error tracker would record it.
            tb = exc.__traceback__
            while tb is not None and not _in_package(tb.tb_frame):
                tb = tb.tb_next
            captured = traceback.TracebackException(type(exc), exc, tb, capture_locals=True)
            text = "".join(captured.format())
            for needle in NEEDLES:
                assert needle not in text, (path, needle)
            frame_values = [value for frame in package_frames for value in frame.f_locals.values()]
            for forbidden in (secret, KEY, SECRET, EXPECTED_FOR_FORGERY, TRUNCATED, KEY[:23]):
                assert all(value is not forbidden and value != forbidden for value in frame_values), (path, forbidden)
        else:
            raise AssertionError(f"{path}: no error")


def test_repr_of_a_half_built_webhook_never_raises() -> None:
    assert repr(Webhook.__new__(Webhook)) == "Webhook(<0 secrets>, tolerance=300, max_body_bytes=1048576)"
    try:
        Webhook(SECRET, tolerance=-1)
    except WebhookConfigurationError as exc:  # the frame of __init__ holds the half-built self
        text = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
        assert "self = Webhook(<0 secrets>" in text


def test_signing_and_verifying_do_not_depend_on_the_openssl_object_inside_hmac(monkeypatch: pytest.MonkeyPatch) -> None:
    # An hmac built with a plain-Python digest constructor holds no OpenSSL HMAC object (as where the
    # interpreter has no OpenSSL): the package must then use hmac's own copy().
    import hashlib
    import hmac

    real_new = hmac.new

    def plain_new(key: bytes, msg: bytes | None = None, digestmod: Any = None) -> hmac.HMAC:
        mac = real_new(key, msg, lambda data=b"": hashlib.sha256(data))
        assert getattr(mac, "_hmac", None) is None
        return mac

    monkeypatch.setattr(hmac, "new", plain_new)
    webhook = Webhook(SECRET)
    headers = webhook.sign(BODY, webhook_id="msg_1", timestamp=NOW)
    assert headers["webhook-signature"] == hmac_signature(KEY, "msg_1", NOW, BODY)
    webhook.verify(BODY, headers, now=NOW)
    with pytest.raises(WebhookError, match="no matching signature"):
        webhook.verify(BODY + b" ", headers, now=NOW)
