"""Scale: parallel workers, Dask, shards and merge give the same report as a serial run; a killed worker
loses no finished unit and the rerun resumes (docs/scaling.md)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verification import check_all, plan
from verification.merge import main as merge_main
from verification.plan import lpt_makespan
from verification.registry import get_check
from verification.scale import parse_shard, shard_units

FAST = ["finite_width_gram", "deep_rescaling_equivalence"]
ROOT = Path(__file__).resolve().parent.parent


def _report(folder: Path) -> dict:
    blob = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    blob.pop("timing")
    return blob


def _run(folder: Path, *extra: str) -> int:
    return check_all.main(["--only", *FAST, "--out", str(folder), "--no-progress", *extra])


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("serial")
    assert _run(out, "--workers", "1") == 0
    return _report(out)


@pytest.mark.slow
def test_two_workers_give_the_serial_report(tmp_path, serial) -> None:
    assert _run(tmp_path, "--workers", "2") == 0
    assert _report(tmp_path) == serial
    timing = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["timing"]
    assert timing["finished_in_workers"] == sorted(FAST)  # decided and drawn in the pool, same report
    assert all((tmp_path / "figures" / f"{name}.png").stat().st_size > 0 for name in FAST)


@pytest.mark.slow
def test_shards_then_merge_give_the_serial_report(tmp_path, serial) -> None:
    for i in (1, 2, 3):
        assert _run(tmp_path / f"s{i}", "--shard", f"{i}/3", "--workers", "1") == 0
        assert not (tmp_path / f"s{i}" / "report.json").exists()  # a shard only measures
    sizes = [len(list((tmp_path / f"s{i}" / "units").rglob("*.json"))) for i in (1, 2, 3)]
    assert min(sizes) > 0
    assert merge_main([str(tmp_path / f"s{i}") for i in (1, 2, 3)] + ["--out", str(tmp_path / "all"),
                                                                      "--no-progress"]) == 0
    assert _report(tmp_path / "all") == serial
    assert sum(sizes) == len(list((tmp_path / "all" / "units").rglob("*.json")))


def test_merge_refuses_a_conflicting_duplicate_and_foreign_runs(tmp_path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, '{"x": 1}'), (b, '{"x": 2}')):
        (folder / "units" / "c").mkdir(parents=True)
        (folder / "units" / "c" / "u.json").write_text(text)
        (folder / "run.json").write_text(json.dumps({"profile": "quick", "seeds": None, "only": ["c"],
                                                     "overrides": {}, "device_type": "cpu", "shard": None}))
    assert merge_main([str(a), str(b), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "conflicting unit" in err[0] and "u.json" in err[0]
    assert not (tmp_path / "m" / "units").exists()  # nothing merged
    (b / "run.json").write_text(json.dumps({"profile": "full", "seeds": None, "only": ["c"], "overrides": {},
                                            "device_type": "cpu", "shard": None}))
    assert merge_main([str(a), str(b), "--out", str(tmp_path / "m")]) == 2
    assert "other settings (profile)" in capsys.readouterr().err
    assert merge_main([str(a), str(tmp_path / "nope"), "--out", str(tmp_path / "m")]) == 2


def test_shards_are_disjoint_and_cover_everything() -> None:
    from verification import select

    checks = select(FAST)
    units = {c.name: c.units(c.params("quick"), [0, 1, 2]) for c in checks}
    keys = [(n, u.key) for n, us in units.items() for u in us]
    got = [(n, u.key) for i in (1, 2, 3, 4) for n, us in shard_units(checks, units, (i, 4)).items() for u in us]
    assert sorted(got) == sorted(keys) and len(set(got)) == len(got)
    for bad in ("0/2", "3/2", "a/b", "2", "1/0"):
        with pytest.raises(ValueError, match="i/N"):
            parse_shard(bad)


def test_lpt_makespan() -> None:
    assert lpt_makespan([3, 3, 2, 2, 2], 2) == 7  # LPT, not the optimum 6 (Graham's example)
    assert lpt_makespan([1.0] * 8, 4) == 2
    assert lpt_makespan([], 3) == 0
    with pytest.raises(ValueError, match="workers=0"):
        lpt_makespan([1.0], 0)


def test_plan_uses_stored_timings(tmp_path, capsys) -> None:
    (tmp_path / "timings.json").write_text(json.dumps({"quick|cpu": {"finite_width_gram": {"seconds_per_unit": 0.5,
                                                                                           "units": 4}}}))
    assert check_all.main(["--plan", "--only", *FAST, "--out", str(tmp_path), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    shipped = plan.shipped_timings().get("quick|cpu", {})
    assert "stored (4 units)" in out and "estimated wall time with  2 worker(s)" in out
    if "deep_rescaling_equivalence" in shipped:  # what the package ships is the fallback of OUT/timings.json
        assert "deep_rescaling_equivalence" in out.split("shipped")[0].splitlines()[-1]
    else:
        assert "no estimate for: deep_rescaling_equivalence" in out


def test_plan_fallbacks_and_a_calibration_stopped_at_its_limit() -> None:
    checks = [get_check(name) for name in FAST]
    units = {c.name: c.units(c.params("quick"), [0]) for c in checks}
    ship = {"quick|cpu": {"finite_width_gram": {"seconds_per_unit": 2.0, "note": "2-core CPU"},
                          "deep_rescaling_equivalence": {"seconds_per_unit": 600.0, "lower_bound": True}}}
    rows = plan.plan_rows(checks, units, {}, "quick", "cpu", shipped=ship)
    assert [r["estimate"] for r in rows] == ["shipped (2-core CPU)", "shipped"]
    assert [r["lower_bound"] for r in rows] == [False, True]
    text = plan.render_plan(rows, [1])
    assert "≥" in text and "past the calibration limit" in text and "deep_rescaling_equivalence" in text.splitlines()[-1]
    # a unit that cannot finish within the limit is stopped and reported as a lower bound, not waited for
    rows = plan.plan_rows(checks[1:], units, {}, "quick", "cpu", calibrate=True, calibrate_limit=0.01, shipped={})
    assert rows[0]["lower_bound"] and rows[0]["estimate"] == "calibrated: > 0.01 s, stopped"
    with pytest.raises(ValueError, match="limit must be > 0"):
        plan.calibrate_unit(FAST[0], units[FAST[0]][0], limit=0)


@pytest.mark.slow
def test_killed_worker_loses_nothing_and_the_rerun_resumes(tmp_path, serial) -> None:
    cmd = [sys.executable, "-m", "verification.check_all", "--only", *FAST, "--out", str(tmp_path), "--workers", "2",
           "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    units = tmp_path / "units"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(units.rglob("*.json"))) < 3:
        time.sleep(0.2)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    workers = [pid for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert workers, "no worker processes found"
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(workers[0]), signal.SIGKILL)  # one worker dies mid-run
    _, err = proc.communicate(timeout=300)
    if proc.returncode == 0:
        pytest.skip("the run finished before a worker could be killed")
    assert proc.returncode == 1 and "worker process died" in err and "Traceback" not in err
    kept = len(list(units.rglob("*.json")))
    assert kept >= 3
    assert _run(tmp_path, "--workers", "2") == 0
    assert _report(tmp_path) == serial




def _have_dask() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _have_dask(), reason="needs the [dask] extra")
def test_dask_local_cluster_gives_the_serial_report(tmp_path, serial) -> None:
    assert _run(tmp_path, "--workers", "2", "--dask") == 0
    assert _report(tmp_path) == serial


@pytest.mark.slow
@pytest.mark.skipif(not _have_dask() or (shutil.which("dask") is None and not Path(sys.executable).with_name("dask").exists()),
                    reason="needs the [dask] extra")
def test_dask_scheduler_and_worker_give_the_serial_report(tmp_path, serial) -> None:
    dask_cli = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    port = 20000 + os.getpid() % 20000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sched = subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    worker = None
    try:
        worker = subprocess.Popen([dask_cli, "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
                                   "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                  cwd=ROOT)
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        assert _run(tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}") == 0
        assert _report(tmp_path) == serial
    finally:
        for p in (worker, sched):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()


def test_units_of_one_unit_family_are_measured_once() -> None:
    """arora_bound_vacuity and arora_complexity_noise (unit family adhlw_noise_grid) share identical units: a parallel
    run measures each once and stores it under both checks; units of other checks are never merged."""
    from verification.parallel import Job, _share_identical
    from verification.registry import get_check

    a, b, c = (get_check(n) for n in ("arora_bound_vacuity", "arora_complexity_noise", "arora_dynamics"))
    ua = a.units(a.params("quick"), [0])
    ub = b.units(b.params("quick"), [0, 1])
    uc = c.units(c.params("quick"), [0])
    jobs = ([Job(a.name, a.version, u) for u in ua] + [Job(b.name, b.version, u) for u in ub]
            + [Job(c.name, c.version, u) for u in uc])
    run, followers = _share_identical(jobs)
    assert len(run) == len(ua) + len(ub) // 2 + len(uc)  # b's seed-0 units ride on a's
    merged = [f for fs in followers.values() for f in fs]
    assert len(merged) == len(ua) and {f.check for f in merged} == {b.name}
    by_id = {id(j): j for j in run}
    for lead_id, fs in followers.items():
        assert all(f.unit == by_id[lead_id].unit for f in fs)


def test_units_sharing_a_batch_run_in_one_job_on_one_worker() -> None:
    """A benign check trains every seed of a group in its first measure call (Check.batch_key): split over
    workers, each worker would train the whole group again. Its units of one group form one batch; units of
    checks without a key stay single; batches are ordered largest estimated total first."""
    from verification.parallel import Job, _batches

    k, f = get_check("kgmmn_gamma_transition"), get_check("finite_width_gram")
    uk = k.units(k.params("quick"), [0, 1, 2])
    uf = f.units(f.params("quick"), [0])[:3]
    jobs = [Job(f.name, f.version, u, cost=0.5) for u in uf] + [Job(k.name, k.version, u, cost=0.4) for u in uk]
    batches = _batches(jobs)
    groups = {u.config for u in uk}
    assert len(batches) == len(groups) + len(uf)
    for b in batches[:len(groups)]:  # 3 seeds × 0.4 s each > 0.5 s: the benign batches come first
        assert {j.check for j in b} == {k.name} and len({j.unit.config for j in b}) == 1
        assert sorted(j.unit.seed for j in b) == [0, 1, 2]
    assert all(len(b) == 1 and b[0].check == f.name for b in batches[len(groups):])


@pytest.mark.slow
def test_a_batched_check_in_parallel_gives_the_serial_report(tmp_path) -> None:
    only = ["kgmmn_gd_convergence"]
    assert check_all.main(["--only", *only, "--out", str(tmp_path / "s"), "--no-progress", "--workers", "1"]) == 0
    assert check_all.main(["--only", *only, "--out", str(tmp_path / "p"), "--no-progress", "--workers", "2"]) == 0
    assert _report(tmp_path / "p") == _report(tmp_path / "s")
