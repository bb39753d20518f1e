"""Decision rules of the generalisation checks on hand-made measurements (no training): every verdict is
reachable, a vacuous bound is never reported as holding, and divergence makes a check inconclusive."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import bounds as B
from empirical.generalization.datasets import teacher_split
from verification.check import Measurements, Unit, Verdict
from verification.checks.generalization.arora_bound_vacuity import AroraBoundVsError
from verification.checks.generalization.early_stopping_alpha_order import EarlyStoppingAlphaOrder
from verification.checks.generalization.generalization_gap_epochs import GeneralizationGapEpochs


def _noise_measurements(errors: dict[float, float], n_test: int = 400, seeds: int = 3) -> Measurements:
    """Noise-experiment units (data, Gram and one training run per p of each seed, at α = 0) with real
    inputs/labels but chosen noisy-distribution test errors."""
    out = Measurements()
    for s in range(seeds):
        sp_ = teacher_split(12, 4, 4, seed=s, teacher="linear")
        y = sp_.y_train.numpy()
        labels = {}
        for p in errors:
            yy = y.copy()
            yy[: round(p * 12)] *= -1
            labels[f"{p:g}"] = yy.tolist()
        out.add(Unit("toy,data", s, {"kind": "data", "dataset": "toy"}), {
            "x_train": sp_.x_train.tolist(), "labels": labels, "n_train": 12, "n_test": n_test, "d": 4,
            "nonlinear_fraction": {k: 0.5 for k in labels}})
        lazy = {f"{p:g}": {"test_error_clean": e, "test_error_noisy": e, "train_residual": 1e-13}
                for p, e in errors.items()}
        out.add(Unit("toy,alpha=0,gram", s, {"kind": "gram", "dataset": "toy", "alpha": 0.0, "gram_width": 1024}),
                {"q_width": {k: [1.0] for k in labels}, "q_half_width": {k: [1.0] for k in labels}, "lazy": lazy})
        for p, e in errors.items():
            out.add(Unit(f"toy,alpha=0,noise={p:g}", s, {"kind": "train", "dataset": "toy", "alpha": 0.0, "p": p}),
                    {"eta": 0.1, "train_error": 0.0, "train_loss": 0.0, "test_error_clean": e, "test_error_noisy": e,
                     "distance": 1.0, "diverged_at": None})
    return out


def _record(meas: Measurements, **params) -> dict:
    """The one record of ``meas`` whose unit has these params."""
    (_, rec), = meas.select(**params)
    return rec


def test_noise_units_are_one_per_training_run_with_readable_unique_keys() -> None:
    chk = AroraBoundVsError()
    params = chk.params("quick")
    units = chk.units(params, [0, 1])
    per_seed = 1 + len(params["alphas"]) * (1 + len(params["noise"]))
    assert len(units) == len(params["datasets"]) * 2 * per_seed
    assert len({u.key for u in units}) == len(units) and units == chk.units(params, [0, 1])
    configs = {u.config for u in units}
    assert {"synthetic,data", "synthetic,alpha=0,gram", "digits,alpha=-1,noise=0.1"} <= configs
    train = [u for u in units if u.params["kind"] == "train"]
    assert all(params["noise"][u.params["noise_index"]] == u.params["p"] for u in train)  # seeds the label flips


def test_noise_rows_do_not_depend_on_the_order_units_finish() -> None:
    chk = AroraBoundVsError()
    meas = _noise_measurements({0.0: 0.0, 0.25: 0.25, 0.5: 0.5})
    data = meas.select(kind="data")
    rest = [ur for ur in meas.records() if ur[0].params["kind"] != "data"]
    shuffled = Measurements([*data, *reversed(rest)])  # data units in order, the others in reverse
    gram = chk.default_bounds()["gram"]
    assert chk.rows(shuffled, gram) == chk.rows(meas, gram)
    rows, _ = chk.rows(meas, gram)
    assert [(r["seed"], r["p"]) for r in rows] == [(s, p) for s in range(3) for p in (0.0, 0.25, 0.5)]


def _scaled(bound: B.Bound, factor: float) -> B.Bound:
    return bound.mutant(bound.expr.subs(B.quad_y, B.quad_y * factor), f"quad_y × {factor}")


def test_arora_bound_vacuous_is_never_holds() -> None:
    chk = AroraBoundVsError()
    params = chk.params("quick")
    meas = _noise_measurements({0.0: 0.0, 0.25: 0.25, 0.5: 0.5})
    d = chk.decide(meas, chk.default_bounds(), params)  # 12 points: √(2yᵀH⁻¹y/n) ≫ 1
    assert d.verdict is Verdict.INCONCLUSIVE and d.reason.startswith("vacuous: bound = ")
    assert all(v == "vacuous" for v in d.measured["status"].values())


def test_arora_bound_non_vacuous_holds_and_violated() -> None:
    chk = AroraBoundVsError()
    params = chk.params("quick")
    bounds = {**chk.default_bounds(), "bound": _scaled(B.adhlw_generalization, 1e-2)}  # values ≈ 0.3–0.5 < 1
    ok = chk.decide(_noise_measurements({0.0: 0.0, 0.25: 0.0, 0.5: 0.0}, n_test=5000), bounds, params)
    assert ok.verdict is Verdict.HOLDS, ok.reason
    big = chk.decide(_noise_measurements({0.0: 0.0, 0.25: 0.9, 0.5: 0.95}, n_test=5000), bounds, params)
    assert big.verdict is Verdict.VIOLATED, big.reason
    # the clean run's excess error is absorbed by the fitted label-free term A, so a constant offset is not a violation
    shifted = chk.decide(_noise_measurements({0.0: 0.5, 0.25: 0.5, 0.5: 0.5}, n_test=5000), bounds, params)
    assert shifted.verdict is not Verdict.VIOLATED, shifted.reason


def test_arora_bound_trained_divergence_is_a_finding_and_lazy_residual_gates() -> None:
    """The judged error is the t → ∞ lazy network's: a diverged trained net is reported; a lazy network that
    does not reach zero training loss puts the run outside the theorem's regime (inconclusive, never violated)."""
    chk = AroraBoundVsError()
    meas = _noise_measurements({0.0: 0.0, 0.5: 0.5})
    _record(meas, kind="train", p=0.5, seed=0)["diverged_at"] = 17
    d = chk.decide(meas, chk.default_bounds(), chk.params("quick"))
    assert any("diverged at step 17" in f for f in d.findings)
    bounds = {**chk.default_bounds(), "bound": _scaled(B.adhlw_generalization, 1e-4)}
    bad = _noise_measurements({0.0: 0.0, 0.25: 0.9}, n_test=5000)
    assert chk.decide(bad, bounds, chk.params("quick")).verdict is Verdict.VIOLATED
    _record(bad, kind="gram", seed=0)["lazy"]["0.25"]["train_residual"] = 0.3
    gated = chk.decide(bad, bounds, chk.params("quick"))
    assert gated.verdict is Verdict.INCONCLUSIVE and "zero training loss" in gated.reason


def _gap_measurements(shape, seeds: int = 5, path=lambda k: 1 - np.exp(-k / 80)) -> Measurements:
    k = np.arange(201, dtype=np.float64)
    out = Measurements()
    for a in (0.0, -1.0):
        for s in range(seeds):
            g = shape(k) * (1 + 0.1 * s)
            out.add(Unit(f"alpha={a:g}", s, {"alpha": a}),
                    {"gap_loss": g.tolist(), "train_loss": np.linspace(0.69, 0.3, 201).tolist(), "eta": 0.1,
                     "path_length": (path(k) * (1 + 0.05 * s)).tolist(),
                     "diverged_at": None, "n": 100, "d": 6, "delta": 0.3})
    return out


@pytest.mark.parametrize(("shape", "path", "verdict"), [
    (lambda k: 1 - np.exp(-k / 50), lambda k: 1 - np.exp(-k / 80), Verdict.HOLDS),  # increasing, concave
    (lambda k: (k / 200) ** 2, lambda k: 1 - np.exp(-k / 80), Verdict.VIOLATED),  # gap convex
    (lambda k: np.exp(-k / 50) - 1, lambda k: 1 - np.exp(-k / 80), Verdict.VIOLATED),  # gap decreasing
    (lambda k: 1 - np.exp(-k / 50), lambda k: (k / 200) ** 2, Verdict.VIOLATED),  # path length convex
])
def test_gap_epochs_rule(shape, path, verdict) -> None:
    chk = GeneralizationGapEpochs()
    d = chk.judge(_gap_measurements(shape, path=path), chk.default_bounds(), chk.params("quick"))
    assert d.verdict is verdict, d.reason


def test_gap_epochs_outside_regime_is_inconclusive() -> None:
    chk = GeneralizationGapEpochs()
    meas = _gap_measurements(lambda k: (k / 200) ** 2)
    for m in meas.values():
        m["train_loss"] = [0.69] * 201  # GD made no progress
    d = chk.decide(meas, chk.default_bounds(), chk.params("quick"))
    assert d.verdict is Verdict.INCONCLUSIVE and "training loss decreases" in d.reason
    small = chk.decide(_gap_measurements(lambda k: (k / 200) ** 2), chk.default_bounds(),
                       {**chk.params("quick"), "width": 50})
    assert small.verdict is Verdict.INCONCLUSIVE and "m ≥ n" in small.reason


def _order_measurements(err: dict[float, list[float]]) -> Measurements:
    out = Measurements()
    for s in range(len(next(iter(err.values())))):
        out.add(Unit("synthetic", s, {"dataset": "synthetic"}), {
            "eta": 0.01, "n": 400, "d": 6, "delta": 0.2, "nonlinear_fraction": 0.95,
            "alphas": {f"{a:g}": {"test_error_early": e[s], "test_error_late": e[s], "test_error_best": e[s],
                                  "train_loss_early": 0.3, "test_error_curve": [0.5, e[s]], "diverged_at": None,
                                  "initial_train_loss": 0.5} for a, e in err.items()}})
    return out


@pytest.mark.parametrize(("err", "verdict"), [
    ({-1.0: [0.10, 0.11, 0.12, 0.10, 0.11], 0.0: [0.20, 0.21, 0.19, 0.20, 0.22], 0.5: [0.30, 0.31, 0.33, 0.30, 0.32]},
     Verdict.HOLDS),
    ({-1.0: [0.30, 0.31, 0.33, 0.30, 0.32], 0.0: [0.20, 0.21, 0.19, 0.20, 0.22], 0.5: [0.10, 0.11, 0.12, 0.10, 0.11]},
     Verdict.VIOLATED),
    ({-1.0: [0.10, 0.30, 0.12, 0.25, 0.11], 0.0: [0.20, 0.11, 0.19, 0.12, 0.22], 0.5: [0.30, 0.31, 0.33, 0.30, 0.32]},
     Verdict.INCONCLUSIVE),
])
def test_alpha_order_rule(err, verdict) -> None:
    chk = EarlyStoppingAlphaOrder()
    params = {**chk.params("quick"), "datasets": {"synthetic": {}}}
    d = chk.decide(_order_measurements(err), chk.default_bounds(), params)
    assert d.verdict is verdict, d.reason


def test_alpha_order_chance_level_never_holds() -> None:
    """A perfectly ordered but chance-level early error (nothing learned) is not evidence for the ordering."""
    chk = EarlyStoppingAlphaOrder()
    err = {-1.0: [0.49, 0.50, 0.51, 0.50, 0.49], 0.0: [0.60, 0.61, 0.59, 0.60, 0.62],
           0.5: [0.70, 0.71, 0.73, 0.70, 0.72]}
    d = chk.decide(_order_measurements(err), chk.default_bounds(), {**chk.params("quick"), "datasets": {"synthetic": {}}})
    assert d.verdict is Verdict.INCONCLUSIVE, d.reason


def test_alpha_order_outside_regime_is_inconclusive() -> None:
    chk = EarlyStoppingAlphaOrder()
    err = {-1.0: [0.10, 0.11, 0.12, 0.10, 0.11], 0.0: [0.20, 0.21, 0.19, 0.20, 0.22], 0.5: [0.30, 0.31, 0.33, 0.30, 0.32]}
    d = chk.decide(_order_measurements(err), chk.default_bounds(),
                   {**chk.params("quick"), "datasets": {"synthetic": {}}, "width": 100})
    assert d.verdict is Verdict.INCONCLUSIVE and "m ≥ n" in d.reason


def test_alpha_order_outside_domain_is_a_finding() -> None:
    chk = EarlyStoppingAlphaOrder()
    meas = _order_measurements({-1.0: [0.3] * 5, 0.0: [0.2] * 5, 0.5: [0.1] * 5})
    for m in meas.values():
        m["nonlinear_fraction"] = 0.1  # labels mostly in span X: the c_α-ordering does not apply
    d = chk.decide(meas, chk.default_bounds(), {**chk.params("quick"), "datasets": {"synthetic": {}}})
    assert d.verdict is Verdict.INCONCLUSIVE
    assert any("outside the ordering's domain" in f for f in d.findings)


def test_prediction_undetermined_when_constants_decide() -> None:
    """A formula whose K-shape flips with its hidden constant gives no prediction: inconclusive, not holds."""
    chk = GeneralizationGapEpochs()
    c = B.generalization.statements.C_rate
    wobbly = B.traj_gap_term.mutant(sp.sin(B.K * c), "shape depends on C_rate")
    d = chk.decide(_gap_measurements(lambda k: 1 - np.exp(-k / 50)), {**chk.default_bounds(), "gap": wobbly},
                   chk.params("quick"))
    assert d.verdict is Verdict.INCONCLUSIVE
