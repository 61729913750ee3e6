"""The pure-Python part of the test suite, run inside Pyodide (by scripts/runtimes/pyodide-run.mjs).

Pyodide has no subprocesses, threads or sockets, and only pure wheels are installed there
(pytest, hypothesis).  Left out, each with its reason printed:
  - a test file importing, at module level, a module Pyodide does not have;
  - a test whose own body starts processes, threads or servers (``subprocess``, ``sys.executable``,
    ``threading``, ``multiprocessing``, ``socket``, executors);
  - the files in NOT_COLLECTED, which do so through helpers.
Everything else runs, with the ``ci`` Hypothesis profile.  Exit: pytest's code.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

import pytest

NOT_COLLECTED = {
    "tests/test_cli.py": "runs the command-line tool in subprocesses (through run_process)",
    "tests/test_packaging.py": "builds and installs wheels in subprocesses",
    "tests/test_vendoring.py": "runs the vendored folder in subprocesses",
    "tests/test_typing.py": "runs mypy and pyright in subprocesses",
    "tests/test_bench_quick.py": "runs the benchmark in a subprocess",
    "tests/test_readme.py": "runs the README's commands in subprocesses",
}
NEEDS_AN_OS = ("subprocess", "sys.executable", "threading", "multiprocessing", "socket", "Executor(", "Popen")


def _missing_import(tree: ast.Module) -> str | None:
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top != "tests" and importlib.util.find_spec(top) is None:
                return top
    return None


def _tests_needing_an_os(path: str, tree: ast.Module, source: str) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            scopes = [(f"{node.name}::", child) for child in node.body]
        elif node in tree.body:
            scopes = [("", node)]
        else:
            continue
        for prefix, child in scopes:
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name.startswith("test"):
                body = ast.get_source_segment(source, child) or ""
                used = [word for word in NEEDS_AN_OS if word in body]
                if used:
                    found.append((f"{path}::{prefix}{child.name}", f"uses {', '.join(used)}"))
    return found


class _ShowCurrentTest:
    """Tells the Node driver which test is running, so a crash of the interpreter names it."""

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        import js  # type: ignore[import-not-found]  # Pyodide's bridge to JavaScript

        js.globalThis.pyodideCurrentTest = nodeid


def main(args: list[str]) -> int:
    os.environ.setdefault("CI", "true")
    ignored: dict[str, str] = {}
    deselected: dict[str, str] = {}
    for file in sorted(Path("tests").glob("test_*.py")):
        path = file.as_posix()
        source = file.read_text()
        tree = ast.parse(source)
        missing = _missing_import(tree)
        if path in NOT_COLLECTED:
            ignored[path] = NOT_COLLECTED[path]
        elif missing:
            ignored[path] = f"imports {missing}, which Pyodide does not have"
        else:
            deselected.update(_tests_needing_an_os(path, tree, source))
    for where, why in {**ignored, **deselected}.items():
        print(f"pyodide: left out {where}: {why}")
    print(f"pyodide: left out {len(ignored)} files and {len(deselected)} tests", flush=True)
    return pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=-ra --strict-markers",
            "-m",
            "not runtime",
            *(f"--ignore={path}" for path in ignored),
            *(f"--deselect={node}" for node in deselected),
            *args,
        ],
        plugins=[_ShowCurrentTest()],
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
