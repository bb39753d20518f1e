"""Test errors and signal-to-noise quantities of trained benign-overfitting networks (float64).

* Normal tails: :func:`normal_cdf` / :func:`log_normal_cdf` use ``scipy.special.ndtr``/``log_ndtr`` (torch:
  ``torch.special.ndtr``/``log_ndtr``), accurate far into the lower tail — never 1 + erf.
* KGMMN linear classifier w = a_v·v + z (z ⊥ v): clean test error exactly Φ(−√(γd/(1−γ))·a_v/‖z‖)
  (Lemma C.1; :func:`kgmmn_linear_error`).
* KGMMN network: the clean test error P(y·f(W, x) ≤ 0) by Monte Carlo in the M-dimensional space of
  pre-activations: ⟨w_j, x⟩ = √γ·y·c_j + √(1−γ)·⟨z_j, n⟩ with c_j = ⟨w_j, v⟩ and (⟨z_j, n⟩)_j ~ N(0, ZZᵀ/d),
  so a test point costs M² instead of M·d operations (:func:`kgmmn_network_error`).
* Appendix D quantities (:func:`snr_quantities`): A_1 = f(W, v), A_{−1} = −f(W, −v), A_min, A_lin = Σ_j s_j c_j,
  z_lin = Σ_j s_j z_j, ‖Z‖_F, with s_j the signs of the outer weights (scaled by |a_j|, so that A_1 = f(W, v)).
* Hashimoto mixtures (:func:`hashimoto_errors`): network test error, the error of the linear boundary with
  normal w̄ = w₊ − w₋ (group means of the neurons with positive/negative outer weight) — exactly
  Φ(−⟨w̄, μ⟩/‖Σ^{1/2}w̄‖) for Gaussian noise — the fraction of test points where sign f = sign⟨w̄, x⟩, and
  the clustering of the neurons (mean cosine to their group mean).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import special

from empirical.benign.data import HashimotoData, hashimoto_test_draws
from empirical.benign.network import as_batch, leaky
from empirical.data import generator
from empirical.validation import check_positive_int, check_seed

__all__ = [
    "group_direction",
    "hashimoto_errors",
    "kgmmn_linear_error",
    "kgmmn_network_error",
    "log_normal_cdf",
    "min_label_correlation",
    "neuron_clustering",
    "normal_cdf",
    "snr_quantities",
]


def normal_cdf(x: Any) -> Any:
    """Φ(x), tail-accurate (scipy ``ndtr`` is erfc-based); numpy/float in, numpy out; torch in, torch out."""
    if isinstance(x, torch.Tensor):
        return torch.special.ndtr(x)
    return special.ndtr(np.asarray(x, dtype=np.float64))


def log_normal_cdf(x: Any) -> Any:
    """log Φ(x), finite for every finite x (Φ(−40) underflows float64, log Φ(−40) ≈ −804.6 does not)."""
    if isinstance(x, torch.Tensor):
        return torch.special.log_ndtr(x)
    return special.log_ndtr(np.asarray(x, dtype=np.float64))


def _np(t: Any) -> np.ndarray:
    return t.detach().double().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float64)


def kgmmn_linear_error(w: Any, v: Any, gamma: Any, d: Any = None) -> dict[str, np.ndarray]:
    """Exact clean test error of linear classifiers w (B, d) on KGMMN data with unit signals v (B, d).

    ``d`` (scalar or per member) is the data dimension, when rows are zero-padded beyond it (default: columns).

    Returns ``err``, ``log_err`` (via log_ndtr), the signal coefficient ``a_v`` = ⟨w, v⟩, ``z_norm`` = ‖w − a_v v‖
    and the Φ-argument ``snr`` = √(γd/(1−γ))·a_v/‖z‖ (err = Φ(−snr)).
    """
    wa, va = np.atleast_2d(_np(w)), np.atleast_2d(_np(v))
    if wa.shape != va.shape:
        raise ValueError(f"w and v must have the same shape, got {wa.shape} and {va.shape}")
    dd = np.broadcast_to(_np(wa.shape[1] if d is None else d), (wa.shape[0],))
    g = np.broadcast_to(_np(gamma), (wa.shape[0],))
    if np.any((g < 0) | (g >= 1)):
        raise ValueError(f"gamma must lie in [0, 1), got {g}")
    av = np.einsum("bd,bd->b", wa, va)
    z = wa - av[:, None] * va
    zn = np.linalg.norm(z, axis=1)
    snr = np.sqrt(g * dd / (1 - g)) * av / zn
    return {"err": normal_cdf(-snr), "log_err": log_normal_cdf(-snr), "a_v": av, "z_norm": zn, "snr": snr}


def snr_quantities(W: torch.Tensor, v: torch.Tensor, a: torch.Tensor, alpha: Any) -> dict[str, np.ndarray]:
    """KGMMN Appendix D quantities of networks W (B, M, d) with unit signals v (B, d) and outer weights a (M,)."""
    Wd, vd = W.detach().double(), v.detach().double()
    B = Wd.shape[0]
    al = as_batch(alpha, B, "alpha", Wd)
    aa = a.detach().double().to(Wd.device)
    c = torch.einsum("bmd,bd->bm", Wd, vd)  # c_j = ⟨w_j, v⟩ (KGMMN's a_j)
    Z = Wd - c[..., None] * vd[:, None, :]
    s = aa.expand(B, Wd.shape[1])
    A1 = (s * leaky(c, al[:, None])).sum(1)
    Am1 = -(s * leaky(-c, al[:, None])).sum(1)
    A_lin = (s * c).sum(1)
    z_lin = torch.einsum("bm,bmd->bd", s, Z)
    out = {"A_1": A1, "A_minus1": Am1, "A_min": torch.minimum(A1, Am1), "A_lin": A_lin,
           "z_lin_norm": torch.linalg.vector_norm(z_lin, dim=1), "Z_fro": torch.linalg.vector_norm(Z.flatten(1), dim=1),
           "W_fro": torch.linalg.vector_norm(Wd.flatten(1), dim=1)}
    return {k: val.cpu().numpy() for k, val in out.items()}


def _gaussian_factor(cov: torch.Tensor) -> torch.Tensor:
    """L with L Lᵀ = cov for PSD matrices (B, M, M), via eigh with negative round-off clipped."""
    evals, evecs = torch.linalg.eigh(cov)
    return evecs * evals.clamp_min(0).sqrt().unsqueeze(-2)


def _weight_sets(Ws: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Several weight sets of the same networks (B, M, d), in float64; at least one, all of one shape."""
    if not Ws:
        raise ValueError("give at least one weight tensor")
    Wds = [W.detach().double() for W in Ws]
    if any(W.shape != Wds[0].shape for W in Wds):
        raise ValueError(f"the weight sets must have one shape, got {[tuple(W.shape) for W in Wds]}")
    return Wds


def kgmmn_network_error(W: torch.Tensor, v: torch.Tensor, a: torch.Tensor, alpha: Any, gamma: Any, n_test: int,
                        seed: int | Sequence[int], d: Any = None) -> dict[str, np.ndarray]:
    """Monte-Carlo clean test error of networks W (B, M, d) on KGMMN data; ``err`` and its standard error ``se``.

    Each of the ``n_test`` noise draws is used for both classes (y = ±1), so err = ½(P₊ + P₋). Outer weights
    a may be (M,) or (B, M) (zero entries: padded neurons); ``d`` (scalar or per member) is the data dimension
    when W and v are zero-padded beyond it. ``seed`` may be one per member, so that a member's estimate does
    not depend on the rest of the batch."""
    return kgmmn_network_errors([W], v, a, alpha, gamma, n_test, seed, d)[0]


def kgmmn_network_errors(Ws: Sequence[torch.Tensor], v: torch.Tensor, a: torch.Tensor, alpha: Any, gamma: Any,
                         n_test: int, seed: int | Sequence[int], d: Any = None) -> list[dict[str, np.ndarray]]:
    """:func:`kgmmn_network_error` of several weight sets of the same networks (e.g. two stopping times) on the
    same test draws: each member's noise is drawn once and shared, so the results are exactly those of separate
    calls at a fraction of the sampling cost."""
    n_test = check_positive_int(n_test, "n_test")
    Wds = _weight_sets(Ws)
    B, M, cols = Wds[0].shape
    vd = v.detach().double()
    al = as_batch(alpha, B, "alpha", Wds[0])
    gm = as_batch(gamma, B, "gamma", Wds[0])
    dims = as_batch(cols if d is None else d, B, "d", Wds[0])
    seeds = [seed] * B if isinstance(seed, int) else list(seed)
    if len(seeds) != B:
        raise ValueError(f"seed must be an int or have {B} entries, got {len(seeds)}")
    aa = a.detach().double().to(Wds[0].device).expand(B, M)
    cs = [torch.einsum("bmd,bd->bm", Wd, vd) for Wd in Wds]
    Zs = [Wd - c[..., None] * vd[:, None, :] for Wd, c in zip(Wds, cs, strict=True)]
    p_pos = torch.empty(len(Wds), B, dtype=torch.float64)
    p_neg = torch.empty(len(Wds), B, dtype=torch.float64)
    for b in range(B):  # per member (its own live neurons and seed): independent of the rest of the batch
        live = aa[b] != 0
        ab = aa[b, live].float()
        slope = float(al[b].float())  # σ_α in float32, the slope rounded to float32 as before
        # sampling in float32 (only signs are used); the covariance factor is computed in float64
        xi = torch.randn(n_test, int(live.sum()), generator=generator(check_seed(seeds[b])),
                         dtype=torch.float32).to(Wds[0].device)
        for j, (Z, c) in enumerate(zip(Zs, cs, strict=True)):
            Zb, cb = Z[b, live], c[b, live]
            L = _gaussian_factor((Zb @ Zb.T / dims[b])[None])[0]
            noise = xi @ (torch.sqrt(1 - gm[b]) * L.T).float()
            sig = (torch.sqrt(gm[b]) * cb).float()
            f_pos = torch.nn.functional.leaky_relu(sig + noise, slope) @ ab
            f_neg = torch.nn.functional.leaky_relu(noise - sig, slope) @ ab
            p_pos[j, b] = (f_pos <= 0).double().mean().cpu()
            p_neg[j, b] = (f_neg >= 0).double().mean().cpu()
    out = []
    for j in range(len(Wds)):
        err = 0.5 * (p_pos[j] + p_neg[j])
        se = 0.5 * torch.sqrt((p_pos[j] * (1 - p_pos[j]) + p_neg[j] * (1 - p_neg[j])) / n_test)
        out.append({"err": err.cpu().numpy(), "se": se.cpu().numpy()})
    return out


def group_direction(W: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """w̄ = w₊ − w₋: mean of the neurons with a_j > 0 minus the mean of those with a_j < 0 (B, d)."""
    pos, neg = (a > 0).to(W.dtype), (a < 0).to(W.dtype)
    if not (pos.sum() > 0 and neg.sum() > 0):
        raise ValueError("group_direction needs outer weights of both signs")
    coef = pos / pos.sum() - neg / neg.sum()
    return torch.einsum("m,bmd->bd", coef.to(W.device), W)


def neuron_clustering(W: torch.Tensor, a: torch.Tensor) -> np.ndarray:
    """Mean cosine between each neuron and the mean of its group (1 = perfectly clustered), per member."""
    Wd = W.detach().double()
    out = []
    for mask in (a > 0, a < 0):
        grp = Wd[:, mask.to(Wd.device), :]
        mean = grp.mean(1, keepdim=True)
        cos = (grp * mean).sum(-1) / (torch.linalg.vector_norm(grp, dim=-1) * torch.linalg.vector_norm(mean, dim=-1))
        out.append(cos)
    return torch.cat(out, dim=1).mean(1).cpu().numpy()


def min_label_correlation(X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """min_{i≠k} ⟨y_i x_i, y_k x_k⟩ per member: ≥ 0 is H25's "positively correlated" condition."""
    G = y.double()[:, :, None] * X.double()
    gram = G @ G.transpose(1, 2)
    gram.diagonal(dim1=1, dim2=2).fill_(math.inf)
    return gram.flatten(1).min(1).values.cpu().numpy()


def hashimoto_errors(W: torch.Tensor, a: torch.Tensor, alpha: Any, data: HashimotoData, n_test: int,
                     seed: int) -> dict[str, np.ndarray]:
    """Test errors of networks W (B, M, d) trained on ``data`` (clean test labels).

    ``err`` (network, Monte Carlo) with ``se``; ``lin_err_mc`` (the linear boundary w̄, same test points);
    ``agree`` = fraction of test points with sign f = sign⟨w̄, x⟩; for Gaussian noise also ``lin_err`` =
    Φ(−⟨w̄, μ⟩/‖Σ^{1/2}w̄‖) exactly, with ``lin_log_err`` and ``lin_snr`` (the Φ-argument). Gaussian noise is
    sampled in the M-dimensional pre-activation space (covariance WΣWᵀ), other noise in ℝ^d."""
    return hashimoto_errors_at([W], a, alpha, data, n_test, seed)[0]


def hashimoto_errors_at(Ws: Sequence[torch.Tensor], a: torch.Tensor, alpha: Any, data: HashimotoData, n_test: int,
                        seed: int, draws: dict[tuple[Any, ...], tuple[torch.Tensor, torch.Tensor]] | None = None
                        ) -> list[dict[str, np.ndarray]]:
    """:func:`hashimoto_errors` of several weight sets of the same networks (e.g. snapshots at several steps) on
    the same test draws: they are drawn once and shared, so each result is exactly that of a separate call.

    ``draws``: a cache of the random parts (labels and standardised noise, keyed by seed and shapes) that the
    caller shares between calls whose members differ only in μ or Σ; results are again exactly the same."""
    n_test = check_positive_int(n_test, "n_test")
    Wds = _weight_sets(Ws)
    B, M, _d = Wds[0].shape
    dev = Wds[0].device
    al = as_batch(alpha, B, "alpha", Wds[0]).reshape(B, 1, 1)
    aa = a.detach().double().to(dev)
    mu, sd = data.mu.double().to(dev), data.sigma_diag.double().to(dev)
    pos, neg = (aa > 0).double(), (aa < 0).double()
    coef = pos / pos.sum() - neg / neg.sum()
    cache = {} if draws is None else draws
    if data.noise == "gaussian":
        key: tuple[Any, ...] = ("gaussian", check_seed(seed), B, n_test, M)
        if key not in cache:
            g = generator(check_seed(seed))
            yg = torch.randint(0, 2, (B, n_test), generator=g).double() * 2 - 1
            cache[key] = (yg, torch.randn(B, n_test, M, generator=g, dtype=torch.float64))
        y, xi = (t.to(dev) for t in cache[key])
    else:
        key = (data.noise, data.df, check_seed(seed), B, n_test, mu.shape[1])
        if key not in cache:
            cache[key] = hashimoto_test_draws(B, mu.shape[1], n_test, seed, data.noise, data.df)
        yt, xit = cache[key]
        Xt = yt[:, :, None] * data.mu.double().cpu()[:, None, :] + xit * data.sigma_diag.double().cpu().sqrt()[:, None, :]
        Xt, y = Xt.to(data.X).double().to(dev), yt.to(data.y).double().to(dev)
    results = []
    for Wd in Wds:
        if data.noise == "gaussian":
            L = _gaussian_factor(Wd @ (sd[:, :, None] * Wd.transpose(1, 2)))
            pre = y[:, :, None] * torch.einsum("bmd,bd->bm", Wd, mu)[:, None, :] + xi @ L.transpose(1, 2)
        else:
            pre = Xt @ Wd.transpose(1, 2)
        f = leaky(pre, al) @ aa
        lin = pre @ coef
        err = (y * f <= 0).double().mean(1)
        out = {"err": err, "se": torch.sqrt(err * (1 - err) / n_test), "lin_err_mc": (y * lin <= 0).double().mean(1),
               "agree": (torch.sign(f) == torch.sign(lin)).double().mean(1)}
        res = {k: v.cpu().numpy() for k, v in out.items()}
        if data.noise == "gaussian":
            wbar = group_direction(Wd, aa)
            snr = (wbar * mu).sum(1) / torch.sqrt((wbar**2 * sd).sum(1))
            s = snr.cpu().numpy()
            res.update(lin_snr=s, lin_err=normal_cdf(-s), lin_log_err=log_normal_cdf(-s))
        results.append(res)
    return results
