"""Where does α = −1 minimise the trajectory schematic? A symbolic regime analysis in (n, K, L).

The schematic :data:`bounds.trajectory_bound` (docs/theory/generalization.md §5.1, [inferred]) depends on
α only through c = c_α = (1−α)²/(1+α²) and g_α = √c (for α < 1). Write B(c) for it. Because c_α has its
maximum 2 at α = −1,

    dB/dα |_{α=−1} = B'(c)·c'(−1) = 0      for every value of every other symbol   [derived, asserted below],

so the sign of the first α-derivative says nothing. The second derivative does: c''(−1) = −1, hence

    d²B/dα² |_{α=−1} = −∂B/∂c |_{c=2},

and α = −1 is a strict local minimiser on [−1, 1) exactly when ∂B/∂c at c = 2 is negative (raising c would
still lower the bound). :func:`alpha_minus_one_is_local_min` evaluates that sign; :func:`minimising_alpha` finds
the global minimiser on an α grid; :func:`regime_map` and :func:`plot_regime` draw both over (n, K) at fixed L.

Limits of the criterion, derived symbolically (:func:`early_criterion`, :func:`late_criterion`):

* early epochs (K → 0): ∂B/∂c / K → −F̂_0·a/(1 − 2a) + P·(1+p_jump)/2·2^{(p_jump−1)/2}·(…) with
  a = C_rate·η·δm/(dn²) ∝ n⁻² and P ∝ C_depth^L·√m/√n. The training term's pull towards α = −1 shrinks like
  n⁻² and the complexity's push away like n^{−1/2}: **at fixed η and m, α = −1 minimises the early schematic only
  for n below a threshold that falls with L**. docs/theory/generalization.md's reading "large n, few epochs, larger L" (§5.1)
  needs the per-step rate a not to shrink with n (e.g. η·m growing like n²) — a finding about the schematic,
  reported by the ``generalization`` checks' docs.
* converged (K → ∞): the training term vanishes and τ_∞ ∝ 1/g_α, so B ∝ c^{(p_jump−1)/2}: α = −1 minimises when
  p_jump < 1, is indifferent at p_jump = 1 and maximises when p_jump > 1.

Every hidden constant and problem size must be given as a number by the caller: nothing here invents a constant.
The α-free confidence term C_conf·√(log(1/p_fail)/n) does not change any α-ordering and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from bounds.core import DomainError
from bounds.generalization import statements as G
from bounds.symbols import F_0, K, L, alpha, d, delta, eta, m, n, p_jump

__all__ = [
    "REGIME_PARAMETERS",
    "RegimeMap",
    "alpha_minus_one_is_local_min",
    "bound_in_c",
    "c_derivative_at_minus_one",
    "c_sym",
    "early_criterion",
    "first_alpha_derivative_at_minus_one",
    "late_criterion",
    "minimising_alpha",
    "plot_regime",
    "regime_map",
    "second_alpha_derivative_at_minus_one",
]

#: the free symbol standing for c_α in :func:`bound_in_c`
c_sym = sp.Symbol("c_regime", positive=True)

_PARTS_C = G.trajectory_parts(c_sym, sp.sqrt(c_sym))
#: the α-dependent part of the schematic as a function of c (the confidence term is α-free and dropped)
_B_C = _PARTS_C["training"] + (_PARTS_C["gap"] - G.C_conf * sp.sqrt(sp.log(1 / G.p_fail) / n))

#: the numbers a caller must give (problem sizes, schematic parameters, hidden constants)
REGIME_PARAMETERS = ("eta", "m", "delta", "d", "F_0", "p_jump", "C_rate", "C_grad", "C_cx", "C_depth")
_PARAM_SYMBOLS = (eta, m, delta, d, F_0, p_jump, G.C_rate, G.C_grad, G.C_cx, G.C_depth)
_ARGS = (n, K, L, *_PARAM_SYMBOLS)


def bound_in_c() -> sp.Expr:
    """The α-dependent part of :data:`bounds.trajectory_bound` as a function of ``c_sym`` (c_α), with g_α = √c."""
    return _B_C


@cache
def c_derivative_at_minus_one() -> sp.Expr:
    """∂B/∂c at c = 2 (α = −1): negative ⇔ α = −1 is a strict local minimiser of the schematic."""
    return sp.diff(_B_C, c_sym).subs(c_sym, 2)


def first_alpha_derivative_at_minus_one() -> sp.Expr:
    """dB/dα at α = −1, simplified: identically 0 (c_α is stationary there)."""
    expr = G.trajectory_bound.expr
    return sp.simplify(sp.diff(expr, alpha).subs(alpha, -1))


def second_alpha_derivative_at_minus_one() -> sp.Expr:
    """d²B/dα² at α = −1, expressed through the c-derivative: −∂B/∂c|_{c=2} (uses c'(−1) = 0, c''(−1) = −1)."""
    c_expr = G.C_ALPHA
    assert sp.simplify(sp.diff(c_expr, alpha).subs(alpha, -1)) == 0
    assert sp.simplify(sp.diff(c_expr, alpha, 2).subs(alpha, -1)) == -1
    return -c_derivative_at_minus_one()


def _rho_c() -> sp.Expr:
    return 1 - _PARTS_C["rate"]


def _early() -> sp.Expr:
    # first order in K: ρ^K = 1 + K·ln ρ + O(K²), ρ^{K/2} = 1 + (K/2)·ln ρ + O(K²); then (B − F̂_0)/K
    rho_c = _rho_c()
    # xreplace (exact nodes only): subs would rewrite ρ^K through ρ^{K/2} and vice versa
    first = _B_C.xreplace({rho_c ** (K / 2): 1 + K / 2 * sp.log(rho_c), rho_c**K: 1 + K * sp.log(rho_c)})
    per_epoch = sp.expand((first - F_0) / K)
    if per_epoch.has(K):
        raise RuntimeError("early-epoch expansion failed to remove K")  # pragma: no cover (structural guard)
    return sp.diff(per_epoch, c_sym).subs(c_sym, 2)


def _late() -> sp.Expr:
    # K → ∞ with 0 < ρ < 1: ρ^K → 0 and ρ^{K/2} → 0
    rho_c = _rho_c()
    limit = _B_C.xreplace({rho_c ** (K / 2): sp.S.Zero, rho_c**K: sp.S.Zero})
    if limit.has(K):
        raise RuntimeError("converged limit failed to remove K")  # pragma: no cover (structural guard)
    return sp.diff(limit, c_sym).subs(c_sym, 2)


@cache
def early_criterion() -> sp.Expr:
    """lim_{K→0} (∂B/∂c at c = 2)/K, the early-epoch criterion (negative: α = −1 locally optimal)."""
    return _early()


@cache
def late_criterion() -> sp.Expr:
    """lim_{K→∞} ∂B/∂c at c = 2, the converged criterion (sign of p_jump − 1 to leading order in the rate)."""
    return _late()


@cache
def _lambdified() -> tuple[Any, Any]:
    crit = sp.lambdify(_ARGS, c_derivative_at_minus_one(), modules="numpy")
    val = sp.lambdify((c_sym, *_ARGS), _B_C, modules="numpy")
    return crit, val


def _params(values: Mapping[str, Any]) -> list[np.ndarray]:
    missing = [p for p in REGIME_PARAMETERS if p not in values]
    unknown = sorted(set(values) - set(REGIME_PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {unknown}; the regime takes {', '.join(REGIME_PARAMETERS)}")
    if missing:
        raise TypeError(f"give a number for {', '.join(missing)} (hidden constants are never defaulted)")
    out = []
    for name in REGIME_PARAMETERS:
        arr = np.asarray(values[name], dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise DomainError(f"{name}={values[name]!r} must be finite")
        if name == "p_jump":
            if np.any(arr < 0):
                raise DomainError(f"p_jump={values[name]!r} must be ≥ 0")
        elif np.any(arr <= 0):
            raise DomainError(f"{name}={values[name]!r} must be positive")
        out.append(arr)
    return out


def _sizes(n_: Any, K_: Any, L_: Any) -> list[np.ndarray]:
    out = []
    for name, v in (("n", n_), ("K", K_), ("L", L_)):
        arr = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or np.any(arr < 1) or np.any(arr != np.round(arr)):
            raise DomainError(f"{name}={v!r} must be integers ≥ 1")
        out.append(arr)
    return out


def _check_rate(sizes: list[np.ndarray], params: list[np.ndarray]) -> None:
    """The contraction 1 − C_rate·η·c·δm/(dn²) must lie in (0, 1) at c = 2 (the schematic's domain)."""
    nn = sizes[0]
    eta_, m_, delta_, d_ = params[:4]
    rate2 = 2 * params[6] * eta_ * delta_ * m_ / (d_ * nn**2)
    if np.any(rate2 >= 1):
        worst = float(np.max(rate2))
        raise DomainError(f"per-step contraction at α = −1 is {worst:.3g} ≥ 1: outside the schematic's domain "
                          "(C_rate·η·c_α·δm/(dn²) < 1); use smaller η·m or larger n")


def alpha_minus_one_is_local_min(n: Any, K: Any, L: Any, **values: Any) -> np.ndarray:
    """True where α = −1 is a strict local minimiser of the schematic (∂B/∂c at c = 2 is negative).

    ``n``, ``K``, ``L`` broadcast as numpy arrays; ``values`` must give every name in
    :data:`REGIME_PARAMETERS` as numbers (arrays broadcast too).
    """
    sizes, params = _sizes(n, K, L), _params(values)
    _check_rate(sizes, params)
    crit, _ = _lambdified()
    with np.errstate(all="ignore"):
        out = np.asarray(crit(*sizes, *params), dtype=np.float64)
    return out < 0


def minimising_alpha(n: Any, K: Any, L: Any, alphas: Any = None, **values: Any) -> np.ndarray:
    """The α on a grid (default 201 points in [−1, 0.99]) that minimises the schematic, per (n, K, L)."""
    grid = np.linspace(-1.0, 0.99, 201) if alphas is None else np.asarray(alphas, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or np.any(grid < -1) or np.any(grid >= 1):
        raise DomainError(f"alphas must be a 1-D grid inside [−1, 1), got {alphas!r}")
    sizes, params = _sizes(n, K, L), _params(values)
    _check_rate(sizes, params)
    _, val = _lambdified()
    c = ((1 - grid) ** 2 / (1 + grid**2)).reshape((-1,) + (1,) * np.broadcast(*sizes, *params).ndim)
    with np.errstate(all="ignore"):
        vals = np.asarray(val(c, *sizes, *params), dtype=np.float64)
    vals = np.broadcast_to(vals, np.broadcast_shapes(vals.shape, c.shape))
    return grid[np.argmin(vals, axis=0)]


@dataclass(frozen=True)
class RegimeMap:
    """The regime over an (n, K) grid at fixed L: minimising α, the local criterion and its mask."""

    n: np.ndarray
    K: np.ndarray
    L: int
    argmin_alpha: np.ndarray  # shape (len(K), len(n))
    local_min: np.ndarray  # α = −1 strict local minimiser
    criterion: np.ndarray  # ∂B/∂c at c = 2

    @property
    def global_min(self) -> np.ndarray:
        """True where the grid minimiser is α = −1."""
        return self.argmin_alpha == -1.0


def regime_map(n_values: Any, K_values: Any, L: int, alphas: Any = None, **values: Any) -> RegimeMap:
    """Evaluate :func:`minimising_alpha` and the local criterion on the grid K_values × n_values."""
    nv = np.asarray(n_values, dtype=np.float64).ravel()
    kv = np.asarray(K_values, dtype=np.float64).ravel()
    nn, kk = np.meshgrid(nv, kv)
    crit_fn, _ = _lambdified()
    sizes, params = _sizes(nn, kk, L), _params(values)
    _check_rate(sizes, params)
    with np.errstate(all="ignore"):
        crit = np.broadcast_to(np.asarray(crit_fn(*sizes, *params), dtype=np.float64), nn.shape)
    return RegimeMap(n=nv, K=kv, L=int(L), argmin_alpha=minimising_alpha(nn, kk, L, alphas, **values),
                     local_min=crit < 0, criterion=np.array(crit))


def plot_regime(n_values: Any, K_values: Any, L: int, ax: Any = None, alphas: Any = None, **values: Any) -> Any:
    """Heat map of the minimising α over (n, K) at fixed L, with the α = −1 local-minimum region hatched.

    Returns the matplotlib axes. The constants are the caller's: the picture is a regime sketch, not a
    prediction of absolute values.
    """
    import matplotlib.pyplot as plt

    rm = regime_map(n_values, K_values, L, alphas, **values)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    mesh = ax.pcolormesh(rm.n, rm.K, rm.argmin_alpha, shading="nearest", cmap="viridis", vmin=-1, vmax=1)
    ax.contourf(rm.n, rm.K, rm.local_min.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"])
    ax.contour(rm.n, rm.K, rm.criterion, levels=[0.0], colors="w", linewidths=1)
    ax.set(xscale="log", yscale="log", xlabel="n (training samples)", ylabel="K (epochs)",
           title=f"argmin α of the schematic, L = {rm.L} (hatched: α = −1 is a local min)")
    plt.colorbar(mesh, ax=ax, label="argmin α")
    return ax
