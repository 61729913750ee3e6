"""Each delivery processed once across a host's worker processes: an idempotency store all of them share.

``gunicorn --workers 4 examples.duplicates:app`` (WSGI) or ``uvicorn --workers 4
examples.duplicates:asgi_app`` (ASGI); Flask, Django and the other ``receive(...)`` recipes pass
``idempotency=idempotency`` to ``receive``.  A duplicate is answered 200 ``already processed``
without running a handler; a delivery another worker is processing is answered 409 with
``Retry-After``.  Across hosts use ``RedisStore`` or ``DynamoDBStore`` instead of SQLite.
"""

import logging
import os

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, asgi, wsgi
from openai_webhook_events.idempotency import Idempotency, SQLiteStore

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
idempotency = Idempotency(SQLiteStore(os.environ.get("WEBHOOK_IDEMPOTENCY_DB", "deliveries.sqlite3")))


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


app = wsgi.app(webhook, router, idempotency=idempotency)
asgi_app = asgi.app(webhook, router, idempotency=idempotency)  # store calls in a worker thread, off the event loop
