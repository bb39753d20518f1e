"""Least-squares slopes with standard errors: one line, or one slope shared by groups."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["InterceptFit", "SlopeFit", "extrapolate_inverse_width", "fit_common_intercept", "fit_common_slope",
           "fit_common_slope_corrected", "fit_group_lines", "fit_slope", "fit_weighted_slope"]


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares line y = intercept + slope·x with the slope's standard error.

    ``df`` is the residual degrees of freedom behind ``se``: n − 2 for one line, N − G − 1 for one
    slope shared by G groups with their own intercepts. Every t quantile of the fit uses it.
    """

    slope: float
    intercept: float
    se: float
    n: int
    df: int
    #: standard error of the intercept (NaN for the centred common-slope fit, whose intercept is not estimated)
    intercept_se: float = float("nan")
    #: residual variance of a unit-weight point (weighted fits; NaN where not recorded)
    residual_variance: float = float("nan")

    def quantile(self, level: float = 0.95) -> float:
        """Two-sided Student-t quantile t_{(1+level)/2, df}."""
        return float(stats.t.ppf(0.5 + level / 2, max(self.df, 1)))

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval for the slope (Student t, ``df`` d.o.f.)."""
        q = self.quantile(level)
        return self.slope - q * self.se, self.slope + q * self.se

    def intercept_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval for the intercept (Student t, ``df`` d.o.f.) — the value at x = 0."""
        q = self.quantile(level)
        return self.intercept - q * self.intercept_se, self.intercept + q * self.intercept_se


@dataclass(frozen=True)
class InterceptFit:
    """y = intercept + slope_g·x: one intercept shared by G groups, each with its own slope.

    E.g. an extrapolation to x = m^(-1/2) = 0 (infinite width) from several α whose finite-width
    corrections differ but whose limit the theory fixes. ``df`` = N − G − 1.
    """

    intercept: float
    se: float
    slopes: tuple[float, ...]
    n: int
    df: int

    def quantile(self, level: float = 0.95) -> float:
        """Two-sided Student-t quantile t_{(1+level)/2, df}."""
        return float(stats.t.ppf(0.5 + level / 2, max(self.df, 1)))

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval for the shared intercept."""
        q = self.quantile(level)
        return self.intercept - q * self.se, self.intercept + q * self.se


def _ols(xa: np.ndarray, ya: np.ndarray, df: int) -> tuple[float, float, float, float]:
    """Slope, intercept, slope SE and intercept SE of y on x, the residual variance divided by ``df``."""
    xc = xa - xa.mean()
    sxx = float(xc @ xc)
    if sxx == 0:
        raise ValueError("x has no spread")
    slope = float(xc @ (ya - ya.mean()) / sxx)
    intercept = float(ya.mean() - slope * xa.mean())
    resid = ya - intercept - slope * xa
    s2 = float(resid @ resid) / max(df, 1)
    return slope, intercept, math.sqrt(s2 / sxx), math.sqrt(s2 * (1 / xa.size + float(xa.mean()) ** 2 / sxx))


def _finite_pairs(x: Sequence[float], y: Sequence[float], minimum: int) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape or xa.ndim != 1 or xa.size < minimum:
        raise ValueError(f"need ≥ {minimum} paired points, got x {xa.shape} and y {ya.shape}")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ValueError("x and y must be finite")
    return xa, ya


def fit_slope(x: Sequence[float], y: Sequence[float]) -> SlopeFit:
    """OLS slope of y on x with its residual-based standard error (needs ≥ 3 points; df = n − 2)."""
    xa, ya = _finite_pairs(x, y, 3)
    slope, intercept, se, ise = _ols(xa, ya, xa.size - 2)
    return SlopeFit(slope, intercept, se, int(xa.size), int(xa.size - 2), ise)


def fit_weighted_slope(x: Sequence[float], y: Sequence[float], weights: Sequence[float]) -> SlopeFit:
    """Weighted least squares y = a + b·x with Var(y_i) = σ²/w_i (σ² estimated, df = n − 2).

    For a known *shape* of heteroscedasticity, e.g. a per-seed estimate whose spread falls like n^(-1/2)
    (w = n). ``residual_variance`` is σ̂², the variance of a point of weight 1.
    """
    xa, ya = _finite_pairs(x, y, 3)
    wa = np.asarray(weights, dtype=np.float64)
    if wa.shape != xa.shape or not np.all(np.isfinite(wa)) or np.any(wa <= 0):
        raise ValueError(f"weights must be positive and finite, one per point; got shape {wa.shape}")
    xbar, ybar = float(np.average(xa, weights=wa)), float(np.average(ya, weights=wa))
    sxx = float(wa @ (xa - xbar) ** 2)
    if sxx == 0:
        raise ValueError("x has no spread")
    slope = float(wa @ ((xa - xbar) * (ya - ybar)) / sxx)
    df = int(xa.size - 2)
    s2 = float(wa @ (ya - ybar - slope * (xa - xbar)) ** 2) / df
    intercept = ybar - slope * xbar
    return SlopeFit(slope, intercept, math.sqrt(s2 / sxx), int(xa.size), df,
                    math.sqrt(s2 * (1 / float(wa.sum()) + xbar**2 / sxx)), s2)


def fit_common_slope(groups: Sequence[tuple[Sequence[float], Sequence[float]]]) -> SlopeFit:
    """One slope shared by G groups of (x, y) points, each with its own intercept (fixed effects).

    Each group is centred on its own means and the centred points are pooled into one OLS fit — e.g.
    log error against log width for several α, whose levels differ but whose rate the theory fixes.
    The model has G intercepts and one slope, so the residual degrees of freedom are N − G − 1 (N
    points in all); the SE and every t quantile use them. ``intercept`` is 0 (the centred fit).
    """
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for gx, gy in groups:
        ax, ay = _finite_pairs(gx, gy, 1)
        xs.append(ax - ax.mean())
        ys.append(ay - ay.mean())
    if not xs:
        raise ValueError("need at least one group")
    xa, ya = np.concatenate(xs), np.concatenate(ys)
    df = int(xa.size - len(xs) - 1)
    if df < 1:
        raise ValueError(f"{xa.size} points in {len(xs)} groups leave no residual degrees of freedom")
    slope, _, se, _ = _ols(xa, ya, df)
    return SlopeFit(slope, 0.0, se, int(xa.size), df)


def _design_ols(rows: list[np.ndarray], ys: list[np.ndarray], what: str
                ) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """OLS on the stacked design blocks: coefficients, their covariance (NaN where not identifiable), d.o.f., y."""
    if not rows:
        raise ValueError("need at least one group")
    design, y = np.vstack(rows), np.concatenate(ys)
    df = int(y.size - design.shape[1])
    if df < 1:
        raise ValueError(f"{y.size} points in {what} leave no residual degrees of freedom")
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    if np.linalg.matrix_rank(design) < design.shape[1]:
        return beta, np.full((design.shape[1],) * 2, np.nan), df, y
    return beta, float(resid @ resid) / df * np.linalg.inv(design.T @ design), df, y


def fit_common_slope_corrected(groups: Sequence[tuple[Sequence[float], Sequence[float]]], classes: Sequence[Any],
                               correction: Callable[[np.ndarray], np.ndarray]) -> SlopeFit:
    """y = a_g + b·x + c_{class(g)}·h(x): one slope b, an intercept per group and a correction term per class.

    The leading exponent b of an asymptotic power law with its next-order term fitted in the data, e.g.
    log D = a_{α,seed} + b·log m + c_α·m^(-1/2) (h(x) = e^(-x/2) for x = log m): the first two terms of an
    expansion in m^(-1/2), whose second term makes the local slope drift towards b as m grows. OLS on the
    explicit design [x, group indicators, h(x)·class indicators]; residual d.o.f. N − G − C − 1 (C classes).
    ``intercept`` is NaN (one per group, not reported); the fitted c_class are not returned.
    """
    gs = list(groups)
    labels = [str(c) for c in classes]
    if len(labels) != len(gs):
        raise ValueError(f"{len(gs)} groups but {len(labels)} class labels")
    kinds = list(dict.fromkeys(labels))
    rows, ys = [], []
    for k, (gx, gy) in enumerate(gs):
        ax, ay = _finite_pairs(gx, gy, 1)
        block = np.zeros((ax.size, 1 + len(gs) + len(kinds)))
        block[:, 0], block[:, 1 + k] = ax, 1.0
        block[:, 1 + len(gs) + kinds.index(labels[k])] = np.asarray(correction(ax), dtype=np.float64)
        rows.append(block)
        ys.append(ay)
    beta, cov, df, y = _design_ols(rows, ys, f"{len(gs)} groups and {len(kinds)} classes")
    if not np.all(np.isfinite(cov)):
        raise ValueError("the slope, intercepts and correction terms are not identifiable (each class needs ≥ 3 "
                         "distinct x)")
    return SlopeFit(float(beta[0]), float("nan"), math.sqrt(float(cov[0, 0])), int(y.size), df)


def fit_common_intercept(groups: Sequence[tuple[Sequence[float], Sequence[float]]]) -> InterceptFit:
    """OLS of y = c + b_g·x over G groups (one shared intercept c, a slope per group), with c's standard error.

    Design matrix [1, x·1{group g}]; residual d.o.f. N − G − 1. Each group needs ≥ 2 distinct x.
    """
    rows, ys = [], []
    gs = list(groups)
    for k, (gx, gy) in enumerate(gs):
        ax, ay = _finite_pairs(gx, gy, 2)
        if np.ptp(ax) == 0:
            raise ValueError(f"group {k} has no spread in x")
        block = np.zeros((ax.size, len(gs) + 1))
        block[:, 0], block[:, k + 1] = 1.0, ax
        rows.append(block)
        ys.append(ay)
    beta, cov, df, y = _design_ols(rows, ys, f"{len(gs)} groups")
    return InterceptFit(float(beta[0]), math.sqrt(float(cov[0, 0])), tuple(float(b) for b in beta[1:]), int(y.size), df)


def fit_group_lines(groups: Sequence[tuple[Sequence[float], Sequence[float]]]) -> list[SlopeFit]:
    """A line y = a_g + b_g·x per group, with the residual variance pooled over the groups.

    Each group keeps its own intercept and slope; the standard errors use the pooled variance
    Σ RSS_g/(N − 2G), so every fit has df = N − 2G (more than the n_g − 2 of separate fits when the
    noise level is common, e.g. extrapolations to x = 0 for several α measured the same way).
    """
    parts = []
    for gx, gy in groups:
        xa, ya = _finite_pairs(gx, gy, 2)
        slope, intercept, _, _ = _ols(xa, ya, 1)
        resid = ya - intercept - slope * xa
        parts.append((xa, slope, intercept, float(resid @ resid)))
    n_all = sum(p[0].size for p in parts)
    df = n_all - 2 * len(parts)
    if df < 1:
        raise ValueError(f"{n_all} points in {len(parts)} groups leave no residual degrees of freedom")
    s2 = sum(p[3] for p in parts) / df
    out = []
    for xa, slope, intercept, _ in parts:
        xc = xa - xa.mean()
        sxx = float(xc @ xc)
        out.append(SlopeFit(slope, intercept, math.sqrt(s2 / sxx), int(xa.size), df,
                            math.sqrt(s2 * (1 / xa.size + float(xa.mean()) ** 2 / sxx))))
    return out


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
