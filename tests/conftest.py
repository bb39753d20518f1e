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
    import torch

    from verification import all_checks, get_check
    from verification.check import Measurements
    from verification.parallel import collect_jobs, measure_jobs
    from verification.plan import shipped_timings
    from verification.store import UnitStore

    cache: dict[str, tuple[Any, dict[str, Any], dict[str, Any]]] = {}
    records: dict[tuple[str, str], dict[str, Any]] = {}

    def prefill() -> None:
        """Every check's quick units at once, in one worker per core (one torch thread per unit, as check_all)."""
        checks = all_checks()
        units = {c.name: [] if c.data_unavailable(c.params("quick")) else  # data not installed: nothing to measure
                 c.units(c.params("quick"), list(range(c.default_seeds["quick"]))) for c in checks}
        workers = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 4))
        slot = shipped_timings().get("quick|cpu", {})  # largest first, as check_all schedules a fresh folder
        cost = lambda name: float(slot.get(name, {}).get("seconds_per_unit", 1.0))  # noqa: E731
        records.update(measure_jobs(collect_jobs(checks, units, UnitStore(None), "cpu", cost=cost), "cpu",
                                    UnitStore(None), workers))

    def get(name: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        if name not in cache:
            if not records:
                prefill()
            check = get_check(name)
            params = check.params("quick")
            measured = Measurements()
            for unit in check.units(params, list(range(check.default_seeds["quick"]))):
                rec = records.get((name, unit.key))
                if rec is None:  # a unit whose worker failed: measure it here so that its error shows
                    rec = check.measure(unit, torch.device("cpu"))
                measured.add(unit, rec)
            cache[name] = (check, measured, params)
        return cache[name]

    return get
