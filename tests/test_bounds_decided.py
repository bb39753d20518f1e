"""Every registered bound is decided on by some check, or declared untestable with the reason."""

from __future__ import annotations

import bounds
from verification import all_checks


def test_every_bound_is_decided_or_declared_untestable() -> None:
    used = {name for c in all_checks() for role, name in c.bound_roles.items() if role not in c.reported_roles}
    orphans = [b.name for b in bounds.all_bounds() if b.name not in used and not b.untestable]
    assert not orphans, f"bounds no check decides on and not declared untestable: {orphans}"


def test_untestable_reasons_are_sentences_and_shown_in_the_table() -> None:
    table = bounds.table()
    for b in bounds.all_bounds():
        if b.untestable:
            assert len(b.untestable) > 20, (b.name, b.untestable)
            assert b.untestable in table


def test_reported_roles_are_roles() -> None:
    for c in all_checks():
        assert c.reported_roles <= set(c.bound_roles), (c.name, c.reported_roles)
