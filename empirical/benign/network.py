"""The two-layer leaky-ReLU networks of the benign-overfitting papers, batched: W has shape (B, M, d).

    f(W, x) = Σ_{j=1}^{M} a_j·σ_α(⟨w_j, x⟩),   σ_α(z) = max(z, αz) (plain, **no** rescaling),

with fixed outer weights a and only W trained (docs/theory/benign-overfitting.md §1.2, §2.1):

* ``"alternating"`` — a_j = (−1)^j, j = 1..M (KGMMN Eq. 1: M = 2m neurons, no 1/√m);
* ``"alternating_sqrt"`` — a_j = (−1)^j/√M (H25: ±1/√m with m = M neurons);
* ``"negative"`` — a_j = −1 for every neuron: what the authors' public code did until Nov 2025 (§1.7).

The slope α may differ between batch members (shape (B,)), so an α-sweep trains in one batch.
The subgradient is σ'_α(z) = 1 for z ≥ 0 and α otherwise (KGMMN's convention at z = 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from empirical.activations import leaky_plain, leaky_plain_grad
from empirical.data import generator
from empirical.validation import check_positive_float, check_positive_int, check_seed

__all__ = ["as_batch", "forward", "init_weights", "leaky", "leaky_grad", "outer_weights"]


def outer_weights(width: int, scheme: str = "alternating", dtype: torch.dtype = torch.float64,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """Fixed outer weights a ∈ ℝ^width for ``scheme`` (see the module docstring)."""
    width = check_positive_int(width, "width", minimum=2)
    sign = torch.ones(width, dtype=torch.float64)
    sign[0::2] = -1.0  # (−1)^j for j = 1, 2, …: −1, +1, −1, …
    if scheme == "alternating":
        a = sign
    elif scheme == "alternating_sqrt":
        a = sign / math.sqrt(width)
    elif scheme == "negative":
        a = -torch.ones(width, dtype=torch.float64)
    else:
        raise ValueError(f"unknown outer-weight scheme {scheme!r}; use 'alternating', 'alternating_sqrt' or 'negative'")
    return a.to(device=device, dtype=dtype)


def as_batch(value: float | Sequence[float] | torch.Tensor, size: int, name: str, like: torch.Tensor) -> torch.Tensor:
    """A per-member parameter as a (B,) tensor on ``like``'s device and dtype."""
    t = torch.as_tensor(value, dtype=like.dtype, device=like.device)
    if t.ndim == 0:
        t = t.expand(size)
    if t.shape != (size,):
        raise ValueError(f"{name} must be a scalar or have {size} entries, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains a non-finite value")
    return t


def leaky(z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """σ_α(z) = z for z ≥ 0, αz otherwise; ``alpha`` broadcasts as (B, 1, 1) against z of shape (B, n, M)
    (:func:`empirical.activations.leaky_plain`)."""
    return leaky_plain(z, alpha)


def leaky_grad(z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """σ'_α(z) = 1 for z ≥ 0, α otherwise (:func:`empirical.activations.leaky_plain_grad`)."""
    return leaky_plain_grad(z, alpha)


def forward(W: torch.Tensor, X: torch.Tensor, a: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """f(W_b, x) for every member b and row x of X_b: W (B, M, d), X (B, n, d), a (M,) or (B, M), alpha (B,)."""
    if W.ndim != 3 or X.ndim != 3 or W.shape[0] != X.shape[0] or W.shape[2] != X.shape[2]:
        raise ValueError(f"need W (B, M, d) and X (B, n, d), got {tuple(W.shape)} and {tuple(X.shape)}")
    z = X @ W.transpose(1, 2)
    act = leaky(z, alpha.reshape(-1, 1, 1))
    aa = a if a.ndim == 2 else a.expand(W.shape[0], -1)
    return (act @ aa.unsqueeze(-1)).squeeze(-1)


def init_weights(seeds: Sequence[int], width: int, d: int, row_norm: float | Sequence[float],
                 dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
    """W(0) with uniformly random row directions and every row of norm ``row_norm`` (per member), so that
    KGMMN's Assumption 1 (‖w_j(0)‖ ≤ √α/(m·min‖x_i‖)) can be met exactly. Seeds are offset from the data's."""
    width = check_positive_int(width, "width")
    d = check_positive_int(d, "d")
    norms = list(row_norm) if isinstance(row_norm, (list, tuple)) else [row_norm] * len(seeds)
    if len(norms) != len(seeds):
        raise ValueError(f"row_norm has {len(norms)} entries for {len(seeds)} seeds")
    out = []
    for s, r in zip(seeds, norms, strict=True):
        g = generator(check_seed(s) + 1_000_003)
        w = torch.randn(width, d, generator=g, dtype=torch.float64)
        out.append(w / torch.linalg.vector_norm(w, dim=1, keepdim=True) * check_positive_float(r, "row_norm"))
    return torch.stack(out).to(device=device, dtype=dtype)
