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
from .deep_convergence import *  # noqa: F403
from .deep_kernels import *  # noqa: F403
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
    kern_dot,
    kern_prev,
    lam,
    lam_i,
    lam_max,
    lam_N,
    m,
    mu_star,
    n,
    ntk_prev,
    p_deg,
    p_fail,
    proj,
    rho,
    t,
    tau,
    theta,
    z_pre,
)
from .two_layer_convergence import *  # noqa: F403

__all__ = [  # noqa: RUF022 (grouped by kind, not sorted)
    "Bound", "DomainError", "Optimum", "Provenance", "Side",
    "registry", "symbols", "all_bounds", "define", "get", "register", "table", "hidden_constant",
    "hermite_truncation_index",
    "J", "K", "L", "T", "alpha", "b", "d", "d_out", "d_sub", "delta", "eps", "eta", "j", "k", "lam",
    "lam_i", "lam_max", "lam_N", "m", "mu_star", "n", "p_deg", "p_fail", "proj", "rho", "t", "tau", "theta",
    "kern_dot", "kern_prev", "ntk_prev", "z_pre",
]
from . import deep_convergence as _dc
from . import deep_kernels as _dk
from . import gram_eigen as _ge
from . import kernels as _k
from . import two_layer_convergence as _tl

__all__ += [*_k.__all__, *_ge.__all__, *_tl.__all__]
__all__ += [*_dc.__all__, *_dk.__all__]
