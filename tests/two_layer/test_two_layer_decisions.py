"""Decision rules of the two-layer checks on the quick profile: powered, looser-but-true variants consistent,
near-miss mutants violated, and the rules' helpers on synthetic data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from verification import Verdict, get_check
from verification.checks.two_layer._common import bracket_test

TWO_LAYER = ["kernel_monte_carlo", "finite_width_gram", "lambda_min_c_alpha", "lambda_min_bounds",
             "smooth_vs_nonsmooth", "du_gd_bound", "arora_dynamics"]
LOOSER = [(n, v) for n in TWO_LAYER for v in get_check(n).true_but_looser()]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant"), LOOSER, ids=[f"{n}-{v.name}" for n, v in LOOSER])
def test_true_but_looser_variants_are_consistent(name, variant, quick_measurements):
    chk, measured, params = quick_measurements(name)
    decision = chk.judge(measured, {**chk.default_bounds(), **variant.bounds}, params)
    assert decision.verdict is not Verdict.VIOLATED, f"{variant.description}: {decision.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("name", TWO_LAYER)
def test_quick_profile_is_powered(name, quick_measurements):
    chk, measured, params = quick_measurements(name)
    decision = chk.judge(measured, chk.default_bounds(), params)
    assert decision.power and all(p["powered"] for p in decision.power.values()), decision.power


def test_bracket_test_flags_an_analytic_value_outside_the_bracket() -> None:
    truth = [(0.98, 0.01, 1.02, 0.01, 1.0)] * 3  # lower end below, upper end above the analytic λ_min
    fails, table, _ = bracket_test({"ok": truth})
    assert not fails and table["ok"]["lower_rel"] < 0 < table["ok"]["upper_rel"]
    wrong = [(0.98, 0.01, 1.02, 0.01, 1.5)] * 3  # the analytic value is 50 % too large
    fails, _, _ = bracket_test({"wrong": wrong})
    assert fails and "below the analytic" in fails[0]
    fails, _, _ = bracket_test({"low": [(0.98, 0.01, 1.02, 0.01, 0.5)] * 3})
    assert fails and "above the analytic" in fails[0]


def test_experiment_bracket_contains_the_analytic_lambda_min() -> None:
    """The width-m bracket of empirical.two_layer.experiments straddles λ_min(H̃_α) within a few SE."""
    import torch

    import bounds as B
    from empirical.data import sphere_with_bias
    from empirical.two_layer.experiments import lambda_min_bracket_width_m
    from verification.checks.two_layer._common import analytic_lambda_min

    x = sphere_with_bias(30, 4, seed=3)
    br = lambda_min_bracket_width_m(x, -0.5, 16_000, 7, 16)
    lam = analytic_lambda_min(x.numpy(), B.H_tilde, -0.5)
    assert br["lower"] - 5 * br["lower_se"] <= lam <= br["upper"] + 5 * br["upper_se"]
    assert isinstance(torch.as_tensor(br["lower"]).item(), float)
    assert np.isfinite(br["upper_se"]) and br["upper_se"] > 0
