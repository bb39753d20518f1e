"""Least-squares slopes with standard errors: one line, or one slope shared by groups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["SlopeFit", "fit_common_slope", "fit_slope"]


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares line y = intercept + slope·x with the slope"s standard error."""

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
