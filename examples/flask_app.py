"""OpenAI webhooks in Flask: one view hands the raw body and the headers to the receive step.

Run ``OPENAI_WEBHOOK_SECRET=whsec_... flask --app examples/flask_app.py run``; the webhook URL
is ``http://HOST:5000/webhooks/openai``.  A handler that raises answers 500, so OpenAI retries.
"""

import logging

from flask import Flask, request
from flask.typing import ResponseReturnValue

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, receive

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 4 << 20  # 413 beyond 4 MiB, unread (the receive step's bound is 1 MiB)


@app.post("/webhooks/openai")
def openai_webhook() -> ResponseReturnValue:
    # get_data(): the bytes the signature covers; never request.json (re-serialised JSON no longer matches)
    answer = receive(webhook, router, request.get_data(), request.headers)
    return answer.body, answer.status, list(answer.headers)
