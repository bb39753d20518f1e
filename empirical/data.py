"""Data generators for the theorems' settings, and measured separation.

* :func:`sphere` – uniform on S^{d−1} (normalised Gaussians).
* :func:`sphere_with_bias` – AZLS/GLL data x = (z/√2, 1/√2), z uniform on S^{d−2}, so that
  ρ_ij ∈ [0, 1] and no two inputs are near-antipodal (docs/theory/README.md N4, docs/theory/kernels.md §8).
* :func:`subspace_sphere` – unit vectors spanning a random d_sub-dimensional subspace of ℝ^d
  (the low-dimensional data of Panigrahi–Shetty–Goyal), optionally evenly spread.
* :func:`separation` – δ_AZ = min ‖x_i − x_j‖ or δ_PSG = min min(‖x_i − x_j‖, ‖x_i + x_j‖).

Every generator takes an explicit ``seed`` and draws on the CPU in float64 so that the same seed
gives the same data on every device; the result is then moved to ``device``.
"""

from __future__ import annotations

import math

import torch

from empirical.validation import (
    check_device,
    check_dtype,
    check_matrix,
    check_positive_int,
    check_seed,
    check_unit_norm,
)

__all__ = ["generator", "labels", "min_angle", "separation", "sphere", "sphere_with_bias", "subspace_sphere"]


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (an integer in [0, 2⁶³))."""
    return torch.Generator(device="cpu").manual_seed(check_seed(seed))


def _placed(x: torch.Tensor, device: torch.device | str, dtype: torch.dtype) -> torch.Tensor:
    """``x`` (float64, CPU) on the validated device and floating dtype."""
    return x.to(device=check_device(device), dtype=check_dtype(dtype))


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return x / torch.linalg.vector_norm(x, dim=1, keepdim=True)


def sphere(n: int, d: int, seed: int, device: torch.device | str = "cpu",
           dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n points uniform on the unit sphere S^{d−1} ⊂ ℝ^d."""
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d", minimum=2)
    check_device(device)
    check_dtype(dtype)
    x = _normalise(torch.randn(n, d, generator=generator(seed), dtype=torch.float64))
    return _placed(x, device, dtype)


def sphere_with_bias(n: int, d: int, seed: int, device: torch.device | str = "cpu",
                     dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n points x = (z/√2, 1/√2) ∈ ℝ^d with z uniform on S^{d−2} (AZLS's bias coordinate)."""
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d", minimum=3)
    check_device(device)
    check_dtype(dtype)
    z = _normalise(torch.randn(n, d - 1, generator=generator(seed), dtype=torch.float64))
    x = torch.cat([z / math.sqrt(2), torch.full((n, 1), 1 / math.sqrt(2), dtype=torch.float64)], dim=1)
    return _placed(x, device, dtype)


def subspace_sphere(n: int, d: int, d_sub: int, seed: int, spread: str = "random",
                    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n unit vectors in a random d_sub-dimensional subspace of ℝ^d.

    ``spread="random"`` draws them uniformly on that subspace's sphere; ``spread="even"`` (only
    d_sub = 2) places them at evenly spaced angles with a random phase, so that the separation is
    the best possible (2π/n up to sign) and only the *dimension* limits λ_min.
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d", minimum=2)
    d_sub = check_positive_int(d_sub, "d_sub")
    if d_sub > d:
        raise ValueError(f"d_sub={d_sub} must be ≤ d={d}")
    check_device(device)
    check_dtype(dtype)
    g = generator(seed)
    basis, _ = torch.linalg.qr(torch.randn(d, d_sub, generator=g, dtype=torch.float64))
    if spread == "random":
        coords = _normalise(torch.randn(n, d_sub, generator=g, dtype=torch.float64))
    elif spread == "even":
        if d_sub != 2:
            raise ValueError(f"spread='even' needs d_sub=2, got d_sub={d_sub}")
        phase = float(torch.rand(1, generator=g, dtype=torch.float64)) * math.pi / n
        ang = phase + math.pi * torch.arange(n, dtype=torch.float64) / n  # half circle: no ±x pairs
        coords = torch.stack([torch.cos(ang), torch.sin(ang)], dim=1)
    else:
        raise ValueError(f"unknown spread {spread!r}; use 'random' or 'even'")
    return _placed(coords @ basis.T, device, dtype)


def separation(x: torch.Tensor, kind: str = "psg") -> float:
    """δ_AZ = min_{i≠j} ‖x_i − x_j‖ (``kind="az"``) or δ_PSG = min_{i≠j} min(‖x_i − x_j‖, ‖x_i + x_j‖).

    Rows must have unit norm. Computed from the Gram matrix in float64: ‖x_i ∓ x_j‖² = 2 ∓ 2ρ_ij.
    """
    if kind not in ("az", "psg"):
        raise ValueError(f"unknown separation kind {kind!r}; use 'az' or 'psg'")
    x = check_unit_norm(check_matrix(x, "X", min_rows=2))
    g = (x.double() @ x.double().T).clamp(-1.0, 1.0)
    g.fill_diagonal_(-math.inf if kind == "az" else 0.0)
    rho_max = float(g.max()) if kind == "az" else float(g.abs().max())
    return math.sqrt(max(2.0 - 2.0 * rho_max, 0.0))


def min_angle(x: torch.Tensor) -> float:
    """θ_min = min_{i≠j} arccos ρ_ij (radians) of unit-norm rows."""
    delta_az = separation(x, "az")
    return 2.0 * math.asin(min(delta_az / 2.0, 1.0))


def labels(x: torch.Tensor, seed: int, kind: str = "teacher") -> torch.Tensor:
    """Scalar labels with |y_i| ≤ 1 (DZPS's bounded labels).

    ``teacher``: y = sign-like smooth teacher tanh(3·⟨v, x⟩) with a random unit v;
    ``random``: i.i.d. uniform signs ±1.
    """
    x = check_matrix(x, "X")
    if kind not in ("teacher", "random"):
        raise ValueError(f"unknown label kind {kind!r}; use 'teacher' or 'random'")
    g = generator((check_seed(seed) + 7919) % 2**63)  # an offset: labels and data of one seed are independent
    n, d = x.shape
    if kind == "teacher":
        v = _normalise(torch.randn(1, d, generator=g, dtype=torch.float64))[0]
        y = torch.tanh(3.0 * (x.double().cpu() @ v))
    elif kind == "random":
        y = torch.randint(0, 2, (n,), generator=g).double() * 2 - 1
    else:
        raise ValueError(f"unknown label kind {kind!r}; use 'teacher' or 'random'")
    return y.to(device=x.device, dtype=x.dtype)
