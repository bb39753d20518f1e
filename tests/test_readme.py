"""The README's two set-up commands stay true: CI runs the README's test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Set-up")[1].split("\n## ")[0]
    return re.findall(r"```bash\n(.+?)\n```", block)


def test_readme_has_the_two_setup_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "python -m verification.check_all" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _commands()[1] in ci
    assert "HYPOTHESIS_PROFILE=ci" in ci


def test_torch_requirement_admits_the_cpu_build():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"torch>=2.1,<3"' in pyproject
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
