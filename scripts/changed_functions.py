"""Print one mutmut glob per package function or method changed since a commit, for scripts/mutation.sh.

Usage: ``python scripts/changed_functions.py BASE [MODULE ...]`` (MODULE: a dotted module name such as
``openai_webhook_events._receive``; none: every module).  A function counts as changed when its source
matches no function of BASE anywhere in the package, so code moved between modules unchanged is left
out.  ``scripts/mutation.sh $(python scripts/changed_functions.py 5ce1d3a)`` mutates only those.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = "openai_webhook_events"


def functions(source: str) -> dict[str, str]:
    """Each top-level function and method of *source* (``name`` or ``Class.name``) and its source text."""
    found: dict[str, str] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = ast.get_source_segment(source, node) or ""
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = ast.get_source_segment(source, item) or ""
    return found


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def main(base: str, only: set[str]) -> None:
    old: set[str] = set()
    for name in git("ls-tree", "-r", "--name-only", base, PACKAGE).split():
        if name.endswith(".py"):
            old.update(functions(git("show", f"{base}:{name}")).values())
    for path in sorted(Path(PACKAGE).rglob("*.py")):
        module = ".".join(path.with_suffix("").parts)
        if only and module not in only:
            continue
        for name, text in functions(path.read_text()).items():
            if text in old:
                continue
            owner, _, method = name.rpartition(".")
            # mutmut's names: module.x_function__mutmut_N, module.xǁClassǁmethod__mutmut_N
            print(f"{module}.x\u01c1{owner}\u01c1{method}__mutmut_*" if owner else f"{module}.x_{name}__mutmut_*")


if __name__ == "__main__":
    main(sys.argv[1], set(sys.argv[2:]))
