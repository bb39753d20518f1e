"""Decision rules of the deep checks: true-but-looser variants are never flagged, the lazy-rate prediction is
exact on a known spectrum, and the regime gates read the measured quantities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verification import get_check
from verification.check import Verdict
from verification.checks.deep._common import common_slope, kernel_regime, lazy_late_rate, sweep_regime
from verification.rules.slopes import fit_common_slope

DEEP = ["deep_alpha_ordering", "deep_alpha_outside_assumptions", "deep_ntk_convergence",
        "deep_rescaling_equivalence", "deep_synthetic_experiment", "deep_width_depth_scaling"]
LOOSER = [(n, m) for n in DEEP for m in getattr(get_check(n), "true_but_looser", list)()]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant"), LOOSER, ids=[f"{n}-{m.name}" for n, m in LOOSER])
def test_true_but_looser_not_flagged(name, variant, quick_measurements):
    chk, measured, params = quick_measurements(name)
    truth = chk.judge(measured, chk.default_bounds(), params)
    d = chk.judge(measured, {**chk.default_bounds(), **variant.bounds}, params)
    assert d.verdict is not Verdict.VIOLATED, f"{variant.description}: {d.reason}"
    assert d.verdict is truth.verdict, f"{variant.description}: {d.reason} (truth: {truth.reason})"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["deep_ntk_convergence", "deep_width_depth_scaling", "deep_rescaling_equivalence"])
def test_quick_profile_is_powered(name, quick_measurements):
    chk, measured, params = quick_measurements(name)
    d = chk.judge(measured, chk.default_bounds(), params)
    assert d.power and all(p["powered"] for p in d.power.values()), d.power


def test_lazy_late_rate_is_twice_eta_lambda_min_on_a_known_spectrum():
    lam = np.array([0.05, 1.0, 2.0])
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))
    theta = q @ np.diag(lam) @ q.T
    r0 = q @ np.array([1.0, 1e-9, 1e-9])  # only the λ_min direction
    eta = 0.4
    assert lazy_late_rate(theta, r0, eta, 200) == pytest.approx(-2 * math.log(1 - eta * lam[0]), rel=1e-9)


def _row(drift: float, move: float, eta_lmax: float) -> dict:
    return {"eta": 1.0, "alphas": {"0": {"kernel_drift": drift, "lam_max": eta_lmax, "eta_lam_max": eta_lmax,
                                         "gd": {"relative_weight_change": move}}}}


def test_regime_gates_read_the_measurements():
    inside = sweep_regime([_row(0.05, 0.02, 1.0)], n=32, m=256)
    assert all(c.ok for c in inside)
    assert [c.ok for c in sweep_regime([_row(0.05, 0.51, 1.0)], n=32, m=16)] == [False, True, False]
    assert not sweep_regime([_row(0.05, 0.02, 2.5)], n=8, m=16)[1].ok
    assert kernel_regime([_row(0.05, 0.0, 1.0)])[0].ok and not kernel_regime([_row(0.2, 0.0, 1.0)])[0].ok


def test_common_slope_counts_one_intercept_per_seed_and_drops_non_finite():
    rng = np.random.default_rng(1)
    x = np.arange(6.0)
    ys = [c + 2.0 * x + 0.1 * rng.standard_normal(6) for c in (0.0, 1.0, -2.0, 5.0)]
    fit = common_slope([x] * 4, ys)
    ref = fit_common_slope([(x, y) for y in ys])
    assert fit["slope"] == pytest.approx(ref.slope, rel=1e-12) and fit["df"] == 24 - 4 - 1
    if getattr(ref, "df", None) is None:
        assert fit["se"] == pytest.approx(ref.se * math.sqrt(22 / 19), rel=1e-12)
    ys[0][2] = float("nan")
    assert common_slope([x] * 4, ys)["df"] == 23 - 4 - 1
    assert math.isnan(common_slope([[0.0]], [[1.0]])["slope"])
