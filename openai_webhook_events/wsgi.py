"""The WSGI adapter: :func:`app` makes a WSGI application that answers webhook deliveries.

It only translates: the request's body and headers go to the receive step
(``_receive``), which verifies, parses, deduplicates, dispatches and
decides the answer; that answer becomes the WSGI response.  It ignores
the path (``PATH_INFO``, ``SCRIPT_NAME``), so it can be served alone or
mounted anywhere: Werkzeug's ``DispatcherMiddleware`` under Flask, a
Django URL, any WSGI server.
"""

from __future__ import annotations

import functools
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ._headers import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP
from ._http import declared_length
from ._options import Options
from ._receive import Claiming, claim_sync, prepare
from ._response import HANDLER_FAILED, METHOD_NOT_ALLOWED, Response, bad_length, too_large

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ._hand_off import DeadLetter, HandOff
    from ._receive import Attempt
    from ._router import Router
    from ._verify import Webhook
    from .idempotency import Idempotency

__all__ = ["app"]

_CHUNK = 64 * 1024  # bytes read from wsgi.input at a time
_WEBHOOK_KEYS = (  # each header's environ key and its name
    ("HTTP_WEBHOOK_ID", WEBHOOK_ID),
    ("HTTP_WEBHOOK_TIMESTAMP", WEBHOOK_TIMESTAMP),
    ("HTTP_WEBHOOK_SIGNATURE", WEBHOOK_SIGNATURE),
)


def app(
    webhook: Webhook,
    router: Router[Any] | None,
    *,
    idempotency: Idempotency | None = None,
    dead_letter: DeadLetter | None = None,
    hand_off: HandOff | None = None,
) -> WSGIApplication:
    """A WSGI application answering every ``POST`` on any path as a webhook delivery for *webhook* and *router*.

    The answers are the receive step's (docs/receiving.md):
    401, 400, 413, 200, 409 and 503, as ``application/json``; any other
    method gets 405 with ``Allow: POST``.  The body is read bounded by
    ``webhook.max_body_bytes``: a ``Content-Length`` over it is answered
    413 without reading, a body without one (chunked; read only when the
    server marks ``wsgi.input_terminated``, else it counts as empty) is
    read until one byte past the bound.  A handler that raises is answered
    500 (the receive step has logged it and released the claim, so a retry
    reprocesses).  An :class:`~openai_webhook_events.AsyncRouter` is refused
    with :class:`WebhookConfigurationError` (its handlers need the ASGI app).
    *dead_letter* and *hand_off* (with ``router=None``) are the receive
    step's, as ``aws_lambda.lambda_handler`` takes them; options that do not
    go together raise :class:`WebhookConfigurationError` here.
    """
    begin = functools.partial(prepare, webhook, Options.of(router, idempotency, dead_letter, hand_off))
    limit = webhook.max_body_bytes

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        answer = _answer(environ, begin, limit)
        body = answer.body
        headers = [*answer.headers, ("content-length", str(len(body)))]
        start_response(_status_line(answer.status), headers)
        return [body]

    return application


@functools.cache  # the few statuses answered: 775 -> 68 ns a status line (python -m timeit, CPython 3.11)
def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def _answer(
    environ: WSGIEnvironment, begin: Callable[[bytes, Any], Response | Attempt | Claiming], limit: int | None
) -> Response:
    if environ.get("REQUEST_METHOD") != "POST":
        return METHOD_NOT_ALLOWED
    body = _read_body(environ, limit)
    if isinstance(body, Response):
        return body
    started = claim_sync(begin(body, _headers(environ)))
    if isinstance(started, Response):
        return started
    try:
        return started.run()
    except Exception:  # logged, and the claim released, by the receive step
        return HANDLER_FAILED


def _read_body(environ: WSGIEnvironment, limit: int | None) -> bytes | Response:
    """The body, read at most one byte past *limit*; or the answer when it is over it or its length is bad."""
    declared: object = environ.get("CONTENT_LENGTH") or ""
    if declared:
        length = declared_length(declared) if isinstance(declared, str) else None
        if length is None:
            return bad_length()
        if limit is not None and length > limit:
            return too_large(limit)
        bound: int | None = length
    elif environ.get("wsgi.input_terminated"):
        bound = None if limit is None else limit + 1
    else:
        return b""  # no length and a stream the server does not end (PEP 3333): no body
    stream: Any = environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while bound is None or size < bound:
        chunk: bytes = stream.read(_CHUNK if bound is None else min(_CHUNK, bound - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if limit is not None and size > limit:
        return too_large(limit)
    return b"".join(chunks)


def _headers(environ: WSGIEnvironment) -> dict[str, str] | list[tuple[str, str | bytes]]:
    """The request headers out of *environ* (``HTTP_*``), values as the bytes received.

    Names keep the server's case (``WEBHOOK-ID``): the one header reader
    folds ASCII case, and only the ``webhook-*`` headers are read (the dead
    letter and the hand-off get those three, under their lower-case names).
    A server joins a repeated header with commas; the reader reads those
    joins.  WSGI gives values as latin-1 text: anything beyond ASCII goes
    back to its bytes, which the reader decodes as UTF-8.

    The common case, the three ``HTTP_WEBHOOK_*`` keys with ASCII values and
    no other key that could spell one of them, is the plain ``dict`` of
    those three the verifier reads directly: what the pairs would read as.
    """
    # a 29-key gunicorn environ: headers read and verified 7.8 -> 3.6 µs (median, CPython 3.11,
    # python bench/claim_path.py headers)
    if "".join(environ).upper().count("WEBHOOK") == len(_WEBHOOK_KEYS):  # no other spelling of them
        found: dict[str, str] = {}
        for key, name in _WEBHOOK_KEYS:
            value = environ.get(key)
            if not isinstance(value, str) or not value.isascii():
                break
            found[name] = value
        else:
            return found
    pairs: list[tuple[str, str | bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            name = key[5:].replace("_", "-")
            pairs.append((name, value if value.isascii() else value.encode("latin-1", "replace")))
    return pairs
