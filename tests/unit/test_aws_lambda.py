"""aws_lambda: reading deliveries out of real Lambda request events, responses, and examples/lambda_function.py."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    InvalidPayloadError,
    ResponseCompletedWebhookEvent,
    Router,
    SignatureMismatchError,
    TimestampOutOfRangeError,
    UnknownEventTypeError,
    UnknownWebhookEvent,
    Webhook,
    WebhookEvent,
    aws_lambda,
    parse_event,
)
from openai_webhook_events.aws_lambda import Headers, read_request, response
from tests.example_modules import load_example
from tests.helpers import records
from tests.strategies import (
    LAMBDA_EVENTS_DIR,
    LAMBDA_TEMPLATES,
    example_payload,
    hmac_signature,
    lambda_deliveries,
    lambda_event,
    whsec,
)

SECRET_BYTES = b"lambda test secret, 32 bytes...."
SECRET = whsec(SECRET_BYTES)
TEMPLATES = sorted(LAMBDA_TEMPLATES)
ALB_TEMPLATES = [t for t in TEMPLATES if LAMBDA_TEMPLATES[t].startswith("alb")]


def _template(name: str, **fields: Any) -> dict[str, Any]:
    """AWS's sample event *name*, with *fields* set."""
    event: dict[str, Any] = json.loads((LAMBDA_EVENTS_DIR / name).read_text())
    return {**event, **fields}


def signed_headers(body: bytes, *, webhook_id: str = "wh_123", timestamp: int | None = None) -> list[tuple[str, str]]:
    """The three Standard Webhooks headers for *body*, in the canonical ``Webhook-Id`` casing."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return [
        ("Webhook-Id", webhook_id),
        ("Webhook-Timestamp", str(timestamp)),
        ("Webhook-Signature", hmac_signature(SECRET_BYTES, webhook_id, timestamp, body)),
    ]


def delivery(template: str, payload: Any, *, base64_body: bool = False, decoy: bool = False) -> dict[str, Any]:
    """A Lambda request event of kind *template* carrying *payload*, signed with SECRET.

    With *decoy*, the signature header is sent twice: a wrong signature first, the right one last.
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(body)
    if decoy:
        headers.insert(2, ("Webhook-Signature", "v1," + base64.b64encode(b"x" * 32).decode()))
    return lambda_event(template, body, headers, base64_body=base64_body)


# --- read_request --------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("base64_body", [False, True])
def test_read_request_returns_the_exact_body_bytes_and_the_headers(template: str, base64_body: bool) -> None:
    body = '{"id": "evt_1",\n "note": "caf\u00e9 \u2603"}'.encode()
    event = lambda_event(template, body, [("Webhook-Id", "wh_1"), ("X-Extra", "a")], base64_body=base64_body)
    request = read_request(event)
    assert request.body == body
    assert request.headers["webhook-id"] == request.headers["WEBHOOK-ID"] == "wh_1"
    assert request.headers.get_all("x-extra") == ("a",)
    assert "Webhook-Id" in request.headers
    assert "webhook-absent" not in request.headers
    expected = {"rest": "api-gateway-v1", "http": "api-gateway-v2", "alb": "alb", "alb-multi": "alb"}
    assert request.integration == expected[LAMBDA_TEMPLATES[template]]
    assert request.multi_value_headers == (LAMBDA_TEMPLATES[template] in ("rest", "alb-multi"))


def test_read_request_keeps_repeated_headers_of_multi_value_events() -> None:
    request = read_request(_template("apiGatewayProxyEvent.json"))
    assert request.headers.get_all("header2") == ("value1", "value2")
    assert request.headers.get_all("HEADER2") == ("value1", "value2")
    assert request.headers.get_all("absent") == ()
    assert request.headers["Header2"] == "value1, value2"
    assert request.body == b"Hello from Lambda!"
    assert sorted(request.headers) == ["header1", "header2", "origin"]
    assert len(request.headers) == 3
    assert repr(request.headers) == "Headers(['header1', 'header2', 'origin'])"


def test_read_request_uses_headers_when_a_rest_event_has_null_multi_value_headers() -> None:
    event = _template("apiGatewayProxyEvent.json")
    event["multiValueHeaders"] = None
    request = read_request(event)
    assert request.headers.get_all("header2") == ("value2",)
    assert not request.multi_value_headers


def test_read_request_treats_null_headers_as_no_headers() -> None:
    event = _template("apiGatewayProxyV2Event.json")
    event["headers"] = None
    assert len(read_request(event).headers) == 0


def test_header_names_fold_ascii_letters_only() -> None:
    headers = Headers([("WEBHOO\u212a-ID", "kelvin"), ("Webhook-Id", "wh_1"), ("\u00c9TAG", "e")])
    assert list(headers) == ["webhoo\u212a-id", "webhook-id", "\u00c9tag"]  # no Unicode lower-casing
    assert headers["WEBHOOK-ID"] == "wh_1"
    assert "webhoo\u212a-id" in headers
    assert "\u00e9tag" not in headers
    assert headers.get_all("\u00c9TAG") == ("e",)


def test_repeated_headers_are_joined_with_a_comma_as_servers_do() -> None:
    headers = Headers([("webhook-signature", "v1,AAA="), ("Webhook-Signature", "v1,BBB=")])
    assert headers["webhook-signature"] == "v1,AAA=, v1,BBB="
    assert headers.get_all("WEBHOOK-SIGNATURE") == ("v1,AAA=", "v1,BBB=")
    assert headers.pairs() == [("webhook-signature", "v1,AAA="), ("webhook-signature", "v1,BBB=")]


def _without(event: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != key}


NOT_BASE64 = {"bad": "ab$c", "short": "abc", "non-ascii": "\u00e9", "stray-character": "e3$0="}
"""Bodies of events flagged ``isBase64Encoded`` that are not base64, by what is wrong with them."""

BAD_EVENTS: list[tuple[str, Any, str]] = [
    ("not an object", [1, 2], "Lambda event is not an object (got list)"),
    ("None", None, "Lambda event is not an object (got NoneType)"),
    ("unknown shape", {"body": "{}", "headers": {}}, "Lambda event is not an API Gateway, function URL or ALB request"),
    (
        "scheduled event",
        {"source": "aws.events", "detail": {}},
        "Lambda event is not an API Gateway, function URL or ALB request",
    ),
    ("v2 without body", _template("lambdaFunctionUrlEvent.json"), "Lambda event has no body"),
    ("null body", _template("albEvent.json", body=None), "Lambda event has no body"),
    ("missing body", _without(_template("apiGatewayProxyEvent.json"), "body"), "Lambda event has no body"),
    ("non-string body", _template("albEvent.json", body={"id": 1}), "Lambda event body is not a string (got dict)"),
    *(
        (
            f"{what} base64",
            _template("albEvent.json", body=body, isBase64Encoded=True),
            "Lambda event body is not valid base64",
        )
        for what, body in NOT_BASE64.items()
    ),
    ("lone surrogate", _template("albEvent.json", body="\ud800"), "Lambda event body is not valid Unicode text"),
    (
        "isBase64Encoded string",
        _template("albEvent.json", isBase64Encoded="true"),
        "Lambda event field isBase64Encoded is not a boolean",
    ),
    ("headers list", _template("albEvent.json", headers=[["a", "b"]]), "Lambda event field headers is not an object"),
    (
        "header value int",
        _template("albEvent.json", headers={"a": 1}),
        "Lambda event field headers holds a value that is not a string",
    ),
    (
        "header name int",
        _template("apiGatewayProxyV2Event.json", headers={1: "a"}),
        "Lambda event field headers holds a malformed entry",
    ),
    (
        "multi-value not a list",
        _template("albMultiValueHeadersEvent.json", multiValueHeaders={"a": "b"}),
        "Lambda event field multiValueHeaders holds a malformed entry",
    ),
    (
        "multi-value item int",
        _template("apiGatewayProxyEvent.json", multiValueHeaders={"a": [1]}),
        "Lambda event field multiValueHeaders holds a value that is not a string",
    ),
    (
        "multi-value object list",
        _template("apiGatewayProxyEvent.json", multiValueHeaders=["a"]),
        "Lambda event field multiValueHeaders is not an object",
    ),
]


@pytest.mark.parametrize(("what", "event", "reason"), BAD_EVENTS, ids=[case[0] for case in BAD_EVENTS])
def test_read_request_rejects_bad_events_with_a_one_line_invalid_payload_error(
    what: str, event: Any, reason: str
) -> None:
    with pytest.raises(InvalidPayloadError) as caught:
        read_request(event)
    assert str(caught.value) == reason


def test_a_version_2_event_reads_headers_even_with_a_multi_value_headers_field() -> None:
    event = _template("apiGatewayProxyV2Event.json", multiValueHeaders={"x-other": ["1"]})
    request = read_request(event)
    assert (request.integration, request.multi_value_headers) == ("api-gateway-v2", False)
    assert request.headers == read_request(_template("apiGatewayProxyV2Event.json")).headers
    assert "x-other" not in request.headers


def test_an_event_without_is_base64_encoded_has_a_text_body() -> None:
    event = _without(_template("albEvent.json", body='{"a": 1}'), "isBase64Encoded")
    assert read_request(event).body == b'{"a": 1}'


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)
                    | st.dictionaries(st.sampled_from(["body", "headers", "multiValueHeaders", "isBase64Encoded",
                                                       "version", "httpMethod", "requestContext", "elb", "x"]),
                                      c, max_size=5), max_leaves=12))  # fmt: skip
def test_read_request_returns_a_request_or_raises_invalid_payload_error_for_any_json(event: Any) -> None:
    try:
        request = read_request(event)
    except InvalidPayloadError as exc:
        message = str(exc)
        assert "\n" not in message
    else:
        assert isinstance(request.body, bytes)


# --- response --------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(
    ("status", "message"), [(200, "ok"), (400, "invalid payload"), (401, "webhook verification failed")]
)
def test_response_has_the_fields_every_integration_needs(template: str, status: int, message: str) -> None:
    event = _template(template)
    result = response(event, status)
    assert result["statusCode"] == status
    assert json.loads(result["body"]) == {"message": message}
    assert result["isBase64Encoded"] is False
    kind = LAMBDA_TEMPLATES[template]
    if kind.startswith("alb"):
        assert result["statusDescription"] == {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized"}[status]
    else:
        assert "statusDescription" not in result
    if kind == "alb-multi":
        assert result["multiValueHeaders"] == {"content-type": ["application/json"]}
        assert "headers" not in result
    else:
        assert result["headers"] == {"content-type": "application/json"}


@pytest.mark.parametrize("event", [None, [], {"requestContext": "x"}, {"requestContext": {"elb": {}}}])
def test_response_accepts_any_event_and_a_custom_message(event: Any) -> None:
    result = response(event, 599, "slow down")
    assert json.loads(result["body"]) == {"message": "slow down"}
    assert result.get("statusDescription", "599") == "599"  # no phrase for an unknown status


def test_response_for_an_unlisted_status_uses_the_http_phrase() -> None:
    assert json.loads(response({}, 404)["body"]) == {"message": "not found"}


# --- lambda_handler and examples/lambda_function.py -------------------------------------------------


@pytest.fixture
def lambda_function(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``examples/lambda_function.py`` imported as Lambda would, with the secret in the environment."""
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    return load_example("lambda_function")


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "lambda_function"]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("base64_body", [False, True])
@pytest.mark.parametrize("decoy", [False, True])
@pytest.mark.parametrize(
    ("event_type", "log"),
    [
        ("response.completed", "response obj_abc123 completed"),
        ("fine_tuning.job.failed", "ignored fine_tuning.job.failed event evt_abc123"),
    ],
)
def test_example_lambda_function_answers_200_and_runs_the_right_handler(
    lambda_function: ModuleType,
    caplog: pytest.LogCaptureFixture,
    template: str,
    base64_body: bool,
    decoy: bool,
    event_type: str,
    log: str,
) -> None:
    payload = example_payload(event_type)
    payload["id"], payload["data"]["id"] = "evt_abc123", "obj_abc123"
    caplog.set_level(logging.INFO)
    result = lambda_function.lambda_handler(delivery(template, payload, base64_body=base64_body, decoy=decoy), None)
    assert result["statusCode"] == 200, result
    assert _logged(caplog) == [log]


@pytest.mark.parametrize("template", TEMPLATES)
def test_example_lambda_function_acknowledges_unknown_event_types_through_the_fallback(
    lambda_function: ModuleType, caplog: pytest.LogCaptureFixture, template: str
) -> None:
    caplog.set_level(logging.INFO)
    payload = {"id": "evt_new", "created_at": 1, "type": "brand.new.event", "data": {"x": [1, 2]}}
    result = lambda_function.lambda_handler(delivery(template, payload), None)
    assert result["statusCode"] == 200
    assert _logged(caplog) == ["ignored brand.new.event event evt_new"]


def _tamper_body(event: dict[str, Any]) -> None:
    body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    body = body.replace(b"resp_", b"resq_", 1)
    event["body"] = base64.b64encode(body).decode() if event["isBase64Encoded"] else body.decode()


def _set_header(event: dict[str, Any], name: str, value: str | None) -> None:
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field)
        if headers is None:
            continue
        for key in [k for k in headers if k.lower() == name]:
            del headers[key]
        if value is not None:
            headers[name] = [value] if field == "multiValueHeaders" else value


TAMPERINGS = {
    "body changed": _tamper_body,
    "signature of another secret": lambda e: _set_header(e, "webhook-signature", "v1," + "A" * 43 + "="),
    "signature missing": lambda e: _set_header(e, "webhook-signature", None),
    "id changed": lambda e: _set_header(e, "webhook-id", "wh_other"),
    "timestamp an hour old": lambda e: _set_header(e, "webhook-timestamp", str(int(time.time()) - 3600)),
    "timestamp not a number": lambda e: _set_header(e, "webhook-timestamp", "soon"),
}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("base64_body", [False, True])
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_example_lambda_function_answers_401_to_tampered_deliveries_without_running_a_handler(
    lambda_function: ModuleType, caplog: pytest.LogCaptureFixture, template: str, base64_body: bool, tampering: str
) -> None:
    caplog.set_level(logging.INFO)
    event = delivery(template, example_payload("response.completed"), base64_body=base64_body)
    TAMPERINGS[tampering](event)
    result = lambda_function.lambda_handler(event, None)
    assert result["statusCode"] == 401
    assert json.loads(result["body"]) == {"message": "webhook verification failed"}
    assert _logged(caplog) == []
    assert SECRET not in caplog.text
    assert base64.b64encode(SECRET_BYTES).decode() not in caplog.text


MALFORMED_BODIES = {
    "not JSON": b"{not json",
    "not UTF-8": b'{"id": "\xff"}',
    "a JSON array": b"[1, 2]",
    "missing data": json.dumps({"id": "e", "created_at": 1, "type": "response.completed"}).encode(),
    "wrong field type": json.dumps(
        {"id": "e", "created_at": "1", "type": "batch.failed", "data": {"id": "b"}}
    ).encode(),
}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("malformed", sorted(MALFORMED_BODIES))
def test_example_lambda_function_answers_400_to_signed_malformed_bodies(
    lambda_function: ModuleType, caplog: pytest.LogCaptureFixture, template: str, malformed: str
) -> None:
    caplog.set_level(logging.INFO)
    result = lambda_function.lambda_handler(delivery(template, MALFORMED_BODIES[malformed], base64_body=True), None)
    assert result["statusCode"] == 400
    assert json.loads(result["body"]) == {"message": "invalid payload"}
    assert _logged(caplog) == []


@pytest.mark.parametrize(("what", "event", "reason"), BAD_EVENTS, ids=[case[0] for case in BAD_EVENTS])
def test_example_lambda_function_answers_400_to_events_that_are_not_requests(
    lambda_function: ModuleType, caplog: pytest.LogCaptureFixture, what: str, event: Any, reason: str
) -> None:
    result = lambda_function.lambda_handler(event, None)
    assert result["statusCode"] == 400
    assert reason in caplog.text


@given(delivery_case=lambda_deliveries())
def test_lambda_handler_answers_200_exactly_when_a_signed_payload_parses(
    delivery_case: tuple[str, bool, bool, dict[str, Any]],
) -> None:
    template, base64_body, decoy, payload = delivery_case
    seen: list[WebhookEvent] = []
    router = Router()
    router.fallback(seen.append)
    handler = aws_lambda.lambda_handler(Webhook(SECRET), router)
    event = delivery(template, payload, base64_body=base64_body, decoy=decoy)
    result = handler(event, None)
    try:
        expected = parse_event(payload)
    except InvalidPayloadError:
        assert result == aws_lambda.response(event, 400)  # in the request's shape (ALB: its own fields)
        assert seen == []
    else:
        assert result == aws_lambda.response(event, 200)
        assert seen == [expected]


def test_lambda_handler_logs_and_reraises_handler_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    router = Router()

    @router.on(ResponseCompletedWebhookEvent)
    def fail(event: ResponseCompletedWebhookEvent) -> None:
        raise RuntimeError("database down")

    handler = aws_lambda.lambda_handler(Webhook(SECRET), router)
    payload = example_payload("response.completed")
    with pytest.raises(RuntimeError, match="database down"):
        handler(delivery("albEvent.json", payload), None)
    [record] = records(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"handler failed for webhook event {payload['id']} (response.completed)"
    assert record.exc_info
    assert isinstance(record.exc_info[1], RuntimeError)


def test_lambda_handler_without_any_handler_acknowledges_with_200() -> None:
    handler = aws_lambda.lambda_handler(Webhook(SECRET), Router())
    result = handler(delivery("apiGatewayProxyV2Event.json", example_payload("batch.failed")), None)
    assert result["statusCode"] == 200


def test_unwrap_verifies_and_parses_a_request_event_in_one_call() -> None:
    payload = example_payload("response.completed")
    event = aws_lambda.unwrap(Webhook(SECRET), delivery("apiGatewayProxyEvent.json", payload, base64_body=True))
    assert event == parse_event(payload)
    unknown = aws_lambda.unwrap(Webhook(SECRET), delivery("albEvent.json", {"id": "e", "created_at": 0, "type": "x.y"}))
    assert isinstance(unknown, UnknownWebhookEvent)
    with pytest.raises(InvalidPayloadError, match="Lambda event is not an object"):
        aws_lambda.unwrap(Webhook(SECRET), [])


def test_unwrap_passes_now_and_unknown_through() -> None:
    payload = {"id": "e", "created_at": 0, "type": "x.y"}
    body = json.dumps(payload).encode()
    old = lambda_event("albEvent.json", body, signed_headers(body, timestamp=1_000_000), base64_body=False)
    assert isinstance(aws_lambda.unwrap(Webhook(SECRET), old, now=1_000_000), UnknownWebhookEvent)
    with pytest.raises(TimestampOutOfRangeError):
        aws_lambda.unwrap(Webhook(SECRET), old)  # the clock, not `now`
    with pytest.raises(UnknownEventTypeError):
        aws_lambda.unwrap(Webhook(SECRET), old, now=1_000_000, unknown="raise")


def test_lambda_events_are_unwrapped_by_the_adapter_not_by_webhook() -> None:
    assert not hasattr(Webhook, "unwrap_lambda")


@pytest.mark.parametrize(
    ("template", "shape"),
    [("albEvent.json", "headers"), ("albMultiValueHeadersEvent.json", "multiValueHeaders")],
)
def test_response_for_error_answers_in_the_requests_shape(template: str, shape: str) -> None:
    result = aws_lambda.response_for_error(_template(template), SignatureMismatchError())
    assert (result["statusCode"], result["statusDescription"]) == (401, "401 Unauthorized")
    assert shape in result
    result = aws_lambda.response_for_error(_template(template), InvalidPayloadError("bad"))
    assert (result["statusCode"], result["statusDescription"]) == (400, "400 Bad Request")


def test_lambda_handler_logs_a_rejection_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    handler = aws_lambda.lambda_handler(Webhook(SECRET), Router())
    event = delivery("albEvent.json", example_payload("batch.failed"))
    event["body"] += " "
    assert handler(event, None) == aws_lambda.response(event, 401)
    [record] = records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "rejected webhook delivery: no matching signature"


def test_response_defaults_to_200_ok() -> None:
    result = aws_lambda.response(_template("albEvent.json"))
    assert (result["statusCode"], result["statusDescription"], json.loads(result["body"])) == (
        200,
        "200 OK",
        {"message": "ok"},
    )


@pytest.mark.parametrize("name", ["albEvent.json", "albMultiValueHeadersEvent.json"])
def test_an_alb_request_that_cannot_be_read_is_answered_400_in_the_albs_shape(name: str) -> None:
    event = _template(name, body="ab$c", isBase64Encoded=True)
    answer = aws_lambda.lambda_handler(Webhook(SECRET), Router())(event, None)
    assert answer == response(event, 400)
    assert answer["statusDescription"] == "400 Bad Request"


def test_an_http_only_lambda_function_answers_without_importing_the_queue_machinery() -> None:
    """The queue (its regular expressions, its worker) is imported by ``sqs_handler``, not before."""
    code = (
        "import json, sys\n"
        "from openai_webhook_events import Router, Webhook, aws_lambda\n"
        "queued = lambda: sorted(m for m in sys.modules if m.endswith('.queue'))\n"
        "handler = aws_lambda.lambda_handler(Webhook(sys.argv[1]), Router())\n"
        "print(handler(json.loads(sys.argv[2]), None)['statusCode'], queued())\n"
        "aws_lambda.sqs_handler(Webhook(sys.argv[1]), Router())\n"
        "print(queued())\n"
    )
    event = json.dumps(delivery("apiGatewayProxyV2Event.json", example_payload("response.completed")))
    done = subprocess.run([sys.executable, "-c", code, SECRET, event], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "200 []",
        "['openai_webhook_events.queue']",
    ]
