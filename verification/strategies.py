"""Hypothesis strategies for the toolkit's parameter spaces, for writing properties in a few lines (docs/properties.md).

Every strategy draws plain Python values (floats, ints, dicts, float64 numpy arrays) that shrink towards the
simplest configuration: α towards the special points listed first, sizes towards the smallest, so a shrunk
counterexample is small. Domains follow docs/theory/ (the leaky ReLU σ_α(x) = max(x, αx) for every real α; the
kernel regime m ≫ n; unit-norm, δ-separated data; the KGMMN and Hashimoto data models).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

__all__ = ["ALPHA_SPECIAL", "alphas", "delta_separated", "hashimoto_models", "kgmmn_models", "seeds", "unit_sphere",
           "widths"]

#: the special points of α: absolute value (c_α = 2, the largest), ReLU, the linear map (c_α = 0), and |α| > 1
ALPHA_SPECIAL = (-1.0, 0.0, 1.0, -2.0, 2.0)


def alphas(low: float = -3.0, high: float = 3.0, special: bool = True, step: float = 0.25) -> st.SearchStrategy[float]:
    """α in [low, high]: the special points −1, 0, 1 and ±2 (|α| > 1) that lie inside, then the grid of spacing
    ``step`` (a discrete space: shrinking is fast and a counterexample readable). Shrinks towards −1 (then 0)."""
    if not low <= high:
        raise ValueError(f"alphas: low = {low!r} must not exceed high = {high!r}")
    if not step > 0:
        raise ValueError(f"alphas: step = {step!r} must be positive")
    pts = [a for a in ALPHA_SPECIAL if low <= a <= high] if special else []
    grid = [round(float(a), 6) for a in np.arange(np.ceil(low / step) * step, high + 1e-12, step)]
    return st.sampled_from(pts + [a for a in grid if a not in pts] or [float(low)])


def widths(n: int, over: bool = True, factors: tuple[int, ...] = (8, 16, 32, 64)) -> st.SearchStrategy[int]:
    """Hidden widths m for n samples: ``over=True`` m = f·n² / … in the over-parameterised regime (m ≥ 8n,
    factors of n), ``over=False`` m < n (outside it: the Gram of the hidden features is singular)."""
    if n < 2:
        raise ValueError(f"widths: n = {n!r} must be at least 2")
    if over:
        return st.sampled_from([f * n for f in factors])
    return st.integers(1, n - 1)


def seeds(high: int = 2**16) -> st.SearchStrategy[int]:
    """A data/initialisation seed (shrinks towards 0)."""
    return st.integers(0, high)


def _sphere(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _sizes(v: st.SearchStrategy[int] | int | None, low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high) if v is None else st.just(v) if isinstance(v, int) else v


def unit_sphere(n: st.SearchStrategy[int] | int | None = None, d: st.SearchStrategy[int] | int | None = None
                ) -> st.SearchStrategy[np.ndarray]:
    """n × d float64 data with unit-norm rows, uniform on S^(d−1) (the DZPS/ADHLW data assumption); n, d: a size,
    a strategy, or None (n ∈ [2, 16], d ∈ [2, 8])."""
    ns, ds = _sizes(n, 2, 16), _sizes(d, 2, 8)
    return st.builds(_sphere, ns, ds, seeds())


def _min_angle(x: np.ndarray) -> float:
    g = np.clip(x @ x.T, -1.0, 1.0)
    iu = np.triu_indices(len(x), 1)
    # δ-separation of the PSG/DZPS kind: no two inputs parallel *or* antipodal
    return float(np.min(np.minimum(np.arccos(g[iu]), np.pi - np.arccos(g[iu])))) if len(x) > 1 else np.pi / 2


def delta_separated(delta: float, n: st.SearchStrategy[int] | int | None = None,
                    d: st.SearchStrategy[int] | int | None = None) -> st.SearchStrategy[np.ndarray]:
    """Unit-norm data whose every pair is δ-separated: min over i ≠ j of min(∠(x_i, x_j), π − ∠(x_i, x_j)) ≥ δ
    (docs/theory/gram-eigenvalues.md §2); draws that are not are filtered out, so keep δ moderate."""
    if not 0 < delta < np.pi / 2:
        raise ValueError(f"delta_separated: delta = {delta!r} must lie in (0, π/2)")
    return unit_sphere(_sizes(n, 2, 12), _sizes(d, 3, 8)).filter(lambda x: _min_angle(x) >= delta)


def kgmmn_models(benign: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """The KGMMN data model (Karhadkar et al. 2024, docs/theory/benign-overfitting.md §1.1): n samples in d dimensions, k flipped
    labels, signal strength γ, leaky slope α ∈ (0, 1]. ``benign=True`` keeps the benign regime's assumptions
    d ≥ 2n (d = Ω(n)), k ≥ 1, k ≤ n/4 (k = O(α²n) up to its constant), γk ≥ 1/2 (γ = Ω(1/k)); ``benign=False``
    the harmful regime γ ≤ α³/d."""
    def model(n: int, ratio: float, k: int, alpha: float, c: float) -> dict[str, Any]:
        d = round(ratio * n)
        gamma = c / k if benign else c * alpha**3 / d
        return {"n": n, "d": d, "k": k, "alpha": alpha, "gamma": gamma}
    return st.builds(model, st.sampled_from([20, 30, 40]), st.sampled_from([2.0, 3.0, 4.0, 6.0]), st.integers(1, 5),
                     st.sampled_from([0.1, 0.2, 0.5, 1.0]),
                     st.sampled_from([0.5, 1.0, 2.0]) if benign else st.sampled_from([0.1, 0.5, 1.0])
                     ).filter(lambda m: m["k"] <= m["n"] // 4)


def hashimoto_models() -> st.SearchStrategy[dict[str, Any]]:
    """The Hashimoto signal-plus-noise model (docs/theory/benign-overfitting.md §2.1): class means ±μ in d dimensions,
    n training samples, signal ‖μ‖²; drawn on both sides of the transition ‖μ‖² ≈ √(d/n)."""
    return st.fixed_dictionaries({"d": st.sampled_from([50, 100, 200]), "n": st.sampled_from([10, 20, 40]),
                                  "mu2": st.sampled_from([1.0, 2.0, 4.0, 10.0, 20.0, 40.0])})
