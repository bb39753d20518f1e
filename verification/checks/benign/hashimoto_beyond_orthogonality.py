"""Hashimoto H2: linear boundaries beyond near-orthogonality, heavy tails and spikes (docs/theory/benign-overfitting.md §4 H2).

Shared conventions (units, batching, hidden constants, the ratio rule): :mod:`verification.checks.benign._common`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy import special

import bounds as B
from bounds import Bound
from empirical.benign import hashimoto_batch
from verification.check import Decision, Mutant, Verdict
from verification.checks.benign._common import (
    BenignCheck,
    mean_by,
    numeric,
    z_pred,
    z_rule,
)
from verification.rules.power import power_entry
from verification.rules.verdicts import combine_tests

__all__ = ["HashimotoBeyondOrthogonality"]


class HashimotoBeyondOrthogonality(BenignCheck):
    """H2: without near-orthogonality (d ≍ n) and with heavy tails / spikes, GD still converges to a linear boundary."""

    name = "hashimoto_beyond_orthogonality"
    version = 2  # float64 GD through the n×n Gram (empirical.benign.train)
    claim = ("With d ≍ n (far from near-orthogonality), the isotropic Gaussian error still follows "
             "Φ(−‖μ‖²/√(‖μ‖² + d/n)); wherever the data are positively correlated (⟨y_i x_i, y_k x_k⟩ ≥ 0 for all "
             "pairs) GD converges in direction to a linear boundary, for Gaussian and Student-t noise and spiked Σ.")
    source = ("H25, Theorem 4.8 (positively correlated data) and Thms 6.2/6.3 [summary]; "
              "H-lin Theorem 1 [paper: poster]; docs/theory/benign-overfitting.md §2, §4 H2")
    bound_roles = {"error": "isotropic_error", "benign_ratio": "h25_benign_ratio"}
    #: the ratio is evaluated per run and reported (findings, figure); no rule depends on it (docs page)
    reported_roles = frozenset({"benign_ratio"})
    default_seeds = {"quick": 4, "full": 5}  # 4: the Φ-argument power (docs page)

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 50, "d": 100, "mu2": [0.5, 1, 2, 4, 8, 16, 64, 128], "width": 20, "alpha": 0.1,
                    "steps": [300, 800], "spikes": 5, "spike": 10.0, "df": 5, "n_test": 4000}
        return {"n": 100, "d": 200, "mu2": [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256], "width": 20, "alpha": 0.1,
                "steps": [3000, 20000], "spikes": 10, "spike": 10.0, "df": 5, "n_test": 20000}

    def groups(self, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [("variants", dict(params))]

    @staticmethod
    def _variants(p: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"variant": "gaussian", "noise": "gaussian", "spikes": 0, "spike": 1.0},
                {"variant": "student_t", "noise": "student_t", "spikes": 0, "spike": 1.0},
                {"variant": "gaussian_spiked", "noise": "gaussian", "spikes": int(p["spikes"]),
                 "spike": float(p["spike"])}]

    def run_group(self, group: Mapping[str, Any], seeds: Sequence[int], device: Any) -> list[dict[str, Any]]:
        mem = [{**v, "mu2": float(m2), "seed": s} for v in self._variants(group) for m2 in group["mu2"] for s in seeds]
        return hashimoto_batch(mem, int(group["n"]), int(group["d"]), device=device, steps=group["steps"],
                               width=int(group["width"]), alpha=float(group["alpha"]), n_test=int(group["n_test"]))

    def mutants(self) -> list[Mutant]:
        mu, d, n = B.mu_norm, B.d, B.n
        err = B.isotropic_error
        return [
            Mutant("error_transition_d", "threshold", "Φ(−‖μ‖²/√(‖μ‖² + d)) (transition at ‖μ‖² ≈ d, n dropped)",
                   {"error": err.mutant(B.Phi(-mu**2 / sp.sqrt(mu**2 + d)), "d")}),
            Mutant("error_mu_exponent", "exponent", "Φ(−‖μ‖/√(‖μ‖² + d/n)) (‖μ‖ exponent of the signal term halved)",
                   {"error": err.mutant(B.Phi(-mu / sp.sqrt(mu**2 + d / n)), "‖μ‖¹")}),
            Mutant("error_sqrt_n", "exponent", "Φ(−‖μ‖²/√(‖μ‖² + d/√n)) (the n exponent of the noise term halved)",
                   {"error": err.mutant(B.Phi(-mu**2 / sp.sqrt(mu**2 + d / sp.sqrt(n))), "d/√n")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        br = B.h25_benign_ratio
        return [Mutant("benign_ratio_times_two", "constant-structure", "2n‖μ‖⁴/(‖Σ‖Tr Σ) (reported only)",
                       {"benign_ratio": br.mutant(2 * br.expr, "×2")})]

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        recs = self.records(measurements)
        div = [r for r in recs if r["diverged_at"] >= 0]
        if div:
            return Decision(Verdict.INCONCLUSIVE, f"diverged at step {div[0]['diverged_at']}", "finite training",
                            {}, {})
        step = str(max(params["steps"]))
        gauss = [r for r in recs if r["variant"] == "gaussian"]
        t_formula = z_rule(gauss, bounds_by_role["error"], step, "isotropic Gaussian error formula at d = 2n")
        tol = _AGREEMENT_COUNTS / float(params["n_test"])
        t_lin = _linear_boundary_test(recs, step, tol)
        tests = [t_formula, t_lin]
        power = {"phi_argument": t_formula.pop("power"),
                 "linear_boundary": power_entry(tol, 0.01, "fraction of test points off the linear boundary",
                                                f"{_AGREEMENT_COUNTS} disagreeing points of n_test")}
        verdict, reason = combine_tests(tests)
        findings, thr, ratios = _findings(recs, gauss, bounds_by_role, params, step)
        return Decision(
            verdict=verdict, reason=reason,
            rule=("(a) as in hashimoto_signal_transition: the seed-mean Φ-argument of the exact linear-boundary error "
                  "(isotropic Gaussian, d = 2n) must match −Φ⁻¹(formula) within the two-sided Bonferroni value of "
                  "SE = ‖μ‖/√((n‖μ‖² + d)·S); (b) every run whose training data are positively correlated must "
                  f"interpolate and its network sign must agree with sign⟨w̄, x⟩ on all but {_AGREEMENT_COUNTS} of the n_test "
                  "test points (Thm 4.8's frozen activation pattern makes each neuron group move "
                  "identically, so the boundary is linear up to the 10⁻⁶ initialisation: the prediction is exact, "
                  "the count only absorbs points within rounding of the boundary). Power: z to ≤ 20 % relative"),
            predicted={"positively_correlated_agreement_at_least": 1 - tol},
            measured={"tests": tests, "positive_correlation_threshold": thr, "student_t_over_gaussian": ratios},
            domain="d = 2n: outside near-orthogonality (d ≫ n² log n) by design", power=power,
            findings=findings,
        )

    def draw(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        recs = self.records(measurements)
        step = str(max(params["steps"]))
        ax1, ax2, ax3 = fig.subplots(1, 3)
        for i, v in enumerate(("gaussian", "student_t", "gaussian_spiked")):
            rows = [r for r in recs if r["variant"] == v]
            g = mean_by(rows, ["mu2"], lambda r: max(r["by_step"][step]["err"], 0.5 / params["n_test"]))
            xs = sorted(g)
            ax1.loglog([x[0] for x in xs], [np.mean(g[x]) for x in xs], "o-", color=f"C{i}", ms=3,
                       label={"gaussian": "Gaussian", "student_t": "Student-t(5)", "gaussian_spiked": "Gaussian, spiked Σ"}[v])
            br = numeric(bounds_by_role["benign_ratio"], ["n", "mu_norm", "sigma_op", "trace_sigma"])
            xr = [float(br(r["n"], math.sqrt(r["mu2"]), r["sigma_op"], r["trace_sigma"])) for r in rows]
            ax2.loglog(xr, [max(r["by_step"][step]["err"], 0.5 / params["n_test"]) for r in rows], "o", color=f"C{i}",
                       ms=3)
            c = mean_by(rows, ["mu2"], lambda r: r["min_label_corr"])
            ax3.semilogx([x[0] for x in xs], [np.mean(c[x]) for x in xs], "o-", color=f"C{i}", ms=3)
        m2 = np.geomspace(min(params["mu2"]), max(params["mu2"]), 100)
        zp = z_pred(bounds_by_role["error"], m2, np.full_like(m2, params["d"]), np.full_like(m2, params["n"]))
        ax1.loglog(m2, special.ndtr(-zp), "k--", lw=0.8, label="formula (Gaussian, Σ = I)")
        ax1.set(title=f"network test error, n={params['n']}, d={params['d']}", xlabel="signal strength ‖μ‖²",
                ylabel="test 0-1 error", ylim=(1e-4, 1))
        ax1.legend(fontsize=8)
        ax2.set(title="error vs n‖μ‖⁴/(‖Σ‖Tr Σ) (colours as left)", xlabel="benign ratio n‖μ‖⁴/(‖Σ‖Tr Σ)",
                ylabel="test 0-1 error")
        ax3.axhline(0, color="k", lw=0.8)
        ax3.set(title="positive correlation (> 0: all pairs)", xlabel="signal strength ‖μ‖²",
                ylabel="min over pairs ⟨y_i x_i, y_k x_k⟩")


_AGREEMENT_COUNTS = 10  # (b): disagreement on ≥ this many of the n_test test points refutes a linear boundary


def _linear_boundary_test(recs: Sequence[Mapping[str, Any]], step: str, tol: float) -> dict[str, Any]:
    """(b) Every positively correlated run interpolates and agrees with sign⟨w̄, x⟩ on ≥ 1 − ``tol`` of test points."""
    pc = [r for r in recs if r["min_label_corr"] >= 0]
    if not pc:
        return {"test": "positively correlated ⇒ linear boundary", "usable": False, "configs": 0}
    worst = min(pc, key=lambda r: r["by_step"][step]["agree"])
    unfit = [r for r in pc if r["t01"] < 0]
    t_lin = {"test": "positively correlated ⇒ linear boundary", "usable": True,
             "configs": len(pc), "min_agreement": worst["by_step"][step]["agree"],
             "violated": bool(worst["by_step"][step]["agree"] < 1 - tol or unfit),
             "summary": f"{len(pc)} positively correlated runs, sign agreement ≥ "
                        f"{worst['by_step'][step]['agree']:.4f}"}
    if t_lin["violated"]:
        t_lin["why"] = (f"{worst['variant']} ‖μ‖²={worst['mu2']}: sign f = sign⟨w̄,x⟩ on only "
                        f"{worst['by_step'][step]['agree']:.4f} of test points" if not unfit
                        else f"{len(unfit)} positively correlated runs did not interpolate")
    return t_lin


def _findings(recs: Sequence[Mapping[str, Any]], gauss: Sequence[Mapping[str, Any]],
              bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any], step: str
              ) -> tuple[list[str], dict[str, Any], dict[float, float]]:
    """Reported, not decided: positive-correlation thresholds, heavy tails and spikes."""
    findings = []
    thr = {v: min([r["mu2"] for r in recs if r["variant"] == v and r["min_label_corr"] >= 0], default=None)
           for v in ("gaussian", "student_t", "gaussian_spiked")}
    above = "> " + str(max(params["mu2"]))
    findings.append("smallest ‖μ‖² with all pairs positively correlated (some seed): "
                    + ", ".join(f"{v}: {t if t is not None else above}" for v, t in thr.items())
                    + f" (docs/theory/benign-overfitting.md: order √(d·log n); the largest of n²/2 Gaussian ⟨z_i, z_k⟩ is ≈ "
                      f"√(2d·ln(n²/2)) = {math.sqrt(2 * params['d'] * math.log(params['n'] ** 2 / 2)):.0f} for "
                      "isotropic noise, before cross terms)")
    # Gaussian: the exact linear-boundary error (any size); Student-t: Monte Carlo, kept where ≥ 10 counts
    g_err = mean_by(gauss, ["mu2"], lambda r: r["by_step"][step]["lin_err"])
    t_err = mean_by([r for r in recs if r["variant"] == "student_t"], ["mu2"],
                    lambda r: r["by_step"][step]["err"])
    resolved = 10.0 / params["n_test"]
    ratios = {k[0]: float(np.mean(t_err[k]) / np.mean(g_err[k])) for k in t_err
              if k in g_err and np.mean(t_err[k]) >= resolved and np.mean(g_err[k]) > 0}
    strong = {m2: v for m2, v in ratios.items() if m2 * params["n"] > params["d"]}
    if strong:
        findings.append("Student-t(5) network error / exact Gaussian linear-boundary error, by ‖μ‖²: "
                        + ", ".join(f"{m2:g}: {v:.2g}" for m2, v in sorted(ratios.items()))
                        + (" — the ratio grows in the strong regime: heavy tails change the decay (polynomial tail "
                           "of ⟨w̄, z⟩ along μ), not only a constant factor" if max(strong.values()) > 3 * min(
                               v for v in ratios.values() if v > 0) else " — roughly a constant factor"))
    br = numeric(bounds_by_role["benign_ratio"], ["n", "mu_norm", "sigma_op", "trace_sigma"])
    sp_rows = [r for r in recs if r["variant"] == "gaussian_spiked"]
    if sp_rows:
        x_iso = {r["mu2"]: float(br(r["n"], math.sqrt(r["mu2"]), r["sigma_op"], r["trace_sigma"])) for r in gauss}
        x_sp = {r["mu2"]: float(br(r["n"], math.sqrt(r["mu2"]), r["sigma_op"], r["trace_sigma"])) for r in sp_rows}
        z_sp = mean_by(sp_rows, ["mu2"], lambda r: r["by_step"][step]["lin_snr"])
        z_iso = mean_by(gauss, ["mu2"], lambda r: r["by_step"][step]["lin_snr"])
        m2 = 4.0 if (4.0,) in z_sp else sorted(z_sp)[len(z_sp) // 2][0]
        findings.append(f"spiked Σ ({params['spikes']} spikes of {params['spike']:g} orthogonal to μ): at ‖μ‖² = "
                        f"{m2:g} the benign ratio n‖μ‖⁴/(‖Σ‖Tr Σ) is {x_sp[m2]:.3g} vs {x_iso[m2]:.3g} isotropic, "
                        f"yet z = {np.mean(z_sp[(m2,)]):.2f} vs {np.mean(z_iso[(m2,)]):.2f}: errors do not "
                        "collapse on that ratio (H-lin's ‖Σ‖·Tr Σ is an upper-bound quantity, loose for "
                        "spikes ⊥ μ)")
    return findings, thr, ratios
