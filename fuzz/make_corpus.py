"""Write the seed corpus: ``python fuzz/make_corpus.py`` (from the repository root).

``fuzz/corpus/parse/``: the example payloads and a few edge cases.
``fuzz/corpus/unwrap/``: deliveries in the format of ``fuzz_unwrap.py``, signed
with its ``SECRET`` at ``NOW`` by an HMAC computed here (not by the package).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
KEY = b"fuzzing-key-0123456789abcdef0123"  # as in fuzz_unwrap.py
NOW = 1_750_000_000


def signature(msg_id: str, timestamp: int, body: bytes, key: bytes = KEY) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def delivery(body: bytes, *, mode: int = 0, msg_id: str = "msg_seed", timestamp: int = NOW, extra: str = "") -> bytes:
    lines = [
        f"webhook-id: {msg_id}",
        f"webhook-timestamp: {timestamp}",
        f"webhook-signature: {extra}{signature(msg_id, timestamp, body)}",
        "content-type: application/json",
    ]
    return bytes([mode]) + "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def main() -> None:
    examples = sorted((ROOT / "openai_webhook_events" / "payloads").glob("*.json"))
    parse, unwrap = CORPUS / "parse", CORPUS / "unwrap"
    for folder in (parse, unwrap):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
    edge = {
        "unknown-type": {"id": "evt_1", "type": "brand.new", "created_at": 1, "data": {"x": [1, {"y": None}]}},
        "bad-created-at": {"id": "evt_1", "type": "batch.failed", "created_at": "abc", "data": {"id": "b"}},
        "no-data": {"id": "evt_1", "type": "batch.failed", "created_at": 1, "object": "event"},
        "not-an-object": [1, 2, 3],
    }
    for name, payload in edge.items():
        (parse / f"{name}.json").write_bytes(json.dumps(payload).encode())
    bodies = {path.stem: path.read_bytes() for path in examples}
    for stem, body in bodies.items():
        (parse / f"{stem}.json").write_bytes(body)
        (unwrap / f"signed-by-harness-{stem}").write_bytes(b"\x03" + body)
    completed = bodies["response.completed"]
    other = signature("msg_seed", NOW, completed, b"an-old-rotated-key-0123456789abc") + " "
    seeds = {
        "text-headers": delivery(completed, mode=0),
        "bytes-headers": delivery(bodies["batch.failed"], mode=1),
        "dict-headers": delivery(bodies["realtime.call.incoming"], mode=2),
        "rotated-signatures": delivery(completed, extra=other),
        "versioned-and-invalid-entries": delivery(completed, extra="v1a,abc v2,x v1,!!! "),
        "too-old": delivery(completed, timestamp=NOW - 301),
        "signed-not-json": delivery(b"\xff\xfe not json"),
        "signed-unknown-type": delivery(json.dumps(edge["unknown-type"]).encode(), mode=1),
    }
    for name, raw in seeds.items():
        (unwrap / name).write_bytes(raw)


if __name__ == "__main__":
    main()
