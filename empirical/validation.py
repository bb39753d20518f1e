"""Input validation shared by every public function: clear errors that name the bad value."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch

__all__ = [
    "SEED_LIMIT",
    "check_alpha",
    "check_device",
    "check_dtype",
    "check_matrix",
    "check_positive_float",
    "check_positive_int",
    "check_same",
    "check_seed",
    "check_unit_norm",
    "check_vector",
]

#: seeds are integers in [0, 2⁶³): torch's generators, numpy and JSON int64 all hold them
SEED_LIMIT = 2**63


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """A finite real leaky-ReLU slope."""
    if isinstance(alpha, bool) or not isinstance(alpha, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {alpha!r} ({type(alpha).__name__})")
    value = float(alpha)
    if not math.isfinite(value):
        raise ValueError(f"{name}={alpha!r} is not finite")
    return value


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """An integer ≥ ``minimum`` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if int(value) < minimum:
        raise ValueError(f"{name}={value!r} must be ≥ {minimum}")
    return int(value)


def check_positive_float(value: Any, name: str, allow_zero: bool = False) -> float:
    """A finite real > 0 (or ≥ 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name}={value!r} must be a finite number {'≥' if allow_zero else '>'} 0")
    return v


def check_seed(seed: Any, name: str = "seed") -> int:
    """A non-negative integer seed below 2⁶³ (:data:`SEED_LIMIT`)."""
    value = check_positive_int(seed, name, minimum=0)
    if value >= SEED_LIMIT:
        raise ValueError(f"{name}={seed!r} must be < 2**63")
    return value


def check_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """A real floating torch dtype (float16/bfloat16/float32/float64); integer and complex dtypes are refused."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name} must be a torch dtype such as torch.float64, got {dtype!r}")
    if not dtype.is_floating_point:
        raise TypeError(f"{name}={dtype} must be a real floating dtype (e.g. torch.float64)")
    return dtype


def check_device(device: Any, name: str = "device") -> torch.device:
    """A device that exists here: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"auto"`` or a ``torch.device``."""
    from empirical.device import resolve_device

    try:
        return resolve_device(device)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None


def check_same(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """Two tensors that are used together must share dtype and device (named in the error)."""
    if a.dtype != b.dtype:
        raise TypeError(f"dtypes differ: {name_a} is {a.dtype}, {name_b} is {b.dtype}")
    if a.device != b.device:
        raise ValueError(f"devices differ: {name_a} is on {a.device}, {name_b} is on {b.device}")


def _as_tensor(x: Any, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
        return torch.from_numpy(np.ascontiguousarray(x))
    raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")


def check_matrix(x: Any, name: str = "X", rows: int | None = None, cols: int | None = None,
                 min_rows: int = 1) -> torch.Tensor:
    """A finite, real, floating 2-D tensor (numpy arrays are converted without copying)."""
    t = _as_tensor(x, name)
    if t.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be floating point, got dtype {t.dtype}")
    if rows is not None and t.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {tuple(t.shape)}")
    if cols is not None and t.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns, got shape {tuple(t.shape)}")
    if t.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains a non-finite value")
    return t


def check_vector(y: Any, name: str = "y", length: int | None = None) -> torch.Tensor:
    """A finite, real, floating 1-D tensor."""
    t = _as_tensor(y, name)
    if t.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be floating point, got dtype {t.dtype}")
    if length is not None and t.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got {t.shape[0]}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains a non-finite value")
    return t


def check_unit_norm(x: torch.Tensor, name: str = "X", tol: float = 1e-6) -> torch.Tensor:
    """Rows of ``x`` must have unit Euclidean norm (the theorems' data assumption)."""
    norms = torch.linalg.vector_norm(x.double(), dim=1)
    worst = int(torch.argmax((norms - 1).abs()))
    if abs(float(norms[worst]) - 1) > tol:
        raise ValueError(f"{name} rows must have unit norm; row {worst} has norm {float(norms[worst]):.6g}")
    return x
