"""Infinite-width deep NTK Θ_W (L = 5): the arc-cosine fast path against the term-by-term lambdified recursion.

Workload (full): n = 4096 unit-norm inputs (AZLS/GLL data with the bias coordinate), d = 10, L = 5,
α = 0, float64. Ours: :func:`empirical.deep.ntk.deep_ntk_analytic` (one arcsin and one square root
per entry and layer, symmetric cache-sized tiles). Baseline: the same function with ``fast=False``
(the formulas of :mod:`bounds` lambdified term by term over the whole matrix), in the same process.
Target: under 1 s on the 2-core CPU.
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


def run(device: torch.device, quick: bool = False) -> list[Row]:
    rows = []
    for n, depth, alpha in ((1024, 5, 0.0),) if quick else ((4096, 5, 0.0), (4096, 5, -0.5)):
        x = sphere_with_bias(n, 10, seed=0, device=device)
        ours = timed(lambda x=x, a=alpha, q=depth: deep_ntk_analytic(x, a, q), device, repeat=5)
        base = timed(lambda x=x, a=alpha, q=depth: deep_ntk_analytic(x, a, q, fast=False), device, repeat=2)
        fast, ref = deep_ntk_analytic(x, alpha, depth), deep_ntk_analytic(x, alpha, depth, fast=False)
        err = float((fast - ref).abs().max() / ref.abs().max())
        rows.append(Row("analytic", f"deep NTK Θ_W, n={n}, L={depth}, α={alpha:g}, float64", ours, base,
                        "lambdified recursion (fast=False)", note=f"max rel. diff {err:.1e}; target < 1 s"))
    return rows


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    print_table(run(args.device, args.quick))
