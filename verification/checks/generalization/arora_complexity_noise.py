"""ADHLW's complexity under label noise: growth with p, ranking of the test error, finite-width agreement."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

import bounds as B
from bounds import Bound
from verification.check import Decision, Measurements, Mutant, Verdict
from verification.checks.generalization._common import FW_FAMILY, TAU_FAMILY, NoiseExperiment, diverged, groups, key
from verification.rules import seed_spread
from verification.rules.intervals import t_interval
from verification.rules.power import detectable, power_entry
from verification.rules.ranks import kendall_tau_blocked, tau_verdict
from verification.rules.regime import Condition, gate_reason
from verification.rules.verdicts import combine

#: power targets (see the class docstring and docs/checks/arora_complexity_noise.md)
_FW_TARGET = 0.10  # relative error of yᵀH⁻¹y a kernel half-step error exceeds (they change q by ≥ 30 %)
#: log √2: the complexity grows by a factor √2 from the smallest to the largest noise level — ADHLW's §5 separation
#: of true from (partly) random labels is several-fold, so a √2 growth is the smallest effect that claim needs
_GROWTH_TARGET = math.log(math.sqrt(2))


class AroraComplexityNoise(NoiseExperiment):
    """ADHLW's complexity √(2yᵀH̃_α⁻¹y/n) grows with label noise, ranks the test error, and is the trained
    network's own complexity.

    Measurement (per dataset and seed): exact-count label noise p on the training labels; first-layer GD on the
    squared loss for a fixed number of epochs at α ∈ {0, −1}; clean and noisy test 0-1 error; the complexity
    of the network's own finite-width Gram at initialisation (width M and M/2, several draws).
    Prediction: q = yᵀH⁻¹y with H the encoded kernel (role ``gram``) and the complexity (role ``complexity``).
    Refutable features and rules: (a) growth with p — Kendall τ(p, complexity) within seeds AND the paired effect
    log(C(p_max)/C(p_min)) over seeds, both significantly > 0 (violated if either is significantly < 0); (c) the exact
    kernel — the finite-width ratio q_M/q lies in [1, 1 + b/(√2 − 1)] within its t-interval, b = q_{M/2}/q_M − 1
    the measured finite-width bias. The ranking of the test error (ADHLW's §5 observation, not implied by an
    upper bound) is reported for the trained nets and for the t → ∞ lazy network, not judged.
    Power: targets 10 % relative error of q (finite width) and a growth by √2 over the noise range.
    Regime: no divergence; the encoded Gram positive definite (q defined); M ≥ 10·n (lazy finite-width Gram).
    """

    name = "arora_complexity_noise"
    default_seeds = {"quick": 8, "full": 8}  # 8: powered on every seed set (false_alarm_rates.md)
    claim = ("Arora et al.'s data-dependent complexity √(2yᵀH⁻¹y/n), with H the network's Gram H̃_α, is the "
             "network's own (finite-width) complexity and grows with the label-noise fraction (synthetic data and "
             "scikit-learn digits); its ranking of the measured test error is reported.")
    source = ("ADHLW19, Theorem 5.1 and §5 experiments — recalled; leaky-ReLU version "
              "[inferred]: docs/theory/generalization.md §2, docs/theory/convergence.md §2")
    bound_roles = {"complexity": "adhlw_complexity", "gram": "H_tilde"}

    def mutants(self) -> list[Mutant]:
        a, r = B.alpha, B.rho
        c = B.c_alpha.expr
        lin = (1 - c / 2) * r
        return [
            Mutant("quadratic_form_inverted", "exponent",
                   "complexity √(2n/(yᵀH⁻¹y)) — the quadratic form with its exponent flipped",
                   {"complexity": B.adhlw_complexity.mutant(sp.sqrt(2 * B.n / B.quad_y),
                                                            "exponent of yᵀH⁻¹y flipped")}),
            Mutant("dzps_unnormalised_gram", "kernel",
                   "H = ((1+α²)/2)·H̃_α, the unnormalised (DZPS-style) Gram, for the normalised network (N5)",
                   {"gram": B.H_tilde.mutant((1 + a**2) / 2 * B.H_tilde.expr, "unnormalised Gram")}),
            Mutant("nonlinear_coefficient_unnormalised", "alpha-factor",
                   "H̃_α with the unnormalised nonlinear coefficient (1−α)²/(2π) in place of c_α/π (N5 mix-up)",
                   {"gram": B.H_tilde.mutant(lin + (1 - a) ** 2 / (2 * sp.pi) * r * sp.asin(r), "(1−α)²/2π")}),
            Mutant("c_alpha_unsquared", "alpha-factor",
                   "H̃_α with c_α = (1−α)/(1+α²): the jump factor (1−α) unsquared (differs at α = −1)",
                   {"gram": B.H_tilde.mutant(r * (1 - (1 - a) / (1 + a**2) * sp.acos(r) / sp.pi), "(1−α) unsquared")}),
            Mutant("input_inner_product_dropped", "kernel",
                   "H̃_α without the factor ρ = xᵢᵀxⱼ (only the arc-cosine factor 1 − c_α·arccos(ρ)/π)",
                   {"gram": B.H_tilde.mutant(1 - c * sp.acos(r) / sp.pi, "ρ factor dropped")}),
            Mutant("g_alpha_for_c_alpha", "alpha-factor",
                   "H̃_α with g_α = (1−α)/√(1+α²) in place of c_α = g_α² (differs at α = −1)",
                   {"gram": B.H_tilde.mutant(
                       r * (1 - (1 - a) / sp.sqrt(1 + a**2) * sp.acos(r) / sp.pi), "g_α for c_α")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        return [Mutant("complexity_constant_doubled", "constant-structure",
                       "complexity √(4yᵀH⁻¹y/n): a larger leading constant (growth and ranking are scale-free)",
                       {"complexity": B.adhlw_complexity.mutant(sp.sqrt(4 * B.quad_y / B.n), "constant 2 → 4")})]

    @staticmethod
    def _with_complexity(rows: list[dict[str, Any]], bound: Bound) -> list[dict[str, Any]]:
        comp = bound.numpy()
        for r in rows:
            r["complexity"] = float(comp(quad_y=r["q"], n=r["n"])) if np.isfinite(r["q"]) else math.nan
        return rows

    @staticmethod
    def _finite_width(ok: Sequence[Mapping[str, Any]], fw_level: float) -> tuple[str, dict[str, Any], float]:
        """(c): per noise level, t-interval of q_M/q against [1, 1 + b/(√2 − 1)], b = mean(q_{M/2}/q_M − 1).

        Also the detectable relative error of q: allowance + detectable(se) at the test's level (worst level)."""
        fw, verdicts, worst = {}, [], 0.0
        for p in sorted({r["p"] for r in ok}):
            sel = [r for r in ok if r["p"] == p]
            ratios = [qw / r["q"] for r in sel for qw in r["q_width"]]
            if len(ratios) < 2:
                verdicts.append("inconclusive")
                worst = math.inf
                continue
            bias = float(np.mean([qh / qw - 1 for r in sel for qh, qw in zip(r["q_half"], r["q_width"], strict=True)]))
            allowance = max(bias, 0.0) / (math.sqrt(2) - 1)
            mean, se, hw = t_interval(ratios, fw_level)
            v = "violated" if (mean + hw < 1 or mean - hw > 1 + allowance) else "holds"
            verdicts.append(v)
            worst = max(worst, allowance + detectable(se, level=1 - fw_level, df=len(ratios) - 1))
            fw[key(p)] = {"ratio_mean": mean, "ci_halfwidth": hw, "allowed_upper": 1 + allowance, "verdict": v}
        return combine(verdicts).value, fw, worst

    @staticmethod
    def _growth(ok: Sequence[Mapping[str, Any]], tau_threshold: float) -> tuple[str, dict[str, Any], float]:
        """(a): Kendall τ(p, complexity) within seeds, and the effect size g = log(C(p_max)/C(0)) paired within each
        seed (same inputs), mean over seeds with its Student-t interval (rules.intervals.t_interval).

        Holds if τ and g are significantly > 0 at one-sided level ``tau_threshold``; violated if either is
        significantly < 0. Returns the verdict, the numbers and the detectable g."""
        t1 = kendall_tau_blocked([r["p"] for r in ok], [r["complexity"] for r in ok], [r["seed"] for r in ok])
        p_lo, p_hi = min(r["p"] for r in ok), max(r["p"] for r in ok)
        by_seed: dict[int, dict[float, float]] = {}
        for r in ok:
            by_seed.setdefault(r["seed"], {})[r["p"]] = r["complexity"]
        ratios = [c[p_hi] / c[p_lo] for c in by_seed.values() if p_lo in c and p_hi in c and c[p_lo] > 0]
        if len(ratios) < 2 or min(ratios) <= 0:
            return "inconclusive", {"kendall": t1, "why": "fewer than 2 seeds with both noise extremes"}, math.inf
        mean, se, hw = t_interval(np.log(ratios), 1 - 2 * tau_threshold)
        effect_v = "holds" if mean - hw > 0 else "violated" if mean + hw < 0 else "inconclusive"
        tau_v = tau_verdict(*t1, tau_threshold)
        v = "violated" if "violated" in (tau_v, effect_v) else "holds" if tau_v == effect_v == "holds" else "inconclusive"
        return v, {"kendall": {"tau": t1[0], "p_greater": t1[1], "p_less": t1[2], "verdict": tau_v},
                   "log_ratio_extremes": {"p": [p_lo, p_hi], "mean": mean, "se": se, "ci_halfwidth": hw,
                                          "verdict": effect_v}}, \
            detectable(se, level=tau_threshold, sides=1, df=len(ratios) - 1)

    def _group(self, tag: str, ok: Sequence[Mapping[str, Any]], tau_threshold: float, fw_level: float,
               params: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any], list[str]]:
        """Sub-tests (a) growth and (c) finite width of one (dataset, α) group; the rankings are reported."""
        seeds = [r["seed"] for r in ok]  # each seed is its own dataset: compare runs within a seed
        t2 = kendall_tau_blocked([r["complexity"] for r in ok], [r["test_error_clean"] for r in ok], seeds)
        t3 = kendall_tau_blocked([r["complexity"] for r in ok], [r["test_error_noisy"] - r["train_error"] for r in ok],
                                 seeds)
        lazy = all("lazy_test_error_clean" in r for r in ok)
        t4 = kendall_tau_blocked([r["complexity"] for r in ok], [r["lazy_test_error_clean"] for r in ok], seeds) \
            if lazy else (math.nan, math.nan, math.nan)
        fw_v, fw, fw_det = self._finite_width(ok, fw_level)
        growth_v, growth, growth_det = self._growth(ok, tau_threshold)
        parts = {f"{tag}: growth": growth_v, f"{tag}: finite width": fw_v}
        ps = sorted({r["p"] for r in ok})
        measured = {"growth": growth, "detectable": {"finite_width": fw_det, "growth_log_ratio": growth_det},
            "complexity_by_p": {key(p): seed_spread([r["complexity"] for r in ok if r["p"] == p]) for p in ps},
            "clean_test_error_by_p": {key(p): seed_spread([r["test_error_clean"] for r in ok if r["p"] == p])
                                      for p in ps},
            "kendall_complexity_test_error": {"tau": t2[0], "p_greater": t2[1], "p_less": t2[2]},
            "kendall_complexity_lazy_test_error": {"tau": t4[0], "p_greater": t4[1], "p_less": t4[2]},
            "kendall_complexity_noisy_gap": {"tau": t3[0], "p_greater": t3[1], "p_less": t3[2]},
            "finite_width_ratio_by_p": fw,
            "final_train_error_max": max(r["train_error"] for r in ok),
            "eta_lambda_min_epochs": float(np.mean([r["eta"] * r["lam_min"] for r in ok])) * params["epochs"],
        }
        findings = [f"{tag}: ranking (reported, not judged: an upper bound does not imply it): Kendall τ(complexity, "
                    f"clean test error) = {t2[0]:.2f} for the trained nets (one-sided p = {t2[1]:.2g}), "
                    f"{t4[0]:.2f} for the t → ∞ lazy network (p = {t4[1]:.2g})"]
        worst_train = max(r["train_error"] for r in ok if r["p"] > 0) if any(r["p"] > 0 for r in ok) else 0.0
        if worst_train > 0:
            findings.append(f"{tag}: after {params['epochs']} epochs the nets had not fitted the noisy labels "
                            f"(training error up to {worst_train:.2f}); ADHLW's theorem is about "
                            "t ≥ Ω(log(n/p_fail)/(ηλ_0)), so the test errors are those of partly trained nets")
        return parts, measured, findings

    @staticmethod
    def _alpha_findings(grouped: Mapping[tuple[str, float], Sequence[Mapping[str, Any]]]) -> list[str]:
        out = []
        for ds in sorted({k[0] for k in grouped}):
            alphas_ds = sorted(a for (d_, a) in grouped if d_ == ds)
            clean = {a: np.mean([r["complexity"] for r in grouped[(ds, a)] if r["p"] == 0]) for a in alphas_ds}
            if len(clean) > 1 and all(np.isfinite(list(clean.values()))):
                best = min(clean, key=clean.get)
                out.append(f"{ds}: clean-label complexity by α: " + ", ".join(f"α={a:g}: {v:.3f}" for a, v in clean.items())
                           + f" (smallest at α={best:g}; docs/theory/generalization.md §2: ∝ √(π/c_α) on ker Xᵀ)")
        return out

    @staticmethod
    def _rule(params: Mapping[str, Any], tau_threshold: float, n_tau: int, fw_level: float) -> str:
        return (f"(a) growth: Kendall τ between p and the complexity over the noise levels within each seed "
                "(stratified: each seed is its own dataset; normal approximation, tie-corrected) and the common "
                "effect log(C(p_max)/C(p_min)) paired within seeds (Student-t interval over seeds), for each "
                f"(dataset, α): holds if both are positive at one-sided level {tau_threshold:.2g} (family-wise "
                f"{TAU_FAMILY:g} over {n_tau} tests, Bonferroni), violated if either is significant in the opposite "
                f"direction. (c) exact kernel: ratio q_M/q of the finite-width yᵀH_M⁻¹y (width "
                f"M = {params['gram_width']}, {params['gram_draws']} draws × seeds) to the encoded one: Jensen "
                "(E[H_M] = H̃_α, inversion operator-convex) gives E[ratio] ≥ 1, so violated if the "
                f"{fw_level:.4f} t-interval lies below 1 or above 1 + b/(√2 − 1), where b is the measured bias "
                "q_{M/2}/q_M − 1 (the model error of a finite-width bias decaying at least like M^(−1/2)). Power: "
                f"detectable relative error of q (allowance + detectable(se)) ≤ {_FW_TARGET:g}; detectable log ratio ≤ "
                "log √2. Regime: no divergence, encoded Gram positive "
                "definite, M ≥ 10·n, ≥ 3 noise levels; outside → inconclusive. Rankings of the test error: reported")

    @staticmethod
    def _gate(rows: Sequence[Mapping[str, Any]], failures: Sequence[str]) -> str | None:
        ps = {r["p"] for r in rows}
        return gate_reason([
            Condition("no divergence", not diverged(rows), "; ".join(diverged(rows)[:2]) or None),
            Condition("encoded Gram positive definite (yᵀH⁻¹y defined)", not failures, "; ".join(failures[:2]) or None),
            Condition("finite-width Gram width M ≥ 10·n", bool(rows) and min(r["gram_width"] / r["n"] for r in rows) >= 10,
                      float(min((r["gram_width"] / r["n"] for r in rows), default=0.0))),
            Condition("≥ 3 noise levels", len(ps) >= 3, float(len(ps))),
        ])

    def _power(self, measured: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        det = [v["detectable"] for v in measured.values() if isinstance(v, dict) and "detectable" in v]
        return {
            "finite_width_kernel": power_entry(max((d["finite_width"] for d in det), default=math.inf), _FW_TARGET,
                                               "relative error of yᵀH⁻¹y", "allowance b/(√2−1) + detectable(se) of "
                                               "q_M/q at the Bonferroni level, worst (dataset, α, p)"),
            "growth_with_noise": power_entry(max((d["growth_log_ratio"] for d in det), default=math.inf),
                                             _GROWTH_TARGET, "log(C(p_max)/C(p_min))",
                                             "detectable(se) of the paired log ratio over seeds (one-sided, "
                                             "Bonferroni level, Student t), worst (dataset, α); target = log √2"),
        }

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        rows, failures = self.rows(measurements, bounds_by_role["gram"])
        gate = self._gate(rows, failures)
        if gate:
            return Decision(Verdict.INCONCLUSIVE, gate, rule=self._rule(params, math.nan, 0, math.nan),
                            predicted={}, measured={"gram_failures": failures, "diverged": diverged(rows)},
                            power={"finite_width_kernel": power_entry(math.inf, _FW_TARGET, "relative error of q", gate)})
        grouped = groups(self._with_complexity(rows, bounds_by_role["complexity"]))
        n_tau = 2 * len(grouped)
        tau_threshold = TAU_FAMILY / n_tau
        fw_level = 1 - FW_FAMILY / sum(len({r["p"] for r in g}) for g in grouped.values())
        parts: dict[str, str] = {}
        measured: dict[str, Any] = {}
        findings: list[str] = []
        for (ds, a), grp in sorted(grouped.items()):
            tag = f"{ds}, α={a:g}"
            ok = [r for r in grp if np.isfinite(r["complexity"])]
            if len(ok) < len(grp):
                parts[f"{tag}: growth"] = parts[f"{tag}: finite width"] = "inconclusive"
                continue
            p_, measured[tag], f_ = self._group(tag, ok, tau_threshold, fw_level, params)
            parts.update(p_)
            findings += f_
        findings += self._alpha_findings(grouped)
        verdict = combine(parts.values())
        if verdict is Verdict.VIOLATED:
            reason = "violated: " + "; ".join([k for k, v in parts.items() if v == "violated"][:4])
        elif verdict is Verdict.HOLDS:
            reason = (f"all {len(parts)} sub-claims hold: the complexity grows with p (Kendall τ and the paired log "
                      "ratio significant) and equals the networks' own finite-width complexity within the measured bias")
        else:
            reason = "cannot decide: " + "; ".join([k for k, v in parts.items() if v == "inconclusive"][:4])
        return Decision(
            verdict=verdict, reason=reason, rule=self._rule(params, tau_threshold, n_tau, fw_level),
            predicted={"complexity_grows_with_p": True, "finite_width_ratio": "E[q_M/q] ≥ 1, → 1 as M → ∞",
                       "tau_threshold": tau_threshold},
            measured={**measured, "sub_claims": parts, "gram_failures": failures},
            domain=("inside for the kernel features (exact quantities of the data and the Gram); the trained nets "
                    "are outside ADHLW's t ≥ Ω(log(n/p_fail)/(ηλ_0)) (η·λ_min·epochs reported), so their test "
                    "errors are findings"),
            findings=findings, power=self._power(measured, rows),
        )

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        rows, _ = self.rows(measurements, bounds_by_role["gram"])
        rows = self._with_complexity(rows, bounds_by_role["complexity"])
        ax1, ax2, ax3 = fig.subplots(1, 3)
        for (ds, a), grp in sorted(groups(rows).items()):
            ps = sorted({r["p"] for r in grp})
            mean = [np.mean([r["complexity"] for r in grp if r["p"] == p]) for p in ps]
            line, = ax1.plot(ps, mean, "o-", ms=3, label=f"{ds}, α={a:g}")
            ax2.scatter([r["complexity"] for r in grp], [r["test_error_clean"] for r in grp], s=10,
                        color=line.get_color())
            ratio = [np.mean([qw / r["q"] for r in grp if r["p"] == p for qw in r["q_width"]]) for p in ps]
            ax3.plot(ps, ratio, "o-", ms=3, color=line.get_color())
        ax1.set(title="complexity vs label noise", xlabel="label-noise fraction p", ylabel="complexity √(2yᵀH̃⁻¹y/n)")
        ax2.set(title="clean test error vs complexity", xlabel="complexity", ylabel="test 0-1 error")
        ax3.axhline(1, color="k", lw=0.8, ls="--")
        ax3.set(title="finite width vs encoded kernel", xlabel="label-noise fraction p",
                ylabel="yᵀH_m⁻¹y / yᵀH̃⁻¹y")
        ax1.legend(fontsize=8)
