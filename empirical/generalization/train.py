"""Full-batch GD with train and test metrics recorded at every epoch (generalisation experiments).

One epoch of full-batch GD is one step W ← W − η∇F(W) on the training objective F (squared or logistic,
summed over samples by default, docs/theory/README.md N6). At every epoch k = 0..K (k = 0 is the initialisation) the trace
holds the mean train/test loss, the train/test 0-1 error, the distance ‖W_k − W_0‖_F and the path length
η·Σ_{t<k}‖∇F(W_t)‖ (the radius τ_k of Cao & Gu's trajectory argument). Everything is written into
preallocated tensors on the device; the loop synchronises with the host only every ``check_every`` epochs to
stop on divergence (a non-finite loss, or one above ``blowup`` × the initial loss, at any epoch of the block),
which is reported (``diverged_at``) instead of raised.

:func:`symmetric_two_layer` builds the existing :class:`~empirical.two_layer.network.TwoLayerNet` with the doubling
trick (neuron 2k+1 copies neuron 2k with the opposite outer sign), so f ≡ 0 at initialisation — the u(0) ≈ 0
that ADHLW obtain with a small κ_init — while the Gram keeps its expectation H̃_α.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import solve_triangular
from torch import nn

from empirical.activations import leaky_relu
from empirical.eigen import lambda_max
from empirical.generalization.datasets import Split
from empirical.losses import get_loss, zero_one_error
from empirical.two_layer.network import TwoLayerNet
from empirical.validation import check_matrix, check_positive_float, check_positive_int, check_vector

__all__ = ["EpochTrace", "label_quadratic_form", "suggest_step", "symmetric_two_layer", "train_epochs"]


def symmetric_two_layer(d: int, m: int, alpha: float, seed: int, init_scale: float = 1.0,
                        dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> TwoLayerNet:
    """A first-layer-trained :class:`TwoLayerNet` (σ̃_α) whose output is exactly 0 at initialisation.

    Outer weights alternate +1, −1 and w_{2k+1}(0) = w_{2k}(0); ``m`` must be even. Each pair contributes
    σ̃(w·x) − σ̃(w·x) = 0, and its Gram contribution is twice that of one neuron, so E[H^(m)] = H̃_α still.
    """
    m = check_positive_int(m, "m", minimum=2)
    if m % 2:
        raise ValueError(f"m={m} must be even for the symmetric (doubling) initialisation")
    net = TwoLayerNet(d, m, leaky_relu(alpha), seed, outer="alternating", init_scale=init_scale, dtype=dtype,
                      device=device)
    with torch.no_grad():
        net.W[1::2] = net.W[0::2]
    return net


def suggest_step(model: TwoLayerNet, x: torch.Tensor, fraction: float = 1.0) -> float:
    """η = fraction/λ_max(H^(m)) from the network's own finite-width Gram at its current weights (float64).

    Linearised GD on the summed squared loss is stable for η < 2/λ_max; ``fraction = 1`` is half that limit.
    The logistic loss has curvature at most ¼ of the squared loss's, so the same η is stable for it too.
    """
    fraction = check_positive_float(fraction, "fraction")
    return fraction / lambda_max(model.gram(check_matrix(x, "X")))


@dataclass(frozen=True)
class EpochTrace:
    """Per-epoch record of :func:`train_epochs` (arrays of length epochs + 1; NaN after a divergence)."""

    train_loss: np.ndarray  # mean over training samples, on the labels trained on
    test_loss: np.ndarray  # mean over test samples (NaN between recorded epochs when test_every > 1)
    train_error: np.ndarray  # 0-1 error on the training labels
    test_error: np.ndarray  # 0-1 error on the test labels
    distance: np.ndarray  # ‖W_k − W_0‖_F over the trained parameters
    path_length: np.ndarray  # η·Σ_{t<k}‖∇F(W_t)‖
    eta: float
    loss: str
    diverged_at: int | None

    @property
    def epochs(self) -> int:
        return int(self.train_loss.size - 1)

    def gap(self, kind: str = "loss") -> np.ndarray:
        """Generalisation gap per epoch: test minus train (``kind`` = "loss" or "error")."""
        if kind == "loss":
            return self.test_loss - self.train_loss
        if kind == "error":
            return self.test_error - self.train_error
        raise ValueError(f"unknown gap kind {kind!r}; use 'loss' or 'error'")


def train_epochs(model: nn.Module, split: Split, eta: float, epochs: int, loss: str = "squared",
                 reduction: str = "sum", params: Iterable[nn.Parameter] | None = None,
                 device: torch.device | str | None = None, test_every: int = 1, check_every: int = 50,
                 blowup: float = 1e6) -> EpochTrace:
    """Run ``epochs`` full-batch GD steps of size ``eta`` on ``split``'s training set, recording every epoch.

    ``loss`` is "squared" or "logistic"; the objective uses ``reduction`` ("sum" by default, docs/theory/README.md N6) while
    the recorded losses are always per-sample means, so train and test values are comparable. Test metrics are
    recorded every ``test_every`` epochs and at the last one (NaN in between), to save test-set passes.
    """
    eta = check_positive_float(eta, "eta")
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    check_every = check_positive_int(check_every, "check_every")
    test_every = check_positive_int(test_every, "test_every")
    loss_fn = get_loss(loss)
    dev = device if device is not None else next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    x = check_matrix(split.x_train, "x_train").to(device=dev, dtype=dtype)
    y = check_vector(split.y_train, "y_train", length=x.shape[0]).to(device=dev, dtype=dtype)
    xt = check_matrix(split.x_test, "x_test", cols=x.shape[1]).to(device=dev, dtype=dtype)
    yt = check_vector(split.y_test, "y_test", length=xt.shape[0]).to(device=dev, dtype=dtype)
    trained = [p for p in (params if params is not None else model.parameters()) if p.requires_grad]
    if not trained:
        raise ValueError("no trainable parameters")
    start = [p.detach().clone() for p in trained]
    rec = torch.full((6, epochs + 1), float("nan"), dtype=torch.float64, device=dev)
    path = torch.zeros((), dtype=torch.float64, device=dev)
    scale = 1.0 if reduction == "mean" else 1.0 / x.shape[0]
    diverged_at: int | None = None
    loss0: float | None = None
    last_check = 0
    for k in range(epochs + 1):
        out = model(x)
        objective = loss_fn(out, y, reduction)
        with torch.no_grad():
            rec[0, k] = objective.detach() * scale
            rec[2, k] = zero_one_error(out.detach(), y)
            if k % test_every == 0 or k == epochs:
                out_t = model(xt)
                rec[1, k] = loss_fn(out_t, yt, "mean")
                rec[3, k] = zero_one_error(out_t, yt)
            rec[4, k] = torch.sqrt(sum(torch.sum((p.detach() - s) ** 2) for p, s in zip(trained, start, strict=True)))
            rec[5, k] = path
        if k % check_every == 0 or k == epochs:
            # one host transfer per block: every epoch since the last check is inspected, so a loss that blew
            # up and came back (e.g. all ReLUs died) is still reported
            block = rec[0, last_check:k + 1].cpu().numpy()
            loss0 = float(block[0]) if loss0 is None else loss0
            bad = np.flatnonzero(~np.isfinite(block) | (block > blowup * max(loss0, 1e-300)))
            if bad.size:
                diverged_at = last_check + int(bad[0])
                rec[:, diverged_at:] = float("nan")
                break
            last_check = k + 1
        if k == epochs:
            break
        grads = torch.autograd.grad(objective, trained)
        with torch.no_grad():
            path += eta * torch.sqrt(sum(torch.sum(g.double() ** 2) for g in grads))
            for p, g in zip(trained, grads, strict=True):
                p.sub_(eta * g)
    arr = rec.cpu().numpy()
    return EpochTrace(train_loss=arr[0], test_loss=arr[1], train_error=arr[2], test_error=arr[3], distance=arr[4],
                      path_length=arr[5], eta=eta, loss=loss, diverged_at=diverged_at)


def label_quadratic_form(gram: np.ndarray, y: np.ndarray) -> float:
    """yᵀH⁻¹y = ‖L⁻¹y‖² from the Cholesky factor H = LLᵀ and a triangular solve, in float64 (no inverse).

    Raises ``ValueError`` naming the problem when the Gram is not square, not symmetric, the shapes differ,
    or the Gram is numerically singular (the solve would return noise).
    """
    h = np.asarray(gram, dtype=np.float64)
    v = np.asarray(y, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] != h.shape[1]:
        raise ValueError(f"Gram must be a square matrix, got shape {h.shape}")
    if v.shape != (h.shape[0],):
        raise ValueError(f"y must have shape ({h.shape[0]},), got {v.shape}")
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(v))):
        raise ValueError("Gram and labels must be finite")
    asym = float(np.max(np.abs(h - h.T))) if h.size else 0.0
    if asym > 1e-8 * max(1.0, float(np.max(np.abs(h)))):
        raise ValueError(f"Gram is not symmetric (max |H − Hᵀ| = {asym:.3g})")
    h = (h + h.T) / 2
    try:
        chol = np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        raise ValueError("Gram is not positive definite: yᵀH⁻¹y is undefined") from None
    diag = np.diag(chol)
    if diag.min() <= 1e-7 * diag.max():  # condition number above ~1e14: the solve is noise
        raise ValueError(f"Gram is numerically singular (Cholesky pivot ratio {diag.min() / diag.max():.2e})")
    z = solve_triangular(chol, v, lower=True)  # yᵀH⁻¹y = ‖L⁻¹y‖² with H = LLᵀ: a solve, not an inverse
    return float(z @ z)
