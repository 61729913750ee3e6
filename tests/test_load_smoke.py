"""Smoke run of the load benchmark: ``bench/load.py --quick`` (this package only, real servers, a real redis-server).

Its correctness counts are asserted, never its timings: every webhook-id's handler ran exactly once under
each server, and every send got a 2xx.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_CONTENDERS = {
    "package WSGI, gunicorn gthread, Redis",
    "package WSGI, gunicorn sync, Redis",
    "package ASGI, uvicorn, Redis",
    "package WSGI, gunicorn gthread, SQLite",
}


def _mtimes() -> dict[str, int]:
    paths = [ROOT / "bench" / name for name in ("RESULTS.md", "load.png")]
    return {p.name: p.stat().st_mtime_ns for p in paths if p.exists()}


@pytest.mark.real_store
def test_quick_load_run_processes_every_webhook_id_exactly_once_under_each_server(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        servers.missing("redis-server")
    before = _mtimes()
    numbers = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--quick", "--json", str(numbers)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads(numbers.read_text())["runs"]
    assert {run["contender"] for run in runs} == PACKAGE_CONTENDERS
    for run in runs:
        assert (run["lost"], run["doubled"], run["unanswered"]) == (0, 0, 0), run
        assert run["ids"] * 4 == run["sends"] == run["statuses"]["200"], run
    assert _mtimes() == before
