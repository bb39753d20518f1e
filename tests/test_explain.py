"""``--explain``: every check's chain resolves (bounds to their define() lines, experiments, doc page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verification import all_checks
from verification.explain import bound_location, explain

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.name)
def test_explain_resolves_every_link(check) -> None:
    text = explain(check)
    assert check.claim in text
    for role, name in check.bound_roles.items():
        loc = bound_location(name)
        path, line = loc.rsplit(":", 1)
        src = (ROOT / path).read_text(encoding="utf-8").splitlines()
        assert re.search(r"define\(\s*[\"']" + name, "\n".join(src[int(line) - 1:int(line) + 1])), (name, loc)
        assert f"{role}" in text and loc in text
    assert "experiments called by measure():" in text
    assert "(none found)" not in text, f"{check.name}: no empirical call found from measure()"
    assert f"docs/checks/{check.name}.md" in text


def test_unknown_bound_location() -> None:
    assert bound_location("no_such_bound") == "?"
