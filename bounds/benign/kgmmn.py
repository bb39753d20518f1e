"""Karhadkar, George, Murray, Montúfar, Needell, *Benign overfitting in leaky ReLU networks with moderate
input dimension* (NeurIPS 2024, arXiv 2403.06903); full camera-ready text read [paper].

Data x = √γ·y·v + √(1−γ)·n with n ⊥ v, k corrupted training labels, clean test labels; network
f(W, x) = Σ_{j=1}^{2m} (−1)^j σ_α(⟨w_j, x⟩) (**2m neurons**, outer weights ±1 fixed), hinge loss, GD.
Here α is the leaky slope and γ (``gamma_sig``) the signal level. Hidden O(·)/Ω(·) constants are named
symbols ``C_kg_*``/``c_kg_*``: test slopes, orderings and sign changes, never their absolute values
(docs/theory/README.md, "How to encode").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from bounds.benign._common import THEORY_PAGE as _HB
from bounds.benign._common import Phi, regime_status
from bounds.core import Provenance, Side
from bounds.registry import define
from bounds.symbols import (
    a_v,
    alpha,
    d,
    eps,
    eta,
    gamma_sig,
    hidden_constant,
    k,
    m,
    margin_factor,
    n,
    p_fail,
    w_star_norm,
    z_norm,
)

__all__ = [
    "kgmmn_benign",
    "kgmmn_benign_ratio",
    "kgmmn_benign_regime",
    "kgmmn_benign_snr_threshold",
    "kgmmn_gd_iterations",
    "kgmmn_gd_margin_factor",
    "kgmmn_generic_benign",
    "kgmmn_harmful",
    "kgmmn_harmful_ratio",
    "kgmmn_harmful_regime",
    "kgmmn_harmful_snr_threshold",
    "kgmmn_linear_error",
    "kgmmn_linear_error_lower_exp",
    "kgmmn_linear_error_lower_lin",
    "kgmmn_linear_error_upper",
    "kgmmn_lower",
    "kgmmn_wstar_noise",
    "kgmmn_wstar_signal",
]

_KG = "KGMMN24"


# ============================================================================ KGMMN hidden constants
C_kg_iter = hidden_constant("C_kg_iter", "KGMMN Thm 3.1: T ≤ C·‖w*‖²/(η·α²·m)")
C_kg_margin = hidden_constant("C_kg_margin", "KGMMN Thm 3.1: |𝒜_GD| ≤ C/(α√m)")
C_kg_gen = hidden_constant("C_kg_gen", "KGMMN Thm 3.2: exponent constant of exp(−C·d/(k(1 + m|𝒜|²)))")
C_kg_benign = hidden_constant("C_kg_benign", "KGMMN Cor 3.2.1: exponent constant of exp(−C·α²·d/k)")
C_kg_lower = hidden_constant("C_kg_lower", "KGMMN Thm 3.3: exponent constant of exp(−C·d/(α·k))")
c_kg_harm = hidden_constant("c_kg_harm", "KGMMN Thm 3.4: γ = O(α³/d), i.e. γ ≤ c·α³/d")
C_kg_dn = hidden_constant("C_kg_dn", "KGMMN: d = Ω(n), i.e. d ≥ C·n")
c_kg_k = hidden_constant("c_kg_k", "KGMMN Thm 3.2/Cor 3.2.1: k = O(n/(1 + m|𝒜|²)) resp. k = O(α²n)")
C_kg_gamma = hidden_constant("C_kg_gamma", "KGMMN Thm 3.2/Cor 3.2.1: γ = Ω(1/k), i.e. γ ≥ C/k")
C_kg_n = hidden_constant("C_kg_n", "KGMMN: n = Ω(log(1/p_fail)) (Thm 3.2) and n = Ω(1) (Thm 3.4)")
C_kg_klow = hidden_constant("C_kg_klow", "KGMMN Thm 3.3: k = Ω(log(1/p_fail) + 1/α)")
C_kg_nk = hidden_constant("C_kg_nk", "KGMMN Thm 3.3: n = Ω(k)")
C_kg_dlog = hidden_constant("C_kg_dlog", "KGMMN Thm 3.4 / Lemma 4.1: d = Ω(n + log(1/p_fail))")
C_kg_w3 = hidden_constant("C_kg_w3", "KGMMN Lemma B.3: ‖w*‖ ≤ C·√(1/γ + k/(1−γ))")
C_kg_w4 = hidden_constant("C_kg_w4", "KGMMN Lemma B.4: ‖w*‖ ≤ C·√(n/(1−γ))")
C_kg_d2 = hidden_constant("C_kg_d2", "KGMMN Lemma D.2: benign SNR threshold constant C₂")
C_kg_d4 = hidden_constant("C_kg_d4", "KGMMN Lemma D.4: harmful SNR threshold constant")

_SLOPE = (alpha > 0, alpha <= 1)
_GAMMA = (gamma_sig < 1,)
_ASSUMPTION_1 = ("Assumption 1: η ≤ 1/(m·n·max_i‖x_i‖²) and ‖w_j(0)‖ ≤ √α/(m·min_i‖x_i‖) for all j",
                 "network f(W, x) = Σ_{j=1}^{2m} (−1)^j σ_α(⟨w_j, x⟩): 2m neurons, outer weights ±1 fixed, "
                 "first layer trained by subgradient GD on the summed hinge loss")
_DATA = "data of KGMMN Def. 2.1: x = √γ·y·v + √(1−γ)·n, n ~ N(0, (I − vvᵀ)/d), k corrupted labels, clean test"

# ============================================================================ KGMMN Thm 3.1
kgmmn_gd_iterations = define(
    "kgmmn_gd_iterations", C_kg_iter * w_star_norm**2 / (eta * alpha**2 * m),
    quantity="GD iterations T until zero hinge loss (all margins ŷ_i f(x_i) ≥ 1)",
    source=f"{_KG}, Theorem 3.1 [paper]; {_HB} §1.4",
    provenance=Provenance.PAPER, side=Side.UPPER, domain=_SLOPE,
    assumptions=(*_ASSUMPTION_1, "any linearly separable (X, ŷ)"),
    notes="m is KGMMN's m (the network has 2m neurons); ‖w*‖ is the hard-margin linear classifier; the proof "
          "counts point-updates U(t) = Σ_s |F(s)| ≤ C‖w*‖²/(ηα²m), which also bounds T",
)

kgmmn_gd_margin_factor = define(
    "kgmmn_gd_margin_factor", C_kg_margin / (alpha * sp.sqrt(m)),
    quantity="|𝒜_GD|: ‖W_T‖_F/‖w*‖ of the GD output (approximate-margin-maximisation factor)",
    source=f"{_KG}, Theorem 3.1 [paper] with Definition 2.3; {_HB} §1.3–1.4",
    provenance=Provenance.PAPER, side=Side.UPPER, domain=_SLOPE, assumptions=_ASSUMPTION_1,
    notes="Frobenius norm of the 2m×d first layer at the zero-hinge-loss stop",
)

# ============================================================================ KGMMN Thm 3.2, Cor 3.2.1
_KG32_DOMAIN = (d >= C_kg_dn * n, k >= 1, k <= c_kg_k * n / (1 + m * margin_factor**2),
                gamma_sig >= C_kg_gamma / k, n >= C_kg_n * sp.log(1 / p_fail), p_fail < 1, *_GAMMA)

kgmmn_generic_benign = define(
    "kgmmn_generic_benign", sp.exp(-C_kg_gen * d / (k * (1 + m * margin_factor**2))),
    quantity="clean test error P(y·f(W, x) ≤ 0 | X, ŷ) of any approximately margin-maximising 𝒜",
    source=f"{_KG}, Theorem 3.2 [paper]; {_HB} §1.4",
    provenance=Provenance.PAPER, side=Side.UPPER, domain=_KG32_DOMAIN,
    assumptions=(_DATA, "𝒜 approximately margin maximising with factor |𝒜| (Def. 2.3)",
                 "holds with probability ≥ 1 − p_fail"),
    untestable=("not decided by a check: for 𝒜 = 𝒜_GD it reduces to Cor 3.2.1 (kgmmn_benign, decided by "
                "kgmmn_benign_dk and kgmmn_heatmap) up to the measured |𝒜_GD|; other approximately margin-maximising "
                "algorithms are not implemented"),
)

_COR_DOMAIN = (d >= C_kg_dn * n, k >= 1, k <= c_kg_k * alpha**2 * n, gamma_sig >= C_kg_gamma / k,
               n >= C_kg_n * sp.log(1 / p_fail), p_fail < 1, *_GAMMA, *_SLOPE)

kgmmn_benign = define(
    "kgmmn_benign", sp.exp(-C_kg_benign * alpha**2 * d / k),
    quantity="clean test error of the GD network at zero hinge loss",
    source=f"{_KG}, Corollary 3.2.1 [paper]; {_HB} §1.4",
    provenance=Provenance.PAPER, side=Side.UPPER, domain=_COR_DOMAIN,
    assumptions=(_DATA, *_ASSUMPTION_1, "holds with probability ≥ 1 − p_fail"),
    notes="≤ exp(−C·d/n) since k = O(α²n); with k ∝ n it depends on d/n only, not on n (§1.6)",
)

# ============================================================================ KGMMN Thm 3.3, 3.4
kgmmn_lower = define(
    "kgmmn_lower", sp.exp(-C_kg_lower * d / (alpha * k)),
    quantity="clean test error of the GD network at zero hinge loss",
    source=f"{_KG}, Theorem 3.3 [paper]; {_HB} §1.4",
    provenance=Provenance.PAPER, side=Side.LOWER,
    domain=(n >= C_kg_nk * k, d >= C_kg_dn * n, k >= 1, k >= C_kg_klow * (sp.log(1 / p_fail) + 1 / alpha),
            p_fail < 1, *_GAMMA, *_SLOPE),
    assumptions=(_DATA, *_ASSUMPTION_1, "holds with probability ≥ 1 − p_fail"),
    notes="with Cor 3.2.1: −C·d/(αk) ≤ log err ≤ −C·α²·d/k, tight up to constants and α-factors",
)

kgmmn_harmful = define(
    "kgmmn_harmful", sp.Rational(1, 8),
    quantity="clean test error of the GD network at zero hinge loss (harmful overfitting)",
    source=f"{_KG}, Theorem 3.4 [paper]; {_HB} §1.4",
    provenance=Provenance.PAPER, side=Side.LOWER,
    domain=(gamma_sig <= c_kg_harm * alpha**3 / d, d >= C_kg_dlog * (n + sp.log(1 / p_fail)), n >= C_kg_n,
            p_fail < 1, *_SLOPE),
    assumptions=(_DATA, *_ASSUMPTION_1, "holds with probability ≥ 1 − p_fail"),
    notes="the intro states γ = O(1/d) (α a constant); nothing is proved for 1/d ≲ γ ≲ 1/k",
)

# ---------------------------------------------------------------------------- regime ratios and predicates
kgmmn_harmful_ratio = define(
    "kgmmn_harmful_ratio", gamma_sig * d / alpha**3,
    quantity="γ·d/α³: Theorem 3.4 (harmful, error ≥ 1/8) applies when this is ≤ c_kg_harm",
    source=f"{_KG}, Theorem 3.4 condition γ = O(α³/d) [paper]",
    provenance=Provenance.PAPER, side=Side.EXACT, domain=_SLOPE,
    notes="the harmful regime is the limit γ·d/α³ → 0",
)

kgmmn_benign_ratio = define(
    "kgmmn_benign_ratio", gamma_sig * k,
    quantity="γ·k: Theorem 3.2 / Cor 3.2.1 (benign) need this ≥ C_kg_gamma",
    source=f"{_KG}, Theorem 3.2 / Corollary 3.2.1 condition γ = Ω(1/k) [paper]",
    provenance=Provenance.PAPER, side=Side.EXACT,
    notes="the benign regime is the limit γ·k → ∞ (with d = Ω(n) and k = O(α²n))",
)


def kgmmn_benign_regime(values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> bool | None:
    """Predicate: are (n, d, k, γ, α, p_fail[, constants]) inside Cor 3.2.1's benign regime?

    Hidden constants (``C_kg_dn``, ``c_kg_k``, ``C_kg_gamma``, ``C_kg_n``) may be passed by name; without
    them the answer is usually None (undetermined).
    """
    return regime_status(kgmmn_benign, values, **kwargs)


def kgmmn_harmful_regime(values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> bool | None:
    """Predicate: inside Theorem 3.4's harmful regime (γ ≤ c·α³/d, d = Ω(n + log(1/p_fail)), n = Ω(1))?"""
    return regime_status(kgmmn_harmful, values, **kwargs)


# ============================================================================ KGMMN max-margin norm
kgmmn_wstar_signal = define(
    "kgmmn_wstar_signal", C_kg_w3 * sp.sqrt(1 / gamma_sig + k / (1 - gamma_sig)),
    quantity="‖w*‖, norm of the hard-margin linear classifier",
    source=f"{_KG}, Lemma B.3 [paper] (w = v/√γ + 2z/√(1−γ), z fits the corrupted points' noise)",
    provenance=Provenance.PAPER, side=Side.UPPER,
    domain=(*_GAMMA, d >= C_kg_dlog * (n + sp.log(1 / p_fail)), p_fail < 1),
    assumptions=(_DATA, "holds with probability ≥ 1 − p_fail (noise conditioning, Lemma 4.1)"),
    untestable=("not decided by a check: ‖w*‖ is recorded (wstar_norm) but refuting C·√(1/γ + k/(1−γ)) needs a γ- and"
                " k-sweep at fixed (n, d) with the hidden constant free, which no quick profile runs"),
)

kgmmn_wstar_noise = define(
    "kgmmn_wstar_noise", C_kg_w4 * sp.sqrt(n / (1 - gamma_sig)),
    quantity="‖w*‖, norm of the hard-margin linear classifier",
    source=f"{_KG}, Lemma B.4 [paper] (fit every point by its noise alone)",
    provenance=Provenance.PAPER, side=Side.UPPER,
    domain=(*_GAMMA, d >= C_kg_dlog * (n + sp.log(1 / p_fail)), p_fail < 1),
    assumptions=(_DATA, "holds with probability ≥ 1 − p_fail"),
    notes="combined: ‖w*‖ ≤ C·min(√(n/(1−γ)), √(1/γ + k/(1−γ))) — kept as two bounds (no Min in lambdify)",
    untestable=("not decided by a check: ‖w*‖ is recorded (wstar_norm), but C·√(n/(1−γ)) with a free constant is only"
                " refutable by an n-sweep of ‖w*‖ that no check runs"),
)

# ============================================================================ KGMMN Lemma C.1 (linear)
_LIN_SNR2 = d * gamma_sig / (1 - gamma_sig) * a_v**2 / z_norm**2
_LIN_DOMAIN = _GAMMA
_LIN_ASSUME = ("linear classifier w = a_v·v + z with z ⊥ v and a_v ≥ 0", _DATA)

kgmmn_linear_error = define(
    "kgmmn_linear_error", Phi(-sp.sqrt(gamma_sig * d / (1 - gamma_sig)) * a_v / z_norm),
    quantity="clean test error P(y⟨w, x⟩ ≤ 0) of a linear classifier",
    source=f"{_KG}, Lemma C.1: y⟨w, x⟩ ~ N(√γ·a_v, (1−γ)‖z‖²/d) [paper]; the closed form is derived, {_HB} §1.5",
    provenance=Provenance.DERIVED, side=Side.EXACT, domain=_LIN_DOMAIN, assumptions=_LIN_ASSUME,
    notes="Φ via erfc: finite and accurate far into the tail (no 1 + erf cancellation)",
    untestable=("not decided by a check: it is the exact Gaussian identity the measurement itself uses to compute "
                "lin_err (empirical.benign.metrics), so the data cannot test it independently"),
)

kgmmn_linear_error_upper = define(
    "kgmmn_linear_error_upper", sp.exp(-_LIN_SNR2 / 2),
    quantity="clean test error of a linear classifier", source=f"{_KG}, Lemma C.1 (upper) [paper]",
    provenance=Provenance.PAPER, side=Side.UPPER, domain=_LIN_DOMAIN, assumptions=_LIN_ASSUME,
    untestable=("not decided by a check: a Chernoff bound implied by the exact Φ form (kgmmn_linear_error), true by "
                "the Gaussian tail inequality, no data can refute it"),
)

kgmmn_linear_error_lower_exp = define(
    "kgmmn_linear_error_lower_exp", sp.exp(-6 * _LIN_SNR2 / sp.pi) / 4,
    quantity="clean test error of a linear classifier", source=f"{_KG}, Lemma C.1 (lower, exponential branch) [paper]",
    provenance=Provenance.PAPER, side=Side.LOWER, domain=_LIN_DOMAIN, assumptions=_LIN_ASSUME,
    notes="the proof yields the stronger constant 2/π in place of 6/π (§1.5)",
    untestable=("not decided by a check: a Gaussian-tail inequality implied by the exact Φ form; true analytically "
                "(tests/benign/test_benign_bounds.py checks it numerically), so no measurement can refute it"),
)

kgmmn_linear_error_lower_lin = define(
    "kgmmn_linear_error_lower_lin", sp.Rational(1, 2) - sp.sqrt(_LIN_SNR2 / (2 * sp.pi)),
    quantity="clean test error of a linear classifier", source=f"{_KG}, Lemma C.1 (lower, linear branch) [paper]",
    provenance=Provenance.PAPER, side=Side.LOWER, domain=_LIN_DOMAIN, assumptions=_LIN_ASSUME,
    untestable=("not decided by a check: an analytic consequence of the exact Φ form (Φ(−x) ≥ ½ − x/√(2π)); no "
                "measurement can refute it"),
)

# ============================================================================ KGMMN Appendix D criteria
kgmmn_benign_snr_threshold = define(
    "kgmmn_benign_snr_threshold",
    C_kg_d2 * sp.sqrt((1 - gamma_sig) * m * sp.log(1 / eps) / (gamma_sig * d)),
    quantity="A_min/‖Z‖_F at or above which the test error is ≤ ε",
    source=f"{_KG}, Lemma D.2 [paper]", provenance=Provenance.PAPER, side=Side.LOWER,
    domain=(*_GAMMA, eps < 1),
    notes="A_min = min(A_1, A_{−1}), A_1 = f(W, v), A_{−1} = −f(W, −v); Z = rows of W orthogonal to v",
    untestable=("not decided by a check: Lemma D.2's threshold carries a free constant C₂ and ε; the A_min/‖Z‖ ratios"
                " are recorded (lemma_D_snr_first_seed) and reported, but a sufficient condition with a free constant"
                " has no refutable consequence at fixed sizes"),
)

kgmmn_harmful_snr_threshold = define(
    "kgmmn_harmful_snr_threshold", C_kg_d4 * sp.sqrt((1 - gamma_sig) / (gamma_sig * d)),
    quantity="A_lin/‖z_lin‖ at or below which (with A_lin ≥ 0) the test error is ≥ 1/8",
    source=f"{_KG}, Lemma D.4 [paper]", provenance=Provenance.PAPER, side=Side.UPPER, domain=_GAMMA,
    notes="A_lin = Σ_j (−1)^j a_j, z_lin = Σ_j (−1)^j z_j; A_lin ≤ 0 gives error ≥ 1/4",
    untestable=("not decided by a check: Lemma D.4's threshold has a free constant; the scaled A_lin/‖z_lin‖ is "
                "reported by kgmmn_gamma_transition, but a sufficient condition with a free constant cannot be "
                "refuted at fixed sizes"),
)
