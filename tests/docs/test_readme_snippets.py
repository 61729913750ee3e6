"""Every Python snippet of the README and the docs is run by a test: the ones no other test runs are run here.

Placeholders are filled in, never the code: ``"whsec_..."`` becomes a real secret, and ``payload``,
``body``, ``headers`` and ``secret`` are given to the snippets that take them as names.  A block that is
an example file verbatim (``<!-- snippet: examples/x.py -->`` before it, checked by
``tests/docs/test_docs_snippets.py``) or that MkDocs includes from one (``--8<-- "examples/x.py"``) is run by
that file's own tests instead.  The ``openai`` SDK snippets talk to a local stand-in of OpenAI's API.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from werkzeug.test import Client

from openai_webhook_events import ResponseCompletedWebhookEvent, Router, SignatureMismatchError, Webhook, wsgi
from openai_webhook_events.testing import lambda_event, make_payload, signed_request
from tests.markdown import PAGES, ROOT, blocks, python_snippets
from tests.servers import create_table

SECRET = "whsec_" + base64.b64encode(b"readme snippets test secret, 32b").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the secret before the rotation!!").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"the secret after the rotation!!!").decode()

# (page, section) -> the test file that runs its Python snippets (this one for the sections it names below).
RUN_BY = {
    ("README.md", "# openai-webhook-events"): "tests/docs/test_readme_snippets.py",  # under the title
    ("README.md", "## The secret"): "tests/docs/test_readme_snippets.py",
    ("README.md", "## Send yourself a delivery"): "tests/docs/test_readme_snippets.py",
    ("README.md", "## Testing your handlers"): "tests/unit/test_testing.py",
    ("docs/index.md", "## Quick start"): "tests/docs/test_readme.py",
    ("docs/events.md", "## Run-time types, pydantic and cattrs"): "tests/unit/test_runtime_types.py",
    ("docs/verification.md", "# Verification"): "tests/docs/test_readme_snippets.py",
    ("docs/duplicates.md", "# Duplicates"): "tests/docs/test_readme_snippets.py",
    ("docs/dead-letters.md", "# Dead letters"): "tests/docs/test_readme_queue.py",
    ("docs/queue.md", "# Queue hand-off"): "tests/docs/test_readme_queue.py",
}


def test_every_section_with_a_python_snippet_names_the_test_that_runs_it() -> None:
    sections = {
        (block.page, block.section)
        for page in PAGES
        for block in blocks(page)
        if block.language == "python" and block.marker is None and block.include is None
    }
    assert sections == set(RUN_BY)
    for (page, section), test_file in RUN_BY.items():
        text = (ROOT / test_file).read_text(encoding="utf-8")
        assert page in text, f"{test_file} does not name {page}"
        assert section is None or section.lstrip("# ") in text, f"{test_file} does not name {section!r}"


# Every other fenced block, by (page, section, how its first line starts): the file that runs it as shown (one
# that names the page and the section, or .ci/run, which holds the block's command line verbatim) ...
SECRET_LINE = "export OPENAI_WEBHOOK_SECRET=whsec_$(python3 -c"
BLOCKS_RUN_BY = {
    ("README.md", "## Try it", "python3 -m openai_webhook_events parse "): "tests/docs/test_docs_snippets.py",
    ("README.md", "## Try it", "python3 -m venv .venv && "): ".ci/run",
    ("README.md", "## Send yourself a delivery", SECRET_LINE): "tests/docs/test_docs_snippets.py",
    ("docs/cli.md", "# Command line", "python3 -m openai_webhook_events parse "): "tests/docs/test_docs_snippets.py",
    ("docs/cli.md", "# Command line", SECRET_LINE): "tests/docs/test_docs_snippets.py",
    ("docs/cli.md", "# Command line", "python3 -m openai_webhook_events sign "): "tests/docs/test_docs_snippets.py",
    ("docs/wsgi-asgi.md", "## Try it", SECRET_LINE): "tests/docs/test_docs_snippets.py",
}
# ... or why no test runs it, and what runs what it does.
NOT_RUN: dict[tuple[str, str, str], str] = {}
"""Fenced blocks no test runs, each with the reason (none today: a command that cannot run as written is prose)."""


def test_every_other_fenced_block_is_run_by_the_file_named_or_says_why_not() -> None:
    """Beside the Python snippets of RUN_BY and the example files (a marked or included block, in any language:
    checked against its file and run by that file's tests), each fenced block is in BLOCKS_RUN_BY or NOT_RUN,
    once; each runner names the block's page and section, or (.ci/run) holds its first line verbatim."""
    keys = [*BLOCKS_RUN_BY, *NOT_RUN]
    found: list[tuple[str, str | None, str]] = []
    for page in PAGES:
        for block in blocks(page):
            if block.language == "python" or block.marker is not None or block.include is not None:
                continue  # RUN_BY's, or an example file's
            first = block.code.splitlines()[0]
            matches = [key for key in keys if key[0:2] == (page, block.section) and first.startswith(key[2])]
            assert len(matches) == 1, f"{page}, {block.section}: {first!r} is in neither list, or matches two keys"
            [key] = matches
            found.append(key)
            runner = BLOCKS_RUN_BY.get(key)
            if runner == ".ci/run":
                assert f"\n{first}\n" in (ROOT / runner).read_text(encoding="utf-8"), f"{runner} lacks {first!r}"
            elif runner is not None:
                text = (ROOT / runner).read_text(encoding="utf-8")
                assert page in text, f"{runner} does not name {page}"
                assert str(block.section).lstrip("# ") in text, f"{runner} does not name {block.section!r}"
    assert sorted(found) == sorted(keys)  # each key names one block


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
    [code] = python_snippets("README.md", "# openai-webhook-events")
    payload = make_payload(ResponseCompletedWebhookEvent)
    body, headers = signed_request(payload, SECRET)
    namespace = run(code, {"payload": payload, "body": body, "headers": headers, "secret": SECRET})
    assert isinstance(namespace["event"], ResponseCompletedWebhookEvent)
    assert (namespace["event"].id, namespace["event"].data.id) == (payload["id"], payload["data"]["id"])


class FakeOpenAI(BaseHTTPRequestHandler):
    """OpenAI's webhook endpoint API as the ``openai`` SDK calls it: create, rotate the secret, send a test.

    A test event is signed with the endpoint's current secret (and the old one while it is kept) and
    delivered to ``server.endpoint``, the WSGI app of the README's server snippet; its status is the answer.
    """

    server: Any

    def do_POST(self) -> None:
        sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        state = self.server.state
        state["requests"].append((self.path, sent, self.headers.get("Authorization")))
        if self.path == "/v1/webhook_endpoints":
            state["secrets"] = [SECRET]
            answer = {"id": "whep_readme", "object": "webhook_endpoint", "created_at": 1750000000,
                      "event_types": sent["event_types"], "name": sent["name"], "url": sent["url"],
                      "signing_secret": SECRET}  # fmt: skip
        elif self.path == "/v1/webhook_endpoints/whep_readme/rotate_secret":
            kept = state["secrets"] if sent.get("keep_old_secret_active_for_24_hours") else []
            state["secrets"] = [NEW_SECRET, *kept]
            answer = {"id": "whep_readme", "object": "webhook_endpoint", "created_at": 1750000000,
                      "event_types": [], "name": "orders", "url": "https://example.com/webhooks/openai",
                      "signing_secret": NEW_SECRET}  # fmt: skip
        elif self.path == "/v1/webhook_endpoints/whep_readme/test":
            body = json.dumps(make_payload(sent["event_type"])).encode()
            headers = Webhook(state["secrets"][0]).sign(body)
            for old in state["secrets"][1:]:  # every current secret signs, as during a rotation
                headers["webhook-signature"] += (
                    " "
                    + Webhook(old).sign(
                        body, webhook_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"])
                    )["webhook-signature"]
                )
            status = Client(self.server.endpoint).post("/webhooks/openai", data=body, headers=headers).status_code
            answer = {"object": "webhook_endpoint.test", "event_type": sent["event_type"], "status_code": status,
                      "success": True, "webhook_endpoint_id": "whep_readme"}  # fmt: skip
        else:
            self.send_error(404)
            return
        encoded = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def openai_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.state = {"requests": [], "secrets": []}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-test")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.tools  # the openai SDK: the contract extra, in `test`, not in `test-run`
def test_the_secret_snippets_create_an_endpoint_rotate_its_secret_and_verify_with_both(
    openai_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    create, rotate, verify = python_snippets("README.md", "## The secret")
    namespace = run(create, {})
    assert namespace["secret"] == SECRET
    run(rotate, namespace)
    assert namespace["new_secret"] == NEW_SECRET
    paths = [(path, sent) for path, sent, _ in openai_api.state["requests"]]
    assert paths[1] == (
        "/v1/webhook_endpoints/whep_readme/rotate_secret",
        {"keep_old_secret_active_for_24_hours": True},
    )
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", NEW_SECRET)
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET_OLD", SECRET)
    webhook = run(verify, {})["webhook"]
    for secret in (NEW_SECRET, SECRET):
        body, headers = signed_request(make_payload("batch.failed"), secret)
        assert webhook.unwrap(body, headers).type == "batch.failed"
    body, headers = signed_request(make_payload("batch.failed"), OLD_SECRET)
    with pytest.raises(SignatureMismatchError):
        webhook.unwrap(body, headers)


@pytest.mark.tools  # the openai SDK: the contract extra, in `test`, not in `test-run`
def test_the_test_delivery_snippet_passes_when_the_endpoint_answers_200_and_fails_when_it_refuses(
    openai_api: Any,
) -> None:
    create, rotate, _ = python_snippets("README.md", "## The secret")
    [send] = python_snippets("README.md", "## Send yourself a delivery")
    namespace = run(rotate, run(create, {}))
    handled: list[str] = []
    router = Router()
    router.on(ResponseCompletedWebhookEvent)(lambda event: handled.append(event.data.id))
    openai_api.endpoint = wsgi.app(Webhook(SECRET), router)  # not rotated yet: the old secret still signs
    run(send, namespace)
    assert handled == [make_payload("response.completed")["data"]["id"]]
    openai_api.endpoint = wsgi.app(Webhook(OLD_SECRET), router)  # another endpoint's secret: 401
    with pytest.raises(AssertionError, match="401"):
        run(send, namespace)


def test_the_verification_snippets_unwrap_verify_and_accept_either_secret_of_a_rotation(
    environment: None,
) -> None:
    first, module_level, rotation = python_snippets("docs/verification.md", "# Verification")
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


def test_the_duplicates_snippet_runs_a_handler_once_per_delivery(environment: None) -> None:
    [code] = python_snippets("docs/duplicates.md", "# Duplicates")
    create_table(boto3.client("dynamodb"), "webhook-deliveries")
    namespace = run(code, {})
    runs: list[str] = []
    namespace["router"].on(ResponseCompletedWebhookEvent)(lambda event: runs.append(event.data.id))
    delivery = lambda_event(make_payload(ResponseCompletedWebhookEvent, data={"id": "resp_once"}), SECRET)
    answers = [namespace["lambda_handler"](delivery, None) for _ in range(2)]
    assert [answer["statusCode"] for answer in answers] == [200, 200]
    assert '"already processed"' in answers[1]["body"]
    assert runs == ["resp_once"]
