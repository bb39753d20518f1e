"""Property-based verification (verification/properties/, docs/properties.md): each property finds no
counterexample for the registered bounds and finds one for each of its planted near-miss mutants within its CI
budget; shrinking returns the smallest configuration; the falsify CLI reports, replays and refuses bad input.

Budgets follow the hypothesis profile (tests/conftest.py): ``ci``/``dev`` small and derandomised, ``thorough`` large.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import strategies as st

from verification.check import Verdict
from verification.properties import REGISTRY, get_property, search
from verification.properties.core import Property
from verification.strategies import ALPHA_SPECIAL, alphas, delta_separated, hashimoto_models, kgmmn_models, widths

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
#: examples of a true-bound search (each example is one small measurement, well under a second on one thread)
TRUE_BUDGET = {"kernel_formulas": 12, "lambda_min_sandwich": 12, "dzps_rate": 6, "adhlw_dynamics": 6,
               "deep_alpha_factor": 4, "kgmmn_benign": 4, "kgmmn_harmful": 4, "hashimoto_transition": 6, "gap_shape": 4}
#: properties that decide *holds* on some examples at the CI sizes; the others are underpowered there (every
#: example inconclusive) and refute only: their mutant tests show that they can fail (docs/properties.md)
DECIDES = {"kernel_formulas", "lambda_min_sandwich", "gap_shape"}  # dzps_rate: 13 of 36 at budget 50, not in 6
#: properties whose second planted mutant is not found within the CI budget (documented in docs/properties.md)
UNDERPOWERED = {("dzps_rate", "kernel_without_c_sigma")}


def _budget(name: str) -> int:
    return 10 * TRUE_BUDGET[name] if THOROUGH else TRUE_BUDGET[name]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_true_bounds_have_no_counterexample(name: str) -> None:
    prop = get_property(name)
    r = search(prop, budget=_budget(name), derandomize=True)
    assert r.error is None, r.error
    assert r.counterexample is None, f"{name}: {r.counterexample} — {r.outcome.reason if r.outcome else ''}"
    assert r.tried >= 1
    if name in DECIDES:
        assert r.verdicts[Verdict.HOLDS] >= 1, f"{name}: no example decided ({dict(r.verdicts)})"


@pytest.mark.parametrize(("name", "mutant"), [(n, m) for n, p in REGISTRY.items() for m in p.mutants])
def test_planted_mutant_is_found(name: str, mutant: str) -> None:
    if (name, mutant) in UNDERPOWERED and not THOROUGH:
        pytest.skip("underpowered at the CI sizes (docs/properties.md)")
    prop = get_property(name)
    r = search(prop, prop.mutant_bounds(mutant), budget=_budget(name), derandomize=True, label=mutant, shrink=False)
    assert r.error is None, r.error
    assert r.kind == "violation", f"{name}/{mutant}: no counterexample in {r.tried} examples ({dict(r.verdicts)})"


def test_shrinking_returns_the_minimal_configuration() -> None:
    prop = get_property("lambda_min_sandwich")
    r = search(prop, prop.mutant_bounds("pair_upper_sign"), budget=6, derandomize=True, label="pair_upper_sign")
    # the sign-flipped pair bound is negative for every pair: the first point of each strategy breaks it
    assert r.counterexample == {"alpha": -1.0, "n": 10, "d": 3, "m": 8000}
    assert r.outcome is not None and r.outcome.verdict is Verdict.VIOLATED and r.outcome.kind == "violation"


def test_relaxing_a_parameter_gives_a_finding_naming_the_assumption() -> None:
    prop = get_property("lambda_min_sandwich")
    o = prop.evaluate({"alpha": 1.0, "n": 10, "d": 3, "m": 8000}, gates=False)
    assert o.verdict is Verdict.VIOLATED and o.kind == "finding" and "α ≠ 1" in o.left[0]
    with pytest.raises(ValueError, match="cannot relax 'n'"):
        search(prop, relaxed=["n"])


def test_every_property_names_its_check_bounds_and_mutants() -> None:
    for name, prop in REGISTRY.items():
        assert prop.name == name and prop.domain and prop.bounds
        assert len(prop.mutants) >= 2, name
        for m in prop.mutants:
            assert prop.mutant_bounds(m)
    with pytest.raises(KeyError, match="unknown property"):
        get_property("nope")


def test_strategies_cover_their_special_points_and_refuse_bad_input() -> None:
    assert tuple(alphas().elements[:5]) == ALPHA_SPECIAL  # the special points first: shrinking ends on them
    assert set(alphas(-1.0, 0.5).elements) == {-1.0, 0.0, -0.75, -0.5, -0.25, 0.25, 0.5}
    with pytest.raises(ValueError, match="low"):
        alphas(1.0, -1.0)
    with pytest.raises(ValueError, match="n = 1"):
        widths(1)
    with pytest.raises(ValueError, match="delta"):
        delta_separated(2.0)
    for s in (kgmmn_models(), kgmmn_models(benign=False), hashimoto_models(), widths(10), widths(10, over=False)):
        assert isinstance(s, st.SearchStrategy)


def test_a_user_property_in_a_few_lines() -> None:
    """The docs/properties.md example: a property on lambda_min_bounds restricted to ReLU-like α."""
    prop = Property(name="relu_like_sandwich", check="lambda_min_bounds", claim="sandwich for α ∈ [−0.5, 0.5]",
                    domain={"alpha": "[−0.5, 0.5]"},
                    draw=lambda relaxed: st.fixed_dictionaries({"alpha": alphas(-0.5, 0.5)}),
                    to_params=lambda c: {"d": 3, "ns": [10], "m": 8000, "alphas": [c["alpha"]]})
    r = search(prop, budget=3, derandomize=True)
    assert r.kind == "none" and r.tried >= 1


def test_falsify_cli(tmp_path, capsys) -> None:
    from verification.falsify import main

    for bad, word in ((["nope"], "unknown property"), (["--budget", "0"], "--budget"), (["--budget", "x"], "invalid"),
                      (["--relax", "alpha"], "--outside"), (["lambda_min_sandwich", "--outside", "--relax", "n"],
                                                            "cannot relax")):
        with pytest.raises(SystemExit) as exc:
            code = main(bad)
            raise SystemExit(code)
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and word in err, err
    out = tmp_path / "f"
    args = ["lambda_min_sandwich", "--outside", "--relax", "alpha", "--budget", "8", "--out", str(out)]
    assert main(args) == 0
    report = json.loads((out / "falsify.json").read_text())
    (run,) = report["runs"]
    assert run["kind"] == "finding" and run["counterexample"]["alpha"] == 1.0 and run["assumptions_left"]
    assert (out / "falsify.md").read_text().startswith("# falsify report")
    from hypothesis.database import DirectoryBasedExampleDatabase

    # saved under the key the search replays from (the property, its relaxation and the bounds' label)
    saved = list(DirectoryBasedExampleDatabase(str(out / "hypothesis-db")).fetch(b"lambda_min_sandwich|['alpha']|registered"))
    assert saved
    # replay: the stored counterexample is tried first, so one example (plus its final replay) suffices
    assert main([*args[:-4], "--budget", "1", "--out", str(out)]) == 0
    (again,) = json.loads((out / "falsify.json").read_text())["runs"]
    assert again["kind"] == "finding" and again["counterexample"] == run["counterexample"]


def test_ungated_opens_every_gate_and_records_the_conditions_left() -> None:
    from verification.rules.regime import Condition, gate_reason, ungated

    conds = [Condition("m ≥ n", False, 3.0), Condition("η·λ_max < 2", True, 1.0)]
    assert gate_reason(conds).startswith("outside the theorem's regime: m ≥ n (measured 3)")
    with ungated() as left:
        assert gate_reason(conds) is None
    assert left == ["m ≥ n (measured 3)"]
    assert gate_reason(conds) is not None  # closed again after the block
