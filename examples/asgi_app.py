"""OpenAI webhooks as a plain ASGI application with ``async def`` handlers: ``uvicorn examples.asgi_app:app``.

It answers a POST on any path; handlers are awaited before the answer, so a 200 means processed.
In Starlette (or FastAPI), at an exact path without a redirect: ``Route("/webhooks/openai", app)``.
"""

import asyncio
import logging

from openai_webhook_events import AsyncRouter, ResponseCompletedWebhookEvent, Webhook, WebhookEvent, asgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = AsyncRouter()


@router.on(ResponseCompletedWebhookEvent)
async def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    await asyncio.sleep(0)  # your awaits: an HTTP call, a database write...
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:  # plain functions work too
    logger.info("ignored %s event %s", event.type, event.id)


app = asgi.app(webhook, router)
