"""Verdict combiners: many sub-tests, one verdict.

Rule (used by every check that combines sub-tests): *violated* if any sub-test is violated; *holds*
only if there is at least one sub-test and all of them hold; otherwise *inconclusive*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from verification.check import Verdict

__all__ = ["combine", "combine_named"]


def combine(parts: Iterable[Verdict | str]) -> Verdict:
    """Combine sub-verdicts (``Verdict`` or its string value) by the rule above."""
    values = [Verdict(p) for p in parts]
    if any(v is Verdict.VIOLATED for v in values):
        return Verdict.VIOLATED
    if values and all(v is Verdict.HOLDS for v in values):
        return Verdict.HOLDS
    return Verdict.INCONCLUSIVE


def combine_named(parts: Mapping[str, Verdict | str]) -> tuple[Verdict, list[str]]:
    """The combined verdict and the names of the sub-tests that decided it (violated or not holding)."""
    v = combine(parts.values())
    if v is Verdict.HOLDS:
        return v, list(parts)
    if v is Verdict.VIOLATED:
        return v, [k for k, p in parts.items() if Verdict(p) is Verdict.VIOLATED]
    return v, [k for k, p in parts.items() if Verdict(p) is not Verdict.HOLDS]
