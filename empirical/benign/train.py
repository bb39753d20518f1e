"""Batched full-batch (sub)gradient descent on the first layer, recording both stopping rules.

Summed loss L(W) = Σ_i ℓ(ŷ_i f(W, x_i)) (docs/theory/README.md N6) with

* ``hinge``: ℓ(u) = max(0, 1 − u), subgradient −1{u < 1} (KGMMN Eq. 3–4: only points with margin < 1 move);
* ``exp``: ℓ(u) = e^{−u} (H25); ``logistic``: ℓ(u) = log(1 + e^{−u}) (FCB22, H-lin).

Update w_j ← w_j − η·Σ_i ℓ'(u_i) ŷ_i a_j σ'_α(⟨w_j, x_i⟩) x_i. Two stopping points are recorded per member:

* **hinge stop** (the theorems, KGMMN Thm 3.1): the first t with every margin ŷ_i f ≥ 1; training of that
  member stops there, and T = t is the number of updates made;
* **0-1 stop** (the authors' public code, ``while train_error > 1e-6``): the first t with every point
  classified correctly (ŷ_i f > 0); the weights at that moment are kept as ``W_01``.

Stopping is tracked on the device; the host synchronises only every ``check_every`` steps (to end the loop
once every member has stopped, and to catch divergence, reported as ``diverged_at`` instead of an error).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from empirical.activations import leaky_plain_grad
from empirical.benign.network import as_batch, forward
from empirical.validation import check_positive_int

__all__ = ["BenignTrace", "train_first_layer"]

LOSSES = ("hinge", "exp", "logistic")


@dataclass(frozen=True)
class BenignTrace:
    """Outcome of :func:`train_first_layer` (arrays over batch members).

    ``W`` final weights (at the hinge stop for members that reached it), ``W_01`` weights at the 0-1 stop
    (the final weights where that was never reached); ``t_hinge``/``t_01`` the stopping steps (−1: not
    reached); ``point_updates`` Σ_t |F(t)| (hinge: the number of (point, step) updates, KGMMN's U(T));
    ``snapshots`` maps each requested step to the weights then; ``diverged_at`` the first check step
    with a non-finite weight (−1: none); ``steps`` the number of steps the loop ran.
    """

    W: torch.Tensor
    W_01: torch.Tensor
    t_hinge: np.ndarray
    t_01: np.ndarray
    point_updates: np.ndarray
    diverged_at: np.ndarray
    steps: int
    snapshots: dict[int, torch.Tensor]


def _loss_slope(u: torch.Tensor, loss: str) -> torch.Tensor:
    """−ℓ'(u) ≥ 0."""
    if loss == "hinge":
        return (u < 1).to(u.dtype)
    if loss == "exp":
        return torch.exp(-u)
    return torch.sigmoid(-u)


def train_first_layer(X: torch.Tensor, y: torch.Tensor, W0: torch.Tensor, a: torch.Tensor,
                      alpha: float | Sequence[float] | torch.Tensor, eta: float | Sequence[float] | torch.Tensor,
                      max_steps: int, loss: str = "hinge", stop_at_hinge: bool = True,
                      snapshot_steps: Sequence[int] = (), check_every: int = 50) -> BenignTrace:
    """Run batched GD from ``W0`` (B, M, d) on data X (B, n, d), labels y (B, n) ∈ {±1}.

    ``stop_at_hinge`` freezes a member once its hinge loss is zero (KGMMN's stopping point; meaningful for
    every loss). ``max_steps`` caps the loop; members that never stop report t_hinge = −1.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    max_steps = check_positive_int(max_steps, "max_steps", minimum=0)
    check_every = check_positive_int(check_every, "check_every")
    B, n, d = X.shape
    if y.shape != (B, n) or W0.ndim != 3 or W0.shape[0] != B or W0.shape[2] != d:
        raise ValueError(f"shapes disagree: X {tuple(X.shape)}, y {tuple(y.shape)}, W0 {tuple(W0.shape)}")
    if not bool(((y == 1) | (y == -1)).all()):
        raise ValueError("labels y must be ±1")
    al = as_batch(alpha, B, "alpha", X).reshape(B, 1, 1)
    et = as_batch(eta, B, "eta", X)
    if bool((et <= 0).any()):
        raise ValueError(f"eta must be positive, got {et.tolist()}")
    aa = (a if a.ndim == 2 else a.expand(B, -1)).to(X)
    snaps = sorted({check_positive_int(s, "snapshot step", minimum=0) for s in snapshot_steps})
    W = W0.clone()
    W_01 = W0.clone()
    dev = X.device
    lazy_copy = dev.type == "cpu"  # on the CPU a host check is cheaper than a full masked copy every step
    a_col = aa.unsqueeze(-1)  # (B, M, 1)
    a_row = aa.unsqueeze(1)  # (B, 1, M)
    eta3 = et[:, None, None]
    t_h = torch.full((B,), -1, dtype=torch.long, device=dev)
    t_01 = torch.full((B,), -1, dtype=torch.long, device=dev)
    updates = torch.zeros(B, dtype=torch.long, device=dev)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    diverged = np.full(B, -1, dtype=np.int64)
    snapshots: dict[int, torch.Tensor] = {}
    step = 0
    for step in range(max_steps + 1):
        if step in snaps:
            snapshots[step] = W.clone()
        z = torch.bmm(X, W.transpose(1, 2))  # (B, n, M)
        dz = leaky_plain_grad(z, al)  # σ'_α(z); σ_α(z) = σ'_α(z)·z
        f = torch.bmm(z * dz, a_col).squeeze(-1)
        u = y * f
        new01 = (u > 0).all(dim=1) & (t_01 < 0)
        t_01 = torch.where(new01, step, t_01)
        if not lazy_copy:
            W_01 = torch.where(new01[:, None, None], W, W_01)
        elif bool(new01.any()):
            W_01[new01] = W[new01]
        if stop_at_hinge:
            newh = (u >= 1).all(dim=1) & (t_h < 0)
            t_h = torch.where(newh, step, t_h)
            done = done | newh
        if step % check_every == 0 or step == max_steps:
            bad = ~torch.isfinite(W).flatten(1).all(dim=1)
            if bool(bad.any()):
                idx = bad.cpu().numpy() & (diverged < 0)
                diverged[idx] = step
                done = done | bad
            if bool(done.all()) or step == max_steps:
                break
        slope = _loss_slope(u, loss) * (~done)[:, None].to(u.dtype)  # (B, n): −ℓ'(u_i), frozen members 0
        if loss == "hinge":
            updates += (slope > 0).sum(dim=1)
        coef = (slope * y).unsqueeze(-1) * dz * a_row  # (B, n, M)
        W = W + eta3 * torch.bmm(coef.transpose(1, 2), X)
    never = t_01 < 0
    W_01 = torch.where(never[:, None, None], W, W_01)
    return BenignTrace(W=W, W_01=W_01, t_hinge=t_h.cpu().numpy(), t_01=t_01.cpu().numpy(),
                       point_updates=updates.cpu().numpy(), diverged_at=diverged, steps=step,
                       snapshots=snapshots)


def margins(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor,
            alpha: float | Sequence[float] | torch.Tensor) -> torch.Tensor:
    """ŷ_i f(W_b, x_i) for every member (B, n)."""
    return y * forward(W, X, a, as_batch(alpha, X.shape[0], "alpha", X))
