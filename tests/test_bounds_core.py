"""The Bound type, its verbs, the registry and the symbol table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch

import bounds as B
from bounds import Bound, DomainError, Provenance, Side
from bounds import symbols as S


def test_every_bound_is_documented_and_uses_canonical_symbols():
    assert len(B.all_bounds()) >= 25
    for bd in B.all_bounds():
        assert bd.source and bd.quantity, bd.name
        assert isinstance(bd.provenance, Provenance) and isinstance(bd.side, Side)
        for sym in bd.expr.free_symbols | set().union(*(r.free_symbols for r in bd.domain)):
            assert S.symbol(sym.name) == sym, f"{bd.name}: {sym.name} is not the canonical symbol"
        for c in bd.constants:
            assert c.name in S.CONSTANTS and S.CONSTANTS[c.name].meaning


def test_one_symbol_per_name():
    assert S.hidden_constant("C_du_width", "anything") is S.CONSTANTS["C_du_width"].symbol
    with pytest.raises(ValueError, match=r"starting with .C_. or .c_."):
        S.hidden_constant("width_const", "x")
    with pytest.raises(KeyError, match="unknown symbol 'alph'"):
        S.symbol("alph")
    assert "alpha" in S.describe()


def test_registry_rejects_a_different_bound_under_a_taken_name():
    with pytest.raises(ValueError, match="already registered"):
        B.define("c_alpha", B.alpha**2, quantity="x", source="y", provenance="derived")
    assert B.get("c_alpha") is B.c_alpha
    with pytest.raises(KeyError, match="unknown bound 'nope'"):
        B.get("nope")
    assert "du_gd_loss_ratio" in B.table()


def test_constructor_validates():
    with pytest.raises(ValueError, match="identifier"):
        Bound("not a name", B.alpha, "q", "s", Provenance.DERIVED)
    with pytest.raises(TypeError, match="sympy expression"):
        Bound("x", 3.0, "q", "s", Provenance.DERIVED)
    with pytest.raises(ValueError):
        Bound("x", B.alpha, "q", "s", "folklore")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1j, True, "0.5", None, [0.1]])
def test_evaluate_refuses_bad_alpha(bad):
    with pytest.raises((DomainError, TypeError)) as err:
        B.c_alpha.evaluate(alpha=bad)
    assert "alpha" in str(err.value)


def test_evaluate_checks_assumptions_and_domain():
    with pytest.raises(DomainError, match="m=0 must be positive"):
        B.du_gram_concentration.evaluate(C_du_conc=1, n=10, p_fail=0.1, m=0)
    with pytest.raises(DomainError, match=r"n=2\.5 must be an integer"):
        B.du_gram_concentration.evaluate(C_du_conc=1, n=2.5, p_fail=0.1, m=10)
    with pytest.raises(DomainError, match=r"rho=1\.5 lies outside the validity domain"):
        B.H_tilde.evaluate(alpha=0, rho=1.5)
    with pytest.raises(DomainError, match="p_fail"):
        B.du_gram_concentration.evaluate(C_du_conc=1, n=10, p_fail=1.5, m=10)
    with pytest.raises(ValueError, match="no value given for rho"):
        B.H_tilde.evaluate(alpha=0)
    with pytest.raises(KeyError, match="unknown symbol 'rh'"):
        B.H_tilde.evaluate(alpha=0, rh=0.1)


def test_evaluate_values_and_symbol_keys():
    assert B.c_alpha.evaluate({B.alpha: -1}) == 2.0
    assert B.c_alpha(alpha=0) == 1.0
    assert B.H_tilde.evaluate(alpha=0, rho=1) == pytest.approx(1.0)
    assert B.H_inf_dzps.evaluate(rho=0.3) == pytest.approx(B.H_tilde.evaluate(alpha=0, rho=0.3) / 2)


def test_domain_status_reports_undetermined_hidden_constants():
    status = B.du_gd_loss_ratio.domain_status(eta=0.1, lam=0.5, t=3, m=100, n=10, p_fail=0.1)
    states = [s for _, s in status]
    assert states[0] is True and None in states


def test_numpy_and_torch_callables_validate_and_broadcast():
    f = B.H_tilde.numpy()
    out = f(alpha=np.array([-1.0, 0.0, 0.5]), rho=0.3)
    assert out.shape == (3,) and out.dtype == np.float64
    with pytest.raises(DomainError, match=r"rho=1.2"):
        f(alpha=0.0, rho=np.array([0.1, 1.2]))
    with pytest.raises(DomainError, match="non-finite"):
        f(alpha=np.nan, rho=0.1)
    with pytest.raises(TypeError, match="unknown argument 'beta'"):
        f(alpha=0.0, rho=0.1, beta=1)
    with pytest.raises(TypeError, match="missing argument"):
        f(alpha=0.0)
    with pytest.raises(DomainError, match="real numbers"):
        f(alpha=np.array(["a"]), rho=0.1)
    g = B.H_tilde.torch()
    a = torch.tensor([-1.0, 0.25], dtype=torch.float64, requires_grad=True)
    val = g(alpha=a, rho=0.4)
    val.sum().backward()
    assert a.grad is not None and torch.all(torch.isfinite(a.grad))
    with pytest.raises(DomainError):
        g(alpha=torch.tensor(0.0), rho=torch.tensor(-1.5))


def test_domain_only_variables_are_optional_keywords():
    f = B.hermite_tail_lower.numpy()
    assert f(alpha=0.0, J=60) > 0
    with pytest.raises(DomainError, match="J=1"):
        f(alpha=0.0, J=1, n=100, delta=0.3)


def test_optimize_symbolic_and_numeric():
    opt = B.c_alpha.optimize(B.alpha, (-1, 1), "max")
    assert opt.method == "symbolic" and opt.argopt == -1.0 and opt.exact == -1
    assert B.c_alpha.optimize(B.alpha, (-1, 1), "min").argopt == 1.0
    opt2 = B.hermite_tail_lower_asymptotic.optimize(B.alpha, (-1, 1), "max", n=100, delta=0.1)
    assert opt2.argopt == pytest.approx(-1.0)
    num = B.pair_upper.optimize(B.alpha, (-1, 1), "max", theta=1.0)
    assert num.argopt == pytest.approx(-1.0, abs=1e-6)
    with pytest.raises(ValueError, match="fix rho"):
        B.H_tilde.optimize(B.alpha)
    with pytest.raises(ValueError, match="sense"):
        B.c_alpha.optimize(B.alpha, (-1, 1), "best")
    with pytest.raises(ValueError, match="interval"):
        B.c_alpha.optimize(B.alpha, (1, -1))


def test_calculus_verbs():
    assert B.du_width.exponent(B.n) == 6
    assert B.du_width.exponent(B.lam, point=0) == -4
    assert B.du_gram_concentration.exponent(B.m) == sp.Rational(-1, 2)
    assert B.H_tilde.limit(B.rho, 1) == 1
    assert sp.simplify(B.c_alpha.diff(B.alpha) - 2 * (B.alpha - 1) * (B.alpha + 1) / (1 + B.alpha**2) ** 2) == 0
    relu = B.H_tilde.subs(alpha=0)
    assert B.alpha not in relu.expr.free_symbols
    assert "substituted" in relu.notes
    assert sp.simplify(B.H_tilde.series(B.rho, 4) - (B.H_tilde.expr.series(B.rho, 0, 4).removeO())) == 0


@pytest.mark.parametrize(("power", "expected"), [(0.6, sp.Rational(-3, 5)), (0.4, sp.Rational(-2, 5)),
                                                 (0.45, sp.Rational(-9, 20)), (sp.Rational(3, 4), sp.Rational(-3, 4))])
def test_exponent_of_a_float_power_is_exact(power, expected) -> None:
    """A mutant written m**0.6 has exponent −3/5 (sympy's limit alone returns 0 for it and −∞ for m**0.4)."""
    bd = B.du_gram_concentration
    assert bd.mutant(bd.expr * sp.sqrt(B.m) / B.m**power, "float power").exponent(B.m) == expected


def test_mutant_changes_fingerprint_and_keeps_metadata():
    m = B.c_alpha.mutant(B.alpha**2, "test")
    assert m.fingerprint != B.c_alpha.fingerprint and m.source == B.c_alpha.source
    assert m.notes.startswith("PLANTED MUTANT")


def test_printing():
    text = str(B.du_gd_loss_ratio)
    assert "Theorem 4.1" in text and "hidden constants" in text and "recalled" in text
    assert "alpha" in B.c_alpha.latex()
    assert B.c_alpha.pretty()
    assert B.c_alpha._repr_latex_().startswith("$")


def test_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    ax = B.H_tilde.plot(B.alpha, (-1, 1), rho=0.5)
    assert len(ax.lines) == 1
    ys = ax.lines[0].get_ydata()
    assert np.all(np.isfinite(ys)) and math.isclose(float(np.max(ys)), B.H_tilde.evaluate(alpha=1, rho=0.5), rel_tol=1e-6)


def _candidate_values(bd: Bound, scale: float) -> dict:
    vals = {}
    for sym in (*bd.variables, *bd.domain_variables):
        if sym.is_integer:
            vals[sym.name] = 3 if sym.name not in ("n", "m", "d", "J") else 60
        elif sym.name == "alpha":
            vals[sym.name] = 0.3 * scale
        elif sym.name in ("rho", "theta", "delta", "p_fail", "eps", "eta", "gamma_sig", "p_flip"):
            vals[sym.name] = 0.2 * scale
        else:
            vals[sym.name] = 0.7 * scale
    return vals


@pytest.mark.parametrize("bd", B.all_bounds(), ids=[b.name for b in B.all_bounds()])
def test_numpy_and_torch_agree_with_evaluate_for_every_registered_bound(bd):
    checked = 0
    for scale in (1.0, 0.5, 1.5):
        vals = _candidate_values(bd, scale)
        try:
            exact = bd.evaluate(**vals)
        except (DomainError, ValueError):
            continue
        kw = {k: v for k, v in vals.items() if k in {s.name for s in bd.variables}}
        assert float(bd.numpy()(**kw)) == pytest.approx(exact, rel=1e-9, abs=1e-12)
        tv = bd.torch()(**{k: (v if isinstance(v, int) else torch.tensor(v, dtype=torch.float64)) for k, v in kw.items()})
        assert float(tv) == pytest.approx(exact, rel=1e-9, abs=1e-12)
        checked += 1
    if checked == 0:
        pytest.skip(f"{bd.name}: no generic sample point lies in its domain (covered by its slice's tests)")
