"""Closed-form loss, gradient and GD step of :class:`empirical.deep.network.DeepLeakyNet` (no autograd).

For F(W) = ½Σ_i (f(x_i) − y_i)² with f = c_out·B h_L, h_ℓ = a_φ·σ_α(z_ℓ), z_ℓ = c_W·W_ℓh_{ℓ−1}
(d_out = 1; docs/theory/convergence.md §3), write h̃_ℓ = σ_α(z_ℓ) and r = f − y. Then

    ∂F/∂W_ℓ = c_W·a_φ²·c_out·g̃_ℓᵀ h̃_{ℓ−1},
    g̃_L = σ'_α(z_L) ⊙ (r ⊗ B),   g̃_{ℓ−1} = σ'_α(z_{ℓ−1}) ⊙ (c_W·a_φ·g̃_ℓ W_ℓ),

so a step costs the forward GEMMs, L−1 back-propagation GEMMs and L weight-gradient GEMMs, with
every scale in a GEMM's α and each activation (derivative) one fused pass. :func:`gd_step` writes
W_ℓ ← W_ℓ − η·∂F/∂W_ℓ straight into the weights with ``addmm`` (after g̃_{ℓ−1} has used the old
W_ℓ), so no gradient tensor is formed; buffers live in a :class:`Workspace` reused across steps.
"""

from __future__ import annotations

import torch

from empirical.activations import sigma_alpha_backward_into, sigma_alpha_into

__all__ = ["Workspace", "gd_step", "loss_and_grad"]



class Workspace:
    """Preallocated (L+1) hidden and L pre-activation buffers of shape (n, m), reused across steps."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self.hid: torch.Tensor | None = None
        self.pre: torch.Tensor | None = None
        self.tmp: torch.Tensor | None = None

    def get(self, n: int, model: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        key = (n, model.m, model.depth, model.W.dtype, model.W.device)
        if key != self._key:
            opts = {"dtype": model.W.dtype, "device": model.W.device}
            self.hid = torch.empty(model.depth + 1, n, model.m, **opts)
            self.pre = torch.empty(model.depth, n, model.m, **opts)
            self.tmp = torch.empty(n, model.m, **opts)
            self._key = key
        return self.hid, self.pre, self.tmp


def _check(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    if getattr(model, "d_out", None) != 1:
        raise ValueError(f"the closed-form gradient needs a scalar-output network (d_out=1), got d_out={model.d_out!r}")
    if x.ndim != 2 or x.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}), got {tuple(x.shape)}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {tuple(y.shape)}")
    if x.dtype != model.W.dtype or y.dtype != model.W.dtype:
        raise TypeError(f"dtypes differ: X is {x.dtype}, y is {y.dtype}, W is {model.W.dtype}")


@torch.no_grad()
def _forward(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, work: Workspace
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward sweep into the workspace: (hid, pre, tmp, r, loss) with hid[ℓ] = h̃_ℓ, pre[ℓ−1] = z_ℓ."""
    hid, pre, tmp = work.get(x.shape[0], model)
    alpha, w, scale = model.alpha, model.W.detach(), model.w_mult * model.act_scale
    torch.mm(x, model.A.T, out=tmp)
    sigma_alpha_into(tmp, alpha, hid[0])
    for layer in range(model.depth):
        torch.addmm(pre[layer], hid[layer], w[layer].T, beta=0, alpha=scale, out=pre[layer])
        sigma_alpha_into(pre[layer], alpha, hid[layer + 1])
    r = torch.addmv(y, hid[model.depth], model.B[0], beta=-1, alpha=model.act_scale * model.out_mult)  # f − y
    return hid, pre, tmp, r, 0.5 * torch.dot(r, r)


@torch.no_grad()
def _backward(model: torch.nn.Module, hid: torch.Tensor, pre: torch.Tensor, tmp: torch.Tensor, r: torch.Tensor,
              eta: float | None) -> torch.Tensor | None:
    """Back-propagate r; with ``eta`` update W in place and return None, else return ∂F/∂W (L, m, m)."""
    alpha, w, depth = model.alpha, model.W.detach(), model.depth
    scale = model.w_mult * model.act_scale
    gscale = model.w_mult * model.act_scale**2 * model.out_mult
    grad = None if eta is not None else torch.empty_like(w)
    g = pre[depth - 1]
    torch.outer(r, model.B[0], out=tmp)
    sigma_alpha_backward_into(tmp, g, alpha, g)  # g̃_L, over z_L
    for layer in range(depth - 1, -1, -1):  # layer = ℓ − 1: W_ℓ is w[layer]
        if layer > 0:  # g̃_{ℓ−1} with the old W_ℓ, into the buffer of z_{ℓ−1}
            torch.addmm(tmp, g, w[layer], beta=0, alpha=scale, out=tmp)
            nxt = pre[layer - 1]
            sigma_alpha_backward_into(tmp, nxt, alpha, nxt)
        if eta is None:
            torch.addmm(grad[layer], g.T, hid[layer], beta=0, alpha=gscale, out=grad[layer])
        else:
            w[layer].addmm_(g.T, hid[layer], alpha=-eta * gscale)
        if layer > 0:
            g = pre[layer - 1]
    return grad


def loss_and_grad(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, work: Workspace | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(F(W), ∂F/∂W) in closed form; agrees with autograd to rounding."""
    _check(model, x, y)
    hid, pre, tmp, r, loss = _forward(model, x, y, work or Workspace())
    return loss, _backward(model, hid, pre, tmp, r, None)


def gd_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eta: float,
            work: Workspace | None = None) -> torch.Tensor:
    """One GD step W ← W − η∇F(W) in place; returns F(W) before the step (a 0-dim device tensor)."""
    _check(model, x, y)
    hid, pre, tmp, r, loss = _forward(model, x, y, work or Workspace())
    _backward(model, hid, pre, tmp, r, eta)
    return loss
