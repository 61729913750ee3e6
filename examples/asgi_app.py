"""Any ASGI server: uvicorn examples.asgi_app:app; handlers may be async def, awaited before the answer."""

import asyncio
import logging

from openai_webhook_events import AsyncRouter, ResponseCompletedWebhookEvent, Webhook, WebhookEvent, asgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET
router = AsyncRouter()


@router.on(ResponseCompletedWebhookEvent)
async def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    await asyncio.sleep(0)  # your awaits: an HTTP call, a database write...
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:  # plain functions work too
    logger.info("ignored %s event %s", event.type, event.id)


app = asgi.app(webhook, router)  # a POST on any path; in Starlette at one path: Route("/webhooks/openai", app)
