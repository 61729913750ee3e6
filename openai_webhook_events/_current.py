"""The attempt whose handler is running, in this thread or task: set by the receive step (:func:`activated`),
read by ``current_delivery``.

Apart from :mod:`._delivery`, and holding the attempt rather than its
``Delivery``: the receive step runs a handler without making the ``Delivery``
dataclass, which is made when a delivery is first read (an HTTP Lambda
handler that never reads one starts 4.6 M instructions faster: bench/coldstart.py's
lambda_instructions, CPython 3.12).
"""

from __future__ import annotations

import contextvars
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._delivery import Delivery

    class HoldsDelivery(Protocol):
        """What :func:`activated` takes: the ``Attempt``, whose ``delivery`` is made on first read."""

        @property
        def delivery(self) -> Delivery: ...


running: contextvars.ContextVar[HoldsDelivery] = contextvars.ContextVar("openai_webhook_events_delivery")


@contextmanager
def activated(attempt: HoldsDelivery) -> Generator[None, None, None]:
    """Make *attempt*'s delivery what ``current_delivery`` returns inside the block (this thread or task)."""
    reset = running.set(attempt)
    try:
        yield
    finally:
        running.reset(reset)
