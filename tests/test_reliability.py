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
    assert f"({finished} stored units reused)" in done.stdout
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
    assert "no such parameter" in capsys.readouterr().err
    assert main(["--only", "du_gd_bound", "--set", "eta"]) == 2
    assert main(["--only", "du_gd_bound", "--set", "eta=fast"]) == 2
