"""Special functions used inside bound expressions, with numerically safe numpy/torch implementations.

``arcsin_tail(J)`` = Σ_{j≥J} b_j = π/2 − Σ_{j<J} b_j with b_j = (2j)!/(4^j (j!)² (2j+1)), the tail
mass of the arcsin series (docs/theory/kernels.md §4). Summing factorials breaks down in
floating point for J in the hundreds, which the Hermite-tail bound needs for small separations,
so the implementation uses the ratio b_{j+1}/b_j = (2j+1)²/((2j+2)(2j+3)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pytorch import TorchPrinter
from sympy.utilities.lambdify import implemented_function

__all__ = ["TorchPrinterWithImplemented", "arcsin_tail", "arcsin_tail_numeric"]


def arcsin_tail_numeric(J: Any) -> Any:
    """Σ_{j≥J} b_j for integer J ≥ 0 (scalar, numpy array or torch tensor; same type back)."""
    is_torch = type(J).__module__.startswith("torch")
    arr = np.asarray(J.detach().cpu().numpy() if is_torch else J, dtype=np.float64)
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr))):
        raise ValueError(f"arcsin_tail needs integers J >= 0, got {J!r}")
    ints = arr.astype(np.int64)
    top = int(ints.max()) if ints.size else 0
    jj = np.arange(top, dtype=np.float64)
    ratios = (2 * jj + 1) ** 2 / ((2 * jj + 2) * (2 * jj + 3))
    b = np.concatenate(([1.0], np.cumprod(ratios)))  # b_0 .. b_top
    partial = np.concatenate(([0.0], np.cumsum(b[:-1])))  # Σ_{j<J} b_j for J = 0..top
    out = math.pi / 2 - partial[ints]
    if is_torch:
        import torch

        return torch.as_tensor(out, dtype=torch.float64, device=J.device)
    return float(out) if out.ndim == 0 else out


arcsin_tail = implemented_function(sp.Function("arcsin_tail"), arcsin_tail_numeric)


class TorchPrinterWithImplemented(TorchPrinter):
    """sympy's torch printer, extended to call implemented functions by name."""

    def _print_Function(self, expr: sp.Basic) -> str:
        if hasattr(expr, "_imp_"):
            return f"{expr.func.__name__}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print_Function(expr)

    def _print_Pow(self, expr: sp.Basic, **kwargs: Any) -> str:
        if expr.is_number and expr.is_real:  # e.g. sqrt(2): torch.sqrt refuses Python ints
            return repr(float(expr))
        base = expr.base
        if isinstance(base, sp.Symbol) and base.is_integer:  # integer scalars arrive as Python ints
            tensor = self._module_format("torch.as_tensor")
            wrapped = sp.Symbol(f"{tensor}({self._print(base)}, dtype=torch.float64)")
            return super()._print_Pow(sp.Pow(wrapped, expr.exp, evaluate=False), **kwargs)
        return super()._print_Pow(expr, **kwargs)

    def _lgamma(self, x: str) -> str:
        return f"{self._module_format('torch.lgamma')}({self._module_format('torch.as_tensor')}({x}, dtype=torch.float64))"

    def _print_factorial(self, expr: sp.Basic) -> str:  # x! = Γ(x + 1)
        return f"{self._module_format('torch.exp')}({self._lgamma(f'({self._print(expr.args[0])}) + 1')})"

    def _print_factorial2(self, expr: sp.Basic) -> str:  # odd x: x!! = 2^((x+1)/2)·Γ(x/2 + 1)/√π
        x = self._print(expr.args[0])
        return (f"({self._module_format('torch.exp')}({self._lgamma(f'({x})/2 + 1')} + (({x}) + 1)/2*{math.log(2)!r})"
                f"/{math.sqrt(math.pi)!r})")

    def _print_binomial(self, expr: sp.Basic) -> str:  # C(a, b) = Γ(a+1)/(Γ(b+1)Γ(a−b+1))
        a, b_ = (self._print(x) for x in expr.args)
        return (f"{self._module_format('torch.exp')}({self._lgamma(f'({a}) + 1')} - {self._lgamma(f'({b_}) + 1')}"
                f" - {self._lgamma(f'({a}) - ({b_}) + 1')})")

    def _print_erfc(self, expr: sp.Basic) -> str:  # sympy's torch printer lacks erfc (normal tails: Φ(−x))
        return f"{self._module_format('torch.special.erfc')}({self._print(expr.args[0])})"

    def _print_beta(self, expr: sp.Basic) -> str:  # torch has no beta(): exp(lgamma a + lgamma b − lgamma(a+b))
        a, b_ = (self._print(x) for x in expr.args)
        t = self._module_format("torch.as_tensor")
        lg = self._module_format("torch.lgamma")

        def f(x: str) -> str:
            return f"{lg}({t}({x}, dtype=torch.float64))"

        return f"{self._module_format('torch.exp')}({f(a)} + {f(b_)} - {f(f'({a}) + ({b_})')})"
