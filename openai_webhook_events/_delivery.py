"""The verified delivery a handler is processing: :class:`Delivery`, read with :func:`current_delivery`."""

from __future__ import annotations

from dataclasses import dataclass

from ._checks import field_hash
from ._current import running
from ._errors import publish


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

    __hash__ = field_hash  # the generated one, shared (see _checks.field_hash)

    webhook_id: str
    timestamp: int
    received_at: float
    lease_expires_at: float | None = None
    idempotency_key: str | None = None


publish([Delivery])  # public home (pickle finds it there)


def current_delivery() -> Delivery:
    """The :class:`Delivery` whose handler is running (in this thread or task).

    Raises ``LookupError`` outside a handler called by the receive step.
    """
    try:
        attempt = running.get()
    except LookupError:
        raise LookupError("current_delivery() is only available inside a webhook handler") from None
    return attempt.delivery
