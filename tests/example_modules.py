"""How a test loads a file of ``examples/`` as its platform would: by path, as a top-level module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(stem: str, module_name: str | None = None) -> ModuleType:
    """``examples/<stem>.py`` executed afresh as the module *module_name* (default: *stem*), not put in sys.modules."""
    spec = importlib.util.spec_from_file_location(module_name or stem, EXAMPLES / f"{stem}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
