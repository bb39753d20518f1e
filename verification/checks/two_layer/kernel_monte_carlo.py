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
from verification.check import Check, Decision, Mutant, Unit, Verdict
from verification.checks.two_layer._common import FAMILY_ERROR as _FAMILY_ERROR
from verification.rules import bonferroni_z


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
    source = ("Theory handbook kernels.md §2–§4 [derived+checked]; Cho & Saul 2009 (α = 0); Du et al. ICLR 2019 "
              "(H^∞); neural-tangents ABRelu")
    bound_roles = {
        "derivative": "kappa_dot",
        "nngp": "kappa",
        "first_layer": "H_tilde",
        "ntk": "Theta_two_layer",
        "series": "H_tilde_series",
    }
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
        return {k: np.asarray(v).tolist() for k, v in out.items()}

    @staticmethod
    def _pooled(measurements: Any, alphas: Sequence[float]) -> dict[float, dict[str, np.ndarray]]:
        pooled: dict[float, dict[str, np.ndarray]] = {}
        for a in alphas:
            reps = [m for _, m in measurements.select(alpha=a)]
            r = len(reps)
            pooled[a] = {
                "kd": np.mean([m["kappa_dot"] for m in reps], axis=0),
                "kd_se": np.sqrt(np.sum(np.square([m["kappa_dot_se"] for m in reps]), axis=0)) / r,
                "k": np.mean([m["kappa"] for m in reps], axis=0),
                "k_se": np.sqrt(np.sum(np.square([m["kappa_se"] for m in reps]), axis=0)) / r,
            }
        return pooled

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
        ]

    def _predictions(self, b: Mapping[str, Bound], a: float, rho: np.ndarray, terms: int) -> dict[str, np.ndarray]:
        return {
            "derivative": b["derivative"].numpy()(alpha=a, rho=rho),
            "nngp": b["nngp"].numpy()(alpha=a, rho=rho),
            "first_layer": b["first_layer"].numpy()(alpha=a, rho=rho),
            "ntk": b["ntk"].numpy()(alpha=a, rho=rho),
            "series": b["series"].numpy()(J=terms, alpha=a, rho=rho),
        }

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        rho = np.asarray(params["rho"])
        pooled = self._pooled(measurements, params["alphas"])
        zs: dict[str, list[float]] = {role: [] for role in self.bound_roles}
        worst: tuple[float, str, float, float, float, float] = (0.0, "", 0.0, 0.0, 0.0, 0.0)
        for a, mc in pooled.items():
            pred = self._predictions(bounds_by_role, a, rho, params["series_terms"])
            meas = {"derivative": (mc["kd"], mc["kd_se"]), "nngp": (mc["k"], mc["k_se"]),
                    "first_layer": (rho * mc["kd"], np.abs(rho) * mc["kd_se"]),
                    "ntk": (mc["k"] + rho * mc["kd"], mc["k_se"] + np.abs(rho) * mc["kd_se"]),
                    "series": (rho * mc["kd"], np.abs(rho) * mc["kd_se"])}
            for role, (m, se) in meas.items():
                z = np.abs(m - pred[role]) / se
                zs[role] += z.tolist()
                i = int(np.argmax(z))
                if z[i] > worst[0]:
                    worst = (float(z[i]), role, a, float(rho[i]), float(m[i]), float(pred[role][i]))
        n_tests = sum(len(v) for v in zs.values())
        z_crit = bonferroni_z(n_tests, _FAMILY_ERROR)
        finite = all(np.all(np.isfinite(v)) for v in zs.values())
        zmax, role, a, r, m, pr = worst
        if not finite:
            verdict, reason = Verdict.INCONCLUSIVE, "non-finite Monte-Carlo estimate or prediction"
        elif zmax <= z_crit:
            verdict, reason = Verdict.HOLDS, (f"all {n_tests} comparisons within {z_crit:.2f} standard errors "
                                              f"(largest |z| = {zmax:.2f})")
        else:
            verdict, reason = Verdict.VIOLATED, (f"{self.bound_roles[role]} at α={a:g}, ρ={r:.3f}: MC {m:.5f} vs "
                                                 f"formula {pr:.5f} (|z| = {zmax:.1f} > {z_crit:.2f})")
        return Decision(
            verdict=verdict, reason=reason,
            rule=(f"max |MC − formula|/SE over {n_tests} (kernel, α, ρ) comparisons ≤ z_crit = {z_crit:.2f}, the "
                  f"two-sided Bonferroni value for family-wise error {_FAMILY_ERROR:g}; SE from the Monte-Carlo "
                  f"sample variance ({params['samples']} samples per seed, seeds pooled)"),
            predicted={"z_crit": z_crit, "max_abs_z_expected_under_truth": "< z_crit w.p. ≥ 0.999"},
            measured={"max_abs_z": zmax, "worst": {"kernel": self.bound_roles.get(role, ""), "alpha": a, "rho": r,
                                                   "monte_carlo": m, "formula": pr},
                      **{f"max_abs_z_{k}": float(max(v)) for k, v in zs.items()}},
            domain="inside (|ρ| ≤ 0.98, all α real)",
        )

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
        ax1.set(title="κ̇_α: formula (lines) vs MC (±3 SE)", xlabel="ρ")
        ax2.set(title="κ_α: formula vs MC", xlabel="ρ")
        zc = float(decision.predicted.get("z_crit", 4.0))
        ax3.axhline(zc, color="k", ls="--", lw=0.8)
        ax3.axhline(-zc, color="k", ls="--", lw=0.8)
        ax3.set(title="z = (MC − formula)/SE for κ̇_α", xlabel="ρ")
        ax1.legend(fontsize=7)
