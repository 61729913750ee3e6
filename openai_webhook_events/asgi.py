"""The ASGI adapter: :func:`app` makes an ASGI 3 application that answers webhook deliveries, awaiting async handlers.

It only translates: the request's body and headers go to the receive step
(``_receive``), which verifies, parses, deduplicates and decides the
answer; the handler runs here, awaited when it returns an awaitable,
between ``Attempt.activate()`` and ``Attempt.succeeded()``/``failed()``.
It ignores the path, so it can be served alone (uvicorn, hypercorn) or
routed at an exact path: it is an object, not a function, so Starlette's
``Route("/webhooks/openai", app)`` and FastAPI's ``add_route`` hand it the
request as it came (a ``Mount`` would answer that path with a 307 redirect
to ``/webhooks/openai/``, which OpenAI does not follow).

The event loop never waits on the idempotency store: with a sync store the
receive step's store work (claim, complete, release) runs in a worker
thread; an async store (``idempotency.AsyncRedisStore``) is awaited on the
event loop, no thread involved.  Either way each store call is given
*store_timeout* seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._http import declared_length
from ._options import Options
from ._receive import Attempt, Claiming, checked_outcome, claim_sync, prepare
from ._response import HANDLER_FAILED, METHOD_NOT_ALLOWED, Response, bad_length, too_large
from .idempotency._base import ACQUIRED, Claim, checked_done

if TYPE_CHECKING:
    from ._hand_off import DeadLetter, HandOff
    from ._receive import Outcome
    from ._router import AsyncRouter, Router
    from ._verify import Webhook
    from .idempotency import AsyncIdempotencyStore, Idempotency, IdempotencyStore

__all__ = ["DEFAULT_STORE_TIMEOUT", "ASGIApp", "app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]]
"""An ASGI 3 application (the shape Starlette's ``Route`` and every ASGI server take)."""

DEFAULT_STORE_TIMEOUT = 2.0
"""Seconds one idempotency store call may take before the store counts as down (a claim then answers 503)."""
_MAX_STORE_CALLS = 64
"""Store calls under way at once in worker threads (past that a call waits, within its timeout, for one to
end); with an async store, calls left running after their timeout (past that a call answers 503 at once)."""

T = TypeVar("T")


def app(
    webhook: Webhook,
    router: AsyncRouter[Any] | Router[Any] | None,
    *,
    idempotency: Idempotency | None = None,
    dead_letter: DeadLetter | None = None,
    hand_off: HandOff | None = None,
    store_timeout: float = DEFAULT_STORE_TIMEOUT,
) -> ASGIApp:
    """An ASGI 3 application answering every ``POST`` on any path as a webhook delivery for *webhook* and *router*.

    *router* is an :class:`~openai_webhook_events.AsyncRouter` (``async def``
    or plain handlers) or a :class:`~openai_webhook_events.Router`.  A
    handler's awaitable is awaited; a plain handler is called on the event
    loop (keep it short, or make it ``async``).  The answers are the receive
    step's: 401, 400, 413, 200, 409, 503, as ``application/json``; 500 when
    the handler raised or returned a generator (logged, claim released);
    405 with ``Allow: POST`` for another method.  The body is read bounded by
    ``webhook.max_body_bytes``: 413 as soon as ``Content-Length`` or the
    bytes received so far pass it.

    With *idempotency* on a sync store, ``begin``/``succeeded``/``failed``
    run in a worker thread; on an async store (``async def`` operations,
    ``idempotency.AsyncRedisStore``) each store call is awaited on the event
    loop.  Either way each store call gets *store_timeout* seconds (default
    2): a store that does not answer in time counts as down (503 with
    ``Retry-After`` at claim, fail closed; 200 and an ERROR log at
    complete), and a claim that answers after its timeout is released.
    Give the store's client shorter socket timeouts than that.  What a
    store call raises is a store error, ``asyncio.CancelledError``
    included (only ``KeyboardInterrupt`` and ``SystemExit`` propagate); a
    cancelled request still propagates its cancellation.  *dead_letter*
    and *hand_off* (with ``router=None``) are the receive step's, as
    ``aws_lambda.lambda_handler`` takes them; they call your clients, so with
    them the receive step runs in a worker thread too (bound those clients'
    timeouts yourself).

    The application is an object, not a function: Starlette's
    ``Route("/webhooks/openai", app)`` and FastAPI's
    ``add_route("/webhooks/openai", app)`` pass it every request to that exact
    path (no redirect; a ``Mount`` redirects it with 307).

    ``lifespan`` events are acknowledged; ``websocket`` connections are
    closed; another scope type raises ``ValueError``.  A *store_timeout*
    that is not a number of seconds > 0 raises
    :class:`~openai_webhook_events.WebhookConfigurationError`.
    """
    options = Options.of(router, idempotency, dead_letter, hand_off, awaits=True, store_timeout=store_timeout)
    steps: _Threaded | _Awaited
    if idempotency is not None and idempotency.awaits:
        steps = _Awaited(webhook, options, idempotency, store_timeout)
    else:
        if idempotency is not None:
            options = Options(router, _bounded(idempotency, store_timeout), dead_letter, hand_off)
        # the receive step calls the store, the dead letter or the queue: keep those off the event loop
        steps = _Threaded(functools.partial(prepare, webhook, options), options.calls_out)
    return _Application(steps, webhook.max_body_bytes)


class _Application:
    """The ASGI 3 application :func:`app` returns: an instance, so Starlette's ``Route`` treats it as ASGI."""

    __slots__ = ("_limit", "_steps")

    def __init__(self, steps: _Threaded | _Awaited, limit: int | None) -> None:
        self._steps = steps
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            answer = await _answer(scope, receive, self._steps, self._limit)
            if answer is not None:
                await _respond(send, answer)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403
        else:
            raise ValueError(f"unsupported ASGI scope type {kind!r}")


async def _answer(scope: Scope, receive: Receive, steps: _Threaded | _Awaited, limit: int | None) -> Response | None:
    """The answer to one HTTP request, ``None`` when the client left before sending its whole body."""
    if scope.get("method") != "POST":
        return METHOD_NOT_ALLOWED
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
    body = await _read_body(receive, headers, limit)
    if not isinstance(body, bytes):
        return body
    started = await steps.begin(body, headers)
    if isinstance(started, Response):
        return started
    return await _run(started, steps)


async def _read_body(
    receive: Receive, headers: list[tuple[bytes, bytes]], limit: int | None
) -> bytes | Response | None:
    """The body, or 413 as soon as ``Content-Length`` or the bytes so far pass *limit* (400 for a length that
    is not a number of bytes); ``None`` on a disconnect."""
    for name, value in headers:
        if name.lower() == b"content-length":
            length = declared_length(value)
            if length is None:
                return bad_length()
            if limit is not None and length > limit:
                return too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: nobody is left to answer
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            return too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _run(attempt: Attempt, steps: _Threaded | _Awaited) -> Response:
    """Call the handler, await what it returns if awaitable, then record the outcome.

    A handler that returns a generator or an async generator ran none of
    its body: 500, as ``Attempt.unrun`` answers it.
    """
    try:
        with attempt.activate():
            result = attempt.handler(attempt.event)
            if attempt.must_await(result):
                await result
                result = None  # it ran: what it returns is not looked at
    except BaseException as error:
        await steps.failed(attempt, error)
        if not isinstance(error, Exception):  # cancelled, interrupted: released, then let it end the task
            raise
        return HANDLER_FAILED
    if attempt.never_ran(result):
        return await steps.unrun(attempt, result)
    return await steps.succeeded(attempt)


async def _call(off_loop: bool, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, in a worker thread when *off_loop* (it may call the store)."""
    if off_loop:
        return await asyncio.to_thread(function, *args)
    return function(*args)


class _Threaded:
    """The receive step's steps, each in a worker thread when *off_loop* (a sync store, a dead letter, a queue)."""

    __slots__ = ("_off_loop", "_prepare")

    def __init__(self, prepare: Callable[[bytes, Any], Response | Attempt | Claiming], off_loop: bool) -> None:
        self._prepare = prepare
        self._off_loop = off_loop

    async def begin(self, body: bytes, headers: list[tuple[bytes, bytes]]) -> Response | Attempt:
        """The receive step up to the claim; a claim that lands after the request was cancelled (the worker
        thread runs on) is remembered as of unknown outcome, released before a later claim."""
        if not self._off_loop:
            return claim_sync(self._prepare(body, headers))
        # asyncio.to_thread's future, kept from a cancellation: asyncio.wait never cancels what it waits for (shield
        # would do as well, but Python 3.14 logs an exception a shielded future ends with after the cancellation).
        context = contextvars.copy_context()  # as asyncio.to_thread does: the caller's context vars in the thread
        started = asyncio.get_running_loop().run_in_executor(
            None, context.run, lambda: claim_sync(self._prepare(body, headers))
        )
        try:
            await asyncio.wait((started,))
        except BaseException:  # this request was cancelled: the thread runs on
            started.add_done_callback(_unsettle_late)
            raise
        return started.result()

    async def failed(self, attempt: Attempt, error: BaseException) -> None:
        await _call(self._off_loop, attempt.failed, error)

    async def unrun(self, attempt: Attempt, result: object) -> Response:
        return await _call(self._off_loop, attempt.unrun, result)

    async def succeeded(self, attempt: Attempt) -> Response:
        return await _call(self._off_loop, attempt.succeeded)


def _unsettle_late(started: asyncio.Future[Response | Attempt]) -> None:
    """An attempt whose request was cancelled while its claim was under way: its claim, if acquired, is
    remembered as of unknown outcome (``Idempotency._unsettle``), so it does not hold the key for a whole lease."""
    if started.cancelled() or started.exception() is not None:  # the step raised (KeyboardInterrupt) or never ran
        return
    attempt = started.result()
    if isinstance(attempt, Attempt) and attempt.delivery.lease_expires_at is not None:  # acquired through a store
        idempotency = cast("Idempotency", attempt._idempotency)  # pyright: ignore[reportPrivateUsage]
        idempotency._unsettle(*attempt.release_args, attempt.delivery.lease_expires_at)  # pyright: ignore[reportPrivateUsage]


class _Awaited:
    """The receive step's steps with an async store: each store call awaited on the event loop, for at most
    *timeout* seconds (a worker thread only for a *dead_letter*).

    Measured (bench/asgi_store.py --servers, redis-server, 8 concurrent, noisy 2-core machine, 2 runs): 483-500 us
    of server CPU per first delivery under uvicorn; 1060-1520 us with worker threads; WSGI, gunicorn gthread 673-1153.

    A call that does not answer in time is a ``TimeoutError`` (the store is
    down) and runs on: a claim it then acquires is released, so the key is
    not held for a whole lease by an attempt that gave up (so is one whose
    request was cancelled meanwhile).  A call is never cancelled here: a
    cancelled command may still reach the server.  While
    :data:`_MAX_STORE_CALLS` calls are left running so (a store that
    stalls), a store call answers ``TimeoutError`` at once, none started.
    """

    __slots__ = ("_dead_letter", "_left", "_prepare", "_running", "_store", "_timeout")

    def __init__(self, webhook: Webhook, options: Options, idempotency: Idempotency, timeout: float) -> None:
        self._prepare = functools.partial(prepare, webhook, options)
        self._dead_letter = options.dead_letter is not None
        self._store = cast("AsyncIdempotencyStore", idempotency.store)
        self._timeout = timeout
        self._running: set[asyncio.Future[Any]] = set()  # the loop keeps only weak references to tasks
        self._left: set[asyncio.Future[Any]] = set()  # the calls nobody waits for any more, until they end

    async def begin(self, body: bytes, headers: list[tuple[bytes, bytes]]) -> Response | Attempt:
        started = await _call(self._dead_letter, self._prepare, body, headers)
        if not isinstance(started, Claiming):
            return started
        if started.idempotency._unsettled:  # pyright: ignore[reportPrivateUsage]  (nothing pending: all it costs)
            await self._settle(started.idempotency, started.claim_args[2])
        key, token = started.claim_args[:2]
        return started.claimed(await self._call(self._store.claim, started.claim_args, (key, token)))

    async def _settle(self, idempotency: Idempotency, now: float) -> None:
        """``Idempotency.settle`` with each release awaited: the claims of unknown outcome released in order,
        the rest kept from the first that fails."""
        pending = idempotency._due(now)  # pyright: ignore[reportPrivateUsage]
        store = self._store
        at = 0
        try:
            for at, (key, token, _) in enumerate(pending):
                released = checked_outcome(
                    await self._call(store.release, (key, token)), checked_done, store, "release"
                )
                if isinstance(released, BaseException):
                    idempotency._defer(pending[at:], now, released)  # pyright: ignore[reportPrivateUsage]
                    return
        except BaseException as error:  # the request cancelled while a release is awaited: the rest kept, not lost
            idempotency._defer(pending[at:], now, error)  # pyright: ignore[reportPrivateUsage]
            raise

    async def failed(self, attempt: Attempt, error: BaseException) -> None:
        attempt.failed(error, released=await self._call(self._store.release, attempt.release_args))

    async def unrun(self, attempt: Attempt, result: object) -> Response:
        return attempt.unrun(result, released=await self._call(self._store.release, attempt.release_args))

    async def succeeded(self, attempt: Attempt) -> Response:
        return attempt.succeeded(completed=await self._call(self._store.complete, attempt.complete_args()))

    async def _call(
        self, operation: Callable[..., Awaitable[object]], args: tuple[Any, ...], claimed: tuple[str, str] | None = None
    ) -> Outcome:
        """``await operation(*args)`` within the timeout, as an :data:`~._receive.Outcome`; *claimed* (the
        key and token of a claim) is released if the call acquires it after this gave up waiting."""
        if len(self._left) >= _MAX_STORE_CALLS:
            return None, TimeoutError(
                f"idempotency store busy: {_MAX_STORE_CALLS} calls still under way after {self._timeout:g} s"
            )
        try:
            call = asyncio.ensure_future(operation(*args))
        except Exception as error:  # arguments its signature refuses: a store error
            return None, error
        self._running.add(call)
        call.add_done_callback(self._ended)
        try:
            done, _ = await asyncio.wait((call,), timeout=self._timeout)
        except BaseException:  # this request was cancelled: the call runs on
            self._late(call, claimed)
            raise
        if not done:
            self._late(call, claimed)
            return None, TimeoutError(f"idempotency store did not answer within {self._timeout:g} s")
        try:
            return call.result(), None
        except BaseException as error:  # asyncio.CancelledError raised by the store too: a store error
            return None, error  # (KeyboardInterrupt and SystemExit raised in a task leave the event loop at once)

    def _late(self, call: asyncio.Future[object], claimed: tuple[str, str] | None) -> None:
        self._leave(call)
        if claimed is not None:
            call.add_done_callback(functools.partial(self._release_late, claimed))

    def _release_late(self, claimed: tuple[str, str], call: asyncio.Future[object]) -> None:
        if call.cancelled() or call.exception() is not None:
            return
        answer = call.result()
        if isinstance(answer, Claim) and answer.state == ACQUIRED:  # else its lease expires: 409 until then
            with contextlib.suppress(Exception):
                release = asyncio.ensure_future(self._store.release(*claimed))
                self._running.add(release)
                release.add_done_callback(self._ended)
                self._leave(release)

    def _leave(self, call: asyncio.Future[Any]) -> None:
        """Count *call* among the calls nobody waits for until it ends."""
        self._left.add(call)
        call.add_done_callback(self._left.discard)

    def _ended(self, call: asyncio.Future[Any]) -> None:
        self._running.discard(call)
        if not call.cancelled():
            call.exception()  # retrieved: a call nobody waits for any more fails quietly


async def _respond(send: Send, answer: Response) -> None:
    body = answer.body
    headers = [(name.encode(), value.encode()) for name, value in answer.headers]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown (the app holds no resources of its own)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _bounded(idempotency: Idempotency, timeout: float) -> Idempotency:
    """A copy of *idempotency* whose store calls each give up after *timeout* seconds."""
    bounded = copy.copy(idempotency)
    bounded.store = _BoundedStore(cast("IdempotencyStore", idempotency.store), timeout)  # app() sent async ones away
    return bounded


class _BoundedStore:
    """*store*'s three operations, each run in a daemon thread and waited for at most *timeout* seconds.

    Their answers come back as they are: the receive step checks them once,
    naming *store*'s class (this wrapper's ``__wrapped__``).

    A call that does not answer in time raises ``TimeoutError`` (in the
    receive step: a store that is down).  The thread is left to finish;
    a claim it then acquires is released, so the key is not held for a
    whole lease by an attempt that gave up.
    """

    __slots__ = ("_calls", "_store", "_timeout")

    def __init__(self, store: IdempotencyStore, timeout: float) -> None:
        self._store = store
        self._timeout = timeout
        self._calls = threading.BoundedSemaphore(_MAX_STORE_CALLS)

    @property
    def __wrapped__(self) -> IdempotencyStore:
        return self._store

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        store = self._store
        return self._call(lambda: store.claim(key, token, now, expires_at), lambda late: self._late(key, token, late))

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        store = self._store
        return self._call(lambda: store.complete(key, token, now, expires_at))

    def release(self, key: str, token: str) -> bool:
        store = self._store
        return self._call(lambda: store.release(key, token))

    def _late(self, key: str, token: str, claim: object) -> None:
        if isinstance(claim, Claim) and claim.state == ACQUIRED:
            with contextlib.suppress(Exception):  # else its lease expires: retries answer 409 until then
                self._store.release(key, token)

    def _call(self, operation: Callable[[], T], late: Callable[[T], None] | None = None) -> T:
        """``operation()`` in a daemon thread: its answer within the timeout, else ``TimeoutError``.

        An answer that comes after the timeout goes to *late* (in that thread).
        """
        deadline = time.monotonic() + self._timeout
        if not self._calls.acquire(timeout=self._timeout):
            raise TimeoutError(f"idempotency store busy: {_MAX_STORE_CALLS} calls under way for {self._timeout:g} s")
        outcome: Future[T] = Future()
        context = contextvars.copy_context()  # the caller's context vars (tracing, tenants) in the store's thread

        def target() -> None:
            try:
                outcome.set_result(context.run(operation))
            except BaseException as error:
                outcome.set_exception(error)
            finally:
                self._calls.release()

        threading.Thread(target=target, name="openai-webhook-events-store", daemon=True).start()
        try:
            return outcome.result(max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            if late is not None:  # called at once if the answer came in the meantime
                outcome.add_done_callback(functools.partial(_answered_late, late))
            raise TimeoutError(f"idempotency store did not answer within {self._timeout:g} s") from None


def _answered_late(late: Callable[[T], None], outcome: Future[T]) -> None:
    if outcome.exception() is None:
        late(outcome.result())
