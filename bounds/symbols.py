"""Canonical sympy symbols of the toolkit: one symbol per name, with assumptions.

Every module of :mod:`bounds` takes its symbols from here, because
``Symbol('alpha')`` and ``Symbol('alpha', positive=True)`` are *different* objects to sympy
(theory handbook, README "sympy hygiene"). Notation follows ``shared/theory/README.md``.

Constants that a paper hides in O(·)/Ω(·) are created with :func:`hidden_constant`, which
returns one positive symbol per name and records what it stands for; asking twice for the
same name returns the same symbol. :func:`describe` lists every symbol with its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "CONSTANTS",
    "F_0",
    "SYMBOLS",
    "J",
    "K",
    "L",
    "R_ntrf",
    "T",
    "alpha",
    "b",
    "d",
    "d_out",
    "d_sub",
    "delta",
    "describe",
    "eps",
    "eta",
    "hidden_constant",
    "j",
    "k",
    "lam",
    "lam_N",
    "lam_i",
    "lam_max",
    "m",
    "mu_star",
    "n",
    "ntrf_loss",
    "p_deg",
    "p_fail",
    "p_jump",
    "p_log",
    "proj",
    "quad_y",
    "rho",
    "symbol",
    "t",
    "tau",
    "theta",
]


@dataclass(frozen=True)
class SymbolInfo:
    """A canonical symbol and what it means."""

    symbol: sp.Symbol
    meaning: str
    hidden_constant: bool = False


SYMBOLS: dict[str, SymbolInfo] = {}
CONSTANTS: dict[str, SymbolInfo] = {}


def _canonical(name: str, meaning: str, **assumptions: bool) -> sp.Symbol:
    sym = sp.Symbol(name, **assumptions)
    SYMBOLS[name] = SymbolInfo(sym, meaning)
    return sym


# --- activation and kernel arguments ------------------------------------------------------
alpha = _canonical("alpha", "leaky-ReLU slope α in σ_α(z) = max(z,0) + α·min(z,0)", real=True)
rho = _canonical("rho", "input correlation ρ = ⟨x_i, x_j⟩ of unit-norm inputs, in [-1, 1]", real=True)
theta = _canonical("theta", "angle θ = arccos ρ between two unit inputs, in [0, π]", nonnegative=True)
j = _canonical("j", "series index (coefficient of ρ^(2j+2) in ρ·arcsin ρ)", integer=True, nonnegative=True)
J = _canonical("J", "truncation index of a Hermite/series tail", integer=True, nonnegative=True)

# --- sizes ------------------------------------------------------------------------------
L = _canonical("L", "depth: number of trained hidden weight matrices", integer=True, positive=True)
m = _canonical("m", "width: hidden units per layer", integer=True, positive=True)
n = _canonical("n", "number of training samples", integer=True, positive=True)
d = _canonical("d", "input dimension", integer=True, positive=True)
d_out = _canonical("d_out", "output dimension", integer=True, positive=True)
d_sub = _canonical("d_sub", "dimension d' of the span of the data", integer=True, positive=True)
k = _canonical("k", "number of corrupted training labels (KGMMN)", integer=True, nonnegative=True)
b = _canonical("b", "SGD batch size", integer=True, positive=True)

# --- optimisation -------------------------------------------------------------------------
eta = _canonical("eta", "step size η (learning rate) of GD/SGD", positive=True)
t = _canonical("t", "iteration index (number of GD steps taken)", integer=True, nonnegative=True)
T = _canonical("T", "number of GD/SGD iterations", integer=True, positive=True)
K = _canonical("K", "number of training epochs", integer=True, positive=True)
tau = _canonical("tau", "continuous time of gradient flow", nonnegative=True)

# --- data and spectra --------------------------------------------------------------------
delta = _canonical("delta", "data separation δ (never a probability)", positive=True)
lam = _canonical("lam", "λ_min of the Gram/NTK matrix that governs training", positive=True)
lam_max = _canonical("lam_max", "λ_max of the Gram/NTK matrix", positive=True)
lam_i = _canonical("lam_i", "one eigenvalue λ_i of the Gram matrix", nonnegative=True)
proj = _canonical("proj", "projection v_iᵀy of the labels on the eigenvector v_i", real=True)
lam_N = _canonical("lam_N", "λ_min of the α-free matrix N = [ρ_ij·arcsin ρ_ij]", nonnegative=True)
mu_star = _canonical("mu_star", "μ* = min of vᵀNv over unit v in ker Xᵀ", nonnegative=True)
p_deg = _canonical("p_deg", "degree of a polynomial activation", integer=True, positive=True)
eps = _canonical("eps", "target accuracy ε", positive=True)
p_fail = _canonical("p_fail", "failure probability (statements hold w.p. ≥ 1 − p_fail)", positive=True)

# --- generalisation (ADHLW, CG19, CG20-type trajectory bound; theory handbook generalization.md) ----------
quad_y = _canonical("quad_y", "label quadratic form yᵀK⁻¹y in the inverse Gram K of the training set (ADHLW: "
                    "K = H^∞ or H̃_α; CG19 corollary: K = Θ, labels ỹ)", nonnegative=True)
F_0 = _canonical("F_0", "initial training loss F̂_0 (mean over samples) in the trajectory bound", positive=True)
p_jump = _canonical("p_jump", "power of g_α with which the activation's jump constants enter the complexity of "
                    "the trajectory bound (unknown; 0 = α enters only through the radius)", nonnegative=True)
p_log = _canonical("p_log", "unknown power of the polylog factor hidden in Õ(·)", nonnegative=True)
R_ntrf = _canonical("R_ntrf", "radius R of the neural-tangent-random-feature class F(W^(1), R) (CG19)",
                    positive=True)
ntrf_loss = _canonical("ntrf_loss", "inf over the NTRF class F(W^(1), R) of the mean training logistic loss "
                       "(CG19 Thm 3.3)", nonnegative=True)


def hidden_constant(name: str, meaning: str) -> sp.Symbol:
    """Return the positive symbol standing for a constant a paper hides in O(·)/Ω(·).

    One symbol per name: a second call with the same name returns the same symbol. A name
    must start with ``C_`` or ``c_`` so that constants are recognisable in printed formulas,
    and it may not shadow a canonical symbol.
    """
    if not isinstance(name, str) or not name.isidentifier() or name[:2] not in ("C_", "c_"):
        raise ValueError(f"hidden constant name must be an identifier starting with 'C_' or 'c_', got {name!r}")
    if name in SYMBOLS:
        raise ValueError(f"hidden constant {name!r} would shadow the canonical symbol of that name")
    if name in CONSTANTS:
        return CONSTANTS[name].symbol
    sym = sp.Symbol(name, positive=True)
    CONSTANTS[name] = SymbolInfo(sym, meaning, hidden_constant=True)
    return sym


def symbol(name: str) -> sp.Symbol:
    """Look up a canonical symbol or hidden constant by name (``KeyError`` names the bad one)."""
    if name in SYMBOLS:
        return SYMBOLS[name].symbol
    if name in CONSTANTS:
        return CONSTANTS[name].symbol
    known = ", ".join(sorted([*SYMBOLS, *CONSTANTS]))
    raise KeyError(f"unknown symbol {name!r}; known symbols: {known}")


def is_hidden_constant(sym: sp.Basic) -> bool:
    """True when ``sym`` is one of the registered hidden constants."""
    info = CONSTANTS.get(getattr(sym, "name", ""))
    return info is not None and info.symbol == sym


def describe() -> str:
    """A table of every symbol and hidden constant with its assumptions and meaning."""
    rows = []
    for info in [*SYMBOLS.values(), *CONSTANTS.values()]:
        assumptions = ", ".join(sorted(k for k, v in info.symbol.assumptions0.items()
                                       if v and k in {"real", "positive", "integer", "nonnegative"}))
        rows.append(f"{info.symbol.name:<12} [{assumptions}] {info.meaning}")
    return "\n".join(rows)
