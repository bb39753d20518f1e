"""Hard-margin max-margin linear classifier w* = argmin ‖w‖ s.t. ŷ_i⟨w, x_i⟩ ≥ 1 (no bias; KGMMN §1.1).

Solved exactly as a *least-distance program* (Lawson & Hanson, *Solving Least Squares Problems*, 1974,
Ch. 23): with G = diag(ŷ)X and h = 1, solve the non-negative least-squares problem
min_{u ≥ 0} ‖Eu − f‖ with E = [Gᵀ; hᵀ] ((d+1)×n) and f = e_{d+1} by ``scipy.optimize.nnls`` (an active-set
method that terminates in finitely many steps); then r = Eu − f and w* = −r_{1..d}/r_{d+1}. ‖r‖ = 0 means the
constraints are infeasible (not linearly separable). The dual variables λ = u/(1 − hᵀu) ≥ 0 give
w* = Gᵀλ and, at the optimum, ‖w*‖² = Σ_i λ_i (reported as ``duality_gap`` for verification).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import nnls

__all__ = ["MaxMarginResult", "max_margin", "max_margin_batch"]


@dataclass(frozen=True)
class MaxMarginResult:
    """w*, its norm, the dual variables λ, the smallest margin min_i ŷ_i⟨w*, x_i⟩ (1 at the optimum) and
    |‖w*‖² − Σλ|/‖w*‖² (0 at the optimum)."""

    w: np.ndarray
    norm: float
    dual: np.ndarray
    min_margin: float
    duality_gap: float


def max_margin(X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> MaxMarginResult:
    """The hard-margin classifier of (X, y) in float64; raises ``ValueError`` if the data are not separable."""
    Xa = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    ya = np.asarray(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    if Xa.ndim != 2 or ya.shape != (Xa.shape[0],):
        raise ValueError(f"need X (n, d) and y (n,), got {Xa.shape} and {ya.shape}")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X contains a non-finite value")
    bad = ~np.isin(ya, (-1.0, 1.0))
    if bad.any():
        raise ValueError(f"y must hold ±1 labels; y[{int(np.argmax(bad))}] = {float(ya[np.argmax(bad)])!r}")
    n, d = Xa.shape
    G = ya[:, None] * Xa
    E = np.vstack([G.T, np.ones((1, n))])
    f = np.zeros(d + 1)
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=50 * (n + d))
    r = E @ u - f
    if abs(r[-1]) < 1e-12 * max(1.0, float(np.abs(r).max())):
        raise ValueError("the data are not linearly separable (least-distance program infeasible)")
    w = -r[:-1] / r[-1]
    lam = u / (1.0 - u.sum())
    norm2 = float(w @ w)
    return MaxMarginResult(w=w, norm=float(np.sqrt(norm2)), dual=lam, min_margin=float((G @ w).min()),
                           duality_gap=abs(norm2 - float(lam.sum())) / norm2)


def max_margin_batch(X: torch.Tensor, y: torch.Tensor) -> list[MaxMarginResult]:
    """:func:`max_margin` for every member of a batch X (B, n, d), y (B, n)."""
    Xc, yc = X.detach().double().cpu().numpy(), y.detach().double().cpu().numpy()
    return [max_margin(Xc[b], yc[b]) for b in range(Xc.shape[0])]
