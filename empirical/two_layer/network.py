"""Networks in the exact settings of the two-layer theorems.

:class:`TwoLayerNet` is the Du–Zhai–Póczos–Singh / Panigrahi–Shetty–Goyal network in NTK
parameterisation (docs/theory/README.md N2, docs/theory/convergence.md §1):

    f(x) = (1/√m)·Σ_r a_r·c_φ·φ(w_rᵀx),   w_r(0) ~ N(0, κ_init²·I_d),   a_r ∈ {±1} fixed,

with only W = (w_1..w_m) trained. Its Gram at initialisation is G ⊙ (DDᵀ)/m with
D_ir = c_φ φ'(w_rᵀx_i) (docs/theory/kernels.md §10), whose mean is H̃_α for the rescaled leaky ReLU. The
scale κ_init (Arora et al.'s small initialisation) leaves that Gram unchanged because φ' of a
leaky ReLU is 0-homogeneous.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from empirical.activations import Activation, leaky_relu_backward_into, leaky_relu_into
from empirical.data import generator
from empirical.validation import check_device, check_dtype, check_positive_float, check_positive_int, check_same

__all__ = ["TwoLayerNet"]


class TwoLayerNet(nn.Module):
    """Two-layer net f(x) = (1/√m) Σ_r a_r c_φ φ(w_rᵀx); only ``W`` is a trainable parameter.

    Args:
        d: input dimension. m: width. activation: normalised activation (c_φ·φ).
        seed: initialisation seed (CPU generator, float64, so every device sees the same weights).
        outer: ``"random"`` (a_r i.i.d. uniform ±1, DZPS) or ``"alternating"`` (+1, −1, +1, …).
        init_scale: κ_init, the standard deviation of W(0).
    """

    def __init__(self, d: int, m: int, activation: Activation, seed: int, outer: str = "random",
                 init_scale: float = 1.0, dtype: torch.dtype = torch.float64,
                 device: torch.device | str = "cpu") -> None:
        super().__init__()
        self.d = check_positive_int(d, "d")
        self.m = check_positive_int(m, "m")
        self.activation = activation
        scale = check_positive_float(init_scale, "init_scale")
        dtype, device = check_dtype(dtype), check_device(device)
        g = generator(seed)
        w = torch.randn(self.m, self.d, generator=g, dtype=torch.float64) * scale
        if outer == "random":
            a = torch.randint(0, 2, (self.m,), generator=g).double() * 2 - 1
        elif outer == "alternating":
            a = torch.ones(self.m, dtype=torch.float64)
            a[1::2] = -1
        else:
            raise ValueError(f"unknown outer-weight scheme {outer!r}; use 'random' or 'alternating'")
        self.W = nn.Parameter(w.to(device=device, dtype=dtype))
        self.register_buffer("a", a.to(device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.d:  # shape only: forward must stay vmap-able
            raise ValueError(f"X must have shape (n, {self.d}), got {tuple(x.shape)}")
        if x.dtype != self.W.dtype or x.device != self.W.device:  # metadata only: still vmap-able
            check_same("X", x, "the network's weights", self.W)
        return self.activation(x @ self.W.T) @ self.a / math.sqrt(self.m)

    def loss_and_grad(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Closed-form ½‖f(X) − y‖² and its gradient in W (no autograd; agrees with it to rounding).

        ∂L/∂w_r = (1/√m)·a_r·Σ_i (u_i − y_i)·c_φφ'(w_rᵀx_i)·x_i. For the leaky-ReLU family it runs on
        n×m buffers kept between calls (a fresh 30 MB tensor per step costs more in page faults than
        the arithmetic), with σ_α and σ'_α as one fused pass each.
        """
        if self.activation.homogeneous:
            return self._leaky_loss_and_grad(x, y)
        with torch.no_grad():
            z = x @ self.W.T
            dz = self.activation.derivative(z)
            act = self.activation(z)
            a_scaled = self.a / math.sqrt(self.m)
            r = act @ a_scaled - y
            grad = (dz.mul_(r[:, None]).mul_(a_scaled)).T @ x
            return 0.5 * torch.dot(r, r), grad

    @torch.no_grad()
    def _leaky_loss_and_grad(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u = σ_α(XWᵀ)·(c_φa/√m), r = u − y, ∇ = Dᵀ(r ⊙ X) with D_ir = (c_φa_r/√m)·σ'_α(w_rᵀx_i)."""
        n, alpha = x.shape[0], self.activation.alpha
        key = (n, x.dtype, x.device)
        if getattr(self, "_ws_key", None) != key:
            self._ws = (torch.empty(n, self.m, dtype=x.dtype, device=x.device),
                        torch.empty(n, self.m, dtype=x.dtype, device=x.device), torch.empty_like(x))
            self._ws_key = key
        z, h, xr = self._ws
        torch.mm(x, self.W.T, out=z)
        leaky_relu_into(z, alpha, h)
        a_scaled = self.a * (self.activation.scale / math.sqrt(self.m))
        r = torch.addmv(y, h, a_scaled, beta=-1)
        leaky_relu_backward_into(a_scaled.expand_as(z), z, alpha, h)
        torch.mul(x, r[:, None], out=xr)
        return 0.5 * torch.dot(r, r), h.T @ xr

    def gram(self, x: torch.Tensor) -> torch.Tensor:
        """Finite-width first-layer Gram G ⊙ (DDᵀ)/m at the current weights, in float64."""
        from empirical.gram.finite import two_layer_gram

        return two_layer_gram(x, self.W.detach(), self.activation)
