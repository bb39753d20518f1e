"""Every bound's and every check's ``source`` cites papers by their one canonical short name
(:data:`bounds.PAPERS`: "DZPS19", never "Du et al." or "Du, Zhai, Póczos, Singh"); a source that cites
no paper is the project's own derivation and points into docs/theory."""

from __future__ import annotations

import re

import pytest

import bounds
from bounds.catalogue import PAPERS, key_pattern
from verification import all_checks

SOURCES = [(f"bound {b.name}", b.source) for b in bounds.all_bounds()] + [
    (f"check {c.name}", c.source) for c in all_checks()]
_ARXIV = re.compile(r"^\d{4}\\\.\d{5}$")
#: author-list spellings and bare abbreviations (no year): the names a source must not use
ALIASES = [(key, p) for key, (_, pats) in PAPERS.items() for p in pats
           if not _ARXIV.match(p) and p != rf"\b{key}\b"]


def cited(text: str) -> list[str]:
    return [key for key in PAPERS if re.search(key_pattern(key), text)]


@pytest.mark.parametrize(("what", "source"), SOURCES, ids=[w for w, _ in SOURCES])
def test_source_uses_the_canonical_paper_names(what: str, source: str) -> None:
    assert cited(source) or "docs/theory/" in source, f"{what}: cites neither a paper of PAPERS nor docs/theory"
    for key, pat in ALIASES:
        assert not re.search(pat, source), f"{what}: spells {key} as {pat!r} instead of {key!r}: {source}"
    assert "et al" not in source, f"{what}: 'et al.' in place of a short name from PAPERS: {source}"


def test_papers_of_reads_the_canonical_names() -> None:
    by_name = {b.name: b for b in bounds.all_bounds()}
    assert bounds.papers_of(by_name["du_width"]) == ["DZPS19"]
    assert "GLL24" in bounds.papers_of(by_name["g_alpha"])
    assert {b.name for b in bounds.find(paper="Du, Zhai")} == {b.name for b in bounds.find(paper="DZPS19")}
