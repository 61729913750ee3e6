"""Typed, frozen OpenAI webhook events, and Standard Webhooks signature verification.

Standard library only.  ``parse_event(payload)`` turns a decoded payload into
its event dataclass; ``unwrap(body, headers, secret)`` verifies a delivery's
signature first, then parses it.
"""

from typing import TYPE_CHECKING, Any

from ._errors import InvalidEventError as InvalidEventError
from ._errors import InvalidHeaderError as InvalidHeaderError
from ._errors import InvalidPayloadError as InvalidPayloadError
from ._errors import MissingHeaderError as MissingHeaderError
from ._errors import PayloadTooLargeError as PayloadTooLargeError
from ._errors import SignatureMismatchError as SignatureMismatchError
from ._errors import TimestampOutOfRangeError as TimestampOutOfRangeError
from ._errors import UnknownEventTypeError as UnknownEventTypeError
from ._errors import WebhookConfigurationError as WebhookConfigurationError
from ._errors import WebhookError as WebhookError
from ._errors import WebhookVerificationError as WebhookVerificationError
from ._frozen import FrozenDict as FrozenDict
from ._frozen import JSONValue as JSONValue
from ._headers import HeadersLike as HeadersLike
from ._models import ResourceData as ResourceData
from ._models import WebhookEvent as WebhookEvent
from ._parse import EVENT_TYPES as EVENT_TYPES
from ._parse import parse_event as parse_event
from ._parse import to_dict as to_dict
from ._router import AsyncRouter as AsyncRouter
from ._router import Router as Router
from ._verify import Webhook as Webhook
from ._verify import sign as sign
from ._verify import unwrap as unwrap
from ._verify import verify_signature as verify_signature

if TYPE_CHECKING:
    from ._agent_models import AgentSessionActionRequiredData as AgentSessionActionRequiredData
    from ._agent_models import AgentSessionConnect as AgentSessionConnect
    from ._agent_models import AgentSessionCreatedData as AgentSessionCreatedData
    from ._agent_models import AgentSessionData as AgentSessionData
    from ._agent_models import AgentSessionRequiredAction as AgentSessionRequiredAction
    from ._agent_models import RequiredActionType as RequiredActionType
    from ._call_models import LiveCallIncomingData as LiveCallIncomingData
    from ._call_models import LiveTransportConnectedData as LiveTransportConnectedData
    from ._call_models import LiveTransportIncomingData as LiveTransportIncomingData
    from ._call_models import MediaSecurity as MediaSecurity
    from ._call_models import RealtimeCallIncomingData as RealtimeCallIncomingData
    from ._call_models import SipHeader as SipHeader
    from ._delivery import Delivery as Delivery
    from ._delivery import current_delivery as current_delivery
    from ._models import *  # the event classes: every public name _models defines (at run time, see below)
    from ._receive import Attempt as Attempt
    from ._receive import begin as begin
    from ._receive import receive as receive
    from ._response import Response as Response
    from ._safety_models import SafetyIdentifierBlockedData as SafetyIdentifierBlockedData

__version__ = "0.1.0"

__all__: list[str]
"""Every public name: those imported above, the members of :data:`WebhookEvent` (the event classes) and the names
of :data:`_LAZY`; built below (type checkers read the imports above instead)."""

_LAZY = {
    "AgentSessionActionRequiredData": "_agent_models",
    "AgentSessionConnect": "_agent_models",
    "AgentSessionCreatedData": "_agent_models",
    "AgentSessionData": "_agent_models",
    "AgentSessionRequiredAction": "_agent_models",
    "RequiredActionType": "_agent_models",
    "LiveCallIncomingData": "_call_models",
    "LiveTransportConnectedData": "_call_models",
    "LiveTransportIncomingData": "_call_models",
    "MediaSecurity": "_call_models",
    "RealtimeCallIncomingData": "_call_models",
    "SipHeader": "_call_models",
    "SafetyIdentifierBlockedData": "_safety_models",
    "Attempt": "_receive",
    "Delivery": "_delivery",
    "Response": "_response",
    "begin": "_receive",
    "current_delivery": "_delivery",
    "receive": "_receive",
}
"""The public names imported on first use (PEP 562), each from the module that defines it: the payload classes of a
few event types, and the receive step (with its logging import) only for those who use it."""

if not TYPE_CHECKING:
    import importlib
    from typing import get_args as _get_args

    from . import _errors, _models

    class _DeferredModule:
        """Stands here for a payload module until that module is imported.

        Reading an attribute imports the module, which then takes this
        object's place, so that an event class's annotation such as
        ``"_agent_models.AgentSessionData"`` resolves whenever it is evaluated.
        """

        __slots__ = ("_name",)

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attribute: str) -> Any:
            return getattr(importlib.import_module(self._name), attribute)

        def __repr__(self) -> str:
            return f"<module {self._name!r} (not imported yet)>"

    for _module in sorted(_models.PAYLOAD_MODULES):  # the modules the event classes' annotations name
        globals()[_module] = _DeferredModule(f"{__name__}.{_module}")

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = globals()[name] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        return value

    _EVENTS = {_cls.__name__: _cls for _cls in _get_args(WebhookEvent)}  # the event classes, UnknownWebhookEvent
    globals().update(_EVENTS)
    __all__ = [
        "InvalidEventError",
        "InvalidHeaderError",
        "InvalidPayloadError",
        "MissingHeaderError",
        "PayloadTooLargeError",
        "SignatureMismatchError",
        "TimestampOutOfRangeError",
        "UnknownEventTypeError",
        "WebhookConfigurationError",
        "WebhookError",
        "WebhookVerificationError",
        "FrozenDict",
        "JSONValue",
        "HeadersLike",
        "ResourceData",
        "WebhookEvent",
        "EVENT_TYPES",
        "parse_event",
        "to_dict",
        "AsyncRouter",
        "Router",
        "Webhook",
        "sign",
        "unwrap",
        "verify_signature",
        *_EVENTS,
        *_LAZY,
    ]

    # Public classes report this package as their module (tomli's trick): tracebacks and reprs show the public
    # path, and pickle finds them here.  The lazily imported ones do the same where they are defined.
    _errors.publish(globals().get(_name) for _name in __all__)
    del _module
