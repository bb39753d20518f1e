"""Shared test configuration: hypothesis profiles and a session cache of check measurements.

Hypothesis profile: ``HYPOTHESIS_PROFILE`` = ``dev`` (default), ``ci`` (derandomised, no deadline,
prints reproduction blobs; used by ``.ci/run``) or ``thorough`` (many examples). Registering our
own ``ci`` profile makes the choice explicit: hypothesis would otherwise auto-load its built-in
``ci`` profile whenever a ``CI`` variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

# tests run check_all serially unless they ask for --workers (spawned worker pools are tested in test_scale.py)
os.environ.setdefault("LEAKY_THEORY_WORKERS", "1")
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("ci", max_examples=40, derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
if _PROFILE not in ("dev", "ci", "thorough"):
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE={_PROFILE!r}; choose dev, ci or thorough")
settings.load_profile(_PROFILE)


@pytest.fixture(scope="session")
def quick_measurements() -> Callable[[str], tuple[Any, dict[str, Any], dict[str, Any]]]:
    """``get(name)`` → (check, measurements, params) of the quick profile, measured once per session.

    Measurements never depend on a bound, so every mutant test of a check reuses them.
    """
    from verification import get_check
    from verification.check import Measurements
    from verification.runner import run_check

    cache: dict[str, tuple[Any, dict[str, Any], dict[str, Any]]] = {}

    def get(name: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        if name not in cache:
            check = get_check(name)
            measured = Measurements()
            run_check(check, "quick", device="cpu", measurements_out=measured)
            cache[name] = (check, measured, check.params("quick"))
        return cache[name]

    return get
