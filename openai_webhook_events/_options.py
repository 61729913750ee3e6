"""The receive step's options, checked once where an adapter is made: :class:`Options`.

``wsgi.app``, ``asgi.app``, ``aws_lambda.lambda_handler`` and ``sqs_handler``
build one with :meth:`Options.of` and hold it; :func:`begin` and
:func:`receive` build one per call.  The receive step reads it and checks
nothing more per request.  Also the types of two options: :data:`DeadLetter`
and :class:`HandOff`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias

from ._errors import WebhookConfigurationError, publish
from ._router import AsyncRouter

if TYPE_CHECKING:
    from ._router import Router
    from .idempotency import Idempotency

DeadLetter: TypeAlias = Callable[[bytes, dict[str, str]], object]
"""``dead_letter(body, headers)``: keeps a signed delivery whose body is not a valid event.

*body* is the raw body exactly as signed; *headers* holds the three
``webhook-*`` headers only (lower-case names, the values as verified): enough
to verify the delivery again later, and none of the request's other headers,
which may carry credentials.  What it returns is ignored; what it raises
answers 503.
"""


class HandOff(Protocol):
    """Where the fast-acknowledging receiver forwards each verified delivery (``queue.SQSQueue`` is one).

    ``send(body, headers)`` gets the raw body (bytes, valid UTF-8 JSON) and
    the three ``webhook-*`` headers (lower-case names); it returns once the
    queue holds the delivery and raises otherwise.
    """

    def send(self, body: bytes, headers: Mapping[str, str]) -> None: ...


publish([HandOff], "queue")  # its public home


class Options(NamedTuple):
    """What the receive step does with a verified delivery, checked together by :meth:`of` (a frozen tuple).

    *awaits*: its holder awaits async handlers and stores (the ASGI app;
    :func:`begin`, whose :class:`Attempt` answers an awaitable 500).
    """

    router: Router[Any] | AsyncRouter[Any] | None
    idempotency: Idempotency | None = None
    dead_letter: DeadLetter | None = None
    hand_off: HandOff | None = None
    awaits: bool = False

    @classmethod
    def of(
        cls,
        router: Router[Any] | AsyncRouter[Any] | None,
        idempotency: Idempotency | None = None,
        dead_letter: DeadLetter | None = None,
        hand_off: HandOff | None = None,
        *,
        awaits: bool = False,
    ) -> Options:
        """The options, or :class:`WebhookConfigurationError` for options that cannot work together.

        Without *hand_off* a router is required; with it the handlers run in
        the queue's worker, so *router* and *idempotency* must be ``None``
        (the worker, ``aws_lambda.sqs_handler``, takes them); *dead_letter*
        must be callable and *hand_off* have a ``send`` method.  An
        :class:`~openai_webhook_events.AsyncRouter` and an async idempotency
        store only where the holder *awaits* them.
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
        return cls(router, idempotency, dead_letter, hand_off, awaits)

    @property
    def calls_out(self) -> bool:
        """Whether the receive step calls a client of the user's: a store, a dead letter or a queue."""
        return self.idempotency is not None or self.dead_letter is not None or self.hand_off is not None
