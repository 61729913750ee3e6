"""OpenAI webhooks in a FastAPI route of your own: a dependency yields the verified, typed event.

Use it when the route needs FastAPI's other dependencies (a database session...); otherwise
``examples/fastapi_app.py`` is simpler.  ``openai_event`` runs the receive step's ``begin()``:
a delivery it answers itself (401, 400, 200 for a type without a handler or already processed,
409/503 with ``Retry-After``) gets that exact answer and the route never runs.  When the route
returns, the completion is recorded, then its 200 goes out; when it raises, the claim is released
and FastAPI answers 500, so OpenAI retries.  ``Depends(..., scope="function")`` (FastAPI 0.121
and later) runs the code after ``yield`` before the answer is sent; the default ``scope="request"``
would run it after the 200.  ``WEBHOOK_IDEMPOTENCY_DB=/path/deliveries.sqlite3``: once per host.
"""

import logging
import os
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi import Response as HTTPResponse
from fastapi.concurrency import run_in_threadpool

from openai_webhook_events import Response, ResponseCompletedWebhookEvent, Router, Webhook, WebhookEvent, begin
from openai_webhook_events.idempotency import Idempotency, SQLiteStore

logger = logging.getLogger(__name__)

webhook = Webhook()  # the secret comes from OPENAI_WEBHOOK_SECRET
router = Router()  # which events reach the route: begin() answers 200 for a type without a handler
database = os.environ.get("WEBHOOK_IDEMPOTENCY_DB")
idempotency = Idempotency(SQLiteStore(database)) if database else None


@router.on(ResponseCompletedWebhookEvent)
def response_completed(event: ResponseCompletedWebhookEvent) -> None:
    logger.info("response %s completed", event.data.id)


@router.fallback
def anything_else(event: WebhookEvent) -> None:
    logger.info("ignored %s event %s", event.type, event.id)


class Answered(Exception):
    """The receive step answered the delivery before the route: send ``response`` as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


async def openai_event(request: Request) -> AsyncIterator[WebhookEvent]:
    """The verified event of this delivery (raises :class:`Answered` when the route must not run)."""
    body = await request.body()  # the raw bytes the signature covers: never a parsed JSON model
    # The store calls block: run them in the thread pool, not on the event loop.
    started = await run_in_threadpool(begin, webhook, router, body, request.headers, idempotency=idempotency)
    if isinstance(started, Response):
        raise Answered(started)
    with started.activate():  # current_delivery() works in the route
        try:
            yield started.event
        except BaseException as error:  # the route raised: release the claim, let FastAPI answer 500
            await run_in_threadpool(started.failed, error)
            raise
    await run_in_threadpool(started.succeeded)


app = FastAPI()


@app.exception_handler(Answered)
async def answered(request: Request, answered: Answered) -> HTTPResponse:
    response = answered.response
    return HTTPResponse(response.body, response.status, dict(response.headers))


@app.post("/webhooks/openai")
def openai_webhook(event: Annotated[WebhookEvent, Depends(openai_event, scope="function")]) -> dict[str, str]:
    """Runs once per verified delivery; raise to have it retried.  Here: the router's handler for the event."""
    router.dispatch(event)  # or match on the event here, with the route's other dependencies at hand
    return {"message": "ok"}  # what the receive step answers for a processed delivery
