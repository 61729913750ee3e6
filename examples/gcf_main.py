"""OpenAI webhooks on Google Cloud Functions (HTTP trigger, the ``functions-framework`` runtime).

Deploy this file as ``main.py``: ``gcloud functions deploy ... --entry-point openai_webhook
--trigger-http --allow-unauthenticated`` (OpenAI sends no Google credentials: the signature
authenticates), with ``OPENAI_WEBHOOK_SECRET`` set (from Secret Manager preferably).  Locally:
``functions-framework --source examples/gcf_main.py --target openai_webhook --port 8080``.
"""

import logging

import flask
import functions_framework

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


@functions_framework.http  # pyright: ignore[reportUnknownMemberType]  (its hints name an unresolved 'Response')
def openai_webhook(request: flask.Request) -> tuple[bytes, int, list[tuple[str, str]]]:
    answer = receive(webhook, router, request.get_data(), request.headers)
    return answer.body, answer.status, list(answer.headers)
