"""``Router``: one handler per event class, plus a fallback, chosen by the event's exact class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._errors import WebhookConfigurationError
from ._models import UnknownWebhookEvent, WebhookEvent
from ._parse import EVENT_TYPES

__all__ = ["Router"]

E = TypeVar("E", bound=WebhookEvent)
R = TypeVar("R")

_ROUTABLE: frozenset[type[Any]] = frozenset([*EVENT_TYPES.values(), UnknownWebhookEvent])


class Router:
    """Send each event to the handler registered for its class.

    ``@router.on(ResponseCompletedWebhookEvent)`` registers a handler that
    takes that class (mypy and pyright check it); ``@router.fallback``
    registers the handler for every event without one of its own,
    :class:`UnknownWebhookEvent` included unless it has its own handler.
    ``router.dispatch(event)`` calls the handler and returns its result, or
    returns ``None`` when no handler and no fallback applies.

    Registering a second handler for the same class, a second fallback, or a
    class that is not an event class of this package raises
    :class:`WebhookConfigurationError` at registration time.
    """

    __slots__ = ("_fallback", "_handlers")

    def __init__(self) -> None:
        self._handlers: dict[type[Any], Callable[[Any], Any]] = {}
        self._fallback: Callable[[Any], Any] | None = None

    def on(self, event_class: type[E]) -> Callable[[Callable[[E], R]], Callable[[E], R]]:
        """Decorator: register the decorated function as the handler of *event_class*."""
        if event_class not in _ROUTABLE:
            raise WebhookConfigurationError(f"{event_class!r} is not an event class of openai_webhook_events")
        if event_class in self._handlers:
            raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")

        def register(handler: Callable[[E], R]) -> Callable[[E], R]:
            if event_class in self._handlers:
                raise WebhookConfigurationError(f"a handler for {event_class.__name__} is already registered")
            self._handlers[event_class] = handler
            return handler

        return register

    def fallback(self, handler: Callable[[WebhookEvent], R]) -> Callable[[WebhookEvent], R]:
        """Decorator: register the handler of every event whose class has no handler of its own."""
        if self._fallback is not None:
            raise WebhookConfigurationError("a fallback handler is already registered")
        self._fallback = handler
        return handler

    def handler_for(self, event: WebhookEvent) -> Callable[[Any], Any] | None:
        """The handler :meth:`dispatch` would call for *event*, or ``None``."""
        return self._handlers.get(type(event), self._fallback)

    def dispatch(self, event: WebhookEvent) -> Any:
        """Call the handler for *event*; return its result (``None`` when no handler applies).

        Exceptions raised by the handler propagate unchanged.
        """
        handler = self.handler_for(event)
        return None if handler is None else handler(event)
