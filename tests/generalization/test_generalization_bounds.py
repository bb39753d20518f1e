"""Property tests of the generalisation bounds (bounds/generalization.py) and the regime analysis.

Orderings and monotonicity in the directions docs/theory/generalization.md states (§2, §3, §5.1), limits,
exponents, lambdified numpy/torch == sympy evalf, domain refusals, and the regime function against the sign of
the derivative it is built from.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bounds as B
from bounds import DomainError
from bounds import generalization_regime as R
from bounds.generalization import statements as G

pos = st.floats(min_value=1e-2, max_value=1e2, allow_nan=False)
alphas = st.floats(min_value=-1.0, max_value=0.95)
sizes = st.integers(min_value=2, max_value=10_000)

# problem sizes and constants of the trajectory schematic, with a per-step rate well inside (0, 1)
SMALL_RATE = {"eta": 0.01, "m": 100, "delta": 0.3, "d": 10, "F_0": 0.7, "C_rate": 0.5, "C_grad": 1.3,
              "C_cx": 0.2, "C_depth": 1.5, "C_conf": 0.4, "p_fail": 0.05, "L": 2}


def traj_values(**over: float) -> dict[str, float]:
    vals = {**SMALL_RATE, "alpha": -0.3, "K": 50, "n": 40, "p_jump": 0.5}
    vals.update(over)
    return vals


def only(bound: B.Bound, vals: dict[str, float]) -> dict[str, float]:
    names = {s.name for s in bound.variables}
    return {k: v for k, v in vals.items() if k in names}


# ----------------------------------------------------------------------------- registration and provenance
def test_registered_with_theory_docs_provenance() -> None:
    assert B.adhlw_complexity.provenance.value == "recalled"
    assert B.adhlw_generalization.provenance.value == "recalled"
    assert B.cg19_ntk_bound.provenance.value == "recalled"
    for bd in (B.traj_training_term, B.traj_radius, B.traj_gap_term, B.trajectory_bound):
        assert bd.provenance.value == "inferred"
        assert "NOT GLL's bound" in bd.source or "inferred" in bd.source
    assert {c.name for c in B.trajectory_bound.constants} == {"C_rate", "C_grad", "C_cx", "C_depth", "C_conf"}
    assert {c.name for c in B.adhlw_generalization.constants} == {"C_adhlw"}
    assert {s.name for s in B.trajectory_bound.variables} >= {"alpha", "L", "m", "n", "eta", "K"}
    assert B.registry.get("trajectory_bound") is B.trajectory_bound


def test_trajectory_parts_reproduce_registered_bounds() -> None:
    parts = G.trajectory_parts(G.C_ALPHA, G.G_ALPHA)
    assert sp.simplify(parts["total"] - B.trajectory_bound.expr) == 0
    assert sp.simplify(parts["training"] + parts["gap"] - B.trajectory_bound.expr) == 0


# ----------------------------------------------------------------------------- ADHLW
@given(q=st.floats(min_value=0.0, max_value=1e4), n=sizes)
def test_adhlw_complexity_numpy_torch_evalf(q: float, n: int) -> None:
    ref = B.adhlw_complexity.evaluate(quad_y=q, n=n)
    assert math.isclose(float(B.adhlw_complexity.numpy()(quad_y=q, n=n)), ref, rel_tol=1e-12, abs_tol=1e-15)
    out = B.adhlw_complexity.torch()(quad_y=torch.tensor(q, dtype=torch.float64), n=n)  # n as a Python int
    assert math.isclose(float(out), ref, rel_tol=1e-12, abs_tol=1e-15)


@given(q=st.floats(min_value=0.1, max_value=1e4), n=st.integers(min_value=2, max_value=5000),
       f=st.floats(min_value=1.01, max_value=10.0))
def test_adhlw_complexity_monotone(q: float, n: int, f: float) -> None:
    c = B.adhlw_complexity.numpy()
    assert c(quad_y=q * f, n=n) > c(quad_y=q, n=n)  # more label energy in small eigen-directions: larger
    assert c(quad_y=q, n=n + 1) < c(quad_y=q, n=n)  # more samples: smaller


@given(lam=st.floats(min_value=1e-4, max_value=1.0), n=sizes)
def test_adhlw_worst_case_is_complexity_at_q_equal_n_over_lambda(lam: float, n: int) -> None:
    assert math.isclose(B.adhlw_complexity.evaluate(quad_y=n / lam, n=n),
                        B.adhlw_complexity_worst_case.evaluate(lam=lam), rel_tol=1e-12)


@given(q=st.floats(min_value=0.0, max_value=1e3), n=st.integers(min_value=3, max_value=10_000),
       lam=st.floats(min_value=1e-3, max_value=1.0), p=st.floats(min_value=1e-3, max_value=0.5), c=pos)
def test_adhlw_bound_decreasing_in_n_and_evalf(q: float, n: int, lam: float, p: float, c: float) -> None:
    bd = B.adhlw_generalization
    vals = {"quad_y": q, "n": n, "lam": lam, "p_fail": p, "C_adhlw": c}
    ref = bd.evaluate(**vals)
    assert math.isclose(float(bd.numpy()(**vals)), ref, rel_tol=1e-10)
    assert float(bd.numpy()(**{**vals, "n": n + 1})) < ref  # λ·p_fail ≤ 1 < n: both terms fall with n
    assert ref >= B.adhlw_complexity.evaluate(quad_y=q, n=n)  # the hidden term is non-negative


def test_adhlw_bound_domain_refusals() -> None:
    vals = {"quad_y": 10.0, "n": 50, "lam": 0.1, "C_adhlw": 1.0}
    with pytest.raises(DomainError, match="p_fail"):
        B.adhlw_generalization.evaluate(**vals, p_fail=1.5)
    with pytest.raises(DomainError, match="quad_y"):
        B.adhlw_complexity.evaluate(quad_y=-1.0, n=5)
    with pytest.raises(DomainError):
        B.adhlw_generalization.numpy()(**vals, p_fail=np.array([0.1, 2.0]))


# ----------------------------------------------------------------------------- CG19
@given(L=st.integers(1, 20), R_=pos, n=st.integers(2, 10_000), loss=st.floats(0.0, 5.0), c=pos)
def test_cg19_ntrf_bound_monotone(L: int, R_: float, n: int, loss: float, c: float) -> None:
    f = B.cg19_ntrf_bound.numpy()
    vals = {"L": L, "R_ntrf": R_, "n": n, "ntrf_loss": loss, "p_fail": 0.05, "C_cg19": c, "C_cg19_conf": c}
    base = float(f(**vals))
    assert math.isclose(base, B.cg19_ntrf_bound.evaluate(**vals), rel_tol=1e-10)
    assert float(f(**{**vals, "L": L + 1})) > base
    assert float(f(**{**vals, "R_ntrf": R_ * 1.5})) > base
    assert float(f(**{**vals, "n": n + 1})) < base
    assert float(f(**{**vals, "ntrf_loss": loss + 0.1})) > base


@given(L=st.integers(1, 20), q=st.floats(0.1, 1e4), n=st.integers(2, 10_000), c=pos)
def test_cg19_ntk_bound_monotone_at_no_polylog(L: int, q: float, n: int, c: float) -> None:
    f = B.cg19_ntk_bound.numpy()
    vals = {"L": L, "quad_y": q, "n": n, "p_log": 0.0, "p_fail": 0.05, "C_cg19_ntk": c, "C_cg19_conf": c}
    base = float(f(**vals))
    assert math.isclose(base, B.cg19_ntk_bound.evaluate(**vals), rel_tol=1e-10)
    assert float(f(**{**vals, "L": L + 1})) > base
    assert float(f(**{**vals, "quad_y": q * 2})) > base
    assert float(f(**{**vals, "n": n + 1})) < base


def test_cg19_domain_refusal() -> None:
    vals = {"L": 2, "quad_y": 5.0, "n": 10, "p_log": 1.0, "C_cg19_ntk": 1.0, "C_cg19_conf": 1.0}
    with pytest.raises(DomainError, match="p_fail"):
        B.cg19_ntk_bound.evaluate(**vals, p_fail=0.5)  # CG19 need p_fail ≤ 1/e


# ----------------------------------------------------------------------------- trajectory schematic
@given(a=alphas, K=st.integers(1, 500), n=st.integers(20, 2000))
def test_trajectory_numpy_torch_evalf(a: float, K: int, n: int) -> None:
    vals = traj_values(alpha=a, K=K, n=n)
    for bd in (B.traj_training_term, B.traj_radius, B.traj_gap_term, B.trajectory_bound):
        v = only(bd, vals)
        ref = bd.evaluate(**v)
        # rel_tol: 1 − ρ^{K/2} loses up to ~1e-16/(rate·K) ≈ 1e-8 relatively at the smallest rates drawn here
        assert math.isclose(float(bd.numpy()(**v)), ref, rel_tol=1e-6)
        tv = {k: (torch.tensor(x, dtype=torch.float64) if isinstance(x, float) else x) for k, x in v.items()}
        assert math.isclose(float(bd.torch()(**tv)), ref, rel_tol=1e-6)


@given(a=alphas, b=alphas, K=st.integers(1, 300))
def test_training_term_ordered_by_c_alpha(a: float, b: float, K: int) -> None:
    assume(abs(a - b) > 1e-3)
    f = B.traj_training_term.numpy()
    v = only(B.traj_training_term, traj_values(K=K))
    lo, hi = sorted((a, b))  # c_α decreases on [−1, 1): the smaller α has the larger c_α, the smaller loss
    assert float(f(**{**v, "alpha": lo})) < float(f(**{**v, "alpha": hi}))


@given(a=st.floats(min_value=-1.0, max_value=0.8), K=st.integers(1, 300), n=st.integers(5, 60),
       c_rate=st.floats(0.5, 5.0))
def test_training_term_and_radius_monotone_in_K_n_m(a: float, K: int, n: int, c_rate: float) -> None:
    """(Per-step rates ≥ 1e-6 here: below that the m- and n-dependence is under floating-point resolution.)"""
    tt, rad = B.traj_training_term.numpy(), B.traj_radius.numpy()
    v = traj_values(alpha=a, K=K, n=n, C_rate=c_rate)
    t0, r0 = float(tt(**only(B.traj_training_term, v))), float(rad(**only(B.traj_radius, v)))
    assert float(tt(**only(B.traj_training_term, {**v, "K": K + 1}))) < t0  # loss falls with epochs
    assert float(rad(**only(B.traj_radius, {**v, "K": K + 1}))) > r0  # the ball grows with epochs
    assert float(tt(**only(B.traj_training_term, {**v, "n": n + 1}))) > t0  # rate ∝ 1/n²: slower
    assert float(tt(**only(B.traj_training_term, {**v, "m": v["m"] + 1}))) < t0  # rate ∝ m: faster
    v2 = {**v, "K": K + 1}  # at K = 1 the path is one step, the same for every m
    r2 = float(rad(**only(B.traj_radius, v2)))
    assert float(rad(**only(B.traj_radius, {**v2, "m": v["m"] + 1}))) < r2  # faster convergence, shorter path


@given(a=alphas, K=st.integers(1, 400), pj=st.floats(0.0, 2.0), c_rate=st.floats(0.01, 1.0))
def test_gap_term_increasing_and_concave_in_K(a: float, K: int, pj: float, c_rate: float) -> None:
    bd = B.traj_gap_term
    v = only(bd, traj_values(alpha=a, p_jump=pj, C_rate=c_rate))
    syms = bd.variables
    d1 = sp.lambdify(syms, sp.diff(bd.expr, B.K))
    d2 = sp.lambdify(syms, sp.diff(bd.expr, B.K, 2))
    args = [K if s == B.K else v[s.name] for s in syms]
    assert d1(*args) > 0
    assert d2(*args) < 0


def test_radius_limits_early_linear_and_saturating() -> None:
    rad = B.traj_radius.numpy()
    v = only(B.traj_radius, traj_values(alpha=-1.0, C_rate=1e-6))  # tiny rate: the early regime for K ≤ 10
    r1, r2 = float(rad(**{**v, "K": 5})), float(rad(**{**v, "K": 10}))
    assert math.isclose(math.log(r2 / r1) / math.log(2), 1.0, rel_tol=1e-4)  # τ_K ∝ K early
    v = only(B.traj_radius, traj_values(alpha=-1.0, C_rate=0.5, n=20))
    c, g = 2.0, math.sqrt(2.0)
    rho_ = 1 - v["C_rate"] * v["eta"] * c * v["delta"] * v["m"] / (v["d"] * v["n"] ** 2)
    limit = v["eta"] * v["C_grad"] * g * math.sqrt(v["F_0"]) / (1 - math.sqrt(rho_))
    assert math.isclose(float(rad(**{**v, "K": 2_000_000})), limit, rel_tol=1e-9)  # saturates at τ_∞ (rate·K ≈ 150)


def test_trajectory_domain_refusals() -> None:
    v = only(B.traj_training_term, traj_values())
    with pytest.raises(DomainError, match="alpha"):
        B.traj_training_term.evaluate(**{**v, "alpha": 1.0})
    with pytest.raises(DomainError, match="alpha"):
        B.traj_training_term.evaluate(**{**v, "alpha": -1.5})
    with pytest.raises(DomainError):  # contraction ≥ 1: outside the schematic's domain
        B.traj_training_term.evaluate(**{**v, "C_rate": 1e6})


# ----------------------------------------------------------------------------- regime analysis
REGIME = {k: SMALL_RATE[k] for k in ("eta", "m", "delta", "d", "F_0", "C_rate", "C_grad", "C_cx", "C_depth")}


def test_first_alpha_derivative_vanishes_at_minus_one() -> None:
    assert R.first_alpha_derivative_at_minus_one() == 0


@given(n=st.integers(10, 300), K=st.integers(1, 3000), L=st.integers(1, 6), pj=st.floats(0.0, 2.0),
       cx=st.floats(1e-3, 10.0))
def test_regime_matches_derivative_sign_and_finite_differences(n: int, K: int, L: int, pj: float, cx: float) -> None:
    vals = {**REGIME, "p_jump": pj, "C_cx": cx}
    crit = sp.lambdify(R._ARGS, R.c_derivative_at_minus_one())
    c_val = float(crit(n, K, L, *[vals[p] for p in R.REGIME_PARAMETERS]))
    assume(abs(c_val) > 1e-9)
    local = bool(R.alpha_minus_one_is_local_min(n, K, L, **vals))
    assert local == (c_val < 0)
    # B(α) near α = −1: B(−1 + h) − B(−1) ≈ ½B''(−1)h² = −½·∂B/∂c|_{c=2}·h²
    bound = B.trajectory_bound.numpy()
    full = {**SMALL_RATE, **vals, "n": n, "K": K, "L": L}
    args = only(B.trajectory_bound, full)
    h = 1e-3
    diff = float(bound(**{**args, "alpha": -1.0 + h})) - float(bound(**{**args, "alpha": -1.0}))
    pred = -0.5 * c_val * h**2
    assume(abs(pred) > 1e-7 * max(1.0, abs(float(bound(**{**args, "alpha": -1.0})))))  # above rounding of B
    assert math.isclose(diff, pred, rel_tol=0.05, abs_tol=1e-14)


@given(n=st.integers(10, 3000), K=st.integers(1, 3000), L=st.integers(1, 6), pj=st.floats(0.0, 2.0),
       cx=st.floats(1e-3, 10.0))
def test_global_minimiser_minus_one_implies_local_criterion(n: int, K: int, L: int, pj: float, cx: float) -> None:
    vals = {**REGIME, "p_jump": pj, "C_cx": cx}
    best = float(R.minimising_alpha(n, K, L, **vals))
    assert -1.0 <= best < 1.0
    if best == -1.0:
        crit = sp.lambdify(R._ARGS, R.c_derivative_at_minus_one())
        assert float(crit(n, K, L, *[vals[p] for p in R.REGIME_PARAMETERS])) <= 1e-12


def test_regime_in_n_at_fixed_eta_and_m() -> None:
    """At fixed η and m the schematic's training pull ∝ n⁻² loses to the complexity push ∝ n^(−1/2)."""
    vals = {**REGIME, "p_jump": 0.0, "C_cx": 1e-3, "C_rate": 5.0}
    mask = R.alpha_minus_one_is_local_min(np.array([10, 100, 10_000]), 5, 1, **vals)
    assert mask.tolist() == [True, True, False]
    assert R.minimising_alpha(10, 5, 1, **vals) == -1.0
    assert R.minimising_alpha(10_000, 5, 1, **vals) > -1.0


def test_early_and_late_criteria() -> None:
    vals = {**REGIME, "C_rate": 1e-4}
    subs = {R.n: 50, R.L: 2, **{s: vals[s.name] for s in R._PARAM_SYMBOLS if s.name != "p_jump"}}
    crit = R.c_derivative_at_minus_one()
    for pj in (0.0, 0.5, 2.0):
        early = float(R.early_criterion().subs({**subs, B.p_jump: pj}))
        k_small = float((crit / B.K).subs({**subs, B.p_jump: pj, B.K: sp.Rational(1, 10**3)}))
        assert math.isclose(early, k_small, rel_tol=1e-3)  # O(K) correction; smaller K loses digits
        late = float(R.late_criterion().subs({**subs, B.p_jump: pj}))
        k_large = float(crit.subs({**subs, B.p_jump: pj, B.K: 10**13}))  # per-step rate ≈ 2e-9: rate·K ≫ 1
        assert math.isclose(late, k_large, rel_tol=1e-6)
        assert np.sign(late) == np.sign(pj - 1) or pj == 1.0  # converged regime: sign of p_jump − 1 (small rate)


def test_regime_map_and_plot_and_refusals() -> None:
    import matplotlib

    matplotlib.use("Agg")
    vals = {**REGIME, "p_jump": 0.5, "C_cx": 0.05}
    rm = R.regime_map([10, 30, 100, 300], [1, 10, 100], 2, **vals)
    assert rm.argmin_alpha.shape == (3, 4) and rm.local_min.shape == (3, 4)
    assert np.all(rm.local_min[rm.global_min])  # a global minimum at −1 is also a local one
    ax = R.plot_regime([10, 30, 100, 300], [1, 10, 100], 2, **vals)
    assert ax.get_xlabel().startswith("n")
    with pytest.raises(TypeError, match="C_depth"):
        R.minimising_alpha(10, 5, 1, **{k: v for k, v in vals.items() if k != "C_depth"})
    with pytest.raises(TypeError, match="unknown"):
        R.minimising_alpha(10, 5, 1, **vals, C_wrong=1.0)
    with pytest.raises(DomainError, match="contraction"):
        R.alpha_minus_one_is_local_min(2, 5, 1, **{**vals, "C_rate": 1e3})
    with pytest.raises(DomainError, match="K"):
        R.minimising_alpha(10, 0, 1, **vals)
    with pytest.raises(DomainError, match="p_jump"):
        R.minimising_alpha(10, 5, 1, **{**vals, "p_jump": -1.0})
