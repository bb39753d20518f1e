"""Activations with their derivatives and the normaliser c_φ = E[φ(g)²]^(-1/2), g ~ N(0, 1).

The toolkit's networks use the normalised activation c_φ·φ (docs/theory/README.md N1, PSG's c_φ): for the leaky
ReLU this is σ̃_α = √(2/(1+α²))·σ_α. The smooth activations (tanh, swish) and ELU/SELU are the
comparison set of Panigrahi–Shetty–Goyal (ICLR 2020). :func:`hermite_coefficients` gives the
orthonormal Hermite coefficients ν_k of φ' (docs/theory/gram-eigenvalues.md §5–§6), computed in float64 by
Gauss–Hermite quadrature, which converges fast only for smooth φ'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import torch
from scipy import integrate, special

from empirical.validation import check_alpha, check_positive_int

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "hermite_coefficients", "leaky_plain", "leaky_plain_grad",
           "leaky_relu", "leaky_relu_backward_into", "leaky_relu_into", "sigma_alpha", "sigma_alpha_backward_into",
           "sigma_alpha_derivative", "sigma_alpha_into"]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class Activation:
    """An activation φ, its derivative φ', and the normaliser ``scale`` = c_φ.

    Calling the object applies the *normalised* activation c_φ·φ; :meth:`derivative` gives
    c_φ·φ'. ``smooth`` records whether φ' is continuous with a smooth Hermite tail (tanh, swish,
    polynomials) or has a jump/kink (leaky ReLU, SELU, ELU).
    """

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    deriv: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    scale: float
    smooth: bool
    alpha: float | None = None

    @property
    def homogeneous(self) -> bool:
        """True for the leaky-ReLU family: φ(z) = φ'(z)·z (positively 1-homogeneous)."""
        return self.alpha is not None

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.scale * self.fn(z)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        return self.scale * self.deriv(z)

    @property
    def label(self) -> str:
        return f"leaky(α={self.alpha:g})" if self.alpha is not None else self.name


def sigma_alpha(z: torch.Tensor, alpha: float) -> torch.Tensor:
    """The (unnormalised) leaky ReLU σ_α(z) = z for z > 0, α·z otherwise."""
    return torch.where(z > 0, z, alpha * z)


def sigma_alpha_derivative(z: torch.Tensor, alpha: float) -> torch.Tensor:
    """σ'_α(z) = 1 for z > 0, α otherwise (the value α at the kink z = 0)."""
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, alpha))


_lrelu_out = torch.ops.aten.leaky_relu.out
_lrelu_backward_out = torch.ops.aten.leaky_relu_backward.grad_input


def sigma_alpha_into(z: torch.Tensor, alpha: float, out: torch.Tensor) -> torch.Tensor:
    """σ_α(z) written into ``out`` in one fused pass (``out`` may be ``z``); the same values as :func:`sigma_alpha`."""
    return _lrelu_out(z, alpha, out=out)


def sigma_alpha_backward_into(grad: torch.Tensor, z: torch.Tensor, alpha: float, out: torch.Tensor) -> torch.Tensor:
    """grad ⊙ σ'_α(z) written into ``out`` in one fused pass (``out`` may be ``grad`` or ``z``)."""
    return _lrelu_backward_out(grad, z, alpha, False, grad_input=out)


def leaky_relu(alpha: float) -> Activation:
    """σ̃_α = √(2/(1+α²))·max(z,0) + α·min(z,0) (docs/theory/README.md N1); α = 0 ReLU, α = −1 |z|."""
    a = check_alpha(alpha)
    return Activation(
        name="leaky",
        fn=lambda z: sigma_alpha(z, a),
        deriv=lambda z: (z > 0).to(z.dtype).mul_(1.0 - a).add_(a),
        scale=math.sqrt(2.0 / (1.0 + a * a)),
        smooth=False,
        alpha=a,
    )


#: the names the two-layer trainer uses for the same fused passes (one implementation)
leaky_relu_into = sigma_alpha_into
leaky_relu_backward_into = sigma_alpha_backward_into


def _std_normal_moment(f: Callable[[np.ndarray], np.ndarray]) -> float:
    """E[f(g)] for g ~ N(0,1), integrating each half-line separately (kinks at 0 are exact)."""
    dens = lambda x: f(np.asarray(x)) * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    lo, _ = integrate.quad(dens, -np.inf, 0.0, epsabs=1e-14, epsrel=1e-13, limit=200)
    hi, _ = integrate.quad(dens, 0.0, np.inf, epsabs=1e-14, epsrel=1e-13, limit=200)
    return lo + hi


@cache
def _scale(name: str) -> float:
    f_np = _NUMPY[name]
    return 1.0 / math.sqrt(_std_normal_moment(lambda x: f_np(x) ** 2))


def _sigmoid_np(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


_NUMPY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "swish": lambda x: x * _sigmoid_np(x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "quadratic": lambda x: x + x * x,
}
_NUMPY_DERIV: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "swish": lambda x: _sigmoid_np(x) * (1.0 + x * (1.0 - _sigmoid_np(x))),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(x, 0))),
    "quadratic": lambda x: 1.0 + 2.0 * x,
}
_TORCH: dict[str, tuple[Callable, Callable, bool]] = {
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2, True),
    "swish": (torch.nn.functional.silu,
              lambda z: torch.sigmoid(z) * (1 + z * (1 - torch.sigmoid(z))), True),
    "elu": (torch.nn.functional.elu, lambda z: torch.where(z > 0, torch.ones_like(z), torch.exp(z.clamp(max=0))),
            False),
    "selu": (torch.selu, lambda z: _SELU_SCALE * torch.where(z > 0, torch.ones_like(z),
                                                             _SELU_ALPHA * torch.exp(z.clamp(max=0))), False),
    "quadratic": (lambda z: z + z * z, lambda z: 1 + 2 * z, True),
}

#: names accepted by :func:`get_activation`
ACTIVATIONS = ("leaky", "relu", "abs", *sorted(_TORCH))


def get_activation(name: str, alpha: float | None = None) -> Activation:
    """Activation by name: ``leaky`` (needs ``alpha``), ``relu``, ``abs``, ``tanh``, ``swish``,
    ``elu``, ``selu``, ``quadratic`` (φ(z) = z + z², whose Gram is singular for large n)."""
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {name!r}")
    if name == "leaky":
        if alpha is None:
            raise ValueError("activation 'leaky' needs alpha")
        return leaky_relu(alpha)
    if alpha is not None:
        raise ValueError(f"activation {name!r} takes no alpha (got alpha={alpha!r})")
    if name == "relu":
        return leaky_relu(0.0)
    if name == "abs":
        return leaky_relu(-1.0)
    if name not in _TORCH:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
    fn, deriv, smooth = _TORCH[name]
    return Activation(name=name, fn=fn, deriv=deriv, scale=_scale(name), smooth=smooth)


def hermite_coefficients(act: Activation, k_max: int, nodes: int | None = None) -> np.ndarray:
    """ν_0..ν_{k_max}: orthonormal Hermite coefficients of the *normalised* derivative c_φ·φ'.

    ν_k = E[c_φ φ'(g)·h_k(g)] with h_k = He_k/√k!, by Gauss–Hermite quadrature (probabilists'
    weight) with ``nodes`` points (default 2·k_max + 200), in float64. Accurate for smooth φ'
    (tanh, swish, polynomials); for a φ' with a jump use the closed forms of :mod:`bounds.two_layer.kernels`.
    """
    k_max = check_positive_int(k_max, "k_max", minimum=0)
    if not isinstance(act, Activation):
        raise TypeError(f"act must be an Activation, got {type(act).__name__}")
    if not act.smooth:
        raise ValueError(f"hermite_coefficients needs a smooth activation; {act.label} has a kink — "
                         "use the closed-form kernels instead")
    name = act.name
    n_nodes = check_positive_int(nodes, "nodes", minimum=k_max + 1) if nodes is not None else 2 * k_max + 200
    x, w = special.roots_hermitenorm(n_nodes)
    sqw = np.sqrt(w / math.sqrt(2 * math.pi))  # carry √w inside the recursion: bounded, no overflow
    f = act.scale * _NUMPY_DERIV[name](x) * sqw
    out = np.empty(k_max + 1)
    h_prev, h = np.zeros_like(x), sqw.copy()  # h_k(x)·√w, h_k = He_k/√k!
    for kk in range(k_max + 1):
        out[kk] = float(np.dot(f, h))
        h_prev, h = h, (x * h - math.sqrt(kk) * h_prev) / math.sqrt(kk + 1)
    return out


def derivative_second_moment(act: Activation) -> float:
    """E[(c_φ φ'(g))²] = Σ_k ν_k² (Parseval); the total Hermite mass of the normalised derivative."""
    if act.alpha is not None:
        return act.scale**2 * (1 + act.alpha**2) / 2
    d = _NUMPY_DERIV[act.name]
    return act.scale**2 * _std_normal_moment(lambda x: d(x) ** 2)


def leaky_plain(z: torch.Tensor, alpha: torch.Tensor | float) -> torch.Tensor:
    """The *un-normalised* σ_α(z) = z for z ≥ 0, αz otherwise, with a tensor slope that broadcasts against z
    (batched networks whose members differ in α; benign-overfitting papers use σ_α without c_φ). It is
    :func:`sigma_alpha` (the same values: at z = 0 both give 0)."""
    return sigma_alpha(z, alpha)


def leaky_plain_grad(z: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Subgradient of :func:`leaky_plain`: 1 for z ≥ 0, α otherwise (KGMMN's convention σ'_α(0) = 1)."""
    return torch.where(z >= 0, torch.ones((), dtype=z.dtype, device=z.device), alpha)
