"""Eigenvalues of symmetric Gram matrices, always in float64."""

from __future__ import annotations

import numpy as np
import torch

from empirical.validation import check_matrix

__all__ = ["eigh", "eigvalsh", "lambda_max", "lambda_min", "smallest_eigenvalues"]


def _sym64(h: torch.Tensor | np.ndarray) -> torch.Tensor:
    t = check_matrix(h, "H").double()
    if t.shape[0] != t.shape[1]:
        raise ValueError(f"H must be square, got shape {tuple(t.shape)}")
    return (t + t.T) / 2


def eigvalsh(h: torch.Tensor | np.ndarray) -> np.ndarray:
    """All eigenvalues (ascending) of the symmetrised float64 matrix."""
    return torch.linalg.eigvalsh(_sym64(h)).cpu().numpy()


def eigh(h: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns), float64."""
    vals, vecs = torch.linalg.eigh(_sym64(h))
    return vals.cpu().numpy(), vecs.cpu().numpy()


def lambda_min(h: torch.Tensor | np.ndarray) -> float:
    """Smallest eigenvalue, float64."""
    return float(eigvalsh(h)[0])


def lambda_max(h: torch.Tensor | np.ndarray) -> float:
    """Largest eigenvalue, float64."""
    return float(eigvalsh(h)[-1])


def smallest_eigenvalues(h: torch.Tensor | np.ndarray, k: int = 1, tol: float = 1e-11,
                         dense_below: int = 1500) -> np.ndarray:
    """The k smallest eigenvalues (ascending) of a symmetric positive-semidefinite Gram, float64.

    For n ≥ ``dense_below``: Cholesky factorisation H = LLᵀ (n³/3 flops) and Lanczos on H⁻¹
    (``scipy.sparse.linalg.eigsh``, each step two triangular solves, 2n² flops): the largest
    eigenvalues of H⁻¹ are the reciprocals of the smallest of H, and they are well separated, so
    Lanczos converges in a few dozen steps. A full ``eigvalsh`` costs several n³. If H is not
    numerically positive definite (Cholesky fails), falls back to ``eigvalsh``. Small n use
    ``eigvalsh`` directly, and so does a matrix on a GPU: there the dense solver (cuSOLVER) was
    measured 4× *faster* than this CPU-bound Lanczos at n = 5000 on an H200 (benchmarks/README.md).
    """
    from scipy.linalg import solve_triangular
    from scipy.sparse.linalg import LinearOperator, eigsh

    t = _sym64(h)
    n = t.shape[0]
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < 1:
        raise ValueError(f"tol={tol!r} must be a number in [0, 1)")
    if isinstance(dense_below, bool) or not isinstance(dense_below, int) or dense_below < 1:
        raise ValueError(f"dense_below={dense_below!r} must be an integer ≥ 1")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k={k!r} must be an integer in [1, {n}]")
    if n < dense_below or k > n // 10 or t.device.type != "cpu":
        return torch.linalg.eigvalsh(t).cpu().numpy()[:k]
    chol, info = torch.linalg.cholesky_ex(t)
    if int(info) != 0:
        return torch.linalg.eigvalsh(t).cpu().numpy()[:k]
    lower = np.asfortranarray(chol.cpu().numpy())  # LAPACK's layout: the solves below copy nothing

    def solve(v: np.ndarray) -> np.ndarray:  # H⁻¹v = L⁻ᵀ(L⁻¹v): two triangular solves, 2n² flops
        y = solve_triangular(lower, v, lower=True, check_finite=False)
        return solve_triangular(lower, y, lower=True, trans="T", check_finite=False)

    op = LinearOperator((n, n), matvec=solve, matmat=solve, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(n)  # fixed start vector: deterministic results
    ncv = min(n, max(4 * k + 40, 64))  # a wide Krylov space: the top of H⁻¹ is often clustered
    mu = eigsh(op, k=k, which="LA", tol=tol, v0=v0, ncv=ncv, return_eigenvectors=False)
    return np.sort(1.0 / mu)
