"""Property: the closed-form leaky kernels κ̇_α, κ_α, H̃_α, Θ_α (and their series) equal Monte Carlo at every α, ρ.

Decided by the rule of :class:`verification.checks.two_layer.kernel_monte_carlo.KernelMonteCarlo` (Bonferroni z
on |MC − formula|/SE); the formulas and their sources: docs/theory/kernels.md §2–§4.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property
from verification.strategies import alphas

_SAMPLES = 40_000


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    rho = st.sampled_from([0.5, -0.5, 0.9, -0.9, 0.0, 0.95, -0.95, 0.25, -0.25, 0.7, -0.7])
    return st.fixed_dictionaries({"alpha": alphas(-3.0, 3.0), "rho": st.lists(rho, min_size=1, max_size=3, unique=True)})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"alphas": [float(c["alpha"])], "rho": sorted(c["rho"]), "samples": _SAMPLES, "series_terms": 100}


PROPERTY = Property(
    name="kernel_formulas",
    check="kernel_monte_carlo",
    claim="κ̇_α, κ_α, H̃_α = ρκ̇_α, Θ_α, the series of H̃_α and the Hermite coefficients of σ'_α equal their Gaussian "
          "expectations (Monte Carlo) for every real α and |ρ| < 1",
    domain={"alpha": "every real α (drawn in [−3, 3] with −1, 0, 1, ±2)", "rho": "|ρ| ≤ 0.95"},
    draw=_draw, to_params=_params, seeds=1,
    mutants=("kappa_dot_g_alpha", "nngp_sqrt_term_halved"), budget=20,
)
