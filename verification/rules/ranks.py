"""Rank tests: does a measured ordering follow the predicted one?"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["kendall_tau_blocked", "kendall_tau_test", "ordering_test", "ordering_verdict", "tau_verdict"]


def kendall_tau_test(measured: Sequence[float], predicted: Sequence[float]) -> tuple[float, float]:
    """Kendall"s τ between two orderings and its one-sided p-value for τ > 0 (exact for small n)."""
    m, p = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if m.shape != p.shape or m.size < 3:
        raise ValueError(f"need ≥ 3 paired values, got {m.shape} and {p.shape}")
    res = stats.kendalltau(m, p, alternative="greater", method="exact" if m.size <= 12 else "auto")
    tau = float(res.statistic) if np.isfinite(res.statistic) else 0.0
    pval = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
    return tau, pval


def kendall_tau_blocked(x: Sequence[float], y: Sequence[float], blocks: Sequence[Any] | None = None
                        ) -> tuple[float, float, float]:
    """Kendall's τ stratified by ``blocks`` (pairs are compared only inside a block) with one-sided p-values.

    τ = S/P with S = Σ_blocks (concordant − discordant) and P the number of within-block pairs; the p-values for
    τ > 0 and τ < 0 come from the normal approximation z = S/√Var(S), Var(S) the sum over blocks of the
    tie-corrected null variance [(n(n−1)(2n+5) − Σt(t−1)(2t+5) − Σu(u−1)(2u+5))/18 + Σt(t−1)Σu(u−1)/(2n(n−1))
    + Σt(t−1)(t−2)Σu(u−1)(u−2)/(9n(n−1)(n−2))] (Kendall 1970, ch. 4). Returns (τ, p_greater, p_less);
    no pair or zero variance gives (0, 1, 1).
    """
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keys = np.zeros(xa.size) if blocks is None else np.asarray(blocks)
    s_total, var_total, pairs = 0.0, 0.0, 0.0
    for b in np.unique(keys):
        xb, yb = xa[keys == b], ya[keys == b]
        nb = xb.size
        if nb < 2:
            continue
        dx = np.sign(xb[:, None] - xb[None, :])
        dy = np.sign(yb[:, None] - yb[None, :])
        s_total += float(np.sum(np.triu(dx * dy, 1)))
        pairs += nb * (nb - 1) / 2
        tx = np.unique(xb, return_counts=True)[1].astype(float)
        ty = np.unique(yb, return_counts=True)[1].astype(float)
        v0 = nb * (nb - 1) * (2 * nb + 5)
        vt, vu = np.sum(tx * (tx - 1) * (2 * tx + 5)), np.sum(ty * (ty - 1) * (2 * ty + 5))
        v1 = np.sum(tx * (tx - 1)) * np.sum(ty * (ty - 1)) / (2 * nb * (nb - 1))
        v2 = (np.sum(tx * (tx - 1) * (tx - 2)) * np.sum(ty * (ty - 1) * (ty - 2)) / (9 * nb * (nb - 1) * (nb - 2))
              if nb > 2 else 0.0)
        var_total += (v0 - vt - vu) / 18 + v1 + v2
    if var_total <= 0 or pairs == 0:
        return 0.0, 1.0, 1.0
    z = s_total / math.sqrt(var_total)
    return s_total / pairs, float(stats.norm.sf(z)), float(stats.norm.cdf(z))


def tau_verdict(tau: float, p_up: float, p_down: float, threshold: float, want: int = 1) -> str:
    """'holds' when τ has the predicted sign (``want`` = ±1) with one-sided p < threshold, 'violated' when the
    opposite sign is significant at the same threshold, else 'inconclusive' (``tau`` is carried for the record)."""
    p_good, p_bad = (p_up, p_down) if want > 0 else (p_down, p_up)
    if p_good < threshold:
        return "holds"
    if p_bad < threshold:
        return "violated"
    return "inconclusive"


def _kendall_s(measured: Sequence[float], predicted: Sequence[float]) -> int:
    """S = Σ_{i<j} sign(m_i − m_j)·sign(p_i − p_j) (ties count 0)."""
    m, p = np.asarray(measured, float), np.asarray(predicted, float)
    s = 0
    for i, j in itertools.combinations(range(m.size), 2):
        s += int(np.sign(m[i] - m[j]) * np.sign(p[i] - p[j]))
    return s


@cache
def _null_s_distribution(pred_ranks: tuple[int, ...]) -> dict[int, float]:
    """Distribution of S when the measured order is a uniformly random permutation (exact enumeration)."""
    counts: dict[int, int] = {}
    n = len(pred_ranks)
    for perm in itertools.permutations(range(n)):
        s = _kendall_s(perm, pred_ranks)
        counts[s] = counts.get(s, 0) + 1
    total = math.factorial(n)
    return {k: v / total for k, v in counts.items()}


def _sum_distribution(dist: dict[int, float], k: int) -> dict[int, float]:
    """Distribution of the sum of ``k`` independent draws from ``dist`` (convolution)."""
    out = {0: 1.0}
    for _ in range(k):
        nxt: dict[int, float] = {}
        for a, pa in out.items():
            for b_, pb in dist.items():
                nxt[a + b_] = nxt.get(a + b_, 0.0) + pa * pb
        out = nxt
    return out


def ordering_test(values: Mapping[float, Sequence[float]], predicted: Mapping[float, float],
                  n_quantities: int = 1, level: float = 0.05) -> dict[str, Any]:
    """Compare a measured quantity (larger = faster), per α and seed, with a predicted ordering.

    Returns per-seed Kendall τ and Spearman ρ, the mean τ with its exact one-sided p-values under
    "each seed's ordering is a uniformly random permutation" (p_agree: τ̄ this large; p_reversed: τ̄
    this small), and the paired one-sided t-tests of "α' is faster than the predicted best α*" on
    log-values over seeds, Bonferroni-corrected over competitors and ``n_quantities`` (significant at
    p ≤ level/(competitors·n_quantities)).
    """
    alphas = sorted(values)
    if len(alphas) > 9:
        raise ValueError("ordering_test enumerates permutations: at most 9 α values")
    pred = np.array([predicted[a] for a in alphas], float)
    meas = np.array([values[a] for a in alphas], float)  # (n_alpha, seeds)
    k = meas.shape[1]
    if not (np.all(np.isfinite(meas)) and np.all(np.isfinite(pred))) or np.ptp(pred) == 0:
        return {"alphas": alphas, "predicted": pred.tolist(), "finite": False,
                "seed_mean": np.nanmean(meas, axis=1).tolist()}
    ranks = tuple(int(r) for r in stats.rankdata(pred, method="dense"))
    s_obs = sum(_kendall_s(meas[:, s], pred) for s in range(k))
    pairs = len(alphas) * (len(alphas) - 1) // 2
    dist = _sum_distribution(_null_s_distribution(ranks), k)
    p_agree = float(sum(p for s, p in dist.items() if s >= s_obs))
    p_rev = float(sum(p for s, p in dist.items() if s <= s_obs))
    taus = [float(stats.kendalltau(meas[:, s], pred).statistic) for s in range(k)]
    rhos = [float(stats.spearmanr(meas[:, s], pred).statistic) for s in range(k)]
    best = alphas[int(np.argmax(pred))]
    mean = meas.mean(axis=1)
    measured_best = alphas[int(np.argmax(mean))]
    comps = []
    n_comp = len(alphas) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(meas)
    ib = alphas.index(best)
    for i, a in enumerate(alphas):
        if a == best:
            continue
        diff = logs[i] - logs[ib]
        if k >= 2 and np.all(np.isfinite(diff)) and diff.std(ddof=1) > 0:
            t = float(diff.mean() / (diff.std(ddof=1) / math.sqrt(k)))
            p = float(stats.t.sf(t, k - 1))
        elif np.all(np.isfinite(diff)):
            t, p = (math.inf if diff.mean() > 0 else -math.inf), (0.0 if diff.mean() > 0 else 1.0)
        else:
            t, p = float("nan"), 1.0
        comps.append({"alpha": a, "mean_log_ratio_vs_best": float(np.mean(diff)), "t": t, "p": p,
                      "significant": p <= level / (n_comp * n_quantities)})
    return {
        "alphas": alphas, "predicted": pred.tolist(), "finite": True, "seed_mean": mean.tolist(),
        "seed_std": (meas.std(axis=1, ddof=1) if k > 1 else np.zeros(len(alphas))).tolist(),
        "kendall_tau_per_seed": taus, "spearman_per_seed": rhos,
        "mean_tau": s_obs / (k * pairs), "p_agree": p_agree, "p_reversed": p_rev,
        "predicted_best": best, "measured_best": measured_best, "beats_predicted_best": comps,
    }


def ordering_verdict(res: Mapping[str, Any], n_quantities: int, level: float = 0.05) -> tuple[Any, str]:
    """Verdict of :func:`ordering_test`'s result. Rule: violated when the ordering is significantly
    reversed (p_reversed ≤ level/n_quantities) or the predicted best α significantly beaten; holds when
    the ordering significantly agrees (p_agree ≤ level) and it is not beaten; otherwise inconclusive."""
    from verification.check import Verdict
    if not res.get("finite", False):
        return Verdict.INCONCLUSIVE, "non-finite measurement or a prediction constant in α"
    beaten = [c for c in res["beats_predicted_best"] if c["significant"]]
    if res["p_reversed"] <= level / n_quantities:
        return Verdict.VIOLATED, (f"ordering reversed (mean τ = {res['mean_tau']:.2f}, p = {res['p_reversed']:.2g})")
    if beaten:
        c = max(beaten, key=lambda c_: c_["t"])
        return Verdict.VIOLATED, (f"predicted best α = {res['predicted_best']:g} significantly beaten by α = "
                                  f"{c['alpha']:g} (×{math.exp(c['mean_log_ratio_vs_best']):.2f}, p = {c['p']:.2g})")
    if res["p_agree"] <= level:
        return Verdict.HOLDS, (f"ordering agrees (mean τ = {res['mean_tau']:.2f}, p = {res['p_agree']:.2g}); "
                               f"measured best α = {res['measured_best']:g}")
    return Verdict.INCONCLUSIVE, (f"ordering not significant (mean τ = {res['mean_tau']:.2f}, "
                                  f"p = {res['p_agree']:.2g})")

