"""Cold start and footprint: fresh interpreters, ``-X importtime``, wheel and install sizes.

Every sample is a new ``python -I -c CODE`` that handles one signed
``response.completed`` delivery, then prints its peak RSS.  An "empty" child that runs only the shared prologue and
epilogue is interleaved with the others; its median is subtracted, so the
numbers are what the import plus the first delivery cost.
"""

from __future__ import annotations

import compileall
import importlib.metadata as md
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import SECRET, sign_delivery

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "openai_webhook_events" / "payloads" / "response.completed.json"
BODY = json.dumps(json.loads(EXAMPLE.read_bytes()), separators=(",", ":")).encode()

_PROLOGUE = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
# Peak RSS in KiB: VmHWM of this process image on Linux (``ru_maxrss`` would include the RSS of the
# forking parent, which Linux carries across exec), else ``ru_maxrss``.
_EPILOGUE = """
try:
    with open('/proc/self/status') as status:
        peak = [line.split()[1] for line in status if line.startswith('VmHWM:')][0]
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stdout.write(str(peak))
"""

# name -> code run between the prologue (which defines BODY, HEADERS, SECRET) and the epilogue.
SNIPPETS: dict[str, str] = {
    "empty": "",
    "openai-webhook-events": (
        "from openai_webhook_events import unwrap\nevent = unwrap(BODY, HEADERS, SECRET)\nassert event.data.id"
    ),
    "stdlib floor": (
        "import dataclasses, json, hmac, hashlib, base64, typing\n"
        "payload = json.loads(BODY)\n"
        "mac = hmac.new(base64.b64decode(SECRET[6:]), "
        "f\"{HEADERS['webhook-id']}.{HEADERS['webhook-timestamp']}.\".encode() + BODY, hashlib.sha256)\n"
        "assert hmac.compare_digest(base64.b64encode(mac.digest()).decode(), HEADERS['webhook-signature'][3:])\n"
        "assert payload['data']['id']"
    ),
    "standardwebhooks": (
        "from standardwebhooks import Webhook\n"
        "payload = Webhook(SECRET).verify(BODY, HEADERS)\n"
        "assert payload['data']['id']"
    ),
    "openai SDK": (
        "import openai\n"
        "client = openai.OpenAI(api_key='x', webhook_secret=SECRET)\n"
        "event = client.webhooks.unwrap(BODY, HEADERS)\n"
        "assert event.data.id"
    ),
}

# Which installed distribution a snippet needs (None: always available).
NEEDS = {"standardwebhooks": "standardwebhooks", "openai SDK": "openai"}


def _code(snippet: str) -> str:
    headers = sign_delivery(BODY, "msg_coldstart", int(time.time()))
    values = f"BODY = {BODY!r}; HEADERS = {headers!r}; SECRET = {SECRET!r}\n"
    return _PROLOGUE + values + snippet + _EPILOGUE


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sample(snippet: str, code: str | None = None, python: str = sys.executable) -> tuple[float, float, int]:
    """``(CPU seconds, wall seconds, peak RSS KiB)`` of one fresh child running *snippet* (or the whole *code*)."""
    code = _code(snippet) if code is None else code
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([python, "-I", "-c", code], capture_output=True, check=False)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed:\n{done.stderr.decode()[-2000:]}")
    return cpu, elapsed, int(done.stdout.decode().strip().splitlines()[-1])


def precompile() -> None:
    """Write the bytecode of the package first, so no sample pays for compilation."""
    compileall.compile_dir(str(ROOT / "openai_webhook_events"), quiet=1)


def measure(names: list[str], count: int) -> dict[str, dict[str, float]]:
    """Median CPU and wall time (ms) and peak RSS (MiB) per snippet, over the "empty" child; round-robin.

    CPU time (user + system, from ``RUSAGE_CHILDREN``) is the headline: it is
    what a single-threaded start costs, and unlike wall time it does not
    grow when other processes compete for the cores.
    """
    precompile()
    samples = _round_robin({name: _code(SNIPPETS[name]) for name in ["empty", *names]}, count, sys.executable)
    order = ["empty", *names]

    def median(name: str, index: int) -> float:
        return statistics.median(sample[index] for sample in samples[name])

    result = {
        name: {
            "ms": (median(name, 0) - median("empty", 0)) * 1e3,
            "wall_ms": (median(name, 1) - median("empty", 1)) * 1e3,
            "rss_mib": (median(name, 2) - median("empty", 2)) / 1024,
            "rss_total_mib": median(name, 2) / 1024,
        }
        for name in order
    }
    result["empty"].update(ms=median("empty", 0) * 1e3, wall_ms=median("empty", 1) * 1e3)
    return result


def _round_robin(codes: dict[str, str], count: int, python: str) -> dict[str, list[tuple[float, float, int]]]:
    """*count* samples of each code, in rotating order (after one warm-up sample each, which writes any .pyc)."""
    order = list(codes)
    for name in order:
        _sample("", codes[name], python)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in order}
    for rep in range(count):
        shift = rep % len(order)
        for name in order[shift:] + order[:shift]:
            samples[name].append(_sample("", codes[name], python))
    return samples


# --- An HTTP-only Lambda function, after the runtime's own imports ----------------------------------------

# What AWS's Python runtime has imported before it imports the handler module: awslambdaric 4.2.2's
# bootstrap.py and the modules it imports (lambda_context, lambda_runtime_client, lambda_runtime_log_utils,
# lambda_runtime_marshaller), and simplejson 4.3's (decimal, operator, re). http.client comes only on an error.
RUNTIME_IMPORTS = "import decimal, enum, importlib, io, json, logging, math, operator, os, re, sys, time, traceback\n"
LAMBDA_PACKAGE = "openai-webhook-events Lambda handler"
LAMBDA_FLOOR = "stdlib Lambda handler"
LAMBDA_MODULES = {
    # the Lambda function of the README: a Router, a Webhook, aws_lambda.lambda_handler
    LAMBDA_PACKAGE: """
from openai_webhook_events import ResponseCompletedWebhookEvent, Router, Webhook, aws_lambda

router = Router()


@router.on(ResponseCompletedWebhookEvent)
def completed(event):
    assert event.data.id


handler = aws_lambda.lambda_handler(Webhook(SECRET), router)
""",
    # the same checks by hand: the signature within the tolerance, json.loads, the answer
    LAMBDA_FLOOR: """
import base64, dataclasses, hashlib, hmac, time, typing

KEY = base64.b64decode(SECRET.removeprefix("whsec_"))


def handler(event, context):
    headers = {name.lower(): value for name, value in event["headers"].items()}
    body = event["body"].encode()
    webhook_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return {"statusCode": 401, "body": '{"message": "stale"}'}
    expected = base64.b64encode(hmac.new(KEY, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    signatures = [s.partition(",")[2].encode() for s in headers["webhook-signature"].split()]
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        return {"statusCode": 401, "body": '{"message": "invalid signature"}'}
    payload = json.loads(body)
    assert payload["data"]["id"]
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"message": "ok"})}
""",
}


def lambda_python() -> str:
    """CPython 3.12 (a Lambda runtime's version) from ``$(pyenv root)/versions/``, else this interpreter."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found = sorted(Path(root).glob("versions/3.12.*/bin/python"))
    return str(found[-1]) if found else sys.executable


def _lambda_event() -> str:
    """An HTTP API (payload 2.0) request event carrying one signed delivery, as JSON text."""
    event = json.loads((ROOT / "tests" / "data" / "lambda-events" / "apiGatewayProxyV2Event.json").read_text())
    headers = sign_delivery(BODY, "msg_lambda_coldstart", int(time.time()))
    event.update(headers={"content-type": "application/json", **headers}, body=BODY.decode(), isBase64Encoded=False)
    return json.dumps(event)


def _lambda_code(folder: Path, module: str | None) -> str:
    """The child: the runtime's imports and its decoding of the event, then importing *module* and one call."""
    code = _PROLOGUE + f"sys.path.insert(0, {str(folder)!r})\n" + RUNTIME_IMPORTS
    code += f"EVENT = json.loads({_lambda_event()!r})\n"
    if module is not None:
        code += (
            f"answer = importlib.import_module({module!r}).handler(EVENT, None)\nassert answer['statusCode'] == 200\n"
        )
    return code + _EPILOGUE


def _lambda_modules(folder: Path, python: str) -> dict[str, str]:
    """Write the handler modules into *folder*, compile them and the package for *python*: name -> module."""
    modules = {}
    for index, (name, source) in enumerate(LAMBDA_MODULES.items()):
        modules[name] = f"lambda_function_{index}"
        (folder / f"{modules[name]}.py").write_text(f"import json\nSECRET = {SECRET!r}\n{source}")
    subprocess.run([python, "-m", "compileall", "-q", str(folder), str(ROOT / "openai_webhook_events")], check=True)
    return modules


def measure_lambda(count: int) -> tuple[str, dict[str, float]]:
    """The Lambda interpreter and the median CPU ms, over the runtime-only child, of each handler module."""
    python = lambda_python()
    with tempfile.TemporaryDirectory() as folder:
        modules = _lambda_modules(Path(folder), python)
        codes = {"runtime only": _lambda_code(Path(folder), None)}
        codes.update({name: _lambda_code(Path(folder), module) for name, module in modules.items()})
        samples = _round_robin(codes, count, python)
    cpu = {name: statistics.median(sample[0] for sample in found) * 1e3 for name, found in samples.items()}
    over = {name: cpu[name] - cpu["runtime only"] for name in LAMBDA_MODULES}
    return python, {**over, "runtime only": cpu["runtime only"]}


def lambda_instructions() -> dict[str, float] | None:
    """Millions of instructions (valgrind's callgrind ``Ir``) each handler module adds to the runtime-only child.

    Deterministic where CPU time is not (on a shared machine the ratio of CPU
    medians moves by 0.1x from run to run): what a cut saves, in the comment
    beside it, is measured here.  ``None`` without valgrind.
    """
    if shutil.which("valgrind") is None:
        return None
    python = lambda_python()
    with tempfile.TemporaryDirectory() as folder:
        modules = _lambda_modules(Path(folder), python)
        codes = {"runtime only": _lambda_code(Path(folder), None)}
        codes.update({name: _lambda_code(Path(folder), module) for name, module in modules.items()})
        _round_robin(codes, 0, python)  # the warm-up: bytecode written
        counts = {name: _instructions(code, python) for name, code in codes.items()}
    return {name: (counts[name] - counts["runtime only"]) / 1e6 for name in LAMBDA_MODULES}


def _instructions(code: str, python: str) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-I", "-c", code],
        capture_output=True,
        check=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(found[1])


def lambda_importtime(runs: int = 7, top: int = 12) -> list[tuple[str, float, float]]:
    """``(module, self µs, cumulative µs)`` medians of the modules the package's handler adds to the runtime's."""
    python = lambda_python()
    with tempfile.TemporaryDirectory() as folder:
        module = _lambda_modules(Path(folder), python)[LAMBDA_PACKAGE]
        prologue = _PROLOGUE + f"sys.path.insert(0, {folder!r})\n" + RUNTIME_IMPORTS
        baseline = _importtime_runs(prologue, 1, python)
        rows = _importtime_runs(prologue + f"importlib.import_module({module!r})", runs, python)
    return _added(rows, baseline, top)


_IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def importtime(runs: int = 7, top: int = 12) -> list[tuple[str, float, float]]:
    """``(module, self µs, cumulative µs)`` medians for modules ``import openai_webhook_events`` adds."""
    baseline = _importtime_runs(_PROLOGUE + "pass", 1)
    return _added(_importtime_runs(_PROLOGUE + "import openai_webhook_events", runs), baseline, top)


def _added(
    rows: dict[str, tuple[list[int], list[int]]], baseline: dict[str, tuple[list[int], list[int]]], top: int
) -> list[tuple[str, float, float]]:
    """The *top* modules of *rows* not in *baseline*, by median self time."""
    added = {name: v for name, v in rows.items() if name not in baseline}
    table = [(name, statistics.median(s), statistics.median(c)) for name, (s, c) in added.items()]
    table.sort(key=lambda row: -row[1])
    return table[:top]


def _importtime_runs(code: str, runs: int, python: str = sys.executable) -> dict[str, tuple[list[int], list[int]]]:
    rows: dict[str, tuple[list[int], list[int]]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [python, "-I", "-X", "importtime", "-c", code],
            capture_output=True,
            check=True,
            text=True,
        )
        for line in done.stderr.splitlines():
            found = _IMPORTTIME.match(line)
            if found:
                self_us, cumulative, _, name = found.groups()
                own, total = rows.setdefault(name, ([], []))
                own.append(int(self_us))
                total.append(int(cumulative))
    return rows


def wheel_size() -> int | None:
    """Bytes of this package's wheel, built with ``python -m build --wheel`` into a temp dir."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", out, str(ROOT)],
            capture_output=True,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        wheels = list(Path(out).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            sys.stderr.write(done.stderr.decode()[-2000:])
            return None
        return wheels[0].stat().st_size


def installed_size(distribution: str) -> tuple[int, list[str]]:
    """Bytes of the files in the RECORD of *distribution* and its (non-extra) dependency closure."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    pending = [distribution]
    total = 0
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        for file in dist.files or ():
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
        for spec in dist.requires or ():
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return total, sorted(seen)


def available(name: str) -> bool:
    needed = NEEDS.get(name)
    if needed is None:
        return True
    try:
        md.distribution(needed)
    except md.PackageNotFoundError:
        return False
    return True


def main() -> None:
    """``python bench/coldstart.py [SAMPLES]``: the cold-start medians and the three cold-start ratios of ``run.py``."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 31
    names = [name for name in ("openai-webhook-events", "stdlib floor", "openai SDK") if available(name)]
    result = measure(names, count)
    for name in names:
        print(f"{name:24} {result[name]['ms']:8.2f} ms CPU  {result[name]['rss_mib']:6.2f} MiB over empty")
    ours = result["openai-webhook-events"]["ms"]
    print(f"cold start / stdlib floor: {ours / result['stdlib floor']['ms']:.2f}x")
    if "openai SDK" in result:
        print(f"SDK cold start / cold start: {result['openai SDK']['ms'] / ours:.2f}x")
    python, cpu = measure_lambda(count)
    print(f"Lambda, {python}: runtime only {cpu['runtime only']:.2f} ms CPU; over it:")
    for name in LAMBDA_MODULES:
        print(f"{name:40} {cpu[name]:8.2f} ms CPU")
    print(f"Lambda cold start / stdlib Lambda handler: {cpu[LAMBDA_PACKAGE] / cpu[LAMBDA_FLOOR]:.2f}x")
    instructions = lambda_instructions()
    if instructions is not None:
        ours, floor = instructions[LAMBDA_PACKAGE], instructions[LAMBDA_FLOOR]
        print(f"  in instructions (callgrind): {ours:.1f} M / {floor:.1f} M = {ours / floor:.2f}x")
    for name, own, cumulative in lambda_importtime():
        print(f"  {name:48} {own:8.0f} µs self {cumulative:8.0f} µs cumulative")


if __name__ == "__main__":
    main()
