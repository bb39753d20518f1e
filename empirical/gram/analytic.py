"""Infinite-width Gram matrices in float64.

The leaky-ReLU kernels are *not* re-typed here: :func:`kernel_matrix` applies a
:class:`bounds.Bound` in ρ (by default ``bounds.H_tilde``) entrywise to G = XXᵀ through its torch
lambdification, so the symbolic formula is the single source of truth and a planted wrong
formula changes the matrix. For smooth activations (no closed form), :func:`hermite_gram` sums
Mehler's series G^∞ = Σ_k ν_k² G^{∘(k+1)} (docs/theory/gram-eigenvalues.md §5) and returns its tail bound.
"""

from __future__ import annotations

import numpy as np
import torch

import bounds
from empirical.activations import Activation, derivative_second_moment, hermite_coefficients
from empirical.validation import check_alpha, check_matrix, check_positive_int, check_unit_norm

__all__ = ["hermite_gram", "kernel_matrix", "leaky_gram"]


def _correlations(x: torch.Tensor) -> torch.Tensor:
    """G = XXᵀ for unit-norm rows (the kernels are functions of ρ only for unit-norm inputs)."""
    x = check_unit_norm(check_matrix(x, "X")).double()
    g = x @ x.T
    return g.clamp_(-1.0, 1.0)


def kernel_matrix(x: torch.Tensor, formula: bounds.Bound, **params: float) -> torch.Tensor:
    """[formula(ρ_ij; params)] for unit-norm rows of ``x``, float64 (ρ clipped to [−1, 1]).

    The parameters are checked like :meth:`bounds.Bound.evaluate` checks them (finite, real, the
    symbols' assumptions and domain), so a NaN α is refused instead of giving an all-NaN matrix."""
    if not isinstance(formula, bounds.Bound):
        raise TypeError(f"formula must be a bounds.Bound, got {type(formula).__name__}")
    names = {s.name for s in formula.variables}
    if "rho" not in names:
        raise ValueError(f"{formula.name} is not a kernel in rho (its variables: {sorted(names)})")
    unknown = set(params) - (names - {"rho"})
    if unknown:
        raise ValueError(f"{formula.name} has no parameter(s) {sorted(unknown)}; it takes {sorted(names - {'rho'})}")
    for key, val in params.items():  # scalars only: finite, real, the symbol's assumptions and domain
        if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)):
            raise TypeError(f"{formula.name}: {key}={val!r} must be a real number")
    formula.check_values(**params)
    fn = formula.torch(validate=False)  # ρ is clipped to [−1, 1] below, so only the parameters need checking
    rho = _correlations(x)
    return fn(rho=rho, **{k: torch.as_tensor(v, dtype=torch.float64, device=rho.device) for k, v in params.items()})


def leaky_gram(x: torch.Tensor, alpha: float, kind: str = "first_layer",
               formula: bounds.Bound | None = None) -> torch.Tensor:
    """Normalised leaky-ReLU Gram: ``first_layer`` H̃_α, ``nngp`` κ_α or ``ntk`` Θ_α (docs/theory/kernels.md §3)."""
    alpha = check_alpha(alpha)
    default = {"first_layer": bounds.H_tilde, "nngp": bounds.kappa, "ntk": bounds.Theta_two_layer}
    if kind not in default:
        raise ValueError(f"unknown kernel kind {kind!r}; use one of {sorted(default)}")
    return kernel_matrix(x, formula or default[kind], alpha=alpha)


def hermite_gram(x: torch.Tensor, act: Activation, k_max: int = 400) -> tuple[torch.Tensor, float]:
    """G^∞ = Σ_{k≤k_max} ν_k² G^{∘(k+1)} for a smooth activation, and its truncation error.

    Returns ``(gram, tail)`` where ``tail`` = E[(c_φφ')²] − Σ_{k≤k_max} ν_k² bounds every entry
    of the omitted (PSD) remainder, so λ_min(G^∞) ∈ [λ_min(gram), λ_min(gram) + n·tail].
    """
    k_max = check_positive_int(k_max, "k_max")
    nu = hermite_coefficients(act, k_max)
    rho = _correlations(x)
    out = torch.zeros_like(rho)
    power = rho.clone()
    for kk in range(k_max + 1):
        if nu[kk] != 0.0:
            out += float(nu[kk] ** 2) * power
        power *= rho
    tail = max(derivative_second_moment(act) - float(np.sum(nu**2)), 0.0)
    return out, tail
