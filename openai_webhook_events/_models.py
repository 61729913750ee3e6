"""The event models: one frozen dataclass per OpenAI webhook event type.

Every event class subclasses one of two generic envelope dataclasses,
specialised by its payload class and its ``type`` literal: the ``dataclasses``
machinery runs for the two envelopes only, not for each event type (it costs
1.1 ms per class on CPython 3.11: 35 ms for 32 classes, while the package's
whole cold start is 7 to 10 ms over the standard library floor's, bench/coldstart.py).  Each
event class then gets its own ``__annotations__`` and ``__dataclass_fields__``
with the concrete payload class and ``Literal``, so ``typing.get_type_hints``,
``dataclasses.fields``, pydantic and cattrs see what type checkers see.

The payload classes of the agent, SIP call and safety-identifier events live
in their own modules, imported the first time they are needed: those events
name their payload as ``"<module>.<class>"``, a string that resolves in the
package's namespace (a stand-in there imports it).  Every event class builds
its fields (``__dataclass_fields__``) the first time they are read.

Every public name defined here is exported by the package: the event
classes as the members of :data:`WebhookEvent` (no list to keep).
"""

import dataclasses
import importlib
from copy import copy
from dataclasses import Field, dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeAlias, TypeVar, Union, get_args

from ._checks import as_generated, field_eq, field_hash, field_repr
from ._frozen import JSONValue

if TYPE_CHECKING:  # the payload modules named in the event classes' bases
    import openai_webhook_events._agent_models as _agent_models  # noqa: F401
    import openai_webhook_events._call_models as _call_models  # noqa: F401
    import openai_webhook_events._safety_models as _safety_models  # noqa: F401

_Data = TypeVar("_Data")
_Type = TypeVar("_Type", bound=str)


class _Specialised:
    """An envelope with its two arguments, ``_Envelope[ResourceData, Literal["batch.failed"]]``, as an event class's
    base at run time: ``__origin__``, the envelope (its one base), and ``__args__`` (the payload class, or its
    name, and the ``Literal``), read by :func:`_concrete_types` (and by cattrs, as it reads a generic alias).

    Instead of typing's generic alias: 4.5 M fewer instructions for the 36 event classes at a cold start
    (bench/coldstart.py's lambda_instructions, CPython 3.12).
    """

    __slots__ = ("__args__", "__origin__")

    def __init__(self, envelope: type[Any], args: tuple[Any, Any]) -> None:
        self.__origin__ = envelope
        self.__args__ = args

    def __mro_entries__(self, bases: tuple[object, ...]) -> tuple[type[Any]]:
        return (self.__origin__,)


def _specialise(cls: type[Any], args: tuple[Any, Any]) -> _Specialised:
    """An envelope's ``__class_getitem__`` at run time (type checkers read ``Generic``'s)."""
    if cls not in (_Envelope, _EnvelopeWithObject):
        raise TypeError(f"{cls} is not a generic class")  # an event class, as typing refuses it
    return _Specialised(cls, args)


_set = object.__setattr__  # as a frozen dataclass's generated __init__ sets its fields

# The four dataclasses below write their __init__ and share __repr__, __eq__ and __hash__ (_checks' field_*), so
# that dataclass compiles only the frozen __setattr__ and __delattr__ of each: 8.1 M fewer instructions of an HTTP
# Lambda handler's cold start (bench/coldstart.py's lambda_instructions, CPython 3.12).


@as_generated
@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class _EnvelopeWithObject(Generic[_Data, _Type]):
    """Envelope of an event whose ``object`` is always present."""

    __hash__ = field_hash  # the generated one, shared (see field_hash)
    __eq__ = field_eq
    __repr__ = field_repr
    if not TYPE_CHECKING:
        __class_getitem__ = classmethod(_specialise)

    id: str
    created_at: int
    data: _Data
    object: Literal["event"]
    type: _Type

    def __init__(self, id: str, created_at: int, data: _Data, object: Literal["event"], type: _Type) -> None:
        _set(self, "id", id)
        _set(self, "created_at", created_at)
        _set(self, "data", data)
        _set(self, "object", object)
        _set(self, "type", type)


@as_generated
@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class _Envelope(Generic[_Data, _Type]):
    """Envelope of an event whose ``object`` may be absent or null."""

    __hash__ = field_hash
    __eq__ = field_eq
    __repr__ = field_repr
    if not TYPE_CHECKING:
        __class_getitem__ = classmethod(_specialise)

    id: str
    created_at: int
    data: _Data
    type: _Type
    object: Union[Literal["event"], None] = None

    def __init__(
        self, id: str, created_at: int, data: _Data, type: _Type, object: Union[Literal["event"], None] = None
    ) -> None:
        _set(self, "id", id)
        _set(self, "created_at", created_at)
        _set(self, "data", data)
        _set(self, "type", type)
        _set(self, "object", object)


@as_generated
@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class ResourceData:
    """Payload naming the object the event is about (a response, batch, job...)."""

    __hash__ = field_hash
    __eq__ = field_eq
    __repr__ = field_repr

    id: str

    def __init__(self, id: str) -> None:
        _set(self, "id", id)


# fmt: off
class AgentEnvironmentExpiredWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["agent.environment.expired"]]):
    """Sent when an agent environment expires and can no longer resume from a snapshot."""
    __slots__ = ()


class AgentEnvironmentFailedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["agent.environment.failed"]]):
    """Sent when setup fails for a prewarmed OpenAI-hosted environment."""
    __slots__ = ()


class AgentEnvironmentReadyWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["agent.environment.ready"]]):
    """Sent when a prewarmed OpenAI-hosted environment finishes setup."""
    __slots__ = ()


class AgentEnvironmentSuspendedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["agent.environment.suspended"]]):
    """Sent when an agent environment is suspended and can resume from a snapshot."""
    __slots__ = ()


class AgentSessionActionRequiredWebhookEvent(
    _EnvelopeWithObject["_agent_models.AgentSessionActionRequiredData", Literal["agent.session.action_required"]]
):
    """Sent when an agent session requires an action."""
    __slots__ = ()


class AgentSessionCreatedWebhookEvent(
    _EnvelopeWithObject["_agent_models.AgentSessionCreatedData", Literal["agent.session.created"]]
):
    """Sent when an agent session is created."""
    __slots__ = ()


class AgentSessionFailedWebhookEvent(
    _EnvelopeWithObject["_agent_models.AgentSessionData", Literal["agent.session.failed"]]
):
    """Sent when an agent session fails."""
    __slots__ = ()


class AgentSessionIdleWebhookEvent(
    _EnvelopeWithObject["_agent_models.AgentSessionData", Literal["agent.session.idle"]]
):
    """Sent when an agent session becomes idle."""
    __slots__ = ()


class AgentSessionInProgressWebhookEvent(
    _EnvelopeWithObject["_agent_models.AgentSessionData", Literal["agent.session.in_progress"]]
):
    """Sent when an agent session enters the in-progress state."""
    __slots__ = ()


class BatchCancelledWebhookEvent(_Envelope[ResourceData, Literal["batch.cancelled"]]):
    """Sent when a batch API request has been cancelled."""
    __slots__ = ()


class BatchCompletedWebhookEvent(_Envelope[ResourceData, Literal["batch.completed"]]):
    """Sent when a batch API request has been completed."""
    __slots__ = ()


class BatchExpiredWebhookEvent(_Envelope[ResourceData, Literal["batch.expired"]]):
    """Sent when a batch API request has expired."""
    __slots__ = ()


class BatchFailedWebhookEvent(_Envelope[ResourceData, Literal["batch.failed"]]):
    """Sent when a batch API request has failed."""
    __slots__ = ()


class EvalRunCanceledWebhookEvent(_Envelope[ResourceData, Literal["eval.run.canceled"]]):
    """Sent when an eval run has been canceled."""
    __slots__ = ()


class EvalRunFailedWebhookEvent(_Envelope[ResourceData, Literal["eval.run.failed"]]):
    """Sent when an eval run has failed."""
    __slots__ = ()


class EvalRunSucceededWebhookEvent(_Envelope[ResourceData, Literal["eval.run.succeeded"]]):
    """Sent when an eval run has succeeded."""
    __slots__ = ()


class FineTuningJobCancelledWebhookEvent(_Envelope[ResourceData, Literal["fine_tuning.job.cancelled"]]):
    """Sent when a fine-tuning job has been cancelled."""
    __slots__ = ()


class FineTuningJobFailedWebhookEvent(_Envelope[ResourceData, Literal["fine_tuning.job.failed"]]):
    """Sent when a fine-tuning job has failed."""
    __slots__ = ()


class FineTuningJobSucceededWebhookEvent(_Envelope[ResourceData, Literal["fine_tuning.job.succeeded"]]):
    """Sent when a fine-tuning job has succeeded."""
    __slots__ = ()


class HealthAlertResolvedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["health.alert.resolved"]]):
    """Sent when a health alert is resolved."""
    __slots__ = ()


class HealthAlertTriggeredWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["health.alert.triggered"]]):
    """Sent when a health alert is triggered."""
    __slots__ = ()


class LiveCallIncomingWebhookEvent(_Envelope["_call_models.LiveCallIncomingData", Literal["live.call.incoming"]]):
    """Deprecated by OpenAI in favour of ``live.transport.incoming``; sent for an incoming SIP call."""
    __slots__ = ()


class LiveTransportConnectedWebhookEvent(
    _EnvelopeWithObject["_call_models.LiveTransportConnectedData", Literal["live.transport.connected"]]
):
    """Sent when a direct Live WebRTC session is created or an Instant Connect session activates."""
    __slots__ = ()


class LiveTransportIncomingWebhookEvent(
    _Envelope["_call_models.LiveTransportIncomingData", Literal["live.transport.incoming"]]
):
    """Sent when an incoming API SIP session is available for Live acceptance."""
    __slots__ = ()


class RealtimeCallIncomingWebhookEvent(
    _Envelope["_call_models.RealtimeCallIncomingData", Literal["realtime.call.incoming"]]
):
    """Sent when an incoming API SIP session is available for Realtime acceptance."""
    __slots__ = ()


class ResponseCancelledWebhookEvent(_Envelope[ResourceData, Literal["response.cancelled"]]):
    """Sent when a background response has been cancelled."""
    __slots__ = ()


class ResponseCompletedWebhookEvent(_Envelope[ResourceData, Literal["response.completed"]]):
    """Sent when a background response has been completed."""
    __slots__ = ()


class ResponseFailedWebhookEvent(_Envelope[ResourceData, Literal["response.failed"]]):
    """Sent when a background response has failed."""
    __slots__ = ()


class ResponseIncompleteWebhookEvent(_Envelope[ResourceData, Literal["response.incomplete"]]):
    """Sent when a background response has been interrupted."""
    __slots__ = ()


class SafetyAlertCreatedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["safety.alert.created"]]):
    """Sent when an approved safety alert is available for an API project."""
    __slots__ = ()


class SafetyDeactivationIssuedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["safety.deactivation_issued"]]):
    """Sent when a deactivation is issued for a safety identifier in your organization."""
    __slots__ = ()


class SafetyOrgAlertCreatedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["safety.org_alert.created"]]):
    """Sent when an approved safety alert is available for an enterprise workspace."""
    __slots__ = ()


class SafetyWarningIssuedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["safety.warning_issued"]]):
    """Sent when a warning is issued for a safety identifier in your organization."""
    __slots__ = ()


class SafetyIdentifierBlockedWebhookEvent(
    _Envelope["_safety_models.SafetyIdentifierBlockedData", Literal["safety_identifier.blocked"]]
):
    """Sent when a request associated with a safety identifier has been blocked."""
    __slots__ = ()


# The SDK does not model these two (tests/data/openai-webhook-events-documented.json): OpenAI's video generation guide.
class VideoCompletedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["video.completed"]]):
    """Sent when a video generation job has completed."""
    __slots__ = ()


class VideoFailedWebhookEvent(_EnvelopeWithObject[ResourceData, Literal["video.failed"]]):
    """Sent when a video generation job has failed."""
    __slots__ = ()
# fmt: on


class _NotAKnownType:
    """How pydantic validates :attr:`UnknownWebhookEvent.type`: a known type is refused.

    As with :func:`parse_event`, a payload of a known type that does not match
    its class is an error, never an :class:`UnknownWebhookEvent`.
    """

    @staticmethod
    def __get_pydantic_core_schema__(source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        known = {get_args(cls.__annotations__["type"])[0]: cls.__name__ for cls in get_args(WebhookEvent)[:-1]}

        def unknown(value: str) -> str:
            if value in known:
                raise ValueError(f"{value!r} is a known event type: its payload must match {known[value]}")
            return value

        return core_schema.no_info_after_validator_function(unknown, handler(source))


@as_generated
@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class UnknownWebhookEvent:
    """An event whose ``type`` this version of the package does not know.

    The envelope is validated; ``data`` is the original payload, made
    immutable (objects become :class:`FrozenDict`, arrays tuples), or
    ``None`` when the payload has no ``data``.
    """

    __hash__ = field_hash
    __eq__ = field_eq
    __repr__ = field_repr

    id: str
    created_at: int
    type: Annotated[str, _NotAKnownType]
    data: JSONValue = None
    object: Union[str, None] = None

    def __init__(
        self,
        id: str,
        created_at: int,
        type: Annotated[str, _NotAKnownType],
        data: JSONValue = None,
        object: Union[str, None] = None,
    ) -> None:
        _set(self, "id", id)
        _set(self, "created_at", created_at)
        _set(self, "type", type)
        _set(self, "data", data)
        _set(self, "object", object)


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
    HealthAlertResolvedWebhookEvent,
    HealthAlertTriggeredWebhookEvent,
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
    VideoCompletedWebhookEvent,
    VideoFailedWebhookEvent,
    UnknownWebhookEvent,
]
"""Any event :func:`parse_event` returns; ``match`` over it is checked for exhaustiveness."""


def _fields(cls: type[Any], data: Any, literal: Any) -> dict[str, Field[Any]]:
    """The envelope's fields, with the ``data`` and ``type`` fields retyped as *data* and *literal*."""
    fields = {field.name: field for field in dataclasses.fields(cls.__mro__[1])}
    for name, concrete in (("data", data), ("type", literal)):
        field = fields[name] = copy(fields[name])
        field.type = concrete
    return fields


class _DeferredFields:
    """``__dataclass_fields__`` of an event class, built the first time it is read.

    Read once, it builds the fields with the payload class (importing its
    module first when the class names it as ``"<module>.<class>"``) and
    stores them on the class in its own place.
    """

    __slots__ = ("_cls",)

    def __init__(self, cls: type[Any]) -> None:
        self._cls = cls

    def __get__(self, instance: object, owner: type[Any]) -> dict[str, Field[Any]]:
        cls = self._cls
        data = cls.__annotations__["data"]
        if isinstance(data, str):  # "_agent_models.AgentSessionData"
            module, _, name = data.partition(".")
            data = getattr(importlib.import_module(f".{module}", __package__), name)
        fields = _fields(cls, data, cls.__annotations__["type"])
        cls.__dataclass_fields__ = fields
        return fields


PAYLOAD_MODULES: set[str] = set()
"""The payload modules the event classes' annotations name (``"_agent_models.AgentSessionData"``), imported on first
use: the package keeps a stand-in for each in its namespace, where those annotations resolve."""


def _concrete_types(cls: type[Any]) -> None:
    """Give event class *cls* its own annotations, read from its envelope's parameters, and fields built on first
    read (the 36 classes' fields at import: 1.9 M more instructions of the Lambda cold start, CPython 3.12,
    bench/coldstart.py's lambda_instructions)."""
    payload, literal = cls.__orig_bases__[0].__args__  # "_agent_models.AgentSessionData": imported later
    annotations = dict(cls.__mro__[1].__annotations__)
    annotations["data"], annotations["type"] = payload, literal
    cls.__annotations__ = annotations
    cls.__dataclass_fields__ = _DeferredFields(cls)
    if isinstance(payload, str):
        PAYLOAD_MODULES.add(payload.partition(".")[0])


for _cls in get_args(WebhookEvent)[:-1]:
    _concrete_types(_cls)
