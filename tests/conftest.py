"""Hypothesis profiles: ``ci`` (deterministic, the default under CI=true), ``dev``, ``long``,
``compat`` (deterministic and short: .ci/run's other interpreters, where the point is that the
code runs there, the search having run in full on the default one) and ``mutation`` (deterministic
and short: mutmut runs the tests once per mutant).

Select one with ``HYPOTHESIS_PROFILE=long pytest``.  Also the one shared fixture: a process pool.
"""

import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if Path(__file__).resolve().parents[1].name == "mutants":  # scripts/mutation.sh: mutmut's copy
    # Each package call passes through two mutmut trampoline frames: room for the 200
    # nesting levels that freezing allows (default limit 1000).
    sys.setrecursionlimit(4_000)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("long", max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("compat", derandomize=True, max_examples=20, deadline=None, print_blob=True)
settings.register_profile("mutation", derandomize=True, max_examples=25, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def process_pool() -> Iterator[ProcessPoolExecutor]:
    """One worker process, started fresh (spawn): it shares nothing with the tests but pickles."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor
