"""Symmetric block products for Gram matrices: compute only the lower block triangle, then mirror.

A Gram AAᵀ (A: n×k) costs 2n²k flops as one GEMM; split the rows into b blocks and compute only the
blocks I ≥ J: b(b+1)/2 GEMMs of (n/b)²k each, i.e. a fraction (b+1)/(2b) of the flops (¾ for b = 2),
with no extra memory — the BLAS writes straight into strided views of the output. A Hadamard sum
Σ_ℓ (P_ℓP_ℓᵀ)⊙(Q_ℓQ_ℓᵀ) is then accumulated block by block in small buffers that stay in cache.
"""

from __future__ import annotations

import math

import torch

__all__ = ["default_block", "lower_block_pairs", "mirror_lower", "row_blocks"]


def row_blocks(n: int, block: int) -> list[slice]:
    """Consecutive row slices of length ``block`` (the last one shorter) covering range(n)."""
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise ValueError(f"block={block!r} must be an integer ≥ 1")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n={n!r} must be a non-negative integer")
    return [slice(s, min(s + block, n)) for s in range(0, n, block)]


def lower_block_pairs(blocks: list[slice]) -> list[tuple[slice, slice]]:
    """The (I, J) pairs with J ≤ I, row-major: the lower block triangle."""
    return [(bi, bj) for i, bi in enumerate(blocks) for bj in blocks[:i + 1]]


def mirror_lower(out: torch.Tensor, blocks: list[slice]) -> torch.Tensor:
    """Make ``out`` (n×n, or a stack (..., n, n)) exactly symmetric from its lower block triangle, in place.

    Off-diagonal blocks are copied transposed; a diagonal block is replaced by (B + Bᵀ)/2, which
    removes the last-bit asymmetry a GEMM may leave in a square product.
    """
    for i, bi in enumerate(blocks):
        for bj in blocks[:i]:
            out[..., bj, bi].copy_(out[..., bi, bj].transpose(-1, -2))
        diag = out[..., bi, bi]
        diag.copy_((diag + diag.transpose(-1, -2)).mul_(0.5))
    return out


def default_block(n: int, device: torch.device, target: int = 2048) -> int:
    """Rows per block for a Gram of n rows: two blocks for moderate n (¾ of the GEMM flops), blocks of
    about ``target`` rows for large n; one block below 128 rows on the CPU, and on a GPU below 4096 rows,
    where kernel-launch latency outweighs the saved flops."""
    small = 4096 if device.type == "cuda" else 128
    if n < small:
        return n
    if n <= 2 * target:
        return math.ceil(n / 2)
    return math.ceil(n / math.ceil(n / target))
