"""Benchmark openai-webhook-events side by side with its peers, in one interleaved run.

    python bench/run.py            # full run: table on stdout, bench/RESULTS.md, bench/results.png
    python bench/run.py --quick    # CI smoke: seconds, peers optional, writes no files

Hot paths (parse, verify, unwrap) are timed with ``timeit`` loops over the
example payloads of the event types the openai SDK models, the contenders of a group taking turns in a rotating
order on every repetition; the tables show medians (ns per delivery).
Cold start and peak RSS come from fresh interpreters (see ``coldstart.py``).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata as md
import json
import os
import platform
import statistics
import sys
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import coldstart  # noqa: E402
import idempotency as idempotency_bench  # noqa: E402
import load as load_bench  # noqa: E402
import peers  # noqa: E402

from openai_webhook_events import parse_event  # noqa: E402

PACKAGE = "openai-webhook-events"
X = "\N{MULTIPLICATION SIGN}"
# The types OpenAI documents but the SDK does not model are left out: every contender gets the same mix.
NOT_IN_SDK = json.loads((ROOT / "tests" / "data" / "openai-webhook-events-documented.json").read_text())["events"]
EVENTS = sorted(p for p in (ROOT / "openai_webhook_events" / "payloads").glob("*.json") if p.stem not in NOT_IN_SDK)


@dataclass
class Contender:
    name: str
    stmt: str  # timeit statement run once per loop over ``items``
    env: dict[str, Any]
    loops: int = 1
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class Group:
    title: str
    unit: str
    contenders: list[Contender] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)  # name -> median, filled after the run


# --------------------------------------------------------------------------
# Setting up the contenders.
# --------------------------------------------------------------------------


class Deliveries:
    """The payloads as compact JSON bodies with headers signed "now" (re-signed each repetition)."""

    def __init__(self, payloads: list[dict[str, Any]]) -> None:
        self.bodies = [json.dumps(p, separators=(",", ":")).encode() for p in payloads]
        self.items: list[tuple[bytes, dict[str, str]]] = []
        self.now = 0
        self.resign()

    def resign(self) -> None:
        self.now = int(time.time())
        self.items[:] = [
            (body, peers.sign_delivery(body, f"msg_{index:04d}", self.now)) for index, body in enumerate(self.bodies)
        ]


def _have(module: str, notes: list[str]) -> bool:
    try:
        __import__(module)
    except ImportError:
        note = f"{module} is not installed: skipped (pip install -e '.[bench]')"
        if note not in notes:
            notes.append(note)
        return False
    return True


def parse_group(payloads: list[dict[str, Any]], notes: list[str]) -> Group:
    group = Group("parse: decoded dict -> typed event", "ns")
    for payload in payloads:  # the floor builds exactly what the package builds
        assert peers.floor_parse(payload) == parse_event(payload), payload["type"]
    loop = "for p in items: f(p)"
    add = group.contenders.append
    add(Contender(PACKAGE, loop, {"items": payloads, "f": parse_event}))
    add(Contender("hand-written floor", loop, {"items": payloads, "f": peers.floor_parse}))
    if _have("openai", notes):
        from openai._models import construct_type

        union = peers.sdk_union()
        add(
            Contender(
                "openai SDK construct_type",
                "for p in items: f(type_=u, value=p)",
                {"items": payloads, "f": construct_type, "u": union},
            )
        )
        if _have("pydantic", notes):
            import pydantic

            adapter = pydantic.TypeAdapter(union)
            add(Contender("pydantic TypeAdapter", loop, {"items": payloads, "f": adapter.validate_python}))
    if _have("msgspec", notes):
        import msgspec

        union, wrapper = peers.msgspec_union()
        env = {"items": payloads, "f": msgspec.convert, "u": union, "w": wrapper}
        add(Contender("msgspec naive Union", "for p in items: f(p, u)", dict(env)))
        add(Contender("msgspec cached (wrapper)", "for p in items: f({'event': p}, w).event", dict(env)))
    for contender in group.contenders:  # every contender must accept the whole mix
        exec(contender.stmt, dict(contender.env))
    return group


def verify_groups(deliveries: Deliveries, notes: list[str]) -> list[Group]:
    try:
        from openai_webhook_events import Webhook
    except ImportError:
        notes.append("openai_webhook_events.Webhook not available yet: verify/unwrap skipped")
        return []
    verify = Group("verify: body + headers -> signature checked", "ns")
    unwrap = Group("unwrap: body + headers -> verified typed event", "ns")
    webhook = Webhook(peers.SECRET)
    floor = peers.FloorVerifier(peers.SECRET)
    env = {"items": deliveries.items, "d": deliveries}
    with_now = "for b, h in items: f(b, h, now=d.now)"
    verify.contenders += [
        Contender(PACKAGE, with_now, {**env, "f": webhook.verify}),
        Contender("HMAC floor", with_now, {**env, "f": floor.verify}),
    ]

    floor_verify, floor_parse, loads = floor.verify, peers.floor_parse, json.loads

    def floor_unwrap(body: bytes, headers: dict[str, str], *, now: int | None = None) -> Any:
        floor_verify(body, headers, now=now)
        return floor_parse(loads(body))

    unwrap.contenders += [
        Contender(PACKAGE, with_now, {**env, "f": webhook.unwrap}),
        Contender("floor (json.loads + HMAC + keywords)", with_now, {**env, "f": floor_unwrap}),
    ]
    if _have("openai", notes):
        import openai

        client = openai.OpenAI(api_key="x", webhook_secret=peers.SECRET)
        plain = "for b, h in items: f(b, h)"
        verify.contenders.append(
            Contender("openai SDK verify_signature", plain, {**env, "f": client.webhooks.verify_signature})
        )
        unwrap.contenders.append(Contender("openai SDK unwrap", plain, {**env, "f": client.webhooks.unwrap}))
    if _have("standardwebhooks", notes):
        import standardwebhooks

        verify.contenders.append(
            Contender(
                "standardwebhooks verify",
                "for b, h in items: f(b, h, json_parse=False)",
                {**env, "f": standardwebhooks.Webhook(peers.SECRET).verify},
            )
        )
    for group in (verify, unwrap):
        for contender in group.contenders:
            exec(contender.stmt, dict(contender.env))
    return [verify, unwrap]


# --------------------------------------------------------------------------
# Worst shapes: bodies just under the 1 MiB bound, against json.loads.
# --------------------------------------------------------------------------

SHAPE_BYTES = 1_000_000  # under max_body_bytes (1 MiB)


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def _unknown(data: Any) -> dict[str, Any]:
    return {"id": "evt_shape", "created_at": 1_750_000_000, "type": "brand.new", "object": "event", "data": data}


def _sip_call(count: int) -> dict[str, Any]:
    payload = json.loads((ROOT / "openai_webhook_events" / "payloads" / "realtime.call.incoming.json").read_text())
    payload["data"]["sip_headers"] = [{"name": "X-H", "value": "v"}] * count
    return payload


# name -> (payload of n elements, target factor over json.loads): the shapes that cost the most per byte.
# Freezing builds one Python object per JSON container (a FrozenDict or a tuple), some 4x what json.loads
# spends on it: bodies made of tiny containers get the wider bound (measured 3.8x to 5.5x, the others 1.3x to 2.1x).
# unwrap adds the HMAC of the body and the nesting pre-scan of _json (brackets and quotes are its work):
# its target is one json.loads more than parse_event's.
SHAPES: dict[str, tuple[Any, float]] = {
    "one long key, many elements": (lambda n: _unknown({"k" * 200_000: [0] * n}), 3),
    "many keys": (lambda n: _unknown({f"k{i}": 0 for i in range(n)}), 3),
    "long array": (lambda n: _unknown([0] * n), 3),
    "known event, many sip_headers": (_sip_call, 3),
    "many small objects": (lambda n: _unknown([{"a": 0}] * n), 7),
    "many empty objects": (lambda n: _unknown([{}] * n), 7),
    "200-deep nesting, small objects at the bottom": (lambda n: _unknown(_nested(197, [{"a": [0]}] * n)), 7),
    "strings full of brackets and quotes": (lambda n: _unknown(['[{"\\\\"}]'] * n), 3),
}


def _body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def shape_body(make: Any) -> bytes:
    """The body of the most elements *make* can hold under ``SHAPE_BYTES``."""
    low, high = 1, 2
    while len(_body(make(high))) < SHAPE_BYTES:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(_body(make(middle))) < SHAPE_BYTES else (low, middle)
    return _body(make(low))


def shape_groups() -> dict[str, Group]:
    """Per shape: ``parse_event(json.loads(body))`` and ``unwrap`` against ``json.loads(body)`` alone."""
    from openai_webhook_events import Webhook

    webhook = Webhook(peers.SECRET)
    groups: dict[str, Group] = {}
    for name, (make, _) in SHAPES.items():
        body = shape_body(make)
        parse_event(json.loads(body))  # accepted, and its payload module imported
        deliveries = Deliveries([json.loads(body)])
        env = {"items": deliveries.items, "d": deliveries, "loads": json.loads, "parse": parse_event}
        group = Group(f"worst shape: {name} ({len(body) / 1024:,.0f} KiB body)", "ms")
        group.contenders += [
            Contender(f"{PACKAGE} parse_event(json.loads(body))", "for b, h in items: parse(loads(b))", env),
            Contender(
                f"{PACKAGE} unwrap(body, headers)",
                "for b, h in items: f(b, h, now=d.now)",
                {**env, "f": webhook.unwrap},
            ),
            Contender("json.loads(body)", "for b, h in items: loads(b)", env),
        ]
        groups[f"shape:{name}"] = group
    return groups


# --------------------------------------------------------------------------
# Timing.
# --------------------------------------------------------------------------


def _timer(contender: Contender) -> timeit.Timer:
    """A ``timeit`` timer on CPU time: other processes on the machine do not count."""
    return timeit.Timer(contender.stmt, timer=time.process_time, globals=contender.env)


def calibrate(contender: Contender, batch_seconds: float) -> None:
    timer = _timer(contender)
    loops = 1
    while True:
        elapsed = timer.timeit(loops)
        if elapsed >= batch_seconds / 4 or loops >= 1 << 20:
            contender.loops = max(1, round(loops * batch_seconds / max(elapsed, 1e-9)))
            return
        loops *= 4


def run_hot(groups: list[Group], deliveries: Deliveries, reps: int, batch_seconds: float) -> None:
    """Round-robin: every repetition times each contender once, in an order rotated by one."""
    timers: list[tuple[Contender, timeit.Timer, int]] = []
    for group in groups:
        for contender in group.contenders:
            calibrate(contender, batch_seconds)
            timers.append((contender, _timer(contender), len(contender.env["items"])))
    for rep in range(reps):
        deliveries.resign()  # keep timestamps inside the 5-minute window the peers check
        shift = rep % len(timers)
        for contender, timer, size in timers[shift:] + timers[:shift]:
            contender.samples.append(timer.timeit(contender.loops) / (contender.loops * size) * 1e9)
    for group in groups:
        group.values = {c.name: c.median for c in group.contenders}


# --------------------------------------------------------------------------
# Targets.
# --------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    group: str
    numerator: str
    denominator: str
    limit: float
    at_most: bool  # ratio numerator/denominator must be <= limit (else >=)
    offset: float = 0.0  # for RSS: numerator <= denominator + offset

    def evaluate(self, values: dict[str, dict[str, float]]) -> tuple[str, bool | None]:
        group = values.get(self.group, {})
        if self.numerator not in group or self.denominator not in group:
            return "not measured", None
        a, b = group[self.numerator], group[self.denominator]
        if self.offset:
            return f"{a:.2f} vs {b:.2f} + {self.offset:g} MiB", a <= b + self.offset
        ratio = a / b
        return f"{ratio:.2f}{X}", ratio <= self.limit if self.at_most else ratio >= self.limit

    @property
    def wanted(self) -> str:
        if self.offset:
            return f"≤ floor + {self.offset:g} MiB"
        return f"≤ {self.limit:g}{X}" if self.at_most else f"≥ {self.limit:g}{X}"


P = PACKAGE
TARGETS = [
    Target("parse_event / hand-written keyword floor", "parse", P, "hand-written floor", 0.8, True),
    Target("SDK construct_type / parse_event", "parse", "openai SDK construct_type", P, 35, False),
    Target("parse_event / msgspec cached (wrapper)", "parse", P, "msgspec cached (wrapper)", 2.5, True),
    Target("verify / HMAC floor", "verify", P, "HMAC floor", 1.25, True),
    Target("SDK verify_signature / verify", "verify", "openai SDK verify_signature", P, 3.3, False),
    Target("standardwebhooks verify / verify", "verify", "standardwebhooks verify", P, 3.5, False),
    Target("SDK unwrap / unwrap", "unwrap", "openai SDK unwrap", P, 11, False),
    Target(
        "unwrap / floor (json.loads + HMAC + keywords)", "unwrap", P, "floor (json.loads + HMAC + keywords)", 0.9, True
    ),
    Target("cold start / stdlib floor", "cold", P, "stdlib floor", 1.5, True),
    Target("SDK cold start / cold start", "cold", "openai SDK", P, 20, False),
    Target("Lambda cold start / stdlib handler", "lambda", coldstart.LAMBDA_PACKAGE, coldstart.LAMBDA_FLOOR, 1.7, True),
    Target("peak RSS over empty interpreter", "rss", P, "stdlib floor", 0.0, True, offset=1.0),
    *(
        Target(
            f"parse_event(json.loads) / json.loads, {name}",
            f"shape:{name}",
            f"{P} parse_event(json.loads(body))",
            "json.loads(body)",
            limit,
            True,
        )
        for name, (_, limit) in SHAPES.items()
    ),
    *(
        Target(
            f"unwrap / json.loads, {name}",
            f"shape:{name}",
            f"{P} unwrap(body, headers)",
            "json.loads(body)",
            limit + 1,
            True,
        )
        for name, (_, limit) in SHAPES.items()
    ),
]


# --------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def table_rows(groups: list[tuple[str, str, str, dict[str, float]]]) -> list[tuple[str, str, str, str]]:
    """(measurement, contender, median, ratio to the package) rows."""
    rows = []
    for _, title, unit, values in groups:
        ours = next((name for name in values if name.startswith(PACKAGE)), None)
        for name, value in values.items():
            ratio = f"{value / values[ours]:.2f}{X}" if ours and values[ours] else ""
            rows.append((title, name, f"{_fmt(value)} {unit}", ratio))
    return rows


def render_text(
    rows: list[tuple[str, str, str, str]],
    header: tuple[str, str, str, str] = ("measurement", "contender", "median", f"{X} package"),
) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        lines.append(
            "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def render_markdown(
    rows: list[tuple[str, str, str, str]],
    target_rows: list[tuple[str, str, str, str]],
    importtimes: list[tuple[str, float, float]],
    lambda_importtimes: list[tuple[str, float, float]],
    notes: list[str],
    settings: str,
) -> str:
    out = [
        "# Benchmark results",
        "",
        "Regenerated by `python bench/run.py` (from the repository root, with `pip install -e '.[bench]'`).",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- Machine: {machine()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        "- Peers: " + ", ".join(f"{d} {version(d)}" for d in ("openai", "pydantic", "msgspec", "standardwebhooks")),
        f"- Settings: {settings}",
        "",
        "## Targets",
        "",
        "| target | wanted | measured | status |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in target_rows]
    out += [
        "",
        "## Medians",
        "",
        f"`{X} package` is the contender's median over this package's (above 1: the package is faster or smaller).",
        "",
        f"| measurement | contender | median | {X} package |",
        "| --- | --- | ---: | ---: |",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += [
        "",
        "![results](results.png)",
        "",
        "## Where `import openai_webhook_events` spends its time",
        "",
        "`python -I -X importtime -c 'import openai_webhook_events'`, medians of 7 runs, modules an empty "
        "interpreter does not already import, by self time:",
        "",
        "| module | self (µs) | cumulative (µs) |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| `{name.strip()}` | {own:,.0f} | {total:,.0f} |" for name, own, total in importtimes]
    out += [
        "",
        "## What an HTTP-only Lambda handler module imports beyond the runtime's own",
        "",
        "`python3.12 -I -X importtime`, the runtime's imports (`coldstart.RUNTIME_IMPORTS`) then the package's "
        "handler module (`coldstart.LAMBDA_MODULES`), medians of 7 runs, modules the runtime has not already "
        "imported, by self time:",
        "",
        "| module | self (µs) | cumulative (µs) |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| `{name.strip()}` | {own:,.0f} | {total:,.0f} |" for name, own, total in lambda_importtimes]
    out += [
        "",
        "## How it is measured",
        "",
        f"- **parse**: the {len(EVENTS)} `openai_webhook_events/payloads/*.json` payloads of the types the SDK "
        f"models (not {', '.join(f'`{t}`' for t in NOT_IN_SDK)}), decoded once; ns per payload, "
        "averaged over the "
        "mix. Hand-written floor (`bench/peers.py`): the same checks as `parse_event`, then the package's "
        "dataclasses built with keyword arguments. The SDK and pydantic use `UnwrapWebhookEvent` with "
        "`SafetyIdentifierBlockedWebhookEvent` (shipped by the SDK, missing from its union) added back.",
        "- **verify / unwrap**: the same payloads as compact JSON bodies, signed with the current time "
        "(re-signed every repetition); the package and the floor get `now=`. The HMAC floor copies one "
        "prepared HMAC-SHA256 state and makes the same header, timestamp-window and signature checks.",
        "- Hot paths run in rotating round-robin order, one `timeit` batch per contender per repetition, "
        "timed with `time.process_time` (CPU time of this process, so other load on the machine does not "
        "count); medians over repetitions.",
        "- **worst shapes**: bodies just under 1,000,000 bytes (`max_body_bytes` is 1 MiB) of the shapes that "
        "cost the most per byte (`SHAPES` in `bench/run.py`); CPU time of `parse_event(json.loads(body))` and "
        "of `unwrap(body, headers)` (signature included) per body, against `json.loads(body)` alone.",
        "- **cold start**: `python -I -c ...` per sample, handling one signed `response.completed`: the "
        "child's CPU time (user + system; other load on the machine does not inflate it, wall times are in "
        "the notes) minus the median of an empty interpreter doing the same prologue; bytecode compiled "
        "beforehand; samples interleaved. The stdlib floor imports "
        "`dataclasses, json, hmac, hashlib, base64, typing`, runs one `json.loads` and one HMAC.",
        "- **Lambda cold start**: CPython 3.12 (a Lambda runtime's version), `python -I -c ...` per sample: "
        "first what AWS's runtime (awslambdaric) imports before it imports a handler (`json`, `logging`, "
        "`traceback`, `enum`, `decimal`, ...: `coldstart.RUNTIME_IMPORTS`) and the decoding of an HTTP API "
        "(payload 2.0) request event carrying one signed `response.completed`; then importing the handler "
        "module and calling it once. CPU time over a child that stops before the import. The package's handler "
        "is `aws_lambda.lambda_handler(Webhook(...), router)` with one `router.on` handler; the stdlib one "
        "imports what the stdlib floor imports and checks the signature and timestamp, runs `json.loads` and "
        "answers (`coldstart.LAMBDA_MODULES`).",
        "- **peak RSS**: the child's own high-water mark at its end (`VmHWM` from `/proc/self/status` on Linux, "
        "since `ru_maxrss` after a fork carries the parent's peak; `ru_maxrss` elsewhere), minus the empty "
        "interpreter's.",
        "- **size**: wheel built by `python -m build --wheel`; the SDK's is the sum of the files in the RECORD "
        "of `openai` and every distribution it requires.",
        "",
    ]
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def plot(groups: list[tuple[str, str, str, dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.0 + 1.1 * sum(len(g[3]) for g in groups) / 2))
    for ax, (_, title, unit, values) in zip(axes, groups, strict=True):
        names = list(values)[::-1]
        colours = ["tab:green" if n.startswith(PACKAGE) else "tab:gray" for n in names]
        ax.barh(names, [values[n] for n in names], color=colours)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{title} ({unit}, log scale, lower is better)", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        for index, name in enumerate(names):
            ax.text(values[name], index, f" {_fmt(values[name])}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI smoke: seconds, peers optional, no files written")
    parser.add_argument("--out", type=Path, help="directory for RESULTS.md and results.png (full run: bench/)")
    args = parser.parse_args(argv)
    out = args.out if args.out or args.quick else HERE
    reps, batch, cold_samples = (3, 0.002, 3) if args.quick else (41, 0.02, 31)

    notes: list[str] = []
    payloads = [json.loads(path.read_bytes()) for path in EVENTS]
    deliveries = Deliveries(payloads)
    hot = [parse_group(payloads, notes), *verify_groups(deliveries, notes)]
    shapes = shape_groups()
    started = time.perf_counter()
    run_hot([*hot, *shapes.values()], deliveries, reps, batch)
    for group in shapes.values():  # ns per body -> ms
        group.values = {name: value / 1e6 for name, value in group.values.items()}
    print(f"hot paths: {reps} interleaved repetitions in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    idempotency_found, idempotency_notes = idempotency_bench.measure(args.quick)

    names = [PACKAGE, "stdlib floor", "standardwebhooks", "openai SDK"]
    if args.quick:
        names.remove("openai SDK")
        notes.append("--quick: a smoke run (few, short samples): its ratios are not results")
        notes.append("--quick: openai SDK cold start skipped")
    if not hasattr(__import__("openai_webhook_events"), "unwrap"):
        names.remove(PACKAGE)
        notes.append("openai_webhook_events.unwrap not available yet: package cold start skipped")
    for name in [n for n in names if not coldstart.available(n)]:
        names.remove(name)
        notes.append(f"{name} is not installed: cold start skipped")
    cold = coldstart.measure(names, cold_samples)
    lambda_python, lambda_cold = coldstart.measure_lambda(cold_samples)

    results: list[tuple[str, str, str, dict[str, float]]] = [
        (k, g.title, g.unit, g.values) for k, g in zip(("parse", "verify", "unwrap"), hot, strict=False)
    ]
    results += [(key, group.title, group.unit, group.values) for key, group in shapes.items()]
    results.append(
        (
            "cold",
            "cold start: import + one signed delivery, CPU time over an empty interpreter",
            "ms",
            {n: cold[n]["ms"] for n in names},
        )
    )
    results.append(
        (
            "rss",
            "peak RSS after that cold start, over an empty interpreter",
            "MiB",
            {n: cold[n]["rss_mib"] for n in names},
        )
    )
    results.append(
        (
            "lambda",
            "Lambda cold start: HTTP-only handler module, import + one delivery, CPU time after the runtime's imports",
            "ms",
            {name: lambda_cold[name] for name in coldstart.LAMBDA_MODULES},
        )
    )
    notes.append(
        f"Lambda cold start: {lambda_python}; the runtime's imports and the event's decoding alone: "
        f"{lambda_cold['runtime only']:.1f} ms CPU"
    )
    instructions = None if args.quick else coldstart.lambda_instructions()  # ~20 s under valgrind
    if instructions is not None:
        ours, floor = instructions[coldstart.LAMBDA_PACKAGE], instructions[coldstart.LAMBDA_FLOOR]
        notes.append(
            f"Lambda cold start in instructions (valgrind callgrind, deterministic where CPU time moves with the "
            f"machine's load): {ours:.1f} M / {floor:.1f} M = {ours / floor:.2f}x"
        )
    empty = cold["empty"]
    notes.append(
        f"empty interpreter: {empty['ms']:.1f} ms CPU ({empty['wall_ms']:.1f} ms wall), "
        f"peak RSS {empty['rss_total_mib']:.1f} MiB"
    )
    notes.append(
        "cold start in wall time over the empty interpreter: "
        + ", ".join(f"{n} {cold[n]['wall_ms']:.1f} ms" for n in names)
    )

    if not args.quick:
        sizes: dict[str, float] = {}
        wheel = coldstart.wheel_size()
        if wheel is None:
            notes.append("wheel build failed: size not measured")
        else:
            sizes[f"{PACKAGE} (wheel)"] = wheel / 1024
        if coldstart.available("openai SDK"):
            total, closure = coldstart.installed_size("openai")
            sizes["openai SDK (installed, with dependencies)"] = total / 1024
            notes.append(f"openai dependency closure: {', '.join(closure)}")
        if sizes:
            results.append(("size", "size on disk", "KiB", sizes))

    rows = table_rows(results)
    values = {key: vals for key, _, _, vals in results}
    target_rows = []
    for target in TARGETS:
        measured, ok = target.evaluate(values)
        status = "—" if ok is None else ("reached" if ok else "**missed**")
        target_rows.append((target.label, target.wanted, measured, status))

    print(render_text(rows))
    print()
    print(
        render_text(
            [(a, b, c, d.replace("*", "")) for a, b, c, d in target_rows], ("target", "wanted", "measured", "status")
        )
    )
    print()
    print(idempotency_bench.render_text(idempotency_found))
    for note in notes + idempotency_notes:
        print(f"note: {note}")

    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        importtimes = coldstart.importtime(runs=1 if args.quick else 7)
        lambda_importtimes = coldstart.lambda_importtime(runs=1 if args.quick else 7)
        settings = (
            f"{reps} repetitions {X} ~{batch * 1e3:g} ms batches per contender (hot paths); "
            f"{cold_samples} cold-start samples per contender"
        )
        idempotency_md = idempotency_bench.render_markdown(idempotency_found, idempotency_notes)
        load_md = load_bench.section(out / "RESULTS.md")  # written by bench/load.py's own full run: kept
        (out / "RESULTS.md").write_text(
            render_markdown(rows, target_rows, importtimes, lambda_importtimes, notes, settings)
            + idempotency_md
            + load_md
        )
        plot(results, out / "results.png")
        print(f"wrote {out / 'RESULTS.md'} and {out / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
