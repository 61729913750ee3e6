"""AWS Lambda: the handler is lambda_function.lambda_handler; the secret is in OPENAI_WEBHOOK_SECRET."""

import logging

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, aws_lambda

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

webhook = Webhook()  # reads OPENAI_WEBHOOK_SECRET once per cold start
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


lambda_handler = aws_lambda.lambda_handler(webhook, router)
