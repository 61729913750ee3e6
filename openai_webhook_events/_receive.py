"""The one framework-free receive step: a delivery's body and headers in, a :class:`Response` out.

Verification, parsing, deduplication, dispatch, the status, the headers,
the body and the log record are all decided here; every adapter
(``aws_lambda.lambda_handler``, WSGI, ASGI) only translates the request
into ``(body, headers)`` and the :class:`Response` into its own shape.

The answers (the table of docs/receiving.md):

- signature, headers or timestamp rejected: 401, store not touched (WARNING);
- a body over ``max_body_bytes``: 413, before its headers and signature are checked (adapters: once past it);
- signed but not a valid event: 400 and an ERROR record, store not touched; with a
  *dead_letter* callable, 200 once it holds the delivery, 503 when it raises;
- with *hand_off* (fast acknowledgement): the verified, parsed delivery is
  forwarded instead of handled: 200 once the queue holds it, 503 otherwise;
- no handler for the event: 200, store not touched;
- first delivery: claim, handler, complete, 200;
- duplicate of a completed delivery: 200, handler not run;
- duplicate while another attempt holds a live lease: 409 with ``Retry-After`` (its time left, rounded
  up, within 1 s and ``_response.MAX_RETRY_AFTER``, an hour);
- handler raised: the claim is released, the exception propagates (HTTP adapters answer :data:`HANDLER_FAILED`);
- store unreachable at claim, or answering something that is not a valid ``Claim``: 503 with
  ``Retry-After``, handler not run; that claim may land once the store is back, so it is released
  before the next claim through the same ``Idempotency`` (``Idempotency.settle``);
- store failed at complete: 200 and an ERROR log;
- handler returned an awaitable (an ``async def`` on a sync router) or a generator (its body never
  ran): 500, claim released, ERROR log.

A store call that raises ``KeyboardInterrupt`` or ``SystemExit`` ends the
receive step; anything else it raises (``gevent.Timeout``, a
``BaseException`` subclass, included) or an answer outside the store
protocol (a ``complete``/``release`` answer that is not a ``bool``) is a
store error: at claim 503, at complete 200 and an ERROR log (the work is
done), at release an ERROR log.

:func:`begin` does everything up to the handler call and returns either the
final :class:`Response` or an :class:`Attempt`; :meth:`Attempt.run` calls
the handler and finishes.  An async adapter awaits the handler between
``Attempt.activate()`` and :meth:`Attempt.succeeded` / :meth:`Attempt.failed`
instead.  An adapter that awaits an async store calls it itself: :func:`prepare`
stops at the claim (a :class:`Claiming`), and each step that touches the
store takes what the store answered as an :data:`Outcome` (``claimed``,
``succeeded(completed=...)``, ``failed(released=...)``), so the answers and
log records have one home whichever way the store was called.  The step
is split at verification: :func:`prepare` verifies, :func:`route` does
the rest (parse, the dead letter, the hand-off, dispatch, the claim to
ask); the queue's worker (``queue.receive_queued``) verifies against the
queue's clock itself and then calls :func:`route` and :func:`claim_sync`.
Options come checked, as one ``_options.Options``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from ._delivery import Delivery, _current, activated  # pyright: ignore[reportPrivateUsage]
from ._errors import InvalidPayloadError, WebhookConfigurationError, WebhookVerificationError, publish
from ._headers import WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP
from ._json import load_payload  # the one place the strict JSON decoder is imported
from ._log import clean, failure, log
from ._options import Options
from ._parse import parse_event
from ._response import (
    DEAD_LETTER_UNAVAILABLE,
    DEAD_LETTERED,
    DUPLICATE,
    INVALID,
    NOT_AWAITED,
    NOT_RUN,
    OK,
    QUEUE_UNAVAILABLE,
    QUEUED,
    STORE_UNAVAILABLE,
    Response,
    in_progress,
    reject_request,
    retry_after,
)
from ._router import close_unrun, must_await, never_ran

if TYPE_CHECKING:
    from ._headers import HeadersLike
    from ._models import WebhookEvent
    from ._options import DeadLetter, HandOff
    from ._router import AsyncRouter, Router
    from ._verify import Verified, Webhook
    from .idempotency import Idempotency

T = TypeVar("T")


def begin(
    webhook: Webhook,
    router: Router[Any] | AsyncRouter[Any] | None,
    body: bytes | str,
    headers: HeadersLike,
    *,
    idempotency: Idempotency | None = None,
    remaining: float | None = None,
    now: float | None = None,
    dead_letter: DeadLetter | None = None,
    hand_off: HandOff | None = None,
) -> Response | Attempt:
    """Verify, parse, route and claim one delivery: the final :class:`Response`, or the :class:`Attempt` to run.

    *remaining* is how many seconds the caller has left to run (the Lambda
    invocation's remaining time; ``None`` when unknown): it sets the default
    lease.  *now* replaces the clock (Unix seconds) for verification and
    the store.  *dead_letter* keeps signed deliveries that are not valid
    events; *hand_off* (with ``router=None``) receives every verified, parsed
    delivery instead of a handler.

    Raises :class:`WebhookConfigurationError` for options that do not go
    together (``_options.Options.of``), an async store included (only the
    ASGI app awaits one).
    """
    options = Options.of(router, idempotency, dead_letter, hand_off, awaits=True)  # Attempt.run answers 500
    return claim_sync(prepare(webhook, options, body, headers, remaining=remaining, now=now))


def claim_sync(started: Response | Attempt | Claiming) -> Response | Attempt:
    """The rest of :func:`begin`: a :class:`Claiming`'s claim asked of the sync store (settling first what is
    due); anything else as it is."""
    if not isinstance(started, Claiming):
        return started
    idempotency = started.idempotency
    if idempotency.awaits:
        from .idempotency._base import ASYNC_STORE_NEEDS_ASGI

        raise WebhookConfigurationError(ASYNC_STORE_NEEDS_ASGI)
    # Nothing pending: this check is all it costs (6 ns net, timeit, CPython 3.11).
    if idempotency._unsettled:  # pyright: ignore[reportPrivateUsage]
        idempotency._settle(started.claim_args[2])  # pyright: ignore[reportPrivateUsage]
    return started.claimed(stored(idempotency.store.claim, *started.claim_args))


def answer(
    webhook: Webhook, options: Options, body: bytes | str, headers: HeadersLike, *, remaining: float | None = None
) -> Response:
    """:func:`receive` with options checked beforehand (an adapter's)."""
    started = claim_sync(prepare(webhook, options, body, headers, remaining=remaining))
    return started if isinstance(started, Response) else started.run()


def prepare(
    webhook: Webhook,
    options: Options,
    body: bytes | str,
    headers: HeadersLike,
    *,
    remaining: float | None = None,
    now: float | None = None,
) -> Response | Attempt | Claiming:
    """:func:`begin` up to the store, its options checked beforehand (an adapter's): the final :class:`Response`,
    the :class:`Attempt`, or with idempotency the :class:`Claiming` to ask the store for (:func:`claim_sync`).

    An adapter that calls the store itself (the ASGI app awaiting an async
    store) calls the store's ``claim(*claiming.claim_args)``, then
    ``claiming.claimed(outcome)``.
    """
    received_at = time.time() if now is None else now
    try:
        verified = webhook._verified(body, headers, now)  # pyright: ignore[reportPrivateUsage]
    except (InvalidPayloadError, WebhookVerificationError) as error:
        return reject_request(error)
    return route(verified, body, options, received_at, remaining, now)


def route(
    verified: Verified,
    body: bytes | str,
    options: Options,
    received_at: float,
    remaining: float | None,
    now: float | None,
) -> Response | Attempt | Claiming:
    """The receive step past verification (the HTTP adapters' and the queue's worker's): parse, then the dead
    letter, the hand-off, no handler, the :class:`Attempt`, or with idempotency the :class:`Claiming`."""
    webhook_id, timestamp, signature = verified
    sent = {
        WEBHOOK_ID: webhook_id,
        WEBHOOK_TIMESTAMP: timestamp,
        WEBHOOK_SIGNATURE: signature,
    }  # what a dead letter or queue gets
    try:
        event = parse_event(load_payload(body))
    except InvalidPayloadError as error:
        return invalid_delivery(error, body, sent, options.dead_letter)
    if options.hand_off is not None:
        return hand_over(options.hand_off, body, sent, event)
    handler = cast("Router[Any]", options.router).handler_for(event)  # Options.of refused no router without hand_off
    if handler is None:
        log(
            logging.DEBUG,
            f"no handler for webhook event {clean(event.id)} ({clean(event.type)})",
            outcome="ignored",
            status=200,
            webhook_id=webhook_id,
            event=event,
        )
        return OK
    idempotency = options.idempotency
    if idempotency is None:
        return Attempt(handler, event, Delivery(webhook_id, int(timestamp), received_at), None, "", "", now)
    key = idempotency.store_key(webhook_id, event)
    claim_args = (key, idempotency.new_token(), received_at, received_at + idempotency.lease(remaining))
    return Claiming(handler, event, webhook_id, int(timestamp), idempotency, claim_args, now)


def raw(body: bytes | bytearray | memoryview | str) -> bytes:
    """A verified body as the bytes that were signed."""
    return body.encode() if isinstance(body, str) else bytes(body)


def invalid_delivery(
    error: InvalidPayloadError, body: bytes | str, headers: dict[str, str], dead_letter: DeadLetter | None
) -> Response:
    """A signed body that is not a valid event: ERROR; 400, or the dead letter's 200 (503 when it raises)."""
    webhook_id = headers[WEBHOOK_ID]
    reason = f"signed webhook delivery {clean(webhook_id)} is not a valid event: {clean(error)}"
    if dead_letter is None:
        log(logging.ERROR, reason, outcome="invalid", status=400, webhook_id=webhook_id, error=error)
        return INVALID
    try:
        dead_letter(raw(body), headers)
    except Exception as exc:
        log(
            logging.ERROR,
            f"{reason}; the dead letter failed (answered 503, OpenAI retries): {failure(exc)}",
            outcome="dead_letter_failed",
            status=503,
            webhook_id=webhook_id,
            error=exc,
        )
        return DEAD_LETTER_UNAVAILABLE
    log(logging.ERROR, f"{reason}; kept by the dead letter", outcome="dead_lettered", status=200,
        webhook_id=webhook_id, error=error)  # fmt: skip
    return DEAD_LETTERED


def hand_over(hand_off: HandOff, body: bytes | str, headers: dict[str, str], event: WebhookEvent) -> Response:
    """Forward a verified, parsed delivery to *hand_off*: 200 once it holds it, 503 with ``Retry-After`` otherwise."""
    webhook_id = headers[WEBHOOK_ID]
    try:
        hand_off.send(raw(body), headers)
    except Exception as exc:
        log(
            logging.ERROR,
            f"hand-off failed for webhook delivery {clean(webhook_id)} (answered 503, OpenAI retries): {failure(exc)}",
            outcome="hand_off_failed",
            status=503,
            webhook_id=webhook_id,
            event=event,
            error=exc,
        )
        return QUEUE_UNAVAILABLE
    log(
        logging.DEBUG,
        f"handed off webhook event {clean(event.id)} ({clean(event.type)})",
        outcome="handed_off",
        status=200,
        webhook_id=webhook_id,
        event=event,
    )
    return QUEUED


Outcome: TypeAlias = "tuple[object, BaseException | None]"
"""What one store call answered, ``(answer, None)``, or the store error it raised, ``(None, error)``."""


_claims: Any = None
"""``idempotency._base`` once :func:`claims` has imported it."""


def claims() -> Any:
    """``idempotency._base`` (the claim checks), imported by the first store call and kept here."""
    # On first use, with a store: an HTTP Lambda without idempotency starts without importing the idempotency
    # package and creating the Claim dataclass: 5.1 M fewer instructions (bench/coldstart.py's
    # lambda_instructions, CPython 3.12).  Kept in a global: a function-level import costs ~1 us a call.
    global _claims
    if _claims is None:
        from .idempotency import _base  # pyright: ignore[reportPrivateUsage]

        _claims = _base
    return _claims


def stored(operation: Callable[..., object], *args: object) -> Outcome:
    """``operation(*args)``, one store call, as an :data:`Outcome`: ``KeyboardInterrupt`` and ``SystemExit``
    propagate, anything else it raises is a store error."""
    try:
        return operation(*args), None
    except claims().STOPS:  # evaluated only when the call raised
        raise
    except BaseException as error:  # a gevent.Timeout too: the store is down
        return None, error


def checked_outcome(outcome: Outcome, check: Callable[..., T], *args: object) -> T | BaseException:
    """*outcome*'s answer passed through ``check(answer, *args)``, or the store error: the one it raised, or the
    ``StoreAnswerError`` of an answer outside the protocol."""
    answer, error = outcome
    if error is not None:
        return error
    try:
        return check(answer, *args)
    except claims().StoreAnswerError as outside:  # evaluated only when the check raised
        return cast("BaseException", outside)


class Claiming:
    """A delivery that passed every check, its claim not yet asked: ``claim(*claim_args)``, then :meth:`claimed`."""

    __slots__ = ("_clock", "claim_args", "event", "handler", "idempotency", "timestamp", "webhook_id")

    def __init__(
        self,
        handler: Callable[[Any], Any],
        event: WebhookEvent,
        webhook_id: str,
        timestamp: int,
        idempotency: Idempotency,
        claim_args: tuple[str, str, float, float],
        clock: float | None,
    ) -> None:
        self.handler = handler
        self.event = event
        # its Delivery is made only for an acquired claim (a duplicate's, 0.6 µs, would go unused)
        self.webhook_id = webhook_id
        self.timestamp = timestamp
        self.idempotency = idempotency
        self.claim_args = claim_args  # key, token, now, expires_at
        self._clock = clock

    def claimed(self, outcome: Outcome) -> Response | Attempt:
        """What the store's ``claim`` answered (or raised) made into the :class:`Attempt` to run or the answer:
        409 held elsewhere, 200 already processed, 503 a store error."""
        store = self.idempotency.store
        claim = checked_outcome(outcome, claims().checked_claim, store)
        webhook_id = self.webhook_id
        event = self.event
        if isinstance(claim, BaseException):  # a gevent.Timeout too: the store is down
            key, token, _, expires_at = self.claim_args
            # It may land when the store is back: released before a later claim.
            self.idempotency._unsettle(key, token, expires_at)  # pyright: ignore[reportPrivateUsage]
            log(
                logging.ERROR,
                f"idempotency store failed at claim for webhook delivery {clean(webhook_id)}: {failure(claim)}",
                outcome="store_unavailable",
                status=503,
                webhook_id=webhook_id,
                event=event,
                error=claim,
            )
            return STORE_UNAVAILABLE
        if claim.state == "acquired":
            key, token, received_at = self.claim_args[:3]
            delivery = Delivery(webhook_id, self.timestamp, received_at, claim.expires_at, key)
            return Attempt(self.handler, event, delivery, self.idempotency, key, token, self._clock)
        if claim.state == "completed":
            log(
                logging.INFO,
                f"duplicate webhook delivery {clean(webhook_id)}: already processed, handler not run",
                outcome="duplicate",
                status=200,
                webhook_id=webhook_id,
                event=event,
            )
            return DUPLICATE
        wait = retry_after(claim.expires_at - self.claim_args[2])
        log(
            logging.INFO,
            f"webhook delivery {clean(webhook_id)} is being processed by another attempt: retry after {wait} s",
            outcome="in_progress",
            status=409,
            webhook_id=webhook_id,
            event=event,
        )
        return in_progress(wait)


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
        with activated(self.delivery):
            yield self.delivery

    def run(self) -> Response:
        """Call the handler; answer 200 when it returns, re-raise what it raises (after :meth:`failed`).

        A handler that returns an awaitable or a generator was not run to
        completion: :meth:`unrun` answers 500 (nothing unprocessed is
        acknowledged).
        """
        # activate()'s work without its two generator context managers: 2.0 -> 0.2 µs an attempt (timeit)
        active = _current.set(self.delivery)
        try:
            try:
                result = self.handler(self.event)
            finally:
                _current.reset(active)
        except BaseException as error:
            self.failed(error)
            raise
        if must_await(result) or never_ran(result):
            return self.unrun(result)
        return self.succeeded()

    must_await = staticmethod(must_await)  # whether a handler's result is an awaitable (not run to completion)
    never_ran = staticmethod(never_ran)  # whether a handler's result is a generator (none of its body ran)

    def complete_args(self, now: float | None = None) -> tuple[str, str, float, float]:
        """The arguments of the store's ``complete`` for this attempt: key, token, now, expires_at.

        *now* (Unix seconds) replaces the clock, as ``begin(now=...)`` did.
        """
        finished = now if now is not None else self._clock if self._clock is not None else time.time()
        retention = self._idempotency.retention if self._idempotency is not None else 0.0
        return self._key, self._token, finished, finished + retention

    @property
    def release_args(self) -> tuple[str, str]:
        """The arguments of the store's ``release`` for this attempt: key, token."""
        return self._key, self._token

    def succeeded(self, now: float | None = None, *, completed: Outcome | None = None) -> Response:
        """The handler returned: record the completion (if idempotent) and answer 200.

        *now* (Unix seconds) replaces the clock, as ``begin(now=...)`` did.
        *completed* is what the store's ``complete(*complete_args(now))``
        answered, for an adapter that called it itself; by default this calls it.
        """
        idempotency = self._idempotency
        if idempotency is not None:
            store = idempotency.store
            if completed is None:
                completed = stored(store.complete, *self.complete_args(now))
            recorded = checked_outcome(completed, claims().checked_done, store, "complete")
            if isinstance(recorded, BaseException):  # the work is done: answered 200 whatever the store did
                self._log(
                    logging.ERROR,
                    f"webhook delivery {clean(self.delivery.webhook_id)} was processed but the idempotency "
                    f"store failed to record it (a retry will run the handler again): {failure(recorded)}",
                    "complete_failed",
                    200,
                    recorded,
                )
                return OK
            if not recorded:
                self._log(
                    logging.WARNING,
                    f"webhook delivery {clean(self.delivery.webhook_id)} was processed but not recorded by this "
                    "attempt: its record was taken over by another attempt or is gone from the store",
                    "lease_lost",
                    200,
                )
                return OK
        self._log(
            logging.DEBUG,
            f"handled webhook event {clean(self.event.id)} ({clean(self.event.type)})",
            "processed",
            200,
        )
        return OK

    def failed(self, error: BaseException, *, released: Outcome | None = None) -> None:
        """The handler raised *error*: log it, release the claim (if idempotent) so a retry reprocesses.

        *released* is what the store's ``release(*release_args)`` answered,
        for an adapter that called it itself; by default this calls it.
        """
        self._log(
            logging.ERROR,
            f"handler failed for webhook event {clean(self.event.id)} ({clean(self.event.type)})",
            "failed",
            None,
            error,
            exc_info=True,
        )
        self._release(released)

    def unrun(self, result: object, *, released: Outcome | None = None) -> Response:
        """The handler returned an awaitable or a generator it was not allowed to: close it, release the claim,
        log ERROR, answer 500 (*released* as :meth:`failed` takes it)."""
        close_unrun(result)
        if never_ran(result):
            what, reason, outcome, answer = (
                "a generator",
                "none of its body ran (make it return, not yield)",
                "not_run",
                NOT_RUN,
            )
        else:
            what, reason, outcome, answer = (
                "an awaitable",
                "async handlers need the ASGI adapter",
                "not_awaited",
                NOT_AWAITED,
            )
        self._log(
            logging.ERROR,
            f"handler for webhook event {clean(self.event.id)} ({clean(self.event.type)}) returned {what}: "
            f"{reason}; not processed",
            outcome,
            500,
        )
        self._release(released)
        return answer

    def _release(self, released: Outcome | None) -> None:
        idempotency = self._idempotency
        if idempotency is None:
            return
        store = idempotency.store
        if released is None:
            released = stored(store.release, self._key, self._token)
        done = checked_outcome(released, claims().checked_done, store, "release")
        if isinstance(done, BaseException):
            self._log(
                logging.ERROR,
                f"idempotency store failed to release webhook delivery {clean(self.delivery.webhook_id)} "
                f"(a retry waits for the lease to expire): {failure(done)}",
                "release_failed",
                None,
                done,
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


publish([Attempt])  # its public home


def receive(
    webhook: Webhook,
    router: Router[Any] | None,
    body: bytes | str,
    headers: HeadersLike,
    *,
    idempotency: Idempotency | None = None,
    remaining: float | None = None,
    now: float | None = None,
    dead_letter: DeadLetter | None = None,
    hand_off: HandOff | None = None,
) -> Response:
    """The whole receive step for one delivery (see the module docstring for the answers; :func:`begin`'s options).

    Exceptions raised by the handler propagate (after the claim is
    released), so the platform records a failure and OpenAI retries.
    """
    options = Options.of(router, idempotency, dead_letter, hand_off, awaits=True)  # Attempt.run answers 500
    started = claim_sync(prepare(webhook, options, body, headers, remaining=remaining, now=now))
    return started if isinstance(started, Response) else started.run()
