"""``--explain NAME``: the chain from a paper claim to its verdict, for one check.

Prints the claim and source; for each bound role the registered bound, the ``file:line`` of its
``define(...)``, its provenance and whether data can refute it; the experiment functions of
``empirical`` that the check's ``measure`` calls (found by reading its source, one level into the
check's own helpers); and the check's doc page. Every path is relative to the repository root.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .check import Check

__all__ = ["bound_location", "experiment_calls", "explain"]

ROOT = Path(__file__).resolve().parent.parent


def _rel(path: str | Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def bound_location(name: str) -> str:
    """``file:line`` of the ``define("name", …)`` that registers bound ``name`` ("?" if not found)."""
    pat = re.compile(r"define\(\s*[\"']" + re.escape(name) + r"[\"']")
    for path in sorted((ROOT / "bounds").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        m = pat.search(text)
        if m:
            return f"{_rel(path)}:{text.count(chr(10), 0, m.start()) + 1}"
    return "?"


def _called_names(fn: Callable[..., Any]) -> list[str]:
    """Dotted names called in ``fn``'s source (``f(…)``, ``mod.f(…)``, ``self.f(…)``)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts: list[str] = []
            f = node.func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
                out.append(".".join(reversed(parts)))
    return out


def _resolve(dotted: str, owner: Any, module: Any) -> Any:
    head, *rest = dotted.split(".")
    obj = owner if head == "self" else getattr(module, head, None)
    for part in rest:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def experiment_calls(check: Check, depth: int = 2) -> list[str]:
    """``module.function (file:line)`` of each ``empirical`` callable reached from ``check.measure``."""
    found: dict[str, str] = {}
    seen: set[Any] = set()

    def visit(fn: Any, level: int) -> None:
        fn = getattr(fn, "__func__", fn)
        if fn in seen or level > depth:
            return
        seen.add(fn)
        module = inspect.getmodule(fn)
        for dotted in _called_names(fn):
            obj = _resolve(dotted, check, module)
            target = getattr(obj, "__func__", obj)
            mod_name = getattr(target, "__module__", "") or ""
            if mod_name.startswith("empirical") and callable(target):
                try:
                    where = f"{_rel(inspect.getsourcefile(target) or '?')}:{inspect.getsourcelines(target)[1]}"
                except (OSError, TypeError):
                    where = "?"
                found.setdefault(f"{mod_name}.{getattr(target, '__qualname__', dotted)}", where)
            elif mod_name.startswith("verification.checks") and (inspect.isfunction(target) or inspect.ismethod(obj)):
                visit(target, level + 1)

    visit(check.measure, 0)
    return [f"{k} ({v})" for k, v in sorted(found.items())]


def explain(check: Check) -> str:
    """The claim → bounds → experiments → docs chain of ``check``, as text."""
    import bounds

    src = inspect.getsourcefile(type(check)) or "?"
    line = inspect.getsourcelines(type(check))[1] if src != "?" else 0
    lines = [f"{check.name}  ({_rel(src)}:{line})", "", "claim:  " + check.claim, "source: " + check.source, "",
             "bounds (role → registered bound, where defined, provenance, side):"]
    for role, name in check.bound_roles.items():
        b = bounds.get(name)
        lines.append(f"  {role:<20} → {name}  ({bound_location(name)})  [{b.provenance.value}, {b.side.value}]")
        if b.untestable:
            lines.append(f"  {'':<20}   untestable: {b.untestable}")
    calls = experiment_calls(check)
    lines += ["", "experiments called by measure():"] + [f"  {c}" for c in calls or ["(none found)"]]
    doc = ROOT / "docs" / "checks" / f"{check.name}.md"
    lines += ["", "doc page: " + (_rel(doc) if doc.exists() else "(missing)")]
    return "\n".join(lines)
