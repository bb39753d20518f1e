"""The value of ADHLW's bound against the measured 0-1 error of the noisy distribution; vacuous → inconclusive."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import bounds as B
from bounds import Bound
from empirical.generalization.train import label_quadratic_form
from empirical.gram import leaky_gram
from verification.check import Decision, Measurements, Mutant, Verdict
from verification.checks.generalization._common import FW_FAMILY, NoiseExperiment, diverged, groups, key
from verification.rules import seed_spread
from verification.rules.intervals import clopper_pearson, t_interval
from verification.rules.power import power_entry
from verification.rules.regime import Condition, gate_reason

#: power target: the bound must be testable against an error exceeding it by 0.10 (ten points of 0-1 error)
_EXCESS_TARGET = 0.10
#: zero training loss of the t → ∞ lazy network: relative residual ‖H_M c − y‖/‖y‖ below this (solve precision)
_RESIDUAL_MAX = 1e-6


class AroraBoundVsError(NoiseExperiment):
    """The value of ADHLW's bound against the measured 0-1 error of the noisy distribution; vacuous → inconclusive.

    The bound's computable part B₀ (hidden constants set to 0) is evaluated with the encoded kernel; its hidden
    additive term does not depend on the labels (only on n, λ_0, p_fail), so it is fitted on the clean-label run
    (A = largest excess of the clean error over B₀) and the bound B₀ + A is tested on the held-out noise levels
    with the same inputs (docs/theory/README.md rule 2: fit on one configuration, test on held-out ones).

    The error judged is that of the network the theorem speaks about: trained to t → ∞ in the lazy regime, i.e.
    the interpolant of the width-M tangent kernel (zero training loss, measured residual); the nets trained for
    the profile's epochs are outside the theorem's step count and are reported only. Power: an error exceeding
    the bound by 0.10 must be detectable (Clopper–Pearson width at the run's n_test). Regime: zero training loss of
    the lazy network, M ≥ 10·n, encoded Gram positive definite; outside → inconclusive.
    """

    name = "arora_bound_vacuity"
    claim = ("The value of Arora et al.'s bound √(2yᵀH⁻¹y/n) + O(√(log(n/(λ_0 p_fail))/n)) lies above the "
             "measured 0-1 test error of the noisy-label distribution; where the bound is ≥ 1 it is vacuous.")
    source = ("ADHLW19, Theorem 5.1 — recalled; leaky-ReLU version [inferred]: theory "
              "docs/theory/generalization.md §2")
    bound_roles = {"bound": "adhlw_generalization", "gram": "H_tilde"}
    expected_quick_verdict = Verdict.INCONCLUSIVE

    def mutants(self) -> list[Mutant]:
        bd = B.adhlw_generalization
        return [Mutant("n_outside_root", "exponent",
                       "ADHLW bound with √(2yᵀH⁻¹y)/n (n⁻¹ instead of n^(−1/2)) as its leading term",
                       {"bound": bd.mutant(bd.expr - sp.sqrt(2 * B.quad_y / B.n) + sp.sqrt(2 * B.quad_y) / B.n,
                                           "n outside the square root")}),
                Mutant("data_term_dropped", "constant-structure",
                       "ADHLW bound read as its confidence term alone, O(√(log(n/(λ_0 p_fail))/n)) (the "
                       "data-dependent √(2yᵀH⁻¹y/n) dropped)",
                       {"bound": bd.mutant(bd.expr - sp.sqrt(2 * B.quad_y / B.n), "data-dependent term dropped")})]

    def true_but_looser(self) -> list[Mutant]:
        bd = B.adhlw_generalization
        c = next(s for s in bd.constants if s.name == "C_adhlw")
        return [Mutant("confidence_constant_doubled", "constant-structure", "C_adhlw → 2·C_adhlw (hidden constant)",
                       {"bound": bd.mutant(bd.expr.subs(c, 2 * c), "C_adhlw doubled")}),
                Mutant("leading_constant_doubled", "constant-structure", "√(4yᵀH⁻¹y/n): a looser leading constant",
                       {"bound": bd.mutant(bd.expr - sp.sqrt(2 * B.quad_y / B.n) + sp.sqrt(4 * B.quad_y / B.n),
                                           "leading constant 2 → 4")})]

    @staticmethod
    def _computable(bound: Bound) -> tuple[Any, bool]:
        """B₀ = the bound with hidden constants → 0 (a function of quad_y, n, λ_0, p_fail) and whether the hidden
        remainder is label-free (does not contain quad_y)."""
        computable = bound.expr.subs({c: 0 for c in bound.constants})
        label_free_hidden = not sp.simplify(bound.expr - computable).has(B.quad_y)
        extra = computable.free_symbols - {B.quad_y, B.n, B.lam, B.p_fail}
        if extra:
            raise ValueError(f"{bound.name}: computable part needs values for {sorted(s.name for s in extra)}")
        return sp.lambdify((B.quad_y, B.n, B.lam, B.p_fail), computable, modules="numpy"), label_free_hidden

    @staticmethod
    def _pooled(sel: Sequence[Mapping[str, Any]]) -> tuple[float, int]:
        """Error rate of the lazy networks pooled over seeds (Σ errors / Σ n_test) and the pooled count."""
        n = sum(r["n_test"] for r in sel)
        return sum(round(r["lazy_test_error_noisy"] * r["n_test"]) for r in sel) / n, n

    def _group(self, tag: str, grp: Sequence[Mapping[str, Any]], conf: float, parts: dict[str, str],
               vacuous_values: list[float], excess: list[float]) -> tuple[dict[str, Any], str]:
        """Fit A on the clean run and test B₀ + A at every held-out noise level of one (dataset, α), seeds pooled.

        Each seed's bound B₀,s + A ≥ e_s implies mean_s(B₀,s) + A ≥ mean_s(e_s), so the seed-averaged bound is
        compared with the Clopper–Pearson interval of the pooled error (one interval per noise level)."""
        clean = [r for r in grp if r["p"] == 0]
        e0, n0 = self._pooled(clean)
        b_clean = float(np.mean([r["b0"] for r in clean]))
        fitted = max(0.0, clopper_pearson(e0, n0, conf)[1] - b_clean)
        entry: dict[str, Any] = {"fitted_additive_term": fitted,
                                 "p=0 (fit)": {"bound_computable": seed_spread([r["b0"] for r in clean]),
                                               "noisy_test_error_pooled": e0, "test_examples": n0,
                                               "trained_net_noisy_test_error": seed_spread(
                                                   [r["test_error_noisy"] for r in clean])}}
        finding = (f"{tag}: clean labels: bound's computable part {b_clean:.3f} "
                   + ("(vacuous)" if b_clean >= 1 else "(non-vacuous)") + f", test error of the t → ∞ lazy net {e0:.3f}")
        for p in sorted({r["p"] for r in grp if r["p"] > 0}):
            sel = [r for r in grp if r["p"] == p]
            value = float(np.mean([r["b0"] for r in sel])) + fitted
            err, n = self._pooled(sel)
            lo, hi = clopper_pearson(err, n, conf)
            v = "vacuous" if value >= 1 else "violated" if lo > value else "holds" if hi <= value else "inconclusive"
            excess.append(err - lo)
            if v == "vacuous":
                vacuous_values.append(value)
            parts[f"{tag}, p={p:g}"] = v
            entry[f"p={p:g}"] = {"bound_value": value, "noisy_test_error_pooled": err, "ci": [lo, hi],
                                 "test_examples": n, "trained_net_noisy_test_error": seed_spread(
                                     [r["test_error_noisy"] for r in sel]), "status": v}
        return entry, finding

    @staticmethod
    def _verdict(parts: Mapping[str, str], vacuous_values: Sequence[float]) -> tuple[Verdict, str]:
        """Vacuous levels are set aside; violated if any judged level is; holds if all judged hold; vacuous-only →
        inconclusive."""
        judged = {k: v for k, v in parts.items() if v != "vacuous"}
        vac = f"; vacuous (≥ 1) at {len(vacuous_values)}" if vacuous_values else ""
        if any(v == "violated" for v in judged.values()):
            return Verdict.VIOLATED, "violated: measured error above the bound at " + ", ".join(
                k for k, v in judged.items() if v == "violated")
        if not judged and vacuous_values:
            return Verdict.INCONCLUSIVE, (f"vacuous: bound = {min(vacuous_values):.2f} ≥ 1 (smallest value over the "
                                          f"{len(vacuous_values)} held-out noise configurations)")
        if judged and all(v == "holds" for v in judged.values()):
            return Verdict.HOLDS, f"the bound lies above the error at the {len(judged)} non-vacuous held-out configurations" + vac
        return Verdict.INCONCLUSIVE, ("cannot decide: " + ", ".join(k for k, v in judged.items()
                                                                    if v == "inconclusive")[:300] + vac)

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        b0, label_free_hidden = self._computable(bounds_by_role["bound"])
        rows, failures = self.rows(measurements, bounds_by_role["gram"])
        gate = self._gate(rows, failures)
        if gate:
            return Decision(Verdict.INCONCLUSIVE, gate, rule=self._rule(params, math.nan, 0), predicted={},
                            measured={"gram_failures": failures},
                            power={"bound_vs_error": power_entry(math.inf, _EXCESS_TARGET, "0-1 error", gate)})
        for r in rows:
            ok = np.isfinite(r["q"]) and r["lam_min"] > 0
            r["b0"] = float(b0(r["q"], r["n"], r["lam_min"], params["p_fail"])) if ok else math.nan
        n_tests = len({(r["dataset"], r["alpha"], r["p"]) for r in rows})
        conf = FW_FAMILY / max(n_tests, 1)
        excess: list[float] = []
        parts: dict[str, str] = {}
        table: dict[str, Any] = {}
        vacuous_values: list[float] = []
        findings: list[str] = []
        for (ds, a), grp in sorted(groups(rows).items()):
            tag = f"{ds}, α={a:g}"
            if not label_free_hidden or not all(np.isfinite(r["b0"]) for r in grp):
                parts[tag] = "inconclusive"
                continue
            table[tag], finding = self._group(tag, grp, conf, parts, vacuous_values, excess)
            findings.append(finding)
        verdict, reason = self._verdict(parts, vacuous_values)
        if not label_free_hidden:
            reason += "; the bound's hidden term depends on the labels, so it cannot be fitted on clean labels"
        findings += self._cg19_finding(rows, measurements) + [f"trained nets: {x}" for x in diverged(rows)[:3]]
        return Decision(
            verdict=verdict, reason=reason, rule=self._rule(params, conf, n_tests),
            power={"bound_vs_error": power_entry(max(excess, default=math.inf), _EXCESS_TARGET,
                                                 "0-1 error above the bound value",
                                                 "largest distance from a held-out pooled error to its lower "
                                                 "Clopper–Pearson limit (an error that far above the bound is "
                                                 "flagged)")},
            predicted={"bound_by_configuration": {k: {kk: vv for kk, vv in v.items()} for k, v in table.items()}},
            measured={"status": parts, "gram_failures": failures},
            domain=("inside for the t → ∞ lazy network (zero training loss, M ≥ 10·n); the width condition's "
                    "poly(n) constant is hidden; exact-count flips are a without-replacement version of i.i.d. label "
                    "noise; the profile's trained nets (t ≪ log(n/p_fail)/(ηλ_0)) are reported, not judged"),
            findings=findings,
        )

    @staticmethod
    def _gate(rows: Sequence[Mapping[str, Any]], failures: Sequence[str]) -> str | None:
        res = [r.get("lazy_train_residual", math.inf) for r in rows]
        return gate_reason([
            Condition("encoded Gram positive definite (yᵀH⁻¹y defined)", not failures, "; ".join(failures[:2]) or None),
            Condition(f"zero training loss of the t → ∞ lazy network (residual < {_RESIDUAL_MAX:g})",
                      bool(rows) and max(res) < _RESIDUAL_MAX, float(max(res, default=math.inf))),
            Condition("finite-width Gram width M ≥ 10·n", bool(rows) and min(r["gram_width"] / r["n"] for r in rows) >= 10,
                      float(min((r["gram_width"] / r["n"] for r in rows), default=0.0))),
            Condition("a clean-label run (p = 0) to fit the label-free term", any(r["p"] == 0 for r in rows)),
        ])

    @staticmethod
    def _rule(params: Mapping[str, Any], conf: float, n_tests: int) -> str:
        return ("error judged: noisy-distribution test 0-1 error of the t → ∞ lazy network (kernel interpolant of the "
                "width-M tangent kernel at initialisation, zero training loss). "
                "bound value = computable part B₀ (hidden constants → 0, λ_0 = λ_min of the encoded Gram, "
                f"p_fail = {params['p_fail']}) + A, where the hidden term A depends only on n, λ_0 and p_fail, not "
                "on the labels, and is fitted on the clean run of the same inputs (A = upper confidence limit of the "
                "clean error pooled over seeds − mean B₀, at least 0; docs/theory/README.md rule 2). Each held-out noise level, "
                "seeds pooled (mean of the per-seed bounds vs the pooled error, implied by the per-seed bounds): "
                "vacuous if B₀ + A ≥ 1 (never 'holds'); violated if the lower Clopper–Pearson limit of the noisy "
                "test 0-1 error exceeds B₀ + A, holds if the upper limit is at or below it (two-sided level "
                f"1 − {conf:.2g} each: Bonferroni over {n_tests} intervals, family-wise {FW_FAMILY:g}). "
                "Power: an error 0.10 above the bound "
                "must be detectable. Regime: lazy network's training residual < 1e-6, M ≥ 10·n, encoded Gram positive "
                "definite; outside → inconclusive")

    @staticmethod
    def _cg19_finding(rows: Sequence[Mapping[str, Any]], measurements: Measurements) -> list[str]:
        """G4: the CG19 NTK-form core √(yᵀΘ_α⁻¹y/n) (ỹ = y, both layers' NTK) ordered across α vs the test error."""
        out = []
        for ds in sorted({r["dataset"] for r in rows}):
            alphas = sorted({r["alpha"] for r in rows if r["dataset"] == ds})
            if len(alphas) < 2:
                continue
            core, err, err_se = {}, {}, {}
            for a in alphas:
                vals = []
                for _, m in measurements.select(kind="data", dataset=ds):
                    x = torch.tensor(m["x_train"], dtype=torch.float64)
                    theta = leaky_gram(x, a, kind="ntk").cpu().numpy()
                    y = np.asarray(m["labels"][key(0.0)])
                    vals.append(math.sqrt(label_quadratic_form(theta, y) / y.size))
                core[a] = float(np.mean(vals))
                errs = [r["test_error_clean"] for r in rows if r["dataset"] == ds and r["alpha"] == a and r["p"] == 0]
                err[a], err_se[a], _ = t_interval(errs, 0.95)
            spread = max(err.values()) - min(err.values())
            noise = 2 * math.sqrt(sum(v**2 for v in err_se.values() if np.isfinite(v)))
            out.append(f"{ds} (G4, CG19 corollary with ỹ = y): √(yᵀΘ_α⁻¹y/n) = "
                       + ", ".join(f"{core[a]:.3f} (α={a:g})" for a in alphas) + "; clean test error "
                       + ", ".join(f"{err[a]:.3f}" for a in alphas)
                       + (" — the test errors do not separate the α's (within 2 standard errors)" if spread <= noise
                          else " — same α-order" if sorted(alphas, key=core.get) == sorted(alphas, key=err.get)
                          else " — different α-order"))
        return out

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        table = decision.predicted.get("bound_by_configuration", {})
        ax1, ax2 = fig.subplots(1, 2)
        for i, (tag, entries) in enumerate(sorted(table.items())):
            ax = ax1 if i % 2 == 0 else ax2
            ps, bvals, errs = [], [], []
            fit = entries["fitted_additive_term"]
            for k, v in entries.items():
                if not k.startswith("p="):
                    continue
                clean = k.startswith("p=0 ")
                ps.append(0.0 if clean else float(k.split("=")[1]))
                bvals.append(v["bound_computable"]["mean"] + fit if clean else v["bound_value"])
                errs.append(v["noisy_test_error_pooled"])
            order = np.argsort(ps)
            line, = ax.plot(np.asarray(ps)[order], np.asarray(bvals)[order], "o-", ms=3, label=f"bound, {tag}")
            ax.plot(np.asarray(ps)[order], np.asarray(errs)[order], "s--", ms=3, color=line.get_color(),
                    label=f"error, {tag}")
        for ax in (ax1, ax2):
            ax.axhline(1, color="r", lw=0.8, ls=":", label="vacuous above 1")
            ax.set(yscale="log", xlabel="label-noise fraction p", ylabel="0-1 error / bound value")
            ax.legend(fontsize=8)
        ax1.set_title("ADHLW bound value vs noisy test error of the t → ∞ lazy net")
