"""The pure-Python part of the test suite, run inside Pyodide (by scripts/runtimes/pyodide-run.mjs).

Pyodide has no subprocesses, threads or sockets, and only pure wheels are installed there
(pytest, hypothesis).  Left out, each with its reason printed:
  - a test file importing, at module level, a module Pyodide does not have or cannot import;
  - a test that starts processes, threads or servers (``subprocess``, ``sys.executable``,
    ``threading``, ``multiprocessing``, ``socket``, executors), in its own body or through a
    module-level helper or fixture of its file or of a conftest.py;
  - the files in NOT_COLLECTED and the tests in DESELECTED, each with its reason.
Everything else runs, with the ``ci`` Hypothesis profile.  Exit: pytest's code.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

import pytest

NOT_COLLECTED: dict[str, str] = {
    "tests/integration/test_idempotency_stores.py": (
        "starts redis-server and dynalite (tests/servers.py: processes, sockets)"
    ),
    "tests/integration/test_contract_script.py": (
        "checks the contract extra's openai SDK (no pure wheel); runs scripts/contract.py"
    ),
    "tests/unit/test_asgi_async_store.py": (
        "awaits timers and store tasks inside asyncio.run, which needs WebAssembly stack switching (Pyodide under"
        " Node lacks it), and drives redis.asyncio (no pure wheel installed here)"
    ),
}
DESELECTED = {
    "tests/unit/test_cli.py::test_a_full_disk_is_reported_and_the_unwritten_output_dropped": (
        "writes to /dev/full, which Pyodide's file system does not have"
    ),
    "tests/unit/test_parse.py::test_deeply_nested_unknown_data_is_an_invalid_event_not_a_recursion_error": (
        "builds a Python list nested 100,000 deep, which Pyodide cannot free: `del` of such a list overflows"
        " the JavaScript stack without the package involved (the same depth arriving as a signed JSON body"
        " is checked by scripts/runtimes/pyodide_nesting_check.py)"
    ),
}
_NO_ASYNCIO_RUN = (
    "asyncio.run needs WebAssembly stack switching, which Pyodide under Node lacks (Cloudflare's Python"
    " Workers run coroutines on their own event loop)"
)
DESELECTED.update(
    {
        f"tests/unit/test_async_router.py::{name}": _NO_ASYNCIO_RUN
        for name in (
            "test_async_and_plain_handlers_are_dispatched_and_their_results_returned",
            "test_async_callables_of_every_kind_are_accepted_and_awaited",
            "test_handler_exceptions_propagate_through_dispatch",
            "test_a_handler_returning_a_generator_or_an_async_generator_fails_dispatch_closed",
        )
    }
)
DESELECTED["tests/unit/test_receive.py::test_each_adapter_checks_its_options_when_it_is_made_and_never_per_request"] = (
    _NO_ASYNCIO_RUN
)
# collected since it imports tests/helpers.py, not test_queue (boto3): its ASGI half drives the app with asyncio.run
DESELECTED[
    "tests/unit/test_dead_letter.py::test_the_wsgi_and_asgi_apps_pass_the_dead_letter_and_the_hand_off_through"
] = _NO_ASYNCIO_RUN
NEEDS_AN_OS = ("subprocess", "sys.executable", "threading", "multiprocessing", "socket", "Executor(", "Popen")


def _missing_import(tree: ast.Module, seen: set[str] | None = None) -> str | None:
    """What *tree* imports at its top level that cannot be imported here, through the tests' own modules too."""
    seen = set() if seen is None else seen
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "tests":  # from tests import test_queue
                names = [f"tests.{alias.name}" for alias in node.names]
        for name in names:
            top = name.split(".")[0]
            if top == "tests":
                local = Path(*name.split(".")).with_suffix(".py")
                if name not in seen and local.is_file():
                    seen.add(name)
                    missing = _missing_import(ast.parse(local.read_text()), seen)
                    if missing:
                        return missing
                continue
            if importlib.util.find_spec(top) is None:
                return top
            try:  # present, but it may need what is not (starlette.testclient raises without httpx2)
                importlib.import_module(name)
            except Exception as error:
                return f"{name} ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
    return None


def _uses(node: ast.AST, source: str, names: set[str]) -> list[str]:
    """The processes/threads/sockets words in *node*'s source, and the names of *names* it mentions."""
    body = ast.get_source_segment(source, node) or ""
    mentioned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(node) if isinstance(a, ast.arg)
    }
    return [word for word in NEEDS_AN_OS if word in body] + sorted(mentioned & names)


def _tests_needing_an_os(path: str, tree: ast.Module, source: str, needing: set[str]) -> dict[str, str]:
    """Each test that starts processes, threads or sockets itself or through a helper or fixture.

    *needing* holds the names of such helpers and fixtures found so far (those of conftest.py);
    this file's own are added to it.
    """
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    helpers = [f for f in functions if not f.name.startswith("test")]
    while True:  # helpers calling helpers: until nothing new is found
        found = {f.name for f in helpers if f.name not in needing and _uses(f, source, needing)}
        if not found:
            break
        needing |= found
    tests = [("", f) for f in functions if f.name.startswith("test")]
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        methods = [f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
        tests += [(f"{cls.name}::", f) for f in methods if f.name.startswith("test")]
    result = {}
    for prefix, test in tests:
        used = _uses(test, source, needing)
        if used:
            result[f"{path}::{prefix}{test.name}"] = f"uses {', '.join(used)}"
    return result


class _ShowCurrentTest:
    """Tells the Node driver which test is running, so a crash of the interpreter names it."""

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        import js  # type: ignore[import-not-found]  # Pyodide's bridge to JavaScript

        js.globalThis.pyodideCurrentTest = nodeid


def main(args: list[str]) -> int:
    os.environ.setdefault("CI", "true")
    ignored: dict[str, str] = {}
    deselected: dict[str, str] = dict(DESELECTED)
    shared: set[str] = set()  # conftest.py's helpers and fixtures that start processes, threads or sockets
    for conftest in sorted(Path("tests").rglob("conftest.py")):
        source = conftest.read_text()
        _tests_needing_an_os(conftest.as_posix(), ast.parse(source), source, shared)
    for file in sorted(Path("tests").rglob("test_*.py")):
        path = file.as_posix()
        source = file.read_text()
        tree = ast.parse(source)
        missing = _missing_import(tree)
        if path in NOT_COLLECTED:
            ignored[path] = NOT_COLLECTED[path]
        elif missing:
            ignored[path] = f"imports {missing}, which is not installed in this Pyodide run (only pure wheels are)"
        else:
            deselected.update(_tests_needing_an_os(path, tree, source, set(shared)))
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
