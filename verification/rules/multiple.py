"""Multiple-testing corrections: critical values for a family of tests."""

from __future__ import annotations

from scipy import stats

__all__ = ["bonferroni_level", "bonferroni_z"]


def bonferroni_z(family_size: int, family_error: float = 1e-3) -> float:
    """Two-sided critical |z| so that ``family_size`` tests have family-wise error ``family_error``."""
    if family_size < 1:
        raise ValueError(f"family_size={family_size} must be ≥ 1")
    return float(stats.norm.isf(family_error / (2 * family_size)))


def bonferroni_level(n_tests: int, family_error: float = 1e-3) -> float:
    """Per-test confidence level 1 − ``family_error``/``n_tests`` (Bonferroni; ``n_tests`` < 1 counts as 1)."""
    return 1.0 - family_error / max(n_tests, 1)
