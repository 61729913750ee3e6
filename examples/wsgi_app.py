"""Any WSGI server: gunicorn examples.wsgi_app:app (ASGI: examples/asgi_app.py under uvicorn)."""

import logging

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, wsgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


app = wsgi.app(webhook, router)  # a POST on any path; in Flask at one path: DispatcherMiddleware (docs/wsgi-asgi.md)
