"""``Router``: one handler per event class, plus a fallback, chosen by the event's exact class."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic

from ._errors import WebhookConfigurationError
from ._models import UnknownWebhookEvent, WebhookEvent
from ._parse import EVENT_TYPES

if TYPE_CHECKING:
    from typing_extensions import TypeVar  # a TypeVar default (PEP 696); type checkers only

    R = TypeVar("R", default=None)
else:
    from typing import TypeVar

    R = TypeVar("R")

__all__ = ["Router"]

E = TypeVar("E", bound=WebhookEvent)

_ROUTABLE: frozenset[type[Any]] = frozenset([*EVENT_TYPES.values(), UnknownWebhookEvent])


class Router(Generic[R]):
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
    synchronously, so their coroutine would never run.  A handler that
    still returns an awaitable makes :meth:`dispatch` raise it too.
    """

    __slots__ = ("_fallback", "_handlers")

    def __init__(self) -> None:
        self._handlers: dict[type[Any], Callable[[Any], R]] = {}
        self._fallback: Callable[[Any], R] | None = None

    def on(self, event_class: type[E]) -> Callable[[Callable[[E], R]], Callable[[E], R]]:
        """Decorator: register the decorated function as the handler of *event_class*."""
        if event_class not in _ROUTABLE:
            raise WebhookConfigurationError(f"{event_class!r} is not an event class of openai_webhook_events")
        if event_class in self._handlers:
            raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")

        def register(handler: Callable[[E], R]) -> Callable[[E], R]:
            _refuse_async(handler)
            if event_class in self._handlers:
                raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")
            self._handlers[event_class] = handler
            return handler

        return register

    def fallback(self, handler: Callable[[WebhookEvent], R]) -> Callable[[WebhookEvent], R]:
        """Decorator: register the handler of every event whose class has no handler of its own."""
        _refuse_async(handler)
        if self._fallback is not None:
            raise WebhookConfigurationError("a fallback handler is already registered")
        self._fallback = handler
        return handler

    def handler_for(self, event: WebhookEvent) -> Callable[[Any], R] | None:
        """The handler :meth:`dispatch` would call for *event*, or ``None``."""
        return self._handlers.get(type(event), self._fallback)

    def dispatch(self, event: WebhookEvent) -> R | None:
        """Call the handler for *event*; return its result (``None`` when no handler applies).

        Exceptions raised by the handler propagate unchanged.  A handler that
        returns an awaitable (a sync function handing back a coroutine) raises
        :class:`WebhookConfigurationError` instead of dropping it unawaited.
        """
        handler = self.handler_for(event)
        if handler is None:
            return None
        result = handler(event)
        if result is not None and inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if close is not None:
                close()  # no "never awaited" warning: the error says it
            raise WebhookConfigurationError(
                f"handler {_name(handler)} returned an awaitable; a Router cannot await it, so the event "
                "would be dropped: make the handler a plain def"
            )
        return result


def _refuse_async(handler: object) -> None:
    """Raise :class:`WebhookConfigurationError` if *handler* is not callable or visibly returns a coroutine."""
    if not callable(handler):
        raise WebhookConfigurationError(f"handler {_name(handler)} is not callable")
    target: object = handler
    while isinstance(target, functools.partial):
        target = target.func  # pyright: ignore[reportUnknownMemberType]
    call = target if inspect.isroutine(target) else getattr(type(target), "__call__", None)  # noqa: B004  (its __call__)
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        raise WebhookConfigurationError(
            f"handler {_name(handler)} is async; a Router calls handlers synchronously, so its coroutine "
            "would never run and the event would be dropped: make it a plain def"
        )


def _name(handler: object) -> str:
    """*handler*'s qualified name, for messages (``functools.partial(name)`` for a partial)."""
    if isinstance(handler, functools.partial):
        return f"functools.partial({_name(handler.func)})"  # pyright: ignore[reportUnknownMemberType]
    name = getattr(handler, "__qualname__", None)
    return name if isinstance(name, str) else f"{type(handler).__qualname__} object"
