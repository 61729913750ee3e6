"""The public API, written out: every public module's public names, and each public object's kind and ``__module__``.

A refactor must leave :data:`PUBLIC_API` true; adding, removing or moving a public name is an explicit edit here.
A module's public names are its ``__all__``; a class or function is shown with its ``__module__`` (where
``pickle``, ``repr`` and ``help`` find it), a typing construct as ``alias``, any other value by its type.
"""

from __future__ import annotations

import importlib
import types

import pytest

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
        "MAX_UNSETTLED": "int",
        "MINIMUM_RETENTION": "float",
        "MemoryStore": "class openai_webhook_events.idempotency",
        "RedisStore": "class openai_webhook_events.idempotency",
        "SETTLE_PAUSE": "float",
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
