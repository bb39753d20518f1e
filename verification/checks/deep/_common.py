"""Shared helpers of the deep-network checks (Allen-Zhu–Li–Song ICML 2019, Guo–Li–Lerman AISTATS 2024).

* :data:`SIG` – the significance level of every statistical decision of the slice;
* :func:`cpu_threads` – small CPU work single-threaded (measurement speed, no effect on numbers);
* :func:`rate_prediction` – 1 − contraction bound at a run's values with hidden constants 1;
* :func:`spread_by_alpha`, :func:`fmt_spread` – per-α values over seeds and their one-line summary;
* :func:`unit_roundoff_tol` – the float64 rounding tolerance of a forward pass;
* :func:`exponent` – the asymptotic log-log slope of a sympy expression;
* :class:`AlphaSweepCheck` – the shared measurement of the α-sweep checks (one unit per configuration
  and seed, every α inside).

``measure`` never touches a bound; ``decide`` gets the bounds by role and reads configuration values
from the units (``Measurements.unit(key).params``), never from key strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import sympy as sp
import torch
from scipy import stats

import bounds as B
from bounds import Bound
from empirical.deep.experiments import alpha_sweep
from empirical.deep.train import TrainTrace, late_rate
from verification.check import Check, Measurements, Unit, Verdict
from verification.rules import seed_spread
from verification.rules.power import detectable, power_entry
from verification.rules.regime import Condition, gate_reason
from verification.rules.slopes import fit_common_slope
from verification.rules.verdicts import combine

__all__ = ["RATE_TARGET", "SIG", "WEIGHT_MOVE_MAX", "AlphaSweepCheck", "combine_sweep", "common_slope", "cpu_threads",
           "exponent",
           "fmt_spread", "kernel_regime", "lazy_late_rate", "lazy_rate_test", "lazy_subtest", "rate_prediction",
           "spread_by_alpha", "sweep_regime", "tightness_finding", "unit_roundoff_tol"]

SIG = 0.05  # significance level of every statistical decision of the slice (Bonferroni-corrected where stated)

@contextmanager
def cpu_threads(device: Any, width: int, n: int = 1) -> Iterator[None]:
    """Run small CPU work (width ≤ 1024) single-threaded: these n×m matrices gain nothing from intra-op
    threads, and on a shared 2-core machine spinning OpenMP threads made the quick profile up to 8× slower
    (measured). No effect on a GPU or for wider nets."""
    if torch.device(device).type != "cpu" or width > 1024:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)



def rate_prediction(bd: Bound, alpha: float, eta_sp: float, delta: float, m: int, d: int, n: int,
                     L: int, b: int | None = None) -> float:
    """1 − bound (a predicted per-step log-decay, up to its hidden constant) at the run's values,
    with every hidden constant set to 1 (only the sign and the ordering in α are used)."""
    vals = {B.alpha: alpha, B.eta: eta_sp, B.delta: delta, B.m: m, B.d: d, B.n: n, B.L: L}
    if b is not None:
        vals[B.b] = b
    expr = 1 - bd.expr
    expr = expr.subs({s: 1 for s in expr.free_symbols if s.name.startswith(("C_", "c_"))})
    val = expr.subs({k: v for k, v in vals.items() if k in expr.free_symbols})
    return float(sp.N(val))


def spread_by_alpha(rows: Sequence[Mapping[str, Any]], alphas: Sequence[float],
                    getter: Callable[[Mapping[str, Any]], float]) -> dict[float, list[float]]:
    """{α: [getter(row of α) for each seed's record]}."""
    return {a: [float(getter(r["alphas"][f"{a:g}"])) for r in rows] for a in alphas}


def fmt_spread(vals: Sequence[float]) -> str:
    """'mean ± sd [min, max]' over seeds."""
    s = seed_spread(vals)
    return f"{s['mean']:.4g} ± {s['std']:.2g} [{s['min']:.4g}, {s['max']:.4g}]"


def unit_roundoff_tol(m: int, depth: int) -> float:
    """10·γ with γ = (L + 2)·m·u: ten times the worst-case rounding bound for the L + 2 chained dot
    products of length m that one forward pass performs (u = 2⁻⁵³, float64)."""
    return 10.0 * (depth + 2) * m * math.ldexp(1.0, -53)



def exponent(expr: sp.Expr, var: sp.Symbol) -> float:
    """lim_{var→∞} ∂log(expr)/∂log(var), the asymptotic log-log slope."""
    return float(sp.limit(sp.simplify(var * sp.diff(expr, var) / expr), var, sp.oo))



def sgd_or_none(row: Mapping[str, Any], key: str, field: str) -> float:
    """row[key][field], or NaN when the run has no ``key`` (no SGD run)."""
    return float(row[key][field]) if key in row else float("nan")


class AlphaSweepCheck(Check):
    """Shared measurement of the α-ordering checks: one unit per (configuration, seed), all α inside."""

    version = 3  # issue 11: per α also r₀, η·λ_max and the kernel drift during GD (regime gates, lazy-rate test)

    _configs_key = "configs"

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        keep = ("n", "m", "alphas", "steps", "batch", "eta_factor", "dtype")
        return [Unit(cfg["name"], s, {**cfg, **{k: params[k] for k in keep if k in params}})
                for cfg in params[self._configs_key] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        dtype = {"float64": torch.float64, "float32": torch.float32}[p.get("dtype", "float64")]
        with cpu_threads(device, p["m"]):
            batch = p.get("batch")
            batch = batch if batch is None or batch <= p["n"] else None  # b > n: no SGD run (gated out in decide)
            return alpha_sweep(data=p["data"], n=p["n"], d=p["d"], m=p["m"], depth=p["depth"], alphas=p["alphas"],
                               steps=p["steps"], batch=batch, seed=unit.seed,
                               eta_factor=p["eta_factor"], noise=p.get("noise", 0.1), device=device, dtype=dtype)

    @staticmethod
    def _by_config(measurements: Measurements) -> dict[str, list[tuple[int, Mapping[str, Any]]]]:
        """{configuration name: [(seed, record)] sorted by seed}, from the units (no key parsing)."""
        out: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        for unit, meas in measurements.records():
            out.setdefault(unit.config, []).append((unit.seed, meas))
        for v in out.values():
            v.sort(key=lambda sm: sm[0])
        return out

    _QUANTITIES = {
        "lam_min": ("λ_min(Θ_emp) at init", lambda r: r["lam_min"]),
        "gd_late_rate": ("GD late-phase rate", lambda r: r["gd"]["late_rate"]),
        "sgd_late_rate": ("SGD late-phase rate", lambda r: sgd_or_none(r, "sgd", "late_rate")),
        "gd_average_rate": ("GD average rate", lambda r: r["gd"]["average_rate"]),
    }

    def _diverged(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        out = []
        for r in rows:
            for a, row in r["alphas"].items():
                for key in ("gd", "sgd"):
                    if key in row and row[key]["diverged_at"] is not None:
                        out.append(f"{key.upper()} at α={a} diverged at step {row[key]['diverged_at']}")
        return out

    @staticmethod
    def _matched_prediction(res: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None, float]:
        """α grid, the prediction rescaled to the measured mean at the α nearest 0 (None if it cannot be), and that α."""
        al = np.asarray(res["alphas"], float)
        pred = np.asarray(res["predicted"], float)
        mean = np.asarray(res["seed_mean"], float)
        i0 = int(np.argmin(np.abs(al)))
        if not (np.isfinite(pred[i0]) and pred[i0] != 0 and np.isfinite(mean[i0])):
            return al, None, float(al[i0])
        return al, pred / pred[i0] * mean[i0], float(al[i0])

    def _plot_orderings(self, fig: Any, results: Mapping[str, Mapping[str, Any]], title_pred: str) -> None:
        names = list(results)
        axes = fig.subplots(1, len(names)) if len(names) > 1 else [fig.subplots(1, 1)]
        for ax, qn in zip(axes, names, strict=True):
            res = results[qn]
            al = np.asarray(res["alphas"], float)
            mean = np.asarray(res["seed_mean"], float)
            std = np.asarray(res.get("seed_std", np.zeros_like(mean)), float)
            ax.errorbar(al, mean, yerr=std, fmt="o-", label="measured (seed mean ± sd)")
            _, matched, a0 = self._matched_prediction(res)
            if matched is not None:
                ax.plot(al, matched, "r--", label=f"{title_pred} (matched at α={a0:g})")
            words = self._QUANTITIES[qn][0] if qn in self._QUANTITIES else qn.replace("_", " ")
            unit = " (per step)" if "rate" in qn else ""
            ax.set(title=words, xlabel="leaky slope α", ylabel=words + unit)
            ax.legend(fontsize=8)



def combine_sweep(diverged: Sequence[str], verdicts: Sequence[Verdict], reasons: Sequence[str],
                  holds_reason: str | None = None) -> tuple[Verdict, str]:
    """The α-sweep checks' combiner: any diverged run → inconclusive (the rates are undefined); else
    :func:`verification.rules.verdicts.combine` of the sub-verdicts, with the first violated (or first
    not-holding) sub-test's reason, or all reasons joined (or ``holds_reason``) when every one holds."""
    if diverged:
        return Verdict.INCONCLUSIVE, "; ".join(diverged[:2])
    if not verdicts:
        return Verdict.INCONCLUSIVE, "no sub-test could be run"
    verdict = combine(verdicts)
    if verdict is Verdict.HOLDS:
        return verdict, holds_reason if holds_reason is not None else "; ".join(reasons)
    first = next(r for v, r in zip(verdicts, reasons, strict=True) if v is verdict)
    held = sum(v is Verdict.HOLDS for v in verdicts)
    return verdict, first + (f" ({held} of {len(verdicts)} sub-tests hold)" if verdict is Verdict.INCONCLUSIVE else "")


# ============================================================================ kernel-regime (lazy) rate test
#: relative resolution the lazy-rate test claims: a 10 % error in a rate or a rate ratio (a factor c_α in place
#: of the kernel's λ_min ratio, or a missing factor 2, moves them by more). The kernel-regime gate uses the same
#: number: a kernel that drifts by more than the claimed resolution during training cannot be held to it.
RATE_TARGET = 0.10
#: relative weight movement ‖W_T − W_0‖_F/‖W_0‖_F above which the run is not near its initialisation (AZLS's
#: ω-ball argument); the same resolution as above (the kernel moves at least as much as the weights).
WEIGHT_MOVE_MAX = 0.10


def lazy_late_rate(theta: np.ndarray, r0: Sequence[float], eta: float, steps: int) -> float:
    """The late-phase rate the kernel (lazy) regime predicts for the very run.

    r_t = (I − ηΘ)^t r₀ and F_t = ½‖r_t‖² at t = 0..steps, read by the same estimator as the measurement
    (:func:`empirical.deep.train.late_rate`: −slope of log F over the last half of the recorded steps)."""
    lam, vec = np.linalg.eigh(np.asarray(theta, dtype=np.float64))
    c2 = (vec.T @ np.asarray(r0, dtype=np.float64)) ** 2
    t = np.arange(steps + 1, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        loss = 0.5 * np.sum(np.exp(2.0 * t[:, None] * np.log(np.abs(1.0 - eta * lam))[None, :]) * c2, axis=1)
    trace = TrainTrace(steps=t.astype(int), loss=loss, diverged_at=None, weight_change=0.0, weight_norm0=1.0,
                       eta=eta, batch=len(c2))
    return late_rate(trace)


def sweep_regime(rows: Sequence[Mapping[str, Any]], n: int, m: int, batch: int | None = None) -> list[Condition]:
    """The theorem's regime, measured on the runs: over-parameterised (m ≥ n), stable step (η·λ_max < 2 for
    every α), near the initialisation (relative GD weight movement ≤ WEIGHT_MOVE_MAX), SGD batch b ≤ n."""
    eta_lmax = max(row.get("eta_lam_max", row["lam_max"] * r["eta"]) for r in rows for row in r["alphas"].values())
    move = max(row["gd"]["relative_weight_change"] for r in rows for row in r["alphas"].values())
    return [Condition(f"m ≥ n (m = {m}, n = {n})", m >= n),
            Condition("η·λ_max < 2 for every α", eta_lmax < 2, float(eta_lmax)),
            Condition(f"‖W_T − W_0‖_F/‖W_0‖_F ≤ {WEIGHT_MOVE_MAX:g}", move <= WEIGHT_MOVE_MAX, float(move)),
            *([Condition(f"SGD batch b ≤ n (b = {batch}, n = {n})", batch <= n)] if batch is not None else [])]


def kernel_regime(rows: Sequence[Mapping[str, Any]]) -> list[Condition]:
    """The kernel (lazy) regime, measured: the empirical NTK moves by ≤ RATE_TARGET during GD (every α, seed)."""
    drift = [row["kernel_drift"] for r in rows for row in r["alphas"].values() if "kernel_drift" in row]
    if not drift:
        return [Condition("kernel drift measured", False, "not recorded")]
    return [Condition(f"‖Θ_T − Θ_0‖_F/‖Θ_0‖_F ≤ {RATE_TARGET:g}", max(drift) <= RATE_TARGET, float(max(drift)))]


def lazy_rate_test(items: Sequence[tuple[int, Mapping[str, Any]]], cfg: Mapping[str, Any], bb: Mapping[str, Bound],
                   params: Mapping[str, Any], level: float) -> dict[str, Any]:
    """Measured late GD rates against the lazy prediction of the run's own analytic kernel Θ_W, per α.

    Per seed and α: log(measured/predicted) (absolute level) and log of the rate ratio to the reference α
    (the α nearest 0) minus the predicted one. Two-sided t intervals over seeds at ``level`` (Bonferroni
    by the caller); the feature's detectable deviation is the worst α's (power 0.8), in relative units.
    """
    from empirical.deep.experiments import make_data
    from empirical.deep.ntk import deep_ntk_analytic

    alphas = list(params["alphas"])
    ref = min(alphas, key=abs)
    logs: dict[float, list[float]] = {a: [] for a in alphas}
    for seed, r in items:
        x = make_data(cfg["data"], params["n"], cfg["d"], seed, noise=cfg.get("noise", 0.1))[0]
        for a in alphas:
            row = r["alphas"][f"{a:g}"]
            th = deep_ntk_analytic(x, a, cfg["depth"], nngp=bb["nngp"], derivative=bb["derivative"],
                                   step=bb["step"]).numpy()
            pred = lazy_late_rate(th, row["r0"], r["eta"], params["steps"])
            with np.errstate(divide="ignore", invalid="ignore"):
                logs[a].append(float(np.log(row["gd"]["late_rate"] / pred)))
    out: dict[str, Any] = {"reference_alpha": ref, "per_alpha": {}}
    for a in alphas:
        lv = np.asarray(logs[a])
        rel = lv - np.asarray(logs[ref]) if a != ref else None
        for kind, v in (("level", lv), ("ratio", rel)):
            if v is None:
                continue
            ok = v.size >= 2 and bool(np.all(np.isfinite(v)))
            se = float(v.std(ddof=1) / math.sqrt(v.size)) if ok else math.inf
            q = float(stats.t.isf(level / 2, v.size - 1)) if v.size >= 2 else math.inf
            mean = float(v.mean()) if ok else float("nan")
            # a log-scale detectable deviation beyond e^709 (a run far outside the kernel regime) is infinite, not an error
            det = detectable(se, level=level, df=v.size - 1) if ok else math.inf
            out["per_alpha"][f"{kind}|alpha={a:g}"] = {
                "log_mean": mean, "se": se, "ci": [mean - q * se, mean + q * se], "ok": ok,
                "detectable_relative": float(math.expm1(det)) if det < 709 else math.inf}
    return out


def lazy_subtest(items: Sequence[tuple[int, Mapping[str, Any]]], cfg: Mapping[str, Any], bb: Mapping[str, Bound],
                 params: Mapping[str, Any]) -> tuple[Verdict, str, dict[str, Any], dict[str, dict[str, Any]]]:
    """The lazy-rate sub-test of one configuration: verdict, reason, details and its two power entries.

    Rule: inside the kernel regime (:func:`kernel_regime`) every two-sided interval of log(measured/predicted)
    (level) and of the log rate ratio to the reference α minus the predicted one (ratio) must contain 0
    (level SIG over the 2|α| − 1 intervals, Bonferroni); one excluding it is *violated*; outside the kernel
    regime the sub-test is *inconclusive* (the lazy prediction does not apply)."""
    rows = [r for _, r in items]
    n_int = 2 * len(params["alphas"]) - 1
    res = lazy_rate_test(items, cfg, bb, params, SIG / n_int)
    per = res["per_alpha"]
    power = {}
    for kind, unit in (("level", "relative error of the late GD rate vs the lazy prediction η-kernel of Θ_W"),
                       ("ratio", "relative error of the late-rate ratio to the reference α vs Θ_W's")):
        dets = {k: v["detectable_relative"] for k, v in per.items() if k.startswith(kind)}
        worst = max(dets, key=dets.get)
        power[f"lazy_rate_{kind}"] = power_entry(dets[worst], RATE_TARGET, unit,
                                                 f"exp((t_(1−level/2) + t_0.8)·SE) − 1 over seeds, worst {worst}")
    gate = gate_reason(kernel_regime(rows))
    res["kernel_regime"] = gate or "inside"
    if gate is not None:
        return Verdict.INCONCLUSIVE, f"lazy-rate test not applicable: {gate}", res, power
    if not all(v["ok"] for v in per.values()):
        return Verdict.INCONCLUSIVE, "lazy-rate test: a non-finite rate", res, power
    bad = {k: v for k, v in per.items() if not v["ci"][0] <= 0 <= v["ci"][1]}
    if bad:
        k, v = max(bad.items(), key=lambda kv: abs(kv[1]["log_mean"]) / kv[1]["se"])
        return Verdict.VIOLATED, (f"lazy-rate {k}: measured/predicted ×{math.exp(v['log_mean']):.3f}, CI "
                                  f"[×{math.exp(v['ci'][0]):.3f}, ×{math.exp(v['ci'][1]):.3f}] excludes 1"), res, power
    worst = max(abs(v["log_mean"]) for v in per.values())
    return Verdict.HOLDS, f"late GD rates match the lazy Θ_W prediction within ×{math.exp(worst):.3f}", res, power


def tightness_finding(rows: Sequence[Mapping[str, Any]], alphas: Sequence[float], factor: Bound) -> str:
    """The bound's α-factor c_α/c_ref against the measured late-GD-rate ratio (seed mean), α = −1 vs the
    reference α nearest 0: a tightness report, never a violation (a lower bound with a hidden constant)."""
    ref = min(alphas, key=abs)
    if -1.0 not in alphas or ref == -1.0:
        return "tightness: α = −1 or a reference α near 0 not in the sweep"
    meas = spread_by_alpha(rows, [-1.0, ref], lambda r: r["gd"]["late_rate"])
    ratio = float(np.mean(meas[-1.0]) / np.mean(meas[ref]))
    pred = factor.evaluate(alpha=-1.0) / factor.evaluate(alpha=ref)
    rel = "smaller than" if ratio < pred else "larger than"
    return (f"tightness: measured late-rate ratio r(α=−1)/r(α={ref:g}) = {ratio:.3f} is {rel} the bound's α-factor "
            f"c_−1/c_{ref:g} = {pred:.3f} — consistent either way (a lower bound with an α-free hidden constant "
            "[assumed] fixes no ratio); it says how far the inferred factor is from the measured advantage")


def common_slope(xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]]) -> dict[str, Any]:
    """One slope shared by the seeds, each with its own intercept (:func:`verification.rules.slopes.fit_common_slope`),
    non-finite points dropped, seeds with < 2 points skipped; the standard error and d.o.f. count one intercept
    per seed (N − G − 1; the fit's own ``df`` when it has one). Returns slope, se, df and the per-seed slopes."""
    groups = []
    for x, y in zip(xs, ys, strict=True):
        xa, ya = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(xa) & np.isfinite(ya)
        if ok.sum() >= 2:
            groups.append((xa[ok], ya[ok]))
    n_pts = sum(g[0].size for g in groups)
    df_fe = n_pts - len(groups) - 1
    if not groups or df_fe < 1:
        return {"slope": float("nan"), "se": float("nan"), "df": 0, "per_seed": []}
    fit = fit_common_slope(groups)
    df = getattr(fit, "df", None)
    se = fit.se if df is not None else fit.se * math.sqrt((n_pts - 2) / df_fe)
    return {"slope": fit.slope, "se": se, "df": int(df if df is not None else df_fe),
            "per_seed": [float(np.polyfit(gx, gy, 1)[0]) for gx, gy in groups]}
