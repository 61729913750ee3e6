"""examples/queue_function.py (receiver + queue worker) on moto's in-process SQS and DynamoDB, and its SAM template."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from openai_webhook_events import Webhook
from tests.example_modules import load_example
from tests.helpers import lambda_records
from tests.servers import TABLE, create_table
from tests.strategies import example_payload, lambda_event

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + "ZXhhbXBsZSBxdWV1ZSBmdW5jdGlvbiBzZWNyZXQgMzI="


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, str]]:
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    for name, value in {**environment, "OPENAI_WEBHOOK_SECRET": SECRET, "WEBHOOK_IDEMPOTENCY_TABLE": TABLE}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE)
        url = boto3.client("sqs").create_queue(QueueName="webhooks")["QueueUrl"]
        monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
        yield load_example("queue_function"), url


def test_the_receiver_queues_and_the_worker_runs_the_handler_once_for_a_delivery_and_its_retry(
    example: tuple[ModuleType, str], caplog: pytest.LogCaptureFixture
) -> None:
    module, url = example
    caplog.set_level(logging.INFO)
    body = json.dumps(example_payload("batch.completed")).encode()
    event = lambda_event("lambdaFunctionUrlEvent.json", body, list(Webhook(SECRET).sign(body).items()),
                         base64_body=False)  # fmt: skip
    answers = [module.lambda_handler(event, None) for _ in range(2)]  # OpenAI's retry: queued again
    assert [(a["statusCode"], json.loads(a["body"])) for a in answers] == [(200, {"message": "queued"})] * 2
    assert [r.getMessage() for r in caplog.records if r.name == "queue_function"] == []  # nothing ran yet
    batch = lambda_records(boto3.client("sqs"), url)
    assert len(batch["Records"]) == 2
    assert module.sqs_handler(batch, None) == {"batchItemFailures": []}
    logged = [r.getMessage() for r in caplog.records if r.name == "queue_function"]
    assert logged == ["batch batch_2b81f7657480c24f4a2c6511 completed"]  # once: the worker's idempotency


@pytest.mark.tools
def test_the_template_passes_cfn_lint_and_sets_up_the_queue_as_the_readme_says() -> None:
    from cfnlint.api import lint_file  # type: ignore[import-untyped]  # the `test` extra's tools, not `test-run`
    from cfnlint.decode import decode  # type: ignore[import-untyped]

    template = ROOT / "examples" / "template.yaml"
    assert [str(match) for match in lint_file(template)] == []  # cfn-lint, the SAM transform included
    parsed, problems = decode(str(template))
    assert not problems
    resources: dict[str, Any] = parsed["Resources"]
    worker = resources["QueueWorkerFunction"]["Properties"]
    queue = resources["WebhookQueue"]["Properties"]
    [source] = worker["Events"].values()
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert worker["Handler"] == "queue_function.sqs_handler"
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert resources["QueueReceiverFunction"]["Properties"]["Handler"] == "queue_function.lambda_handler"
