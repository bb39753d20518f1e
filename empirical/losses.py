"""Training losses and the 0-1 error, for scalar outputs f and labels y ∈ {±1}.

* squared: ½(f − y)² (DZPS/ADHLW/AZLS; docs/theory/README.md N6: summed over samples by default);
* logistic (binary cross-entropy on ±1 labels): log(1 + e^{−yf}) (Cao & Gu), computed as softplus(−yf) so it
  never overflows;
* zero-one: 1{yf < 0} + ½·1{f = 0} — a tie (e.g. the zero function of a symmetric initialisation) counts as a
  coin flip, so the error of f ≡ 0 is exactly ½.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["LOSSES", "get_loss", "logistic_loss", "squared_loss", "zero_one_error"]


def _check(out: torch.Tensor, y: torch.Tensor, reduction: str) -> None:
    if not isinstance(out, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"outputs and labels must be tensors, got {type(out).__name__} and {type(y).__name__}")
    if not out.is_floating_point() or not y.is_floating_point():
        raise TypeError(f"outputs and labels must be floating point, got {out.dtype} and {y.dtype}")
    if out.dtype != y.dtype:
        raise TypeError(f"dtypes differ: outputs are {out.dtype}, labels are {y.dtype}")
    if out.device != y.device:
        raise ValueError(f"devices differ: outputs are on {out.device}, labels on {y.device}")
    if out.shape != y.shape or out.ndim != 1:
        raise ValueError(f"outputs and labels must be 1-D of the same shape, got {tuple(out.shape)} and "
                         f"{tuple(y.shape)}")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"unknown reduction {reduction!r}; use 'sum' or 'mean'")


def squared_loss(out: torch.Tensor, y: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """Σ_i ½(f_i − y_i)² (``reduction="mean"``: divided by n)."""
    _check(out, y, reduction)
    per = 0.5 * (out - y) ** 2
    return per.sum() if reduction == "sum" else per.mean()


def logistic_loss(out: torch.Tensor, y: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """Σ_i log(1 + exp(−y_i f_i)) (``reduction="mean"``: divided by n)."""
    _check(out, y, reduction)
    per = torch.nn.functional.softplus(-y * out)
    return per.sum() if reduction == "sum" else per.mean()


def zero_one_error(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean of 1{y·f < 0} + ½·1{f = 0} (a 0-dim tensor on the outputs' device, no host synchronisation)."""
    _check(out, y, "mean")
    margin = y * out
    return ((margin < 0).to(out.dtype) + 0.5 * (out == 0).to(out.dtype)).mean()


LOSSES: dict[str, Callable[..., torch.Tensor]] = {"squared": squared_loss, "logistic": logistic_loss}


def get_loss(name: str) -> Callable[..., torch.Tensor]:
    """The loss called ``name`` (``squared`` or ``logistic``)."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
    return LOSSES[name]
