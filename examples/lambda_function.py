"""OpenAI webhooks on AWS Lambda, behind a function URL, API Gateway (REST or HTTP API) or an ALB.

Handler ``lambda_function.lambda_handler``; the endpoint's ``whsec_...`` secret in the
environment variable ``OPENAI_WEBHOOK_SECRET``; the ``openai_webhook_events/`` folder next to this file.
"""

import logging

from openai_webhook_events import (
    BatchCompletedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    Webhook,
    WebhookEvent,
    aws_lambda,
)

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.on(BatchCompletedWebhookEvent)
def batch_completed(event: BatchCompletedWebhookEvent) -> None:
    logger.info("batch %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


lambda_handler = aws_lambda.lambda_handler(webhook, router)
