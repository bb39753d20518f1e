"""deep_width_depth_scaling: measured exponents of the GD rate in the width m (SP, fixed η) and the depth L
against the AZLS contraction 1 − Ω(ηδm/(dn²)) (Allen-Zhu–Li–Song ICML 2019; docs/theory/convergence.md §3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy import stats

import bounds as B
from bounds import Bound
from empirical.deep.experiments import depth_sweep, width_sweep
from verification.check import Check, Decision, Measurements, Mutant, Unit, Verdict
from verification.checks.deep._common import SIG, WEIGHT_MOVE_MAX, common_slope, cpu_threads, exponent
from verification.rules import seed_spread
from verification.rules.power import detectable, power_entry
from verification.rules.regime import Condition, gate_reason

__all__ = ["DeepWidthDepthScaling"]

_EXPONENT_TARGET = 0.25  # half of a half-step exponent error (m^1.5 or L^1.5 in place of m, L)


class DeepWidthDepthScaling(Check):
    """Measured exponents of the GD rate in m (SP, fixed η) and in L (fixed η) against the AZLS contraction."""

    version = 3  # issue 11: quick n = 16, more widths, depths and seeds (regime gate and power)
    default_seeds = {"quick": 8, "full": 5}  # 3 seeds: exponent CI too wide to detect a half-step error

    name = "deep_width_depth_scaling"
    claim = ("At a fixed step size in AZLS's standard parameterisation (A, W ~ N(0, 2/m)), the per-step GD contraction "
             "1 − F(t+1)/F(t) grows (at least) linearly in the width m, as the bound 1 − Ω(ηδm/(dn²)) says; at a fixed "
             "step it does not decay with the depth L (the bound is L-free at fixed η). In NTK parameterisation the "
             "same runs are width-independent (η_SP = 2η_NTK/m).")
    source = ("AZLS19, per-step contraction behind Theorem 1 [recalled]; "
              "docs/theory/convergence.md §3, §6.5; GLL24's depth reading (rate ∝ L) [inferred]")
    bound_roles = {"gd_contraction": "azls_gd_contraction", "gll_depth": "gll_gd_contraction_depth"}

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {"n": 16, "d": 8, "alpha": 0.0, "widths": [64, 96, 128, 192, 256, 384], "width_depth": 2,
                    "base_steps": 250,
                    "depth_m": 128, "depths": [1, 2, 3, 4, 5, 6], "depth_steps": 300, "eta_factor": 1.0}
        return {"n": 64, "d": 10, "alpha": 0.0, "widths": [128, 256, 512, 1024, 2048], "width_depth": 2,
                "base_steps": 600, "depth_m": 1024, "depths": [1, 2, 3, 4, 6, 8], "depth_steps": 2000,
                "eta_factor": 1.0}

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        w = {k: params[k] for k in ("n", "d", "alpha", "widths", "width_depth", "base_steps", "eta_factor")}
        dd = {k: params[k] for k in ("n", "d", "alpha", "depth_m", "depths", "depth_steps", "eta_factor")}
        return [u for s in seeds for u in (Unit("width", s, {"sweep": "width", **w}),
                                           Unit("depth", s, {"sweep": "depth", **dd}))]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        with cpu_threads(device, max(p.get("widths", [p.get("depth_m", 0)]))):
            if p["sweep"] == "width":
                return width_sweep(n=p["n"], d=p["d"], widths=p["widths"], depth=p["width_depth"], alpha=p["alpha"],
                                   base_steps=p["base_steps"], seed=unit.seed, eta_factor=p["eta_factor"],
                                   device=device)
            return depth_sweep(n=p["n"], d=p["d"], m=p["depth_m"], depths=p["depths"], alpha=p["alpha"],
                               steps=p["depth_steps"], seed=unit.seed, eta_factor=p["eta_factor"], device=device)

    def mutants(self) -> list[Mutant]:
        c = B.symbols.symbol("C_az_rate")
        rest = B.eta * B.delta / (B.d * B.n**2)
        gll = B.symbols.symbol("C_gll_rate") * B.c_alpha.expr * B.eta * B.delta * B.m / (B.d * B.n**2)
        return [
            Mutant("width_m_squared", "exponent", "contraction 1 − C·η·δ·m²/(dn²) (exponent 2 in m)",
                   {"gd_contraction": B.azls_gd_contraction.mutant(1 - c * rest * B.m**2, "m²")}),
            Mutant("depth_L_squared", "exponent", "contraction 1 − C·η·δ·m·L²/(dn²) (exponent 2 in L at fixed η)",
                   {"gd_contraction": B.azls_gd_contraction.mutant(1 - c * rest * B.m * B.L**2, "L²")}),
            Mutant("gll_depth_L_squared", "exponent", "GLL depth reading with L² (a per-layer bound counted twice)",
                   {"gll_depth": B.gll_gd_contraction_depth.mutant(1 - B.L**2 * gll, "L²")}),
            Mutant("width_m_three_halves", "exponent", "contraction exponent 3/2 in m (half a step too steep)",
                   {"gd_contraction": B.azls_gd_contraction.mutant(1 - c * rest * B.m ** sp.Rational(3, 2), "m^1.5")}),
        ]

    def true_but_looser(self) -> list[Mutant]:
        """Weaker lower bounds on the rate (still true if the originals are): must not be flagged."""
        c = B.symbols.symbol("C_az_rate")
        rest = B.eta * B.delta / (B.d * B.n**2)
        gll = B.symbols.symbol("C_gll_rate") * B.c_alpha.expr * B.eta * B.delta * B.m / (B.d * B.n**2)
        return [
            Mutant("width_sqrt_m", "exponent", "contraction 1 − C·η·δ·√m/(dn²) (weaker exponent ½ in m)",
                   {"gd_contraction": B.azls_gd_contraction.mutant(1 - c * rest * sp.sqrt(B.m), "√m")}),
            Mutant("constant_halved", "constant-structure", "contraction with C/2 (a hidden constant allows it)",
                   {"gd_contraction": B.azls_gd_contraction.mutant(1 - c / 2 * rest * B.m, "C/2")}),
            Mutant("gll_depth_sqrt_L", "exponent", "GLL depth reading with √L (weaker)",
                   {"gll_depth": B.gll_gd_contraction_depth.mutant(1 - sp.sqrt(B.L) * gll, "√L")}),
        ]

    @staticmethod
    def _slopes(measurements: Measurements, sweep: str, field: str
                ) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
        """Per seed (units in key order): log x, log ``field`` of the ``sweep`` ("width" or "depth") and the
        divergences."""
        xs, ys, bad = [], [], []
        for unit, meas in sorted(measurements.records(), key=lambda ur: ur[0].key):
            if unit.params.get("sweep") != sweep:
                continue
            rows = meas["widths" if sweep == "width" else "depths"]
            keys = sorted(rows, key=float)  # stored JSON sorts keys as strings
            xs.append(np.log([float(k) for k in keys]))
            ys.append(np.log([max(rows[k][field], 1e-300) if np.isfinite(rows[k][field]) else np.nan for k in keys]))
            bad += [f"{sweep}={k}: diverged at step {r['diverged_at']}" for k, r in rows.items() if r["diverged_at"]]
        return xs, ys, bad

    def _fit(self, measurements: Measurements, sweep: str, level: float) -> tuple[dict[str, Any], list[str]]:
        """Common exponent (one intercept per seed) of the late rate in the sweep variable, its one-sided upper
        limit at ``level``, the two-sided interval, the detectable one-sided deviation and the average-rate one."""
        xs, ys, bad = self._slopes(measurements, sweep, "late_rate")
        fit = common_slope(xs, ys)
        avg = common_slope(*self._slopes(measurements, sweep, "average_rate")[:2])
        df = max(fit["df"], 1)
        q = float(stats.t.isf(level, df))
        fit["upper"] = fit["slope"] + q * fit["se"]
        fit["ci_two_sided"] = [fit["slope"] - q * fit["se"], fit["slope"] + q * fit["se"]]
        fit["detectable"] = detectable(fit["se"], level=level, sides=1, df=df)
        fit["average_rate_slope"] = avg["slope"]
        fit["seed_spread"] = seed_spread(fit["per_seed"]) if fit["per_seed"] else {}
        return fit, bad

    def _regime(self, measurements: Measurements, params: Mapping[str, Any]) -> list[Condition]:
        """m ≥ n at every width, and every run near its initialisation (relative weight movement)."""
        moves = [row["relative_weight_change"] for _, r in measurements.records()
                 for row in (r.get("widths") or r.get("depths") or {}).values()]
        move = max(moves) if moves else float("nan")
        m_min = min(min(params["widths"]), params["depth_m"])
        return [Condition(f"m ≥ n (smallest m = {m_min}, n = {params['n']})", m_min >= params["n"]),
                Condition(f"‖W_T − W_0‖_F/‖W_0‖_F ≤ {WEIGHT_MOVE_MAX:g}", bool(move <= WEIGHT_MOVE_MAX), float(move))]

    @staticmethod
    def _comparison(fits: Mapping[str, Mapping[str, Any]], pred: Mapping[str, float], gll_depth: float,
                    params: Mapping[str, Any]) -> list[str]:
        """Reported comparisons: the width exponent against the lazy-regime value, the depth exponent."""
        notes = []
        w = fits["width"]
        if not (w["ci_two_sided"][0] <= pred["width"] <= w["ci_two_sided"][1]):
            lo_, hi_ = w["ci_two_sided"]
            notes.append(f"width exponent {w['slope']:.2f} (CI {lo_:.2f}–{hi_:.2f}) "
                         f"is steeper than the lazy-regime value {pred['width']:g}: finite-width NTK fluctuations "
                         f"lower the rate of the narrow nets (m ≥ {min(params['widths'])})")
        dfit = fits["depth"]
        notes.append(f"depth exponent at fixed η: {dfit['slope']:.2f} (CI {dfit['ci_two_sided'][0]:.2f}–"
                     f"{dfit['ci_two_sided'][1]:.2f}); AZLS's bound is L-free ({pred['depth']:g}), GLL's per-layer "
                     f"reading [inferred] gives {gll_depth:g}")
        return notes

    def decide(self, measurements: Measurements, bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        rate = 1 - bounds_by_role["gd_contraction"].expr
        gll_depth = exponent(1 - bounds_by_role["gll_depth"].expr, B.L)
        pred = {"width": exponent(rate, B.m), "depth": exponent(rate, B.L), "gll_depth": gll_depth}
        level = SIG / len(pred)  # one-sided, Bonferroni over the three exponent comparisons
        fits, problems, bad = {}, [], []
        for sweep in ("width", "depth"):
            fits[sweep], b_ = self._fit(measurements, sweep, level)
            bad += b_
        fits["gll_depth"] = fits["depth"]
        for feat, p in pred.items():
            f = fits[feat]
            if np.isfinite(f["upper"]) and f["upper"] < p:
                problems.append(f"{feat}: measured exponent {f['slope']:.2f} (upper limit {f['upper']:.2f}) is "
                                f"below the bound's {p:g}")
        notes = self._comparison(fits, pred, gll_depth, params)
        w, dfit = fits["width"], fits["depth"]
        gate = gate_reason(self._regime(measurements, params))
        power = {f"{feat}_exponent": power_entry(fits[feat]["detectable"], _EXPONENT_TARGET,
                                                 f"exponent of the GD rate in {'m' if feat == 'width' else 'L'}",
                                                 "(t_(1−level) + t_0.8)·SE, one-sided, level 0.05/3")
                 for feat in ("width", "depth")}
        if bad or gate:
            verdict, reason = Verdict.INCONCLUSIVE, "; ".join(([*bad, gate] if gate else bad)[:2])
        elif not all(np.isfinite(f["slope"]) and np.isfinite(f["se"]) for f in fits.values()):
            verdict, reason = Verdict.INCONCLUSIVE, "a rate could not be measured (non-finite fit)"
        elif problems:
            verdict, reason = Verdict.VIOLATED, "; ".join(problems)
        else:
            verdict, reason = Verdict.HOLDS, (f"width exponent {w['slope']:.2f} ± {w['se']:.2f} ≥ {pred['width']:g}, "
                                              f"depth exponent {dfit['slope']:.2f} ± {dfit['se']:.2f} ≥ "
                                              f"{pred['depth']:g} (AZLS) and ≥ {gll_depth:g} (GLL reading) "
                                              "(lower-bound exponents)")
        return Decision(
            verdict=verdict, reason=reason,
            rule=("measured exponent = common slope (one intercept per seed) of log(late-phase GD rate) on log m (SP "
                  "init N(0, 2/m), one η_SP = 1/λ_max(Θ_SP) of the widest net, width m runs base_steps·m_max/m steps) "
                  "and on log L (one η = 1/max_L λ_max); SE from the residual scatter over seeds. The contraction is a "
                  "lower bound Ω(·) on the per-step decrease, so its exponent p in m and in L (sympy: lim ∂log(1 − "
                  "bound)/∂log var) must not exceed what is measured: violated when the one-sided upper confidence "
                  "limit slope + t(1 − 0.05/3, df)·SE lies below p (Bonferroni over the width exponent, AZLS's L "
                  "exponent 0 and GLL's inferred per-layer L exponent 1, gll_gd_contraction_depth). Regime gate: m ≥ n "
                  f"and ‖W_T − W_0‖_F/‖W_0‖_F ≤ {WEIGHT_MOVE_MAX:g}, else inconclusive. Power: the one-sided "
                  f"detectable deviation (t_(1−level) + t_0.8)·SE must be ≤ {_EXPONENT_TARGET} (a half-step exponent "
                  "error is 0.5). The two-sided "
                  "comparison with the lazy-regime value 1 (NTK Θ width-free) and GLL's inferred L¹ are reported"),
            predicted={"width_exponent": pred["width"], "depth_exponent": pred["depth"],
                       "gll_inferred_depth_exponent": gll_depth},
            measured={**{s: {"slope": f["slope"], "se": f["se"], "upper": f["upper"], "per_seed": f["per_seed"],
                             "average_rate_slope": f["average_rate_slope"]} for s, f in fits.items()},
                      "comparison": notes},
            domain=("undetermined (hidden constants): bias-coordinate data as assumed, width condition m ≥ "
                    "C·n²⁴L¹²dδ⁻⁸ with unknown C"),
            details={"fits": fits, "eta": {k: v.get("eta_sp", v.get("eta")) for k, v in measurements.items()}},
            power=power,
        )

    def plot(self, fig: Any, measurements: Measurements, decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        axes = fig.subplots(1, 2)
        for ax, sweep, var in zip(axes, ("width", "depth"), ("m (SP, fixed η)", "L (fixed η)"), strict=True):
            xs, ys, _ = self._slopes(measurements, sweep, "late_rate")
            for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
                ax.loglog(np.exp(x), np.exp(y), "o-", color="C0", ms=3, alpha=0.5,
                          label="measured (one line per seed)" if i == 0 else None)
            if xs:
                x0, y0 = np.exp(xs[0][0]), np.exp(np.nanmean([y[0] for y in ys]))
                grid = np.exp(np.linspace(xs[0][0], xs[0][-1], 20))
                p = decision.predicted[f"{sweep}_exponent"]
                ax.loglog(grid, y0 * (grid / x0) ** p, "r--", label=f"bound exponent {p:g}")
                if sweep == "depth":
                    ax.loglog(grid, y0 * (grid / x0) ** decision.predicted["gll_inferred_depth_exponent"], "g:",
                              label="GLL reading L¹ [inferred]")
                else:
                    ax.loglog(grid, y0 * (grid / x0) ** 2, "k:", lw=0.8, label="exponent 2 (mutant)")
            ax.set(title=f"late-phase GD rate vs {var}", xlabel=var, ylabel="late GD rate (−Δlog F per step)")
            ax.legend(fontsize=8)
