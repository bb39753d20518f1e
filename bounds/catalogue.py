"""Finding bounds: by paper, side, provenance or symbol; which hold at given values; as a table.

>>> import bounds
>>> [b.name for b in bounds.find(paper="GLL", side="upper")][:2]     # doctest: +SKIP
>>> bounds.status(alpha=-1, L=2, m=1000, n=50)                        # doctest: +SKIP

Each paper has one canonical short name (:data:`PAPERS`), and every ``source`` (of bounds and of checks)
cites papers by that name alone ("DZPS19 Theorem 4.1", never "Du et al."; tests/test_paper_names.py);
a bound belongs to the papers whose name, authors or arXiv number its ``source`` cites. A bound whose source cites none is the
project's own derivation or encoding (short name ``derived``); its source points into docs/theory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import sympy as sp

from bounds.core import Bound, Provenance, Side
from bounds.registry import all_bounds

__all__ = ["PAPERS", "find", "frame", "papers_of", "status"]

#: canonical short name → (full reference, patterns that identify it in a source string)
PAPERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "DZPS19": ("Du, Zhai, Póczos, Singh, ICLR 2019 (arXiv 1810.02054)", (r"\bDZPS\b", r"Du, Zhai", r"1810\.02054")),
    "ADHLW19": ("Arora, Du, Hu, Li, Wang, ICML 2019 (arXiv 1901.08584)", (r"\bADHLW\b", r"Arora, Du", r"1901\.08584")),
    "PSG20": ("Panigrahi, Shetty, Goyal, ICLR 2020 (arXiv 1908.05660)", (r"\bPSG\b", r"Panigrahi", r"1908\.05660")),
    "AZLS19": ("Allen-Zhu, Li, Song, ICML 2019 (arXiv 1811.03962)", (r"\bAZLS\b", r"Allen-Zhu", r"1811\.03962")),
    "GLL24": ("Guo, Li, Lerman, AISTATS 2024 (arXiv 2402.11942)", (r"\bGLL\b", r"Guo, Li, Lerman", r"Guo–Li–Lerman",
                                                                   r"2402\.11942")),
    "CG19": ("Cao & Gu, NeurIPS 2019 (arXiv 1905.13210)", (r"\bCG19\b", r"Cao & Gu \(NeurIPS", r"1905\.13210")),
    "CG20": ("Cao & Gu, AAAI 2020 (arXiv 1902.01384)", (r"\bCG20\b", r"Cao & Gu, AAAI", r"1902\.01384")),
    "KGMMN24": ("Karhadkar, George, Murray, Montúfar, Needell, NeurIPS 2024", (r"\bKGMMN\b", r"Karhadkar",)),
    "H25": ("Hashimoto, arXiv 2505.16204 (ICLR 2026)", (r"\bH25\b", r"2505\.16204")),
    "H-lin": ("Hashimoto, arXiv 2501.10538 (Bernoulli, to appear)", (r"\bH-lin\b", r"2501\.10538")),
    "FCB22": ("Frei, Chatterji, Bartlett, COLT 2022", (r"\bFCB22\b", r"Frei, Chatterji")),
    "CS09": ("Cho & Saul, NeurIPS 2009 (arc-cosine kernels)", (r"\bCS09\b", r"Cho & Saul", r"Cho–Saul")),
    "JGH18": ("Jacot, Gabriel, Hongler, NeurIPS 2018 (arXiv 1806.07572)", (r"\bJGH18\b", r"Jacot", r"1806\.07572")),
    "ADHLSW19": ("Arora, Du, Hu, Li, Salakhutdinov, Wang, NeurIPS 2019 (arXiv 1904.11955)",
                 (r"\bADHLSW19\b", r"Salakhutdinov", r"1904\.11955")),
}


def key_pattern(key: str) -> str:
    """The regular expression of a canonical short name as a word of a source string ("GLL24", "H-lin")."""
    return rf"(?<![\w-]){re.escape(key)}(?![\w-])"


def papers_of(bound: Bound) -> list[str]:
    """Canonical short names of the papers ``bound``'s source cites (``["derived"]`` if none)."""
    text = f"{bound.source} {bound.notes}"
    found = [key for key, (_, pats) in PAPERS.items()
             if re.search(key_pattern(key), text) or any(re.search(p, text) for p in pats)]
    return found or ["derived"]


def _paper_key(paper: str) -> str:
    for key, (_full, pats) in PAPERS.items():
        if paper.lower() in (key.lower(), key.lower().rstrip("0123456789")) or any(re.search(p, paper) for p in pats):
            return key
    if paper.lower() == "derived":
        return "derived"
    raise KeyError(f"unknown paper {paper!r}; known: {', '.join(PAPERS)}, derived")


def find(paper: str | None = None, side: Side | str | None = None, provenance: Provenance | str | None = None,
         symbol: sp.Symbol | str | None = None, text: str | None = None, bounds: Iterable[Bound] | None = None
         ) -> list[Bound]:
    """Registered bounds matching every given filter (``symbol``: a free symbol of the formula, by name
    or object; ``text``: a case-insensitive substring of name, quantity or source)."""
    want_paper = _paper_key(paper) if paper is not None else None
    want_side = Side(side) if side is not None else None
    want_prov = Provenance(provenance) if provenance is not None else None
    want_sym = getattr(symbol, "name", symbol)
    out = []
    for b in all_bounds() if bounds is None else bounds:
        if want_paper is not None and want_paper not in papers_of(b):
            continue
        if want_side is not None and b.side is not want_side:
            continue
        if want_prov is not None and b.provenance is not want_prov:
            continue
        if want_sym is not None and want_sym not in {s.name for s in b.expr.free_symbols}:
            continue
        if text is not None and text.lower() not in f"{b.name} {b.quantity} {b.source}".lower():
            continue
        out.append(b)
    return out


def status(bounds: Iterable[Bound] | None = None, **values: Any) -> dict[str, str]:
    """Per bound: "in-domain" (every domain condition holds at ``values``), "violated" (one fails) or
    "undetermined" (a condition involves a variable not given); only bounds whose formula uses one of
    the given variables are listed."""
    given = set(values)
    out: dict[str, str] = {}
    for b in all_bounds() if bounds is None else bounds:
        if not given & {s.name for s in b.expr.free_symbols | {s for r in b.domain for s in r.free_symbols}}:
            continue
        known = {s.name for s in b.expr.free_symbols} | {s.name for r in b.domain for s in r.free_symbols}
        try:
            conds = b.domain_status(**{k: v for k, v in values.items() if k in known})
        except (KeyError, ValueError, TypeError):
            out[b.name] = "undetermined"
            continue
        states = [ok for _, ok in conds]
        out[b.name] = "violated" if False in states else ("in-domain" if all(s is True for s in states)
                                                          else "undetermined")
    return out


def frame(bounds: Iterable[Bound] | None = None) -> Any:
    """The catalogue as a pandas DataFrame (name, quantity, side, provenance, papers, tested, source)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("bounds.frame() needs pandas: pip install -e \".[notebook]\"") from None
    rows: list[Mapping[str, Any]] = [
        {"name": b.name, "quantity": b.quantity, "side": b.side.value, "provenance": b.provenance.value,
         "papers": ", ".join(papers_of(b)), "tested": not b.untestable, "untestable": b.untestable,
         "expr": sp.sstr(b.expr), "source": b.source}
        for b in (all_bounds() if bounds is None else bounds)]
    return pd.DataFrame(rows).set_index("name")
