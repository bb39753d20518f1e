"""Location estimates with intervals and standardised deviations (Student t, z)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["max_abs_z", "mean_ci", "weighted_mean_se"]


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


def weighted_mean_se(values: Sequence[float], weights: Sequence[float]) -> tuple[float, float, int]:
    """Inverse-variance weighted mean v̄ = Σw_k v_k/Σw_k, its standard error and d.o.f. N − 1.

    Model: Var(v_k) = σ²/w_k with σ² unknown (e.g. weights m for an error whose variance is ∝ 1/m).
    σ̂² = Σ w_k(v_k − v̄)²/(N − 1) and SE² = σ̂²/Σw_k; (v̄ − μ)/SE is then exactly Student t with N − 1 d.o.f.
    for Gaussian v_k. Needs ≥ 2 finite values and positive weights.
    """
    v, w = np.asarray(values, dtype=np.float64).ravel(), np.asarray(weights, dtype=np.float64).ravel()
    if v.shape != w.shape or v.size < 2:
        raise ValueError(f"need ≥ 2 paired values and weights, got {v.shape} and {w.shape}")
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("values must be finite and weights finite and positive")
    mean = float(w @ v / w.sum())
    sigma2 = float(w @ (v - mean) ** 2) / (v.size - 1)
    return mean, math.sqrt(sigma2 / float(w.sum())), int(v.size - 1)
