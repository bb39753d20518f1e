"""Data models of the benign-overfitting papers, batched over seeds/configurations (docs/theory/benign-overfitting.md).

* :func:`karhadkar_data` — KGMMN Definition 2.1: x_i = √γ·y_i·v + √(1−γ)·n_i with n_i ~ N(0, (I − vvᵀ)/d),
  so the noise is exactly orthogonal to the unit signal v; exactly k corrupted labels, balanced across
  the classes (or, as in the authors' public code, independent flips with a fixed probability). Test
  labels are clean, so the Bayes error is 0.
* :func:`hashimoto_data` — H25/H-lin: x = yμ + Σ^{1/2}ξ with μ = ‖μ‖·e₁, ξ Gaussian or standardised
  Student-t (heavy tails), Σ diagonal with optional spikes on coordinates orthogonal to μ, optional
  independent label flips with probability p_flip (clean test labels).

Each batch member b draws from its own CPU generator seeded with ``seeds[b]`` in float64 (so the same
seed gives the same data on every device and for every other parameter value: common random numbers),
then the batch is moved to ``device``/``dtype``. Shapes: X (B, n, d), labels (B, n).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from empirical.data import generator
from empirical.validation import check_positive_float, check_positive_int, check_seed

__all__ = ["HashimotoData", "KarhadkarData", "hashimoto_data", "hashimoto_test", "karhadkar_data"]


def _per_member(value: float | Sequence[float], size: int, name: str) -> list[float]:
    vals = list(value) if isinstance(value, (list, tuple)) else [value] * size
    if len(vals) != size:
        raise ValueError(f"{name} has {len(vals)} entries for {size} seeds")
    return vals


@dataclass(frozen=True)
class KarhadkarData:
    """A batch of KGMMN training sets. ``y`` are observed (possibly corrupted) labels ŷ, ``y_clean`` the
    clean ones, ``corrupted`` marks the flipped points, ``v`` the unit signals, ``gamma`` the signal levels."""

    X: torch.Tensor
    y: torch.Tensor
    y_clean: torch.Tensor
    corrupted: torch.Tensor
    v: torch.Tensor
    gamma: torch.Tensor

    @property
    def k(self) -> torch.Tensor:
        """Number of corrupted labels per member."""
        return self.corrupted.sum(dim=1)


def _balanced_signs(n: int, g: torch.Generator) -> torch.Tensor:
    y = torch.ones(n, dtype=torch.float64)
    y[n // 2:] = -1.0
    if n % 2 and torch.rand(1, generator=g).item() < 0.5:  # odd n: the extra point's class is random
        y = -y
    return y[torch.randperm(n, generator=g)]


def _balanced_flips(y: torch.Tensor, k: int, g: torch.Generator) -> torch.Tensor:
    """Exactly k indices, ⌊k/2⌋ or ⌈k/2⌉ from each class (the extra one to a random class)."""
    pos, neg = torch.nonzero(y > 0).ravel(), torch.nonzero(y < 0).ravel()
    k_pos = k // 2 + (k % 2 if torch.rand(1, generator=g).item() < 0.5 else 0)
    k_neg = k - k_pos
    if k_pos > pos.numel() or k_neg > neg.numel():
        raise ValueError(f"k={k} flips cannot be balanced over {pos.numel()} positive and "
                         f"{neg.numel()} negative points")
    flip = torch.zeros(y.numel(), dtype=torch.bool)
    flip[pos[torch.randperm(pos.numel(), generator=g)[:k_pos]]] = True
    flip[neg[torch.randperm(neg.numel(), generator=g)[:k_neg]]] = True
    return flip


def karhadkar_data(n: int, d: int, k: int | Sequence[int], gamma: float | Sequence[float], seeds: Sequence[int],
                   corruption: str = "exact", p_corrupt: float = 0.1, balanced: bool = True,
                   device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64) -> KarhadkarData:
    """KGMMN training data for each seed (k and γ may differ per member).

    ``corruption="exact"`` flips exactly k labels (balanced across classes when ``balanced``, as the
    paper's introduction assumes); ``"bernoulli"`` flips each label independently with probability
    ``p_corrupt`` (the authors' public code; k is then ignored). With ``balanced`` the clean classes
    have exactly ⌊n/2⌋ and ⌈n/2⌉ points.
    """
    n = check_positive_int(n, "n", minimum=2)
    d = check_positive_int(d, "d", minimum=2)
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    ks = [check_positive_int(x, "k", minimum=0) for x in _per_member(k, len(seeds), "k")]
    gammas = _per_member(gamma, len(seeds), "gamma")
    for gm in gammas:
        if not (isinstance(gm, (int, float)) and 0.0 <= float(gm) < 1.0):
            raise ValueError(f"gamma={gm!r} must lie in [0, 1)")
    if corruption not in ("exact", "bernoulli"):
        raise ValueError(f"unknown corruption {corruption!r}; use 'exact' or 'bernoulli'")
    if corruption == "bernoulli" and not 0.0 <= p_corrupt < 1.0:
        raise ValueError(f"p_corrupt={p_corrupt!r} must lie in [0, 1)")
    for kk in ks:
        if kk > n:
            raise ValueError(f"k={kk} corrupted labels exceed n={n}")
    xs, ys, ycs, fl, vs = [], [], [], [], []
    for seed, kk, gm in zip(seeds, ks, gammas, strict=True):
        g = generator(seed)
        v = torch.randn(d, generator=g, dtype=torch.float64)
        v = v / torch.linalg.vector_norm(v)
        noise = torch.randn(n, d, generator=g, dtype=torch.float64) / math.sqrt(d)
        noise = noise - (noise @ v)[:, None] * v[None, :]  # exactly orthogonal to v: covariance (I − vvᵀ)/d
        y = _balanced_signs(n, g) if balanced else torch.randint(0, 2, (n,), generator=g).double() * 2 - 1
        if corruption == "bernoulli":
            flip = torch.rand(n, generator=g, dtype=torch.float64) < p_corrupt
        elif balanced:
            flip = _balanced_flips(y, kk, g)
        else:
            flip = torch.zeros(n, dtype=torch.bool)
            flip[torch.randperm(n, generator=g)[:kk]] = True
        x = math.sqrt(gm) * y[:, None] * v[None, :] + math.sqrt(1.0 - gm) * noise
        xs.append(x)
        ycs.append(y)
        ys.append(torch.where(flip, -y, y))
        fl.append(flip)
        vs.append(v)

    def to(t: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(t).to(device=device, dtype=dtype)

    return KarhadkarData(X=to(xs), y=to(ys), y_clean=to(ycs), corrupted=torch.stack(fl).to(device),
                         v=to(vs), gamma=torch.tensor(gammas, dtype=dtype, device=device))


# ============================================================================ Hashimoto
@dataclass(frozen=True)
class HashimotoData:
    """A batch of mixture training sets x = yμ + Σ^{1/2}ξ. ``sigma_diag`` holds the diagonal of Σ (B, d)."""

    X: torch.Tensor
    y: torch.Tensor
    y_clean: torch.Tensor
    mu: torch.Tensor
    sigma_diag: torch.Tensor
    noise: str
    df: int


def _xi(shape: tuple[int, ...], noise: str, df: int, g: torch.Generator) -> torch.Tensor:
    """Independent mean-0, variance-1 entries: Gaussian, or Student-t(df) divided by √(df/(df−2))
    (t = z/√(χ²_df/df), χ²_df drawn as a sum of df squared normals, so only the seeded generator is used)."""
    z = torch.randn(shape, generator=g, dtype=torch.float64)
    if noise == "gaussian":
        return z
    chi2 = torch.zeros(shape, dtype=torch.float64)
    for _ in range(df):
        chi2 += torch.randn(shape, generator=g, dtype=torch.float64) ** 2
    return z / torch.sqrt(chi2 / df) / math.sqrt(df / (df - 2.0))


def _sigma_diag(d: int, spikes: int, spike: float) -> torch.Tensor:
    diag = torch.ones(d, dtype=torch.float64)
    if spikes:
        diag[d - spikes:] = spike  # spikes on the last coordinates, orthogonal to μ = ‖μ‖e₁
    return diag


def _check_noise(noise: str, df: int, spikes: int, d: int) -> None:
    if noise not in ("gaussian", "student_t"):
        raise ValueError(f"unknown noise {noise!r}; use 'gaussian' or 'student_t'")
    if noise == "student_t" and (isinstance(df, bool) or not isinstance(df, int) or df <= 2):
        raise ValueError(f"df={df!r} must be an integer > 2 (finite variance)")
    if not 0 <= spikes < d:
        raise ValueError(f"spikes={spikes} must lie in [0, d−1] (d={d})")


def hashimoto_data(n: int, d: int, mu_norm: float | Sequence[float], seeds: Sequence[int], noise: str = "gaussian",
                   df: int = 5, spikes: int = 0, spike: float = 1.0, p_flip: float = 0.0,
                   device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64) -> HashimotoData:
    """Mixture data x = yμ + Σ^{1/2}ξ per seed (‖μ‖ may differ per member); labels i.i.d. uniform ±1,
    flipped independently with probability ``p_flip`` (observed labels ``y``; ``y_clean`` before flips)."""
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d", minimum=2)
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    mus = [check_positive_float(x, "mu_norm", allow_zero=True) for x in _per_member(mu_norm, len(seeds), "mu_norm")]
    _check_noise(noise, df, spikes, d)
    spike = check_positive_float(spike, "spike")
    if not 0.0 <= p_flip < 0.5:
        raise ValueError(f"p_flip={p_flip!r} must lie in [0, 1/2)")
    diag = _sigma_diag(d, spikes, spike)
    xs, ys, ycs, mvec = [], [], [], []
    for seed, mn in zip(seeds, mus, strict=True):
        g = generator(seed)
        y = torch.randint(0, 2, (n,), generator=g).double() * 2 - 1
        mu = torch.zeros(d, dtype=torch.float64)
        mu[0] = mn
        xi = _xi((n, d), noise, df, g)
        xs.append(y[:, None] * mu[None, :] + xi * diag.sqrt()[None, :])
        flip = torch.rand(n, generator=g, dtype=torch.float64) < p_flip
        ycs.append(y)
        ys.append(torch.where(flip, -y, y))
        mvec.append(mu)

    def to(t: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(t).to(device=device, dtype=dtype)

    return HashimotoData(X=to(xs), y=to(ys), y_clean=to(ycs), mu=to(mvec),
                         sigma_diag=diag.expand(len(seeds), d).to(device=device, dtype=dtype).clone(),
                         noise=noise, df=int(df))


def hashimoto_test(data: HashimotoData, n_test: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Clean test points from the same mixture as ``data``: X (B, n_test, d), y (B, n_test)."""
    B, d = data.mu.shape
    y, xi = hashimoto_test_draws(B, d, n_test, seed, data.noise, data.df)
    x = y[:, :, None] * data.mu.double().cpu()[:, None, :] + xi * data.sigma_diag.double().cpu().sqrt()[:, None, :]
    return x.to(data.X), y.to(data.y)


def hashimoto_test_draws(B: int, d: int, n_test: int, seed: int, noise: str, df: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The random parts of :func:`hashimoto_test`: labels y (B, n_test) and standardised noise ξ (B, n_test, d).
    They depend on the seed and shapes only, so members that differ only in μ or Σ can share them."""
    n_test = check_positive_int(n_test, "n_test")
    g = generator(check_seed(seed))
    y = torch.randint(0, 2, (B, n_test), generator=g).double() * 2 - 1
    return y, _xi((B, n_test, d), noise, df, g)
