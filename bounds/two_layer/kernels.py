"""Leaky-ReLU dual kernels of two-layer networks, their power series and Hermite coefficients.

Conventions (docs/theory/README.md, N1–N5): σ_α(z) = max(z,0) + α·min(z,0), the rescaled
activation σ̃_α = √(2/(1+α²))·σ_α, unit-norm inputs with ρ = ⟨x_i, x_j⟩ and θ = arccos ρ.
"Normalised" kernels carry c_σ = 2/(1+α²), so every one equals 1 at ρ = 1.

Every normalised leaky-ReLU kernel depends on α only through

    c_α = (1 − α)²/(1 + α²),

the squared normalised jump of σ̃'_α at 0 (docs/theory/kernels.md §3): c_{−1} = 2, c_0 = 1, c_1 = 0.

Sources: docs/theory/kernels.md §2–§4 ([derived+checked]: sympy identities and Monte Carlo);
ReLU special cases are the arc-cosine kernels of Cho & Saul (2009) and the H^∞ of Du et al.
(ICLR 2019, §3). Neural-tangents' ``ABRelu`` (``_src/stax/elementwise.py``) implements the same
unnormalised formulas.
"""

from __future__ import annotations

import sympy as sp

from bounds.core import Provenance, Side
from bounds.registry import define
from bounds.symbols import J, alpha, j, m, rho

__all__ = [
    "E_dsigma2_dsigma2",
    "E_dsigma_dsigma",
    "E_sigma_sigma",
    "H_inf_dzps",
    "H_tilde",
    "H_tilde_series",
    "Theta_two_layer",
    "b_coeff",
    "c_alpha",
    "c_sigma",
    "gram_entry_variance",
    "hermite_nu0",
    "hermite_nu_odd",
    "kappa",
    "kappa_dot",
    "rho_arcsin_series_tail",
]

_pi = sp.pi
_RHO_DOMAIN = (rho >= -1, rho <= 1)
_KERNELS = "docs/theory/kernels.md"

#: c_α expression, used inside the kernel expressions below.
C_ALPHA = (1 - alpha) ** 2 / (1 + alpha**2)
_theta = sp.acos(rho)

c_alpha = define(
    "c_alpha", C_ALPHA,
    quantity="c_α, squared normalised jump of σ̃'_α at 0",
    source=f"{_KERNELS} §3 (c := (a−b)²/(a²+b²)); equals g_α² with g_α = (1−α)/√(1+α²), the factor "
           "reported for GLL24 Lemmas 4.1/4.2",
    provenance=Provenance.DERIVED_CHECKED,
    notes="global maximum 2 at α = −1 over ℝ; decreasing on [−1, 1]; c_α = c_{1/α}",
)

c_sigma = define(
    "c_sigma", 2 / (1 + alpha**2),
    quantity="c_σ = 1/E[σ_α(g)²], g ~ N(0,1) (kernel normaliser)",
    source=f"{_KERNELS} §3; docs/theory/README.md N1",
    provenance=Provenance.DERIVED_CHECKED,
)

kappa_dot = define(
    "kappa_dot", 1 - C_ALPHA * _theta / _pi,
    quantity="κ̇_α(ρ) = c_σ·E[σ'_α(u)σ'_α(v)], normalised derivative kernel",
    source=f"{_KERNELS} §3 table", provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

kappa = define(
    "kappa", (1 - C_ALPHA / 2) * rho + (C_ALPHA / _pi) * (sp.sqrt(1 - rho**2) + rho * sp.asin(rho)),
    quantity="κ_α(ρ) = c_σ·E[σ_α(u)σ_α(v)], normalised NNGP kernel",
    source=f"{_KERNELS} §3 table; α = 0 is the CS09 arc-cosine kernel of degree 1",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

H_tilde = define(
    "H_tilde", rho * (1 - C_ALPHA * _theta / _pi),
    quantity="H̃_α(ρ) = ρ·κ̇_α(ρ), normalised first-layer Gram (only the first layer trained)",
    source=f"{_KERNELS} §3; = the G^∞ of PSG20 for leaky ReLU; "
           "α = 0 gives 2·H^∞ of DZPS19",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

Theta_two_layer = define(
    "Theta_two_layer",
    (2 - C_ALPHA) * rho + (C_ALPHA / _pi) * (sp.sqrt(1 - rho**2) + 2 * rho * sp.asin(rho)),
    quantity="Θ_α(ρ) = κ_α + ρκ̇_α, normalised two-layer NTK (both layers trained)",
    source=f"{_KERNELS} §3 table", provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

# ----------------------------------------------------------------------------- unnormalised
E_dsigma_dsigma = define(
    "E_dsigma_dsigma", (1 + alpha**2) / 2 - (1 - alpha) ** 2 * _theta / (2 * _pi),
    quantity="E[σ'_α(u)σ'_α(v)] for standard (u, v) with correlation ρ",
    source=f"{_KERNELS} §2 table (unnormalised dual kernels)",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

E_sigma_sigma = define(
    "E_sigma_sigma",
    ((1 + alpha**2) / 2 - (1 - alpha) ** 2 * _theta / (2 * _pi)) * rho
    + (1 - alpha) ** 2 / (2 * _pi) * sp.sqrt(1 - rho**2),
    quantity="E[σ_α(u)σ_α(v)] for standard (u, v) with correlation ρ",
    source=f"{_KERNELS} §2 table; neural-tangents ABRelu off-diagonal update",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

E_dsigma2_dsigma2 = define(
    "E_dsigma2_dsigma2",
    ((_pi - _theta) / (2 * _pi)) * (1 + alpha**4) + (_theta / _pi) * alpha**2,
    quantity="E[σ'_α(u)²σ'_α(v)²] (sets the exact variance of a finite-width Gram entry)",
    source=f"{_KERNELS} §2 table, last row", provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
)

H_inf_dzps = define(
    "H_inf_dzps", rho * (_pi - _theta) / (2 * _pi),
    quantity="H^∞_ij of DZPS19: E_w[ρ·1{wᵀx_i ≥ 0, wᵀx_j ≥ 0}] (unscaled ReLU)",
    source="DZPS19, §3 (definition of H^∞); closed form: "
           f"{_KERNELS} §3 (link to DZPS19)",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN, notes="= H_tilde at α = 0, divided by 2",
)

# ----------------------------------------------------------------------------- series
b_coeff = define(
    "b_coeff", sp.factorial(2 * j) / (4**j * sp.factorial(j) ** 2 * (2 * j + 1)),
    quantity="b_j, coefficient of ρ^(2j+1) in arcsin ρ (and of ρ^(2j+2) in ρ·arcsin ρ)",
    source=f"{_KERNELS} §4 'Series coefficients'", provenance=Provenance.DERIVED_CHECKED,
    notes="b_j = 1, 1/6, 3/40, 5/112, …; b_j ~ j^(-3/2)/(2√π); Σ_j b_j = π/2",
)

#: b_j through the Beta function, binom(2j, j)/4^j = B(j + ½, ½)/π, so that lambdified sums stay
#: finite for j in the thousands (the factorial form overflows float64 at j ≈ 85); equal to
#: ``b_coeff.expr`` for every j ≥ 0.
B_STABLE = sp.beta(j + sp.S.Half, sp.S.Half) / (sp.pi * (2 * j + 1))
_B = B_STABLE

H_tilde_series = define(
    "H_tilde_series",
    (1 - C_ALPHA / 2) * rho + (C_ALPHA / _pi) * sp.Sum(_B * rho ** (2 * j + 2), (j, 0, J - 1)),
    quantity="H̃_α(ρ) truncated after J terms of ρ·arcsin ρ = Σ_j b_j ρ^(2j+2)",
    source=f"{_KERNELS} §4 'Series of H̃_α' (Mehler's formula with the Hermite coefficients of σ'_α)",
    provenance=Provenance.DERIVED_CHECKED, side=Side.APPROX, domain=_RHO_DOMAIN,
    notes="all coefficients are ≥ 0; the error is at most rho_arcsin_series_tail·c_α/π",
)

rho_arcsin_series_tail = define(
    "rho_arcsin_series_tail", _pi / 2 - sp.Sum(_B, (j, 0, J - 1)),
    quantity="Σ_{j≥J} b_j, the tail mass of the arcsin series (bounds |ρ·arcsin ρ − partial sum|)",
    source=f"{_KERNELS} §4 (Σ_j b_j = arcsin 1 = π/2)", provenance=Provenance.DERIVED_CHECKED,
    untestable=('a deterministic closed form (π/2 minus a partial sum) with nothing random to measure; it is an '
                'identity checked symbolically in tests/two_layer/test_kernel_properties.py, and as a bound on '
                'the truncation error it is attained only at |ρ| = 1, outside the Monte-Carlo grid')
)

hermite_nu0 = define(
    "hermite_nu0", (1 + alpha) / 2,
    quantity="ν_0, the 0-th orthonormal Hermite coefficient of σ'_α",
    source=f"{_KERNELS} §4 'Hermite coefficients of σ'_α'", provenance=Provenance.DERIVED_CHECKED,
    notes="ν_2j = 0 for j ≥ 1",
)

hermite_nu_odd = define(
    "hermite_nu_odd",
    (1 - alpha) * (-1) ** j * sp.factorial2(2 * j - 1) / sp.sqrt(2 * _pi * sp.factorial(2 * j + 1)),
    quantity="ν_{2j+1}, the (2j+1)-th orthonormal Hermite coefficient of σ'_α",
    source=f"{_KERNELS} §4 'Hermite coefficients of σ'_α'", provenance=Provenance.DERIVED_CHECKED,
    notes="ν_{2j+1}² = (1−α)²·b_j/(2π); this is where c_α enters every Hermite-based bound",
)

gram_entry_variance = define(
    "gram_entry_variance",
    rho**2 / m * (2 / (1 + alpha**2)) ** 2
    * (((_pi - _theta) / (2 * _pi)) * (1 + alpha**4) + (_theta / _pi) * alpha**2
       - ((1 + alpha**2) / 2 - (1 - alpha) ** 2 * _theta / (2 * _pi)) ** 2),
    quantity="Var(H^(m)_ij), the variance of one entry of the width-m first-layer Gram G ⊙ (DDᵀ)/m",
    source=f"{_KERNELS} §10 'Exact per-entry variance' (from the §2 moments)",
    provenance=Provenance.DERIVED_CHECKED, domain=_RHO_DOMAIN,
    notes="E[H^(m)] = H̃_α (unbiased), so E‖H^(m) − H̃_α‖_F² = Σ_ij Var(H^(m)_ij) exactly",
)
