"""Experiment runners of the generalisation checks (measurement only: no bound is used here).

* :func:`build_split` / :func:`noisy_labels` — the dataset of a unit and its exact-count label noise;
* the label-noise experiment (ADHLW §5), in three kinds of unit, each cached in-process so that two checks share
  it: :func:`noise_data` — the inputs and noisy labels of a (dataset, seed); :func:`noise_gram` — the label
  quadratic form yᵀH_M⁻¹y of the network's own finite-width Gram at widths M and M/2 and the t → ∞ lazy network of
  a (dataset, α, seed); :func:`noise_train` — first-layer GD on the squared loss of one (dataset, α, p, seed), with
  clean/noisy test 0-1 error;
* :func:`gap_epochs_run` — logistic-loss GD with the per-epoch generalisation gap (Cao & Gu's setting);
* :func:`alpha_order_run` — squared-loss GD for several α with one step size and the test error per epoch.

Every run trains :func:`empirical.generalization.train.symmetric_two_layer` (f ≡ 0 at the start) with
η = 1/λ_max of the network's own Gram at initialisation (:func:`~empirical.generalization.train.suggest_step`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from empirical.activations import leaky_relu
from empirical.data import generator, separation
from empirical.generalization.datasets import Split, flip_labels, nonlinear_label_fraction
from empirical.generalization.train import label_quadratic_form, suggest_step, symmetric_two_layer, train_epochs
from empirical.losses import zero_one_error

__all__ = ["alpha_order_run", "batched_alpha_gd", "batched_squared_gd", "build_split", "gap_epochs_run", "key",
           "lazy_interpolant", "nested_grams", "noise_data", "noise_gram", "noise_train", "noisy_labels"]


def key(value: float) -> str:
    """The JSON key of a noise level or α (``f"{value:g}"``)."""
    return f"{value:g}"


def build_split(spec: Mapping[str, Any], seed: int) -> Split:
    """The train/test split described by ``spec`` (any kind of the data registry :mod:`empirical.datasets`:
    "teacher", "digits" or "idx"); a missing IDX dataset raises :class:`empirical.datasets.DatasetUnavailable`."""
    from empirical.datasets import load_split

    return load_split(spec, seed)


def noisy_labels(split: Split, p: float, seed: int, salt: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and test labels with exactly ⌊p·n + ½⌋ flips each (independent seeded choices)."""
    base = 1_000_003 * seed + 7919 * salt + round(1000 * p)
    y_train, _ = flip_labels(split.y_train, p, base + 1)
    y_test, _ = flip_labels(split.y_test, p, base + 2)
    return y_train, y_test


@torch.no_grad()
def batched_squared_gd(net: Any, x: torch.Tensor, ys: torch.Tensor, eta: float, epochs: int,
                       blowup: float = 1e6) -> dict[str, Any]:
    """Full-batch GD on Σ_i ½(f(x_i) − y_i)² of the first layer of ``net`` (a TwoLayerNet) for P label sets at once.

    All P runs start from ``net``'s weights; f(x) = σ̃(Wx)·a/√m and ∂L/∂w_r = (a_r/√m)·Σ_i r_i·σ̃'(w_rᵀx_i)·x_i
    (the closed form of TwoLayerNet.loss_and_grad), so one (P, n, m) tensor program replaces P training loops.
    Returns the final weights (P, m, d), per-run final mean loss, training 0-1 error, distance ‖W − W_0‖_F and the
    first epoch at which a run's loss was non-finite or above ``blowup``·initial (None if never).
    """
    act, a = net.activation, net.a.to(x.dtype) / math.sqrt(net.m)
    w0 = net.W.detach().to(x.dtype)
    w = w0.expand(ys.shape[0], *w0.shape).clone()
    loss0 = None
    diverged: list[int | None] = [None] * ys.shape[0]
    for k in range(epochs + 1):
        z = x @ w.transpose(1, 2)
        r = act(z) @ a - ys
        loss = 0.5 * (r * r).sum(1)
        loss0 = loss if loss0 is None else loss0
        bad = ~torch.isfinite(loss) | (loss > blowup * torch.clamp(loss0, min=1e-300))
        for i in torch.nonzero(bad).flatten().tolist():
            diverged[i] = k if diverged[i] is None else diverged[i]
        if k == epochs:
            break
        grad = ((act.derivative(z) * r[..., None]) * a).transpose(1, 2) @ x
        w -= eta * grad
    out = act(x @ w.transpose(1, 2)) @ a
    return {"w": w, "train_loss": (loss / x.shape[0]).tolist(), "out_train": out,
            "train_error": [float(zero_one_error(out[i], ys[i])) for i in range(ys.shape[0])],
            "distance": torch.sqrt(((w - w0) ** 2).sum((1, 2))).tolist(), "diverged_at": diverged}


@torch.no_grad()
def batched_alpha_gd(nets: Mapping[float, Any], split: Split, eta: float, epochs: int, test_every: int,
                     blowup: float = 1e6) -> dict[float, dict[str, Any]]:
    """Full-batch GD on Σ_i ½(f(x_i) − y_i)² of the first layers of several TwoLayerNets (one per α) at once.

    σ̃_α(z) = s_α·(z if z > 0 else αz), s_α = √(2/(1+α²)) (empirical.activations.leaky_relu's scale), applied
    with a per-network α and s_α in one (A, n, m) tensor program; the gradient is TwoLayerNet.loss_and_grad's
    closed form. Per α: the mean training loss per epoch, the test 0-1 error every ``test_every`` epochs and at
    the last (NaN in between), and the first epoch whose loss is non-finite or above ``blowup``·initial.
    """
    alphas = list(nets)
    x, y = split.x_train.to(torch.float64), split.y_train.to(torch.float64)
    xt, yt = split.x_test.to(torch.float64), split.y_test.to(torch.float64)
    al = torch.tensor([nets[a].activation.alpha for a in alphas], dtype=torch.float64)[:, None, None]
    sc = torch.tensor([nets[a].activation.scale for a in alphas], dtype=torch.float64)[:, None, None]
    w = torch.stack([nets[a].W.detach().to(torch.float64) for a in alphas])
    outer = torch.stack([nets[a].a.to(torch.float64) / math.sqrt(nets[a].m) for a in alphas])[:, :, None]
    train_loss = torch.full((len(alphas), epochs + 1), math.nan, dtype=torch.float64)
    test_error = torch.full((len(alphas), epochs + 1), math.nan, dtype=torch.float64)
    for k in range(epochs + 1):
        z = x @ w.transpose(1, 2)
        r = (sc * torch.where(z > 0, z, al * z)) @ outer
        r = r[..., 0] - y
        train_loss[:, k] = 0.5 * (r * r).mean(1)
        if k % test_every == 0 or k == epochs:
            zt = xt @ w.transpose(1, 2)
            ft = ((sc * torch.where(zt > 0, zt, al * zt)) @ outer)[..., 0]
            test_error[:, k] = torch.tensor([float(zero_one_error(ft[i], yt)) for i in range(len(alphas))])
        if k == epochs:
            break
        grad = ((sc * torch.where(z > 0, 1.0, al)) * r[..., None] * outer.transpose(1, 2)).transpose(1, 2) @ x
        w -= eta * grad
    out = {}
    for i, a in enumerate(alphas):
        tl = train_loss[i].numpy()
        bad = np.flatnonzero(~np.isfinite(tl) | (tl > blowup * max(tl[0], 1e-300)))
        out[a] = {"train_loss": tl, "test_error": test_error[i].numpy(),
                  "diverged_at": int(bad[0]) if bad.size else None}
    return out


def nested_grams(x: torch.Tensor, w: torch.Tensor, act: Any) -> tuple[np.ndarray, np.ndarray]:
    """H_M and H_{M/2} of empirical.gram.two_layer_gram for the rows of ``w`` and its first M/2 rows, sharing
    D = σ̃'(XWᵀ): H_{M/2} = (XXᵀ)⊙(D₁D₁ᵀ)/(M/2), H_M = (XXᵀ)⊙(D₁D₁ᵀ + D₂D₂ᵀ)/M (float64; one pass of σ̃')."""
    h = w.shape[0] // 2
    dmat = act.derivative(x @ w.T)
    g = x @ x.T
    first, rest = dmat[:, :h] @ dmat[:, :h].T, dmat[:, h:] @ dmat[:, h:].T
    return (g * (first + rest) / w.shape[0]).cpu().numpy(), (g * first / h).cpu().numpy()


def lazy_interpolant(x_train: torch.Tensor, x_test: torch.Tensor, w: torch.Tensor, act: Any,
                     labels: Mapping[str, Any], test_labels: Mapping[str, torch.Tensor], y_test_clean: torch.Tensor
                     ) -> dict[str, dict[str, float]]:
    """The fully trained lazy network of width M = rows of ``w``: f_∞(x) = H_M(x, X)·H_M(X, X)⁻¹y.

    GD on the squared loss from f_0 ≡ 0 (symmetric initialisation) in the linearised (kernel) regime converges to
    this interpolant of the first-layer tangent kernel H_M(x, x') = xᵀx'·(1/M)Σ_r σ̃'(w_rᵀx)σ̃'(w_rᵀx') (ADHLW's
    t → ∞ network, docs/theory/generalization.md §2). Per label set: noisy and clean test 0-1 error and the relative
    training residual ‖H_M c − y‖/‖y‖ (≈ 0: zero training loss).
    """
    from scipy.linalg import cho_factor, cho_solve

    d_tr = act.derivative(x_train @ w.T)
    d_te = act.derivative(x_test @ w.T)
    h = ((x_train @ x_train.T) * (d_tr @ d_tr.T) / w.shape[0]).cpu().numpy()
    h = (h + h.T) / 2
    cross = ((x_test @ x_train.T) * (d_te @ d_tr.T) / w.shape[0]).cpu().numpy()
    factor = cho_factor(h)
    y_clean = y_test_clean.cpu().numpy()
    out = {}
    for k, y in labels.items():
        yv = np.asarray(y, dtype=np.float64)
        c = cho_solve(factor, yv)
        f = cross @ c
        pred = np.where(f > 0, 1.0, -1.0)
        out[k] = {"test_error_noisy": float(np.mean(pred != test_labels[k].cpu().numpy())),
                  "test_error_clean": float(np.mean(pred != y_clean)),
                  "train_residual": float(np.linalg.norm(h @ c - yv) / np.linalg.norm(yv))}
    return out


def _noise_split(u: Mapping[str, Any]) -> tuple[Split, dict[str, list[float]], dict[str, torch.Tensor]]:
    """The split of a label-noise unit and its noisy training labels (lists) and test labels, keyed by p.

    The flips of level p are seeded by (seed, position of p in ``u["noise"]``, p) (:func:`noisy_labels`), the same
    seeds for the data, Gram and training units of that (dataset, seed)."""
    split = build_split(u["spec"], u["seed"])
    labels: dict[str, list[float]] = {}
    tests: dict[str, torch.Tensor] = {}
    for i, p in enumerate(u["noise"]):
        y_tr, y_te = noisy_labels(split, p, u["seed"], i)
        labels[key(p)], tests[key(p)] = y_tr.tolist(), y_te
    return split, labels, tests


@lru_cache(maxsize=64)  # each holds the training inputs (≈ 0.4 MB of JSON in the full profile)
def noise_data(blob: str, device: str) -> str:
    """The data of one (dataset, seed) of the label-noise experiment (ADHLW §5): training inputs, the noisy
    training labels of every level p, sizes and the labels' share in ker Xᵀ (JSON in, JSON out; cached in-process
    so that two checks share it). ``blob`` holds spec, seed, noise; ``device`` is unused (CPU work)."""
    u = json.loads(blob)
    split, labels, _ = _noise_split(u)
    x = split.x_train
    return json.dumps({
        "x_train": x.tolist(), "labels": labels, "n_train": split.n_train, "n_test": split.n_test, "d": split.d,
        "nonlinear_fraction": {k: nonlinear_label_fraction(x, torch.tensor(v)) for k, v in labels.items()},
    })


@lru_cache(maxsize=1024)
def noise_gram(blob: str, device: str) -> str:
    """The finite-width Gram draws of one (dataset, α, seed): yᵀH_M⁻¹y and yᵀH_{M/2}⁻¹y of every level p and draw,
    and the t → ∞ lazy network of the first draw (JSON in, JSON out; cached in-process).

    ``blob`` holds spec, seed, noise, alpha, gram_width, gram_draws. Draw r is seeded by (seed, r) only, so every α
    sees the same draws; the work is float64 on the CPU whatever ``device`` is."""
    u = json.loads(blob)
    seed = u["seed"]
    split, labels, tests = _noise_split(u)
    x, d = split.x_train, split.d
    act = leaky_relu(u["alpha"])
    lazy: dict[str, dict[str, float]] = {}
    q_full: dict[str, list[float]] = {key(p): [] for p in u["noise"]}
    q_half: dict[str, list[float]] = {key(p): [] for p in u["noise"]}
    for r in range(u["gram_draws"]):
        w = torch.randn(u["gram_width"], d, generator=generator(7_919 * seed + 104_729 * (r + 1)), dtype=torch.float64)
        full, half = nested_grams(x, w, act)
        if r == 0:
            lazy = lazy_interpolant(x, split.x_test, w, act, labels, tests, split.y_test)
        for p in u["noise"]:
            y = np.asarray(labels[key(p)])
            q_full[key(p)].append(label_quadratic_form(full, y))
            q_half[key(p)].append(label_quadratic_form(half, y))
    return json.dumps({"q_width": q_full, "q_half_width": q_half, "lazy": lazy})


@lru_cache(maxsize=1024)
def noise_train(blob: str, device: str) -> str:
    """One training run of the label-noise experiment, (dataset, α, p, seed): first-layer GD on the squared loss
    for ``epochs`` from the symmetric initialisation of (α, seed), η = 1/λ_max of its Gram; training error and loss,
    clean and noisy test 0-1 error, ‖W − W_0‖_F, divergence (JSON in, JSON out; cached in-process).

    ``blob`` holds spec, seed, alpha, p, noise_index (the position of p in the profile's noise list, which seeds the
    label flips), width, epochs."""
    u = json.loads(blob)
    seed = u["seed"]
    dev = torch.device(device)
    split = build_split(u["spec"], seed)
    x = split.x_train
    y_tr, y_te = noisy_labels(split, u["p"], seed, u["noise_index"])
    net = symmetric_two_layer(split.d, u["width"], u["alpha"], seed, device=dev)
    eta = suggest_step(net, x.to(dev))
    ys = torch.tensor(y_tr.tolist(), dtype=torch.float64)[None].to(dev)
    gd = batched_squared_gd(net, x.to(dev), ys, eta, u["epochs"])
    out_test = net.activation(split.x_test.to(dev) @ gd["w"].transpose(1, 2)) @ (net.a.to(torch.float64) / math.sqrt(net.m))
    return json.dumps({
        "eta": eta, "train_error": gd["train_error"][0], "train_loss": gd["train_loss"][0],
        "test_error_clean": float(zero_one_error(out_test[0], split.y_test.to(dev))),
        "test_error_noisy": float(zero_one_error(out_test[0], y_te.to(dev))),
        "distance": gd["distance"][0], "diverged_at": gd["diverged_at"][0],
    })


def gap_epochs_run(p: Mapping[str, Any], seed: int, device: Any) -> dict[str, Any]:
    """Logistic-loss GD on ``p["dataset"]`` with label noise ``p["noise"]``; per-epoch losses and the gap."""
    split = build_split(p["dataset"], seed)
    y_tr, y_te = noisy_labels(split, p["noise"], seed, 0)
    noisy = split.with_labels(y_tr, y_te)
    net = symmetric_two_layer(split.d, p["width"], p["alpha"], seed, device=device)
    eta = suggest_step(net, split.x_train.to(device))
    trace = train_epochs(net, noisy, eta, p["epochs"], loss="logistic", device=device)
    return {"gap_loss": trace.gap("loss").tolist(), "gap_error": trace.gap("error").tolist(),
            "train_loss": trace.train_loss.tolist(), "test_loss": trace.test_loss.tolist(),
            "path_length": trace.path_length.tolist(), "distance": trace.distance.tolist(),
            "eta": eta, "diverged_at": trace.diverged_at, "n": split.n_train, "d": split.d,
            "delta": separation(split.x_train, "az")}


def alpha_order_run(p: Mapping[str, Any], seed: int, device: Any) -> dict[str, Any]:
    """Squared-loss GD at every α of ``p["alphas"]`` with one η = min_α 1/λ_max; test error per recorded epoch."""
    if p["early_epoch"] % p["test_every"]:
        raise ValueError(f"early_epoch={p['early_epoch']} must be a multiple of test_every={p['test_every']}")
    split = build_split(p["spec"], seed)
    nets = {a: symmetric_two_layer(split.d, p["width"], a, seed, device=device) for a in p["alphas"]}
    eta = min(suggest_step(net, split.x_train.to(device)) for net in nets.values())  # stable for every α
    out: dict[str, Any] = {"eta": eta, "n": split.n_train, "d": split.d, "delta": separation(split.x_train, "az"),
                           "nonlinear_fraction": nonlinear_label_fraction(split.x_train, split.y_train),
                           "alphas": {}}
    runs = batched_alpha_gd(nets, split, eta, p["late_epoch"], p["test_every"])
    for a, tr in runs.items():
        te = tr["test_error"]
        out["alphas"][key(a)] = {
            "test_error_early": float(te[p["early_epoch"]]),
            "test_error_late": float(te[-1]),
            "test_error_best": float(np.nanmin(te[1:])),  # oracle early stopping (recorded epochs)
            "train_loss_early": float(tr["train_loss"][p["early_epoch"]]),
            "test_error_curve": te.tolist(), "diverged_at": tr["diverged_at"],
            "initial_train_loss": float(tr["train_loss"][0]),
        }
    return out
