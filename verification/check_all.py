"""Run every verification check and write a report.

    python -m verification.check_all                    # quick profile, all checks, into ./results
    python -m verification.check_all --list             # the checks, with their claims
    python -m verification.check_all --only kernel_monte_carlo finite_width_gram --seeds 0 1 2 3
    python -m verification.check_all --profile full --device cuda --out runs/full
    python -m verification.check_all --only du_gd_bound --set eta=0.01 --set steps=3000   # what if?
    python -m verification.check_all --explain du_gd_bound  # claim → bounds (file:line) → experiments → docs
    python -m verification.check_all --workers 4            # units in 4 worker processes (docs/scaling.md)
    python -m verification.check_all --shard 2/8 --out s2   # the 2nd of 8 disjoint shares; then verification.merge
    python -m verification.check_all --plan --profile full  # units and estimated time per check

Exit status: 0 when no check is violated, 1 when a check is violated or could not run (or the
report could not be written), 2 on bad usage (one line on stderr, no traceback), 130 on Ctrl-C (one
line). ``--set`` values are validated before anything runs (verification/overrides.py). Finished
units are stored under ``OUT/units`` as they complete; rerunning after an interruption reuses the
ones that verify (``--fresh`` ignores them; a damaged one is named on stderr and measured again).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .check import CheckResult

#: the same as verification.check.PROFILES (a test keeps them equal); not imported, so that start-up is light
PROFILES = ("quick", "full")

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
    from verification import __version__

    p = _Parser(prog="python -m verification.check_all",
                description="Check the theory of over-parameterized leaky-ReLU networks against trained networks.")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--version", action="version", version=f"leaky-theory {__version__}")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these checks")
    p.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    p.add_argument("--device", default="auto", help="auto (GPU if present), cpu, cuda or cuda:N")
    p.add_argument("--seeds", nargs="+", type=_seed, metavar="SEED",
                   help="seeds to run (default: the profile's, e.g. 0 1 2 for quick)")
    p.add_argument("--out", default="results", metavar="DIR", help="output folder (default ./results)")
    p.add_argument("--fresh", action="store_true", help="ignore finished units stored in DIR")
    p.add_argument("--set", action="append", default=[], metavar="[CHECK.]KEY=VALUE", dest="overrides",
                   help="override a profile parameter of every selected check that has it, or of CHECK only (VALUE in JSON, "
                        "e.g. eta=0.5 or du_gd_bound.eta=0.5); repeatable")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--params", metavar="NAME", help="print one check's parameters (default, type) for --profile")
    p.add_argument("--explain", metavar="NAME", help="print the chain claim → bounds → experiments → docs of one check")
    p.add_argument("--workers", type=_workers, default=None, metavar="N",
                   help="measure units in N worker processes (default: the number of cores; 1 = serial)")
    p.add_argument("--threads", type=_workers, default=1, metavar="T",
                   help="torch threads per unit (default 1, in every worker and in a serial run, so that the "
                        "report is the same for any --workers)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send units to the Dask scheduler at ADDRESS (extra [dask])")
    p.add_argument("--dask", action="store_true", help="with --workers N, use a Dask LocalCluster (extra [dask])")
    p.add_argument("--shard", metavar="i/N", help="measure only the i-th of N disjoint shares of the units")
    p.add_argument("--data-dir", action="append", default=[], metavar="DIR", dest="data_dirs",
                   help="a folder with IDX datasets (Fashion-MNIST, MNIST), searched before LEAKY_THEORY_DATA and "
                        "/usr/share/datasets; repeatable")
    p.add_argument("--plan", action="store_true", help="print units and estimated seconds per check, then exit")
    p.add_argument("--calibrate", action="store_true", help="with --plan: time one unit of checks never timed")
    p.add_argument("--calibrate-limit", type=float, metavar="S", default=None,
                   help="with --calibrate: stop a unit after S seconds and report '> S s' (default: no limit)")
    return p


_SLICE_TITLES = {"two_layer": "Two-layer NTK theory (DZPS19, ADHLW19, PSG20)",
                 "benign": "Benign overfitting (KGMMN24, H25, FCB22)",
                 "deep": "Deep networks (AZLS19, GLL24)",
                 "generalization": "Generalization (ADHLW19, CG19/CG20, GLL24's early stopping)"}


def _listing(checks: list) -> str:
    """The checks grouped by slice (and so by paper), names padded to the longest."""
    width = max(len(c.name) for c in checks)
    groups: dict[str, list] = {}
    for c in checks:
        groups.setdefault(type(c).__module__.split(".")[2], []).append(c)
    lines: list[str] = []
    for slice_name, members in groups.items():
        lines += ["" if lines else None, _SLICE_TITLES.get(slice_name, slice_name)]
        lines += [f"  {c.name:<{width}}  {c.claim}" for c in members]
    return "\n".join(line for line in lines if line is not None)


def _params_table(check: object, profile: str) -> str:
    """Name, default and JSON type of each parameter of ``check`` under ``profile`` (what --set may change)."""
    import json

    params = check.params(profile)
    ranges = getattr(check, "param_ranges", {}) or {}
    w = max(len(k) for k in params)
    lines = [f"{check.name} ({profile} profile) — change with --set {check.name}.KEY=VALUE or --set KEY=VALUE"]
    for k, v in params.items():
        kind = type(v).__name__ if not isinstance(v, list) else f"list[{type(v[0]).__name__ if v else '?'}]"
        rng = f"  range {ranges[k]}" if k in ranges else ""
        text = json.dumps(v, default=str)
        lines.append(f"  {k:<{w}}  {kind:<12} {text if len(text) <= 70 else text[:69] + '…'}{rng}")
    return "\n".join(lines)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers must be a positive integer, got {text!r}") from None
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError(f"--workers must be between 1 and 1024, got {text!r}")
    return value


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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


def _parse_overrides(items: Sequence[str], checks: list, profile: str) -> dict[str, dict[str, object]]:
    """``--set`` items → {check: {key: value}}, each value validated against that check's default.

    ``KEY=VALUE`` sets KEY in every selected check that has a parameter KEY (an error if none has);
    ``NAME.KEY=VALUE`` sets it in check NAME only (which must be selected). A later item wins."""
    import json

    from .overrides import OverrideError, validate_override

    by_name = {c.name: c for c in checks}
    out: dict[str, dict[str, object]] = {c.name: {} for c in checks}
    for item in items:
        target, sep, text = item.partition("=")
        name, dot, key = target.rpartition(".")
        if not sep or not key.isidentifier() or (dot and not name):
            raise UsageError(f"--set expects KEY=VALUE or CHECK.KEY=VALUE, got {item!r}")
        if dot and name not in by_name:
            raise UsageError(f"--set {target}: check {name!r} is not selected; selected: {', '.join(by_name)}")
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise UsageError(f"--set {target}: value {_shown(text)} is not JSON "
                             "(numbers, true/false, \"strings\", [lists])") from None
        targets = [by_name[name]] if dot else [c for c in checks if key in c.params(profile)]
        if not targets:
            raise UsageError(f"--set {key}: no selected check has such a parameter; "
                             f"see --params NAME for a check's parameters")
        for chk in targets:
            defaults = chk.params(profile)
            if key not in defaults:
                raise UsageError(f"--set {target}: check {chk.name!r} has no such parameter; "
                                 f"its parameters: {', '.join(defaults)}")
            try:
                out[chk.name][key] = validate_override(key, value, defaults[key], chk.param_ranges)
            except OverrideError as exc:
                shown = str(defaults[key]) if len(str(defaults[key])) <= 60 else str(defaults[key])[:57] + "..."
                raise UsageError(f"--set {exc} (check {chk.name!r}, default {shown})") from None
    return {k: v for k, v in out.items() if v}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, validate, run; every way out is an exit status with at most one line of error."""
    import signal

    t_start = time.perf_counter()
    handler = signal.getsignal(signal.SIGINT)
    data_env = os.environ.get(DATA_ENV)
    try:
        return _main(argv, t_start)
    except BaseException as exc:  # Ctrl-C, or an error raised while a Ctrl-C was being handled
        if not _interrupted(exc):
            raise
        _ignore_further_interrupts()
        print("\ncheck_all: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if __name__ != "__main__" and handler is not None:  # called in-process: leave Ctrl-C as it was
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGINT, handler)
        if data_env is None:  # and the data search path as it was (--data-dir changes it for the run)
            os.environ.pop(DATA_ENV, None)
        else:
            os.environ[DATA_ENV] = data_env


def _interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a KeyboardInterrupt or arose while one was handled (its context chain)."""
    seen = 0
    while exc is not None and seen < 50:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc, seen = exc.__context__, seen + 1
    return False


def _ignore_further_interrupts() -> None:
    """A second Ctrl-C while cleaning up must not turn the one-line exit into a traceback."""
    import signal

    with contextlib.suppress(ValueError):  # ValueError: not the main thread, nothing to do
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _main(argv: Sequence[str] | None, t_start: float) -> int:
    try:
        args = build_parser().parse_args(argv)
        from empirical.device import resolve_device

        from .registry import all_checks, select

        if args.list:
            print(_listing(all_checks()))
            return EXIT_OK
        if args.params is not None:
            from .registry import get_check

            try:
                print(_params_table(get_check(args.params), args.profile))
            except KeyError as exc:
                raise UsageError(exc.args[0]) from None
            return EXIT_OK
        if args.explain is not None:
            from .explain import explain
            from .registry import get_check

            try:
                print(explain(get_check(args.explain)))
            except KeyError as exc:
                raise UsageError(exc.args[0]) from None
            return EXIT_OK
        if args.shard is not None:
            from .scale import parse_shard

            try:
                args.shard = parse_shard(args.shard)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        _use_data_dirs(args.data_dirs)
        if args.workers is None:
            args.workers = default_workers() if _auto_parallel() else 1
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
        if args.calibrate_limit is not None and not (args.calibrate_limit > 0 and math.isfinite(args.calibrate_limit)):
            raise UsageError(f"--calibrate-limit must be a positive number of seconds, got {args.calibrate_limit:g}")
        args.overrides = _parse_overrides(args.overrides, checks, args.profile)
        _check_plannable(checks, args)
        out = _check_out_dir(args.out)
    except UsageError as exc:
        print(f"check_all: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.plan:
        return _plan(checks, args, device, out)
    return _run(checks, args, device, out, t_start)


#: empirical.datasets.ENV_VAR, spelled out so that importing check_all loads neither torch nor numpy
DATA_ENV = "LEAKY_THEORY_DATA"


def _use_data_dirs(dirs: Sequence[str]) -> None:
    """Put the --data-dir folders first on the data registry's search path (the environment variable, so that
    worker processes see them too); a folder that does not exist is bad usage."""
    for d in dirs:
        if not Path(d).is_dir():
            raise UsageError(f"--data-dir {d!r} is not a folder")
    if dirs:
        old = os.environ.get(DATA_ENV, "")
        os.environ[DATA_ENV] = os.pathsep.join([*(str(Path(d).resolve()) for d in dirs), *([old] if old else [])])


def _auto_parallel() -> bool:
    """Whether a run without --workers uses one worker per core (LEAKY_THEORY_WORKERS=1 forces serial)."""
    return os.environ.get("LEAKY_THEORY_WORKERS", "") != "1"


def _check_plannable(checks: list, args: argparse.Namespace) -> None:
    """A check that cannot list its units with these settings is bad usage (one line, exit 2)."""
    from .runner import apply_overrides, check_seeds

    for c in checks:
        try:
            c.units(apply_overrides(c, c.params(args.profile), args.overrides.get(c.name)),
                    check_seeds(args.seeds) or list(range(c.default_seeds[args.profile])))
        except Exception as exc:  # any failure here comes from the values given
            raise UsageError(f"check {c.name!r} cannot plan its units with these settings: "
                             f"{type(exc).__name__}: {exc}") from None


def _units_by_check(checks: list, args: argparse.Namespace) -> dict[str, list]:
    from .runner import apply_overrides, check_seeds

    out = {}
    for c in checks:
        params = apply_overrides(c, c.params(args.profile), args.overrides.get(c.name))
        # a check whose data are not installed measures nothing (run_check reports it inconclusive)
        out[c.name] = [] if c.data_unavailable(params) else c.units(
            params, check_seeds(args.seeds) or list(range(c.default_seeds[args.profile])))
    return out


def _plan(checks: list, args: argparse.Namespace, device: object, out: Path) -> int:
    from .plan import load_timings, plan_rows, render_plan

    rows = plan_rows(checks, _units_by_check(checks, args), load_timings(out), args.profile,
                     getattr(device, "type", str(device)), calibrate=args.calibrate, device=device,
                     calibrate_limit=args.calibrate_limit)
    print(render_plan(rows, sorted({1, 2, 4, 8, 16, args.workers})))
    return EXIT_OK


def _measure_phase(checks: list, units_by_check: dict, args: argparse.Namespace, device: object, store: object,
                   bar: object, timing: dict, finished: dict | None = None) -> int:
    """Measure the missing units in parallel (or a shard's share); returns how many were measured.

    ``finished`` (local process pool only): filled with {check: (result, timings)} for the checks the pool
    decided and drew as soon as their units were stored (parallel.Finish); the caller runs the rest itself."""
    from .parallel import Finish, collect_jobs, measure_jobs
    from .plan import load_timings, shipped_timings

    dev_type = getattr(device, "type", str(device))
    key = f"{args.profile}|{dev_type}"
    # the largest-first order needs costs: this folder's timings, else those shipped with the package
    slot = load_timings(Path(args.out)).get(key) or shipped_timings().get(key, {})
    jobs = collect_jobs(checks, units_by_check, store, dev_type,
                        cost=lambda name: float(slot.get(name, {}).get("seconds_per_unit", 1.0)))
    if bar is not None:
        bar.update(sum(len(u) for u in units_by_check.values()) - len(jobs))
        bar.set_description(f"{args.workers} workers")
    spent: dict[str, list[float]] = {}

    def done(job: object, seconds: float) -> None:
        spent.setdefault(job.check, []).append(seconds)
        if bar is not None:
            bar.update(1)

    local = args.scheduler is None and not args.dask and args.shard is None and finished is not None
    seeds = tuple(args.seeds) if args.seeds is not None else None
    finish = [Finish(c.name, args.profile, seeds, args.overrides.get(c.name), str(args.out)) for c in checks] if local else []
    try:
        measure_jobs(jobs, str(device), store, args.workers, unit_threads=args.threads, scheduler=args.scheduler,
                     executor="dask" if args.dask else "processes", on_done=done, finish=finish,
                     on_finished=(finished.__setitem__ if local else None))
    finally:  # an interrupted run keeps the timings of the units it finished (check_all --plan reads them)
        timing["parallel_measure"] = {k: {"units": len(v), "seconds": sum(v)} for k, v in spent.items()}
    return len(jobs)


def _run(checks: list, args: argparse.Namespace, device: object, out: Path, t_start: float) -> int:
    import torch

    from .plan import record_timings
    from .report import build_report, format_table, write_report
    from .runner import run_check
    from .scale import run_record, shard_units, write_run_record
    from .store import UnitStore

    torch.set_num_threads(args.threads)  # the same per-unit thread count as every parallel worker
    store = UnitStore(out, fresh=args.fresh)
    units_by_check = _units_by_check(checks, args)
    if args.shard is not None:
        units_by_check = shard_units(checks, units_by_check, args.shard)
    dev_type = getattr(device, "type", str(device))
    write_run_record(out, run_record(args.profile, args.seeds, args.only, args.overrides, dev_type, args.shard))
    total = sum(len(u) for u in units_by_check.values())
    bar = None
    if not args.no_progress and sys.stderr.isatty():  # no bar in logs and CI
        from tqdm import tqdm

        bar = tqdm(total=total, unit="unit", file=sys.stderr, dynamic_ncols=True, leave=False)
    results: list[CheckResult] = []
    errors: dict[str, str] = {}
    timing: dict[str, dict[str, float] | float] = {}
    measured_here: dict[str, tuple[int, float]] = {}
    finished: dict[str, tuple[CheckResult, dict[str, float]]] = {}  # decided and drawn by the worker pool
    parallel = args.workers > 1 or args.scheduler is not None or args.dask or args.shard is not None
    reused_before = 0
    try:
        if parallel:
            from .parallel import WorkerDied

            try:
                _measure_phase(checks, units_by_check, args, device, store, bar, timing, finished)
            except WorkerDied as exc:
                errors["(workers)"] = str(exc)
            reused_before = store.reused
            if finished:
                timing["finished_in_workers"] = sorted(finished)
            for name, t in timing.get("parallel_measure", {}).items():
                measured_here[name] = (t["units"], t["seconds"])
            if args.shard is not None or errors:
                if bar is not None:
                    bar.close()
                record_timings(out, args.profile, dev_type, measured_here)
                if errors:
                    print(f"check_all: {errors['(workers)']}", file=sys.stderr)
                    return EXIT_VIOLATED
                i, n = args.shard
                print(f"shard {i}/{n}: {total} units ({reused_before} already stored) in {out / 'units'}; join the "
                      f"shards with: python -m verification.merge OUT1 … OUTN --out ALL")
                return EXIT_OK
            warned = store.warnings
            store = UnitStore(out)  # every unit of this run is now stored (measured above or reused)
            store.reused = reused_before
            store.warnings = warned
        for chk in checks:
            if bar is not None:
                bar.set_description(chk.name)
            if chk.name in finished:
                res, timing[chk.name] = finished[chk.name]
                results.append(replace(res, figure=Path(os.path.relpath(res.figure, out)).as_posix()
                                       if res.figure else None))
                continue
            t = {}
            t0 = time.perf_counter()
            reused0 = store.reused
            try:
                res = run_check(chk, args.profile, args.seeds, device, store=store, figures_dir=out / "figures",
                                overrides=args.overrides.get(chk.name),
                                on_unit=(bar.update if bar is not None else None), timings=t)
                # the report names its figures relative to its own folder, whatever --out is
                results.append(replace(res, figure=Path(os.path.relpath(res.figure, out)).as_posix()
                                       if res.figure else None))
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
            fresh_units = len(units_by_check[chk.name]) - (store.reused - reused0)
            if fresh_units > 0 and chk.name not in measured_here and "measure_s" in t:
                measured_here[chk.name] = (fresh_units, t["measure_s"])
    except BaseException as exc:
        if not _interrupted(exc):
            raise
        _ignore_further_interrupts()
        if bar is not None:
            bar.close()
        for name, t in timing.get("parallel_measure", {}).items():
            measured_here.setdefault(name, (t["units"], t["seconds"]))
        with contextlib.suppress(OSError):
            record_timings(out, args.profile, dev_type, measured_here)
        print(f"\ncheck_all: interrupted; finished units are kept in {out / 'units'} — rerun the same "
              "command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if bar is not None:
        bar.close()
    for line in store.warnings:  # one line per stored unit that was not used (it was measured again)
        print(f"check_all: warning: {line}", file=sys.stderr)
    try:
        record_timings(out, args.profile, dev_type, measured_here)
    except OSError as exc:
        print(f"check_all: warning: timings not kept in {_shown(str(out))}: {exc.strerror or exc}", file=sys.stderr)
    wall = time.perf_counter() - t_start
    timing["total_s"] = wall
    reused = reused_before if parallel else store.reused
    timing["reused_units"] = reused
    timing["store_warnings"] = list(store.warnings)
    from .registry import all_checks
    from .report import merge_previous, provenance

    report = build_report(results, args.profile, str(device), errors, timing,
                          run=provenance(results, args.overrides))
    if args.only:  # a partial run joins the earlier report of the same folder instead of replacing it
        report = merge_previous(report, _previous_report(out), [c.name for c in all_checks()])
    try:
        js, md = write_report(report, out, command=" ".join(["python -m verification.check_all", *sys.argv[1:]]))
    except OSError as exc:
        print(f"check_all: error: the report cannot be written to {_shown(str(out))}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_VIOLATED
    print(format_table(results, errors))
    counts = report["summary"]
    print(f"\n{counts['holds']} holds, {counts['violated']} violated, {counts['inconclusive']} inconclusive"
          f"{', ' + str(len(errors)) + ' errors (tracebacks in ' + str(out / 'errors') + ')' if errors else ''}. "
          f"Report: {md} and {js}")
    print(f"Wall time: {wall:.1f} s ({reused} stored units reused"
          + (f"; {args.workers} workers)" if parallel and args.scheduler is None else ")"))
    from .check import Verdict

    violated = any(r.verdict is Verdict.VIOLATED for r in results)
    return EXIT_VIOLATED if (violated or errors) else EXIT_OK


def _previous_report(out: Path) -> dict | None:
    import json

    try:
        prev = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return prev if isinstance(prev, dict) and isinstance(prev.get("checks"), list) else None


def main_exit() -> None:
    """Entry point of the ``leaky-theory`` console script (the same as ``python -m verification.check_all``).

    Output piped into a reader that stops early (``leaky-theory --list | head``) ends quietly with status 141
    (128 + SIGPIPE, as a shell tool would), not with a BrokenPipeError traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit must not fail again
        sys.exit(141)
    sys.exit(code)


if __name__ == "__main__":
    main_exit()
