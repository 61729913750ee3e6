"""Payloads of the ``agent.session.*`` events, and their parsers.

Imported the first time such an event is parsed or one of these classes is
looked up on the package.
"""

from dataclasses import dataclass
from typing import Any, Literal, Union

from . import _checks as check
from ._errors import publish

RequiredActionType = Literal[
    "computer_use_approval_request", "mcp_approval_request", "function_call", "environment_connection"
]


@dataclass(frozen=True, slots=True)
class AgentSessionData:
    """Payload of ``agent.session.failed``, ``.idle`` and ``.in_progress``."""

    id: str
    environment_type: str
    environment_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentSessionConnect:
    """How to reach a self-hosted environment."""

    remote_url: str


@dataclass(frozen=True, slots=True)
class AgentSessionCreatedData:
    """Payload of ``agent.session.created``."""

    id: str
    environment_type: str
    connect: AgentSessionConnect | None = None
    environment_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentSessionRequiredAction:
    """The kind of action a session waits for (an open enumeration: new values stay ``str``)."""

    type: Union[RequiredActionType, str]


@dataclass(frozen=True, slots=True)
class AgentSessionActionRequiredData:
    """Payload of ``agent.session.action_required``."""

    id: str
    required_action: AgentSessionRequiredAction


# Filling the slots, not calling the keyword __init__: parse_event 0.55x the floor, not 0.67x (see _parse).
_new = object.__new__
_set_session = check.slot_setters(AgentSessionData, "id", "environment_type", "environment_id")
_set_created = check.slot_setters(AgentSessionCreatedData, "id", "environment_type", "connect", "environment_id")
(_set_remote_url,) = check.slot_setters(AgentSessionConnect, "remote_url")
(_set_action_type,) = check.slot_setters(AgentSessionRequiredAction, "type")
_set_action_required = check.slot_setters(AgentSessionActionRequiredData, "id", "required_action")


def _id_and_environment(value: Any) -> tuple[dict[str, Any], Any, Any, Any]:
    data: dict[str, Any] = value if value.__class__ is dict else check.as_object(value, "data")
    try:
        id_ = data["id"]
        environment_type = data["environment_type"]
    except KeyError as exc:
        raise check.missing("data", exc.args[0]) from None
    if id_.__class__ is not str:
        check.as_str(id_, "data.id")
    if environment_type.__class__ is not str:
        check.as_str(environment_type, "data.environment_type")
    environment_id = data.get("environment_id")
    if environment_id is not None and environment_id.__class__ is not str:
        check.as_optional_str(environment_id, "data.environment_id")
    return data, id_, environment_type, environment_id


def parse_session_data(value: Any) -> AgentSessionData:
    _, id_, environment_type, environment_id = _id_and_environment(value)
    result = _new(AgentSessionData)
    set_id, set_environment_type, set_environment_id = _set_session
    set_id(result, id_)
    set_environment_type(result, environment_type)
    set_environment_id(result, environment_id)
    return result


def parse_created_data(value: Any) -> AgentSessionCreatedData:
    data, id_, environment_type, environment_id = _id_and_environment(value)
    raw_connect = data.get("connect")
    connect = None
    if raw_connect is not None:
        fields: dict[str, Any] = (
            raw_connect if raw_connect.__class__ is dict else check.as_object(raw_connect, "data.connect")
        )
        try:
            remote_url = fields["remote_url"]
        except KeyError:
            raise check.missing("data.connect", "remote_url") from None
        if remote_url.__class__ is not str:
            check.as_str(remote_url, "data.connect.remote_url")
        connect = _new(AgentSessionConnect)
        _set_remote_url(connect, remote_url)
    result = _new(AgentSessionCreatedData)
    set_id, set_environment_type, set_connect, set_environment_id = _set_created
    set_id(result, id_)
    set_environment_type(result, environment_type)
    set_connect(result, connect)
    set_environment_id(result, environment_id)
    return result


def parse_action_required_data(value: Any) -> AgentSessionActionRequiredData:
    data: dict[str, Any] = value if value.__class__ is dict else check.as_object(value, "data")
    try:
        id_ = data["id"]
        action = data["required_action"]
    except KeyError as exc:
        raise check.missing("data", exc.args[0]) from None
    if id_.__class__ is not str:
        check.as_str(id_, "data.id")
    fields: dict[str, Any] = action if action.__class__ is dict else check.as_object(action, "data.required_action")
    try:
        action_type = fields["type"]
    except KeyError:
        raise check.missing("data.required_action", "type") from None
    if action_type.__class__ is not str:
        check.as_str(action_type, "data.required_action.type")
    required_action = _new(AgentSessionRequiredAction)
    _set_action_type(required_action, action_type)
    result = _new(AgentSessionActionRequiredData)
    set_id, set_required_action = _set_action_required
    set_id(result, id_)
    set_required_action(result, required_action)
    return result


# The public classes report the package as their module.
publish(
    [
        AgentSessionActionRequiredData,
        AgentSessionConnect,
        AgentSessionCreatedData,
        AgentSessionData,
        AgentSessionRequiredAction,
    ]
)
