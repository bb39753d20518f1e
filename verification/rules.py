"""Decision rules shared by the checks: each returns numbers *and* states itself in words.

All tolerances come from sample sizes (standard errors), from the spread over seeds, or from an
explicit model-error allowance that the calling check must justify in its ``rule`` text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from empirical.rates import spread as seed_spread

__all__ = [
    "SlopeFit",
    "bonferroni_z",
    "fit_common_slope",
    "fit_slope",
    "kendall_tau_test",
    "max_abs_z",
    "mean_ci",
    "seed_spread",
]


def bonferroni_z(family_size: int, family_error: float = 1e-3) -> float:
    """Two-sided critical |z| so that ``family_size`` tests have family-wise error ``family_error``."""
    if family_size < 1:
        raise ValueError(f"family_size={family_size} must be ≥ 1")
    return float(stats.norm.isf(family_error / (2 * family_size)))


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


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares line y = intercept + slope·x with the slope's standard error."""

    slope: float
    intercept: float
    se: float
    n: int

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval for the slope (Student t, n − 2 d.o.f.)."""
        q = float(stats.t.ppf(0.5 + level / 2, max(self.n - 2, 1)))
        return self.slope - q * self.se, self.slope + q * self.se


def fit_slope(x: Sequence[float], y: Sequence[float]) -> SlopeFit:
    """OLS slope of y on x with its residual-based standard error (needs ≥ 3 points)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape or xa.ndim != 1 or xa.size < 3:
        raise ValueError(f"need ≥ 3 paired points, got x {xa.shape} and y {ya.shape}")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ValueError("x and y must be finite")
    xc = xa - xa.mean()
    sxx = float(xc @ xc)
    if sxx == 0:
        raise ValueError("x has no spread")
    slope = float(xc @ (ya - ya.mean()) / sxx)
    intercept = float(ya.mean() - slope * xa.mean())
    resid = ya - intercept - slope * xa
    se = math.sqrt(float(resid @ resid) / max(xa.size - 2, 1) / sxx)
    return SlopeFit(slope, intercept, se, int(xa.size))


def fit_common_slope(groups: Sequence[tuple[Sequence[float], Sequence[float]]]) -> SlopeFit:
    """One slope shared by several groups of (x, y) points, each with its own intercept.

    Each group is centred on its own means and the centred points are pooled into one OLS fit — e.g.
    log error against log width for several α, whose levels differ but whose rate the theory fixes.
    """
    xs: list[float] = []
    ys: list[float] = []
    for gx, gy in groups:
        ax, ay = np.asarray(gx, dtype=np.float64), np.asarray(gy, dtype=np.float64)
        xs += list(ax - ax.mean())
        ys += list(ay - ay.mean())
    return fit_slope(xs, ys)


def kendall_tau_test(measured: Sequence[float], predicted: Sequence[float]) -> tuple[float, float]:
    """Kendall's τ between two orderings and its one-sided p-value for τ > 0 (exact for small n)."""
    m, p = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if m.shape != p.shape or m.size < 3:
        raise ValueError(f"need ≥ 3 paired values, got {m.shape} and {p.shape}")
    res = stats.kendalltau(m, p, alternative="greater", method="exact" if m.size <= 12 else "auto")
    tau = float(res.statistic) if np.isfinite(res.statistic) else 0.0
    pval = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
    return tau, pval


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Mean over seeds and the half-width of its Student-t confidence interval."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size < 2:
        return float(v.mean()), math.inf
    q = float(stats.t.ppf(0.5 + level / 2, v.size - 1))
    return float(v.mean()), q * float(v.std(ddof=1)) / math.sqrt(v.size)
