"""FastAPI (or Starlette): a route at /webhooks/openai whose endpoint is the package's ASGI app."""

import logging

from fastapi import FastAPI
from starlette.routing import Route

from openai_webhook_events import AsyncRouter, ResponseCompletedWebhookEvent, Webhook, asgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET
router = AsyncRouter()  # handlers may be async def (awaited before the answer) or plain def


@router.on(ResponseCompletedWebhookEvent)
async def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


# A Route, never app.mount(...): a mount answers /webhooks/openai with a 307 redirect, which OpenAI does not follow.
app = FastAPI(routes=[Route("/webhooks/openai", asgi.app(webhook, router))])  # Starlette: Starlette(routes=[...])
