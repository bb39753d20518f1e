"""Property: the generalization-gap shape over epochs — the gap rises and saturates (increasing, concave in K)
as the trajectory bound's gap term ∝ 1 − ρ^(K/2).

Decided by the rule of :class:`verification.checks.generalization.generalization_gap_epochs.GeneralizationGapEpochs`;
docs/theory/generalization.md §5.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property
from verification.strategies import alphas


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"alpha": alphas(-1.0, 0.5), "noise": st.sampled_from([0.2, 0.1, 0.4]),
                                  "width": st.sampled_from([64, 128]), "n_train": st.sampled_from([50, 100])})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    return {"dataset": {"kind": "teacher", "teacher": "relu", "d": 6, "n_train": c["n_train"], "n_test": 200},
            "noise": c["noise"], "alphas": [0.0, float(c["alpha"])] if c["alpha"] != 0.0 else [0.0, -1.0],
            "width": c["width"], "epochs": 60, "draws": 8,
            "p_fail": 0.05}


PROPERTY = Property(
    name="gap_shape",
    check="generalization_gap_epochs",
    claim="over K epochs of GD the train–test gap (and the weight radius) rise and saturate as the trajectory bound's "
          "terms ∝ 1 − ρ^(K/2) predict: increasing in both halves of training, concave",
    domain={"alpha": "α ∈ [−1, 0.5], with α = 0", "noise": "label noise ∈ {0.1, 0.2, 0.4}", "width": "m ∈ {64, 128}",
            "n_train": "n ∈ {50, 100} (teacher data, d = 6)"},
    draw=_draw, to_params=_params, seeds=2,
    mutants=("epoch_exponent_sign_flipped", "radius_quadratic_in_K"), budget=8,
)
