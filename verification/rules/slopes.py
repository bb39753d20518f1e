"""Least-squares slopes with standard errors: one line, or one slope shared by groups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["SlopeFit", "extrapolate_inverse_width", "fit_common_slope", "fit_slope"]


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


def extrapolate_inverse_width(widths: Sequence[float], y: Sequence[float]) -> float:
    """Intercept a of the weighted least-squares fit y(m) = a + b/m, weights ∝ m: the m → ∞ value.

    Model: a finite-width average of m i.i.d. unit contributions has a bias O(1/m) and a variance
    O(1/m), so weighting each width by m makes the residuals homoscedastic (needs ≥ 3 widths).
    """
    w, ya = np.asarray(widths, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if w.shape != ya.shape or w.ndim != 1 or w.size < 3 or np.any(w <= 0):
        raise ValueError(f"need ≥ 3 positive widths paired with values, got {w.shape} and {ya.shape}")
    if not np.all(np.isfinite(ya)):
        return float("nan")
    sw = np.sqrt(w)
    design = np.stack([np.ones_like(w), 1.0 / w], axis=1) * sw[:, None]
    coef, *_ = np.linalg.lstsq(design, ya * sw, rcond=None)
    return float(coef[0])
