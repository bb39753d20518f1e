"""Run every verification check and write a report.

    python -m verification.check_all                    # quick profile, all checks, into ./results
    python -m verification.check_all --list             # the checks, with their claims
    python -m verification.check_all --only kernel_monte_carlo finite_width_gram --seeds 0 1 2 3
    python -m verification.check_all --profile full --device cuda --out runs/full
    python -m verification.check_all --only du_gd_bound --set eta=0.01 --set steps=3000   # what if?

Exit status: 0 when no check is violated, 1 when a check is violated or could not run (or the
report could not be written), 2 on bad usage (one line on stderr, no traceback), 130 on Ctrl-C (one
line). ``--set`` values are validated before anything runs (verification/overrides.py). Finished
units are stored under ``OUT/units`` as they complete; rerunning after an interruption reuses the
ones that verify (``--fresh`` ignores them; a damaged one is named on stderr and measured again).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from .check import PROFILES, CheckResult, Verdict

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SEED_LIMIT = 2**63


class UsageError(Exception):
    """Bad command-line usage: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage + exit 2 with a traceback-free
        raise UsageError(message)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}")
    if value >= SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"seed must be < 2**63, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m verification.check_all",
                description="Check the theory of over-parameterized leaky-ReLU networks against trained networks.")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks")
    p.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    p.add_argument("--device", default="auto", help="auto (GPU if present), cpu, cuda or cuda:N")
    p.add_argument("--seeds", nargs="+", type=_seed, metavar="SEED",
                   help="seeds to run (default: the profile's, e.g. 0 1 2 for quick)")
    p.add_argument("--out", default="results", metavar="DIR", help="output folder (default ./results)")
    p.add_argument("--fresh", action="store_true", help="ignore finished units stored in DIR")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a profile parameter of the selected checks (VALUE in JSON, e.g. eta=0.5); repeatable")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:40] + "…" + text[-20:]) + f" ({len(text)} characters)"


def _check_out_dir(text: str) -> Path:
    """The output folder, created if needed; any problem (empty, a file, too long, no permission,
    a NUL byte, …) is a :class:`UsageError` in one line."""
    if not text.strip():
        raise UsageError("--out must name a folder, got an empty string")
    path = Path(text)
    try:
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {_shown(text)} exists and is not a directory")
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".check_all_probe_{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"--out {_shown(text)} cannot be used: {why}") from None
    return path


def _parse_overrides(items: Sequence[str], checks: list, profile: str) -> dict[str, object]:
    """``--set`` items → {key: value}, each value validated against every selected check's default."""
    import json

    from .overrides import OverrideError, validate_override

    out: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise UsageError(f"--set {key}: value {_shown(text)} is not JSON "
                             "(numbers, true/false, \"strings\", [lists])") from None
    for chk in checks:
        defaults = chk.params(profile)
        missing = [k for k in out if k not in defaults]
        if missing:
            raise UsageError(f"--set {missing[0]}: check {chk.name!r} has no such parameter; "
                             f"its parameters: {', '.join(defaults)}")
        for key in list(out):
            try:
                out[key] = validate_override(key, out[key], defaults[key], chk.param_ranges)
            except OverrideError as exc:
                shown = str(defaults[key]) if len(str(defaults[key])) <= 60 else str(defaults[key])[:57] + "..."
                raise UsageError(f"--set {exc} (check {chk.name!r}, default {shown})") from None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, validate, run; every way out is an exit status with at most one line of error."""
    t_start = time.perf_counter()
    try:
        return _main(argv, t_start)
    except KeyboardInterrupt:
        print("\ncheck_all: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None, t_start: float) -> int:
    try:
        args = build_parser().parse_args(argv)
        from empirical.device import resolve_device

        from .registry import all_checks, select

        if args.list:
            for c in all_checks():
                print(f"{c.name:<28} {c.claim}")
            return EXIT_OK
        if args.profile not in PROFILES:
            raise UsageError(f"unknown profile {args.profile!r}; choose from {', '.join(PROFILES)}")
        try:
            device = resolve_device(args.device)
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from None
        try:
            checks = select(args.only)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
        if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
            raise UsageError(f"--seeds must be distinct, got {' '.join(map(str, args.seeds))}")
        args.overrides = _parse_overrides(args.overrides, checks, args.profile)
        plan = _plan(checks, args)
        out = _check_out_dir(args.out)
    except UsageError as exc:
        print(f"check_all: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _run(checks, args, device, out, t_start, plan)


def _plan(checks: list, args: argparse.Namespace) -> int:
    """The number of units to run; a check that cannot list its units with these values is bad usage."""
    from .runner import apply_overrides

    total = 0
    for c in checks:
        try:
            total += len(c.units(apply_overrides(c, c.params(args.profile), args.overrides),
                                 args.seeds or list(range(c.default_seeds[args.profile]))))
        except Exception as exc:  # any failure here comes from the values given
            raise UsageError(f"check {c.name!r} cannot plan its units with these settings: "
                             f"{type(exc).__name__}: {exc}") from None
    return total


def _run(checks: list, args: argparse.Namespace, device: object, out: Path, t_start: float, total: int) -> int:
    from .report import build_report, format_table, write_report
    from .runner import run_check
    from .store import UnitStore

    store = UnitStore(out, fresh=args.fresh)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="unit", file=sys.stderr, dynamic_ncols=True, leave=False)
    results: list[CheckResult] = []
    errors: dict[str, str] = {}
    timing: dict[str, dict[str, float] | float] = {}
    try:
        for chk in checks:
            if bar is not None:
                bar.set_description(chk.name)
            t = {}
            t0 = time.perf_counter()
            try:
                results.append(run_check(chk, args.profile, args.seeds, device, store=store,
                                         figures_dir=out / "figures", overrides=args.overrides,
                                         on_unit=(bar.update if bar is not None else None), timings=t))
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a broken check must not hide the others' verdicts
                errors[chk.name] = f"{type(exc).__name__}: {exc}"
                try:
                    (out / "errors").mkdir(exist_ok=True)
                    (out / "errors" / f"{chk.name}.txt").write_text(traceback.format_exc(), encoding="utf-8")
                except OSError as werr:
                    errors[chk.name] += f" (traceback not kept: {werr.strerror or werr})"
            t["total_s"] = time.perf_counter() - t0
            timing[chk.name] = t
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"\ncheck_all: interrupted; finished units are kept in {out / 'units'} — rerun the same "
              "command to resume", file=sys.stderr)
        return 130
    if bar is not None:
        bar.close()
    for line in store.warnings:  # one line per stored unit that was not used (it was measured again)
        print(f"check_all: warning: {line}", file=sys.stderr)
    wall = time.perf_counter() - t_start
    timing["total_s"] = wall
    timing["reused_units"] = store.reused
    timing["store_warnings"] = list(store.warnings)
    report = build_report(results, args.profile, str(device), errors, timing)
    try:
        js, md = write_report(report, out)
    except OSError as exc:
        print(f"check_all: error: the report cannot be written to {_shown(str(out))}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_VIOLATED
    print(format_table(results, errors))
    counts = report["summary"]
    print(f"\n{counts['holds']} holds, {counts['violated']} violated, {counts['inconclusive']} inconclusive"
          f"{', ' + str(len(errors)) + ' errors (tracebacks in ' + str(out / 'errors') + ')' if errors else ''}. "
          f"Report: {md} and {js}")
    print(f"Wall time: {wall:.1f} s ({store.reused} stored units reused)")
    violated = any(r.verdict is Verdict.VIOLATED for r in results)
    return EXIT_VIOLATED if (violated or errors) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
