"""The :class:`Bound` type: a sympy expression with its source, provenance and validity domain.

A ``Bound`` is either an inequality the theory proves (``side`` = upper/lower: the named
``quantity`` is at most/at least ``expr``), an exact formula (``side`` = exact: kernels,
identities) or a prediction without an inequality (``side`` = approx). It carries

* ``expr`` – the sympy expression in the canonical symbols of :mod:`bounds.symbols`;
* ``domain`` – sympy relations that must hold for the statement to apply;
* ``source`` – paper and theorem/equation; ``provenance`` – the theory pages' tag;
* a few verbs: :meth:`evaluate` (refuses values outside the domain), :meth:`numpy`/:meth:`torch`
  (vectorised callables that validate their input), :meth:`optimize` over one variable
  (symbolic where sympy can, numeric otherwise), :meth:`exponent` (asymptotic log-log slope),
  :meth:`limit`, :meth:`series`, :meth:`subs`, :meth:`latex`/:meth:`pretty` and :meth:`plot`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from bounds import symbols as S

__all__ = ["Bound", "DomainError", "Optimum", "Provenance", "Side"]


class Provenance(str, Enum):
    """Provenance tags of the theory pages (docs/theory/README.md, "Provenance legend")."""

    PAPER = "paper"
    SUMMARY = "summary"
    RECALLED = "recalled"
    DERIVED = "derived"
    INFERRED = "inferred"
    DERIVED_CHECKED = "derived+checked"


class Side(str, Enum):
    """Which side of ``quantity`` the expression bounds."""

    UPPER = "upper"  # quantity <= expr
    LOWER = "lower"  # quantity >= expr
    EXACT = "exact"  # quantity == expr (formula, identity)
    APPROX = "approx"  # quantity ≈ expr (a prediction, not an inequality)


class DomainError(ValueError):
    """A value lies outside a bound's validity domain or violates a symbol's assumptions."""


@dataclass(frozen=True)
class Optimum:
    """Result of :meth:`Bound.optimize`."""

    argopt: float
    value: float
    sense: str
    method: str  # "symbolic" or "numeric"
    exact: sp.Basic | None = None  # exact arg-optimum when found symbolically
    #: hidden constants set to 1 because they only scale the expression by a positive factor (so the
    #: arg-optimum does not depend on them; ``value`` is then the value at constant = 1)
    scaled_out: tuple[str, ...] = ()


ValueMap = Mapping[sp.Symbol | str, Any]


def _as_symbol(key: sp.Symbol | str) -> sp.Symbol:
    if isinstance(key, sp.Symbol):
        return key
    if isinstance(key, str):
        return S.symbol(key)
    raise TypeError(f"values must be keyed by a sympy Symbol or its name, got {key!r}")


def _coerce(sym: sp.Symbol, value: Any) -> sp.Basic:
    """Turn ``value`` into a sympy number, checking it against ``sym``'s assumptions."""
    if isinstance(value, bool) or value is None:
        raise DomainError(f"{sym.name}={value!r} is not a number")
    if isinstance(value, sp.Basic):
        if not value.is_number:
            return value  # symbolic substitution, e.g. alpha -> -1 + x
        num = value
    elif isinstance(value, (numbers.Number, np.generic)):
        if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
            raise DomainError(f"{sym.name}={value!r} is not real")
        if isinstance(value, (numbers.Integral, np.integer)):
            num = sp.Integer(int(value))
        else:
            fv = float(value)
            if not math.isfinite(fv):
                raise DomainError(f"{sym.name}={value!r} is not finite")
            num = sp.Float(fv)
    else:
        raise DomainError(f"{sym.name}={value!r} has type {type(value).__name__}, expected a real number")
    if num.has(sp.nan, sp.zoo) or not num.is_finite:
        raise DomainError(f"{sym.name}={value!r} is not finite")
    if num.is_real is False:
        raise DomainError(f"{sym.name}={value!r} is not real")
    if sym.is_integer and not (num.is_integer or (num.is_Float and float(num).is_integer())):
        raise DomainError(f"{sym.name}={value!r} must be an integer")
    if sym.is_positive and not num > 0:
        raise DomainError(f"{sym.name}={value!r} must be positive")
    if sym.is_nonnegative and not num >= 0:
        raise DomainError(f"{sym.name}={value!r} must be non-negative")
    if sym.is_integer and num.is_Float:
        num = sp.Integer(int(num))
    return num


def _tex_text(text: str) -> str:
    """Text safe inside \\text{…}: LaTeX specials escaped."""
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                 ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(a, b)
    return text


@dataclass(frozen=True)
class Bound:
    """A formula or bound of the theory, with the facts needed to use it honestly.

    Attributes:
        name: registry key, a Python identifier.
        expr: the sympy expression.
        quantity: what ``expr`` gives or bounds, in words (e.g. "λ_min(H̃_α)").
        source: paper and theorem/equation the formula comes from.
        provenance: the theory pages' provenance tag.
        side: whether ``quantity`` ≤ expr (upper), ≥ expr (lower), = expr (exact) or ≈ expr.
        domain: sympy relations that must hold for the statement to apply.
        assumptions: the remaining assumptions, in words.
        notes: anything a user must know (hidden constants, where it stops holding).
        untestable: empty when some check decides on this bound; otherwise why no data can refute it
            (e.g. "an existence statement with an unspecified constant"), shown by :func:`bounds.table`.
    """

    name: str
    expr: sp.Expr
    quantity: str
    source: str
    provenance: Provenance
    side: Side = Side.EXACT
    domain: tuple[sp.Basic, ...] = ()
    assumptions: tuple[str, ...] = ()
    notes: str = ""
    untestable: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"bound name must be a Python identifier, got {self.name!r}")
        if not isinstance(self.expr, sp.Basic):
            raise TypeError(f"{self.name}: expr must be a sympy expression, got {type(self.expr).__name__}")
        object.__setattr__(self, "provenance", Provenance(self.provenance))
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "domain", tuple(self.domain))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))
        for rel in self.domain:
            if not isinstance(rel, (sp.core.relational.Relational, sp.logic.boolalg.Boolean)):
                raise TypeError(f"{self.name}: domain entries must be sympy relations, got {rel!r}")

    # ------------------------------------------------------------------ introspection
    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        """Free symbols of the expression, sorted by name (the lambdified argument order)."""
        return tuple(sorted(self.expr.free_symbols, key=lambda s: s.name))

    @property
    def constants(self) -> tuple[sp.Symbol, ...]:
        """The hidden O(·)/Ω(·) constants the expression depends on."""
        return tuple(s for s in self.variables if S.is_hidden_constant(s))

    @property
    def fingerprint(self) -> str:
        """A string that changes whenever the mathematical content changes (for caches)."""
        return sp.srepr(self.expr) + "|" + "|".join(sp.srepr(r) for r in self.domain) + "|" + self.side.value

    def __str__(self) -> str:
        rel = {"upper": "≤", "lower": "≥", "exact": "=", "approx": "≈"}[self.side.value]
        lines = [
            f"{self.name}  [{self.side.value}, {self.provenance.value}]",
            f"  {self.quantity} {rel} {sp.sstr(self.expr)}",
            f"  source: {self.source}",
        ]
        if self.domain:
            lines.append("  domain: " + "; ".join(sp.sstr(r) for r in self.domain))
        if self.constants:
            lines.append("  hidden constants: " + ", ".join(c.name for c in self.constants))
        for a in self.assumptions:
            lines.append(f"  assumes: {a}")
        if self.notes:
            lines.append(f"  note: {self.notes}")
        return "\n".join(lines)

    def pretty(self) -> str:
        """Two-dimensional unicode rendering of the expression."""
        return sp.pretty(self.expr, use_unicode=True)

    def latex(self) -> str:
        """LaTeX of the expression, with the toolkit's symbol names (λ_min, ε, C_{\\mathrm{…}} …)."""
        names = {sym: S.latex_name(sym) for sym in self.expr.free_symbols if isinstance(sym, sp.Symbol)}
        return sp.latex(self.expr, symbol_names=names)

    def _repr_latex_(self) -> str:  # Jupyter: "name: quantity ≤ expr  (source)"
        rel = {"upper": r"\le", "lower": r"\ge", "exact": "=", "approx": r"\approx"}[self.side.value]
        return (f"$\\displaystyle \\texttt{{{_tex_text(self.name)}}}:\\quad \\text{{{_tex_text(self.quantity)}}} "
                f"{rel} {self.latex()}\\qquad \\text{{[{self.provenance.value}] {_tex_text(self.source[:120])}}}$")

    def __repr__(self) -> str:  # one line; print(bound) gives the full card
        rel = {"upper": "≤", "lower": "≥", "exact": "=", "approx": "≈"}[self.side.value]
        text = f"{self.quantity} {rel} {sp.sstr(self.expr)}"
        return f"<Bound {self.name}: {text if len(text) <= 90 else text[:89] + '…'} [{self.provenance.value}]>"

    # arithmetic gives plain sympy expressions (a Bound is a statement; its formula is an expression)
    def _other(self, other: Any) -> Any:
        return other.expr if isinstance(other, Bound) else other

    def __add__(self, other: Any) -> sp.Expr:
        return self.expr + self._other(other)

    def __radd__(self, other: Any) -> sp.Expr:
        return self._other(other) + self.expr

    def __sub__(self, other: Any) -> sp.Expr:
        return self.expr - self._other(other)

    def __rsub__(self, other: Any) -> sp.Expr:
        return self._other(other) - self.expr

    def __mul__(self, other: Any) -> sp.Expr:
        return self.expr * self._other(other)

    def __rmul__(self, other: Any) -> sp.Expr:
        return self._other(other) * self.expr

    def __truediv__(self, other: Any) -> sp.Expr:
        return self.expr / self._other(other)

    def __rtruediv__(self, other: Any) -> sp.Expr:
        return self._other(other) / self.expr

    def __pow__(self, other: Any) -> sp.Expr:
        return self.expr ** self._other(other)

    def __neg__(self) -> sp.Expr:
        return -self.expr

    def checks(self) -> list[str]:
        """Names of the verification checks that decide on this bound (by registered name).

        The symbolic layer never imports the verification layer at import time; this lookup does so
        lazily and returns [] where ``verification`` is not importable."""
        try:
            from verification.registry import all_checks
        except ImportError:
            return []
        return [c.name for c in all_checks() if self.name in c.bound_roles.values()]

    # ------------------------------------------------------------------ values and domain
    def _resolve(self, values: ValueMap | None, kwargs: Mapping[str, Any]) -> dict[sp.Symbol, sp.Basic]:
        merged: dict[sp.Symbol, Any] = {}
        for key, val in {**(dict(values) if values else {}), **kwargs}.items():
            merged[_as_symbol(key)] = val
        return {sym: _coerce(sym, val) for sym, val in merged.items()}

    def domain_status(self, values: ValueMap | None = None, **kwargs: Any) -> list[tuple[sp.Basic, bool | None]]:
        """Each domain relation with True (holds), False (violated) or None (undetermined,
        e.g. it involves a hidden constant that was not given)."""
        vals = self._resolve(values, kwargs)
        out: list[tuple[sp.Basic, bool | None]] = []
        for rel in self.domain:
            r = rel.subs(vals)
            out.append((rel, True if r is sp.true else False if r is sp.false else None))
        return out

    def _check_domain(self, vals: dict[sp.Symbol, sp.Basic]) -> None:
        for rel in self.domain:
            if rel.subs(vals) is sp.false:
                used = ", ".join(f"{s.name}={_show(vals[s])}" for s in sorted(rel.free_symbols & vals.keys(),
                                                                               key=lambda s: s.name))
                raise DomainError(f"{self.name}: {used} lies outside the validity domain ({sp.sstr(rel)})")

    def evaluate(self, values: ValueMap | None = None, /, **kwargs: Any) -> float:
        """Evaluate at numbers for every variable; refuses values outside the domain.

        >>> from bounds import c_alpha
        >>> c_alpha.evaluate(alpha=-1)
        2.0
        """
        vals = self._resolve(values, kwargs)
        missing = [s.name for s in self.variables if s not in vals]
        if missing:
            raise ValueError(f"{self.name}: no value given for {', '.join(missing)}")
        self._check_domain(vals)
        res = sp.N(self.expr.subs(vals).doit(), 17)
        if not res.is_number or res.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or res.is_real is False:
            raise DomainError(f"{self.name}: value at {self._fmt(vals)} is not a finite real number ({res})")
        return float(res)

    __call__ = evaluate

    @staticmethod
    def _fmt(vals: Mapping[sp.Symbol, Any]) -> str:
        return ", ".join(f"{s.name}={_show(v)}" for s, v in sorted(vals.items(), key=lambda kv: kv[0].name))

    def subs(self, values: ValueMap | None = None, /, **kwargs: Any) -> Bound:
        """A new Bound with some variables fixed (domain relations that become true are dropped)."""
        vals = self._resolve(values, kwargs)
        self._check_domain(vals)
        dom = tuple(r for r in (rel.subs(vals) for rel in self.domain) if r is not sp.true)
        tag = ",".join(f"{s.name}={_show(v)}" for s, v in sorted(vals.items(), key=lambda kv: kv[0].name))
        return dataclasses.replace(self, name=self.name, expr=self.expr.subs(vals), domain=dom,
                                   notes=(self.notes + f" [substituted {tag}]").strip())

    def mutant(self, expr: sp.Expr, why: str) -> Bound:
        """A deliberately wrong copy (for planted-mutant tests): same metadata, other expression."""
        return dataclasses.replace(self, expr=sp.sympify(expr), notes=f"PLANTED MUTANT: {why}")

    # ------------------------------------------------------------------ calculus
    def diff(self, var: sp.Symbol, order: int = 1) -> sp.Expr:
        """Derivative of the expression."""
        return sp.diff(self.expr, var, order)

    def limit(self, var: sp.Symbol, point: Any, direction: str = "+-") -> sp.Expr:
        """Limit of the expression as ``var`` → ``point``."""
        if point in (sp.oo, -sp.oo, math.inf, -math.inf):
            direction = "-" if point in (sp.oo, math.inf) else "+"
        return sp.limit(self.expr.doit(), var, point, direction)

    def series(self, var: sp.Symbol, order: int, point: Any = 0) -> sp.Expr:
        """Taylor polynomial of the expression in ``var`` up to (excluding) ``var**order``."""
        return sp.series(self.expr, var, point, order).removeO()

    def exponent(self, var: sp.Symbol, point: Any = sp.oo, values: ValueMap | None = None) -> sp.Expr:
        """Asymptotic log-log slope lim var·∂_var expr / expr as var → point.

        E.g. ``exponent(m)`` of C·n⁶/(λ⁴p³) in ``n`` is 6; of C·m^(-1/2) in ``m`` is -1/2.
        """
        expr = self.expr if values is None else self.expr.subs(self._resolve(values, {}))
        # Floats (m**0.6) as exact rationals first: sympy's limit mis-evaluates float powers (0.6 → 0, 0.4 → -oo)
        exact = sp.nsimplify(expr, rational=True)
        slope = sp.simplify(var * sp.diff(exact, var) / exact)
        return sp.limit(slope, var, point)

    def optimize(
        self,
        var: sp.Symbol = S.alpha,
        interval: tuple[float, float] = (-1.0, 1.0),
        sense: str = "max",
        values: ValueMap | None = None,
        /,
        **kwargs: Any,
    ) -> Optimum:
        """Arg-max/arg-min of the expression over ``var`` in a closed interval.

        Other variables must be fixed through ``values``/keyword arguments unless the
        expression depends on ``var`` only. A hidden constant that only multiplies the expression by
        a positive factor (or scales its variation in ``var`` by one, as in 1 − C·g(α)) cannot move the
        arg-optimum: it is set to 1 and named in ``scaled_out``. Tries sympy first (critical points of a rational or
        algebraic function plus the end points); falls back to a dense grid refined by
        ``scipy.optimize.minimize_scalar``.
        """
        if sense not in ("max", "min"):
            raise ValueError(f"sense must be 'max' or 'min', got {sense!r}")
        lo, hi = (float(interval[0]), float(interval[1]))
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"interval must be finite with lo < hi, got {interval!r}")
        vals = self._resolve(values, kwargs)
        vals.pop(var, None)
        self._check_domain(vals)
        expr = self.expr.subs(vals).doit()
        scaled_out = []
        for c in sorted(expr.free_symbols - {var}, key=lambda x: x.name):
            if S.is_hidden_constant(c):
                # ∂expr/∂var = f(c)·k(var, …) with f > 0 ⇒ expr = f(c)·G(var) + A(c): the arg-optimum is c-free
                dv = sp.diff(expr, var)
                ratio = sp.simplify(dv / dv.subs(c, 1)) if dv != 0 else sp.Integer(1)
                if ratio.free_symbols <= {c} and ratio.is_positive:
                    expr = expr.subs(c, 1)
                    scaled_out.append(c.name)
        rest = expr.free_symbols - {var}
        if rest:
            raise ValueError(f"{self.name}: fix {', '.join(sorted(s.name for s in rest))} to optimise over {var}")
        self._check_interval(var, lo, hi, vals)
        sign = 1.0 if sense == "max" else -1.0
        try:
            found = self._optimize_symbolic(expr, var, lo, hi, sign)
        except (NotImplementedError, TypeError, ValueError):
            found = None
        if found is None:
            found = self._optimize_numeric(expr, var, lo, hi, sign, sense)
        return dataclasses.replace(found, scaled_out=tuple(scaled_out)) if scaled_out else found

    def _check_interval(self, var: sp.Symbol, lo: float, hi: float, vals: Mapping[sp.Symbol, sp.Basic]) -> None:
        """Refuse an interval that leaves ``var``'s validity set: its assumptions (positive,
        non-negative) and every domain relation that, with ``vals`` fixed, involves ``var`` alone.
        Relations that still involve an unfixed symbol (a hidden constant) are undetermined and skipped."""
        allowed: sp.Set = sp.S.Reals
        if var.is_positive:
            allowed = sp.Interval.open(0, sp.oo)
        elif var.is_nonnegative:
            allowed = sp.Interval(0, sp.oo)
        grid = None
        for rel in self.domain:
            r = rel.subs(vals)
            if r is sp.true or r.free_symbols != {var}:
                continue
            try:
                allowed = allowed & r.as_set()
            except (NotImplementedError, TypeError, ValueError):  # not solvable: test it on a dense grid
                grid = np.linspace(lo, hi, 2001) if grid is None else grid
                with np.errstate(all="ignore"):
                    ok = np.asarray(sp.lambdify([var], r, modules="numpy")(grid)) * np.ones_like(grid, dtype=bool)
                if not ok.all():
                    raise DomainError(f"{self.name}: {var.name}={grid[int(np.argmin(ok))]!r} in the interval "
                                      f"[{lo!r}, {hi!r}] lies outside the validity domain ({sp.sstr(rel)})") from None
        if not sp.Interval(lo, hi).is_subset(allowed):
            raise DomainError(f"{self.name}: the interval [{lo!r}, {hi!r}] of {var.name} leaves its validity set "
                              f"{sp.sstr(allowed)} (assumptions and domain); choose an interval inside it")

    def _optimize_symbolic(self, expr: sp.Expr, var: sp.Symbol, lo: float, hi: float, sign: float
                           ) -> Optimum | None:
        if not (expr.is_rational_function(var) or expr.is_algebraic_expr(var)):
            return None
        crit = sp.solveset(sp.diff(expr, var), var, sp.Interval(sp.nsimplify(lo), sp.nsimplify(hi)))
        if not isinstance(crit, sp.FiniteSet):
            return None
        cands = [*crit, sp.nsimplify(lo), sp.nsimplify(hi)]
        scored = []
        for c in cands:
            v = sp.N(expr.subs(var, c))
            if not v.is_real:
                return None
            scored.append((sign * float(v), c))
        best_val, best = max(scored, key=lambda p: p[0])
        return Optimum(float(best), sign * best_val, "max" if sign > 0 else "min", "symbolic", best)

    def _optimize_numeric(self, expr: sp.Expr, var: sp.Symbol, lo: float, hi: float, sign: float,
                          sense: str) -> Optimum:
        from scipy.optimize import minimize_scalar

        f = sp.lambdify([var], expr, modules="numpy")
        grid = np.linspace(lo, hi, 2001)
        with np.errstate(all="ignore"):
            vals = np.asarray(f(grid), dtype=float) * np.ones_like(grid)
        vals = np.where(np.isfinite(vals), vals, -np.inf if sign > 0 else np.inf)
        i = int(np.argmax(sign * vals))
        a, c = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        res = minimize_scalar(lambda x: -sign * float(f(x)), bounds=(a, c), method="bounded",
                              options={"xatol": 1e-12})
        x, v = (float(res.x), float(f(res.x))) if sign * float(f(res.x)) >= sign * vals[i] else (grid[i], vals[i])
        return Optimum(float(x), float(v), sense, "numeric")

    # ------------------------------------------------------------------ vectorised evaluation
    @cached_property
    def _numpy_fn(self) -> Callable[..., Any]:
        return sp.lambdify(self.variables, self.expr, modules=["scipy", "numpy"])

    @cached_property
    def _torch_fn(self) -> Callable[..., Any]:
        from bounds.special import TorchPrinterWithImplemented

        return sp.lambdify(self.variables, self.expr, modules="torch", printer=TorchPrinterWithImplemented)

    @cached_property
    def _range_symbols(self) -> frozenset:
        """Integer symbols that bound a Sum/Product: lambdified code needs them as Python ints."""
        out: set = set()
        for node in self.expr.atoms(sp.Sum, sp.Product):
            for _, lo, hi in node.limits:
                out |= (sp.sympify(lo).free_symbols | sp.sympify(hi).free_symbols)
        return frozenset(out)

    @cached_property
    def _domain_fns(self) -> list[tuple[sp.Basic, tuple[sp.Symbol, ...], Callable[..., Any]]]:
        out = []
        for rel in self.domain:
            syms = tuple(sorted(rel.free_symbols, key=lambda s: s.name))
            if syms and not any(S.is_hidden_constant(x) for x in syms):
                out.append((rel, syms, sp.lambdify(syms, rel, modules="numpy")))
        return out

    @property
    def domain_variables(self) -> tuple[sp.Symbol, ...]:
        """Symbols that only the domain mentions (e.g. n, δ of a bound in α and J): optional
        keyword arguments of :meth:`numpy`/:meth:`torch`, checked against the domain when given."""
        extra = set().union(*(r.free_symbols for r in self.domain)) if self.domain else set()
        return tuple(sorted((extra - set(self.variables)) - set(filter(S.is_hidden_constant, extra)),
                            key=lambda s: s.name))

    def _bind(self, args: tuple, kwargs: Mapping[str, Any]) -> tuple[list[Any], dict[sp.Symbol, Any]]:
        names = [s.name for s in self.variables]
        optional = {s.name: s for s in self.domain_variables}
        if len(args) > len(names):
            raise TypeError(f"{self.name}: takes {len(names)} arguments ({', '.join(names)}), got {len(args)}")
        bound = dict(zip(names, args, strict=False))
        extra: dict[sp.Symbol, Any] = {}
        for key, val in kwargs.items():
            if key in optional:
                extra[optional[key]] = val
                continue
            if key not in names:
                allowed = ", ".join([*names, *optional])
                raise TypeError(f"{self.name}: unknown argument {key!r}; arguments are {allowed}")
            if key in bound:
                raise TypeError(f"{self.name}: argument {key!r} given twice")
            bound[key] = val
        missing = [nm for nm in names if nm not in bound]
        if missing:
            raise TypeError(f"{self.name}: missing argument(s) {', '.join(missing)}")
        return [bound[nm] for nm in names], extra

    def _validate_arrays(self, ordered: list[Any], extra: dict[sp.Symbol, Any],
                         to_numpy: Callable[[Any], np.ndarray]) -> None:
        arrays = {}
        for sym, val in [*(zip(self.variables, ordered, strict=True) if ordered else ()), *extra.items()]:
            arr = to_numpy(val)
            if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
                raise DomainError(f"{self.name}: {sym.name} must be real numbers, got dtype {arr.dtype}")
            bad = ~np.isfinite(arr)
            if bad.any():
                raise DomainError(f"{self.name}: {sym.name} contains a non-finite value "
                                  f"({arr.reshape(-1)[np.argmax(bad.reshape(-1))]})")
            _check_assumptions(self.name, sym, arr)
            arrays[sym] = arr
        for rel, syms, fn in self._domain_fns:
            if not set(syms) <= arrays.keys():
                continue
            ok = np.asarray(fn(*[arrays[s] for s in syms]))
            if not ok.all():
                idx = np.argmin(np.broadcast_to(ok, np.broadcast_shapes(*(arrays[s].shape for s in syms), ok.shape))
                                .reshape(-1))
                shown = ", ".join(f"{s.name}={np.broadcast_to(arrays[s], ok.shape).reshape(-1)[idx]}"
                                  if arrays[s].shape else f"{s.name}={arrays[s]}" for s in syms)
                raise DomainError(f"{self.name}: {shown} lies outside the validity domain ({sp.sstr(rel)})")

    def check_values(self, values: ValueMap | None = None, /, **kwargs: Any) -> None:
        """Validate some (scalar or array) values as :meth:`numpy` does — finite, real, the symbols'
        assumptions (integer, positive, non-negative) and every domain relation whose variables are
        all given — without evaluating. Raises :class:`DomainError` naming the value."""
        given = {_as_symbol(k): v for k, v in {**(dict(values) if values else {}), **kwargs}.items()}
        known = set(self.variables) | set(self.domain_variables)
        unknown = sorted(s.name for s in given if s not in known)
        if unknown:
            raise TypeError(f"{self.name}: unknown argument(s) {', '.join(map(repr, unknown))}; "
                            f"arguments are {', '.join(s.name for s in sorted(known, key=lambda s: s.name))}")
        self._validate_arrays([], given, np.asarray)

    def numpy(self, validate: bool = True) -> Callable[..., np.ndarray]:
        """Vectorised numpy callable taking the variables positionally (sorted by name) or by name.

        With ``validate`` (default) inputs are checked for finiteness and the domain relations.
        """
        fn = self._numpy_fn

        def call(*args: Any, **kwargs: Any) -> np.ndarray:
            ordered, extra = self._bind(args, kwargs)
            if validate:
                self._validate_arrays(ordered, extra, np.asarray)
            out = fn(*[_np_arg(sym, v) for sym, v in zip(self.variables, ordered, strict=True)])
            return np.broadcast_to(np.asarray(out, dtype=np.float64),
                                   np.broadcast_shapes(*(np.shape(v) for v in ordered))) if ordered else out

        call.__name__ = f"{self.name}_numpy"
        call.__doc__ = f"numpy({', '.join(s.name for s in self.variables)}) of {self.name}: {sp.sstr(self.expr)}"
        return call

    def torch(self, validate: bool = True) -> Callable[..., Any]:
        """Torch callable (differentiable, device-agnostic); arguments as for :meth:`numpy`."""
        import torch

        fn = self._torch_fn

        def to_np(v: Any) -> np.ndarray:
            return v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)

        def call(*args: Any, **kwargs: Any) -> Any:
            ordered, extra = self._bind(args, kwargs)
            if validate:
                self._validate_arrays(ordered, extra, to_np)
            like = next((v for v in ordered if isinstance(v, torch.Tensor)), None)
            dtype = like.dtype if like is not None and like.is_floating_point() else torch.float64
            device = like.device if like is not None else None
            tens = [v if isinstance(v, torch.Tensor)
                    else int(v) if sym in self._range_symbols and np.ndim(v) == 0
                    else torch.as_tensor(v, dtype=dtype, device=device)
                    for sym, v in zip(self.variables, ordered, strict=True)]
            out = fn(*tens)
            if not isinstance(out, torch.Tensor):
                out = torch.as_tensor(out, dtype=dtype, device=device)
            return out

        call.__name__ = f"{self.name}_torch"
        return call

    # ------------------------------------------------------------------ plotting
    def plot(self, var: sp.Symbol = S.alpha, interval: tuple[float, float] = (-1.0, 1.0),
             values: ValueMap | None = None, ax: Any = None, points: int = 401, **kwargs: Any) -> Any:
        """Plot the expression against ``var`` with the other variables fixed; returns the axes."""
        import matplotlib.pyplot as plt

        fixed = self.subs(values, **kwargs) if (values or kwargs) else self
        rest = fixed.expr.free_symbols - {var}
        if rest:
            raise ValueError(f"{self.name}: fix {', '.join(sorted(s.name for s in rest))} to plot against {var}")
        xs = np.linspace(float(interval[0]), float(interval[1]), points)
        f = sp.lambdify([var], fixed.expr.doit(), modules="numpy")
        with np.errstate(all="ignore"):
            ys = np.asarray(f(xs), dtype=float) * np.ones_like(xs)
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2))
        rel = {"upper": "≤", "lower": "≥", "exact": "=", "approx": "≈"}[self.side.value]
        ax.plot(xs, ys, label=f"{self.name} ({self.side.value} {'bound' if self.side.value in ('upper', 'lower') else ''})")
        ax.set_xlabel(f"${S.latex_name(var)}$", fontsize=11)
        ax.set_ylabel(textwrap.fill(self.quantity, 40), fontsize=9)
        shown = {**{str(k): v for k, v in (values or {}).items()}, **kwargs}
        fixed_txt = ", ".join(f"{k} = {_show(v)}" for k, v in shown.items())
        ax.set_title(f"{self.name}: quantity {rel} ${self.latex()}$" + (f"\n{fixed_txt}" if fixed_txt else ""), fontsize=9)
        ax.legend(fontsize=8)
        ax.figure.tight_layout()
        return ax


def _check_assumptions(name: str, sym: sp.Symbol, arr: np.ndarray) -> None:
    """The symbol's sympy assumptions on every entry of ``arr`` (as :func:`_coerce` does for scalars)."""
    flat = arr.reshape(-1)
    tests = []
    if sym.is_integer:
        tests.append(("must be an integer", np.round(flat) == flat))
    if sym.is_positive:
        tests.append(("must be positive", flat > 0))
    elif sym.is_nonnegative:
        tests.append(("must be non-negative", flat >= 0))
    for what, ok in tests:
        if not ok.all():
            raise DomainError(f"{name}: {sym.name}={flat[int(np.argmin(ok))].item()!r} {what}")


def _show(value: Any) -> str:
    """A value as the user would write it (sympy Floats print with 15 digits otherwise)."""
    return repr(float(value)) if isinstance(value, sp.Float) else str(value)


def _np_arg(sym: sp.Symbol, value: Any) -> Any:
    """numpy argument for a lambdified function: integer symbols as int64 (sums need them in
    ``range``), everything else as float64."""
    arr = np.asarray(value)
    if sym.is_integer:
        if not np.all(np.round(arr) == arr):
            raise DomainError(f"{sym.name}={value!r} must be an integer")
        return int(arr) if arr.ndim == 0 else arr.astype(np.int64)
    return arr.astype(np.float64)


def check_names_unique(bounds: Iterable[Bound]) -> None:
    """Raise if two different bounds share a name."""
    seen: dict[str, Bound] = {}
    for bd in bounds:
        if bd.name in seen and seen[bd.name].fingerprint != bd.fingerprint:
            raise ValueError(f"two different bounds are named {bd.name!r}")
        seen[bd.name] = bd
