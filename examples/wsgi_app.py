"""A webhook endpoint on the standard library's ``wsgiref`` server: no framework.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... python examples/wsgi_app.py [PORT]``
(port 0 picks a free one); it prints the address it listens on, then
answers ``POST`` requests on any path.  ``app`` is a plain WSGI
application, so any WSGI server can host it instead.

The rule for every framework: verify the body bytes exactly as received,
before any JSON parsing, then use the typed event.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import make_server

from openai_webhook_events import (
    InvalidPayloadError,
    ResponseCompletedWebhookEvent,
    Router,
    Webhook,
    WebhookEvent,
    WebhookVerificationError,
)

MAX_BODY = 1 << 20  # webhook payloads are small; refuse anything larger than 1 MiB

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router[str]()  # its handlers return the message to send back


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> str:
    return f"response {event.data.id} completed"


@router.fallback
def anything_else(event: WebhookEvent) -> str:
    return f"ignored {event.type}"


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application: 200 handled or ignored, 400 malformed, 401 not verified."""

    def answer(status: str, **body: str) -> list[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    if environ["REQUEST_METHOD"] != "POST":
        return answer("405 Method Not Allowed", message="use POST")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return answer("400 Bad Request", message="bad Content-Length")
    if not 0 <= length <= MAX_BODY:
        return answer("413 Content Too Large", message="body too large")
    body: bytes = environ["wsgi.input"].read(length)  # the raw bytes: verify these, not re-encoded JSON
    # WSGI servers join a repeated header with commas ("v1,a,v1,b" for two signatures during a
    # secret rotation, "wh_1,wh_1" for a repeated id): the verifier reads those joins.
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    try:
        event = webhook.unwrap(body, headers)
    except WebhookVerificationError:
        return answer("401 Unauthorized", message="webhook verification failed")
    except InvalidPayloadError:
        return answer("400 Bad Request", message="invalid payload")
    result = router.dispatch(event)
    return answer("200 OK", message=str(result), event_class=type(event).__name__)


def main(argv: list[str]) -> None:
    """Serve ``app`` on 127.0.0.1, on the port given as the first argument (default 8000)."""
    logging.basicConfig(level=logging.INFO)
    port = int(argv[0]) if argv else 8000
    with make_server("127.0.0.1", port, app) as server:
        print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
