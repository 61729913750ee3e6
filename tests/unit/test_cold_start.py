"""What an HTTP Lambda function's cold start leaves out, and the shared pieces that stand in for generated ones.

bench/coldstart.py measures the cold start; these tests hold the behaviour its
cuts rely on: the Lambda handler reads a request event without the request
types (which load on first use), event fields and parsers are made on first
use, and the shared ``__hash__`` is the one ``dataclass`` would generate.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import pickle
import subprocess
import sys
import typing
from typing import Any

import pytest

from openai_webhook_events import (
    EVENT_TYPES,
    ResourceData,
    ResponseCompletedWebhookEvent,
    UnknownWebhookEvent,
    parse_event,
    testing,
)
from openai_webhook_events import aws_lambda as lambda_module
from openai_webhook_events._checks import field_hash
from openai_webhook_events._delivery import Delivery
from openai_webhook_events._response import JSON_HEADER, Response
from tests.strategies import EVENT_TYPE_NAMES, example_payload

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _run(code: str) -> str:
    """*code* run by a fresh interpreter that imports this checkout's package; its output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_http_lambda_handler_answers_without_the_request_types_delivery_or_idempotency_loaded() -> None:
    code = (
        "import sys\n"
        "from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, aws_lambda, testing\n"
        "router = Router()\n"
        "seen = []\n"
        "router.on(ResponseCompletedWebhookEvent)(seen.append)\n"
        f"event = testing.lambda_event(testing.make_payload('response.completed'), {SECRET!r})\n"
        f"answer = aws_lambda.lambda_handler(Webhook({SECRET!r}), router)(event, None)\n"
        "assert (answer['statusCode'], len(seen)) == (200, 1), answer\n"
        f"assert aws_lambda.unwrap(Webhook({SECRET!r}), event) == seen[0]\n"
        "print(sorted({'_lambda_request', '_delivery', '_hand_off', 'idempotency', 'idempotency._base'}"
        " & {n[22:] for n in sys.modules}))\n"
        "request = aws_lambda.read_request(event)\n"
        "print(type(request).__name__, type(request.headers).__name__, request.integration)\n"
    )
    assert _run(code).split() == ["[]", "LambdaRequest", "Headers", "api-gateway-v1"]


def test_the_request_types_keep_their_public_home_and_annotations_that_resolve_there() -> None:
    request = lambda_module.read_request(testing.lambda_event(testing.make_payload("batch.failed"), SECRET))
    assert type(request) is lambda_module.LambdaRequest
    assert (lambda_module.LambdaRequest.__module__, lambda_module.Headers.__module__) == (
        lambda_module.__name__,
        lambda_module.__name__,
    )
    hints = typing.get_type_hints(lambda_module.LambdaRequest)
    assert hints == {
        "body": bytes,
        "headers": lambda_module.Headers,
        "integration": lambda_module.Integration,
        "multi_value_headers": bool,
    }
    assert typing.get_type_hints(lambda_module.read_request)["return"] is lambda_module.LambdaRequest


def test_read_request_hints_resolve_in_a_fresh_interpreter_where_nothing_loaded_the_request_types() -> None:
    code = (
        "import typing\n"
        "from openai_webhook_events import aws_lambda\n"
        "hints = typing.get_type_hints(aws_lambda.read_request)\n"
        "print(hints['return'] is aws_lambda.LambdaRequest, hints['event'] is object)\n"
        "print(aws_lambda.read_request.__module__)\n"
    )
    assert _run(code).split() == ["True", "True", "openai_webhook_events.aws_lambda"]


def test_a_lambda_request_survives_pickle_copy_asdict_and_replace() -> None:
    request = lambda_module.read_request(testing.lambda_event(testing.make_payload("batch.failed"), SECRET))
    for duplicate in (pickle.loads(pickle.dumps(request)), copy.copy(request), copy.deepcopy(request)):
        assert duplicate == request
        assert duplicate.headers.pairs() == request.headers.pairs()
    assert dataclasses.asdict(request)["body"] == request.body
    assert dataclasses.replace(request, body=b"{}") == lambda_module.LambdaRequest(
        b"{}", request.headers, request.integration, request.multi_value_headers
    )


def test_the_lambda_module_names_no_other_attribute() -> None:
    name = "Request"
    with pytest.raises(AttributeError, match="has no attribute 'Request'"):
        getattr(lambda_module, name)


def test_a_fresh_import_makes_no_event_fields_and_no_parser_until_first_use() -> None:
    code = (
        "import openai_webhook_events as owe\n"
        "from openai_webhook_events import _parse, testing\n"
        "cls = owe.BatchFailedWebhookEvent\n"
        "print(type(vars(cls)['__dataclass_fields__']).__name__)\n"
        "parser = _parse._PARSERS['batch.failed']\n"
        "owe.parse_event(testing.make_payload('batch.failed'))\n"
        "print(_parse._PARSERS['batch.failed'] is parser, type(vars(cls)['__dataclass_fields__']).__name__)\n"
    )
    assert _run(code).split() == ["_DeferredFields", "False", "dict"]


def _assert_hashed_by_fields(value: Any) -> None:
    assert getattr(type(value), "__hash__") is field_hash  # the class's or its envelope's
    assert hash(value) == hash(tuple(getattr(value, field.name) for field in dataclasses.fields(value)))


@pytest.mark.parametrize("payload", [example_payload(name) for name in EVENT_TYPE_NAMES], ids=EVENT_TYPE_NAMES)
def test_the_shared_hash_is_the_hash_of_the_fields_in_order(payload: dict[str, Any]) -> None:
    event = parse_event(payload)
    _assert_hashed_by_fields(event)
    assert hash(event) == hash(parse_event(dict(payload)))


def test_the_resource_data_unknown_events_and_deliveries_share_that_hash() -> None:
    unknown = parse_event({"id": "evt_1", "created_at": 1, "type": "brand.new", "data": {"a": [1]}})
    resource = parse_event(example_payload("batch.failed")).data
    delivery = Delivery("msg_1", 1, 2.5, 3.5, "key")
    for value in (unknown, resource, delivery):
        _assert_hashed_by_fields(value)
    assert isinstance(unknown, UnknownWebhookEvent)
    assert hash(delivery) == hash(dataclasses.replace(delivery))
    assert hash(delivery) != hash(dataclasses.replace(delivery, idempotency_key="other"))
    assert set(EVENT_TYPES) == set(EVENT_TYPE_NAMES)


def test_a_response_pickles_matches_and_names_its_field_types() -> None:
    answer = Response(409, "in progress", (JSON_HEADER, ("retry-after", "3")))
    for duplicate in (pickle.loads(pickle.dumps(answer)), copy.copy(answer), copy.deepcopy(answer)):
        assert duplicate == answer
    match answer:
        case Response(409, message, headers):
            assert (message, headers[1]) == ("in progress", ("retry-after", "3"))
        case _:
            pytest.fail("Response's positional pattern does not match its fields")
    assert typing.get_type_hints(Response) == {"status": int, "message": str, "headers": tuple[tuple[str, str], ...]}


def test_an_event_class_is_not_generic_while_its_base_names_its_payload_and_type() -> None:
    cls: Any = ResponseCompletedWebhookEvent
    with pytest.raises(TypeError, match=r"ResponseCompletedWebhookEvent'> is not a generic class$"):
        cls[ResourceData, typing.Literal["response.completed"]]
    assert cls.__parameters__ == ()
    assert cls.__orig_bases__[0].__args__ == (ResourceData, typing.Literal["response.completed"])


def _generated_twin(cls: type[Any]) -> type[Any]:
    """A class of *cls*'s name, fields and slots whose methods ``dataclass(frozen=True)`` generated itself."""
    fields = [(field.name, field.type, field) for field in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, slots="__slots__" in vars(cls))


def _assert_as_generated(value: Any) -> None:
    cls = type(value)
    twin = _generated_twin(cls)
    values = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    written = next(base for base in cls.__mro__ if "__init__" in vars(base))  # an event's: its envelope's
    assert inspect.signature(written).parameters == inspect.signature(_generated_twin(written)).parameters
    assert repr(cls.__dataclass_params__) == repr(twin.__dataclass_params__)  # init, repr, eq recorded as made
    assert cls(**values) == value
    assert hash(cls(**values)) == hash(value) == hash(twin(**values))
    assert repr(value) == repr(twin(**values))
    assert value.__eq__(twin(**values)) is NotImplemented  # another class: the other operand decides
    first = dataclasses.fields(value)[0].name
    changed = dataclasses.replace(value, **{first: 0})
    assert value != changed
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"^cannot assign to field '{first}'$"):
        setattr(changed, first, "other")


def test_a_response_has_the_init_repr_eq_and_hash_a_frozen_dataclass_generates() -> None:
    _assert_as_generated(Response(409, "in progress", (JSON_HEADER, ("retry-after", "3"))))
    _assert_as_generated(Response(200, "ok"))


@pytest.mark.parametrize("event_type", ["response.completed", "batch.failed", "health.alert.resolved", "brand.new"])
def test_event_classes_have_the_init_repr_eq_and_hash_a_frozen_dataclass_generates(event_type: str) -> None:
    payload = (
        testing.make_payload(event_type)
        if event_type in EVENT_TYPES
        else {"id": "e", "created_at": 1, "type": event_type}
    )
    event = parse_event(payload)
    _assert_as_generated(event)
    if isinstance(event.data, ResourceData):
        _assert_as_generated(event.data)
