"""Symbolic layer of leaky-theory: every bound and kernel formula as a sympy expression.

>>> from bounds import c_alpha, H_tilde, alpha, rho
>>> c_alpha.evaluate(alpha=-1)
2.0
>>> H_tilde.evaluate(alpha=0, rho=1)
1.0
>>> c_alpha.optimize(alpha, (-1, 1), "max").argopt
-1.0

Each object is a :class:`~bounds.core.Bound`; ``print(bound)`` shows its formula, source,
provenance and domain, and :func:`bounds.registry.table` lists them all. Topic modules:
:mod:`bounds.kernels`, :mod:`bounds.gram_eigen`, :mod:`bounds.two_layer_convergence`,
:mod:`bounds.deep_kernels`, :mod:`bounds.deep_convergence`, :mod:`bounds.generalization`,
:mod:`bounds.generalization_regime`, :mod:`bounds.benign`.
"""

from . import (
    benign,
    deep_convergence,
    deep_kernels,
    generalization,
    generalization_regime,
    gram_eigen,
    kernels,
    registry,
    symbols,
    two_layer_convergence,
)
from .benign import *  # noqa: F403
from .core import Bound, DomainError, Optimum, Provenance, Side
from .deep_convergence import *  # noqa: F403
from .deep_kernels import *  # noqa: F403
from .generalization import *  # noqa: F403
from .gram_eigen import *  # noqa: F403
from .gram_eigen import hermite_truncation_index
from .kernels import *  # noqa: F403
from .registry import all_bounds, define, get, register, table
from .symbols import *  # noqa: F403
from .symbols import hidden_constant
from .two_layer_convergence import *  # noqa: F403

__all__ = [
    "Bound", "DomainError", "Optimum", "Provenance", "Side",
    "all_bounds", "define", "get", "hermite_truncation_index", "hidden_constant", "register", "registry",
    "symbols", "table",
    *symbols.__all__, *kernels.__all__, *gram_eigen.__all__, *two_layer_convergence.__all__, *benign.__all__,
    *deep_kernels.__all__, *deep_convergence.__all__, *generalization.__all__, "generalization_regime",
]
