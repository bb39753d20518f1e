"""Eigenvalues of symmetric Gram matrices, always in float64."""

from __future__ import annotations

import numpy as np
import torch

from .validation import check_matrix

__all__ = ["eigh", "eigvalsh", "lambda_max", "lambda_min"]


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
