"""Peak memory of the empirical NTK Gram for large n: row/column blocks against the unblocked reference.

Workload (full): n = 20 000 inputs, m = 1024, L = 3, d = 16, float64 — the Gram alone is n²·8 B =
3.2 GB. Ours: :func:`empirical.deep.ntk.deep_ntk_layerwise` with ``block_rows=2048``: the 2·L·n·m
feature matrices (h̃_{ℓ−1}, δ̃_ℓ) once, then the lower block triangle of Θ filled block by block with
O(L·block²) scratch; per-example Jacobians (n·L·m² numbers: 515 GB here) are never formed. Baseline:
:func:`empirical.deep.ntk.deep_ntk_layerwise_reference` (per layer two full n×n products, the
(L, n, n) stack and its sum), run at n = 20 000 only where it fits (a GPU), and at n = 5000 everywhere.

Peak memory is the increase over the memory in use just before the call: on the CPU the peak
resident set (VmHWM) of a fresh subprocess minus its VmRSS before the call; on a GPU
``torch.cuda.max_memory_allocated`` minus ``memory_allocated`` before the call.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks.common import Row, matmul_peak, parse_args, print_table

GB = 1e9


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(method: str, n: int, m: int, depth: int, d: int, device: torch.device, block: int) -> dict:
    """Time and peak extra memory (bytes) of one Gram, in this process."""
    from empirical.data import sphere_with_bias
    from empirical.deep.network import DeepLeakyNet
    from empirical.deep.ntk import deep_ntk_layerwise, deep_ntk_layerwise_reference

    fn = (lambda net, x: deep_ntk_layerwise(net, x, block_rows=block)) if method == "blocked" else deep_ntk_layerwise_reference
    fn(DeepLeakyNet(d, 64, depth, 0.0, seed=1, device=device), sphere_with_bias(64, d, seed=0, device=device))  # load
    # the BLAS kernels and thread pools first, so that they do not count as the Gram's memory
    x = sphere_with_bias(n, d, seed=0, device=device)
    net = DeepLeakyNet(d, m, depth, 0.0, seed=1, device=device)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    else:
        before = _status("VmRSS")
    t0 = time.perf_counter()
    out = fn(net, x)
    if cuda:
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated(device) if cuda else _status("VmHWM")) - before
    # a fingerprint of the result, to compare the two methods at the same n
    probe = out[:: max(n // 64, 1), :: max(n // 64, 1)].double().cpu()
    return {"seconds": seconds, "peak": peak, "probe": probe.tolist(), "out_bytes": out.numel() * out.element_size()}


def _in_subprocess(method: str, n: int, m: int, depth: int, d: int, block: int) -> dict:
    """Run :func:`measure` on the CPU in a fresh interpreter, so its peak RSS is this Gram's alone."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child",
           json.dumps({"method": method, "n": n, "m": m, "depth": depth, "d": d, "block": block})]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"child {method} n={n} failed: {res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(device: torch.device, quick: bool = False) -> list[Row]:
    from empirical.deep.ntk_fast import deep_ntk_flops

    m, depth, d, block = 1024, 3, 16, 2048
    big, small = (6000, 2000) if quick else (20_000, 5000)
    cuda = device.type == "cuda"
    peak, _ = matmul_peak(device, torch.float64)

    def get(method: str, n: int) -> dict:
        if cuda:
            out = measure(method, n, m, depth, d, device, block)
            torch.cuda.empty_cache()
            return out
        return _in_subprocess(method, n, m, depth, d, block)

    rows = []
    for n in (small, big):
        ours = get("blocked", n)
        # the reference needs (L + 2)·n² doubles at once plus its features: run it where that fits
        need = (depth + 3) * n * n * 8 + 4 * depth * n * m * 8
        room = torch.cuda.mem_get_info(device)[0] if cuda else _available_ram()
        base = get("reference", n) if need < 0.7 * room else None
        note = f"output {ours['out_bytes'] / GB:.2f} GB; block_rows={block}"
        if base is not None:
            a, b = torch.tensor(ours["probe"]), torch.tensor(base["probe"])
            note += f"; max rel. diff {float((a - b).abs().max() / b.abs().max()):.1e}"
        else:
            note += f"; reference not run: needs ≈{need / GB:.0f} GB, {room / GB:.0f} GB free"
        work = f"NTK Gram, n={n}, m={m}, L={depth}, float64"
        rows.append(Row("memory", work, ours["peak"] / GB, None if base is None else base["peak"] / GB,
                        "unblocked layer-by-layer reference", ours_unit="GB", note=note))
        rows.append(Row("memory", work + " (time)", ours["seconds"], None if base is None else base["seconds"],
                        "unblocked layer-by-layer reference", gflops=deep_ntk_flops(n, m, depth, d) / 1e9, peak=peak,
                        note="time of the same calls"))
    return rows


def _available_ram() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return float(line.split()[1]) * 1024
    return 0.0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        spec = json.loads(sys.argv[2])
        res = measure(spec["method"], spec["n"], spec["m"], spec["depth"], spec["d"], torch.device("cpu"), spec["block"])
        print(json.dumps(res))
    else:
        args = parse_args(__doc__.splitlines()[0])
        print_table(run(args.device, args.quick))
