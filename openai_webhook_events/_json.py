"""The strict JSON loader of webhook bodies: :func:`load_payload`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import accumulate, chain
from operator import sub
from typing import Any

from ._errors import InvalidPayloadError
from ._frozen import MAX_DEPTH  # the freeze's limit: one home

MAX_NESTING = MAX_DEPTH + 8
"""Arrays and objects nested deeper than this are rejected before decoding.

``parse_event`` refuses ``data`` nested deeper than ``MAX_DEPTH`` (200)
levels, which the envelope puts two levels down, so no deeper body can
be an event; the margin keeps that true if the freeze's counting moves by
a level.  The bound also keeps the C scanner's recursion far from the end
of a small thread stack (256 KiB, or musl's 128 KiB default).
"""

_INF = float("inf")
_JSON_WHITESPACE = " \t\n\r"
# For the nesting pre-scan: bytes.translate keeps brackets and quotes (braces folded into
# brackets, as only the depth matters), and the run-length walk reads runs of "[" and "]".
_FOLD_BRACES = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET_OR_QUOTE = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_BRACKET_RUNS = re.compile(rb"\[+|\]+")


def _reject_constant(name: str) -> Any:
    raise InvalidPayloadError(f"body is not valid JSON ({name} is not a JSON number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if value == _INF or value == -_INF:
        raise InvalidPayloadError("body is not valid JSON (a number too large for a float)")
    return value


_decoder: Any = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_scan_once: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # the scanner alone, no regex around it


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether arrays and objects in the JSON *text* nest deeper than *limit* (brackets in strings skipped).

    Exact for valid JSON (and for invalid JSON up to its first syntax error,
    except a backslash outside a string, where either answer is a rejection).
    Linear time, in C-speed string operations and one walk over the runs of
    brackets that are left: at most one run per container, which
    ``json.loads`` has to build anyway.
    """
    if text.count("[") + text.count("{") <= limit:  # fewer brackets cannot nest deeper
        return False
    raw = text.encode("utf-8", "surrogatepass")  # bytes.translate deletes in one C pass: 0.5 ms a MiB
    if b"\\" in raw:  # escaped backslashes, then escaped quotes: what is left cannot end a string
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = raw.translate(_FOLD_BRACES, _NOT_BRACKET_OR_QUOTE)
    if b'"' in brackets:
        # Quotes now alternate open, close: dropping adjacent pairs keeps that, and every other
        # piece between quotes is outside the strings.
        brackets = b"".join(brackets.replace(b'""', b"").split(b'"')[0::2])
    rounds = 0
    if brackets[:1] == b"[" and brackets.count(b"[") == brackets.count(b"]"):
        # Each round drops every innermost "[]", one level off the depth of a balanced string
        # that starts with "[". Rounds while they shrink it by 1/8 or more: 1 MiB of many small
        # objects went from 160 ms (a walk over every run) to 6 ms, json.loads being 15 ms.
        while brackets.count(b"[]") * 16 > len(brackets):
            brackets = brackets.replace(b"[]", b"")
            rounds += 1
    runs = _BRACKET_RUNS.findall(brackets)  # runs of openers and closers, in turn
    lengths = list(map(len, runs))
    if runs and runs[0][:1] == b"]":
        lengths.insert(0, 0)  # so that even positions are openers
    depths = map(sub, accumulate(lengths[0::2]), accumulate(chain((0,), lengths[1::2])))
    return rounds + max(depths, default=0) > limit


def load_payload(body: bytes | bytearray | memoryview | str) -> dict[str, Any]:
    """Decode a webhook body: strict UTF-8 (for bytes), strict JSON, a JSON object at the top.

    Raises :class:`InvalidPayloadError` with a one-line reason for bad UTF-8,
    bad JSON, ``NaN``/``Infinity``/``-Infinity`` or a number too large for a
    float, arrays and objects nested deeper than :data:`MAX_NESTING` levels,
    an integer over the interpreter's digit limit, or a top level that is
    not an object.  Nothing else escapes.
    """
    if isinstance(body, str):
        text = body
    else:
        try:
            text = str(body, "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidPayloadError(f"body is not valid UTF-8 (at byte {exc.start})") from None
    # Fewer characters, or fewer brackets, than the limit cannot nest deeper: a length test and
    # two C-speed counts decide for every real event. Cost: 0.15 us a body on average over the 32
    # example payloads of bench/run.py, where json.loads takes 2.3 us.
    if len(text) > MAX_NESTING and nesting_exceeds(text, MAX_NESTING):
        raise InvalidPayloadError(f"body is nested deeper than {MAX_NESTING} levels")
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    try:
        value, end = _scan_once(text, start)
    except StopIteration as exc:
        raise InvalidPayloadError(f"body is not valid JSON (expecting value at char {exc.value})") from None
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Invalid control character at", "Unterminated string starting at"
        raise InvalidPayloadError(
            f"body is not valid JSON ({reason[:1].lower()}{reason[1:]} at char {exc.pos})"
        ) from None
    except RecursionError:  # the caller was already deep in recursion
        raise InvalidPayloadError("body is nested too deeply for the recursion left") from None
    except InvalidPayloadError:
        raise
    except ValueError:  # int() over sys.get_int_max_str_digits()
        raise InvalidPayloadError("body is not valid JSON (an integer has too many digits)") from None
    if end != len(text):
        rest = text[end:].lstrip(_JSON_WHITESPACE)
        if rest:
            raise InvalidPayloadError(f"body is not valid JSON (extra data at char {len(text) - len(rest)})")
    if value.__class__ is not dict:
        raise InvalidPayloadError("body is not a JSON object")
    return value
