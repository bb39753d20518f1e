"""Property-based verification: hypothesis searches each claim's parameter space for counterexamples.

One property per file in the slice subpackages (``two_layer/``, ``deep/``, ``generalization/``, ``benign/``); each
module defines ``PROPERTY`` (a :class:`~verification.properties.core.Property`). :data:`REGISTRY` maps name →
property; ``python -m verification.falsify`` runs them (docs/properties.md).
"""

from __future__ import annotations

from importlib import import_module

from verification.properties.core import Outcome, Property, PropertyFailed, SearchResult, search

__all__ = ["REGISTRY", "Outcome", "Property", "PropertyFailed", "SearchResult", "all_properties", "get_property",
           "search"]

#: the property modules, in the order of the coverage priority (two-layer kernels first)
_MODULES = (
    "two_layer.kernel_formulas",
    "two_layer.lambda_min_sandwich",
    "two_layer.dzps_rate",
    "two_layer.adhlw_dynamics",
    "deep.alpha_factor",
    "benign.kgmmn_benign",
    "benign.kgmmn_harmful",
    "benign.hashimoto_transition",
    "generalization.gap_shape",
)

REGISTRY: dict[str, Property] = {}
for _m in _MODULES:
    _p = import_module(f"verification.properties.{_m}").PROPERTY
    REGISTRY[_p.name] = _p


def all_properties() -> list[Property]:
    """Every registered property, in registry order."""
    return list(REGISTRY.values())


def get_property(name: str) -> Property:
    """The property ``name``; a clear error listing the names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown property {name!r}; known: {', '.join(REGISTRY)}") from None
