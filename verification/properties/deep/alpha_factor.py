"""Property: the deep α-factor of the GLL rates — λ_min of the deep NTK and the GD/SGD rates order like c_α.

Decided by the rule and regime gates of :class:`verification.checks.deep.deep_alpha_ordering.DeepAlphaOrdering`
(rank tests of the orderings, the lazy-rate test inside the kernel regime); docs/theory/convergence.md §6.4–6.6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from verification.properties.core import Property

_N = 16


def _draw(relaxed: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    # a relaxed parameter is drawn outside its domain only: the search maps where the claim stops holding
    data = st.just("antipodal") if "data" in relaxed else st.just("bias")
    depth = st.sampled_from([4, 6] if "depth" in relaxed else [2, 3])
    m = st.sampled_from([4, 8] if "m" in relaxed else [64, 128])
    return st.fixed_dictionaries({"data": data, "depth": depth, "m": m, "d": st.sampled_from([8, 4])})


def _params(c: Mapping[str, Any]) -> dict[str, Any]:
    cfg = {"name": f"{c['data']}|L={c['depth']}", "data": c["data"], "d": c["d"], "depth": c["depth"]}
    if c["data"] == "antipodal":
        cfg["noise"] = 0.1
    return {"configs": [cfg], "n": _N, "m": c["m"], "alphas": [-1.0, -0.5, 0.0, 0.5], "steps": 100, "batch": 4,
            "eta_factor": 1.0}


def _outside(c: Mapping[str, Any]) -> list[str]:
    return ((["no near-antipodal inputs (bias coordinate 1/√2)"] if c["data"] != "bias" else [])
            + ([f"depth L ≤ 3 (L = {c['depth']})"] if c["depth"] > 3 else [])
            + ([f"m ≥ n (m = {c['m']}, n = {_N})"] if c["m"] < _N else []))


PROPERTY = Property(
    name="deep_alpha_factor",
    check="deep_alpha_ordering",
    claim="inside the AZLS/GLL assumptions (unit-norm data with the bias coordinate, W_1..W_L trained) λ_min of the "
          "deep NTK and the GD and SGD rates at one step size order like c_α = (1−α)²/(1+α²), fastest at α = −1",
    domain={"data": "unit-norm with the bias coordinate 1/√2 (no near-antipodal pair)", "depth": "L ∈ {2, 3}",
            "m": "m ∈ {64, 128} ≥ n = 16", "d": "d ∈ {4, 8}"},
    draw=_draw, to_params=_params, outside=_outside, seeds=2,
    mutants=("gd_factor_1_plus_alpha", "kernel_factor_1_plus_alpha"),
    relaxable={"data": "no near-antipodal inputs", "depth": "L ≤ 3", "m": "m ≥ n"}, budget=10,
)
