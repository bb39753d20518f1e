"""Shared helpers of the generalisation checks: hidden-constant draws, domain tests, and the label-noise
experiment's profile, units and row table (used by arora_complexity_noise and arora_bound_vacuity).

Theory: ``docs/theory/generalization.md`` (§2 ADHLW [recalled], §3 CG19 [recalled], §5.1 trajectory schematic
[inferred]) and ``docs/theory/convergence.md`` §2. The experiments themselves are in :mod:`empirical.generalization.experiments`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import bounds as B
from bounds import Bound
from empirical.generalization.experiments import key, noise_data, noise_gram, noise_train
from empirical.generalization.train import label_quadratic_form
from empirical.gram import leaky_gram
from verification.check import Check, Measurements, Unit

__all__ = [
    "CONSTANT_RANGE",
    "FW_FAMILY",
    "ORDER_FAMILY",
    "P_JUMP_RANGE",
    "SHAPE_FAMILY",
    "TAU_FAMILY",
    "NoiseExperiment",
    "diverged",
    "draw_unknowns",
    "groups",
    "in_domain",
    "key",
]

TAU_FAMILY = 0.01  # family-wise error of the rank-correlation tests of a check
FW_FAMILY = 0.01  # family-wise error of the finite-width complexity comparisons
SHAPE_FAMILY = 0.01  # family-wise error of the epoch-shape tests
ORDER_FAMILY = 0.05  # family-wise error of the α-ordering confidence intervals
CONSTANT_RANGE = (1e-2, 1e2)  # log-uniform range of the hidden constants drawn to find constant-free signs
P_JUMP_RANGE = (0.0, 2.0)  # range of the unknown jump-constant power p_jump drawn likewise


def draw_unknowns(bound: Bound, known: Mapping[sp.Symbol, float], draws: int, seed: int,
                  free: Sequence[sp.Symbol] = ()) -> list[dict[sp.Symbol, float]]:
    """``draws`` random values of the bound's unknowns: hidden constants log-uniform in CONSTANT_RANGE, p_jump
    uniform in P_JUMP_RANGE. Every other variable must be in ``known`` or ``free`` (a ValueError names it)."""
    rng = np.random.default_rng(seed)
    unknown = [s for s in bound.variables if s not in known and s not in free]
    for s in unknown:
        if not B.symbols.is_hidden_constant(s) and s.name != "p_jump":
            raise ValueError(f"{bound.name}: no value for {s.name} (not a hidden constant)")
    out = []
    for _ in range(draws):
        out.append({s: float(np.exp(rng.uniform(*np.log(CONSTANT_RANGE)))) if B.symbols.is_hidden_constant(s)
                    else float(rng.uniform(*P_JUMP_RANGE)) for s in unknown})
    return out


_DOMAIN_FNS: dict[str, list[tuple[tuple[sp.Symbol, ...], Any]]] = {}


def in_domain(bound: Bound, values: Mapping[sp.Symbol, float]) -> bool:
    """False when some domain relation (hidden constants included) is false at ``values``; relations with a
    symbol that has no value are skipped."""
    fns = _DOMAIN_FNS.get(bound.fingerprint)
    if fns is None:
        fns = []
        for rel in bound.domain:
            syms = tuple(sorted(rel.free_symbols, key=lambda x: x.name))
            fns.append((syms, sp.lambdify(syms, rel, modules="numpy")))
        _DOMAIN_FNS[bound.fingerprint] = fns
    return not any(all(x in values for x in syms) and not bool(fn(*[values[x] for x in syms])) for syms, fn in fns)


class NoiseExperiment(Check):
    """Shared profile, units and measurement of the label-noise experiment (ADHLW §5 experiments)."""

    default_seeds = {"quick": 5, "full": 8}
    # v2: the t → ∞ lazy network (kernel interpolant of the width-M tangent kernel) is measured
    # v3: the unit layout changed: one unit per training run (dataset, α, p, seed), one per Gram draws (dataset, α,
    #     seed) and one per data (dataset, seed) instead of one per (dataset, seed); same numbers, new keys
    version = 3

    def params(self, profile: str) -> dict[str, Any]:
        if profile == "quick":
            return {
                "datasets": {
                    "synthetic": {"kind": "teacher", "teacher": "linear", "d": 6, "n_train": 100, "n_test": 500},
                    "digits": {"kind": "digits", "classes": [3, 8], "n_train": 150, "n_test": None},
                },
                "noise": [0.0, 0.1, 0.2, 0.3, 0.5], "alphas": [0.0, -1.0], "width": 256, "epochs": 200,
                "gram_width": 16384, "gram_draws": 4, "p_fail": 0.05,
            }
        return {
            "datasets": {
                "synthetic": {"kind": "teacher", "teacher": "linear", "d": 6, "n_train": 200, "n_test": 1000},
                "digits": {"kind": "digits", "classes": [3, 8], "n_train": 250, "n_test": None},
            },
            "noise": [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5], "alphas": [0.0, -1.0, 0.5], "width": 512,
            "epochs": 600, "gram_width": 32768, "gram_draws": 6, "p_fail": 0.05,
        }

    def units(self, params: Mapping[str, Any], seeds: Sequence[int]) -> list[Unit]:
        """Per (dataset, seed): per α one training run per noise level p and the Gram draws, then the data.

        Training runs come first so that ``--plan --calibrate`` (which times a check's first unit) times the kind
        that dominates the count; ``noise_index`` is p's position in the profile's noise list: it seeds the label
        flips (one seed per level), as in the batched run."""
        out = []
        for name, spec in params["datasets"].items():
            for s in seeds:
                base = {"dataset": name, "spec": spec}
                for a in params["alphas"]:
                    out += [Unit(f"{name},alpha={a:g},noise={p:g}", s, {
                        **base, "kind": "train", "alpha": a, "p": p, "noise_index": i, "width": params["width"],
                        "epochs": params["epochs"]}) for i, p in enumerate(params["noise"])]
                    out.append(Unit(f"{name},alpha={a:g},gram", s, {
                        **base, "kind": "gram", "alpha": a, "noise": params["noise"],
                        "gram_width": params["gram_width"], "gram_draws": params["gram_draws"]}))
                out.append(Unit(f"{name},data", s, {**base, "kind": "data", "noise": params["noise"]}))
        return out

    #: arora_bound_vacuity and arora_complexity_noise share their quick units (seeds 0–4): measured once
    unit_family = "adhlw_noise_grid"

    def measure(self, unit: Unit, device: Any) -> dict[str, Any]:
        params = dict(unit.params)
        kind = params.pop("kind")
        blob = json.dumps({**params, "seed": unit.seed}, sort_keys=True)
        if kind == "data":
            return json.loads(noise_data(blob, str(device)))
        if kind == "gram":
            return json.loads(noise_gram(blob, str(device)))
        return json.loads(noise_train(blob, str(device)))

    @staticmethod
    def rows(measurements: Measurements, gram: Bound) -> tuple[list[dict[str, Any]], list[str]]:
        """One row per (dataset, α, p, seed) with the encoded q = yᵀH⁻¹y, λ_min and the measured numbers: the data,
        Gram and training units of a (dataset, seed) reassembled, in the order (dataset, seed) as measured, then α
        and p ascending (the order of the former one-unit-per-(dataset, seed) records, whose JSON keys were sorted)."""
        rows, failures = [], []
        grams = measurements.group("kind", "dataset", "seed")
        trains = measurements.group("kind", "dataset", "alpha", "seed")
        for data_unit, m in measurements.select(kind="data"):
            dataset, seed = data_unit.params["dataset"], data_unit.seed
            x = torch.tensor(m["x_train"], dtype=torch.float64)
            for g_unit, g in sorted(grams.get(("gram", dataset, seed), []), key=lambda ur: ur[0].params["alpha"]):
                a = float(g_unit.params["alpha"])
                h = leaky_gram(x, a, formula=gram).cpu().numpy()
                lam_min = float(np.linalg.eigvalsh((h + h.T) / 2)[0])
                for t_unit, run in sorted(trains.get(("train", dataset, a, seed), []), key=lambda ur: ur[0].params["p"]):
                    p_key = key(t_unit.params["p"])
                    try:
                        q = label_quadratic_form(h, np.asarray(m["labels"][p_key]))
                    except ValueError as exc:
                        failures.append(f"{dataset} α={key(a)}: {exc}")
                        q = math.nan
                    rows.append({"dataset": dataset, "alpha": a, "p": float(t_unit.params["p"]), "seed": seed, "q": q,
                                 "lam_min": lam_min, "n": m["n_train"], "n_test": m["n_test"], "eta": run["eta"],
                                 "q_width": g["q_width"][p_key], "q_half": g["q_half_width"][p_key],
                                 "f_nl": m["nonlinear_fraction"][p_key], "gram_width": g_unit.params["gram_width"],
                                 **{f"lazy_{k}": v for k, v in g.get("lazy", {}).get(p_key, {}).items()},
                                 **{k: v for k, v in run.items() if k != "eta"}})
        return rows, sorted(set(failures))


def diverged(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per row whose run diverged."""
    return [f"{r['dataset']} α={r['alpha']:g} p={r['p']:g} seed {r['seed']}: diverged at step {r['diverged_at']}"
            for r in rows if r["diverged_at"] is not None]


def groups(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, float], list[Mapping[str, Any]]]:
    """Rows grouped by (dataset, α)."""
    out: dict[tuple[str, float], list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["dataset"], r["alpha"]), []).append(r)
    return out
