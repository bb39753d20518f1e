"""Cost model of a run: units per check, estimated seconds per unit, wall time for N workers.

Estimates come from ``OUT/timings.json``, which every run updates with the seconds each check's
measured units took (per profile and device type); failing that, from the timings shipped with the
package (``verification/default_timings.json``: measured on a 2-core CPU, see docs/scaling.md); a check
timed in neither has no estimate unless ``calibrate`` measures one of its units now — in a child
process stopped after ``calibrate_limit`` seconds, which then says "more than the limit" (a lower bound).
The wall time for N workers is the makespan
of the largest-first (LPT) schedule that :mod:`verification.parallel` uses, which is at most
4/3 of the optimum (Graham 1969).
"""

from __future__ import annotations

import heapq
import json
import math
import multiprocessing as mp
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .check import Check, Unit

__all__ = ["calibrate_unit", "load_timings", "lpt_makespan", "plan_rows", "record_timings", "render_plan",
           "shipped_timings"]

#: per-unit seconds measured by the project (docs/scaling.md), the fallback of every plan
SHIPPED = Path(__file__).with_name("default_timings.json")


def _key(profile: str, device_type: str) -> str:
    return f"{profile}|{device_type}"


def load_timings(out: Path) -> dict[str, dict[str, Any]]:
    """{profile|device: {check: {"seconds_per_unit", "units"}}} from ``out/timings.json`` ({} if unreadable)."""
    try:
        blob = json.loads((out / "timings.json").read_text(encoding="utf-8"))
        return blob if isinstance(blob, dict) else {}
    except (OSError, ValueError):
        return {}


def shipped_timings() -> dict[str, dict[str, Any]]:
    """The timings shipped with the package ({} if absent); entries may carry ``"note"`` and ``"lower_bound"``."""
    try:
        blob = json.loads(SHIPPED.read_text(encoding="utf-8"))
        return blob.get("timings", {}) if isinstance(blob, dict) else {}
    except (OSError, ValueError):
        return {}


def _calibration_child(queue: Any, check: str, unit: Unit, device: str) -> None:
    from .parallel import run_unit

    queue.put(run_unit(check, unit.config, unit.seed, dict(unit.params), device, threads=1)[1])


def calibrate_unit(check: str, unit: Unit, device: Any = "cpu", limit: float | None = None) -> float | None:
    """Seconds one unit takes (1 torch thread, a fresh spawned process), or ``None`` if it ran past ``limit``
    seconds and was stopped."""
    if limit is not None and not limit > 0:
        raise ValueError(f"calibration limit must be > 0 seconds, got {limit}")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_calibration_child, args=(queue, check, unit, str(getattr(device, "type", device))),
                       daemon=True)
    proc.start()
    try:
        secs = queue.get(timeout=limit) if limit is not None else queue.get()
    except Exception:  # queue.Empty: past the limit
        secs = None
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
    if secs is None and proc.exitcode not in (0, None, -15):
        raise RuntimeError(f"calibrating {check} failed: its process exited with status {proc.exitcode}")
    return secs


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
              profile: str, device_type: str, calibrate: bool = False, device: Any = "cpu",
              calibrate_limit: float | None = None, shipped: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per check: units, seconds per unit (stored, shipped, calibrated or unknown), the source of the estimate
    and ``lower_bound`` (the unit ran past the calibration limit: the true cost is larger)."""
    slot = timings.get(_key(profile, device_type), {})
    ship = (shipped_timings() if shipped is None else shipped).get(_key(profile, device_type), {})
    rows = []
    for chk in checks:
        units = units_by_check[chk.name]
        est, how, lower = math.nan, "unknown", False
        if chk.name in slot:
            est, how = float(slot[chk.name]["seconds_per_unit"]), f"stored ({slot[chk.name]['units']} units)"
        elif chk.name in ship:
            entry = ship[chk.name]
            est, lower = float(entry["seconds_per_unit"]), bool(entry.get("lower_bound", False))
            how = "shipped" + (f" ({entry['note']})" if entry.get("note") else "")
        elif calibrate and units:
            secs = calibrate_unit(chk.name, units[0], device, calibrate_limit)
            if secs is None:
                est, how, lower = float(calibrate_limit or 0), f"calibrated: > {calibrate_limit:g} s, stopped", True
            else:
                key = chk.batch_key(units[0])  # a batched unit measures its whole batch: share the cost
                share = sum(1 for u in units if chk.batch_key(u) == key) if key is not None else 1
                est, how = secs / share, "calibrated (1 unit)" if share == 1 else f"calibrated (1 batch of {share})"
        rows.append({"check": chk.name, "units": len(units), "seconds_per_unit": est, "estimate": how,
                     "lower_bound": lower})
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
        ge = "≥" if r.get("lower_bound") else " "
        lines.append(f"{r['check']:<{w}}  {r['units']:>5} {ge}{spu:>7.3g} {ge}{total:>9.3g}  {r['estimate']}")
        if math.isfinite(spu):
            costs += [spu] * r["units"]
        else:
            unknown.append(r["check"])
    lines.append("")
    bounded = [r["check"] for r in rows if r.get("lower_bound")]
    for n in workers:
        lines.append(f"estimated wall time with {n:>2} worker(s): {lpt_makespan(costs, n):.1f} s"
                     + (f"  (+ {len(unknown)} check(s) without an estimate)" if unknown else "")
                     + (f"  (at least: {len(bounded)} check(s) ran past the limit)" if bounded else ""))
    if unknown:
        lines.append("no estimate for: " + ", ".join(unknown) + " — run them once, or add --calibrate")
    if bounded:
        lines.append("past the calibration limit (needs a GPU or a longer --calibrate-limit): " + ", ".join(bounded))
    return "\n".join(lines)
