"""Smoke tests of the benchmarks: ``bench/run.py --quick`` and ``bench/load.py --quick`` run and report this package.

Their correctness counts are asserted, never their timings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = ("RESULTS.md", "results.png", "load.png")  # what a full run writes into bench/, a quick one never
LOAD_CONTENDERS = {
    "package WSGI, gunicorn gthread, Redis",
    "package WSGI, gunicorn sync, Redis",
    "package ASGI, uvicorn, Redis",
    "package ASGI, uvicorn, Redis async client",
    "package WSGI, gunicorn gthread, SQLite",
}


def _mtimes() -> dict[str, int]:
    paths = [ROOT / "bench" / name for name in WRITTEN]
    return {p.name: p.stat().st_mtime_ns for p in paths if p.exists()}


def _quick(script: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``bench/<script> --quick *args`` run from *cwd*; it must exit 0 and leave bench/'s results alone."""
    before = _mtimes()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _mtimes() == before
    return done


def test_quick_benchmark_exits_zero_prints_the_package_rows_and_writes_no_results(tmp_path: Path) -> None:
    done = _quick("run.py", tmp_path)
    rows = [line for line in done.stdout.splitlines() if "openai-webhook-events" in line]
    measurements = {row.split("  ")[0] for row in rows}
    assert any(m.startswith("parse:") for m in measurements), done.stdout
    assert any(m.startswith("cold start:") for m in measurements), done.stdout
    assert any(m.startswith("Lambda cold start:") for m in measurements), done.stdout
    assert "Lambda cold start / stdlib handler" in done.stdout
    assert "parse_event / hand-written keyword floor" in done.stdout


@pytest.mark.real_store
def test_quick_load_run_processes_every_webhook_id_exactly_once_under_each_server(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        servers.missing("redis-server")
    _quick("load.py", tmp_path, "--json", str(tmp_path / "load.json"))
    runs = json.loads((tmp_path / "load.json").read_text())["runs"]
    assert {run["contender"] for run in runs} == LOAD_CONTENDERS
    for run in runs:
        assert (run["lost"], run["doubled"], run["unanswered"]) == (0, 0, 0), run
        assert run["ids"] * 4 == run["sends"] == run["statuses"]["200"], run
