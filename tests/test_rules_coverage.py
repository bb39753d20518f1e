"""Coverage of the intervals in verification/rules/ and the size of its tests, by simulation.

Fixed seeds, a few thousand replicates, Gaussian errors (the model every rule assumes): each 95 %
interval must cover the true value in 95 % ± 2 % of the replicates, and each level-0.05 test must
reject a true null in 5 % ± 2 %. The binomial standard error of a coverage estimated from 4000
replicates is √(0.95·0.05/4000) ≈ 0.0034, so ±2 % is a ≈ 6 SE band: a wrong degrees-of-freedom count
(e.g. n − 2 instead of N − G − 1 in a fixed-effects fit, SE ~11 % too small) fails it.
"""

from __future__ import annotations

import numpy as np
import pytest

from verification.rules import fit_common_intercept, fit_common_slope, fit_group_lines, fit_slope, mean_ci, weighted_mean_se
from verification.rules.slopes import SlopeFit

REPS = 4000
TOL = 0.02


def _coverage(fits: list[SlopeFit], truth: float, level: float = 0.95) -> float:
    lo, hi = np.array([f.ci(level) for f in fits]).T
    return float(np.mean((lo <= truth) & (truth <= hi)))


def test_fit_slope_ci_has_nominal_coverage() -> None:
    rng = np.random.default_rng(11)
    x = np.log([64, 256, 1024, 4096, 16384])
    y = 0.3 - 0.5 * x + rng.normal(0.0, 0.2, size=(REPS, x.size))  # few points: t, not normal, quantiles matter
    fits = [fit_slope(x, yy) for yy in y]
    assert abs(_coverage(fits, -0.5) - 0.95) <= TOL
    assert all(f.df == x.size - 2 for f in fits)


@pytest.mark.parametrize(("groups", "per_group"), [(3, 4), (2, 9), (6, 3)])
def test_fit_common_slope_ci_has_nominal_coverage(groups: int, per_group: int) -> None:
    rng = np.random.default_rng(100 + groups)
    x = np.log(np.geomspace(500, 8000, per_group))
    levels = rng.normal(0.0, 3.0, size=groups)  # intercepts differ by group, the slope does not
    noise = rng.normal(0.0, 0.15, size=(REPS, groups, per_group))
    fits = [fit_common_slope([(x, levels[g] - 0.5 * x + noise[r, g]) for g in range(groups)]) for r in range(REPS)]
    assert all(f.df == groups * per_group - groups - 1 for f in fits)
    assert abs(_coverage(fits, -0.5) - 0.95) <= TOL


def test_fit_common_slope_matches_dummy_variable_ols() -> None:
    """Same slope, SE and d.o.f. as the explicit design matrix [x, one indicator per group]."""
    rng = np.random.default_rng(5)
    gx = [rng.normal(size=5), rng.normal(size=7), rng.normal(size=4)]
    gy = [1.0 + 2 * g + 0.1 * k + rng.normal(0, 0.3, g.size) for k, g in enumerate(gx)]
    fit = fit_common_slope(list(zip(gx, gy, strict=True)))
    x, y = np.concatenate(gx), np.concatenate(gy)
    dummies = np.zeros((x.size, len(gx)))
    start = 0
    for k, g in enumerate(gx):
        dummies[start:start + g.size, k] = 1
        start += g.size
    design = np.column_stack([x, dummies])
    beta, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    df = x.size - design.shape[1]
    cov = float(rss[0]) / df * np.linalg.inv(design.T @ design)
    assert fit.df == df
    assert fit.slope == pytest.approx(beta[0], rel=1e-12)
    assert fit.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-10)


@pytest.mark.parametrize("size", [3, 5, 20])
def test_mean_ci_has_nominal_coverage(size: int) -> None:
    rng = np.random.default_rng(200 + size)
    v = rng.normal(1.7, 0.4, size=(REPS, size))
    hits = 0
    for row in v:
        mean, half = mean_ci(row, 0.95)
        hits += abs(mean - 1.7) <= half
    assert abs(hits / REPS - 0.95) <= TOL


def test_slope_t_test_has_nominal_size() -> None:
    """|slope − truth| > t_{0.975, df}·SE rejects a true slope in 5 % of replicates (common-slope fit)."""
    rng = np.random.default_rng(7)
    x = np.log([500.0, 2000.0, 8000.0])
    rejections = 0
    for _ in range(REPS):
        groups = [(np.repeat(x, 3), -0.5 * np.repeat(x, 3) + k + rng.normal(0, 0.1, 9)) for k in range(2)]
        f = fit_common_slope(groups)
        rejections += abs(f.slope + 0.5) > f.quantile(0.95) * f.se
    assert abs(rejections / REPS - 0.05) <= TOL


def test_fit_slope_intercept_ci_has_nominal_coverage() -> None:
    rng = np.random.default_rng(21)
    x = 1 / np.sqrt([1000.0, 4000.0, 1000.0, 4000.0, 16000.0])  # an extrapolation to x = 0, as the checks use it
    y = 0.2 - 8.0 * x + rng.normal(0.0, 0.05, size=(REPS, x.size))
    fits = [fit_slope(x, yy) for yy in y]
    lo, hi = np.array([f.intercept_ci(0.95) for f in fits]).T
    assert abs(float(np.mean((lo <= 0.2) & (hi >= 0.2))) - 0.95) <= TOL


def test_fit_common_intercept_ci_has_nominal_coverage_and_matches_lstsq() -> None:
    rng = np.random.default_rng(31)
    x = np.repeat(1 / np.sqrt([1000.0, 4000.0]), 3)
    slopes = [-11.0, -7.0, -4.0]
    hits = 0
    for _ in range(REPS):
        fit = fit_common_intercept([(x, 0.0 + b * x + rng.normal(0, 0.06, x.size)) for b in slopes])
        lo, hi = fit.ci(0.95)
        hits += lo <= 0.0 <= hi
    assert fit.df == 3 * x.size - 3 - 1
    assert abs(hits / REPS - 0.95) <= TOL


def test_weighted_mean_se_has_nominal_coverage_under_heteroscedastic_noise() -> None:
    """Values with SD ∝ m^(-1/2), weights m: the t-interval from the weighted-mean t-interval covers the mean ~95 %."""
    from scipy import stats

    rng = np.random.default_rng(41)
    m = np.repeat([500.0, 2000.0, 8000.0, 32000.0], 6)
    q = stats.t.ppf(0.975, m.size - 1)
    hits = 0
    for _ in range(REPS):
        v = 1.0 + rng.normal(0, 1, m.size) * 3 / np.sqrt(m)
        mean, se, df = weighted_mean_se(v, m)
        hits += abs(mean - 1.0) <= q * se
    assert df == m.size - 1
    assert abs(hits / REPS - 0.95) <= TOL


def test_fit_group_lines_intercepts_have_nominal_coverage() -> None:
    rng = np.random.default_rng(51)
    x = np.repeat(1 / np.sqrt([1000.0, 4000.0]), 3)
    truth = [(0.1, -9.0), (-0.2, -5.0), (0.0, -2.0)]
    hits, total = 0, 0
    for _ in range(REPS // 2):
        fits = fit_group_lines([(x, a + b * x + rng.normal(0, 0.06, x.size)) for a, b in truth])
        for f, (a, _) in zip(fits, truth, strict=True):
            lo, hi = f.intercept_ci(0.95)
            hits += lo <= a <= hi
            total += 1
    assert fits[0].df == 3 * x.size - 6
    assert abs(hits / total - 0.95) <= TOL


def test_fit_common_slope_corrected_ci_has_nominal_coverage() -> None:
    """The arora_dynamics design: 4 widths over a factor 64, one intercept per (α, seed), a c_α·m^(-1/2) term per α."""
    from verification.rules import fit_common_slope_corrected

    rng = np.random.default_rng(31)
    x = np.log([500.0, 2000.0, 8000.0, 32000.0])
    classes = [a for a in (0, 1) for _ in range(6)]
    levels = rng.normal(0.0, 0.5, size=len(classes))
    corr = {0: -3.0, 1: -12.0}  # the correction terms measured on the two α
    fits = []
    for _ in range(REPS):
        groups = [(x, levels[g] - 0.5 * x + corr[c] * np.exp(-x / 2) + rng.normal(0.0, 0.15, x.size))
                  for g, c in enumerate(classes)]
        fits.append(fit_common_slope_corrected(groups, classes, lambda v: np.exp(-v / 2)))
    assert all(f.df == 48 - 12 - 2 - 1 for f in fits)
    assert abs(_coverage(fits, -0.5) - 0.95) <= TOL


def test_fit_common_slope_corrected_matches_lstsq_and_refuses_unidentifiable() -> None:
    from verification.rules import fit_common_slope_corrected

    rng = np.random.default_rng(32)
    x = np.log([100.0, 400.0, 1600.0])
    groups = [(x, 1.0 - 0.4 * x + 2.0 * np.exp(-x / 2) + rng.normal(0, 0.1, 3)) for _ in range(4)]
    fit = fit_common_slope_corrected(groups, ["a", "a", "b", "b"], lambda v: np.exp(-v / 2))
    design = np.zeros((12, 1 + 4 + 2))
    for g in range(4):
        rows = slice(3 * g, 3 * g + 3)
        design[rows, 0], design[rows, 1 + g] = x, 1.0
        design[rows, 5 + g // 2] = np.exp(-x / 2)
    y = np.concatenate([gy for _, gy in groups])
    beta, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    cov = float(rss[0]) / (12 - 7) * np.linalg.inv(design.T @ design)
    assert fit.slope == pytest.approx(beta[0], rel=1e-10)
    assert fit.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-8)
    with pytest.raises(ValueError, match="not identifiable"):  # two widths cannot separate b from c
        fit_common_slope_corrected([(x[:2], y[:2]), (x[:2], y[3:5]), (x[:2], y[6:8])], ["a", "a", "a"],
                                   lambda v: np.exp(-v / 2))


def test_fit_weighted_slope_ci_has_nominal_coverage_when_spread_falls_like_root_n() -> None:
    """kgmmn_gamma_transition's path design: n = 20, 40, 80 with 6 seeds each, SD(log γ*) ∝ n^(-1/2)."""
    from verification.rules import fit_weighted_slope

    rng = np.random.default_rng(33)
    n = np.repeat([20.0, 40.0, 80.0], 6)
    x = np.log(n)
    fits = [fit_weighted_slope(x, 2.0 - 1.0 * x + rng.normal(0.0, 1.0, n.size) / np.sqrt(n), n) for _ in range(REPS)]
    assert all(f.df == n.size - 2 for f in fits)
    assert abs(_coverage(fits, -1.0) - 0.95) <= TOL
