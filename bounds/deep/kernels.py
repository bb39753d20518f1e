"""Deep NTK of the GLL / Allen-Zhu–Li–Song network when only W_1..W_L are trained (A, B frozen).

Network (docs/theory/kernels.md §7; docs/theory/convergence.md §3, §6.1), NTK parameterisation, all weights
N(0, 1), unit-norm inputs:

    h_0 = σ̃_α(A x),   h_ℓ = σ̃_α(W_ℓ h_{ℓ−1}/√m)  (ℓ = 1..L),   f = B h_L/√m.

Infinite-width kernel of the trained matrices [derived+checked in docs/theory/kernels.md: the finite-width
kernel converges to it at rate ≈ m^{-1/2} for L ∈ {1, 2}]:

    K_0 = κ_α(ρ),   K_ℓ = κ_α(K_{ℓ−1}),   K̇_ℓ = κ̇_α(K_{ℓ−1}),
    Θ_W(ρ) = Σ_{ℓ=1}^{L} K_{ℓ−1}·Π_{k=ℓ}^{L} K̇_k.

Term ℓ is W_ℓ's contribution: the NNGP kernel of its input h_{ℓ−1} times the derivative kernels
from layer ℓ to the output (frozen B contributes 1). Written as a recursion, S_0 = 0 and

    S_ℓ = (S_{ℓ−1} + K_{ℓ−1})·K̇_ℓ,   Θ_W = S_L,

which is the registered one-layer step :data:`deep_ntk_W_step` (so a planted wrong recursion is a
one-line mutant). :func:`theta_W_expr` composes κ_α, κ̇_α and the step into a sympy expression in
(α, ρ) for a given depth, and :func:`deep_ntk_W_bound` registers it as ``Theta_W_L{depth}``.
Some implementations use the layer average Θ_W/L ("average" flag); it rescales λ_min by 1/L and
leaves every ordering in α unchanged. For d_out > 1 the kernel is Θ_W ⊗ I_{d_out} [derived].
"""

from __future__ import annotations

import sympy as sp

from bounds.core import Bound, Provenance, Side
from bounds.registry import define, get
from bounds.symbols import kern_dot, kern_prev, ntk_prev, rho
from bounds.two_layer.kernels import kappa, kappa_dot

__all__ = ["Theta_W_L1", "Theta_W_L2", "Theta_W_L3", "deep_ntk_W_bound", "deep_ntk_W_step", "theta_W_expr"]

_K7 = "docs/theory/kernels.md §7"

deep_ntk_W_step = define(
    "deep_ntk_W_step", (ntk_prev + kern_prev) * kern_dot,
    quantity="S_ℓ, the W-only NTK after layer ℓ, from S_{ℓ−1} (ntk_prev), K_{ℓ−1} (kern_prev) and "
             "K̇_ℓ = κ̇_α(K_{ℓ−1}) (kern_dot); S_0 = 0, Θ_W = S_L",
    source=f"{_K7}: Θ_W = Σ_ℓ K_{{ℓ−1}}·Π_{{k≥ℓ}} K̇_k written as a recursion (AZLS19/GLL24 architecture, "
           "A and B frozen)",
    provenance=Provenance.DERIVED_CHECKED, side=Side.EXACT,
    notes="differs from the all-layers recursion Θ_h = Θ_{h−1}·Σ̇^(h) + Σ^(h) (docs/theory/kernels.md §6): the NNGP "
          "term added is the layer's *input* kernel K_{ℓ−1}, and it is multiplied by K̇_ℓ",
)


def theta_W_expr(depth: int, average: bool = False, nngp: Bound = kappa, derivative: Bound = kappa_dot,
                 step: Bound = deep_ntk_W_step) -> sp.Expr:
    """Θ_W(ρ; α) for ``depth`` trained matrices as a sympy expression (docs/theory/kernels.md §7).

    ``nngp``/``derivative`` are the one-layer maps ρ ↦ κ_α(ρ), κ̇_α(ρ) and ``step`` the recursion
    S_ℓ = step(S_{ℓ−1}, K_{ℓ−1}, K̇_ℓ); pass mutants to build a deliberately wrong kernel.
    With ``average`` the result is divided by ``depth`` (the layer-averaged kernel).
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth={depth!r} must be an integer ≥ 1")
    k_prev = nngp.expr  # K_0 = κ_α(ρ)
    s: sp.Expr = sp.Integer(0)
    for _ in range(depth):
        k_dot = derivative.expr.subs(rho, k_prev)
        s = step.expr.subs({ntk_prev: s, kern_prev: k_prev, kern_dot: k_dot}, simultaneous=True)
        k_prev = nngp.expr.subs(rho, k_prev)
    return s / depth if average else s


def deep_ntk_W_bound(depth: int, average: bool = False) -> Bound:
    """The registered bound ``Theta_W_L{depth}`` (or ``Theta_W_avg_L{depth}``), created on first use."""
    name = f"Theta_W{'_avg' if average else ''}_L{depth}"
    try:
        return get(name)
    except KeyError:
        pass
    return define(
        name, theta_W_expr(depth, average),
        quantity=f"Θ_W(ρ) for L = {depth} trained matrices W_1..W_L, A and B frozen"
                 + (", divided by L (layer average)" if average else ""),
        source=f"{_K7} (AZLS19 / GLL24 architecture; recursion deep_ntk_W_step over kappa, kappa_dot)",
        provenance=Provenance.DERIVED_CHECKED, side=Side.EXACT, domain=(rho >= -1, rho <= 1),
        notes=f"Θ_W(1) = {1 if average else depth}; the finite-width kernel of empirical.deep.network.DeepLeakyNet "
              "converges to it like m^(-1/2)",
        untestable=("the composed closed form of the recursion built from kappa, kappa_dot and deep_ntk_W_step, which "
                    "deep_ntk_convergence decides on against finite-width kernels; this expression is checked equal "
                    "to that recursion in tests/deep/test_deep_bounds.py, so data could only refute its parts"),
    )


Theta_W_L1 = deep_ntk_W_bound(1)
Theta_W_L2 = deep_ntk_W_bound(2)
Theta_W_L3 = deep_ntk_W_bound(3)
