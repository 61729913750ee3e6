"""The registry of event types, :func:`parse_event` and :func:`to_dict`.

Each event type has a parser made once, on its first use, for its class: it reads
the keys it needs, checks each value's exact type inline (calling into
``_checks`` only when that fast test fails) and fills the slots of new
instances, each slot's setter bound by its field name, skipping the keyword
``__init__``.  The number justifying each shortcut is where it lives: parse
time over the 32 examples as a ratio to bench/run.py's keyword-argument
floor (its parse loop, 31 interleaved repetitions, CPython 3.11), where this
package measures 0.55x.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import MISSING
from types import MappingProxyType
from typing import Any, Literal, Union

from . import _checks as check
from . import _models as models  # pyright: ignore[reportPrivateUsage]  (pyright reads it as __init__'s)
from ._errors import UnknownEventTypeError, WebhookConfigurationError
from ._frozen import FrozenDict, freeze, thaw
from ._models import ResourceData, UnknownWebhookEvent, WebhookEvent

_new = object.__new__
# object.__new__ and the slot's setter, not ResourceData(id=...): 0.55x the floor, not 0.58x.
(_set_resource_id,) = check.slot_setters(ResourceData, "id")


def _resource_data(value: Any) -> ResourceData:
    data: dict[str, Any] = value if value.__class__ is dict else check.as_object(value, "data")
    try:
        id_ = data["id"]
    except KeyError:
        raise check.missing("data", "id") from None
    if id_.__class__ is not str:
        check.as_str(id_, "data.id")
    result = _new(ResourceData)
    _set_resource_id(result, id_)
    return result


DataParser = Callable[[Any], Any]
Later = tuple[str, str]
"""``(module, function)``: a data parser in a module imported the first time its event arrives."""
# Importing the three payload modules with the package instead: cold start 1.71x the stdlib floor, not 1.30x
# (bench/coldstart.py, 21 samples: +14 ms).

# The registry: every event type, its class and the parser of its ``data``.
# To add an event: its class and its member of ``WebhookEvent`` in ``_models``, one line here (see CONTRIBUTING).
_REGISTRY: dict[str, tuple[type[Any], Union[DataParser, Later]]] = {
    "agent.environment.expired": (models.AgentEnvironmentExpiredWebhookEvent, _resource_data),
    "agent.environment.failed": (models.AgentEnvironmentFailedWebhookEvent, _resource_data),
    "agent.environment.ready": (models.AgentEnvironmentReadyWebhookEvent, _resource_data),
    "agent.environment.suspended": (models.AgentEnvironmentSuspendedWebhookEvent, _resource_data),
    "agent.session.action_required": (
        models.AgentSessionActionRequiredWebhookEvent,
        ("_agent_models", "parse_action_required_data"),
    ),
    "agent.session.created": (models.AgentSessionCreatedWebhookEvent, ("_agent_models", "parse_created_data")),
    "agent.session.failed": (models.AgentSessionFailedWebhookEvent, ("_agent_models", "parse_session_data")),
    "agent.session.idle": (models.AgentSessionIdleWebhookEvent, ("_agent_models", "parse_session_data")),
    "agent.session.in_progress": (models.AgentSessionInProgressWebhookEvent, ("_agent_models", "parse_session_data")),
    "batch.cancelled": (models.BatchCancelledWebhookEvent, _resource_data),
    "batch.completed": (models.BatchCompletedWebhookEvent, _resource_data),
    "batch.expired": (models.BatchExpiredWebhookEvent, _resource_data),
    "batch.failed": (models.BatchFailedWebhookEvent, _resource_data),
    "eval.run.canceled": (models.EvalRunCanceledWebhookEvent, _resource_data),
    "eval.run.failed": (models.EvalRunFailedWebhookEvent, _resource_data),
    "eval.run.succeeded": (models.EvalRunSucceededWebhookEvent, _resource_data),
    "fine_tuning.job.cancelled": (models.FineTuningJobCancelledWebhookEvent, _resource_data),
    "fine_tuning.job.failed": (models.FineTuningJobFailedWebhookEvent, _resource_data),
    "fine_tuning.job.succeeded": (models.FineTuningJobSucceededWebhookEvent, _resource_data),
    "health.alert.resolved": (models.HealthAlertResolvedWebhookEvent, _resource_data),
    "health.alert.triggered": (models.HealthAlertTriggeredWebhookEvent, _resource_data),
    "live.call.incoming": (models.LiveCallIncomingWebhookEvent, ("_call_models", "parse_live_call_incoming_data")),
    "live.transport.connected": (
        models.LiveTransportConnectedWebhookEvent,
        ("_call_models", "parse_live_transport_connected_data"),
    ),
    "live.transport.incoming": (
        models.LiveTransportIncomingWebhookEvent,
        ("_call_models", "parse_live_transport_incoming_data"),
    ),
    "realtime.call.incoming": (
        models.RealtimeCallIncomingWebhookEvent,
        ("_call_models", "parse_realtime_call_incoming_data"),
    ),
    "response.cancelled": (models.ResponseCancelledWebhookEvent, _resource_data),
    "response.completed": (models.ResponseCompletedWebhookEvent, _resource_data),
    "response.failed": (models.ResponseFailedWebhookEvent, _resource_data),
    "response.incomplete": (models.ResponseIncompleteWebhookEvent, _resource_data),
    "safety.alert.created": (models.SafetyAlertCreatedWebhookEvent, _resource_data),
    "safety.deactivation_issued": (models.SafetyDeactivationIssuedWebhookEvent, _resource_data),
    "safety.org_alert.created": (models.SafetyOrgAlertCreatedWebhookEvent, _resource_data),
    "safety.warning_issued": (models.SafetyWarningIssuedWebhookEvent, _resource_data),
    "safety_identifier.blocked": (
        models.SafetyIdentifierBlockedWebhookEvent,
        ("_safety_models", "parse_safety_identifier_blocked_data"),
    ),
    "video.completed": (models.VideoCompletedWebhookEvent, _resource_data),
    "video.failed": (models.VideoFailedWebhookEvent, _resource_data),
}

EVENT_TYPES: Mapping[str, type[WebhookEvent]] = MappingProxyType({t: c for t, (c, _) in _REGISTRY.items()})
"""Read-only view of the known event types: ``type`` string to event class."""

_EVENT_CLASSES = (*EVENT_TYPES.values(), UnknownWebhookEvent)


def _event_parser(cls: type[Any], event_type: str, parse_data: DataParser) -> Callable[[dict[Any, Any]], Any]:
    """The parser of one event class: envelope checks, then ``parse_data``, then the slots."""
    new = _new
    # Filling the slots, not calling cls(id=..., ...): 0.55x the floor, not 0.80x.
    set_id, set_created_at, set_data, set_object, set_type = check.slot_setters(
        cls, "id", "created_at", "data", "object", "type"
    )
    missing, not_literal = check.missing, check.not_literal
    object_required = cls.__dataclass_fields__["object"].default is MISSING

    def parse(payload: dict[Any, Any]) -> Any:
        # An inline exact-class test before each check.as_*: 0.55x the floor, not 0.59x.
        try:
            id_ = payload["id"]
            created_at = payload["created_at"]
            data = payload["data"]
        except KeyError as exc:
            raise missing("", exc.args[0]) from None
        if id_.__class__ is not str:
            check.as_str(id_, "id")
        if created_at.__class__ is not int:
            check.as_int(created_at, "created_at")
        data = parse_data(data)
        obj = payload.get("object")
        if obj is not None:
            if obj != "event":
                raise not_literal("object", "event", obj)
            obj = "event"
        elif object_required:
            raise not_literal("object", "event", obj) if "object" in payload else missing("", "object")
        event = new(cls)
        set_id(event, id_)
        set_created_at(event, created_at)
        set_data(event, data)
        set_type(event, event_type)
        set_object(event, obj)
        return event

    return parse


def _deferred_parser(
    event_type: str, cls: type[Any], parse_data: Union[DataParser, Later]
) -> Callable[[dict[Any, Any]], Any]:
    """A parser that makes the event type's parser on first use (importing its payload module for a
    :data:`Later`), then replaces itself: the 36 parsers at import cost the Lambda cold start 1.2 M more
    instructions (bench/coldstart.py, CPython 3.12)."""

    def parse_first(payload: dict[Any, Any]) -> Any:
        found = parse_data
        if not callable(found):
            module_name, function_name = found
            found = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
        parser = _PARSERS[event_type] = _event_parser(cls, event_type, found)
        return parser(payload)

    return parse_first


_PARSERS: dict[str, Callable[[dict[Any, Any]], Any]] = {
    event_type: _deferred_parser(event_type, cls, parse_data) for event_type, (cls, parse_data) in _REGISTRY.items()
}


def _unknown_event(payload: dict[Any, Any], event_type: str) -> UnknownWebhookEvent:
    try:
        id_ = payload["id"]
        created_at = payload["created_at"]
    except KeyError as exc:
        raise check.missing("", exc.args[0]) from None
    return UnknownWebhookEvent(
        id=check.as_str(id_, "id"),
        created_at=check.as_int(created_at, "created_at"),
        type=event_type,
        data=freeze(payload.get("data")),
        object=check.as_optional_str(payload.get("object"), "object"),
    )


def parse_event(payload: object, *, unknown: Literal["keep", "raise"] = "keep") -> WebhookEvent:
    """Validate a decoded webhook payload and return its typed, frozen event.

    *payload* is what ``json.loads`` returns for the body (any mapping is
    accepted).  Every field is checked against the event type's contract:
    strings must be ``str``, integers ``int`` (not ``bool``), objects
    mappings, arrays lists; ``null`` only where the contract allows it.
    Single-value literals (``type``, ``object``, ``data.type``) must match
    exactly.  The open enumerations ``data.required_action.type`` and
    ``data.sip_media_security`` accept any string: known values are typed as
    their ``Literal``, new ones are kept as plain ``str``.  Keys the
    contract does not name are ignored at every level; arrays become tuples.

    An unknown ``type`` gives an :class:`UnknownWebhookEvent` (its envelope
    validated, its ``data`` kept read-only) when *unknown* is ``"keep"``, and
    raises :class:`UnknownEventTypeError` when it is ``"raise"``.

    Raises :class:`InvalidEventError` (a ``ValueError``) with ``.path`` set
    to the first offending location for anything else; no other exception
    escapes for any input built from JSON values.
    """
    if unknown != "keep" and unknown != "raise":
        raise WebhookConfigurationError(f"unknown must be 'keep' or 'raise', not {unknown!r}")
    value: Any = payload
    fields: dict[str, Any] = value if value.__class__ is dict else check.as_object(value, "")
    try:
        event_type = fields["type"]
    except KeyError:
        raise check.missing("", "type") from None
    if event_type.__class__ is not str:
        event_type = str(check.as_str(event_type, "type"))
    parser = _PARSERS.get(event_type)
    if parser is not None:
        return parser(fields)  # type: ignore[no-any-return]
    if unknown == "raise":
        raise UnknownEventTypeError(event_type)
    return _unknown_event(fields, event_type)


def to_dict(event: WebhookEvent) -> dict[str, Any]:
    """*event* as JSON-ready builtins (dicts, lists), without optional keys that are ``None``.

    ``parse_event(to_dict(event)) == event`` for every event.  Raises
    ``TypeError`` if *event* is not an event of this package.
    """
    if not isinstance(event, _EVENT_CLASSES):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"to_dict() expects an event of this package, not {type(event).__name__}")
    return _model_to_dict(event)


def _model_to_dict(model: Any) -> dict[str, Any]:
    names: tuple[str, ...] = model.__match_args__
    return {name: _to_json(value) for name in names if (value := getattr(model, name)) is not None}


def _to_json(value: Any) -> Any:
    """*value* from inside a model as JSON-ready builtins (``None`` kept: inside data it is a JSON null)."""
    kind = value.__class__
    if kind is tuple:
        return [_to_json(item) for item in value]
    if kind is FrozenDict:
        return thaw(value)  # unknown data: JSON values only, no models inside
    if hasattr(kind, "__dataclass_fields__"):
        return _model_to_dict(value)
    return value
