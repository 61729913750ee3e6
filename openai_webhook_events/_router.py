"""``Router`` and ``AsyncRouter``: one handler per event class, plus a fallback, chosen by the event's exact class."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Protocol, TypeGuard, cast, overload

from ._errors import WebhookConfigurationError
from ._models import UnknownWebhookEvent, WebhookEvent
from ._parse import EVENT_TYPES

if TYPE_CHECKING:
    from typing_extensions import TypeVar  # a TypeVar default (PEP 696); type checkers only

    R = TypeVar("R", default=None)
else:
    from typing import TypeVar

    R = TypeVar("R")

E = TypeVar("E", bound=WebhookEvent)
_E = TypeVar("_E", bound=WebhookEvent)
_R = TypeVar("_R")

_ROUTABLE: frozenset[type[Any]] = frozenset([*EVENT_TYPES.values(), UnknownWebhookEvent])


def must_await(result: object) -> TypeGuard[Awaitable[Any]]:
    """Whether a handler's *result* is an awaitable (a coroutine): the handler has not run to completion yet."""
    return inspect.isawaitable(result)


def never_ran(result: object) -> bool:
    """Whether a handler's *result* is a generator or async generator: none of the handler's body has run."""
    return inspect.isgenerator(result) or inspect.isasyncgen(result)


def close_unrun(result: object) -> None:
    """Close what a handler returned unrun (a coroutine, a generator, an async generator): no warning, no leak.

    An async generator is closed without an event loop: its ``aclose()`` is
    stepped once (a ``finally`` that awaits is abandoned there).
    """
    if inspect.isasyncgen(result):
        closing = result.aclose()
        with contextlib.suppress(StopIteration):
            closing.send(None)
        closing.close()
        return
    close: object = getattr(result, "close", None)
    if callable(close):
        close()  # no "never awaited" warning: the error or the log says it


class _Routes:
    """The table both routers share: one handler per event class, and a fallback."""

    __slots__ = ("_fallback", "_handlers")
    _awaits = True  # whether its caller awaits what a handler returns (an async def is welcome)

    def __init__(self) -> None:
        self._handlers: dict[type[Any], Callable[[Any], Any]] = {}
        self._fallback: Callable[[Any], Any] | None = None

    def _check_class(self, event_class: type[Any]) -> None:
        if event_class not in _ROUTABLE:
            raise WebhookConfigurationError(f"{event_class!r} is not an event class of openai_webhook_events")
        if event_class in self._handlers:
            raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")

    def _add(self, event_class: type[Any], handler: Callable[[Any], Any]) -> None:
        _refuse_unfit(handler, awaits=self._awaits)
        if event_class in self._handlers:
            raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")
        self._handlers[event_class] = handler

    def _add_fallback(self, handler: Callable[[Any], Any]) -> None:
        _refuse_unfit(handler, awaits=self._awaits)
        if self._fallback is not None:
            raise WebhookConfigurationError("a fallback handler is already registered")
        self._fallback = handler

    def _lookup(self, event: WebhookEvent) -> Callable[[Any], Any] | None:
        return self._handlers.get(type(event), self._fallback)


class Router(_Routes, Generic[R]):
    """Send each event to the handler registered for its class.

    ``@router.on(ResponseCompletedWebhookEvent)`` registers a handler that
    takes that class (mypy and pyright check it); ``@router.fallback``
    registers the handler for every event without one of its own,
    :class:`UnknownWebhookEvent` included unless it has its own handler.
    ``router.dispatch(event)`` calls the handler and returns its result, or
    returns ``None`` when no handler and no fallback applies.

    ``Router[R]`` is generic in what its handlers return: ``Router()`` is a
    ``Router[None]`` (handlers return nothing), ``Router[str]()`` takes
    handlers that return ``str`` and its ``dispatch`` returns ``str | None``.

    Raises :class:`WebhookConfigurationError` at registration time for a
    second handler for the same class, a second fallback, a class that is
    not an event class of this package, or an ``async`` handler (an
    ``async def`` function or method, a ``functools.partial`` of one, an
    object whose ``__call__`` is ``async def``): a Router calls handlers
    synchronously, so their coroutine would never run.  A generator
    function (``yield`` in a plain or ``async def``, seen the same ways)
    is refused too: calling it runs none of its body.  A handler that
    still returns an awaitable or a generator makes :meth:`dispatch`
    raise it too.  Type checkers refuse those handlers where the
    router's result type is not ``Any`` or ``object``.
    """

    __slots__ = ()
    _awaits = False

    def on(self, event_class: type[E]) -> Callable[[Callable[[E], R]], Callable[[E], R]]:
        """Decorator: register the decorated function as the handler of *event_class*."""
        self._check_class(event_class)

        def register(handler: Callable[[E], R]) -> Callable[[E], R]:
            self._add(event_class, handler)
            return handler

        return register

    def fallback(self, handler: Callable[[WebhookEvent], R]) -> Callable[[WebhookEvent], R]:
        """Decorator: register the handler of every event whose class has no handler of its own."""
        self._add_fallback(handler)
        return handler

    def handler_for(self, event: WebhookEvent) -> Callable[[Any], R] | None:
        """The handler :meth:`dispatch` would call for *event*, or ``None``."""
        return self._lookup(event)

    def dispatch(self, event: WebhookEvent) -> R | None:
        """Call the handler for *event*; return its result (``None`` when no handler applies).

        Exceptions raised by the handler propagate unchanged.  A handler that
        returns an awaitable (a sync function handing back a coroutine) or a
        generator raises :class:`WebhookConfigurationError` instead of
        dropping it unrun (it is closed first).
        """
        handler = self.handler_for(event)
        if handler is None:
            return None
        result = handler(event)
        if must_await(result) or never_ran(result):
            _refuse_unrun(handler, result)
        return result


class _Register(Protocol[_E, _R]):
    """What ``AsyncRouter.on(cls)`` returns: a decorator taking an ``async def`` or a plain handler of *cls*."""

    @overload
    def __call__(
        self, handler: Callable[[_E], Coroutine[Any, Any, _R]], /
    ) -> Callable[[_E], Coroutine[Any, Any, _R]]: ...
    @overload
    def __call__(self, handler: Callable[[_E], _R], /) -> Callable[[_E], _R]: ...


class AsyncRouter(_Routes, Generic[R]):
    """A :class:`Router` whose handlers may be ``async def`` (awaited) or plain functions (called).

    The same registration rules and errors as :class:`Router` (a second
    handler for a class, a second fallback, a class that is not an event
    class, a handler that is not callable, a generator function or an
    async generator function), but async handlers are welcome:
    ``await router.dispatch(event)`` calls the handler, awaits its result
    when it is awaitable, and returns it (``None`` when no handler
    applies).  ``AsyncRouter[R]`` is generic in what its handlers return,
    as ``Router[R]`` is.  Served by ``openai_webhook_events.asgi.app``.
    """

    __slots__ = ()

    def on(self, event_class: type[E]) -> _Register[E, R]:
        """Decorator: register the decorated function (``async def`` or plain) as the handler of *event_class*."""
        self._check_class(event_class)

        def register(handler: Callable[[E], Any]) -> Callable[[E], Any]:
            self._add(event_class, handler)
            return handler

        return register

    @overload
    def fallback(
        self, handler: Callable[[WebhookEvent], Coroutine[Any, Any, R]]
    ) -> Callable[[WebhookEvent], Coroutine[Any, Any, R]]: ...
    @overload
    def fallback(self, handler: Callable[[WebhookEvent], R]) -> Callable[[WebhookEvent], R]: ...
    def fallback(self, handler: Callable[[WebhookEvent], Any]) -> Callable[[WebhookEvent], Any]:
        """Decorator: register the handler of every event whose class has no handler of its own."""
        self._add_fallback(handler)
        return handler

    def handler_for(self, event: WebhookEvent) -> Callable[[Any], R | Awaitable[R]] | None:
        """The handler :meth:`dispatch` would call for *event*, or ``None``."""
        return self._lookup(event)

    async def dispatch(self, event: WebhookEvent) -> R | None:
        """Call the handler for *event*, await its result if awaitable, return it (``None``: no handler applies).

        Exceptions raised by the handler propagate unchanged.  A handler that
        returns a generator or an async generator raises
        :class:`WebhookConfigurationError` (it is closed first): none of its
        body ran.
        """
        handler = self.handler_for(event)
        if handler is None:
            return None
        result = handler(event)
        if must_await(result):
            return cast("R", await result)
        if never_ran(result):
            _refuse_unrun(handler, result)
        return cast("R", result)


def _refuse_unrun(handler: object, result: object) -> NoReturn:
    """Close the generator or awaitable *handler* returned unrun and raise :class:`WebhookConfigurationError`."""
    close_unrun(result)
    if never_ran(result):
        raise WebhookConfigurationError(
            f"handler {_name(handler)} returned a generator; none of its body ran, so the event would be "
            "dropped: make the handler return, not yield"
        )
    raise WebhookConfigurationError(
        f"handler {_name(handler)} returned an awaitable; a Router cannot await it, so the event "
        "would be dropped: make the handler a plain def"
    )


def _refuse_unfit(handler: object, *, awaits: bool) -> None:
    """Raise :class:`WebhookConfigurationError` if *handler* is not callable or visibly never runs when called.

    Seen through ``functools.partial`` and an object's ``__call__``: a
    generator function or an async generator function (calling it runs none
    of its body) and, unless the router *awaits*, an ``async def``.
    """
    if not callable(handler):
        raise WebhookConfigurationError(f"handler {_name(handler)} is not callable")
    target: object = handler
    while isinstance(target, functools.partial):
        target = target.func  # pyright: ignore[reportUnknownMemberType]
    call = target if inspect.isroutine(target) else getattr(type(target), "__call__", None)  # noqa: B004  (its __call__)
    if not awaits and (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
        raise WebhookConfigurationError(
            f"handler {_name(handler)} is async; a Router calls handlers synchronously, so its coroutine "
            "would never run and the event would be dropped: make it a plain def"
        )
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        raise WebhookConfigurationError(
            f"handler {_name(handler)} is a generator function; calling it runs none of its body, so the "
            "event would be dropped: make it return, not yield"
        )


def _name(handler: object) -> str:
    """*handler*'s qualified name, for messages (``functools.partial(name)`` for a partial)."""
    if isinstance(handler, functools.partial):
        return f"functools.partial({_name(handler.func)})"  # pyright: ignore[reportUnknownMemberType]
    name = getattr(handler, "__qualname__", None)
    return name if isinstance(name, str) else f"{type(handler).__qualname__} object"
