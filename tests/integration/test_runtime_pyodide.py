"""The package under Pyodide (CPython on WebAssembly, what Cloudflare's Python Workers run), under Node, offline.

For ``pyodide@314.0.7`` (Python 3.14) and ``pyodide@0.28.2`` (Python 3.13, the one workerd embeds):
the pure-Python part of the test suite passes (scripts/runtimes/pyodide_pytest.py prints what it
leaves out and why), and a signed body nested 100,000 deep is an ``InvalidPayloadError`` from
``unwrap`` instead of a JavaScript stack overflow that kills the interpreter.

Run: ``pytest --no-cov -m runtime tests/integration/test_runtime_pyodide.py``.
"""

from __future__ import annotations

import shutil

import pytest

from tests.runtimes import ROOT, pure_wheels, pyodide, run, unavailable

pytestmark = pytest.mark.runtime

PYODIDES = [("314.0.7", "3.14"), ("0.28.2", "3.13")]
# The test extra's pure wheels.  Werkzeug resolves to 2.1.2 here: 3.x needs MarkupSafe, which has no
# pure wheel; the tests use only its Headers and EnvironHeaders, which 2.1.2 has.
TEST_WHEELS = (
    *("pytest>=8", "hypothesis>=6.100", "typing_extensions>=4.6", "standardwebhooks>=1.0"),
    *("werkzeug", "starlette>=0.37", "multidict>=6"),
)
DRIVER = ROOT / "scripts" / "runtimes" / "pyodide-run.mjs"


def run_in_pyodide(version: str, python_version: str, script: str, *args: str) -> tuple[int, str]:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is needed to run Pyodide")
    package, site = pyodide(version), pure_wheels(python_version, *TEST_WHEELS)
    done = run([node, str(DRIVER), str(package), str(site), str(ROOT), str(ROOT / script), *args], timeout=1200)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(("version", "python_version"), PYODIDES)
def test_the_pure_python_suite_passes_under_pyodide(version: str, python_version: str) -> None:
    code, output = run_in_pyodide(version, python_version, "scripts/runtimes/pyodide_pytest.py")
    print(output)
    assert code == 0, output[-6000:]
    assert " passed" in output
    assert " failed" not in output


@pytest.mark.parametrize(("version", "python_version"), PYODIDES)
def test_a_signed_body_nested_100000_deep_is_an_invalid_payload_error_under_pyodide(
    version: str, python_version: str
) -> None:
    code, output = run_in_pyodide(version, python_version, "scripts/runtimes/pyodide_nesting_check.py")
    assert "PYODIDE CRASHED" not in output, output[-3000:]
    assert code == 0, output[-3000:]
    assert output.count(": InvalidPayloadError: ") == 3
