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
:mod:`bounds.two_layer.kernels`, :mod:`bounds.two_layer.gram_eigen`, :mod:`bounds.two_layer.convergence`,
:mod:`bounds.deep.kernels`, :mod:`bounds.deep.convergence`, :mod:`bounds.generalization.statements`,
:mod:`bounds.generalization.regime`, :mod:`bounds.benign.kgmmn`, :mod:`bounds.benign.hashimoto`, :mod:`bounds.benign.frei`.
"""

from bounds import benign, deep, generalization, registry, symbols, two_layer
from bounds.benign import *  # noqa: F403
from bounds.catalogue import PAPERS, find, frame, papers_of, status
from bounds.core import Bound, DomainError, Optimum, Provenance, Side
from bounds.deep import *  # noqa: F403
from bounds.generalization import *  # noqa: F403
from bounds.generalization import regime as generalization_regime
from bounds.registry import all_bounds, define, get, register, table
from bounds.symbols import *  # noqa: F403
from bounds.symbols import hidden_constant
from bounds.two_layer import *  # noqa: F403
from bounds.two_layer.gram_eigen import hermite_truncation_index

__all__ = [
    "PAPERS", "find", "frame", "papers_of", "status",
    "Bound", "DomainError", "Optimum", "Provenance", "Side",
    "all_bounds", "define", "get", "hermite_truncation_index", "hidden_constant", "register", "registry",
    "symbols", "table", "generalization_regime",
    *symbols.__all__, *two_layer.__all__, *benign.__all__, *deep.__all__, *generalization.__all__,
]
