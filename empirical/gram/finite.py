"""Finite-width Gram (empirical NTK) matrices.

* :func:`two_layer_gram` – closed form for the first-layer-trained two-layer net:
  H^(m) = G ⊙ (DDᵀ)/m, D_ir = c_φ φ'(w_rᵀx_i), a_r² = 1 (docs/theory/kernels.md §10).
* :func:`ntk_gram_func` – the generic path for any ``nn.Module`` with scalar output: per-example
  Jacobians by ``torch.func`` (vmap ∘ jacrev), contracted as Σ_params J Jᵀ, in chunks of rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from empirical.activations import Activation
from empirical.validation import check_matrix, check_positive_int, check_same

__all__ = ["ntk_gram_func", "two_layer_gram"]


def two_layer_gram(x: torch.Tensor, w: torch.Tensor, act: Activation) -> torch.Tensor:
    """H^(m) = (XXᵀ) ⊙ (DDᵀ)/m with D = c_φ φ'(XWᵀ), in float64 (W: m × d)."""
    if not isinstance(act, Activation):
        raise TypeError(f"act must be an Activation, got {type(act).__name__}")
    x = check_matrix(x, "X")
    w = check_matrix(w, "W", cols=x.shape[1])
    if x.device != w.device:
        raise ValueError(f"devices differ: X is on {x.device}, W is on {w.device}")
    x, w = x.double(), w.double()
    dmat = act.derivative(x @ w.T)
    return (x @ x.T) * (dmat @ dmat.T) / w.shape[0]


def ntk_gram_func(model: nn.Module, x: torch.Tensor, params: Iterable[str] | None = None,
                  chunk: int = 64) -> torch.Tensor:
    """Empirical NTK Θ_ij = Σ_p ⟨∂f(x_i)/∂p, ∂f(x_j)/∂p⟩ over the named parameters ``params``
    (default: every parameter that requires grad), in the model's dtype; f must return (n,) or (n, 1).
    """
    from torch.func import functional_call, jacrev, vmap

    x = check_matrix(x, "X")
    chunk = check_positive_int(chunk, "chunk")
    all_params = dict(model.named_parameters())
    names = [k for k, v in all_params.items() if v.requires_grad] if params is None else list(params)
    unknown = [k for k in names if k not in all_params]
    if unknown:
        raise ValueError(f"model has no parameter(s) {unknown}; it has {sorted(all_params)}")
    if not names:
        raise ValueError("no trainable parameters selected")
    train = {k: all_params[k].detach() for k in names}
    check_same("X", x, f"parameter {names[0]!r}", train[names[0]])
    frozen = {k: v.detach() for k, v in all_params.items() if k not in train}
    buffers = dict(model.named_buffers())

    def f_single(p: dict[str, torch.Tensor], xi: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, ({**frozen, **p}, buffers), (xi.unsqueeze(0),))
        return out.reshape(())

    jac_fn = vmap(jacrev(f_single), in_dims=(None, 0))
    jacs = []
    for start in range(0, x.shape[0], chunk):
        jac = jac_fn(train, x[start:start + chunk])
        jacs.append(torch.cat([jac[k].reshape(jac[k].shape[0], -1) for k in names], dim=1))
    jmat = torch.cat(jacs, dim=0)
    return jmat @ jmat.T
