"""Secrets and HMAC: turning a configured secret into a prepared ``hmac`` state, and the v1 signature.

Nothing here raises while it holds a secret, a key or an expected
signature: :func:`prepare_secrets` returns the reason a secret is unusable
for the caller to raise once it has dropped the secret, and
:func:`signed_by_any` compares in its own frame and returns a ``bool``.  So
no frame of a traceback (as error trackers capture them, locals included)
carries secret material.
"""

from __future__ import annotations

import binascii
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
MIN_WHSEC_BYTES = 24
"""The fewest bytes a ``whsec_`` secret decodes to: the Standard Webhooks spec's "at least 24 bytes"."""
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_API_KEY_PREFIX = "sk-"
_QUOTES = "\"'"
_b64 = binascii.b2a_base64
_compare = hmac.compare_digest


# Annotations only: made at import, this Protocol cost a cold start 0.2 M instructions (bench/coldstart.py, 3.12).
if TYPE_CHECKING:

    class Mac(Protocol):
        """A prepared HMAC-SHA256 state: ``hmac.new(key, digestmod="sha256")``, or the C object inside it."""

        def copy(self) -> Mac: ...
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...


def _prepared(key: bytes) -> Mac:
    """``hmac.new(key, digestmod="sha256")``, unwrapped to the OpenSSL HMAC object it holds when it holds one.

    That object has the same ``copy``/``update``/``digest``; copying it
    directly skips ``HMAC.copy``'s Python layer: verify 2.75 -> 2.3 us a
    delivery, SDK/verify 2.8x -> 3.4x (bench/run.py, CPython 3.11).
    """
    mac = hmac.new(key, digestmod="sha256")
    inner = getattr(mac, "_hmac", None)
    return cast("Mac", inner) if inner is not None and hasattr(inner, "copy") else mac


def prepare_secrets(secret: object, where: str) -> tuple[Mac, ...] | str:
    """One prepared HMAC-SHA256 state per secret, or the reason *secret* is unusable (a message naming *where*).

    *secret* is a ``str``, ``bytes`` or a non-empty sequence of them (see
    :func:`_key`).  The message never holds the secret.
    """
    if isinstance(secret, (str, bytes, bytearray)):
        items: Sequence[object] = (secret,)
    elif isinstance(secret, Sequence):
        items = cast("Sequence[object]", secret)
        if not items:
            return "the list of secrets is empty"
    else:
        return f"secret must be str, bytes or a sequence of them, not {type(secret).__name__}"
    prepared: list[Mac] = []
    for index, item in enumerate(items):
        key = _key(item, where if items is not secret else f"secret {index}")
        if isinstance(key, str):
            return key
        prepared.append(_prepared(key))
    return tuple(prepared)


def _key(secret: object, where: str) -> bytes | str:
    """The HMAC key of one secret, or why it is unusable.

    ``str``: surrounding whitespace and invisible characters are ignored for
    the checks and stripped from a ``whsec_`` secret; nothing left, quotes
    around it, or an OpenAI API key (``sk-...``) is unusable; ``whsec_`` +
    base64 is decoded, and fewer than :data:`MIN_WHSEC_BYTES` bytes is
    unusable (a truncated copy); any other text is its UTF-8 bytes, exactly
    as given, of any length.  ``bytes`` are the key as they are, of any
    length, after the same checks when they are printable ASCII text.
    """
    if isinstance(secret, str):
        text = _visible(secret)
        problem = _text_problem(secret, text, where)
        if problem:
            return problem
        if text.startswith(SECRET_PREFIX):
            key = _base64_key(text[len(SECRET_PREFIX) :])
            if key is None:
                extra = " (it contains whitespace)" if any(c.isspace() for c in text) else ""
                return f"{where}: the part after whsec_ is not valid base64{extra}"
            if 0 < len(key) < MIN_WHSEC_BYTES:
                size = f"{len(key)} byte{'s' if len(key) > 1 else ''}"
                return (
                    f"{where} looks truncated: the part after whsec_ decodes to {size}, and a signing secret "
                    f"has at least {MIN_WHSEC_BYTES}; copy the whole secret"
                )
        else:
            try:
                key = secret.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where} is not encodable as UTF-8"
    elif isinstance(secret, (bytes, bytearray)):
        key = bytes(secret)
        if key.isascii() and key.strip().decode().isprintable():
            text = key.decode()
            problem = _text_problem(text, _visible(text), where)
            if problem:
                return problem
            if text.strip().startswith(SECRET_PREFIX):
                return f"{where} is bytes starting with whsec_: pass the whsec_ secret as str"
    else:
        return f"{where} must be str or bytes, not {type(secret).__name__}"
    return key if key else f"{where} is empty"


def _visible(text: str) -> str:
    """*text* without surrounding whitespace and invisible (non-printable) characters."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or not text[start].isprintable()):
        start += 1
    while end > start and (text[end - 1].isspace() or not text[end - 1].isprintable()):
        end -= 1
    return text[start:end]


def _text_problem(given: str, visible: str, where: str) -> str:
    if not given:
        return f"{where} is empty"
    if not visible:
        return f"{where} is blank: it holds only whitespace or invisible characters"
    if len(visible) >= 2 and visible[0] in _QUOTES and visible[-1] == visible[0]:
        return f"{where} is wrapped in quotes: remove them"
    if visible.startswith(_API_KEY_PREFIX):
        return f"{where} looks like an OpenAI API key (sk-...), not a webhook signing secret (whsec_...)"
    return ""


def _base64_key(text: str) -> bytes | None:
    """Standard base64 (``=`` padding optional), or ``None`` if *text* is not that."""
    data = text.rstrip("=")
    padding = len(text) - len(data)
    if padding > 2 or len(data) % 4 == 1 or (padding and len(text) % 4) or not _BASE64_ALPHABET.issuperset(data):
        return None
    return binascii.a2b_base64(data + "=" * (-len(data) % 4))


def v1_signature(mac: Mac, content: bytes) -> str:
    """``"v1," + base64(HMAC-SHA256(key, content))``, from *mac* prepared with the key (left unchanged).

    The one place a signature is computed (signing and verifying).
    """
    signer = mac.copy()
    signer.update(content)  # one update of id.timestamp.body: about 0.1 us less than two (bench/run.py)
    return "v1," + _b64(signer.digest(), newline=False).decode()


def signed_by(mac: Mac, content: bytes, signature: str) -> bool:
    """Whether *signature* is the v1 signature of *content* under *mac*'s key (constant time)."""
    return _compare(signature, v1_signature(mac, content))


def signed_by_any(macs: Sequence[Mac], content: bytes, signatures: Sequence[str]) -> bool:
    """Whether any of *signatures* is the v1 signature of *content* under any of *macs*' keys (constant time)."""
    for mac in macs:
        expected = v1_signature(mac, content)
        for signature in signatures:
            if _compare(signature, expected):
                return True
    return False
