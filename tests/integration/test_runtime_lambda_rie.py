"""examples/lambda_function.py, unchanged and vendored as users deploy it, behind AWS's real Lambda Runtime API.

AWS's Runtime Interface Emulator (from the ``aws-sam-cli`` wheel) runs ``awslambdaric`` with the
example as its handler on each interpreter of ``RUNTIME_PYTHONS`` (default: this one), and every
real Lambda request shape in ``tests/data/lambda-events/`` is replayed through its invoke API:
signed → 200, tampered → 401, malformed → 400, unknown type → 200; and examples/lambda_dynamodb.py with its
idempotency table (``WEBHOOK_IDEMPOTENCY_TABLE``, on dynalite from ``tests/servers.py``, boto3 installed next to
``awslambdaric`` as Lambda's runtime has it) a duplicate → 200 "already processed", its handler not run again.

Run: ``pytest --no-cov -m runtime tests/integration/test_runtime_lambda_rie.py``.  Another configuration of the
function (e.g. an idempotency table) is ``LambdaFunction(python, tmp, env={...}, packages=("boto3",))``
in a fixture taking ``python``; *packages* are installed next to ``awslambdaric`` (as boto3 is in Lambda).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runtimes import ROOT, free_port, lambda_rie, matrix_pythons, runtime_packages, unavailable
from tests.servers import TABLE, create_table, dynalite, dynamodb_client, urlopen
from tests.strategies import LAMBDA_TEMPLATES, example_payload, hmac_signature, lambda_event

pytestmark = pytest.mark.runtime

SECRET_BYTES = b"rie test secret, thirty-two byte"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
TEMPLATES = sorted(LAMBDA_TEMPLATES)


class LambdaFunction:
    """The example function vendored into a task root and served by the RIE on a free 127.0.0.1 port."""

    def __init__(
        self,
        python: str,
        tmp: Path,
        *,
        env: dict[str, str] | None = None,
        packages: tuple[str, ...] = (),
        example: str = "lambda_function",
    ):
        self.task_root = tmp / "task"
        self.task_root.mkdir()
        shutil.copy(ROOT / "examples" / f"{example}.py", self.task_root)
        shutil.copytree(
            ROOT / "openai_webhook_events",
            self.task_root / "openai_webhook_events",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        runtime = runtime_packages(python, "awslambdaric", *packages)
        self.port = free_port()
        self.log = (tmp / "rie.log").open("w+b")
        self.process = subprocess.Popen(
            [
                str(lambda_rie()),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.port}",
                "--runtime-api-address",
                f"127.0.0.1:{free_port()}",
                python,
                "-m",
                "awslambdaric",
                f"{example}.lambda_handler",
            ],
            cwd=self.task_root,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": str(runtime),
                "LAMBDA_TASK_ROOT": str(self.task_root),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
                "OPENAI_WEBHOOK_SECRET": SECRET,
                **(env or {}),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                unavailable(f"the RIE did not start on 127.0.0.1:{self.port}: {self.output()[-2000:]}")
            time.sleep(0.05)

    def _listening(self) -> bool:
        try:
            urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)  # any HTTP answer will do
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urlopen(request, timeout=60) as answer:
            result: dict[str, Any] = json.loads(answer.read())
        return result

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module", params=matrix_pythons())
def python(request: pytest.FixtureRequest) -> str:
    """Each interpreter of the matrix in turn (``RUNTIME_PYTHONS``, default: this one)."""
    interpreter: str = request.param
    return interpreter


@pytest.fixture(scope="module")
def function(python: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaFunction]:
    """The example as deployed: no environment beyond the secret, no packages beyond the runtime's client."""
    served = LambdaFunction(python, tmp_path_factory.mktemp("rie"))
    yield served
    served.stop()


def signed(template: str, body: bytes, *, signed_body: bytes | None = None) -> dict[str, Any]:
    """A Lambda request event of kind *template* carrying *body*, signed over *signed_body* (default: *body*)."""
    timestamp = int(time.time())
    signature = hmac_signature(SECRET_BYTES, "wh_rie", timestamp, body if signed_body is None else signed_body)
    headers = [("Webhook-Id", "wh_rie"), ("Webhook-Timestamp", str(timestamp)), ("Webhook-Signature", signature)]
    return lambda_event(template, body, headers, base64_body=False)


def _answer(function: LambdaFunction, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = function.invoke(event)
    assert "statusCode" in result, f"not an HTTP response: {result}\n{function.output()[-3000:]}"
    return result["statusCode"], json.loads(result["body"])


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_signed_delivery_is_acknowledged_with_200(function: LambdaFunction, template: str) -> None:
    payload = example_payload("response.completed")
    status, _ = _answer(function, signed(template, json.dumps(payload).encode()))
    assert status == 200
    assert f"response {payload['data']['id']} completed" in function.output()  # the example's handler ran


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_tampered_delivery_is_rejected_with_401(function: LambdaFunction, template: str) -> None:
    body = json.dumps(example_payload("response.completed")).encode()
    tampered = body.replace(b'"response.completed"', b'"response.failed"')
    assert tampered != body
    status, _ = _answer(function, signed(template, tampered, signed_body=body))
    assert status == 401


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("body", [b"{not json", b'{"type": "response.completed", "id": 7}'])
def test_a_signed_malformed_delivery_is_rejected_with_400(function: LambdaFunction, template: str, body: bytes) -> None:
    status, _ = _answer(function, signed(template, body))
    assert status == 400


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_signed_delivery_of_an_unknown_type_is_acknowledged_with_200(function: LambdaFunction, template: str) -> None:
    payload = {**example_payload("response.completed"), "type": "response.teleported"}
    status, _ = _answer(function, signed(template, json.dumps(payload).encode()))
    assert status == 200


@pytest.fixture(scope="module")
def idempotent_function(python: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaFunction]:
    """examples/lambda_dynamodb.py with its table (``WEBHOOK_IDEMPOTENCY_TABLE``) on dynalite, boto3 in the runtime."""
    server = dynalite().start()
    try:
        create_table(dynamodb_client(server.port), TABLE)
        served = LambdaFunction(
            python,
            tmp_path_factory.mktemp("rie-idempotent"),
            env={
                "WEBHOOK_IDEMPOTENCY_TABLE": TABLE,
                "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{server.port}",  # boto3's endpoint variable
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",  # dummy: dynalite checks no credentials
            },
            packages=("boto3",),
            example="lambda_dynamodb",
        )
        try:
            yield served
        finally:
            served.stop()
    finally:
        server.stop()


@pytest.mark.parametrize("template", TEMPLATES)
def test_with_idempotency_a_duplicate_is_acknowledged_without_running_the_handler_again(
    idempotent_function: LambdaFunction, template: str
) -> None:
    payload = example_payload("batch.completed")
    payload["data"]["id"] = f"batch_rie_{template.removesuffix('.json')}"
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    webhook_id = f"wh_rie_{template.removesuffix('.json')}"
    signature = hmac_signature(SECRET_BYTES, webhook_id, timestamp, body)
    headers = [("Webhook-Id", webhook_id), ("Webhook-Timestamp", str(timestamp)), ("Webhook-Signature", signature)]
    event = lambda_event(template, body, headers, base64_body=False)
    first = _answer(idempotent_function, event)
    retry = _answer(idempotent_function, event)
    assert (first, retry) == ((200, {"message": "ok"}), (200, {"message": "already processed"}))
    assert idempotent_function.output().count(f"batch {payload['data']['id']} completed") == 1  # ran once
