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


# --------------------------------------------------------------------------- issue 12: never a traceback
@pytest.mark.parametrize("where", ["verification.registry.select", "verification.check_all._parse_overrides",
                                   "verification.check_all._check_out_dir", "verification.runner.run_check",
                                   "verification.report.write_report"])
def test_ctrl_c_at_any_point_of_main_is_one_line(where, monkeypatch, tmp_path, capsys):
    import importlib

    mod_name, attr = where.rsplit(".", 1)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(mod_name), attr, interrupted)
    rc = main(["--only", "kernel_monte_carlo", "--seeds", "0", "--no-progress", "--workers", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 130 and len(err.splitlines()) == 1 and "interrupted" in err and "Traceback" not in err


@pytest.mark.parametrize("out", ["", " ", "q" * 300, "a\0b"])
def test_bad_out_is_one_line_and_writes_nothing_here(out, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--only", "kernel_monte_carlo", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--out" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_out_that_cannot_take_the_report_is_one_line(tmp_path, capsys, monkeypatch):
    import verification.report as report_mod

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_mod, "write_report", full)
    rc = main(["--only", "kernel_monte_carlo", "--seeds", "0", "--no-progress", "--workers", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "No space left on device" in err and len(err.splitlines()) == 1


def test_set_is_validated_before_anything_runs(tmp_path, capsys, monkeypatch):
    import verification.runner as runner_mod

    monkeypatch.setattr(runner_mod, "run_check", lambda *a, **k: pytest.fail("a unit ran"))
    out = tmp_path / "never"
    assert main(["--only", "du_gd_bound", "--set", "steps=0", "--out", str(out)]) == 2
    assert "steps=0" in capsys.readouterr().err and not out.exists()


def test_valid_set_values_are_cleaned_to_the_default_type():
    from verification import get_check
    from verification.check_all import _parse_overrides

    got = _parse_overrides(["eta=1", "alphas=[0, 0.5]", "steps=10"], [get_check("du_gd_bound")], "quick")["du_gd_bound"]
    assert got == {"eta": 1.0, "alphas": [0.0, 0.5], "steps": 10}
    assert isinstance(got["eta"], float) and isinstance(got["steps"], int)


def test_set_applies_per_check_and_names_a_check_with_a_dot():
    from verification import get_check
    from verification.check_all import UsageError, _parse_overrides

    checks = [get_check("du_gd_bound"), get_check("finite_width_gram")]
    both = _parse_overrides(["n=30"], checks, "quick")
    assert set(both) == {c.name for c in checks if "n" in c.params("quick")}
    only = _parse_overrides(["eta=0.01"], checks, "quick")  # finite_width_gram has no eta: it is left alone
    assert only == {"du_gd_bound": {"eta": 0.01}}
    one = _parse_overrides(["du_gd_bound.steps=50"], checks, "quick")
    assert one == {"du_gd_bound": {"steps": 50}}
    for bad, says in ((["nope=1"], "no selected check"), (["kernel_monte_carlo.n=3"], "not selected"),
                      (["du_gd_bound.nope=1"], "has no such parameter"), ([".n=3"], "CHECK.KEY=VALUE")):
        with pytest.raises(UsageError, match=says):
            _parse_overrides(bad, checks, "quick")


def test_param_ranges_declared_by_a_check_are_enforced(monkeypatch, capsys, tmp_path):
    from verification import get_check

    chk = type(get_check("du_gd_bound"))
    monkeypatch.setattr(chk, "param_ranges", {"eta": (0.0, 0.1)})
    assert main(["--only", "du_gd_bound", "--set", "eta=0.5", "--out", str(tmp_path)]) == 2
    assert "eta=0.5 must lie in [0.0, 0.1]" in capsys.readouterr().err


def test_a_damaged_unit_is_named_on_stderr_and_the_run_succeeds(tmp_path, capsys):
    args = ["--only", "kernel_monte_carlo", "--seeds", "0", "--no-progress", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    first = json.loads((tmp_path / "report.json").read_text())["checks"]
    victim = sorted((tmp_path / "units" / "kernel_monte_carlo").glob("*.json"))[0]
    victim.write_bytes(b"\xff\xfe garbage")
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"check_all: warning: stored unit {victim}: is not UTF-8 text; measured again" in err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["checks"] == first and len(report["timing"]["store_warnings"]) == 1


def test_units_stored_by_workers_verify_and_are_reused(tmp_path, capsys):
    args = ["--only", "kernel_monte_carlo", "--seeds", "0", "--no-progress", "--workers", "2", "--out", str(tmp_path)]
    assert main(args) == 0
    first = json.loads((tmp_path / "report.json").read_text())
    assert main([*args[:-4], "--workers", "1", "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "report.json").read_text())
    assert "warning" not in capsys.readouterr().err
    assert again["timing"]["reused_units"] == first["checks"][0]["units"] and again["checks"] == first["checks"]


def test_check_all_imports_light_and_knows_the_profiles():
    """check_all installs its Ctrl-C handler before sympy/torch load: importing it loads neither."""
    import subprocess
    import sys

    from verification.check import PROFILES
    from verification.check_all import PROFILES as CLI_PROFILES

    assert CLI_PROFILES == PROFILES
    code = "import sys, verification.check_all; print('torch' in sys.modules, 'sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_version_flag_prints_the_package_version(capsys) -> None:
    from verification import __version__
    from verification.check_all import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"leaky-theory {__version__}"


def test_a_reader_that_stops_early_ends_the_run_quietly() -> None:
    """``leaky-theory --explain NAME | head -1``: status 141 (SIGPIPE), no BrokenPipeError traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "verification.check_all", "--explain", "du_gd_bound"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Traceback" not in err, err
