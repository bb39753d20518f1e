"""Check: the width-m two-layer Gram converges to H̃_α (error rate in m, exact Frobenius error level)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import bounds as B
from bounds import Bound
from empirical.gram.analytic import kernel_matrix
from empirical.two_layer.experiments import finite_width_gram_run, key_seed, upper_to_symmetric
from verification.check import Check, Decision, Mutant, Unit, Verdict
from verification.checks.two_layer._common import FAMILY_ERROR as _FAMILY_ERROR
from verification.checks.two_layer._common import t_two_sided
from verification.rules import (
    Condition,
    detectable,
    fit_common_slope,
    gate_reason,
    power_entry,
    seed_spread,
    weighted_mean_se,
)
from verification.rules.verdicts import combine_named

#: an exponent off by ½ (m^-1 for m^-1/2) exceeds it
_TARGET_EXPONENT = 0.25
#: a second moment for a variance doubles Σ Var at p ≈ ½ (ratio 0.5); a dropped ρ² or c_σ² factor changes it more
_TARGET_RATIO = 0.5
#: g_α for c_α (29 % at α = −1, 124 % at α = ½), c_σ for c_α (100 % at α = 0) exceed it; at α = ½ the α-term
#: is c_α = 0.2 of the ReLU's, so its relative error is resolved less finely than at α ≤ 0
_TARGET_ALPHA_TERM = 0.2


class FiniteWidthGram(Check):
    """The width-m first-layer Gram converges to H̃_α: error slope −1/2 in log m and the exact
    Frobenius error level Σ_ij Var(H^(m)_ij)."""

    order = 20
    name = "finite_width_gram"
    claim = ("The width-m Gram G ⊙ (DDᵀ)/m of a two-layer leaky-ReLU net at initialisation converges to the "
             "analytic H̃_α: its spectral error falls like m^(-1/2) (DZPS Lemma 3.1) and its mean squared "
             "Frobenius error equals Σ_ij Var(H^(m)_ij) exactly.")
    source = "DZPS19 Lemma 3.1 [recalled]; docs/theory/kernels.md §10 [derived+checked]"
    bound_roles = {"kernel": "H_tilde", "concentration": "du_gram_concentration", "variance": "gram_entry_variance"}
    version = 2
    default_seeds = {"quick": 12, "full": 5}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 40, "d": 5, "alphas": [-1.0, 0.0, 0.5], "widths": [64, 256, 1024, 4096]}
        return {"n": 100, "d": 5, "alphas": [-1.0, -0.5, 0.0, 0.5], "widths": [64, 256, 1024, 4096, 16384, 65536]}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        return [Unit(f"alpha={a:g},m={m}", s, {"n": params["n"], "d": params["d"], "alpha": a, "m": m})
                for a in params["alphas"] for m in params["widths"] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        return finite_width_gram_run(p["n"], p["d"], p["alpha"], p["m"], unit.seed, key_seed(unit.key, 10_000), device)

    @staticmethod
    def _errors(meas: Mapping[str, Any], kernel: Bound, alpha: float) -> tuple[float, float, np.ndarray]:
        x = torch.as_tensor(np.asarray(meas["x"]))
        n = x.shape[0]
        h = np.zeros((n, n))
        iu = np.triu_indices(n)
        h[iu] = meas["gram_upper"]
        h = h + np.triu(h, 1).T
        hp = kernel_matrix(x, kernel, alpha=alpha).numpy()
        diff = h - hp
        spec = float(np.max(np.abs(np.linalg.eigvalsh(diff)))) / float(np.max(np.abs(np.linalg.eigvalsh(hp))))
        return spec, float(np.sum(diff**2)), np.clip(x.numpy() @ x.numpy().T, -1, 1)

    def _per_run(self, measurements: Any, bounds_by_role: Mapping[str, Bound]) -> list[dict[str, float]]:
        """Per run: α, m, spectral error, Frobenius² error over Σ Var, and the α-term scale ŝ of H^(m)."""
        var_fn, kernel = bounds_by_role["variance"].numpy(), bounds_by_role["kernel"]
        rows = []
        for unit, meas in sorted(measurements.records(), key=lambda ur: ur[0].key):
            a, m = unit.params["alpha"], unit.params["m"]
            spec, fro2, rho = self._errors(meas, kernel, a)
            x = np.asarray(meas["x"])
            hp = kernel_matrix(torch.as_tensor(x), kernel, alpha=a).numpy()
            h = upper_to_symmetric(meas["gram_upper"], x.shape[0])
            iu = np.triu_indices(x.shape[0], 1)
            a_term = (rho - hp)[iu]
            s_hat = float((rho - h)[iu] @ a_term / (a_term @ a_term)) if a_term @ a_term > 0 else float("nan")
            rows.append({"alpha": a, "m": m, "spec": spec, "ratio": fro2 / float(np.sum(var_fn(alpha=a, rho=rho, m=m))),
                         "s_hat": s_hat})
        return rows

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        rows = self._per_run(measurements, bounds_by_role)
        alphas = params["alphas"]
        gate = gate_reason([Condition("≥ 2 widths and ≥ 2 runs per width (a rate needs a range of m)",
                                      len({r["m"] for r in rows}) >= 2 and len(rows) >= 2 * len({r["m"] for r in rows}),
                                      f"{len({r['m'] for r in rows})} widths")])
        if gate:
            return Decision(Verdict.INCONCLUSIVE, f"inconclusive: {gate}", self._rule(), {}, {}, "outside")
        expo = float(bounds_by_role["concentration"].exponent(B.m))
        # (a) rate: the spectral error may not decay slower than the upper bound's exponent, and must decay
        fit = fit_common_slope([([np.log(r["m"]) for r in rows if r["alpha"] == a],
                                 [np.log(r["spec"]) for r in rows if r["alpha"] == a]) for a in alphas])
        tests = 2 + 2 * len(alphas)  # rate, pooled level, per-α level, per-α α-term
        q = t_two_sided(tests, fit.df)
        rate_v = Verdict.HOLDS if fit.slope <= expo + q * fit.se and fit.slope + q * fit.se < 0 else Verdict.VIOLATED
        # (b) exact level: E‖H^(m) − H̃‖_F² = Σ Var (two-sided), pooled over α and per α
        ratio_v, (ratio, ratio_se, ratio_df), levels = self._level_tests(rows, alphas, tests)
        a_bad = max(levels, key=lambda a: abs(levels[a][0] - 1) / max(levels[a][1], 1e-300))
        # (c) unbiasedness: E H^(m) = H̃ exactly, so per α the α-term scale ŝ has mean 1 (weights m: Var ŝ ∝ 1/m)
        s_v, s_info, s_worst = Verdict.HOLDS, {}, 0.0
        for a in alphas:
            ok_s = [r for r in rows if r["alpha"] == a and np.isfinite(r["s_hat"])]
            if len(ok_s) < 2:
                s_v = Verdict.INCONCLUSIVE if s_v is Verdict.HOLDS else s_v
                continue
            s_mean, s_se, s_df = weighted_mean_se([r["s_hat"] - 1 for r in ok_s], [r["m"] for r in ok_s])
            if abs(s_mean) > t_two_sided(tests, s_df) * s_se:
                s_v = Verdict.VIOLATED
            s_info[f"{a:g}"] = {"alpha_term_scale_minus_1": s_mean, "se": s_se}
            s_worst = max(s_worst, detectable(s_se, level=_FAMILY_ERROR / tests, df=s_df))
        verdict, deciding = combine_named({"error rate in m": rate_v, "Frobenius level": ratio_v,
                                           "kernel α-term": s_v})
        summary = (f"error slope {fit.slope:.3f} ± {fit.se:.3f} (bound exponent {expo:g}); Frobenius MSE / Σ Var = "
                   f"{ratio:.3f} ± {ratio_se:.3f} (farthest from 1 per α: {levels[a_bad][0]:.3f} ± {levels[a_bad][1]:.3f} at α = "
                   f"{a_bad:g}); α-term scale − 1: " + ", ".join(
                       f"α={k}: {v['alpha_term_scale_minus_1']:+.4f} ± {v['se']:.4f}" for k, v in s_info.items()))
        reason = (f"{'; '.join(deciding)}: " if verdict is not Verdict.HOLDS else "") + summary
        power = {
            "error_exponent": power_entry(detectable(fit.se, level=_FAMILY_ERROR / tests, sides=1, df=fit.df), _TARGET_EXPONENT,
                                          "exponent of the spectral error in m", "one-sided t on the common slope"),
            "variance_level": power_entry(detectable(ratio_se, level=_FAMILY_ERROR / tests, df=ratio_df), _TARGET_RATIO,
                                          "deviation of E‖H^(m) − H̃‖_F²/Σ Var from 1", "two-sided t over runs, pooled "
                                          "over α (the per-α tests add power against a formula wrong at one α)"),
            "kernel_alpha_term": power_entry(s_worst or float("inf"), _TARGET_ALPHA_TERM,
                                             "relative error of the kernel's α-term", "two-sided t per α, weights m"),
        }
        return Decision(
            verdict=verdict, reason=reason, rule=self._rule(), power=power,
            predicted={"slope_at_most": expo, "frobenius_mse_ratio": 1.0, "alpha_term_scale": 1.0},
            measured={"slope": fit.slope, "slope_se": fit.se, "slope_df": fit.df, "frobenius_mse_ratio": ratio,
                      "frobenius_mse_ratio_se": ratio_se, "ratio_spread": seed_spread([r["ratio"] for r in rows]),
                      "frobenius_mse_ratio_by_alpha": {f"{a:g}": {"ratio": v, "se": se, "detectable": detectable(
                          se, level=_FAMILY_ERROR / tests, df=df)} for a, (v, se, df) in levels.items()},
                      "alpha_term_scale": s_info},
            domain="inside (unit-norm data with bias coordinate; any width)",
        )

    @staticmethod
    def _level_tests(rows: list[dict[str, float]], alphas: Sequence[float], tests: int
                     ) -> tuple[Verdict, tuple[float, float, float], dict[float, tuple[float, float, float]]]:
        """Mean Frobenius ratio pooled and per α with SE and d.o.f.; violated if any differs from 1 by > t·SE (a formula
        wrong at one α only is not pooled away; the pooled test carries the declared power)."""
        pooled = weighted_mean_se([r["ratio"] for r in rows], np.ones(len(rows)))
        levels = {a: weighted_mean_se([r["ratio"] for r in rows if r["alpha"] == a],
                                      np.ones(sum(r["alpha"] == a for r in rows))) for a in alphas}
        ok = all(abs(v - 1) <= t_two_sided(tests, df) * se for v, se, df in [pooled, *levels.values()])
        return (Verdict.HOLDS if ok else Verdict.VIOLATED), pooled, levels

    @staticmethod
    def _rule() -> str:
        return ("(a) the common slope of log(‖H^(m) − H̃_α‖₂/‖H̃_α‖₂) on log m (one intercept per α, N − G − 1 d.o.f.) "
                "must be ≤ the concentration bound's exponent in m + t·SE (one-sided: an upper bound) and < 0 by t·SE "
                "(the error must fall); (b) the mean over runs of ‖H^(m) − H̃_α‖_F²/Σ_ij Var(H^(m)_ij), pooled and per "
                "α, must be 1 within t·SE (H^(m) is unbiased and the variance formula exact); (c) the α-term scale "
                "ŝ = ⟨G − H^(m), A⟩/⟨A, A⟩ (A = G − H̃_α, i < j) has mean exactly 1: per α the m-weighted mean of "
                "ŝ − 1 must be 0 within t·SE. t: "
                f"Student t, Bonferroni over the 2 + 2·#α tests at family-wise error {_FAMILY_ERROR:g}. No allowance. Power: "
                f"targets {_TARGET_EXPONENT:g} (exponent), {_TARGET_RATIO:g} (variance ratio), {_TARGET_ALPHA_TERM:g} (α-term)")

    def mutants(self) -> list[Mutant]:
        conc = B.du_gram_concentration
        mirrored = (1 + B.alpha) ** 2 / (1 + B.alpha**2)
        return [
            Mutant("concentration_exponent", "exponent", "‖H(0) − H^∞‖₂ ∝ m^(-1) instead of m^(-1/2)",
                   {"concentration": conc.mutant(conc.expr / sp.sqrt(B.m), "m^-1")}),
            Mutant("kernel_mirrored_factor", "alpha-factor", "H̃_α with (1+α)²/(1+α²) in place of c_α",
                   {"kernel": B.H_tilde.mutant(B.rho * (1 - mirrored * sp.acos(B.rho) / sp.pi), "mirrored")}),
            Mutant("variance_second_moment", "constant-structure",
                   "entry variance without the −E[σ'σ']² term (a second moment, not a variance)",
                   {"variance": B.gram_entry_variance.mutant(
                       B.rho**2 / B.m * B.c_sigma.expr**2 * B.E_dsigma2_dsigma2.expr, "no mean² term")}),
            Mutant("kernel_g_alpha_unsquared", "alpha-factor", "H̃_α with g_α = (1−α)/√(1+α²) in place of c_α",
                   {"kernel": B.H_tilde.mutant(B.rho * (1 - (1 - B.alpha) / sp.sqrt(1 + B.alpha**2) * sp.acos(B.rho)
                                                        / sp.pi), "g_α")}),
            Mutant("variance_c_sigma_unsquared", "constant-structure", "entry variance with c_σ in place of c_σ²",
                   {"variance": B.gram_entry_variance.mutant(B.gram_entry_variance.expr / B.c_sigma.expr, "c_σ")}),
            Mutant("variance_without_rho2", "constant-structure", "entry variance without the ρ² factor of G = XXᵀ",
                   {"variance": B.gram_entry_variance.mutant(B.gram_entry_variance.expr / B.rho**2, "no ρ²")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        conc = B.du_gram_concentration
        return [
            Mutant("concentration_constant_doubled", "constant-structure", "2·C_du_conc: the hidden constant allows it",
                   {"concentration": conc.mutant(2 * conc.expr, "2×")}),
            Mutant("concentration_exponent_weaker", "exponent", "‖H(0) − H^∞‖₂ ∝ m^(-1/4): weaker, still true",
                   {"concentration": conc.mutant(conc.expr * B.m ** sp.Rational(1, 4), "m^-1/4")}),
        ]

    def plot(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        ax1, ax2 = fig.subplots(1, 2)
        for a in params["alphas"]:
            ms, errs = [], []
            for m in params["widths"]:
                vals = [self._errors(v, bounds_by_role["kernel"], a)[0] for _, v in measurements.select(alpha=a, m=m)]
                ms.append(m)
                errs.append(vals)
            mean = np.array([np.mean(e) for e in errs])
            line, = ax1.loglog(ms, mean, "o-", label=f"α={a:g}")
            ax1.loglog(ms, mean[0] * (np.asarray(ms) / ms[0]) ** decision.predicted.get("slope_at_most", -0.5), ":",
                       color=line.get_color())
        ax1.set(xlabel="width m", ylabel="‖H^(m) − H̃‖₂/‖H̃‖₂", title="spectral error (dotted: predicted slope)")
        ax1.legend(fontsize=8)
        ax2.axhline(1.0, color="k", lw=0.8)
        r = decision.measured
        if "frobenius_mse_ratio" in r:
            ax2.errorbar([0], [r["frobenius_mse_ratio"]], yerr=[3 * r["frobenius_mse_ratio_se"]], fmt="o")
        ax2.set(xticks=[], xlabel="all widths and α pooled", ylabel="‖H^(m) − H̃‖_F² / Σ Var (1 = unbiased)",
                title="Frobenius error vs exact variance (±3 SE)")


