"""The one delivery set every adapter and recipe is checked with, and the receive step as its oracle.

``deliveries()`` builds, freshly signed with :data:`SECRET`, the same
deliveries in the same order (the duplicate follows its original): each
with its name, raw body, header pairs, the status the receive step answers,
and whether its handler raises.  Every router under test gets
:func:`add_failing_handler` (its ``batch.failed`` handler raises); the
recipes' own handlers log ``response <id> completed`` for
``response.completed`` (:data:`KNOWN_DATA_ID`) and have a fallback.

:func:`oracle` runs the same deliveries through ``receive()`` itself, and
:func:`check_answer` checks an adapter's answer against it: the same
status, the receive step's headers with their values, the same JSON body;
for a raising handler, where ``receive()`` raises, a 5xx.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from openai_webhook_events import (
    BatchFailedWebhookEvent,
    Response,
    ResponseCompletedWebhookEvent,
    Router,
    Webhook,
    receive,
)
from openai_webhook_events.idempotency import Idempotency
from tests.strategies import example_payload, hmac_signature, whsec

SECRET_KEY = b"one delivery set, every adapter!"
SECRET = whsec(SECRET_KEY)
"""The endpoint secret of every server under test (``OPENAI_WEBHOOK_SECRET``)."""
KNOWN_DATA_ID: str = example_payload("response.completed")["data"]["id"]
FAILURE = "the handler failed on purpose"


@dataclass(frozen=True)
class Delivery:
    """One request: ``status`` is the receive step's answer (500 stands for "the handler raised")."""

    name: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    status: int
    raises: bool = False


def signed_headers(
    body: bytes, webhook_id: str, timestamp: int, key: bytes = SECRET_KEY
) -> tuple[tuple[str, str], ...]:
    return (
        ("Content-Type", "application/json"),
        ("webhook-id", webhook_id),
        ("webhook-timestamp", str(timestamp)),
        ("webhook-signature", hmac_signature(key, webhook_id, timestamp, body)),
    )


def deliveries(now: int | None = None) -> list[Delivery]:
    """The delivery set, signed at *now* (default: the clock), with webhook ids unique to this call."""
    now = int(time.time()) if now is None else now
    run = uuid.uuid4().hex[:12]
    known = json.dumps(example_payload("response.completed"), indent=2).encode()  # not compact: bytes as sent
    unknown = json.dumps({"id": "evt_new", "created_at": now, "type": "brand.new.type", "data": {}}).encode()
    failing = json.dumps(example_payload("batch.failed")).encode()
    invalid = json.dumps({"id": "evt_bad", "created_at": now, "type": "response.completed"}).encode()  # no data
    signed = signed_headers(known, f"wh_known_{run}", now)
    fails = signed_headers(failing, f"wh_fails_{run}", now)
    missing = tuple(pair for pair in signed_headers(known, f"wh_missing_{run}", now) if pair[0] != "webhook-signature")
    return [
        Delivery("signed known event", known, signed, 200),
        Delivery("duplicate of the known event", known, signed, 200),
        Delivery("unknown event type", unknown, signed_headers(unknown, f"wh_unknown_{run}", now), 200),
        Delivery("forged signature", known, signed_headers(known, f"wh_forged_{run}", now, b"not the secret"), 401),
        Delivery("stale timestamp", known, signed_headers(known, f"wh_stale_{run}", now - 3600), 401),
        Delivery("missing signature header", known, missing, 401),
        Delivery("same JSON, other bytes", json.dumps(json.loads(known)).encode(), signed, 401),
        Delivery("signed but not JSON", b"{not json", signed_headers(b"{not json", f"wh_nojson_{run}", now), 400),
        Delivery("signed but not a valid event", invalid, signed_headers(invalid, f"wh_invalid_{run}", now), 400),
        Delivery("handler raises", failing, fails, 500, raises=True),
        Delivery("retry after the handler raised", failing, fails, 500, raises=True),  # released: it runs again
    ]


def fail(event: BatchFailedWebhookEvent) -> NoReturn:
    raise RuntimeError(FAILURE)


def add_failing_handler(router: Router[Any]) -> None:
    """Give *router* the handler of ``batch.failed`` that raises (a router under test has none of its own)."""
    router.on(BatchFailedWebhookEvent)(fail)


def oracle_router() -> Router[Any]:
    """A router shaped like the recipes': a ``response.completed`` handler, a fallback, the failing handler."""
    router: Router[Any] = Router()
    router.on(ResponseCompletedWebhookEvent)(lambda event: None)
    router.fallback(lambda event: None)
    add_failing_handler(router)
    return router


def oracle(sent: Sequence[Delivery], idempotency: Idempotency | None) -> list[Response | None]:
    """What ``receive()`` answers to each of *sent* in order (``None``: it raised); checks the table's statuses."""
    webhook, router = Webhook(SECRET), oracle_router()
    answers: list[Response | None] = []
    for delivery in sent:
        try:
            answer: Response | None = receive(webhook, router, delivery.body, delivery.headers, idempotency=idempotency)
        except RuntimeError as error:
            assert str(error) == FAILURE, error
            answer = None
        assert (answer is None) == delivery.raises, delivery.name
        assert delivery.raises or (answer is not None and answer.status == delivery.status), (delivery.name, answer)
        answers.append(answer)
    return answers


def check_answer(
    delivery: Delivery, expected: Response | None, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    """Assert an adapter answered *delivery* as the receive step did (*headers*: lower-case names)."""
    if expected is None:
        assert 500 <= status < 600, (delivery.name, status, body[:200])
        return
    got = {name.lower(): value for name, value in headers.items()}
    assert status == expected.status, (delivery.name, status, body[:200])
    assert {name: got.get(name) for name, _ in expected.headers} == dict(expected.headers), (delivery.name, got)
    assert json.loads(body) == json.loads(expected.body), (delivery.name, body[:200])
