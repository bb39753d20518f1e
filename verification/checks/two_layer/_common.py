"""Shared helpers of the two-layer checks: critical values, record selection, analytic λ_min."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from scipy import stats

from bounds import Bound
from empirical.eigen import eigvalsh
from empirical.gram.analytic import kernel_matrix

__all__ = ["FAMILY_ERROR", "GROUPS", "analytic_lambda_min", "bracket_test", "diverged", "one_sided_t", "sorted_select",
           "t_two_sided"]

#: family-wise error of every multiple-comparison rule of the slice
FAMILY_ERROR = 1e-3
#: neuron groups behind every finite-width λ_min standard error
GROUPS = 16


def one_sided_t(tests: int, groups: int = GROUPS) -> float:
    """One-sided Student-t critical value (groups − 1 d.o.f.) with Bonferroni over ``tests`` at FAMILY_ERROR."""
    return float(stats.t.isf(FAMILY_ERROR / tests, groups - 1))


def sorted_select(measurements: Any, **params: Any) -> list[tuple[Any, Mapping[str, Any]]]:
    """``measurements.select(**params)`` in the order of the unit keys (the order every rule iterates in)."""
    return sorted(measurements.select(**params), key=lambda ur: ur[0].key)


def diverged(measurements: Any) -> str | None:
    """'diverged at step t (config, seed=s)' for the first diverged run in key order, else None."""
    for unit, m in sorted(measurements.records(), key=lambda ur: ur[0].key):
        if m.get("diverged_at") is not None:
            return f"diverged at step {m['diverged_at']} ({unit.config}, seed={unit.seed})"
    return None


def analytic_lambda_min(x: Any, kernel: Bound, alpha: float) -> float:
    """λ_min of the analytic kernel matrix of ``kernel`` at α on the data ``x`` (float64)."""
    return float(eigvalsh(kernel_matrix(torch.as_tensor(np.asarray(x)), kernel, alpha=alpha))[0])


def t_two_sided(tests: int, df: int) -> float:
    """Two-sided Student-t critical value (``df`` d.o.f.) with Bonferroni over ``tests`` at FAMILY_ERROR."""
    return float(stats.t.isf(FAMILY_ERROR / (2 * tests), max(df, 1)))


def bracket_test(groups: Mapping[str, list[tuple[float, float, float, float, float]]]
                 ) -> tuple[list[str], dict[str, dict[str, float]], float]:
    """Two-sided width-m bracket of an analytic λ_min, per group of draws.

    Each draw is (lower, lower_se, upper, upper_se, λ_exact): lower = λ_min(H^(m)) with E lower ≤ λ_exact,
    upper = the cross-fitted Rayleigh quotient with E upper ≥ λ_exact (empirical.two_layer.experiments.
    lambda_min_bracket_width_m). Per group, the mean relative lower end must not exceed 0 and the mean
    relative upper end must not fall below 0 by more than t·SE (Student t, GROUPS − 1 d.o.f., Bonferroni over
    the groups and both ends at FAMILY_ERROR). Returns failures, the per-group table and the largest SE.
    """
    q = t_two_sided(len(groups), GROUPS - 1)
    failures, table, worst_se = [], {}, 0.0
    for label, draws in groups.items():
        arr = np.asarray(draws, dtype=np.float64).reshape(-1, 5)
        lam = arr[:, 4]
        if lam.size == 0 or np.any(~np.isfinite(lam)) or np.any(lam <= 0):
            failures.append(f"{label}: analytic λ_min ≤ 0 or missing")
            continue
        k = lam.size
        lo, hi = float(np.mean(arr[:, 0] / lam) - 1), float(np.mean(arr[:, 2] / lam) - 1)
        lo_se = float(np.sqrt(np.sum((arr[:, 1] / lam) ** 2)) / k)
        hi_se = float(np.sqrt(np.sum((arr[:, 3] / lam) ** 2)) / k)
        worst_se = max(worst_se, lo_se, hi_se)
        if lo > q * lo_se:
            failures.append(f"{label}: width-m λ_min {lo:+.3f} (relative) above the analytic λ_min, t = {lo / lo_se:.1f}")
        if hi < -q * hi_se:
            failures.append(f"{label}: cross-fitted Rayleigh quotient {hi:+.3f} (relative) below the analytic λ_min, "
                            f"t = {hi / hi_se:.1f}")
        table[label] = {"lower_rel": lo, "lower_rel_se": lo_se, "upper_rel": hi, "upper_rel_se": hi_se, "t_crit": q}
    return failures, table, worst_se
