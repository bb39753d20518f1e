"""Experiment runners of the generalisation checks (measurement only: no bound is used here).

* :func:`build_split` / :func:`noisy_labels` — the dataset of a unit and its exact-count label noise;
* :func:`noise_run` — one (dataset, seed) unit of the label-noise experiment (ADHLW §5): first-layer GD on the
  squared loss at every α and noise level p, clean/noisy test 0-1 error, and the label quadratic form yᵀH_M⁻¹y of
  the network's own finite-width Gram at widths M and M/2; cached in-process so that two checks share it;
* :func:`gap_epochs_run` — logistic-loss GD with the per-epoch generalisation gap (Cao & Gu's setting);
* :func:`alpha_order_run` — squared-loss GD for several α with one step size and the test error per epoch.

Every run trains :func:`empirical.generalization.train.symmetric_two_layer` (f ≡ 0 at the start) with
η = 1/λ_max of the network's own Gram at initialisation (:func:`~empirical.generalization.train.suggest_step`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from empirical.activations import leaky_relu
from empirical.data import generator, separation
from empirical.generalization.datasets import Split, digits_split, flip_labels, nonlinear_label_fraction, teacher_split
from empirical.generalization.train import label_quadratic_form, suggest_step, symmetric_two_layer, train_epochs
from empirical.gram import two_layer_gram
from empirical.losses import zero_one_error

__all__ = ["alpha_order_run", "build_split", "gap_epochs_run", "key", "noise_run", "noisy_labels"]


def key(value: float) -> str:
    """The JSON key of a noise level or α (``f"{value:g}"``)."""
    return f"{value:g}"


def build_split(spec: Mapping[str, Any], seed: int) -> Split:
    """The train/test split described by ``spec`` (kind "teacher" or "digits")."""
    if spec["kind"] == "teacher":
        return teacher_split(spec["n_train"], spec["n_test"], spec["d"], seed, spec["teacher"])
    if spec["kind"] == "digits":
        return digits_split(tuple(spec["classes"]), spec["n_train"], spec.get("n_test"), seed)
    raise ValueError(f"unknown dataset kind {spec['kind']!r}")


def noisy_labels(split: Split, p: float, seed: int, salt: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and test labels with exactly ⌊p·n + ½⌋ flips each (independent seeded choices)."""
    base = 1_000_003 * seed + 7919 * salt + round(1000 * p)
    y_train, _ = flip_labels(split.y_train, p, base + 1)
    y_test, _ = flip_labels(split.y_test, p, base + 2)
    return y_train, y_test


@lru_cache(maxsize=64)
def noise_run(blob: str, device: str) -> str:
    """One (dataset, seed) unit of the label-noise experiment (JSON in, JSON out; cached so two checks share it).

    ``blob`` holds spec, seed, noise, alphas, width, epochs, gram_width, gram_draws.
    """
    u = json.loads(blob)
    spec, seed = u["spec"], u["seed"]
    dev = torch.device(device)
    split = build_split(spec, seed)
    x, d = split.x_train, split.d
    labels: dict[str, list[float]] = {}
    tests: dict[str, torch.Tensor] = {}
    for i, p in enumerate(u["noise"]):
        y_tr, y_te = noisy_labels(split, p, seed, i)
        labels[key(p)], tests[key(p)] = y_tr.tolist(), y_te
    per_alpha: dict[str, Any] = {}
    for a in u["alphas"]:
        eta = suggest_step(symmetric_two_layer(d, u["width"], a, seed), x)
        runs = {}
        for p in u["noise"]:
            net = symmetric_two_layer(d, u["width"], a, seed, device=dev)
            noisy = split.with_labels(torch.tensor(labels[key(p)], dtype=torch.float64))
            trace = train_epochs(net, noisy, eta, u["epochs"], loss="squared", device=dev, test_every=u["epochs"])
            with torch.no_grad():
                out_test = net(split.x_test.to(dev))
            runs[key(p)] = {
                "train_error": float(trace.train_error[-1]), "train_loss": float(trace.train_loss[-1]),
                "test_error_clean": float(trace.test_error[-1]),
                "test_error_noisy": float(zero_one_error(out_test, tests[key(p)].to(dev))),
                "distance": float(trace.distance[-1]), "diverged_at": trace.diverged_at,
            }
        act = leaky_relu(a)
        q_full: dict[str, list[float]] = {key(p): [] for p in u["noise"]}
        q_half: dict[str, list[float]] = {key(p): [] for p in u["noise"]}
        for r in range(u["gram_draws"]):
            w = torch.randn(u["gram_width"], d, generator=generator(7_919 * seed + 104_729 * (r + 1)),
                            dtype=torch.float64)
            full = two_layer_gram(x, w, act).cpu().numpy()
            half = two_layer_gram(x, w[: u["gram_width"] // 2], act).cpu().numpy()
            for p in u["noise"]:
                y = np.asarray(labels[key(p)])
                q_full[key(p)].append(label_quadratic_form(full, y))
                q_half[key(p)].append(label_quadratic_form(half, y))
        per_alpha[key(a)] = {"eta": eta, "runs": runs, "q_width": q_full, "q_half_width": q_half}
    return json.dumps({
        "x_train": x.tolist(), "labels": labels, "n_train": split.n_train, "n_test": split.n_test, "d": d,
        "nonlinear_fraction": {k: nonlinear_label_fraction(x, torch.tensor(v)) for k, v in labels.items()},
        "alphas": per_alpha,
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
    for a, net in nets.items():
        tr = train_epochs(net, split, eta, p["late_epoch"], loss="squared", device=device,
                          test_every=p["test_every"])
        out["alphas"][key(a)] = {
            "test_error_early": float(tr.test_error[p["early_epoch"]]),
            "test_error_late": float(tr.test_error[-1]),
            "test_error_best": float(np.nanmin(tr.test_error[1:])),  # oracle early stopping (recorded epochs)
            "train_loss_early": float(tr.train_loss[p["early_epoch"]]),
            "test_error_curve": tr.test_error.tolist(), "diverged_at": tr.diverged_at,
            "initial_train_loss": float(tr.train_loss[0]),
        }
    return out
