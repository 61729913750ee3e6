"""OpenAI webhooks acknowledged at once and processed by a queue's worker: two AWS Lambda functions, one module.

``queue_function.lambda_handler`` is the receiver (behind a function URL,
API Gateway or an ALB): it verifies and parses each delivery, sends it to
the SQS queue named by ``WEBHOOK_QUEUE_URL`` and answers 200.
``queue_function.sqs_handler`` is the worker the queue triggers (event
source mapping with ``FunctionResponseTypes: [ReportBatchItemFailures]``):
it verifies each message again, runs the handlers below once per
``webhook-id`` (the DynamoDB table named by ``WEBHOOK_IDEMPOTENCY_TABLE``)
and reports the messages to retry.  ``examples/template.yaml`` deploys both
with the queue, its dead-letter queue and the table.  Both functions need
the same ``OPENAI_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import logging
import os

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

from openai_webhook_events import BatchCompletedWebhookEvent, Router, Webhook, WebhookEvent, aws_lambda
from openai_webhook_events.idempotency import DynamoDBStore, Idempotency
from openai_webhook_events.queue import SQSQueue

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()
# Short timeouts: an unreachable queue or table answers 503 (or leaves the message for a retry) in seconds.
config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})


@router.on(BatchCompletedWebhookEvent)
def batch_completed(event: BatchCompletedWebhookEvent) -> None:
    logger.info("batch %s completed", event.data.id)  # a long job is fine here: the receiver answered already


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


sqs: object = boto3.client("sqs", config=config)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
dynamodb: object = boto3.client("dynamodb", config=config)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
queue = SQSQueue(sqs, os.environ["WEBHOOK_QUEUE_URL"])
idempotency = Idempotency(DynamoDBStore(dynamodb, os.environ["WEBHOOK_IDEMPOTENCY_TABLE"]))

lambda_handler = aws_lambda.lambda_handler(webhook, None, hand_off=queue)
sqs_handler = aws_lambda.sqs_handler(webhook, router, idempotency=idempotency)
