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

import bounds as B
from bounds import Bound
from empirical.deep.experiments import alpha_sweep
from verification.check import Check, Measurements, Unit, Verdict
from verification.rules import seed_spread
from verification.rules.verdicts import combine

__all__ = ["SIG", "AlphaSweepCheck", "combine_sweep", "cpu_threads", "exponent", "fmt_spread", "rate_prediction",
           "spread_by_alpha", "unit_roundoff_tol"]

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

    version = 2  # measure() runs the fast NTK / closed-form GD paths (issue 6): same numbers up to rounding

    _configs_key = "configs"

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        keep = ("n", "m", "alphas", "steps", "batch", "eta_factor", "dtype")
        return [Unit(cfg["name"], s, {**cfg, **{k: params[k] for k in keep if k in params}})
                for cfg in params[self._configs_key] for s in seeds]

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        p = unit.params
        dtype = {"float64": torch.float64, "float32": torch.float32}[p.get("dtype", "float64")]
        with cpu_threads(device, p["m"]):
            return alpha_sweep(data=p["data"], n=p["n"], d=p["d"], m=p["m"], depth=p["depth"], alphas=p["alphas"],
                               steps=p["steps"], batch=p.get("batch"), seed=unit.seed,
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
            ax.set(title=qn, xlabel="α")
            ax.legend(fontsize=6)



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
    return verdict, next(r for v, r in zip(verdicts, reasons, strict=True) if v is verdict)
