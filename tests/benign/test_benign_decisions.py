"""Decision rules of the benign-overfitting checks on the quick measurements: true-but-looser variants are not
flagged, out-of-regime runs are inconclusive (never a crash), chance-level data never hold."""

from __future__ import annotations

import copy

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
