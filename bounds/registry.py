"""Registry of every bound and formula, keyed by name (like ``sympy.stats``' few verbs, a few lookups)."""

from __future__ import annotations

from bounds.core import Bound, Provenance, Side

__all__ = ["all_bounds", "define", "get", "register", "table"]

_REGISTRY: dict[str, Bound] = {}


def register(bound: Bound) -> Bound:
    """Add ``bound`` to the registry; a second, different bound of the same name is an error."""
    if not isinstance(bound, Bound):
        raise TypeError(f"only a Bound can be registered, got {type(bound).__name__}")
    old = _REGISTRY.get(bound.name)
    if old is not None and old.fingerprint != bound.fingerprint:
        raise ValueError(f"a different bound named {bound.name!r} is already registered ({old.source})")
    _REGISTRY[bound.name] = bound
    return bound


def define(name: str, expr, *, quantity: str, source: str, provenance: Provenance | str,
           side: Side | str = Side.EXACT, domain=(), assumptions=(), notes: str = "", untestable: str = "") -> Bound:
    """Construct a :class:`Bound` and register it."""
    return register(Bound(name=name, expr=expr, quantity=quantity, source=source,
                          provenance=Provenance(provenance), side=Side(side), domain=tuple(domain),
                          assumptions=tuple(assumptions), notes=notes, untestable=untestable))


def get(name: str) -> Bound:
    """The registered bound called ``name`` (``KeyError`` lists the known names)."""
    if not isinstance(name, str):
        raise TypeError(f"a bound is looked up by its name (a string), got {name!r}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown bound {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def all_bounds() -> list[Bound]:
    """Every registered bound, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def table() -> str:
    """One line per bound: name, side, provenance, tested (or why not), source."""
    rows = [f"{'name':<34} {'side':<7} {'provenance':<16} {'tested':<8} source"]
    rows += [f"{b.name:<34} {b.side.value:<7} {b.provenance.value:<16} {'no' if b.untestable else 'yes':<8} {b.source}"
             + (f"\n{'':<34} untestable: {b.untestable}" if b.untestable else "") for b in all_bounds()]
    return "\n".join(rows)
