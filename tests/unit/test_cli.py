"""The command line: parse, verify and sign; exit codes, stdin, errors without tracebacks."""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import shlex
import shutil
import subprocess
import sys
import threading
import time
import types
import wsgiref.simple_server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_webhook_events import (
    EVENT_TYPES,
    InvalidEventError,
    Router,
    Webhook,
    __version__,
    _verify,
    parse_event,
    wsgi,
)
from openai_webhook_events._cli import main
from tests.helpers import ROOT
from tests.servers import missing
from tests.strategies import EXAMPLES_DIR, example_payload, hmac_signature, whsec

SECRET_BYTES = b"cli test secret of 32 bytes....."
SECRET = whsec(SECRET_BYTES)
EXAMPLE = EXAMPLES_DIR / "response.completed.json"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("OTHER_SECRET", raising=False)


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: bytes = b"") -> Any:
    """``main(argv)`` in process with *stdin*: ``(exit code, stdout, stderr)``."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """``python -m openai_webhook_events argv`` as a real process fed the bytes *stdin*."""
    result = subprocess.run(
        [sys.executable, "-m", "openai_webhook_events", *argv],
        input=stdin, capture_output=True, timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


def header_args(sign_output: str) -> list[str]:
    return [arg for line in sign_output.splitlines() for arg in ("--header", line)]


# --- help and usage ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["parse"], ["verify"], ["sign"]])
def test_help_describes_each_command_and_exits_0(capsys: Any, monkeypatch: Any, command: list[str]) -> None:
    code, out, _ = run(capsys, monkeypatch, *command, "--help")
    assert code == 0
    assert out.startswith("usage: openai-webhook-events")
    if command == ["verify"]:
        assert "--header" in out
        assert "--secret-env" in out
        assert "OPENAI_WEBHOOK_SECRET" in out
    if command == ["sign"]:
        assert "--curl" in out
        assert "--secret-env" in out


HELP_TEXTS = {
    "": [
        "usage: openai-webhook-events [-h] [--version] COMMAND ...",
        "--version show program's version number and exit",
        "positional arguments: COMMAND parse",
        "Parse, verify and sign OpenAI webhook deliveries.",
        "Exit codes: 0 ok; 1 rejected, invalid or unreadable input, or unwritable output; "
        "2 usage or configuration; 130 interrupted.",
        "parse print the typed event of a JSON payload",
        "verify verify a delivery's signature, then print its typed event",
        "sign print the webhook-* headers for a payload (or a curl command)",
    ],
    "parse": [
        "Print the typed event of a JSON payload.",
        "FILE payload file, or - for standard input",
        "--json print the class and the event as JSON",
    ],
    "verify": [
        "Verify a delivery's Standard Webhooks signature with the secret from an environment variable, "
        "then print its typed event. Exit code 1 when the delivery is rejected.",
        "FILE the raw request body, or - for standard input",
        "--json print the class and the event as JSON",
        "--secret-env NAME environment variable holding the signing secret (default OPENAI_WEBHOOK_SECRET)",
        "'NAME: VALUE' a request header; give webhook-id, webhook-timestamp and webhook-signature",
        "--tolerance SECONDS how far webhook-timestamp may be from now, fractions counted (at least 1; default 300)",
    ],
    "sign": [
        "Sign a payload with the secret from an environment variable and print the webhook-id, "
        "webhook-timestamp and webhook-signature headers, or a curl command that posts it.",
        "FILE the payload to sign, or - for standard input",
        "--json print the headers as a JSON object",
        "--secret-env NAME environment variable holding the signing secret (default OPENAI_WEBHOOK_SECRET)",
        "--id ID webhook-id to use (default: a new random id)",
        "--timestamp SECONDS webhook-timestamp to use (default: now)",
        "--curl URL print a curl command posting the signed payload to URL; it prints the HTTP status and exits "
        "non-zero unless it is 2xx (it follows no redirect: OpenAI follows none)",
    ],
}


@pytest.mark.parametrize("command", sorted(HELP_TEXTS))
def test_help_documents_every_command_and_option(capsys: Any, monkeypatch: Any, command: str) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(capsys, monkeypatch, *filter(None, [command]), "--help")
    assert code == 0
    text = _words(out)
    for expected in HELP_TEXTS[command]:
        assert f" {_words(expected)} " in f" {text} ", expected  # whole words: nothing added around
    assert ("--secret-env" in text) is (command in ("verify", "sign"))  # parse needs no secret


def _words(text: str) -> str:
    """*text* with its whitespace runs as single spaces, and none after a hyphen (argparse wraps there too)."""
    return " ".join(text.split()).replace("- ", "-")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["parse"],
        ["parse", str(EXAMPLE), "--bogus"],
        ["sign", "--secret", SECRET, str(EXAMPLE)],  # there is no way to pass the secret in argv
        ["verify", str(EXAMPLE), "--header", "no colon here"],
        ["verify", str(EXAMPLE), "--header", ": empty name"],
        ["sign", str(EXAMPLE), "--timestamp", "soon"],
    ],
)
def test_usage_errors_exit_2_with_a_message_on_stderr(capsys: Any, monkeypatch: Any, argv: list[str]) -> None:
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code == 2
    assert out == ""
    assert "error:" in err


# --- parse ----------------------------------------------------------------------------------------------


def test_parse_prints_the_typed_event_of_a_file(capsys: Any, monkeypatch: Any) -> None:
    code, out, err = run(capsys, monkeypatch, "parse", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out.strip() == str(parse_event(example_payload("response.completed")))


def test_parse_json_reads_standard_input(capsys: Any, monkeypatch: Any) -> None:
    code, out, _ = run(capsys, monkeypatch, "parse", "--json", "-", stdin=EXAMPLE.read_bytes())
    assert code == 0
    assert json.loads(out) == {"class": "ResponseCompletedWebhookEvent", "event": example_payload("response.completed")}
    assert out == json.dumps(json.loads(out), indent=2) + "\n"  # pretty-printed, two spaces


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"{oops", "error: body is not valid JSON"),
        (b'{"id": "e", "created_at": 1, "type": "batch.failed", "data": {"id": 5}}', "error: data.id: expected string"),
        (b"\xff\xfe", "error: body is not valid UTF-8"),
    ],
)
def test_parse_rejects_invalid_input_with_exit_1(capsys: Any, monkeypatch: Any, stdin: bytes, message: str) -> None:
    code, out, err = run(capsys, monkeypatch, "parse", "-", stdin=stdin)
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_a_missing_file_is_an_error_with_exit_1(capsys: Any, monkeypatch: Any, tmp_path: Path) -> None:
    code, _, err = run(capsys, monkeypatch, "verify", str(tmp_path / "absent.json"), "--header", "webhook-id: x")
    assert code == 1
    assert err == f"error: cannot read {tmp_path / 'absent.json'}: No such file or directory\n"


def test_an_unreadable_standard_input_is_an_error_with_exit_1(capsys: Any, monkeypatch: Any) -> None:
    def read(size: int) -> bytes:
        raise OSError(5, "Input/output error")  # no filename: reading fails, not opening

    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=read)))
    assert main(["parse", "-"]) == 1
    assert capsys.readouterr().err == "error: cannot read standard input: Input/output error\n"


@given(st.binary(max_size=200) | st.sampled_from([b"[]", b"null", b'{"type": 1}', b"1e999", b"[" * 5000]))
def test_parse_never_raises_for_any_input(stdin: bytes) -> None:
    sys_stdin, sys_stdout, sys_stderr = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.TextIOWrapper(io.BytesIO(stdin)), io.StringIO(), io.StringIO()
    try:
        assert main(["parse", "-"]) in (0, 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = sys_stdin, sys_stdout, sys_stderr


# --- sign ------------------------------------------------------------------------------------------------


def test_sign_prints_the_three_headers_with_an_independently_checked_signature(capsys: Any, monkeypatch: Any) -> None:
    code, out, err = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--id", "wh_1", "--timestamp", "1700000000")
    assert (code, err) == (0, "")
    signature = hmac_signature(SECRET_BYTES, "wh_1", 1700000000, EXAMPLE.read_bytes())
    assert out.splitlines() == ["webhook-id: wh_1", "webhook-timestamp: 1700000000", f"webhook-signature: {signature}"]


def test_sign_json_reads_standard_input_and_defaults_to_a_fresh_id_and_now(capsys: Any, monkeypatch: Any) -> None:
    before = int(time.time())
    code, out, _ = run(capsys, monkeypatch, "sign", "--json", "-", stdin=b'{"a": 1}')
    headers = json.loads(out)
    assert code == 0
    assert out == json.dumps(headers, indent=2) + "\n"  # pretty-printed, two spaces
    assert sorted(headers) == ["webhook-id", "webhook-signature", "webhook-timestamp"]
    assert before <= int(headers["webhook-timestamp"]) <= int(time.time())
    assert headers["webhook-signature"] == hmac_signature(
        SECRET_BYTES, headers["webhook-id"], int(headers["webhook-timestamp"]), b'{"a": 1}'
    )
    assert SECRET not in out


def test_sign_reads_the_secret_from_the_variable_named_by_secret_env(capsys: Any, monkeypatch: Any) -> None:
    other = b"another secret, also 32 bytes..."
    monkeypatch.setenv("OTHER_SECRET", whsec(other))
    argv = ["sign", "-", "--secret-env", "OTHER_SECRET", "--id", "i", "--timestamp", "1"]
    code, out, _ = run(capsys, monkeypatch, *argv, stdin=b"{}")
    assert code == 0
    assert out.splitlines()[2] == "webhook-signature: " + hmac_signature(other, "i", 1, b"{}")


@pytest.mark.parametrize("command", ["sign", "verify"])
def test_a_missing_secret_variable_exits_2_naming_it(capsys: Any, monkeypatch: Any, command: str) -> None:
    code, out, err = run(capsys, monkeypatch, command, str(EXAMPLE), "--secret-env", "OTHER_SECRET")
    assert (code, out) == (2, "")
    assert err == (
        "error: environment variable OTHER_SECRET is not set (the secret is never taken from the command line)\n"
    )


def test_curl_command_posts_the_exact_body_with_the_signed_headers(capsys: Any, monkeypatch: Any) -> None:
    body = b'{"text": "it\'s $HOME `x` \\"q\\"\\n", "@": 1}\n'
    argv = ["sign", "-", "--id", "wh_9", "--timestamp", "1700000000", "--curl", "http://127.0.0.1:8000/hook?a=1&b=2"]
    code, out, _ = run(capsys, monkeypatch, *argv, stdin=body)
    assert code == 0
    words = shlex.split(out)
    assert words[:9] == [
        "curl",
        "--no-progress-meter",  # not --silent: curl's own errors still show
        "--fail-with-body",  # exit 22 on a 4xx or 5xx, the answer's body shown
        "--location",
        "--max-redirs",
        "0",  # a redirect is not followed: exit 47
        "--write-out",
        "\\nHTTP %{http_code} %{redirect_url}\\n",  # the status on a line of its own
        "http://127.0.0.1:8000/hook?a=1&b=2",
    ]
    headers = [words[i + 1] for i, word in enumerate(words) if word == "--header"]
    signature = hmac_signature(SECRET_BYTES, "wh_9", 1700000000, body)
    assert headers == [
        "content-type: application/json",
        "webhook-id: wh_9",
        "webhook-timestamp: 1700000000",
        f"webhook-signature: {signature}",
    ]
    assert words[-2:] == ["--data-raw", body.decode()]


@contextlib.contextmanager
def _serving(app: Any) -> Iterator[str]:
    """*app* (WSGI) on wsgiref at a free 127.0.0.1 port in a thread: its base URL, until the block ends."""

    class Quiet(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    with wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=Quiet) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(10)


def _redirecting(environ: Any, start_response: Any) -> list[bytes]:
    """What a Mount answers for the path without its trailing slash."""
    start_response("307 Temporary Redirect", [("location", environ["PATH_INFO"] + "/"), ("content-length", "0")])
    return [b""]


@pytest.mark.parametrize(
    ("server_secret", "path", "code", "shown"),
    [
        (SECRET, "/webhooks/openai", 0, '{"message": "ok"}\nHTTP 200 \n'),
        (whsec(b"another secret of 32 bytes......"), "/webhooks/openai", 22,
         '{"message": "webhook verification failed"}\nHTTP 401 \n'),
        (None, "/webhooks/openai", 47, "\nHTTP 307 {url}/webhooks/openai/\n"),
    ],
    ids=["200", "401 wrong secret", "307 redirect"],
)  # fmt: skip
def test_the_printed_curl_command_shows_the_status_and_fails_unless_2xx(
    capsys: Any, monkeypatch: Any, server_secret: str | None, path: str, code: int, shown: str
) -> None:
    if shutil.which("curl") is None:
        missing("curl")
    app = _redirecting if server_secret is None else wsgi.app(Webhook(server_secret), Router())
    with _serving(app) as url:
        _, command, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--curl", url + path)
        result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout) == (code, shown.replace("{url}", url))
    assert (result.stderr == "") is (code == 0)  # curl names the failure: "(22) ... error: 401", "(47) ..."


def test_version_prints_the_package_version_and_exits_0() -> None:
    result = run_process("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"openai-webhook-events {__version__}\n", "")


def test_version_in_process_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.endswith(f" {__version__}\n")


@pytest.mark.parametrize("command", [[], ["parse"], ["verify"], ["sign"]])
def test_help_names_every_example_payload_shipped_in_the_package(
    capsys: Any, monkeypatch: Any, command: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(capsys, monkeypatch, *command, "--help")
    names = sorted(path.name for path in EXAMPLES_DIR.glob("*.json"))
    assert names == sorted(f"{name}.json" for name in EVENT_TYPES)
    expected = f"Example payloads, one per event type, ship in {EXAMPLES_DIR.resolve()}: {', '.join(names)}."
    assert (code, _words(expected) in _words(out)) == (0, True)


def test_help_still_names_the_payloads_folder_when_it_cannot_be_listed(capsys: Any, monkeypatch: Any) -> None:
    def unreadable(path: str) -> list[str]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(os, "listdir", unreadable)  # a vendored copy whose payloads folder cannot be read
    code, out, _ = run(capsys, monkeypatch, "--help")
    expected = f"Example payloads, one per event type, ship in {EXAMPLES_DIR.resolve()}: ."
    assert (code, _words(expected) in _words(out)) == (0, True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": "\xff"}', "body is not UTF-8 text, so it cannot be put in a curl command"),
        (b'{"a": "\x00"}', "body holds a NUL character, so it cannot be put in a curl command"),
    ],
)
def test_curl_refuses_bodies_a_command_line_cannot_carry(
    capsys: Any, monkeypatch: Any, body: bytes, message: str
) -> None:
    code, out, err = run(capsys, monkeypatch, "sign", "-", "--curl", "http://localhost/", stdin=body)
    assert (code, out, err) == (1, "", f"error: {message}\n")


def test_a_missing_command_is_named_and_h_is_short_for_header(capsys: Any, monkeypatch: Any) -> None:
    code, _, err = run(capsys, monkeypatch)
    assert code == 2
    assert err.splitlines()[-1].endswith("error: the following arguments are required: COMMAND")
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE))
    short = [arg.replace("--header", "-H") for arg in header_args(signed)]
    code, _, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), *short)
    assert (code, err) == (0, "")


def test_a_header_value_may_hold_colons(capsys: Any, monkeypatch: Any) -> None:
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--id", "msg:1:2")
    assert "webhook-id: msg:1:2" in signed.splitlines()
    code, out, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), *header_args(signed))
    assert (code, err) == (0, "")
    assert out.startswith("ResponseCompletedWebhookEvent(")


@pytest.mark.parametrize(
    ("header", "shown"),
    [("no colon here", "'no colon here'"), (": empty name", "': empty name'"), ("x" * 50, repr("x" * 40))],
)
def test_a_malformed_header_argument_is_shown_cut_to_40_characters(
    capsys: Any, monkeypatch: Any, header: str, shown: str
) -> None:
    code, _, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), "--header", header)
    assert code == 2
    assert err.splitlines()[-1].endswith(f"argument -H/--header: expected 'name: value', got {shown}")


# --- verify -----------------------------------------------------------------------------------------------


def test_sign_output_verifies_with_verify(capsys: Any, monkeypatch: Any) -> None:
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE))
    code, out, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), *header_args(signed))
    assert (code, err) == (0, "")
    assert out.strip() == str(parse_event(example_payload("response.completed")))


def test_verify_json_reads_standard_input(capsys: Any, monkeypatch: Any) -> None:
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE))
    code, out, _ = run(capsys, monkeypatch, "verify", "-", "--json", *header_args(signed), stdin=EXAMPLE.read_bytes())
    assert code == 0
    assert json.loads(out) == {
        "verified": True,
        "class": "ResponseCompletedWebhookEvent",
        "event": example_payload("response.completed"),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("body", "error: no matching signature"),
        ("drop webhook-signature", "error: missing header webhook-signature"),
        ("old timestamp", "error: webhook-timestamp is too old"),
        ("other secret", "error: no matching signature"),
    ],
)
def test_verify_rejects_with_exit_1(capsys: Any, monkeypatch: Any, change: str, message: str) -> None:
    timestamp = str(int(time.time()) - 3600) if change == "old timestamp" else None
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), *(["--timestamp", timestamp] if timestamp else []))
    lines = [line for line in signed.splitlines() if not (change == "drop webhook-signature" and "signature" in line)]
    if change == "other secret":
        monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", whsec(b"x" * 32))
    body = EXAMPLE.read_bytes().replace(b"resp_", b"resq_") if change == "body" else EXAMPLE.read_bytes()
    code, out, err = run(capsys, monkeypatch, "verify", "-", *header_args("\n".join(lines)), stdin=body)
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert SECRET not in err


def test_verify_tolerance_widens_the_timestamp_window(capsys: Any, monkeypatch: Any) -> None:
    old = str(int(time.time()) - 3600)
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--timestamp", old)
    code, _, _ = run(capsys, monkeypatch, "verify", str(EXAMPLE), "--tolerance", "7200", *header_args(signed))
    assert code == 0


def test_verify_accepts_a_timestamp_within_300_seconds_by_default_and_no_older(capsys: Any, monkeypatch: Any) -> None:
    # 10 s either side of the bound: the clock may tick between sign and verify (the exact bound is tested in
    # test_verify with now=).
    for age, expected in ((290, 0), (310, 1)):
        timestamp = str(int(time.time()) - age)
        _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--timestamp", timestamp)
        code, _, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), *header_args(signed))
        assert code == expected, err
    assert err == "error: webhook-timestamp is too old\n"


def test_files_are_read_as_raw_bytes(capsys: Any, monkeypatch: Any, tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.json"
    crlf.write_bytes(EXAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    _, out, _ = run(capsys, monkeypatch, "sign", str(crlf), "--id", "wh_1", "--timestamp", "1750000000")
    expected = hmac_signature(SECRET_BYTES, "wh_1", 1750000000, crlf.read_bytes())
    assert f"webhook-signature: {expected}" in out.splitlines()
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"a": "\xe9"}')
    code, _, err = run(capsys, monkeypatch, "parse", str(latin1))
    assert (code, err) == (1, "error: body is not valid UTF-8 (at byte 7)\n")


def test_verify_rejects_a_signed_but_invalid_payload_with_exit_1(capsys: Any, monkeypatch: Any) -> None:
    body = b'{"id": "e", "created_at": "yesterday", "type": "batch.failed", "data": {"id": "b"}}'
    _, signed, _ = run(capsys, monkeypatch, "sign", "-", stdin=body)
    code, _, err = run(capsys, monkeypatch, "verify", "-", *header_args(signed), stdin=body)
    with pytest.raises(InvalidEventError) as expected:
        parse_event(json.loads(body))
    assert code == 1
    assert err == f"error: {expected.value}\n"
    assert err.startswith("error: created_at: expected integer")


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_", whsec(b"x" * 23)])
def test_an_unusable_secret_exits_2(capsys: Any, monkeypatch: Any, secret: str) -> None:
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", secret)
    code, out, err = run(capsys, monkeypatch, "sign", str(EXAMPLE))
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert secret not in err.removeprefix("error: ")


def test_verify_counts_the_fraction_of_the_clock_second_against_the_tolerance(capsys: Any, monkeypatch: Any) -> None:
    _, signed, _ = run(capsys, monkeypatch, "sign", str(EXAMPLE), "--timestamp", "1750000000")
    cases = [([], 300.0, 0), ([], 300.9, 1), (["--tolerance", "300.5"], 300.4, 0), (["--tolerance", "300.5"], 300.6, 1)]
    for tolerance, age, expected in cases:
        monkeypatch.setattr(_verify, "_time", lambda age=age: 1750000000 + age)
        code, _, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), *tolerance, *header_args(signed))
        assert code == expected, (tolerance, age, err)
    assert err == "error: webhook-timestamp is too old\n"


@pytest.mark.parametrize(
    ("tolerance", "message"),
    [
        ("-1", "tolerance must be at least 1 second, not -1.0: webhook-timestamp is whole seconds, "
         "so a delivery is up to a second old when sent"),
        ("0.5", "tolerance must be at least 1 second, not 0.5: webhook-timestamp is whole seconds, "
         "so a delivery is up to a second old when sent"),
        ("nan", "tolerance must be a finite number of seconds, not nan"),
        ("inf", "tolerance must be a finite number of seconds, not inf"),
    ],
)  # fmt: skip
def test_a_bad_option_value_exits_2_naming_the_problem(
    capsys: Any, monkeypatch: Any, tolerance: str, message: str
) -> None:
    code, out, err = run(capsys, monkeypatch, "verify", str(EXAMPLE), "--tolerance", tolerance)
    assert (code, out, err) == (2, "", f"error: {message}\n")


# --- as a real process ------------------------------------------------------------------------------------


def test_sign_then_verify_as_processes_with_stdin() -> None:
    signed = run_process("sign", str(EXAMPLE))
    assert signed.returncode == 0, signed.stderr
    verified = run_process("verify", "-", "--json", *header_args(signed.stdout), stdin=EXAMPLE.read_bytes())
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["class"] == "ResponseCompletedWebhookEvent"


@pytest.mark.parametrize(
    ("argv", "stdin", "code"),
    [
        (["parse", "-"], b"\xff{{", 1),
        (["verify", "-", "--header", "webhook-id: 1"], b"{}", 1),
        (["sign", "-", "--curl", "http://x/"], b"\x00", 1),
        (["sign", "-", "--secret-env", "NOPE_NOT_SET"], b"{}", 2),
        (["verify"], b"", 2),
    ],
)
def test_bad_input_gives_one_line_on_stderr_and_no_traceback(argv: list[str], stdin: bytes, code: int) -> None:
    result = run_process(*argv, stdin=stdin)
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(("error:", "openai-webhook-events"))


def test_python_dash_m_runs_the_command_line(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "argv", ["openai_webhook_events", "parse", str(EXAMPLE)])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("openai_webhook_events", run_name="__main__")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("ResponseCompletedWebhookEvent(")


# --- hostile input and hostile streams, in process ----------------------------------------------------------

NON_ASCII = (
    b'{"id": "evt_\xc3\xa9", "created_at": 1, "type": "response.completed", "data": {"id": "resp_\xe2\x82\xac"}}'
)
LIMIT = 1 << 20  # the default max_body_bytes


class _Terminal(io.RawIOBase):
    """A stream that returns at most one byte per read, as a terminal returns one line."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk, self._data = self._data[:1], self._data[1:]
        return chunk


def test_standard_input_is_read_to_its_end_even_when_each_read_returns_little(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=_Terminal(EXAMPLE.read_bytes())))
    assert main(["parse", "-"]) == 0
    assert capsys.readouterr().out.strip() == str(parse_event(example_payload("response.completed")))


def _padded(size: int) -> bytes:
    """A valid payload of exactly *size* bytes (JSON allows trailing whitespace)."""
    body = b'{"id": "e", "created_at": 1, "type": "new.kind"}'
    return body + b" " * (size - len(body))


def test_input_over_the_body_bound_is_refused_and_no_more_is_read(
    capsys: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    endless = _padded(LIMIT + 1) + b"never read" * 1000
    stdin = io.BytesIO(endless)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=stdin))
    assert main(["parse", "-"]) == 1
    assert stdin.tell() == LIMIT + 1
    assert (
        capsys.readouterr().err == f"error: standard input is larger than {LIMIT} bytes (the largest body accepted)\n"
    )
    big = tmp_path / "big.json"
    big.write_bytes(endless)
    assert main(["sign", str(big)]) == 1
    assert capsys.readouterr().err == f"error: {big} is larger than {LIMIT} bytes (the largest body accepted)\n"


def test_input_of_exactly_the_body_bound_is_accepted(capsys: Any, monkeypatch: Any, tmp_path: Path) -> None:
    exact = tmp_path / "exact.json"
    exact.write_bytes(_padded(LIMIT))
    code, out, err = run(capsys, monkeypatch, "parse", "--json", str(exact))
    assert (code, err) == (0, "")
    assert json.loads(out)["class"] == "UnknownWebhookEvent"


def test_a_closed_standard_input_cannot_be_read(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["parse", "-"]) == 1
    assert capsys.readouterr().err == "error: cannot read standard input: it is closed\n"


def test_a_path_the_system_cannot_open_is_a_read_error_on_one_line(capsys: Any, monkeypatch: Any) -> None:
    assert main(["parse", "bad\0name\n.json"]) == 1
    assert capsys.readouterr().err == "error: cannot read 'bad\\x00name\\n.json': embedded null byte\n"


class _Stream(io.TextIOWrapper):
    """A text stream over *raw* (a BytesIO by default) with the given encoding."""

    def __init__(self, encoding: str = "utf-8", raw: Any = None) -> None:
        super().__init__(raw if raw is not None else io.BytesIO(), encoding=encoding)

    def written(self) -> bytes:
        self.flush()
        return bytes(self.buffer.getvalue())  # type: ignore[attr-defined]


def test_an_event_stdout_cannot_encode_is_printed_with_backslash_escapes(monkeypatch: Any) -> None:
    stdout = _Stream("ascii")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(NON_ASCII)))
    assert main(["parse", "-"]) == 0
    event = parse_event(json.loads(NON_ASCII))
    assert stdout.written().decode("ascii") == ascii(str(event))[1:-1] + "\n"
    assert "evt_\\xe9" in stdout.written().decode()


def test_exact_output_stdout_cannot_encode_is_refused_not_altered(capsys: Any, monkeypatch: Any) -> None:
    stdout = _Stream("ascii")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(NON_ASCII)))
    assert main(["sign", "-", "--curl", "http://localhost/"]) == 1
    assert stdout.written() == b""
    assert capsys.readouterr().err == (
        "error: cannot write standard output: its encoding (ascii) cannot represent the output; "
        "set PYTHONIOENCODING=utf-8\n"
    )


def test_error_messages_stderr_cannot_encode_are_escaped(monkeypatch: Any) -> None:
    stderr = _Stream("ascii")
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["parse", "caf\u00e9.json"]) == 1
    assert stderr.written() == b"error: cannot read caf\\xe9.json: No such file or directory\n"


def test_json_output_is_ascii_so_any_encoding_takes_it(monkeypatch: Any) -> None:
    stdout = _Stream("ascii")
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(NON_ASCII)))
    assert main(["parse", "--json", "-"]) == 0
    assert json.loads(stdout.written())["event"] == json.loads(NON_ASCII)


class _FailingBuffer(io.BytesIO):
    """A binary buffer whose writes fail with *error*, or accept nothing when *error* is None."""

    def __init__(self, error: OSError | None) -> None:
        super().__init__()
        self._error = error

    def write(self, data: Any) -> int:
        if self._error is not None:
            raise self._error
        return 0


@pytest.mark.parametrize(
    ("stream", "reason"),
    [
        (None, "it is closed"),
        (_Stream(raw=_FailingBuffer(OSError(28, "No space left on device"))), "No space left on device"),
        (_Stream(raw=_FailingBuffer(BrokenPipeError(32, "Broken pipe"))), "Broken pipe"),
        (_Stream(raw=_FailingBuffer(None)), "Resource temporarily unavailable"),
        (_Stream(raw=_FailingBuffer(OSError("no errno"))), "no errno"),
    ],
    ids=["closed", "full", "broken pipe", "accepts nothing", "no strerror"],
)
def test_output_that_cannot_be_written_is_a_cannot_write_error_with_exit_1(
    capsys: Any, monkeypatch: Any, stream: Any, reason: str
) -> None:
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["parse", str(EXAMPLE)]) == 1
    assert capsys.readouterr().err == f"error: cannot write standard output: {reason}\n"


def test_a_closed_text_stream_is_a_cannot_write_error(capsys: Any, monkeypatch: Any) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert main(["sign", str(EXAMPLE)]) == 1
    assert capsys.readouterr().err == "error: cannot write standard output: it is closed\n"


def test_a_text_only_stdout_gets_the_output(monkeypatch: Any) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["sign", str(EXAMPLE), "--id", "wh_1", "--timestamp", "1"]) == 0
    assert stdout.getvalue().splitlines()[0] == "webhook-id: wh_1"


def test_a_full_disk_is_reported_and_the_unwritten_output_dropped(capsys: Any, monkeypatch: Any) -> None:
    with open("/dev/full", "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        assert main(["parse", str(EXAMPLE)]) == 1
        full.write("pending")
        full.flush()  # the descriptor now points at the null device: nothing left to fail at exit
    assert capsys.readouterr().err == "error: cannot write standard output: No space left on device\n"


def test_help_that_cannot_be_written_is_an_error_with_exit_1(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["--help"]) == 1
    assert capsys.readouterr().err == "error: cannot write standard output: it is closed\n"


@pytest.mark.parametrize("argv", [["parse", "/nonexistent/x.json"], ["frobnicate"]])
def test_a_closed_stderr_leaves_only_the_exit_code(monkeypatch: Any, argv: list[str]) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    assert main(argv) == (1 if argv[0] == "parse" else 2)


def test_an_interrupt_is_one_line_and_exit_130(capsys: Any, monkeypatch: Any) -> None:
    def read(size: int) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=read)))
    assert main(["parse", "-"]) == 130
    assert capsys.readouterr().err == "error: interrupted\n"


class _Pieces(io.RawIOBase):
    """A stream that returns at most 64 KiB per read, as a pipe does."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 1 << 16))

    def tell(self) -> int:
        return self._data.tell()


def test_input_over_the_body_bound_arriving_in_pieces_is_refused_one_byte_past_the_bound(
    capsys: Any, monkeypatch: Any
) -> None:
    stdin = _Pieces(_padded(LIMIT + 1) + b"never read")
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=stdin))
    assert main(["parse", "-"]) == 1
    assert stdin.tell() == LIMIT + 1
    assert "standard input is larger than" in capsys.readouterr().err


class _Writer:
    """A minimal text stream: ``write`` and ``flush`` only, no ``encoding`` and no ``buffer``."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_a_stdout_without_an_encoding_is_written_as_utf_8(capsys: Any, monkeypatch: Any) -> None:
    stdout = _Writer()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(NON_ASCII)))
    assert main(["parse", "-"]) == 0
    assert stdout.text == str(parse_event(json.loads(NON_ASCII))) + "\n"
    # a lone surrogate (an undecodable byte of argv) has no UTF-8 form: exact output is refused
    assert main(["sign", str(EXAMPLE), "--curl", "http://localhost/\udcff"]) == 1
    assert capsys.readouterr().err == (
        "error: cannot write standard output: its encoding (utf-8) cannot represent the output; "
        "set PYTHONIOENCODING=utf-8\n"
    )
    assert stdout.text.count("\n") == 1


class _ShortWrites(io.BytesIO):
    """A binary buffer that takes at most 7 bytes per write, as a pipe may when it is nearly full."""

    def write(self, data: Any) -> int:
        return super().write(bytes(data[:7]))


def test_output_written_in_short_pieces_arrives_whole(monkeypatch: Any) -> None:
    stdout = _Stream(raw=_ShortWrites())
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["sign", str(EXAMPLE), "--id", "wh_1", "--timestamp", "1750000000"]) == 0
    expected = hmac_signature(SECRET_BYTES, "wh_1", 1750000000, EXAMPLE.read_bytes())
    assert stdout.written().decode() == (
        f"webhook-id: wh_1\nwebhook-timestamp: 1750000000\nwebhook-signature: {expected}\n"
    )


def test_a_usage_error_stderr_cannot_encode_is_escaped(monkeypatch: Any) -> None:
    stderr = _Stream("ascii")
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["frobnicat\u00e9"]) == 2
    last_line = stderr.written().decode("ascii").splitlines()[-1]
    assert last_line.startswith("openai-webhook-events: error: argument COMMAND: invalid choice: 'frobnicat\\xe9'")


# --- hostile streams, as a real process ------------------------------------------------------------------------


def run_with(
    argv: list[str], *, shell_redirect: str = "", env: dict[str, str] | None = None, **streams: Any
) -> subprocess.CompletedProcess[bytes]:
    """The command line as a real process; *shell_redirect* (e.g. ``>&-``) is applied by ``sh`` before it starts."""
    command = [sys.executable, "-m", "openai_webhook_events", *argv]
    if shell_redirect:
        command = ["sh", "-c", f'exec "$@" {shell_redirect}', "sh", *command]
    streams.setdefault("stdout", subprocess.PIPE)
    streams.setdefault("stderr", subprocess.PIPE)
    streams.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        command, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, **streams
    )


def _one_error_line(stderr: bytes, expected: str) -> None:
    assert b"Traceback" not in stderr, stderr
    assert b"Exception ignored" not in stderr, stderr
    assert stderr.decode() == f"error: {expected}\n"


@pytest.fixture
def non_ascii_event(tmp_path: Path) -> Path:
    path = tmp_path / "non-ascii.json"
    path.write_bytes(NON_ASCII)
    return path


def test_process_ascii_stdout_prints_a_non_ascii_event_escaped(non_ascii_event: Path) -> None:
    result = run_with(["parse", str(non_ascii_event)], env={"PYTHONIOENCODING": "ascii"})
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode("ascii") == ascii(str(parse_event(json.loads(NON_ASCII))))[1:-1] + "\n"


def test_process_c_locale_prints_a_non_ascii_event(non_ascii_event: Path) -> None:
    result = run_with(["parse", str(non_ascii_event)], env={"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": ""})
    assert (result.returncode, result.stderr) == (0, b"")
    event = str(parse_event(json.loads(NON_ASCII)))
    assert result.stdout.decode("utf-8") in (event + "\n", ascii(event)[1:-1] + "\n")


def test_process_ascii_stdout_refuses_to_alter_a_curl_command(non_ascii_event: Path) -> None:
    result = run_with(
        ["sign", str(non_ascii_event), "--curl", "http://x/"],
        env={"PYTHONIOENCODING": "ascii", "OPENAI_WEBHOOK_SECRET": SECRET},
    )
    assert (result.returncode, result.stdout) == (1, b"")
    _one_error_line(
        result.stderr,
        "cannot write standard output: its encoding (ascii) cannot represent the output; set PYTHONIOENCODING=utf-8",
    )


def test_process_ascii_stderr_escapes_a_non_ascii_argument() -> None:
    result = run_with(["parse", "caf\u00e9.json"], env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 1
    _one_error_line(result.stderr, "cannot read caf\\xe9.json: No such file or directory")


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_process_endless_input_ends_promptly_with_an_error(where: str) -> None:
    with open("/dev/zero", "rb") as zero:
        started = time.monotonic()
        result = run_with(["parse", "/dev/zero"] if where == "file" else ["parse", "-"], stdin=zero)
    assert time.monotonic() - started < 60  # run_with's timeout would have raised first
    assert (result.returncode, result.stdout) == (1, b"")
    name = "/dev/zero" if where == "file" else "standard input"
    _one_error_line(result.stderr, f"{name} is larger than {LIMIT} bytes (the largest body accepted)")


@pytest.mark.parametrize("argv", [["parse", str(EXAMPLE)], ["--help"]])
def test_process_full_disk_is_a_cannot_write_error(argv: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = run_with(argv, stdout=full)
    assert result.returncode == 1
    _one_error_line(result.stderr, "cannot write standard output: No space left on device")


def test_process_broken_pipe_mid_output_is_a_cannot_write_error(tmp_path: Path) -> None:
    big = tmp_path / "big.json"  # far more output than a pipe holds, so the write is cut short
    big.write_text(
        json.dumps({"id": "e", "created_at": 1, "type": "new", "data": {f"k{i}": "v" * 50 for i in range(4000)}})
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_webhook_events", "parse", "--json", str(big)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.read(1) == b"{"  # like `| head -c1`
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 1
    _one_error_line(stderr, "cannot write standard output: Broken pipe")


def test_process_pipe_without_reader_is_a_cannot_write_error() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_with(["parse", str(EXAMPLE)], stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    _one_error_line(result.stderr, "cannot write standard output: Broken pipe")


@pytest.mark.parametrize(
    ("argv", "redirect", "code", "message"),
    [
        (["parse", str(EXAMPLE)], ">&-", 1, "cannot write standard output: it is closed"),
        (["parse", "-"], "<&-", 1, "cannot read standard input: it is closed"),
        (["parse", "-"], "0>/dev/null", 1, "cannot read standard input: Bad file descriptor"),
        (["parse", str(ROOT / "examples")], "", 1, f"cannot read {ROOT / 'examples'}: Is a directory"),
    ],
    ids=["stdout closed", "stdin closed", "stdin write-only", "a directory"],
)
def test_process_unusable_streams_give_one_error_line(argv: list[str], redirect: str, code: int, message: str) -> None:
    result = run_with(argv, shell_redirect=redirect)
    assert result.returncode == code
    _one_error_line(result.stderr, message)


@pytest.mark.parametrize(("argv", "code"), [(["parse", str(EXAMPLE)], 0), (["parse", "/nonexistent.json"], 1)])
def test_process_closed_stderr_still_gives_the_exit_code(argv: list[str], code: int) -> None:
    result = run_with(argv, shell_redirect="2>&-", stderr=None)
    assert result.returncode == code
    assert result.stdout.startswith(b"ResponseCompletedWebhookEvent(") is (code == 0)
