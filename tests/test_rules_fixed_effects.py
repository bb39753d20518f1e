"""verification.rules.slopes.fixed_effects_slope on synthetic lines with a known slope."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verification.rules.slopes import fit_common_slope, fixed_effects_slope


def test_exact_lines_with_own_intercepts():
    x = np.log([64.0, 128, 256, 512])
    ys = [c - 0.5 * x for c in (0.3, -1.0, 2.0)]
    fit = fixed_effects_slope([x] * 3, ys)
    assert fit["slope"] == pytest.approx(-0.5, abs=1e-12)
    assert fit["se"] == pytest.approx(0.0, abs=1e-12)
    assert fit["df"] == 12 - 3 - 1
    assert fit["per_seed"] == pytest.approx([-0.5] * 3)


def test_standard_error_counts_one_intercept_per_group():
    rng = np.random.default_rng(1)
    x = np.arange(6.0)
    groups = [(x, 1.0 + 2.0 * x + 0.1 * rng.standard_normal(6)) for _ in range(4)]
    fe = fixed_effects_slope([g[0] for g in groups], [g[1] for g in groups])
    cs = fit_common_slope(groups)
    assert fe["slope"] == pytest.approx(cs.slope, rel=1e-12)
    n, g = 24, 4  # same residuals, different degrees of freedom
    assert fe["se"] == pytest.approx(cs.se * math.sqrt((n - 2) / (n - g - 1)), rel=1e-12)


def test_non_finite_points_dropped_and_empty_is_nan():
    x = [0.0, 1.0, 2.0, 3.0]
    fit = fixed_effects_slope([x], [[0.0, 1.0, float("nan"), 3.0]])
    assert fit["slope"] == pytest.approx(1.0)
    empty = fixed_effects_slope([[0.0]], [[1.0]])
    assert math.isnan(empty["slope"]) and empty["df"] == 0


def test_extrapolate_inverse_width_recovers_the_limit():
    from verification.rules.slopes import extrapolate_inverse_width

    w = [64.0, 128, 256, 512, 1024]
    assert extrapolate_inverse_width(w, [0.3 + 5.0 / m for m in w]) == pytest.approx(0.3, abs=1e-12)
    assert math.isnan(extrapolate_inverse_width(w, [1.0, 2.0, float("nan"), 1.0, 1.0]))
    with pytest.raises(ValueError, match="≥ 3"):
        extrapolate_inverse_width([1.0, 2.0], [1.0, 2.0])
