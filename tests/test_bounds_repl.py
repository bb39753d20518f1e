"""The symbolic layer as a REPL/notebook user meets it: one-line repr, LaTeX with names, arithmetic,
discovery by paper/side/symbol, domain status, optimisation that ignores scale-only hidden constants."""

from __future__ import annotations

import pytest
import sympy as sp

import bounds
from bounds import alpha


def test_repr_is_one_line_and_latex_names_the_bound() -> None:
    r = repr(bounds.c_alpha)
    assert "\n" not in r and r.startswith("<Bound c_alpha:") and len(r) < 200
    tex = bounds.du_width._repr_latex_()
    assert r"\texttt{du\_width}" in tex and r"\ge" in tex and r"\lambda_{\min}" in tex
    assert r"C_{\mathrm{du\,width}}" in bounds.du_width.latex() and "p_{\\mathrm{fail}}" in bounds.du_width.latex()


def test_arithmetic_gives_sympy_expressions() -> None:
    assert sp.simplify((bounds.c_alpha + 1) - (bounds.c_alpha.expr + 1)) == 0
    assert sp.simplify(2 * bounds.c_alpha - bounds.c_alpha.expr * 2) == 0
    assert (bounds.c_alpha / bounds.c_alpha) == 1


def test_find_status_and_checks() -> None:
    gll = bounds.find(paper="GLL", side="upper")
    assert gll and all("GLL24" in bounds.papers_of(b) and b.side.value == "upper" for b in gll)
    assert bounds.find(paper="gll") == bounds.find(paper="GLL24")
    with_rho = bounds.find(symbol="rho")
    assert bounds.H_tilde in with_rho and bounds.c_alpha not in with_rho
    with pytest.raises(KeyError, match="unknown paper"):
        bounds.find(paper="nobody")
    st = bounds.status(rho=1.5)
    assert st["H_tilde"] == "violated"
    assert bounds.status(alpha=0.5)["c_alpha"] == "in-domain"
    assert "lambda_min_c_alpha" in bounds.c_alpha.checks()


def test_optimize_ignores_scale_only_hidden_constants() -> None:
    b = bounds.get("gll_gd_contraction")
    opt = b.optimize(alpha, (-1, 0.99), "min", eta=0.1, delta=0.5, m=100, d=5, n=10)
    assert opt.argopt == pytest.approx(-1.0) and opt.scaled_out == ("C_gll_rate",)
    c = bounds.hidden_constant("C_repl_test", "a constant that changes the arg-optimum")
    moving = b.mutant(c * (alpha - 0.3) ** 2 - c**2 * alpha, "constant moves the optimum")
    with pytest.raises(ValueError, match="fix C_repl_test"):
        moving.optimize(alpha, (-1, 0.99), "min", eta=0.1, delta=0.5, m=100, d=5, n=10)
