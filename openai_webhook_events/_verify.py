"""Standard Webhooks signature verification, as OpenAI signs its deliveries.

A delivery carries three headers: ``webhook-id``, ``webhook-timestamp``
(integer Unix seconds) and ``webhook-signature`` (space-separated
``v1,<base64 HMAC-SHA256>`` entries).  The signed content is the exact bytes
``{webhook-id}.{webhook-timestamp}.`` followed by the raw body.

- :func:`verify_signature` checks one delivery; :func:`unwrap` checks it,
  then decodes and parses the body; :func:`sign` makes the headers.
- :class:`Webhook` holds the decoded secrets (decode once, reuse for every
  delivery: a module-level object in AWS Lambda) with the same three
  methods.

The hot path is :meth:`Webhook.verify`: each secret's HMAC key state (the
SHA-256 states after the ``ipad`` and ``opad`` blocks, RFC 2104) is prepared
once and copied per delivery; a plain ``dict`` with lower-case names is read
directly; no regular expressions.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import os
import time
from collections.abc import Sequence
from hmac import compare_digest
from typing import TYPE_CHECKING, Any, Literal, Union, cast

from ._errors import (
    InvalidHeaderError,
    InvalidPayloadError,
    MissingHeaderError,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    WebhookConfigurationError,
)
from ._parse import parse_event

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Protocol, TypeAlias

    from ._models import WebhookEvent

    class _SupportsItems(Protocol):
        def items(self) -> Iterable[tuple[Any, Any]]: ...

    HeadersLike: TypeAlias = Union[_SupportsItems, Iterable[tuple[Any, Any]]]
    """A ``dict`` or any mapping, an object with ``.items()`` (Werkzeug, Starlette,
    ``email.message.Message``, multidicts) or an iterable of ``(name, value)`` pairs."""

    Secrets: TypeAlias = Union[str, bytes, Sequence[Union[str, bytes]]]

__all__ = ["DEFAULT_MAX_BODY_BYTES", "SECRET_ENV", "Webhook", "load_payload", "sign", "unwrap", "verify_signature"]

SECRET_ENV = "OPENAI_WEBHOOK_SECRET"  # noqa: S105  (a variable name, not a secret)
"""The environment variable :class:`Webhook` reads when it is given no secret."""

DEFAULT_MAX_BODY_BYTES = 1 << 20
"""Bodies larger than this (1 MiB) are rejected before any hashing."""

_ID, _TIMESTAMP, _SIGNATURE = "webhook-id", "webhook-timestamp", "webhook-signature"
_NAMES = {_ID: 0, _TIMESTAMP: 1, _SIGNATURE: 2}
_MAX_TIMESTAMP_DIGITS = 20
_MAX_SIGNATURES = 64  # entries of webhook-signature examined, at most
_SIGNATURE_LENGTH = 47  # "v1," + base64 of 32 bytes
_SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_BLOCK_SIZE = 64  # SHA-256
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))

_sha256 = hashlib.sha256
_b64 = binascii.b2a_base64
_time = time.time


# --- Secrets ------------------------------------------------------------------------------------


def _key_bytes(secret: object, where: str) -> bytes:
    """The HMAC key of one secret; never puts the secret into an error (nor its ``__context__``)."""
    if isinstance(secret, str):
        if secret.startswith(_SECRET_PREFIX):
            key = _base64_key(secret[len(_SECRET_PREFIX) :])
            if key is None:
                raise WebhookConfigurationError(f"{where}: the part after whsec_ is not valid base64")
        else:
            try:
                key = secret.encode("utf-8")
            except UnicodeEncodeError:
                key = None
            if key is None:
                raise WebhookConfigurationError(f"{where} is not encodable as UTF-8")
    elif isinstance(secret, (bytes, bytearray)):
        key = bytes(secret)
    else:
        raise WebhookConfigurationError(f"{where} must be str or bytes, not {type(secret).__name__}")
    if not key:
        raise WebhookConfigurationError(f"{where} is empty")
    return key


def _base64_key(text: str) -> bytes | None:
    """Standard base64 (``=`` padding optional), or ``None`` if *text* is not that."""
    data = text.rstrip("=")
    padding = len(text) - len(data)
    if padding > 2 or len(data) % 4 == 1 or (padding and len(text) % 4) or not _BASE64_ALPHABET.issuperset(data):
        return None
    return binascii.a2b_base64(data + "=" * (-len(data) % 4))


def _prepare(key: bytes) -> tuple[Any, Any]:
    """The SHA-256 states of HMAC-SHA256 after the key's ``ipad`` and ``opad`` blocks."""
    if len(key) > _BLOCK_SIZE:
        key = _sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\0")
    return _sha256(key.translate(_IPAD)), _sha256(key.translate(_OPAD))


def _decode_secrets(secret: Any, where: str) -> tuple[tuple[Any, Any], ...]:
    if isinstance(secret, (str, bytes, bytearray)):
        return (_prepare(_key_bytes(secret, where)),)
    if isinstance(secret, Sequence):
        if not secret:
            raise WebhookConfigurationError("the list of secrets is empty")
        secrets = cast("Sequence[object]", secret)
        return tuple(_prepare(_key_bytes(item, f"secret {i}")) for i, item in enumerate(secrets))
    raise WebhookConfigurationError(f"secret must be str, bytes or a sequence of them, not {type(secret).__name__}")


def _check_tolerance(tolerance: object) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0:
        raise WebhookConfigurationError(f"tolerance must be a number of seconds >= 0, not {tolerance!r}")
    return tolerance


def _check_max_body_bytes(max_body_bytes: object) -> float:
    if max_body_bytes is None:
        return float("inf")
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 0:
        raise WebhookConfigurationError(f"max_body_bytes must be an int >= 0 or None, not {max_body_bytes!r}")
    return max_body_bytes


# --- Headers ------------------------------------------------------------------------------------


def _text(name: str, value: object) -> str:
    """A header value as text: ``str`` as is, ``bytes`` decoded as UTF-8."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidHeaderError(name, "not valid UTF-8") from None
    raise InvalidHeaderError(name, f"expected str or bytes, got {type(value).__name__}")


def _read_headers(headers: Any) -> tuple[str, str, str]:
    """``(webhook-id, webhook-timestamp, webhook-signature)`` from headers of any supported shape.

    Names match case-insensitively (ASCII only).  Repeated ``webhook-signature``
    values are joined with a space; a repeated ``webhook-id`` or
    ``webhook-timestamp`` must repeat the same value.  A value may be a list
    or tuple of values (``multiValueHeaders``).
    """
    values: list[list[str]] = [[], [], []]
    if headers is None:
        pairs: Any = ()
    elif hasattr(headers, "items"):
        pairs = headers.items()
    elif hasattr(headers, "get") and not hasattr(headers, "__iter__"):
        pairs = [(name, headers.get(name)) for name in _NAMES]
        pairs = [(name, value) for name, value in pairs if value is not None]
    elif isinstance(headers, (str, bytes, bytearray)) or not hasattr(headers, "__iter__"):
        raise TypeError(
            "headers must be a mapping, an object with .items(), or an iterable of (name, value) pairs, "
            f"not {type(headers).__name__}"
        )
    else:
        pairs = headers
    for pair in pairs:
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"headers: expected (name, value) pairs, got a {type(pair).__name__}") from None
        if isinstance(name, (bytes, bytearray)):
            name = bytes(name).decode("latin-1")
        elif not isinstance(name, str):
            continue
        if not name.isascii():
            continue
        index = _NAMES.get(name.lower())
        if index is None:
            continue
        name = name.lower()
        if isinstance(value, (list, tuple)):
            values[index].extend(_text(name, item) for item in cast("Sequence[object]", value))
        else:
            values[index].append(_text(name, value))
    found: list[str] = []
    for name, index in _NAMES.items():
        given = values[index]
        if not given:
            raise MissingHeaderError(name)
        if index == 2:
            found.append(" ".join(given))
        else:
            if any(value != given[0] for value in given):
                raise InvalidHeaderError(name, "repeated with different values")
            found.append(given[0])
    return found[0], found[1], found[2]


# --- Payloads -----------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise InvalidPayloadError(f"body is not valid JSON ({name} is not a JSON number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if value == _INF or value == -_INF:
        raise InvalidPayloadError("body is not valid JSON (a number too large for a float)")
    return value


_INF = float("inf")
_decoder: Any = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_scan_once: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # the scanner alone, no regex around it
_JSON_WHITESPACE = " \t\n\r"


def load_payload(body: bytes | str) -> dict[str, Any]:
    """Decode a webhook body: strict UTF-8 (for bytes), strict JSON, a JSON object at the top.

    Raises :class:`InvalidPayloadError` with a one-line reason for bad UTF-8,
    bad JSON, ``NaN``/``Infinity``/``-Infinity`` or a number too large for a
    float, nesting deep enough to hit the recursion limit, an integer over
    the interpreter's digit limit, or a top level that is not an object.
    Nothing else escapes.
    """
    if isinstance(body, str):
        text = body
    else:
        try:
            text = str(body, "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidPayloadError(f"body is not valid UTF-8 (at byte {exc.start})") from None
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    try:
        value, end = _scan_once(text, start)
    except StopIteration as exc:
        raise InvalidPayloadError(f"body is not valid JSON (expecting value at char {exc.value})") from None
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Invalid control character at", "Unterminated string starting at"
        raise InvalidPayloadError(
            f"body is not valid JSON ({reason[:1].lower()}{reason[1:]} at char {exc.pos})"
        ) from None
    except RecursionError:
        raise InvalidPayloadError("body is not valid JSON (nested too deeply)") from None
    except InvalidPayloadError:
        raise
    except ValueError:  # int() over sys.get_int_max_str_digits()
        raise InvalidPayloadError("body is not valid JSON (an integer has too many digits)") from None
    if end != len(text):
        rest = text[end:].lstrip(_JSON_WHITESPACE)
        if rest:
            raise InvalidPayloadError(f"body is not valid JSON (extra data at char {len(text) - len(rest)})")
    if value.__class__ is not dict:
        raise InvalidPayloadError("body is not a JSON object")
    return value


def _body_bytes(payload: object) -> bytes:
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidPayloadError("body is not encodable as UTF-8 (a lone surrogate)") from None
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)  # pyright: ignore[reportUnknownArgumentType]
    raise TypeError(f"payload must be the raw body as bytes or str, not {type(payload).__name__}")


# --- Webhook ------------------------------------------------------------------------------------


class Webhook:
    """The secrets of one webhook endpoint, decoded once, and what to do with them.

    *secret* is the endpoint's signing secret: ``"whsec_"`` followed by
    base64 (OpenAI's format; missing ``=`` padding is accepted), any other
    ``str`` (used as its UTF-8 bytes), ``bytes`` (used as they are), or a
    sequence of those during a secret rotation (a delivery is valid if it
    matches any of them; :meth:`sign` uses the first).  With no *secret*,
    the environment variable ``OPENAI_WEBHOOK_SECRET`` is read.

    *tolerance* is the replay window in seconds (a delivery whose
    ``webhook-timestamp`` is further than that from now is rejected);
    *max_body_bytes* bounds the body (``None`` for no bound).

    Raises :class:`WebhookConfigurationError` (a ``ValueError``) here, never
    later, for a missing, empty or undecodable secret, an empty list of
    secrets, or a bad *tolerance* or *max_body_bytes*.  Neither errors nor
    ``repr`` ever show a secret.
    """

    def __init__(
        self,
        secret: Secrets | None = None,
        *,
        tolerance: float = 300,
        max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        where = "secret"
        if secret is None:
            secret = os.environ.get(SECRET_ENV)
            if not secret:
                raise WebhookConfigurationError(
                    f"no secret given and the environment variable {SECRET_ENV} is "
                    + ("empty" if secret == "" else "not set")
                )
            where = SECRET_ENV
        self._keys = _decode_secrets(secret, where)
        self._inner, self._outer = self._keys[0]
        self._tolerance = _check_tolerance(tolerance)
        self._max_body_bytes = _check_max_body_bytes(max_body_bytes)
        self._max_body_bytes_given = max_body_bytes

    @property
    def tolerance(self) -> float:
        """The replay window, in seconds."""
        return self._tolerance

    @property
    def max_body_bytes(self) -> int | None:
        """The largest body accepted, in bytes (``None``: no bound)."""
        return self._max_body_bytes_given

    def __repr__(self) -> str:
        count = len(self._keys)
        return (
            f"{type(self).__name__}(<{count} secret{'s' if count != 1 else ''}>, tolerance={self._tolerance!r}, "
            f"max_body_bytes={self._max_body_bytes_given!r})"
        )

    def verify(self, payload: bytes | str, headers: HeadersLike, *, now: float | None = None) -> None:
        """Check that *payload* (the raw body) and *headers* are a delivery signed with one of the secrets.

        *payload* is ``bytes`` (signed as they are, never decoded) or ``str``
        (encoded as UTF-8).  *headers* may be a ``dict`` (any case of names),
        any mapping, an object with ``.items()`` (Werkzeug ``Headers``,
        Starlette ``Headers``, ``http.client.HTTPMessage``, multidicts) or an
        iterable of ``(name, value)`` pairs; values ``str`` or ``bytes``.
        *now* (Unix seconds) replaces the clock, for tests.

        Raises :class:`MissingHeaderError` or :class:`InvalidHeaderError`
        (``.header`` names it), :class:`TimestampOutOfRangeError`
        (``.too_old``), :class:`InvalidPayloadError` for a body over
        ``max_body_bytes`` (or text with a lone surrogate), or
        :class:`SignatureMismatchError`; ``TypeError`` only for a *payload*
        or *headers* of no supported type (a programming error).
        """
        # A plain dict with the lower-case names, values str: read directly.
        # Anything else: the general reader (any case, repeats, bytes).
        webhook_id: Any
        timestamp: Any
        signatures: Any
        fast: Any = headers
        if fast.__class__ is dict:
            webhook_id = fast.get("webhook-id")
            timestamp = fast.get("webhook-timestamp")
            signatures = fast.get("webhook-signature")
            if webhook_id.__class__ is not str or timestamp.__class__ is not str or signatures.__class__ is not str:
                webhook_id, timestamp, signatures = _read_headers(headers)
        else:
            webhook_id, timestamp, signatures = _read_headers(headers)

        if not webhook_id:
            raise InvalidHeaderError(_ID, "empty")
        if not (timestamp.isdigit() and timestamp.isascii() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS):
            raise InvalidHeaderError(_TIMESTAMP, "expected Unix seconds as 1 to 20 ASCII digits")
        seconds = int(timestamp)
        if now is None:
            now = int(_time())
        if not abs(now - seconds) <= self._tolerance:  # written so that a NaN `now` is out of range too
            raise TimestampOutOfRangeError(now > seconds)

        if not isinstance(payload, bytes):
            payload = _body_bytes(payload)
        if len(payload) > self._max_body_bytes:
            raise InvalidPayloadError(f"body is larger than {self._max_body_bytes_given} bytes")
        try:
            prefix = f"{webhook_id}.{timestamp}.".encode()
        except UnicodeEncodeError:
            raise InvalidHeaderError(_ID, "not encodable as UTF-8 (a lone surrogate)") from None

        # The first secret against a lone signature: the common case, inline.
        mac = self._inner.copy()
        mac.update(prefix)
        mac.update(payload)
        outer = self._outer.copy()
        outer.update(mac.digest())
        expected = "v1," + _b64(outer.digest(), newline=False).decode()
        if len(signatures) == _SIGNATURE_LENGTH and signatures.isascii() and compare_digest(signatures, expected):
            return
        self._verify_rest(prefix, payload, signatures, expected)

    def _verify_rest(self, prefix: bytes, payload: bytes, signatures: str, expected: str) -> None:
        """Every signature entry (at most 64) against every secret; *expected* is the first secret's."""
        entries = signatures.split(None, _MAX_SIGNATURES)[:_MAX_SIGNATURES]
        if not entries:
            raise InvalidHeaderError(_SIGNATURE, "empty")
        candidates = [
            entry
            for entry in entries
            if len(entry) == _SIGNATURE_LENGTH and entry.startswith("v1,") and entry.isascii()
        ]
        if not candidates:
            raise InvalidHeaderError(_SIGNATURE, "no v1,<base64> signature")
        for index, (inner, outer) in enumerate(self._keys):
            if index:
                mac = inner.copy()
                mac.update(prefix)
                mac.update(payload)
                outer_mac = outer.copy()
                outer_mac.update(mac.digest())
                expected = "v1," + _b64(outer_mac.digest(), newline=False).decode()
            for entry in candidates:
                if compare_digest(entry, expected):
                    return
        raise SignatureMismatchError()

    def unwrap(
        self,
        payload: bytes | str,
        headers: HeadersLike,
        *,
        now: float | None = None,
        unknown: Literal["keep", "raise"] = "keep",
    ) -> WebhookEvent:
        """Verify a delivery (see :meth:`verify`), then decode its body and parse the event.

        Nothing is decoded before the signature holds.  Then the body must be
        strict UTF-8 JSON holding an object (:class:`InvalidPayloadError`
        otherwise, see :func:`load_payload`), and the object a valid event
        (:class:`InvalidEventError`; an unknown ``type`` gives an
        :class:`UnknownWebhookEvent`, or :class:`UnknownEventTypeError` with
        ``unknown="raise"``).
        """
        self.verify(payload, headers, now=now)
        return parse_event(load_payload(payload), unknown=unknown)

    def sign(
        self, payload: bytes | str, *, webhook_id: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """The three ``webhook-*`` headers of a delivery of *payload*, signed with the first secret.

        For tests and local development.  *webhook_id* defaults to a random
        ``wh_…`` id and *timestamp* to the current Unix time.
        """
        given_id: object = webhook_id
        given_timestamp: object = timestamp
        if webhook_id is None:
            webhook_id = "wh_" + os.urandom(16).hex()
        elif not isinstance(given_id, str) or not webhook_id or not webhook_id.isprintable():
            raise WebhookConfigurationError("webhook_id must be a non-empty printable str")
        if timestamp is None:
            timestamp = int(_time())
        elif isinstance(given_timestamp, bool) or not isinstance(given_timestamp, int) or not 0 <= timestamp < 10**20:
            raise WebhookConfigurationError(f"timestamp must be an int of Unix seconds >= 0, not {timestamp!r}")
        mac = self._inner.copy()
        mac.update(f"{webhook_id}.{timestamp}.".encode())  # printable: no lone surrogates
        mac.update(_body_bytes(payload))
        outer = self._outer.copy()
        outer.update(mac.digest())
        return {
            _ID: webhook_id,
            _TIMESTAMP: str(timestamp),
            _SIGNATURE: "v1," + _b64(outer.digest(), newline=False).decode(),
        }

    def unwrap_lambda(
        self, event: object, *, now: float | None = None, unknown: Literal["keep", "raise"] = "keep"
    ) -> WebhookEvent:
        """Verify and parse the delivery in an AWS Lambda request *event* (API Gateway, function URL, ALB).

        :func:`openai_webhook_events.aws_lambda.read_request` takes out the
        body and headers (raising :class:`InvalidPayloadError` for an event of
        another shape), then :meth:`unwrap` does the rest.
        """
        from .aws_lambda import read_request  # here: aws_lambda depends on this module, not the reverse

        request = read_request(event)
        return self.unwrap(request.body, request.headers.pairs(), now=now, unknown=unknown)


# --- Functions ----------------------------------------------------------------------------------

_CACHE: dict[tuple[Any, ...], Webhook] = {}
_CACHE_SIZE = 16


def _webhook(secret: Secrets, tolerance: float, max_body_bytes: int | None) -> Webhook:
    """A :class:`Webhook` for these arguments, reused across calls when they are hashable."""
    key = None
    if (
        secret.__class__ in (str, bytes, tuple)
        and tolerance.__class__ in (int, float)
        and (max_body_bytes is None or max_body_bytes.__class__ is int)
    ):
        key = (secret.__class__, secret, tolerance, max_body_bytes)
        try:
            return _CACHE[key]
        except KeyError:
            pass
        except TypeError:  # a tuple holding something unhashable
            key = None
    webhook = Webhook(secret, tolerance=tolerance, max_body_bytes=max_body_bytes)
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = webhook
    return webhook


def verify_signature(
    payload: bytes | str,
    headers: HeadersLike,
    secret: Secrets,
    *,
    tolerance: float = 300,
    now: float | None = None,
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Check a delivery's signature: :meth:`Webhook.verify` with these secrets.

    The secrets are decoded once per distinct (hashable) argument and kept
    for the next call; in a long-lived process prefer a :class:`Webhook`.
    """
    _webhook(secret, tolerance, max_body_bytes).verify(payload, headers, now=now)


def unwrap(
    payload: bytes | str,
    headers: HeadersLike,
    secret: Secrets,
    *,
    tolerance: float = 300,
    now: float | None = None,
    unknown: Literal["keep", "raise"] = "keep",
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
) -> WebhookEvent:
    """Verify a delivery, then return its typed event: :meth:`Webhook.unwrap` with these secrets."""
    return _webhook(secret, tolerance, max_body_bytes).unwrap(payload, headers, now=now, unknown=unknown)


def sign(
    payload: bytes | str, secret: Secrets, *, webhook_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three ``webhook-*`` headers for *payload*: :meth:`Webhook.sign` with this secret (the first, if several)."""
    return _webhook(secret, 300, DEFAULT_MAX_BODY_BYTES).sign(payload, webhook_id=webhook_id, timestamp=timestamp)
