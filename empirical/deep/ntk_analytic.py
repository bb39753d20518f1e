"""Fast evaluation of the infinite-width deep NTK Θ_W (docs/theory/kernels.md §7), float64.

The leaky-ReLU dual kernel and its derivative have the arc-cosine structure [derived]

    κ̇_α(ρ) = a + b·arcsin ρ,   κ_α(ρ) = ρ·κ̇_α(ρ) + b·√(1 − ρ²),   a = κ̇_α(0), b = κ_α(0),

(with c_α = (1−α)²/(1+α²): a = 1 − c_α/2, b = c_α/π), so one layer of the recursion
K_ℓ = κ_α(K_{ℓ−1}), S_ℓ = (S_{ℓ−1} + K_{ℓ−1})·κ̇_α(K_{ℓ−1}) costs one arcsin and one square root per
entry, against an arccos, an arcsin and a square root (plus a dozen temporaries) for the formulas
lambdified term by term. :func:`arc_cosine_coefficients` reads a and b off the *registered* formulas
and accepts them only if the formulas passed in have this structure (checked numerically on a grid
of ρ), so a planted wrong formula is never silently replaced: :func:`empirical.deep.ntk.deep_ntk_analytic`
then falls back to the term-by-term path.

On the CPU the matrix is computed in square tiles of the upper block triangle (Θ is symmetric): half
the transcendental calls, and each tile's whole L-layer recursion runs on buffers that stay in
cache; the tiles are shared out to a pool of threads. On a GPU the whole matrix is one tile.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import torch

__all__ = ["arc_cosine_coefficients", "deep_ntk_arc_cosine"]

_GRID = torch.tensor([-1.0, -0.999, -0.83, -0.41, -0.05, 0.0, 0.13, 0.5, 0.77, 0.96, 0.9999, 1.0], dtype=torch.float64)


def arc_cosine_coefficients(alpha: float, f_k, f_kd, f_s) -> tuple[float, float] | None:
    """(a, b) if κ̇ = a + b·arcsin ρ, κ = ρκ̇ + b√(1−ρ²) and step(S, K, K̇) = K̇·(S + K) on a grid, else None.

    ``f_k``, ``f_kd``, ``f_s``: the lambdified callables of :func:`empirical.deep.ntk._formula`.
    """
    r = _GRID
    a_t = torch.tensor(alpha, dtype=torch.float64)
    kd = f_kd(alpha=a_t, rho=r)
    k = f_k(alpha=a_t, rho=r)
    zero = torch.zeros((), dtype=torch.float64)
    a = float(f_kd(alpha=a_t, rho=zero.expand_as(r))[0])
    b = float(f_k(alpha=a_t, rho=zero.expand_as(r))[0])
    if not (math.isfinite(a) and math.isfinite(b)):
        return None
    kd_arc = a + b * torch.asin(r)
    k_arc = r * kd_arc + b * torch.sqrt(1 - r * r)
    s_prev = torch.linspace(0.0, 3.0, r.numel(), dtype=torch.float64)
    step = f_s(alpha=a_t, ntk_prev=s_prev, kern_prev=k_arc, kern_dot=kd_arc)
    tol = 1e-12
    ok = (torch.allclose(kd, kd_arc, rtol=tol, atol=tol) and torch.allclose(k, k_arc, rtol=tol, atol=tol)
          and torch.allclose(step, kd_arc * (s_prev + k_arc), rtol=tol, atol=tol))
    return (a, b) if ok else None


def _clamp_snap_(k: torch.Tensor, mask: torch.Tensor, sign: torch.Tensor) -> torch.Tensor:
    """In place: clamp to [−1, 1], then values within 1e-12 of ±1 set to ±1 (as ``_snap`` in deep.py)."""
    k.clamp_(-1.0, 1.0)
    torch.gt(k.abs(), 1.0 - 1e-12, out=mask)  # after the clamp, |k| > 1 − 1e-12 ⟺ ||k| − 1| < 1e-12
    torch.sign(k, out=sign)
    return torch.where(mask, sign, k, out=k)


def _tile(g: torch.Tensor, s: torch.Tensor, a: float, b: float, depth: int, bufs: list[torch.Tensor],
          mask: torch.Tensor) -> None:
    """Θ_W on one tile: ``g`` holds the raw correlations G (overwritten), the result goes into ``s``.

    Iteration ℓ = 0..L starts with K_{ℓ−1} in ``k`` (K_{−1} = G): κ̇(K_{ℓ−1}) = a + b·arcsin K_{ℓ−1};
    for ℓ ≥ 1 the step S_ℓ = (S_{ℓ−1} + K_{ℓ−1})·κ̇(K_{ℓ−1}); for ℓ < L the next K_ℓ = κ(K_{ℓ−1}).
    """
    kd, nxt, sign = bufs
    one = torch.ones((), dtype=g.dtype, device=g.device)
    k = _clamp_snap_(g, mask, sign)
    for layer in range(depth + 1):
        torch.asin(k, out=kd).mul_(b).add_(a)  # κ̇(K_{ℓ−1})
        if layer == 1:
            torch.mul(k, kd, out=s)  # S_1 = (0 + K_0)·κ̇(K_0)
        elif layer > 1:
            s.add_(k).mul_(kd)
        if layer == depth:
            break
        torch.addcmul(one, k, k, value=-1.0, out=nxt).sqrt_().mul_(b)  # b√(1 − K²)
        k, nxt = _clamp_snap_(nxt.addcmul_(k, kd), mask, sign), k  # K_ℓ = K·κ̇(K) + b√(1 − K²)


def deep_ntk_arc_cosine(x: torch.Tensor, a: float, b: float, depth: int, average: bool = False,
                        tile: int | None = None, workers: int | None = None) -> torch.Tensor:
    """Θ_W (or Θ_W/L) on the rows of ``x`` (float64, unit norm) for a dual kernel with coefficients (a, b).

    ``tile``: tile size (default 128 on the CPU, n on a GPU). On the CPU the tiles of the upper block
    triangle are shared out to ``workers`` threads (default ``torch.get_num_threads()``); a 128×128 tile
    is below torch's parallel grain, so every elementwise call runs on its own thread, with no OpenMP
    barrier per call — on a loaded machine those barriers cost a scheduler time slice each.
    """
    n = x.shape[0]
    cuda = x.device.type == "cuda"
    tile = max(1, min(tile or (n if cuda else 128), n))
    out = torch.empty(n, n, dtype=torch.float64, device=x.device)
    starts = range(0, n, tile)
    pairs = iter([(slice(i, min(i + tile, n)), slice(j, min(j + tile, n))) for i in starts for j in starts if j >= i])
    lock = threading.Lock()

    def work() -> None:
        g = torch.empty(tile, tile, dtype=torch.float64, device=x.device)
        bufs = [torch.empty_like(g) for _ in range(3)]
        mask = torch.empty(tile, tile, dtype=torch.bool, device=x.device)
        while True:
            with lock:
                pair = next(pairs, None)
            if pair is None:
                return
            ri, rj = pair
            p, q = ri.stop - ri.start, rj.stop - rj.start
            gt = g[:p, :q]
            torch.mm(x[ri], x[rj].T, out=gt)
            s = out[ri, rj]
            _tile(gt, s, a, b, depth, [bb[:p, :q] for bb in bufs], mask[:p, :q])
            if average:
                s.div_(depth)
            if ri != rj:
                out[rj, ri].copy_(s.T)
            else:  # a GEMM need not return an exactly symmetric G: keep the upper triangle
                s.copy_(torch.triu(s) + torch.triu(s, 1).T)

    workers = 1 if cuda else (workers or torch.get_num_threads())
    if workers == 1:
        work()
    else:
        with ThreadPoolExecutor(workers) as pool:
            for fut in [pool.submit(work) for _ in range(workers)]:
                fut.result()
    return out
