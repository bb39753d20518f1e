"""Decision rules of the benign-overfitting checks on the quick measurements: true-but-looser variants are not
flagged, out-of-regime runs are inconclusive (never a crash), chance-level data never hold."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from verification.check import Measurements, Verdict

BENIGN = ["kgmmn_gd_convergence", "kgmmn_benign_dk", "kgmmn_heatmap", "kgmmn_gamma_transition",
          "hashimoto_signal_transition", "hashimoto_beyond_orthogonality"]


def _edited(measured: Measurements, **changes: object) -> Measurements:
    """A copy of ``measured`` with every member record's fields overwritten by ``changes``."""
    out = Measurements()
    for unit, rec in measured.records():
        rec2 = copy.deepcopy(dict(rec))
        for member in rec2["members"]:
            member.update(changes)
        out.add(unit, rec2)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", BENIGN)
def test_true_but_looser_variants_are_not_flagged(name, quick_measurements):
    check, measured, params = quick_measurements(name)
    variants = check.true_but_looser()
    assert variants, "every benign check declares true-but-looser variants"
    for v in variants:
        d = check.judge(measured, {**check.default_bounds(), **v.bounds}, params)
        assert d.verdict is not Verdict.VIOLATED, f"{v.name}: {d.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("name", BENIGN)
def test_quick_profile_is_powered(name, quick_measurements):
    check, measured, params = quick_measurements(name)
    d = check.judge(measured, check.default_bounds(), params)
    assert d.power, "every refutable feature reports its power"
    weak = [k for k, p in d.power.items() if not p["powered"]]
    if check.expected_quick_verdict is Verdict.HOLDS:  # a holds must be powered (Check.judge enforces it too)
        assert not weak, weak
    else:  # an expected-inconclusive check may be underpowered, but it must say so
        assert d.verdict is not Verdict.HOLDS


@pytest.mark.slow
@pytest.mark.parametrize(("name", "changes", "why"), [
    ("kgmmn_benign_dk", {"gamma": 0.0}, "γ·k"),
    ("kgmmn_benign_dk", {"k": 0}, "k ≥ 1"),
    ("kgmmn_benign_dk", {"separable": False}, "separable"),
    ("kgmmn_heatmap", {"gamma": 0.0}, "γ·k"),
    ("kgmmn_gamma_transition", {"separable": False}, "separable"),
    ("kgmmn_gd_convergence", {"T": -1}, "zero hinge loss"),
])
def test_out_of_regime_is_inconclusive(name, changes, why, quick_measurements):
    check, measured, params = quick_measurements(name)
    d = check.judge(_edited(measured, **changes), check.default_bounds(), params)
    assert d.verdict is Verdict.INCONCLUSIVE and why in d.reason, d.reason


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kgmmn_benign_dk", "kgmmn_heatmap"])
def test_chance_level_error_is_violated_not_holds(name, quick_measurements):
    check, measured, params = quick_measurements(name)
    d = check.judge(_edited(measured, err=0.5, err_se=0.005), check.default_bounds(), params)
    assert d.verdict is Verdict.VIOLATED, d.reason


def _path_rows(rng, exponent_of_n, noise=0.6, ns=(20, 40, 80), seeds=6):
    """Synthetic (n, α, γ*, seed) rows: both α share a seed's γ* (as measured), SD(log γ*) = noise/√n."""
    rows = []
    for n in ns:
        for s in range(seeds):
            g = math.exp(exponent_of_n(n) + noise * rng.normal() / math.sqrt(n))
            rows += [(n, 0.1, g, s), (n, 0.5, g, s)]
    return rows


def test_kgmmnpath_test_standard_errors_are_calibrated() -> None:
    """Under a true n^-1 law, the range and the top-segment z-scores exceed t_{0.975, df} in 5 % ± 2 %."""
    from scipy import stats

    from verification.checks.benign._threshold import path_test

    rng = np.random.default_rng(41)
    z_range, z_top = [], []
    for _ in range(3000):
        t = path_test(_path_rows(rng, lambda n: 1.0 - math.log(n)), -1.0)
        z_range.append((t["slope"] + 1) / t["se"])
        z_top.append((t["top_segment"]["slope"] + 1) / t["top_segment"]["se"])
    crit = stats.t.isf(0.025, t["df"])
    assert abs(np.mean(np.abs(z_range) > crit) - 0.05) <= 0.02
    assert abs(np.mean(np.abs(z_top) > crit) - 0.05) <= 0.02


def test_kgmmnpath_test_reads_a_drifting_exponent_as_pre_asymptotic_and_a_slow_one_as_violated() -> None:
    from verification.checks.benign._threshold import path_test

    rng = np.random.default_rng(42)
    # local exponent −0.6 between n = 20 and 40, −1.0 between 40 and 80: the range slope misses −1, the top does not
    drifting = {20: 1.0, 40: 1.0 - 0.6 * math.log(2), 80: 1.0 - 1.6 * math.log(2)}
    t = path_test(_path_rows(rng, lambda n: drifting[n], noise=0.2), -1.0)
    assert not t["violated"] and not t["usable"] and "pre-asymptotic" in t["inconclusive"]
    t = path_test(_path_rows(rng, lambda n: -0.5 * math.log(n), noise=0.2), -1.0)  # n^-1/2 throughout
    assert t["violated"] and "falls slower" in t["why"]
    t = path_test(_path_rows(rng, lambda n: -1.0 * math.log(n), noise=0.2), -1.0)
    assert t["usable"] and not t["violated"]
