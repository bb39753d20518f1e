"""Cost model of a run: units per check, estimated seconds per unit, wall time for N workers.

Estimates come from ``OUT/timings.json``, which every run updates with the seconds each check's
measured units took (per profile and device type); a check never timed there has no estimate
unless ``calibrate`` measures one of its units now. The wall time for N workers is the makespan
of the largest-first (LPT) schedule that :mod:`verification.parallel` uses, which is at most
4/3 of the optimum (Graham 1969).
"""

from __future__ import annotations

import heapq
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .check import Check, Unit

__all__ = ["load_timings", "lpt_makespan", "plan_rows", "record_timings", "render_plan"]


def _key(profile: str, device_type: str) -> str:
    return f"{profile}|{device_type}"


def load_timings(out: Path) -> dict[str, dict[str, Any]]:
    """{profile|device: {check: {"seconds_per_unit", "units"}}} from ``out/timings.json`` ({} if unreadable)."""
    try:
        blob = json.loads((out / "timings.json").read_text(encoding="utf-8"))
        return blob if isinstance(blob, dict) else {}
    except (OSError, ValueError):
        return {}


def record_timings(out: Path, profile: str, device_type: str, measured: Mapping[str, tuple[int, float]]) -> None:
    """Merge {check: (units measured, seconds)} of this run into ``out/timings.json`` (atomically)."""
    from .store import atomic_write_text

    blob = load_timings(out)
    slot = blob.setdefault(_key(profile, device_type), {})
    for name, (k, secs) in measured.items():
        if k > 0:
            slot[name] = {"seconds_per_unit": secs / k, "units": k}
    atomic_write_text(out / "timings.json", json.dumps(blob, indent=1, sort_keys=True))


def lpt_makespan(costs: Sequence[float], workers: int) -> float:
    """Wall time of scheduling ``costs`` largest first onto ``workers`` identical workers."""
    if workers < 1:
        raise ValueError(f"workers={workers} must be ≥ 1")
    loads = [0.0] * workers
    heapq.heapify(loads)
    for c in sorted(costs, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + c)
    return max(loads)


def plan_rows(checks: Sequence[Check], units_by_check: Mapping[str, Sequence[Unit]], timings: Mapping[str, Any],
              profile: str, device_type: str, calibrate: bool = False, device: Any = "cpu") -> list[dict[str, Any]]:
    """Per check: units, seconds per unit (stored, calibrated or unknown) and the source of the estimate."""
    slot = timings.get(_key(profile, device_type), {})
    rows = []
    for chk in checks:
        units = units_by_check[chk.name]
        est, how = math.nan, "unknown"
        if chk.name in slot:
            est, how = float(slot[chk.name]["seconds_per_unit"]), f"stored ({slot[chk.name]['units']} units)"
        elif calibrate and units:
            t0 = time.perf_counter()
            chk.measure(units[0], device)
            est, how = time.perf_counter() - t0, "calibrated (1 unit)"
        rows.append({"check": chk.name, "units": len(units), "seconds_per_unit": est, "estimate": how})
    return rows


def render_plan(rows: Sequence[Mapping[str, Any]], workers: Sequence[int]) -> str:
    """The plan as a table plus the estimated wall time for each worker count."""
    w = max(len(r["check"]) for r in rows)
    lines = [f"{'check':<{w}}  units  s/unit    total s  estimate"]
    costs: list[float] = []
    unknown = []
    for r in rows:
        spu = r["seconds_per_unit"]
        total = spu * r["units"]
        lines.append(f"{r['check']:<{w}}  {r['units']:>5}  {spu:>7.3g}  {total:>9.3g}  {r['estimate']}")
        if math.isfinite(spu):
            costs += [spu] * r["units"]
        else:
            unknown.append(r["check"])
    lines.append("")
    for n in workers:
        lines.append(f"estimated wall time with {n:>2} worker(s): {lpt_makespan(costs, n):.1f} s"
                     + (f"  (+ {len(unknown)} check(s) without an estimate)" if unknown else ""))
    if unknown:
        lines.append("no estimate for: " + ", ".join(unknown) + " — run them once, or add --calibrate")
    return "\n".join(lines)
