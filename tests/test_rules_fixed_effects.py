"""verification.rules.slopes.fixed_effects_slope: one slope, one intercept per group (known answer)."""

from __future__ import annotations

import numpy as np
import pytest

from verification.rules.slopes import fit_common_slope, fixed_effects_slope


def test_recovers_a_common_slope_under_different_intercepts() -> None:
    rng = np.random.default_rng(1)
    x = np.tile(np.linspace(0, 1, 10), 3)
    g = np.repeat(["a", "b", "c"], 10)
    y = -1.5 * x + np.repeat([0.0, 5.0, -3.0], 10) + rng.normal(0, 1e-3, x.size)
    fit = fixed_effects_slope(x, y, g)
    assert fit.slope == pytest.approx(-1.5, abs=5e-3)
    assert fit.se < 5e-3


def test_equals_fit_common_slope_up_to_rounding() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=15), rng.normal(size=15)
    g = rng.integers(0, 3, size=15)
    a = fixed_effects_slope(x, y, g)
    b = fit_common_slope([(x[g == k], y[g == k]) for k in np.unique(g)])
    assert a.slope == pytest.approx(b.slope, rel=1e-12)
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_group_labels_compare_as_strings() -> None:
    x = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    y = np.array([0.0, 2.0, 4.0, 10.0, 12.0, 14.0])
    assert fixed_effects_slope(x, y, [1, 1, 1, 1.0, 1.0, 1.0]).slope == pytest.approx(2.0)
