"""A formula with no finite value where a check measures — the typo (1+α)² for (1+α²), infinite at the measured
α = −1 — must get a verdict, never crash the check: *violated* for an exact formula or approximate prediction
(the quantity was measured and is finite), *inconclusive* for an upper or lower bound (infinite there is vacuous,
not false). Check._no_finite_prediction, docs/reliability.md."""

from __future__ import annotations

import pytest

import bounds as B
from verification import Verdict, all_checks

A = B.alpha


def _typo(bd: B.Bound) -> B.Bound | None:
    """(1+α²) → (1+α)² wherever it appears, else the formula times (1+α²)/(1+α)²; None if α is not in it."""
    if A not in bd.expr.free_symbols:
        return None
    e = bd.expr.subs(1 + A**2, (1 + A) ** 2)
    if e == bd.expr:
        e = bd.expr * (1 + A**2) / (1 + A) ** 2
    return bd.mutant(e, "(1+α²) typed as (1+α)²")


PAIRS = [(c.name, role) for c in all_checks() for role, name in c.bound_roles.items() if _typo(B.get(name))]

#: what the quick measurements must give (from the rule above; the rest only must not raise)
EXPECTED = {
    ("kernel_monte_carlo", "derivative"): Verdict.VIOLATED,  # κ̇ is exact: ∞ at α = −1 vs a finite MC estimate
    ("kernel_monte_carlo", "factor_in_kernels"): Verdict.VIOLATED,
    ("lambda_min_c_alpha", "factor"): Verdict.VIOLATED,
    ("arora_dynamics", "kernel"): Verdict.VIOLATED,
    ("deep_ntk_convergence", "nngp"): Verdict.VIOLATED,  # the analytic Θ_W not finite at α = −1
    ("deep_rescaling_equivalence", "layer_ntk"): Verdict.VIOLATED,
    ("early_stopping_alpha_order", "training"): Verdict.VIOLATED,  # an approx prediction
    ("generalization_gap_epochs", "gap"): Verdict.INCONCLUSIVE,  # an upper bound: infinite = vacuous, still true
    ("deep_alpha_ordering", "gd_rate"): Verdict.INCONCLUSIVE,
}


def test_expected_pairs_are_typo_mutants():
    assert set(EXPECTED) <= set(PAIRS)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "role"), PAIRS, ids=[f"{n}-{r}" for n, r in PAIRS])
def test_a_formula_singular_where_the_check_measures_gets_a_verdict(name, role, quick_measurements):
    chk, measured, params = quick_measurements(name)
    if chk.data_unavailable(params):
        pytest.skip("data not installed")
    bounds_by_role = {**chk.default_bounds(), role: _typo(chk.default_bounds()[role])}
    decision = chk.judge(measured, bounds_by_role, params)  # must not raise
    if (name, role) in EXPECTED:
        assert decision.verdict is EXPECTED[(name, role)], decision.reason
    if decision.verdict is Verdict.VIOLATED and "no finite prediction" in decision.reason:
        assert bounds_by_role[role].side.value in ("exact", "approx")


@pytest.mark.parametrize(("role", "make"), [
    ("lower", lambda bd: bd.mutant(bd.expr.subs(B.lam_N, B.mu_star), "μ* for λ_min(N)")),
    ("factor", lambda bd: bd.mutant(bd.expr * B.m, "× m")),
], ids=["lower-foreign-symbol", "factor-extra-symbol"])
def test_a_formula_in_a_quantity_the_check_does_not_supply_is_inconclusive(role, make, quick_measurements):
    """A formula written in another quantity (unknown argument) or needing one the check does not supply (missing
    value) is not evaluable there: inconclusive whatever its side, never violated or a crash (helper review)."""
    chk, measured, params = quick_measurements("lambda_min_c_alpha")
    bounds_by_role = {**chk.default_bounds(), role: make(chk.default_bounds()[role])}
    decision = chk.judge(measured, bounds_by_role, params)
    assert decision.verdict is Verdict.INCONCLUSIVE, decision.reason
    assert "does not measure" in decision.reason
