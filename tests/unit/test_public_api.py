"""The public API, written out: every public module's public names, and each public object's kind and ``__module__``.

A refactor must leave :data:`PUBLIC_API` true; adding, removing or moving a public name is an explicit edit here.
A module's public names are its ``__all__``; a class or function is shown with its ``__module__`` (where
``pickle``, ``repr`` and ``help`` find it), a typing construct as ``alias``, any other value by its type.

``__all__`` means public and nothing else: only the public modules define it, so no line of a private module
publishes a name by itself; the root publishes what it imports, the members of ``WebhookEvent`` and the names of
its one lazy-import map (``_LAZY``), which its type-checking imports repeat name for name.
"""

from __future__ import annotations

import ast
import importlib
import types
import typing
from pathlib import Path

import pytest

import openai_webhook_events
from openai_webhook_events import _models

PACKAGE = Path(openai_webhook_events.__file__).parent

PUBLIC_API: dict[str, dict[str, str]] = {
    "openai_webhook_events": {
        "AgentEnvironmentExpiredWebhookEvent": "class openai_webhook_events",
        "AgentEnvironmentFailedWebhookEvent": "class openai_webhook_events",
        "AgentEnvironmentReadyWebhookEvent": "class openai_webhook_events",
        "AgentEnvironmentSuspendedWebhookEvent": "class openai_webhook_events",
        "AgentSessionActionRequiredData": "class openai_webhook_events",
        "AgentSessionActionRequiredWebhookEvent": "class openai_webhook_events",
        "AgentSessionConnect": "class openai_webhook_events",
        "AgentSessionCreatedData": "class openai_webhook_events",
        "AgentSessionCreatedWebhookEvent": "class openai_webhook_events",
        "AgentSessionData": "class openai_webhook_events",
        "AgentSessionFailedWebhookEvent": "class openai_webhook_events",
        "AgentSessionIdleWebhookEvent": "class openai_webhook_events",
        "AgentSessionInProgressWebhookEvent": "class openai_webhook_events",
        "AgentSessionRequiredAction": "class openai_webhook_events",
        "AsyncRouter": "class openai_webhook_events",
        "Attempt": "class openai_webhook_events",
        "BatchCancelledWebhookEvent": "class openai_webhook_events",
        "BatchCompletedWebhookEvent": "class openai_webhook_events",
        "BatchExpiredWebhookEvent": "class openai_webhook_events",
        "BatchFailedWebhookEvent": "class openai_webhook_events",
        "Delivery": "class openai_webhook_events",
        "EVENT_TYPES": "mappingproxy",
        "EvalRunCanceledWebhookEvent": "class openai_webhook_events",
        "EvalRunFailedWebhookEvent": "class openai_webhook_events",
        "EvalRunSucceededWebhookEvent": "class openai_webhook_events",
        "FineTuningJobCancelledWebhookEvent": "class openai_webhook_events",
        "FineTuningJobFailedWebhookEvent": "class openai_webhook_events",
        "FineTuningJobSucceededWebhookEvent": "class openai_webhook_events",
        "FrozenDict": "class openai_webhook_events",
        "HeadersLike": "alias",
        "HealthAlertResolvedWebhookEvent": "class openai_webhook_events",
        "HealthAlertTriggeredWebhookEvent": "class openai_webhook_events",
        "InvalidEventError": "class openai_webhook_events",
        "InvalidHeaderError": "class openai_webhook_events",
        "InvalidPayloadError": "class openai_webhook_events",
        "JSONValue": "alias",
        "LiveCallIncomingData": "class openai_webhook_events",
        "LiveCallIncomingWebhookEvent": "class openai_webhook_events",
        "LiveTransportConnectedData": "class openai_webhook_events",
        "LiveTransportConnectedWebhookEvent": "class openai_webhook_events",
        "LiveTransportIncomingData": "class openai_webhook_events",
        "LiveTransportIncomingWebhookEvent": "class openai_webhook_events",
        "MediaSecurity": "alias",
        "MissingHeaderError": "class openai_webhook_events",
        "PayloadTooLargeError": "class openai_webhook_events",
        "RealtimeCallIncomingData": "class openai_webhook_events",
        "RealtimeCallIncomingWebhookEvent": "class openai_webhook_events",
        "RequiredActionType": "alias",
        "ResourceData": "class openai_webhook_events",
        "Response": "class openai_webhook_events",
        "ResponseCancelledWebhookEvent": "class openai_webhook_events",
        "ResponseCompletedWebhookEvent": "class openai_webhook_events",
        "ResponseFailedWebhookEvent": "class openai_webhook_events",
        "ResponseIncompleteWebhookEvent": "class openai_webhook_events",
        "Router": "class openai_webhook_events",
        "SafetyAlertCreatedWebhookEvent": "class openai_webhook_events",
        "SafetyDeactivationIssuedWebhookEvent": "class openai_webhook_events",
        "SafetyIdentifierBlockedData": "class openai_webhook_events",
        "SafetyIdentifierBlockedWebhookEvent": "class openai_webhook_events",
        "SafetyOrgAlertCreatedWebhookEvent": "class openai_webhook_events",
        "SafetyWarningIssuedWebhookEvent": "class openai_webhook_events",
        "SignatureMismatchError": "class openai_webhook_events",
        "SipHeader": "class openai_webhook_events",
        "TimestampOutOfRangeError": "class openai_webhook_events",
        "UnknownEventTypeError": "class openai_webhook_events",
        "UnknownWebhookEvent": "class openai_webhook_events",
        "VideoCompletedWebhookEvent": "class openai_webhook_events",
        "VideoFailedWebhookEvent": "class openai_webhook_events",
        "Webhook": "class openai_webhook_events",
        "WebhookConfigurationError": "class openai_webhook_events",
        "WebhookError": "class openai_webhook_events",
        "WebhookEvent": "alias",
        "WebhookVerificationError": "class openai_webhook_events",
        "begin": "function openai_webhook_events._receive",
        "current_delivery": "function openai_webhook_events._delivery",
        "parse_event": "function openai_webhook_events._parse",
        "receive": "function openai_webhook_events._receive",
        "sign": "function openai_webhook_events._verify",
        "to_dict": "function openai_webhook_events._parse",
        "unwrap": "function openai_webhook_events._verify",
        "verify_signature": "function openai_webhook_events._verify",
    },
    "openai_webhook_events.idempotency": {
        "ACQUIRED": "str",
        "AsyncIdempotencyStore": "class openai_webhook_events.idempotency",
        "AsyncRedisStore": "class openai_webhook_events.idempotency",
        "COMPLETED": "str",
        "Claim": "class openai_webhook_events.idempotency",
        "DEFAULT_LEASE": "float",
        "DEFAULT_RETENTION": "float",
        "DynamoDBStore": "class openai_webhook_events.idempotency",
        "IN_PROGRESS": "str",
        "Idempotency": "class openai_webhook_events.idempotency",
        "IdempotencyStore": "class openai_webhook_events.idempotency",
        "MINIMUM_RETENTION": "float",
        "MemoryStore": "class openai_webhook_events.idempotency",
        "RedisStore": "class openai_webhook_events.idempotency",
        "SKEW_MARGIN": "float",
        "SQLiteStore": "class openai_webhook_events.idempotency",
    },
    "openai_webhook_events.queue": {
        "DeadLetter": "alias",
        "HandOff": "class openai_webhook_events.queue",
        "QueuedDelivery": "class openai_webhook_events.queue",
        "SQSQueue": "class openai_webhook_events.queue",
        "sqs_deliveries": "function openai_webhook_events.queue",
        "sqs_id": "function openai_webhook_events.queue",
    },
    "openai_webhook_events.testing": {
        "LAMBDA_SHAPES": "tuple",
        "LambdaShape": "alias",
        "lambda_event": "function openai_webhook_events.testing",
        "make_event": "function openai_webhook_events.testing",
        "make_payload": "function openai_webhook_events.testing",
        "signed_request": "function openai_webhook_events.testing",
    },
    "openai_webhook_events.aws_lambda": {
        "Headers": "class openai_webhook_events.aws_lambda",
        "LambdaRequest": "class openai_webhook_events.aws_lambda",
        "lambda_handler": "function openai_webhook_events.aws_lambda",
        "read_request": "function openai_webhook_events.aws_lambda",
        "response": "function openai_webhook_events.aws_lambda",
        "response_for_error": "function openai_webhook_events.aws_lambda",
        "sqs_handler": "function openai_webhook_events.aws_lambda",
        "unwrap": "function openai_webhook_events.aws_lambda",
    },
    "openai_webhook_events.wsgi": {
        "app": "function openai_webhook_events.wsgi",
    },
    "openai_webhook_events.asgi": {
        "ASGIApp": "alias",
        "DEFAULT_STORE_TIMEOUT": "float",
        "app": "function openai_webhook_events.asgi",
    },
}
"""Each public module's public names and what each one is, as on main before the modules were regrouped."""


def describe(value: object) -> str:
    """``class M`` or ``function M`` (*M* its ``__module__``), ``alias`` for a typing construct, else its type."""
    if isinstance(value, types.GenericAlias):  # before the class test: on 3.10 ``Callable[...]`` passes it
        return "alias"
    if isinstance(value, type):
        return f"class {value.__module__}"
    if isinstance(value, types.FunctionType):
        return f"function {value.__module__}"
    if type(value).__module__ in ("typing", "types"):
        return "alias"
    return type(value).__name__


@pytest.mark.parametrize("module", sorted(PUBLIC_API))
def test_a_public_module_publishes_exactly_the_names_written_here(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(PUBLIC_API[module])
    assert len(set(imported.__all__)) == len(imported.__all__), "a name listed twice"


@pytest.mark.parametrize("module", sorted(PUBLIC_API))
def test_each_public_object_is_of_the_kind_and_module_written_here(module: str) -> None:
    imported = importlib.import_module(module)
    shown = {name: describe(getattr(imported, name)) for name in imported.__all__}
    assert shown == PUBLIC_API[module]


def test_describe_tells_classes_functions_aliases_and_values_apart() -> None:
    from collections.abc import Callable
    from typing import Literal, Protocol

    class Shape(Protocol): ...

    assert [describe(value) for value in (Callable[[int], int], list[int], Literal["a"], Shape, describe, 1.5)] == [
        "alias",
        "alias",
        "alias",
        f"class {__name__}",
        f"function {__name__}",
        "float",
    ]


def _package_modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed, by its dotted name (``openai_webhook_events.idempotency._base``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = [PACKAGE.name, *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = ast.parse(path.read_text())
    return found


MODULES = _package_modules()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _run_time_nodes(node: ast.AST) -> list[ast.AST]:
    """*node* and every node under it but those under an ``if TYPE_CHECKING:``."""
    found = [node]
    for child in ast.iter_child_nodes(node):
        if not _is_type_checking(child):
            found += _run_time_nodes(child)
    return found


def _defines_all(tree: ast.Module) -> bool:
    targets = [
        target
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    return any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets)


def test_only_the_public_modules_define_all() -> None:
    assert sorted(name for name, tree in MODULES.items() if _defines_all(tree)) == sorted(PUBLIC_API)


def test_the_package_star_imports_nothing_at_run_time() -> None:
    starred = sorted(
        name
        for name, tree in MODULES.items()
        for node in _run_time_nodes(tree)
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)
    )
    assert starred == []


def test_the_root_imports_each_lazy_name_for_type_checkers_from_the_module_of_the_map() -> None:
    root = MODULES[PACKAGE.name]
    typed = {
        alias.asname or alias.name: node.module
        for block in root.body
        if _is_type_checking(block)
        for node in ast.walk(block)
        if isinstance(node, ast.ImportFrom) and node.module != "_models"
        for alias in node.names
    }
    assert typed == openai_webhook_events._LAZY


def test_a_stand_in_waits_in_the_root_for_each_payload_module_the_events_name() -> None:
    named = _models.PAYLOAD_MODULES
    assert named == {"_agent_models", "_call_models", "_safety_models"}
    assert named <= set(openai_webhook_events._LAZY.values())


def test_the_root_publishes_every_event_class_of_the_union() -> None:
    events = typing.get_args(openai_webhook_events.WebhookEvent)
    assert len(events) == len(openai_webhook_events.EVENT_TYPES) + 1  # and UnknownWebhookEvent
    assert all(getattr(openai_webhook_events, cls.__name__) is cls for cls in events)
    assert {cls.__name__ for cls in events} <= set(openai_webhook_events.__all__)
