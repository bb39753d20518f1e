"""Property: KGMMN's benign regime — the test error of a leaky-ReLU net that fits noisy labels falls with d/k and
its −log scales between α² and α powers (Cor 3.2.1, Thm 3.3).

Decided by the rule and regime gate of :class:`verification.checks.benign.kgmmn_benign_dk.KgmmnBenignDk`;
docs/theory/benign-overfitting.md §1.4.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    c = st.sampled_from([0.01, 0.05] if "gamma" in relaxed else [0.8, 0.5])
    return st.fixed_dictionaries({"n": st.sampled_from([20, 24]), "k": st.sampled_from([2, 1]), "c": c})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"n": c["n"], "k": c["k"], "gamma": c["c"] / c["k"], "m": 8, "alpha_ref": 0.1, "d_over_n": [1, 2, 4, 8],
            "alphas": [0.1, 0.5, 1.0], "d_over_n_alpha": 3, "max_steps": 20_000, "n_test": 2000}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return [f"γ = Ω(1/k) (γk = {c['c']:g})"] if c["c"] < 0.5 else []


PROPERTY = Property(
    name="kgmmn_benign",
    check="kgmmn_benign_dk",
    claim="in the benign regime (d = Ω(n), k = O(α²n), γ = Ω(1/k)) the test error after fitting k noisy labels falls "
          "with d/k at the upper bound's sign and its −log lies between the α² (upper) and α (lower) predictions",
    domain={"n": "n ∈ {20, 24}", "k": "k ∈ {1, 2} flipped labels", "gamma": "γ = c/k, c ∈ {0.5, 0.8} (γ = Ω(1/k))"},
    draw=_draw, to_params=_params, outside=_outside, seeds=6,
    mutants=("upper_wrong_sign", "lower_alpha_squared"), relaxable={"gamma": "γ = Ω(1/k)"}, budget=6,
)
