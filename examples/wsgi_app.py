"""A webhook endpoint as a WSGI application: ``openai_webhook_events.wsgi.app``, served alone.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... python examples/wsgi_app.py [PORT]``
(port 0 picks a free one) to serve it on the standard library's
``wsgiref``; it prints the address it listens on.  ``app`` is a plain WSGI
application, so any WSGI server hosts it instead
(``gunicorn examples.wsgi_app:app``), and any framework can mount it under a
path (Flask: ``DispatcherMiddleware``).  With
``WEBHOOK_IDEMPOTENCY_DB=/path/deliveries.sqlite3`` each delivery is
processed once across the server's threads and processes (one host).

It answers ``POST`` on any path with the receive step's answers (README,
"Duplicate deliveries"); WSGI servers join repeated headers with commas
(two ``webhook-signature`` headers during a secret rotation), which the
verifier reads.
"""

from __future__ import annotations

import logging
import os
import sys
from wsgiref.simple_server import make_server

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, wsgi
from openai_webhook_events.idempotency import Idempotency, SQLiteStore

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
database = os.environ.get("WEBHOOK_IDEMPOTENCY_DB")
idempotency = Idempotency(SQLiteStore(database)) if database else None


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


app = wsgi.app(webhook, router, idempotency=idempotency)


def main(argv: list[str]) -> None:
    """Serve ``app`` on 127.0.0.1, on the port given as the first argument (default 8000)."""
    logging.basicConfig(level=logging.INFO)
    port = int(argv[0]) if argv else 8000
    with make_server("127.0.0.1", port, app) as server:
        print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
