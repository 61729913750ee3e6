"""OpenAI webhooks in FastAPI: the package's ASGI app as the route of the exact path, ``async def`` handlers.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... uvicorn examples.fastapi_app:app``; the webhook URL is
``http://HOST:8000/webhooks/openai``.  Not ``app.mount(...)``: a mount answers that path with a
307 redirect, which OpenAI does not follow.  Starlette: ``Starlette(routes=[Route(...)])``, the same route.
"""

import logging

from fastapi import FastAPI
from starlette.routing import Route

from openai_webhook_events import AsyncRouter, ResponseCompletedWebhookEvent, Webhook, WebhookEvent, asgi

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = AsyncRouter()


@router.on(ResponseCompletedWebhookEvent)
async def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)  # awaited before the answer: a 200 means processed


@router.fallback
async def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


app = FastAPI(routes=[Route("/webhooks/openai", asgi.app(webhook, router))])
