"""Run every benchmark and write one markdown table.

    python benchmarks/run_all.py --device cpu --quick --out bench.md
    python benchmarks/run_all.py --device cuda --out bench-gpu.md

Each benchmark measures its baseline in the same process (and, for peak memory on the CPU, in fresh
subprocesses), so the ratios compare like with like; absolute times depend on the machine and its
load, which the table records row by row.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_analytic, bench_eigen, bench_memory, bench_ntk, bench_train
from benchmarks.common import machine_info, markdown_table, matmul_peak

BENCHES = {"ntk": bench_ntk, "analytic": bench_analytic, "eigen": bench_eigen, "train": bench_train,
           "memory": bench_memory}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--quick", action="store_true", help="smaller workloads")
    p.add_argument("--out", default=None, metavar="FILE", help="write the markdown table here as well")
    p.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these benchmarks")
    args = p.parse_args(argv)
    import torch

    from empirical.device import resolve_device

    device = resolve_device(args.device)
    header = [f"# Benchmarks ({'quick' if args.quick else 'full'}, {device.type})", "",
              f"Machine: {machine_info(device)}", ""]
    for dt in (torch.float64, torch.float32):
        rate, shape = matmul_peak(device, dt)
        header.append(f"- torch.matmul reference rate, {str(dt).replace('torch.', '')}: {rate:.1f} GFLOP/s ({shape})")
    print("\n".join(header), flush=True)
    rows, failed = [], []
    t_all = time.perf_counter()
    for name in args.only or list(BENCHES):
        t0 = time.perf_counter()
        try:
            got = BENCHES[name].run(device, args.quick)
        except Exception:  # one failing benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
            continue
        rows.extend(got)
        print(f"\n[{name}: {time.perf_counter() - t0:.1f} s]\n" + markdown_table(got), flush=True)
    total = time.perf_counter() - t_all
    text = "\n".join([*header, "", markdown_table(rows), "",
                      f"Total benchmark time {total:.1f} s." + (f" Failed: {', '.join(failed)}." if failed else ""), ""])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"\nwrote {args.out}")
    print(f"Total benchmark time {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
