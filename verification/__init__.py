"""Verification layer: each paper claim as a check that says holds / violated / inconclusive.

>>> from verification import get_check, run_check
>>> result = run_check(get_check("kernel_monte_carlo"), profile="quick")   # doctest: +SKIP
>>> result.verdict                                                         # doctest: +SKIP
<Verdict.HOLDS: 'holds'>
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("leaky-theory")
except _metadata.PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0.1.0"

# Everything below is imported on first use (PEP 562), so that ``python -m verification.check_all``
# starts with its Ctrl-C handler in place before sympy and torch load.
_LAZY = {"PROFILES": ".check", "Check": ".check", "CheckResult": ".check", "Decision": ".check", "Unit": ".check",
         "Verdict": ".check", "results_frame": ".display", "all_checks": ".registry", "get_check": ".registry",
         "select": ".registry", "run_check": ".runner"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'verification' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "PROFILES",
    "Check",
    "CheckResult",
    "Decision",
    "Unit",
    "Verdict",
    "__version__",
    "all_checks",
    "get_check",
    "results_frame",
    "run_check",
    "select",
]
