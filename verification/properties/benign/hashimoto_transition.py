"""Property: Hashimoto's signal-strength transition — the test error of the linear boundary GD converges to is
Φ(−z) with the exact z, and the transition sits at ‖μ‖² ≈ √(d/n).

Decided by the rule and regime gate of :class:`verification.checks.benign.hashimoto_signal_transition.
HashimotoSignalTransition`; docs/theory/benign-overfitting.md §2.2–§2.3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"d": st.sampled_from([100, 200]), "ns": st.sampled_from([(10, 20), (20, 40)]),
                                  "alpha": st.sampled_from([0.1, 0.5])})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"d": c["d"], "ns": list(c["ns"]), "mu2": [1, 4, 10, 40], "width": 20, "alpha": c["alpha"], "steps": [300],
            "flips": {"n": c["ns"][1], "p_flip": 0.1, "mu2": [1, 40]}, "n_test": 1000}


PROPERTY = Property(
    name="hashimoto_transition",
    check="hashimoto_signal_transition",
    claim="GD on a two-layer leaky-ReLU net on the noiseless ±μ mixture converges to a linear boundary whose test "
          "error is Φ(−z) with the exact z; the benign-to-harmful transition sits at ‖μ‖² ≈ √(d/n)",
    domain={"d": "d ∈ {100, 200} ≫ n", "ns": "n ∈ {(10, 20), (20, 40)}", "alpha": "α ∈ {0.1, 0.5}"},
    draw=_draw, to_params=_params, seeds=2,
    mutants=("error_transition_d_over_n2", "error_weak_form_only"), budget=8,
)
