"""Property: Hermite-tail lower bound ≤ λ_min(H̃_α) ≤ pair upper bound, and the width-m Gram brackets λ_min.

Decided by the rule of :class:`verification.checks.two_layer.lambda_min_bounds.LambdaMinBounds` (exact
inequalities; the width-m bracket by Student t over neuron groups); docs/theory/gram-eigenvalues.md §3–§5.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property
from verification.strategies import alphas


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    # c_α > 0: α = 1 is the linear map, whose Gram has rank d < n; relaxed, α is drawn outside only (α = 1)
    a = st.just(1.0) if "alpha" in relaxed else alphas(-3.0, 3.0).filter(lambda v: v != 1.0)
    return st.fixed_dictionaries({"alpha": a, "n": st.sampled_from([10, 20, 40]),
                                  "d": st.just(2) if "d" in relaxed else st.sampled_from([3, 5]),
                                  "m": st.sampled_from([8000, 32000])})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"d": c["d"], "ns": [c["n"]], "m": c["m"], "alphas": [float(c["alpha"])]}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return ((["c_α > 0 (α ≠ 1)"] if c["alpha"] == 1.0 else [])
            + (["d ≥ 3: λ_min(H̃_α) resolvable in float64 (on S¹ it falls to rounding level)"] if c["d"] < 3 else []))


PROPERTY = Property(
    name="lambda_min_sandwich",
    check="lambda_min_bounds",
    claim="on δ-separated unit-sphere data, (c_α/2π)·Σ_{j≥J} b_j ≤ λ_min(H̃_α) ≤ min over pairs of 1 − |H̃_α(cos θ)|, "
          "and λ_min of the width-m Gram brackets the analytic λ_min",
    domain={"alpha": "c_α > 0: every real α ≠ 1", "n": "n ∈ {10, 20, 40}", "d": "d ∈ {3, 5} (S^(d−1))",
            "m": "m ∈ {8000, 32000}"},
    draw=_draw, to_params=_params, outside=_outside, seeds=1,
    mutants=("pair_upper_sign", "kernel_c_alpha_cubed"),
    relaxable={"alpha": "c_α > 0 (α ≠ 1)", "d": "d ≥ 3 (λ_min above rounding)"},
    budget=20,
)
