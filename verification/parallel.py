"""Units of many checks measured in parallel: worker processes on one machine, or a Dask cluster.

A *job* is one (check, unit) whose measurement is not in the unit store yet. Jobs run largest first
(estimated seconds per unit, :mod:`verification.plan`) on

* ``processes`` — a standard-library :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers``
  processes (``spawn`` start, so no OpenMP state is inherited), each with its own torch thread count;
* ``dask`` — a running Dask scheduler (``scheduler=ADDRESS``) or, with Dask installed and
  ``executor="dask"``, a :class:`distributed.LocalCluster` of ``workers`` single-threaded processes.
  CUDA units ask for the worker resource ``GPU=1`` (start GPU workers with ``--resources GPU=1``).

Each result is written to the client's unit store the moment it arrives, so an interrupted or crashed
run (a killed worker, Ctrl-C) keeps every finished unit and a rerun resumes. Measurements are
deterministic functions of the unit's seed and the thread count, and every unit runs with the same
thread count (``unit_threads``, default 1) whatever the number of workers, so the report is the same
for any number of workers (docs/scaling.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from .check import Check, Unit

__all__ = ["Finish", "Job", "WorkerDied", "collect_jobs", "finish_check", "measure_jobs", "run_unit", "run_units"]


class WorkerDied(RuntimeError):
    """A worker process ended before returning its unit (finished units are kept)."""


@dataclass(frozen=True)
class Job:
    """One unit of one check still to be measured, with its estimated cost in seconds."""

    check: str
    version: int
    unit: Unit
    cost: float = 1.0
    #: the measuring code's fingerprint (verification.store.code_fingerprint), stored with the unit
    code: str | None = None


@dataclass(frozen=True)
class Finish:
    """A check to decide and draw in a worker (:func:`finish_check`) as soon as all its units are stored, while
    other checks' units are still measuring: deciding and drawing then cost no wall time of their own."""

    check: str
    profile: str
    seeds: tuple[int, ...] | None
    overrides: Mapping[str, Any] | None
    out: str


def collect_jobs(checks: Sequence[Check], units_by_check: Mapping[str, Sequence[Unit]], store: Any, device_type: str,
                 cost: Callable[[str], float] | None = None) -> list[Job]:
    """Jobs for every unit not already in ``store``, largest estimated cost first (ties: check order)."""
    from .store import code_fingerprint

    jobs = []
    for order, chk in enumerate(checks):
        est = cost(chk.name) if cost is not None else 1.0
        code = code_fingerprint(chk)
        for unit in units_by_check[chk.name]:
            if store.load(chk.name, chk.version, unit.key, device_type, code=code) is None:
                jobs.append((-est, order, Job(chk.name, chk.version, unit, est, code)))
    return [j for *_, j in sorted(jobs, key=lambda t: (t[0], t[1]))]


def _init_worker(threads: int) -> None:
    import signal

    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent alone handles it
    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)


def _share_identical(jobs: list[Job]) -> tuple[list[Job], dict[int, list[Job]]]:
    """Jobs to run and, per run job (by id), the jobs of other checks of its ``Check.unit_family`` with the same
    (config, seed, params): those take its measurement instead of measuring it again."""
    import json

    from .registry import all_checks

    names = {job.check for job in jobs}
    families = {c.name: type(c).unit_family for c in all_checks() if c.name in names}  # one registry walk
    lead: dict[tuple[Any, ...], Job] = {}
    run: list[Job] = []
    followers: dict[int, list[Job]] = {}
    for job in jobs:
        family = families.get(job.check)
        sig = None if family is None else (family, job.unit.config, job.unit.seed,
                                           json.dumps(job.unit.params, sort_keys=True, default=str))
        if sig is not None and sig in lead:
            followers.setdefault(id(lead[sig]), []).append(job)
            continue
        if sig is not None:
            lead[sig] = job
        run.append(job)
    return run, followers


def _batches(jobs: list[Job]) -> list[list[Job]]:
    """Jobs grouped by their check's :meth:`~verification.check.Check.batch_key` (units sharing in-process work run
    in one task on one worker: split over workers, each worker would redo the shared work); a job without a key
    is its own batch. Largest estimated total first, ties in the jobs' order."""
    from .registry import all_checks

    names = {job.check for job in jobs}
    checks = {c.name: c for c in all_checks() if c.name in names}
    groups: dict[tuple[Any, ...], list[Job]] = {}
    for i, job in enumerate(jobs):
        chk = checks.get(job.check)
        key = chk.batch_key(job.unit) if chk is not None else None
        groups.setdefault((job.check, key) if key is not None else (job.check, None, i), []).append(job)
    batches = list(groups.values())
    order = {id(b[0]): i for i, b in enumerate(batches)}
    return sorted(batches, key=lambda b: (-sum(j.cost for j in b), order[id(b[0])]))


def run_units(check_name: str, units: Sequence[tuple[str, int, Mapping[str, Any]]], device: str,
              threads: int | None = None) -> list[tuple[dict[str, Any], float]]:
    """Measure a batch of units of one check with one check instance (so that they share its in-process work, see
    :meth:`~verification.check.Check.batch_key`); per unit the JSON-clean record and the seconds it took."""
    import json

    from empirical.device import resolve_device

    from .registry import get_check
    from .store import to_jsonable

    if threads is not None:
        _init_worker(threads)
    check = get_check(check_name)
    dev = resolve_device(device)
    out = []
    for config, seed, params in units:
        t0 = time.perf_counter()
        record = check.measure(Unit(config, seed, dict(params)), dev)
        out.append((json.loads(json.dumps(to_jsonable(record), sort_keys=True)), time.perf_counter() - t0))
    return out


def run_unit(check_name: str, config: str, seed: int, params: Mapping[str, Any], device: str,
             threads: int | None = None) -> tuple[dict[str, Any], float]:
    """Measure one unit in this process (a batch of one, :func:`run_units`); returns the JSON-clean record and the
    seconds the measurement took."""
    return run_units(check_name, [(config, seed, params)], device, threads)[0]


def finish_check(check_name: str, profile: str, seeds: Sequence[int] | None, device: str, out: str,
                 overrides: Mapping[str, Any] | None) -> tuple[Any, dict[str, float]]:
    """Decide and draw one check whose units are all in the store at ``out`` (what a worker runs for a
    :class:`Finish`); returns the :class:`~verification.check.CheckResult` without its measurements (the
    report does not need them) and its timings. The same call as the serial loop makes, so the same result."""
    from dataclasses import replace
    from pathlib import Path

    from .registry import get_check
    from .runner import run_check
    from .store import UnitStore

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    res = run_check(get_check(check_name), profile, list(seeds) if seeds is not None else None, device,
                    store=UnitStore(Path(out)), figures_dir=Path(out) / "figures", overrides=overrides, timings=t)
    t["total_s"] = time.perf_counter() - t0
    return replace(res, measurements=None, bounds_used=None), t


def _batch_args(batch: Sequence[Job], device: str) -> tuple[Any, ...]:
    return batch[0].check, [(j.unit.config, j.unit.seed, dict(j.unit.params)) for j in batch], device


def measure_jobs(jobs: Iterable[Job], device: str, store: Any, workers: int, *, unit_threads: int = 1,
                 scheduler: str | None = None, executor: str = "processes",
                 on_done: Callable[[Job, float], None] | None = None, finish: Sequence[Finish] = (),
                 on_finished: Callable[[str, Any], None] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """Measure ``jobs`` and save each result to ``store`` as it arrives; returns {(check, key): record}.

    ``executor``: "processes" (standard library) or "dask" (``scheduler`` address, else a LocalCluster).
    ``on_done(job, seconds)`` is called in this process after each save (progress bars, timings).
    ``finish`` (process executor only): checks to decide and draw in the pool once all their units are saved;
    ``on_finished(check, (result, timings))`` receives each. A check with a failed unit, or whose finishing
    raised, is not reported: the caller's serial loop runs it and records its error.
    """
    jobs = list(jobs)
    if scheduler is not None or executor == "dask":
        return _measure_dask(jobs, device, store, workers, unit_threads, scheduler, on_done) if jobs else {}
    if not jobs and not finish:
        return {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    import multiprocessing as mp

    remaining: dict[str, int] = {f.check: 0 for f in finish}
    for job in jobs:
        if job.check in remaining:
            remaining[job.check] += 1
    to_finish = {f.check: f for f in finish}
    jobs, followers = _share_identical(jobs)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=_init_worker, initargs=(unit_threads,))
    pending: dict[Any, list[Job]] = {}
    finishing: dict[Any, str] = {}
    queue = _batches(jobs)

    def submit_finish(name: str) -> None:
        f = to_finish.pop(name)
        finishing[pool.submit(finish_check, f.check, f.profile, f.seeds, device, f.out, f.overrides)] = name

    try:
        for name in [n for n, left in remaining.items() if left == 0]:
            submit_finish(name)
        # keep at most 2 jobs per worker in flight so that the largest-first order is respected
        while queue or pending or finishing:
            while queue and len(pending) < 2 * workers:
                batch = queue.pop(0)
                pending[pool.submit(run_units, *_batch_args(batch, device))] = batch
            done, _ = wait([*pending, *finishing], return_when=FIRST_COMPLETED)
            for fut in done:
                if fut in finishing:
                    name = finishing.pop(fut)
                    got = _result(fut, f"deciding {name}")
                    if got is not _FAILED and on_finished is not None:  # failed: the serial loop reruns, reports it
                        on_finished(name, got)
                    continue
                batch = pending.pop(fut)
                results = _result(fut, f"measuring {batch[0].check} ({batch[0].unit.key})")
                if results is _FAILED:
                    for job in batch:  # the units stay unmeasured: the serial loop reruns them, reports the error
                        for member in [job, *followers.get(id(job), [])]:
                            to_finish.pop(member.check, None)
                    continue
                for job, (record, seconds) in zip(batch, results, strict=True):
                    group = [job, *followers.get(id(job), [])]
                    for member in group:  # one measurement, stored under every check of its unit family
                        out[(member.check, member.unit.key)] = store.save(member.check, member.version,
                                                                          member.unit.key, _device_type(device),
                                                                          record, code=member.code)
                        if on_done is not None:
                            on_done(member, seconds / len(group))
                        if member.check in remaining:
                            remaining[member.check] -= 1
                            if remaining[member.check] == 0 and member.check in to_finish:
                                submit_finish(member.check)
    except BrokenProcessPool:  # raised by submit() once a worker has died
        raise WorkerDied("a worker process died; finished units are kept — rerun to resume") from None
    except KeyboardInterrupt:  # stop now: the units in flight are lost, every finished one is stored
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out


_FAILED = object()  # a task that raised (other than a dead worker): its check is left to the serial loop


def _result(fut: Any, what: str) -> Any:
    """A finished task's value, :data:`_FAILED` if it raised, :class:`WorkerDied` if its worker process died."""
    try:
        return fut.result()
    except Exception as exc:
        if type(exc).__name__ == "BrokenProcessPool":
            raise WorkerDied(f"a worker process died while {what}; finished units are kept — rerun to resume") from None
        return _FAILED


def _device_type(device: str) -> str:
    return device.split(":")[0]


def _measure_dask(jobs: list[Job], device: str, store: Any, workers: int, unit_threads: int,
                  scheduler: str | None, on_done: Callable[[Job, float], None] | None
                  ) -> dict[tuple[str, str], dict[str, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("the Dask executor needs the optional extra: pip install -e \".[dask]\"") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    resources = {"GPU": 1} if _device_type(device) == "cuda" else None
    out: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        futs = {}
        for batch in _batches(jobs):  # priority = estimated cost: larger first
            cost = sum(j.cost for j in batch)
            fut = client.submit(run_units, *_batch_args(batch, device), unit_threads,
                                key=f"{batch[0].check}-{batch[0].unit.key}", priority=int(cost * 1000),
                                resources=resources, pure=False)
            futs[fut] = batch
        for fut in as_completed(list(futs)):
            batch = futs[fut]
            try:
                results = fut.result()
            except Exception:  # as above: the per-check loop reruns the units and reports the error
                continue
            for job, (record, seconds) in zip(batch, results, strict=True):
                out[(job.check, job.unit.key)] = store.save(job.check, job.version, job.unit.key,
                                                            _device_type(device), record, code=job.code)
                if on_done is not None:
                    on_done(job, seconds)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return out
