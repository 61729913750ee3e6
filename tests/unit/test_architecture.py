"""Imports point one way: the package's declared layers, no import cycle, and test modules that stand alone.

:data:`LAYERS` is the map, lowest layer first; CONTRIBUTING.md shows the same map as a table (checked below).
A module may import a module of its own layer or of a lower one, never of a higher one.  Every ``import`` and
``from`` statement of every package module counts, wherever it is written: at the top, inside a function
(a lazy import still couples the two modules), and under ``if TYPE_CHECKING:`` (an annotation naming a higher
layer's type ties the lower module to it just the same).  The acyclic check reads the imports that run, so
type-only ones are left out of it: a cycle of annotations costs nothing at import time.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "openai_webhook_events"
NAME = PACKAGE.name

LAYERS: list[tuple[str, frozenset[str]]] = [
    ("errors and values", frozenset({"_errors", "_checks", "_frozen", "_json"})),
    ("event models", frozenset({"_models", "_agent_models", "_call_models", "_safety_models"})),
    ("parse", frozenset({"_parse"})),
    ("headers and signing", frozenset({"_headers", "_signing"})),
    ("verify", frozenset({"_verify"})),
    ("router", frozenset({"_router"})),
    ("logs, answers, deliveries", frozenset({"_log", "_response", "_current", "_delivery"})),
    (
        "idempotency: claims and stores",
        frozenset(
            {
                "idempotency",
                "idempotency._base",
                "idempotency._idempotency",
                "idempotency._memory",
                "idempotency._sqlite",
                "idempotency._redis",
                "idempotency._dynamodb",
            }
        ),
    ),
    ("the receive step", frozenset({"_hand_off", "_options", "_receive"})),
    ("the queue", frozenset({"queue"})),
    ("adapters", frozenset({"_http", "wsgi", "asgi", "aws_lambda", "_lambda_event", "_lambda_request"})),
    ("tools and the root", frozenset({"testing", "_cli", "__main__", "__init__"})),
]
"""The package's layers, lowest first: a module imports only its own layer and the layers before it."""

LAYER_OF = {module: index for index, (_, modules) in enumerate(LAYERS) for module in modules}


def package_modules() -> dict[str, Path]:
    """Every module of the package by its dotted name inside it (``__init__`` for the root, ``sub`` for ``sub/``)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = package_modules()


def _resolve(dotted: str) -> str:
    """The package module a name inside the package belongs to: its longest known prefix, else the root."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or "__init__"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_not_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_type_checking(test.operand)


def imports_of(module: str) -> dict[str, bool]:
    """The package modules *module* imports, anywhere in it, each mapped to whether one of its imports runs."""
    path = MODULES[module]
    package = module.split(".")[:-1] if path.name != "__init__.py" else ([] if module == "__init__" else [module])
    found: dict[str, bool] = {}

    def add(dotted: str, runs: bool) -> None:
        target = _resolve(dotted)
        if target != module:
            found[target] = found.get(target, False) or runs

    def visit(node: ast.AST, runs: bool) -> None:
        if isinstance(node, ast.If) and (_is_type_checking(node.test) or _is_not_type_checking(node.test)):
            typed, untyped = (node.body, node.orelse) if _is_type_checking(node.test) else (node.orelse, node.body)
            for statement in typed:
                visit(statement, False)
            for statement in untyped:
                visit(statement, runs)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == NAME:
                    add(alias.name.partition(".")[2], runs)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                within = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.split(".")[0] == NAME:
                within = node.module.partition(".")[2]
            else:
                within = None
            if within is not None:
                # ``from . import x`` and ``from .sub import x`` name modules too when x is one
                for alias in node.names:
                    add(".".join(filter(None, [within, alias.name])), runs)
        for child in ast.iter_child_nodes(node):
            visit(child, runs)

    visit(ast.parse(path.read_text()), True)
    return found


IMPORTS = {module: imports_of(module) for module in MODULES}


def test_every_package_module_has_a_layer_and_every_layer_a_module() -> None:
    assert sorted(set(MODULES) - set(LAYER_OF)) == [], "add the new module to LAYERS (and CONTRIBUTING.md's table)"
    assert sorted(set(LAYER_OF) - set(MODULES)) == [], (
        "a module of LAYERS is gone: remove it (and from CONTRIBUTING.md)"
    )
    assert sum(len(modules) for _, modules in LAYERS) == len(LAYER_OF), "a module is in two layers"


def test_no_module_imports_a_higher_layer() -> None:
    upward = {
        f"{module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} ({LAYERS[LAYER_OF[target]][0]})"
        for module, imported in IMPORTS.items()
        for target in imported
        if LAYER_OF[target] > LAYER_OF[module]
    }
    assert sorted(upward) == []


def test_the_package_has_no_import_cycle() -> None:
    graph = {module: {target for target, runs in imported.items() if runs} for module, imported in IMPORTS.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert set(order) == set(MODULES)


def test_the_import_reader_sees_lazy_type_only_and_relative_imports() -> None:
    assert {"_headers", "_signing", "_json", "_parse", "_errors"} <= set(IMPORTS["_verify"])
    assert IMPORTS["_log"] == {"_models": False}  # under TYPE_CHECKING only
    assert {"_errors", "_models", "_parse", "_router"} <= {t for t, runs in IMPORTS["__init__"].items() if runs}
    assert IMPORTS["__main__"] == {"_cli": True}


def test_contributing_shows_the_same_layers() -> None:
    """CONTRIBUTING.md's table: one row a layer, lowest first, its modules in backticks."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    rows = re.findall(r"^\| (\d+) \| ([^|]+?) \| ([^|]+?) \|$", text, re.MULTILINE)
    shown = [(name, frozenset(re.findall(r"`([\w.]+)(?:\.py)?`", modules))) for _, name, modules in rows]
    assert [int(number) for number, _, _ in rows] == list(range(1, len(LAYERS) + 1))
    assert shown == LAYERS


# --- Test modules stand alone ---------------------------------------------------------------------

TESTS = ROOT / "tests"
KINDS = ("unit", "integration", "docs")  # the folders of the test modules (CONTRIBUTING.md, "Tests")


def imported_test_modules(source: str) -> set[str]:
    """The test modules (``test_*``) *source* imports, whatever the spelling of the import."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [".".join(filter(None, [node.module, alias.name])) for alias in node.names]
            names += [node.module] if node.module else []
        found.update(name for name in names if name.rsplit(".", 1)[-1].startswith("test_"))
    return found


def test_no_test_module_imports_another_test_module() -> None:
    """Shared helpers live in helper modules (tests/helpers.py, tests/strategies.py, ...), never in a test module."""
    walked = sorted(TESTS.rglob("*.py"))  # every folder: tests/unit, tests/integration, tests/docs, the helpers
    assert Path(__file__).resolve() in walked
    importing = {
        str(path.relative_to(TESTS)): sorted(imported)
        for path in walked
        if (imported := imported_test_modules(path.read_text()))
    }
    assert importing == {}


def test_every_test_module_is_in_the_folder_of_its_kind() -> None:
    """Test modules live only in tests/unit, tests/integration and tests/docs, each a package."""
    placed = {path.relative_to(TESTS).parent.as_posix() for path in TESTS.rglob("test_*.py")}
    assert placed == set(KINDS)
    assert all((TESTS / kind / "__init__.py").is_file() for kind in KINDS)


def test_the_test_import_reader_sees_every_spelling() -> None:
    source = "import tests.unit.test_a\nfrom tests.docs import test_b, helpers\nfrom .test_c import x\n"
    source += "from test_d import y\n"
    assert imported_test_modules(source) == {"tests.unit.test_a", "tests.docs.test_b", "test_c", "test_d"}
    assert (
        imported_test_modules("from tests import helpers\nimport tests.strategies\nfrom .deliveries import x\n")
        == set()
    )
