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

Cost. Every update is a combination of the rows of X, so W_t = W_0 + A_tᵀX and the pre-activations are
Z_t = XW_0ᵀ + K·A_tᵀ with the n×n Gram K = XXᵀ: one (n×n)·(n×M) product per step instead of two (n×d)·(d×M)
products (the same iterates in exact arithmetic; in float64 they agree with the weight-space loop to
~1e-14). Members that have stopped leave the working batch at the next check step. Subgradient GD with
hinge loss is sensitive to rounding (activation patterns flip), so float64 is the default of the
experiment runners: float32 runs of the same configuration end ~1 % apart in W and a few steps apart in T.
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
                      snapshot_steps: Sequence[int] = (), check_every: int = 50, form: str = "auto") -> BenignTrace:
    """Run batched GD from ``W0`` (B, M, d) on data X (B, n, d), labels y (B, n) ∈ {±1}.

    ``stop_at_hinge`` freezes a member once its hinge loss is zero (KGMMN's stopping point; meaningful for
    every loss). ``max_steps`` caps the loop; members that never stop report t_hinge = −1. ``form`` picks how
    pre-activations are computed: ``"gram"`` (through K = XXᵀ, see below), ``"weights"`` (Z = XWᵀ) or
    ``"auto"`` (the cheaper: gram when n < 2d); both are the same GD in exact arithmetic.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    if form not in ("auto", "gram", "weights"):
        raise ValueError(f"unknown form {form!r}; use 'auto', 'gram' or 'weights'")
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
    dev = X.device
    # W_t = W_0 + A_tᵀX for every t (each update is a combination of the rows of X), so with the n×n Gram
    # K = XXᵀ the pre-activations are Z_t = XW_0ᵀ + K·A_tᵀ: one (n×n)·(n×M) product per step instead of two
    # (n×d)·(d×M) ones. Exact in exact arithmetic; ``auto`` uses it when it is cheaper (n < 2d).
    span = n < 2 * d if form == "auto" else form == "gram"
    K = torch.bmm(X, X.transpose(1, 2)) if span else None
    Z0 = torch.bmm(X, W0.transpose(1, 2)) if span else None
    S = torch.zeros(B, n, W0.shape[1], dtype=W0.dtype, device=dev) if span else W0.clone()  # Aᵀ or W
    S_01 = S.clone()
    t_h = torch.full((B,), -1, dtype=torch.long, device=dev)
    t_01 = torch.full((B,), -1, dtype=torch.long, device=dev)
    updates = torch.zeros(B, dtype=torch.long, device=dev)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    diverged = np.full(B, -1, dtype=np.int64)
    a_col = aa.unsqueeze(-1)  # (B, M, 1)
    per_member = {"X": X, "y": y, "al": al, "eta3": et[:, None, None], "a_col": a_col, "a_row": aa.unsqueeze(1),
                  "K": K, "Z0": Z0}
    # Members that have stopped are dropped from the working batch at check steps (their state is final), so
    # the batch costs what its running members cost; ``idx`` maps working rows to members.
    idx = torch.arange(B, device=dev)
    loc = dict(per_member)
    st = {"S": S.clone(), "S_01": S_01.clone(), "t_h": t_h.clone(), "t_01": t_01.clone(),
          "updates": updates.clone(), "done": done.clone()}

    def flush() -> None:
        for key, full in (("S", S), ("S_01", S_01), ("t_h", t_h), ("t_01", t_01), ("updates", updates),
                          ("done", done)):
            full[idx] = st[key]

    def weights(state: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return W0[rows] + torch.bmm(state.transpose(1, 2), X[rows]) if span else state

    lazy_copy = dev.type == "cpu"  # on the CPU a host check is cheaper than a full masked copy every step
    snapshots: dict[int, torch.Tensor] = {}
    step = 0
    for step in range(max_steps + 1):
        if step in snaps:
            flush()
            snapshots[step] = weights(S, torch.arange(B, device=dev)).clone()
        Sl = st["S"]
        z = torch.baddbmm(loc["Z0"], loc["K"], Sl) if span else torch.bmm(loc["X"], Sl.transpose(1, 2))  # (b, n, M)
        dz = leaky_plain_grad(z, loc["al"])  # σ'_α(z); σ_α(z) = σ'_α(z)·z
        f = torch.bmm(z * dz, loc["a_col"]).squeeze(-1)
        u = loc["y"] * f
        new01 = (u > 0).all(dim=1) & (st["t_01"] < 0)
        st["t_01"] = torch.where(new01, step, st["t_01"])
        if not lazy_copy:
            st["S_01"] = torch.where(new01[:, None, None], Sl, st["S_01"])
        elif bool(new01.any()):
            st["S_01"][new01] = Sl[new01]
        if stop_at_hinge:
            newh = (u >= 1).all(dim=1) & (st["t_h"] < 0)
            st["t_h"] = torch.where(newh, step, st["t_h"])
            st["done"] = st["done"] | newh
        if step % check_every == 0 or step == max_steps:
            bad = ~torch.isfinite(Sl).flatten(1).all(dim=1)
            if bool(bad.any()):
                rows = idx[bad].cpu().numpy()
                fresh = rows[diverged[rows] < 0]
                diverged[fresh] = step
                st["done"] = st["done"] | bad
            if bool(st["done"].all()) or step == max_steps:
                break
            if bool(st["done"].any()) and not any(s > step for s in snaps):
                flush()
                keep = ~st["done"]
                idx = idx[keep]
                loc = {k: (v[keep] if v is not None else None) for k, v in loc.items()}
                st = {k: v[keep] for k, v in st.items()}
                Sl, dz, u = st["S"], dz[keep], u[keep]
        slope = _loss_slope(u, loss) * (~st["done"])[:, None].to(u.dtype)  # (b, n): −ℓ'(u_i), frozen 0
        if loss == "hinge":
            st["updates"] = st["updates"] + (slope > 0).sum(dim=1)
        coef = (slope * loc["y"]).unsqueeze(-1) * dz * loc["a_row"]  # (b, n, M)
        step_dir = coef if span else torch.bmm(coef.transpose(1, 2), loc["X"])
        st["S"] = Sl + loc["eta3"] * step_dir
    flush()
    never = t_01 < 0
    S_01 = torch.where(never[:, None, None], S, S_01)
    every = torch.arange(B, device=dev)
    W, W_01 = weights(S, every), weights(S_01, every)
    return BenignTrace(W=W, W_01=W_01, t_hinge=t_h.cpu().numpy(), t_01=t_01.cpu().numpy(),
                       point_updates=updates.cpu().numpy(), diverged_at=diverged, steps=step,
                       snapshots=snapshots)


def margins(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor,
            alpha: float | Sequence[float] | torch.Tensor) -> torch.Tensor:
    """ŷ_i f(W_b, x_i) for every member (B, n)."""
    return y * forward(W, X, a, as_batch(alpha, X.shape[0], "alpha", X))
