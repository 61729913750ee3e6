"""examples/lambda_dynamodb.py with WEBHOOK_IDEMPOTENCY_TABLE set: a duplicate delivery runs no handler twice."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from openai_webhook_events.testing import lambda_event, make_payload
from tests.example_modules import load_example
from tests.servers import create_table

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + "ZXhhbXBsZSBpZGVtcG90ZW5jeSBzZWNyZXQgMzIgYnl0ZXM="


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("WEBHOOK_IDEMPOTENCY_TABLE", "webhook-deliveries")
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        create_table(boto3.client("dynamodb"), "webhook-deliveries")
        yield load_example("lambda_dynamodb")


def test_the_example_with_a_table_runs_the_handler_once_and_acknowledges_the_retry(
    example: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = lambda_event(make_payload("batch.completed"), SECRET, shape="api-gateway-v2")
    first = example.lambda_handler(event, None)
    retry = example.lambda_handler(event, None)
    assert (first["statusCode"], json.loads(first["body"])) == (200, {"message": "ok"})
    assert (retry["statusCode"], json.loads(retry["body"])) == (200, {"message": "already processed"})
    logged = [r.getMessage() for r in caplog.records if r.name == "lambda_dynamodb"]
    assert logged == ["batch batch_2b81f7657480c24f4a2c6511 completed"]
