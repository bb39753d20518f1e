"""Smallest eigenvalues of a Gram: :func:`empirical.eigen.smallest_eigenvalues` against a full ``eigvalsh``.

Workload (full): the infinite-width deep NTK Θ_W (L = 3, α = 0) of n = 5000 AZLS/GLL inputs (d = 10),
float64, its k = 1 and k = 5 smallest eigenvalues. Ours: Cholesky factorisation and Lanczos on H⁻¹
(two triangular solves per step). Baseline: ``torch.linalg.eigvalsh`` of the whole matrix (all n
eigenvalues), in the same process. The note gives the largest relative difference of the k values.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks.common import Row, parse_args, print_table, timed
from empirical.data import sphere_with_bias
from empirical.deep.ntk import deep_ntk_analytic
from empirical.eigen import smallest_eigenvalues


def run(device: torch.device, quick: bool = False) -> list[Row]:
    n = 2000 if quick else 5000
    h = deep_ntk_analytic(sphere_with_bias(n, 10, seed=0, device=device), 0.0, 3)
    full = {}
    torch.linalg.eigvalsh(h[:256, :256])  # load LAPACK's kernels and workspaces before the timed call
    base = timed(lambda: full.setdefault("ev", torch.linalg.eigvalsh(h)), device, repeat=1, warmup=0)
    ev = full["ev"].cpu().numpy()
    rows = []
    for k in (1, 5):
        ours = timed(lambda k=k: smallest_eigenvalues(h, k=k), device, repeat=3, warmup=0)
        err = float(max(abs(smallest_eigenvalues(h, k=k) - ev[:k]) / abs(ev[:k])))
        rows.append(Row("eigen", f"{k} smallest eigenvalue(s) of deep NTK Gram, n={n}, float64", ours, base,
                        "torch.linalg.eigvalsh (all eigenvalues)",
                        note=f"max rel. diff {err:.1e}; λ_min = {ev[0]:.4g}, λ_max = {ev[-1]:.4g}"))
    return rows


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    print_table(run(args.device, args.quick))
