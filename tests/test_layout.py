"""The layout promised by docs/index.md: the same slices everywhere, every folder in the index's tree,
small check modules, one check per file named as the check."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from verification import all_checks

ROOT = Path(__file__).resolve().parent.parent
SLICES = ("two_layer", "deep", "generalization", "benign")


@pytest.mark.parametrize("top", ["bounds", "empirical", "verification/checks", "tests"])
def test_every_package_has_the_four_slices(top: str) -> None:
    for s in SLICES:
        assert (ROOT / top / s).is_dir(), f"{top}/{s}/ is missing"


def test_index_tree_lists_every_folder() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    tree = index.split("```text", 1)[1].split("```", 1)[0]
    names = {line.split("── ")[-1].split()[0] if "── " in line else line.split()[0]
             for line in tree.splitlines() if line.strip()}
    for top in ("bounds", "empirical", "verification", "tests", "docs"):
        for d in sorted(p for p in (ROOT / top).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
            assert f"{d.name}/" in names, f"docs/index.md's layout tree lacks {d.relative_to(ROOT)}/"


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.name)
def test_one_check_per_file_named_as_the_check(check) -> None:
    path = Path(inspect.getsourcefile(type(check)))
    assert path.stem == check.name, f"{check.name} lives in {path.name}"
    assert path.parent.name in SLICES and path.parent.parent.name == "checks"


def test_check_modules_are_small_and_decide_is_short() -> None:
    for path in (ROOT / "verification" / "checks").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 400, f"{path.relative_to(ROOT)} has {text.count(chr(10))} lines (> 400)"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name == "decide":
                n = node.end_lineno - node.lineno + 1
                assert n <= 60, f"{path.relative_to(ROOT)}: decide has {n} lines (> 60)"


def test_no_key_string_parsing_in_checks() -> None:
    for path in (ROOT / "verification" / "checks").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert 'split("|")' not in text and "split('|')" not in text and '.split("alpha=")' not in text, path
