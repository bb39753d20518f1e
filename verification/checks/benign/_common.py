"""Checks of benign and harmful overfitting in two-layer leaky-ReLU networks (docs/theory/benign-overfitting.md §4).

KGMMN = Karhadkar, George, Murray, Montúfar, Needell (NeurIPS 2024): hinge loss, 2m neurons with outer weights
±1, data x = √γ·y·v + √(1−γ)·n, k corrupted labels. H25 = Hashimoto (arXiv 2505.16204) with the linear
companion H-lin: exponential loss, outer weights ±1/√m, mixtures x = yμ + Σ^{1/2}ξ.

Shared conventions of these checks:

* **Units and batching.** A unit is (configuration group, seed). Every seed of a run travels in the unit's
  params, and the first ``measure`` call of a group trains all its members *and* seeds in one batched GD run
  (:mod:`empirical.benign.experiments`); the other seeds' calls take their share. Numbers are per seed.
* **Hidden constants.** Every O(·)/Ω(·) constant is set to 1 when a bound is evaluated; only *ratios* of a
  measured quantity to a bound are compared across configurations, never absolute values.
* **Ratio rule** (upper bound Q ≤ C·U in the limit v → v₀): fit the slope b of log(Q/U) against log v. The
  bound is violated when the ratio grows towards v₀ with confidence: for v → ∞ when the lower end of the
  slope's confidence interval exceeds 0, for v → 0 when its upper end is below 0 (mirror images for lower
  bounds). No exponent slack is added (δ = 0): a looser but true bound has its ratio slope on the allowed
  side, so it is never flagged; confidence intervals are Student-t with Bonferroni level
  1 − 10⁻³/(number of tests of the check). Power: the slope the fit can detect, (t_{1−a/2} + t_{0.8})·SE,
  must not exceed ``EXPONENT_TARGET`` = 0.4 (a half-step exponent error, ½, is then seen with ≥ 80 %).
* **Regime gates** (:func:`kgmmn_gate`): what the theorem assumes, measured on the run; a run outside is
  *inconclusive* with the reason. The hidden constants of d = Ω(n), k = O(α²n) and γ = Ω(1/k) are set to the
  values the paper's own benign experiments use (Figure 1: d/n ≥ 1, k/(α²n) = 10, γ·k = ½).
* **Positive evidence**: *holds* needs the predicted effect itself (error significantly below chance and
  below the training noise rate, falling with d). A flat or chance-level effect inside the regime is *violated*
  only when the data show it: the confidence interval lies within the feature's resolution (its power target:
  ``ERROR_TARGET`` below the ceiling, 1 e-fold of the error across a sweep) of no effect, or on the wrong side.
  An interval that is merely wide — it contains both no effect and the resolved effect — is *inconclusive:
  underpowered (…)* with the detectable deviation (:func:`below_test`, :func:`trend_sign_test`); lack of
  significance is never a violation.
* **Test errors** at the zero-hinge-loss stop (the theorems) and at the zero 0-1-error stop (the authors'
  code) are both measured and reported; decisions use the hinge stop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from scipy import special

import bounds as B
from bounds import Bound
from verification.check import Check, Decision, Unit, Verdict
from verification.rules.intervals import max_abs_z
from verification.rules.multiple import bonferroni_z
from verification.rules.power import detectable, power_entry
from verification.rules.ratio_trend import ratio_trend_test
from verification.rules.regime import Condition, gate_reason
from verification.rules.slopes import SlopeFit, fit_common_slope

FAMILY_ERROR = 1e-3
DELTA = 0.0  # exponent slack of the ratio rule: none (see module docstring)
EXPONENT_TARGET = 0.4  # power target of every exponent/slope feature: below a half-step (½) exponent error
Z_TARGET = 0.2  # power target of an exact Φ-argument: half of the √2 − 1 ≈ 0.41 a factor 2 in d/n makes
ERROR_TARGET = 0.05  # power target of a test error against chance or the noise rate (absolute)
K_OVER_ALPHA2N_MAX = 10.0  # Figure 1: k = 0.1n at α = 0.1, presented by the authors as benign
GAMMA_K_MIN = 0.5  # Figure 1: γ = 5/n with k = 0.1n
D_OVER_N_MIN = 1.0  # Figure 1: d/n ∈ {1, …, 10}


def numeric(bound: Bound, names: Sequence[str], expr: sp.Expr | None = None) -> Callable[..., np.ndarray]:
    """numpy function of ``names`` for ``bound`` (or ``expr``) with every hidden constant set to 1."""
    e = (bound.expr if expr is None else expr).subs({c: 1 for c in bound.constants})
    syms = [B.symbols.symbol(nm) for nm in names]
    extra = e.free_symbols - set(syms)
    if extra:
        raise ValueError(f"{bound.name}: no value for {', '.join(sorted(s.name for s in extra))}")
    f = sp.lambdify(syms, e, modules=["scipy", "numpy"])

    def call(*args: Any) -> np.ndarray:
        arrs = [np.asarray(a, dtype=np.float64) for a in args]
        with np.errstate(all="ignore"):
            out = np.asarray(f(*arrs), dtype=np.float64)
        return out * np.ones(np.broadcast_shapes(*(a.shape for a in arrs))) if arrs else out

    return call


def neg_log(bound: Bound, names: Sequence[str]) -> Callable[..., np.ndarray]:
    """The exponent −log(bound) a bound on an error probability implies, as a numpy function (constants 1).

    Additive terms free of every variable (−log c of a prefactor c·exp(−f)) are dropped: they are of the order
    of the hidden constants and vanish against f in the limit the ratio rule speaks about."""
    e = sp.expand_log(-sp.log(bound.expr.subs({c: 1 for c in bound.constants})), force=True)
    e = sp.Add(*[t for t in sp.Add.make_args(sp.expand(e)) if t.free_symbols])
    return numeric(bound, names, expr=e)


def ratio_test(label: str, x: np.ndarray, ratio: np.ndarray, toward: str, kind: str, level: float
               ) -> dict[str, Any]:
    """Ratio rule (module docstring) for one bound along one direction, at the slice's resolution δ = ``DELTA``
    (:func:`verification.rules.ratio_trend.ratio_trend_test`)."""
    return ratio_trend_test(label, x, ratio, toward, kind, level, DELTA)


def err_floor(r: Mapping[str, Any], key: str = "err") -> float:
    """The Monte-Carlo error, floored at half a count (2·n_test draws) so that its logarithm exists."""
    return max(float(r[key]), 0.5 / (2 * int(r["n_test"])))


def mean_by(recs: Sequence[Mapping[str, Any]], keys: Sequence[str], value: Callable[[Mapping[str, Any]], float]
             ) -> dict[tuple, list[float]]:
    out: dict[tuple, list[float]] = {}
    for r in recs:
        out.setdefault(tuple(r[k] for k in keys), []).append(value(r))
    return out


def stopping_summary(recs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Both stopping rules side by side: error and iteration ratios (0-1 stop over hinge stop)."""
    e = np.array([err_floor(r) for r in recs])
    e01 = np.array([err_floor(r, "err01") for r in recs])
    t = np.array([max(r["T"], 1) for r in recs], float)
    t01 = np.array([max(r["T01"], 0) for r in recs], float)
    return {"median_err_hinge_stop": float(np.median(e)), "median_err_01_stop": float(np.median(e01)),
            "median_err_ratio_01_over_hinge": float(np.median(e01 / e)),
            "median_T01_over_T": float(np.median(t01 / t))}


class BenignCheck(Check):
    """Units are (group, seed); one ``measure`` call trains a whole group for every seed of the run at once."""

    default_seeds = {"quick": 3, "full": 5}

    def groups(self, params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        raise NotImplementedError

    def run_group(self, group: Mapping[str, Any], seeds: Sequence[int], device: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        batch = [int(s) for s in seeds]
        return [Unit(name, int(s), {**g, "seeds": batch}) for name, g in self.groups(params) for s in seeds]

    def batch_key(self, unit: Unit) -> str:
        """All seeds of a group are trained by one call: a parallel run keeps them on one worker."""
        return f"{unit.config}|{json.dumps(dict(unit.params), sort_keys=True, default=str)}"

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        cache: dict[tuple, dict[int, list[dict[str, Any]]]] = self.__dict__.setdefault("_batch_cache", {})
        key = (unit.config, json.dumps(dict(unit.params), sort_keys=True, default=str), str(device))
        if key not in cache:
            seeds = list(unit.params["seeds"])
            recs = self.run_group(unit.params, seeds, device)
            cache[key] = {s: [r for r in recs if r["seed"] == s] for s in seeds}
        by_seed = cache[key]
        out = {"members": by_seed.pop(unit.seed)}
        if not by_seed:
            del cache[key]
        return out

    def plot(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        """The check's figure (:meth:`draw`); a run outside the regime gets the text summary only (its records may
        lack the trained quantities, e.g. non-separable data)."""
        if decision.domain == "outside":
            super().plot(fig, measurements, decision, bounds_by_role, params)
        else:
            self.draw(fig, measurements, decision, bounds_by_role, params)

    def draw(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        """The figure of a run inside the regime (default: the text summary)."""
        super().plot(fig, measurements, decision, bounds_by_role, params)

    def true_but_looser(self) -> list[Any]:
        """True but looser variants of the bounds (a hidden constant doubled, a weaker exponent on the safe side):
        the check must *not* flag them violated (tests/benign/test_benign_looser.py)."""
        return []

    @staticmethod
    def records(measurements: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [dict(r) for m in measurements.values() for r in m["members"]]


def z_pred(bound: Bound, mu2: np.ndarray, d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Φ-argument z implied by an error formula: err = Φ(−z) ⇔ z = −Φ⁻¹(err); ±inf outside (0, 1)."""
    err = numeric(bound, ["mu_norm", "d", "n"])(np.sqrt(mu2), d, n)
    with np.errstate(all="ignore"):
        z = -special.ndtri(np.clip(err, 0.0, 1.0))
    return np.where(np.isfinite(err), z, np.nan)


def z_rule(recs: Sequence[Mapping[str, Any]], bound: Bound, step: str, label: str) -> dict[str, Any]:
    """Measured Φ-argument of the linear boundary against the formula's, per configuration (seed mean).

    SE = σ_z/√S with σ_z = ‖μ‖/√(n‖μ‖² + d), the first-order fluctuation of ⟨Σ_i y_i z_i, μ⟩
    (docs/theory/benign-overfitting.md §2.3
    heuristic, derived); the bound is violated when some |z̄ − z_pred|/SE exceeds the two-sided Bonferroni value."""
    cfg = mean_by(recs, ["n", "d", "mu2"], lambda r: r["by_step"][step]["lin_snr"])
    keys = sorted(cfg)
    n = np.array([k[0] for k in keys], float)
    d = np.array([k[1] for k in keys], float)
    mu2 = np.array([k[2] for k in keys], float)
    zbar = np.array([np.mean(cfg[k]) for k in keys])
    S = np.array([len(cfg[k]) for k in keys], float)
    se = np.sqrt(mu2) / np.sqrt(n * mu2 + d) / np.sqrt(S)
    zp = z_pred(bound, mu2, d, n)
    zmax, i = max_abs_z(zbar, zp, se)
    zc = bonferroni_z(len(keys), FAMILY_ERROR)
    out = {"test": label, "z_crit": zc, "max_abs_z": float(zmax), "usable": True,
           "violated": bool(zmax > zc),
           "rows": [{"n": int(n[j]), "d": int(d[j]), "mu2": float(mu2[j]), "z_measured": float(zbar[j]),
                     "z_predicted": float(zp[j]), "se": float(se[j])} for j in range(len(keys))],
           "summary": f"{len(keys)} configurations within {zc:.2f} SE (largest {zmax:.2f})"}
    if out["violated"]:
        out["why"] = (f"n={int(n[i])}, ‖μ‖²={mu2[i]:g}: measured z = {zbar[i]:.3f} vs formula {zp[i]:.3f} "
                      f"({zmax:.1f} SE > {zc:.2f})")
    with np.errstate(all="ignore"):
        rel = np.array([detectable(float(v), level=FAMILY_ERROR / len(keys)) for v in se]) / np.abs(zp)
    rel = rel[np.isfinite(rel)]
    out["power"] = power_entry(float(np.median(rel)) if rel.size else math.inf, Z_TARGET,
                               "relative error of the Φ-argument z (median over configurations)",
                               f"two-sided z at Bonferroni family {FAMILY_ERROR:g}")
    return out


def common_slope(x: Sequence[float], y: Sequence[float], groups: Sequence[Any]) -> SlopeFit:
    """One slope with one intercept per group label (:func:`verification.rules.slopes.fit_common_slope`)."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    g = np.asarray([str(v) for v in groups])
    return fit_common_slope([(xa[g == key], ya[g == key]) for key in np.unique(g)])


def kgmmn_gate(recs: Sequence[Mapping[str, Any]], benign: bool = True, signal: bool = True) -> list[Condition]:
    """Regime conditions of KGMMN measured on the runs (module docstring): separable data, zero hinge loss
    reached, and with ``benign`` Cor 3.2.1's k ≥ 1, d ≥ n, k ≤ 10·α²n and (with ``signal``) γ·k ≥ ½ and
    γ > α³/d (outside Thm 3.4's harmful regime)."""
    tol = 1e-9
    sep = [r for r in recs if not r.get("separable", True)]
    conds = [Condition("training data linearly separable (zero hinge loss reachable)", not sep,
                       f"{len(sep)} of {len(recs)} runs not separable" if sep else None)]
    if not sep:
        stuck = [r for r in recs if r["T"] < 0]
        conds.append(Condition("every run reached zero hinge loss within the step cap (Cor 3.2.1 (1))", not stuck,
                               f"{len(stuck)} of {len(recs)} stuck" if stuck else None))
    if benign:
        k = np.array([r["k"] for r in recs], float)
        d, n = np.array([r["d"] for r in recs], float), np.array([r["n"] for r in recs], float)
        a, g = np.array([r["alpha"] for r in recs], float), np.array([r["gamma"] for r in recs], float)
        conds.append(Condition("k ≥ 1 corrupted labels", bool(k.min() >= 1), float(k.min())))
        conds.append(Condition(f"d/n ≥ {D_OVER_N_MIN:g} (d = Ω(n))", bool((d / n).min() >= D_OVER_N_MIN - tol),
                               float((d / n).min())))
        if k.min() >= 1:
            kr = k / (a**2 * n)
            conds.append(Condition(f"k/(α²n) ≤ {K_OVER_ALPHA2N_MAX:g} (k = O(α²n))",
                                   bool(kr.max() <= K_OVER_ALPHA2N_MAX * (1 + tol)), float(kr.max())))
            if signal:
                conds.append(Condition(f"γ·k ≥ {GAMMA_K_MIN:g} (γ = Ω(1/k))",
                                       bool((g * k).min() >= GAMMA_K_MIN * (1 - tol)), float((g * k).min())))
        if signal:
            conds.append(Condition("γ > α³/d (outside Thm 3.4's harmful regime)", bool((g * d / a**3).min() > 1),
                                   float((g * d / a**3).min())))
    return conds


def gate_decision(conds: Sequence[Condition], power: Mapping[str, Any] | None = None) -> Decision | None:
    """An *inconclusive* decision naming the failed regime conditions, or None inside the regime."""
    why = gate_reason(conds)
    if why is None:
        return None
    return Decision(Verdict.INCONCLUSIVE, why, "runs outside the theorem's regime decide nothing (regime gate)",
                    {}, {"regime": [{"condition": c.name, "ok": c.ok, "value": c.value} for c in conds]},
                    domain="outside", power=dict(power or {}))


def error_se(rows: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """Seed-mean test error and its standard error: seed spread ⊕ mean Monte-Carlo SE (independent parts)."""
    e = np.array([float(r["err"]) for r in rows])
    mc = float(np.mean([float(r["err_se"]) for r in rows]))
    spread = float(e.std(ddof=1) / math.sqrt(e.size)) if e.size > 1 else 0.0
    return float(e.mean()), math.hypot(spread, mc / math.sqrt(e.size))


def below_test(label: str, rows: Sequence[Mapping[str, Any]], ceiling: float, family: int
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Positive evidence: the seed-mean error of ``rows`` lies below ``ceiling`` by more than the one-sided
    Bonferroni value (family ``family``) of its SE. Otherwise *violated* only when the data show a chance-level
    effect — the one-sided lower confidence limit mean − z·SE lies above ``ceiling − ERROR_TARGET`` (the error is
    within the resolution of the ceiling, or above it) — and *inconclusive: underpowered* (``usable`` False) when
    the interval is merely wide. Returns the sub-test and its power entry (detectable distance below the ceiling
    vs ``ERROR_TARGET``)."""
    mean, se = error_se(rows)
    zc = bonferroni_z(family, 2 * FAMILY_ERROR)
    z = (ceiling - mean) / se if se > 0 else (math.inf if mean < ceiling else -math.inf)
    pw = power_entry(detectable(se, level=2 * FAMILY_ERROR / family, sides=1), ERROR_TARGET,
                     "absolute test error below the ceiling", f"one-sided z at family error {FAMILY_ERROR:g}")
    confirmed = z > zc
    shown = not confirmed and mean - zc * se > ceiling - ERROR_TARGET
    t = {"test": label, "usable": confirmed or shown, "err": mean, "se": se, "ceiling": ceiling, "z": z,
         "z_crit": zc, "violated": bool(shown), "summary": f"{label}: {mean:.4f} < {ceiling:.3g} ({z:.1f} SE)"}
    if shown:
        t["why"] = (f"error {mean:.4f} ± {se:.4f} is not below {ceiling:.3g}: its lower confidence limit "
                    f"{mean - zc * se:.4f} is above {ceiling:.3g} − {ERROR_TARGET:g} (within the resolution of the "
                    "ceiling, or above it)")
    elif not confirmed:
        t["inconclusive"] = (f"underpowered ({label}: error {mean:.4f} ± {se:.4f} is neither significantly below "
                             f"{ceiling:.3g} (z = {z:.2f} ≤ {zc:.2f}) nor within {ERROR_TARGET:g} of it; detectable "
                             f"{pw['detectable']:.3g} vs target {ERROR_TARGET:g})")
    return t, pw


def trend_sign_test(label: str, fit: SlopeFit, level: float, pred_sign: float, span: float, points: int,
                    what: str = "sweep") -> tuple[dict[str, Any], dict[str, Any]]:
    """Positive evidence for a trend: the slope of log err (``fit``) has the sign ``pred_sign`` with confidence
    (two-sided Student-t interval at ``level``). Its resolution is 1 e-fold of the error across the ``span`` of
    the regressor (slope 1/span, the power target). Otherwise *violated* only when the data show a flat or
    reversed trend — the interval excludes every slope of at least the resolution in the predicted direction —
    and *inconclusive: underpowered* (``usable`` False) when the interval contains both 0 and that slope.
    Returns the sub-test and its power entry (detectable e-folds across the span vs 1)."""
    lo_ci, hi_ci = fit.ci(level)
    res = 1.0 / span
    t = {"test": label, "predicted_sign": pred_sign, "slope": fit.slope, "se": fit.se, "ci": [lo_ci, hi_ci],
         "resolution": res, "usable": True, "points": int(points), "violated": False}
    p = slope_power(t, level, target=res)
    pw = power_entry(p["detectable"] * span, 1.0, f"e-folds of the error across the d/k {what}", p["how"])
    confirmed = (pred_sign < 0 and hi_ci < 0) or (pred_sign > 0 and lo_ci > 0)
    shown = (pred_sign < 0 and lo_ci > -res) or (pred_sign > 0 and hi_ci < res)
    direction = "a de" if pred_sign < 0 else "an in"
    ci = f"(CI {lo_ci:+.3g}, {hi_ci:+.3g})"
    if pred_sign == 0:
        t.update(usable=False, inconclusive=f"{label}: the bound predicts no trend in d, so there is no sign to test")
    elif not confirmed and shown:
        t.update(violated=True, why=f"the bound predicts {direction}creasing error in d; the measured slope of log err "
                 f"in d/k is {fit.slope:+.3g} {ci}: flat (less than 1 e-fold across the {what}, slope "
                 f"{res:.3g}) or reversed, with confidence")
    elif not confirmed:
        t.update(usable=False, inconclusive=f"underpowered ({label}: slope of log err in d/k {fit.slope:+.3g} {ci} "
                 f"contains both 0 and the resolved {'−' if pred_sign < 0 else '+'}{res:.3g} (1 e-fold across the "
                 f"{what}); detectable {pw['detectable']:.3g} vs target 1 e-fold)")
    return t, pw


def slope_power(t: Mapping[str, Any], level: float, target: float = EXPONENT_TARGET,
                unit: str = "exponent (slope in log-log)") -> dict[str, Any]:
    """Power entry of a slope sub-test: (t_{1−a/2} + t_{0.8})·SE at the sub-test's level."""
    if not t.get("usable", True) or t.get("se") is None:
        return power_entry(math.inf, target, unit, "not enough usable points")
    df = float(t["df"]) if t.get("df") is not None else max(int(t.get("points", 3)) - 2, 1)
    return power_entry(detectable(float(t["se"]), level=1 - level, df=df), target, unit,
                       f"two-sided Student t at level {level:.5f}, {df:.3g} d.o.f.")
