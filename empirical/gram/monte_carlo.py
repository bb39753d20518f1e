"""Monte-Carlo estimates of the normalised dual kernels, with standard errors.

For each ρ, draw (u, v) standard bivariate normal with correlation ρ (u = z₁,
v = ρz₁ + √(1−ρ²)z₂) and average c_σ·σ'(u)σ'(v) (→ κ̇_α) and c_σ·σ(u)σ(v) (→ κ_α). These are
the quantities the closed forms of docs/theory/kernels.md §3 claim; comparing them is the analytic-vs-Monte-
Carlo test of neural-tangents' ``stax_test.py``, with tolerances from the standard errors.
"""

from __future__ import annotations

import numpy as np
import torch

from empirical.activations import Activation
from empirical.data import generator
from empirical.validation import check_device, check_positive_int

__all__ = ["mc_dual_kernels"]


def mc_dual_kernels(rho: np.ndarray, act: Activation, samples: int, seed: int,
                    device: torch.device | str = "cpu", batch: int = 200_000) -> dict[str, np.ndarray]:
    """Monte-Carlo κ̇ = E[c φ'(u)c φ'(v)] and κ = E[c φ(u) c φ(v)] at each ρ, with standard errors.

    Returns arrays ``kappa_dot``, ``kappa_dot_se``, ``kappa``, ``kappa_se`` of the shape of ``rho``.
    """
    r = np.asarray(rho, dtype=np.float64)
    if r.ndim != 1 or not np.all(np.isfinite(r)) or np.any(np.abs(r) > 1):
        raise ValueError(f"rho must be a 1-D array of values in [-1, 1], got {rho!r}")
    if not isinstance(act, Activation):
        raise TypeError(f"act must be an Activation (e.g. leaky_relu(0.0)), got {type(act).__name__}")
    samples = check_positive_int(samples, "samples", minimum=2)
    batch = check_positive_int(batch, "batch")  # batch = 0 would never advance the loop
    device = check_device(device)
    g = generator(seed)
    rt = torch.as_tensor(r, dtype=torch.float64, device=device)
    sq = torch.sqrt(torch.clamp(1 - rt**2, min=0.0))
    sums = {k: torch.zeros_like(rt) for k in ("d", "d2", "s", "s2")}
    done = 0
    while done < samples:
        b = min(batch, samples - done)
        z = torch.randn(2, b, 1, generator=g, dtype=torch.float64).to(device)
        u = z[0].expand(b, rt.numel())
        v = rt * z[0] + sq * z[1]
        pd = act.derivative(u) * act.derivative(v)
        ps = act(u) * act(v)
        sums["d"] += pd.sum(0)
        sums["d2"] += (pd * pd).sum(0)
        sums["s"] += ps.sum(0)
        sums["s2"] += (ps * ps).sum(0)
        done += b
    out = {}
    for key, name in (("d", "kappa_dot"), ("s", "kappa")):
        mean = sums[key] / samples
        var = torch.clamp(sums[key + "2"] / samples - mean**2, min=0.0) * samples / (samples - 1)
        out[name] = mean.cpu().numpy()
        out[name + "_se"] = torch.sqrt(var / samples).cpu().numpy()
    out["samples"] = np.asarray(samples)
    return out
