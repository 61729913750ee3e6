"""The event models: one frozen dataclass per OpenAI webhook event type.

Every event class subclasses one of two generic envelope dataclasses,
specialised by its payload class and its ``type`` literal, so the
``dataclasses`` machinery runs once per envelope instead of once per event
type (which would cost about a millisecond each at import).  The nested
payload classes of the agent, SIP call and safety-identifier events live in
their own modules, imported the first time they are needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeAlias, TypeVar, Union

if TYPE_CHECKING:  # the payloads named as strings in the event classes' bases
    from ._agent_models import (  # noqa: F401
        AgentSessionActionRequiredData,
        AgentSessionCreatedData,
        AgentSessionData,
    )
    from ._call_models import (  # noqa: F401
        LiveCallIncomingData,
        LiveTransportConnectedData,
        LiveTransportIncomingData,
        RealtimeCallIncomingData,
    )
    from ._safety_models import SafetyIdentifierBlockedData  # noqa: F401

__all__ = [
    "AgentEnvironmentExpiredWebhookEvent",
    "AgentEnvironmentFailedWebhookEvent",
    "AgentEnvironmentReadyWebhookEvent",
    "AgentEnvironmentSuspendedWebhookEvent",
    "AgentSessionActionRequiredWebhookEvent",
    "AgentSessionCreatedWebhookEvent",
    "AgentSessionFailedWebhookEvent",
    "AgentSessionIdleWebhookEvent",
    "AgentSessionInProgressWebhookEvent",
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
    "JSONValue",
    "LiveCallIncomingWebhookEvent",
    "LiveTransportConnectedWebhookEvent",
    "LiveTransportIncomingWebhookEvent",
    "RealtimeCallIncomingWebhookEvent",
    "ResourceData",
    "ResponseCancelledWebhookEvent",
    "ResponseCompletedWebhookEvent",
    "ResponseFailedWebhookEvent",
    "ResponseIncompleteWebhookEvent",
    "SafetyAlertCreatedWebhookEvent",
    "SafetyDeactivationIssuedWebhookEvent",
    "SafetyIdentifierBlockedWebhookEvent",
    "SafetyOrgAlertCreatedWebhookEvent",
    "SafetyWarningIssuedWebhookEvent",
    "UnknownWebhookEvent",
    "WebhookEvent",
]

_Data = TypeVar("_Data")
_Type = TypeVar("_Type", bound=str)


@dataclass(frozen=True, slots=True)
class BaseEventWithObject(Generic[_Data, _Type]):
    """Envelope of an event whose ``object`` is always present."""

    id: str
    created_at: int
    data: _Data
    object: Literal["event"]
    type: _Type


@dataclass(frozen=True, slots=True)
class BaseEvent(Generic[_Data, _Type]):
    """Envelope of an event whose ``object`` may be absent or null."""

    id: str
    created_at: int
    data: _Data
    type: _Type
    object: Literal["event"] | None = None


@dataclass(frozen=True, slots=True)
class ResourceData:
    """Payload naming the object the event is about (a response, batch, job...)."""

    id: str


# fmt: off
class AgentEnvironmentExpiredWebhookEvent(BaseEventWithObject[ResourceData, Literal["agent.environment.expired"]]):
    """Sent when an agent environment expires and can no longer resume from a snapshot."""
    __slots__ = ()


class AgentEnvironmentFailedWebhookEvent(BaseEventWithObject[ResourceData, Literal["agent.environment.failed"]]):
    """Sent when setup fails for a prewarmed OpenAI-hosted environment."""
    __slots__ = ()


class AgentEnvironmentReadyWebhookEvent(BaseEventWithObject[ResourceData, Literal["agent.environment.ready"]]):
    """Sent when a prewarmed OpenAI-hosted environment finishes setup."""
    __slots__ = ()


class AgentEnvironmentSuspendedWebhookEvent(BaseEventWithObject[ResourceData, Literal["agent.environment.suspended"]]):
    """Sent when an agent environment is suspended and can resume from a snapshot."""
    __slots__ = ()


class AgentSessionActionRequiredWebhookEvent(
    BaseEventWithObject["AgentSessionActionRequiredData", Literal["agent.session.action_required"]]
):
    """Sent when an agent session requires an action."""
    __slots__ = ()


class AgentSessionCreatedWebhookEvent(BaseEventWithObject["AgentSessionCreatedData", Literal["agent.session.created"]]):
    """Sent when an agent session is created."""
    __slots__ = ()


class AgentSessionFailedWebhookEvent(BaseEventWithObject["AgentSessionData", Literal["agent.session.failed"]]):
    """Sent when an agent session fails."""
    __slots__ = ()


class AgentSessionIdleWebhookEvent(BaseEventWithObject["AgentSessionData", Literal["agent.session.idle"]]):
    """Sent when an agent session becomes idle."""
    __slots__ = ()


class AgentSessionInProgressWebhookEvent(BaseEventWithObject["AgentSessionData", Literal["agent.session.in_progress"]]):
    """Sent when an agent session enters the in-progress state."""
    __slots__ = ()


class BatchCancelledWebhookEvent(BaseEvent[ResourceData, Literal["batch.cancelled"]]):
    """Sent when a batch API request has been cancelled."""
    __slots__ = ()


class BatchCompletedWebhookEvent(BaseEvent[ResourceData, Literal["batch.completed"]]):
    """Sent when a batch API request has been completed."""
    __slots__ = ()


class BatchExpiredWebhookEvent(BaseEvent[ResourceData, Literal["batch.expired"]]):
    """Sent when a batch API request has expired."""
    __slots__ = ()


class BatchFailedWebhookEvent(BaseEvent[ResourceData, Literal["batch.failed"]]):
    """Sent when a batch API request has failed."""
    __slots__ = ()


class EvalRunCanceledWebhookEvent(BaseEvent[ResourceData, Literal["eval.run.canceled"]]):
    """Sent when an eval run has been canceled."""
    __slots__ = ()


class EvalRunFailedWebhookEvent(BaseEvent[ResourceData, Literal["eval.run.failed"]]):
    """Sent when an eval run has failed."""
    __slots__ = ()


class EvalRunSucceededWebhookEvent(BaseEvent[ResourceData, Literal["eval.run.succeeded"]]):
    """Sent when an eval run has succeeded."""
    __slots__ = ()


class FineTuningJobCancelledWebhookEvent(BaseEvent[ResourceData, Literal["fine_tuning.job.cancelled"]]):
    """Sent when a fine-tuning job has been cancelled."""
    __slots__ = ()


class FineTuningJobFailedWebhookEvent(BaseEvent[ResourceData, Literal["fine_tuning.job.failed"]]):
    """Sent when a fine-tuning job has failed."""
    __slots__ = ()


class FineTuningJobSucceededWebhookEvent(BaseEvent[ResourceData, Literal["fine_tuning.job.succeeded"]]):
    """Sent when a fine-tuning job has succeeded."""
    __slots__ = ()


class LiveCallIncomingWebhookEvent(BaseEvent["LiveCallIncomingData", Literal["live.call.incoming"]]):
    """Deprecated by OpenAI in favour of ``live.transport.incoming``; sent for an incoming SIP call."""
    __slots__ = ()


class LiveTransportConnectedWebhookEvent(
    BaseEventWithObject["LiveTransportConnectedData", Literal["live.transport.connected"]]
):
    """Sent when a direct Live WebRTC session is created or an Instant Connect session activates."""
    __slots__ = ()


class LiveTransportIncomingWebhookEvent(BaseEvent["LiveTransportIncomingData", Literal["live.transport.incoming"]]):
    """Sent when an incoming API SIP session is available for Live acceptance."""
    __slots__ = ()


class RealtimeCallIncomingWebhookEvent(BaseEvent["RealtimeCallIncomingData", Literal["realtime.call.incoming"]]):
    """Sent when an incoming API SIP session is available for Realtime acceptance."""
    __slots__ = ()


class ResponseCancelledWebhookEvent(BaseEvent[ResourceData, Literal["response.cancelled"]]):
    """Sent when a background response has been cancelled."""
    __slots__ = ()


class ResponseCompletedWebhookEvent(BaseEvent[ResourceData, Literal["response.completed"]]):
    """Sent when a background response has been completed."""
    __slots__ = ()


class ResponseFailedWebhookEvent(BaseEvent[ResourceData, Literal["response.failed"]]):
    """Sent when a background response has failed."""
    __slots__ = ()


class ResponseIncompleteWebhookEvent(BaseEvent[ResourceData, Literal["response.incomplete"]]):
    """Sent when a background response has been interrupted."""
    __slots__ = ()


class SafetyAlertCreatedWebhookEvent(BaseEventWithObject[ResourceData, Literal["safety.alert.created"]]):
    """Sent when an approved safety alert is available for an API project."""
    __slots__ = ()


class SafetyDeactivationIssuedWebhookEvent(BaseEventWithObject[ResourceData, Literal["safety.deactivation_issued"]]):
    """Sent when a deactivation is issued for a safety identifier in your organization."""
    __slots__ = ()


class SafetyOrgAlertCreatedWebhookEvent(BaseEventWithObject[ResourceData, Literal["safety.org_alert.created"]]):
    """Sent when an approved safety alert is available for an enterprise workspace."""
    __slots__ = ()


class SafetyWarningIssuedWebhookEvent(BaseEventWithObject[ResourceData, Literal["safety.warning_issued"]]):
    """Sent when a warning is issued for a safety identifier in your organization."""
    __slots__ = ()


class SafetyIdentifierBlockedWebhookEvent(
    BaseEvent["SafetyIdentifierBlockedData", Literal["safety_identifier.blocked"]]
):
    """Sent when a request associated with a safety identifier has been blocked."""
    __slots__ = ()
# fmt: on


JSONValue: TypeAlias = Union[str, int, float, bool, "tuple[JSONValue, ...]", "FrozenDict", None]
"""A JSON value made immutable: arrays are tuples, objects are :class:`FrozenDict`."""


class FrozenDict(Mapping[str, JSONValue]):
    """An immutable, hashable mapping: a JSON object kept read-only.

    ``pickle``, ``copy.copy`` and ``copy.deepcopy`` give an equal
    ``FrozenDict``; so ``dataclasses.asdict`` of an event keeps its
    ``FrozenDict`` values as such (deep copies, equal to the originals).
    :func:`to_dict` gives plain dicts and lists.
    """

    __slots__ = ("_hash", "_items")
    _items: dict[str, JSONValue]
    _hash: int  # unset until the first hash(), so a new FrozenDict fills one slot

    def __init__(self, items: Mapping[str, JSONValue] | None = None) -> None:
        object.__setattr__(self, "_items", dict(items or ()))

    def __getitem__(self, key: str) -> JSONValue:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            value = hash(frozenset(self._items.items()))
            object.__setattr__(self, "_hash", value)
            return value

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, JSONValue]]]:
        return (FrozenDict, (self._items,))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"FrozenDict({self._items!r})"


@dataclass(frozen=True, slots=True)
class UnknownWebhookEvent:
    """An event whose ``type`` this version of the package does not know.

    The envelope is validated; ``data`` is the original payload, made
    immutable (objects become :class:`FrozenDict`, arrays tuples), or
    ``None`` when the payload has no ``data``.
    """

    id: str
    created_at: int
    type: str
    data: JSONValue = None
    object: str | None = None


WebhookEvent: TypeAlias = Union[
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
    LiveCallIncomingWebhookEvent,
    LiveTransportConnectedWebhookEvent,
    LiveTransportIncomingWebhookEvent,
    RealtimeCallIncomingWebhookEvent,
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
]
"""Any event :func:`parse_event` returns; ``match`` over it is checked for exhaustiveness."""
