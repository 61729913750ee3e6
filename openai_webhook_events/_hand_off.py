"""The types of two options of the receive step, public in :mod:`openai_webhook_events.queue`: :data:`DeadLetter`
and :class:`HandOff`.

Apart from ``_options`` so that the adapters' import path does not make them (the queue imports them; the rest of
the package names them in annotations only): see the measure in ``_options.Options``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeAlias

from ._errors import publish

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
