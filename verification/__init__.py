"""Verification layer: each paper claim as a check that says holds / violated / inconclusive.

>>> from verification import get_check, run_check
>>> result = run_check(get_check("kernel_monte_carlo"), profile="quick")   # doctest: +SKIP
>>> result.verdict                                                         # doctest: +SKIP
<Verdict.HOLDS: 'holds'>
"""

from .check import PROFILES, Check, CheckResult, Decision, Unit, Verdict
from .registry import all_checks, get_check, select
from .runner import run_check

__all__ = ["PROFILES", "Check", "CheckResult", "Decision", "Unit", "Verdict", "all_checks", "get_check",
           "run_check", "select"]
