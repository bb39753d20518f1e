"""Verdict combiners: many sub-tests, one verdict.

Rule (used by every check that combines sub-tests): *violated* if any sub-test is violated; *holds*
only if there is at least one sub-test and all of them hold; otherwise *inconclusive*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from verification.check import Verdict

__all__ = ["combine", "combine_named", "combine_tests"]


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


def combine_tests(tests: Sequence[Mapping[str, Any]]) -> tuple[Verdict, str]:
    """Combine sub-test records ``{"test", "violated", "usable", "why"?, "summary"?, "slope"?, "ci"?}``.

    Rule: *violated* if any sub-test is violated (the reason is the first one's ``why``, else its slope and
    confidence interval); else *inconclusive* if any sub-test is not usable (the reason is its ``inconclusive``
    entry, e.g. *underpowered (…)*, else "not enough usable points"); else
    *holds*, the reason joining the sub-tests' summaries. This is :func:`combine` with a sub-test's
    ``usable=False`` read as *inconclusive* and ``violated=False`` (usable) read as *holds*.
    """
    bad = [t for t in tests if t.get("violated")]
    if bad:
        t = bad[0]
        return Verdict.VIOLATED, f"{t['test']}: " + t.get("why", f"slope {t.get('slope', float('nan')):.3g} with "
                                                          f"CI {np.round(t.get('ci') or [np.nan, np.nan], 3).tolist()}")
    unusable = [t for t in tests if not t.get("usable", True)]
    if unusable:
        t = unusable[0]
        return Verdict.INCONCLUSIVE, t.get("inconclusive", f"{t['test']}: not enough usable points")
    return Verdict.HOLDS, "; ".join(t.get("summary", t["test"] + " ok") for t in tests)
