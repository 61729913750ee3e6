"""Standard Webhooks signature verification, as OpenAI signs its deliveries.

A delivery carries three headers: ``webhook-id``, ``webhook-timestamp``
(integer Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``
entries).  The signed content is the exact bytes
``{webhook-id}.{webhook-timestamp}.`` followed by the raw body.

- :func:`verify_signature` checks one delivery; :func:`unwrap` checks it,
  then decodes and parses the body; :func:`sign` makes the headers.
- :class:`Webhook` holds the prepared secrets (prepare once, reuse for every
  delivery: a module-level object in AWS Lambda) with the same three
  methods.

Headers are read by :mod:`._headers`, secrets and HMAC live in
:mod:`._signing`, the JSON loader in :mod:`._json`.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Union, cast

from ._errors import (
    InvalidHeaderError,
    InvalidPayloadError,
    PayloadTooLargeError,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    WebhookConfigurationError,
    shorten,
)
from ._headers import (
    WEBHOOK_ID,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    no_other_spelling,
    read_webhook_headers,
    v1_signatures,
)
from ._json import load_payload
from ._parse import parse_event
from ._signing import prepare_secrets, signed_by, signed_by_any, v1_signature

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._headers import HeadersLike
    from ._models import WebhookEvent
    from ._signing import Mac

    Secrets: TypeAlias = Union[str, bytes, Sequence[Union[str, bytes]]]

SECRET_ENV = "OPENAI_WEBHOOK_SECRET"  # noqa: S105  (a variable name, not a secret)
"""The environment variable :class:`Webhook` reads when it is given no secret."""

DEFAULT_MAX_BODY_BYTES = 1 << 20
"""Bodies larger than this (1 MiB) are rejected before any hashing."""

Verified: TypeAlias = "tuple[str, str, str]"
"""What :meth:`Webhook._verified` read and checked: ``(webhook-id, webhook-timestamp, webhook-signature)``."""

_MAX_TIMESTAMP_DIGITS = 20
_SIGNATURE_LENGTH = 47  # "v1," + base64 of 32 bytes
_time = time.time
_INFINITY = float("inf")


def _check_tolerance(tolerance: object) -> float:
    """*tolerance* if it is a finite number of seconds >= 1 (``int`` or ``float``, not ``bool``).

    Under a second refuses nearly every real delivery: ``webhook-timestamp``
    is whole seconds, so a delivery is up to a second old when it is sent,
    and the clock's fraction counts.  NaN and infinity are refused too.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance < _INFINITY:
        raise WebhookConfigurationError(f"tolerance must be a finite number of seconds, not {shorten(tolerance)}")
    if tolerance < 1:
        raise WebhookConfigurationError(
            f"tolerance must be at least 1 second, not {shorten(tolerance, 30)}: webhook-timestamp is whole seconds, "
            "so a delivery is up to a second old when sent"
        )
    return tolerance


def _check_max_body_bytes(max_body_bytes: object) -> float:
    if max_body_bytes is None:
        return _INFINITY
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 0:
        raise WebhookConfigurationError(f"max_body_bytes must be an int >= 0 or None, not {shorten(max_body_bytes)}")
    return max_body_bytes


def _body_bytes(payload: object, limit: float) -> bytes:
    """The raw body as ``bytes``; over *limit* bytes is rejected before anything is encoded or copied."""
    if isinstance(payload, str):
        if len(payload) > limit:  # n characters are at least n bytes of UTF-8
            raise _too_large(limit)
        try:
            body = str.encode(payload, "utf-8")
        except UnicodeEncodeError:
            raise InvalidPayloadError("body is not encodable as UTF-8 (a lone surrogate)") from None
        if len(body) > limit:
            raise _too_large(limit)
        return body
    if isinstance(payload, (bytes, bytearray, memoryview)):
        if (payload.nbytes if isinstance(payload, memoryview) else len(payload)) > limit:
            raise _too_large(limit)
        return bytes(payload)  # pyright: ignore[reportUnknownArgumentType]
    raise TypeError(f"payload must be the raw body as bytes or str, not {type(payload).__name__}")


def _too_large(limit: float) -> PayloadTooLargeError:
    return PayloadTooLargeError(int(limit))  # never infinite: nothing is larger than no bound


class Webhook:
    """The secrets of one webhook endpoint, prepared once, and what to do with them.

    *secret* is the endpoint's signing secret: ``"whsec_"`` followed by
    base64 (OpenAI's format; missing ``=`` padding is accepted, and
    whitespace or invisible characters around it are stripped), any other
    ``str`` (used as its UTF-8 bytes, exactly as given), ``bytes`` (used as
    they are), or a sequence of those during a secret rotation (a delivery
    is valid if it matches any of them; :meth:`sign` uses the first).  With
    no *secret*, the environment variable ``OPENAI_WEBHOOK_SECRET`` is read.

    *tolerance* is the replay window in seconds, finite and at least 1 (a
    delivery whose ``webhook-timestamp`` is more than that from now,
    fractions of a second included, is rejected); *max_body_bytes* bounds
    the body (``None`` for no bound).

    Raises :class:`WebhookConfigurationError` (a ``ValueError``) here, never
    later, for a missing secret; an empty one, or one of only whitespace or
    invisible characters; one wrapped in quotes; an OpenAI API key
    (``sk-...``); a ``whsec_`` secret whose rest is not base64, or decodes
    to fewer than 24 bytes (the Standard Webhooks minimum: a truncated
    copy); an empty list of secrets; a bad *tolerance* (not a number, NaN,
    infinite, under 1 second) or *max_body_bytes*.  ``bytes`` that are
    printable ASCII text get the same checks; other ``str`` and ``bytes``
    secrets may have any length.  Neither errors nor ``repr`` ever show a
    secret, nor do the locals of a traceback.
    """

    # Class defaults: repr() of a half-built Webhook works.  No class annotation for _macs: get_type_hints(Webhook)
    # resolves in the public package, where Mac is not a name.
    _macs = cast("tuple[Mac, ...]", ())
    _tolerance: float = 300
    _max_body_bytes: float = DEFAULT_MAX_BODY_BYTES
    _max_body_bytes_given: int | None = DEFAULT_MAX_BODY_BYTES

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
            where = SECRET_ENV
            if not secret:
                state = "empty" if secret == "" else "not set"
                raise WebhookConfigurationError(f"no secret given and the environment variable {SECRET_ENV} is {state}")
        macs = prepare_secrets(secret, where)
        secret = None  # dropped before anything can raise: no traceback frame keeps it
        if isinstance(macs, str):
            raise WebhookConfigurationError(macs)
        self._tolerance = _check_tolerance(tolerance)
        self._max_body_bytes = _check_max_body_bytes(max_body_bytes)
        self._max_body_bytes_given = max_body_bytes
        self._macs = macs

    @property
    def tolerance(self) -> float:
        """The replay window, in seconds."""
        return self._tolerance

    @property
    def max_body_bytes(self) -> int | None:
        """The largest body accepted, in bytes (``None``: no bound)."""
        return self._max_body_bytes_given

    def __repr__(self) -> str:
        count = len(self._macs)
        return (
            f"{type(self).__name__}(<{count} secret{'s' if count != 1 else ''}>, tolerance={self._tolerance!r}, "
            f"max_body_bytes={self._max_body_bytes_given!r})"
        )

    def verify(self, payload: bytes | str, headers: HeadersLike, *, now: float | None = None) -> None:
        """Check that *payload* (the raw body) and *headers* are a delivery signed with one of the secrets.

        *payload* is ``bytes`` (signed as they are, never decoded),
        ``bytearray``/``memoryview``, or ``str`` (encoded as UTF-8).
        *headers* is any :data:`HeadersLike` (names in any ASCII case; see
        :mod:`._headers` for repeated and comma-joined headers).  *now* (Unix
        seconds, ``int`` or ``float``) replaces the clock, for tests; the
        clock's fraction of a second counts either way.

        Raises :class:`MissingHeaderError` or :class:`InvalidHeaderError`
        (``.header`` names it), :class:`TimestampOutOfRangeError`
        (``.too_old``), :class:`PayloadTooLargeError` (an
        :class:`InvalidPayloadError`) for a body over ``max_body_bytes``,
        :class:`InvalidPayloadError` for text with a lone surrogate, or
        :class:`SignatureMismatchError`; ``TypeError`` only for a *payload*
        or *headers* of no supported type (a programming error).
        """
        self._verified(payload, headers, now)  # one call more than inlined: +0.1 us of 2.5 us (timeit, 13 headers)

    def _verified(
        self, payload: object, headers: HeadersLike, now: float | None, clock: Callable[[int], float] | None = None
    ) -> Verified:
        """:meth:`verify`, answering what it read and checked: ``(webhook-id, webhook-timestamp, webhook-signature)``.

        The receive step's one read of the headers.  *clock* (the queue's
        worker) gives the clock to check the timestamp against from its
        seconds, in place of *now*.  The answer holds no secret: the
        signatures are the delivery's own.
        """
        body: Any = payload  # the size first: an oversized body is a 413 whatever its headers (as adapters see it)
        if body.__class__ is not bytes or len(body) > self._max_body_bytes:
            body = _body_bytes(payload, self._max_body_bytes)
        # A plain dict whose three lower-case names hold text without commas (and no other spelling
        # of them): read directly, the general reader's answer (tests/unit/test_verify_headers.py holds
        # them to it). Over the bench/run.py deliveries with 13 headers: 3.5 us a verify, not 5.9.
        fast: Any = headers
        if fast.__class__ is dict:
            webhook_id = fast.get(WEBHOOK_ID)
            timestamp = fast.get(WEBHOOK_TIMESTAMP)
            signatures = fast.get(WEBHOOK_SIGNATURE)
            if not (
                webhook_id.__class__ is str
                and timestamp.__class__ is str
                and signatures.__class__ is str
                and "," not in webhook_id
                and "," not in timestamp
                and (len(fast) == 3 or no_other_spelling(fast))
            ):
                webhook_id, timestamp, signatures = read_webhook_headers(headers)
        else:
            webhook_id, timestamp, signatures = read_webhook_headers(headers)
        if not webhook_id:
            raise InvalidHeaderError(WEBHOOK_ID, "empty")
        if not (timestamp.isdigit() and timestamp.isascii() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS):
            raise InvalidHeaderError(WEBHOOK_TIMESTAMP, "expected Unix seconds as 1 to 20 ASCII digits")
        seconds = int(timestamp)
        if clock is not None:
            now = clock(seconds)
        elif now is None:
            now = _time()  # its fraction counts: 300.9 s is more than a tolerance of 300
        if not abs(now - seconds) <= self._tolerance:  # written so that a NaN `now` is out of range too
            raise TimestampOutOfRangeError(now > seconds)

        try:
            content = f"{webhook_id}.{timestamp}.".encode() + body
        except UnicodeEncodeError:
            raise InvalidHeaderError(WEBHOOK_ID, "not encodable as UTF-8 (a lone surrogate)") from None

        macs = self._macs
        # A lone signature against the first secret: the common case, without splitting.
        if len(signatures) == _SIGNATURE_LENGTH and signatures.isascii() and signed_by(macs[0], content, signatures):
            return webhook_id, timestamp, signatures
        if not signed_by_any(macs, content, v1_signatures(signatures)):
            raise SignatureMismatchError()
        return webhook_id, timestamp, signatures

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
        strict UTF-8 JSON holding an object, nested at most 208 levels
        (:class:`InvalidPayloadError` otherwise, see :func:`load_payload`),
        and the object a valid event (:class:`InvalidEventError`; an unknown
        ``type`` gives an :class:`UnknownWebhookEvent`, or
        :class:`UnknownEventTypeError` with ``unknown="raise"``).
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
        elif not isinstance(given_id, str) or not webhook_id or not webhook_id.isprintable() or "," in webhook_id:
            raise WebhookConfigurationError("webhook_id must be a non-empty printable str without commas")
        if timestamp is None:
            timestamp = int(_time())
        elif isinstance(given_timestamp, bool) or not isinstance(given_timestamp, int) or not 0 <= timestamp < 10**20:
            raise WebhookConfigurationError(f"timestamp must be an int of Unix seconds >= 0, not {shorten(timestamp)}")
        content = f"{webhook_id}.{timestamp}.".encode() + _body_bytes(payload, _INFINITY)  # printable id
        return {
            WEBHOOK_ID: webhook_id,
            WEBHOOK_TIMESTAMP: str(timestamp),
            WEBHOOK_SIGNATURE: v1_signature(self._macs[0], content),
        }


# --- Functions ----------------------------------------------------------------------------------

_CACHE: dict[tuple[object, ...], Webhook] = {}
_CACHE_SIZE = 16
_CACHE_SALT = os.urandom(32)  # the cache is keyed by a keyed digest of the secret, never the secret
_blake2b = hashlib.blake2b


def _cache_key(secret: object, tolerance: object, max_body_bytes: object) -> tuple[object, ...] | None:
    """A key for the arguments of one module function call, or ``None`` when they are not cached."""
    # The cache pays: verify_signature costs a Webhook.verify + 1.5 us with it, + 4.6 us without
    # (a Webhook made per call), over the 32 example deliveries of bench/run.py.
    if tolerance.__class__ not in (int, float) or not (max_body_bytes is None or max_body_bytes.__class__ is int):
        return None
    if isinstance(secret, str) and secret.__class__ is str:
        material = secret.encode("utf-8", "surrogatepass")
    elif isinstance(secret, bytes) and secret.__class__ is bytes:
        material = secret
    else:
        return None
    return (secret.__class__, _blake2b(material, key=_CACHE_SALT, digest_size=16).digest(), tolerance, max_body_bytes)


def _webhook(secret: Secrets, tolerance: float, max_body_bytes: int | None) -> Webhook:
    """A :class:`Webhook` for these arguments, reused across calls for a ``str`` or ``bytes`` secret."""
    key = _cache_key(secret, tolerance, max_body_bytes)
    webhook = _CACHE.get(key) if key is not None else None
    if webhook is None:
        try:
            webhook = Webhook(secret, tolerance=tolerance, max_body_bytes=max_body_bytes)
        finally:
            del secret  # no frame of a raised traceback keeps the secret
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

    A ``str`` or ``bytes`` secret is prepared once and kept (keyed by a
    digest, never the secret) for the next call; in a long-lived process
    prefer a :class:`Webhook`.
    """
    try:
        webhook = _webhook(secret, tolerance, max_body_bytes)
    finally:
        del secret
    webhook.verify(payload, headers, now=now)


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
    try:
        webhook = _webhook(secret, tolerance, max_body_bytes)
    finally:
        del secret
    return webhook.unwrap(payload, headers, now=now, unknown=unknown)


def sign(
    payload: bytes | str, secret: Secrets, *, webhook_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three ``webhook-*`` headers for *payload*: :meth:`Webhook.sign` with this secret (the first, if several)."""
    try:
        webhook = _webhook(secret, 300, DEFAULT_MAX_BODY_BYTES)
    finally:
        del secret
    return webhook.sign(payload, webhook_id=webhook_id, timestamp=timestamp)
