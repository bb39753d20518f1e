"""Early-stopped test error across α against the trajectory bound's α-ordering in its large-n form."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

import bounds as B
from bounds import Bound
from empirical.generalization.experiments import alpha_order_run
from verification.check import Check, Decision, Measurements, Mutant, Unit, Verdict
from verification.checks.generalization._common import CONSTANT_RANGE, ORDER_FAMILY, draw_unknowns, in_domain, key
from verification.rules import seed_spread
from verification.rules.intervals import t_interval
from verification.rules.power import detectable, power_entry
from verification.rules.regime import Condition, gate_reason
from verification.rules.verdicts import combine

#: power target: a difference of 0.05 in early test 0-1 error (a tenth of chance level) between adjacent α
_EFFECT_TARGET = 0.05
#: chance level of the balanced ±1 tasks: an α whose error is not significantly below it has learned nothing
_CHANCE = 0.5
#: seeds used for the datasets that are reported, not judged (the judged ones use every seed)
_REPORTED_SEEDS = 5


class EarlyStoppingAlphaOrder(Check):
    """Early-stopped test error across α against the bound's α-ordering in its large-n form.

    In the regime where the training term dominates (large n, few epochs: docs/theory/generalization.md §5.1), the trajectory
    bound
    is ordered like its training term F̂_K(α) (role ``training``), whose α-ordering is read off at the early
    epoch for random draws of the hidden constant. Measurement: squared-loss GD with one η for all α on a task
    whose labels lie mostly outside span X (where the Gram's α-factor c_α governs training); test 0-1 error at
    the early epoch, paired over seeds. Rule: Bonferroni t-intervals of the paired differences of the predicted
    adjacent pairs; a pair supports *holds* only if the better α's error is significantly below chance (positive
    evidence of learning). Power: a 0.05 difference in test error must be detectable. Regime: no divergence,
    m ≥ n (over-parameterised), η·λ_max ≤ 1 for every α by construction (η = min_α 1/λ_max).
    """

    name = "early_stopping_alpha_order"
    claim = ("After a few GD epochs with large n, the test error is ordered like the trajectory bound's training "
             "term, i.e. by c_α with α = −1 lowest (the 'large data and early stopping' setting of GLL's abstract).")
    source = ("GLL24 abstract [paper] and summaries [summary]; ordering from the [inferred] trajectory "
              "schematic, docs/theory/generalization.md §5.1 and its encoding rule")
    bound_roles = {"training": "traj_training_term"}
    default_seeds = {"quick": 15, "full": 15}
    version = 2  # v2: quick width 512 (m ≥ n), 15 seeds on the judged dataset, batched closed-form GD over α

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {
                "datasets": {
                    "synthetic": {"kind": "teacher", "teacher": "even", "d": 6, "n_train": 400, "n_test": 800},
                    "synthetic_small_n": {"kind": "teacher", "teacher": "even", "d": 6, "n_train": 100,
                                          "n_test": 800},
                    "digits": {"kind": "digits", "classes": [3, 8], "n_train": 200, "n_test": None},
                },
                "judged": ["synthetic"], "alphas": [-1.0, 0.0, 0.5], "width": 512, "early_epoch": 10,
                "late_epoch": 40, "test_every": 5, "draws": 48, "min_nonlinear_fraction": 0.5,
            }
        return {
            "datasets": {
                "synthetic": {"kind": "teacher", "teacher": "even", "d": 8, "n_train": 1000, "n_test": 2000},
                "synthetic_small_n": {"kind": "teacher", "teacher": "even", "d": 8, "n_train": 200, "n_test": 2000},
                "synthetic_linear": {"kind": "teacher", "teacher": "linear", "d": 8, "n_train": 1000,
                                     "n_test": 2000},
                "digits": {"kind": "digits", "classes": [3, 8], "n_train": 250, "n_test": None},
            },
            "judged": ["synthetic"], "alphas": [-1.0, -0.5, 0.0, 0.5], "width": 1024, "early_epoch": 10,
            "late_epoch": 200, "test_every": 2, "draws": 128, "min_nonlinear_fraction": 0.5,
        }

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        keep = ("alphas", "width", "early_epoch", "late_epoch", "test_every")
        return [Unit(name, s, {"dataset": name, "spec": spec, **{k: params[k] for k in keep}})
                for name, spec in params["datasets"].items()
                for s in (seeds if name in params["judged"] else seeds[:_REPORTED_SEEDS])]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        return alpha_order_run(unit.params, unit.seed, device)

    def mutants(self) -> list[Mutant]:
        tt = B.traj_training_term
        c = B.generalization.statements.C_ALPHA
        return [Mutant("ordering_reversed", "sign", "training term with c_{−α} = (1+α)²/(1+α²) in place of c_α "
                       "(α's sign convention flipped: predicts α = 0.5 best)",
                       {"training": tt.mutant(tt.expr.subs(c, (1 + B.alpha) ** 2 / (1 + B.alpha**2)), "c_{−α}")}),
                Mutant("c_alpha_one_minus_alpha_squared", "alpha-factor",
                       "training term with (1 − α²)/(1 + α²) in place of c_α = (1 − α)²/(1 + α²) (the jump "
                       "factor's square misread as (1−α)(1+α): predicts α = 0 best, α = −1 worst)",
                       {"training": tt.mutant(tt.expr.subs(c, (1 - B.alpha**2) / (1 + B.alpha**2)), "(1−α²)")}),
                Mutant("alpha_factor_dropped", "alpha-factor", "training term without c_α (predicts no α-effect: a "
                       "significantly separated pair refutes it; found by an adversarial review)",
                       {"training": tt.mutant(tt.expr.subs(c, 1), "no c_α")})]

    def true_but_looser(self) -> list[Mutant]:
        tt = B.traj_training_term
        return [Mutant("training_term_doubled", "constant-structure", "2·F̂_0·ρ_α^K (a looser constant: same order)",
                       {"training": tt.mutant(2 * tt.expr, "× 2")}),
                Mutant("rate_constant_halved", "constant-structure", "C_rate → C_rate/2 (slower contraction, same order)",
                       {"training": tt.mutant(tt.expr.subs(B.generalization.statements.C_rate,
                                                           B.generalization.statements.C_rate / 2), "C_rate/2")})]

    def _predict(self, bound: Bound, m: Mapping[str, Any], params: Mapping[str, Any], seed: int
                 ) -> tuple[list[float] | None, int]:
        """α-order (best first) of the training term at the early epoch, if every in-domain draw agrees."""
        known = {B.K: params["early_epoch"], B.n: m["n"], B.m: params["width"], B.eta: m["eta"], B.d: m["d"],
                 B.delta: m["delta"], B.F_0: m["alphas"][key(params["alphas"][0])]["initial_train_loss"], B.L: 1}
        known = {s: v for s, v in known.items()
                 if s in bound.variables or any(s in r.free_symbols for r in bound.domain)}
        known_all = {**known, B.alpha: params["alphas"][0]}
        fn = sp.lambdify(bound.variables, bound.expr, modules="numpy")
        orders: set[tuple[int, ...] | None] = set()
        valid, all_tied = 0, True
        for draw in draw_unknowns(bound, known_all, params["draws"], seed):
            per_alpha = [{**known, **draw, B.alpha: a} for a in params["alphas"]]
            if not all(in_domain(bound, v) for v in per_alpha):
                continue
            with np.errstate(all="ignore"):
                values = [float(fn(*[v[s] for s in bound.variables])) for v in per_alpha]
            if not all(np.isfinite(values)):
                continue
            valid += 1
            ties = len(set(np.round(values, 15))) < len(values)
            all_tied = all_tied and len(set(np.round(values, 15))) == 1
            orders.add(None if ties else tuple(int(i) for i in np.argsort(values, kind="stable")))
        if orders == {None} and valid and all_tied:  # every draw: the same value for every α (no α-effect)
            return [], valid
        if len(orders) != 1 or None in orders:
            return None, valid
        order = next(iter(orders))
        return [params["alphas"][i] for i in order], valid

    @staticmethod
    def _mean_order(ms: Sequence[Mapping[str, Any]], alphas: Sequence[float], field: str) -> list[float]:
        return sorted(alphas, key=lambda a: float(np.mean([m["alphas"][key(a)][field] for m in ms])))

    def _dataset(self, ds: str, ms: Sequence[Mapping[str, Any]], order: list[float] | None, level: float,
                 params: Mapping[str, Any], parts: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        """Paired t-intervals of the adjacent predicted pairs of one dataset (judged ones go into ``parts``)."""
        alphas = params["alphas"]
        f_nl = float(np.mean([m["nonlinear_fraction"] for m in ms]))
        err = {a: [m["alphas"][key(a)]["test_error_early"] for m in ms] for a in alphas}
        entry: dict[str, Any] = {
            "nonlinear_label_fraction": f_nl, "n_train": ms[0]["n"],
            "early_test_error": {key(a): seed_spread(v) for a, v in err.items()},
            **{f"{f}_test_error": {key(a): seed_spread([m["alphas"][key(a)][f"test_error_{f}"] for m in ms])
                                   for a in alphas} for f in ("late", "best")}}
        judged = ds in params["judged"] and f_nl >= params["min_nonlinear_fraction"]
        pair_verdicts = {}
        if order == []:  # the bound predicts no α-effect: a significantly separated pair refutes it
            pairs = list(itertools.combinations(alphas, 2))
            flat_level = 1 - (1 - level) * (len(alphas) - 1) / len(pairs)  # Bonferroni over all pairs, not adjacent
            for a, b in pairs:
                mean, se, hw = t_interval([x - y for x, y in zip(err[a], err[b], strict=True)], flat_level)
                v = "violated" if abs(mean) > hw else "inconclusive"
                pair_verdicts[f"err(α={a:g}) − err(α={b:g})"] = {
                    "mean": mean, "ci_halfwidth": hw, "verdict": v, "predicted": 0.0,
                    "detectable": detectable(se, level=1 - flat_level, df=len(err[a]) - 1)}
                if judged:
                    parts[f"{ds}: α={a:g} = α={b:g} (no α-effect predicted)"] = v
        elif order is not None:
            for better, worse in itertools.pairwise(order):
                mean, se, hw = t_interval([w - b for w, b in zip(err[worse], err[better], strict=True)], level)
                b_mean, _, b_hw = t_interval(err[better], level)
                learned = b_mean + b_hw < _CHANCE  # positive evidence: the better α has learned something
                v = ("violated" if mean + hw < 0 else "holds" if mean - hw > 0 and learned else "inconclusive")
                pair_verdicts[f"err(α={worse:g}) − err(α={better:g})"] = {
                    "mean": mean, "ci_halfwidth": hw, "verdict": v, "better_below_chance": learned,
                    "detectable": detectable(se, level=1 - level, df=len(err[better]) - 1)}
                if judged:
                    parts[f"{ds}: α={better:g} < α={worse:g}"] = v
        elif judged:
            parts[f"{ds}: ordering"] = "inconclusive"
        entry["pairs"] = pair_verdicts
        early = " < ".join(f"α={a:g}" for a in self._mean_order(ms, alphas, "test_error_early"))
        late = " < ".join(f"α={a:g}" for a in self._mean_order(ms, alphas, "test_error_late"))
        findings = []
        if not judged:
            why = ("outside the ordering's domain: most label energy lies in span X "
                   f"(nonlinear fraction {f_nl:.2f} < {params['min_nonlinear_fraction']})"
                   if f_nl < params["min_nonlinear_fraction"] else "reported, not judged")
            findings.append(f"{ds} (n={ms[0]['n']}): early-epoch test error ordered {early}; {why}")
        findings.append(f"{ds}: at epoch {params['early_epoch']} the order is {early}, at epoch {params['late_epoch']} "
                        f"{late} (docs/theory/generalization.md expects α = −1's early advantage to shrink or "
                        "reverse as K grows)")
        return entry, findings

    @staticmethod
    def _g3_finding(data: Mapping[str, Sequence[Mapping[str, Any]]], alphas: Sequence[float]) -> list[str]:
        """G3: the early advantage err(α=0) − err(α=−1) at small and large n."""
        if not ("synthetic" in data and "synthetic_small_n" in data and -1.0 in alphas and 0.0 in alphas):
            return []
        adv = {}
        for ds in ("synthetic_small_n", "synthetic"):
            diffs = [m["alphas"]["0"]["test_error_early"] - m["alphas"]["-1"]["test_error_early"] for m in data[ds]]
            mean, se, _ = t_interval(diffs, 0.95)
            adv[ds] = (data[ds][0]["n"], mean, se)
        change = adv["synthetic"][1] - adv["synthetic_small_n"][1]
        se_change = math.hypot(adv["synthetic"][2], adv["synthetic_small_n"][2])
        trend = ("grows with n" if change > 2 * se_change else "shrinks with n" if change < -2 * se_change
                 else "no change beyond 2 standard errors")
        return ["G3: early advantage err(α=0) − err(α=−1) = "
                + ", ".join(f"{v[1]:+.3f} ± {v[2]:.3f} at n={v[0]}" for v in adv.values())
                + f" — {trend} (η = min_α 1/λ_max shrinks with n here; at fixed η and m the schematic "
                  "predicts a shrinking advantage: bounds.generalization.regime)"]

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        bound = bounds_by_role["training"]
        data: dict[str, list[Mapping[str, Any]]] = {}
        diverged = []
        for unit, m in measurements.records():
            ds = unit.params["dataset"]
            diverged += [f"{ds} α={a_key} diverged at epoch {res['diverged_at']}"
                         for a_key, res in m["alphas"].items() if res["diverged_at"] is not None]
            data.setdefault(ds, []).append(m)
        gate = gate_reason([
            Condition("no divergence", not diverged, "; ".join(diverged[:2]) or None),
            Condition("over-parameterised judged runs (m ≥ n)", all(
                params["width"] >= m["n"] for ds in params["judged"] for m in data.get(ds, [])),
                f"m = {params['width']}, n = {[data[ds][0]['n'] for ds in params['judged'] if ds in data]}"),
            Condition("≥ 3 seeds and ≥ 2 α", min((len(v) for v in data.values()), default=0) >= 3
                      and len(params["alphas"]) >= 2),
        ])
        if gate:
            return Decision(Verdict.INCONCLUSIVE, gate, rule=self._rule(params, math.nan, 0), predicted={},
                            measured={"diverged": diverged},
                            power={"ordering_effect": power_entry(math.inf, _EFFECT_TARGET, "test 0-1 error", gate)})
        parts: dict[str, str] = {}
        predicted: dict[str, Any] = {}
        measured: dict[str, Any] = {}
        findings: list[str] = []
        n_pairs = (len(params["alphas"]) - 1) * len(params["judged"])
        level = 1 - ORDER_FAMILY / max(n_pairs, 1)
        for i, (ds, ms) in enumerate(sorted(data.items())):
            order, valid = self._predict(bound, ms[0], params, seed=2000 + i)
            predicted[ds] = {"order_best_first": order, "valid_draws": valid}
            measured[ds], f_ = self._dataset(ds, ms, order, level, params, parts)
            findings += f_
        findings += self._g3_finding(data, params["alphas"])
        verdict = combine(parts.values()) if parts else Verdict.INCONCLUSIVE
        dets = [pv["detectable"] for ds in params["judged"] if ds in measured for pv in measured[ds]["pairs"].values()]
        return Decision(
            verdict=verdict, reason=self._reason(verdict, parts, params), rule=self._rule(params, level, n_pairs),
            predicted=predicted, measured=measured,
            power={"ordering_effect": power_entry(max(dets, default=math.inf), _EFFECT_TARGET,
                                                  "paired difference of early test 0-1 error",
                                                  "detectable(se) of the paired difference at the Bonferroni level, "
                                                  "Student t over seeds, worst adjacent pair of the judged datasets")},
            domain=("undetermined (hidden constants): whether n is large enough and K small enough for the training "
                    "term to dominate depends on the schematic's constants (see bounds.generalization.regime)"),
            findings=findings,
        )

    @staticmethod
    def _reason(verdict: Verdict, parts: Mapping[str, str], params: Mapping[str, Any]) -> str:
        if verdict is Verdict.VIOLATED:
            return "measured early test error contradicts the prediction: " + "; ".join(
                k for k, v in parts.items() if v == "violated")
        if verdict is Verdict.HOLDS:
            return (f"early-epoch (K = {params['early_epoch']}) test error ordered as predicted, every adjacent "
                    "pair separated by its confidence interval: " + "; ".join(parts))
        return ("the confidence intervals cannot separate, or the better α is not below chance: "
                + "; ".join(k for k, v in parts.items() if v == "inconclusive")
                if parts else "no judged dataset inside the ordering's domain")

    @staticmethod
    def _rule(params: Mapping[str, Any], level: float, n_pairs: int) -> str:
        return (f"predicted order = ordering of the training term at K = {params['early_epoch']} over α, taken when "
                f"all in-domain draws of its hidden constants ({params['draws']}, log-uniform in {CONSTANT_RANGE}) "
                "agree. For each adjacent predicted pair, paired differences of the test 0-1 error over seeds "
                "(same data and initialisation seed for every α, one η = min_α 1/λ_max): holds if the "
                f"{level:.4f} t-interval is above 0 and the better α's error is below chance ({_CHANCE:g}, its "
                f"{level:.4f} t-interval), violated if below 0, else inconclusive "
                f"(Bonferroni over {n_pairs} pairs, family-wise {ORDER_FAMILY:g}). Judged: the large-n datasets "
                f"{params['judged']} whose labels lie mostly outside span X (fraction ≥ "
                f"{params['min_nonlinear_fraction']}); the rest are findings. Power: a {_EFFECT_TARGET:g} difference must "
                "be detectable. Regime: no divergence, m ≥ n on the judged datasets, ≥ 3 seeds; outside → inconclusive")

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        by_ds = {ds: [m for _, m in pairs] for ds, pairs in measurements.group("dataset").items()}
        axes = np.atleast_1d(fig.subplots(1, len(by_ds)))
        for ax, (ds, ms) in zip(axes, sorted(by_ds.items()), strict=True):
            for a in params["alphas"]:
                curves = np.asarray([m["alphas"][key(a)]["test_error_curve"] for m in ms])
                ks = np.arange(curves.shape[1])
                rec = (ks > 0) & np.all(np.isfinite(curves), axis=0)  # epochs with a recorded test error
                line, = ax.plot(ks[rec], curves.mean(0)[rec], label=f"α={a:g}")
                ax.fill_between(ks[rec], curves.min(0)[rec], curves.max(0)[rec], alpha=0.15, color=line.get_color())
            ax.axvline(params["early_epoch"], color="k", ls=":", lw=0.8)
            ax.set(xscale="log", title=f"{ds.replace('_', ' ')} (n={ms[0]['n']})", xlabel="epoch", ylabel="test 0-1 error")
            ax.legend(fontsize=8)
