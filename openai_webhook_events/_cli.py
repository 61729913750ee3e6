"""The command line: ``python -m openai_webhook_events {parse,verify,sign} ...``.

- ``parse FILE|-``: print the typed event of a JSON payload.
- ``verify FILE|- --header 'webhook-id: ...' ...``: check a delivery's
  signature with the secret from an environment variable, then parse it.
- ``sign FILE|-``: print the three ``webhook-*`` headers for a payload, or
  with ``--curl URL`` a ``curl`` command that posts it, prints the HTTP
  status and exits non-zero unless it is 2xx (a redirect is not followed).
- ``--version``: print the version.

The help names the example payloads that ship in the package (one per
event type, in ``openai_webhook_events/payloads/``).

The secret is read from the environment variable ``OPENAI_WEBHOOK_SECRET``
(or the one ``--secret-env`` names), never from the command line.  Input is
read up to the 1 MiB body bound, no further.  Exit codes: 0 ok; 1 rejected,
invalid or unreadable input, or unwritable output; 2 usage or
configuration; 130 interrupted.  Errors go to stderr as one line, never as
a traceback, whatever the input and whatever stdin, stdout and stderr are
(closed, full, a broken pipe, an encoding without the event's characters).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import io
import json
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from ._errors import InvalidPayloadError, WebhookConfigurationError, WebhookError
from ._json import load_payload
from ._models import WebhookEvent
from ._parse import parse_event, to_dict
from ._verify import DEFAULT_MAX_BODY_BYTES, SECRET_ENV, Webhook

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Failure(Exception):
    """A failure reported as one ``error:`` line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code


def _shown(path: str) -> str:
    """*path* as one printable line (escaped if it holds control or unprintable characters)."""
    return path if path.isprintable() else ascii(path)


def _read(path: str, limit: int) -> bytes:
    """The bytes of the file *path* (``-``: standard input); never more than *limit* + 1 are read.

    Raises :class:`_Failure`: "cannot read ..." when the input cannot be
    opened or read, "... is larger than" when it holds more than *limit* bytes.
    """
    name = "standard input" if path == "-" else _shown(path)
    try:
        with _opened(path) as file:
            data = _read_at_most(file, limit + 1)
    except OSError as exc:
        raise _Failure(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a path holding NUL; a closed stdin object
        raise _Failure(f"cannot read {name}: {exc}") from None
    if len(data) > limit:
        raise _Failure(f"{name} is larger than {limit} bytes (the largest body accepted)")
    return data


def _opened(path: str) -> contextlib.AbstractContextManager[Any]:
    """The binary stream of the file *path*, or of standard input (``-``: left open after reading)."""
    if path != "-":
        return open(path, "rb")
    stdin: Any = sys.stdin
    if stdin is None:
        raise _Failure("cannot read standard input: it is closed")
    return contextlib.nullcontext(stdin.buffer)


def _read_at_most(stream: Any, size: int) -> bytes:
    """Up to *size* bytes of *stream*, fewer only at its end (a terminal returns a line per read)."""
    chunks: list[bytes] = []
    while size > 0:
        chunk: bytes = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write(stream: TextIO | None, name: str, text: str, *, exact: bool) -> None:
    """Write *text* to *stream* and flush it; raise :class:`_Failure` ("cannot write <name>: ...") if that fails.

    *exact* text (headers, a curl command) must reach the stream as it is, so
    an encoding that cannot represent it is a failure; other text (an
    event's repr, help) is written with backslash escapes for what the
    encoding lacks.
    """
    if stream is None:
        raise _Failure(f"cannot write {name}: it is closed")
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        if exact:
            raise _Failure(
                f"cannot write {name}: its encoding ({encoding}) cannot represent the output; "
                "set PYTHONIOENCODING=utf-8"
            ) from None
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text-only stream (io.StringIO)
            stream.write(text)
        else:
            _write_all(buffer, text.encode(encoding))
    except (OSError, ValueError) as exc:  # ValueError: the stream object was closed
        _discard_buffered_output(stream)
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "it is closed"
        raise _Failure(f"cannot write {name}: {reason}") from None


def _write_all(buffer: Any, data: bytes) -> None:
    """Write all of *data* to the binary *buffer* and flush it.

    A write that a closing pipe cuts short returns the count it wrote, and
    nothing else tells; writing the rest raises the ``BrokenPipeError``.
    """
    view = memoryview(data)
    while view:
        written = buffer.write(view)
        if not written:  # None: a non-blocking stream that would block
            raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        view = view[written:]
    buffer.flush()


def _discard_buffered_output(stream: TextIO) -> None:
    """Point the failed *stream*'s file descriptor at the null device.

    What the stream still buffers is then dropped when the interpreter
    flushes it at exit, instead of failing a second time there (which
    prints a traceback-like "Exception ignored" and exits 120).
    """
    try:
        descriptor = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):  # no file descriptor (an in-memory stream), or a closed one
        return
    os.dup2(null, descriptor)
    os.close(null)


def _output(text: str, *, exact: bool = True) -> None:
    _write(sys.stdout, "standard output", text + "\n", exact=exact)


def _report(message: str) -> None:
    """*message* as one ``error:`` line on stderr; when stderr cannot take it, only the exit code tells."""
    with contextlib.suppress(_Failure):
        _write(sys.stderr, "standard error", f"error: {message}\n", exact=False)


def _print_event(event: WebhookEvent, as_json: bool, **extra: object) -> None:
    if as_json:
        _output(json.dumps({**extra, "class": type(event).__name__, "event": to_dict(event)}, indent=2))
    else:
        _output(str(event), exact=False)  # a repr: escapes are still a faithful repr


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'name: value', got {text[:40]!r}")
    return name.strip(), value.strip()


def _webhook(args: argparse.Namespace, **options: Any) -> Webhook:
    secret = os.environ.get(args.secret_env)
    if not secret:
        raise _Failure(
            f"environment variable {args.secret_env} is not set (the secret is never taken from the command line)",
            EXIT_USAGE,
        )
    return Webhook(secret, **options)


def _cmd_parse(args: argparse.Namespace) -> int:
    _print_event(parse_event(load_payload(_read(args.file, DEFAULT_MAX_BODY_BYTES))), args.json)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    webhook = _webhook(args, tolerance=args.tolerance)
    event = webhook.unwrap(_read(args.file, DEFAULT_MAX_BODY_BYTES), args.header)
    _print_event(event, args.json, verified=True)
    return EXIT_OK


def _cmd_sign(args: argparse.Namespace) -> int:
    webhook = _webhook(args)
    body = _read(args.file, DEFAULT_MAX_BODY_BYTES)
    headers = webhook.sign(body, webhook_id=args.id, timestamp=args.timestamp)
    if args.curl is not None:
        _output(_curl_command(args.curl, headers, body))
    elif args.json:
        _output(json.dumps(headers, indent=2))
    else:
        _output("\n".join(f"{name}: {value}" for name, value in headers.items()))
    return EXIT_OK


def _curl_command(url: str, headers: dict[str, str], body: bytes) -> str:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidPayloadError("body is not UTF-8 text, so it cannot be put in a curl command") from None
    if "\0" in text:
        raise InvalidPayloadError("body holds a NUL character, so it cannot be put in a curl command")
    # --fail-with-body: exit 22 on a 4xx/5xx, its body shown; --location --max-redirs 0: a 3xx is not followed and
    # exits 47 (OpenAI follows none either); --write-out: the status (and a redirect's target) on a line of its own.
    words = ["curl", "--no-progress-meter", "--fail-with-body", "--location", "--max-redirs", "0"]
    words += ["--write-out", r"\nHTTP %{http_code} %{redirect_url}\n", url]
    words += ["--header", "content-type: application/json"]
    for name, value in headers.items():
        words += ["--header", f"{name}: {value}"]
    words += ["--data-raw", text]
    return " ".join(shlex.quote(word) for word in words)


def _payloads() -> str:
    """The help's line naming the example payloads that ship in the package."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "payloads")
    names: list[str] = []
    with contextlib.suppress(OSError):  # a vendored copy without them: the folder is still named
        names = sorted(name for name in os.listdir(folder) if name.endswith(".json"))
    return f"Example payloads, one per event type, ship in {folder}: {', '.join(names)}."


def _command(
    commands: Any, name: str, summary: str, description: str, file_help: str, json_help: str, run: Any
) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description, epilog=_payloads(), **_NO_COLOR
    )
    command.add_argument("file", metavar="FILE", help=f"{file_help}, or - for standard input")
    command.add_argument("--json", action="store_true", help=json_help)
    if name != "parse":
        command.add_argument(
            "--secret-env",
            metavar="NAME",
            default=SECRET_ENV,
            help=f"environment variable holding the signing secret (default {SECRET_ENV})",
        )
    command.set_defaults(run=run)
    return command


# No colour (argparse colours by default from 3.14 on): it probes stdout.isatty(), which raises on a closed
# stream. 3.14 probes when each parser and each formatter is made (its formatters take color=); 3.15 lazily.
_COLOR_OFF: dict[str, Any] = {"color": False}
_NO_COLOR: dict[str, Any] = (
    {} if sys.version_info < (3, 14)
    else {**_COLOR_OFF, "formatter_class": functools.partial(argparse.HelpFormatter, **_COLOR_OFF)}
    if sys.version_info < (3, 15)
    else _COLOR_OFF
)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-webhook-events",
        description="Parse, verify and sign OpenAI webhook deliveries.",
        epilog="Exit codes: 0 ok; 1 rejected, invalid or unreadable input, or unwritable output; "
        f"2 usage or configuration; 130 interrupted. {_payloads()}",
        **_NO_COLOR,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
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
        "--tolerance", type=float, default=300, metavar="SECONDS",
        help="how far webhook-timestamp may be from now, fractions counted (at least 1; default 300)",
    )  # fmt: skip
    sign = _command(
        commands, "sign", "print the webhook-* headers for a payload (or a curl command)",
        "Sign a payload with the secret from an environment variable and print the webhook-id, "
        "webhook-timestamp and webhook-signature headers, or a curl command that posts it.",
        "the payload to sign", "print the headers as a JSON object", _cmd_sign,
    )  # fmt: skip
    sign.add_argument("--id", help="webhook-id to use (default: a new random id)")
    sign.add_argument("--timestamp", type=int, metavar="SECONDS", help="webhook-timestamp to use (default: now)")
    sign.add_argument(
        "--curl",
        metavar="URL",
        help="print a curl command posting the signed payload to URL; it prints the HTTP status and exits "
        "non-zero unless it is 2xx (it follows no redirect: OpenAI follows none)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default ``sys.argv[1:]``); return the exit code.

    Never raises and never prints a traceback: every failure, reading or
    writing included, is one ``error:`` line on stderr and an exit code.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _report("interrupted")
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    # argparse prints help and usage errors itself: catch them, then write them like any other output.
    help_text, usage_text = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(help_text), contextlib.redirect_stderr(usage_text):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        with contextlib.suppress(_Failure):
            _write(sys.stderr, "standard error", usage_text.getvalue(), exact=False)
        try:
            _write(sys.stdout, "standard output", help_text.getvalue(), exact=False)
        except _Failure as failure:
            _report(str(failure))
            return failure.code
        return code
    try:
        return int(args.run(args))
    except _Failure as failure:
        _report(str(failure))
        return failure.code
    except WebhookConfigurationError as exc:
        _report(str(exc))
        return EXIT_USAGE
    except WebhookError as exc:
        _report(str(exc))
        return EXIT_INVALID
