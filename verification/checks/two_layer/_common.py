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

__all__ = ["FAMILY_ERROR", "GROUPS", "analytic_lambda_min", "diverged", "one_sided_t", "sorted_select", "t_two_sided"]

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
