"""Typed, frozen OpenAI webhook events, and Standard Webhooks signature verification.

Standard library only.  ``parse_event(payload)`` turns a decoded payload into
its event dataclass; ``unwrap(body, headers, secret)`` verifies a delivery's
signature first, then parses it.
"""

from typing import TYPE_CHECKING, Any

from ._errors import *
from ._frozen import *
from ._headers import HeadersLike as HeadersLike
from ._models import *
from ._parse import *
from ._router import *
from ._verify import Webhook as Webhook
from ._verify import sign as sign
from ._verify import unwrap as unwrap
from ._verify import verify_signature as verify_signature

if TYPE_CHECKING:
    from ._agent_models import *
    from ._call_models import *
    from ._receive import Attempt as Attempt
    from ._receive import Delivery as Delivery
    from ._receive import Response as Response
    from ._receive import begin as begin
    from ._receive import current_delivery as current_delivery
    from ._receive import receive as receive
    from ._safety_models import *

__version__ = "0.1.0"

__all__: list[str]
"""Every public name: built below from the modules' lists (type checkers read the imports above instead)."""

# Payload classes whose modules are imported on first use (PEP 562).
_LAZY_MODULES = {
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
}

# Names of the receive step, imported on first use.
_RECEIVE_NAMES = ("Attempt", "Delivery", "Response", "begin", "current_delivery", "receive")

if not TYPE_CHECKING:
    import importlib

    from . import _errors, _frozen, _models, _parse, _router

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

    for _module in sorted(set(_LAZY_MODULES.values())):
        globals()[_module] = _DeferredModule(f"{__name__}.{_module}")

    def __getattr__(name: str) -> Any:
        if name in _RECEIVE_NAMES:  # the receive step (and its logging import) only for those who use it
            value = globals()[name] = getattr(importlib.import_module(f"{__name__}._receive"), name)
            return value
        module = _LAZY_MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = globals()[name] = getattr(globals()[module], name)
        return value

    __all__ = ["HeadersLike", "Webhook", "sign", "unwrap", "verify_signature", *_RECEIVE_NAMES, *_LAZY_MODULES]
    for _module in (_errors, _frozen, _models, _parse, _router):
        __all__ += _module.__all__

    # Public classes report this package as their module (tomli's trick): tracebacks and reprs show the public
    # path, and pickle finds them here.  The lazily imported ones do the same where they are defined.
    _errors.publish(globals().get(_name) for _name in __all__)
    del _module
