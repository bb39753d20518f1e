"""Frei, Chatterji, Bartlett, *Benign overfitting without linearity* (FCB22, COLT 2022): the error bound
and its matching lower rate are [recalled] (unverified against PMLR v178). Hidden constants ``C_fcb``,
``c_fcb``.
"""

from __future__ import annotations

import sympy as sp

from bounds.benign._common import THEORY_PAGE as _HB
from bounds.core import Provenance, Side
from bounds.registry import define
from bounds.symbols import (
    d,
    hidden_constant,
    mu_norm,
    n,
    p_fail,
    p_flip,
)

__all__ = [
    "fcb22_lower_rate",
    "fcb22_upper",
]

_FCB = "FCB22"


# ============================================================================ FCB22
C_fcb = hidden_constant("C_fcb", "FCB22: constant C of exp(−n‖μ‖⁴/(C·d)) and of the assumptions (A1)–(A6)")
c_fcb = hidden_constant("c_fcb", "FCB22: constant c of the matching lower bound exp(−c·n‖μ‖⁴/d)")

_FCB_DOMAIN = (n >= C_fcb * sp.log(1 / p_fail), d >= C_fcb * n * mu_norm**2,
               d >= C_fcb * n**2 * sp.log(n / p_fail), mu_norm**2 >= C_fcb * sp.log(n / p_fail),
               p_flip <= 1 / C_fcb, p_fail < 1)
_FCB_ASSUME = ("smooth leaky-ReLU net, a_j ~ Unif{±1/√m}, logistic loss, GD from small random init",
               "x = ỹμ + z, z with independent sub-Gaussian log-concave components; labels flipped w.p. p_flip",
               "η ≤ (C·max{1, H}·d²)⁻¹")

fcb22_upper = define(
    "fcb22_upper", p_flip + 2 * sp.exp(-n * mu_norm**4 / (C_fcb * d)),
    quantity="test error P(y ≠ sgn f(x)) with noisy test labels",
    source=f"{_FCB}, main theorem — recalled (unverified; check PMLR v178); {_HB} §3",
    provenance=Provenance.RECALLED, side=Side.UPPER, domain=_FCB_DOMAIN, assumptions=_FCB_ASSUME,
    notes="FCB22 write η for p_flip and p for d; needs d = Ω(n²log n) (near-orthogonality)",
    untestable=("not decided by a check: [recalled] and needs near-orthogonality d = Ω(n² log n) with smooth leaky "
                "ReLU and logistic loss, a regime no quick profile reaches; unverified against PMLR v178"),
)

fcb22_lower_rate = define(
    "fcb22_lower_rate", sp.exp(-c_fcb * n * mu_norm**4 / d),
    quantity="excess test error over p_flip (the matching lower bound's rate)",
    source=f"{_FCB}, lower bound 'of the same exp(−c·n‖μ‖⁴/d) form' — recalled, low confidence; {_HB} §3",
    provenance=Provenance.RECALLED, side=Side.LOWER, domain=_FCB_DOMAIN, assumptions=_FCB_ASSUME,
    untestable=("not decided by a check: [recalled, low confidence] lower rate in the same near-orthogonal regime as "
                "fcb22_upper"),
)
