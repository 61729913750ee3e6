"""The one framework-free receive step: a delivery's body and headers in, a :class:`Response` out.

Verification, parsing, deduplication, dispatch, the status, the headers,
the body and the log record are all decided here; every adapter
(``aws_lambda.lambda_handler``, WSGI, ASGI) only translates the request
into ``(body, headers)`` and the :class:`Response` into its own shape.

The answers (the README's table):

- signature, headers or timestamp rejected: 401, store not touched;
- signed but not a valid event: 400; a body over ``max_body_bytes``: 413 (adapters: once past it); store not touched;
- no handler for the event: 200, store not touched;
- first delivery: claim, handler, complete, 200;
- duplicate of a completed delivery: 200, handler not run;
- duplicate while another attempt holds a live lease: 409 with ``Retry-After`` (its time left);
- handler raised: the claim is released, the exception propagates (HTTP adapters answer :data:`HANDLER_FAILED`);
- store unreachable at claim: 503 with ``Retry-After``, handler not run;
- store failed at complete: 200 and an ERROR log;
- handler returned an awaitable (an ``async def`` on a sync router): 500, claim released, ERROR log.

:func:`begin` does everything up to the handler call and returns either the
final :class:`Response` or an :class:`Attempt`; :meth:`Attempt.run` calls
the handler and finishes.  An async adapter awaits the handler between
``Attempt.activate()`` and :meth:`Attempt.succeeded` / :meth:`Attempt.failed`
instead.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ._errors import InvalidPayloadError, PayloadTooLargeError, WebhookVerificationError
from ._headers import read_webhook_headers  # the one header reader
from ._json import load_payload  # the one place the strict JSON decoder is imported
from ._log import clean, failure, log
from ._parse import parse_event
from ._router import must_await

if TYPE_CHECKING:
    from ._headers import HeadersLike
    from ._models import WebhookEvent
    from ._router import AsyncRouter, Router
    from ._verify import Webhook
    from .idempotency import Claim, Idempotency

__all__ = ["Attempt", "Delivery", "Response", "begin", "current_delivery", "receive", "reject_request"]

STORE_RETRY_AFTER = 5
"""``Retry-After`` (seconds) of a 503 answered when the idempotency store is unreachable."""
_JSON = ("content-type", "application/json")


@dataclass(frozen=True)
class Response:
    """What to answer: ``status``, ``headers`` (``content-type`` first) and the JSON ``body``.

    ``message`` is the text inside the body, ``{"message": ...}``.
    """

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = (_JSON,)

    @property
    def body(self) -> bytes:
        return json.dumps({"message": self.message}).encode()


@dataclass(frozen=True)
class Delivery:
    """The verified delivery a handler is processing (see :func:`current_delivery`).

    ``webhook_id`` and ``timestamp`` (Unix seconds) are the signed
    ``webhook-id`` and ``webhook-timestamp`` headers (the same for every
    retry of a delivery); ``received_at`` is when this attempt arrived
    (Unix seconds); ``lease_expires_at`` is when this attempt's claim
    expires (``None`` without idempotency), and ``idempotency_key`` the
    store key it holds (``None`` without idempotency).
    """

    webhook_id: str
    timestamp: int
    received_at: float
    lease_expires_at: float | None = None
    idempotency_key: str | None = None


_current: contextvars.ContextVar[Delivery] = contextvars.ContextVar("openai_webhook_events_delivery")


Delivery.__module__ = "openai_webhook_events"  # public home (pickle finds it there)
HANDLER_FAILED = Response(500, "handler failed")  # an HTTP adapter's answer when the handler raised (logged here)


def current_delivery() -> Delivery:
    """The :class:`Delivery` whose handler is running (in this thread or task).

    Raises ``LookupError`` outside a handler called by the receive step.
    """
    try:
        return _current.get()
    except LookupError:
        raise LookupError("current_delivery() is only available inside a webhook handler") from None


def reject_request(error: InvalidPayloadError | WebhookVerificationError, webhook_id: str | None = None) -> Response:
    """The answer to *error*, logged at WARNING: 401 failed verification, 413 body over the bound, else 400.

    Adapters call it for requests they cannot even read (a Lambda event of
    another shape); the body never repeats the error's message.
    """
    if isinstance(error, WebhookVerificationError):
        response = Response(401, "webhook verification failed")
        outcome = "rejected"
    elif isinstance(error, PayloadTooLargeError):
        response = Response(413, "payload too large")
        outcome = "too_large"
    else:
        response = Response(400, "invalid payload")
        outcome = "invalid"
    log(
        logging.WARNING,
        f"rejected webhook delivery: {clean(error)}",
        outcome=outcome,
        status=response.status,
        webhook_id=webhook_id,
        error=error,
    )
    return response


def begin(
    webhook: Webhook,
    router: Router[Any] | AsyncRouter[Any],
    body: bytes | str,
    headers: HeadersLike,
    *,
    idempotency: Idempotency | None = None,
    remaining: float | None = None,
    now: float | None = None,
) -> Response | Attempt:
    """Verify, parse, route and claim one delivery: the final :class:`Response`, or the :class:`Attempt` to run.

    *remaining* is how many seconds the caller has left to run (the Lambda
    invocation's remaining time; ``None`` when unknown): it sets the default
    lease.  *now* replaces the clock (Unix seconds) for verification and
    the store.
    """
    received_at = time.time() if now is None else now
    if isinstance(headers, Iterator):  # one-shot pairs: read twice below
        headers = list(headers)
    try:
        webhook.verify(body, headers, now=now)
    except (InvalidPayloadError, WebhookVerificationError) as error:
        return reject_request(error)
    webhook_id, timestamp, _ = read_webhook_headers(headers)
    try:
        event = parse_event(load_payload(body))
    except InvalidPayloadError as error:
        return reject_request(error, webhook_id)
    handler = router.handler_for(event)
    if handler is None:
        log(
            logging.DEBUG,
            f"no handler for webhook event {clean(event.id)} ({clean(event.type)})",
            outcome="ignored",
            status=200,
            webhook_id=webhook_id,
            event=event,
        )
        return Response(200, "ok")
    delivery = Delivery(webhook_id, int(timestamp), received_at)
    if idempotency is None:
        return Attempt(handler, event, delivery, None, "", "", now)
    key = idempotency.store_key(webhook_id, event)
    token = idempotency.new_token()
    lease_expires_at = received_at + idempotency.lease(remaining)
    try:
        claim: Claim = idempotency.store.claim(key, token, received_at, lease_expires_at)
    except Exception as error:
        log(
            logging.ERROR,
            f"idempotency store failed at claim for webhook delivery {clean(webhook_id)}: {failure(error)}",
            outcome="store_unavailable",
            status=503,
            webhook_id=webhook_id,
            event=event,
            error=error,
        )
        return Response(503, "store unavailable", (_JSON, ("retry-after", str(STORE_RETRY_AFTER))))
    if claim.state == "acquired":
        delivery = Delivery(webhook_id, int(timestamp), received_at, claim.expires_at, key)
        return Attempt(handler, event, delivery, idempotency, key, token, now)
    if claim.state == "completed":
        log(
            logging.INFO,
            f"duplicate webhook delivery {clean(webhook_id)}: already processed, handler not run",
            outcome="duplicate",
            status=200,
            webhook_id=webhook_id,
            event=event,
        )
        return Response(200, "already processed")
    retry_after = max(1, math.ceil(claim.expires_at - received_at))
    log(
        logging.INFO,
        f"webhook delivery {clean(webhook_id)} is being processed by another attempt: retry after {retry_after} s",
        outcome="in_progress",
        status=409,
        webhook_id=webhook_id,
        event=event,
    )
    return Response(409, "in progress", (_JSON, ("retry-after", str(retry_after))))


class Attempt:
    """A delivery that passed every check and, with idempotency, holds its claim: run its handler once.

    :meth:`run` calls the handler and answers; an async adapter instead
    awaits the handler inside ``with attempt.activate():`` and then calls
    :meth:`succeeded` or :meth:`failed`.
    """

    __slots__ = ("_clock", "_idempotency", "_key", "_token", "delivery", "event", "handler")

    def __init__(
        self,
        handler: Callable[[Any], Any],
        event: WebhookEvent,
        delivery: Delivery,
        idempotency: Idempotency | None,
        key: str,
        token: str,
        clock: float | None = None,
    ) -> None:
        self.handler = handler
        self.event = event
        self.delivery = delivery
        self._idempotency = idempotency
        self._key = key
        self._token = token
        self._clock = clock  # the fixed clock of begin(now=...), for tests

    @contextmanager
    def activate(self) -> Generator[Delivery, None, None]:
        """Make :attr:`delivery` what :func:`current_delivery` returns inside the block."""
        reset = _current.set(self.delivery)
        try:
            yield self.delivery
        finally:
            _current.reset(reset)

    def run(self) -> Response:
        """Call the handler; answer 200 when it returns, re-raise what it raises (after :meth:`failed`).

        A handler that returns an awaitable was not run to completion: the
        awaitable is closed and the answer is 500 (nothing unprocessed is
        acknowledged).
        """
        try:
            with self.activate():
                result = self.handler(self.event)
        except BaseException as error:
            self.failed(error)
            raise
        if self.must_await(result):
            close: Any = getattr(cast("object", result), "close", None)
            if callable(close):
                close()
            return self.not_awaited()
        return self.succeeded()

    must_await = staticmethod(must_await)  # whether a handler's result is an awaitable (not run to completion)

    def succeeded(self, now: float | None = None) -> Response:
        """The handler returned: record the completion (if idempotent) and answer 200.

        *now* (Unix seconds) replaces the clock, as ``begin(now=...)`` did.
        """
        idempotency = self._idempotency
        if idempotency is not None:
            finished = now if now is not None else self._clock if self._clock is not None else time.time()
            try:
                recorded = idempotency.store.complete(
                    self._key, self._token, finished, finished + idempotency.retention
                )
            except Exception as error:
                self._log(
                    logging.ERROR,
                    f"webhook delivery {clean(self.delivery.webhook_id)} was processed but the idempotency "
                    f"store failed to record it (a retry will run the handler again): {failure(error)}",
                    "complete_failed",
                    200,
                    error,
                )
                return Response(200, "ok")
            if not recorded:
                self._log(
                    logging.WARNING,
                    f"webhook delivery {clean(self.delivery.webhook_id)} was processed after its lease expired "
                    "and another attempt took it over: not recorded by this attempt",
                    "lease_lost",
                    200,
                )
                return Response(200, "ok")
        self._log(
            logging.DEBUG,
            f"handled webhook event {clean(self.event.id)} ({clean(self.event.type)})",
            "processed",
            200,
        )
        return Response(200, "ok")

    def failed(self, error: BaseException) -> None:
        """The handler raised *error*: log it, release the claim (if idempotent) so a retry reprocesses."""
        self._log(
            logging.ERROR,
            f"handler failed for webhook event {clean(self.event.id)} ({clean(self.event.type)})",
            "failed",
            None,
            error,
            exc_info=True,
        )
        self._release()

    def not_awaited(self) -> Response:
        """The handler returned an awaitable it was not allowed to: release the claim, log ERROR, answer 500."""
        self._log(
            logging.ERROR,
            f"handler for webhook event {clean(self.event.id)} ({clean(self.event.type)}) returned an awaitable: "
            "async handlers need the ASGI adapter; not processed",
            "not_awaited",
            500,
        )
        self._release()
        return Response(500, "handler returned an awaitable")

    def _release(self) -> None:
        idempotency = self._idempotency
        if idempotency is None:
            return
        try:
            idempotency.store.release(self._key, self._token)
        except Exception as error:
            self._log(
                logging.ERROR,
                f"idempotency store failed to release webhook delivery {clean(self.delivery.webhook_id)} "
                f"(a retry waits for the lease to expire): {failure(error)}",
                "release_failed",
                None,
                error,
            )

    def _log(
        self,
        level: int,
        message: str,
        outcome: str,
        status: int | None,
        error: BaseException | None = None,
        *,
        exc_info: bool = False,
    ) -> None:
        log(
            level,
            message,
            outcome=outcome,
            status=status,
            webhook_id=self.delivery.webhook_id,
            event=self.event,
            error=error,
            exc_info=exc_info,
        )


def receive(
    webhook: Webhook,
    router: Router[Any],
    body: bytes | str,
    headers: HeadersLike,
    *,
    idempotency: Idempotency | None = None,
    remaining: float | None = None,
    now: float | None = None,
) -> Response:
    """The whole receive step for one delivery (see the module docstring for the answers).

    Exceptions raised by the handler propagate (after the claim is
    released), so the platform records a failure and OpenAI retries.
    """
    started = begin(webhook, router, body, headers, idempotency=idempotency, remaining=remaining, now=now)
    return started if isinstance(started, Response) else started.run()
