"""Scale benchmark: a check_all run serial against --workers N, idle and beside a competing process;
the Dask LocalCluster's overhead per unit; peak memory per worker.

    python benchmarks/bench_workers.py                      # default: a 6-check subset of the quick profile
    python benchmarks/bench_workers.py --only ALL --workers 2

Each configuration runs ``python -m verification.check_all --fresh`` in a fresh subprocess on the same
checks, back to back, so the ratios compare runs made under the same conditions minutes apart. The
competing process is a busy loop of 2-thread float64 matmuls (what a shared machine looks like).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["lambda_min_bounds", "du_gd_bound", "arora_dynamics", "kgmmn_heatmap", "deep_ntk_convergence",
           "generalization_gap_epochs"]


def _hog(stop: float) -> None:
    import torch

    torch.set_num_threads(2)
    a = torch.randn(800, 800, dtype=torch.float64)
    while time.time() < stop:
        a = torch.tanh(a @ a / 800)


def run(only: list[str] | None, workers: int, extra: list[str], competing: bool) -> dict[str, float]:
    out = tempfile.mkdtemp(prefix="bench_workers_")
    cmd = [sys.executable, "-m", "verification.check_all", "--fresh", "--no-progress", "--out", out,
           "--workers", str(workers), *extra, *(["--only", *only] if only else [])]
    hog = None
    if competing:
        hog = mp.get_context("spawn").Process(target=_hog, args=(time.time() + 3600,), daemon=True)
        hog.start()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    if hog is not None:
        hog.terminate()
        hog.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr[-2000:])
    units = sum(c["units"] for c in json.loads((Path(out) / "report.json").read_text())["checks"])
    peak_children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall_s": wall, "units": units, "peak_rss_mb_any_child": peak_children_mb}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", default=DEFAULT, help="checks to run (ALL: every check)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster row")
    args = p.parse_args(argv)
    only = None if args.only == ["ALL"] else args.only
    rows = []
    for competing in (False, True):
        serial = run(only, 1, [], competing)
        par = run(only, args.workers, [], competing)
        rows.append((("busy" if competing else "idle"), serial, par))
    print(f"| condition | serial s | --workers {args.workers} s | ratio (serial / workers) | units |")
    print("|---|---|---|---|---|")
    for cond, s, w in rows:
        print(f"| {cond} | {s['wall_s']:.1f} | {w['wall_s']:.1f} | {s['wall_s'] / w['wall_s']:.2f} | {s['units']} |")
    if not args.no_dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("\n(Dask not installed: no LocalCluster row)")
        else:
            proc = run(only, args.workers, [], False)
            dask = run(only, args.workers, ["--dask"], False)
            per_unit = (dask["wall_s"] - proc["wall_s"]) / max(dask["units"], 1)
            print(f"\nDask LocalCluster ({args.workers} workers): {dask['wall_s']:.1f} s against {proc['wall_s']:.1f} s "
                  f"with standard-library processes: {per_unit * 1000:+.0f} ms per unit ({dask['units']} units)")
    print(f"\npeak resident memory of the largest child process (a worker or a serial run): "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
