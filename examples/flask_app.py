"""Flask: one view hands the raw body and the headers to the receive step (flask --app examples/flask_app.py run)."""

import logging

from flask import Flask, request

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, receive

logger = logging.getLogger(__name__)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 4 << 20  # 413 beyond 4 MiB, unread (the receive step refuses over 1 MiB)


@app.post("/webhooks/openai")
def openai_webhook() -> tuple[bytes, int, list[tuple[str, str]]]:
    answer = receive(webhook, router, request.get_data(), request.headers)  # the raw body: never request.json
    return answer.body, answer.status, list(answer.headers)
