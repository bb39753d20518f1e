"""Property: GD on a wide two-layer net stays under the DZPS curve and its late rate is the kernel rate.

Decided by the rule and regime gate of :class:`verification.checks.two_layer.du_gd_bound.DuGDBound` (the loss
under (1 − ηλ₀/2)^t; the late rate of (I − ηH̃_α)^t r(0) extrapolated to m → ∞); docs/theory/convergence.md §1 and §6.3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp
from hypothesis import strategies as st

import bounds as B
from bounds import Bound
from verification.properties.core import Property
from verification.strategies import alphas


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    eta = st.sampled_from([1.0, 3.0] if "eta" in relaxed else [0.1, 0.05])
    widths = st.sampled_from([(8, 16, 32)] if "m" in relaxed else [(500, 1000, 2000)])
    return st.fixed_dictionaries({"alpha": alphas(-2.0, 0.9), "n": st.sampled_from([10, 16]), "eta": eta,
                                  "widths": widths})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"n": c["n"], "d": 5, "widths": list(c["widths"]), "eta": c["eta"], "steps": 300,
            "alphas": [0.0, float(c["alpha"])] if c["alpha"] != 0.0 else [0.0, -1.0]}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return ((["step size η ≤ 0.1 (η = O(λ₀/n²))"] if c["eta"] > 0.1 else [])
            + (["width m ≫ n (m = Ω(n⁶/λ₀⁴))"] if min(c["widths"]) < 100 else []))


def _extra() -> dict[str, dict[str, Bound]]:
    # both reused from lambda_min_bounds (the same role, H_tilde): the Gram of the unnormalised σ_α, H̃_α·(1+α²)/2
    # (rate off by (1+α²)/2: underpowered at these sizes, left to `thorough`), and H̃_α with c_α³ for c_α
    return {"kernel_without_c_sigma": {"kernel": B.H_tilde.mutant(B.H_tilde.expr * (1 + B.alpha**2) / 2, "no c_σ")},
            "kernel_c_alpha_cubed": {"kernel": B.H_tilde.mutant(
                B.rho * (1 - B.c_alpha.expr**3 * sp.acos(B.rho) / sp.pi), "c_α³")}}


PROPERTY = Property(
    name="dzps_rate",
    check="du_gd_bound",
    claim="full-batch GD on a wide two-layer leaky-ReLU net: ‖y − u(t)‖² ≤ (1 − ηλ₀/2)^t ‖y − u(0)‖², and in the "
          "kernel regime the late-phase rate is that of (I − ηH̃_α)^t r(0) at infinite width",
    domain={"alpha": "α ∈ [−2, 0.9] (c_α > 0), compared with α = 0", "n": "n ∈ {10, 16}, d = 5 unit-sphere data",
            "eta": "η ∈ {0.05, 0.1} (η·λ_max < 2, gated)", "m": "widths (500, 1000, 2000) ≫ n (lazy regime, gated)"},
    draw=_draw, to_params=_params, outside=_outside, seeds=2,
    # kernel_without_c_sigma is underpowered at these sizes (late-rate intercept SE ≈ 0.26 over three widths)
    mutants=("contraction_mean_loss", "kernel_c_alpha_cubed", "kernel_without_c_sigma"), extra_mutants=_extra,
    relaxable={"eta": "η·λ_max(H^(m)) < 2", "m": "m ≫ n (kernel regime)"}, budget=15,
)
