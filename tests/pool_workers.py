"""Functions a ``ProcessPoolExecutor`` worker runs for ``tests/unit/test_pickle.py`` (importable without pytest)."""

from __future__ import annotations


def raise_error(error: BaseException) -> None:
    """Raise *error*, received through pickle, so that it travels back through pickle too."""
    raise error


def echo(value: object) -> object:
    return value
