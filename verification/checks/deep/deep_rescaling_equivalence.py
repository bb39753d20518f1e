"""deep_rescaling_equivalence: the rescaled activation, AZLS's He init and the unscaled σ_α with rescaled
init are one network function; GD steps convert as η' = s²·η (docs/theory/convergence.md §6.2, docs/theory/README.md N2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

import bounds as B
from bounds import Bound
from bounds.deep.convergence import leaky_expr
from empirical.deep.experiments import rescaling_unit
from verification.check import Check, Decision, Measurements, Mutant, Unit, Verdict
from verification.checks.deep._common import cpu_threads, unit_roundoff_tol
from verification.rules.power import power_entry

__all__ = ["DeepRescalingEquivalence"]

_TARGET = 1e-6  # a relative error far below any half-step error of a conversion (×2, ×√2, ×(1+α²): ≥ 10 %)


class DeepRescalingEquivalence(Check):
    """Reading (a) σ̃_α with N(0, 1/m), (b) σ_α/√(1+α²) with AZLS's N(0, 2/m) and (c) unscaled σ_α with
    N(0, 2/((1+α²)m)) init compute the NTK network's function, and GD steps convert as η' = s²η."""

    version = 2  # measure() runs the fast NTK / closed-form GD paths (issue 6): same numbers up to rounding

    name = "deep_rescaling_equivalence"
    claim = ("The rescaled leaky ReLU σ̃_α = √(2/(1+α²))σ_α with N(0, 1/m) weights, σ_α/√(1+α²) with AZLS's "
             "N(0, 2/m) weights, and the unscaled σ_α with N(0, 2/((1+α²)m)) weights are the same deep network "
             "function as the NTK-parameterised one; gradient descent follows the same trajectory once the step "
             "is converted to η' = s²·η (η_a = η/m, η_b = 2η/m, η_c = 2η/((1+α²)m)).")
    source = ("docs/theory/convergence.md §6.2 and docs/theory/README.md N2 [derived]; the rescaling trick reported for "
              "GLL24 [summary]; AZLS19 initialisation [recalled]")
    bound_roles = {
        "layer_ntk": "layer_ntk", "layer_rescaled": "layer_rescaled_act", "layer_he": "layer_he_init",
        "layer_plain": "layer_plain_init", "step_rescaled": "eta_rescaled_from_ntk", "step_he": "eta_he_from_ntk",
        "step_plain": "eta_plain_from_ntk", "step_he_from_rescaled": "eta_he_from_rescaled",
    }
    _PAIRS = {"sp_rescaled": ("layer_rescaled", "step_rescaled"), "sp_he": ("layer_he", "step_he"),
              "sp_plain": ("layer_plain", "step_plain")}
    default_seeds = {"quick": 2, "full": 3}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 16, "d": 6, "m": 64, "depth": 2, "alphas": [-1.0, -0.5, 0.0, 0.5], "steps": 20}
        return {"n": 64, "d": 10, "m": 512, "depth": 3, "alphas": [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.9],
                "steps": 20}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        keep = ("n", "d", "m", "depth", "steps")
        return [Unit(f"alpha={a:g}", s, {"alpha": a, **{k: params[k] for k in keep}})
                for a in params["alphas"] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        with cpu_threads(device, p["m"]):
            return rescaling_unit(n=p["n"], d=p["d"], m=p["m"], depth=p["depth"], alpha=p["alpha"],
                                  steps=p["steps"], seed=unit.seed, device=device)

    def mutants(self) -> list[Mutant]:
        a, z, m_ = B.alpha, B.z_pre, B.m
        he_wrong = leaky_expr(sp.sqrt(2) * z / sp.sqrt(m_)) / (1 + a**2)
        return [
            Mutant("he_layer_alpha_factor", "alpha-factor", "σ_α/(1+α²) instead of σ_α/√(1+α²) with N(0, 2/m) init",
                   {"layer_he": B.layer_he_init.mutant(he_wrong, "1/(1+α²)")}),
            Mutant("he_step_missing_2", "constant-structure", "η_b = η/m instead of 2η/m",
                   {"step_he": B.eta_he_from_ntk.mutant(B.eta / m_, "no factor 2")}),
            Mutant("he_step_m_squared", "exponent", "η_b = 2η/m² instead of 2η/m",
                   {"step_he": B.eta_he_from_ntk.mutant(2 * B.eta / m_**2, "m²")}),
            Mutant("plain_step_alpha_free", "alpha-factor", "η_c = 2η/m (α-free) instead of 2η/((1+α²)m)",
                   {"step_plain": B.eta_plain_from_ntk.mutant(2 * B.eta / m_, "α-free")}),
            Mutant("he_from_rescaled_no_2", "constant-structure", "(b) from (a): η_b = η instead of 2η",
                   {"step_he_from_rescaled": B.eta_he_from_rescaled.mutant(B.eta, "no factor 2")}),
            Mutant("rescaled_act_unsquared", "alpha-factor", "σ̃_α with (2/(1+α²)) in place of √(2/(1+α²))",
                   {"layer_rescaled": B.layer_rescaled_act.mutant(2 / (1 + a**2) * leaky_expr(z / sp.sqrt(m_)),
                                                                 "unsquared normaliser")}),
            Mutant("plain_step_sqrt", "exponent", "η_c = 2η/(√(1+α²)·m) (the α-factor's exponent halved)",
                   {"step_plain": B.eta_plain_from_ntk.mutant(2 * B.eta / (sp.sqrt(1 + a**2) * m_), "√(1+α²)")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        """Exact identities have no looser true variant; these are equal rewrites that must not be flagged."""
        a, z, m_ = B.alpha, B.z_pre, B.m
        return [
            Mutant("he_layer_max_form", "constant-structure", "σ_α(√2·z/√m)/√(1+α²) written with Max/Min (equal)",
                   {"layer_he": B.layer_he_init.mutant((sp.Max(sp.sqrt(2) * z / sp.sqrt(m_), 0) + a * sp.Min(
                       sp.sqrt(2) * z / sp.sqrt(m_), 0)) / sp.sqrt(1 + a**2), "Max form")}),
            Mutant("plain_step_split", "constant-structure", "η_c = (η/m)·2/(1+α²) (equal)",
                   {"step_plain": B.eta_plain_from_ntk.mutant((B.eta / m_) * (2 / (1 + a**2)), "split")}),
        ]

    def _predictions(self, bb: Mapping[str, Bound], alpha: float, m: int) -> dict[str, dict[str, float]]:
        out = {}
        ref = {zv: bb["layer_ntk"].evaluate(alpha=alpha, m=m, z_pre=zv) for zv in (1.0, -1.0)}
        for p, (layer_role, step_role) in self._PAIRS.items():
            vals = {zv: bb[layer_role].evaluate(alpha=alpha, m=m, z_pre=zv) for zv in (1.0, -1.0)}
            step = bb[step_role]
            sv = {B.eta: 1.0, B.m: m, B.alpha: alpha}
            scale = max(abs(ref[1.0]), abs(ref[-1.0]))
            out[p] = {"layer_diff_pos": (vals[1.0] - ref[1.0]) / scale,
                      "layer_diff_neg": (vals[-1.0] - ref[-1.0]) / scale,
                      "step_over_eta": float(sp.N(step.expr.subs({k: v for k, v in sv.items()
                                                                   if k in step.expr.free_symbols})))}
        return out

    def _judge_unit(self, alpha: float, meas: Mapping[str, Any], pred: Mapping[str, Mapping[str, float]],
                    tol: float, tol_traj: float, acc: dict[str, Any]) -> None:
        """Sub-tests of one (α, seed) unit, per parameterisation: same function iff predicted, the
        predicted step conversion, the converted trajectory; appends to ``acc``."""
        problems, inconclusive, worst, table = acc["problems"], acc["inconclusive"], acc["worst"], acc["table"]
        for p, row in meas["param"].items():
            pr = pred[p]
            same_fn = abs(pr["layer_diff_pos"]) <= tol and abs(pr["layer_diff_neg"]) <= tol
            out_diff = row["max_rel_output_diff"]
            worst["output"] = max(worst["output"], out_diff)
            if same_fn and out_diff > tol:
                problems.append(f"{p}, α={alpha:g}: predicted the same function, outputs differ by {out_diff:.2g}")
            if not same_fn and out_diff <= tol:
                problems.append(f"{p}, α={alpha:g}: predicted a different layer map (relative difference "
                                f"{pr['layer_diff_pos']:.3g} at z = 1, {pr['layer_diff_neg']:.3g} at z = −1), but "
                                f"the outputs agree to {out_diff:.2g}")
            rel_step = abs(pr["step_over_eta"] / row["eta_equiv_over_eta"] - 1)
            worst["step"] = max(worst["step"], rel_step)
            if rel_step > tol:
                problems.append(f"{p}, α={alpha:g}: predicted step η·{pr['step_over_eta']:.6g}, measured "
                                f"equivalent step η·{row['eta_equiv_over_eta']:.6g}")
            if row["converted_diverged_at"] is not None:
                inconclusive.append(f"{p}, α={alpha:g}: converted run diverged at step "
                                    f"{row['converted_diverged_at']}")
            else:
                traj = row["max_rel_loss_diff_converted"]
                worst["trajectory"] = max(worst["trajectory"], traj)
                if traj > tol_traj:
                    problems.append(f"{p}, α={alpha:g}: GD with the converted step departs from the NTK "
                                    f"trajectory by {traj:.2g} (relative loss)")
            table[f"{p}|alpha={alpha:g}"] = {"predicted_step_over_eta": pr["step_over_eta"],
                                             "measured_step_over_eta": row["eta_equiv_over_eta"],
                                             "predicted_layer_diff": [pr["layer_diff_pos"], pr["layer_diff_neg"]]}

    @staticmethod
    def _judge_he_from_rescaled(alpha: float, meas: Mapping[str, Any], step: Bound, m: int, tol: float,
                                acc: dict[str, Any]) -> None:
        """(b) from (a): measured η_b/η_a (both measured against the same NTK step) vs the predicted conversion."""
        rows = meas["param"]
        measured = rows["sp_he"]["eta_equiv_over_eta"] / rows["sp_rescaled"]["eta_equiv_over_eta"]
        sv = {B.eta: 1.0, B.m: m, B.alpha: alpha}
        predicted = float(sp.N(step.expr.subs({k: v for k, v in sv.items() if k in step.expr.free_symbols})))
        rel = abs(predicted / measured - 1)
        acc["worst"]["step"] = max(acc["worst"]["step"], rel)
        acc["table"][f"he_from_rescaled|alpha={alpha:g}"] = {"predicted_step_over_eta": predicted,
                                                            "measured_step_over_eta": measured,
                                                            "predicted_layer_diff": [0.0, 0.0]}
        if rel > tol:
            acc["problems"].append(f"(b) from (a), α={alpha:g}: predicted η_b = η_a·{predicted:.6g}, measured "
                                   f"η_a·{measured:.6g}")

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        m, depth, steps = params["m"], params["depth"], params["steps"]
        tol = unit_roundoff_tol(m, depth)
        tol_traj = tol * 2.0**steps
        acc: dict[str, Any] = {"problems": [], "inconclusive": [], "table": {},
                               "worst": {"output": 0.0, "step": 0.0, "trajectory": 0.0}}
        for unit, meas in measurements.records():
            alpha = float(unit.params["alpha"])
            self._judge_unit(alpha, meas, self._predictions(bounds_by_role, alpha, m), tol, tol_traj, acc)
            self._judge_he_from_rescaled(alpha, meas, bounds_by_role["step_he_from_rescaled"], m, tol, acc)
        problems, inconclusive, worst, table = acc["problems"], acc["inconclusive"], acc["worst"], acc["table"]
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            verdict, reason = Verdict.VIOLATED, problems[0] + more
        elif inconclusive:
            verdict, reason = Verdict.INCONCLUSIVE, inconclusive[0]
        else:
            verdict, reason = Verdict.HOLDS, (f"all {len(table)} (parameterisation, α) pairs: outputs agree to "
                                              f"{worst['output']:.1g}, steps to {worst['step']:.1g}, trajectories "
                                              f"to {worst['trajectory']:.1g}")
        return Decision(
            verdict=verdict, reason=reason,
            rule=(f"same function predicted iff each layer map equals the NTK one at z = ±1 (positive 1-homogeneity "
                  f"then gives every z), relative to max |NTK map(±1)|, within tol = 10·(L+2)·m·u = {tol:.2g}, ten "
                  f"times the float64 rounding bound of "
                  f"L+2 chained length-m dot products (u = 2⁻⁵³); measured outputs must agree within tol exactly when "
                  f"predicted. Measured equivalent step = η·(‖W'‖/‖W‖)/(‖∇_W'F‖/‖∇_W F‖) at initialisation; the "
                  f"predicted conversion must match it within tol. GD with the measured step must follow the NTK "
                  f"trajectory within tol·2^T = {tol_traj:.2g} over T = {steps} steps (stable GD at η ≤ 1/λ_max "
                  f"amplifies a perturbation at most 2× per step)"),
            predicted={"conversions": {k: v["predicted_step_over_eta"] for k, v in table.items()}},
            measured={"max_rel_output_diff": worst["output"], "max_rel_step_mismatch": worst["step"],
                      "max_rel_trajectory_diff": worst["trajectory"],
                      "conversions": {k: v["measured_step_over_eta"] for k, v in table.items()}},
            domain="n/a (an identity, no assumptions)", details={"table": table, "problems": problems},
            power={feature: power_entry(tol, _TARGET, f"relative error of a {what}",
                                        "deterministic: the predicted value is compared with the measured one within "
                                        "the float64 rounding tolerance tol, so any larger deviation is detected; the "
                                        "converted-trajectory sub-test (tol·2^T) tests the measurement, not a bound")
                   for feature, what in (("layer_maps", "layer map"), ("step_conversions", "step conversion"))},
        )

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        ax1, ax2, ax3 = fig.subplots(1, 3)
        pick = measurements.select(alpha=-0.5) or measurements.records()
        unit, meas = pick[0]
        t = np.arange(len(meas["ntk_loss"]))
        ax1.semilogy(t, meas["ntk_loss"], "k-", lw=2, label="NTK, η")
        words = {"sp_rescaled": "SP rescaled σ̃", "sp_he": "SP He init", "sp_plain": "SP plain σ"}
        for p, row in meas["param"].items():
            p = words.get(p, p)
            ax1.semilogy(t, row["converted_loss"], "--", label=f"{p}, converted η")
            naive = np.asarray(row["naive_loss"], float)
            ax1.semilogy(t[np.isfinite(naive)], naive[np.isfinite(naive)], ":", lw=1, label=f"{p}, same η")
        ax1.set(title=f"GD loss ({unit.config.replace('alpha=', 'α=')})", xlabel="GD step", ylabel="training loss")
        ax1.set_ylim(top=1e3)  # the diverging same-η runs leave the panel instead of squashing the rest
        ax1.legend(fontsize=8, loc="upper right")
        first = True
        for meas in measurements.values():
            base = np.asarray(meas["ntk_loss"], float)
            for row in meas["param"].values():
                diff = np.abs(np.asarray(row["converted_loss"], float) - base) / base
                ax2.semilogy(np.arange(diff.size), np.maximum(diff, 1e-18), color="0.35", lw=0.7, alpha=0.6,
                             label="one line per run (floor 10⁻¹⁸)" if first else None)
                first = False
        tol = unit_roundoff_tol(params["m"], params["depth"])
        ax2.axhline(tol * 2.0 ** params["steps"], color="r", ls="--", lw=1, label="tolerance")
        ax2.set(title="converted vs NTK run (all runs)", xlabel="GD step", ylabel="|loss(converted) − loss(NTK)| / loss")
        ax2.legend(fontsize=8)
        table = decision.details.get("table", {})
        labels = list(table)
        ax3.scatter(range(len(labels)), [table[k]["measured_step_over_eta"] for k in labels], marker="o",
                    label="measured η'/η", zorder=3)
        ax3.scatter(range(len(labels)), [table[k]["predicted_step_over_eta"] for k in labels], marker="x",
                    color="r", label="predicted", zorder=4)
        ax3.set_yscale("log")
        ax3.set_xticks(range(len(labels)))
        short = {"he_from_rescaled": "He/rescaled", "sp_rescaled": "rescaled", "sp_he": "He", "sp_plain": "plain",
                 "|alpha=": " α="}

        def words_of(label: str) -> str:
            for code, word in short.items():
                label = label.replace(code, word)
            return label

        ax3.set_xticklabels([words_of(k) for k in labels], rotation=90)
        ax3.set(title="step conversion η'/η", xlabel="parametrisation and α", ylabel="η'/η")
        ax3.legend(fontsize=8)

