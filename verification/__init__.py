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

from .check import PROFILES, Check, CheckResult, Decision, Unit, Verdict
from .display import results_frame
from .registry import all_checks, get_check, select
from .runner import run_check

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
