"""The request types of the AWS Lambda adapter, :class:`Headers`, :class:`LambdaRequest`, :data:`Integration`,
and :func:`read_request`, which returns them.

Public in :mod:`openai_webhook_events.aws_lambda`, which imports them from
here on first use: the handler made by
:func:`~openai_webhook_events.aws_lambda.lambda_handler` reads its request
events without them (``_lambda_event``), so an HTTP Lambda function does not
create them at its cold start (4.8 M fewer instructions: a frozen dataclass's
generated methods are compiled when it is made; bench/coldstart.py's
lambda_instructions, CPython 3.12).  :func:`read_request` lives here, with
the types its annotations name, so ``typing.get_type_hints`` resolves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ._errors import publish
from ._headers import ascii_lower
from ._lambda_event import request_parts

Integration = Literal["api-gateway-v1", "api-gateway-v2", "alb"]
"""Which kind of request event a delivery came in (function URLs use ``"api-gateway-v2"``)."""


class Headers(Mapping[str, str]):
    """Read-only HTTP headers: names are case-insensitive (ASCII letters only), repeated headers are kept.

    Iterating gives the names with ASCII letters lower-cased (a Kelvin sign
    stays a Kelvin sign).  ``headers[name]`` joins the values of a repeated
    header with ``", "``, as HTTP servers do, and :meth:`get_all` returns
    them one by one.  How the ``webhook-*`` values are read (comma-joined
    signatures, repeats) is the verifier's one header reader's business.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(ascii_lower(name), []).append(value)
        self._values = {name: tuple(found) for name, found in values.items()}

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._values[ascii_lower(name)])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and ascii_lower(name) in self._values

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of header *name* in the order received (``()`` when absent)."""
        return self._values.get(ascii_lower(name), ())

    def pairs(self) -> list[tuple[str, str]]:
        """Every ``(name, value)``, a repeated header once per value."""
        return [(name, value) for name, values in self._values.items() for value in values]

    def __repr__(self) -> str:
        return f"Headers({sorted(self._values)!r})"  # names only: values may be credentials


@dataclass(frozen=True)
class LambdaRequest:
    """The parts of a Lambda request event a webhook needs.

    ``body`` is the raw request body (base64 decoded when the event says
    so), ``headers`` the request headers, ``integration`` the event shape,
    and ``multi_value_headers`` whether the event carried
    ``multiValueHeaders`` (an ALB answers such a request only with
    ``multiValueHeaders``).
    """

    body: bytes
    headers: Headers
    integration: Integration
    multi_value_headers: bool


def read_request(event: object) -> LambdaRequest:
    """Take the body and headers out of the Lambda request event *event*.

    Accepted: API Gateway REST (``httpMethod`` with ``headers`` and/or
    ``multiValueHeaders``; the multi-value form is preferred), HTTP API and
    function URL (``"version": "2.0"``), and ALB (``requestContext.elb``,
    ``headers`` or ``multiValueHeaders``).  A ``null`` header object counts
    as no headers.

    Raises :class:`InvalidPayloadError` with a one-line reason when *event*
    is not such a request, a header name or value is not a string, the body
    is missing, ``null`` or not a string, ``isBase64Encoded`` is not a
    boolean, or the body is not valid base64 (or, unencoded, not encodable
    as UTF-8).
    """
    body, pairs, integration, multi = request_parts(event)
    return LambdaRequest(body, Headers(pairs), integration, multi)


publish([Headers, LambdaRequest], "aws_lambda")  # their public home (pickle finds them there)
read_request.__module__ = Headers.__module__  # its public home too
