"""OpenAI webhooks in a Flask app: one view hands the raw body and the headers to the receive step.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... flask --app examples/flask_app.py run``
and point the webhook at ``http://HOST:5000/webhooks/openai``.  With
``WEBHOOK_IDEMPOTENCY_DB=/path/deliveries.sqlite3`` each delivery is processed
once across the server's threads and processes (one host).

The answers are the receive step's, status, headers and JSON body alike:
200 processed, ignored or already processed; 400 signed but invalid; 401 not
verified; 409 with ``Retry-After`` while another attempt holds the delivery;
503 with ``Retry-After`` when the store is down.  A handler that raises makes
Flask answer 500 (after the claim is released), so OpenAI retries.
"""

from __future__ import annotations

import logging
import os

from flask import Flask, request
from flask.typing import ResponseReturnValue

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, receive
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


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 4 << 20  # Flask answers 413 beyond 4 MiB unread; the receive step bounds at 1 MiB


@app.post("/webhooks/openai")
def openai_webhook() -> ResponseReturnValue:
    # The signature covers the bytes as sent: read them with get_data(), never request.json or
    # request.form (parsed and re-serialised JSON no longer matches, and form parsing consumes the body).
    answer = receive(webhook, router, request.get_data(), request.headers, idempotency=idempotency)
    return answer.body, answer.status, list(answer.headers)
