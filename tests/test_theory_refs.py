"""Every reference to the theory pages resolves.

The docstrings, bound sources and check pages cite the mathematics as ``docs/theory/<file>.md §<sec>``
(also ``docs/theory/README.md N2``, ``... rule 2``, ``... §4 K1``, ``... §8 E3``). Each such reference must
name an existing page, and that page must have a heading (or, for expectation/check labels, a heading or
a table row) carrying the label. A module-level name bound to a page (``_GE = "docs/theory/gram-eigenvalues.md"``)
is followed into the f-strings that use it (``f"{_GE} §5"``). Inside docs/theory/ the pages refer to each
other by bare file name (``kernels.md §8``); those are checked too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / "docs" / "theory"
PAGES = ("README.md", "kernels.md", "convergence.md", "generalization.md", "gram-eigenvalues.md",
         "benign-overfitting.md")
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".pytest_cache"}

SEC = r"\d+(?:\.\d+)*"
# one "§x" item: §6.4, §6.4–6.6, §2–§4, optionally followed by a check label (§4 K1, §8 E1–E3)
ITEM = rf"§\s?(?P<a>{SEC})(?:\s*[–-]\s*§?(?P<b>{SEC}))?(?:\s+(?P<lab>[KHEG]\d+)(?:\s*[–/-]\s*(?P<lab2>[KHEG]\d+))?)?"
# a run of items that all belong to the file named before them: "§3, §6.1", "§7 and §10", "§3 (...) and §8 E1–E3"
_ITEM = re.sub(r"\?P<\w+>", "?:", ITEM)
RUN = rf"(?:{_ITEM})(?:(?:,\s*|\s+and\s+|\s*\([^()\n]*\)\s*(?:,\s*|and\s+)?)(?:{_ITEM}))*"
# README labels
README_LABELS = r"(?P<n1>N\d)(?:\s*[–-]\s*N?(?P<n2>\d))?|rule\s+(?P<rule>\d)"
FILE = r"(?P<file>[\w.-]+\.md)"
# what may stand between the file name and its label: blanks, a line break, a broken string literal
GAP = r"(?:``)?(?:\s*[\"']\s*\n\s*[\"']\s*|\s+|,\s*)"


def _sources() -> list[Path]:
    out = []
    for p in ROOT.rglob("*"):
        if p.suffix not in (".py", ".md") or not p.is_file():
            continue
        if SKIP_DIRS & set(p.relative_to(ROOT).parts) or any(part.endswith(".egg-info") for part in p.parts):
            continue
        out.append(p)
    return sorted(out)


def _labels(page: Path) -> tuple[set[str], set[str]]:
    """(section labels from headings, other labels from headings and first table cells) of one page."""
    secs: set[str] = set()
    others: set[str] = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        h = re.match(r"#+\s+(.*)", line)
        if h:
            title = h.group(1)
            m = re.match(rf"(?:§\s?)?({SEC})\.?(?:\s|$)", title)
            if m:
                secs.add(m.group(1))
            others.update(re.findall(r"\b(?:N\d|[KHEG]\d+)\b", title))
            others.update("rule " + r for r in re.findall(r"\b[Rr]ule\s+(\d)", title))
        cell = re.match(r"\|\s*\**([KHEG]\d+|N\d)\**\s*\|", line)
        if cell:
            others.add(cell.group(1))
    return secs, others


def _expand(a: str, b: str | None, prefix: str) -> list[str]:
    """N1–N6 -> N1..N6; E1–E3 -> E1..E3; §2–§4 gives both ends (the middle need not be checked)."""
    if b is None:
        return [prefix + a]
    if prefix and a.isdigit() and b.isdigit():
        return [f"{prefix}{i}" for i in range(int(a), int(b) + 1)]
    return [prefix + a, prefix + b]


def _refs() -> list[tuple[str, str, str]]:
    """(where, page, label) for every reference found."""
    found: list[tuple[str, str, str]] = []

    def collect(where: str, page: str, tail: str) -> None:
        m = re.match(RUN, tail)
        if m:
            for it in re.finditer(ITEM, m.group(0)):
                for sec in _expand(it["a"], it["b"], ""):
                    found.append((where, page, "§" + sec))
                if it["lab"]:
                    k = it["lab"][0]
                    lab2 = it["lab2"][1:] if it["lab2"] else None
                    for lab in _expand(it["lab"][1:], lab2, k):
                        found.append((where, page, lab))
            return
        m = re.match(README_LABELS, tail)
        if m and page == "README.md":
            if m["rule"]:
                found.append((where, page, "rule " + m["rule"]))
            else:
                found.extend((where, page, lab) for lab in _expand(m["n1"][1:], m["n2"], "N"))
        else:
            found.append((where, page, ""))  # the page itself must exist

    for src in _sources():
        text = src.read_text(encoding="utf-8")
        rel = src.relative_to(ROOT).as_posix()
        inside = rel.startswith("docs/theory/")
        pat = (rf"(?<![\w/.-])(?:docs/theory/)?{FILE}" if inside else rf"docs/theory/{FILE}")
        for m in re.finditer(pat, text):
            if inside and m["file"] not in PAGES:
                continue
            line = text.count("\n", 0, m.start()) + 1
            tail = text[m.end():]
            gap = re.match(GAP, tail)
            collect(f"{rel}:{line}", m["file"], tail[gap.end():] if gap else tail)
        # names bound to a page and used in f-strings: _GE = "docs/theory/gram-eigenvalues.md"
        for b in re.finditer(rf"^(?P<name>\w+)\s*=\s*[\"']docs/theory/{FILE}[\"']", text, re.M):
            for u in re.finditer(r"\{" + re.escape(b["name"]) + r"\}\s*", text):
                line = text.count("\n", 0, u.start()) + 1
                collect(f"{rel}:{line} (via {b['name']})", b["file"], text[u.end():])
    return found


REFS = _refs()


def test_theory_pages_exist():
    for page in PAGES:
        assert (THEORY / page).is_file(), f"docs/theory/{page} is missing"


def test_theory_pages_have_numbered_sections():
    for page in PAGES[1:]:
        secs, _ = _labels(THEORY / page)
        assert secs, f"docs/theory/{page} has no numbered section headings"
    _, others = _labels(THEORY / "README.md")
    assert {f"N{i}" for i in range(1, 7)} <= others, "README.md must define N1–N6 as headings"


@pytest.mark.parametrize("where,page,label", REFS, ids=[f"{w} {p} {lab}" for w, p, lab in REFS])
def test_reference_resolves(where: str, page: str, label: str):
    path = THEORY / page
    assert path.is_file(), f"{where}: docs/theory/{page} does not exist"
    if not label:
        return
    secs, others = _labels(path)
    if label.startswith("§"):
        assert label[1:] in secs, f"{where}: docs/theory/{page} has no heading for {label}"
    else:
        assert label in others, f"{where}: docs/theory/{page} has no heading or table row for {label}"


def test_some_references_are_checked():
    # the pages cross-reference each other, so an empty list means the scanner is broken
    assert any(lab for _, _, lab in REFS)
