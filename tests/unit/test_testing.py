"""The test helpers users get: ``openai_webhook_events.testing``.

Every known event type (the registry's, checked against the contract's list)
is made from its shipped example; signed requests verify with ``Webhook``;
each Lambda shape reads like the real AWS sample of its integration and is
answered by ``aws_lambda.lambda_handler``; every error is the package's own.
"""

from __future__ import annotations

import base64
import copy
import datetime
import ipaddress
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openai_webhook_events import (
    EVENT_TYPES,
    AgentSessionActionRequiredWebhookEvent,
    InvalidEventError,
    ResponseCompletedWebhookEvent,
    Router,
    UnknownEventTypeError,
    UnknownWebhookEvent,
    Webhook,
    WebhookConfigurationError,
    WebhookEvent,
    aws_lambda,
    parse_event,
)
from openai_webhook_events.testing import (
    LAMBDA_SHAPES,
    LambdaShape,
    lambda_event,
    make_event,
    make_payload,
    signed_request,
)
from tests.strategies import EVENT_TYPE_NAMES, EXAMPLES_DIR, LAMBDA_EVENTS_DIR, hmac_signature, whsec

KEY = b"helpers test secret, 32 bytes..."
SECRET = whsec(KEY)
NOW = 1_750_000_000

SAMPLES = {
    "api-gateway-v1": "apiGatewayProxyEvent.json",
    "api-gateway-v2": "apiGatewayProxyV2Event.json",
    "function-url": "lambdaFunctionUrlEvent.json",
    "alb": "albEvent.json",
    "alb-multi-value": "albMultiValueHeadersEvent.json",
}
"""The real AWS request event of each shape (tests/data/lambda-events/)."""


# --- make_payload and make_event ----------------------------------------------------------------


def example_payload(event_type: str) -> dict[str, Any]:
    """The example file of *event_type*, read here (tests/strategies.py's example_payload is make_payload)."""
    return json.loads((EXAMPLES_DIR / f"{event_type}.json").read_text())


def test_the_registry_covers_the_contract_and_every_type_has_a_shipped_example() -> None:
    assert sorted(EVENT_TYPES) == EVENT_TYPE_NAMES
    assert sorted(path.stem for path in EXAMPLES_DIR.glob("*.json")) == EVENT_TYPE_NAMES


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_make_event_of_every_type_is_parse_event_of_its_example(event_type: str) -> None:
    expected = parse_event(example_payload(event_type))
    assert make_payload(event_type) == example_payload(event_type)
    assert make_event(event_type) == expected
    made = make_event(EVENT_TYPES[event_type])  # the class form
    assert type(made) is EVENT_TYPES[event_type]
    assert made == expected


def test_make_payload_is_deterministic_and_a_fresh_copy_each_call() -> None:
    first = make_payload("agent.session.action_required")
    first["data"]["required_action"]["type"] = "changed"
    first["id"] = "changed"
    assert make_payload("agent.session.action_required") == example_payload("agent.session.action_required")
    assert make_payload("agent.session.action_required") is not make_payload("agent.session.action_required")


def test_top_level_overrides_replace_their_fields() -> None:
    event = make_event(ResponseCompletedWebhookEvent, id="evt_mine", created_at=1_800_000_000)
    assert (event.id, event.created_at) == ("evt_mine", 1_800_000_000)
    assert event.data == make_event(ResponseCompletedWebhookEvent).data


def test_a_data_mapping_is_merged_into_the_examples_data() -> None:
    event = make_event(AgentSessionActionRequiredWebhookEvent, data={"id": "sess_mine"})
    assert event.data.id == "sess_mine"
    assert event.data.required_action == make_event(AgentSessionActionRequiredWebhookEvent).data.required_action


def test_any_other_data_value_replaces_data_whole() -> None:
    assert make_payload("batch.failed", data=None)["data"] is None
    assert make_payload("batch.failed", data=[1])["data"] == [1]


def test_make_payload_can_build_invalid_payloads_and_make_event_rejects_them_at_their_path() -> None:
    payload = make_payload("response.completed", data={"id": 5})
    assert payload["data"] == {"id": 5}
    with pytest.raises(InvalidEventError) as caught:
        make_event("response.completed", data={"id": 5})
    assert caught.value.path == "data.id"
    assert make_event("batch.failed", data={}) == make_event("batch.failed")  # a merge keeps the example's keys
    with pytest.raises(InvalidEventError) as nulled:
        make_event("batch.failed", data=None)
    assert nulled.value.path == "data"


def test_make_payload_sets_any_top_level_key_type_included() -> None:
    payload = make_payload("response.completed", type="response.teleported", extra={"a": 1})
    assert payload["type"] == "response.teleported"
    assert payload["extra"] == {"a": 1}
    unknown = parse_event(payload)
    assert type(unknown) is UnknownWebhookEvent
    assert make_event("response.completed", extra={"a": 1}) == make_event("response.completed")  # ignored, as OpenAI's


def test_make_event_takes_the_type_from_its_first_argument_only() -> None:
    with pytest.raises(WebhookConfigurationError, match="first argument"):
        make_event("response.completed", type="batch.failed")


def test_make_event_refuses_type_with_a_message_that_names_it_and_says_where_the_type_goes() -> None:
    for event_type in ("response.completed", ResponseCompletedWebhookEvent):
        with pytest.raises(WebhookConfigurationError) as caught:
            make_event(event_type, type="response.completed")  # even the same type
        assert str(caught.value) == "make_event takes the event type as its first argument, not type="


def test_an_unknown_event_type_string_raises_unknown_event_type_error() -> None:
    for helper in (make_payload, make_event):
        with pytest.raises(UnknownEventTypeError) as caught:
            helper("response.complete")
        assert caught.value.event_type == "response.complete"
        assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("event_type", "shown"),
    [
        (UnknownWebhookEvent, "<class 'openai_webhook_events.UnknownWebhookEvent'>"),
        (dict, "<class 'dict'>"),
        (5, "5"),
        (None, "None"),
        (b"response.completed", "b'response.completed'"),
        ([], "[]"),  # unhashable
        ({"a": 1}, "{'a': 1}"),
    ],
)
def test_anything_else_than_a_known_type_or_its_class_is_refused_naming_what_was_given(
    event_type: Any, shown: str
) -> None:
    for helper in (make_payload, make_event):
        with pytest.raises(WebhookConfigurationError) as caught:
            helper(event_type)
        assert str(caught.value) == f"event_type must be a known event type or its event class, not {shown}"


# --- signed_request -----------------------------------------------------------------------------


def _reference_check(body: bytes, headers: dict[str, str]) -> None:
    """The signature is the tests' own HMAC of id.timestamp.body (not the package's code)."""
    expected = hmac_signature(KEY, headers["webhook-id"], headers["webhook-timestamp"], body)
    assert headers["webhook-signature"] == expected


@pytest.mark.parametrize(
    "payload",
    [
        make_payload("realtime.call.incoming"),
        make_event("realtime.call.incoming"),
        json.dumps(make_payload("realtime.call.incoming"), indent=2).encode(),
        json.dumps(make_payload("realtime.call.incoming"), ensure_ascii=False),
        bytearray(json.dumps(make_payload("realtime.call.incoming")).encode()),
    ],
    ids=["dict", "event", "bytes", "str", "bytearray"],
)
def test_signed_request_verifies_and_unwraps_to_the_event(payload: Any) -> None:
    body, headers = signed_request(payload, SECRET)
    assert Webhook(SECRET).unwrap(body, headers) == make_event("realtime.call.incoming")
    _reference_check(body, headers)
    assert headers["content-type"] == "application/json"
    if isinstance(payload, (bytes, bytearray, str)):
        assert body == (payload.encode() if isinstance(payload, str) else bytes(payload))  # sent as given
    else:
        assert json.loads(body) == make_payload("realtime.call.incoming")


def test_signed_request_takes_the_webhook_id_and_timestamp_and_defaults_to_fresh_ones() -> None:
    body, headers = signed_request(make_payload("batch.failed"), SECRET, webhook_id="wh_mine", timestamp=NOW)
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("wh_mine", str(NOW))
    Webhook(SECRET).verify(body, headers, now=NOW)
    first, second = (signed_request(b"{}", SECRET)[1] for _ in range(2))
    assert first["webhook-id"].startswith("wh_")
    assert first["webhook-id"] != second["webhook-id"]  # a new delivery each call
    Webhook(SECRET).verify(b"{}", first)  # the current time


def test_signed_request_signs_with_the_first_of_rotating_secrets() -> None:
    body, headers = signed_request(b"{}", [SECRET, "whsec_" + "QUJD" * 8])
    _reference_check(body, headers)


def test_a_body_signed_by_the_helpers_can_be_malformed_on_purpose() -> None:
    body, headers = signed_request(b"not json", SECRET)
    answer = aws_lambda.lambda_handler(Webhook(SECRET), Router())(lambda_event(b"not json", SECRET), None)
    assert answer["statusCode"] == 400
    Webhook(SECRET).verify(body, headers)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"x": float("nan")}, "cannot be encoded as JSON"),
        ({"x": object()}, "cannot be encoded as JSON"),
        ("\ud800", "not encodable as UTF-8"),
        (5, "payload must be a dict, an event, bytes or str, not int"),
        ([1, 2], "payload must be a dict, an event, bytes or str, not list"),
    ],
)
def test_signed_request_rejects_an_unsendable_payload_with_a_configuration_error(payload: Any, reason: str) -> None:
    with pytest.raises(WebhookConfigurationError, match=reason):
        signed_request(payload, SECRET)


def test_signed_request_rejects_bad_secrets_ids_and_timestamps_without_showing_the_secret() -> None:
    api_key = "sk-proj-" + "x" * 40
    with pytest.raises(WebhookConfigurationError, match="API key") as caught:
        signed_request(b"{}", api_key)
    assert api_key not in str(caught.value)
    with pytest.raises(WebhookConfigurationError, match="webhook_id"):
        signed_request(b"{}", SECRET, webhook_id="a,b")
    with pytest.raises(WebhookConfigurationError, match="timestamp"):
        signed_request(b"{}", SECRET, timestamp=-1)


@pytest.mark.parametrize("helper", [signed_request, lambda_event])
def test_no_frame_of_a_helpers_traceback_holds_the_secret(helper: Any) -> None:
    with pytest.raises(WebhookConfigurationError) as caught:
        helper(b"{}", SECRET, webhook_id="")
    frames = [frame for frame, _ in traceback.walk_tb(caught.value.__traceback__)]
    assert any(frame.f_code.co_name == helper.__name__ for frame in frames)
    for frame in frames:
        assert SECRET not in frame.f_locals.values(), frame.f_code.co_name
        assert KEY not in frame.f_locals.values(), frame.f_code.co_name


# --- lambda_event -------------------------------------------------------------------------------


def _sample(shape: str) -> dict[str, Any]:
    return json.loads((LAMBDA_EVENTS_DIR / SAMPLES[shape]).read_text())


SHAPES_AND_ENCODINGS = [(shape, encoded) for shape in LAMBDA_SHAPES for encoded in (False, True)]


@pytest.mark.parametrize("shape", LAMBDA_SHAPES)
def test_each_shape_has_the_top_level_keys_of_the_real_sample(shape: LambdaShape) -> None:
    event = lambda_event(make_payload("batch.failed"), SECRET, shape=shape)
    sample = _sample(shape)
    assert set(event) == set(sample) | {"body"}  # the function URL sample is a GET without a body
    assert set(event["requestContext"]) <= set(sample["requestContext"])
    assert json.loads(json.dumps(event)) == event  # JSON values only, as Lambda delivers them


@pytest.mark.parametrize("shape", LAMBDA_SHAPES)
def test_each_shape_is_a_post_of_its_samples_version_with_the_host_header_api_gateway_adds(shape: LambdaShape) -> None:
    event = lambda_event(make_payload("batch.failed"), SECRET, shape=shape)
    sample, context = _sample(shape), event["requestContext"]
    assert event.get("version") == sample.get("version")  # "1.0", "2.0", or none for an ALB
    methods = [context["http"]["method"]] if "http" in context else [event["httpMethod"]]
    if shape == "api-gateway-v1":
        methods.append(context["httpMethod"])
        assert event["multiValueHeaders"]["host"] == [context["domainName"]]
        # API Gateway's extended request id (its x-amz-apigw-id header): base64 text ending in "="
        assert re.fullmatch(r"[A-Za-z0-9+/]+=", context["extendedRequestId"])
    assert methods == ["POST"] * len(methods)
    if shape.startswith(("api-gateway", "function-url")):
        assert event["headers"]["host"] == context["domainName"]
    else:  # an ALB's request has no domain in its context, and the helper adds no Host header
        assert "host" not in event.get("headers", event.get("multiValueHeaders", {}))


def _leaves(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    """Each ``(path, value)`` of a JSON object's leaves (an empty object is a leaf)."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    else:
        yield path, value


CONSTANT_FIELDS = {("version",), ("routeKey",), ("requestContext", "routeKey"), ("requestContext", "protocol")}
"""What is the same in every request event of an integration (the default route, over HTTP/1.1)."""


@pytest.mark.parametrize("shape", LAMBDA_SHAPES)
def test_each_shapes_fields_are_the_samples_fields_with_values_of_their_kind(shape: LambdaShape) -> None:
    event = lambda_event(make_payload("batch.failed"), SECRET, shape=shape)
    sample = _sample(shape)
    multi = {name: values[0] for name, values in event.pop("multiValueHeaders", {}).items()}
    headers = event.pop("headers", multi)
    for name in ("body", "isBase64Encoded"):
        del event[name]
    constants = {*CONSTANT_FIELDS, ("requestContext", "http", "protocol")}
    if event.get("version") == "2.0":  # an HTTP API's $default stage; a function URL has no other
        constants.add(("requestContext", "stage"))
    for path, value in _leaves(event):
        expected: Any = sample
        for key in path:
            assert key in expected, (shape, path)  # a field of the real event, spelled as AWS does
            expected = expected[key]
        if value is None:  # payload 1.0 gives null for what the request has not; the others, an empty value
            assert event.get("version") == "1.0", (shape, path)
        elif expected is not None:
            assert type(value) is type(expected), (shape, path)
        if path in constants:
            assert value == expected, (shape, path)
    assert event.get("rawQueryString", "") == ""  # a POST without a query string
    context, sample_context = event["requestContext"], sample["requestContext"]
    if "elb" in context:
        return
    client = context["http"] if "http" in context else context["identity"]
    assert context.get("timeEpoch", context.get("requestTimeEpoch")) == int(headers["webhook-timestamp"]) * 1000
    ipaddress.ip_address(client["sourceIp"])
    assert client["userAgent"] == headers.get("user-agent", "" if "http" in context else None)  # none sent
    # the API's (or the function URL's) id in the domain of the sample's kind
    domain = sample_context["domainName"].removeprefix(sample_context["domainPrefix"])
    assert context["domainName"] == context["domainPrefix"] + domain == context["apiId"] + domain
    # a function URL without authentication says "anonymous"; API Gateway, the API owner's account
    assert re.fullmatch(r"anonymous" if shape == "function-url" else r"[0-9]{12}", context["accountId"])
    if shape == "api-gateway-v1":  # the path as the client sent it: the stage, then the resource's path
        assert context["path"] == f"/{context['stage']}{context['resourcePath']}"
        assert context["resourcePath"] == event["resource"] == event["path"]
        assert re.fullmatch(r"[a-z0-9]{6,10}", context["resourceId"])  # API Gateway's resource ids


@pytest.mark.parametrize(("shape", "encoded"), SHAPES_AND_ENCODINGS)
def test_read_request_reads_the_signed_body_and_headers_of_each_shape(shape: LambdaShape, encoded: bool) -> None:
    payload = make_payload("response.completed")
    event = lambda_event(payload, SECRET, shape=shape, base64=encoded, webhook_id="wh_lambda", timestamp=NOW)
    body, headers = signed_request(payload, SECRET, webhook_id="wh_lambda", timestamp=NOW)
    request = aws_lambda.read_request(event)
    assert request.body == body
    assert {name: request.headers[name] for name in headers} == headers
    assert event["isBase64Encoded"] is encoded
    assert request.integration == {"api-gateway-v1": "api-gateway-v1", "alb": "alb", "alb-multi-value": "alb"}.get(
        shape, "api-gateway-v2"
    )
    assert request.multi_value_headers is (shape in ("api-gateway-v1", "alb-multi-value"))


@pytest.mark.parametrize(("shape", "encoded"), SHAPES_AND_ENCODINGS)
def test_lambda_handler_answers_200_to_each_shape_and_401_once_tampered(shape: LambdaShape, encoded: bool) -> None:
    seen: list[WebhookEvent] = []
    router = Router()
    router.fallback(seen.append)
    handler = aws_lambda.lambda_handler(Webhook(SECRET), router)
    event = lambda_event(make_event("live.call.incoming"), SECRET, shape=shape, base64=encoded)
    assert handler(event, None)["statusCode"] == 200
    assert seen == [make_event("live.call.incoming")]
    tampered = copy.deepcopy(event)
    body = aws_lambda.read_request(event).body.replace(b'"evt_', b'"evt_x', 1)
    tampered["body"] = base64.b64encode(body).decode() if encoded else body.decode()
    assert tampered["body"] != event["body"]
    answer = handler(tampered, None)
    assert answer["statusCode"] == 401
    assert seen == [make_event("live.call.incoming")]  # nothing more handled


def test_the_request_time_follows_the_webhook_timestamp() -> None:
    event = lambda_event(b"{}", SECRET, shape="api-gateway-v1", timestamp=NOW)
    context = event["requestContext"]
    assert context["requestTimeEpoch"] == NOW * 1000
    expected = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
    assert context["requestTime"] == expected == "15/Jun/2025:15:06:40 +0000"
    assert lambda_event(b"{}", SECRET, shape="function-url", timestamp=NOW)["requestContext"]["time"] == expected


def test_a_body_that_is_not_utf8_needs_base64_and_is_then_answered_400() -> None:
    with pytest.raises(WebhookConfigurationError, match="base64=True"):
        lambda_event(b"\xff", SECRET)
    event = lambda_event(b"\xff", SECRET, base64=True)
    assert aws_lambda.lambda_handler(Webhook(SECRET), Router())(event, None)["statusCode"] == 400


@pytest.mark.parametrize(
    ("options", "reason"),
    [({"shape": "rest"}, "shape must be one of api-gateway-v1, "), ({"base64": 1}, "base64 must be a bool")],
)
def test_lambda_event_rejects_unknown_shapes_and_options(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(WebhookConfigurationError, match=reason):
        lambda_event(b"{}", SECRET, **options)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: signed_request("{\ud800}", SECRET), "payload is not encodable as UTF-8 (a lone surrogate)"),
        (
            lambda: lambda_event(b"{}", SECRET, shape="rest"),  # type: ignore[arg-type]
            "shape must be one of api-gateway-v1, api-gateway-v2, function-url, alb, alb-multi-value, not 'rest'",
        ),
        (lambda: lambda_event(b"{}", SECRET, base64=1), "base64 must be a bool, not 1"),  # type: ignore[arg-type]
        (lambda: lambda_event(b"\xff", SECRET), "the body is not UTF-8 text: pass base64=True to send it"),
    ],
    ids=["lone surrogate", "shape", "base64", "not utf-8"],
)
def test_the_helpers_configuration_errors_say_what_was_given_and_what_to_do(call: Any, message: str) -> None:
    with pytest.raises(WebhookConfigurationError) as caught:
        call()
    assert str(caught.value) == message


# --- What the helpers return, and how they load -------------------------------------------------


def test_everything_the_helpers_return_survives_pickle() -> None:
    for value in (
        make_payload("realtime.call.incoming"),
        make_event("realtime.call.incoming"),
        signed_request(make_event("batch.failed"), SECRET),
        lambda_event(make_event("batch.failed"), SECRET, shape="alb-multi-value"),
    ):
        assert pickle.loads(pickle.dumps(value)) == value


def test_importing_the_package_does_not_import_the_helpers() -> None:
    code = "import sys, openai_webhook_events; print('openai_webhook_events.testing' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


# --- The README's section ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _run_readme_test(folder: Path, code: str) -> str:
    """Run the README's test file *code* with pytest in a new *folder*, beside examples/lambda_function.py."""
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "lambda_function.py", folder)
    (folder / "test_my_function.py").write_text(code)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "WEBHOOK_"))}
    result = subprocess.run(  # its own folder: no ini file, so none of this repository's pytest options
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_function.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


def test_the_readmes_test_of_the_lambda_example_passes_as_written_and_can_fail(tmp_path: Path) -> None:
    section = (ROOT / "README.md").read_text().split("## Testing your handlers", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    code = found.group(1)
    assert "2 passed" in _run_readme_test(tmp_path / "as-written", code)
    line = 'os.environ["OPENAI_WEBHOOK_SECRET"] = SECRET'
    assert line in code
    other = code.replace(
        line, 'os.environ["OPENAI_WEBHOOK_SECRET"] = "whsec_YSB0aGlyZCBzZWNyZXQsIG5vdCB0aGUgZnVuY3Rpb24ncw=="'
    )
    # The function's secret differs: the 200 test fails, the forgery is still refused.
    assert "1 failed, 1 passed" in _run_readme_test(tmp_path / "other-secret", other)


def test_a_mapping_or_an_event_is_sent_as_compact_json() -> None:
    payload = make_payload("batch.completed")
    compact = json.dumps(payload, separators=(",", ":")).encode()
    assert signed_request(payload, SECRET)[0] == compact
    from_event = signed_request(make_event("batch.completed"), SECRET)[0]
    assert json.loads(from_event) == payload
    assert from_event == json.dumps(json.loads(from_event), separators=(",", ":")).encode()
