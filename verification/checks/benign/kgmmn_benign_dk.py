"""KGMMN K1: benign overfitting, the test error against d/k and α (Cor 3.2.1, Thm 3.3; docs/theory/benign-overfitting.md §4 K1).

Shared conventions (units, batching, hidden constants, the ratio rule): :mod:`verification.checks.benign._common`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

import bounds as B
from bounds import Bound
from empirical.benign import kgmmn_batch
from verification.check import Decision, Mutant, Verdict
from verification.checks.benign._common import (
    BenignCheck,
    below_test,
    err_floor,
    gate_decision,
    kgmmn_gate,
    mean_by,
    neg_log,
    numeric,
    ratio_test,
    slope_power,
    stopping_summary,
    trend_sign_test,
)
from verification.rules import fit_common_slope, fit_slope, seed_spread
from verification.rules.multiple import bonferroni_level
from verification.rules.verdicts import combine_tests

__all__ = ["KgmmnBenignDk"]

_RULE = ("regime gate (_common.kgmmn_gate) first; positive evidence: at the largest d/k the seed-mean error must lie "
         "below ½ (chance) and below the training noise rate k/n by more than the one-sided Bonferroni z of its SE "
         "(seed spread ⊕ Monte Carlo); (i) the slope of log err against d/k (d-sweep, one intercept per seed) must "
         "have the sign of ∂ log(upper)/∂d with confidence; power: ≤ 1 e-fold across the sweep. A flat or reversed "
         "effect is violated only when the data show it: for (i) the interval excludes every slope of ≥ 1 e-fold "
         "across the sweep in the predicted direction, for the error margins the lower confidence limit lies above "
         "the ceiling − 0.05; an interval that is merely wide (it contains both no effect and the resolved one) is "
         "inconclusive: underpowered, with the detectable deviation; (ii)–(iv) ratio rule on s = −log err: "
         "s/(−log upper) must not shrink as α → 0 (upper bound on err ⇒ lower bound on s), s/(−log lower) must "
         "not grow as α → 0 or d → ∞; (v) T·ηα²m/‖w*‖² "
         "(Thm 3.1) must not grow as d → ∞; Student-t intervals at level {level:.5f}, no exponent slack, hidden "
         "constants 1, Monte-Carlo errors from {n_test} clean test draws per class; power: every ratio slope "
         "detectable to ≤ 0.4 (below a half-step exponent error), every error margin to ≤ 0.05")


class KgmmnBenignDk(BenignCheck):
    """K1: the test error decays in d/k, with −C·d/(αk) ≤ log err ≤ −C·α²·d/k (Cor 3.2.1 and Thm 3.3)."""

    name = "kgmmn_benign_dk"
    claim = ("GD networks that overfit k corrupted labels are benign: the clean test error decreases with d/k, "
             "and log err lies between −C·d/(α·k) (Thm 3.3) and −C·α²·d/k (Cor 3.2.1), so −log err scales in α "
             "with an exponent between −1 and 2.")
    source = ("KGMMN24, Corollary 3.2.1 and Theorem 3.3 [paper]; "
              "docs/theory/benign-overfitting.md §1.4, §4 K1")
    bound_roles = {"upper": "kgmmn_benign", "lower": "kgmmn_lower", "iterations": "kgmmn_gd_iterations"}
    # docs/theory/benign-overfitting.md §4 K1: 10 seeds; 12 power the d-trend (docs page)
    default_seeds = {"quick": 12, "full": 12}
    version = 3  # float64 GD through the n×n Gram (empirical.benign.train)

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 30, "k": 3, "gamma": 1 / 6, "m": 8, "alpha_ref": 0.1, "d_over_n": [1, 1.5, 2, 3, 4, 6, 8, 10],
                    "alphas": [0.1, 0.2, 0.5, 1.0], "d_over_n_alpha": 3, "max_steps": 60_000, "n_test": 20_000}
        return {"n": 100, "k": 10, "gamma": 0.05, "m": 32, "alpha_ref": 0.1, "d_over_n": [1, 1.5, 2, 3, 4, 6],
                "alphas": [0.05, 0.1, 0.3, 1.0], "d_over_n_alpha": 3, "max_steps": 400_000, "n_test": 50_000}

    def groups(self, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [("sweep", dict(params))]

    @staticmethod
    def _members(p: Mapping[str, Any]) -> list[tuple[int, float]]:
        n = int(p["n"])
        pairs = [(round(r * n), float(p["alpha_ref"])) for r in p["d_over_n"]]
        pairs += [(round(p["d_over_n_alpha"] * n), float(a)) for a in p["alphas"]]
        return list(dict.fromkeys(pairs))

    def run_group(self, group: Mapping[str, Any], seeds: Sequence[int], device: Any) -> list[dict[str, Any]]:
        mem = [{"d": d, "k": group["k"], "gamma": group["gamma"], "alpha": a, "m": group["m"], "seed": s}
               for d, a in self._members(group) for s in seeds]
        return kgmmn_batch(mem, int(group["n"]), device=device, max_steps=int(group["max_steps"]),
                           n_test=int(group["n_test"]))

    def mutants(self) -> list[Mutant]:
        a, d, k = B.alpha, B.d, B.k
        up, lo = B.kgmmn_benign, B.kgmmn_lower
        cu, cl = up.constants[0], lo.constants[0]
        return [
            Mutant("upper_wrong_sign", "sign", "Cor 3.2.1 with exp(+C·α²·d/k) (sign of the exponent flipped)",
                   {"upper": up.mutant(sp.exp(cu * a**2 * d / k), "exponent sign")}),
            Mutant("upper_alpha_inverse", "alpha-factor", "Cor 3.2.1 with exp(−C·d/(α·k)) (α² replaced by 1/α)",
                   {"upper": up.mutant(sp.exp(-cu * d / (a * k)), "α⁻¹")}),
            Mutant("lower_alpha_squared", "alpha-factor", "Thm 3.3 with exp(−C·α²·d/k) (1/α replaced by α²)",
                   {"lower": lo.mutant(sp.exp(-cl * a**2 * d / k), "α²")}),
            Mutant("lower_alpha_linear", "alpha-factor", "Thm 3.3 with exp(−C·α·d/k) (α⁻¹ written α: sign of the "
                   "α exponent lost)", {"lower": lo.mutant(sp.exp(-cl * a * d / k), "α¹")}),
            Mutant("upper_alpha_to_minus_half", "alpha-factor", "Cor 3.2.1 with exp(−C·d/(√α·k)) (α² → α^−½)",
                   {"upper": up.mutant(sp.exp(-cu * d / (sp.sqrt(a) * k)), "α^−½")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        a, d, k = B.alpha, B.d, B.k
        up, lo = B.kgmmn_benign, B.kgmmn_lower
        cu, cl = up.constants[0], lo.constants[0]
        return [
            Mutant("upper_times_two", "constant-structure", "2·exp(−C·α²·d/k) (a factor the hidden constant allows)",
                   {"upper": up.mutant(2 * sp.exp(-cu * a**2 * d / k), "×2")}),
            Mutant("upper_alpha_cubed", "alpha-factor", "exp(−C·α³·d/k): weaker for α ≤ 1, still true",
                   {"upper": up.mutant(sp.exp(-cu * a**3 * d / k), "α³")}),
            Mutant("lower_alpha_minus_two", "alpha-factor", "exp(−C·d/(α²k)): a smaller lower bound, still true",
                   {"lower": lo.mutant(sp.exp(-cl * d / (a**2 * k)), "α⁻²")}),
            Mutant("lower_d_squared", "exponent", "exp(−C·d²/(αk)): smaller for large d, still true",
                   {"lower": lo.mutant(sp.exp(-cl * d**2 / (a * k)), "d²")}),
        ]

    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        recs = self.records(measurements)
        gated = gate_decision(kgmmn_gate(recs))
        if gated is not None:
            return gated
        n = int(params["n"])
        d_alpha = round(params["d_over_n_alpha"] * n)
        dsw = [r for r in recs if math.isclose(r["alpha"], params["alpha_ref"])]
        asw = [r for r in recs if r["d"] == d_alpha]
        level = bonferroni_level(5)
        top = [r for r in dsw if r["d"] == max(q["d"] for q in dsw)]
        t_chance, p_chance = below_test("error below chance (½) at the largest d/k", top, 0.5, 2)
        t_noise, p_noise = below_test("error below the training noise rate k/n at the largest d/k", top,
                                      float(params["k"]) / n, 2)
        sign_test, trend_power, fit, dk, lerr, pred_sign = _sign_test(dsw, bounds_by_role["upper"], params, level)
        rtests, al, s_a = _ratio_tests(asw, dsw, lerr, bounds_by_role, level)
        tests = [t_chance, t_noise, sign_test, *rtests]
        power = {"below_chance": p_chance, "below_noise_rate": p_noise,
                 "d_trend_efolds": trend_power,
                 **{f"ratio_slope_{i}": slope_power(t, level) for i, t in enumerate(rtests, 1)}}
        verdict, reason = combine_tests(tests)
        beta = fit_slope(np.log(al), np.log(s_a))
        aff = fit_slope(dk, -lerr)
        loglog = fit_slope(np.log(dk), np.log(-lerr))
        if verdict is Verdict.HOLDS:
            reason = (f"error {t_chance['err']:.4f} at the largest d/k, below chance and the noise rate; log err falls by "
                      f"{-fit.slope:.3f} per unit d/k; −log err ∝ α^{beta.slope:.2f} lies inside the sandwich exponents [−1, 2]")
        stop = stopping_summary(recs)
        findings = _findings(recs, dsw, params, aff, loglog, lerr, stop)
        it = numeric(bounds_by_role["iterations"], ["w_star_norm", "eta", "alpha", "m"])
        return Decision(
            verdict=verdict, reason=reason, rule=_RULE.format(level=level, n_test=params["n_test"]),
            predicted={"upper_d_trend_sign": pred_sign, "alpha_exponent_window": "[exponent of −log lower, exponent "
                       "of −log upper] = [−1, 2] for the true bounds"},
            measured={"tests": tests, "alpha_exponent_of_neglog_err": beta.slope, "alpha_exponent_se": beta.se,
                      "neglog_err_vs_dk": {"intercept": aff.intercept, "slope": aff.slope},
                      "T_over_bound_by_d": {str(k): seed_spread(v) for k, v in mean_by(
                          dsw, ["d"], lambda r: max(r["T"], 1) / float(it(r["wstar_norm"], r["eta"], r["alpha"],
                                                                           r["m"]))).items()},
                      "err_by_d": {str(k): seed_spread(v) for k, v in
                                   mean_by(dsw, ["d"], lambda r: r["err"]).items()},
                      "err_by_alpha": {str(k): seed_spread(v) for k, v in
                                       mean_by(asw, ["alpha"], lambda r: r["err"]).items()},
                      "stopping_rules": stop},
            domain="inside the measured regime gate (constants from the paper's Figure 1 settings)",
            findings=findings, power=power,
        )

    def draw(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        recs = self.records(measurements)
        n = int(params["n"])
        d_alpha = round(params["d_over_n_alpha"] * n)
        ax1, ax2, ax3 = fig.subplots(1, 3)
        dsw = [r for r in recs if math.isclose(r["alpha"], params["alpha_ref"])]
        for key, mk, lab in (("err", "o", "hinge stop (theorem)"), ("err01", "x", "0-1 stop (authors' code)")):
            g = mean_by(dsw, ["d"], lambda r, key=key: err_floor(r, key))
            xs = sorted(g)
            ax1.semilogy([x[0] / params["k"] for x in xs], [np.mean(g[x]) for x in xs], mk + "-", label=lab)
        lin = mean_by(dsw, ["d"], lambda r: r["lin_err"])
        xs = sorted(lin)
        ax1.semilogy([x[0] / params["k"] for x in xs], [np.mean(lin[x]) for x in xs], "k:", label="max-margin linear")
        ax1.set(title=f"clean test error, α={params['alpha_ref']}", xlabel="dimension / corrupted labels d/k",
                ylabel="clean test 0-1 error")
        ax1.legend(fontsize=8)
        asw = [r for r in recs if r["d"] == d_alpha]
        g = mean_by(asw, ["alpha"], lambda r: -math.log(err_floor(r)))
        xs = sorted(g)
        ax2.loglog([x[0] for x in xs], [np.mean(g[x]) for x in xs], "o-", label="measured −log err")
        a_grid = np.array([x[0] for x in xs])
        s_mid = float(np.mean(g[xs[len(xs) // 2]]))
        a_mid = xs[len(xs) // 2][0]
        ax2.loglog(a_grid, s_mid * (a_grid / a_mid) ** 2, "g--", lw=0.8, label="∝ α² (Cor 3.2.1)")
        ax2.loglog(a_grid, s_mid * (a_grid / a_mid) ** -1, "r--", lw=0.8, label="∝ 1/α (Thm 3.3)")
        ax2.set(title=f"−log err at d/k = {d_alpha / params['k']:.0f}", xlabel="leaky slope α", ylabel="−log clean test error")
        ax2.legend(fontsize=8)
        tests = [t for t in decision.measured.get("tests", []) if t.get("slope") is not None and t.get("ci")]
        for i, t in enumerate(tests):
            ax3.errorbar(t["slope"], i, xerr=[[t["slope"] - t["ci"][0]], [t["ci"][1] - t["slope"]]], fmt="o",
                         color="C3" if t.get("violated") else "C2")
        ax3.axvline(0.0, color="k", lw=0.6)
        ax3.set_yticks(range(len(tests)), [f"test {i + 1}" for i in range(len(tests))])
        ax3.set(title="rule slopes with CIs (red: violated)", xlabel="fitted slope", ylabel="sub-test (see report)")


def _sign_test(dsw: Sequence[Mapping[str, Any]], up: Bound, params: Mapping[str, Any], level: float
               ) -> tuple[dict[str, Any], dict[str, Any], Any, np.ndarray, np.ndarray, float]:
    """(i) Positive evidence for the d-trend: the slope of log err in d/k (the bounds' exp(−C·d/k) form; one slope,
    one intercept per seed, since a seed's training draws are shared across d) has the upper bound's sign with
    confidence; flat or reversed is *violated* only when the interval shows it, a wide interval is *inconclusive:
    underpowered* (:func:`~verification.checks.benign._common.trend_sign_test`). Returns the sub-test, its power
    entry (≤ 1 e-fold across the sweep), the fit, d/k, log err and the predicted sign."""
    dk = np.array([r["d"] / r["k"] for r in dsw])
    lerr = np.log([err_floor(r) for r in dsw])
    seeds = np.array([r["seed"] for r in dsw])
    fit = fit_common_slope([(dk[seeds == sd], lerr[seeds == sd]) for sd in np.unique(seeds)])
    a0, d0, k0 = float(params["alpha_ref"]), float(np.median([r["d"] for r in dsw])), float(params["k"])
    dlog = sp.diff(sp.log(up.expr.subs({c: 1 for c in up.constants})), B.d)
    pred_sign = float(np.sign(float(dlog.subs({B.alpha: a0, B.d: d0, B.k: k0}))))
    sign_test, power = trend_sign_test("d-trend of log err has the upper bound's sign", fit, level, pred_sign,
                                       float(np.ptp(dk)), int(dk.size))
    return sign_test, power, fit, dk, lerr, pred_sign


def _ratio_tests(asw: Sequence[Mapping[str, Any]], dsw: Sequence[Mapping[str, Any]], lerr: np.ndarray,
                 bounds_by_role: Mapping[str, Bound], level: float
                 ) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """(ii)–(v) ratio rules on s = −log err (upper bound on err ⇒ lower bound on s and vice versa) and on T."""
    names = ["alpha", "d", "k"]
    e_up, e_lo = neg_log(bounds_by_role["upper"], names), neg_log(bounds_by_role["lower"], names)
    s_a = -np.log([err_floor(r) for r in asw])
    al = np.array([r["alpha"] for r in asw])
    dd, kk = np.array([r["d"] for r in asw], float), np.array([r["k"] for r in asw], float)
    s_d = -lerr
    ad, ddd, kd = (np.array([r[key] for r in dsw], float) for key in ("alpha", "d", "k"))
    it = numeric(bounds_by_role["iterations"], ["w_star_norm", "eta", "alpha", "m"])
    q_it = np.array([max(r["T"], 1) / float(it(r["wstar_norm"], r["eta"], r["alpha"], r["m"])) for r in dsw])
    with np.errstate(all="ignore"):
        tests = [
            ratio_test("T/(‖w*‖²/(ηα²m)) vs d → ∞ (Thm 3.1)", ddd, q_it, "inf", "upper", level),
            ratio_test("−log err / (−log upper) vs α → 0", al, s_a / e_up(al, dd, kk), "0", "lower", level),
            ratio_test("−log err / (−log lower) vs α → 0", al, s_a / e_lo(al, dd, kk), "0", "upper", level),
            ratio_test("−log err / (−log lower) vs d → ∞", ddd, s_d / e_lo(ad, ddd, kd), "inf", "upper", level),
        ]
    return tests, al, s_a


def _findings(recs: Sequence[Mapping[str, Any]], dsw: Sequence[Mapping[str, Any]], params: Mapping[str, Any],
              aff: Any, loglog: Any, lerr: np.ndarray, stop: Mapping[str, Any]) -> list[str]:
    """Reported, not decided: the affine shape in d/k, stopping rules, the linear classifier, the domain."""
    n = int(params["n"])
    cens = sum(r["err"] == 0 for r in recs)
    findings = [f"−log err ≈ {aff.intercept:.2f} + {aff.slope:.3f}·d/k (affine, with a positive intercept); its "
                f"local log-log exponent in d/k is {loglog.slope:.2f} < 1 at these sizes, so the exp(−C·d/k) "
                "shape is asymptotic",
                f"stopping rules: the authors' 0-1 stop gives {stop['median_err_ratio_01_over_hinge']:.2f}× the "
                f"hinge-stop error (median {stop['median_err_01_stop']:.4f} vs "
                f"{stop['median_err_hinge_stop']:.4f})",
                f"max-margin linear classifier error (exact Φ) median "
                f"{float(np.median([r['lin_err'] for r in dsw])):.4f} vs network "
                f"{float(np.median(np.exp(lerr))):.4f}"]
    kr = float(params["k"]) / (float(params["alpha_ref"]) ** 2 * n)
    findings.append(f"domain: k/(α²n) = {kr:.3g} at α = {params['alpha_ref']}: Cor 3.2.1's k = O(α²n) holds "
                    f"only if its hidden constant is ≥ {kr:.3g}; the sandwich is nevertheless observed")
    if cens:
        findings.append(f"{cens} runs had zero test errors in the Monte-Carlo sample (floored at half a count)")
    return findings
