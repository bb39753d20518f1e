"""Power of a check: the smallest deviation of a refutable feature its data could detect.

For an estimate with standard error ``se`` tested two-sided at level ``level``, a true deviation Δ is
detected with probability ``power`` when Δ ≥ (z_{1−level/2} + z_{power})·se (normal approximation;
with ``df`` degrees of freedom Student-t quantiles replace the normal ones). A check declares, per
refutable feature, the deviation it must be able to see (``target``, e.g. a 10 % error in a kernel
term); when the detectable deviation exceeds it the check is *underpowered* and may not say *holds*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from scipy import stats

__all__ = ["describe", "detectable", "power_entry", "underpowered"]


def detectable(se: float, *, level: float = 0.05, power: float = 0.8, sides: int = 2, df: float | None = None) -> float:
    """Minimum detectable deviation (z_{1−level/sides} + z_power)·se; ``df`` switches to Student t."""
    if not (se >= 0) or not math.isfinite(se):
        return math.inf
    if not 0 < level < 1 or not 0 < power < 1 or sides not in (1, 2):
        raise ValueError(f"level={level}, power={power}, sides={sides}: need 0 < level, power < 1 and sides 1 or 2")
    dist = stats.t(df) if df is not None and math.isfinite(df) else stats.norm
    return float((dist.isf(level / sides) + dist.ppf(power)) * se)


def power_entry(detectable_deviation: float, target: float, unit: str, how: str) -> dict[str, Any]:
    """One ``power`` record: what the run could detect against what the check promises to detect."""
    dd = float(detectable_deviation)
    return {"detectable": dd, "target": float(target), "unit": unit, "how": how,
            "powered": bool(math.isfinite(dd) and dd <= target)}


def underpowered(power: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Names of the features whose detectable deviation exceeds the declared target."""
    return [name for name, p in power.items() if not p.get("powered", False)]


def describe(names: Sequence[str], power: Mapping[str, Mapping[str, Any]]) -> str:
    """One line: 'feature: detectable 0.31 > target 0.10 (relative error of …)' per underpowered feature."""
    return "; ".join(f"{nm}: detectable {power[nm]['detectable']:.3g} > target {power[nm]['target']:.3g} "
                     f"({power[nm]['unit']})" for nm in names)
