"""Ratio-trend rule for an asymptotic bound with hidden constants: does measured/bound drift toward a limit?

For an upper bound Q ≤ C·U in the limit v → v₀ the ratio Q/U must stay bounded: fit the slope b of
log(Q/U) against log v. The bound is violated when the ratio grows toward v₀ by more than the exponent
resolution δ with confidence — for v → ∞ when the lower end of the slope's confidence interval exceeds δ,
for v → 0 when its upper end is below −δ (mirror images for a lower bound Q ≥ c·L). The calling check
states and justifies δ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verification.rules.slopes import fit_slope

__all__ = ["ratio_trend_test"]


def ratio_trend_test(label: str, x: np.ndarray, ratio: np.ndarray, toward: str, kind: str, level: float,
                     delta: float) -> dict[str, Any]:
    """The rule above for one bound along one direction.

    ``kind="upper"``: ratio = Q/U of an upper bound; ``"lower"``: ratio = Q/L of a lower bound. ``toward`` is
    "0" or "inf". Points with non-positive or non-finite x or ratio are dropped; fewer than 3 usable points
    give ``usable=False``. Returns ``{"test", "slope", "se", "ci", "points", "violated", "usable"}``.
    """
    ok = np.isfinite(x) & np.isfinite(ratio) & (ratio > 0) & (x > 0)
    lx, ly = np.log(x[ok]), np.log(ratio[ok])
    if lx.size < 3 or np.ptp(lx) == 0:
        return {"test": label, "slope": None, "ci": None, "violated": False, "usable": False}
    fit = fit_slope(lx, ly)
    lo, hi = fit.ci(level)
    grows = (lo > delta) if toward == "inf" else (hi < -delta)   # ratio grows toward the limit
    shrinks = (hi < -delta) if toward == "inf" else (lo > delta)  # ratio shrinks toward the limit
    violated = grows if kind == "upper" else shrinks
    return {"test": label, "slope": fit.slope, "se": fit.se, "ci": [lo, hi], "points": int(lx.size),
            "violated": bool(violated), "usable": True}
