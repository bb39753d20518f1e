"""Check: the closed-form leaky-ReLU kernels (and the power series) equal their Monte-Carlo values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

import bounds as B
from bounds import Bound
from empirical.activations import leaky_relu
from empirical.gram.monte_carlo import mc_dual_kernels
from empirical.two_layer.experiments import kernel_moments_run
from verification.check import Check, Decision, Mutant, Unit, Verdict
from verification.checks.two_layer._common import FAMILY_ERROR as _FAMILY_ERROR
from verification.rules import bonferroni_z, detectable, power_entry

#: comparisons indexed by a Hermite index or a scalar, not by ρ
_INDEXED = {"normaliser", "hermite_0", "hermite_odd", "series_coeff"}
#: relative error of c_α inside a kernel the check must see (g_α for c_α is 29 % at α = −1, c_σ for c_α 100 % at α = 0)
_TARGET_FACTOR = 0.10


class KernelMonteCarlo(Check):
    """Analytic κ̇_α, κ_α, H̃_α, Θ_α and the truncated series of H̃_α agree with Monte Carlo.

    Measurement: for each α and ρ on a grid, Monte-Carlo means of c_σσ'(u)σ'(v) and c_σσ(u)σ(v)
    over (u, v) standard bivariate normal with correlation ρ, with their standard errors; seeds are
    independent replicates and are pooled. Prediction: each formula at (α, ρ). Rule: every
    |MC − formula|/SE must stay under the Bonferroni critical value of family-wise error 10⁻³.
    """

    order = 10
    name = "kernel_monte_carlo"
    claim = ("The closed-form normalised leaky-ReLU kernels κ̇_α, κ_α, H̃_α = ρκ̇_α, Θ_α = κ_α + ρκ̇_α and the "
             "power series of H̃_α equal the Gaussian expectations that define them, for every α.")
    source = ("docs/theory/kernels.md §2–§4 [derived+checked]; CS09 (α = 0); DZPS19 "
              "(H^∞); neural-tangents ABRelu")
    bound_roles = {
        "derivative": "kappa_dot",
        "nngp": "kappa",
        "first_layer": "H_tilde",
        "ntk": "Theta_two_layer",
        "series": "H_tilde_series",
        "normaliser": "c_sigma",
        "unnorm_derivative": "E_dsigma_dsigma",
        "unnorm_nngp": "E_sigma_sigma",
        "fourth_moment": "E_dsigma2_dsigma2",
        "hermite_0": "hermite_nu0",
        "hermite_odd": "hermite_nu_odd",
        "series_coeff": "b_coeff",
        "dzps_h_inf": "H_inf_dzps",
        "factor_in_kernels": "c_alpha",
    }
    version = 2  # measure() adds the Hermite coefficients of σ'_α, E[σ'²σ'²] and E[σ²] (kernel_moments_run)
    default_seeds = {"quick": 2, "full": 5}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"alphas": [-1.0, -0.5, 0.0, 0.5], "rho": np.linspace(-0.95, 0.95, 12).tolist(),
                    "samples": 250_000, "series_terms": 200}
        return {"alphas": [-2.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.9],
                "rho": np.linspace(-0.98, 0.98, 25).tolist(), "samples": 2_000_000, "series_terms": 400}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        return [Unit(f"alpha={a:g}", s, {"alpha": a, "rho": params["rho"], "samples": params["samples"]})
                for a in params["alphas"] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        out = mc_dual_kernels(np.asarray(p["rho"]), leaky_relu(p["alpha"]), p["samples"], unit.seed, device)
        moments = kernel_moments_run(p["rho"], p["alpha"], p["samples"], 1_000_003 + unit.seed)
        return {**{k: np.asarray(v).tolist() for k, v in out.items()},
                **{f"moment_{k}": np.asarray(v).tolist() for k, v in moments.items()}}

    @staticmethod
    def _pooled(measurements: Any, alphas: Sequence[float]) -> dict[float, dict[str, np.ndarray]]:
        """Seeds are independent replicates: means, and SEs √(Σ se²)/r."""
        pooled: dict[float, dict[str, np.ndarray]] = {}
        for a in alphas:
            reps = [m for _, m in measurements.select(alpha=a)]
            r = len(reps)
            pool: dict[str, np.ndarray] = {}
            for key, name in (("kappa_dot", "kd"), ("kappa", "k"), ("moment_nu", "nu"), ("moment_fourth", "fourth"),
                              ("moment_second", "second")):
                if all(key in m for m in reps):
                    pool[name] = np.mean([m[key] for m in reps], axis=0)
                    pool[name + "_se"] = np.sqrt(np.sum(np.square([m[key + "_se"] for m in reps]), axis=0)) / r
            pooled[a] = pool
        return pooled

    def _comparisons(self, b: Mapping[str, Bound], a: float, rho: np.ndarray, terms: int, mc: Mapping[str, np.ndarray]
                     ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """role → (measured, predicted, SE) at α over the ρ grid (or the Hermite index)."""
        f = {role: bd.numpy(validate=False) for role, bd in b.items()}
        kd, kd_se, k, k_se = mc["kd"], mc["kd_se"], mc["k"], mc["k_se"]
        c_sig = float(f["normaliser"](alpha=a))
        out = {
            "derivative": (kd, f["derivative"](alpha=a, rho=rho), kd_se),
            "nngp": (k, f["nngp"](alpha=a, rho=rho), k_se),
            "first_layer": (rho * kd, f["first_layer"](alpha=a, rho=rho), np.abs(rho) * kd_se),
            "ntk": (k + rho * kd, f["ntk"](alpha=a, rho=rho), k_se + np.abs(rho) * kd_se),
            "series": (rho * kd, f["series"](J=terms, alpha=a, rho=rho), np.abs(rho) * kd_se),
            "unnorm_derivative": (kd, c_sig * f["unnorm_derivative"](alpha=a, rho=rho), kd_se),
            "unnorm_nngp": (k, c_sig * f["unnorm_nngp"](alpha=a, rho=rho), k_se),
            # c_α itself, through the exact identity κ̇_α(ρ) = 1 − c_α·arccos(ρ)/π (docs/theory: kernels §3): a
            # wrong factor is refuted even when the kernels' own formulas carry the right one
            "factor_in_kernels": (kd, 1 - float(f["factor_in_kernels"](alpha=a)) * np.arccos(rho) / np.pi, kd_se),
        }
        if "second" in mc:
            out["normaliser"] = (np.atleast_1d(mc["second"]), np.atleast_1d(1 / c_sig), np.atleast_1d(mc["second_se"]))
            out["fourth_moment"] = (mc["fourth"], f["fourth_moment"](alpha=a, rho=rho), mc["fourth_se"])
            nu, nu_se = mc["nu"], mc["nu_se"]
            odd = np.arange(1, nu.size, 2)
            js = (odd - 1) // 2
            out["hermite_0"] = (nu[:1], np.atleast_1d(f["hermite_0"](alpha=a)), nu_se[:1])
            out["hermite_odd"] = (nu[odd], np.array([float(f["hermite_odd"](alpha=a, j=jj)) for jj in js]), nu_se[odd])
            # b_j enters as ν_{2j+1}² = (1−α)²b_j/2π; compared on the |ν| scale, where ||ν̂| − |ν|| ≤ |ν̂ − ν| keeps
            # the SE exact even at ν ≈ 0 (the delta method's 2|ν̂|·SE on the squared scale vanishes there)
            b_pred = np.array([(1 - a) ** 2 * float(f["series_coeff"](j=jj)) / (2 * np.pi) for jj in js])
            out["series_coeff"] = (np.abs(nu[odd]), np.sqrt(np.maximum(b_pred, 0.0)), nu_se[odd])
        if a == 0.0:
            out["dzps_h_inf"] = (rho * kd / c_sig, f["dzps_h_inf"](rho=rho), np.abs(rho) * kd_se / c_sig)
        return out

    def _no_prediction(self, role: str, a: float, rho: np.ndarray, m: np.ndarray, pr: np.ndarray) -> str:
        """Where a formula is not finite although the Monte-Carlo estimate is (its first such grid point)."""
        j = int(np.flatnonzero(~np.isfinite(np.ravel(pr)))[0])
        return (f"{self.bound_roles[role]} at α={a:g}, " + (f"ρ={rho[j]:.3f}" if role not in _INDEXED else f"index {j}")
                + f": formula {np.ravel(pr)[j]} vs MC {np.ravel(m)[j]:.5f}")

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        rho = np.asarray(params["rho"])
        pooled = self._pooled(measurements, params["alphas"])
        zs: dict[str, list[float]] = {}
        worst: tuple[float, str, float, int, float, float] = (0.0, "", 0.0, 0, 0.0, 0.0)
        best_rel: dict[float, float] = {}
        finite = True  # every Monte-Carlo estimate and SE is a number
        no_prediction: list[str] = []  # where a formula is not finite although the quantity measured is
        for a, mc in pooled.items():
            for role, (m, pr, se) in self._comparisons(bounds_by_role, a, rho, params["series_terms"], mc).items():
                m_a, pr_a = np.asarray(m, dtype=float), np.asarray(pr, dtype=float)
                diff, se_a = np.abs(m_a - pr_a), np.asarray(se, dtype=float)
                measured_ok = bool(np.all(np.isfinite(m_a)) and np.all(np.isfinite(se_a)))
                finite = finite and measured_ok
                if measured_ok and not np.all(np.isfinite(pr_a)):
                    no_prediction.append(self._no_prediction(role, a, rho, m_a, pr_a))
                # a constant integrand (e.g. σ'² ≡ 1 at α = −1) has SE 0: exact agreement is z = 0, any gap is z = ∞
                z = np.where(se_a > 0, diff / np.where(se_a > 0, se_a, 1.0), np.where(diff <= 1e-12, 0.0, np.inf))
                zs.setdefault(role, []).extend(z.tolist())
                i = int(np.nanargmax(z)) if np.any(np.isfinite(z)) else 0
                if z[i] > worst[0] or not np.isfinite(z[i]):
                    worst = (float(z[i]), role, a, i, float(np.ravel(m)[i]), float(np.ravel(pr)[i]))
            c = float(bounds_by_role["factor_in_kernels"].evaluate(alpha=a))
            if c > 0:  # relative error in c_α that the κ̇ comparison resolves best (δκ̇ = δc·θ/π)
                best_rel[a] = float(np.min(mc["kd_se"] / (c * np.arccos(rho) / np.pi)))
        n_tests = sum(len(v) for v in zs.values())
        z_crit = bonferroni_z(n_tests, _FAMILY_ERROR)
        zmax, role, a, i, m, pr = worst
        where = f"α={a:g}, " + (f"ρ={rho[i]:.3f}" if role not in _INDEXED else f"index {i}")
        if not finite:
            verdict, reason = Verdict.INCONCLUSIVE, "non-finite Monte-Carlo estimate"
        elif no_prediction:  # an exact formula with no finite value where a finite quantity was measured
            verdict, reason = Verdict.VIOLATED, (f"{len(no_prediction)} formula(s) not finite where the Monte-Carlo "
                                                 f"estimate is: {'; '.join(no_prediction[:3])}")
        elif zmax <= z_crit:
            verdict, reason = Verdict.HOLDS, (f"all {n_tests} comparisons within {z_crit:.2f} standard errors "
                                              f"(largest |z| = {zmax:.2f})")
        else:
            exact = " (a constant integrand: SE 0, any gap is decisive)" if not np.isfinite(zmax) else ""
            verdict, reason = Verdict.VIOLATED, (f"{self.bound_roles[role]} at {where}: MC {m:.5f} vs "
                                                 f"formula {pr:.5f} (|z| = {zmax:.1f} > {z_crit:.2f}){exact}")
        detect = detectable(max(best_rel.values(), default=float("inf")), level=_FAMILY_ERROR / max(n_tests, 1))
        power = {"alpha_factor": power_entry(detect, _TARGET_FACTOR, "relative error of c_α inside κ̇_α",
                                             "Bonferroni z on the most sensitive ρ of each α, worst α")}
        return Decision(
            verdict=verdict, reason=reason, power=power,
            rule=(f"max |MC − formula|/SE over {n_tests} (formula, α, ρ or Hermite index) comparisons ≤ z_crit = "
                  f"{z_crit:.2f}, the two-sided Bonferroni value for family-wise error {_FAMILY_ERROR:g}; SE from the "
                  f"Monte-Carlo sample variance ({params['samples']} samples per seed, seeds pooled); a squared "
                  "Hermite coefficient ν² = (1−α)²b_j/2π compared as |ν̂| against √(prediction) with SE(ν̂) (exact at ν ≈ 0). "
                  "Power: the relative error of c_α inside κ̇_α the "
                  f"most sensitive ρ resolves, vs target {_TARGET_FACTOR:g}"),
            predicted={"z_crit": z_crit, "max_abs_z_expected_under_truth": "< z_crit w.p. ≥ 0.999"},
            measured={"max_abs_z": zmax, "worst": {"formula": self.bound_roles.get(role, ""), "where": where,
                                                   "monte_carlo": m, "formula_value": pr},
                      **{f"max_abs_z_{k}": float(max(v)) for k, v in zs.items()}},
            domain="inside (|ρ| ≤ 0.98, all α real)",
        )

    def mutants(self) -> list[Mutant]:
        a, r = B.alpha, B.rho
        c = B.c_alpha.expr
        wrong_factor = (1 - a) / (1 + a**2)  # g_α·(1/√(1+α²)): equals c_α at α = 0 only
        return [
            Mutant("kappa_dot_alpha_factor", "alpha-factor",
                   "κ̇_α with (1−α)/(1+α²) in place of c_α = (1−α)²/(1+α²)",
                   {"derivative": B.kappa_dot.mutant(1 - wrong_factor * sp.acos(r) / sp.pi, "wrong α-factor")}),
            Mutant("series_b1", "series-coefficient",
                   "H̃_α series with the ρ⁴ coefficient b_1 = 1/5 instead of 1/6",
                   {"series": B.H_tilde_series.mutant(
                       B.H_tilde_series.expr + c / sp.pi * (sp.Rational(1, 5) - sp.Rational(1, 6)) * r**4,
                       "b_1 = 1/5")}),
            Mutant("nngp_sqrt_term_halved", "kernel",
                   "κ_α with (c_α/2π)√(1−ρ²) instead of (c_α/π)√(1−ρ²)",
                   {"nngp": B.kappa.mutant(B.kappa.expr - c / (2 * sp.pi) * sp.sqrt(1 - r**2), "√ term halved")}),
            Mutant("kappa_dot_c_sigma", "alpha-factor", "κ̇_α with c_σ = 2/(1+α²) in place of c_α",
                   {"derivative": B.kappa_dot.mutant(1 - B.c_sigma.expr * sp.acos(r) / sp.pi, "c_σ")}),
            Mutant("kappa_dot_g_alpha", "alpha-factor", "κ̇_α with the unsquared g_α = (1−α)/√(1+α²)",
                   {"derivative": B.kappa_dot.mutant(1 - (1 - a) / sp.sqrt(1 + a**2) * sp.acos(r) / sp.pi, "g_α")}),
            Mutant("unnormalised_derivative_factor_2", "constant-structure",
                   "E[σ'σ'] with (1−α)²θ/π instead of (1−α)²θ/(2π) (a factor 2 dropped)",
                   {"unnorm_derivative": B.E_dsigma_dsigma.mutant(
                       (1 + a**2) / 2 - (1 - a) ** 2 * sp.acos(r) / sp.pi, "θ/π")}),
            Mutant("dzps_h_inf_factor_2", "constant-structure", "DZPS H^∞ = ρ(π − θ)/π (the ½ of the unscaled ReLU dropped)",
                   {"dzps_h_inf": B.H_inf_dzps.mutant(r * (sp.pi - sp.acos(r)) / sp.pi, "no ½")}),
            Mutant("b_coeff_denominator", "series-coefficient", "b_j with (2j+2) in place of (2j+1)",
                   {"series_coeff": B.b_coeff.mutant(sp.factorial(2 * B.j) / (4**B.j * sp.factorial(B.j) ** 2
                                                                              * (2 * B.j + 2)), "2j+2")}),
            Mutant("hermite_odd_sqrt_pi", "constant-structure", "ν_{2j+1} with √(π(2j+1)!) for √(2π(2j+1)!)",
                   {"hermite_odd": B.hermite_nu_odd.mutant(B.hermite_nu_odd.expr * sp.sqrt(2), "√π")}),
            Mutant("fourth_moment_alpha_powers", "alpha-factor", "E[σ'²σ'²] with α⁴ and α² swapped",
                   {"fourth_moment": B.E_dsigma2_dsigma2.mutant(
                       (sp.pi - sp.acos(r)) / (2 * sp.pi) * (1 + a**2) + sp.acos(r) / sp.pi * a**4, "swap")}),
            Mutant("fourth_moment_alpha_squared_to_alpha", "alpha-factor",
                   "E[σ'²σ'²] with α in place of α² in the θ term (differs most at α = −1, where the integrand is "
                   "the constant 1 and the Monte-Carlo SE is 0)",
                   {"fourth_moment": B.E_dsigma2_dsigma2.mutant(
                       a * sp.acos(r) / sp.pi + (sp.pi - sp.acos(r)) * (a**4 + 1) / (2 * sp.pi), "α²→α")}),
            Mutant("c_sigma_unsquared", "constant-structure", "c_σ = √2/√(1+α²) (the normaliser not squared)",
                   {"normaliser": B.c_sigma.mutant(sp.sqrt(2 / (1 + a**2)), "√")}),
            Mutant("c_alpha_denominator_unsquared", "alpha-factor",
                   "c_α = (1−α)²/(1+|α|) (α² typed as |α| in the factor itself; equal at α ∈ {−1, 0})",
                   {"factor_in_kernels": B.c_alpha.mutant((1 - a) ** 2 / (1 + sp.Abs(a)), "(1+|α|)")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        """None: every formula here is an exact identity, so any change is false (see docs/checks/kernel_monte_carlo.md)."""
        return []

    def plot(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        rho = np.asarray(params["rho"])
        fine = np.linspace(-0.99, 0.99, 200)
        pooled = self._pooled(measurements, params["alphas"])
        ax1, ax2, ax3 = fig.subplots(1, 3)
        for a, mc in pooled.items():
            line, = ax1.plot(fine, bounds_by_role["derivative"].numpy()(alpha=a, rho=fine), lw=1, label=f"α={a:g}")
            ax1.errorbar(rho, mc["kd"], yerr=3 * mc["kd_se"], fmt="o", ms=3, color=line.get_color())
            ax2.plot(fine, bounds_by_role["nngp"].numpy()(alpha=a, rho=fine), lw=1, color=line.get_color())
            ax2.errorbar(rho, mc["k"], yerr=3 * mc["k_se"], fmt="o", ms=3, color=line.get_color())
            pred = bounds_by_role["derivative"].numpy()(alpha=a, rho=rho)
            ax3.plot(rho, (mc["kd"] - pred) / mc["kd_se"], "o-", ms=3, color=line.get_color())
        ax1.set(title="κ̇_α: formula (lines) vs MC (±3 SE)", xlabel="input correlation ρ", ylabel="κ̇_α(ρ) (dimensionless)")
        ax2.set(title="κ_α: formula vs MC (colours as left)", xlabel="input correlation ρ", ylabel="κ_α(ρ) (dimensionless)")
        zc = float(decision.predicted.get("z_crit", 4.0))
        ax3.axhline(zc, color="k", ls="--", lw=0.8)
        ax3.axhline(-zc, color="k", ls="--", lw=0.8)
        ax3.set(title=f"z-scores of κ̇_α (dashed: ±{zc:.3g}, the rule)", xlabel="input correlation ρ",
                ylabel="z = (MC − formula)/SE")
        ax1.legend(fontsize=8)
