"""Experiment runners of the two-layer checks: pure measurement, no bound is used here.

Each runner draws its data and weights from the seeds it is given and returns JSON-able numbers
(numpy arrays are converted by the caller's store). The checks in ``verification/checks/two_layer/``
call these and judge the numbers against the bounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from empirical.activations import get_activation, leaky_relu
from empirical.data import labels, min_angle, separation, sphere, sphere_with_bias, subspace_sphere
from empirical.eigen import eigvalsh
from empirical.gram.analytic import hermite_gram
from empirical.gram.finite import two_layer_gram
from empirical.two_layer.network import TwoLayerNet
from empirical.two_layer.train import gradient_descent

__all__ = [
    "arora_run",
    "du_gd_run",
    "finite_width_gram_run",
    "gram_at_width",
    "kernel_moments_run",
    "key_seed",
    "lambda_min_bounds_run",
    "lambda_min_bracket_width_m",
    "lambda_min_width_m",
    "polynomial_gram_run",
    "sandwich_run",
    "smooth_vs_leaky_run",
    "upper_to_symmetric",
]


def key_seed(key: str, offset: int) -> int:
    """A weight seed of its own for every unit key (configuration and seed), so that no two units share draws."""
    return offset + int(hashlib.sha256(key.encode()).hexdigest()[:7], 16)


def gram_at_width(x: torch.Tensor, alpha: float, m: int, seed: int) -> torch.Tensor:
    """The width-m first-layer Gram G ⊙ (DDᵀ)/m of a fresh two-layer leaky-ReLU net at initialisation (float64)."""
    net = TwoLayerNet(x.shape[1], m, leaky_relu(alpha), seed=seed, dtype=torch.float64, device=x.device)
    return net.gram(x)


def lambda_min_width_m(x: torch.Tensor, alpha: float, m: int, seed: int, groups: int) -> tuple[float, float]:
    """λ_min of the width-m Gram and a standard error from ``groups`` independent neuron groups.

    The width-m Gram is the average of ``groups`` Grams of width m/groups. The SE is the spread of
    the Rayleigh quotients vᵀH_k v over the groups (v the bottom eigenvector of their average),
    divided by √groups: an empirical error bar on the Rayleigh quotient vᵀH^(m)v.
    """
    parts = [gram_at_width(x, alpha, m // groups, seed=seed * groups + i) for i in range(groups)]
    vals, vecs = torch.linalg.eigh(sum(parts) / groups)
    v = vecs[:, 0]
    rayleigh = torch.stack([v @ hp @ v for hp in parts])
    return float(vals[0]), float(rayleigh.std() / np.sqrt(groups))


def lambda_min_bracket_width_m(x: torch.Tensor, alpha: float, m: int, seed: int, groups: int) -> dict[str, float]:
    """A two-sided bracket of λ_min of the infinite-width Gram from one width-m Gram (``groups`` neuron groups).

    lower = λ_min(H^(m)): E lower ≤ λ_min(H̃) (λ_min is concave, Jensen). upper = cross-fitted Rayleigh quotient:
    the groups split into halves A, B; v_A = bottom eigenvector of H_A, upper = ½(v_Aᵀ H_B v_A + v_Bᵀ H_A v_B).
    Given v_A, H_B is an independent unbiased estimate of H̃, so E upper = E v_Aᵀ H̃ v_A ≥ λ_min(H̃). Both
    biases are O(1/m). SEs from the spread over the groups (√groups in the denominator).
    """
    parts = [gram_at_width(x, alpha, m // groups, seed=seed * groups + i) for i in range(groups)]
    vals, _ = torch.linalg.eigh(sum(parts) / groups)
    half_a, half_b = parts[0::2], parts[1::2]
    v_a = torch.linalg.eigh(sum(half_a) / len(half_a))[1][:, 0]
    v_b = torch.linalg.eigh(sum(half_b) / len(half_b))[1][:, 0]
    lower_q = torch.stack([v_a @ hp @ v_a for hp in half_b] + [v_b @ hp @ v_b for hp in half_a])
    v = torch.linalg.eigh(sum(parts) / groups)[1][:, 0]
    rayleigh = torch.stack([v @ hp @ v for hp in parts])
    return {"lower": float(vals[0]), "lower_se": float(rayleigh.std() / np.sqrt(groups)),
            "upper": float(lower_q.mean()), "upper_se": float(lower_q.std() / np.sqrt(groups))}


def kernel_moments_run(rho: Sequence[float], alpha: float, samples: int, seed: int, k_max: int = 7) -> dict[str, Any]:
    """Monte-Carlo moments of the *unnormalised* σ'_α, with standard errors (float64, CPU generator).

    ``nu[k]`` = E[σ'_α(g)·h_k(g)], h_k = He_k/√k! (orthonormal Hermite), g ~ N(0, 1), k = 0..k_max; and per ρ,
    ``fourth[i]`` = E[σ'_α(u)²σ'_α(v)²] for (u, v) standard bivariate normal with correlation ρ_i; and
    ``second`` = E[σ_α(g)²] (whose inverse is the normaliser c_σ).
    """
    from math import factorial, sqrt

    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(2, samples, generator=gen, dtype=torch.float64)
    act = leaky_relu(alpha)
    ds = lambda t: act.derivative(t) / act.scale  # noqa: E731  (σ'_α itself, without c_φ)
    g, dg = z[0], ds(z[0])
    herm = [torch.ones_like(g), g.clone()]
    for k in range(1, k_max):
        herm.append(g * herm[k] - k * herm[k - 1])  # He_{k+1} = g·He_k − k·He_{k−1}
    terms = torch.stack([dg * herm[k] / sqrt(factorial(k)) for k in range(k_max + 1)])
    r = torch.as_tensor(np.asarray(rho, dtype=np.float64))[:, None]
    v = r * z[0] + torch.sqrt(torch.clamp(1 - r**2, min=0.0)) * z[1]
    quad = (dg**2)[None, :] * ds(v) ** 2
    sq = (act(g) / act.scale) ** 2
    return {"nu": terms.mean(1).numpy(), "nu_se": (terms.std(1) / sqrt(samples)).numpy(),
            "second": float(sq.mean()), "second_se": float(sq.std() / sqrt(samples)),
            "fourth": quad.mean(1).numpy(), "fourth_se": (quad.std(1) / sqrt(samples)).numpy()}


def finite_width_gram_run(n: int, d: int, alpha: float, m: int, data_seed: int, weight_seed: int,
                          device: Any) -> dict[str, Any]:
    """Data (bias-coordinate sphere) and the upper triangle of the width-m Gram at initialisation."""
    x = sphere_with_bias(n, d, seed=data_seed, device=device)
    h = gram_at_width(x, alpha, m, seed=weight_seed)
    iu = torch.triu_indices(n, n)
    return {"x": x.cpu().numpy(), "gram_upper": h[iu[0], iu[1]].cpu().numpy()}


def sandwich_run(n: int, d: int, alpha: float, m: int, data_seed: int, weight_seed: int, groups: int,
                 device: Any) -> dict[str, Any]:
    """Width-m bracket of λ_min (lower λ_min(H^(m)), upper cross-fitted Rayleigh quotient, with SEs) and the
    α-free sandwich quantities λ_min(N), μ* of N = [ρ arcsin ρ] on ker Xᵀ."""
    x = sphere_with_bias(n, d, seed=data_seed, device=device)
    bracket = lambda_min_bracket_width_m(x, alpha, m, weight_seed, groups)
    x64 = x.double()
    g = (x64 @ x64.T).clamp(-1, 1)
    nmat = g * torch.asin(g)
    rank = int(torch.linalg.matrix_rank(x64))
    q, _ = torch.linalg.qr(x64, mode="complete")
    ker = q[:, rank:]
    mu_star = float(eigvalsh(ker.T @ nmat @ ker)[0]) if ker.shape[1] > 0 else float("nan")
    return {"x": x64.cpu().numpy(), "lambda_min": bracket["lower"], "lambda_min_se": bracket["lower_se"],
            "rayleigh_upper": bracket["upper"], "rayleigh_upper_se": bracket["upper_se"],
            "lam_N": float(eigvalsh(nmat)[0]), "mu_star": mu_star, "rank": rank}


def lambda_min_bounds_run(n: int, d: int, alpha: float, m: int, data_seed: int, weight_seed: int, groups: int,
                          device: Any) -> dict[str, Any]:
    """Plain unit-sphere data, its width-m λ_min bracket (with SEs), separation δ_PSG and smallest pairwise angle."""
    x = sphere(n, d, seed=data_seed, device=device)
    br = lambda_min_bracket_width_m(x, alpha, m, weight_seed, groups)
    return {"x": x.double().cpu().numpy(), "lambda_min": br["lower"], "lambda_min_se": br["lower_se"],
            "rayleigh_upper": br["upper"], "rayleigh_upper_se": br["upper_se"],
            "delta_psg": separation(x, "psg"), "theta_min": min_angle(x)}


def polynomial_gram_run(n: int, d: int, d_sub: int, seed: int, device: Any) -> dict[str, Any]:
    """λ_min and λ_max of G^∞ for the quadratic activation z + z² on data spanning d_sub dimensions."""
    x = subspace_sphere(n, d, d_sub, seed=seed, device=device)
    g, _ = hermite_gram(x, get_activation("quadratic"), 4)
    ev = eigvalsh(g)
    return {"lambda_min": float(ev[0]), "lambda_max": float(ev[-1])}


def smooth_vs_leaky_run(n: int, d: int, d_sub: int, m: int, alphas: Sequence[float], smooth: Sequence[str],
                        other: Sequence[str], hermite_terms: int, seed: int, device: Any) -> dict[str, Any]:
    """λ_min of G^∞ for smooth activations (truncated Mehler series, with its truncation interval), of the
    width-m leaky-ReLU Grams (with SE) and of width-m ELU/SELU Grams, all on one low-dimensional data draw."""
    x = subspace_sphere(n, d, d_sub, seed=seed, device=device)
    out: dict[str, Any] = {}
    for name in smooth:
        g, tail = hermite_gram(x, get_activation(name), hermite_terms)
        ev = eigvalsh(g)
        # λ_min(G^∞) ∈ [λ_min(truncated), λ_min(truncated) + n·tail]; floor at float64 resolution
        out[name] = {"lambda_min": float(ev[0]), "upper": float(ev[0] + n * tail),
                     "resolution": float(n * 1e-16 * ev[-1])}
    for a in alphas:
        lam, se = lambda_min_width_m(x, a, m, 70_000 + seed, 8)
        out[f"leaky{a:g}"] = {"lambda_min": lam, "se": se}
    for name in other:
        gen = torch.Generator().manual_seed(80_000 + seed)
        w = torch.randn(m, d, generator=gen, dtype=torch.float64).to(x.device)
        out[name] = {"lambda_min": float(eigvalsh(two_layer_gram(x, w, get_activation(name)))[0])}
    return out


def du_gd_run(n: int, d: int, m: int, alpha: float, eta: float, steps: int, seed: int, device: Any) -> dict[str, Any]:
    """GD on a DZPS net (same initial W for every α of one seed).

    Returns the loss curve, the data and r(0) = y − u(0), the Gram spectrum edges at the start, λ_min
    at the end and the relative weight movement ‖W_T − W_0‖_F/√(md) (‖W_0‖_F ≈ √(md) for N(0, I) rows).
    """
    x = sphere_with_bias(n, d, seed=seed, device=device)
    y = labels(x, seed=seed)
    net = TwoLayerNet(d, m, leaky_relu(alpha), seed=50_000 + seed, device=device)
    r0 = (y - net(x).detach()).cpu().numpy()
    ev0 = eigvalsh(net.gram(x))
    trace = gradient_descent(net, x, y, eta, steps)
    lam_end = float("nan") if trace.diverged_at is not None else float(eigvalsh(net.gram(x))[0])
    return {"loss": trace.loss, "diverged_at": trace.diverged_at, "lambda0": float(ev0[0]),
            "lambda_max0": float(ev0[-1]), "lambda_min_end": lam_end, "x": x.cpu().numpy(), "r0": r0,
            "weight_change_rel": trace.weight_change / float(np.sqrt(m * d))}


def arora_run(n: int, d: int, m: int, alpha: float, eta: float, steps: int, init_scale: float, every: int,
              seed: int, device: Any) -> dict[str, Any]:
    """GD from a small initialisation (κ_init = ``init_scale``).

    Returns the data, r(0) = y − u(0), ‖y − u(t)‖ every ``every`` steps, the upper triangle of the
    width-m Gram H^(m)(0) at initialisation with its largest eigenvalue, and the relative weight movement
    ‖W_T − W_0‖_F/‖W_0‖_F (the lazy-regime measure).
    """
    x = sphere_with_bias(n, d, seed=seed, device=device)
    y = labels(x, seed=seed)
    net = TwoLayerNet(d, m, leaky_relu(alpha), seed=60_000 + seed, init_scale=init_scale, device=device)
    r0 = (y - net(x).detach()).cpu().numpy()
    h0 = net.gram(x)
    w0_norm = float(torch.linalg.norm(net.W.detach()))
    iu = torch.triu_indices(n, n)
    trace = gradient_descent(net, x, y, eta, steps)
    return {"x": x.cpu().numpy(), "r0": r0, "residual": trace.residual_norm[::every],
            "diverged_at": trace.diverged_at, "gram0_upper": h0[iu[0], iu[1]].cpu().numpy(),
            "lambda_max0": float(eigvalsh(h0)[-1]), "weight_change_rel": trace.weight_change / w0_norm}


def upper_to_symmetric(upper: Any, n: int) -> np.ndarray:
    """The symmetric n×n matrix whose upper triangle (row-major, diagonal included) is ``upper``."""
    h = np.zeros((n, n))
    h[np.triu_indices(n)] = np.asarray(upper, dtype=np.float64)
    return h + np.triu(h, 1).T
