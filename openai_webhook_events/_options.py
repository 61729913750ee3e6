"""The receive step's options, checked once where an adapter is made: :class:`Options`.

``wsgi.app``, ``asgi.app``, ``aws_lambda.lambda_handler`` and ``sqs_handler``
build one with :meth:`Options.of` and hold it; :func:`begin` and
:func:`receive` build one per call.  Every option is checked there, and the
receive step checks nothing more per request.  The types of two options,
:data:`DeadLetter` and :class:`HandOff`, are ``_hand_off``'s.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from ._errors import WebhookConfigurationError, shorten
from ._router import AsyncRouter

if TYPE_CHECKING:
    from ._hand_off import DeadLetter, HandOff
    from ._router import Router
    from .idempotency import Idempotency

_UNBOUNDED: Any = object()
""":meth:`Options.of`'s *store_timeout* where store calls are not bounded (every adapter but the ASGI app)."""


class Options:
    """What the receive step does with a verified delivery, checked together by :meth:`of`."""

    # A plain slotted class, not a NamedTuple (whose __new__ is compiled when it is made): with that and the option
    # types moved to _hand_off, this module costs an HTTP Lambda handler's cold start 1.5 M fewer instructions
    # (2.1 -> 0.6 M, bench/coldstart.py's instruction count, CPython 3.12).
    __slots__ = ("dead_letter", "hand_off", "idempotency", "router")

    def __init__(
        self,
        router: Router[Any] | AsyncRouter[Any] | None,
        idempotency: Idempotency | None = None,
        dead_letter: DeadLetter | None = None,
        hand_off: HandOff | None = None,
    ) -> None:
        self.router = router
        self.idempotency = idempotency
        self.dead_letter = dead_letter
        self.hand_off = hand_off

    @classmethod
    def of(
        cls,
        router: Router[Any] | AsyncRouter[Any] | None,
        idempotency: Idempotency | None = None,
        dead_letter: DeadLetter | None = None,
        hand_off: HandOff | None = None,
        *,
        awaits: bool = False,
        store_timeout: float = _UNBOUNDED,
    ) -> Options:
        """The options, or :class:`WebhookConfigurationError` for options that cannot work together.

        Without *hand_off* a router is required; with it the handlers run in
        the queue's worker, so *router* and *idempotency* must be ``None``
        (the worker, ``aws_lambda.sqs_handler``, takes them); *dead_letter*
        must be callable and *hand_off* have a ``send`` method.  An
        :class:`~openai_webhook_events.AsyncRouter` and an async idempotency
        store only where the caller *awaits* them.  *store_timeout*, the
        ASGI app's bound on each store call (which it applies), must be a
        number of seconds > 0 when given.
        """
        if not awaits and isinstance(router, AsyncRouter):
            raise WebhookConfigurationError(
                "an AsyncRouter's handlers need openai_webhook_events.asgi.app to be awaited: "
                "give this adapter a Router"
            )
        if not awaits and getattr(idempotency, "awaits", False) is True:
            from .idempotency._base import ASYNC_STORE_NEEDS_ASGI  # only with a store: see _receive.stored()

            raise WebhookConfigurationError(ASYNC_STORE_NEEDS_ASGI)
        if hand_off is None:
            if router is None:
                raise WebhookConfigurationError("router is None: pass a Router, or hand_off= to forward deliveries")
        elif not callable(getattr(hand_off, "send", None)):
            raise WebhookConfigurationError("hand_off must have a send(body, headers) method")
        elif router is not None or idempotency is not None:
            raise WebhookConfigurationError(
                "with hand_off= the handlers run in the queue's worker (aws_lambda.sqs_handler): "
                "pass router=None and give the router and idempotency to the worker"
            )
        if dead_letter is not None and not callable(dead_letter):
            raise WebhookConfigurationError("dead_letter must be a callable dead_letter(body, headers)")
        given = cast("object", store_timeout)
        if given is not _UNBOUNDED and (
            isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 < given < math.inf
        ):
            raise WebhookConfigurationError(f"store_timeout must be a number of seconds > 0, not {shorten(given)}")
        return cls(router, idempotency, dead_letter, hand_off)

    @property
    def calls_out(self) -> bool:
        """Whether the receive step calls a client of the user's: a store, a dead letter or a queue."""
        return self.idempotency is not None or self.dead_letter is not None or self.hand_off is not None
