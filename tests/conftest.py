"""Hypothesis profiles: ``ci`` (deterministic, the default under CI=true), ``dev``, ``long``
and ``mutation`` (deterministic and short: mutmut runs the tests once per mutant).

Select one with ``HYPOTHESIS_PROFILE=long pytest``.
"""

import os

from hypothesis import HealthCheck, settings

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
settings.register_profile("mutation", derandomize=True, max_examples=25, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
