"""The claim path's client CPU, in process, against a real redis-server: the numbers in the package's comments.

    python bench/claim_path.py              # every case, 25 interleaved rounds
    python bench/claim_path.py claim wsgi   # only the cases whose label contains one of these words
    python bench/claim_path.py server       # redis-server's time per script call

Per case, the CPU of this process (``time.process_time``, so the redis-server's own CPU is not counted) per
call, median and minimum over interleaved rounds of 1,000 calls (50,000 for the calls without a round trip).
The ``server`` cases are redis-server's own time per call instead (``INFO commandstats`` ``usec_per_call``,
reset before each round): the script runs, not the network around them, so load on the machine moves it little.
The ``wsgi`` cases run ``bench/load_apps.py``'s apps in process on ``bench/load.py``'s mix: each webhook-id
sent 4 times (a first delivery, then 3 duplicates), per request; the package's app also on a client without a
server (``NoServer``): its own CPU, without redis-py and the network.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from openai_webhook_events import Router, Webhook, wsgi  # noqa: E402
from openai_webhook_events.idempotency import Idempotency, RedisStore  # noqa: E402
from openai_webhook_events.idempotency._redis import _REDIS_CLAIM, _claim_args  # noqa: E402
from openai_webhook_events.testing import make_payload  # noqa: E402
from tests import servers  # noqa: E402

SECRET = "whsec_" + "Y2xhaW0gcGF0aCBiZW5jaG1hcmsgc2VjcmV0LCAzMmI="
SENDS = 4  # per webhook-id, as bench/load.py sends them
GUNICORN = {  # the rest of a gunicorn gthread environ (29 keys with a delivery's), as a server gives it
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SCRIPT_NAME": "",
    "QUERY_STRING": "",
    "RAW_URI": "/",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "50000",
    "HTTP_CONTENT_TYPE": "application/json",
    "HTTP_ACCEPT_ENCODING": "identity",
    "HTTP_CONNECTION": "keep-alive",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "wsgi.errors": None,
    "wsgi.file_wrapper": None,
    "wsgi.input_terminated": True,
    "gunicorn.socket": None,
}


def environs(ids: int, tag: str) -> list[tuple[bytes, dict[str, Any]]]:
    """*ids* signed deliveries as a WSGI server's environ (``wsgi.input`` added per request)."""
    webhook = Webhook(SECRET)
    now = int(time.time())
    out = []
    for index in range(ids):
        body = json.dumps(make_payload("response.completed", id=f"evt_{tag}_{index}"), separators=(",", ":"))
        data = body.encode()
        environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "PATH_INFO": "/"}
        environ |= {"CONTENT_TYPE": "application/json", "HTTP_HOST": "127.0.0.1", "HTTP_USER_AGENT": "load"}
        environ |= GUNICORN
        for name, value in webhook.sign(data, webhook_id=f"wh_{tag}_{index}", timestamp=now).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        out.append((data, environ))
    return out


class NoServerScript:
    """A registered script that is never called (no ``NOSCRIPT`` without a server)."""

    sha = "0" * 40

    def __call__(self, keys: list[str], args: list[object]) -> object:
        raise AssertionError("NoServer never answers NOSCRIPT")


class NoServer:
    """A redis client answering the store's scripts from a set, without a server: the package's own CPU."""

    def __init__(self) -> None:
        self.keys: set[object] = set()

    def register_script(self, text: str) -> Any:
        return NoServerScript()

    def execute_command(self, command: str, sha: bytes, count: bytes, key: str, *args: object) -> object:
        if len(args) == 4 and key in self.keys:  # a claim of a key claimed before: a duplicate
            return b"completed 9999999999.0"
        self.keys.add(key)
        return 1


def package_without_server() -> Any:
    """``load_apps``' package WSGI app on :class:`NoServer`, its handler doing nothing."""
    router: Router[Any] = Router()
    router.fallback(lambda event: None)
    return wsgi.app(Webhook(SECRET), router, idempotency=Idempotency(RedisStore(NoServer())))


def per_request(app: Any, tag: str, ids: int = 250) -> Callable[[], float]:
    """A round of *app* on fresh deliveries: its CPU seconds per request."""

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        pass

    def round_() -> float:
        deliveries = environs(ids, f"{tag}{time.time_ns()}")
        started = time.process_time()
        for body, environ in deliveries:
            for _ in range(SENDS):
                app({**environ, "wsgi.input": io.BytesIO(body)}, start_response)
        return (time.process_time() - started) / (ids * SENDS)

    return round_


def timed(call: Callable[[], object], number: int) -> Callable[[], float]:
    def round_() -> float:
        started = time.process_time()
        for _ in range(number):
            call()
        return (time.process_time() - started) / number

    return round_


def server_time(client: Any, command: str, call: Callable[[int], object], number: int = 1000) -> Callable[[], float]:
    """A round of ``call(i)`` for i in 0..*number*: redis-server's seconds per *command* call (its own clock)."""
    rounds = iter(range(1_000_000))

    def round_() -> float:
        tag = next(rounds)
        client.config_resetstat()
        for index in range(number):
            call(tag * number + index)
        return float(client.info("commandstats")[f"cmdstat_{command}"]["usec_per_call"]) / 1e6

    return round_


def server_cases(client: Any, store: RedisStore) -> dict[str, Callable[[], float]]:
    """redis-server's time per script call: a first claim, its complete, a duplicate's claim (and SET NX EX)."""
    now = time.time()
    token = Idempotency.new_token()

    def claim_then_complete() -> float:
        claim()  # the same fresh keys, in progress: what each complete finds
        return complete()

    claim = server_time(client, "evalsha", lambda i: store.claim(f"complete{i}", token, now, now + 60))
    complete = server_time(client, "evalsha", lambda i: store.complete(f"complete{i}", token, now, now + 3600))
    return {
        "server: claim script, key absent (a first delivery)": server_time(
            client, "evalsha", lambda i: store.claim(f"first{i}", token, now, now + 60)
        ),
        "server: complete script": claim_then_complete,
        "server: claim script, record completed (a duplicate)": server_time(
            client, "evalsha", lambda i: store.claim("done", "t", now, now + 60)
        ),
        "server: SET NX EX, key present (the hand-written claim)": server_time(
            client, "set", lambda i: client.set("seen", 1, nx=True, ex=604800)
        ),
    }


def main(words: list[str]) -> None:
    with tempfile.TemporaryDirectory() as name:
        server = servers.redis_server(Path(name)).start()
        try:
            os.environ |= {"LOAD_SECRET": SECRET, "LOAD_REDIS_PORT": str(server.port)}
            import load_apps

            client = servers.redis_client(server.port)
            store = RedisStore(client)
            now = time.time()
            token = Idempotency.new_token()
            store.claim("done", token, now, now + 60)
            store.complete("done", token, now, now + 3600)
            script = client.register_script(_REDIS_CLAIM)
            args = _claim_args("t", now, now + 60)
            body, environ = environs(1, "headers")[0]
            webhook = Webhook(SECRET)

            def read_and_verify() -> None:
                webhook.verify(body, wsgi._headers(environ))

            cases: dict[str, Callable[[], float]] = {
                "redis SET NX EX, key present (the hand-written claim)": timed(
                    lambda: client.set("seen", 1, nx=True, ex=604800), 1000
                ),
                "claim script through Script.__call__, record completed": timed(
                    lambda: script(keys=["webhook:done"], args=args), 1000
                ),
                "claim script through client.evalsha, record completed": timed(
                    lambda: client.evalsha(script.sha, 1, "webhook:done", *args), 1000
                ),
                "RedisStore.claim, record completed": timed(lambda: store.claim("done", "t", now, now + 60), 1000),
                "wsgi: headers read from a gunicorn environ and verified": timed(read_and_verify, 50_000),
                "Idempotency.new_token": timed(Idempotency.new_token, 50_000),
                "_claim_args": timed(lambda: _claim_args("t", now, now + 60), 50_000),
                **server_cases(client, store),
            }
            wanted = [label for label in cases if not words or any(word in label for word in words)]
            if not words or "wsgi" in words:
                for app in ("package-wsgi", "handwritten"):
                    label = f"wsgi: {app} (load_apps), per request"
                    cases[label] = per_request(load_apps.build(app), app)
                    cases[label]()  # connections opened, scripts loaded
                    wanted.append(label)
                label = "wsgi: package-wsgi on NoServer, per request"
                cases[label] = per_request(package_without_server(), "none")
                wanted.append(label)
            samples: dict[str, list[float]] = {label: [] for label in wanted}
            for _ in range(25):
                for label in wanted:
                    samples[label].append(cases[label]() * 1e6)
            for label, values in samples.items():
                print(f"{label:58s} median {statistics.median(values):7.2f} µs, min {min(values):7.2f} µs")
        finally:
            server.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
