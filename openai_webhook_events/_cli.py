"""The command line: ``python -m openai_webhook_events parse FILE|-``.

Exit codes: 0 ok, 1 rejected or invalid input, 2 usage.  Errors go to
stderr as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import BinaryIO

from ._errors import InvalidPayloadError, WebhookError
from ._parse import parse_event, to_dict

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _read(path: str, stdin: BinaryIO) -> bytes:
    if path == "-":
        return stdin.read()
    with open(path, "rb") as file:
        return file.read()


def _load_json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidPayloadError(f"body is not valid JSON ({type(exc).__name__})") from None


def _cmd_parse(args: argparse.Namespace) -> int:
    event = parse_event(_load_json(_read(args.file, sys.stdin.buffer)))
    if args.json:
        print(json.dumps({"class": type(event).__name__, "event": to_dict(event)}, indent=2))
    else:
        print(event)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-webhook-events",
        description="Parse and verify OpenAI webhook deliveries.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parse = commands.add_parser("parse", help="print the typed event of a JSON payload")
    parse.add_argument("file", metavar="FILE", help="payload file, or - for standard input")
    parse.add_argument("--json", action="store_true", help="print the class and the event as JSON")
    parse.set_defaults(run=_cmd_parse)
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
    except WebhookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: cannot read {exc.filename or args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
