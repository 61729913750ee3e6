"""The docs' pages on dead letters (docs/dead-letters.md) and the queue hand-off (docs/queue.md), run as written.

Their boto3 clients talk to moto's in-process AWS (``mock_aws``): S3 for the dead letter, SQS for the queue,
DynamoDB for the worker's idempotency.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from openai_webhook_events import Router, Webhook
from tests.helpers import lambda_records
from tests.markdown import python_snippets
from tests.servers import create_table
from tests.strategies import example_payload, lambda_event

SECRET = "whsec_" + base64.b64encode(b"readme queue test secret 32 byte").decode()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                        "OPENAI_WEBHOOK_SECRET": SECRET}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def request(body: bytes, webhook_id: str) -> dict[str, Any]:
    headers = Webhook(SECRET).sign(body, webhook_id=webhook_id)
    return lambda_event("lambdaFunctionUrlEvent.json", body, list(headers.items()), base64_body=False)


def record_runs(router: Router) -> list[str]:
    """The ids of the events the snippet's *router* handles, from now on."""
    runs: list[str] = []
    router.fallback(lambda event: runs.append(event.id))
    return runs


def test_the_dead_letter_snippet_keeps_a_signed_invalid_delivery_in_s3(aws: None) -> None:
    boto3.client("s3").create_bucket(Bucket="webhook-dead-letters")
    [code] = python_snippets("docs/dead-letters.md", "# Dead letters")
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    runs = record_runs(namespace["router"])
    body = b'{"type": "response.completed", "id": 7}'
    answer = namespace["lambda_handler"](request(body, "wh_readme_dl"), None)
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"message": "dead-lettered"})
    kept = boto3.client("s3").get_object(Bucket="webhook-dead-letters", Key="invalid/wh_readme_dl.json")
    assert kept["Body"].read() == body
    Webhook(SECRET).verify(body, kept["Metadata"])  # verifiable again from what the bucket holds
    assert runs == []


def test_the_hand_off_snippet_queues_deliveries_and_its_worker_handles_them_once(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = boto3.client("sqs").create_queue(QueueName="webhooks")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
    create_table(boto3.client("dynamodb"), "webhook-deliveries")
    [code] = python_snippets("docs/queue.md", "# Queue hand-off")
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    runs = record_runs(namespace["router"])
    body = json.dumps(example_payload("response.completed")).encode()
    delivered = request(body, "wh_readme_q")
    answers = [namespace["lambda_handler"](delivered, None) for _ in range(2)]  # OpenAI's retry queued again
    assert [json.loads(answer["body"]) for answer in answers] == [{"message": "queued"}] * 2
    assert runs == []  # nothing handled by the producer
    event = lambda_records(boto3.client("sqs"), url)
    assert len(event["Records"]) == 2
    assert namespace["sqs_handler"](event, None) == {"batchItemFailures": []}
    assert runs == [example_payload("response.completed")["id"]]
