"""Every ``>>>`` example in the README and in docs/*.md runs (in order, one namespace per file), and the
cheap command lines the docs show (--list, --explain, --params, --plan, --help) exit 0."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _examples(path: Path) -> list[str]:
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(">>> ") and "doctest: +SKIP" not in line:
            out.append(line[4:])
        elif line.startswith("... ") and out:
            out[-1] += "\n" + line[4:]
    return out


@pytest.mark.parametrize("path", [p for p in FILES if _examples(p)], ids=lambda p: p.name)
def test_python_examples_run(path: Path, monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    ns: dict = {}
    for code in _examples(path):
        try:
            exec(compile(code, f"{path.name} example", "single" if "\n" not in code else "exec"), ns)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"{path.name}: `{code}` raised {type(exc).__name__}: {exc}") from exc


CHEAP = re.compile(r"python -m verification\.check_all (?:--list|--explain [a-z_]+|--params [a-z_]+|--help|--plan[^\n#`]*)")


def test_cheap_command_lines_in_the_docs_exit_zero(tmp_path, capsys) -> None:
    from verification.check_all import main

    seen = set()
    for path in FILES:
        for cmd in CHEAP.findall(path.read_text(encoding="utf-8")):
            args = shlex.split(cmd)[3:]
            if "--calibrate" in args:  # measures a unit of every check: not cheap
                continue
            if "--plan" in args:
                args = [a for a in args if not a.startswith("runs/")]
                cut = args.index("--out") if "--out" in args else len(args)
                args = [*args[:cut], "--out", str(tmp_path)]
            seen.add(cmd)
            try:
                code = main(args)
            except SystemExit as exc:  # --help
                code = exc.code
            assert code == 0, f"{path.name}: `{cmd}` exited {code}"
    assert len(seen) >= 3
    capsys.readouterr()
