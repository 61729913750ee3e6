"""The Lambda zip recipe of docs/lambda.md ("Deploy without pip"), run as written (with this interpreter for
the runtime's): the zip holds the function, the package and bytecode that a read-only ``/var/task`` uses
without compiling again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.markdown import fenced_code

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "openai_webhook_events"
TAG = sys.implementation.cache_tag  # e.g. cpython-312


def _recipe() -> str:
    return fenced_code("docs/lambda.md", "## Deploy without pip", "sh")


@pytest.fixture(scope="module")
def function_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout's two inputs in an empty folder, with stale leftovers, then the recipe run there."""
    work = tmp_path_factory.mktemp("checkout")
    shutil.copytree(ROOT / PACKAGE, work / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    (work / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "lambda_function.py", work / "examples")
    (work / PACKAGE / "__pycache__").mkdir()
    (work / PACKAGE / "__pycache__" / "_models.cpython-27.pyc").write_bytes(b"other python")  # never shipped
    (work / "lambda-package").mkdir()
    (work / "lambda-package" / "stale.py").write_text("left from an earlier build")  # cleared first
    script = _recipe()
    assert "python3.12 -m compileall" in script
    script = re.sub(r"(?<![\w/.])python3(?:\.12)? ", f"{sys.executable} ", script)
    subprocess.run(["sh", "-euc", script], cwd=work, check=True, timeout=120)
    return work / "function.zip"


def test_the_zip_holds_the_function_the_package_and_its_bytecode_only(function_zip: Path) -> None:
    names = set(zipfile.ZipFile(function_zip).namelist())
    modules = sorted(p.stem for p in (ROOT / PACKAGE).glob("*.py"))
    payloads = {f"{PACKAGE}/payloads/{p.name}" for p in (ROOT / PACKAGE / "payloads").glob("*.json")}
    expected = {"lambda_function.py", f"{PACKAGE}/py.typed", *payloads}  # the payloads: for testing's helpers
    expected |= {f"{PACKAGE}/{m}.py" for m in modules} | {f"{PACKAGE}/__pycache__/{m}.{TAG}.pyc" for m in modules}
    files = {n for n in names if not n.endswith("/")}
    assert files >= expected
    assert files - expected <= {f"__pycache__/lambda_function.{TAG}.pyc"}, files - expected


def test_a_read_only_task_folder_imports_the_package_from_its_bytecode(function_zip: Path, tmp_path: Path) -> None:
    task = tmp_path / "task"
    zipfile.ZipFile(function_zip).extractall(task)
    for path in task.rglob("*.py"):  # file times a deployment need not keep: bytecode checked by time is stale
        os.utime(path, (946684800, 946684800))
    code = f"import sys; sys.path.insert(0, {str(task)!r}); import lambda_function"
    result = subprocess.run(  # -B: no bytecode written, as on a read-only /var/task
        [sys.executable, "-I", "-S", "-B", "-v", "-c", code],
        cwd=task, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "OPENAI_WEBHOOK_SECRET": "whsec_" + "QUJD" * 8},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    pycache = re.escape(f"{task}/{PACKAGE}/__pycache__/")
    loaded = set(re.findall(rf"# code object from '?{pycache}(\w+)\.{TAG}\.pyc", result.stderr))
    imported = set(re.findall(rf"^import '{PACKAGE}\.?(\w*)'", result.stderr, re.MULTILINE))
    assert imported, result.stderr[-2000:]
    assert {name or "__init__" for name in imported} <= loaded, result.stderr[-2000:]
