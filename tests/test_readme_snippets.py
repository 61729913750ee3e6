"""Every Python snippet of the README is run by a test: the ones no other test runs are run here, as written.

Placeholders are filled in, never the code: ``"whsec_..."`` becomes a real
secret, and ``payload``, ``body``, ``headers`` and ``secret`` are given to
the snippets that take them as names.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from openai_webhook_events import ResponseCompletedWebhookEvent, SignatureMismatchError
from openai_webhook_events.testing import lambda_event, make_payload, signed_request
from tests.servers import create_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
SECRET = "whsec_" + base64.b64encode(b"readme snippets test secret, 32b").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the secret before the rotation!!").decode()

# README section -> the test file that runs its Python snippets (this one for the sections it names below).
RUN_BY = {
    None: "tests/test_readme_snippets.py",  # the lines above the first section
    "## Quick start": "tests/test_readme.py",
    "### Run-time types, pydantic and cattrs": "tests/test_runtime_types.py",
    "## Verifying deliveries": "tests/test_readme_snippets.py",
    "## Use in AWS Lambda": "tests/test_readme_snippets.py",
    "## WSGI and ASGI": "tests/test_readme_adapters.py",
    "## Use with your framework": "tests/test_recipes.py",
    "## Signed but invalid: dead letters": "tests/test_readme_queue.py",
    "## Fast acknowledgement: hand off to a queue": "tests/test_readme_queue.py",
    "## Duplicate deliveries": "tests/test_readme_snippets.py",
    "## Testing your handlers": "tests/test_testing.py",
}


def snippets_by_section() -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    section: str | None = None
    for block in re.split(r"^(#{2,3} .*)$", README, flags=re.MULTILINE):
        if re.fullmatch(r"#{2,3} .*", block):
            section = block
            continue
        for code in re.findall(r"```python\n(.*?)```", block, re.DOTALL):
            found.setdefault(section, []).append(code)
    return found


def test_every_section_with_a_python_snippet_names_the_test_that_runs_it() -> None:
    sections = snippets_by_section()
    assert set(sections) == set(RUN_BY)
    for section, test_file in RUN_BY.items():
        text = (ROOT / test_file).read_text()
        assert section is None or section.lstrip("# ") in text, f"{test_file} does not name {section!r}"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET_OLD", OLD_SECRET)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def run(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(code.replace('"whsec_..."', repr(SECRET)), namespace)
    return namespace


def test_the_opening_snippet_parses_a_payload_and_unwraps_a_signed_body() -> None:
    [code] = snippets_by_section()[None]
    payload = make_payload(ResponseCompletedWebhookEvent)
    body, headers = signed_request(payload, SECRET)
    namespace = run(code, {"payload": payload, "body": body, "headers": headers, "secret": SECRET})
    assert isinstance(namespace["event"], ResponseCompletedWebhookEvent)
    assert (namespace["event"].id, namespace["event"].data.id) == (payload["id"], payload["data"]["id"])


def test_the_verifying_deliveries_snippets_unwrap_verify_and_accept_either_secret_of_a_rotation(
    environment: None,
) -> None:
    first, module_level, rotation = snippets_by_section()["## Verifying deliveries"]
    body, headers = signed_request(make_payload("batch.completed"), SECRET)
    namespace = run(first, {"body": body, "headers": headers})
    assert namespace["event"].type == "batch.completed"
    run(module_level, namespace)
    assert namespace["handler"](body, headers) is None
    with pytest.raises(SignatureMismatchError):
        namespace["handler"](body + b" ", headers)
    run(rotation, namespace)
    old_body, old_headers = signed_request(make_payload("batch.failed"), OLD_SECRET)
    assert namespace["webhook"].unwrap(old_body, old_headers).type == "batch.failed"


def test_the_lambda_snippet_handles_a_delivery_and_refuses_a_forgery(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    [code] = snippets_by_section()["## Use in AWS Lambda"]
    handler = run(code, {})["lambda_handler"]
    event = make_payload(ResponseCompletedWebhookEvent, data={"id": "resp_readme"})
    assert handler(lambda_event(event, SECRET, shape="api-gateway-v2"), None)["statusCode"] == 200
    assert handler(lambda_event(make_payload("batch.failed"), SECRET), None)["statusCode"] == 200
    assert capsys.readouterr().out.splitlines() == ["response done: resp_readme", "ignored batch.failed"]
    assert handler(lambda_event(event, OLD_SECRET), None)["statusCode"] == 401


def test_the_duplicate_deliveries_snippet_runs_a_handler_once_per_delivery(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    [lambda_code] = snippets_by_section()["## Use in AWS Lambda"]
    [code] = snippets_by_section()["## Duplicate deliveries"]
    create_table(boto3.client("dynamodb"), "webhook-deliveries")
    namespace = run(code, run(lambda_code, {}))
    delivery = lambda_event(make_payload(ResponseCompletedWebhookEvent, data={"id": "resp_once"}), SECRET)
    answers = [namespace["lambda_handler"](delivery, None) for _ in range(2)]
    assert [answer["statusCode"] for answer in answers] == [200, 200]
    assert '"already processed"' in answers[1]["body"]
    assert capsys.readouterr().out.splitlines() == ["response done: resp_once"]
