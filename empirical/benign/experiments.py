"""Batched experiment runners for the benign-overfitting checks: one GD run per batch, many members.

:func:`kgmmn_batch` trains KGMMN networks (hinge loss, alternating ±1 outer weights, Assumption 1 met
exactly) for a list of member configurations sharing n; members may differ in d, k, γ, α, m and seed. Data of
smaller dimension are zero-padded to the largest d and narrower networks to the largest width: padded input
coordinates are 0 in every x, padded neurons have a_j = 0 and w_j = 0, so neither ever moves and the
computation per member is exactly that of its own (d, m). :func:`hashimoto_batch` does the same for the
Hashimoto mixtures (exponential loss, ±1/√m outer weights, tiny initialisation) with members sharing (n, d).

Every number returned is empirical (no bound is used); each member's record is JSON-able.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from empirical.benign.data import hashimoto_data, karhadkar_data
from empirical.benign.margin import max_margin
from empirical.benign.metrics import (
    hashimoto_errors_at,
    kgmmn_linear_error,
    kgmmn_network_errors,
    min_label_correlation,
    neuron_clustering,
    snr_quantities,
)
from empirical.benign.network import init_weights, outer_weights
from empirical.benign.train import margins, train_first_layer

__all__ = ["hashimoto_batch", "kgmmn_batch"]


def _floats(x: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(x, dtype=np.float64)]


def kgmmn_batch(members: Sequence[Mapping[str, Any]], n: int, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float64, max_steps: int = 200_000, n_test: int = 10_000,
                test_seed: int = 12345, scheme: str = "alternating", corruption: str = "exact",
                init_fraction: float = 0.5) -> list[dict[str, Any]]:
    """Train one KGMMN network per member ``{"d", "k", "gamma", "alpha", "m", "seed"}`` (2m neurons) on n points.

    Step size η = 1/(m·n·max_i‖x_i‖²) and initial rows of norm ``init_fraction``·√α/(m·max_i‖x_i‖): both
    satisfy KGMMN's Assumption 1. Returns, per member: the hinge-stop iteration ``T`` and 0-1-stop iteration
    ``T01`` (−1: not reached within ``max_steps``), point updates ``U``, ‖W_T‖_F, ‖w*‖, the clean test error of
    the network at both stops (Monte Carlo, with standard errors), the exact error of the max-margin linear
    classifier, the Appendix-D SNR quantities at the hinge stop, and the Assumption-1 inputs.
    """
    if not members:
        raise ValueError("members must not be empty")
    B = len(members)
    dims = [int(c["d"]) for c in members]
    widths = [2 * int(c["m"]) for c in members]
    d_max, M = max(dims), max(widths)
    X = torch.zeros(B, n, d_max, dtype=torch.float64)
    v = torch.zeros(B, d_max, dtype=torch.float64)
    y = torch.zeros(B, n, dtype=torch.float64)
    gam = torch.zeros(B, dtype=torch.float64)
    for b, c in enumerate(members):
        data = karhadkar_data(n, dims[b], int(c["k"]), float(c["gamma"]), [int(c["seed"])], corruption=corruption)
        X[b, :, :dims[b]], v[b, :dims[b]], y[b], gam[b] = data.X[0], data.v[0], data.y[0], data.gamma[0]
    mm: list[Any] = []
    for b in range(B):
        try:
            mm.append(max_margin(X[b, :, :dims[b]], y[b]))
        except ValueError:  # not linearly separable (e.g. d < n): zero hinge loss is unreachable
            mm.append(None)
    if any(r is None for r in mm):
        ok = [b for b in range(B) if mm[b] is not None]
        done = iter(kgmmn_batch([members[b] for b in ok], n, device, dtype, max_steps, n_test, test_seed, scheme,
                                corruption, init_fraction) if ok else [])
        return [next(done) if mm[b] is not None else _unseparable(members[b], n, max_steps, n_test)
                for b in range(B)]
    norms = torch.linalg.vector_norm(X, dim=2)
    max_x, min_x = norms.max(1).values, norms.min(1).values
    alpha = torch.tensor([float(c["alpha"]) for c in members], dtype=torch.float64)
    m = torch.tensor([int(c["m"]) for c in members], dtype=torch.float64)
    eta = 1.0 / (m * n * max_x**2)
    row_norm = init_fraction * alpha.sqrt() / (m * max_x)
    W0 = torch.zeros(B, M, d_max, dtype=torch.float64)
    a = torch.zeros(B, M, dtype=torch.float64)
    for b, c in enumerate(members):
        W0[b, :widths[b], :dims[b]] = init_weights([int(c["seed"])], widths[b], dims[b], float(row_norm[b]))[0]
        a[b, :widths[b]] = outer_weights(widths[b], scheme)
    dev = torch.device(device)
    to = {"device": dev, "dtype": dtype}
    tr = train_first_layer(X.to(**to), y.to(**to), W0.to(**to), a.to(**to), alpha.to(**to), eta.to(**to),
                           max_steps)
    final_margin = margins(tr.W.double(), X.to(dev), y.to(dev), a.to(dev), alpha.to(dev)).min(1).values.cpu()
    W_T, W_01 = tr.W.double(), tr.W_01.double()
    test_seeds = [test_seed + int(c["seed"]) for c in members]  # per member: independent of the batch
    err, err01 = kgmmn_network_errors([W_T, W_01], v.to(dev), a.to(dev), alpha, gam, n_test, test_seeds, d=dims)
    snr = snr_quantities(W_T, v.to(dev), a.to(dev), alpha)
    wstar = np.stack([np.concatenate([r.w, np.zeros(d_max - dims[b])]) for b, r in enumerate(mm)])
    lin = kgmmn_linear_error(wstar, v.numpy(), gam.numpy(), d=dims)
    out = []
    for b, c in enumerate(members):
        out.append({
            **{key: c[key] for key in ("d", "k", "gamma", "alpha", "m", "seed")}, "n": n,
            "T": int(tr.t_hinge[b]), "T01": int(tr.t_01[b]), "U": int(tr.point_updates[b]),
            "steps_run": int(tr.steps), "max_steps": int(max_steps), "diverged_at": int(tr.diverged_at[b]),
            "eta": float(eta[b]), "init_row_norm": float(row_norm[b]), "max_x_norm": float(max_x[b]),
            "min_x_norm": float(min_x[b]), "min_margin_final": float(final_margin[b]),
            "W_fro": float(snr["W_fro"][b]), "wstar_norm": float(mm[b].norm),
            "wstar_min_margin": float(mm[b].min_margin), "wstar_duality_gap": float(mm[b].duality_gap),
            "err": float(err["err"][b]), "err_se": float(err["se"][b]),
            "err01": float(err01["err"][b]), "err01_se": float(err01["se"][b]),
            "lin_err": float(lin["err"][b]), "lin_log_err": float(lin["log_err"][b]),
            **{key: float(val[b]) for key, val in snr.items() if key != "W_fro"},
            "n_test": int(n_test), "separable": True,
        })
    return out


def _unseparable(c: Mapping[str, Any], n: int, max_steps: int, n_test: int) -> dict[str, Any]:
    """The record of a member whose training data are not linearly separable: nothing was trained."""
    return {**{key: c[key] for key in ("d", "k", "gamma", "alpha", "m", "seed")}, "n": n, "separable": False,
            "T": -1, "T01": -1, "U": 0, "steps_run": 0, "max_steps": int(max_steps), "diverged_at": -1,
            "n_test": int(n_test)}


def hashimoto_batch(members: Sequence[Mapping[str, Any]], n: int, d: int, device: torch.device | str = "cpu",
                    dtype: torch.dtype = torch.float64, steps: Sequence[int] = (1000,), width: int = 20,
                    alpha: float = 0.1, init_scale: float = 1e-6, step_factor: float = 0.5,
                    n_test: int = 10_000, test_seed: int = 54321) -> list[dict[str, Any]]:
    """Train one H25 network per member ``{"mu2", "seed", "noise", "spikes", "spike", "p_flip"}`` on (n, d) data.

    Exponential loss, a_j = ±1/√width, rows of W(0) of norm ``init_scale``·√d, η = ``step_factor``/max‖x_i‖²,
    weights recorded after each of ``steps``. Per member and step: the exact linear-boundary error (Gaussian
    noise), the network's Monte-Carlo error, the sign agreement with the linear boundary, neuron clustering;
    per member: whether the training data reached zero 0-1 error and the positive-correlation statistic."""
    if not members:
        raise ValueError("members must not be empty")
    steps = sorted({int(s) for s in steps})
    B = len(members)
    X = torch.zeros(B, n, d, dtype=torch.float64)
    y = torch.zeros(B, n, dtype=torch.float64)
    datas = []
    for b, c in enumerate(members):
        data = hashimoto_data(n, d, math.sqrt(float(c["mu2"])), [int(c["seed"])], noise=c.get("noise", "gaussian"),
                              spikes=int(c.get("spikes", 0)), spike=float(c.get("spike", 1.0)),
                              p_flip=float(c.get("p_flip", 0.0)))
        X[b], y[b] = data.X[0], data.y[0]
        datas.append(data)
    eta = step_factor / torch.linalg.vector_norm(X, dim=2).max(1).values ** 2
    W0 = init_weights([int(c["seed"]) for c in members], width, d, init_scale * math.sqrt(d))
    a = outer_weights(width, "alternating_sqrt")
    dev = torch.device(device)
    to = {"device": dev, "dtype": dtype}
    tr = train_first_layer(X.to(**to), y.to(**to), W0.to(**to), a.to(**to), alpha, eta.to(**to), max(steps),
                           loss="exp", stop_at_hinge=False, snapshot_steps=steps, check_every=100)
    corr = min_label_correlation(X, y)
    Ws = {s: tr.snapshots.get(s, tr.W).double() for s in steps}
    clus = {s: neuron_clustering(W, a.to(dev)) for s, W in Ws.items()}
    per_step: dict[int, list[dict[str, np.ndarray]]] = {s: [] for s in steps}
    draws: dict[tuple[Any, ...], tuple[torch.Tensor, torch.Tensor]] = {}  # shared by members of one seed
    for b in range(B):  # one test draw per member, shared by its snapshots
        errs = hashimoto_errors_at([Ws[s][b:b + 1] for s in steps], a.to(dev), alpha, datas[b], n_test,
                                   test_seed + int(members[b]["seed"]), draws=draws)
        for s, e in zip(steps, errs, strict=True):
            per_step[s].append({**{k: float(val[0]) for k, val in e.items()}, "clustering": float(clus[s][b])})
    out = []
    for b, c in enumerate(members):
        out.append({
            **dict(c), "n": n, "d": d, "width": width, "alpha": alpha, "eta": float(eta[b]),
            "t01": int(tr.t_01[b]), "diverged_at": int(tr.diverged_at[b]), "min_label_corr": float(corr[b]),
            "trace_sigma": float(datas[b].sigma_diag[0].sum()), "sigma_op": float(datas[b].sigma_diag[0].max()),
            "by_step": {str(s): per_step[s][b] for s in steps},
        })
    return out
