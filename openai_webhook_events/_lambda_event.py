"""Reading a Lambda request event (API Gateway, function URL, ALB): :func:`request_parts`, without the request types.

``aws_lambda``'s handler and :func:`~openai_webhook_events.aws_lambda.unwrap`
read events here; ``aws_lambda.read_request`` (in ``_lambda_request``, with
the types it returns) too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from ._errors import InvalidPayloadError

if TYPE_CHECKING:
    from ._lambda_request import Integration


def request_parts(event: object) -> tuple[bytes, list[tuple[str, str]], Integration, bool]:
    """``read_request``'s parts: the body, the header pairs as received, the integration, multi-value or not.

    Raises :class:`InvalidPayloadError` as ``aws_lambda.read_request`` documents.
    """
    request = mapping(event)
    if request is None:
        raise InvalidPayloadError(f"Lambda event is not an object (got {type(event).__name__})")
    integration: Integration
    if is_alb(request):
        integration = "alb"
    elif request.get("version") == "2.0":
        integration = "api-gateway-v2"
    elif "httpMethod" in request:
        integration = "api-gateway-v1"
    else:
        raise InvalidPayloadError("Lambda event is not an API Gateway, function URL or ALB request")
    multi = integration != "api-gateway-v2" and request.get("multiValueHeaders") is not None
    return _body(request), _header_pairs(request, multi), integration, multi


def mapping(value: object) -> Mapping[object, object] | None:
    return cast("Mapping[object, object]", value) if isinstance(value, Mapping) else None


def is_alb(event: Mapping[object, object]) -> bool:
    context = mapping(event.get("requestContext"))
    return context is not None and "elb" in context


def _header_pairs(event: Mapping[object, object], multi: bool) -> list[tuple[str, str]]:
    field = "multiValueHeaders" if multi else "headers"
    headers = event.get(field)
    found: Mapping[object, object] | None = {} if headers is None else mapping(headers)
    if found is None:
        raise InvalidPayloadError(f"Lambda event field {field} is not an object")
    pairs: list[tuple[str, str]] = []
    for name, entry in found.items():
        if not isinstance(name, str) or (multi and not isinstance(entry, list)):
            raise InvalidPayloadError(f"Lambda event field {field} holds a malformed entry")
        values: list[object] = cast("list[object]", entry) if multi else [entry]
        for value in values:
            if not isinstance(value, str):
                raise InvalidPayloadError(f"Lambda event field {field} holds a value that is not a string")
            pairs.append((name, value))
    return pairs


def _body(event: Mapping[object, object]) -> bytes:
    body = event.get("body")
    if body is None:
        raise InvalidPayloadError("Lambda event has no body")
    if not isinstance(body, str):
        raise InvalidPayloadError(f"Lambda event body is not a string (got {type(body).__name__})")
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise InvalidPayloadError("Lambda event field isBase64Encoded is not a boolean")
    if encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidPayloadError("Lambda event body is not valid base64") from None
    try:
        return body.encode()
    except UnicodeEncodeError:
        raise InvalidPayloadError("Lambda event body is not valid Unicode text") from None
