"""deep_ntk_convergence: the finite-width NTK of W_1..W_L tends to the deep recursion Θ_W (theory handbook
kernels.md §7, §10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch
from scipy import stats

import bounds as B
from bounds import Bound
from empirical.deep.experiments import make_data, ntk_width_grams
from empirical.deep.ntk import deep_ntk_analytic
from verification.check import Check, Decision, Measurements, Mutant, Unit, Verdict
from verification.checks.deep._common import SIG, cpu_threads
from verification.rules import seed_spread
from verification.rules.slopes import fixed_effects_slope

__all__ = ["DeepNTKConvergence"]


class DeepNTKConvergence(Check):
    """‖Θ^(m) − Θ_W‖_F/‖Θ_W‖_F falls like m^(-1/2) for the W-only NTK of the AZLS/GLL network."""

    version = 2  # measure() runs the fast NTK / closed-form GD paths (issue 6): same numbers up to rounding

    name = "deep_ntk_convergence"
    claim = ("The finite-width NTK of the trained matrices W_1..W_L of the AZLS/GLL network (A, B frozen) converges "
             "to the deep recursion Θ_W = Σ_ℓ K_{ℓ−1}·Π_{k≥ℓ} K̇_k as the width grows, with relative Frobenius error "
             "∝ m^(-1/2).")
    source = ("Theory handbook kernels.md §7 and §10 [derived+checked]; Jacot et al. 2018 / Arora et al. 2019b "
              "[recalled]")
    bound_roles = {"nngp": "kappa", "derivative": "kappa_dot", "step": "deep_ntk_W_step"}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 32, "d": 8, "widths": [64, 128, 256, 512, 1024], "depths": [1, 2],
                    "alphas": [-1.0, 0.0, 0.5]}
        return {"n": 64, "d": 10, "widths": [128, 256, 512, 1024, 2048, 4096], "depths": [1, 2, 3],
                "alphas": [-1.0, -0.5, 0.0, 0.5]}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        return [Unit(f"alpha={a:g}|L={q}", s, {"alpha": a, "depth": q, "n": params["n"], "d": params["d"],
                                                "widths": params["widths"]})
                for a in params["alphas"] for q in params["depths"] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        with cpu_threads(device, max(p["widths"])):
            return ntk_width_grams(n=p["n"], d=p["d"], widths=p["widths"], depth=p["depth"], alpha=p["alpha"],
                                   seed=unit.seed, device=device)

    def mutants(self) -> list[Mutant]:
        r = B.rho
        g = B.g_alpha.expr
        return [
            Mutant("derivative_g_alpha", "alpha-factor", "κ̇_α with g_α = (1−α)/√(1+α²) in place of c_α",
                   {"derivative": B.kappa_dot.mutant(1 - g * sp.acos(r) / sp.pi, "g_α for c_α")}),
            Mutant("recursion_all_layers", "kernel",
                   "W-only recursion with the all-layers placement S_ℓ = S_{ℓ−1}·K̇_ℓ + K_{ℓ−1}",
                   {"step": B.deep_ntk_W_step.mutant(B.ntk_prev * B.kern_dot + B.kern_prev, "all-layers step")}),
            Mutant("nngp_linear_part", "alpha-factor", "κ_α with linear weight (1 − c_α) instead of (1 − c_α/2)",
                   {"nngp": B.kappa.mutant(B.kappa.expr - B.c_alpha.expr / 2 * r, "1 − c_α")}),
        ]

    def _errors(self, measurements: Measurements, bb: Mapping[str, Bound],
                params: Mapping[str, Any]) -> dict[tuple[float, int], dict[int, list[float]]]:
        """{(α, L): {seed: [relative Frobenius error ‖Θ^(m) − Θ_W‖_F/‖Θ_W‖_F per width]}}."""
        out: dict[tuple[float, int], dict[int, list[float]]] = {}
        cache: dict[int, torch.Tensor] = {}
        for unit, meas in measurements.records():
            seed, alpha, depth = unit.seed, float(unit.params["alpha"]), int(unit.params["depth"])
            if seed not in cache:
                cache[seed] = make_data("bias", params["n"], params["d"], seed)[0]
            th = deep_ntk_analytic(cache[seed], alpha, depth, nngp=bb["nngp"], derivative=bb["derivative"],
                                   step=bb["step"]).numpy()
            norm = np.linalg.norm(th)
            errs = [float(np.linalg.norm(np.asarray(meas["grams"][str(w)]) - th) / norm) for w in params["widths"]]
            out.setdefault((alpha, depth), {})[seed] = errs
        return out

    @staticmethod
    def _fits(errs: Mapping[tuple[float, int], Mapping[int, list[float]]], params: Mapping[str, Any]
              ) -> tuple[dict[str, dict[str, Any]], list[tuple[str, dict[str, Any]]], list[str]]:
        """Per (α, L): fixed-effects slope of log error on log m with its Bonferroni CI; the configurations
        whose CI excludes −1/2 and those with a non-finite fit."""
        lw = np.log(np.asarray(params["widths"], float))
        k = len(errs)
        fits, bad, nonfinite = {}, [], []
        for (alpha, depth), by_seed in sorted(errs.items()):
            ys = [np.log(v) for v in by_seed.values()]
            fit = fixed_effects_slope([lw] * len(ys), ys)
            q = float(stats.t.ppf(1 - SIG / (2 * k), max(fit["df"], 1)))
            half = q * fit["se"]
            fit["ci"] = [fit["slope"] - half, fit["slope"] + half]
            fit["seed_spread"] = seed_spread(fit["per_seed"]) if fit["per_seed"] else {}
            fit["error_at_widths"] = np.mean(list(by_seed.values()), axis=0).tolist()
            name = f"alpha={alpha:g}|L={depth}"
            fits[name] = fit
            if not np.isfinite(fit["slope"]) or not np.isfinite(fit["se"]):
                nonfinite.append(name)
            elif not fit["ci"][0] <= -0.5 <= fit["ci"][1]:
                bad.append((name, fit))
        return fits, bad, nonfinite

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        errs = self._errors(measurements, bounds_by_role, params)
        k = len(errs)
        fits, bad, nonfinite = self._fits(errs, params)
        if nonfinite:
            verdict, reason = Verdict.INCONCLUSIVE, f"non-finite error or fit for {', '.join(nonfinite)}"
        elif bad:
            name, fit = max(bad, key=lambda nf: abs(nf[1]["slope"] + 0.5) / nf[1]["se"])
            verdict, reason = Verdict.VIOLATED, (f"{name}: slope {fit['slope']:.3f}, {100 * (1 - SIG):.0f}% CI "
                                                 f"[{fit['ci'][0]:.3f}, {fit['ci'][1]:.3f}] excludes −1/2 "
                                                 f"(error at m = {params['widths'][-1]}: "
                                                 f"{fit['error_at_widths'][-1]:.3g})")
        else:
            sl = [f["slope"] for f in fits.values()]
            verdict, reason = Verdict.HOLDS, (f"all {k} (α, L) slopes consistent with −1/2 (range {min(sl):.3f} to "
                                              f"{max(sl):.3f})")
        return Decision(
            verdict=verdict, reason=reason,
            rule=(f"for each (α, L): least-squares slope of log‖Θ^(m) − Θ_W‖_F/‖Θ_W‖_F on log m with one intercept per "
                  f"seed; its two-sided CI uses the residual standard error (the seed-to-seed and width-to-width "
                  f"scatter) and Student t at level {SIG}/(2·{k}) (Bonferroni over the {k} configurations). Holds "
                  f"when every CI "
                  f"contains −1/2 (the Monte-Carlo rate of an average of m i.i.d. unit contributions); violated when "
                  f"one excludes it — a wrong kernel leaves a bias that flattens the slope"),
            predicted={"slope": -0.5},
            measured={name: {"slope": f["slope"], "ci": f["ci"], "per_seed": f["per_seed"],
                             "rel_error_at_max_width": f["error_at_widths"][-1]} for name, f in fits.items()},
            domain=(f"inside (unit-norm bias-coordinate data, L/m ≤ "
                    f"{max(params['depths']) / min(params['widths']):.3g})"),
            details={"fits": fits},
        )

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        ax1, ax2 = fig.subplots(1, 2)
        errs = self._errors(measurements, bounds_by_role, params)
        w = np.asarray(params["widths"], float)
        for (alpha, depth), by_seed in sorted(errs.items()):
            arr = np.asarray(list(by_seed.values()))
            line, = ax1.loglog(w, arr.mean(0), "o-", ms=3, label=f"α={alpha:g}, L={depth}")
            for row in arr:
                ax1.loglog(w, row, ".", color=line.get_color(), alpha=0.4)
        ref = np.mean([np.mean(list(v.values()), axis=0)[0] for v in errs.values()])
        ax1.loglog(w, ref * (w / w[0]) ** -0.5, "k--", lw=1, label="slope −1/2")
        ax1.set(title="relative Frobenius error of the finite-width Θ_W", xlabel="width m")
        ax1.legend(fontsize=6)
        fits = decision.details.get("fits", {})
        names = list(fits)
        for i, nm in enumerate(names):
            f = fits[nm]
            ax2.errorbar(i, f["slope"], yerr=[[f["slope"] - f["ci"][0]], [f["ci"][1] - f["slope"]]], fmt="o")
        ax2.axhline(-0.5, color="k", ls="--", lw=1)
        ax2.set_xticks(range(len(names)))
        ax2.set_xticklabels(names, rotation=45, fontsize=6)
        ax2.set(title="fitted log-log slope (Bonferroni CI)")

