"""The contenders the package is measured against, written for the benchmark.

* ``floor_parse``: the hand-written floor.  The same checks as
  ``parse_event`` (exact ``str``/``int``/``dict``/``list`` fast paths with the
  same slow paths for subclasses and other mappings, ``bool`` rejected as an
  integer, required keys, optional nulls, single-value literals), then the
  package's own frozen dataclasses built with keyword arguments.
* ``FloorVerifier``: one prepared HMAC-SHA256 state, copied per delivery; the
  same header, timestamp-window and signature-list checks as ``verify``.
* ``msgspec_union()``: ``msgspec.Struct`` equivalents of the package's event types
  (frozen, tagged on ``type``), and a wrapper ``Struct`` holding the union.
* ``sdk_union()``: the openai SDK's ``UnwrapWebhookEvent``; openai 3.63.0 (as 3.54.0)
  ships ``SafetyIdentifierBlockedWebhookEvent`` but leaves it out of that
  union, so it is added back (same discriminator) for a like-for-like mix.

Peers are imported only by the functions that need them, so ``--quick``
runs without them installed.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, Literal, Union

from openai_webhook_events import _models as m
from openai_webhook_events._agent_models import (
    AgentSessionActionRequiredData,
    AgentSessionConnect,
    AgentSessionCreatedData,
    AgentSessionData,
    AgentSessionRequiredAction,
)
from openai_webhook_events._call_models import (
    LiveCallIncomingData,
    LiveTransportConnectedData,
    LiveTransportIncomingData,
    RealtimeCallIncomingData,
    SipHeader,
)
from openai_webhook_events._parse import EVENT_TYPES
from openai_webhook_events._safety_models import SafetyIdentifierBlockedData

# --------------------------------------------------------------------------
# The hand-written floor: same checks, keyword construction.
# --------------------------------------------------------------------------


class FloorError(ValueError):
    """Raised by the floor on bad input (never on the benchmark's payloads)."""


def _obj(value: Any, path: str) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise FloorError(path)


def _str(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    raise FloorError(path)


def _opt_str(value: Any, path: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise FloorError(path)


def _int(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise FloorError(path)


def _list(value: Any, path: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise FloorError(path)


def _resource(data: Any) -> m.ResourceData:
    if type(data) is not dict:
        data = _obj(data, "data")
    try:
        id_ = data["id"]
    except KeyError:
        raise FloorError("data.id") from None
    if type(id_) is not str:
        _str(id_, "data.id")
    return m.ResourceData(id=id_)


def _required(data: Any, first: str, second: str) -> tuple[dict[Any, Any], str, Any]:
    """*data* as a dict, its string *first* and its *second* value (both keys required)."""
    if type(data) is not dict:
        data = _obj(data, "data")
    try:
        a = data[first]
        b = data[second]
    except KeyError as exc:
        raise FloorError(exc.args[0]) from None
    if type(a) is not str:
        _str(a, first)
    return data, a, b


def _session_fields(data: Any) -> tuple[dict[Any, Any], Any, Any, Any]:
    data, id_, environment_type = _required(data, "id", "environment_type")
    if type(environment_type) is not str:
        _str(environment_type, "data.environment_type")
    environment_id = data.get("environment_id")
    if environment_id is not None and type(environment_id) is not str:
        _opt_str(environment_id, "data.environment_id")
    return data, id_, environment_type, environment_id


def _session(data: Any) -> AgentSessionData:
    _, id_, environment_type, environment_id = _session_fields(data)
    return AgentSessionData(id=id_, environment_type=environment_type, environment_id=environment_id)


def _session_created(data: Any) -> AgentSessionCreatedData:
    data, id_, environment_type, environment_id = _session_fields(data)
    connect = data.get("connect")
    if connect is not None:
        if type(connect) is not dict:
            connect = _obj(connect, "data.connect")
        try:
            remote_url = connect["remote_url"]
        except KeyError:
            raise FloorError("data.connect.remote_url") from None
        if type(remote_url) is not str:
            _str(remote_url, "data.connect.remote_url")
        connect = AgentSessionConnect(remote_url=remote_url)
    return AgentSessionCreatedData(
        id=id_, environment_type=environment_type, connect=connect, environment_id=environment_id
    )


def _action_required(data: Any) -> AgentSessionActionRequiredData:
    data, id_, action = _required(data, "id", "required_action")
    if type(action) is not dict:
        action = _obj(action, "data.required_action")
    try:
        action_type = action["type"]
    except KeyError:
        raise FloorError("data.required_action.type") from None
    if type(action_type) is not str:
        _str(action_type, "data.required_action.type")
    return AgentSessionActionRequiredData(id=id_, required_action=AgentSessionRequiredAction(type=action_type))


def _sip_headers(value: Any) -> tuple[SipHeader, ...]:
    if type(value) is not list:
        value = _list(value, "data.sip_headers")
    headers = []
    for header in value:
        if type(header) is not dict:
            header = _obj(header, "data.sip_headers[]")
        try:
            name = header["name"]
            text = header["value"]
        except KeyError as exc:
            raise FloorError(exc.args[0]) from None
        if type(name) is not str:
            _str(name, "name")
        if type(text) is not str:
            _str(text, "value")
        headers.append(SipHeader(name=name, value=text))
    return tuple(headers)


def _call_fields(data: Any, id_key: str) -> tuple[dict[Any, Any], Any, tuple[SipHeader, ...], Any]:
    data, id_, headers = _required(data, id_key, "sip_headers")
    headers = _sip_headers(headers)
    security = data.get("sip_media_security")
    if security is not None and type(security) is not str:
        _opt_str(security, "data.sip_media_security")
    return data, id_, headers, security


def _live_call(data: Any) -> LiveCallIncomingData:
    _, id_, headers, security = _call_fields(data, "session_id")
    return LiveCallIncomingData(session_id=id_, sip_headers=headers, sip_media_security=security)


def _realtime_call(data: Any) -> RealtimeCallIncomingData:
    _, id_, headers, security = _call_fields(data, "call_id")
    return RealtimeCallIncomingData(call_id=id_, sip_headers=headers, sip_media_security=security)


def _transport_incoming(data: Any) -> LiveTransportIncomingData:
    data, id_, headers, security = _call_fields(data, "session_id")
    try:
        transport = data["type"]
    except KeyError:
        raise FloorError("data.type") from None
    if transport != "sip":
        raise FloorError("data.type")
    return LiveTransportIncomingData(session_id=id_, sip_headers=headers, type="sip", sip_media_security=security)


def _transport_connected(data: Any) -> LiveTransportConnectedData:
    data, session_id, transport = _required(data, "session_id", "type")
    if transport != "webrtc":
        raise FloorError("data.type")
    return LiveTransportConnectedData(session_id=session_id, type="webrtc")


def _safety_blocked(data: Any) -> SafetyIdentifierBlockedData:
    data, category, identifier = _required(data, "safety_category", "safety_identifier")
    if type(identifier) is not str:
        _str(identifier, "data.safety_identifier")
    model, project_id, request_id = data.get("model"), data.get("project_id"), data.get("request_id")
    if model is not None and type(model) is not str:
        _opt_str(model, "data.model")
    if project_id is not None and type(project_id) is not str:
        _opt_str(project_id, "data.project_id")
    if request_id is not None and type(request_id) is not str:
        _opt_str(request_id, "data.request_id")
    return SafetyIdentifierBlockedData(
        safety_category=category,
        safety_identifier=identifier,
        model=model,
        project_id=project_id,
        request_id=request_id,
    )


_FLOOR_DATA = {
    "agent.session.action_required": _action_required,
    "agent.session.created": _session_created,
    "agent.session.failed": _session,
    "agent.session.idle": _session,
    "agent.session.in_progress": _session,
    "live.call.incoming": _live_call,
    "live.transport.connected": _transport_connected,
    "live.transport.incoming": _transport_incoming,
    "realtime.call.incoming": _realtime_call,
    "safety_identifier.blocked": _safety_blocked,
}


def object_required(cls: Any) -> bool:
    """Whether event class *cls* requires ``object`` (else it may be absent or null)."""
    (field,) = [f for f in dataclasses.fields(cls) if f.name == "object"]
    return field.default is dataclasses.MISSING


def _floor_event(cls: Any, event_type: str, parse_data: Any) -> Any:
    required = object_required(cls)

    def parse(payload: dict[Any, Any]) -> Any:
        try:
            id_ = payload["id"]
            created_at = payload["created_at"]
            data = payload["data"]
        except KeyError as exc:
            raise FloorError(exc.args[0]) from None
        if type(id_) is not str:
            _str(id_, "id")
        if type(created_at) is not int:
            _int(created_at, "created_at")
        data = parse_data(data)
        obj = payload.get("object")
        if obj is None:
            if required:
                raise FloorError("object")
        elif obj == "event":
            obj = "event"
        else:
            raise FloorError("object")
        return cls(id=id_, created_at=created_at, data=data, type=event_type, object=obj)

    return parse


_FLOOR = {t: _floor_event(cls, t, _FLOOR_DATA.get(t, _resource)) for t, cls in EVENT_TYPES.items()}


def floor_parse(payload: Any) -> Any:
    """The floor of ``parse_event``: same checks, keyword construction (unknown types raise)."""
    if type(payload) is not dict:
        payload = _obj(payload, "")
    try:
        event_type = payload["type"]
    except KeyError:
        raise FloorError("type") from None
    if type(event_type) is not str:
        event_type = str(_str(event_type, "type"))
    parser = _FLOOR.get(event_type)
    if parser is None:
        raise FloorError("type")
    return parser(payload)


# --------------------------------------------------------------------------
# Signing and the HMAC floor.
# --------------------------------------------------------------------------

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def sign_delivery(body: bytes, webhook_id: str, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    """Standard Webhooks headers for *body* (written here so peers never depend on the package)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


class FloorVerifier:
    """One prepared HMAC-SHA256 state, copied per delivery; the checks ``verify`` must make."""

    def __init__(self, secret: str = SECRET, tolerance: int = 300) -> None:
        self._mac = hmac.new(base64.b64decode(secret.removeprefix("whsec_")), digestmod=hashlib.sha256)
        self._tolerance = tolerance

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: int | None = None) -> None:
        try:
            webhook_id = headers["webhook-id"]
            timestamp = headers["webhook-timestamp"]
            signatures = headers["webhook-signature"]
        except KeyError as exc:
            raise FloorError(exc.args[0]) from None
        if not timestamp.isdigit():
            raise FloorError("webhook-timestamp")
        if now is None:
            now = int(time.time())
        if abs(now - int(timestamp)) > self._tolerance:
            raise FloorError("webhook-timestamp")
        mac = self._mac.copy()
        mac.update(f"{webhook_id}.{timestamp}.".encode() + body)
        expected = base64.b64encode(mac.digest())
        for signature in signatures.split(" "):
            version, _, value = signature.partition(",")
            if version == "v1" and hmac.compare_digest(value.encode(), expected):
                return
        raise FloorError("webhook-signature")


# --------------------------------------------------------------------------
# msgspec equivalents.
# --------------------------------------------------------------------------


def msgspec_union() -> tuple[Any, Any]:
    """``(Union of the tagged event Structs, one per type, Wrapper Struct with field ``event`` of that union)``."""
    import msgspec

    def struct(name: str, fields: list[Any], **kw: Any) -> Any:
        return msgspec.defstruct(name, fields, frozen=True, **kw)

    resource = struct("ResourceData", [("id", str)])
    session = struct("AgentSessionData", [("id", str), ("environment_type", str), ("environment_id", str | None, None)])
    connect = struct("AgentSessionConnect", [("remote_url", str)])
    created = struct(
        "AgentSessionCreatedData",
        [
            ("id", str),
            ("environment_type", str),
            ("connect", connect | None, None),
            ("environment_id", str | None, None),
        ],
    )
    action = struct("AgentSessionRequiredAction", [("type", str)])
    action_required = struct("AgentSessionActionRequiredData", [("id", str), ("required_action", action)])
    header = struct("SipHeader", [("name", str), ("value", str)])
    headers = tuple[header, ...]  # type: ignore[valid-type]
    security = ("sip_media_security", str | None, None)
    data_types = {
        "agent.session.action_required": action_required,
        "agent.session.created": created,
        "agent.session.failed": session,
        "agent.session.idle": session,
        "agent.session.in_progress": session,
        "live.call.incoming": struct("LiveCallIncomingData", [("session_id", str), ("sip_headers", headers), security]),
        "live.transport.connected": struct(
            "LiveTransportConnectedData", [("session_id", str), ("type", Literal["webrtc"])]
        ),
        "live.transport.incoming": struct(
            "LiveTransportIncomingData",
            [("session_id", str), ("sip_headers", headers), ("type", Literal["sip"]), security],
        ),
        "realtime.call.incoming": struct(
            "RealtimeCallIncomingData", [("call_id", str), ("sip_headers", headers), security]
        ),
        "safety_identifier.blocked": struct(
            "SafetyIdentifierBlockedData",
            [
                ("safety_category", str),
                ("safety_identifier", str),
                ("model", str | None, None),
                ("project_id", str | None, None),
                ("request_id", str | None, None),
            ],
        ),
    }
    events = []
    for event_type, cls in EVENT_TYPES.items():
        data = data_types.get(event_type, resource)
        if object_required(cls):
            obj: Any = ("object", Literal["event"])
        else:
            obj = ("object", Literal["event"] | None, None)
        fields = [("id", str), ("created_at", int), ("data", data), obj]
        events.append(struct(cls.__name__, fields, tag_field="type", tag=event_type))
    union = Union[tuple(events)]  # type: ignore[valid-type]
    wrapper = msgspec.defstruct("Wrapper", [("event", union)], frozen=True)
    return union, wrapper


# --------------------------------------------------------------------------
# The openai SDK's union.
# --------------------------------------------------------------------------


def sdk_union() -> Any:
    """``UnwrapWebhookEvent`` with ``SafetyIdentifierBlockedWebhookEvent`` added back."""
    from typing import Annotated, get_args

    from openai._utils import PropertyInfo
    from openai.types.webhooks import UnwrapWebhookEvent
    from openai.types.webhooks.safety_identifier_blocked_webhook_event import SafetyIdentifierBlockedWebhookEvent

    union, *metadata = get_args(UnwrapWebhookEvent)
    members = get_args(union)
    if SafetyIdentifierBlockedWebhookEvent not in members:
        members = (*members, SafetyIdentifierBlockedWebhookEvent)
    discriminator = next((x for x in metadata if isinstance(x, PropertyInfo)), PropertyInfo(discriminator="type"))
    return Annotated[Union[members], discriminator]
