"""The :class:`Check` type: a paper claim turned into measurement + prediction + decision rule.

A check is split in three so that the empirical work never depends on the bound under test:

* :meth:`Check.units` – the work units (configuration × seed) of a profile;
* :meth:`Check.measure` – runs one unit and returns JSON-able *empirical* numbers (no bounds);
* :meth:`Check.decide` – computes the bounds' predictions from those measurements and applies an
  explicit decision rule, returning a :class:`Decision` with verdict, predicted and measured.

Because ``measure`` never sees a bound, a planted wrong bound (a mutant) is judged on exactly
the same measurements as the true one, and finished units can be cached and reused safely.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, ClassVar

import bounds
from bounds import Bound

__all__ = ["PROFILES", "Check", "CheckResult", "Decision", "Measurements", "Mutant", "Unit", "Verdict"]

#: the run profiles every check supports
PROFILES = ("quick", "full")


class Verdict(str, Enum):
    """holds: the prediction agrees with the measurement under the rule; violated: it clearly
    does not; inconclusive: the data cannot decide (noise, outside the domain, divergence)."""

    HOLDS = "holds"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Unit:
    """One measurement: a configuration (JSON-able ``params``) and a seed."""

    config: str
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        blob = json.dumps(dict(self.params), sort_keys=True, default=str)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:12]
        return f"{self.config}|seed={self.seed}|{digest}"


class Measurements(dict):
    """The records of a check's units, keyed by :attr:`Unit.key`, each with its :class:`Unit` beside it.

    ``decide`` reads configuration values from the unit (``m.unit(key).params``, :meth:`records`,
    :meth:`select`, :meth:`group`), never by parsing key strings. It is a ``dict`` of key → record,
    so stores, reports and figures treat it as before.
    """

    def __init__(self, pairs: Any = ()) -> None:
        super().__init__()
        self.units: dict[str, Unit] = {}
        for unit, record in pairs:
            self.add(unit, record)

    def add(self, unit: Unit, record: Mapping[str, Any]) -> None:
        """Store ``record`` as the measurement of ``unit``."""
        self[unit.key] = record
        self.units[unit.key] = unit

    def update(self, other: Any = (), **kw: Any) -> None:  # type: ignore[override]
        if isinstance(other, Measurements):
            self.units.update(other.units)
        super().update(other, **kw)

    def unit(self, key: str) -> Unit:
        """The unit measured under ``key``."""
        try:
            return self.units[key]
        except KeyError:
            raise KeyError(f"no unit is stored under key {key!r}") from None

    def records(self) -> list[tuple[Unit, Mapping[str, Any]]]:
        """(unit, record) pairs in insertion order."""
        return [(self.units[k], rec) for k, rec in self.items()]

    def select(self, **params: Any) -> list[tuple[Unit, Mapping[str, Any]]]:
        """The (unit, record) pairs whose params (or ``config``/``seed``) equal the given values."""
        def value(u: Unit, k: str) -> Any:
            return u.config if k == "config" else u.seed if k == "seed" else u.params.get(k)
        return [(u, r) for u, r in self.records() if all(value(u, k) == v for k, v in params.items())]

    def group(self, *names: str) -> dict[Any, list[tuple[Unit, Mapping[str, Any]]]]:
        """(unit, record) pairs grouped by the values of params ``names`` (a tuple key if several)."""
        out: dict[Any, list[tuple[Unit, Mapping[str, Any]]]] = {}
        for u, r in self.records():
            vals = tuple(u.config if k == "config" else u.seed if k == "seed" else u.params.get(k) for k in names)
            out.setdefault(vals[0] if len(names) == 1 else vals, []).append((u, r))
        return out


@dataclass(frozen=True)
class Decision:
    """What :meth:`Check.decide` returns.

    ``rule`` states the decision rule and where its tolerance comes from; ``reason`` is one line
    saying why this verdict; ``findings`` records behaviour outside the theorem's assumptions,
    which is reported, not counted as a violation; ``domain`` is "inside", "outside",
    "undetermined (hidden constants)" or "n/a".
    """

    verdict: Verdict
    reason: str
    rule: str
    predicted: Mapping[str, Any]
    measured: Mapping[str, Any]
    domain: str = "n/a"
    details: Mapping[str, Any] = field(default_factory=dict)
    findings: Sequence[str] = ()
    #: per refutable feature: {"detectable", "target", "unit", "how", "powered"} (see verification.rules.power)
    power: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mutant:
    """A deliberately wrong bound (by role) that the owning check must flag as violated.

    ``kind`` is one of "alpha-factor", "exponent", "constant-structure", "sign", "kernel",
    "series-coefficient", "threshold" (for the mutation suite's bookkeeping).
    """

    name: str
    kind: str
    description: str
    bounds: Mapping[str, Bound]


@dataclass(frozen=True)
class CheckResult:
    """A finished check: the decision plus identity, provenance of the bounds and run facts."""

    name: str
    claim: str
    source: str
    bounds: Mapping[str, Mapping[str, str]]
    decision: Decision
    profile: str
    seeds: Sequence[int]
    units: int
    figure: str | None = None
    doc: str | None = None
    #: what the figure is drawn from (kept for :meth:`plot`; never written to the report)
    measurements: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    bounds_used: Mapping[str, Bound] | None = field(default=None, repr=False, compare=False)
    params: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    def __repr__(self) -> str:
        return f"<CheckResult {self.name}: {self.verdict.value} — {self.decision.reason[:100]}>"

    def plot(self) -> Any:
        """The check's figure as a :class:`matplotlib.figure.Figure` (shown inline in a notebook)."""
        if self.measurements is None or self.bounds_used is None or self.params is None:
            raise ValueError(f"{self.name}: this result carries no measurements to draw (loaded from a report?)")
        from .registry import get_check
        from .runner import make_figure

        return make_figure(get_check(self.name), self.measurements, self.decision, self.bounds_used, self.params)

    def _repr_html_(self) -> str:  # Jupyter
        from .display import result_html

        return result_html(self)

    def to_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "name": self.name,
            "claim": self.claim,
            "source": self.source,
            "verdict": d.verdict.value,
            "reason": d.reason,
            "rule": d.rule,
            "predicted": d.predicted,
            "measured": d.measured,
            "domain": d.domain,
            "findings": list(d.findings),
            "details": d.details,
            **({"power": d.power} if d.power else {}),
            "bounds": self.bounds,
            "profile": self.profile,
            "seeds": list(self.seeds),
            "units": self.units,
            "figure": self.figure,
            "doc": self.doc,
        }


class Check(ABC):
    """Base class of every verification check (subclasses live in ``verification/checks/``).

    Class attributes:
        name: CLI name (``--only NAME``). claim: the paper's claim in words.
        source: paper and theorem. bound_roles: role → registered bound name; ``decide`` receives
        the bounds by role, so a test can plant a mutant under the same role.
        version: bump when ``measure`` changes, so cached units are not reused.
        default_seeds: number of seeds per profile when ``--seeds`` is not given.
        expected_quick_verdict: the verdict the true bounds give on the quick profile.
    """

    name: ClassVar[str]
    claim: ClassVar[str]
    source: ClassVar[str]
    bound_roles: ClassVar[Mapping[str, str]]
    #: roles whose bound is evaluated and reported (findings, figures) but on which no verdict depends; such a
    #: bound counts as decided only if another check decides on it (tests/test_bounds_decided.py)
    reported_roles: ClassVar[frozenset[str]] = frozenset()
    #: checks with the same family measure a unit with the same (config, seed, params) identically (``measure`` is
    #: a pure function of the unit): a parallel run measures it once and stores it under each check
    unit_family: ClassVar[str | None] = None
    version: ClassVar[int] = 1
    #: position in listings and reports (lower first); ties sort by module and class name
    order: ClassVar[int] = 100
    #: what the true bounds give on the quick profile (asserted by the conformance suite)
    expected_quick_verdict: ClassVar[Verdict] = Verdict.HOLDS
    default_seeds: ClassVar[Mapping[str, int]] = {"quick": 3, "full": 5}
    #: optional closed ranges of profile parameters for ``--set`` (e.g. {"alpha": (-1.0, 1.0)}); the
    #: type and sign are inferred from the profile default (verification/overrides.py)
    param_ranges: ClassVar[Mapping[str, tuple[float, float]]] = {}

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def params(self, profile: str) -> dict[str, Any]:
        """Sizes and settings of ``profile`` (``quick`` or ``full``)."""

    @abstractmethod
    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        """The measurements to make, one per configuration and seed."""

    @abstractmethod
    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        """Run one unit; return JSON-able empirical numbers. Must not use any bound."""

    @abstractmethod
    def decide(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
               params: Mapping[str, Any]) -> Decision:
        """Predict from ``bounds_by_role`` and judge the measurements (keyed by ``Unit.key``)."""

    def __repr__(self) -> str:
        return f"<Check {self.name}: {self.claim[:90]}{'…' if len(self.claim) > 90 else ''}>"

    def _repr_html_(self) -> str:  # Jupyter
        from html import escape

        roles = "".join(f"<li><code>{escape(r)}</code> → <code>{escape(n)}</code></li>" for r, n in self.bound_roles.items())
        return (f"<div><b>{escape(self.name)}</b> <small>({escape(self.source)})</small><br>{escape(self.claim)}"
                f"<ul>{roles}</ul></div>")

    def judge(self, measurements: Mapping[str, Mapping[str, Any]], bounds_by_role: Mapping[str, Bound],
              params: Mapping[str, Any]) -> Decision:
        """:meth:`decide`, then the power gate: *holds* with an underpowered refutable feature becomes
        *inconclusive: underpowered (…)* (docs/reliability.md; verification.rules.power)."""
        from verification.rules.power import describe, underpowered

        try:
            d = self.decide(measurements, bounds_by_role, params)
        except Exception as exc:
            d = self._no_finite_prediction(exc, measurements, bounds_by_role, params)
        weak = underpowered(d.power)
        if d.verdict is Verdict.HOLDS and weak:
            return replace(d, verdict=Verdict.INCONCLUSIVE, reason=f"underpowered ({describe(weak, d.power)}); "
                                                                     f"otherwise: {d.reason}")
        return d

    def _no_finite_prediction(self, exc: Exception, measurements: Mapping[str, Mapping[str, Any]],
                              bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> Decision:
        """The decision when :meth:`decide` failed on substituted bounds but succeeds on the registered ones.

        A formula that cannot be evaluated where the check measures — e.g. (1+α)² typed for (1+α²), infinite at
        the measured α = −1 — makes no finite prediction there, so its evaluation fails somewhere in ``decide``
        (a DomainError, or a non-finite kernel reaching an eigensolver). Each substituted role is put alone into
        the registered bounds to find the culprits. An *exact* formula or *approx* prediction that has no finite
        value where the quantity was measured (finite) is refuted: *violated*. An upper or lower bound is
        not: it may be infinite there and still true (vacuous), so the check is *inconclusive* with the reason.
        A formula written in a quantity the check does not supply (unknown or missing argument) is not evaluable there
        and refutes nothing: *inconclusive*, whatever its side.
        If the registered bounds fail too, or no single role is to blame, the error is the check's and is raised.
        """
        defaults = self.default_bounds()
        changed = [r for r, b in bounds_by_role.items() if r in defaults and b.fingerprint != defaults[r].fingerprint]
        if not changed:
            raise exc
        try:
            self.decide(measurements, defaults, params)
        except Exception:
            raise exc from None
        culprits = []
        for role in changed:
            try:
                self.decide(measurements, {**defaults, role: bounds_by_role[role]}, params)
            except Exception as one:
                culprits.append((role, one))
        if not culprits:
            raise exc
        # a formula in a quantity the check does not supply (Bound.evaluate: "unknown argument", "no value given
        # for") is not evaluable here, which refutes nothing, whatever its side
        foreign = [(r, e) for r, e in culprits if (isinstance(e, TypeError) and "unknown argument" in str(e))
                   or (isinstance(e, ValueError) and "no value given for" in str(e))]
        refuted = [(r, e) for r, e in culprits
                   if bounds_by_role[r].side.value in ("exact", "approx") and (r, e) not in foreign]
        why = "; ".join(f"{r} = {bounds_by_role[r].name} ({bounds_by_role[r].side.value}) fails where the check "
                        f"measures: {type(e).__name__}: {str(e)[:160]}" for r, e in culprits)
        verdict = Verdict.VIOLATED if refuted else Verdict.INCONCLUSIVE
        head = ("no finite prediction at a measured configuration (the registered bounds give one): " if refuted else
                "a bound is written in a quantity this check does not measure (not evaluable here, not refuted): "
                if len(foreign) == len(culprits) else
                "a bound is not finite where the check measures (vacuous there, not refuted): ")
        return Decision(verdict, head + why,
                        rule="a formula (exact or approx) with no finite value where a finite quantity was measured is "
                             "refuted; an upper or lower bound that is infinite there is vacuous, not false "
                             "(Check._no_finite_prediction)",
                        predicted={r: "not finite" for r, _ in culprits}, measured={}, domain="inside",
                        details={"culprits": [r for r, _ in culprits], "error": f"{type(exc).__name__}: {exc}"[:300]})

    def plot(self, fig: Any, measurements: Mapping[str, Mapping[str, Any]], decision: Decision,
             bounds_by_role: Mapping[str, Bound], params: Mapping[str, Any]) -> None:
        """Draw the check's figure on the matplotlib ``fig`` (default: a text summary)."""
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.02, 0.95, f"{self.name}: {decision.verdict.value}\n{decision.reason}", va="top", wrap=True)

    def batch_key(self, unit: Unit) -> str | None:
        """Units with the same key share in-process work (one ``measure`` call computes them all, the others take
        their share): a parallel run measures them in one job on one worker. None (default): no sharing."""
        return None

    def data_unavailable(self, params: Mapping[str, Any]) -> str | None:
        """Why the data this profile names cannot be read here ('Fashion-MNIST not installed (apt-get install …)'),
        or None. A check with unavailable data measures nothing and is *inconclusive* with this reason (the
        runner's :func:`~verification.runner.unavailable_decision`); every IDX spec in ``params`` is looked up
        in the data registry (:mod:`empirical.datasets`)."""
        from empirical.datasets import missing

        return missing(params)

    def headline(self, decision: Decision) -> str:
        """The decisive number in one line, drawn on the figure beside the verdict (verification/figures.py).

        Default: the reason's clauses that carry a number, as many as fit in two lines (the reason if none does)."""
        clauses = [c.strip() for c in decision.reason.replace(" — ", "; ").split("; ") if c.strip()]
        numeric = [c for c in clauses if any(ch.isdigit() for ch in c)]
        out = numeric[:1]
        for c in numeric[1:]:
            if len("; ".join([*out, c])) > 240:
                break
            out.append(c)
        return "; ".join(out) if out else decision.reason

    def mutants(self) -> list[Mutant]:
        """Planted wrong bounds this check must flag as violated (at least one per check)."""
        return []

    def true_but_looser(self) -> list[Mutant]:
        """Variants that are looser than the registered bounds but still true (e.g. a hidden constant
        doubled, a weaker exponent in an upper bound): the check must *not* flag them as violated."""
        return []

    # ------------------------------------------------------------------ helpers
    def default_bounds(self) -> dict[str, Bound]:
        """The registered (true) bounds, by role."""
        return {role: bounds.get(name) for role, name in self.bound_roles.items()}

    def bound_info(self, bounds_by_role: Mapping[str, Bound]) -> dict[str, dict[str, str]]:
        """Name, formula, source and provenance of each bound used, for the report."""
        return {
            role: {"name": b.name, "expr": str(b.expr), "source": b.source, "provenance": b.provenance.value,
                   "side": b.side.value, **({"notes": b.notes} if b.notes.startswith("PLANTED") else {}),
                   **({"use": "reported, not decided"} if role in self.reported_roles else {})}
            for role, b in bounds_by_role.items()
        }
