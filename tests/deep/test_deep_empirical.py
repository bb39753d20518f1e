"""The AZLS/GLL deep network, its NTKs, trainers and data (small sizes, float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import bounds as B
from empirical.data import separation, sphere_with_bias
from empirical.deep.data import near_antipodal_sphere
from empirical.deep.experiments import alpha_sweep, make_data, rescaling_unit
from empirical.deep.network import PARAMETERISATIONS, DeepLeakyNet
from empirical.deep.ntk import deep_ntk_analytic, deep_ntk_layerwise
from empirical.deep.train import TrainTrace, average_rate, iterations_to, late_rate, train
from empirical.gram.finite import ntk_gram_func

X = sphere_with_bias(10, 5, seed=3)


# ---------------------------------------------------------------- network
def test_shapes_and_frozen_layers():
    net = DeepLeakyNet(5, 16, 3, -0.5, seed=0)
    assert net(X).shape == (10,)
    assert net.W.shape == (3, 16, 16) and net.A.shape == (16, 5) and net.B.shape == (1, 16)
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["W"]
    assert {n for n, _ in net.named_buffers()} == {"A", "B"}
    assert DeepLeakyNet(5, 16, 2, 0.0, seed=0, d_out=3)(X).shape == (10, 3)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"m": 0}, "m=0"), ({"depth": 0}, "depth=0"), ({"alpha": float("nan")}, "alpha"),
    ({"parameterisation": "mup"}, "mup"), ({"d": 2.5}, "d must be an integer"), ({"seed": -1}, "seed"),
])
def test_bad_arguments_name_the_value(kwargs, match):
    args = {"d": 5, "m": 8, "depth": 2, "alpha": 0.0, "seed": 0, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        DeepLeakyNet(**args)


def test_forward_rejects_wrong_input_shape():
    with pytest.raises(ValueError, match=r"\(n, 5\)"):
        DeepLeakyNet(5, 8, 2, 0.0, seed=0)(torch.zeros(3, 4, dtype=torch.float64))


@pytest.mark.parametrize("alpha", [-1.0, -0.5, 0.0, 0.7])
def test_parameterisations_compute_the_same_function(alpha):
    outs = [DeepLeakyNet(5, 32, 3, alpha, seed=1, parameterisation=p)(X) for p in PARAMETERISATIONS]
    for o in outs[1:]:
        torch.testing.assert_close(o, outs[0], rtol=1e-12, atol=1e-13)


def test_sp_output_layer_carries_one_over_sqrt_dout():
    ntk = DeepLeakyNet(5, 32, 2, -0.5, seed=1, d_out=4)(X)
    he = DeepLeakyNet(5, 32, 2, -0.5, seed=1, d_out=4, parameterisation="sp_he")(X)
    torch.testing.assert_close(he, ntk / 2.0, rtol=1e-12, atol=1e-13)


def test_init_scales_follow_the_table():
    m = 64
    nets = {p: DeepLeakyNet(5, m, 1, -0.5, seed=2, parameterisation=p) for p in PARAMETERISATIONS}
    w0 = nets["ntk"].W
    torch.testing.assert_close(nets["sp_rescaled"].W, w0 / math.sqrt(m))
    torch.testing.assert_close(nets["sp_he"].W, w0 * math.sqrt(2 / m))
    torch.testing.assert_close(nets["sp_plain"].W, w0 * math.sqrt(2 / ((1 + 0.25) * m)))


def test_hidden_vectors_keep_unit_second_moment():
    """σ̃_α preserves E[h²] = 1 per unit at every layer (docs/theory/README.md N1), for every α."""
    x = sphere_with_bias(64, 6, seed=0)
    for alpha in (-1.0, 0.0, 0.5):
        _, _, hs = DeepLeakyNet(6, 2048, 4, alpha, seed=0).forward_cache(x)
        for h in hs:
            assert float((h**2).mean()) == pytest.approx(1.0, abs=0.08)


# ---------------------------------------------------------------- NTKs
@pytest.mark.parametrize("param", PARAMETERISATIONS)
@pytest.mark.parametrize(("alpha", "depth"), [(-1.0, 1), (-0.5, 3), (0.0, 2), (0.5, 2)])
def test_layerwise_ntk_equals_torch_func(param, alpha, depth):
    net = DeepLeakyNet(5, 24, depth, alpha, seed=4, parameterisation=param)
    fast = deep_ntk_layerwise(net, X)
    ref = ntk_gram_func(net, X)
    assert fast.dtype == torch.float64
    torch.testing.assert_close(fast, ref, rtol=1e-10, atol=1e-10 * float(ref.abs().max()))


def test_layerwise_per_layer_sums_to_total_and_is_psd():
    net = DeepLeakyNet(5, 32, 3, -0.5, seed=5)
    parts = deep_ntk_layerwise(net, X, per_layer=True)
    assert parts.shape == (3, 10, 10)
    torch.testing.assert_close(parts.sum(0), deep_ntk_layerwise(net, X))
    assert float(torch.linalg.eigvalsh(parts.sum(0))[0]) > -1e-10


def test_layerwise_ntk_needs_scalar_output():
    with pytest.raises(ValueError, match="d_out=2"):
        deep_ntk_layerwise(DeepLeakyNet(5, 8, 1, 0.0, seed=0, d_out=2), X)


@pytest.mark.parametrize("alpha", [-1.0, -0.5, 0.0, 0.5])
def test_analytic_ntk_equals_the_sympy_recursion(alpha):
    g = (X @ X.T).clamp(-1, 1).numpy()
    for depth, bd in ((1, B.Theta_W_L1), (2, B.Theta_W_L2), (3, B.Theta_W_L3)):
        th = deep_ntk_analytic(X, alpha, depth)
        assert th.dtype == torch.float64
        off = ~np.eye(10, dtype=bool)  # on the diagonal the unsnapped reference loses ~1e-8 in arccos(1 − ε)
        np.testing.assert_allclose(th.numpy()[off], bd.numpy(validate=False)(alpha=alpha, rho=g)[off], rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(np.diag(th.numpy()), depth, rtol=1e-14)
        np.testing.assert_allclose(deep_ntk_analytic(X, alpha, depth, average=True).numpy(), th.numpy() / depth)


def test_analytic_ntk_uses_the_given_formulas():
    wrong = B.deep_ntk_W_step.mutant(B.ntk_prev * B.kern_dot + B.kern_prev, "all-layers step")
    assert float((deep_ntk_analytic(X, -0.5, 2, step=wrong) - deep_ntk_analytic(X, -0.5, 2)).abs().max()) > 1e-3
    with pytest.raises(ValueError, match="variables"):
        deep_ntk_analytic(X, 0.0, 2, nngp=B.c_alpha.mutant(B.c_alpha.expr * B.m, "wrong variables"))


def test_finite_width_ntk_approaches_the_analytic_one():
    x = sphere_with_bias(16, 6, seed=0)
    th = deep_ntk_analytic(x, -0.5, 2)
    errs = []
    for m in (64, 4096):
        e = [float(torch.linalg.norm(deep_ntk_layerwise(DeepLeakyNet(6, m, 2, -0.5, seed=s), x) - th)
                   / torch.linalg.norm(th)) for s in range(3)]
        errs.append(np.mean(e))
    assert errs[1] < errs[0] / 4  # m^(-1/2) predicts /8; allow seed noise


# ---------------------------------------------------------------- trainers and rates
def test_gd_decreases_the_loss_and_records_every_step():
    x, y = make_data("bias", 12, 5, seed=0)
    tr = train(DeepLeakyNet(5, 64, 2, -1.0, seed=0), x, y, eta=0.02, steps=50)
    assert isinstance(tr, TrainTrace) and tr.steps.tolist() == list(range(51))
    assert tr.loss[-1] < 0.5 * tr.loss[0] and tr.diverged_at is None and tr.batch == 12
    assert 0 < tr.relative_weight_change < 1


def test_full_batch_sgd_is_gd():
    x, y = make_data("bias", 12, 5, seed=0)
    a = train(DeepLeakyNet(5, 32, 2, -0.5, seed=0), x, y, eta=0.02, steps=20)
    b = train(DeepLeakyNet(5, 32, 2, -0.5, seed=0), x, y, eta=0.02, steps=20, batch=12, seed=9)
    np.testing.assert_array_equal(a.loss, b.loss)


def test_sgd_step_is_the_scaled_batch_gradient():
    x, y = make_data("bias", 12, 5, seed=0)
    net = DeepLeakyNet(5, 16, 2, -0.5, seed=0)
    ref = DeepLeakyNet(5, 16, 2, -0.5, seed=0)
    train(net, x, y, eta=0.01, steps=1, batch=4, seed=3)
    diffs = []
    for idx in torch.combinations(torch.arange(12), 4):  # which batch was drawn: exactly one must match
        w = ref.W.detach().clone().requires_grad_(True)
        probe = DeepLeakyNet(5, 16, 2, -0.5, seed=0)
        probe.W = torch.nn.Parameter(w)
        loss = 0.5 * torch.sum((probe(x[idx]) - y[idx]) ** 2)
        (g,) = torch.autograd.grad(loss, [probe.W])
        diffs.append(float((ref.W.detach() - 0.01 * (12 / 4) * g - net.W.detach()).abs().max()))
    assert min(diffs) < 1e-14


def test_sgd_converges_and_subsamples_the_record():
    x, y = make_data("bias", 16, 5, seed=1)
    tr = train(DeepLeakyNet(5, 64, 2, -1.0, seed=1), x, y, eta=0.02, steps=60, batch=4, seed=0, record_every=7)
    assert tr.steps.tolist() == [*range(0, 60, 7), 60]
    assert tr.loss[-1] < tr.loss[0] and tr.batch == 4


def test_divergence_is_reported_not_raised():
    x, y = make_data("bias", 12, 5, seed=0)
    tr = train(DeepLeakyNet(5, 32, 2, 0.5, seed=0), x, y, eta=50.0, steps=300, check_every=25)
    assert tr.diverged_at is not None and tr.diverged_at <= 300
    assert np.all(np.isnan(tr.loss[tr.diverged_at:]))


@pytest.mark.parametrize(("kwargs", "match"), [({"eta": 0.0}, "eta"), ({"batch": 13}, "batch=13"),
                                               ({"steps": -1}, "steps"), ({"record_every": 0}, "record_every")])
def test_trainer_rejects_bad_arguments(kwargs, match):
    x, y = make_data("bias", 12, 5, seed=0)
    args = {"eta": 0.1, "steps": 5, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        train(DeepLeakyNet(5, 8, 1, 0.0, seed=0), x, y, **args)
    with pytest.raises(ValueError, match=r"y must have shape"):
        train(DeepLeakyNet(5, 8, 1, 0.0, seed=0), x, y[:5], eta=0.1, steps=1)


def test_rates_on_an_exact_exponential():
    t = np.arange(0, 101)
    tr = TrainTrace(steps=t, loss=3.0 * 0.9**t, diverged_at=None, weight_change=0.0, weight_norm0=1.0, eta=1.0,
                    batch=1)
    assert late_rate(tr) == pytest.approx(-math.log(0.9), rel=1e-10)
    assert average_rate(tr) == pytest.approx(-math.log(0.9), rel=1e-10)
    assert iterations_to(tr, 0.01) == pytest.approx(math.log(0.01) / math.log(0.9), rel=1e-10)
    assert math.isnan(iterations_to(tr, 1e-9))


# ---------------------------------------------------------------- data and experiment routines
def test_near_antipodal_pairs():
    x = near_antipodal_sphere(20, 6, seed=0, noise=0.05)
    np.testing.assert_allclose(torch.linalg.vector_norm(x, dim=1).numpy(), 1.0, rtol=1e-12)
    pair_sum = torch.linalg.vector_norm(x[0::2] + x[1::2], dim=1)
    assert float(pair_sum.max()) < 0.15
    assert separation(x, "psg") < 0.15 < separation(x, "az")
    with pytest.raises(ValueError, match="n=7"):
        near_antipodal_sphere(7, 6, seed=0)


def test_alpha_sweep_uses_one_step_for_all_alphas():
    out = alpha_sweep(data="bias", n=12, d=5, m=32, depth=2, alphas=[-1.0, 0.0], steps=20, batch=4, seed=0)
    assert out["eta"] == pytest.approx(1.0 / out["lam_max_worst"])
    assert out["lam_max_worst"] == pytest.approx(max(r["lam_max"] for r in out["alphas"].values()))
    for row in out["alphas"].values():
        assert row["gd"]["steps"] == 20 and row["sgd"]["steps"] == 20 and row["lam_min"] > 0


def test_rescaling_unit_measures_the_step_conversion():
    res = rescaling_unit(n=8, d=5, m=16, depth=2, alpha=-0.5, steps=5, seed=0)
    conv = {p: r["eta_equiv_over_eta"] for p, r in res["param"].items()}
    assert conv["sp_rescaled"] == pytest.approx(1 / 16, rel=1e-12)
    assert conv["sp_he"] == pytest.approx(2 / 16, rel=1e-12)
    assert conv["sp_plain"] == pytest.approx(2 / (1.25 * 16), rel=1e-12)
    assert all(r["max_rel_loss_diff_converted"] < 1e-12 for r in res["param"].values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_training_matches_cpu():
    x, y = make_data("bias", 12, 5, seed=0)
    cpu = train(DeepLeakyNet(5, 32, 2, -1.0, seed=0), x, y, eta=0.02, steps=20, batch=4, seed=1)
    gpu = train(DeepLeakyNet(5, 32, 2, -1.0, seed=0, device="cuda"), x.cuda(), y.cuda(), eta=0.02, steps=20,
                batch=4, seed=1)
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-9)
    net = DeepLeakyNet(5, 32, 2, -1.0, seed=0, device="cuda")
    torch.testing.assert_close(deep_ntk_layerwise(net, x.cuda()).cpu(),
                               deep_ntk_layerwise(DeepLeakyNet(5, 32, 2, -1.0, seed=0), x), rtol=1e-10, atol=1e-10)


def test_sigma_alpha_copies_agree():
    """The fused in-place σ_α and its backward (used by the closed-form NTK and GD) equal the plain forms."""
    from empirical.activations import sigma_alpha, sigma_alpha_backward_into, sigma_alpha_derivative, sigma_alpha_into

    z = torch.linspace(-2, 2, 41, dtype=torch.float64)
    g = torch.rand(41, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for a in (-1.0, -0.3, 0.0, 0.5):
        assert torch.equal(sigma_alpha_into(z, a, torch.empty_like(z)), sigma_alpha(z, a))
        assert torch.equal(sigma_alpha_backward_into(g, z, a, torch.empty_like(z)), g * sigma_alpha_derivative(z, a))
