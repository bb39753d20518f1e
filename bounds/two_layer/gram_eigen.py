"""Bounds on λ_min of the normalised first-layer Gram H̃_α, and the smooth/non-smooth dichotomy.

Sources: ``docs/theory/gram-eigenvalues.md``. The lower bound is the Hermite-tail + Gershgorin
argument (§5), a technique a citing paper attributes to Panigrahi, Shetty & Goyal (ICLR 2020); the
upper bound is Cauchy interlacing on a 2×2 principal submatrix (§4); the sandwich is §3. PSG's
exact theorem statements are unknown, so nothing here is labelled "PSG Theorem X".

Separation δ here is δ_PSG = min_{i≠j} min(‖x_i − x_j‖, ‖x_i + x_j‖) for unit-norm data, which
is equivalent to |ρ_ij| ≤ 1 − δ²/2 for every pair.
"""

from __future__ import annotations

import math

import sympy as sp

from bounds.core import DomainError, Provenance, Side
from bounds.registry import define
from bounds.special import arcsin_tail
from bounds.symbols import J, d_sub, delta, hidden_constant, lam_N, mu_star, n, p_deg, rho, theta
from bounds.two_layer.kernels import C_ALPHA, H_tilde

__all__ = [
    "hermite_tail_lower",
    "hermite_tail_lower_asymptotic",
    "hermite_truncation_index",
    "pair_upper",
    "pair_upper_small_angle",
    "polynomial_rank_threshold",
    "sandwich_lower",
    "sandwich_upper",
    "smooth_lowdim_upper",
]

_GE = "docs/theory/gram-eigenvalues.md"
_RHO_MAX = 1 - delta**2 / 2

hermite_tail_lower = define(
    "hermite_tail_lower",
    C_ALPHA / (2 * sp.pi) * arcsin_tail(J),
    quantity="λ_min(H̃_α) for n unit-norm inputs with separation δ_PSG ≥ δ",
    source=f"{_GE} §5 (Hermite tail + Gershgorin; technique attributed to PSG20 "
           "by a citing paper)",
    provenance=Provenance.DERIVED, side=Side.LOWER,
    domain=((n - 1) * _RHO_MAX ** (2 * J + 2) <= sp.Rational(1, 2), delta <= sp.sqrt(2), n >= 2),
    notes="arcsin_tail(J) = Σ_{j≥J} b_j = π/2 − Σ_{j<J} b_j (see rho_arcsin_series_tail); valid for "
          "every J in the domain; the tightest J is hermite_truncation_index(n, δ)",
)

hermite_tail_lower_asymptotic = define(
    "hermite_tail_lower_asymptotic",
    C_ALPHA * delta / (2 * sp.pi ** sp.Rational(3, 2) * sp.sqrt(sp.log(2 * n))),
    quantity="small-δ form of the Hermite-tail lower bound on λ_min(H̃_α)",
    source=f"{_GE} §5 (J ≈ ln(2n)/δ², Σ_{{j≥J}} b_j ≈ 1/√(πJ))",
    provenance=Provenance.DERIVED, side=Side.APPROX, domain=(n >= 2, delta <= sp.sqrt(2)),
    notes="an asymptotic form, not a guaranteed inequality: use hermite_tail_lower for validity",
    untestable=('a small-δ asymptotic form, not an inequality at finite n and δ (its error term is unquantified);'
                ' the valid bound hermite_tail_lower is decided by lambda_min_bounds')
)

pair_upper = define(
    "pair_upper", 1 - sp.Abs(H_tilde.expr.subs(rho, sp.cos(theta))),
    quantity="λ_min(H̃_α) for data containing a pair at angle θ",
    source=f"{_GE} §4 (Cauchy interlacing on the 2×2 principal submatrix [[1, H̃], [H̃, 1]])",
    provenance=Provenance.DERIVED_CHECKED, side=Side.UPPER, domain=(theta <= sp.pi,),
)

pair_upper_small_angle = define(
    "pair_upper_small_angle", C_ALPHA * theta / sp.pi,
    quantity="leading term of the pair upper bound for a close pair at angle θ",
    source=f"{_GE} §4 (1 − H̃_α(cos θ) = c_α θ/π + θ²/2 + O(θ³))",
    provenance=Provenance.DERIVED_CHECKED, side=Side.APPROX, domain=(theta <= sp.pi / 2,),
    untestable=('the leading term of an expansion with an O(θ²) remainder, not an inequality; the exact '
                'pair_upper bound it approximates is decided by lambda_min_bounds')
)

sandwich_lower = define(
    "sandwich_lower", C_ALPHA * lam_N / sp.pi,
    quantity="λ_min(H̃_α), with lam_N = λ_min(N), N = [ρ_ij·arcsin ρ_ij]",
    source=f"{_GE} §3 Proposition (H̃_α = (1 − c_α/2)G + (c_α/π)N ⪰ (c_α/π)N)",
    provenance=Provenance.DERIVED_CHECKED, side=Side.LOWER, notes="equality at α = −1",
)

sandwich_upper = define(
    "sandwich_upper", C_ALPHA * mu_star / sp.pi,
    quantity="λ_min(H̃_α) for n > rank X, with mu_star = min_{v ∈ ker Xᵀ, ‖v‖=1} vᵀNv",
    source=f"{_GE} §3 Proposition (restrict the Rayleigh quotient to ker Xᵀ)",
    provenance=Provenance.DERIVED_CHECKED, side=Side.UPPER,
    notes="requires n > rank(X) (else ker Xᵀ = {0}); λ_min(H̃_α)/c_α ∈ [λ_min(N)/π, μ*/π] for all α",
)

polynomial_rank_threshold = define(
    "polynomial_rank_threshold", sp.binomial(d_sub + p_deg, p_deg),
    quantity="n from which λ_min(G^∞) = 0 for a degree-p_deg polynomial activation on data "
             "spanning d_sub dimensions",
    source=f"{_GE} §6 table (rank of G^{{∘p}} restricted to a d'-dimensional span)",
    provenance=Provenance.DERIVED, side=Side.UPPER,
    notes="once n ≥ this value, the Gram is singular: λ_min = 0 exactly",
)

C_smooth = hidden_constant("C_smooth", "rate constant in λ_min ≤ exp(−C n^{1/(2d')}) for tanh/swish "
                                       "on d'-dimensional data (docs/theory/gram-eigenvalues.md §6, Ω(·))")

smooth_lowdim_upper = define(
    "smooth_lowdim_upper", sp.exp(-C_smooth * n ** (1 / (2 * d_sub))),
    quantity="λ_min(G^∞) for tanh or swish on data spanning d_sub dimensions",
    source=f"{_GE} §6 (truncated Mehler series of rank < n; stretched-exponential Hermite decay). "
           "PSG20 abstract: λ_min 'can be exponentially small' for smooth "
           "activations on low-dimensional data; their exact bound is unknown",
    provenance=Provenance.DERIVED, side=Side.UPPER,
    notes="hidden constant C_smooth; test only that λ_min decays faster than any power of n at fixed "
          "d_sub, never the constant. Contrast: leaky ReLU's hermite_tail_lower decays like δ/√log n",
)


def hermite_truncation_index(n_value: int, delta_value: float) -> int:
    """Smallest J ≥ 0 with (n − 1)·(1 − δ²/2)^(2J+2) ≤ 1/2 (docs/theory/gram-eigenvalues.md §5, step 1)."""
    if isinstance(n_value, bool) or not isinstance(n_value, int) or n_value < 2:
        raise DomainError(f"n={n_value!r} must be an integer ≥ 2")
    dv = float(delta_value)
    if not (math.isfinite(dv) and 0 < dv <= math.sqrt(2)):
        raise DomainError(f"delta={delta_value!r} must lie in (0, √2]")
    rho_max = 1 - dv**2 / 2
    if rho_max <= 0:
        return 0
    # (2J+2)·ln ρ_max ≤ −ln(2(n−1))  ⇔  J ≥ ln(2(n−1))/(−2 ln ρ_max) − 1
    jj = max(0, math.ceil(math.log(2 * (n_value - 1)) / (-2 * math.log(rho_max)) - 1))
    while jj > 0 and (n_value - 1) * rho_max ** (2 * (jj - 1) + 2) <= 0.5:
        jj -= 1
    while (n_value - 1) * rho_max ** (2 * jj + 2) > 0.5:
        jj += 1
    return jj
