"""A webhook endpoint as an ASGI application with ``async def`` handlers: ``openai_webhook_events.asgi.app``.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... uvicorn examples.asgi_app:app`` (any
ASGI server hosts it; Starlette and FastAPI mount it with
``Mount("/webhooks/openai", app=app)``).  With
``WEBHOOK_IDEMPOTENCY_DB=/path/deliveries.sqlite3`` each delivery is
processed once across the server's workers (one host); the store is called
in a worker thread, never on the event loop.

The handlers are awaited before the answer is sent: a 200 means processed.
"""

from __future__ import annotations

import asyncio
import logging
import os

from openai_webhook_events import AsyncRouter, ResponseCompletedWebhookEvent, Webhook, WebhookEvent, asgi
from openai_webhook_events.idempotency import Idempotency, SQLiteStore

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = AsyncRouter()
database = os.environ.get("WEBHOOK_IDEMPOTENCY_DB")
idempotency = Idempotency(SQLiteStore(database)) if database else None


@router.on(ResponseCompletedWebhookEvent)
async def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    await asyncio.sleep(0)  # your awaits: an HTTP call, a database write...
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:  # plain functions work too
    logger.info("ignored %s event %s", event.type, event.id)


app = asgi.app(webhook, router, idempotency=idempotency)
