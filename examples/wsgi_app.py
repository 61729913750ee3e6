"""OpenAI webhooks as a plain WSGI application, for any WSGI server: ``gunicorn examples.wsgi_app:app``.

It answers a POST on any path.  ``OPENAI_WEBHOOK_SECRET=whsec_... python examples/wsgi_app.py [PORT]``
serves it on the standard library's wsgiref.  In a Flask app, at an exact path without a redirect:
``app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/webhooks/openai": wsgi.app(webhook, router)})``.
"""

import logging
import sys
from wsgiref.simple_server import make_server

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, wsgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


app = wsgi.app(webhook, router)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    with make_server("127.0.0.1", int(sys.argv[1]) if sys.argv[1:] else 8000, app) as server:
        print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()
