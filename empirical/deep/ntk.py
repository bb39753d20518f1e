"""NTK of the trained matrices W_1..W_L of :class:`empirical.deep.network.DeepLeakyNet` (A, B frozen), float64.

* :func:`deep_ntk_analytic` – the infinite-width kernel Θ_W of docs/theory/kernels.md §7,
  K_0 = κ_α(G), K_ℓ = κ_α(K_{ℓ−1}), S_ℓ = (S_{ℓ−1} + K_{ℓ−1})·κ̇_α(K_{ℓ−1}), Θ_W = S_L, applied
  entrywise to G = XXᵀ. The one-layer maps and the recursion step are *not* re-typed here: they
  are lambdified from :mod:`bounds` (``kappa``, ``kappa_dot``, ``deep_ntk_W_step``), so the
  symbolic formulas are the single source of truth and a planted wrong formula changes the matrix.
* :func:`deep_ntk_layerwise` – the finite-width kernel at the current weights in closed form,
  layer by layer,

      Θ_ij = Σ_{ℓ=1}^{L} c_W²·⟨δ_ℓ(x_i), δ_ℓ(x_j)⟩·⟨h_{ℓ−1}(x_i), h_{ℓ−1}(x_j)⟩,

  with δ_ℓ = ∂f/∂z_ℓ the back-propagated vector at layer ℓ (z_ℓ = c_W·W_ℓh_{ℓ−1}) and c_W = 1/√m in
  NTK parameterisation, 1 in the SP ones. It equals the generic
  :func:`empirical.gram.finite.ntk_gram_func` (torch.func Jacobians) but needs only one forward and
  one backward sweep of n×m matrices. It runs the fast path :func:`empirical.deep.ntk_fast.deep_ntk_gram`
  (scales folded into GEMMs, fused activation passes, symmetric block products, optional row blocks
  for large n); :func:`deep_ntk_layerwise_reference` is the straightforward implementation it is
  tested against.

:func:`deep_ntk_analytic` likewise runs :func:`empirical.deep.ntk_analytic.deep_ntk_arc_cosine` (one
arcsin and one square root per entry and layer, symmetric tiles) whenever the formulas it is given
have the arc-cosine structure, and the term-by-term lambdified recursion otherwise (``fast=False``
forces it).
"""

from __future__ import annotations

import torch

import bounds
from empirical.deep.ntk_analytic import arc_cosine_coefficients, deep_ntk_arc_cosine
from empirical.deep.ntk_fast import deep_ntk_gram
from empirical.validation import check_alpha, check_matrix, check_positive_int, check_unit_norm

__all__ = ["deep_ntk_analytic", "deep_ntk_layerwise", "deep_ntk_layerwise_reference"]


def _formula(bd: bounds.Bound, allowed: set[str], like: torch.Tensor):
    """Lambdified ``bd`` called with only the variables it has, on ``like``'s device, broadcast to the
    common shape of all the arguments it is given (used or not)."""
    names = {s.name for s in bd.variables}
    if not names <= allowed:
        raise ValueError(f"{bd.name} must be a formula in {sorted(allowed)}; its variables are {sorted(names)}")
    fn = bd.torch(validate=False)

    def call(**kw: torch.Tensor) -> torch.Tensor:
        out = fn(**{k: v for k, v in kw.items() if k in names})
        shape = torch.broadcast_shapes(*(v.shape for v in kw.values()))
        return torch.as_tensor(out, dtype=torch.float64, device=like.device).expand(shape)

    return call


def _snap(k: torch.Tensor) -> torch.Tensor:
    """Correlations within 1e-12 of ±1 set to ±1 exactly: arccos is ill-conditioned there (an input error ε
    becomes √(2ε) ≈ 1.5e-8 for ε = 1e-16), and κ_α(1) = 1 exactly, so ‖x‖ = 1 rounding must not leak."""
    return torch.where((k.abs() - 1).abs() < 1e-12, torch.sign(k), k)


def deep_ntk_analytic(x: torch.Tensor, alpha: float, depth: int, average: bool = False,
                      nngp: bounds.Bound = bounds.kappa, derivative: bounds.Bound = bounds.kappa_dot,
                      step: bounds.Bound = bounds.deep_ntk_W_step, fast: bool | None = None) -> torch.Tensor:
    """Θ_W (or Θ_W/L with ``average``) on the unit-norm rows of ``x``, an n×n float64 tensor.

    Correlations are clipped to [−1, 1] at every layer (rounding can push K_ℓ past 1, where
    arccos is undefined) and values within 1e-12 of ±1 are set to ±1 (see :func:`_snap`).
    ``fast``: None (default) uses the arc-cosine fast path when the formulas have that structure;
    False always evaluates the lambdified formulas term by term; True requires the fast path.
    """
    alpha = check_alpha(alpha)
    depth = check_positive_int(depth, "depth")
    x = check_unit_norm(check_matrix(x, "X")).double()  # Θ_W is a function of ρ only for unit-norm inputs
    probe = torch.zeros((), dtype=torch.float64)  # the structure test runs on the CPU
    f_k = _formula(nngp, {"alpha", "rho"}, probe)
    f_kd = _formula(derivative, {"alpha", "rho"}, probe)
    f_s = _formula(step, {"alpha", "ntk_prev", "kern_prev", "kern_dot"}, probe)
    if fast is not False:
        coef = arc_cosine_coefficients(alpha, f_k, f_kd, f_s)
        if coef is not None:
            return deep_ntk_arc_cosine(x, *coef, depth, average=average)
        if fast:
            raise ValueError("fast=True needs formulas with the arc-cosine structure κ̇ = a + b·arcsin ρ, "
                             "κ = ρκ̇ + b√(1−ρ²), step = K̇·(S + K)")
    g = _snap((x @ x.T).clamp(-1.0, 1.0))
    f_k = _formula(nngp, {"alpha", "rho"}, g)
    f_kd = _formula(derivative, {"alpha", "rho"}, g)
    f_s = _formula(step, {"alpha", "ntk_prev", "kern_prev", "kern_dot"}, g)
    a = torch.as_tensor(alpha, dtype=torch.float64, device=x.device)
    k_prev = _snap(f_k(alpha=a, rho=g).clamp(-1.0, 1.0))
    s = torch.zeros_like(g)
    for _ in range(depth):
        k_dot = f_kd(alpha=a, rho=k_prev)
        s = f_s(alpha=a, ntk_prev=s, kern_prev=k_prev, kern_dot=k_dot)
        k_prev = _snap(f_k(alpha=a, rho=k_prev).clamp(-1.0, 1.0))
    return s / depth if average else s


def deep_ntk_layerwise(model: torch.nn.Module, x: torch.Tensor, per_layer: bool = False,
                       block_rows: int | None = None) -> torch.Tensor:
    """Finite-width NTK of ``model``'s trained matrices at its current weights, float64.

    ``model`` is a :class:`empirical.deep.network.DeepLeakyNet` with d_out = 1. Returns the n×n matrix, or
    with ``per_layer`` the (L, n, n) stack of the contributions of W_1..W_L (their sum is the NTK).
    ``block_rows`` bounds the working memory for large n (see :func:`empirical.deep.ntk_fast.deep_ntk_gram`).
    """
    return deep_ntk_gram(model, x, per_layer=per_layer, block_rows=block_rows)


def deep_ntk_layerwise_reference(model: torch.nn.Module, x: torch.Tensor, per_layer: bool = False) -> torch.Tensor:
    """The straightforward layer-by-layer implementation of :func:`deep_ntk_layerwise` (the reference its
    fast path is tested against): forward cache, then per layer c_W²·(δδᵀ)⊙(hhᵀ) with two full GEMMs."""
    x = check_matrix(x, "X")
    if getattr(model, "d_out", None) != 1:
        raise ValueError(f"deep_ntk_layerwise needs a scalar-output network (d_out=1), got d_out={model.d_out!r}")
    if x.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}), got {tuple(x.shape)}")
    _, zs, hs = model.forward_cache(x, dtype=torch.float64)
    w = model.W.detach().to(torch.float64)
    c2 = model.w_mult**2
    delta = model.act_deriv(zs[-1]) * (model.B.to(torch.float64)[0] * model.out_mult)  # ∂f/∂z_L, (n, m)
    parts = []
    for layer in range(model.depth, 0, -1):  # W_layer maps h_{layer−1} to z_layer
        parts.append(c2 * (delta @ delta.T) * (hs[layer - 1] @ hs[layer - 1].T))
        if layer > 1:
            delta = model.act_deriv(zs[layer - 1]) * ((delta @ w[layer - 1]) * model.w_mult)
    parts.reverse()
    stack = torch.stack(parts)
    return stack if per_layer else stack.sum(0)
