"""verification.rules.verdicts.combine_tests and rules.multiple.bonferroni_level (known answers)."""

from __future__ import annotations

import pytest

from verification.check import Verdict
from verification.rules.multiple import bonferroni_level
from verification.rules.verdicts import combine_tests


def test_first_violated_decides_with_its_why() -> None:
    tests = [{"test": "a", "violated": False, "usable": True},
             {"test": "b", "violated": True, "why": "too big"},
             {"test": "c", "violated": True, "slope": 1.0, "ci": [0.5, 1.5]}]
    v, reason = combine_tests(tests)
    assert v is Verdict.VIOLATED and reason == "b: too big"
    v, reason = combine_tests(tests[2:])
    assert v is Verdict.VIOLATED and "slope 1" in reason and "[0.5, 1.5]" in reason


def test_unusable_is_inconclusive_and_all_usable_hold() -> None:
    v, reason = combine_tests([{"test": "a", "violated": False}, {"test": "b", "usable": False}])
    assert v is Verdict.INCONCLUSIVE and reason.startswith("b:")
    v, reason = combine_tests([{"test": "a", "summary": "fine"}, {"test": "b"}])
    assert v is Verdict.HOLDS and reason == "fine; b ok"


def test_bonferroni_level() -> None:
    assert bonferroni_level(5) == pytest.approx(1 - 2e-4)
    assert bonferroni_level(0) == bonferroni_level(1) == pytest.approx(0.999)
    assert bonferroni_level(4, 0.05) == pytest.approx(0.9875)
