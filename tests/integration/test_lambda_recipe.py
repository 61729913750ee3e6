"""examples/build_zip.sh, the Lambda zip recipe the README shows, run as written: the zip holds the function, the
package and the bytecode of both that a read-only ``/var/task`` uses without compiling again; without its
interpreter it stops at once with a message saying so; it stops at the first failing command.

``PYTHON`` is the recipe's own variable naming the interpreter; the test sets it to this one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "openai_webhook_events"
TAG = sys.implementation.cache_tag  # e.g. cpython-312
SCRIPT = ROOT / "examples" / "build_zip.sh"
DEFAULT = "python3.13"  # the script's default interpreter, that of examples/template.yaml's runtime


def _checkout(work: Path) -> Path:
    """A checkout's two inputs in the empty folder *work*, with stale leftovers; *work*."""
    shutil.copytree(ROOT / PACKAGE, work / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    (work / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "lambda_function.py", work / "examples")
    (work / PACKAGE / "__pycache__").mkdir()
    (work / PACKAGE / "__pycache__" / "_models.cpython-27.pyc").write_bytes(b"other python")  # never shipped
    (work / "lambda-package").mkdir()
    (work / "lambda-package" / "stale.py").write_text("left from an earlier build")  # cleared first
    return work


def _build(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def function_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recipe run in a checkout with ``PYTHON`` naming this interpreter."""
    work = _checkout(tmp_path_factory.mktemp("checkout"))
    result = _build(work, {**os.environ, "PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr
    version = f"Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    assert result.stdout == f"function.zip: bytecode for {version}; the handler is lambda_function.lambda_handler\n"
    return work / "function.zip"


def test_the_zip_holds_the_function_the_package_and_its_bytecode_only(function_zip: Path) -> None:
    names = set(zipfile.ZipFile(function_zip).namelist())
    modules = sorted(p.relative_to(ROOT).with_suffix("") for p in (ROOT / PACKAGE).rglob("*.py"))
    payloads = {f"{PACKAGE}/payloads/{p.name}" for p in (ROOT / PACKAGE / "payloads").glob("*.json")}
    expected = {"lambda_function.py", f"{PACKAGE}/py.typed", *payloads}  # the payloads: for testing's helpers
    expected |= {f"{m.as_posix()}.py" for m in modules}
    expected |= {f"{m.parent.as_posix()}/__pycache__/{m.name}.{TAG}.pyc" for m in modules}
    assert f"{PACKAGE}/idempotency/__pycache__/_base.{TAG}.pyc" in expected, "the subpackage's bytecode too"
    expected.add(f"__pycache__/lambda_function.{TAG}.pyc")  # the handler's own bytecode too
    assert {n for n in names if not n.endswith("/")} == expected


def test_a_read_only_task_folder_imports_the_package_from_its_bytecode(function_zip: Path, tmp_path: Path) -> None:
    task = tmp_path / "task"
    zipfile.ZipFile(function_zip).extractall(task)
    for path in task.rglob("*.py"):  # file times a deployment need not keep: bytecode checked by time is stale
        os.utime(path, (946684800, 946684800))
    # The HTTP-only function does not import the idempotency subpackage (its cold start): imported here too, so a
    # subpackage's bytecode is checked as well.
    code = f"import sys; sys.path.insert(0, {str(task)!r}); import lambda_function, {PACKAGE}.idempotency._base"
    result = subprocess.run(  # -B: no bytecode written, as on a read-only /var/task
        [sys.executable, "-I", "-S", "-B", "-v", "-c", code],
        cwd=task, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "OPENAI_WEBHOOK_SECRET": "whsec_" + "QUJD" * 8},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    folder = re.escape(f"{task}/")
    loaded = {  # openai_webhook_events/idempotency/__pycache__/_base.TAG.pyc -> openai_webhook_events.idempotency._base
        f"{where.replace('/', '.')}{name}".removesuffix(".__init__")
        for where, name in re.findall(
            rf"# code object from '?{folder}([\w/]*?)__pycache__/(\w+)\.{TAG}\.pyc", result.stderr
        )
    }
    imported = set(re.findall(rf"^import '({PACKAGE}[\w.]*)'", result.stderr, re.MULTILINE))
    assert {PACKAGE, f"{PACKAGE}.idempotency._base"} <= imported, result.stderr[-2000:]
    assert imported <= loaded, result.stderr[-2000:]
    handler = re.escape(f"{task}/__pycache__/lambda_function.{TAG}.pyc")
    assert re.search(rf"# code object from '?{handler}", result.stderr), result.stderr[-2000:]


def test_without_its_interpreter_it_says_so_and_builds_nothing(tmp_path: Path) -> None:
    """PATH holding the shell's tools but no python3.13 (the default): one clear line, exit 1, no zip."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ["bash", "rm", "mkdir", "cp", "find", "basename"]:
        found = shutil.which(tool)
        assert found is not None, tool
        (tools / tool).symlink_to(found)
    assert shutil.which(DEFAULT, path=str(tools)) is None
    work = _checkout(tmp_path / "checkout")
    env = {key: value for key, value in os.environ.items() if key != "PYTHON"} | {"PATH": str(tools)}
    result = _build(work, env)
    message = (
        f"{DEFAULT} is needed to compile the bytecode for the Lambda runtime: install it, or set PYTHON=python3.X\n"
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)
    assert not (work / "function.zip").exists()
    assert (work / "lambda-package" / "stale.py").exists()  # stopped before touching anything


def test_it_stops_at_the_first_failing_command(tmp_path: Path) -> None:
    """The handler is missing: cp fails, and nothing after it runs (nothing cleaned or compiled, no zip)."""
    work = _checkout(tmp_path)
    (work / "examples" / "lambda_function.py").unlink()
    result = _build(work, {**os.environ, "PYTHON": sys.executable})
    assert result.returncode != 0
    assert "examples/lambda_function.py" in result.stderr
    assert not (work / "function.zip").exists()
    # not even the next command ran: the copied package still holds the stale bytecode that find removes
    assert [path.name for path in (work / "lambda-package").rglob("*.pyc")] == ["_models.cpython-27.pyc"]
