"""verification.rules.slopes.extrapolate_inverse_width on synthetic data with a known m → ∞ limit."""

from __future__ import annotations

import math

import pytest

from verification.rules.slopes import extrapolate_inverse_width


def test_extrapolate_inverse_width_recovers_the_limit():
    w = [64.0, 128, 256, 512, 1024]
    assert extrapolate_inverse_width(w, [0.3 + 5.0 / m for m in w]) == pytest.approx(0.3, abs=1e-12)
    assert math.isnan(extrapolate_inverse_width(w, [1.0, 2.0, float("nan"), 1.0, 1.0]))
    with pytest.raises(ValueError, match="≥ 3"):
        extrapolate_inverse_width([1.0, 2.0], [1.0, 2.0])
