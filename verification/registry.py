"""Discovery of the checks: every ``Check`` subclass in a module of ``verification.checks``.

Checks live in ``verification/checks/<slice>/<check_name>.py`` (one check per module); discovery walks
the slice subpackages, so a new check is one new file and nothing else needs editing.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Sequence

from .check import Check

__all__ = ["all_checks", "get_check", "select"]


def all_checks() -> list[Check]:
    """One instance of every concrete check, in a stable order (``order``, then slice, then check name)."""
    from . import checks as pkg

    found: dict[str, type[Check]] = {}
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
        if info.ispkg:
            continue
        mod = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, Check) and not inspect.isabstract(cls) and cls.__module__ == mod.__name__:
                if cls.name in found:
                    raise RuntimeError(f"two checks are named {cls.name!r}")
                found[cls.name] = cls
    ordered = sorted(found.values(), key=lambda c: (c.order, c.__module__.split(".")[2], c.name))
    return [cls() for cls in ordered]


def get_check(name: str) -> Check:
    """The check called ``name``; ``KeyError`` lists the known names."""
    for c in all_checks():
        if c.name == name:
            return c
    raise KeyError(f"unknown check {name!r}; known checks: {', '.join(c.name for c in all_checks())}")


def select(names: Sequence[str] | None) -> list[Check]:
    """The checks named (in the order given), or all of them."""
    if not names:
        return all_checks()
    known = {c.name: c for c in all_checks()}
    unknown = [nm for nm in names if nm not in known]
    if unknown:
        raise KeyError(f"unknown check name(s) {', '.join(map(repr, unknown))}; known checks: {', '.join(known)}")
    return [known[nm] for nm in dict.fromkeys(names)]
