"""Full-batch GD and minibatch SGD on the summed squared loss, as in Allen-Zhu–Li–Song (ICML 2019).

F(W) = Σ_i ½‖f(x_i) − y_i‖² (a *sum*, docs/theory/README.md N6). GD: W ← W − η∇F. SGD with batch size b: draw
S ⊆ [n], |S| = b, uniformly without replacement, independently at every step, and step along the
AZLS direction (n/b)·Σ_{i∈S}∇F_i, an unbiased estimate of ∇F (docs/theory/convergence.md §3).

Only the parameters that require grad move (for :class:`empirical.deep.network.DeepLeakyNet`, W_1..W_L). A
model with a ``gd_step`` method (DeepLeakyNet with d_out = 1) takes its closed-form steps
(:mod:`empirical.deep.grad`: no autograd, the update written into W by the GEMMs); others use
autograd.
The whole-data loss F(W^(t)) is written into a preallocated device tensor every ``record_every``
steps; the loop talks to the host only every ``check_every`` steps, to stop on divergence (NaN/inf,
or a loss that grew ``blowup``-fold over F(W^(0))). The SGD batches are drawn up front from a seeded
CPU generator and moved to the device once, so the same seed gives the same batches on every device.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from empirical.data import generator
from empirical.validation import check_matrix, check_positive_float, check_positive_int, check_seed

__all__ = ["TrainTrace", "average_rate", "iterations_to", "late_rate", "train"]


@dataclass(frozen=True)
class TrainTrace:
    """Outcome of :func:`train`.

    ``steps[k]`` is the iteration at which ``loss[k]`` = F(W^(steps[k])) was recorded (step 0 is the
    initialisation; NaN after a divergence); ``diverged_at`` the first recorded step whose loss was
    non-finite or exploded (None if none); ``weight_change`` = ‖W(T) − W(0)‖_F over the trained
    parameters and ``weight_norm0`` = ‖W(0)‖_F; ``eta`` and ``batch`` as run (batch = n for GD).
    """

    steps: np.ndarray
    loss: np.ndarray
    diverged_at: int | None
    weight_change: float
    weight_norm0: float
    eta: float
    batch: int

    @property
    def relative_weight_change(self) -> float:
        """‖W(T) − W(0)‖_F/‖W(0)‖_F (how lazy the run was)."""
        return self.weight_change / self.weight_norm0 if self.weight_norm0 > 0 else float("nan")


def _check_labels(y: torch.Tensor, n: int) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or not y.is_floating_point():
        raise TypeError(f"y must be a floating-point torch.Tensor, got {type(y).__name__}")
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, d_out), got {tuple(y.shape)}")
    if not torch.isfinite(y).all():
        raise ValueError("y contains a non-finite value")
    return y


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eta: float, steps: int, batch: int | None = None,
          seed: int = 0, record_every: int = 1, check_every: int = 200, blowup: float = 1e6,
          params: Iterable[nn.Parameter] | None = None) -> TrainTrace:
    """Run ``steps`` GD (``batch`` None or n) or SGD (batch b < n) steps of size ``eta`` in place.

    Args:
        model: maps x (n, d) to (n,) or (n, d_out), matching ``y``.
        eta: step size, in the model's own parameterisation.
        batch: SGD batch size b (1 ≤ b ≤ n); the step is (n/b)·Σ_{i∈S}∇F_i.
        seed: seed of the SGD batch sequence (unused for GD).
        record_every: record F(W) every this many steps (and at the last step).
    """
    x = check_matrix(x, "X")
    n = x.shape[0]
    y = _check_labels(y, n)
    p0 = next(model.parameters())
    if x.dtype != p0.dtype or y.dtype != p0.dtype:
        raise TypeError(f"dtypes differ: X is {x.dtype}, y is {y.dtype}, the model's parameters are {p0.dtype}")
    eta = check_positive_float(eta, "eta")
    steps = check_positive_int(steps, "steps", minimum=0)
    b = n if batch is None else check_positive_int(batch, "batch")
    if b > n:
        raise ValueError(f"batch={batch} must be ≤ n={n}")
    record_every = check_positive_int(record_every, "record_every")
    check_every = check_positive_int(check_every, "check_every")
    trained = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    if not trained:
        raise ValueError("no trainable parameters")
    start = [p.detach().clone() for p in trained]
    rec = sorted(set(range(0, steps + 1, record_every)) | {steps})
    slot = {t: k for k, t in enumerate(rec)}
    losses = torch.full((len(rec),), float("nan"), dtype=torch.float64, device=x.device)
    sgd = b < n
    if sgd:
        order = torch.rand(max(steps, 1), n, generator=generator(check_seed(seed)), dtype=torch.float64)
        batches = order.argsort(dim=1)[:, :b].to(x.device)
    scale = n / b
    # closed-form steps (no autograd, the update written into W by the GEMM) when the model offers them
    closed_form = (params is None and hasattr(model, "gd_step") and getattr(model, "d_out", None) == 1
                   and y.ndim == 1 and len(trained) == 1 and x.dtype == y.dtype == trained[0].dtype)
    loss0: float | None = None
    diverged_at: int | None = None
    checked = 0  # slots [0, checked) were already checked for divergence
    next_check = 0
    for step in range(steps + 1):
        k = slot.get(step)
        check_now = k is not None and (step >= next_check or step == steps)
        stepped = False
        if not sgd:
            if closed_form and step < steps and not check_now:  # F(W^(t)), then the step, in one sweep
                loss, stepped = model.gd_step(x, y, eta), True
            else:  # on a check step the weights move only once the loss has passed the check
                with torch.set_grad_enabled(step < steps and not closed_form):
                    loss = 0.5 * torch.sum((model(x) - y) ** 2)
            if k is not None:
                losses[k] = loss.detach()
        elif k is not None:
            with torch.no_grad():
                losses[k] = 0.5 * torch.sum((model(x) - y) ** 2)
        if check_now:
            next_check = step + check_every
            block = losses[checked:k + 1].cpu()  # the loop's only host synchronisation
            if loss0 is None:
                loss0 = float(block[0])
            bad = ~torch.isfinite(block) | (block > blowup * max(loss0, 1e-300))
            if bool(bad.any()):
                first = checked + int(torch.nonzero(bad)[0])
                diverged_at = rec[first]
                losses[first:] = float("nan")
                break
            checked = k + 1
        if step == steps:
            break
        if closed_form:
            if sgd:
                idx = batches[step]
                model.gd_step(x[idx], y[idx], eta * scale)
            elif not stepped:
                model.gd_step(x, y, eta)
            continue
        if sgd:
            idx = batches[step]
            loss = 0.5 * torch.sum((model(x[idx]) - y[idx]) ** 2)
        grads = torch.autograd.grad(loss, trained)
        with torch.no_grad():
            for p, g in zip(trained, grads, strict=True):
                p.sub_((eta * scale) * g)
    change = float(torch.sqrt(sum(torch.sum((p.detach() - s) ** 2) for p, s in zip(trained, start, strict=True))))
    norm0 = float(torch.sqrt(sum(torch.sum(s**2) for s in start)))
    return TrainTrace(steps=np.asarray(rec), loss=losses.cpu().numpy(), diverged_at=diverged_at,
                      weight_change=change, weight_norm0=norm0, eta=eta, batch=b)


def _valid(trace: TrainTrace, floor: float) -> tuple[np.ndarray, np.ndarray]:
    t, f = trace.steps.astype(np.float64), trace.loss
    ok = np.isfinite(f) & (f > floor * f[0])
    # stop at the first point under the floor: beyond it, rounding dominates
    cut = int(np.argmin(ok)) if not ok.all() else ok.size
    return t[:cut], f[:cut]


def late_rate(trace: TrainTrace, fraction: float = 0.5, floor: float = 1e-24) -> float:
    """−(slope of log F per step) over the last ``fraction`` of the recorded points above ``floor``·F(0).

    For linear convergence F(t) ≈ C·q^t this is −log q > 0; NaN when fewer than 3 points remain.
    """
    t, f = _valid(trace, floor)
    k = max(round(t.size * (1 - fraction)), 0)
    t, f = t[k:], f[k:]
    if t.size < 3:
        return float("nan")
    return float(-np.polyfit(t, np.log(f), 1)[0])


def average_rate(trace: TrainTrace, floor: float = 1e-24) -> float:
    """log(F(0)/F(T'))/T' with T' the last recorded step above ``floor``·F(0): mean per-step log-decay."""
    t, f = _valid(trace, floor)
    if t.size < 2 or t[-1] <= 0:
        return float("nan")
    return float(np.log(f[0] / f[-1]) / t[-1])


def iterations_to(trace: TrainTrace, ratio: float) -> float:
    """First (log-linearly interpolated) iteration with F(t) ≤ ratio·F(0); NaN if never reached."""
    if not 0 < ratio < 1:
        raise ValueError(f"ratio={ratio!r} must lie in (0, 1)")
    t, f = trace.steps.astype(np.float64), trace.loss
    target = ratio * f[0]
    hit = np.flatnonzero(np.isfinite(f) & (f <= target))
    if hit.size == 0:
        return float("nan")
    k = int(hit[0])
    if k == 0:
        return 0.0
    lf0, lf1 = np.log(f[k - 1]), np.log(f[k])
    return float(t[k - 1] + (t[k] - t[k - 1]) * (lf0 - np.log(target)) / (lf0 - lf1))
