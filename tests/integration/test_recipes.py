"""Every adapter and recipe of examples/ answers the one delivery set as the receive step does, on its real server.

The WSGI app (gunicorn, wsgiref), the ASGI app (uvicorn; alone and in Starlette's ``Route``), the Flask
recipe and Flask's ``DispatcherMiddleware`` wiring (``flask run``), the FastAPI recipes (uvicorn), the
duplicates recipe (gunicorn, uvicorn), Django (``runserver``, gunicorn), Google Cloud Functions
(functions-framework) and Vercel (``http.server``) each run in their own process on a free 127.0.0.1 port
(started once, stopped by PID) and get tests/deliveries.py's delivery set over HTTP, POSTed at the exact
documented path with no redirect followed; the Lambda function gets it as API Gateway request events;
every answer must equal what ``receive()`` itself answers for that delivery.  A Starlette ``Mount``
shows the failure this catches: a 307.  Azure Functions is called with the SDK's real ``HttpRequest``
objects (its Core Tools host cannot be installed here).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.client
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The frameworks at module level: where one cannot be installed (Pyodide, a new CPython), the runtime
# scripts leave this whole file out, with the reason (scripts/runtimes/).
import azure.functions as func
import flask
import functions_framework
import pytest
import uvicorn
from azure.functions.http import HttpResponseConverter
from django.http import HttpResponse
from django.http.request import HttpHeaders
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory
from fastapi.testclient import TestClient

import openai_webhook_events as owe
from openai_webhook_events import parse_event
from openai_webhook_events._headers import read_webhook_headers
from openai_webhook_events.idempotency import Idempotency, MemoryStore
from tests.deliveries import (
    FAILURE,
    KNOWN_DATA_ID,
    SECRET,
    Delivery,
    add_failing_handler,
    check_answer,
    deliveries,
    oracle,
)
from tests.example_modules import load_example
from tests.recipe_servers import django_configured
from tests.servers import Server, free_port
from tests.servers import _wait_for_port as wait_for_port

ROOT = Path(__file__).resolve().parents[2]
KNOWN_LOG = f"response {KNOWN_DATA_ID} completed"


@dataclass
class Running:
    port: int
    path: str
    log: Path
    idempotent: bool

    def post(self, body: bytes, headers: tuple[tuple[str, str], ...]) -> tuple[int, dict[str, str], bytes]:
        """POST with the header pairs exactly as listed; the status, headers (lower-case names) and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest("POST", self.path)
            for name, value in [*headers, ("Content-Length", str(len(body)))]:
                connection.putheader(name, value)
            connection.endheaders(body)
            answer = connection.getresponse()
            return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.read()
        finally:
            connection.close()

    def logged(self, text: str) -> int:
        """How many records in the server's log hold *text*."""
        return sum(text in line for line in self.log.read_text().splitlines())


# recipe: (server, the app tests/recipe_servers.py gives it, the documented path, with an idempotency store)
RECIPES: dict[str, tuple[str, str, str, bool]] = {
    "wsgi-gunicorn": ("gunicorn", "wsgi_app", "/webhooks/openai", False),
    "wsgi-wsgiref": ("main", "wsgiref", "/webhooks/openai", False),
    "asgi-uvicorn": ("uvicorn", "asgi_app", "/webhooks/openai", False),
    "starlette-route": ("uvicorn", "starlette_route", "/webhooks/openai", False),
    "flask": ("flask", "flask_app", "/webhooks/openai", False),
    "flask-dispatcher": ("flask", "flask_dispatcher", "/webhooks/openai", False),
    "fastapi": ("uvicorn", "fastapi_app", "/webhooks/openai", False),
    "fastapi-appended": ("uvicorn", "fastapi_appended", "/webhooks/openai", False),
    "fastapi-depends": ("uvicorn", "fastapi_depends", "/webhooks/openai", True),
    "duplicates-gunicorn": ("gunicorn", "duplicates_app", "/webhooks/openai", True),
    "duplicates-uvicorn": ("uvicorn", "duplicates_asgi", "/webhooks/openai", True),
    "django": ("main", "django", "/webhooks/openai", False),
    "django-gunicorn": ("gunicorn", "django_application", "/webhooks/openai", False),
    "gcf": ("gcf", "gcf_webhook", "/", False),
    "vercel": ("main", "vercel", "/api/openai_webhook", False),
}


def _command(server: str, app: str, port: int) -> list[str]:
    """The real server's command line serving *app* of tests/recipe_servers.py on *port*."""
    bind = ["--host", "127.0.0.1", "--port", str(port)]
    if server == "flask":
        return [sys.executable, "-m", flask.__name__, "--app", f"tests.recipe_servers:{app}", "run", *bind]
    if server == "uvicorn":
        return [sys.executable, "-m", uvicorn.__name__, f"tests.recipe_servers:{app}", *bind]
    if server == "gunicorn":
        gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        return [*gunicorn, "--log-level", "warning", f"tests.recipe_servers:{app}"]
    if server == "gcf":
        ff = [sys.executable, "-m", functions_framework.__name__, "--source", "tests/recipe_servers.py", "--target"]
        return [*ff, app, *bind]
    return [sys.executable, "-m", "tests.recipe_servers", app, str(port)]


@contextlib.contextmanager
def _serving(server: str, app: str, path: str, idempotent: bool, directory: Path) -> Iterator[Running]:
    """*app* served by *server* in its own process on a free port until the block ends (stopped by PID)."""
    port = free_port()
    command = _command(server, app, port)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENAI_WEBHOOK_SECRET": SECRET,
        "RECIPE_LOG": str(directory / "records.log"),
        "WEBHOOK_IDEMPOTENCY_DB": str(directory / "deliveries.sqlite3"),  # read by the recipes with a store
    }
    process = Server(command, port, cwd=ROOT)
    with (directory / "server.err").open("wb") as errors:  # the server's own output, for a failing test
        process.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=errors, stderr=errors)
    try:
        wait_for_port(port, process.process)
        yield Running(port, path, directory / "records.log", idempotent)
    finally:
        process.stop()


class LambdaFunction(Running):
    """examples/lambda_function.py called in this process with API Gateway HTTP API (2.0) request events.

    A handler's exception escapes the function; API Gateway then answers 502, which is what ``post`` returns.
    """

    def __init__(self, log: Path) -> None:
        super().__init__(0, "/", log, False)
        saved = os.environ.get("OPENAI_WEBHOOK_SECRET")
        os.environ["OPENAI_WEBHOOK_SECRET"] = SECRET
        try:
            self.module = load_example("lambda_function", "table_lambda_function")
        finally:
            if saved is None:
                del os.environ["OPENAI_WEBHOOK_SECRET"]
            else:  # pragma: no cover - only when the environment sets it
                os.environ["OPENAI_WEBHOOK_SECRET"] = saved
        add_failing_handler(self.module.router)

    def post(self, body: bytes, headers: tuple[tuple[str, str], ...]) -> tuple[int, dict[str, str], bytes]:
        joined: dict[str, str] = {}
        for name, value in headers:  # HTTP APIs join a repeated header with commas, names lower-cased
            joined[name.lower()] = f"{joined[name.lower()]},{value}" if name.lower() in joined else value
        event = {"version": "2.0", "headers": joined, "body": body.decode(), "isBase64Encoded": False}
        to_file = logging.FileHandler(self.log)  # the function's records only (the oracle logs here too)
        logging.getLogger().addHandler(to_file)
        try:
            answer = self.module.lambda_handler(event, None)
        except RuntimeError:
            return 502, {}, b'{"message": "Internal Server Error"}'
        finally:
            logging.getLogger().removeHandler(to_file)
            to_file.close()
        return answer["statusCode"], answer["headers"], answer["body"].encode()


@pytest.fixture(scope="module", params=[*RECIPES, "lambda"])
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    recipe: str = request.param
    if recipe == "lambda":
        log = tmp_path_factory.mktemp(recipe) / "records.log"
        log.touch()
        yield LambdaFunction(log)
        return
    with _serving(*RECIPES[recipe], tmp_path_factory.mktemp(recipe)) as served:
        yield served


def test_every_adapter_answers_every_delivery_exactly_as_the_receive_step(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # records of the in-process Lambda function reach its log file
    sent = deliveries()
    expected = oracle(sent, Idempotency(MemoryStore()) if running.idempotent else None)
    for delivery, answer in zip(sent, expected, strict=True):  # at the documented path; a redirect is not followed
        check_answer(delivery, answer, *running.post(delivery.body, delivery.headers))
    assert expected[1] is not None
    assert expected[1].message == ("already processed" if running.idempotent else "ok")
    assert running.logged(KNOWN_LOG) == (1 if running.idempotent else 2)  # a duplicate runs no handler twice
    assert running.logged("handler failed for webhook event") == 2  # not acknowledged: the retry runs it again


def test_a_mounted_app_redirects_the_documented_path_which_the_recipes_test_would_catch(tmp_path: Path) -> None:
    """Starlette's Mount answers POST /webhooks/openai with 307 (OpenAI does not follow it): the POST of the test
    above follows no redirect, so a recipe wired this way fails it."""
    known = deliveries()[0]
    with _serving("uvicorn", "starlette_mount", "/webhooks/openai", False, tmp_path) as mounted:
        status, headers, _ = mounted.post(known.body, known.headers)
        assert (status, headers["location"]) == (307, f"http://127.0.0.1:{mounted.port}/webhooks/openai/")
        assert mounted.logged(KNOWN_LOG) == 0


# --- in process: each framework's own test client or request objects ----------------------------


@pytest.fixture(scope="module")
def recipes() -> dict[str, Any]:
    """The recipes imported here (their Webhook() reads the secret at import), routers given the failing handler."""
    saved = os.environ.get("OPENAI_WEBHOOK_SECRET")
    os.environ["OPENAI_WEBHOOK_SECRET"] = SECRET
    try:
        modules: dict[str, Any] = {}
        django_configured()  # a project's settings, examples/django_app.py its URLconf
        for name in ("flask_app", "fastapi_depends", "django_app", "azure_function"):
            modules[name] = module = importlib.import_module(f"examples.{name}")
            add_failing_handler(module.router)
        (modules["azure_registered"],) = modules["azure_function"].app.get_functions()  # builds them: once
    finally:
        if saved is None:
            del os.environ["OPENAI_WEBHOOK_SECRET"]
        else:  # pragma: no cover - only when the environment sets it
            os.environ["OPENAI_WEBHOOK_SECRET"] = saved
    return modules


def _azure_call(function: Any, delivery: Delivery) -> tuple[int, dict[str, str], bytes]:
    """Call the registered function as the Functions worker does: an HttpRequest in, the encoded response out."""

    request = func.HttpRequest(
        "POST",
        "https://example.azurewebsites.net/api/webhooks/openai",
        headers=dict(delivery.headers),
        body=delivery.body,
    )
    response = function.get_user_function()(request)
    assert isinstance(response, func.HttpResponse)
    encoded = HttpResponseConverter.encode(response, expected_type=None).value
    headers = {name: datum.value for name, datum in encoded["headers"].items()}
    return int(encoded["status_code"].value), headers, encoded["body"].value


def test_the_azure_function_answers_every_delivery_as_the_receive_step(recipes: dict[str, Any]) -> None:
    function = recipes["azure_registered"]
    trigger = function.get_trigger().get_dict_repr()
    assert (trigger["type"], trigger["route"], [str(m.value) for m in trigger["methods"]]) == (
        "httpTrigger",
        "webhooks/openai",
        ["POST"],
    )
    assert trigger["authLevel"].value == "anonymous"  # OpenAI sends no function key
    sent = deliveries()
    for delivery, answer in zip(sent, oracle(sent, None), strict=True):
        if answer is None:  # the exception reaches the Functions host, which answers 500
            with pytest.raises(RuntimeError, match=FAILURE):
                _azure_call(function, delivery)
        else:
            check_answer(delivery, answer, *_azure_call(function, delivery))


def _in_process_post(recipes: dict[str, Any], recipe: str) -> Callable[[Delivery], tuple[int, dict[str, str], bytes]]:
    """POST through the framework's own test client (Flask's, Starlette's, Django's), following no redirect."""
    module = recipes[IN_PROCESS[recipe]]
    if recipe == "flask":
        client = module.app.test_client()

        def flask_post(delivery: Delivery) -> tuple[int, dict[str, str], bytes]:
            answer = client.post("/webhooks/openai", data=delivery.body, headers=list(delivery.headers))
            return answer.status_code, dict(answer.headers), answer.get_data()

        return flask_post
    if recipe == "fastapi":
        starlette = TestClient(module.app, raise_server_exceptions=False, follow_redirects=False)

        def fastapi_post(delivery: Delivery) -> tuple[int, dict[str, str], bytes]:
            answer = starlette.post("/webhooks/openai", content=delivery.body, headers=list(delivery.headers))
            return answer.status_code, dict(answer.headers), answer.content

        return fastapi_post
    # CSRF checked as on a real server; a handler's exception answered 500 as on a real server
    django = Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST="127.0.0.1")

    def django_post(delivery: Delivery) -> tuple[int, dict[str, str], bytes]:
        headers = dict(delivery.headers)
        answer = django.post(
            "/webhooks/openai", data=delivery.body, content_type=headers.pop("Content-Type"), headers=headers
        )
        return answer.status_code, dict(answer.headers), answer.content

    return django_post


# the recipes tested in process: Flask's and Django's views, the FastAPI route taking the dependency
IN_PROCESS = {"flask": "flask_app", "fastapi": "fastapi_depends", "django": "django_app"}


def _with_store(module: Any, idempotency: Idempotency, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give *module* an idempotency store: its ``idempotency``, or the ``receive`` its view calls given one."""
    if hasattr(module, "idempotency"):
        monkeypatch.setattr(module, "idempotency", idempotency)
    else:
        monkeypatch.setattr(module, "receive", functools.partial(owe.receive, idempotency=idempotency))


class _DownStore(MemoryStore):
    def claim(self, key: str, token: str, now: float, expires_at: float) -> Any:
        raise ConnectionError("store unreachable")


@pytest.mark.parametrize("recipe", ["flask", "fastapi", "django"])
def test_a_recipe_passes_retry_after_through_for_a_held_delivery_and_a_store_that_is_down(
    recipes: dict[str, Any], recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = _in_process_post(recipes, recipe)
    known = deliveries()[0]
    held = Idempotency(MemoryStore())
    webhook_id = dict(known.headers)["webhook-id"]
    key = held.store_key(webhook_id, parse_event(json.loads(known.body)))
    held.store.claim(key, "another attempt", time.time(), time.time() + 30)  # another attempt holds it for 30 s
    for idempotency, status, retry_after in [(held, 409, "30"), (Idempotency(_DownStore()), 503, "5")]:
        _with_store(recipes[IN_PROCESS[recipe]], idempotency, monkeypatch)
        delivery = dataclasses.replace(known, status=status)
        (expected,) = oracle([delivery], idempotency)
        assert expected is not None
        assert dict(expected.headers)["retry-after"] == retry_after
        check_answer(delivery, expected, *post(delivery))


@pytest.mark.parametrize("recipe", ["flask", "fastapi", "django"])
def test_a_recipe_answers_every_delivery_as_the_receive_step_through_its_framework_client(
    recipes: dict[str, Any], recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_store(recipes[IN_PROCESS[recipe]], Idempotency(MemoryStore()), monkeypatch)
    post = _in_process_post(recipes, recipe)
    sent = deliveries()
    for delivery, answer in zip(sent, oracle(sent, Idempotency(MemoryStore())), strict=True):
        check_answer(delivery, answer, *post(delivery))


class _RecordingStore(MemoryStore):
    """A MemoryStore that appends each completion and release to *steps*."""

    def __init__(self, steps: list[str]) -> None:
        super().__init__()
        self.steps = steps

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        self.steps.append("complete")
        return super().complete(key, token, now, expires_at)

    def release(self, key: str, token: str) -> bool:
        self.steps.append("release")
        return super().release(key, token)


def test_the_fastapi_dependency_records_the_outcome_before_the_answer_is_sent(
    recipes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Depends(scope="function"): completion (or release) happens before the first byte of the answer."""
    module = recipes["fastapi_depends"]
    steps: list[str] = []
    monkeypatch.setattr(module, "idempotency", Idempotency(_RecordingStore(steps)))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                steps.append(f"answer {message['status']}")
            await send(message)

        await module.app(scope, receive, recording_send)

    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    sent = {delivery.name: delivery for delivery in deliveries()}
    for name in ["signed known event", "handler raises"]:
        delivery = sent[name]
        client.post("/webhooks/openai", content=delivery.body, headers=list(delivery.headers))
    assert steps == ["complete", "answer 200", "release", "answer 500"]


def test_django_request_headers_are_read_by_the_one_header_reader(recipes: dict[str, Any]) -> None:
    """HttpHeaders (built from the WSGI environ, names title-cased, repeats comma-joined) is a mapping it reads."""
    environ = {
        "HTTP_WEBHOOK_ID": "wh_django",
        "HTTP_WEBHOOK_TIMESTAMP": "1750000000, 1750000000",
        "HTTP_WEBHOOK_SIGNATURE": "v1,first v1,second",
        "CONTENT_TYPE": "application/json",
    }
    headers = HttpHeaders(environ)
    assert sorted(headers) == ["Content-Type", "Webhook-Id", "Webhook-Signature", "Webhook-Timestamp"]
    assert read_webhook_headers(headers) == ("wh_django", "1750000000", "v1,first v1,second")


def test_the_receive_step_is_public_and_imported_only_when_first_used() -> None:
    code = (
        "import sys, openai_webhook_events as owe\n"
        "assert 'openai_webhook_events._receive' not in sys.modules and 'logging' not in sys.modules\n"
        "from openai_webhook_events import Attempt, Response, begin, receive\n"
        "import openai_webhook_events._receive as step\n"
        "assert (Attempt, Response, begin, receive) == (step.Attempt, step.Response, step.begin, step.receive)\n"
        "print(Response.__module__, Attempt.__module__, Response(401, 'no').body.decode())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == 'openai_webhook_events openai_webhook_events {"message": "no"}\n'
    assert {"Attempt", "Response", "begin", "receive"} <= set(owe.__all__)


def test_the_readme_flask_snippet_answers_as_the_receive_step(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (code,) = [block for block in blocks if "Flask(__name__)" in block]  # the README's one Flask snippet
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "readme_flask"}
    exec(code, namespace)
    add_failing_handler(namespace["router"])
    client = namespace["app"].test_client()
    sent = deliveries()
    for delivery, answer in zip(sent, oracle(sent, None), strict=True):
        reply = client.post("/webhooks/openai", data=delivery.body, headers=list(delivery.headers))
        check_answer(delivery, answer, reply.status_code, dict(reply.headers), reply.get_data())


def test_the_flask_recipe_refuses_a_huge_body_before_reading_it(recipes: dict[str, Any]) -> None:
    known = deliveries()[0]
    answer = (
        recipes["flask_app"]
        .app.test_client()
        .post("/webhooks/openai", data=b" " * (4 << 20) + known.body, headers=list(known.headers))
    )
    assert answer.status_code == 413


def test_django_csrf_middleware_refuses_a_signed_delivery_to_a_view_without_csrf_exempt(
    recipes: dict[str, Any],
) -> None:
    """Why the recipe's URL takes csrf_exempt(view): a webhook carries no CSRF token, so the middleware answers 403."""
    known = deliveries()[0]
    headers = dict(known.headers)
    request = RequestFactory(HTTP_HOST="127.0.0.1").post(
        "/webhooks/openai", data=known.body, content_type=headers.pop("Content-Type"), headers=headers
    )
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    module = recipes["django_app"]
    (pattern,) = module.urlpatterns
    assert middleware.process_view(request, pattern.callback, (), {}) is None  # exempt: the view runs
    refused = middleware.process_view(request, module.openai_webhook, (), {})  # the same view, not exempt
    assert refused is not None
    assert refused.status_code == 403


def test_no_test_follows_a_redirect() -> None:
    """OpenAI follows no redirect, so no test may: Starlette's TestClient is told not to, and urllib's opener is
    the one of tests/servers.py (``urllib.request.urlopen`` follows 301, 302, 303, 307 and 308)."""
    client, opener = "TestClient" + "(", "urllib.request." + "urlopen("
    following = ["follow_redirects=" + "True", "allow_redirects=" + "True"]
    files = sorted((ROOT / "tests").rglob("*.py"))  # the helpers and every folder of test modules
    assert Path(__file__).resolve() in files
    for path in files:
        code = path.read_text(encoding="utf-8")
        calls = re.findall(re.escape(client) + r"((?:[^()]|\([^()]*\))*)\)", code)
        assert all("follow_redirects=False" in arguments for arguments in calls), path.name
        assert opener not in code, path.name
        assert not [setting for setting in following if setting in code], path.name
