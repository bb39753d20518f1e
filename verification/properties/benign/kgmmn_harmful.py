"""Property: KGMMN's harmful regime — when the signal level is γ = O(α³/d), the GD network that fits k noisy labels
has clean test error ≥ 1/8 (KGMMN24 Theorem 3.4).

Decided by the rule and regime gate of :class:`verification.checks.benign.kgmmn_gamma_transition.
KgmmnGammaTransition` on one (n, α) of its k = 0.1n, d = 2n path: its sub-rule (1) — the γ with the smallest
harmful ratio γ·d/α³ has error ≥ the harmful bound within the one-sided Bonferroni z of its SE — with the ordering
rule (2) on the same γ grid. docs/theory/benign-overfitting.md §1.4, §4 K3; docs/properties.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp
from hypothesis import strategies as st

import bounds as B
from bounds import Bound
from verification.properties.core import Property

#: γ values on the benign side of the grid (γk ≥ ½ at the largest); the drawn harmful γ comes first
_BENIGN_SIDE = (0.04, 0.08, 0.15, 0.3, 0.6)


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    c = st.sampled_from([4.0, 8.0] if "gamma" in relaxed else [1.0, 0.5, 0.1])
    return st.fixed_dictionaries({"n": st.sampled_from([20, 30]), "alpha": st.sampled_from([1.0, 0.5]), "c": c})


def _gamma(c: Mapping[str, Any]) -> float:
    """The harmful signal level γ = c·α³/d on the path d = 2n (Thm 3.4's γ = O(α³/d) with its constant read as c)."""
    return c["c"] * c["alpha"] ** 3 / (2 * c["n"])


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    g = _gamma(c)
    return {"ns": [c["n"]], "d_over_n": 2, "k_frac": 0.1, "alphas": [c["alpha"]], "m": 8,
            "gammas": [g, *(x for x in _BENIGN_SIDE if x > g)], "max_steps": 20_000, "n_test": 2000, "sweep": None}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return [f"γ = O(α³/d) (γd/α³ = {c['c']:g})"] if c["c"] > 1 else []


def _extra() -> dict[str, dict[str, Bound]]:
    """A planted near-miss of Thm 3.4's level: harmful read as 'no better than chance' (error ≥ ½, not 1/8)."""
    return {"harmful_level_chance": {"harmful": B.kgmmn_harmful.mutant(sp.Rational(1, 2), "1/2 (chance)")}}


PROPERTY = Property(
    name="kgmmn_harmful",
    check="kgmmn_gamma_transition",
    claim="in the harmful regime γ = O(α³/d) (d = Ω(n), k = 0.1n noisy labels) the GD network at zero hinge loss has "
          "clean test error ≥ 1/8 (Thm 3.4), and the error falls as γ grows towards the benign side",
    domain={"n": "n ∈ {20, 30}, d = 2n, k = 0.1n", "alpha": "α ∈ {0.5, 1}",
            "gamma": "γ = c·α³/d, c ∈ {0.1, 0.5, 1} (γ = O(α³/d)), then a benign-side grid up to 0.6"},
    draw=_draw, to_params=_params, outside=_outside, seeds=6,
    mutants=("harmful_ratio_inverted", "harmful_level_chance", "benign_ratio_inverted"),
    relaxable={"gamma": "γ = O(α³/d)"}, extra_mutants=_extra, budget=6,
)
