"""Smoke test of the benchmark: ``bench/run.py --quick`` runs and reports this package (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mtimes() -> dict[str, int]:
    paths = [ROOT / "bench" / name for name in ("RESULTS.md", "results.png")]
    return {p.name: p.stat().st_mtime_ns for p in paths if p.exists()}


def test_quick_benchmark_exits_zero_prints_the_package_rows_and_writes_no_results(tmp_path: Path) -> None:
    before = _mtimes()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "openai-webhook-events" in line]
    measurements = {row.split("  ")[0] for row in rows}
    assert any(m.startswith("parse:") for m in measurements), done.stdout
    assert any(m.startswith("cold start:") for m in measurements), done.stdout
    assert any(m.startswith("Lambda cold start:") for m in measurements), done.stdout
    assert "Lambda cold start / stdlib handler" in done.stdout
    assert "parse_event / hand-written keyword floor" in done.stdout
    assert _mtimes() == before
