"""Convergence rates from loss curves: least-squares slope of log L(t) per step."""

from __future__ import annotations

import numpy as np

__all__ = ["log_slope", "spread"]


def log_slope(loss: np.ndarray, start: int, stop: int | None = None) -> float:
    """Slope of log L(t) against t over steps [start, stop), by least squares (per step).

    For linear convergence L(t) ≈ C·q^t this is log q (negative); the NTK prediction for the
    slowest mode is 2·log(1 − ηλ_min) ≈ −2ηλ_min (docs/theory/convergence.md preamble).
    """
    y = np.asarray(loss, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"loss must be a 1-D curve, got shape {y.shape}")
    for name, v in (("start", start), ("stop", stop)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"{name}={v!r} must be an integer step")
    stop = y.size if stop is None else int(stop)
    if not (0 <= start < stop <= y.size) or stop - start < 2:
        raise ValueError(f"window [{start}, {stop}) must hold at least 2 of the {y.size} steps")
    seg = y[start:stop]
    if not np.all(np.isfinite(seg)) or np.any(seg <= 0):
        raise ValueError("loss must be finite and positive on the fitting window")
    t = np.arange(start, stop, dtype=np.float64)
    return float(np.polyfit(t, np.log(seg), 1)[0])


def spread(values: np.ndarray) -> dict[str, float]:
    """Mean, sample standard deviation, min, max and count of a quantity measured over seeds
    (non-finite values propagate: a diverged seed shows as nan/inf, it is not dropped)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("spread needs at least one value, got none (an empty configuration list?)")
    return {
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "min": float(v.min()),
        "max": float(v.max()),
        "seeds": int(v.size),
    }
