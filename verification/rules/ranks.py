"""Rank tests: does a measured ordering follow the predicted one?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["kendall_tau_blocked", "kendall_tau_test", "tau_verdict"]


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
