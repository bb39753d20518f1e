"""Fast empirical NTK of the trained matrices W_1..W_L of :class:`empirical.deep.network.DeepLeakyNet`.

The kernel (docs/theory/kernels.md §10, in the notation of :mod:`empirical.deep.ntk`) is

    Θ = Σ_{ℓ=1}^{L} c_W²·(δ_ℓδ_ℓᵀ) ⊙ (h_{ℓ−1}h_{ℓ−1}ᵀ),   δ_ℓ = ∂f/∂z_ℓ ∈ ℝ^{n×m},

and everything it needs comes from one forward and one backward sweep written out in closed form
(no autograd). With φ = a_φ·σ_α, h_ℓ = a_φ·h̃_ℓ where h̃_ℓ = σ_α(z_ℓ), and δ_ℓ = a_φ·c_out·δ̃_ℓ where

    δ̃_L = σ'_α(z_L) ⊙ B,   δ̃_{ℓ−1} = σ'_α(z_{ℓ−1}) ⊙ (c_W·a_φ·δ̃_ℓ W_ℓ),

so Θ = s·Σ_ℓ (δ̃_ℓδ̃_ℓᵀ) ⊙ (h̃_{ℓ−1}h̃_{ℓ−1}ᵀ) with the single constant s = (c_W·a_φ²·c_out)². Every
scale factor rides in a GEMM's α argument (free), each activation and its derivative is one fused
elementwise pass (``leaky_relu.out`` and ``leaky_relu_backward``), and the Gram is built from its
lower block triangle (:mod:`empirical.gram.blocks`): per block pair and layer two GEMMs and one
fused multiply-accumulate into the result. With ``block_rows`` the n×n result is filled block by
block, so the extra memory is the 2·L·n·m feature matrices plus two block² buffers; per-example
Jacobians (n·L·m² numbers) are never formed.

Flop count of one call (used by ``benchmarks/bench_ntk.py``): forward 2·n·d·m + 2·L·n·m², backward
2·(L−1)·n·m², contraction 2·L·n²·m (two symmetric n×n×m products per layer, counted as a SYRK's n²m
each).
"""

from __future__ import annotations

import torch

from empirical.activations import sigma_alpha_backward_into, sigma_alpha_into
from empirical.gram.blocks import default_block, lower_block_pairs, mirror_lower, row_blocks
from empirical.validation import check_matrix, check_positive_int

__all__ = ["deep_ntk_features", "deep_ntk_flops", "deep_ntk_gram"]



def _check_model(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = check_matrix(x, "X")
    if getattr(model, "d_out", None) != 1:
        raise ValueError(f"the deep NTK needs a scalar-output network (d_out=1), got d_out={model.d_out!r}")
    if x.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}), got {tuple(x.shape)}")
    return x


def deep_ntk_flops(n: int, m: int, depth: int, d: int) -> int:
    """Flops counted for one Gram: 2ndm + 2Lnm² (forward) + 2(L−1)nm² (backward) + 2Ln²m (contraction)."""
    return 2 * n * d * m + 2 * depth * n * m * m + 2 * (depth - 1) * n * m * m + 2 * depth * n * n * m


@torch.no_grad()
def deep_ntk_features(model: torch.nn.Module, x: torch.Tensor, dtype: torch.dtype = torch.float64,
                      block_rows: int | None = None) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(H̃, D̃, s): H̃[ℓ−1] = σ_α(z_{ℓ−1}) and D̃[ℓ−1] = δ̃_ℓ for ℓ = 1..L, two (L, n, m) tensors in
    ``dtype`` on the model's device, and s with Θ = s·Σ_ℓ (D̃[ℓ]D̃[ℓ]ᵀ) ⊙ (H̃[ℓ]H̃[ℓ]ᵀ).

    Rows are processed ``block_rows`` at a time (default: all), so temporaries stay O(block·m).
    """
    x = _check_model(model, x)
    dev = model.W.device
    x = x.to(device=dev, dtype=dtype)
    n, depth, m, alpha = x.shape[0], model.depth, model.m, model.alpha
    a, w, b = model.A.to(dtype), model.W.detach().to(dtype), model.B.to(dtype)[0]
    scale = model.w_mult * model.act_scale  # c_W·a_φ: rides in the GEMMs' α
    hid = torch.empty(depth, n, m, dtype=dtype, device=dev)
    dlt = torch.empty(depth, n, m, dtype=dtype, device=dev)
    chunk = n if block_rows is None else check_positive_int(block_rows, "block_rows")
    tmp = torch.empty(min(chunk, n), m, dtype=dtype, device=dev)
    for rows in row_blocks(n, chunk):
        t = tmp[: rows.stop - rows.start]
        torch.mm(x[rows], a.T, out=t)  # z_0
        sigma_alpha_into(t, alpha, hid[0, rows])  # h̃_0
        for layer in range(depth):  # z_{ℓ+1} = c_W·a_φ·h̃_ℓ W_{ℓ+1}ᵀ, stored where δ̃_{ℓ+1} will go
            z = dlt[layer, rows]
            torch.addmm(z, hid[layer, rows], w[layer].T, beta=0, alpha=scale, out=z)
            if layer + 1 < depth:
                sigma_alpha_into(z, alpha, hid[layer + 1, rows])
        top = dlt[depth - 1, rows]
        sigma_alpha_backward_into(b.expand_as(top), top, alpha, top)  # δ̃_L = σ'(z_L)⊙B
        for layer in range(depth - 1, 0, -1):  # δ̃_ℓ = σ'(z_ℓ) ⊙ (c_W·a_φ·δ̃_{ℓ+1} W_{ℓ+1})
            torch.addmm(t, dlt[layer, rows], w[layer], beta=0, alpha=scale, out=t)
            z = dlt[layer - 1, rows]
            sigma_alpha_backward_into(t, z, alpha, z)
    s = (model.w_mult * model.act_scale**2 * model.out_mult) ** 2
    return hid, dlt, s


@torch.no_grad()
def deep_ntk_gram(model: torch.nn.Module, x: torch.Tensor, per_layer: bool = False,
                  block_rows: int | None = None, dtype: torch.dtype = torch.float64,
                  out: torch.Tensor | None = None) -> torch.Tensor:
    """Finite-width NTK of ``model``'s W_1..W_L at its current weights (n×n, or (L, n, n) with ``per_layer``).

    ``block_rows``: rows per block of the symmetric block product (default: two blocks for moderate n,
    ~2048-row blocks for large n; see :func:`empirical.gram.blocks.default_block`). ``out``: an optional
    preallocated result of the right shape and dtype. The result is exactly symmetric.
    """
    x = _check_model(model, x)
    n, depth = x.shape[0], model.depth
    dev = model.W.device
    block = default_block(n, dev) if block_rows is None else check_positive_int(block_rows, "block_rows")
    hid, dlt, s = deep_ntk_features(model, x, dtype=dtype, block_rows=block)
    shape = (depth, n, n) if per_layer else (n, n)
    if out is None:
        out = torch.empty(shape, dtype=dtype, device=dev)
    elif tuple(out.shape) != shape or out.dtype != dtype or out.device != dev:
        raise ValueError(f"out must be a {dtype} tensor of shape {shape} on {dev}, got {out.dtype} {tuple(out.shape)} "
                         f"on {out.device}")
    blocks = row_blocks(n, block)
    size = blocks[0].stop
    pbuf = torch.empty(size * size, dtype=dtype, device=dev)
    qbuf = torch.empty_like(pbuf)
    for bi, bj in lower_block_pairs(blocks):
        shape = (bi.stop - bi.start, bj.stop - bj.start)
        p, q = pbuf[: shape[0] * shape[1]].view(shape), qbuf[: shape[0] * shape[1]].view(shape)
        for layer in range(depth):
            torch.addmm(p, dlt[layer, bi], dlt[layer, bj].T, beta=0, alpha=s, out=p)
            torch.mm(hid[layer, bi], hid[layer, bj].T, out=q)
            if per_layer:
                torch.mul(p, q, out=out[layer, bi, bj])
            elif layer == 0:
                torch.mul(p, q, out=out[bi, bj])
            else:
                out[bi, bj].addcmul_(p, q)
    return mirror_lower(out, blocks)
