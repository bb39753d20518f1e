"""Rules moved from the generalisation checks: Student-t and Clopper–Pearson intervals, stratified Kendall τ and
its verdict — each on synthetic data with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from verification.rules.intervals import clopper_pearson, t_interval
from verification.rules.ranks import kendall_tau_blocked, tau_verdict


def test_t_interval_known_values() -> None:
    mean, se, hw = t_interval([1.0, 2.0, 3.0], 0.95)
    assert mean == 2.0 and se == pytest.approx(1 / math.sqrt(3))
    assert hw == pytest.approx(4.302652729911275 / math.sqrt(3))  # t_{2, 0.975}
    assert t_interval([5.0], 0.95) == (5.0, math.inf, math.inf)


def test_t_interval_coverage() -> None:
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        m, _, hw = t_interval(rng.normal(1.0, 2.0, size=6), 0.9)
        hits += abs(m - 1.0) <= hw
    assert abs(hits / 2000 - 0.9) < 0.025


def test_clopper_pearson_edges_and_values() -> None:
    assert clopper_pearson(0.0, 100, 0.05)[0] == 0.0
    assert clopper_pearson(1.0, 100, 0.05)[1] == 1.0
    lo, hi = clopper_pearson(0.1, 100, 0.05)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 10, 91)) and hi == pytest.approx(stats.beta.ppf(0.975, 11, 90))
    assert 0.0490 < lo < 0.0491 and 0.1762 < hi < 0.1763  # published exact interval for 10/100


def test_kendall_blocked_perfect_and_reversed() -> None:
    x = [1, 2, 3, 4, 1, 2, 3, 4]
    blocks = [0, 0, 0, 0, 1, 1, 1, 1]
    tau, p_up, p_down = kendall_tau_blocked(x, [10, 20, 30, 40, 5, 6, 7, 8], blocks)
    assert tau == 1.0 and p_up < 0.01 < p_down
    tau, p_up, p_down = kendall_tau_blocked(x, [40, 30, 20, 10, 8, 7, 6, 5], blocks)
    assert tau == -1.0 and p_down < 0.01 < p_up
    # without blocks the level shift between blocks would add discordant pairs: stratification ignores them
    assert kendall_tau_blocked(x, [10, 20, 30, 40, 5, 6, 7, 8])[0] < 1.0


def test_kendall_blocked_matches_scipy_in_one_block() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=30), rng.normal(size=30)
    tau, p_up, _ = kendall_tau_blocked(x, y)
    ref = stats.kendalltau(x, y, alternative="greater", method="asymptotic")
    assert tau == pytest.approx(ref.statistic) and p_up == pytest.approx(ref.pvalue, rel=1e-6)
    assert kendall_tau_blocked([1, 1], [2, 2]) == (0.0, 1.0, 1.0)


def test_tau_verdict() -> None:
    assert tau_verdict(0.9, 1e-4, 0.99, 1e-3) == "holds"
    assert tau_verdict(-0.9, 0.99, 1e-4, 1e-3) == "violated"
    assert tau_verdict(0.1, 0.3, 0.7, 1e-3) == "inconclusive"
    assert tau_verdict(-0.9, 0.99, 1e-4, 1e-3, want=-1) == "holds"
