"""Canonical sympy symbols of the toolkit: one symbol per name, with assumptions.

Every module of :mod:`bounds` takes its symbols from here, because
``Symbol('alpha')`` and ``Symbol('alpha', positive=True)`` are *different* objects to sympy
(docs/theory/README.md, "sympy hygiene"). Notation follows ``docs/theory/README.md``.

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
    "LATEX_NAMES",
    "SYMBOLS",
    "J",
    "K",
    "L",
    "R_ntrf",
    "T",
    "a_v",
    "alpha",
    "b",
    "d",
    "d_out",
    "d_sub",
    "delta",
    "describe",
    "eps",
    "eta",
    "gamma_sig",
    "hidden_constant",
    "j",
    "k",
    "kappa_init",
    "kern_dot",
    "kern_prev",
    "lam",
    "lam_N",
    "lam_i",
    "lam_max",
    "latex_name",
    "m",
    "margin_factor",
    "mu_norm",
    "mu_star",
    "n",
    "ntk_prev",
    "ntrf_loss",
    "p_deg",
    "p_fail",
    "p_flip",
    "p_jump",
    "p_log",
    "proj",
    "quad_y",
    "r_mom",
    "rho",
    "sigma_frob",
    "sigma_mu",
    "sigma_op",
    "symbol",
    "t",
    "tau",
    "theta",
    "trace_sigma",
    "w_star_norm",
    "z_norm",
    "z_pre",
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
z_pre = _canonical("z_pre", "pre-activation wᵀh of one unit, w ~ N(0, I) (standard-normal weights), real", real=True)
kern_prev = _canonical("kern_prev", "deep NNGP correlation K_{ℓ−1} entering layer ℓ (docs/theory/kernels.md §7), in [-1, 1]",
                       real=True)
kern_dot = _canonical("kern_dot", "deep derivative kernel K̇_ℓ = κ̇_α(K_{ℓ−1}) of layer ℓ (docs/theory/kernels.md §7)", real=True)
ntk_prev = _canonical("ntk_prev", "W-only NTK S_{ℓ−1} accumulated over layers 1..ℓ−1 (docs/theory/kernels.md §7)", real=True)

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
kappa_init = _canonical("kappa_init", "initialisation scale κ of Arora et al. (w_r(0) ~ N(0, κ²I))", positive=True)
p_fail = _canonical("p_fail", "failure probability (statements hold w.p. ≥ 1 − p_fail)", positive=True)

# --- generalisation (ADHLW, CG19, CG20-type trajectory bound; docs/theory/generalization.md) ----------
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


# --- benign overfitting (KGMMN, H25/H-lin, FCB22; docs/theory/benign-overfitting.md) -----------
gamma_sig = _canonical("gamma_sig", "KGMMN signal level γ ∈ (0, 1): fraction of input variance along v "
                       "(not a leaky slope)", positive=True)
mu_norm = _canonical("mu_norm", "‖μ‖, norm of the class mean in x = yμ + z (H25, H-lin, FCB22)", positive=True)
p_flip = _canonical("p_flip", "label-flip probability (H-lin and FCB22 write η)", nonnegative=True)
trace_sigma = _canonical("trace_sigma", "Tr Σ, trace of the noise covariance", positive=True)
sigma_op = _canonical("sigma_op", "‖Σ‖, operator norm of the noise covariance", positive=True)
sigma_frob = _canonical("sigma_frob", "‖Σ‖_F, Frobenius norm of the noise covariance", positive=True)
sigma_mu = _canonical("sigma_mu", "‖Σ^{1/2}μ‖, noise scale along the class mean", positive=True)
r_mom = _canonical("r_mom", "moment order r ∈ (2, 4] of the noise coordinates, E|ξ|^r ≤ K (H-lin)", positive=True)
w_star_norm = _canonical("w_star_norm", "‖w*‖, norm of the hard-margin max-margin linear classifier", positive=True)
margin_factor = _canonical("margin_factor", "|𝒜|, approximate-margin-maximisation factor of an algorithm "
                           "(KGMMN Def. 2.3)", positive=True)
a_v = _canonical("a_v", "signal coefficient a_v = ⟨w, v⟩ ≥ 0 of a linear classifier w = a_v·v + z", nonnegative=True)
z_norm = _canonical("z_norm", "‖z‖, norm of the part of a linear classifier orthogonal to the signal", positive=True)


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


#: LaTeX of the canonical symbols whose names are not LaTeX already (used by Bound.latex)
LATEX_NAMES: dict[str, str] = {
    "lam": r"\lambda_{\min}", "lam_max": r"\lambda_{\max}", "lam_i": r"\lambda_i", "lam_N": r"\lambda_{\min}(N)",
    "mu_star": r"\mu^{*}", "eps": r"\varepsilon", "kappa_init": r"\kappa", "p_fail": r"p_{\mathrm{fail}}",
    "quad_y": r"y^{\top}K^{-1}y", "F_0": r"\hat F_0", "p_jump": r"p_{\mathrm{jump}}", "p_log": r"p_{\log}",
    "R_ntrf": "R", "ntrf_loss": r"\hat L_{\mathrm{NTRF}}", "gamma_sig": r"\gamma", "mu_norm": r"\|\mu\|",
    "p_flip": r"p_{\mathrm{flip}}", "trace_sigma": r"\operatorname{Tr}\Sigma", "sigma_op": r"\|\Sigma\|",
    "sigma_frob": r"\|\Sigma\|_F", "sigma_mu": r"\|\Sigma^{1/2}\mu\|", "r_mom": "r", "w_star_norm": r"\|w^{*}\|",
    "margin_factor": r"|\mathcal{A}|", "a_v": "a_v", "z_norm": r"\|z\|", "z_pre": "z", "kern_prev": r"K_{\ell-1}",
    "kern_dot": r"\dot K_{\ell}", "ntk_prev": r"S_{\ell-1}", "d_out": r"d_{\mathrm{out}}", "d_sub": "d'",
    "p_deg": "p", "theta": r"\theta",
}


def latex_name(sym: sp.Symbol) -> str:
    r"""LaTeX of a symbol: the table above, Greek names as sympy writes them, hidden constants as
    C_{\mathrm{name}} (``C_du_width`` → C_{\mathrm{du\,width}})."""
    name = sym.name
    if name in LATEX_NAMES:
        return LATEX_NAMES[name]
    if name in CONSTANTS or (name[:2] in ("C_", "c_") and "_" in name[2:]):
        words = name[2:].replace("_", "\\,")
        return name[0] + "_{\\mathrm{" + words + "}}"
    return sp.latex(sym)


def describe() -> str:
    """A table of every symbol and hidden constant with its assumptions and meaning."""
    rows = []
    for info in [*SYMBOLS.values(), *CONSTANTS.values()]:
        assumptions = ", ".join(sorted(k for k, v in info.symbol.assumptions0.items()
                                       if v and k in {"real", "positive", "integer", "nonnegative"}))
        rows.append(f"{info.symbol.name:<12} [{assumptions}] {info.meaning}")
    return "\n".join(rows)
