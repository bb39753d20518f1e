"""The command line: flags, exit codes, one-line errors, reports, resumable runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verification.check_all import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "verification.check_all", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_list(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "kernel_monte_carlo" in out and "du_gd_bound" in out


@pytest.mark.parametrize(("args", "needle"), [
    (["--only", "no_such_check"], "unknown check name(s) 'no_such_check'"),
    (["--profile", "fast"], "unknown profile 'fast'"),
    (["--seeds", "-1"], "seed must be a non-negative integer, got '-1'"),
    (["--seeds", "1", "1"], "--seeds must be distinct"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["--device", "tpu"], "'tpu'"),
])
def test_bad_usage_exits_2_with_one_line(args, needle, capsys, tmp_path):
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_unwritable_out_dir(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--out", str(blocker)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["--out", str(blocker / "sub")]) == 2


def test_no_traceback_from_a_real_process(tmp_path):
    proc = _run("--only", "nope", "--out", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_run_writes_report_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--only", "kernel_monte_carlo", "--out", str(out), "--no-progress", "--seeds", "0", "1"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "kernel_monte_carlo" in text and "Wall time" in text
    report = json.loads((out / "report.json").read_text())
    check = report["checks"][0]
    for field in ("name", "claim", "source", "verdict", "predicted", "measured", "rule", "bounds"):
        assert field in check
    assert check["verdict"] == "holds" and (out / check["figure"]).is_file()
    assert (out / "report.md").read_text().startswith("# leaky-theory verification report")
    assert any((out / "units" / "kernel_monte_carlo").iterdir())
    first = {k: v for k, v in report.items() if k != "timing"}
    assert main(args) == 0
    again = json.loads((out / "report.json").read_text())
    assert again["timing"]["reused_units"] == 8
    assert {k: v for k, v in again.items() if k != "timing"} == first
    assert main([*args, "--fresh"]) == 0
    assert json.loads((out / "report.json").read_text())["timing"]["reused_units"] == 0


def test_fit_common_slope_ignores_group_levels():
    from verification.rules import fit_common_slope

    x = [0.0, 1.0, 2.0, 3.0]
    fit = fit_common_slope([(x, [10 - 0.5 * v for v in x]), (x, [-3 - 0.5 * v for v in x])])
    assert fit.slope == pytest.approx(-0.5) and fit.se == pytest.approx(0.0, abs=1e-12)
