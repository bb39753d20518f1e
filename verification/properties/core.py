"""The :class:`Property` type and its hypothesis driver :func:`search` (docs/properties.md).

A property is a check's claim stated *for every configuration in its domain*: a hypothesis strategy draws a
configuration (α, L, m, n, d, η, γ, ‖μ‖², seeds …), :meth:`Property.evaluate` turns it into a small profile of
the check (:meth:`Property.params`), measures its units with the check's own ``measure`` and judges them with the
check's own ``judge`` — the same decision rule, regime gate and power gate as ``check_all`` — on the bound objects
it is given (the registered ones, or a planted mutant). The property holds on a configuration unless the verdict
is *violated*; hypothesis searches for one that is, and shrinks it to the smallest.

With ``relaxed`` parameters (``python -m verification.falsify --outside``) the strategy also draws those
parameters outside their stated domain and every regime gate is opened (:func:`verification.rules.regime.
ungated`): a counterexample is then a *finding* that names the assumptions it leaves; one that leaves none is
still a *violation*.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis.core
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase

from bounds import Bound
from verification.check import Check, Measurements, Verdict
from verification.registry import get_check
from verification.rules.regime import ungated

__all__ = ["Outcome", "Property", "PropertyFailed", "SearchResult", "clear_cache", "search"]

#: measured records by (check, version, unit key): measurements never depend on a bound, so the searches of the
#: true bound and of its mutants, and hypothesis's shrinking, reuse them
_CACHE: dict[tuple[str, int, str], Mapping[str, Any]] = {}
_CACHE_MAX = 4096


def clear_cache() -> None:
    """Forget every cached measurement (tests of determinism use it)."""
    _CACHE.clear()


class PropertyFailed(AssertionError):
    """Raised inside a hypothesis example whose verdict is *violated*."""


@dataclass(frozen=True)
class Outcome:
    """One judged configuration: the check's verdict and reason, what it predicted and measured, the assumptions
    the configuration leaves (its parameters outside the stated domain, then the regime conditions it fails)."""

    verdict: Verdict
    reason: str
    predicted: Mapping[str, Any]
    measured: Mapping[str, Any]
    left: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def kind(self) -> str:
        """'violation' (a failure inside the domain), 'finding' (a failure outside it) or 'pass'."""
        if self.verdict is not Verdict.VIOLATED:
            return "pass"
        return "finding" if self.left else "violation"


@dataclass(frozen=True)
class Property:
    """A check's claim as a property over its parameter domain.

    ``check``: the registered check whose measurement, decision rule and regime gate decide.
    ``domain``: parameter → its stated domain in words (what ``--outside`` may drop).
    ``draw(relaxed)``: a strategy of configuration dicts; parameters in ``relaxed`` are drawn outside their domain
    only (the search then maps where the claim stops holding). ``to_params(config)``: the check profile of one
    configuration. ``outside(config)``: the stated
    assumptions the configuration leaves (empty inside the domain). ``seeds``: the check's seeds per example.
    ``mutants``: names of planted near-miss mutants the tests show it finds (the check's ``mutants()`` or
    ``extra_mutants``). ``relaxable``: the parameters ``--outside`` relaxes, each with the assumption it leaves.
    """

    name: str
    check: str
    claim: str
    domain: Mapping[str, str]
    draw: Callable[[frozenset[str]], st.SearchStrategy[dict[str, Any]]]
    to_params: Callable[[Mapping[str, Any]], dict[str, Any]]
    outside: Callable[[Mapping[str, Any]], list[str]] = lambda config: []
    seeds: int = 1
    mutants: Sequence[str] = ()
    relaxable: Mapping[str, str] = field(default_factory=dict)
    extra_mutants: Callable[[], Mapping[str, Mapping[str, Bound]]] = dict
    #: default number of examples of a search (``--budget`` overrides it); CI budgets live in the tests
    budget: int = 20

    def the_check(self) -> Check:
        return get_check(self.check)

    @property
    def bounds(self) -> dict[str, str]:
        """Role → registered bound name (the bounds the property's prediction comes from)."""
        return dict(self.the_check().bound_roles)

    def mutant_bounds(self, name: str) -> dict[str, Bound]:
        """The bounds by role of the planted mutant ``name`` (the check's or the property's own)."""
        extra = dict(self.extra_mutants())
        if name in extra:
            return dict(extra[name])
        for mu in self.the_check().mutants():
            if mu.name == name:
                return dict(mu.bounds)
        raise KeyError(f"property {self.name!r} knows no mutant {name!r}; known: "
                       f"{', '.join([*extra, *(m.name for m in self.the_check().mutants())])}")

    def evaluate(self, config: Mapping[str, Any], bounds: Mapping[str, Bound] | None = None,
                 gates: bool = True) -> Outcome:
        """Measure the configuration (cached) and judge it by the check's rule on ``bounds`` (by role, over the
        registered ones). ``gates=False`` opens the regime gates and records the conditions left."""
        t0 = time.perf_counter()
        check = self.the_check()
        params = self.to_params(config)
        by_role = check.default_bounds()
        for role, bd in (bounds or {}).items():
            if role not in by_role:
                raise KeyError(f"check {check.name!r} has no bound role {role!r}")
            by_role[role] = bd
        measured = Measurements()
        for unit in check.units(params, list(range(self.seeds))):
            key = (check.name, check.version, unit.key)
            rec = _CACHE.get(key)
            if rec is None:
                rec = check.measure(unit, torch.device("cpu"))
                if len(_CACHE) >= _CACHE_MAX:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[key] = rec
            measured.add(unit, rec)
        left = list(self.outside(config))
        if gates:
            decision = check.judge(measured, by_role, params)
        else:
            with ungated() as failed_conditions:
                decision = check.judge(measured, by_role, params)
            left = list(dict.fromkeys(left + failed_conditions))
        return Outcome(decision.verdict, decision.reason, dict(decision.predicted), dict(decision.measured),
                       tuple(left), time.perf_counter() - t0)


@dataclass
class SearchResult:
    """What one hypothesis search found: examples tried, verdict counts, the shrunk counterexample (if any)."""

    property: str
    bounds: str
    relaxed: tuple[str, ...]
    #: distinct configurations judged (hypothesis may draw one several times; each is measured and judged once)
    tried: int = 0
    verdicts: Counter = field(default_factory=Counter)
    counterexample: dict[str, Any] | None = None
    outcome: Outcome | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def kind(self) -> str:
        """'violation', 'finding', 'error' or 'none' (no counterexample within the budget)."""
        if self.error:
            return "error"
        return self.outcome.kind if self.outcome is not None else "none"

    def to_json(self) -> dict[str, Any]:
        o = self.outcome
        return {"property": self.property, "bounds": self.bounds, "relaxed": list(self.relaxed), "kind": self.kind,
                "examples_tried": self.tried, "verdicts": {k.value: v for k, v in self.verdicts.items()},
                "counterexample": self.counterexample, "seconds": round(self.seconds, 2), "error": self.error,
                **({"verdict": o.verdict.value, "reason": o.reason, "assumptions_left": list(o.left),
                    "predicted": o.predicted, "measured": o.measured} if o is not None else {})}


def search(prop: Property, bounds: Mapping[str, Bound] | None = None, *, budget: int | None = None,
           relaxed: Sequence[str] = (), seed_value: int | None = None, database: ExampleDatabase | None = None,
           label: str = "registered", derandomize: bool | None = None, shrink: bool = True) -> SearchResult:
    """Let hypothesis search ``prop`` (on ``bounds``, over the registered ones) for a *violated* configuration.

    ``budget``: examples (default ``prop.budget``); ``relaxed``: parameters drawn beyond their domain (gates
    open); ``seed_value``: seeds the random draws (else derandomised when the loaded profile is, or
    ``derandomize``); ``database``: where counterexamples are saved and replayed from (hypothesis uses none when
    derandomised or under ``hypothesis.seed``, so a seed is given through its per-thread generator instead). The
    last failing example hypothesis runs is its shrunk (minimal) one; it is returned with its outcome. A
    configuration hypothesis draws again (shrinking revisits them) is judged once.
    """
    bad = [p for p in relaxed if p not in prop.relaxable]
    if bad:
        raise ValueError(f"property {prop.name!r} cannot relax {', '.join(map(repr, bad))}; relaxable: "
                         f"{', '.join(prop.relaxable) or 'none'}")
    relax = frozenset(relaxed)
    result = SearchResult(prop.name, label, tuple(sorted(relax)))
    gates = not relax
    judged: dict[str, Outcome] = {}

    def example(config: dict[str, Any]) -> None:
        key = json.dumps(config, sort_keys=True, default=str)
        out = judged.get(key)
        if out is None:
            result.tried += 1
            out = judged[key] = prop.evaluate(config, bounds, gates=gates)
            result.verdicts[out.verdict] += 1
        if out.verdict is Verdict.VIOLATED:
            result.counterexample, result.outcome = dict(config), out
            raise PropertyFailed(f"{prop.name} [{label}] {out.kind} at {config}: {out.reason}")

    # the random stream depends on the property and its relaxation, not on the bounds: true and mutant searches
    # draw the same configurations (and share their measurements); the database key also names the bounds
    example._hypothesis_internal_add_digest = f"{prop.name}|{sorted(relax)}".encode()  # type: ignore[attr-defined]
    derand = (settings.default.derandomize if derandomize is None else derandomize) and seed_value is None
    phases = tuple(Phase) if shrink else tuple(p for p in Phase if p is not Phase.shrink)
    conf = settings(settings.default, max_examples=budget or prop.budget, deadline=None,
                    database=None if derand else database, derandomize=derand,
                    suppress_health_check=list(HealthCheck), print_blob=False, phases=phases, report_multiple_bugs=False)
    test = conf(given(config=prop.draw(relax))(example))
    local = hypothesis.core.threadlocal
    previous = getattr(local, "_hypothesis_global_random", None)
    if seed_value is not None:  # hypothesis draws each run's seed from this generator (hypothesis.core)
        mix = hashlib.sha256(f"{seed_value}|{prop.name}|{sorted(relax)}".encode()).digest()
        local._hypothesis_global_random = random.Random(int.from_bytes(mix[:8], "big"))
    test._hypothesis_internal_database_key = f"{prop.name}|{sorted(relax)}|{label}".encode()  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    try:
        test()
    except PropertyFailed:
        pass
    except Exception as exc:  # a crash in measure/decide is reported, not hidden
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if seed_value is not None:  # other hypothesis tests in this thread keep their own randomness
            local._hypothesis_global_random = previous
    result.seconds = time.perf_counter() - t0
    return result
