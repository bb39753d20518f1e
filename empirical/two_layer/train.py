"""Full-batch gradient descent on the summed squared loss, recording the loss at every step.

L(W) = ½‖f(X) − y‖² (a *sum* over samples, as in DZPS/AZLS; docs/theory/README.md N6), W ← W − η∇L. Models with a
``loss_and_grad`` method (e.g. :class:`empirical.two_layer.network.TwoLayerNet`) use their closed-form gradient;
others use autograd. Losses are
written into a preallocated tensor on the device, so the loop never synchronises with the host
except every ``check_every`` steps to stop early on divergence (NaN/inf, or a loss that grew
by more than ``blowup`` over its initial value).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from empirical.validation import check_matrix, check_positive_float, check_positive_int, check_vector

__all__ = ["GDTrace", "gradient_descent"]


@dataclass(frozen=True)
class GDTrace:
    """Outcome of :func:`gradient_descent`.

    ``loss[t]`` is L(W(t)) for t = 0..steps (NaN after a divergence), ``diverged_at`` the first
    step whose loss was non-finite or exploded (None if none), ``weight_change`` the Frobenius
    distance ‖W(T) − W(0)‖ over the trained parameters.
    """

    loss: np.ndarray
    diverged_at: int | None
    weight_change: float

    @property
    def residual_norm(self) -> np.ndarray:
        """‖y − u(t)‖ = √(2 L(t))."""
        return np.sqrt(2.0 * self.loss)


def gradient_descent(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eta: float, steps: int,
                     params: Iterable[nn.Parameter] | None = None, check_every: int = 200,
                     blowup: float = 1e6) -> GDTrace:
    """Run ``steps`` full-batch GD steps of size ``eta`` on ½‖model(x) − y‖² (in place)."""
    x = check_matrix(x, "X")
    y = check_vector(y, "y", length=x.shape[0])
    eta = check_positive_float(eta, "eta")
    steps = check_positive_int(steps, "steps", minimum=0)
    check_every = check_positive_int(check_every, "check_every")
    trained = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    if not trained:
        raise ValueError("no trainable parameters")
    if x.dtype != trained[0].dtype or y.dtype != x.dtype:
        raise TypeError(f"dtypes differ: X is {x.dtype}, y is {y.dtype}, the model's parameters are {trained[0].dtype}")
    if x.device != trained[0].device:
        raise ValueError(f"X is on {x.device} but the model's parameters are on {trained[0].device}")
    start = [p.detach().clone() for p in trained]
    losses = torch.full((steps + 1,), float("nan"), dtype=torch.float64, device=x.device)
    diverged_at: int | None = None
    loss0: float | None = None
    last = 0
    closed_form = params is None and hasattr(model, "loss_and_grad") and len(trained) == 1
    for step in range(steps + 1):
        if closed_form:
            loss, grad = model.loss_and_grad(x, y)
            grads: tuple[torch.Tensor, ...] = (grad,)
        else:
            loss = 0.5 * torch.sum((model(x) - y) ** 2)
        losses[step] = loss.detach()
        if step % check_every == 0 or step == steps:
            if loss0 is None:
                loss0 = float(losses[0])
            limit = blowup * max(loss0, 1e-300)
            block = losses[last:step + 1]
            bad = ~torch.isfinite(block) | (block > limit)  # one reduction per block: no per-step sync
            if bool(bad.any()):
                diverged_at = last + int(torch.nonzero(bad)[0, 0])
                losses[diverged_at:] = float("nan")
                break
            last = step + 1
        if step == steps:
            break
        if not closed_form:
            grads = torch.autograd.grad(loss, trained)
        with torch.no_grad():
            for p, g in zip(trained, grads, strict=True):
                p.sub_(eta * g)
    change = float(torch.sqrt(sum(torch.sum((p.detach() - s) ** 2) for p, s in zip(trained, start, strict=True))))
    return GDTrace(loss=losses.cpu().numpy(), diverged_at=diverged_at, weight_change=change)
