"""Location estimates with intervals and standardised deviations (Student t, z)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["clopper_pearson", "max_abs_z", "mean_ci", "t_interval"]


def max_abs_z(measured: np.ndarray, predicted: np.ndarray, se: np.ndarray) -> tuple[float, int]:
    """max_i |measured_i − predicted_i|/se_i and its index (se must be > 0)."""
    m, p, s = (np.asarray(a, dtype=np.float64).ravel() for a in (measured, predicted, se))
    if not (m.shape == p.shape == s.shape):
        raise ValueError(f"shapes differ: measured {m.shape}, predicted {p.shape}, se {s.shape}")
    if np.any(s <= 0) or not np.all(np.isfinite(s)):
        raise ValueError("standard errors must be finite and positive")
    z = np.abs(m - p) / s
    z = np.where(np.isfinite(z), z, np.inf)
    i = int(np.argmax(z))
    return float(z[i]), i



def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Mean over seeds and the half-width of its Student-t confidence interval."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size < 2:
        return float(v.mean()), math.inf
    q = float(stats.t.ppf(0.5 + level / 2, v.size - 1))
    return float(v.mean()), q * float(v.std(ddof=1)) / math.sqrt(v.size)


def t_interval(values: Sequence[float], level: float) -> tuple[float, float, float]:
    """Mean, standard error s/√k and the half-width t_{k−1, (1+level)/2}·s/√k of a two-sided Student-t interval.

    Fewer than 2 values give (mean, ∞, ∞).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return float(v.mean()), math.inf, math.inf
    se = float(v.std(ddof=1)) / math.sqrt(v.size)
    q = float(stats.t.ppf(0.5 + level / 2, v.size - 1))
    return float(v.mean()), se, q * se


def clopper_pearson(error: float, n: int, alpha_total: float) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval (level 1 − alpha_total) for an error rate measured on n examples.

    With k = round(error·n): lower = Beta⁻¹(alpha_total/2; k, n − k + 1) (0 if k = 0), upper =
    Beta⁻¹(1 − alpha_total/2; k + 1, n − k) (1 if k = n).
    """
    k = round(error * n)
    lo = float(stats.beta.ppf(alpha_total / 2, k, n - k + 1)) if k > 0 else 0.0
    hi = float(stats.beta.ppf(1 - alpha_total / 2, k + 1, n - k)) if k < n else 1.0
    return lo, hi
