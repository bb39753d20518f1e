"""Every check page names the bounds its check decides on by their registry names (``bounds.get(NAME)``), not
only by the check's internal roles: a reader can look each one up (``bounds.get``, ``--explain``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verification import all_checks

ROOT = Path(__file__).resolve().parent.parent
CHECKS = all_checks()


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_page_names_every_bound_by_its_registry_name(check) -> None:
    page = (ROOT / "docs" / "checks" / f"{check.name}.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", page))
    missing = sorted(set(check.bound_roles.values()) - named)
    assert not missing, f"docs/checks/{check.name}.md does not name {missing} (registry names, in backticks)"
    bare_roles = sorted(r for r, n in check.bound_roles.items() if r != n and r in named and n not in named)
    assert not bare_roles, f"docs/checks/{check.name}.md names roles {bare_roles} without their bounds"
