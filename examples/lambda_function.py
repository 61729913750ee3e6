"""A complete AWS Lambda function receiving OpenAI webhooks.

Deploy it behind API Gateway (REST or HTTP API), a function URL or an ALB,
with the handler set to ``lambda_function.lambda_handler`` and the signing
secret in the environment variable ``OPENAI_WEBHOOK_SECRET``.  Vendor the
package by copying the ``openai_webhook_events/`` folder next to this file.

To process each delivery once across all instances, create the DynamoDB
table of ``examples/template.yaml`` (partition key ``pk``, TTL on
``expiration``) and name it in ``WEBHOOK_IDEMPOTENCY_TABLE``; the function's
role needs ``dynamodb:PutItem``, ``UpdateItem``, ``DeleteItem`` and
``GetItem`` on it.  boto3 is part of every Python Lambda runtime.
"""

from __future__ import annotations

import logging
import os

from openai_webhook_events import (
    BatchCompletedWebhookEvent,
    ResponseCompletedWebhookEvent,
    Router,
    Webhook,
    WebhookEvent,
    aws_lambda,
)
from openai_webhook_events.idempotency import DynamoDBStore, Idempotency

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
idempotency = None
table = os.environ.get("WEBHOOK_IDEMPOTENCY_TABLE")
if table:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    # Short timeouts: an unreachable table answers 503 in about two seconds instead of a Lambda timeout.
    config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})
    client: object = boto3.client("dynamodb", config=config)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    idempotency = Idempotency(DynamoDBStore(client, table))


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.on(BatchCompletedWebhookEvent)
def batch_completed(event: BatchCompletedWebhookEvent) -> None:
    logger.info("batch %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


lambda_handler = aws_lambda.lambda_handler(webhook, router, idempotency=idempotency)
