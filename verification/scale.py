"""The measuring phase of ``check_all`` at scale: parallel workers, Dask, shards (docs/scaling.md).

``check_all`` first builds every selected check's units. This module then

* measures the units missing from the store with :func:`verification.parallel.measure_jobs`
  (``--workers N`` processes, or ``--scheduler ADDRESS`` for Dask), saving each as it arrives, after
  which the ordinary per-check loop finds every unit stored and only decides and draws; or
* with ``--shard i/N`` keeps only a deterministic, disjoint i-th share of the units (round robin over
  the canonical order: checks in listing order, units in their check's order), measures those into
  the shard's own ``--out`` and writes ``run.json``, so that ``python -m verification.merge`` can
  join the shards and decide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .check import Check, Unit

__all__ = ["parse_shard", "run_record", "shard_units", "write_run_record"]


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' with 1 ≤ i ≤ N → (i, N); ValueError naming the text otherwise."""
    head, sep, tail = text.partition("/")
    try:
        i, n = int(head), int(tail)
    except ValueError:
        raise ValueError(f"--shard expects i/N with integers 1 ≤ i ≤ N, got {text!r}") from None
    if not sep or n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard expects i/N with integers 1 ≤ i ≤ N, got {text!r}")
    return i, n


def shard_units(checks: Sequence[Check], units_by_check: Mapping[str, Sequence[Unit]], shard: tuple[int, int]
                ) -> dict[str, list[Unit]]:
    """The i-th of N disjoint shares of all units (round robin over the canonical order)."""
    i, n = shard
    out: dict[str, list[Unit]] = {c.name: [] for c in checks}
    j = 0
    for chk in checks:
        for unit in units_by_check[chk.name]:
            if j % n == i - 1:
                out[chk.name].append(unit)
            j += 1
    return out


def run_record(profile: str, seeds: Sequence[int] | None, only: Sequence[str] | None, overrides: Mapping[str, Any],
               device_type: str, shard: tuple[int, int] | None) -> dict[str, Any]:
    """What a shard ran, so that merge can check the shards belong together and rerun the decision."""
    return {"profile": profile, "seeds": list(seeds) if seeds is not None else None,
            "only": list(only) if only else None, "overrides": dict(overrides), "device_type": device_type,
            "shard": list(shard) if shard else None}


def write_run_record(out: Path, record: Mapping[str, Any]) -> None:
    from .store import atomic_write_text

    atomic_write_text(out / "run.json", json.dumps(record, indent=1, sort_keys=True))
