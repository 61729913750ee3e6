"""Typed, frozen OpenAI webhook events, and Standard Webhooks signature verification.

Standard library only.  ``parse_event(payload)`` turns a decoded payload into
its event dataclass; ``unwrap(body, headers, secret)`` verifies a delivery's
signature first, then parses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import (
    InvalidEventError,
    InvalidHeaderError,
    InvalidPayloadError,
    MissingHeaderError,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    UnknownEventTypeError,
    WebhookConfigurationError,
    WebhookError,
    WebhookVerificationError,
)
from ._models import (
    AgentEnvironmentExpiredWebhookEvent,
    AgentEnvironmentFailedWebhookEvent,
    AgentEnvironmentReadyWebhookEvent,
    AgentEnvironmentSuspendedWebhookEvent,
    AgentSessionActionRequiredWebhookEvent,
    AgentSessionCreatedWebhookEvent,
    AgentSessionFailedWebhookEvent,
    AgentSessionIdleWebhookEvent,
    AgentSessionInProgressWebhookEvent,
    BatchCancelledWebhookEvent,
    BatchCompletedWebhookEvent,
    BatchExpiredWebhookEvent,
    BatchFailedWebhookEvent,
    EvalRunCanceledWebhookEvent,
    EvalRunFailedWebhookEvent,
    EvalRunSucceededWebhookEvent,
    FineTuningJobCancelledWebhookEvent,
    FineTuningJobFailedWebhookEvent,
    FineTuningJobSucceededWebhookEvent,
    FrozenDict,
    JSONValue,
    LiveCallIncomingWebhookEvent,
    LiveTransportConnectedWebhookEvent,
    LiveTransportIncomingWebhookEvent,
    RealtimeCallIncomingWebhookEvent,
    ResourceData,
    ResponseCancelledWebhookEvent,
    ResponseCompletedWebhookEvent,
    ResponseFailedWebhookEvent,
    ResponseIncompleteWebhookEvent,
    SafetyAlertCreatedWebhookEvent,
    SafetyDeactivationIssuedWebhookEvent,
    SafetyIdentifierBlockedWebhookEvent,
    SafetyOrgAlertCreatedWebhookEvent,
    SafetyWarningIssuedWebhookEvent,
    UnknownWebhookEvent,
    WebhookEvent,
)
from ._parse import EVENT_TYPES, parse_event, to_dict
from ._router import Router
from ._verify import Webhook, sign, unwrap, verify_signature

if TYPE_CHECKING:
    from ._agent_models import (
        AgentSessionActionRequiredData,
        AgentSessionConnect,
        AgentSessionCreatedData,
        AgentSessionData,
        AgentSessionRequiredAction,
        RequiredActionType,
    )
    from ._call_models import (
        LiveCallIncomingData,
        LiveTransportConnectedData,
        LiveTransportIncomingData,
        MediaSecurity,
        RealtimeCallIncomingData,
        SipHeader,
    )
    from ._safety_models import SafetyIdentifierBlockedData

__version__ = "0.1.0"

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

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _LAZY_MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value


__all__ = [
    "EVENT_TYPES",
    "AgentEnvironmentExpiredWebhookEvent",
    "AgentEnvironmentFailedWebhookEvent",
    "AgentEnvironmentReadyWebhookEvent",
    "AgentEnvironmentSuspendedWebhookEvent",
    "AgentSessionActionRequiredData",
    "AgentSessionActionRequiredWebhookEvent",
    "AgentSessionConnect",
    "AgentSessionCreatedData",
    "AgentSessionCreatedWebhookEvent",
    "AgentSessionData",
    "AgentSessionFailedWebhookEvent",
    "AgentSessionIdleWebhookEvent",
    "AgentSessionInProgressWebhookEvent",
    "AgentSessionRequiredAction",
    "BatchCancelledWebhookEvent",
    "BatchCompletedWebhookEvent",
    "BatchExpiredWebhookEvent",
    "BatchFailedWebhookEvent",
    "EvalRunCanceledWebhookEvent",
    "EvalRunFailedWebhookEvent",
    "EvalRunSucceededWebhookEvent",
    "FineTuningJobCancelledWebhookEvent",
    "FineTuningJobFailedWebhookEvent",
    "FineTuningJobSucceededWebhookEvent",
    "FrozenDict",
    "InvalidEventError",
    "InvalidHeaderError",
    "InvalidPayloadError",
    "JSONValue",
    "LiveCallIncomingData",
    "LiveCallIncomingWebhookEvent",
    "LiveTransportConnectedData",
    "LiveTransportConnectedWebhookEvent",
    "LiveTransportIncomingData",
    "LiveTransportIncomingWebhookEvent",
    "MediaSecurity",
    "MissingHeaderError",
    "RealtimeCallIncomingData",
    "RealtimeCallIncomingWebhookEvent",
    "RequiredActionType",
    "ResourceData",
    "ResponseCancelledWebhookEvent",
    "ResponseCompletedWebhookEvent",
    "ResponseFailedWebhookEvent",
    "ResponseIncompleteWebhookEvent",
    "Router",
    "SafetyAlertCreatedWebhookEvent",
    "SafetyDeactivationIssuedWebhookEvent",
    "SafetyIdentifierBlockedData",
    "SafetyIdentifierBlockedWebhookEvent",
    "SafetyOrgAlertCreatedWebhookEvent",
    "SafetyWarningIssuedWebhookEvent",
    "SignatureMismatchError",
    "SipHeader",
    "TimestampOutOfRangeError",
    "UnknownEventTypeError",
    "UnknownWebhookEvent",
    "Webhook",
    "WebhookConfigurationError",
    "WebhookError",
    "WebhookEvent",
    "WebhookVerificationError",
    "parse_event",
    "sign",
    "to_dict",
    "unwrap",
    "verify_signature",
]
