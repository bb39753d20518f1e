"""Shared benchmark helpers: timing with device synchronisation, the matmul reference rate, machine
information and the result table.

Every benchmark returns :class:`Row` objects: the workload, our time, the baseline's time measured in
the same process right before or after ours, their ratio, our achieved flop rate and its share of
what ``torch.matmul`` reaches on the same device in the same dtype (the *matmul peak*, measured once
per dtype at the start of the run), and the 1-minute load average when the row was measured.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/bench_x.py` from anywhere: import the project from its root
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

__all__ = ["ROOT", "Row", "device_sync", "load_average", "machine_info", "markdown_table", "matmul_peak", "matmul_rate",
           "parse_args", "print_table", "timed"]


@dataclass
class Row:
    """One line of a benchmark table (times in seconds; rate in GFLOP/s)."""

    bench: str
    workload: str
    ours: float
    baseline: float | None
    baseline_name: str
    ours_unit: str = "s"
    higher_is_better: bool = False  # True for rates such as steps/s
    gflops: float | None = None  # flops of one call of ours / 1e9
    peak: float | None = None  # matmul GFLOP/s in the same dtype
    note: str = ""
    load: float = field(default_factory=lambda: load_average())

    @property
    def ratio(self) -> float | None:
        """How many times better ours is than the baseline (> 1: ours is faster / smaller)."""
        if self.baseline is None or self.ours <= 0 or self.baseline <= 0:
            return None
        return self.ours / self.baseline if self.higher_is_better else self.baseline / self.ours

    @property
    def rate(self) -> float | None:
        """Our GFLOP/s: flops per call over the time, or times the calls per second for a rate row."""
        if self.gflops is None or self.ours <= 0:
            return None
        return self.gflops * self.ours if self.higher_is_better else self.gflops / self.ours

    @property
    def peak_share(self) -> float | None:
        return None if self.rate is None or not self.peak else self.rate / self.peak


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def device_sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device, repeat: int = 3, warmup: int = 1,
          max_total: float = 60.0) -> float:
    """Best wall time of ``repeat`` calls (after ``warmup`` calls), synchronising the device around each.

    Stops repeating once ``max_total`` seconds have been spent (at least one timed call is made).
    """
    for _ in range(warmup):
        fn()
    device_sync(device)
    best, spent = float("inf"), 0.0
    for _ in range(max(repeat, 1)):
        device_sync(device)
        t0 = time.perf_counter()
        fn()
        device_sync(device)
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent > max_total:
            break
    return best


_PEAK: dict[tuple[str, torch.dtype], tuple[float, str]] = {}


def matmul_rate(device: torch.device, dtype: torch.dtype, shape: tuple[int, int, int]) -> float:
    """GFLOP/s of ``torch.matmul`` for an (M×K)·(K×N) product, best of 10 calls after 2 warm-ups."""
    mm, kk, nn = shape
    a = torch.randn(mm, kk, dtype=dtype, device=device)
    b = torch.randn(kk, nn, dtype=dtype, device=device)
    out = torch.empty(mm, nn, dtype=dtype, device=device)
    t = timed(lambda: torch.matmul(a, b, out=out), device, repeat=10, warmup=2)
    return 2 * mm * kk * nn / t / 1e9


def matmul_peak(device: torch.device, dtype: torch.dtype, shapes: tuple[tuple[int, int, int], ...] = ()
                ) -> tuple[float, str]:
    """(GFLOP/s, shape) of the fastest ``torch.matmul`` among square products (2048 on the CPU, 4096 and
    8192 on a GPU) and ``shapes`` (M, K, N); cached per device and dtype, so the reference only rises."""
    key = (str(device), dtype)
    if key in _PEAK and not shapes:
        return _PEAK[key]
    best = _PEAK.get(key, (0.0, ""))
    squares = ((4096,) * 3, (8192,) * 3) if device.type == "cuda" else ((2048,) * 3,)
    for shape in (*([] if key in _PEAK else squares), *shapes):
        rate = matmul_rate(device, dtype, shape)
        if rate > best[0]:
            best = (rate, f"{shape[0]}×{shape[1]}·{shape[1]}×{shape[2]}")
    _PEAK[key] = best
    return best


def machine_info(device: torch.device) -> str:
    """One line: CPU model and cores (or GPU name), torch version, threads, load."""
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        model = platform.processor() or "unknown CPU"
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
            for line in out.splitlines():
                if line.startswith("Model name:"):
                    model = line.split(":", 1)[1].strip()
        except (OSError, subprocess.SubprocessError):
            pass
        what = f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"
    return (f"{what}; torch {torch.__version__}; Python {platform.python_version()}; "
            f"load average {load_average():.2f} at start")


def _fmt_time(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit != "s":
        return f"{v:.4g} {unit}"
    return f"{v * 1e3:.3g} ms" if v < 1 else f"{v:.3g} s"


def markdown_table(rows: list[Row]) -> str:
    head = ("| bench | workload | ours | baseline | baseline is | ratio | ours GFLOP/s | share of matmul peak "
            "| load | note |\n|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        ratio = "—" if r.ratio is None else (f"{r.ratio:.0f}×" if r.ratio >= 100 else f"{r.ratio:.3g}×")
        rate = "—" if r.rate is None else f"{r.rate:.1f}"
        share = "—" if r.peak_share is None else f"{100 * r.peak_share:.0f} % of {r.peak:.0f}"
        lines.append(f"| {r.bench} | {r.workload} | {_fmt_time(r.ours, r.ours_unit)} | "
                     f"{_fmt_time(r.baseline, r.ours_unit)} | {r.baseline_name} | {ratio} | {rate} | {share} | "
                     f"{r.load:.2f} | {r.note} |")
    return "\n".join(lines)


def print_table(rows: list[Row]) -> None:
    print(markdown_table(rows), flush=True)


def parse_args(description: str, argv: list[str] | None = None):
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--quick", action="store_true", help="smaller workloads (CI-sized)")
    args = p.parse_args(argv)
    from empirical.device import resolve_device

    args.device = resolve_device(args.device)
    return args
