"""Training convergence of deep leaky-ReLU networks in the Allen-Zhu–Li–Song / Guo–Li–Lerman setting.

Setting (docs/theory/convergence.md §3, §6.1; docs/theory/README.md N3): unit-norm data whose last coordinate
is 1/√2, δ-separation δ = min_{i≠j}‖x_i − x_j‖, the network h_0 = σ(Ax), h_ℓ = σ(W_ℓ h_{ℓ−1}),
output B h_L, **only W_1..W_L trained**, loss F(W) = Σ_i ½‖B h_{i,L} − y_i‖² (a sum), GD
W ← W − η∇F and SGD with batch b stepping along (n/b)Σ_{i∈S}∇F_i.

What is encoded, with its provenance (never upgrade a tag):

* **AZLS** (Allen-Zhu, Li, Song, ICML 2019, arXiv 1811.03962) — [recalled]: Theorem 1 (GD) and
  Theorem 2 (SGD): width, step size, iterations to ε; the per-step contraction behind Theorem 1,
  F(W^(t+1)) ≤ (1 − Ω(ηδm/(dn²)))·F(W^(t)); the gradient bounds of their Theorem 3. The main-text
  forms are high-confidence; the explicit exponents (n²⁴L¹²dδ⁻⁸, n⁴L², n⁶L²) are medium-confidence.
  The SGD polynomials are unknown and enter as hidden exponents. Every Ω/Θ/O is a named hidden
  constant (:func:`bounds.symbols.hidden_constant`); Ω̃ carries a polylog factor log(m)^C.
  AZLS's parameterisation is the standard one with He init, A, W_ℓ ~ N(0, 2/m), B ~ N(0, 1/d), so
  **η here is an SP step**; the contraction is linear in m at fixed η. In NTK parameterisation the
  same step is η_SP = 2η_NTK/m (:data:`eta_he_from_ntk`), and the rate is width-independent.
* **GLL** (Guo, Li, Lerman, AISTATS 2024, arXiv 2402.11942): the factor g_α = (1−α)/√(1+α²)
  appears in their Lemmas 4.1/4.2 — [summary] (third-party digest only). Its square is c_α
  (:data:`bounds.c_alpha`). The rate forms 1 − C·η·c_α·δ·m/(d·n²) for GD and SGD and the
  iteration counts derived from them are [inferred] (docs/theory/convergence.md §6.4): AZLS with δ → c_α·δ.
  "α = −1 minimises the bound" is then a theorem about these *inferred* forms, derived here with
  sympy by :func:`alpha_derivative_analysis` — not a statement of GLL's text.
* **Rescaling equivalence** [derived] (docs/theory/convergence.md §6.2): σ̃_α = √(2/(1+α²))σ_α with
  W ~ N(0, 1/m) and σ_α/√(1+α²) with W ~ N(0, 2/m) (AZLS's init verbatim) are the same function
  (σ_α is positively 1-homogeneous); a GD step η on the second equals η/2 on the first. The
  unscaled σ_α with W ~ N(0, 2/((1+α²)m)) is a third equivalent reading with an α-dependent step
  conversion. Layer maps are encoded with σ_α(z) = ((1+α)/2)z + ((1−α)/2)|z| (no Max/Piecewise).

Decided by a check: azls_gd_contraction and gll_gd_contraction_depth (deep_width_depth_scaling),
gll_gd_contraction and gll_sgd_contraction (deep_alpha_ordering, deep_synthetic_experiment), the layer maps
and step conversions (deep_rescaling_equivalence). Every other bound here is declared ``untestable`` with
its reason (width conditions and step prescriptions with hidden constants, proof lemmas, iteration counts
that follow from a decided contraction).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from bounds.core import Bound, Provenance, Side
from bounds.registry import define
from bounds.symbols import L, alpha, b, d, delta, eps, eta, hidden_constant, m, n, z_pre
from bounds.two_layer.kernels import C_ALPHA

__all__ = [
    "AlphaAnalysis",
    "alpha_derivative_analysis",
    "azls_gd_contraction",
    "azls_gd_iterations",
    "azls_gd_step",
    "azls_gd_width",
    "azls_gradient_lower",
    "azls_gradient_upper",
    "azls_sgd_contraction",
    "azls_sgd_iterations",
    "azls_sgd_step",
    "azls_sgd_width",
    "eta_he_from_ntk",
    "eta_he_from_rescaled",
    "eta_plain_from_ntk",
    "eta_rescaled_from_ntk",
    "g_alpha",
    "gll_gd_contraction",
    "gll_gd_contraction_depth",
    "gll_gd_iterations",
    "gll_gd_iterations_azls_step",
    "gll_gradient_lower",
    "gll_sgd_contraction",
    "gll_sgd_iterations",
    "layer_he_init",
    "layer_ntk",
    "layer_plain_init",
    "layer_rescaled_act",
    "leaky_expr",
    "rescaling_identity",
    "step_conversion_identity",
]

_CONV = "docs/theory/convergence.md"
_AZ = "AZLS19"
_GLL = "GLL24"


def leaky_expr(z: sp.Expr, a: sp.Expr = alpha) -> sp.Expr:
    """σ_α(z) = ((1+α)/2)·z + ((1−α)/2)·|z| (= max(z,0) + α·min(z,0)), lambdify-friendly."""
    return (1 + a) / 2 * z + (1 - a) / 2 * sp.Abs(z)


# ============================================================================ hidden constants
C_az_width = hidden_constant("C_az_width", "Ω̃(·) constant of the AZLS GD width m ≥ Ω̃(n²⁴L¹²dδ⁻⁸)")
C_az_width_log = hidden_constant("C_az_width_log", "power of the polylog(m) factor hidden in AZLS's Ω̃ width")
C_az_step = hidden_constant("C_az_step", "Θ(·) constant of the AZLS GD step η = Θ(dδ/(n⁴L²m))")
C_az_rate = hidden_constant("C_az_rate", "Ω(·) constant of the AZLS per-step contraction 1 − Ω(ηδm/(dn²))")
C_az_iter = hidden_constant("C_az_iter", "Θ(·) constant of the AZLS GD iteration count Θ(n⁶L²δ⁻²log(1/ε))")
C_az_sep = hidden_constant("C_az_sep", "O(·) constant of the AZLS separation assumption δ ≤ O(1/L)")
C_az_grad_lo = hidden_constant("C_az_grad_lo", "Ω(·) constant of the AZLS gradient lower bound ‖∇_{W_L}F‖² ≥ "
                                               "Ω(F·δm/(dn²))")
C_az_grad_up = hidden_constant("C_az_grad_up", "O(·) constant of the AZLS gradient upper bound ‖∇_{W_ℓ}F‖² ≤ "
                                               "O(F·nm/d)")
C_az_sgd_width = hidden_constant("C_az_sgd_width", "Ω̃(·) constant of the AZLS SGD width m ≥ Ω̃(poly(n,L,1/δ)·b·d)")
C_az_sgd_step = hidden_constant("C_az_sgd_step", "Θ(·) constant of the AZLS SGD step η = Θ(bδd/(poly(n,L)m log²m))")
C_az_sgd_rate = hidden_constant("C_az_sgd_rate", "Ω(·) constant of the expected per-step SGD contraction")
C_az_sgd_iter = hidden_constant("C_az_sgd_iter", "Θ(·) constant of the AZLS SGD iteration count")
C_sgd_wpow_n = hidden_constant("C_sgd_wpow_n", "unknown exponent of n in AZLS's SGD width poly(n, L, 1/δ)")
C_sgd_wpow_L = hidden_constant("C_sgd_wpow_L", "unknown exponent of L in AZLS's SGD width poly(n, L, 1/δ)")
C_sgd_wpow_delta = hidden_constant("C_sgd_wpow_delta", "unknown exponent of 1/δ in AZLS's SGD width poly(n, L, 1/δ)")
C_sgd_spow_n = hidden_constant("C_sgd_spow_n", "unknown exponent of n in the poly(n, L) of AZLS's SGD step")
C_sgd_spow_L = hidden_constant("C_sgd_spow_L", "unknown exponent of L in the poly(n, L) of AZLS's SGD step")
C_sgd_tpow_n = hidden_constant("C_sgd_tpow_n", "unknown exponent of n in the poly(n, L) of AZLS's SGD iterations")
C_sgd_tpow_L = hidden_constant("C_sgd_tpow_L", "unknown exponent of L in the poly(n, L) of AZLS's SGD iterations")
C_gll_rate = hidden_constant("C_gll_rate", "Ω(·) constant of the inferred GLL GD contraction 1 − Ω(η c_α δm/(dn²))")
C_gll_sgd_rate = hidden_constant("C_gll_sgd_rate", "Ω(·) constant of the inferred GLL expected SGD contraction")
C_gll_grad_lo = hidden_constant("C_gll_grad_lo", "Ω(·) constant of the inferred GLL gradient lower bound")

_SEP = (delta <= C_az_sep / L, delta <= sp.sqrt(2))
_GD_WIDTH = m >= C_az_width * n**24 * L**12 * d * delta**-8 * sp.log(m) ** C_az_width_log
_GD_STEP = eta <= C_az_step * d * delta / (n**4 * L**2 * m)
_SGD_WIDTH = (m >= C_az_sgd_width * n**C_sgd_wpow_n * L**C_sgd_wpow_L * delta ** (-C_sgd_wpow_delta) * b * d
              * sp.log(m) ** C_az_width_log)
_SGD_STEP = eta <= C_az_sgd_step * b * delta * d / (n**C_sgd_spow_n * L**C_sgd_spow_L * m * sp.log(m) ** 2)
_BATCH = (b <= n,)
_ALPHA = (alpha >= -1, alpha < 1)
_DATA = ("unit-norm inputs whose last coordinate is 1/√2 (bias surrogate)",
         "‖x_i − x_j‖ ≥ δ for i ≠ j", "‖y_i‖ ≤ O(1)",
         "A, W_ℓ(0) ~ N(0, 2/m), B ~ N(0, 1/d) (standard parameterisation: η is an SP step)",
         "only W_1..W_L trained; loss F = Σ_i ½‖B h_{i,L} − y_i‖²",
         "holds with probability ≥ 1 − exp(−Ω(log² m))")

# ============================================================================ AZLS, GD (Theorem 1)
azls_gd_width = define(
    "azls_gd_width", C_az_width * n**24 * L**12 * d * delta**-8 * sp.log(m) ** C_az_width_log,
    quantity="width m that AZLS Theorem 1 (GD) requires",
    source=f"{_AZ}, Theorem 1 — recalled (explicit exponents: medium confidence)",
    provenance=Provenance.RECALLED, side=Side.LOWER, domain=_SEP, assumptions=_DATA,
    notes="main text: m ≥ Ω̃(poly(n, L, δ⁻¹)·d); Ω̃'s polylog is log(m)^C_az_width_log. Zou & Gu (NeurIPS 2019) "
          "improve it to Ω̃(n⁸L¹²δ⁻⁴·d_out) [recalled]",
    untestable=('a sufficient width condition with a hidden constant and a polylog power (m ≥ C·n²⁴L¹²dδ⁻⁸·log^C m): no '
                'finite run can refute it (narrower nets that converge do not contradict a sufficient condition); runs report'
                " where they sit (domain 'undetermined')"),
)

azls_gd_step = define(
    "azls_gd_step", C_az_step * d * delta / (n**4 * L**2 * m),
    quantity="step size η (SP) that AZLS Theorem 1 prescribes",
    source=f"{_AZ}, Theorem 1 — recalled (main text η = Θ(dδ/(poly(n,L)·m)); explicit n⁴L²: medium)",
    provenance=Provenance.RECALLED, side=Side.APPROX, domain=_SEP,
    notes="Θ(·): the theorem sets η to this up to a constant; the L² comes from the O(nL²m/d) smoothness",
    untestable=('a prescription (the step the theorem chooses, up to Θ(·)), not a prediction about data; the checks run their'
                ' own measured-stable step'),
)

azls_gd_contraction = define(
    "azls_gd_contraction", 1 - C_az_rate * eta * delta * m / (d * n**2),
    quantity="F(W^(t+1))/F(W^(t)) for one full-batch GD step",
    source=f"{_AZ}, per-step contraction behind Theorem 1 — recalled (high confidence)",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(*_SEP, _GD_WIDTH, _GD_STEP), assumptions=_DATA,
    notes="η is an SP step (He init); linear in m at fixed η, ∝ δ, ∝ 1/n², ∝ 1/d, L-free at fixed η. With the "
          "prescribed η it is 1 − Ω(δ²/(n⁶L²)). In NTK parameterisation (η_SP = 2η_NTK/m) it is width-free",
)

azls_gd_iterations = define(
    "azls_gd_iterations", C_az_iter * n**6 * L**2 * delta**-2 * sp.log(1 / eps),
    quantity="GD iterations T to reach F(W^(T)) ≤ ε·F(W^(0)) with the prescribed step",
    source=f"{_AZ}, Theorem 1 — recalled (main text T = Θ(poly(n,L)·δ⁻²·log(1/ε)); explicit n⁶L²: medium)",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(*_SEP, eps < 1, _GD_WIDTH), assumptions=_DATA,
    notes="= log(1/ε)/(C_az_rate·ηδm/(dn²)) at η = azls_gd_step, up to constants",
    untestable=('follows from azls_gd_contraction at the prescribed step with hidden constants; its refutable content (the '
                'exponents of the contraction in m and L) is tested by deep_width_depth_scaling through that contraction'),
)

azls_gradient_lower = define(
    "azls_gradient_lower", C_az_grad_lo * delta * m / (d * n**2),
    quantity="‖∇_{W_L}F(W)‖_F²/F(W) for ‖W − W^(0)‖₂ ≤ ω",
    source=f"{_AZ}, Theorem 3 (no critical point), lower bound — recalled (proved through W_L only)",
    provenance=Provenance.RECALLED, side=Side.LOWER, domain=(*_SEP, _GD_WIDTH), assumptions=_DATA,
    untestable=('a lemma inside the proof (‖∇_{W_L}F‖² ≥ Ω(F·δm/(dn²))) with a hidden constant; its consequence, the '
                "contraction's linear m-dependence, is tested by deep_width_depth_scaling; gradient norms are not measured "
                'separately'),
)

azls_gradient_upper = define(
    "azls_gradient_upper", C_az_grad_up * n * m / d,
    quantity="‖∇_{W_ℓ}F(W)‖_F²/F(W) for every ℓ, ‖W − W^(0)‖₂ ≤ ω",
    source=f"{_AZ}, Theorem 3 (gradient bounds), upper bound — recalled",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(*_SEP, _GD_WIDTH), assumptions=_DATA,
    untestable=('a lemma inside the proof (an upper bound with a hidden constant that only fixes the admissible step); not '
                'measured separately'),
)

# ============================================================================ AZLS, SGD (Theorem 2)
azls_sgd_width = define(
    "azls_sgd_width",
    C_az_sgd_width * n**C_sgd_wpow_n * L**C_sgd_wpow_L * delta ** (-C_sgd_wpow_delta) * b * d
    * sp.log(m) ** C_az_width_log,
    quantity="width m that AZLS Theorem 2 (SGD, batch b) requires",
    source=f"{_AZ}, Theorem 2 — recalled (main text m ≥ Ω̃(poly(n, L, δ⁻¹)·b·d); the polynomial is not recalled)",
    provenance=Provenance.RECALLED, side=Side.LOWER, domain=(*_SEP, *_BATCH), assumptions=_DATA,
    notes="the exponents of poly(n, L, 1/δ) are hidden symbols C_sgd_wpow_*",
    untestable=('a sufficient width condition whose polynomial exponents are hidden symbols (not recalled): nothing finite '
                'can refute it'),
)

azls_sgd_step = define(
    "azls_sgd_step",
    C_az_sgd_step * b * delta * d / (n**C_sgd_spow_n * L**C_sgd_spow_L * m * sp.log(m) ** 2),
    quantity="step size η (SP) that AZLS Theorem 2 (SGD, batch b) prescribes",
    source=f"{_AZ}, Theorem 2 — recalled (η = Θ(bδd/(poly(n,L)·m·log²m)))",
    provenance=Provenance.RECALLED, side=Side.APPROX, domain=(*_SEP, *_BATCH),
    untestable='a prescription with hidden exponents of n and L, not a prediction',
)

azls_sgd_iterations = define(
    "azls_sgd_iterations",
    C_az_sgd_iter * n**C_sgd_tpow_n * L**C_sgd_tpow_L * sp.log(m) ** 2 / (delta**2 * b) * sp.log(1 / eps),
    quantity="SGD iterations T (batch b) to reach F ≤ ε·F(W^(0)) with the prescribed step",
    source=f"{_AZ}, Theorem 2 — recalled (T = Θ(poly(n,L)·log²m/(δ²b)·log(1/ε)))",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(*_SEP, *_BATCH, eps < 1, _SGD_WIDTH),
    assumptions=(*_DATA, "SGD batch S of size b drawn each step, step along (n/b)Σ_{i∈S}∇F_i"),
    untestable=('hidden exponents of n and L (not recalled) and a hidden constant: only its ε- and b-dependence remain, which'
                ' no check measures'),
)

azls_sgd_contraction = define(
    "azls_sgd_contraction", 1 - C_az_sgd_rate * eta * delta * m / (d * n**2),
    quantity="E[F(W^(t+1))]/F(W^(t)) for one SGD step along (n/b)Σ_{i∈S}∇F_i",
    source=f"{_CONV} §3, §6.4: the expected one-step decrease of {_AZ} Theorem 2's proof — inferred "
           "(the (n/b)-scaled stochastic gradient is unbiased, so its first-order term is GD's)",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_BATCH, _SGD_WIDTH, _SGD_STEP),
    assumptions=(*_DATA, "SGD batch S of size b drawn each step, step along (n/b)Σ_{i∈S}∇F_i"),
    notes="η is an SP step; the second-order (variance) term is what forces η ∝ b/log²m",
    untestable=("the SGD rate form with δ (AZLS, α = 0 only); GLL's α-dependent SGD form gll_sgd_contraction is the one "
                'decided (ordering in deep_alpha_ordering); at α = 0 both make the same prediction'),
)

# ============================================================================ GLL: α-dependent forms
g_alpha = define(
    "g_alpha", (1 - alpha) / sp.sqrt(1 + alpha**2),
    quantity="g_α, the α-factor in GLL's semi-smoothness and gradient-bound lemmas",
    source=f"{_GLL}, Lemmas 4.1/4.2 — factor reported by a third-party summary; interpretation "
           f"({_CONV} §6.3): the normalised jump of σ̃'_α at 0 relative to ReLU's",
    provenance=Provenance.SUMMARY, side=Side.EXACT,
    notes="g_α² = c_α (bounds.c_alpha); g_{−1} = √2, g_0 = 1, g_1 = 0; maximal at α = −1",
    untestable=("a factor inside GLL's lemmas known only from a summary; it enters a rate only squared, as c_α "
                '(bounds.c_alpha), which deep_alpha_ordering decides on (λ_min ordering) and reports against measured rate '
                'ratios (tightness)'),
)

_GLL_RATE = C_ALPHA * eta * delta * m / (d * n**2)

gll_gradient_lower = define(
    "gll_gradient_lower", C_gll_grad_lo * C_ALPHA * delta * m / (d * n**2),
    quantity="‖∇F(W)‖_F²/F(W) near initialisation (GLL network, rescaled leaky ReLU)",
    source=f"{_CONV} §6.4: AZLS19 Theorem 3 with g_α² = c_α from {_GLL} Lemma 4.2 — inferred",
    provenance=Provenance.INFERRED, side=Side.LOWER, domain=(*_SEP, *_ALPHA, _GD_WIDTH), assumptions=_DATA,
    untestable=('a proof lemma with a hidden constant; its consequence, the c_α-ordering of the GD rate, is decided through '
                'gll_gd_contraction'),
)

gll_gd_contraction = define(
    "gll_gd_contraction", 1 - C_gll_rate * _GLL_RATE,
    quantity="F(W^(t+1))/F(W^(t)) for one full-batch GD step, rescaled leaky ReLU σ̃_α",
    source=f"{_CONV} §6.4: AZLS19 contraction with δ → c_α·δ; the exact statement of {_GLL} is unknown — inferred",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_ALPHA, _GD_WIDTH, _GD_STEP),
    assumptions=_DATA,
    notes="α enters only through c_α = (1−α)²/(1+α²): fastest at α = −1 (alpha_derivative_analysis); the ratio "
          "of rates at fixed η is c_α/c_0 if C_gll_rate is α-free (assumed, not known)",
)

gll_sgd_contraction = define(
    "gll_sgd_contraction", 1 - C_gll_sgd_rate * _GLL_RATE,
    quantity="E[F(W^(t+1))]/F(W^(t)) for one SGD step (batch b, (n/b)-scaled), rescaled leaky ReLU",
    source=f"{_CONV} §6.4: expected SGD contraction with δ → c_α·δ ({_GLL} claim GD *and* SGD converge "
           "linearly [summary]) — inferred",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_ALPHA, *_BATCH, _SGD_WIDTH, _SGD_STEP),
    assumptions=(*_DATA, "SGD batch S of size b drawn each step, step along (n/b)Σ_{i∈S}∇F_i"),
)

gll_gd_contraction_depth = define(
    "gll_gd_contraction_depth", 1 - C_gll_rate * L * _GLL_RATE,
    quantity="F(W^(t+1))/F(W^(t)) if the gradient lower bound holds for every W_ℓ (one reading of GLL's depth "
             "claim)",
    source=f"{_CONV} §6.5: Σ_ℓ‖∇_{{W_ℓ}}F‖² ≥ Ω(L·c_α·F·δm/(dn²)) — inferred interpretation of {_GLL}'s "
           "'gradient bounds improved across all layers' [summary]",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_ALPHA, _GD_WIDTH, _GD_STEP),
    assumptions=_DATA,
    notes="Unknown whether GLL's rate is L-free, ∝ L or only improved in the width exponent",
)

gll_gd_iterations = define(
    "gll_gd_iterations", sp.log(1 / eps) / (C_gll_rate * _GLL_RATE),
    quantity="GD iterations T to reach F ≤ ε·F(W^(0)) at a fixed step η (the rate bound)",
    source=f"{_CONV} §6.4 (T_ε ∝ 1/c_α at fixed η): from gll_gd_contraction, (1 − q)^T ≤ e^(−qT) ≤ ε — inferred",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_ALPHA, eps < 1, _GD_WIDTH, _GD_STEP),
    assumptions=_DATA,
    notes="minimal at α = −1 for every L, m, n, d, δ, η, ε in the domain (alpha_derivative_analysis)",
    untestable=('log(1/ε)/(rate) of gll_gd_contraction: the same α-ordering prediction, decided through gll_gd_contraction '
                '(deep_alpha_ordering, deep_synthetic_experiment)'),
)

gll_sgd_iterations = define(
    "gll_sgd_iterations", sp.log(1 / eps) / (C_gll_sgd_rate * _GLL_RATE),
    quantity="SGD iterations T (in expectation) to reach F ≤ ε·F(W^(0)) at a fixed step η",
    source=f"{_CONV} §6.4: from gll_sgd_contraction — inferred",
    provenance=Provenance.INFERRED, side=Side.UPPER,
    domain=(*_SEP, *_ALPHA, *_BATCH, eps < 1, _SGD_WIDTH, _SGD_STEP),
    assumptions=(*_DATA, "SGD batch S of size b drawn each step, step along (n/b)Σ_{i∈S}∇F_i"),
    untestable='log(1/ε)/(rate) of gll_sgd_contraction, decided through it (deep_alpha_ordering)',
)

gll_gd_iterations_azls_step = define(
    "gll_gd_iterations_azls_step", C_az_iter * n**6 * L**2 / (C_ALPHA**2 * delta**2) * sp.log(1 / eps),
    quantity="GD iterations to ε if η is also chosen ∝ c_α·δ (AZLS's T with δ → c_α·δ)",
    source=f"{_CONV} §6.4, the alternative reading T_ε ∝ 1/c_α² — inferred; cannot be decided without {_GLL}'s text",
    provenance=Provenance.INFERRED, side=Side.UPPER, domain=(*_SEP, *_ALPHA, eps < 1, _GD_WIDTH),
    assumptions=_DATA,
    untestable=("an alternative reading (η also ∝ c_α·δ) that needs GLL's unknown step rule; at the checks' one-η-for-all-α "
                'protocol it makes no prediction'),
)

# ============================================================================ rescaling equivalence
_CS = sp.sqrt(2 / (1 + alpha**2))

layer_ntk = define(
    "layer_ntk", _CS * leaky_expr(z_pre / sp.sqrt(m)),
    quantity="one unit of a hidden layer, NTK parameterisation: σ̃_α(wᵀh/√m), w ~ N(0, I), h the previous layer",
    source=f"docs/theory/README.md N1–N2; {_CONV} §6.2 reading (a) in NTK form", provenance=Provenance.DERIVED,
    notes="z_pre = wᵀh with standard-normal w; equals layer_rescaled_act on the same h",
)

layer_rescaled_act = define(
    "layer_rescaled_act", _CS * leaky_expr(z_pre / sp.sqrt(m)),
    quantity="one unit, reading (a): σ̃_α(W_a h) with W_a = w/√m ~ N(0, 1/m)",
    source=f"{_CONV} §6.2 (a): rescaled σ̃_α = √(2/(1+α²))σ_α with N(0, 1/m) init", provenance=Provenance.DERIVED,
)

layer_he_init = define(
    "layer_he_init", leaky_expr(sp.sqrt(2) * z_pre / sp.sqrt(m)) / sp.sqrt(1 + alpha**2),
    quantity="one unit, reading (b): σ_α(W_b h)/√(1+α²) with W_b = √2·w/√m ~ N(0, 2/m) (AZLS's init verbatim)",
    source=f"{_CONV} §6.2 (b); GLL24's rescaled activation per the project seed digest [summary]",
    provenance=Provenance.DERIVED,
)

layer_plain_init = define(
    "layer_plain_init", leaky_expr(_CS * z_pre / sp.sqrt(m)),
    quantity="one unit, unscaled σ_α(W_c h) with W_c ~ N(0, 2/((1+α²)m)) ('rescaled initialisation')",
    source=f"{_CONV} §6.2 and §5 (the digest: 'with rescaled initialisation it is equivalent to the unscaled "
           "leaky ReLU') — derived", provenance=Provenance.DERIVED,
)

# A GD step η' on W' = s·W reproduces a step η on W iff η' = s²·η (∇_{W'}F = ∇_W F/s) [derived].
eta_rescaled_from_ntk = define(
    "eta_rescaled_from_ntk", eta / m,
    quantity="step on W_a ~ N(0, 1/m) (reading (a), SP) that reproduces a step η on the NTK weights",
    source="docs/theory/README.md N2 (W_SP = s·W_NTK ⇒ η_SP = s²·η_NTK), s = 1/√m", provenance=Provenance.DERIVED,
)

eta_he_from_rescaled = define(
    "eta_he_from_rescaled", 2 * eta,
    quantity="step on W_b ~ N(0, 2/m) (reading (b), AZLS init) that reproduces a step η in reading (a)",
    source=f"{_CONV} §6.2: 'the same η in (b) acts like η/2 in (a)'", provenance=Provenance.DERIVED,
)

eta_he_from_ntk = define(
    "eta_he_from_ntk", 2 * eta / m,
    quantity="step on AZLS's N(0, 2/m) weights (reading (b)) that reproduces a step η on the NTK weights",
    source=f"docs/theory/README.md N2 with s = √(2/m); {_CONV} §6.2", provenance=Provenance.DERIVED,
    notes="AZLS's contraction 1 − Ω(η_SP δm/(dn²)) becomes 1 − Ω(2η_NTK δ/(dn²)): width-free in NTK form",
)

eta_plain_from_ntk = define(
    "eta_plain_from_ntk", 2 * eta / ((1 + alpha**2) * m),
    quantity="step on W_c ~ N(0, 2/((1+α²)m)) (unscaled σ_α) that reproduces a step η on the NTK weights",
    source="docs/theory/README.md N2 with s = √(2/((1+α²)m)) — derived", provenance=Provenance.DERIVED,
    notes="α-dependent: 'one η for all α' means different effective steps in this reading",
)


def rescaling_identity() -> dict[str, sp.Expr]:
    """The layer-map differences, simplified; each is 0 (the readings are the same function).

    Keys: ``ntk-rescaled``, ``rescaled-he`` (the issue's identity (a) = (b)), ``rescaled-plain``.
    """
    diff = {
        "ntk-rescaled": layer_ntk.expr - layer_rescaled_act.expr,
        "rescaled-he": layer_rescaled_act.expr - layer_he_init.expr,
        "rescaled-plain": layer_rescaled_act.expr - layer_plain_init.expr,
    }
    return {k: sp.simplify(v) for k, v in diff.items()}


def step_conversion_identity(scale: sp.Expr, step: sp.Expr) -> sp.Expr:
    """W' = s·W: one GD step of size ``step`` on W', mapped back by 1/s, minus a step η on W.

    Uses a generic loss F(s·w) of a scalar weight w (sympy ``Function``), so the result is 0 exactly
    when ``step`` = s²·η (docs/theory/README.md N2) — e.g. ``step_conversion_identity(sqrt(2), eta_he_from_rescaled.expr)``.
    """
    w = sp.Symbol("w", real=True)
    F = sp.Function("F")
    wp = sp.Symbol("w_prime", real=True)
    grad_prime = sp.diff(F(wp), wp)  # ∇_{W'} F evaluated at W' = s·w
    after_prime = (wp - step * grad_prime).subs(wp, scale * w)
    grad = sp.diff(F(scale * w), w)  # ∇_W of F(s·W) = s·F'(s·w)
    after = w - eta * grad
    return sp.simplify(after_prime / scale - after)


# ============================================================================ α = −1 minimises the bound
@dataclass(frozen=True)
class AlphaAnalysis:
    """Result of :func:`alpha_derivative_analysis` for one bound.

    ``derivative`` = ∂(bound)/∂α after the domain substitution; it factorises as
    ``coefficient`` (free of α, with a proved sign) × ``alpha_part`` (a rational function of α).
    ``positive_set``/``negative_set`` are the subsets of ``interval`` where the derivative is > 0 / < 0
    for every value of the other variables; ``critical_points`` its zeros there.
    """

    bound: str
    derivative: sp.Expr
    coefficient: sp.Expr
    coefficient_sign: int
    alpha_part: sp.Expr
    interval: sp.Interval
    positive_set: sp.Set
    negative_set: sp.Set
    critical_points: sp.Set
    argmin: sp.Expr | None
    argmax: sp.Expr | None
    steps: tuple[str, ...]

    @property
    def minimised_at_minus_one(self) -> bool:
        return self.argmin is not None and self.argmin == -1


def _domain_parametrisation(expr: sp.Expr) -> tuple[sp.Expr, list[str]]:
    """Substitute ε = e^(−ℓ) (ℓ > 0, i.e. ε < 1) and s = 1 + s' (s' > 0) for positive integers inside logs."""
    notes = []
    if expr.has(eps):
        ell = sp.Symbol("ell", positive=True)
        expr = expr.subs(eps, sp.exp(-ell))
        notes.append("substituted ε = exp(−ℓ), ℓ > 0 (domain ε < 1), so log(1/ε) = ℓ > 0")
    for lg in expr.atoms(sp.log):
        for s in lg.free_symbols:
            if s.is_integer and s.is_positive:
                sp_ = sp.Symbol(f"{s.name}_minus_1", positive=True)
                expr = expr.subs(s, 1 + sp_)
                notes.append(f"substituted {s.name} = 1 + {sp_.name}, {sp_.name} > 0 "
                             f"({s.name} ≥ 2 so log {s.name} > 0)")
    return expr, notes


def alpha_derivative_analysis(bound: Bound, interval: sp.Interval | None = None) -> AlphaAnalysis:
    """Derive with sympy where ``bound`` increases/decreases in α on ``interval`` (default [−1, 1)).

    Steps: (1) reparametrise the domain so every other variable's sign is known; (2) differentiate in
    α and factor; (3) split into an α-free coefficient, whose sign sympy proves from the symbols'
    assumptions (all positive), and a rational α-part; (4) solve the α-part's sign on the interval
    exactly (``solve_univariate_inequality``), its zeros and poles (``solveset``). If the derivative is ≥ 0
    on the interval with its only zero at the left end point, the bound is strictly increasing and
    its unique minimiser is that end point — for *every* value of the other variables.
    """
    iv = interval if interval is not None else sp.Interval.Ropen(-1, 1)
    expr, steps = _domain_parametrisation(bound.expr)
    steps = list(steps)
    deriv = sp.factor(sp.together(sp.diff(expr, alpha)))
    steps.append(f"∂/∂α = {sp.sstr(deriv)}")
    if deriv == 0:
        raise ValueError(f"{bound.name} does not depend on α")
    parts = sp.separatevars(deriv, symbols=[alpha], dict=True)
    if not parts or "coeff" not in parts:
        raise ValueError(f"{bound.name}: ∂/∂α does not factor into an α-free and an α-only part: {deriv}")
    coeff, apart = parts["coeff"], parts.get(alpha, sp.Integer(1))
    if coeff.is_positive:
        sign = 1
    elif coeff.is_negative:
        sign = -1
    else:
        raise ValueError(f"{bound.name}: cannot prove the sign of the α-free factor {coeff}")
    steps.append(f"α-free factor {sp.sstr(coeff)} is {'positive' if sign > 0 else 'negative'} for all values "
                 "of the other (positive) symbols")
    signed = sign * apart
    pos = sp.solve_univariate_inequality(signed > 0, alpha, relational=False, domain=iv)
    neg = sp.solve_univariate_inequality(signed < 0, alpha, relational=False, domain=iv)
    num, den = sp.fraction(sp.together(apart))
    crit = sp.solveset(num, alpha, iv)
    poles = sp.solveset(den, alpha, iv)
    steps.append(f"∂/∂α > 0 on {pos}, < 0 on {neg}, = 0 at {crit}")
    argmin = argmax = None
    lo = iv.inf
    rest = iv - crit
    if poles != sp.EmptySet:
        steps.append(f"∂/∂α has poles at {poles}: the bound is unbounded there, no minimiser is claimed")
    elif pos == rest and crit.is_subset(sp.FiniteSet(lo)):
        argmin = lo  # increasing on the interval: the infimum is attained at the left end (if closed)
        steps.append(f"strictly increasing on {iv}: unique minimiser α = {lo}")
    elif neg == rest and crit.is_subset(sp.FiniteSet(lo)):
        argmax = lo
        steps.append(f"strictly decreasing on {iv}: unique maximiser α = {lo}")
    if argmin is not None and lo not in iv:
        argmin = None
    if argmax is not None and lo not in iv:
        argmax = None
    return AlphaAnalysis(bound=bound.name, derivative=deriv, coefficient=coeff, coefficient_sign=sign,
                         alpha_part=apart, interval=iv, positive_set=pos, negative_set=neg, critical_points=crit,
                         argmin=argmin, argmax=argmax, steps=tuple(steps))
