"""The distribution: ``python -m build`` makes a wheel and an sdist, and the wheel installs and runs alone.

Also: the README's test command is exactly the one ``.ci/run`` runs.
"""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from openai_webhook_events import EVENT_TYPES

pytestmark = pytest.mark.tools  # the `test` extra's tools: type checkers, build, the contract's SDK

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "openai_webhook_events"
EXAMPLE = ROOT / "openai_webhook_events" / "payloads" / "response.completed.json"


def _run(
    args: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (path,) = dist.glob("*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed (no dependencies, no index)."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", venv])
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    return venv


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_build_makes_one_wheel_and_one_sdist(dist: Path) -> None:
    assert sorted(p.suffix for p in dist.iterdir()) == [".gz", ".whl"]
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.partition("/")[2] for n in archive.getnames()}
    assert {"pyproject.toml", "README.md", "LICENSE", f"{PACKAGE}/__init__.py", f"{PACKAGE}/py.typed"} <= names
    assert {f"{PACKAGE}/payloads/{t}.json" for t in EVENT_TYPES} <= names


def test_wheel_holds_the_package_with_py_typed_and_the_example_payloads_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {PACKAGE}
    assert f"{PACKAGE}/py.typed" in names
    payloads = {n.split("/", 1)[1] for n in names if n.startswith(f"{PACKAGE}/payloads/")}
    assert payloads == {f"payloads/{t}.json" for t in EVENT_TYPES}, "one example payload per event type"
    modules = {n.split("/", 1)[1] for n in names if n.startswith(f"{PACKAGE}/") and n.endswith(".py")}
    assert modules == {p.relative_to(ROOT / PACKAGE).as_posix() for p in (ROOT / PACKAGE).rglob("*.py")}
    assert "idempotency/_redis.py" in modules, "every subpackage is in the wheel"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_has_no_runtime_requirement(wheel: Path) -> None:
    metadata = _wheel_metadata(wheel)
    requirements = metadata.get_all("Requires-Dist") or []
    assert requirements, "the extras are declared"
    assert all("extra ==" in r for r in requirements), requirements
    assert metadata["Requires-Python"] == ">=3.10"


def test_installed_wheel_imports_and_runs_the_cli(installed: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{installed / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    where = _run(
        [installed / "bin" / "python", "-c", f"import {PACKAGE} as p; print(p.__file__)"], cwd=tmp_path, env=env
    )
    assert where.stdout.startswith(str(installed)), where.stdout
    cli = _run([installed / "bin" / "openai-webhook-events", "parse", EXAMPLE], cwd=tmp_path, env=env)
    assert cli.stdout.startswith("ResponseCompletedWebhookEvent("), cli.stdout
    assert cli.stderr == ""
    helpers = "from openai_webhook_events import testing; print(testing.make_event('batch.failed').data.id)"
    made = _run([installed / "bin" / "python", "-c", helpers], cwd=tmp_path, env=env)  # payloads read from the wheel
    assert (
        made.stdout.strip() == json.loads((ROOT / PACKAGE / "payloads" / "batch.failed.json").read_text())["data"]["id"]
    )


def test_readme_test_command_is_exactly_what_ci_runs() -> None:
    readme = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("python3 -m venv ")]
    assert len(readme) == 1, readme
    assert readme[0] == "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' && pytest"
    assert readme[0] in (ROOT / ".ci" / "run").read_text().splitlines()
