"""Power, regime gates and verdict combiners of verification.rules, on cases with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from verification.check import Decision, Verdict
from verification.rules import Condition, combine, detectable, gate_reason, power_entry, underpowered
from verification.rules.power import describe
from verification.rules.verdicts import combine_named


def test_detectable_is_z_sum_times_se() -> None:
    assert detectable(1.0) == pytest.approx(stats.norm.isf(0.025) + stats.norm.ppf(0.8))  # 2.80
    assert detectable(0.5, sides=1) == pytest.approx(0.5 * (stats.norm.isf(0.05) + stats.norm.ppf(0.8)))
    assert detectable(1.0, df=5) > detectable(1.0)  # Student t is wider
    assert detectable(float("nan")) == math.inf and detectable(math.inf) == math.inf
    with pytest.raises(ValueError, match="level"):
        detectable(1.0, level=0.0)


def test_detectable_deviation_is_detected_with_the_stated_power() -> None:
    """Simulation: a true shift equal to the detectable deviation is found in ≈ 80 % of z-tests."""
    rng = np.random.default_rng(0)
    se = 0.1
    shift = detectable(se)
    est = shift + se * rng.standard_normal(20_000)
    hit = np.mean(np.abs(est / se) > stats.norm.isf(0.025))
    assert abs(hit - 0.8) < 0.02


def test_power_entry_and_underpowered() -> None:
    ok = power_entry(0.05, 0.1, "relative error", "2.8·SE")
    weak = power_entry(0.3, 0.1, "relative error", "2.8·SE")
    assert ok["powered"] and not weak["powered"]
    assert not power_entry(math.inf, 1.0, "u", "h")["powered"]
    assert underpowered({"a": ok, "b": weak}) == ["b"]
    assert "b: detectable 0.3 > target 0.1" in describe(["b"], {"b": weak})


def test_regime_gate() -> None:
    inside = [Condition("m ≥ n", True, 64.0), Condition("η·λ_max < 2", True, 0.4)]
    assert gate_reason(inside) is None
    why = gate_reason([*inside, Condition("η·λ_max < 2", False, 3.1)])
    assert why is not None and "η·λ_max < 2 (measured 3.1)" in why and "outside" in why


def test_combine_rule() -> None:
    H, V, I = Verdict.HOLDS, Verdict.VIOLATED, Verdict.INCONCLUSIVE
    assert combine([H, H]) is H
    assert combine([H, I]) is I
    assert combine([I, V, H]) is V
    assert combine([]) is I  # no sub-test: nothing was tested
    assert combine(["holds", "holds"]) is H
    assert combine_named({"a": H, "b": V, "c": I}) == (V, ["b"])
    assert combine_named({"a": H, "c": I}) == (I, ["c"])


def test_judge_turns_underpowered_holds_into_inconclusive() -> None:
    from verification import get_check

    chk = get_check("kernel_monte_carlo")

    class Fake(type(chk)):  # type: ignore[misc, valid-type]
        def decide(self, measurements, bounds_by_role, params):
            return Decision(Verdict.HOLDS, "fine", "rule", {}, {},
                            power={"x": power_entry(0.5, 0.1, "relative error", "test")})

    d = Fake().judge({}, {}, {})
    assert d.verdict is Verdict.INCONCLUSIVE and d.reason.startswith("underpowered (x: detectable 0.5 > target 0.1")
