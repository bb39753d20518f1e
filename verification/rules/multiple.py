"""Multiple-testing corrections: critical values for a family of tests."""

from __future__ import annotations

from scipy import stats

__all__ = ["bonferroni_z"]


def bonferroni_z(family_size: int, family_error: float = 1e-3) -> float:
    """Two-sided critical |z| so that ``family_size`` tests have family-wise error ``family_error``."""
    if family_size < 1:
        raise ValueError(f"family_size={family_size} must be ≥ 1")
    return float(stats.norm.isf(family_error / (2 * family_size)))
