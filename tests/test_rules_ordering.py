"""verification.rules.ranks.ordering_test / ordering_verdict on synthetic orderings with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verification.check import Verdict
from verification.rules.ranks import ordering_test, ordering_verdict

ALPHAS = [-1.0, -0.5, 0.0, 0.5]
PRED = {-1.0: 4.0, -0.5: 3.0, 0.0: 2.0, 0.5: 1.0}


def _values(order: list[float], seeds: int = 3, noise: float = 0.0) -> dict[float, list[float]]:
    rng = np.random.default_rng(0)
    return {a: [float(v * math.exp(noise * rng.standard_normal())) for _ in range(seeds)]
            for a, v in zip(ALPHAS, order, strict=True)}


def test_perfect_agreement_has_exact_permutation_p_value():
    res = ordering_test(_values([4, 3, 2, 1]), PRED)
    assert res["mean_tau"] == 1.0
    assert res["p_agree"] == pytest.approx((1 / 24) ** 3)  # one permutation of 4! per seed, 3 seeds
    assert res["predicted_best"] == res["measured_best"] == -1.0
    v, _ = ordering_verdict(res, n_quantities=1)
    assert v is Verdict.HOLDS


def test_reversed_order_is_violated():
    res = ordering_test(_values([1, 2, 3, 4]), PRED)
    assert res["mean_tau"] == -1.0
    assert res["p_reversed"] == pytest.approx((1 / 24) ** 3)
    assert ordering_verdict(res, n_quantities=3)[0] is Verdict.VIOLATED


def test_one_seed_cannot_decide():
    res = ordering_test(_values([4, 3, 2, 1], seeds=1), PRED)
    assert res["p_agree"] == pytest.approx(1 / 24)
    assert ordering_verdict(res, n_quantities=1)[0] is Verdict.HOLDS  # 1/24 < 0.05
    assert ordering_verdict(res, n_quantities=1, level=0.01)[0] is Verdict.INCONCLUSIVE


def test_predicted_best_beaten_is_violated():
    vals = _values([2, 3, 1.5, 1], seeds=4, noise=0.01)  # α = −0.5 clearly faster than the predicted best
    res = ordering_test(vals, PRED)
    beaten = [c for c in res["beats_predicted_best"] if c["significant"]]
    assert [c["alpha"] for c in beaten] == [-0.5]
    assert ordering_verdict(res, n_quantities=1)[0] is Verdict.VIOLATED


def test_non_finite_is_inconclusive():
    vals = _values([4, 3, 2, 1])
    vals[0.0][1] = float("nan")
    res = ordering_test(vals, PRED)
    assert res["finite"] is False
    assert ordering_verdict(res, n_quantities=1)[0] is Verdict.INCONCLUSIVE


def test_too_many_alphas_refused():
    with pytest.raises(ValueError, match="at most 9"):
        ordering_test({float(a): [1.0] for a in range(10)}, {float(a): float(a) for a in range(10)})
