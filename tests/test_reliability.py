"""Nothing lost, same seed same answer: interrupted runs resume to the same report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--only", "du_gd_bound", "--no-progress", "--seeds", "0", "1"]


def _cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "verification.check_all", *ARGS, "--out", str(out), *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _report(out: Path) -> dict:
    rep = json.loads((out / "report.json").read_text())
    rep.pop("timing")
    return rep


@pytest.mark.slow
def test_kill_minus_nine_then_resume_gives_the_same_report(tmp_path):
    reference = tmp_path / "ref"
    subprocess.run(_cmd(reference), cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=600)
    ref_bytes = json.dumps(_report(reference), sort_keys=True)

    out = tmp_path / "killed"
    proc = subprocess.Popen(_cmd(out), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    units = out / "units" / "du_gd_bound"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if units.is_dir() and len(list(units.glob("*.json"))) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(units.glob("*.json")))
    assert 2 <= finished < 10 and not (out / "report.json").exists()
    assert not list(units.glob(".*.tmp")), "no half-written unit may remain visible as a result"

    done = subprocess.run(_cmd(out), cwd=ROOT, env=_env(), check=True, capture_output=True, text=True, timeout=600)
    assert f"({finished} stored units reused" in done.stdout  # "; N workers)" follows in a parallel run
    assert json.dumps(_report(out), sort_keys=True) == ref_bytes


@pytest.mark.slow
def test_same_seed_gives_byte_identical_report_json(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        subprocess.run(_cmd(out, "--fresh"), cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=600)
    ja, jb = (json.loads((o / "report.json").read_text()) for o in (a, b))
    ja.pop("timing")
    jb.pop("timing")
    assert json.dumps(ja, sort_keys=True, indent=1) == json.dumps(jb, sort_keys=True, indent=1)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "override"), [("du_gd_bound", {"eta": 80.0, "steps": 400}),
                                                ("arora_dynamics", {"eta": 80.0, "steps": 300}),
                                                ("deep_alpha_ordering", {"eta_factor": 500.0})])
def test_divergence_becomes_inconclusive_never_a_crash_or_a_pass(name, override):
    from verification import Verdict, get_check, run_check

    result = run_check(get_check(name), "quick", seeds=[0], device="cpu", overrides=override)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "diverged at step" in result.decision.reason


def test_overrides_are_validated(capsys):
    from verification import get_check, run_check
    from verification.check_all import main

    with pytest.raises(KeyError, match="'learning_rate'"):
        run_check(get_check("du_gd_bound"), overrides={"learning_rate": 0.1})
    assert main(["--only", "du_gd_bound", "--set", "learning_rate=0.1"]) == 2
    assert "such a parameter" in capsys.readouterr().err
    assert main(["--only", "du_gd_bound", "--set", "eta"]) == 2
    assert main(["--only", "du_gd_bound", "--set", "eta=fast"]) == 2


# --------------------------------------------------------------------------- stored-unit integrity
# A tiny check whose measure counts its calls, so each test sees whether a stored unit was used
# (no call) or measured again (one call per damaged unit). The damage kinds are those of issue 12.

from verification.check import Check, Decision, Unit, Verdict  # noqa: E402
from verification.runner import run_check  # noqa: E402
from verification.store import UnitStore, atomic_write_text  # noqa: E402


class _Counting(Check):
    name = "counting_probe"
    claim = "test double"
    source = "tests"
    bound_roles: dict = {}
    calls = 0

    def params(self, profile):
        return {"n": 3}

    def units(self, params, seeds):
        return [Unit("c", s, {"n": params["n"]}) for s in seeds]

    def measure(self, unit, device):
        type(self).calls += 1
        return {"loss": [64.88148203482345, 16.589708131008763, float(unit.seed)]}

    def decide(self, measurements, bounds_by_role, params):
        worst = max(r["loss"][1] for r in measurements.values())
        verdict = Verdict.HOLDS if worst < 100 else Verdict.VIOLATED
        return Decision(verdict, f"worst loss[1] = {worst}", "loss[1] < 100", {}, {"worst": worst})


def _run(store: UnitStore) -> tuple[Verdict, int]:
    before = _Counting.calls
    res = run_check(_Counting(), "quick", seeds=[0, 1], device="cpu", store=store)
    return res.verdict, _Counting.calls - before


def _stored(tmp_path: Path) -> list[Path]:
    assert _run(UnitStore(tmp_path)) == (Verdict.HOLDS, 2)
    files = sorted((tmp_path / "units" / "counting_probe").glob("*.json"))
    assert len(files) == 2
    return files


def _altered(p: Path) -> None:  # the reviewer's case: delete the "." of loss[1]; still valid JSON
    text = p.read_text()
    assert "16.589708131008763" in text
    p.write_text(text.replace("16.589708131008763", "16589708131008763"))


def _random_bytes(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 3)


def _json_list(p: Path) -> None:
    p.write_text("[]")


def _directory(p: Path) -> None:
    p.unlink()
    p.mkdir()


def _truncated(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _other_code(p: Path) -> None:
    blob = json.loads(p.read_text())
    blob["code"] = "0" * 16
    p.write_text(json.dumps(blob))


def _other_key(p: Path) -> None:
    blob = json.loads(p.read_text())
    blob["key"] = "c|seed=99|000000000000"
    p.write_text(json.dumps(blob))


def _no_checksum(p: Path) -> None:
    blob = json.loads(p.read_text())
    del blob["sha256"]
    p.write_text(json.dumps(blob))


DAMAGE = {"parses but altered": (_altered, "checksum"), "random bytes": (_random_bytes, "UTF-8"),
          "a JSON []": (_json_list, "JSON list"), "a directory": (_directory, "directory"),
          "truncated": (_truncated, "not valid JSON"), "empty": (_empty, "not valid JSON"),
          "measured by other code": (_other_code, "other code"), "another unit's key": (_other_key, "key="),
          "checksum removed": (_no_checksum, "checksum")}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_unit_is_named_and_measured_again_never_used(tmp_path, kind):
    damage, needle = DAMAGE[kind]
    files = _stored(tmp_path)
    damage(files[0])
    store = UnitStore(tmp_path)
    assert _run(store) == (Verdict.HOLDS, 1)  # the verdict of the clean data; only the damaged unit re-measured
    assert store.reused == 1 and len(store.warnings) == 1
    line = store.warnings[0]
    assert str(files[0]) in line and needle in line and "\n" not in line
    again = UnitStore(tmp_path)  # the re-measured unit replaced the damaged file: the next run reuses both
    assert _run(again) == (Verdict.HOLDS, 0) and not again.warnings


def test_an_unreadable_unit_is_named_and_measured_again(tmp_path, monkeypatch):
    # we run as root, so chmod 000 does not stop reading: make reading this one file raise instead
    files = _stored(tmp_path)
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self == files[0]:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    store = UnitStore(tmp_path)
    assert _run(store) == (Verdict.HOLDS, 1)
    assert str(files[0]) in store.warnings[0] and "Permission denied" in store.warnings[0]


def test_a_unit_that_cannot_be_written_is_used_and_reported(tmp_path):
    files = _stored(tmp_path)
    _directory(files[0])
    (files[0] / "x").write_text("keep me")  # a non-empty directory: os.replace cannot overwrite it
    store = UnitStore(tmp_path)
    assert _run(store) == (Verdict.HOLDS, 1)
    assert len(store.warnings) == 2 and "cannot be written" in store.warnings[1]
    assert (files[0] / "x").read_text() == "keep me"  # nothing of the user's is deleted


@pytest.mark.parametrize("when", ["write", "replace"])
def test_a_torn_write_leaves_nothing_that_looks_like_a_result(tmp_path, monkeypatch, when):
    import verification.store as store_mod

    target = tmp_path / "units" / "c" / "u.json"
    if when == "write":
        real_fdopen = os.fdopen

        def torn(fd, *a, **k):
            fh = real_fdopen(fd, *a, **k)
            fh.write('{"format": 2, "measurement": {"loss": [1')
            fh.flush()
            raise KeyboardInterrupt  # Ctrl-C in the middle of the write

        monkeypatch.setattr(store_mod.os, "fdopen", torn)
    else:
        monkeypatch.setattr(store_mod.os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, '{"x": 1}')
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_a_leftover_temporary_file_is_never_read_as_a_result(tmp_path):
    files = _stored(tmp_path)
    folder = files[0].parent
    (folder / f".{files[0].name}.abc.tmp").write_text('{"format": 2, "measurement": {"loss": [1, 1000')
    files[0].unlink()  # as after kill -9 during the write of this unit
    store = UnitStore(tmp_path)
    assert _run(store) == (Verdict.HOLDS, 1) and not store.warnings


def test_reviewer_case_corrupted_du_gd_unit_does_not_flip_the_verdict(tmp_path, capsys):
    """`--only du_gd_bound`, delete the '.' of loss[1] in one stored unit, rerun: same report, file named."""
    from verification.check_all import main

    args = ["--only", "du_gd_bound", "--seeds", "0", "--no-progress", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    first = json.loads((tmp_path / "report.json").read_text())
    path = sorted((tmp_path / "units" / "du_gd_bound").glob("*.json"))[0]
    blob = json.loads(path.read_text())
    loss1 = json.dumps(blob["measurement"]["loss"][1])
    text = path.read_text()
    assert "." in loss1 and loss1 in text
    path.write_text(text.replace(loss1, loss1.replace(".", "", 1), 1))
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert str(path) in err and "checksum" in err
    again = json.loads((tmp_path / "report.json").read_text())
    assert again["checks"] == first["checks"]


# --------------------------------------------------------------------------- determinism (docs/reliability.md)
# Claim 1: a seed and a thread count give bit-identical numbers on a rerun.
# Claim 2: data, labels, initial weights and Monte-Carlo draws are bit-identical across thread counts
#          (CPU generators, elementwise arithmetic).
# Claim 3: reductions (GEMMs, Gram matrices, eigenvalues, training curves) agree across thread counts
#          to 1e-12 relative to the largest entry; a verdict can differ only if a statistic lies that
#          close to its threshold.

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _numbers(threads: int) -> dict[str, np.ndarray]:
    from empirical import activations as A
    from empirical import data as D
    from empirical.eigen import eigvalsh
    from empirical.gram import leaky_gram, mc_dual_kernels, two_layer_gram
    from empirical.two_layer.network import TwoLayerNet
    from empirical.two_layer.train import gradient_descent

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        x = D.sphere(120, 8, 0)
        y = D.labels(x, 0)
        w = torch.randn(1500, 8, generator=D.generator(1), dtype=torch.float64)
        h = two_layer_gram(x, w, A.leaky_relu(0.0))
        net = TwoLayerNet(8, 256, A.leaky_relu(0.0), seed=0)
        w0 = net.W.detach().clone()
        trace = gradient_descent(net, x, y, 0.05, 30)
        mc = mc_dual_kernels(np.linspace(-0.9, 0.9, 5), A.leaky_relu(0.5), 20_000, 0)
        return {"data": x.numpy(), "labels": y.numpy(), "init": w0.numpy(), "mc": mc["kappa_dot"],
                "gram": h.numpy(), "eig": eigvalsh(h), "eig_inf": eigvalsh(leaky_gram(x, 0.0)),
                "loss": np.asarray(trace.loss, dtype=np.float64)}
    finally:
        torch.set_num_threads(old)


def test_same_seed_same_threads_is_bit_identical():
    a, b = _numbers(1), _numbers(1)
    for key in a:
        assert np.array_equal(a[key], b[key]), key


def test_draws_are_bit_identical_across_thread_counts():
    a, b = _numbers(1), _numbers(3)
    for key in ("data", "labels", "init", "mc"):
        assert np.array_equal(a[key], b[key]), key


def test_reductions_agree_across_thread_counts_to_1e_12():
    a, b = _numbers(1), _numbers(3)
    for key in ("gram", "eig", "eig_inf", "loss"):
        scale = float(np.max(np.abs(a[key])))
        assert float(np.max(np.abs(a[key] - b[key]))) <= 1e-12 * scale, key


def test_check_report_agrees_across_thread_counts():
    from verification import get_check

    def result(threads: int) -> dict:
        old = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return run_check(get_check("kernel_monte_carlo"), "quick", seeds=[0], device="cpu").to_json()
        finally:
            torch.set_num_threads(old)

    a, b = result(1), result(3)
    assert a["verdict"] == b["verdict"]

    def close(x, y, path="measured") -> None:  # numbers agree to 1e-9 relative; everything else exactly
        if isinstance(x, dict):
            assert x.keys() == y.keys(), path
            for k in x:
                close(x[k], y[k], f"{path}.{k}")
        elif isinstance(x, list):
            assert len(x) == len(y), path
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                close(u, v, f"{path}[{i}]")
        elif isinstance(x, float) and isinstance(y, float):
            assert x == pytest.approx(y, rel=1e-9, abs=1e-12), path
        else:
            assert x == y, path

    close(a["measured"], b["measured"])


@pytest.mark.slow
@pytest.mark.parametrize(("workers", "presses"), [("1", 1), ("2", 1), ("2", 2)])
def test_ctrl_c_to_the_whole_process_group_is_one_line(tmp_path, workers, presses):
    """A terminal's Ctrl-C reaches the parent and every worker (twice if pressed twice): one line, exit 130."""
    out = tmp_path / "run"
    proc = subprocess.Popen([*_cmd(out)[:-2], "--out", str(out), "--workers", workers], cwd=ROOT, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    units = out / "units" / "du_gd_bound"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not (units.is_dir() and any(units.glob("*.json"))):
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
    err = proc.communicate(timeout=120)[1].strip()
    assert proc.returncode == 130 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "interrupted" in err
    if workers == "2":  # the timings of the units finished before Ctrl-C are kept for --plan
        slot = json.loads((out / "timings.json").read_text(encoding="utf-8"))["quick|cpu"]
        assert slot["du_gd_bound"]["units"] >= 1
