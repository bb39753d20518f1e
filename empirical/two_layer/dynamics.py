"""Predicted residual dynamics of linearised GD (Arora et al., ICML 2019, Theorem 4.1).

‖y − u(t)‖ ≈ √(Σ_i (1 − ηλ_i)^{2t}·(v_iᵀy)²) with (λ_i, v_i) the eigenpairs of the Gram. The per-mode
formula is the symbolic :data:`bounds.arora_mode_residual`; this module only sums it over modes.
"""

from __future__ import annotations

import numpy as np
import torch

import bounds
from empirical.eigen import eigh
from empirical.validation import check_positive_float, check_vector

__all__ = ["predicted_residual"]


def predicted_residual(gram: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray, eta: float,
                       steps: np.ndarray, formula: bounds.Bound = bounds.arora_mode_residual) -> np.ndarray:
    """√(Σ_i mode_i(t)²) at each t in ``steps``, with mode_i from ``formula`` (default the true one)."""
    eta = check_positive_float(eta, "eta")
    vals, vecs = eigh(gram)
    yv = check_vector(torch.as_tensor(np.asarray(y, dtype=np.float64)), "y", length=vals.size).numpy()
    proj = vecs.T @ yv
    t = np.asarray(steps, dtype=np.float64)
    if t.ndim != 1 or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("steps must be a 1-D array of non-negative integers")
    fn = formula.numpy(validate=False)
    modes = fn(eta=eta, lam_i=np.clip(vals, 0.0, None)[None, :], proj=proj[None, :], t=t[:, None])
    return np.sqrt(np.sum(np.asarray(modes) ** 2, axis=1))
