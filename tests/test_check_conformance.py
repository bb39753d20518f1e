"""Conformance suite every check must pass (in the spirit of scikit-learn's estimator checks).

For each registered check: identity and docs; bounds resolvable by role; units deterministic and
JSON-able; the true bounds are not flagged on the quick profile; every planted mutant is flagged
as violated on the *same* measurements.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verification import PROFILES, Verdict, all_checks
from verification.check import Decision

ROOT = Path(__file__).resolve().parent.parent
CHECKS = all_checks()
IDS = [c.name for c in CHECKS]
MUTANTS = [(c.name, m) for c in CHECKS for m in c.mutants()]
LOOSER = [(c.name, m) for c in CHECKS for m in c.true_but_looser()]


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_identity_docs_and_bounds(check):
    assert check.name.isidentifier()
    assert len(check.claim) > 20 and len(check.source) > 5
    assert (ROOT / "docs" / "checks" / f"{check.name}.md").is_file(), "every check needs a docs page"
    roles = check.default_bounds()
    assert set(roles) == set(check.bound_roles) and roles
    assert check.mutants(), "every check needs at least one planted mutant"


@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_units_are_deterministic_and_jsonable(check):
    for profile in PROFILES:
        params = check.params(profile)
        json.dumps(params)
        a = check.units(params, [0, 1])
        b = check.units(params, [0, 1])
        assert [u.key for u in a] == [u.key for u in b]
        assert len({u.key for u in a}) == len(a), "unit keys must be unique"
        assert {u.seed for u in a} == {0, 1}


def _needs_data(name: str) -> None:
    """Skip a quick-profile test of a check whose data are not installed (it is inconclusive with the install
    hint instead: tests/test_datasets.py)."""
    from verification import get_check

    chk = get_check(name)
    why = chk.data_unavailable(chk.params("quick"))
    if why:
        pytest.skip(why)


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=IDS)
def test_true_bounds_not_flagged(check, quick_measurements):
    _needs_data(check.name)
    chk, measured, params = quick_measurements(check.name)
    decision = chk.judge(measured, chk.default_bounds(), params)
    assert isinstance(decision, Decision)
    assert decision.verdict is not Verdict.VIOLATED, decision.reason
    assert decision.verdict is chk.expected_quick_verdict, decision.reason
    json.dumps(dict(decision.predicted), default=str)
    json.dumps(dict(decision.measured), default=str)
    assert decision.power, "every check reports the power of its refutable features (Decision.power)"
    for feature, p in decision.power.items():
        assert {"detectable", "target", "unit", "how", "powered"} <= set(p), feature
        if decision.verdict is Verdict.HOLDS:
            assert p["powered"], f"holds although {feature} is underpowered"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "mutant"), MUTANTS, ids=[f"{n}-{m.name}" for n, m in MUTANTS])
def test_planted_mutant_is_flagged(name, mutant, quick_measurements):
    _needs_data(name)
    chk, measured, params = quick_measurements(name)
    for role, bd in mutant.bounds.items():
        assert role in chk.bound_roles
        assert bd.fingerprint != chk.default_bounds()[role].fingerprint, "a mutant must change the formula"
    bounds_by_role = {**chk.default_bounds(), **mutant.bounds}
    decision = chk.judge(measured, bounds_by_role, params)
    assert decision.verdict is Verdict.VIOLATED, f"{mutant.description}: {decision.reason}"


def test_docs_index_lists_every_check():
    index = (ROOT / "docs" / "index.md").read_text()
    missing = [c.name for c in CHECKS if f"checks/{c.name}.md" not in index]
    assert not missing, f"docs/index.md does not list {missing}"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant"), LOOSER, ids=[f"{n}-{m.name}" for n, m in LOOSER])
def test_true_but_looser_variant_is_not_flagged(name, variant, quick_measurements):
    """A looser bound that is still true (a hidden constant doubled, a weaker exponent) is consistent."""
    _needs_data(name)
    chk, measured, params = quick_measurements(name)
    decision = chk.judge(measured, {**chk.default_bounds(), **variant.bounds}, params)
    assert decision.verdict is not Verdict.VIOLATED, f"{variant.description}: {decision.reason}"
