"""Dependencies point one way: no import cycle in the package, the core never imports an adapter, small modules."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "openai_webhook_events"
MODULES = {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}
ADAPTERS = {"aws_lambda", "wsgi", "asgi", "_http", "_cli", "__main__", "testing"}
"""Modules that adapt the core to a runtime (Lambda, WSGI, ASGI, the command line, users' tests); nothing in the core
imports them."""


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str) -> set[str]:
    """The package modules *module* imports at run time, at any level (functions included, type-checking blocks not)."""
    tree = ast.parse(MODULES[module].read_text())
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "openai_webhook_events":
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names if a.name in MODULES])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "openai_webhook_events" and len(parts) > 1:
                    found.add(parts[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return {name for name in found if name in MODULES} | ({"__init__"} & found)


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_reader_sees_the_imports_it_should() -> None:
    assert {"_headers", "_signing", "_json", "_parse", "_errors"} <= GRAPH["_verify"]
    assert "_headers" in GRAPH["aws_lambda"]
    assert "_verify" not in GRAPH["aws_lambda"]  # only for type checking
    assert {"_receive", "_http"} <= GRAPH["wsgi"] & GRAPH["asgi"]


def test_the_package_has_no_import_cycle() -> None:
    try:
        order = list(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert set(order) == set(MODULES)


def test_no_core_module_imports_an_adapter() -> None:
    for module, imported in GRAPH.items():
        if module not in ADAPTERS and module != "__init__":
            assert not imported & ADAPTERS, f"{module} imports {imported & ADAPTERS}"


def test_every_module_is_at_most_400_lines() -> None:
    lengths = {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}
    assert {module: n for module, n in lengths.items() if n > 400} == {}
