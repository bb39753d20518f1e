"""Properties of the deep-network bounds: AZLS theorems, GLL's α-forms, rescaling identity, Θ_W recursion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

import bounds as B
from bounds import DomainError, Provenance
from bounds.deep.convergence import (
    alpha_derivative_analysis,
    leaky_expr,
    rescaling_identity,
    step_conversion_identity,
)
from bounds.deep.kernels import deep_ntk_W_bound, theta_W_expr
from bounds.symbols import is_hidden_constant

alphas = st.floats(-1.0, 0.99, allow_nan=False)
pos = st.floats(1e-3, 1e3, allow_nan=False)
ints = st.integers(2, 10_000)
rhos = st.floats(-1.0, 1.0, allow_nan=False)


def _ones(bd: B.Bound) -> dict:
    """Every hidden constant of ``bd`` set to 1 (for numeric orderings only)."""
    return {c.name: 1.0 for c in bd.constants}


# ---------------------------------------------------------------- provenance and registry
def test_provenance_tags_are_the_theory_docs():
    for name in ("azls_gd_width", "azls_gd_step", "azls_gd_contraction", "azls_gd_iterations", "azls_sgd_width",
                 "azls_sgd_step", "azls_sgd_iterations", "azls_gradient_lower", "azls_gradient_upper"):
        assert B.get(name).provenance is Provenance.RECALLED, name
        assert "AZLS19" in B.get(name).source and "recalled" in B.get(name).source
    assert B.g_alpha.provenance is Provenance.SUMMARY
    for name in ("gll_gd_contraction", "gll_sgd_contraction", "gll_gd_iterations", "gll_sgd_iterations",
                 "gll_gd_iterations_azls_step", "gll_gradient_lower", "gll_gd_contraction_depth",
                 "azls_sgd_contraction"):
        bd = B.get(name)
        assert bd.provenance is Provenance.INFERRED, name
        assert bd.source.rstrip().endswith("inferred") or "— inferred" in bd.source, name


def test_hidden_constants_are_named_symbols():
    for name in ("azls_gd_width", "azls_gd_contraction", "azls_sgd_iterations", "gll_gd_contraction"):
        bd = B.get(name)
        assert bd.constants, name
        assert all(is_hidden_constant(c) for c in bd.constants)
    assert {c.name for c in B.azls_gd_contraction.constants} == {"C_az_rate"}
    assert {c.name for c in B.gll_gd_contraction.constants} == {"C_gll_rate"}


def test_g_alpha_squared_is_c_alpha():
    assert sp.simplify(B.g_alpha.expr**2 - B.c_alpha.expr) == 0
    assert B.g_alpha.evaluate(alpha=-1) == pytest.approx(math.sqrt(2))
    assert B.g_alpha.evaluate(alpha=0) == 1.0


# ---------------------------------------------------------------- exponents and consistency
@pytest.mark.parametrize(("bd", "var", "point", "expected"), [
    ("azls_gd_width", "n", sp.oo, 24), ("azls_gd_width", "L", sp.oo, 12), ("azls_gd_width", "d", sp.oo, 1),
    ("azls_gd_width", "delta", 0, -8), ("azls_gd_step", "m", sp.oo, -1), ("azls_gd_step", "L", sp.oo, -2),
    ("azls_gd_step", "n", sp.oo, -4), ("azls_gd_iterations", "n", sp.oo, 6), ("azls_gd_iterations", "L", sp.oo, 2),
    ("azls_gd_iterations", "delta", 0, -2), ("azls_gradient_lower", "m", sp.oo, 1),
    ("azls_gradient_upper", "n", sp.oo, 1),
])
def test_exponents(bd, var, point, expected):
    assert B.get(bd).exponent(B.symbols.symbol(var), point) == expected


@pytest.mark.parametrize(("var", "expected"), [("m", 1), ("delta", 1), ("eta", 1), ("n", -2), ("d", -1), ("L", 0)])
def test_contraction_rate_exponents(var, expected):
    rate = 1 - B.azls_gd_contraction.expr
    s = B.symbols.symbol(var)
    assert sp.limit(sp.simplify(s * sp.diff(rate, s) / rate), s, sp.oo) == expected


def test_gd_iterations_follow_from_contraction_at_the_prescribed_step():
    """log(1/ε)/(rate at η = azls_gd_step) ∝ n⁶L²δ⁻²: the recalled T matches the recalled contraction and step."""
    rate = (1 - B.azls_gd_contraction.expr).subs(B.eta, B.azls_gd_step.expr)
    t_derived = sp.log(1 / B.eps) / rate
    ratio = sp.simplify(t_derived / B.azls_gd_iterations.expr)
    assert ratio.free_symbols <= {c for c in ratio.free_symbols if is_hidden_constant(c)}


def test_gll_iteration_ratio_is_c0_over_calpha():
    """Constants cancel in T(α)/T(0) = c_0/c_α (the only way the inferred form can be compared to data)."""
    t = B.gll_gd_iterations.expr
    ratio = sp.simplify(t / t.subs(B.alpha, 0))
    assert sp.simplify(ratio - B.c_alpha.expr.subs(B.alpha, 0) / B.c_alpha.expr) == 0


# ---------------------------------------------------------------- α = −1 minimises the rate bound
@pytest.mark.parametrize("name", ["gll_gd_iterations", "gll_sgd_iterations", "gll_gd_iterations_azls_step",
                                  "gll_gd_contraction", "gll_sgd_contraction", "gll_gd_contraction_depth"])
def test_alpha_minus_one_minimises_for_every_parameter(name):
    res = alpha_derivative_analysis(B.get(name))
    assert res.minimised_at_minus_one
    assert res.critical_points == sp.FiniteSet(-1)
    assert res.positive_set == sp.Interval.open(-1, 1)
    assert res.negative_set == sp.EmptySet
    assert res.alpha_part.free_symbols == {B.alpha}  # the sign does not depend on L, m, n, d, δ, η, ε


def test_alpha_factor_maximised_at_minus_one():
    for bd in (B.g_alpha, B.c_alpha):
        res = alpha_derivative_analysis(bd)
        assert res.argmax == -1 and res.argmin is None


@pytest.mark.parametrize("factor", [(1 + B.alpha) ** 2 / (1 + B.alpha**2), sp.sqrt(1 + B.alpha**2) / (1 - B.alpha)])
def test_wrong_alpha_factors_are_not_minimised_at_minus_one(factor):
    rest = B.gll_gd_iterations.expr * B.c_alpha.expr
    mutant = B.gll_gd_iterations.mutant(rest / factor, "wrong α-factor")
    assert not alpha_derivative_analysis(mutant).minimised_at_minus_one


@given(a1=alphas, a2=alphas, L=st.integers(1, 50), m=ints, n=ints, d=ints, delta=st.floats(1e-3, 1.4),
       eta=pos, eps=st.floats(1e-12, 0.9))
def test_gll_iterations_monotone_in_alpha(a1, a2, L, m, n, d, delta, eta, eps):
    f = B.gll_gd_iterations.numpy(validate=False)
    lo, hi = sorted((a1, a2))
    kw = {"m": m, "n": n, "d": d, "delta": delta, "eta": eta, "eps": eps, **_ones(B.gll_gd_iterations)}
    t_lo, t_hi, t_best = f(alpha=lo, **kw), f(alpha=hi, **kw), f(alpha=-1.0, **kw)
    assert t_best <= t_lo * (1 + 1e-12) and t_lo <= t_hi * (1 + 1e-12)


@given(m1=ints, m2=ints, delta=st.floats(1e-3, 1.4), n=ints, d=ints, eta=st.floats(1e-12, 1e-6), a=alphas)
def test_contraction_decreases_with_width_and_separation(m1, m2, delta, n, d, eta, a):
    f = B.gll_gd_contraction.numpy(validate=False)
    kw = {"n": n, "d": d, "eta": eta, "alpha": a, **_ones(B.gll_gd_contraction)}
    lo, hi = sorted((m1, m2))
    assert f(m=hi, delta=delta, **kw) <= f(m=lo, delta=delta, **kw)
    assert f(m=lo, delta=delta, **kw) <= f(m=lo, delta=delta / 2, **kw)


@given(n1=ints, n2=ints, d=ints, m=ints, delta=st.floats(1e-3, 1.4), eta=st.floats(1e-9, 1e-3))
def test_azls_contraction_weaker_for_more_samples(n1, n2, d, m, delta, eta):
    f = B.azls_gd_contraction.numpy(validate=False)
    lo, hi = sorted((n1, n2))
    assert f(n=lo, d=d, m=m, delta=delta, eta=eta, C_az_rate=1.0) <= f(n=hi, d=d, m=m, delta=delta, eta=eta,
                                                                         C_az_rate=1.0)


@given(a=alphas, m=ints, n=ints, d=ints, delta=st.floats(1e-3, 1.4), eta=st.floats(1e-9, 1e-3))
def test_numpy_torch_and_evalf_agree(a, m, n, d, delta, eta):
    for bd in (B.gll_gd_contraction, B.gll_sgd_contraction, B.g_alpha):
        vals = {"alpha": a, "m": m, "n": n, "d": d, "delta": delta, "eta": eta, **_ones(bd)}
        vals = {k: v for k, v in vals.items() if k in {s.name for s in bd.variables}}
        ref = bd.evaluate(**vals) if not bd.domain else float(sp.N(bd.expr.subs({B.symbols.symbol(k): v
                                                                                   for k, v in vals.items()})))
        assert bd.numpy(validate=False)(**vals) == pytest.approx(ref, rel=1e-12)
        tv = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in vals.items()}
        assert float(bd.torch(validate=False)(**tv)) == pytest.approx(ref, rel=1e-12)


def test_domain_refusals():
    kw = {"eta": 1e-9, "delta": 0.1, "m": 1000, "d": 10, "n": 10, "C_gll_rate": 1.0}
    with pytest.raises(DomainError, match="alpha"):
        B.gll_gd_contraction.numpy()(alpha=1.0, **kw)
    with pytest.raises(DomainError, match="alpha"):
        B.gll_gd_contraction.numpy()(alpha=-1.5, **kw)
    with pytest.raises(DomainError, match="delta"):
        B.gll_gd_contraction.numpy()(alpha=0.0, **{**kw, "delta": 2.0})
    with pytest.raises(DomainError, match="eps"):
        B.gll_gd_iterations.numpy()(alpha=0.0, eps=1.5, **kw)
    with pytest.raises(DomainError):
        B.g_alpha.evaluate(alpha=float("nan"))


# ---------------------------------------------------------------- rescaling equivalence
def test_rescaling_identity_is_exact():
    assert rescaling_identity() == {"ntk-rescaled": 0, "rescaled-he": 0, "rescaled-plain": 0}


@pytest.mark.parametrize(("scale", "step", "zero"), [
    (sp.sqrt(2), B.eta_he_from_rescaled.expr, True),
    (1 / sp.sqrt(B.m), B.eta_rescaled_from_ntk.expr, True),
    (sp.sqrt(2 / B.m), B.eta_he_from_ntk.expr, True),
    (sp.sqrt(2 / ((1 + B.alpha**2) * B.m)), B.eta_plain_from_ntk.expr, True),
    (sp.sqrt(2 / B.m), B.eta / B.m, False),
    (sp.sqrt(2 / ((1 + B.alpha**2) * B.m)), 2 * B.eta / B.m, False),
])
def test_step_conversion_identity(scale, step, zero):
    assert (step_conversion_identity(scale, step) == 0) is zero


@given(z=st.floats(-50, 50, allow_nan=False), a=st.floats(-3, 3, allow_nan=False), m=ints)
def test_layer_maps_agree_numerically(z, a, m):
    vals = [bd.numpy(validate=False)(alpha=a, m=m, z_pre=z) for bd in
            (B.layer_ntk, B.layer_rescaled_act, B.layer_he_init, B.layer_plain_init)]
    assert np.allclose(vals, vals[0], rtol=1e-10, atol=1e-13 * max(1.0, abs(z)))


@given(z=st.floats(-50, 50, allow_nan=False), a=st.floats(-3, 3, allow_nan=False))
def test_leaky_expr_is_max_form(z, a):
    val = float(leaky_expr(sp.Float(z), sp.Float(a)))
    assert val == pytest.approx(max(z, 0) + a * min(z, 0), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- Θ_W recursion
def test_theta_W_depth_one_is_kappa_times_kappa_dot():
    k = B.kappa.expr
    expected = k * B.kappa_dot.expr.subs(B.rho, k)
    assert sp.simplify(theta_W_expr(1) - expected) == 0


@pytest.mark.parametrize("a", [-1, sp.Rational(-1, 2), 0, sp.Rational(1, 3), sp.Rational(9, 10)])
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_theta_W_is_depth_on_the_diagonal(a, depth):
    """Exact: κ_α(1) = κ̇_α(1) = 1 for every α, so Θ_W(1) = L (and 1 for the layer average)."""
    assert sp.simplify(theta_W_expr(depth).subs({B.alpha: a, B.rho: 1})) == depth
    assert sp.simplify(theta_W_expr(depth, average=True).subs({B.alpha: a, B.rho: 1})) == 1


@given(a=st.floats(-1.0, 1.0), r=rhos)
def test_theta_W_bounded_by_depth(a, r):
    for depth, bd in ((1, B.Theta_W_L1), (2, B.Theta_W_L2), (3, B.Theta_W_L3)):
        assert abs(bd.numpy(validate=False)(alpha=a, rho=r)) <= depth * (1 + 1e-12)


def _all_layers(rho_v: float, a: float, hidden: int) -> tuple[float, float, float, list[float], list[float]]:
    """Jacot/Arora all-layers recursion (docs/theory/kernels.md §6) with ``hidden`` hidden layers, unit-norm inputs."""
    k = B.kappa.numpy(validate=False)
    kd = B.kappa_dot.numpy(validate=False)
    sig = [rho_v]  # Σ^(0)
    dots = [None]
    for _ in range(hidden):
        dots.append(float(kd(alpha=a, rho=sig[-1])))
        sig.append(float(k(alpha=a, rho=sig[-1])))
    theta = sig[0]
    for h in range(1, hidden + 1):
        theta = theta * dots[h] + sig[h]
    return theta, sig, dots


@given(a=st.floats(-1.0, 0.99), r=st.floats(-0.99, 0.99), depth=st.integers(1, 3))
def test_theta_W_is_all_layers_minus_A_and_B_terms(a, r, depth):
    """Θ_W = Θ_full − Σ^(0)Π_{h=1}^{L+1}Σ̇^(h) − Σ^(L+1) with L+1 hidden layers (docs/theory/kernels.md §7)."""
    theta_full, sig, dots = _all_layers(r, a, depth + 1)
    a_term = sig[0] * float(np.prod(dots[1:]))
    b_term = sig[-1]
    bd = deep_ntk_W_bound(depth)
    assert bd.numpy(validate=False)(alpha=a, rho=r) == pytest.approx(theta_full - a_term - b_term, rel=1e-9,
                                                                     abs=1e-12)


def test_deeper_bound_registered_on_demand():
    bd = deep_ntk_W_bound(5)
    assert B.get("Theta_W_L5") is bd
    assert bd.evaluate(alpha=-0.5, rho=1) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="depth"):
        theta_W_expr(0)


def test_wrong_recursion_changes_the_kernel():
    wrong = B.deep_ntk_W_step.mutant(B.ntk_prev * B.kern_dot + B.kern_prev, "all-layers step")
    good = theta_W_expr(2).subs({B.alpha: -0.5, B.rho: 0.3})
    bad = theta_W_expr(2, step=wrong).subs({B.alpha: -0.5, B.rho: 0.3})
    assert abs(float(good) - float(bad)) > 1e-3
