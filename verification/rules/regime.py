"""Regime gates: is a run inside the regime its theorem speaks about?

A gate is a list of named conditions, each measured on the run (m vs n, relative weight movement,
η·λ_max, zero training loss, d/n, …). A run that fails any is *inconclusive* with the reason — never
*holds* or *violated* — because the theorem says nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Condition", "failed", "gate_reason", "ungated"]

#: while :func:`ungated` is active: the list that collects the conditions a run fails (the gate is then open)
_LEFT: ContextVar[list[str] | None] = ContextVar("regime_left", default=None)


@dataclass(frozen=True)
class Condition:
    """``name``: what is required (e.g. "η·λ_max < 2"); ``ok``: whether the run meets it; ``value``: the measured number."""

    name: str
    ok: bool
    value: float | str | None = None

    def line(self) -> str:
        v = "" if self.value is None else f" (measured {self.value:.3g})" if isinstance(self.value, float) else f" ({self.value})"
        return f"{self.name}{v}"


def failed(conditions: Sequence[Condition]) -> list[Condition]:
    """The conditions the run does not meet."""
    return [c for c in conditions if not c.ok]


def gate_reason(conditions: Sequence[Condition]) -> str | None:
    """None inside the regime; else 'outside the regime: <failed conditions>'."""
    bad = failed(conditions)
    left = _LEFT.get()
    if left is not None:  # ungated: record the assumptions left and let the rule judge the run anyway
        left.extend(c.line() for c in bad)
        return None
    if not bad:
        return None
    return "outside the theorem's regime: " + "; ".join(c.line() for c in bad) + " not met"


@contextmanager
def ungated() -> Iterator[list[str]]:
    """Open every regime gate inside the block: :func:`gate_reason` returns None and appends the conditions a
    run fails to the yielded list (what ``python -m verification.falsify --outside`` reports as the
    assumption a finding leaves). Never used by ``check_all``: a verdict outside the regime is not a verdict."""
    left: list[str] = []
    token = _LEFT.set(left)
    try:
        yield left
    finally:
        _LEFT.reset(token)
