"""The command line: ``python -m openai_webhook_events {parse,verify,sign} ...``.

- ``parse FILE|-``: print the typed event of a JSON payload.
- ``verify FILE|- --header 'webhook-id: ...' ...``: check a delivery's
  signature with the secret from an environment variable, then parse it.
- ``sign FILE|-``: print the three ``webhook-*`` headers for a payload, or
  with ``--curl URL`` a ``curl`` command that posts it.

The secret is read from the environment variable ``OPENAI_WEBHOOK_SECRET``
(or the one ``--secret-env`` names), never from the command line.  Exit
codes: 0 ok, 1 rejected or invalid input, 2 usage or configuration.  Errors
go to stderr as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

from ._errors import InvalidPayloadError, WebhookConfigurationError, WebhookError
from ._json import load_payload
from ._models import WebhookEvent
from ._parse import parse_event, to_dict
from ._verify import SECRET_ENV, Webhook

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """Bad usage or configuration found after argument parsing (exit code 2)."""


def _read(path: str, stdin: BinaryIO) -> bytes:
    if path == "-":
        return stdin.read()
    with open(path, "rb") as file:
        return file.read()


def _print_event(event: WebhookEvent, as_json: bool, **extra: object) -> None:
    if as_json:
        print(json.dumps({**extra, "class": type(event).__name__, "event": to_dict(event)}, indent=2))
    else:
        print(event)


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'name: value', got {text[:40]!r}")
    return name.strip(), value.strip()


def _webhook(args: argparse.Namespace) -> Webhook:
    secret = os.environ.get(args.secret_env)
    if not secret:
        raise _UsageError(
            f"environment variable {args.secret_env} is not set (the secret is never taken from the command line)"
        )
    return Webhook(secret, tolerance=args.tolerance)


def _cmd_parse(args: argparse.Namespace) -> int:
    _print_event(parse_event(load_payload(_read(args.file, sys.stdin.buffer))), args.json)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    webhook = _webhook(args)
    event = webhook.unwrap(_read(args.file, sys.stdin.buffer), args.header)
    _print_event(event, args.json, verified=True)
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    webhook = _webhook(args)
    body = _read(args.file, sys.stdin.buffer)
    headers = webhook.sign(body, webhook_id=args.id, timestamp=args.timestamp)
    if args.curl is not None:
        print(_curl_command(args.curl, headers, body))
    elif args.json:
        print(json.dumps(headers, indent=2))
    else:
        for name, value in headers.items():
            print(f"{name}: {value}")
    return EXIT_OK


def _curl_command(url: str, headers: dict[str, str], body: bytes) -> str:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidPayloadError("body is not UTF-8 text, so it cannot be put in a curl command") from None
    if "\0" in text:
        raise InvalidPayloadError("body holds a NUL character, so it cannot be put in a curl command")
    words = ["curl", "--silent", "--show-error", "--request", "POST", url, "--header", "content-type: application/json"]
    for name, value in headers.items():
        words += ["--header", f"{name}: {value}"]
    words += ["--data-raw", text]
    return " ".join(shlex.quote(word) for word in words)


def _command(
    commands: Any, name: str, summary: str, description: str, file_help: str, json_help: str, run: Any
) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(name, help=summary, description=description)
    command.add_argument("file", metavar="FILE", help=f"{file_help}, or - for standard input")
    command.add_argument("--json", action="store_true", help=json_help)
    if name != "parse":
        command.add_argument(
            "--secret-env",
            metavar="NAME",
            default=SECRET_ENV,
            help=f"environment variable holding the signing secret (default {SECRET_ENV})",
        )
    command.set_defaults(run=run, tolerance=300)
    return command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-webhook-events",
        description="Parse, verify and sign OpenAI webhook deliveries.",
        epilog="Exit codes: 0 ok, 1 rejected or invalid input, 2 usage or configuration.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    event_json = "print the class and the event as JSON"
    _command(
        commands, "parse", "print the typed event of a JSON payload", "Print the typed event of a JSON payload.",
        "payload file", event_json, _cmd_parse,
    )  # fmt: skip
    verify = _command(
        commands, "verify", "verify a delivery's signature, then print its typed event",
        "Verify a delivery's Standard Webhooks signature with the secret from an environment variable, "
        "then print its typed event. Exit code 1 when the delivery is rejected.",
        "the raw request body", event_json, _cmd_verify,
    )  # fmt: skip
    verify.add_argument(
        "-H", "--header", action="append", type=_header, default=[], metavar="'NAME: VALUE'",
        help="a request header; give webhook-id, webhook-timestamp and webhook-signature",
    )  # fmt: skip
    verify.add_argument(
        "--tolerance", type=int, default=300, metavar="SECONDS", help="accepted timestamp age (default 300)"
    )
    sign = _command(
        commands, "sign", "print the webhook-* headers for a payload (or a curl command)",
        "Sign a payload with the secret from an environment variable and print the webhook-id, "
        "webhook-timestamp and webhook-signature headers, or a curl command that posts it.",
        "the payload to sign", "print the headers as a JSON object", _cmd_sign,
    )  # fmt: skip
    sign.add_argument("--id", metavar="ID", help="webhook-id to use (default: a new random id)")
    sign.add_argument("--timestamp", type=int, metavar="SECONDS", help="webhook-timestamp to use (default: now)")
    sign.add_argument("--curl", metavar="URL", help="print a curl command posting the signed payload to URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return int(args.run(args))
    except (_UsageError, WebhookConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WebhookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: cannot read {exc.filename or args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
