"""Check: GD on a wide two-layer net stays under the Du et al. loss curve; rates order like c_α."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import bounds as B
from bounds import Bound
from empirical.rates import log_slope
from empirical.two_layer.experiments import du_gd_run
from verification.check import Check, Decision, Mutant, Unit, Verdict
from verification.checks.two_layer._common import diverged as _diverged
from verification.checks.two_layer._common import sorted_select
from verification.rules import kendall_tau_test, seed_spread


class DuGDBound(Check):
    """GD on a wide two-layer net: the loss stays under the Du et al. curve built from the measured λ₀,
    and the measured rates order like c_α."""

    version = 2  # measure() trains with the workspace-fused closed-form gradient (issue 6): same up to rounding

    order = 60
    name = "du_gd_bound"
    claim = ("Full-batch GD on a wide two-layer leaky-ReLU net (first layer trained) satisfies "
             "‖y − u(t)‖² ≤ (1 − ηλ₀/2)^t ‖y − u(0)‖² with λ₀ = λ_min of its Gram, and the measured convergence "
             "rates order like c_α, fastest at α = −1.")
    source = ("Du, Zhai, Póczos, Singh (ICLR 2019) Theorem 4.1 [recalled]; general activations: Panigrahi–Shetty–"
              "Goyal (ICLR 2020) [recalled]; α-factor c_α: theory handbook convergence.md §6.3, §6.6")
    bound_roles = {"gd": "du_gd_loss_ratio", "factor": "c_alpha"}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 40, "d": 5, "m": 1000, "eta": 0.03, "steps": 1200,
                    "alphas": [-1.0, -0.5, 0.0, 0.25, 0.5]}
        return {"n": 100, "d": 5, "m": 8000, "eta": 0.012, "steps": 6000,
                "alphas": [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75]}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        keys = ("n", "d", "m", "eta", "steps")
        return [Unit(f"alpha={a:g}", s, {**{k: params[k] for k in keys}, "alpha": a})
                for a in params["alphas"] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        return du_gd_run(p["n"], p["d"], p["m"], p["alpha"], p["eta"], p["steps"], unit.seed, device)

    @staticmethod
    def _per_alpha(measurements: Any, rates: Mapping[float, list[float]], alphas: Sequence[float], eta: float
                   ) -> dict[str, Any]:
        """Per-α summary: late rate, λ₀, rate/(2ηλ₀), λ_min drift over training, relative weight movement."""
        per_alpha = {}
        for a in alphas:
            ms = [m for _, m in sorted_select(measurements, alpha=a)]
            per_alpha[f"{a:g}"] = {
                "rate": seed_spread(rates[a]), "lambda0": seed_spread([m["lambda0"] for m in ms]),
                "rate_over_2_eta_lambda0": float(np.mean([r / (2 * eta * m["lambda0"])
                                                          for r, m in zip(rates[a], ms, strict=True)])),
                "lambda_min_end_over_start": float(np.mean([m["lambda_min_end"] / m["lambda0"] for m in ms])),
                "relative_weight_change": float(np.mean([m["weight_change_rel"] for m in ms])),
            }
        return per_alpha

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        div = _diverged(measurements)
        alphas, eta, steps = params["alphas"], params["eta"], params["steps"]
        predicted = {"factor": {f"{a:g}": bounds_by_role["factor"].evaluate(alpha=a) for a in alphas}}
        if div:
            return Decision(Verdict.INCONCLUSIVE, f"inconclusive: {div}", "a diverged run cannot be judged",
                            predicted, {}, "n/a")
        gd = bounds_by_role["gd"].numpy(validate=False)
        t = np.arange(steps + 1)
        worst, rates = (0.0, ""), {a: [] for a in alphas}
        stable = True
        for unit, m in sorted(measurements.records(), key=lambda ur: ur[0].key):
            a = float(unit.params["alpha"])
            ratio = np.asarray(m["loss"]) / m["loss"][0]
            curve = np.asarray(gd(eta=eta, lam=m["lambda0"], t=t), dtype=float)
            excess = float(np.max(np.log(ratio[1:]) - np.log(np.maximum(curve[1:], 1e-300))))
            if excess > worst[0]:
                worst = (excess, f"α={a:g}, seed={unit.seed}")
            rates[a].append(-log_slope(m["loss"], steps // 2))
            stable &= eta * m["lambda_max0"] < 2
        per_alpha = self._per_alpha(measurements, rates, alphas, eta)
        mean_rate = [float(np.mean(rates[a])) for a in alphas]
        factor = [predicted["factor"][f"{a:g}"] for a in alphas]
        tau, pval = kendall_tau_test(mean_rate, factor)
        best_pred, best_meas = alphas[int(np.argmax(factor))], alphas[int(np.argmax(mean_rate))]
        bound_ok = worst[0] <= 1e-9
        problems = []
        if not bound_ok:
            problems.append(f"loss exceeds the bound curve by a factor {np.exp(worst[0]):.3g} ({worst[1]})")
        if tau < 0 and pval > 0.5:
            problems.append(f"rates anti-ordered to the predicted factor (Kendall τ = {tau:.2f})")
        if problems:
            verdict, reason = Verdict.VIOLATED, "; ".join(problems)
        elif pval < 0.05 and best_meas == best_pred:
            verdict, reason = Verdict.HOLDS, (f"loss under the bound curve in every run; rates order like the factor "
                                              f"(Kendall τ = {tau:.2f}, p = {pval:.3f}), fastest at α={best_meas:g}")
        else:
            verdict, reason = Verdict.INCONCLUSIVE, (f"bound curve respected, but the rate ordering is not significant "
                                                     f"(τ = {tau:.2f}, p = {pval:.3f}; fastest α={best_meas:g})")
        findings = [f"late-phase rates are {min(v['rate_over_2_eta_lambda0'] for v in per_alpha.values()):.2f}–"
                    f"{max(v['rate_over_2_eta_lambda0'] for v in per_alpha.values()):.2f} × 2ηλ₀: after {steps} steps "
                    "faster modes still contribute; λ_min(H(t))/λ₀ at the end = "
                    + ", ".join(f"{k}: {v['lambda_min_end_over_start']:.3f}" for k, v in per_alpha.items())]
        return Decision(
            verdict=verdict, reason=reason,
            rule=("(1) for every run and step, L(t)/L(0) ≤ bound(η, λ₀, t) with λ₀ the measured λ_min of the width-m Gram "
                  "at initialisation (1e-9 slack in log: float rounding only); (2) the mean late-phase rate −d log L/dt "
                  "(least squares over the second half of training, over seeds) is ranked against the predicted factor "
                  "by Kendall's τ: holds when τ > 0 with exact one-sided p < 0.05 and the fastest α is the predicted "
                  "one; violated when (1) fails or the ranking is reversed (τ < 0); inconclusive otherwise"),
            predicted={**predicted, "fastest_alpha": best_pred},
            measured={"max_log_excess_over_bound": worst[0], "kendall_tau": tau, "p_value": pval,
                      "fastest_alpha": best_meas, "per_alpha": per_alpha, "eta_times_lambda_max_below_2": stable},
            domain="undetermined (DZPS's width and step-size conditions carry hidden constants C_du_width, C_du_step)",
            findings=findings,
        )

    def mutants(self) -> list[Mutant]:
        a = B.alpha
        return [
            Mutant("contraction_mean_loss", "constant-structure",
                   "contraction (1 − nηλ/2)^t (mean-loss step size mistaken for the sum-loss one, n = 40)",
                   {"gd": B.du_gd_loss_ratio.mutant((1 - 40 * B.eta * B.lam / 2) ** B.t, "η → nη")}),
            Mutant("factor_mirrored", "alpha-factor", "rate factor (1+α)²/(1+α²) instead of c_α",
                   {"factor": B.c_alpha.mutant((1 + a) ** 2 / (1 + a**2), "mirrored")}),
        ]

    def plot(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        ax1, ax2 = fig.subplots(1, 2)
        t = np.arange(params["steps"] + 1)
        gd = bounds_by_role["gd"].numpy(validate=False)
        for i, a in enumerate(params["alphas"]):
            ms = [m for _, m in sorted_select(measurements, alpha=a)]
            m = ms[0]
            ax1.semilogy(t, np.asarray(m["loss"]) / m["loss"][0], color=f"C{i}", label=f"α={a:g}")
            ax1.semilogy(t, gd(eta=params["eta"], lam=m["lambda0"], t=t), ":", color=f"C{i}")
        ax1.set(xlabel="GD step t", ylabel="L(t)/L(0)", title="loss (solid) vs bound (dotted), seed 0")
        ax1.legend(fontsize=7)
        per = decision.measured.get("per_alpha", {})
        if per:
            fac = [decision.predicted["factor"][k] for k in per]
            rate = [v["rate"]["mean"] for v in per.values()]
            err = [v["rate"]["std"] for v in per.values()]
            ax2.errorbar(fac, rate, yerr=err, fmt="o")
            for k, f, r in zip(per, fac, rate, strict=True):
                ax2.annotate(f"α={k}", (f, r), fontsize=7)
            ax2.set(xlabel="predicted factor", ylabel="late-phase rate −d log L/dt", title="rates vs factor (±1 sd)")


