"""Fuzz target: bytes split into headers and a body -> ``unwrap``.

Run with ``scripts/fuzz.sh SECONDS`` (or ``python fuzz/fuzz_unwrap.py CORPUS_DIR``).
The first byte picks the mode (its low two bits):

- 0, 1, 2: the rest is a raw delivery, ``name: value`` header lines, a blank
  line, then the body; the headers are passed as a list of ``(str, str)``
  pairs, of ``(str, bytes)`` pairs, or as a ``dict``.  The seed corpus holds
  deliveries signed with ``SECRET`` at ``NOW``, so mutations of valid ones
  are explored.
- 3: the rest is a body, signed here with the package's ``sign`` so that the
  JSON and event parsing after a valid signature are always reached.

Bit 2 of the first byte sends the delivery through the AWS Lambda adapter
instead (``aws_lambda.unwrap`` of an HTTP API request event carrying the
headers and the base64 body), which must answer exactly as ``unwrap`` does.

``unwrap`` must return an event or raise a ``WebhookError`` whose message and
``repr`` do not contain the secret; anything else is a crash.
"""

from __future__ import annotations

import base64
import importlib
import sys

import atheris

with atheris.instrument_imports():
    from openai_webhook_events import Webhook, WebhookError, aws_lambda, sign, unwrap

    # Instrument the payload modules too (the package imports them lazily).
    for _module in ("_agent_models", "_call_models", "_safety_models"):
        importlib.import_module(f"openai_webhook_events.{_module}")

KEY = b"fuzzing-key-0123456789abcdef0123"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_750_000_000
WEBHOOK = Webhook(SECRET)


def split_delivery(raw: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """``name: value`` lines up to the first blank line, then the body."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = raw.partition(b"\n\n")
    headers = []
    for line in head.splitlines():
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1").strip(), value.strip()))
    return headers, body


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] & 3, data[1:]
    headers: object
    if mode == 3:
        body = rest
        headers = sign(body, SECRET, webhook_id="msg_fuzz", timestamp=NOW)
    else:
        pairs, body = split_delivery(rest)
        if mode == 1:
            headers = pairs
        else:
            text_pairs = [(name, value.decode("latin-1")) for name, value in pairs]
            headers = text_pairs if mode == 0 else dict(text_pairs)
    try:
        event = unwrap(body, headers, SECRET, now=NOW)
    except WebhookError as exc:
        text = f"{exc} {exc!r} {exc.args!r}"
        for secret in (SECRET, SECRET[6:]):
            if secret in text and secret.encode() not in data:
                raise AssertionError(f"the secret is in the text of a {type(exc).__name__}") from None
        outcome: object = f"{type(exc).__name__}: {exc}"
    else:
        outcome = event
    if data[0] & 4 and isinstance(headers, dict):
        joined = {name.lower(): value for name, value in headers.items()}  # as an HTTP API sends them
        if len(joined) == len(headers) and all(isinstance(value, str) for value in joined.values()):
            request: dict[str, object] = {"version": "2.0", "headers": joined, "body": base64.b64encode(body).decode()}
            request["isBase64Encoded"] = True
            try:
                through_lambda: object = aws_lambda.unwrap(WEBHOOK, request, now=NOW)
            except WebhookError as exc:
                through_lambda = f"{type(exc).__name__}: {exc}"
            if through_lambda != outcome:
                raise AssertionError(f"aws_lambda.unwrap answered {through_lambda!r}, unwrap {outcome!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
