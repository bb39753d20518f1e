"""Symbolic layer of leaky-theory: every bound and kernel formula as a sympy expression.

>>> from bounds import c_alpha, H_tilde, alpha, rho
>>> c_alpha.evaluate(alpha=-1)
2.0
>>> H_tilde.evaluate(alpha=0, rho=1)
1.0
>>> c_alpha.optimize(alpha, (-1, 1), "max").argopt
-1.0

Each object is a :class:`~bounds.core.Bound`; ``print(bound)`` shows its formula, source,
provenance and domain, and :func:`bounds.registry.table` lists them all.
"""

from . import registry, symbols
from .core import Bound, DomainError, Optimum, Provenance, Side
from .gram_eigen import *  # noqa: F403
from .gram_eigen import hermite_truncation_index
from .kernels import *  # noqa: F403
from .registry import all_bounds, define, get, register, table
from .symbols import (
    J,
    K,
    L,
    T,
    alpha,
    b,
    d,
    d_out,
    d_sub,
    delta,
    eps,
    eta,
    hidden_constant,
    j,
    k,
    lam,
    lam_i,
    lam_max,
    lam_N,
    m,
    mu_star,
    n,
    p_deg,
    p_fail,
    proj,
    rho,
    t,
    tau,
    theta,
)
from .two_layer_convergence import *  # noqa: F403

__all__ = [  # noqa: RUF022 (grouped by kind, not sorted)
    "Bound", "DomainError", "Optimum", "Provenance", "Side",
    "registry", "symbols", "all_bounds", "define", "get", "register", "table", "hidden_constant",
    "hermite_truncation_index",
    "J", "K", "L", "T", "alpha", "b", "d", "d_out", "d_sub", "delta", "eps", "eta", "j", "k", "lam",
    "lam_i", "lam_max", "lam_N", "m", "mu_star", "n", "p_deg", "p_fail", "proj", "rho", "t", "tau", "theta",
]
from . import gram_eigen as _ge
from . import kernels as _k
from . import two_layer_convergence as _tl

__all__ += [*_k.__all__, *_ge.__all__, *_tl.__all__]

# generalisation (ADHLW, Cao & Gu, CG20-type trajectory schematic): theory handbook generalization.md
from . import generalization as _gen  # noqa: E402
from . import generalization_regime  # noqa: E402
from .generalization import *  # noqa: E402, F403
from .symbols import F_0, R_ntrf, ntrf_loss, p_jump, p_log, quad_y  # noqa: E402

__all__ += [*_gen.__all__, "generalization_regime", "F_0", "R_ntrf", "ntrf_loss", "p_jump", "p_log", "quad_y"]
