"""What several test modules share (a test module imports helper modules, never another test module).

- The receive step's endpoint: :data:`SECRET` (of :data:`SECRET_KEY`), :data:`PAYLOAD`, :data:`BODY`;
  :class:`RecordingStore`; the repository's :data:`ROOT`.
- Handlers that record their runs: :class:`Runs` (a :class:`Router`), :class:`AsyncRuns` (an :class:`AsyncRouter`);
  the package's log records: :func:`records`, :func:`outcome`.
- Request drivers: :func:`environ` and :func:`call` for a WSGI app, :func:`scope` and :func:`drive` for an ASGI app.
- Lambda SQS events: :func:`record`, :func:`sqs_event`, and :func:`lambda_records` of a real (moto's) queue.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from openai_webhook_events import AsyncRouter, Router, WebhookEvent, current_delivery
from openai_webhook_events.idempotency import Claim, MemoryStore
from tests.strategies import example_payload, whsec

# --- The receive step's endpoint ------------------------------------------------------------------

SECRET_KEY = b"receive step test secret 32 bytes"
SECRET = whsec(SECRET_KEY)
PAYLOAD = example_payload("batch.completed")
BODY = json.dumps(PAYLOAD).encode()
ROOT = Path(__file__).resolve().parent.parent


class RecordingStore:
    """A :class:`MemoryStore` recording each call (name, arguments, thread), failing the operations in *failing*
    (with *error*, by default a ``ConnectionError``), and answering *answers[name]* for the operations in it."""

    def __init__(
        self, *failing: str, error: BaseException | None = None, answers: dict[str, Any] | None = None
    ) -> None:
        self.inner = MemoryStore()
        self.calls: list[str] = []
        self.arguments: list[tuple[Any, ...]] = []  # of each call, in order
        self.threads: list[threading.Thread] = []  # each call ran in
        self.failing = set(failing)
        self.error = error
        self.answers = answers or {}

    def _call(self, name: str, *args: Any) -> Any:
        self.calls.append(name)
        self.arguments.append(args)
        self.threads.append(threading.current_thread())
        if name in self.failing:
            raise self.error or ConnectionError(f"{name}: connection refused\nsecond line")
        answer = getattr(self.inner, name)(*args)
        return self.answers.get(name, answer)

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        result: Claim = self._call("claim", key, token, now, expires_at)
        return result

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        result: bool = self._call("complete", key, token, now, expires_at)
        return result

    def release(self, key: str, token: str) -> bool:
        result: bool = self._call("release", key, token)
        return result


# --- Handlers that record their runs, and what the package logs ---------------------------------


class Runs:
    """A :class:`Router` whose fallback records each event's id (*events*) and webhook-id (*ids*), raising
    ``RuntimeError`` for the event ids in *failing*."""

    def __init__(self, *failing: str) -> None:
        self.router = Router()
        self.events: list[str] = []
        self.ids: list[str] = []
        self.failing = set(failing)
        self.router.fallback(self.handle)

    def handle(self, event: WebhookEvent) -> None:
        self.events.append(event.id)
        self.ids.append(current_delivery().webhook_id)
        if event.id in self.failing:
            raise RuntimeError("downstream unavailable")


class AsyncRuns:
    """An :class:`AsyncRouter` whose ``async def`` fallback records each webhook-id (*ids*) after awaiting *hold*
    seconds, raising *error* on the first *failures* runs."""

    def __init__(self, failures: int = 0, error: type[BaseException] = RuntimeError, hold: float = 0) -> None:
        self.router = AsyncRouter()
        self.ids: list[str] = []
        self.failures, self.error, self.hold = failures, error, hold
        self.router.fallback(self.handle)

    async def handle(self, event: WebhookEvent) -> None:
        await asyncio.sleep(self.hold)
        self.ids.append(current_delivery().webhook_id)
        if len(self.ids) <= self.failures:
            raise self.error("downstream down")


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The package's own log records among those *caplog* captured."""
    return [r for r in caplog.records if r.name == "openai_webhook_events"]


def outcome(record: logging.LogRecord) -> tuple[int, str, int | None, str | None]:
    """A delivery's log record as level, outcome, HTTP status and error type (its fields)."""
    return record.levelno, record.outcome, record.status, record.error  # type: ignore[attr-defined]


# --- WSGI and ASGI request drivers ----------------------------------------------------------------


class Reads(io.BytesIO):
    """``wsgi.input`` that records how many bytes were read (and can refuse to be read at all)."""

    def __init__(self, body: bytes, *, readable: bool = True) -> None:
        super().__init__(body)
        self.taken = 0
        self.readable_ = readable

    def read(self, size: int | None = -1) -> bytes:
        assert self.readable_, "the body was read"
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def environ(body: bytes, headers: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    """A WSGI environ of a POST carrying *body* (Content-Length set) and *headers*; *extra* overrides."""
    found: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/hooks/openai",
        "SCRIPT_NAME": "/mounted",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": Reads(body),
    }
    for name, value in headers.items():
        found["HTTP_" + name.upper().replace("-", "_")] = value
    return {**found, **extra}


def call(application: Any, env: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Run a WSGI *application* on *env*: its status line, its headers and its JSON body."""
    answered: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(application(env, lambda status, headers: answered.append((status, headers))))
    (status, headers), = answered  # fmt: skip
    named = dict(headers)
    assert named["content-length"] == str(len(body))
    return status, named, json.loads(body)


def scope(headers: Mapping[str, str], method: str = "POST", length: int | None = None) -> dict[str, Any]:
    """An ASGI HTTP scope carrying *headers* (and a Content-Length of *length* unless None)."""
    pairs = [(name.encode(), value.encode()) for name, value in headers.items()]
    if length is not None:
        pairs.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": method, "path": "/anything", "headers": pairs}


async def drive(app: Any, chunks: Iterable[bytes], the_scope: dict[str, Any]) -> dict[str, Any]:
    """Drive one HTTP request, the body in *chunks*: status, headers, the answer's message and the bodies read."""
    pending = list(chunks)
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(the_scope, receive, send)
    if not sent:
        return {"status": None, "read": read}
    start, body = sent
    assert (start["type"], body["type"]) == ("http.response.start", "http.response.body")
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    assert headers["content-length"] == str(len(body["body"]))
    return {"status": start["status"], "headers": headers, "message": json.loads(body["body"])["message"], "read": read}


async def until(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    """Await, on the running event loop, until *condition()* holds; AssertionError after *seconds*."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --- Lambda SQS events ----------------------------------------------------------------------------

SQS_SAMPLE = Path(__file__).parent / "data" / "lambda-events" / "sqsEvent.json"
NOW = float(int(time.time()))  # whole seconds, as webhook-timestamp


def attribute(value: str) -> dict[str, Any]:
    """A String message attribute as Lambda's SQS event carries it."""
    return {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}


def record(
    message_id: str, body: str, headers: dict[str, str], sent_at: float = NOW, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """A record of AWS's sample SQS event, carrying a handed-off delivery."""
    sample: dict[str, Any] = copy.deepcopy(json.loads(SQS_SAMPLE.read_text())["Records"][0])
    sample["messageId"] = message_id
    sample["body"] = body
    sample["attributes"]["SentTimestamp"] = str(int(sent_at * 1000))
    sample["messageAttributes"] = {name: attribute(value) for name, value in {**headers, **(extra or {})}.items()}
    return sample


def sqs_event(*records: object) -> dict[str, Any]:
    return {"Records": list(records)}


def lambda_records(sqs: Any, url: str) -> dict[str, Any]:
    """The Lambda SQS event of the messages on the queue at *url*, as the event source mapping would build it."""
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                   MessageSystemAttributeNames=["All"], WaitTimeSeconds=0)  # fmt: skip
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs_event(*(
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message["Attributes"],
            "messageAttributes": {
                name: {"stringValue": value["StringValue"], "stringListValues": [], "binaryListValues": [],
                       "dataType": value["DataType"]}
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
        }
        for message in received.get("Messages", [])
    ))  # fmt: skip
