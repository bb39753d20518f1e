"""Property: ADHLW's linearised dynamics — the residual follows (I − ηH̃_α)^t r(0) mode by mode as m grows.

Decided by the rule and regime gate of :class:`verification.checks.two_layer.arora_dynamics.AroraDynamics`;
docs/theory/convergence.md §2 and §6.6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property
from verification.strategies import alphas


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    eta = st.sampled_from([1.0, 3.0] if "eta" in relaxed else [0.1, 0.05])
    widths = st.sampled_from([(8, 32)] if "m" in relaxed else [(500, 2000)])
    return st.fixed_dictionaries({"alpha": alphas(-2.0, 0.9), "n": st.sampled_from([10, 16]), "eta": eta,
                                  "widths": widths})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"n": c["n"], "d": 5, "widths": list(c["widths"]), "eta": c["eta"], "steps": 100,
            "alphas": [-1.0, float(c["alpha"])] if c["alpha"] != -1.0 else [-1.0, 0.0], "init_scale": 0.1, "every": 10}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return ((["step size η ≤ 0.1"] if c["eta"] > 0.1 else [])
            + (["width m ≫ n (lazy regime)"] if min(c["widths"]) < 100 else []))


PROPERTY = Property(
    name="adhlw_dynamics",
    check="arora_dynamics",
    claim="GD on a wide two-layer net with small init follows r(t) = (I − ηH̃_α)^t r(0): each eigen-mode of H̃_α "
          "decays at its own rate (1 − ηλ_i), the kernel's α-term is c_α, deviations shrink like m^(−1/2)",
    domain={"alpha": "α ∈ [−2, 0.9], compared with α = −1", "n": "n ∈ {10, 16}, d = 5",
            "eta": "η ∈ {0.05, 0.1} (η·λ_max < 2, gated)", "m": "widths (500, 2000) (lazy, gated)"},
    draw=_draw, to_params=_params, outside=_outside, seeds=2,
    mutants=("kernel_g_alpha_unsquared", "kernel_alpha_term_25pct"),
    relaxable={"eta": "η·λ_max(H^(m)) < 2", "m": "m ≫ n (lazy regime)"}, budget=15,
)
