"""Test helpers for your own webhook handlers: example events, signed requests, Lambda request events.

Standard library only, and not imported by ``import openai_webhook_events``
(your tests import it: ``from openai_webhook_events import testing``).

- :func:`make_payload` gives the realistic example payload of any known
  event type (the JSON files in ``openai_webhook_events/payloads/``, shipped
  with the package), with your overrides; :func:`make_event` parses it into
  its typed event.
- :func:`signed_request` signs a payload as OpenAI does: ``(body, headers)``.
- :func:`lambda_event` puts a signed delivery into the request event of an
  AWS Lambda integration, for your ``lambda_handler``.

Defaults are deterministic (an event type's payload, ids included, is the
same on every call) except for what a delivery needs fresh: the
``webhook-id`` (random) and ``webhook-timestamp`` (now) of a signed request.
Every error is one of this package's: :class:`UnknownEventTypeError` for an
event type string that is not known, :class:`InvalidEventError` when
:func:`make_event`'s overrides make the payload invalid, and
:class:`WebhookConfigurationError` for any other unusable argument.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from ._errors import UnknownEventTypeError, WebhookConfigurationError, shorten
from ._parse import EVENT_TYPES, parse_event, to_dict
from ._verify import sign

if TYPE_CHECKING:
    from ._models import WebhookEvent
    from ._verify import Secrets

__all__ = ["LAMBDA_SHAPES", "LambdaShape", "lambda_event", "make_event", "make_payload", "signed_request"]

_E = TypeVar("_E", bound="WebhookEvent")

LambdaShape = Literal["api-gateway-v1", "api-gateway-v2", "function-url", "alb", "alb-multi-value"]
"""A Lambda integration: API Gateway REST API (payload 1.0), HTTP API (2.0), function URL, ALB (± multi-value)."""

LAMBDA_SHAPES: tuple[LambdaShape, ...] = ("api-gateway-v1", "api-gateway-v2", "function-url", "alb", "alb-multi-value")
"""Every :data:`LambdaShape`, in that order."""

_PACKAGE = __name__.rpartition(".")[0]  # the package's name, also when it is vendored under another one
_TYPE_OF: dict[type[Any], str] = {cls: event_type for event_type, cls in EVENT_TYPES.items()}
_EXAMPLES: dict[str, str] = {}


def _event_type(event_type: object) -> str:
    """The type string of *event_type* (a known type string or its event class)."""
    if isinstance(event_type, str):
        if event_type not in EVENT_TYPES:
            raise UnknownEventTypeError(event_type)
        return event_type
    found = _TYPE_OF.get(event_type) if isinstance(event_type, type) else None
    if found is None:
        raise WebhookConfigurationError(
            f"event_type must be a known event type or its event class, not {shorten(event_type)}"
        )
    return found


def make_payload(event_type: str | type[WebhookEvent], /, **overrides: object) -> dict[str, Any]:
    """The example payload of *event_type* (``"response.completed"`` or its event class), as a fresh ``dict``.

    Each keyword sets the top-level key of its name (``id=``, ``created_at=``,
    ``object=``, even ``type=`` or a key the contract does not name), except
    ``data=``: a mapping is merged into the example's ``data`` (its keys
    replace the example's, one level deep), any other value replaces
    ``data`` whole.  Values are used as given and nothing is checked, so a
    payload can be made invalid on purpose, to test your error paths.

    Raises :class:`UnknownEventTypeError` for a type string that is not
    known, :class:`WebhookConfigurationError` for anything else that is not
    an event class of a known type.
    """
    name = _event_type(event_type)
    text = _EXAMPLES.get(name)
    if text is None:
        text = _EXAMPLES[name] = (resources.files(_PACKAGE) / "payloads" / f"{name}.json").read_text("utf-8")
    payload: dict[str, Any] = json.loads(text)
    for key, value in overrides.items():
        if key == "data" and isinstance(value, Mapping):
            payload["data"] = {**payload["data"], **cast("Mapping[str, object]", value)}
        else:
            payload[key] = value
    return payload


@overload
def make_event(event_type: type[_E], /, **overrides: object) -> _E: ...
@overload
def make_event(event_type: str, /, **overrides: object) -> WebhookEvent: ...
def make_event(event_type: str | type[Any], /, **overrides: object) -> WebhookEvent:
    """The typed event of :func:`make_payload` ``(event_type, **overrides)``: ``parse_event`` of that payload.

    Given an event class, type checkers see its instance
    (``make_event(ResponseCompletedWebhookEvent)`` is a
    ``ResponseCompletedWebhookEvent``); given a type string, a
    ``WebhookEvent``.  Raises :class:`InvalidEventError` when the overrides
    make the payload invalid (``.path`` names where), and
    :class:`WebhookConfigurationError` for ``type=`` (the first argument
    says the type; :func:`make_payload` takes ``type=``).
    """
    if "type" in overrides:
        raise WebhookConfigurationError("make_event takes the event type as its first argument, not type=")
    return parse_event(make_payload(event_type, **overrides))


def _body(payload: object) -> bytes:
    """The raw body of *payload*: bytes as they are, ``str`` as UTF-8, a mapping or an event as JSON."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)  # pyright: ignore[reportUnknownArgumentType]
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookConfigurationError("payload is not encodable as UTF-8 (a lone surrogate)") from None
    if isinstance(payload, Mapping):
        value: object = dict(cast("Mapping[object, object]", payload))
    else:
        try:
            value = to_dict(cast("WebhookEvent", payload))
        except TypeError:
            raise WebhookConfigurationError(
                f"payload must be a dict, an event, bytes or str, not {type(payload).__name__}"
            ) from None
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise WebhookConfigurationError(f"payload cannot be encoded as JSON: {exc}") from None


def signed_request(
    payload: object,
    secret: Secrets,
    *,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """``(body, headers)`` of a delivery of *payload* signed with *secret*, as OpenAI sends it.

    *payload* is a mapping or an event (sent as compact JSON), or the raw
    body as ``bytes`` or ``str`` (sent as they are, so a malformed body can
    be signed too).  *secret* is any secret :class:`Webhook` takes (the
    first of a list signs).  *headers* holds ``webhook-id`` (*webhook_id*,
    default a random ``wh_…``), ``webhook-timestamp`` (*timestamp* in Unix
    seconds, default now), ``webhook-signature`` and ``content-type``.

    Raises :class:`WebhookConfigurationError` for an unusable secret,
    *webhook_id* or *timestamp*, or a *payload* that cannot be sent (not
    JSON-encodable, a lone surrogate, another type); never shows the secret.
    """
    body = _body(payload)
    try:
        headers = sign(body, secret, webhook_id=webhook_id, timestamp=timestamp)
    finally:
        del secret  # no traceback frame keeps the secret
    headers["content-type"] = "application/json"
    return body, headers


# --- Lambda request events ----------------------------------------------------------------------
# Small templates of the request events AWS sends (the real samples are in tests/data/lambda-events/):
# the same top-level keys, a POST of the signed delivery, each integration's header form.

_ACCOUNT = "123456789012"
_API_ID = "a1b2c3d4e5"
_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
_SOURCE_IP = "203.0.113.7"  # a documentation address (RFC 5737)
_PATH = "/webhook"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _request_time(seconds: int) -> str:
    """``01/Dec/2026:12:00:00 +0000``, API Gateway's request time (English month names whatever the locale)."""
    t = time.gmtime(seconds)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _event(shape: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    """The request event of *shape* without its body, carrying *headers* (lower-case names) as it does."""
    if shape == "api-gateway-v1":
        domain = f"{_API_ID}.execute-api.us-east-1.amazonaws.com"
        headers = {"host": domain, **headers}
        return {
            "version": "1.0",
            "resource": _PATH,
            "path": _PATH,
            "httpMethod": "POST",
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "requestContext": {
                "accountId": _ACCOUNT,
                "apiId": _API_ID,
                "domainName": domain,
                "domainPrefix": _API_ID,
                "extendedRequestId": "a1b2c3d4e5f6g7h=",
                "httpMethod": "POST",
                "identity": {"sourceIp": _SOURCE_IP, "userAgent": None},
                "path": f"/prod{_PATH}",
                "protocol": "HTTP/1.1",
                "requestId": _REQUEST_ID,
                "requestTime": _request_time(seconds),
                "requestTimeEpoch": seconds * 1000,
                "resourceId": "abc123",
                "resourcePath": _PATH,
                "stage": "prod",
            },
            "pathParameters": None,
            "stageVariables": None,
        }
    if shape in ("api-gateway-v2", "function-url"):  # payload 2.0
        url = shape == "function-url"
        domain = f"{_API_ID}.lambda-url.us-east-1.on.aws" if url else f"{_API_ID}.execute-api.us-east-1.amazonaws.com"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": _PATH,
            "rawQueryString": "",
            "headers": {"host": domain, **headers},
            "requestContext": {
                "accountId": "anonymous" if url else _ACCOUNT,
                "apiId": _API_ID,
                "domainName": domain,
                "domainPrefix": _API_ID,
                "http": {
                    "method": "POST",
                    "path": _PATH,
                    "protocol": "HTTP/1.1",
                    "sourceIp": _SOURCE_IP,
                    "userAgent": "",
                },
                "requestId": _REQUEST_ID,
                "routeKey": "$default",
                "stage": "$default",
                "time": _request_time(seconds),
                "timeEpoch": seconds * 1000,
            },
        }
        if not url:  # an HTTP API also names what a function URL has not
            event.update(cookies=[], queryStringParameters={}, pathParameters={}, stageVariables={})
        return event
    target = f"arn:aws:elasticloadbalancing:us-east-1:{_ACCOUNT}:targetgroup/webhooks/0123456789abcdef"
    event = {"requestContext": {"elb": {"targetGroupArn": target}}, "httpMethod": "POST", "path": _PATH}
    if shape == "alb":
        event.update(queryStringParameters={}, headers=headers)
    else:
        event.update(multiValueQueryStringParameters={}, multiValueHeaders={k: [v] for k, v in headers.items()})
    return event


def lambda_event(
    payload: object,
    secret: Secrets,
    *,
    shape: LambdaShape = "api-gateway-v1",
    base64: bool = False,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The Lambda request event of a signed delivery of *payload*, as the integration *shape* sends it.

    The delivery is :func:`signed_request`'s (same *payload*, *secret*,
    *webhook_id*, *timestamp*); *shape* is one of :data:`LAMBDA_SHAPES`
    (function URLs and HTTP APIs share payload 2.0; ``"alb-multi-value"``
    is an ALB with multi-value headers turned on).  With *base64* the body
    is base64-encoded and ``isBase64Encoded`` is true, as for a binary
    media type.  The event is a fresh ``dict`` of JSON values, ready for
    ``aws_lambda.lambda_handler(...)(event, context)``.

    Raises what :func:`signed_request` raises, and
    :class:`WebhookConfigurationError` for an unknown *shape*, a *base64*
    that is not a ``bool``, or without *base64* a body that is not UTF-8.
    """
    if shape not in LAMBDA_SHAPES:
        raise WebhookConfigurationError(f"shape must be one of {', '.join(LAMBDA_SHAPES)}, not {shorten(shape)}")
    if not isinstance(base64, bool):  # pyright: ignore[reportUnnecessaryIsInstance]  (checked at run time)
        raise WebhookConfigurationError(f"base64 must be a bool, not {shorten(base64)}")
    try:
        body, headers = signed_request(payload, secret, webhook_id=webhook_id, timestamp=timestamp)
    finally:
        del secret  # no traceback frame keeps the secret
    if base64:
        text = binascii.b2a_base64(body, newline=False).decode()
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookConfigurationError("the body is not UTF-8 text: pass base64=True to send it") from None
    event = _event(shape, headers, int(headers["webhook-timestamp"]))
    event["body"] = text
    event["isBase64Encoded"] = base64
    return event
