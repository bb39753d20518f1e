"""Join the unit stores of several runs (shards) and write the report of the whole.

    python -m verification.merge OUT1 OUT2 … --out ALL

Every ``OUTk`` must hold a ``run.json`` written by ``check_all --shard i/N`` (or any run) with the
same profile, seeds, checks, overrides and device type. Unit files are copied into ``ALL/units``;
two different files under the same name are a conflict and nothing is merged. Then the ordinary
``check_all`` runs on ``ALL`` with those settings: it finds every unit stored, measures nothing that
is already there, decides every check and writes ``ALL/report.json`` and ``ALL/report.md``.
Exit status: that of ``check_all`` (0, 1), or 2 for bad usage or a conflict (one line, no traceback).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "merge_stores"]


class MergeError(Exception):
    """Shards that do not belong together, or a conflicting duplicate unit."""


def _record(folder: Path) -> dict:
    try:
        rec = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MergeError(f"{str(folder)!r} has no run.json (was it written by check_all?)") from None
    except (OSError, ValueError) as exc:
        raise MergeError(f"{str(folder / 'run.json')!r} cannot be read: {exc}") from None
    if not isinstance(rec, dict):
        raise MergeError(f"{str(folder / 'run.json')!r} is not a run record")
    return rec


def merge_stores(sources: Sequence[Path], dest: Path) -> tuple[dict, int]:
    """Copy every source's unit files into ``dest/units``; returns (common run record, files copied)."""
    records = [_record(s) for s in sources]
    common = {k: v for k, v in records[0].items() if k != "shard"}
    for src, rec in zip(sources, records, strict=True):
        other = {k: v for k, v in rec.items() if k != "shard"}
        if other != common:
            diff = sorted(k for k in set(common) | set(other) if common.get(k) != other.get(k))
            raise MergeError(f"{str(src)!r} was run with other settings ({', '.join(diff)}) than {str(sources[0])!r}")
    planned: dict[Path, Path] = {}
    for src in sources:
        for f in sorted((src / "units").rglob("*.json")):
            rel = f.relative_to(src / "units")
            target = dest / "units" / rel
            for prior in (planned.get(rel), target if target.exists() else None):
                if prior is not None and prior.read_bytes() != f.read_bytes():
                    raise MergeError(f"conflicting unit {str(rel)!r}: {str(f)!r} differs from {str(prior)!r}")
            planned.setdefault(rel, f)
    for rel, f in planned.items():
        (dest / "units" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest / "units" / rel)
    return common, len(planned)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m verification.merge", description=__doc__.split("\n")[0])
    p.add_argument("sources", nargs="+", metavar="OUT", help="folders of the runs (shards) to merge")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the merged run")
    p.add_argument("--no-progress", action="store_true")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    sources = [Path(s) for s in args.sources]
    dest = Path(args.out)
    try:
        missing = [str(s) for s in sources if not s.is_dir()]
        if missing:
            raise MergeError(f"not a folder: {missing[0]!r}")
        if any(s.resolve() == dest.resolve() for s in sources):
            raise MergeError(f"--out {str(dest)!r} must not be one of the sources")
        dest.mkdir(parents=True, exist_ok=True)
        common, copied = merge_stores(sources, dest)
    except (MergeError, OSError) as exc:
        print(f"merge: error: {exc}", file=sys.stderr)
        return 2
    print(f"merged {copied} unit files from {len(sources)} runs into {dest / 'units'}", file=sys.stderr)
    from .check_all import main as check_all

    cmd = ["--profile", common["profile"], "--out", str(dest), "--device", common["device_type"]]
    if common.get("only"):
        cmd += ["--only", *common["only"]]
    if common.get("seeds"):
        cmd += ["--seeds", *map(str, common["seeds"])]
    for name, values in (common.get("overrides") or {}).items():
        for k, v in values.items():
            cmd += ["--set", f"{name}.{k}={json.dumps(v)}"]
    if args.no_progress:
        cmd.append("--no-progress")
    return check_all([*cmd, "--workers", "1"])


if __name__ == "__main__":
    sys.exit(main())
