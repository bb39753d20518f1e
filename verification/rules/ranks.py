"""Rank tests: does a measured ordering follow the predicted one?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["kendall_tau_test"]


def kendall_tau_test(measured: Sequence[float], predicted: Sequence[float]) -> tuple[float, float]:
    """Kendall"s τ between two orderings and its one-sided p-value for τ > 0 (exact for small n)."""
    m, p = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if m.shape != p.shape or m.size < 3:
        raise ValueError(f"need ≥ 3 paired values, got {m.shape} and {p.shape}")
    res = stats.kendalltau(m, p, alternative="greater", method="exact" if m.size <= 12 else "auto")
    tau = float(res.statistic) if np.isfinite(res.statistic) else 0.0
    pval = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
    return tau, pval
