"""Training-convergence statements for two-layer nets with the first layer trained.

Du, Zhai, Póczos & Singh (ICLR 2019, arXiv 1810.02054), "DZPS", and Arora, Du, Hu, Li & Wang
(ICML 2019, arXiv 1901.08584), "ADHLW". Statements are [recalled] in the theory pages
(docs/theory/convergence.md §1–§2): the structure is high-confidence, the constants are not, so every O(·)/Ω(·)
is a named hidden constant. The leaky-ReLU versions replace λ_0 by λ_min of the trained network's
own Gram (H̃_α for the rescaled net, docs/theory/README.md N1–N2); Panigrahi–Shetty–Goyal (ICLR 2020) state such a
DZPS-type theorem for general activations [recalled].

Losses are sums over samples: L(W) = ½‖y − u‖² with u_i the network output on x_i.
"""

from __future__ import annotations

import sympy as sp

from bounds.core import Provenance, Side
from bounds.registry import define
from bounds.symbols import eps, eta, hidden_constant, kappa_init, lam, lam_i, m, n, p_fail, proj, t, tau

__all__ = [
    "adhlw_epsilon",
    "arora_mode_residual",
    "du_gd_loss_ratio",
    "du_gradient_flow_loss_ratio",
    "du_gram_concentration",
    "du_iterations",
    "du_step_size",
    "du_width",
    "linearized_log_loss_slope",
]

_CONV = "docs/theory/convergence.md"
C_du_width = hidden_constant("C_du_width", "Ω(·) constant of the DZPS width requirement m = Ω(n⁶/(λ⁴p³))")
C_du_step = hidden_constant("C_du_step", "O(·) constant of the DZPS step size η = O(λ/n²)")
C_du_iter = hidden_constant("C_du_iter", "O(·) constant of the DZPS iteration count O((n²/λ²)·log(1/ε))")

C_du_conc = hidden_constant("C_du_conc", "O(·) constant of ‖H(0) − H^∞‖₂ = O(n·√(log(n/p)/m)) (DZPS Lemma 3.1)")

_WIDTH = m >= C_du_width * n**6 / (lam**4 * p_fail**3)
_STEP = eta <= C_du_step * lam / n**2

du_width = define(
    "du_width", C_du_width * n**6 / (lam**4 * p_fail**3),
    quantity="width m that DZPS Thm 4.1 requires",
    source="DZPS19, Theorem 4.1 (and Thm 3.2) — recalled",
    provenance=Provenance.RECALLED, side=Side.LOWER,
    notes="λ = λ_min of the network's Gram (DZPS: λ_0 = λ_min(H^∞)); hidden constant C_du_width",
    untestable=('a sufficient width with a hidden constant C_du_width: every finite run is consistent with some '
                'constant, and narrower nets converge too (the condition is not necessary), so no measurement can'
                ' refute it; du_gd_bound gates on the measured lazy regime instead')
)

du_step_size = define(
    "du_step_size", C_du_step * lam / n**2,
    quantity="step size η that DZPS Thm 4.1 allows",
    source="DZPS19, Theorem 4.1 — recalled",
    provenance=Provenance.RECALLED, side=Side.UPPER,
    notes="in practice η is limited by 2/λ_max ≈ O(d/n), far larger than this (docs/theory/convergence.md §1)",
    untestable=('a sufficient step size with a hidden constant C_du_step: runs at larger η also converge and any '
                'η is below C·λ/n² for some C; du_gd_bound gates on the measured η·λ_max < 2 instead')
)

du_gd_loss_ratio = define(
    "du_gd_loss_ratio", (1 - eta * lam / 2) ** t,
    quantity="‖y − u(t)‖²/‖y − u(0)‖² after t full-batch GD steps",
    source="DZPS19, Theorem 4.1 — recalled; leaky-ReLU form with "
           "λ = λ_min(H̃_α) via PSG20 [recalled]",
    provenance=Provenance.RECALLED, side=Side.UPPER,
    domain=(eta * lam < 2, _WIDTH, _STEP),
    assumptions=("unit-norm inputs, no two parallel", "|y_i| ≤ C", "w_r(0) ~ N(0, I), a_r ~ Unif{±1} fixed",
                 "holds with probability ≥ 1 − p_fail"),
    notes="the width and step-size relations carry hidden constants, so a finite run can only be "
          "'undetermined' with respect to them",
)

du_gradient_flow_loss_ratio = define(
    "du_gradient_flow_loss_ratio", sp.exp(-lam * tau),
    quantity="‖y − u(τ)‖²/‖y − u(0)‖² under gradient flow for time τ",
    source="DZPS19, Theorem 3.2 — recalled",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(_WIDTH,),
    notes="DZPS state exp(−λ_0 τ) with λ_0 = λ_min(H^∞) = λ_min(H̃_0)/2 for unscaled ReLU",
    untestable=('a gradient-flow statement: GD runs only approximate the flow to O(η·λ_max) per step; its '
                'discrete counterpart du_gd_loss_ratio is decided by du_gd_bound')
)

du_iterations = define(
    "du_iterations", C_du_iter * n**2 / lam**2 * sp.log(1 / eps),
    quantity="GD iterations to reach loss ratio ε with η ∝ λ/n²",
    source="DZPS19, consequence of Theorem 4.1 — recalled",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(eps < 1,),
    untestable=('an upper bound with a hidden constant whose n²/λ² factor is the worst case of the step size η = '
                'O(λ/n²); at affordable step sizes T ∝ 1/(ηλ), so no finite run contradicts it; the late linear '
                'rate it rests on is tested by du_gd_bound')
)

arora_mode_residual = define(
    "arora_mode_residual", (1 - eta * lam_i) ** t * sp.Abs(proj),
    quantity="|v_iᵀ(y − u(t))|, the residual along eigenvector v_i of the Gram (λ_i its eigenvalue)",
    source="ADHLW19, Theorem 4.1 — recalled: "
           "‖y − u(t)‖ = √(Σ_i (1 − ηλ_i)^{2t}(v_iᵀy)²) ± ε",
    provenance=Provenance.RECALLED, side=Side.APPROX, domain=(eta * lam_i < 2,),
    assumptions=("small initialisation κ_init so that u(0) ≈ 0", "m large, η = O(λ_0/n²)"),
    notes="sum the squares over the n modes for ‖y − u(t)‖ (empirical.two_layer.dynamics.predicted_residual)",
)

C_adhlw = hidden_constant("C_adhlw", "constant of ADHLW's width requirement m = Ω(n⁷/(λ⁴κ²p⁴ε²)), solved for ε")

adhlw_epsilon = define(
    "adhlw_epsilon", C_adhlw * n ** sp.Rational(7, 2) / (lam**2 * kappa_init * p_fail**2 * sp.sqrt(m)),
    quantity="ε, the error of ‖y − u(t)‖ ≈ √(Σ_i (1 − ηλ_i)^{2t}(v_iᵀy)²) that width m guarantees",
    source="ADHLW19, Theorem 4.1 width condition m = Ω(n⁷/(λ_0⁴κ²p⁴ε²)) — recalled, "
           "solved for ε",
    provenance=Provenance.RECALLED, side=Side.UPPER,
    notes="the testable prediction is ε ∝ m^(-1/2); the n, λ, κ powers are loose worst-case exponents",
)

linearized_log_loss_slope = define(
    "linearized_log_loss_slope", 2 * sp.log(1 - eta * lam),
    quantity="late-phase slope of log‖y − u(t)‖² per GD step (slowest eigen-mode)",
    source=f"{_CONV} preamble: r(t+1) ≈ (I − ηH)r(t) in the lazy regime [derived]",
    provenance=Provenance.DERIVED, side=Side.APPROX, domain=(eta * lam < 1,),
    notes="≈ −2ηλ_min; the Gram drifts during finite-width training (docs/theory/convergence.md §6.7), so compare "
          "orderings or early phases, not this absolute value late in training",
    untestable=('the asymptotic slope of the slowest mode is reached only after t ≫ 1/(η(λ₂ − λ₁)) steps, beyond '
                '10⁵ at n = 40 with η·λ_max < 2; du_gd_bound tests the full mode-sum rate of the same linearised '
                "dynamics over the run's window instead")
)

du_gram_concentration = define(
    "du_gram_concentration", C_du_conc * n * sp.sqrt(sp.log(n / p_fail) / m),
    quantity="‖H(0) − H^∞‖₂, the spectral distance of the width-m Gram at initialisation from its limit",
    source="DZPS19, Lemma 3.1 — recalled (entrywise Hoeffding + Frobenius norm); "
           f"{_CONV.replace('docs/theory/convergence.md', 'docs/theory/kernels.md')} §10",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(p_fail < 1, n >= 2),
    notes="holds w.p. ≥ 1 − p_fail; the testable prediction is the m^(-1/2) rate (exponent in m), not C_du_conc",
)
