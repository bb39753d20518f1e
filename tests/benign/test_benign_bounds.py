"""Properties of the benign-overfitting bounds (bounds/benign.py): monotonicity in the direction the theory says,
orderings in α, exponents, limits, lambdified numpy/torch = sympy, domain refusals, provenance and predicates."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bounds as B
from bounds import DomainError, Provenance, Side

alphas = st.floats(0.01, 1.0)
gammas = st.floats(0.001, 0.99)
pos = st.floats(0.05, 50.0)
ints = st.integers(1, 5000)


def consts(bound, value=1.0):
    return {c.name: value for c in bound.constants}


# ------------------------------------------------------------------ registry, provenance, symbols
NEW = ["kgmmn_gd_iterations", "kgmmn_gd_margin_factor", "kgmmn_generic_benign", "kgmmn_benign", "kgmmn_lower",
       "kgmmn_harmful", "kgmmn_harmful_ratio", "kgmmn_benign_ratio", "kgmmn_wstar_signal", "kgmmn_wstar_noise",
       "kgmmn_linear_error", "kgmmn_linear_error_upper", "kgmmn_linear_error_lower_exp",
       "kgmmn_linear_error_lower_lin", "kgmmn_benign_snr_threshold", "kgmmn_harmful_snr_threshold",
       "hlin_weak_signal", "hlin_strong_signal", "h25_transition_ratio", "h25_weak_rate", "h25_benign_ratio",
       "isotropic_error", "isotropic_weak_log_error", "isotropic_strong_log_error", "isotropic_bayes_error",
       "fcb22_upper", "fcb22_lower_rate"]


@pytest.mark.parametrize("name", NEW)
def test_registered_with_source(name):
    bd = B.get(name)
    assert bd.source and bd.quantity
    for c in bd.constants:
        assert c.name.startswith(("C_", "c_"))


def test_provenance_as_in_the_theory_docs():
    P = Provenance
    expect = {"kgmmn_benign": P.PAPER, "kgmmn_lower": P.PAPER, "kgmmn_harmful": P.PAPER, "kgmmn_gd_iterations": P.PAPER,
              "kgmmn_linear_error": P.DERIVED, "hlin_weak_signal": P.PAPER, "hlin_strong_signal": P.PAPER,
              "h25_transition_ratio": P.INFERRED, "h25_weak_rate": P.INFERRED, "h25_benign_ratio": P.SUMMARY,
              "isotropic_error": P.DERIVED_CHECKED, "isotropic_weak_log_error": P.DERIVED,
              "fcb22_upper": P.RECALLED, "fcb22_lower_rate": P.RECALLED}
    for name, prov in expect.items():
        assert B.get(name).provenance is prov, name
    assert "recalled" in B.fcb22_upper.source
    assert "inferred" in B.h25_weak_rate.source and "inferred" in B.h25_transition_ratio.source
    assert "derived" in B.isotropic_error.source
    assert B.kgmmn_benign.side is Side.UPPER and B.kgmmn_lower.side is Side.LOWER


def test_new_symbols_are_canonical():
    for name in ("gamma_sig", "mu_norm", "p_flip", "trace_sigma", "sigma_op", "w_star_norm", "margin_factor"):
        assert B.symbols.symbol(name) is getattr(B, name)
        assert name in B.symbols.__all__
    assert B.gamma_sig.is_positive and B.p_flip.is_nonnegative
    assert B.k is B.symbols.symbol("k")  # the canonical k (corrupted labels) is reused, not redefined


# ------------------------------------------------------------------ KGMMN
@given(alphas, alphas, st.integers(100, 5000), st.integers(1, 50))
def test_cor321_decreasing_in_alpha_and_d(a1, a2, d, k):
    f = B.kgmmn_benign.numpy(validate=False)
    lo, hi = sorted((a1, a2))
    assume(hi - lo > 1e-6)
    c = 0.01
    assert f(C_kg_benign=c, alpha=hi, d=d, k=k) <= f(C_kg_benign=c, alpha=lo, d=d, k=k)
    assert f(C_kg_benign=c, alpha=lo, d=d + 100, k=k) <= f(C_kg_benign=c, alpha=lo, d=d, k=k)
    assert f(C_kg_benign=c, alpha=lo, d=d, k=k + 1) >= f(C_kg_benign=c, alpha=lo, d=d, k=k)


@given(alphas, st.integers(10, 5000), st.integers(1, 100))
def test_sandwich_order_with_equal_constants(a, d, k):
    """With equal constants exp(−C·d/(αk)) ≤ exp(−C·α²·d/k) for α ∈ (0, 1] (1/α ≥ α²)."""
    up = B.kgmmn_benign.numpy(validate=False)(C_kg_benign=0.05, alpha=a, d=d, k=k)
    lo = B.kgmmn_lower.numpy(validate=False)(C_kg_lower=0.05, alpha=a, d=d, k=k)
    assert lo <= up * (1 + 1e-12)


@given(alphas, st.integers(1, 64), st.integers(10, 1000), st.integers(1, 100))
def test_generic_bound_with_gd_factor_matches_corollary_scaling(a, m, d, k):
    """Thm 3.2 with |𝒜| = 1/(α√m): −log = d/(k(1 + 1/α²)) lies between α²d/(2k) and α²d/k (Cor 3.2.1)."""
    e = -math.log(float(B.kgmmn_generic_benign.numpy(validate=False)(
        C_kg_gen=1.0, d=d, k=k, m=m, margin_factor=1 / (a * math.sqrt(m)))))
    assert a**2 * d / (2 * k) * (1 - 1e-9) <= e <= a**2 * d / k * (1 + 1e-9)


def test_exponents_of_theorem_31():
    assert B.kgmmn_gd_iterations.exponent(B.alpha, 0) == -2
    assert B.kgmmn_gd_iterations.exponent(B.m) == -1
    assert B.kgmmn_gd_iterations.exponent(B.w_star_norm) == 2
    assert B.kgmmn_gd_margin_factor.exponent(B.alpha, 0) == -1
    assert B.kgmmn_gd_margin_factor.exponent(B.m) == sp.Rational(-1, 2)


def test_rate_exponents_and_limits():
    e_up = sp.expand_log(-sp.log(B.kgmmn_benign.expr), force=True)
    e_lo = sp.expand_log(-sp.log(B.kgmmn_lower.expr), force=True)
    assert sp.simplify(e_up - B.kgmmn_benign.constants[0] * B.alpha**2 * B.d / B.k) == 0
    assert sp.simplify(e_lo - B.kgmmn_lower.constants[0] * B.d / (B.alpha * B.k)) == 0
    assert B.kgmmn_benign.subs(alpha=sp.Rational(1, 2), k=5).limit(B.d, sp.oo) == 0
    assert B.kgmmn_harmful.evaluate() == 0.125


@given(gammas, st.integers(0, 200), st.integers(1, 500))
def test_wstar_bounds_monotone(g, k, n):
    sig = B.kgmmn_wstar_signal.numpy(validate=False)
    noi = B.kgmmn_wstar_noise.numpy(validate=False)
    assert sig(C_kg_w3=1, gamma_sig=g, k=k + 1) >= sig(C_kg_w3=1, gamma_sig=g, k=k)
    assert noi(C_kg_w4=1, gamma_sig=g, n=n + 1) >= noi(C_kg_w4=1, gamma_sig=g, n=n)
    assume(g < 0.98)
    assert noi(C_kg_w4=1, gamma_sig=g + 0.01, n=n) >= noi(C_kg_w4=1, gamma_sig=g, n=n)


@given(gammas, st.integers(2, 10_000), st.floats(0.0, 20.0), st.floats(0.1, 20.0))
def test_linear_error_between_lemma_c1_bounds(g, d, av, zn):
    vals = {"gamma_sig": g, "d": d, "a_v": av, "z_norm": zn}
    exact = float(B.kgmmn_linear_error.numpy()(**vals))
    upper = float(B.kgmmn_linear_error_upper.numpy()(**vals))
    lower_exp = float(B.kgmmn_linear_error_lower_exp.numpy()(**vals))
    lower_lin = float(B.kgmmn_linear_error_lower_lin.numpy()(**vals))
    assert 0.0 <= exact <= 0.5
    assert exact <= upper * (1 + 1e-12) + 1e-300
    assert exact >= lower_exp * (1 - 1e-12)
    assert exact >= lower_lin - 1e-12


def test_linear_error_far_tail_matches_mpmath():
    """Φ via erfc stays accurate where 1 + erf has long underflowed to 0."""
    f = B.kgmmn_linear_error.numpy()
    for x in (5.0, 10.0, 20.0, 35.0):  # x = √(γd/(1−γ))·a_v/‖z‖ with γ = ½, d = 1
        got = float(f(gamma_sig=0.5, d=1, a_v=x, z_norm=1.0))
        ref = float(mpmath.ncdf(-x))
        assert got == pytest.approx(ref, rel=1e-10)
        assert 0.5 * (1 + math.erf(-x / math.sqrt(2))) in (0.0, pytest.approx(ref, rel=1e-3))
    deep = B.kgmmn_linear_error.expr.subs({B.gamma_sig: sp.Rational(1, 2), B.d: 1, B.a_v: 50, B.z_norm: 1})
    assert float(sp.log(sp.N(deep, 30))) == pytest.approx(float(mpmath.log(mpmath.ncdf(-50))), rel=1e-12)


def test_regime_predicates():
    vals = {"n": 100, "d": 400, "k": 5, "gamma_sig": 0.3, "alpha": 0.5, "p_fail": 0.1}
    assert B.kgmmn_benign_regime(vals) is None  # hidden constants unknown
    ok = {"C_kg_dn": 1, "c_kg_k": 1, "C_kg_gamma": 1, "C_kg_n": 1}
    assert B.kgmmn_benign_regime(vals, **ok) is True
    assert B.kgmmn_benign_regime({**vals, "k": 40}, **ok) is False  # k > c·α²n
    assert B.kgmmn_harmful_regime(vals, c_kg_harm=1, C_kg_dlog=1, C_kg_n=1) is False
    assert B.kgmmn_harmful_regime({**vals, "gamma_sig": 1e-5}, c_kg_harm=1, C_kg_dlog=1, C_kg_n=1) is True
    assert B.kgmmn_benign_regime({**vals, "d": 50}, C_kg_dn=1) is False  # d < n decided without the others


@given(gammas, st.integers(2, 1000), alphas)
def test_regime_ratios_monotone_in_gamma(g, d, a):
    assume(g < 0.9)
    hr = B.kgmmn_harmful_ratio.numpy()
    assert hr(gamma_sig=g * 1.1, d=d, alpha=a) > hr(gamma_sig=g, d=d, alpha=a)
    assert hr(gamma_sig=g, d=d, alpha=a / 2) > hr(gamma_sig=g, d=d, alpha=a)


def test_domain_refusals():
    with pytest.raises(DomainError, match="alpha"):
        B.kgmmn_benign.evaluate(C_kg_benign=1, alpha=1.5, d=100, k=5)
    with pytest.raises(DomainError, match="gamma_sig"):
        B.kgmmn_linear_error.evaluate(gamma_sig=1.2, d=10, a_v=1, z_norm=1)
    with pytest.raises(DomainError, match="p_flip"):
        B.hlin_strong_signal.numpy()(C_hl_strong=1, n=10, p_flip=0.7, sigma_op=1, trace_sigma=10)
    with pytest.raises(DomainError, match="k"):
        B.kgmmn_benign.evaluate(C_kg_benign=1, alpha=0.5, d=100, k=-1)


# ------------------------------------------------------------------ Hashimoto / derived / FCB22
@given(st.floats(0.1, 30.0), st.integers(10, 5000), st.integers(2, 1000))
def test_isotropic_error_monotone(mu, d, n):
    f = B.isotropic_error.numpy()
    e = f(mu_norm=mu, d=d, n=n)
    assert f(mu_norm=mu * 1.1, d=d, n=n) <= e
    assert f(mu_norm=mu, d=d, n=n + 5) <= e
    assert f(mu_norm=mu, d=d + 50, n=n) >= e
    assert e >= B.isotropic_bayes_error.numpy()(mu_norm=mu) * (1 - 1e-12)  # never below Bayes


def test_isotropic_error_regimes():
    f = B.isotropic_error.numpy()
    # weak: n‖μ‖² ≪ d with z ≈ 40 → −log err / (n‖μ‖⁴/(2d)) → 1 up to the log z correction
    mu2, d, n = 1e5, 10**9, 160
    z = mu2 / math.sqrt(mu2 + d / n)
    exact = -float(mpmath.log(mpmath.ncdf(-z)))
    approx = float(B.isotropic_weak_log_error.evaluate(n=n, d=d, mu_norm=math.sqrt(mu2)))
    assert exact / approx == pytest.approx(1, abs=0.01)
    # strong: n‖μ‖² ≫ d → Bayes-like, −log err ≈ ‖μ‖²/2
    mu = 60.0
    z = mu**2 / math.sqrt(mu**2 + 100 / 10**7)
    val = -float(mpmath.log(mpmath.ncdf(-z)))
    assert val / float(B.isotropic_strong_log_error.evaluate(mu_norm=mu)) == pytest.approx(1, abs=0.01)
    z5 = 25.0 / math.sqrt(25.0 + 100 / 10**7)
    assert float(f(mu_norm=5.0, d=100, n=10**7)) == pytest.approx(float(mpmath.ncdf(-z5)), rel=1e-10)
    # transition: the ratio n‖μ‖²/Tr Σ is 1 at ‖μ‖² = d/n
    assert B.h25_transition_ratio.evaluate(n=20, mu_norm=math.sqrt(10), trace_sigma=200) == pytest.approx(1)


@given(st.floats(0.5, 10.0), st.integers(5, 500), st.floats(10.0, 1e4), st.floats(1.0, 10.0), st.floats(0.0, 0.4))
def test_hlin_bounds_monotone(mu, n, tr, op, p):
    weak = B.hlin_weak_signal.numpy(validate=False)
    strong = B.hlin_strong_signal.numpy(validate=False)
    w = weak(C_hl_weak=1, mu_norm=mu, n=n, p_flip=p, sigma_op=op, trace_sigma=tr)
    assert w >= p
    assert weak(C_hl_weak=1, mu_norm=mu * 1.2, n=n, p_flip=p, sigma_op=op, trace_sigma=tr) <= w
    assert weak(C_hl_weak=1, mu_norm=mu, n=n, p_flip=p, sigma_op=op, trace_sigma=tr * 2) >= w
    s = strong(C_hl_strong=1, n=n, p_flip=p, sigma_op=op, trace_sigma=tr)
    assert strong(C_hl_strong=1, n=n + 1, p_flip=p, sigma_op=op, trace_sigma=tr) >= s
    assert strong(C_hl_strong=1, n=n, p_flip=p, sigma_op=op, trace_sigma=tr * 2) <= s


@given(st.floats(0.5, 10.0), st.integers(5, 500), st.integers(100, 10**6), st.floats(0.0, 0.3))
def test_fcb22_monotone_and_limit(mu, n, d, p):
    f = B.fcb22_upper.numpy(validate=False)
    v = f(C_fcb=1, mu_norm=mu, n=n, d=d, p_flip=p)
    assert p <= v <= p + 2
    assert f(C_fcb=1, mu_norm=mu, n=n + 10, d=d, p_flip=p) <= v
    assert f(C_fcb=1, mu_norm=mu, n=n, d=d * 2, p_flip=p) >= v
    assert B.fcb22_upper.limit(B.n, sp.oo) == B.p_flip


def test_phi_helper():
    x = sp.Symbol("x", real=True)
    assert B.Phi(sp.Integer(0)) == sp.Rational(1, 2)
    assert sp.simplify(B.Phi(x) + B.Phi(-x) - 1) == 0


# ------------------------------------------------------------------ numpy / torch / sympy agreement
POINTS = [
    (B.kgmmn_benign, {"C_kg_benign": 0.3, "alpha": 0.4, "d": 300, "k": 7}),
    (B.kgmmn_lower, {"C_kg_lower": 0.2, "alpha": 0.4, "d": 300, "k": 7}),
    (B.kgmmn_generic_benign, {"C_kg_gen": 0.5, "d": 300, "k": 7, "m": 16, "margin_factor": 0.3}),
    (B.kgmmn_gd_iterations, {"C_kg_iter": 2.0, "w_star_norm": 7.0, "eta": 1e-3, "alpha": 0.1, "m": 32}),
    (B.kgmmn_gd_margin_factor, {"C_kg_margin": 1.5, "alpha": 0.1, "m": 32}),
    (B.kgmmn_wstar_signal, {"C_kg_w3": 1.0, "gamma_sig": 0.05, "k": 10}),
    (B.kgmmn_linear_error, {"gamma_sig": 0.05, "d": 300, "a_v": 2.0, "z_norm": 5.0}),
    (B.kgmmn_benign_snr_threshold, {"C_kg_d2": 1.0, "gamma_sig": 0.1, "m": 8, "eps": 0.01, "d": 100}),
    (B.hlin_weak_signal, {"C_hl_weak": 1.0, "mu_norm": 3.0, "n": 50, "p_flip": 0.1, "sigma_op": 2.0,
                          "trace_sigma": 300.0}),
    (B.isotropic_error, {"mu_norm": 2.5, "d": 500, "n": 40}),
    (B.fcb22_upper, {"C_fcb": 3.0, "mu_norm": 2.0, "n": 100, "d": 10**4, "p_flip": 0.05}),
]


@pytest.mark.parametrize(("bound", "vals"), POINTS, ids=[b.name for b, _ in POINTS])
def test_numpy_torch_and_sympy_agree(bound, vals):
    ref = float(sp.N(bound.expr.subs({B.symbols.symbol(k): v for k, v in vals.items()}), 30))
    got_np = float(bound.numpy(validate=False)(**vals))
    tvals = {k: (v if B.symbols.symbol(k).is_integer else torch.tensor(float(v), dtype=torch.float64))
             for k, v in vals.items()}
    got_t = float(bound.torch(validate=False)(**tvals))
    assert got_np == pytest.approx(ref, rel=1e-10)
    assert got_t == pytest.approx(ref, rel=1e-10)


def test_torch_path_is_differentiable_in_alpha():
    a = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    v = B.kgmmn_benign.torch(validate=False)(C_kg_benign=torch.tensor(0.1, dtype=torch.float64), alpha=a, d=200, k=5)
    v.backward()
    expected = -0.1 * 2 * 0.3 * 200 / 5 * math.exp(-0.1 * 0.09 * 200 / 5)
    assert float(a.grad) == pytest.approx(expected, rel=1e-10)


def test_vectorised_numpy():
    out = B.isotropic_error.numpy()(mu_norm=np.array([1.0, 2.0, 4.0]), d=200, n=20)
    assert out.shape == (3,) and np.all(np.diff(out) < 0)
