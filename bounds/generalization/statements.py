"""Generalisation bounds: ADHLW's data-dependent complexity, Cao & Gu's NTRF/NTK bounds, and a
CG20-type trajectory bound in α, L, m, n, η and the number of epochs K.

Sources and provenance (``docs/theory/generalization.md``; nothing here is GLL's own bound, which is
**unknown**):

* **ADHLW** — Arora, Du, Hu, Li, Wang (ICML 2019, arXiv 1901.08584), Theorem 5.1 [recalled]: for the
  two-layer net with the first layer trained, after t ≥ Ω(log(n/p_fail)/(ηλ_0)) GD steps, w.p. ≥ 1 − p_fail,

      L_D(f_W(t)) ≤ √(2·yᵀ(H^∞)⁻¹y/n) + O(√(log(n/(λ_0·p_fail))/n))

  for a 1-Lipschitz loss bounded in [0, 1] (so also for the 0-1 error of ±1 labels). The leaky-ReLU version
  uses the network's own Gram H̃_α [inferred] (§2). ``quad_y`` is the number yᵀH⁻¹y, computed from data
  (solve, never an explicit inverse): see :func:`empirical.generalization.train.label_quadratic_form`.
* **CG19** — Cao & Gu (NeurIPS 2019, arXiv 1905.13210), Theorem 3.3 and its NTK-form corollary
  [recalled, medium-high] (§3): the expected 0-1 error of SGD is at most 4× the NTRF training loss
  + O(LR/√n) + O(√(log(1/p_fail)/n)), and in NTK form Õ(L·√(ỹᵀΘ⁻¹ỹ/n)) + O(√(log(1/p_fail)/n)); taking ỹ = y
  gives a computable upper bound on the infimum. CG19 count L as *all* layers.
* **Trajectory schematic** — §4–§5.1 [inferred]: a CG20-type bound (Cao & Gu, AAAI 2020, proof shape
  recalled: training loss after K GD steps + complexity of the ball of radius τ_K around W^(0), over √n,
  + confidence term) with GLL's *inferred* rate (docs/theory/convergence.md §6.4) plugged in:

      ε_test(K, α) ≲ F̂_0·ρ_α^K + C_cx·C_depth^L·√m·g_α^p_jump·τ_K(α)/√n + C_conf·√(log(1/p_fail)/n),
      ρ_α = 1 − C_rate·η·c_α·δm/(dn²),   τ_K(α) = η·C_grad·g_α·√F̂_0·Σ_{t<K} ρ_α^{t/2}.

  τ_K is the path length η·Σ_t‖∇F(W^(t))‖ under the schematic's gradient bound ‖∇F‖ ≤ C_grad·g_α·√F with
  F_t = F̂_0·ρ_α^t [derived from the schematic]. The complexity's dependence on the jump constants of σ̃_α is
  unknown; it is the free exponent ``p_jump`` (0: α enters only through τ_K; 1: one factor g_α). The
  exponential depth factor C_depth^L is CG20's proof shape [recalled]; its base is unknown.

Hidden O(·)/Ω(·) constants are named positive symbols (docs/theory/README.md, "How to encode a bound honestly");
the regime analysis (where α = −1 minimises the schematic) is in :mod:`bounds.generalization.regime`.
"""

from __future__ import annotations

import sympy as sp

from bounds.core import Provenance, Side
from bounds.registry import define
from bounds.symbols import (
    F_0,
    K,
    L,
    R_ntrf,
    alpha,
    d,
    delta,
    eta,
    hidden_constant,
    lam,
    m,
    n,
    ntrf_loss,
    p_fail,
    p_jump,
    p_log,
    quad_y,
    t,
)

__all__ = [
    "adhlw_complexity",
    "adhlw_complexity_worst_case",
    "adhlw_distance",
    "adhlw_generalization",
    "cg19_ntk_bound",
    "cg19_ntrf_bound",
    "traj_gap_term",
    "traj_radius",
    "traj_training_term",
    "trajectory_bound",
    "trajectory_parts",
]

_GEN = "docs/theory/generalization.md"

#: c_α = g_α² and g_α, the α-factors of the inferred GLL lemmas (docs/theory/convergence.md §6.3)
C_ALPHA = (1 - alpha) ** 2 / (1 + alpha**2)
G_ALPHA = (1 - alpha) / sp.sqrt(1 + alpha**2)

# ----------------------------------------------------------------------------- ADHLW (ICML 2019)
C_adhlw = hidden_constant("C_adhlw", "O(·) constant of the ADHLW Thm 5.1 confidence term "
                                     "O(√(log(n/(λ_0 p_fail))/n))")
C_adhlw_steps = hidden_constant("C_adhlw_steps", "Ω(·) constant of the ADHLW step count "
                                                 "t ≥ Ω(log(n/p_fail)/(ηλ_0))")

_ADHLW_SRC = "ADHLW19, Theorem 5.1 — recalled"

adhlw_complexity = define(
    "adhlw_complexity", sp.sqrt(2 * quad_y / n),
    quantity="ADHLW data-dependent complexity √(2yᵀH⁻¹y/n) (quad_y = yᵀH⁻¹y)",
    source=f"{_ADHLW_SRC} (the leading term of the bound); leaky-ReLU version with H = H̃_α [inferred], "
           f"{_GEN} §2",
    provenance=Provenance.RECALLED,
    notes="computable from the training set (empirical.generalization.train.label_quadratic_form); for random ±1 labels "
          "E[quad_y] = tr(H⁻¹) ≥ n²/tr(H) = n for the normalised Gram (tr H̃_α = n), so the measure is ≥ √2 "
          "on average [derived]",
)

adhlw_generalization = define(
    "adhlw_generalization", sp.sqrt(2 * quad_y / n) + C_adhlw * sp.sqrt(sp.log(n / (lam * p_fail)) / n),
    quantity="population loss L_D(f_W(t)) of a 1-Lipschitz loss in [0, 1] with ℓ(y, y) = 0 (hence the 0-1 "
             "error for ±1 labels), lam = λ_0 = λ_min of the Gram",
    source=f"{_ADHLW_SRC}; leaky-ReLU version with H̃_α and λ_min(H̃_α) [inferred], {_GEN} §2",
    provenance=Provenance.RECALLED, side=Side.UPPER,
    domain=(p_fail < 1, n >= 2, t >= C_adhlw_steps * sp.log(n / p_fail) / (eta * lam)),
    assumptions=("two-layer net, first layer trained, a_r ∈ {±1} fixed, w_r(0) ~ N(0, κ_init²I)",
                 "data i.i.d. from a (λ_0, p_fail/3, n)-non-degenerate distribution",
                 "κ_init = O(λ_0·p_fail/n) and m ≥ κ_init⁻²·poly(n, 1/λ_0, 1/p_fail)",
                 "holds with probability ≥ 1 − p_fail"),
    notes="hidden constants C_adhlw (additive, label-independent term) and C_adhlw_steps (step count); the "
          "measure alone is adhlw_complexity",
)

adhlw_complexity_worst_case = define(
    "adhlw_complexity_worst_case", sp.sqrt(2 / lam),
    quantity="ADHLW complexity √(2yᵀH⁻¹y/n) for labels with |y_i| ≤ 1 (lam = λ_min(H))",
    source=f"{_GEN} §2 'Facts' [recalled]: yᵀH⁻¹y ≤ ‖y‖²/λ_0 ≤ n/λ_0",
    provenance=Provenance.RECALLED, side=Side.UPPER,
    notes="λ_min controls the worst case; the bound is attained when y lies along the bottom eigenvector",
    untestable=("a linear-algebra inequality (yᵀH⁻¹y ≤ ‖y‖²/λ_min for every positive-definite H and |y_i| ≤ 1): "
                "no measurement can refute it, only a wrong implementation; the exact complexity it bounds is "
                "decided by arora_complexity_noise"),
)

adhlw_distance = define(
    "adhlw_distance", sp.sqrt(quad_y),
    quantity="distance ‖W(t) − W(0)‖_F travelled by GD to convergence from u(0) ≈ 0",
    source=f"{_ADHLW_SRC} (key lemma of the proof of Thm 5.1), {_GEN} §2",
    provenance=Provenance.RECALLED, side=Side.APPROX,
    notes="in the linearised (lazy) dynamics from u(0) = 0 the distance after t steps is "
          "√(Σ_i (1 − (1 − ηλ_i)^t)²(v_iᵀy)²/λ_i) ≤ √quad_y [derived]",
    untestable=("the distance at convergence (t → ∞): the profiles' nets stop at η·λ_min·t < 1, where the lazy "
                "distance is far below √quad_y, and an APPROX statement of a proof lemma has no tolerance to refute; "
                "the measured distances are recorded by the label-noise experiment"),
)

# ----------------------------------------------------------------------------- CG19 (NeurIPS 2019)
C_cg19 = hidden_constant("C_cg19", "O(·) constant of the CG19 Thm 3.3 complexity term O(L·R/√n)")
C_cg19_ntk = hidden_constant("C_cg19_ntk", "Õ(·) constant of the CG19 NTK-form corollary Õ(L·√(ỹᵀΘ⁻¹ỹ/n))")
C_cg19_conf = hidden_constant("C_cg19_conf", "O(·) constant of the CG19 confidence term O(√(log(1/p_fail)/n))")
C_cg19_width = hidden_constant("C_cg19_width", "Õ(poly(R, L)) factor of the CG19 width m* = Õ(poly(R,L))·n⁷·"
                                               "log(1/p_fail)")

_CG19_SRC = "CG19"
_CG19_DOMAIN = (p_fail <= sp.exp(-1), m >= C_cg19_width * n**7 * sp.log(1 / p_fail))

cg19_ntrf_bound = define(
    "cg19_ntrf_bound",
    4 * ntrf_loss + C_cg19 * L * R_ntrf / sp.sqrt(n) + C_cg19_conf * sp.sqrt(sp.log(1 / p_fail) / n),
    quantity="E[L_D^{0-1}(Ŵ)], expected 0-1 error of one-pass SGD output Ŵ (uniform over the n iterates)",
    source=f"{_CG19_SRC}, Theorem 3.3 — recalled (medium-high), {_GEN} §3",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=_CG19_DOMAIN,
    assumptions=("deep ReLU net f_W = √m·W_L σ(…σ(W_1x)), x ∈ S^{d−1}, all layers trained; L counts all layers",
                 "one-pass SGD, step η = c_η·R/(m√n), logistic loss", "holds with probability ≥ 1 − p_fail"),
    notes="ntrf_loss = inf over F(W^(1), R) of (1/n)Σ log(1 + exp(−y_i f(x_i))); width-independent bound",
    untestable=("needs the NTRF infimum over the ball F(W⁽¹⁾, R), which the toolkit does not compute, and holds for "
                "one-pass SGD of deep ReLU nets at m ≥ Õ(n⁷) with unbounded hidden constants C_cg19, C_cg19_conf: "
                "no finite error can exceed it for some constant"),
)

cg19_ntk_bound = define(
    "cg19_ntk_bound",
    C_cg19_ntk * L * sp.log(n) ** p_log * sp.sqrt(quad_y / n) + C_cg19_conf * sp.sqrt(sp.log(1 / p_fail) / n),
    quantity="E[L_D^{0-1}], expected 0-1 error of SGD (quad_y = ỹᵀΘ⁻¹ỹ for labels ỹ with y_iỹ_i ≥ 1; ỹ = y "
             "gives an upper bound on the infimum)",
    source=f"{_CG19_SRC}, corollary of Theorem 3.3 (NTK form) — recalled, {_GEN} §3; leaky-ReLU version with "
           "the normalised leaky NTK [inferred]",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=(*_CG19_DOMAIN, n >= 2),
    notes="Õ(·) is encoded as log(n)^p_log with unknown power p_log (an encoding choice, README rule 1); "
          "α enters only through the kernel Θ",
    untestable=("an upper bound whose only data-dependent term carries an unbounded constant C_cg19_ntk (and an "
                "unknown log power p_log), for one-pass SGD at m ≥ Õ(n⁷): every measured error is consistent with a "
                "large enough constant; its core √(yᵀΘ_α⁻¹y/n) is reported against the error (arora_bound_vacuity, "
                "finding G4)"),
)

# ----------------------------------------------------------------------------- CG20-type trajectory schematic
C_rate = hidden_constant("C_rate", "Ω(·) constant of the inferred GLL per-step contraction "
                                   "1 − C_rate·η·c_α·δm/(dn²) (docs/theory/convergence.md §6.4)")
C_grad = hidden_constant("C_grad", "constant of the schematic gradient upper bound ‖∇F‖ ≤ C_grad·g_α·√F "
                                   "(docs/theory/generalization.md §5.1)")
C_cx = hidden_constant("C_cx", "constant of the complexity term C_cx·Comp(τ, L, m)/√n of the trajectory bound")
C_depth = hidden_constant("C_depth", "base of the exponential-in-L factor of the ball complexity (CG20 proof shape)")
C_conf = hidden_constant("C_conf", "O(·) constant of the trajectory bound's confidence term "
                                   "O(√(log(1/p_fail)/n))")

def trajectory_parts(c_factor: sp.Expr, g_factor: sp.Expr) -> dict[str, sp.Expr]:
    """The schematic's pieces with the α-factors given explicitly (c_α and g_α = √c_α for the registered bounds).

    Returns ``rate`` (a·c with a = C_rate·η·δm/(dn²)), ``training`` (F̂_0·(1 − rate)^K), ``radius`` (τ_K),
    ``gap`` (complexity + confidence terms) and ``total``. :mod:`bounds.generalization.regime` calls it with a
    free symbol c to analyse the bound as a function of c_α.
    """
    rate = C_rate * eta * c_factor * delta * m / (d * n**2)
    rho_ = 1 - rate
    # Σ_{t<K} ρ^{t/2} = (1 − ρ^{K/2})/(1 − √ρ), written with 1 − √ρ = rate/(1 + √ρ) so that a per-step rate near
    # 0 does not cancel catastrophically in floating point (the numerator still loses ~1e-16/(rate·K) relatively)
    path_sum = (1 - rho_ ** (K / 2)) * (1 + sp.sqrt(rho_)) / rate
    training = F_0 * rho_**K
    radius = eta * C_grad * g_factor * sp.sqrt(F_0) * path_sum
    gap = (C_cx * C_depth**L * sp.sqrt(m) * g_factor**p_jump * radius / sp.sqrt(n)
           + C_conf * sp.sqrt(sp.log(1 / p_fail) / n))
    return {"rate": rate, "training": training, "radius": radius, "gap": gap, "total": training + gap}


_PARTS = trajectory_parts(C_ALPHA, G_ALPHA)
#: per-step contraction amount C_rate·η·c_α·δm/(dn²); ρ_α = 1 − RATE
RATE = _PARTS["rate"]
_ALPHA_DOMAIN = (alpha >= -1, alpha < 1)
_TRAJ_SRC = ("CG20-type trajectory bound (proof shape recalled) with "
             "GLL24's inferred rate — a schematic, NOT GLL24's bound (unknown)")
_TRAJ_NOTES = ("[inferred] schematic: use it to explore regimes and to phrase orderings, never for absolute values; "
               "whether α = −1 loses elsewhere depends on how the jump constants enter Comp (unknown: p_jump)")

traj_training_term = define(
    "traj_training_term", _PARTS["training"],
    quantity="training loss F̂_K(α) after K full-batch GD epochs (inferred GLL rate)",
    source=f"{_GEN} §5.1 training term; rate from docs/theory/convergence.md §6.4 (AZLS19 with δ → c_α·δ) [inferred]",
    provenance=Provenance.INFERRED, side=Side.APPROX,
    domain=(*_ALPHA_DOMAIN, RATE < 1),
    notes="decreasing in c_α at every K ≥ 1, hence ordered by c_α with α = −1 smallest [derived]",
)

traj_radius = define(
    "traj_radius", _PARTS["radius"],
    quantity="radius τ_K(α) = η·Σ_{t<K}‖∇F(W^(t))‖ of the ball around W^(0) reached after K epochs",
    source=f"{_GEN} §5.1 'Distance travelled under the inferred rate' (geometric sum of C_grad·g_α·√F_t) [inferred]",
    provenance=Provenance.INFERRED, side=Side.UPPER,
    domain=(*_ALPHA_DOMAIN, RATE < 1),
    notes="early (ηC_rate c_α δmK/(dn²) ≪ 1): ≈ η·C_grad·g_α·√F̂_0·K, grows with g_α; converged (K → ∞): "
          "≈ 2·C_grad·√F̂_0·dn²/(C_rate δ m g_α), shrinks with g_α (η cancels)",
)

traj_gap_term = define(
    "traj_gap_term", _PARTS["gap"],
    quantity="generalisation gap ε_test − F̂_K after K epochs (complexity + confidence terms)",
    source=f"{_TRAJ_SRC}; {_GEN} §5.1 [inferred]",
    provenance=Provenance.INFERRED, side=Side.UPPER,
    domain=(*_ALPHA_DOMAIN, RATE < 1, p_fail < 1),
    notes="increasing and concave in K (∝ 1 − ρ_α^{K/2}) for every positive constant [derived]; linear in K "
          "early, saturating at K → ∞. " + _TRAJ_NOTES,
)

trajectory_bound = define(
    "trajectory_bound", _PARTS["total"],
    quantity="test error ε_test(K, α) after K full-batch GD epochs",
    source=f"{_TRAJ_SRC}; {_GEN} §5.1 [inferred]",
    provenance=Provenance.INFERRED, side=Side.UPPER,
    domain=(*_ALPHA_DOMAIN, RATE < 1, p_fail < 1),
    assumptions=("AZLS/GLL architecture: only W_1..W_L trained, A and B frozen (L counts trained matrices)",
                 "full-batch GD for K epochs with step η; i.i.d. data with separation δ",
                 "holds with probability ≥ 1 − p_fail"),
    notes=_TRAJ_NOTES + "; regime analysis: bounds.generalization.regime",
    untestable=("the schematic's value needs five hidden constants and p_jump and is [inferred] (for orderings "
                "only); its refutable parts are decided separately: traj_training_term (early_stopping_alpha_order), "
                "traj_gap_term and traj_radius (generalization_gap_epochs)"),
)
