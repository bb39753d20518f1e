"""Decision rules shared by the checks (the one statistics module): each returns numbers *and* states itself in words.

All tolerances come from sample sizes (standard errors), from the spread over seeds, or from an
explicit model-error allowance that the calling check must justify in its ``rule`` text.
"""

from empirical.rates import spread as seed_spread
from verification.rules.intervals import max_abs_z, mean_ci, weighted_mean_se
from verification.rules.multiple import bonferroni_z
from verification.rules.power import detectable, power_entry, underpowered
from verification.rules.ranks import kendall_tau_test
from verification.rules.regime import Condition, gate_reason
from verification.rules.slopes import (
    InterceptFit,
    SlopeFit,
    fit_common_intercept,
    fit_common_slope,
    fit_common_slope_corrected,
    fit_group_lines,
    fit_slope,
    fit_weighted_slope,
)
from verification.rules.verdicts import combine

__all__ = [
    "Condition",
    "InterceptFit",
    "SlopeFit",
    "bonferroni_z",
    "combine",
    "detectable",
    "fit_common_intercept",
    "fit_common_slope",
    "fit_common_slope_corrected",
    "fit_group_lines",
    "fit_slope",
    "fit_weighted_slope",
    "gate_reason",
    "kendall_tau_test",
    "max_abs_z",
    "mean_ci",
    "power_entry",
    "seed_spread",
    "underpowered",
    "weighted_mean_se",
]
