"""A signed body nested 100,000 levels deep is an ``InvalidPayloadError`` from ``unwrap``, not a dead interpreter.

Run inside Pyodide by scripts/runtimes/pyodide-run.mjs (where CPython's recursion limit does not
stop json's C scanner before the JavaScript stack overflows).  Exit 0: every body raised
``InvalidPayloadError``; 1: one did not.  A crash exits 3 (the driver says so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
import time

from openai_webhook_events import InvalidPayloadError, unwrap

KEY = b"pyodide nesting check, 32 bytes."
SECRET = "whsec_" + base64.b64encode(KEY).decode()
LEVELS = 100_000
BODIES = {
    "arrays": b"[" * LEVELS + b"]" * LEVELS,
    "objects": b'{"a":' * LEVELS + b"1" + b"}" * LEVELS,
    "data of an event": b'{"id":"evt_1","created_at":1,"type":"brand.new","data":'
    + b"[" * LEVELS
    + b"]" * LEVELS
    + b"}",
}


def headers(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    mac = hmac.new(KEY, b"wh_deep." + timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return {
        "webhook-id": "wh_deep",
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def main() -> int:
    failures = 0
    for name, body in BODIES.items():
        print(f"nesting check: {name} nested {LEVELS} deep ...", flush=True)
        try:
            unwrap(body, headers(body), SECRET)
        except InvalidPayloadError as error:
            print(f"nesting check: {name}: InvalidPayloadError: {error}", flush=True)
        except Exception as error:
            print(f"nesting check: {name}: FAILED, {type(error).__name__}: {error}", flush=True)
            failures += 1
        else:
            print(f"nesting check: {name}: FAILED, accepted", flush=True)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
