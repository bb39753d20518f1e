"""Property-based tests of the two-layer kernel formulas and λ_min / convergence bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bounds as B
from bounds.special import arcsin_tail_numeric

alphas = st.floats(-10, 10, allow_nan=False)
alpha_unit = st.floats(-1, 1, allow_nan=False)
rhos = st.floats(-1, 1, allow_nan=False)
rho_inside = st.floats(-0.95, 0.95, allow_nan=False)


@given(alphas)
def test_c_alpha_in_0_2_with_unique_max_at_minus_one(a):
    c = B.c_alpha.evaluate(alpha=a)
    assert 0 <= c <= 2
    if abs(a + 1) > 1e-6:
        assert c < 2


@given(st.floats(0.01, 10) | st.floats(-10, -0.01))
def test_c_alpha_symmetric_under_inverse(a):
    assert B.c_alpha.evaluate(alpha=a) == pytest.approx(B.c_alpha.evaluate(alpha=1 / a), rel=1e-12, abs=1e-14)


@given(st.floats(-0.999, 0.999))
def test_c_alpha_strictly_decreasing_on_unit_interval(a):
    assert float(B.c_alpha.diff(B.alpha).subs(B.alpha, a)) < 0


def test_c_alpha_global_max_symbolically():
    crit = sp.solve(B.c_alpha.diff(B.alpha), B.alpha)
    assert set(crit) == {-1, 1}
    assert B.c_alpha.expr.subs(B.alpha, -1) == 2 and sp.limit(B.c_alpha.expr, B.alpha, sp.oo) == 1


@given(alphas)
def test_kernels_equal_one_at_rho_one_and_table_values(a):
    c = B.c_alpha.evaluate(alpha=a)
    for k in (B.kappa, B.kappa_dot, B.H_tilde, B.Theta_two_layer):
        assert k.evaluate(alpha=a, rho=1) == pytest.approx(1.0 if k is not B.Theta_two_layer else 2.0, abs=1e-12)
    assert B.H_tilde.evaluate(alpha=a, rho=-1) == pytest.approx(c - 1, abs=1e-12)
    assert B.kappa.evaluate(alpha=a, rho=0) == pytest.approx(c / math.pi, abs=1e-12)
    assert B.kappa_dot.evaluate(alpha=a, rho=0) == pytest.approx(1 - c / 2, abs=1e-12)


def _zero(expr: sp.Expr) -> bool:
    return sp.simplify(sp.expand(expr.rewrite(sp.asin))) == 0  # acos ρ = π/2 − asin ρ


def test_kernel_identities_symbolic():
    a, r = B.alpha, B.rho
    assert _zero(B.H_tilde.expr - r * B.kappa_dot.expr)
    assert _zero(B.Theta_two_layer.expr - B.kappa.expr - B.H_tilde.expr)
    # Price's theorem: ∂E[σσ]/∂ρ = E[σ'σ'] (unit variances)
    assert _zero(sp.diff(B.E_sigma_sigma.expr, r) - B.E_dsigma_dsigma.expr)
    # normalisation: c_σ·E[σ'σ'] = κ̇ and c_σ·E[σσ] = κ
    assert _zero(B.c_sigma.expr * B.E_dsigma_dsigma.expr - B.kappa_dot.expr)
    assert _zero(B.c_sigma.expr * B.E_sigma_sigma.expr - B.kappa.expr)
    assert _zero(B.H_inf_dzps.expr - B.H_tilde.expr.subs(a, 0) / 2)


def test_series_coefficients_match_sympy_taylor_expansion():
    r = B.rho
    taylor = sp.series(B.H_tilde.expr, r, 0, 14).removeO()
    c = B.c_alpha.expr
    closed = (1 - c / 2) * r + c / sp.pi * sum(B.b_coeff.expr.subs(B.j, jj) * r ** (2 * jj + 2) for jj in range(6))
    assert sp.simplify(sp.expand(taylor - closed)) == 0
    assert [B.b_coeff.expr.subs(B.j, jj) for jj in range(4)] == [1, sp.Rational(1, 6), sp.Rational(3, 40),
                                                                   sp.Rational(5, 112)]


@pytest.mark.parametrize("jj", range(0, 40, 7))
def test_stable_coefficient_equals_factorial_form(jj):
    exact = B.b_coeff.expr.subs(B.j, jj)
    stable = B.two_layer.kernels.B_STABLE.subs(B.j, jj)
    assert sp.N(exact - stable, 30) == pytest.approx(0, abs=1e-25)


@given(alpha_unit, rho_inside)
def test_kernel_equals_its_series_inside_the_radius(a, r):
    terms = 200
    series = float(B.H_tilde_series.numpy()(J=terms, alpha=a, rho=r))
    exact = B.H_tilde.evaluate(alpha=a, rho=r)
    tail = B.c_alpha.evaluate(alpha=a) / math.pi * abs(r) ** (2 * terms + 2) * arcsin_tail_numeric(terms)
    assert abs(series - exact) <= tail + 1e-12


@given(st.integers(0, 40))
def test_arcsin_tail_equals_exact_partial_sum(jj):
    exact = sp.pi / 2 - sum(B.b_coeff.expr.subs(B.j, i) for i in range(jj))
    assert arcsin_tail_numeric(jj) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    assert B.rho_arcsin_series_tail.evaluate(J=jj) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


def test_hermite_coefficients_reproduce_the_derivative_kernel():
    a, r = B.alpha, B.rho
    for jj in range(8):
        nu2 = B.hermite_nu_odd.expr.subs(B.j, jj) ** 2
        assert sp.simplify(nu2 - (1 - a) ** 2 * B.b_coeff.expr.subs(B.j, jj) / (2 * sp.pi)) == 0
    mehler = B.hermite_nu0.expr**2 + sum(B.hermite_nu_odd.expr.subs(B.j, jj) ** 2 * r ** (2 * jj + 1) for jj in range(6))
    target = sp.series(B.E_dsigma_dsigma.expr, r, 0, 12).removeO()
    assert sp.simplify(sp.expand(mehler - target)) == 0


@given(alphas, rhos)
def test_lambdified_numpy_and_torch_equal_sympy_evalf(a, r):
    for bd in (B.kappa, B.kappa_dot, B.H_tilde, B.Theta_two_layer, B.E_sigma_sigma, B.gram_entry_variance.subs(m=7)):
        exact = bd.evaluate(alpha=a, rho=r)
        assert float(bd.numpy()(alpha=a, rho=r)) == pytest.approx(exact, rel=1e-10, abs=1e-12)
        tv = bd.torch()(alpha=torch.tensor(a, dtype=torch.float64), rho=torch.tensor(r, dtype=torch.float64))
        assert float(tv) == pytest.approx(exact, rel=1e-10, abs=1e-12)


@given(alpha_unit, st.integers(2, 5000), st.floats(0.01, 1.4))
def test_hermite_lower_bound_evaluations_agree_and_need_the_truncation_index(a, n, delta):
    jj = B.hermite_truncation_index(n, delta)
    assume(jj < 200_000)
    val = B.hermite_tail_lower.evaluate(alpha=a, J=jj, n=n, delta=delta)
    assert float(B.hermite_tail_lower.numpy()(alpha=a, J=jj, n=n, delta=delta)) == pytest.approx(val, rel=1e-9)
    assert 0 <= val <= B.c_alpha.evaluate(alpha=a) / 4 + 1e-15
    if jj > 0:
        with pytest.raises(B.DomainError):
            B.hermite_tail_lower.evaluate(alpha=a, J=jj - 1, n=n, delta=delta)


@given(st.integers(2, 10_000), st.floats(0.001, 1.41))
def test_truncation_index_is_the_smallest_valid_one(n, delta):
    jj = B.hermite_truncation_index(n, delta)
    rho_max = 1 - delta**2 / 2
    assert (n - 1) * rho_max ** (2 * jj + 2) <= 0.5
    if jj > 0:
        assert (n - 1) * rho_max ** (2 * jj) > 0.5


@pytest.mark.parametrize(("n", "delta"), [(1, 0.1), (10, 0.0), (10, 2.0), (10, float("nan")), (2.5, 0.1)])
def test_truncation_index_rejects_bad_input(n, delta):
    with pytest.raises(B.DomainError):
        B.hermite_truncation_index(n, delta)


@given(st.floats(-1, 0.99), st.floats(0.001, 1.5))
def test_lambda_min_bounds_carry_c_alpha_and_decrease_in_alpha(a, theta):
    da = 0.005
    assume(a + da <= 1)
    for bd, kw in ((B.hermite_tail_lower, {"J": 50}), (B.pair_upper_small_angle, {"theta": theta}),
                   (B.hermite_tail_lower_asymptotic, {"n": 100, "delta": 0.2})):
        assert bd.evaluate(alpha=a, **kw) >= bd.evaluate(alpha=a + da, **kw)
    assert B.pair_upper.evaluate(alpha=a, theta=theta) >= 0


@given(st.floats(0.0, math.pi / 2 - 0.01), alpha_unit)
def test_pair_upper_increases_with_angle_and_matches_small_angle_form(theta, a):
    assert B.pair_upper.evaluate(alpha=a, theta=theta + 0.01) >= B.pair_upper.evaluate(alpha=a, theta=theta) - 1e-12
    small = 1e-4
    lead = B.pair_upper_small_angle.evaluate(alpha=a, theta=small)
    assert B.pair_upper.evaluate(alpha=a, theta=small) == pytest.approx(lead + small**2 / 2, rel=1e-3, abs=1e-10)


@given(st.floats(1e-4, 1.0), st.floats(1e-3, 1.0), st.integers(0, 500))
def test_du_contraction_monotone(eta, lam, t):
    assume(eta * lam < 2)
    f = B.du_gd_loss_ratio.numpy()
    v = float(f(eta=eta, lam=lam, t=t))
    assert 0 <= v <= 1
    assert float(f(eta=eta, lam=lam, t=t + 1)) <= v + 1e-15
    assert float(f(eta=eta, lam=min(lam * 1.1, 1.99 / eta), t=t)) <= v + 1e-15


def test_convergence_bounds_move_the_way_the_theory_says():
    n, lam, m = B.n, B.lam, B.m
    assert B.du_width.exponent(n) == 6 and B.du_width.exponent(lam, point=0) == -4
    assert B.du_width.exponent(B.p_fail, point=0) == -3
    assert B.du_step_size.exponent(n) == -2 and B.du_step_size.exponent(lam, point=0) == 1
    assert B.du_iterations.exponent(n) == 2
    assert B.adhlw_epsilon.exponent(m) == sp.Rational(-1, 2)
    assert B.du_gram_concentration.exponent(m) == sp.Rational(-1, 2)
    assert sp.limit(B.du_gradient_flow_loss_ratio.expr, B.tau, sp.oo) == 0
    assert B.gram_entry_variance.exponent(m) == -1


@given(alpha_unit, rhos, st.integers(1, 10_000))
def test_gram_entry_variance_nonnegative(a, r, mm):
    assert B.gram_entry_variance.evaluate(alpha=a, rho=r, m=mm) >= -1e-15


def test_polynomial_threshold_and_smooth_upper():
    assert B.polynomial_rank_threshold.evaluate(d_sub=3, p_deg=2) == 10
    f = B.smooth_lowdim_upper.numpy()
    vals = f(C_smooth=1.0, d_sub=3, n=np.array([10, 100, 1000]))
    assert np.all(np.diff(vals) < 0)


def test_optimal_alpha_is_minus_one_for_every_alpha_factor_bound():
    for bd, kw in ((B.c_alpha, {}), (B.hermite_tail_lower, {"J": 30}), (B.pair_upper_small_angle, {"theta": 0.2}),
                   (B.sandwich_lower, {"lam_N": 0.1}), (B.sandwich_upper, {"mu_star": 0.1})):
        assert bd.optimize(B.alpha, (-1, 1), "max", **kw).argopt == pytest.approx(-1.0, abs=1e-6), bd.name
