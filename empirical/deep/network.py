"""The deep fully connected network of Allen-Zhu–Li–Song (ICML 2019) and Guo–Li–Lerman (AISTATS 2024).

:class:`DeepLeakyNet` builds, for unit-norm inputs x ∈ ℝ^d (docs/theory/kernels.md §7,
docs/theory/convergence.md §3, §6.1–6.2),

    h_0 = φ(A x),   h_ℓ = φ(W_ℓ h_{ℓ−1}·c_W)  (ℓ = 1..L),   f(x) = B h_L·c_out,

with A ∈ ℝ^{m×d}, W_ℓ ∈ ℝ^{m×m}, B ∈ ℝ^{d_out×m}. **Only W = (W_1..W_L) is trained**; A and B are
frozen buffers. One set of standard-normal draws (A₀, W₀, B₀) per seed (CPU, float64, in that
order) is scaled according to the parameterisation, so the same seed gives corresponding networks in
every parameterisation and for every α:

================  ============================  ===========  =====================  =======  =======
parameterisation  A, W_ℓ                        B            φ                      c_W      c_out
================  ============================  ===========  =====================  =======  =======
``ntk``           N(0, 1)                       N(0, 1)      √(2/(1+α²))·σ_α = σ̃_α  1/√m     1/√m
``sp_rescaled``   N(0, 1/m)           (a)       N(0, 1/d_out) σ̃_α                    1        1
``sp_he``         N(0, 2/m)  (AZLS)   (b)       N(0, 1/d_out) σ_α/√(1+α²)            1        1
``sp_plain``      N(0, 2/((1+α²)m))   (c)       N(0, 1/d_out) σ_α (unscaled)         1        1
================  ============================  ===========  =====================  =======  =======

``ntk`` is the toolkit default (docs/theory/README.md N1–N2). ``sp_he`` is AZLS's initialisation verbatim (for
α = 0 it *is* AZLS's ReLU network) and docs/theory/convergence.md §6.2's reading (b) of GLL's rescaled activation;
``sp_rescaled`` is reading (a); ``sp_plain`` is the digest's "unscaled leaky ReLU with rescaled
initialisation". All four compute the same function f (up to the factor 1/√d_out of the SP output
layer, i.e. identical for d_out = 1) because σ_α is positively 1-homogeneous [derived]; their hidden
vectors differ by the factor √m (h_SP = h_NTK/√m). A GD step η on the NTK weights equals a step
s²·η on SP weights W_SP = s·W_NTK: η_a = η/m, η_b = 2η/m, η_c = 2η/((1+α²)m) (``bounds``:
``eta_rescaled_from_ntk``, ``eta_he_from_ntk``, ``eta_plain_from_ntk``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn

from empirical.activations import sigma_alpha, sigma_alpha_derivative
from empirical.data import generator
from empirical.validation import check_alpha, check_device, check_dtype, check_positive_int, check_same

__all__ = ["PARAMETERISATIONS", "DeepLeakyNet"]

#: the supported parameterisations (see the module docstring)
PARAMETERISATIONS = ("ntk", "sp_rescaled", "sp_he", "sp_plain")


@lru_cache(maxsize=2)
def _standard_draws(seed: int, m: int, d: int, depth: int, d_out: int) -> tuple[torch.Tensor, ...]:
    """A₀ (m×d), W₀ (L×m×m), B₀ (d_out×m) ~ N(0, 1), drawn in this order on the CPU in float64.

    Cached (two entries) because an α sweep builds the same draws once per α; the tensors are never
    modified in place (the network scales copies of them)."""
    g = generator(seed)
    a0 = torch.randn(m, d, generator=g, dtype=torch.float64)
    w0 = torch.randn(depth, m, m, generator=g, dtype=torch.float64)
    b0 = torch.randn(d_out, m, generator=g, dtype=torch.float64)
    return a0, w0, b0


def _scales(param: str, alpha: float, m: int, d_out: int) -> dict[str, float]:
    """Standard deviations of A/W and B, activation prefactor and the multipliers c_W, c_out."""
    cs = math.sqrt(2.0 / (1.0 + alpha * alpha))
    if param == "ntk":
        return {"w_std": 1.0, "b_std": 1.0, "act": cs, "w_mult": 1 / math.sqrt(m), "out_mult": 1 / math.sqrt(m)}
    sp_b = 1 / math.sqrt(d_out)
    if param == "sp_rescaled":
        return {"w_std": 1 / math.sqrt(m), "b_std": sp_b, "act": cs, "w_mult": 1.0, "out_mult": 1.0}
    if param == "sp_he":
        return {"w_std": math.sqrt(2.0 / m), "b_std": sp_b, "act": 1 / math.sqrt(1 + alpha * alpha),
                "w_mult": 1.0, "out_mult": 1.0}
    if param == "sp_plain":
        return {"w_std": cs / math.sqrt(m), "b_std": sp_b, "act": 1.0, "w_mult": 1.0, "out_mult": 1.0}
    raise ValueError(f"unknown parameterisation {param!r}; use one of {', '.join(PARAMETERISATIONS)}")


class DeepLeakyNet(nn.Module):
    """AZLS/GLL deep network with frozen A, B and trained W_1..W_L (stacked in ``W``, shape (L, m, m)).

    Args:
        d: input dimension. m: width. depth: L, the number of trained matrices. alpha: leaky slope.
        seed: initialisation seed. d_out: output dimension (default 1: f returns shape (n,)).
        parameterisation: one of :data:`PARAMETERISATIONS` (default ``"ntk"``).
    """

    def __init__(self, d: int, m: int, depth: int, alpha: float, seed: int, d_out: int = 1,
                 parameterisation: str = "ntk", dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.d = check_positive_int(d, "d")
        self.m = check_positive_int(m, "m")
        self.depth = check_positive_int(depth, "depth")
        self.d_out = check_positive_int(d_out, "d_out")
        self.alpha = check_alpha(alpha)
        self.parameterisation = parameterisation
        dtype = check_dtype(dtype)
        device = check_device(device)
        sc = _scales(parameterisation, self.alpha, self.m, self.d_out)
        self.act_scale, self.w_mult, self.out_mult = sc["act"], sc["w_mult"], sc["out_mult"]
        a0, w0, b0 = _standard_draws(seed, self.m, self.d, self.depth, self.d_out)
        self.W = nn.Parameter((w0 * sc["w_std"]).to(device=device, dtype=dtype))
        self.register_buffer("A", (a0 * sc["w_std"]).to(device=device, dtype=dtype))
        self.register_buffer("B", (b0 * sc["b_std"]).to(device=device, dtype=dtype))

    def extra_repr(self) -> str:
        return (f"d={self.d}, m={self.m}, depth={self.depth}, d_out={self.d_out}, alpha={self.alpha:g}, "
                f"parameterisation={self.parameterisation}")

    # ------------------------------------------------------------------ activation
    def act(self, z: torch.Tensor) -> torch.Tensor:
        """φ(z) = act_scale·σ_α(z)."""
        return self.act_scale * sigma_alpha(z, self.alpha)

    def act_deriv(self, z: torch.Tensor) -> torch.Tensor:
        """φ'(z) = act_scale·(1{z>0} + α·1{z≤0})."""
        return self.act_scale * sigma_alpha_derivative(z, self.alpha)

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.d:  # shape only: forward must stay vmap-able
            raise ValueError(f"X must have shape (n, {self.d}), got {tuple(x.shape)}")
        if x.dtype != self.W.dtype or x.device != self.W.device:  # metadata only: still vmap-able
            check_same("X", x, "the network's weights", self.W)
        h = self.act(x @ self.A.T)
        for layer in range(self.depth):
            h = self.act((h @ self.W[layer].T) * self.w_mult)
        out = (h @ self.B.T) * self.out_mult
        return out[:, 0] if self.d_out == 1 else out

    def forward_cache(self, x: torch.Tensor, dtype: torch.dtype | None = None
                      ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """(f, pre-activations [z_0..z_L], hidden vectors [h_0..h_L]), optionally cast to ``dtype``
        (weights included), without autograd."""
        dt = dtype or self.W.dtype
        with torch.no_grad():
            x = x.to(device=self.W.device, dtype=dt)
            a, w, b_ = self.A.to(dt), self.W.detach().to(dt), self.B.to(dt)
            zs = [x @ a.T]
            hs = [self.act(zs[0])]
            for layer in range(self.depth):
                zs.append((hs[-1] @ w[layer].T) * self.w_mult)
                hs.append(self.act(zs[-1]))
            out = (hs[-1] @ b_.T) * self.out_mult
        return (out[:, 0] if self.d_out == 1 else out), zs, hs

    def trained_parameters(self) -> list[nn.Parameter]:
        """The trained parameters: [W] (A and B are frozen buffers)."""
        return [self.W]

    # ------------------------------------------------------------------ closed-form training (d_out = 1)
    def loss_and_grad(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """½‖f(X) − y‖² and its gradient in W, in closed form (see :mod:`empirical.deep.grad`)."""
        from empirical.deep.grad import loss_and_grad

        return loss_and_grad(self, x, y, self._workspace())

    def gd_step(self, x: torch.Tensor, y: torch.Tensor, eta: float) -> torch.Tensor:
        """W ← W − η∇F(W) in place, no autograd; returns F(W) before the step (a device scalar)."""
        from empirical.deep.grad import gd_step

        return gd_step(self, x, y, eta, self._workspace())

    def _workspace(self):
        from empirical.deep.grad import Workspace

        if getattr(self, "_work", None) is None:
            self._work = Workspace()
        return self._work
