"""verification.rules.ratio_trend.ratio_trend_test on synthetic ratios with a known trend."""

from __future__ import annotations

import numpy as np

from verification.rules.ratio_trend import ratio_trend_test

X = np.geomspace(1, 100, 12)
RNG = np.random.default_rng(0)
NOISE = np.exp(RNG.normal(0, 0.01, X.size))


def test_bounded_ratio_is_not_violated() -> None:
    for kind in ("upper", "lower"):
        for toward in ("0", "inf"):
            t = ratio_trend_test("flat", X, 3.0 * NOISE, toward, kind, 0.999, 0.25)
            assert t["usable"] and not t["violated"] and abs(t["slope"]) < 0.05


def test_growing_ratio_violates_an_upper_bound_toward_infinity_only() -> None:
    r = X**1.0 * NOISE  # ratio ∝ x: grows toward ∞, shrinks toward 0
    assert ratio_trend_test("g", X, r, "inf", "upper", 0.999, 0.25)["violated"]
    assert not ratio_trend_test("g", X, r, "inf", "lower", 0.999, 0.25)["violated"]
    assert ratio_trend_test("g", X, r, "0", "lower", 0.999, 0.25)["violated"]
    assert not ratio_trend_test("g", X, r, "0", "upper", 0.999, 0.25)["violated"]


def test_slope_inside_the_resolution_is_not_violated() -> None:
    t = ratio_trend_test("s", X, X**0.2 * NOISE, "inf", "upper", 0.999, 0.25)
    assert abs(t["slope"] - 0.2) < 0.02 and not t["violated"]


def test_too_few_points_are_unusable() -> None:
    t = ratio_trend_test("few", X[:2], X[:2], "inf", "upper", 0.99, 0.25)
    assert not t["usable"] and not t["violated"]
    t = ratio_trend_test("bad", X, -np.ones_like(X), "inf", "upper", 0.99, 0.25)
    assert not t["usable"]
