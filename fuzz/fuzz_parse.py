"""Fuzz target: bytes -> JSON -> ``parse_event`` -> ``to_dict`` -> ``parse_event``.

Run with ``scripts/fuzz.sh SECONDS`` (or ``python fuzz/fuzz_parse.py CORPUS_DIR``).
Bytes that are not JSON are skipped; for any JSON value, ``parse_event`` must
return an event or raise a ``WebhookError``; anything else is a crash.  An
event must also survive ``to_dict`` and parse back to an equal event.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Literal

import atheris

with atheris.instrument_imports():
    from openai_webhook_events import WebhookError, parse_event, to_dict

    # Instrument the payload modules too (the package imports them lazily).
    for _module in ("_agent_models", "_call_models", "_safety_models"):
        importlib.import_module(f"openai_webhook_events.{_module}")


def test_one_input(data: bytes) -> None:
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        return
    unknown: Literal["keep", "raise"] = "raise" if data[:1] == b" " else "keep"
    try:
        event = parse_event(payload, unknown=unknown)
    except WebhookError:
        return
    again = parse_event(to_dict(event), unknown=unknown)
    if again != event:
        raise AssertionError(f"to_dict round trip changed the event: {event!r} -> {again!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
