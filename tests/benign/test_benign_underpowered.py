"""Lack of significance is never a violation (issue 11 follow-up): a flat or reversed effect in kgmmn_benign_dk's
d-trend or error margins is *violated* only when the interval shows it; a merely wide interval (few seeds) is
*inconclusive: underpowered*. Synthetic ``Measurements``, no training (docs/checks/kgmmn_benign_dk.md)."""

from __future__ import annotations

import math

import numpy as np

from verification.check import Measurements, Verdict
from verification.checks.benign._common import below_test
from verification.registry import get_check

#: the kgmmn_benign property's small configuration (n = 20, k = 2, γk = 0.8): inside every regime gate
PARAMS = {"n": 20, "k": 2, "gamma": 0.4, "m": 8, "alpha_ref": 0.1, "d_over_n": [1, 2, 4, 8], "alphas": [0.1, 0.5, 1.0],
          "d_over_n_alpha": 3, "max_steps": 20_000, "n_test": 2000}


def _measurements(seeds: int, slope: float, noise: float, level: float = -4.0) -> Measurements:
    """Records whose log err = level + slope·d/k + N(0, noise²) per (seed, d), free of α (inside the sandwich);
    T is a decreasing fraction of Thm 3.1's ‖w*‖²/(ηα²m), every run separable and at zero hinge loss."""
    check = get_check("kgmmn_benign_dk")
    rng = np.random.default_rng(1234)
    out = Measurements()
    eta, wstar, m = 0.004, 6.5, PARAMS["m"]
    for unit in check.units(PARAMS, list(range(seeds))):
        members = []
        for d, a in check._members(PARAMS):
            err = min(0.5, math.exp(level + slope * d / PARAMS["k"] + noise * rng.standard_normal()))
            t_iter = max(1, round(0.5 * wstar**2 / (eta * a**2 * m) * (20 / d) ** 0.5 * (1 + 0.05 * rng.random())))
            members.append({"d": d, "k": PARAMS["k"], "gamma": PARAMS["gamma"], "alpha": a, "m": m,
                            "seed": unit.seed, "n": PARAMS["n"], "T": t_iter, "T01": t_iter // 2, "eta": eta,
                            "wstar_norm": wstar, "err": err, "err_se": math.sqrt(err * (1 - err) / 4000),
                            "err01": err / 2, "lin_err": err, "n_test": PARAMS["n_test"], "separable": True})
        out.add(unit, {"members": members})
    return out


def _judge(measured: Measurements):
    check = get_check("kgmmn_benign_dk")
    return check.judge(measured, check.default_bounds(), PARAMS)


def _trend(decision) -> dict:
    return next(t for t in decision.measured["tests"] if t["test"].startswith("d-trend"))


def test_wide_trend_interval_from_few_seeds_is_underpowered_not_violated() -> None:
    d = _judge(_measurements(seeds=2, slope=-0.01, noise=0.5))
    lo, hi = _trend(d)["ci"]
    assert lo < -1 / 70 and hi > 0  # the interval straddles 0 and the resolved fall of 1 e-fold across d/k
    assert d.verdict is Verdict.INCONCLUSIVE, d.reason
    assert d.reason.startswith("underpowered (d-trend") and "detectable" in d.reason, d.reason
    assert not d.power["d_trend_efolds"]["powered"]


def test_clearly_reversed_trend_with_a_tight_interval_is_violated() -> None:
    d = _judge(_measurements(seeds=6, slope=0.02, noise=0.05, level=-6.0))
    assert _trend(d)["ci"][0] > 0
    assert d.verdict is Verdict.VIOLATED and d.reason.startswith("d-trend") and "reversed" in d.reason, d.reason


def test_significantly_flat_trend_is_violated() -> None:
    d = _judge(_measurements(seeds=6, slope=0.0, noise=0.05))
    lo, hi = _trend(d)["ci"]
    assert -1 / 70 < lo < 0 < hi  # flat within the resolution, with confidence
    assert d.verdict is Verdict.VIOLATED and "flat" in d.reason, d.reason


def test_error_margin_wide_is_underpowered_chance_level_is_violated() -> None:
    wide = [{"err": 0.12, "err_se": 0.01}, {"err": 0.02, "err_se": 0.01}]
    t, pw = below_test("below k/n", wide, 0.1, 2)
    assert not t["violated"] and not t["usable"] and t["inconclusive"].startswith("underpowered")
    assert not pw["powered"]
    chance = [{"err": 0.5, "err_se": 0.004}, {"err": 0.49, "err_se": 0.004}, {"err": 0.51, "err_se": 0.004}]
    t, _ = below_test("below chance", chance, 0.5, 2)
    assert t["violated"] and "lower confidence limit" in t["why"]
    good = [{"err": 0.01, "err_se": 0.002}, {"err": 0.012, "err_se": 0.002}]
    t, _ = below_test("below k/n", good, 0.1, 2)
    assert t["usable"] and not t["violated"]
