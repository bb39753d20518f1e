"""Measurement routines for the deep-network checks (purely empirical: no bound is used here).

* :func:`make_data` – the data sets: ``bias`` (AZLS/GLL assumption, last coordinate 1/√2), ``sphere``
  (plain unit sphere) and ``antipodal`` (plain sphere with planted near-antipodal pairs).
* :func:`alpha_sweep` – for one seed: the same standard-normal draws for every α, the empirical NTK
  of W_1..W_L at initialisation (λ_min, λ_max), one step size for all α below the worst 2/λ_max, then
  full-batch GD and minibatch SGD, and their measured rates.
* :func:`width_sweep` – at one SP step size (AZLS's N(0, 2/m) init), GD at several widths, with
  steps ∝ 1/m so every width covers the same NTK time.
* :func:`depth_sweep` – at one step size, GD at several depths.
* :func:`ntk_width_grams` – the finite-width NTK of W_1..W_L at several widths (same data and seed).
* :func:`rescaling_unit` – the four parameterisations of one network: outputs, the measured step
  that reproduces an NTK GD step, and the trajectories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from empirical.data import labels, separation, sphere, sphere_with_bias
from empirical.deep.data import near_antipodal_sphere
from empirical.deep.network import PARAMETERISATIONS, DeepLeakyNet
from empirical.deep.ntk import deep_ntk_layerwise
from empirical.deep.train import TrainTrace, average_rate, iterations_to, late_rate, train
from empirical.eigen import eigvalsh

__all__ = ["alpha_sweep", "depth_sweep", "make_data", "ntk_width_grams", "rescaling_unit", "trace_summary",
           "width_sweep"]

#: offset between the data seed and the initialisation seed of a unit
INIT_SEED_OFFSET = 1000


def make_data(kind: str | Mapping[str, Any], n: int, d: int, seed: int, noise: float = 0.1,
              label_kind: str = "random", device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, y): ``bias`` = sphere_with_bias, ``sphere`` = plain sphere, ``antipodal`` = near-antipodal pairs; a
    dataset spec of kind "idx" (:mod:`empirical.datasets`) gives n of its training images with their ±1 labels."""
    if isinstance(kind, Mapping):
        from empirical.datasets import load_inputs

        x, y = load_inputs(kind, n, seed)
        if x.shape[1] != d:
            raise ValueError(f"the {kind.get('name')} inputs have d = {x.shape[1]}, the configuration says d = {d}")
        return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)
    if kind == "bias":
        x = sphere_with_bias(n, d, seed)
    elif kind == "sphere":
        x = sphere(n, d, seed)
    elif kind == "antipodal":
        x = near_antipodal_sphere(n, d, seed, noise=noise)
    else:
        raise ValueError(f"unknown data kind {kind!r}; use 'bias', 'sphere' or 'antipodal'")
    y = labels(x, seed, label_kind)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def trace_summary(trace: TrainTrace, ratios: Sequence[float] = (1e-1, 1e-2, 1e-3)) -> dict[str, Any]:
    """Rates of one run: late-phase and average per-step log-decay, iterations to each loss ratio."""
    f = trace.loss
    last = f[np.isfinite(f)][-1] if np.isfinite(f).any() else float("nan")
    return {
        "late_rate": late_rate(trace),
        "average_rate": average_rate(trace),
        "final_ratio": float(last / f[0]),
        "iterations_to": {f"{r:g}": iterations_to(trace, r) for r in ratios},
        "diverged_at": trace.diverged_at,
        "relative_weight_change": trace.relative_weight_change,
        "steps": int(trace.steps[-1]),
    }


def _downsample(trace: TrainTrace, points: int = 60) -> dict[str, list[float]]:
    idx = np.unique(np.linspace(0, trace.steps.size - 1, min(points, trace.steps.size)).round().astype(int))
    return {"t": trace.steps[idx].tolist(), "loss": trace.loss[idx].tolist()}


def alpha_sweep(*, data: str, n: int, d: int, m: int, depth: int, alphas: Sequence[float], steps: int,
                batch: int | None, seed: int, eta_factor: float = 1.0, noise: float = 0.1,
                sgd_record_every: int = 5, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float64) -> dict[str, Any]:
    """GD (and SGD if ``batch``) for every α on one data set and one initialisation draw (NTK param).

    The step η = eta_factor/max_α λ_max(Θ_emp(α)) is shared by every α (and by SGD); with
    eta_factor < 2 it lies below every α's stability limit 2/λ_max. Per α also: η·λ_max, the initial
    residual r₀ = f(X) − y, and after GD the kernel drift ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F and λ_min(Θ_T) (how lazy
    the run was).
    """
    x, y = make_data(data, n, d, seed, noise=noise, device=device, dtype=dtype)
    init = seed + INIT_SEED_OFFSET
    spectra, kernels0 = {}, {}
    for a in alphas:
        net = DeepLeakyNet(d, m, depth, a, init, dtype=dtype, device=device)
        kernels0[a] = deep_ntk_layerwise(net, x)
        spectra[a] = eigvalsh(kernels0[a])
    lam_max_worst = max(float(s[-1]) for s in spectra.values())
    eta = eta_factor / lam_max_worst
    out: dict[str, Any] = {"eta": eta, "lam_max_worst": lam_max_worst,
                           "delta_az": separation(x, "az"), "delta_psg": separation(x, "psg"), "alphas": {}}
    for a in alphas:
        row: dict[str, Any] = {"lam_min": float(spectra[a][0]), "lam_max": float(spectra[a][-1]),
                               "eta_lam_max": eta * float(spectra[a][-1])}
        net = DeepLeakyNet(d, m, depth, a, init, dtype=dtype, device=device)
        with torch.no_grad():
            row["r0"] = (net(x) - y).double().cpu().tolist()  # initial residual f(X) − y (the lazy model's r₀)
        tr = train(net, x, y, eta, steps)
        k_end = deep_ntk_layerwise(net, x)
        k0 = kernels0[a]
        row["kernel_drift"] = float(torch.linalg.matrix_norm(k_end - k0) / torch.linalg.matrix_norm(k0))
        # a diverged run has a non-finite kernel: record NaN, the check reports the divergence
        row["lam_min_end"] = float(eigvalsh(k_end)[0]) if bool(torch.isfinite(k_end).all()) else float("nan")
        row["gd"] = trace_summary(tr)
        row["gd_curve"] = _downsample(tr)
        if batch is not None:
            tr = train(DeepLeakyNet(d, m, depth, a, init, dtype=dtype, device=device), x, y, eta, steps,
                       batch=batch, seed=seed, record_every=sgd_record_every)
            row["sgd"] = trace_summary(tr)
            row["sgd_curve"] = _downsample(tr)
        out["alphas"][f"{a:g}"] = row
    return out


def width_sweep(*, n: int, d: int, widths: Sequence[int], depth: int, alpha: float, base_steps: int, seed: int,
                eta_factor: float = 1.0, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float64) -> dict[str, Any]:
    """GD in AZLS's SP parameterisation (``sp_he``) at one SP step η_SP for every width.

    η_SP is set from the widest net so that it is stable there: η_SP = eta_factor/λ_max(Θ_SP(m_max)),
    with Θ_SP the NTK w.r.t. the SP weights. Width m runs base_steps·m_max/m steps (the same η_SP·m·t).
    """
    x, y = make_data("bias", n, d, seed, device=device, dtype=dtype)
    init = seed + INIT_SEED_OFFSET
    widths = sorted(int(w) for w in widths)
    top = DeepLeakyNet(d, widths[-1], depth, alpha, init, parameterisation="sp_he", dtype=dtype, device=device)
    eta_sp = eta_factor / float(eigvalsh(deep_ntk_layerwise(top, x))[-1])
    rows = {}
    for w in widths:
        net = DeepLeakyNet(d, w, depth, alpha, init, parameterisation="sp_he", dtype=dtype, device=device)
        tr = train(net, x, y, eta_sp, int(base_steps * widths[-1] // w))
        rows[str(w)] = trace_summary(tr)
    return {"eta_sp": eta_sp, "delta_az": separation(x, "az"), "widths": rows}


def depth_sweep(*, n: int, d: int, m: int, depths: Sequence[int], alpha: float, steps: int, seed: int,
                eta_factor: float = 1.0, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float64) -> dict[str, Any]:
    """GD (NTK parameterisation) at one step η = eta_factor/max_L λ_max for every depth L."""
    x, y = make_data("bias", n, d, seed, device=device, dtype=dtype)
    init = seed + INIT_SEED_OFFSET
    lam_max = max(float(eigvalsh(deep_ntk_layerwise(DeepLeakyNet(d, m, q, alpha, init, dtype=dtype, device=device),
                                                     x))[-1]) for q in depths)
    eta = eta_factor / lam_max
    rows = {}
    for q in depths:
        tr = train(DeepLeakyNet(d, m, q, alpha, init, dtype=dtype, device=device), x, y, eta, steps)
        rows[str(q)] = trace_summary(tr)
    return {"eta": eta, "delta_az": separation(x, "az"), "depths": rows}


def rescaling_unit(*, n: int, d: int, m: int, depth: int, alpha: float, steps: int, seed: int,
                   eta_factor: float = 0.5, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The same network in every parameterisation: outputs, measured equivalent steps, trajectories.

    For each SP parameterisation the step that reproduces an NTK GD step η is *measured* as
    η·(‖W_SP‖/‖W_NTK‖)/(‖∇_SP F‖/‖∇_NTK F‖) at initialisation; GD is then run with it (and, for
    contrast, with the unconverted η). Everything in float64.
    """
    x, y = make_data("bias", n, d, seed, device=device)
    init = seed + INIT_SEED_OFFSET
    nets = {p: DeepLeakyNet(d, m, depth, alpha, init, parameterisation=p, device=device) for p in PARAMETERISATIONS}
    outs = {p: net(x).detach() for p, net in nets.items()}
    ref = outs["ntk"]
    scale = float(ref.abs().max())
    grads = {}
    for p, net in nets.items():
        loss = 0.5 * torch.sum((net(x) - y) ** 2)
        (g,) = torch.autograd.grad(loss, [net.W])
        grads[p] = float(torch.linalg.vector_norm(g))
    eta = eta_factor / float(eigvalsh(deep_ntk_layerwise(nets["ntk"], x))[-1])
    base = train(nets["ntk"], x, y, eta, steps)
    w_ntk = float(torch.linalg.vector_norm(DeepLeakyNet(d, m, depth, alpha, init, device=device).W.detach()))
    res: dict[str, Any] = {"eta_ntk": eta, "m": m, "ntk_loss": base.loss.tolist(), "param": {}}
    for p in PARAMETERISATIONS[1:]:
        w_p = float(torch.linalg.vector_norm(DeepLeakyNet(d, m, depth, alpha, init, parameterisation=p,
                                                          device=device).W.detach()))
        eta_equiv = eta * (w_p / w_ntk) / (grads[p] / grads["ntk"])
        conv = train(DeepLeakyNet(d, m, depth, alpha, init, parameterisation=p, device=device), x, y, eta_equiv, steps)
        naive = train(DeepLeakyNet(d, m, depth, alpha, init, parameterisation=p, device=device), x, y, eta, steps)
        rel = np.abs(conv.loss - base.loss) / np.abs(base.loss)
        res["param"][p] = {
            "max_rel_output_diff": float((outs[p] - ref).abs().max()) / scale,
            "eta_equiv": eta_equiv,
            "eta_equiv_over_eta": eta_equiv / eta,
            "max_rel_loss_diff_converted": float(np.nanmax(rel)) if np.isfinite(rel).any() else float("nan"),
            "converted_diverged_at": conv.diverged_at,
            "naive_loss": naive.loss.tolist(),
            "naive_diverged_at": naive.diverged_at,
            "converted_loss": conv.loss.tolist(),
        }
    res["unit_roundoff"] = math.ldexp(1.0, -53)
    return res


def ntk_width_grams(*, n: int, d: int, widths: Sequence[int], depth: int, alpha: float, seed: int,
                    device: torch.device | str = "cpu") -> dict[str, Any]:
    """Finite-width NTK of W_1..W_L on bias-coordinate data at every width (same data, init seed per width).

    Returns {"grams": {str(m): n×n nested list}} (float64).
    """
    x, _ = make_data("bias", n, d, seed, device=device)
    grams = {}
    for w in widths:
        net = DeepLeakyNet(d, w, depth, alpha, seed + INIT_SEED_OFFSET, device=device)
        grams[str(w)] = deep_ntk_layerwise(net, x).cpu().numpy().tolist()
    return {"grams": grams}
