"""Data *outside* the Allen-Zhu–Li–Song assumptions, for findings about the theorems' reach.

AZLS/GLL assume unit-norm inputs whose last coordinate is 1/√2 (:func:`empirical.data.sphere_with_bias`),
so that ρ_ij ∈ [0, 1] and no two inputs are near-antipodal (docs/theory/kernels.md §8). Without
that coordinate, pairs x, x' with x' ≈ −x occur; for α = −1 the first layer |Ax| cannot tell
them apart, at any depth (docs/theory/gram-eigenvalues.md §7). :func:`near_antipodal_sphere` plants such pairs.
"""

from __future__ import annotations

import torch

from empirical.data import generator
from empirical.validation import check_device, check_dtype, check_positive_float, check_positive_int

__all__ = ["near_antipodal_sphere"]


def near_antipodal_sphere(n: int, d: int, seed: int, noise: float = 0.1, device: torch.device | str = "cpu",
                          dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n unit vectors in ℝ^d (no bias coordinate): n/2 uniform points z_k and partners (−z_k + noise·g_k)/‖·‖.

    Rows are interleaved (z_1, partner_1, z_2, partner_2, …); ``noise`` > 0 sets how close to −z_k the
    partner lies (‖x + x'‖ ≈ noise for small noise). n must be even.
    """
    n = check_positive_int(n, "n", minimum=2)
    if n % 2:
        raise ValueError(f"n={n} must be even (the points come in pairs)")
    d = check_positive_int(d, "d", minimum=2)
    noise = check_positive_float(noise, "noise")
    dtype, device = check_dtype(dtype), check_device(device)
    g = generator(seed)
    z = torch.randn(n // 2, d, generator=g, dtype=torch.float64)
    z = z / torch.linalg.vector_norm(z, dim=1, keepdim=True)
    p = -z + noise * torch.randn(n // 2, d, generator=g, dtype=torch.float64) / d**0.5
    p = p / torch.linalg.vector_norm(p, dim=1, keepdim=True)
    x = torch.stack([z, p], dim=1).reshape(n, d)
    return x.to(device=device, dtype=dtype)
