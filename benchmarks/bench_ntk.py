"""Empirical NTK Gram of the L-hidden-layer net: ours against the torch.func Jacobian-contraction recipe.

Workload (full): n = 512 inputs, width m = 1024, L = 3 trained m×m matrices, d = 16, float64 (and a
float32 row). Ours: :func:`empirical.deep.ntk_fast.deep_ntk_gram`. Baselines, measured in the same
process: (1) the torch.func recipe — per-example Jacobians by ``vmap(jacrev(f))`` contracted as
Θ = Σ_ℓ J_ℓJ_ℓᵀ, taking f as a function of one layer's W_ℓ at a time so that J_ℓ (n·m² numbers,
4.3 GB in float64) fits in memory instead of the full n·L·m² (12.9 GB); (2) the straightforward layer-by-layer closed form
:func:`empirical.deep.ntk.deep_ntk_layerwise_reference`. Flops counted for ours
(:func:`empirical.deep.ntk_fast.deep_ntk_flops`): 2ndm + 2Lnm² (forward) + 2(L−1)nm² (backward)
+ 2Ln²m (contraction: two symmetric n×n×m products per layer at n²m each).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks.common import Row, matmul_peak, matmul_rate, parse_args, print_table, timed
from empirical.data import sphere_with_bias
from empirical.deep.network import DeepLeakyNet
from empirical.deep.ntk import deep_ntk_layerwise_reference
from empirical.deep.ntk_fast import deep_ntk_flops, deep_ntk_gram


def torchfunc_ntk(model: DeepLeakyNet, x: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """The torch.func recipe: Θ = Σ_ℓ J_ℓJ_ℓᵀ with J_ℓ = [∂f(x_i)/∂W_ℓ]_i from vmap(jacrev), one layer at a time.

    f is written as a function of W_ℓ alone (the other matrices are constants), so each pass forms
    only J_ℓ's per-example outer products: together the L passes do the work of one full Jacobian
    plus L−1 extra cheap back-propagations, with a third of its memory.
    """
    from torch.func import jacrev, vmap

    w, a, b = model.W.detach(), model.A, model.B
    n, m, depth = x.shape[0], model.m, model.depth
    out = torch.zeros(n, n, dtype=w.dtype, device=w.device)
    for layer in range(depth):
        def f(wl: torch.Tensor, xi: torch.Tensor, layer: int = layer) -> torch.Tensor:
            h = model.act(xi @ a.T)
            for q in range(depth):
                h = model.act((h @ (wl if q == layer else w[q]).T) * model.w_mult)
            return ((h @ b.T) * model.out_mult).reshape(())

        jac = vmap(jacrev(f), in_dims=(None, 0))
        jmat = torch.empty(n, m * m, dtype=w.dtype, device=w.device)
        for s in range(0, n, chunk):
            jmat[s:s + chunk] = jac(w[layer], x[s:s + chunk]).reshape(-1, m * m)
        out.addmm_(jmat, jmat.T)
        del jmat
    return out


def run(device: torch.device, quick: bool = False) -> list[Row]:
    n, m, depth, d = (256, 512, 3, 16) if quick else (512, 1024, 3, 16)
    rows = []
    chunk = n if device.type == "cuda" else 64
    for dtype in (torch.float64, torch.float32):
        if quick and dtype == torch.float32:
            continue
        x = sphere_with_bias(n, d, seed=0, device=device, dtype=dtype)
        net = DeepLeakyNet(d, m, depth, 0.0, seed=1, dtype=dtype, device=device)
        peak, shape = matmul_peak(device, dtype, ((n, m, m),))
        at_shape = matmul_rate(device, dtype, (n, m, m))
        flops = deep_ntk_flops(n, m, depth, d) / 1e9
        ours = timed(lambda net=net, x=x, dtype=dtype: deep_ntk_gram(net, x, dtype=dtype), device, repeat=10)
        fast = deep_ntk_gram(net, x, dtype=dtype)
        got = {}
        base_fn = lambda net=net, x=x, got=got: got.__setitem__("ref", torchfunc_ntk(net, x, chunk))  # noqa: E731
        # minutes on a CPU: one timed call (its result is the reference); on a GPU a warm-up and two calls
        cuda = device.type == "cuda"
        base = timed(base_fn, device, repeat=2 if cuda else 1, warmup=1 if cuda else 0)
        ref = got.pop("ref")
        err = float((fast - ref).abs().max() / ref.abs().max())
        name = str(dtype).replace("torch.", "")
        work = f"NTK Gram, n={n}, m={m}, L={depth}, {name}"
        rows.append(Row("ntk", work, ours, base, "torch.func vmap∘jacrev, J_ℓJ_ℓᵀ per layer", gflops=flops,
                        peak=peak, note=f"max rel. diff {err:.1e}; flops {flops:.2f} G; peak from matmul {shape}; "
                             f"matmul {n}×{m}·{m}×{m} at {at_shape:.0f} GFLOP/s"))
        del ref
        if dtype == torch.float64:
            base2 = timed(lambda net=net, x=x: deep_ntk_layerwise_reference(net, x), device, repeat=5)
            err2 = float((fast - deep_ntk_layerwise_reference(net, x)).abs().max() / fast.abs().max())
            rows.append(Row("ntk", work, ours, base2, "layer-by-layer closed form (previous code)", gflops=flops,
                            peak=peak, note=f"max rel. diff {err2:.1e}"))
    return rows


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    print_table(run(args.device, args.quick))
