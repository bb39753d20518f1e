"""Validation of ``--set KEY=VALUE`` overrides against the profile default, before anything runs.

A check's parameters carry no schema, so the type and range of a value are inferred from the
profile default it replaces (the defaults are the checks' own reviewed settings):

* a boolean stays a boolean, a string a string, ``null`` accepts ``null`` or a finite number;
* an integer default takes an integer (not 2.0, not ``true``) with ``|v| < 2**63``; a float default
  takes any finite number (stored as float); either must be ``> 0`` when the default is ``> 0``;
* a list must be non-empty (when its default is) and each element is validated like the default's
  elements (all of them > 0 ⇒ every new one > 0; integers only if they are all integers);
* an object is validated key by key against the default object (unknown keys are refused);
* a check may narrow this with ``Check.param_ranges = {"alpha": (-1.0, 1.0)}`` (closed interval,
  applied to a number or to every number in a list).

:func:`validate_override` returns the cleaned value or raises :class:`OverrideError` with one line
that names the key and the value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["INT_LIMIT", "OverrideError", "validate_override"]

#: integers must fit int64 (seeds, sizes and step counts end up in numpy/torch int64)
INT_LIMIT = 2**63


class OverrideError(ValueError):
    """A ``--set`` value that does not fit the parameter it replaces."""


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _template(items: list[Any]) -> Any:
    """One default that stands for every element of a default list (numbers merged, objects united)."""
    if all(_is_number(v) for v in items):
        kind = int if all(isinstance(v, int) for v in items) else float
        return {"__number__": kind, "positive": all(v > 0 for v in items)}
    if all(isinstance(v, dict) for v in items):
        merged: dict[str, Any] = {}
        for v in items:
            for k, sub in v.items():
                merged.setdefault(k, sub)
        return merged
    return items[0]


def _number(path: str, value: Any, kind: type, positive: bool, rng: tuple[float, float] | None) -> Any:
    if not _is_number(value):
        raise OverrideError(f"{path}={_show(value)} must be {'an integer' if kind is int else 'a number'}")
    if kind is int and not isinstance(value, int):
        raise OverrideError(f"{path}={_show(value)} must be an integer")
    if isinstance(value, float) and not math.isfinite(value):
        raise OverrideError(f"{path}={_show(value)} must be finite")
    if isinstance(value, int) and abs(value) >= INT_LIMIT:
        raise OverrideError(f"{path}={value} must be smaller than 2**63 in absolute value")
    if positive and not value > 0:
        raise OverrideError(f"{path}={_show(value)} must be > 0 (its default is positive)")
    if rng is not None and not rng[0] <= value <= rng[1]:
        raise OverrideError(f"{path}={_show(value)} must lie in [{rng[0]}, {rng[1]}]")
    return float(value) if kind is float else value


def _validate(path: str, value: Any, default: Any, rng: tuple[float, float] | None) -> Any:
    if isinstance(default, dict) and "__number__" in default:
        return _number(path, value, default["__number__"], default["positive"], rng)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise OverrideError(f"{path}={_show(value)} must be true or false")
        return value
    if _is_number(default):
        return _number(path, value, type(default), default > 0, rng)
    if default is None:
        if value is None:
            return None
        return _number(path, value, float if isinstance(value, float) else int, False, rng)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise OverrideError(f"{path}={_show(value)} must be a string")
        return value
    if isinstance(default, list):
        if not isinstance(value, list):
            raise OverrideError(f"{path}={_show(value)} must be a list")
        if not default:
            return value
        if not value:
            raise OverrideError(f"{path}=[] must not be empty")
        tmpl = _template(default)
        return [_validate(f"{path}[{i}]", v, tmpl, rng) for i, v in enumerate(value)]
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise OverrideError(f"{path}={_show(value)} must be an object")
        unknown = [k for k in value if k not in default]
        if unknown:
            raise OverrideError(f"{path}: unknown key {unknown[0]!r}; known keys: {', '.join(default)}")
        return {k: _validate(f"{path}.{k}", v, default[k], None) for k, v in value.items()}
    return value


def validate_override(key: str, value: Any, default: Any,
                      ranges: Mapping[str, tuple[float, float]] | None = None) -> Any:
    """``value`` checked against ``default`` (and ``ranges[key]`` if declared); the cleaned value."""
    rng = (ranges or {}).get(key)
    if rng is not None:
        lo, hi = float(rng[0]), float(rng[1])
        rng = (lo, hi)
    return _validate(key, value, default, rng)
