"""Shared pieces of the benign-overfitting bounds: the normal CDF Φ and the regime-status predicate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from bounds.core import Bound

__all__ = ["THEORY_PAGE", "Phi", "regime_status"]

#: docs/theory/benign-overfitting.md page every benign-overfitting formula cites
THEORY_PAGE = "docs/theory/benign-overfitting.md"


def Phi(x: sp.Expr) -> sp.Expr:
    """Standard normal CDF Φ(x) = erfc(−x/√2)/2 as a sympy expression (tail-safe for x → −∞; 1 + erf
    would underflow beyond ≈ 8 standard deviations)."""
    return sp.erfc(-x / sp.sqrt(2)) / 2


def regime_status(bound: Bound, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> bool | None:
    """Whether every domain relation of ``bound`` holds: True, False (one fails) or None (undetermined,
    typically because a hidden constant was not given a value)."""
    status = [ok for _, ok in bound.domain_status(values, **kwargs)]
    if any(ok is False for ok in status):
        return False
    return True if all(ok is True for ok in status) else None
