"""examples/lambda_function.py processing each delivery once across all instances: a DynamoDB table.

Create the table of ``examples/template.yaml`` (partition key ``pk``, TTL on ``expiration``) and
name it in ``WEBHOOK_IDEMPOTENCY_TABLE``; the function's role needs ``dynamodb:PutItem``,
``UpdateItem``, ``DeleteItem`` and ``GetItem`` on it.  boto3 is part of every Python Lambda runtime.
A retry of a processed delivery is answered 200 without running a handler again.
"""

import logging
import os

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

from openai_webhook_events import BatchCompletedWebhookEvent, Router, Webhook, aws_lambda
from openai_webhook_events.idempotency import DynamoDBStore, Idempotency

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
# Short timeouts: an unreachable table answers 503 (OpenAI retries) in about two seconds, not a Lambda timeout.
config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})
client: object = boto3.client("dynamodb", config=config)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
idempotency = Idempotency(DynamoDBStore(client, os.environ["WEBHOOK_IDEMPOTENCY_TABLE"]))


@router.on(BatchCompletedWebhookEvent)
def batch_completed(event: BatchCompletedWebhookEvent) -> None:
    logger.info("batch %s completed", event.data.id)


lambda_handler = aws_lambda.lambda_handler(webhook, router, idempotency=idempotency)
