"""Fast paths against their reference paths (float64, tight tolerances, small sizes; no timing asserts).

* the deep empirical NTK (:mod:`empirical.deep.ntk_fast`) against the straightforward layer-by-layer
  closed form and the generic torch.func Jacobians, blocked and unblocked;
* the arc-cosine evaluation of Θ_W (:mod:`empirical.deep.ntk_analytic`) against the term-by-term
  lambdified recursion, and its refusal of formulas without that structure;
* closed-form deep GD steps (:mod:`empirical.deep.grad`) against autograd;
* the smallest-eigenvalue solver against eigvalsh;
* the benchmark baselines and table helpers (they must compute the same thing as ours).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import bounds as B
from empirical.data import sphere, sphere_with_bias
from empirical.deep.data import near_antipodal_sphere
from empirical.deep.experiments import make_data
from empirical.deep.grad import Workspace, gd_step, loss_and_grad
from empirical.deep.network import PARAMETERISATIONS, DeepLeakyNet
from empirical.deep.ntk import deep_ntk_analytic, deep_ntk_layerwise, deep_ntk_layerwise_reference
from empirical.deep.ntk_analytic import deep_ntk_arc_cosine
from empirical.deep.ntk_fast import deep_ntk_features, deep_ntk_flops, deep_ntk_gram
from empirical.deep.train import train
from empirical.eigen import eigvalsh, smallest_eigenvalues
from empirical.gram.blocks import default_block, lower_block_pairs, mirror_lower, row_blocks
from empirical.gram.finite import ntk_gram_func

X = sphere_with_bias(13, 5, seed=3)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


# ---------------------------------------------------------------- symmetric blocks
def test_row_blocks_and_lower_pairs_cover_the_lower_triangle():
    blocks = row_blocks(10, 4)
    assert [(b.start, b.stop) for b in blocks] == [(0, 4), (4, 8), (8, 10)]
    pairs = lower_block_pairs(blocks)
    assert len(pairs) == 6 and all(bj.start <= bi.start for bi, bj in pairs)
    with pytest.raises(ValueError, match="block=0"):
        row_blocks(10, 0)


def test_mirror_lower_gives_an_exactly_symmetric_matrix():
    a = torch.randn(10, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    blocks = row_blocks(10, 3)
    out = mirror_lower(a.clone(), blocks)
    assert torch.equal(out, out.T)
    for bi, bj in lower_block_pairs(blocks):  # lower off-diagonal blocks kept, diagonal blocks averaged
        want = a[bi, bj] if bi != bj else (a[bi, bi] + a[bi, bi].T) / 2
        torch.testing.assert_close(out[bi, bj], want, rtol=0, atol=0)


def test_default_block_sizes():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert default_block(100, cpu) == 100
    assert default_block(512, cpu) == 256
    assert default_block(20_000, cpu) <= 2048 and math.ceil(20_000 / default_block(20_000, cpu)) == 10
    assert default_block(1000, gpu) == 1000


# ---------------------------------------------------------------- deep empirical NTK
@pytest.mark.parametrize("param", PARAMETERISATIONS)
@pytest.mark.parametrize(("alpha", "depth"), [(-1.0, 1), (-0.5, 3), (0.0, 2), (0.5, 3), (1.0, 2)])
def test_fast_ntk_equals_reference_and_torch_func(param, alpha, depth):
    net = DeepLeakyNet(5, 24, depth, alpha, seed=4, parameterisation=param)
    ref = deep_ntk_layerwise_reference(net, X)
    generic = ntk_gram_func(net, X)
    torch.testing.assert_close(ref, generic, rtol=1e-10, atol=1e-12 * float(generic.abs().max()))
    for block in (None, 1, 4, 5, 13, 100):
        fast = deep_ntk_gram(net, X, block_rows=block)
        assert fast.dtype == torch.float64 and torch.equal(fast, fast.T)
        assert _rel(fast, ref) < 1e-13
        per = deep_ntk_gram(net, X, per_layer=True, block_rows=block)
        assert per.shape == (depth, 13, 13)
        torch.testing.assert_close(per, deep_ntk_layerwise_reference(net, X, per_layer=True), rtol=1e-12,
                                   atol=1e-13 * float(ref.abs().max()))


def test_layerwise_is_the_fast_path_and_blocks_change_nothing_but_rounding():
    x = sphere_with_bias(37, 6, seed=0)
    net = DeepLeakyNet(6, 40, 3, -0.5, seed=1)
    full = deep_ntk_layerwise(net, x)
    torch.testing.assert_close(full, deep_ntk_gram(net, x), rtol=0, atol=0)
    for block in (1, 7, 36):
        assert _rel(deep_ntk_layerwise(net, x, block_rows=block), full) < 1e-14


def test_fast_ntk_features_rebuild_the_hidden_vectors():
    net = DeepLeakyNet(5, 24, 3, -0.5, seed=2)
    hid, dlt, s = deep_ntk_features(net, X, block_rows=5)
    _, _, hs = net.forward_cache(X)
    for layer in range(3):
        torch.testing.assert_close(hid[layer] * net.act_scale, hs[layer], rtol=1e-14, atol=1e-14)
    theta = s * sum((dlt[q] @ dlt[q].T) * (hid[q] @ hid[q].T) for q in range(3))
    assert _rel(theta, deep_ntk_layerwise_reference(net, X)) < 1e-13


def test_fast_ntk_float32_and_out_buffer():
    net = DeepLeakyNet(5, 32, 2, 0.0, seed=0, dtype=torch.float32)
    ref = deep_ntk_layerwise_reference(net, X)
    f32 = deep_ntk_gram(net, X.float(), dtype=torch.float32)
    assert f32.dtype == torch.float32 and _rel(f32.double(), ref) < 1e-5
    out = torch.empty(13, 13, dtype=torch.float64)
    assert deep_ntk_gram(net, X, out=out) is out
    with pytest.raises(ValueError, match="out must be"):
        deep_ntk_gram(net, X, out=torch.empty(12, 13, dtype=torch.float64))


def test_fast_ntk_rejects_bad_input():
    with pytest.raises(ValueError, match="d_out=2"):
        deep_ntk_gram(DeepLeakyNet(5, 8, 1, 0.0, seed=0, d_out=2), X)
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        deep_ntk_gram(DeepLeakyNet(5, 8, 1, 0.0, seed=0), X[:, :4])
    with pytest.raises(ValueError, match="block_rows"):
        deep_ntk_gram(DeepLeakyNet(5, 8, 1, 0.0, seed=0), X, block_rows=0)


def test_flop_count():
    n, m, q, d = 512, 1024, 3, 16
    assert deep_ntk_flops(n, m, q, d) == 2 * n * d * m + 2 * q * n * m * m + 2 * (q - 1) * n * m * m + 2 * q * n * n * m


# ---------------------------------------------------------------- analytic deep NTK
@pytest.mark.parametrize("alpha", [-1.0, -0.5, 0.0, 0.5, 1.0])
@pytest.mark.parametrize("depth", [1, 2, 5])
def test_arc_cosine_path_equals_the_lambdified_recursion(alpha, depth):
    x = sphere_with_bias(70, 6, seed=1)
    fast = deep_ntk_analytic(x, alpha, depth)
    ref = deep_ntk_analytic(x, alpha, depth, fast=False)
    assert torch.equal(fast, fast.T)
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), rtol=1e-12, atol=1e-13 * depth)
    np.testing.assert_allclose(np.diag(fast.numpy()), depth, rtol=1e-14)
    np.testing.assert_allclose(deep_ntk_analytic(x, alpha, depth, average=True).numpy(), fast.numpy() / depth,
                               rtol=1e-15)


@pytest.mark.parametrize("data", ["sphere", "antipodal"])
def test_arc_cosine_path_on_data_with_correlations_near_minus_one(data):
    """Near ρ = ±1 both paths lose digits to √(1 − ρ²) (an input error ε becomes ~√ε); they agree to 1e-11."""
    x = sphere(60, 3, seed=2) if data == "sphere" else near_antipodal_sphere(60, 4, seed=2, noise=1e-6)
    for alpha in (-1.0, 0.0):
        fast, ref = deep_ntk_analytic(x, alpha, 4), deep_ntk_analytic(x, alpha, 4, fast=False)
        np.testing.assert_allclose(fast.numpy(), ref.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("tile", [1, 7, 16, 70])
@pytest.mark.parametrize("workers", [1, 3])
def test_arc_cosine_tiles_and_workers_change_nothing(tile, workers):
    x = sphere_with_bias(70, 6, seed=1)
    a, b = B.kappa_dot.evaluate(alpha=-0.5, rho=0), B.kappa.evaluate(alpha=-0.5, rho=0)
    ref = deep_ntk_arc_cosine(x, a, b, 3, tile=70, workers=1)
    got = deep_ntk_arc_cosine(x, a, b, 3, tile=tile, workers=workers)
    torch.testing.assert_close(got, ref, rtol=1e-14, atol=1e-14)  # G = XXᵀ per tile: GEMM rounding


def test_formulas_without_the_arc_cosine_structure_take_the_reference_path():
    wrong_step = B.deep_ntk_W_step.mutant(B.ntk_prev * B.kern_dot + B.kern_prev, "all-layers step")
    g = B.g_alpha.expr
    import sympy as sp

    wrong_kd = B.kappa_dot.mutant(1 - g * sp.acos(B.rho) / sp.pi, "g_α for c_α")
    wrong_k = B.kappa.mutant(B.kappa.expr - B.c_alpha.expr / 2 * B.rho, "1 − c_α")
    for kw in ({"step": wrong_step}, {"derivative": wrong_kd}, {"nngp": wrong_k}):
        got = deep_ntk_analytic(X, -0.5, 2, **kw)
        torch.testing.assert_close(got, deep_ntk_analytic(X, -0.5, 2, fast=False, **kw), rtol=0, atol=0)
        assert _rel(got, deep_ntk_analytic(X, -0.5, 2)) > 1e-3
        with pytest.raises(ValueError, match="arc-cosine structure"):
            deep_ntk_analytic(X, -0.5, 2, fast=True, **kw)


# ---------------------------------------------------------------- closed-form deep GD
@pytest.mark.parametrize("param", PARAMETERISATIONS)
@pytest.mark.parametrize(("alpha", "depth"), [(-1.0, 1), (-0.5, 3), (0.0, 2), (0.5, 2)])
def test_closed_form_gradient_equals_autograd(param, alpha, depth):
    net = DeepLeakyNet(5, 24, depth, alpha, seed=4, parameterisation=param)
    y = torch.linspace(-1, 1, 13, dtype=torch.float64)
    loss = 0.5 * torch.sum((net(X) - y) ** 2)
    (g,) = torch.autograd.grad(loss, [net.W])
    cf_loss, cf_grad = net.loss_and_grad(X, y)
    assert float(abs(cf_loss - loss.detach())) < 1e-13 * float(loss.detach())
    assert _rel(cf_grad, g) < 1e-13
    w0 = net.W.detach().clone()
    before = net.gd_step(X, y, 0.05)
    assert float(abs(before - loss.detach())) < 1e-13 * float(loss.detach())
    torch.testing.assert_close(net.W.detach(), w0 - 0.05 * g, rtol=1e-13, atol=1e-15)


def test_closed_form_workspace_is_reused_and_inputs_are_checked():
    net = DeepLeakyNet(5, 16, 2, 0.0, seed=0)
    y = torch.zeros(13, dtype=torch.float64)
    work = Workspace()
    loss_and_grad(net, X, y, work)
    hid = work.hid
    gd_step(net, X, y, 0.1, work)
    assert work.hid is hid
    gd_step(net, X[:4], y[:4], 0.1, work)  # a new batch size gets new buffers
    assert work.hid.shape[1] == 4
    with pytest.raises(ValueError, match="d_out=2"):
        DeepLeakyNet(5, 8, 1, 0.0, seed=0, d_out=2).loss_and_grad(X, y)
    with pytest.raises(ValueError, match="y must have shape"):
        net.gd_step(X, y[:3], 0.1)
    with pytest.raises(TypeError, match="dtypes differ"):
        net.gd_step(X.float(), y.float(), 0.1)


@pytest.mark.parametrize("batch", [None, 4])
def test_trainer_closed_form_follows_the_autograd_trajectory(batch):
    x, y = make_data("bias", 12, 5, seed=0)
    fast = DeepLeakyNet(5, 32, 2, -0.5, seed=0)
    slow = DeepLeakyNet(5, 32, 2, -0.5, seed=0)
    a = train(fast, x, y, eta=0.02, steps=40, batch=batch, seed=3)
    b = train(slow, x, y, eta=0.02, steps=40, batch=batch, seed=3, params=[slow.W])  # params= forces autograd
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12)
    torch.testing.assert_close(fast.W.detach(), slow.W.detach(), rtol=1e-12, atol=1e-14)
    assert a.weight_change == pytest.approx(b.weight_change, rel=1e-10)


@pytest.mark.parametrize("alpha", [-1.0, -0.5, 0.0, 0.7])
def test_two_layer_fused_gradient_equals_autograd_and_reuses_its_buffers(alpha):
    from empirical.activations import get_activation, leaky_relu
    from empirical.two_layer.network import TwoLayerNet

    y = torch.linspace(-1, 1, 13, dtype=torch.float64)
    for act in (leaky_relu(alpha), get_activation("tanh")):
        net = TwoLayerNet(5, 40, act, seed=2)
        loss = 0.5 * torch.sum((net(X) - y) ** 2)
        (g,) = torch.autograd.grad(loss, [net.W])
        cf_loss, cf_grad = net.loss_and_grad(X, y)
        assert float(abs(cf_loss - loss.detach())) < 1e-13 * float(loss.detach())
        assert _rel(cf_grad, g) < 1e-13
    net = TwoLayerNet(5, 40, leaky_relu(alpha), seed=2)
    net.loss_and_grad(X, y)
    bufs = net._ws
    net.loss_and_grad(X, y)
    assert net._ws is bufs
    loss4, _ = net.loss_and_grad(X[:4], y[:4])  # another n: new buffers, right answer
    ref = 0.5 * torch.sum((net(X[:4]) - y[:4]) ** 2)
    assert float(abs(loss4 - ref.detach())) < 1e-13 * float(ref.detach())


# ---------------------------------------------------------------- smallest eigenvalues
@pytest.mark.parametrize("k", [1, 4])
def test_smallest_eigenvalues_of_a_deep_ntk_gram(k):
    h = deep_ntk_analytic(sphere_with_bias(300, 8, seed=0), 0.0, 3)  # clustered bottom of the spectrum
    ref = eigvalsh(h)[:k]
    np.testing.assert_allclose(smallest_eigenvalues(h, k=k, dense_below=100), ref, rtol=1e-10)
    np.testing.assert_allclose(smallest_eigenvalues(h, k=k), ref, rtol=1e-13)  # small n: the dense path


# ---------------------------------------------------------------- benchmark helpers
def test_benchmark_baseline_computes_the_same_gram():
    from benchmarks.bench_ntk import torchfunc_ntk

    net = DeepLeakyNet(5, 12, 3, -0.5, seed=0)
    torch.testing.assert_close(torchfunc_ntk(net, X, chunk=5), ntk_gram_func(net, X), rtol=1e-12, atol=1e-12)


def test_benchmark_rows_and_table():
    from benchmarks.common import Row, markdown_table

    time_row = Row("ntk", "w", 0.1, 10.0, "base", gflops=5.0, peak=100.0)
    assert time_row.ratio == pytest.approx(100.0) and time_row.rate == pytest.approx(50.0)
    assert time_row.peak_share == pytest.approx(0.5)
    rate_row = Row("train", "w", 30.0, 10.0, "base", ours_unit="steps/s", higher_is_better=True, gflops=2.0, peak=100.0)
    assert rate_row.ratio == pytest.approx(3.0) and rate_row.rate == pytest.approx(60.0)
    missing = Row("memory", "w", 1.0, None, "base", ours_unit="GB")
    assert missing.ratio is None
    table = markdown_table([time_row, rate_row, missing])
    assert table.count("\n") == 4 and "100×" in table and "50 % of 100" in table and "—" in table


# ---------------------------------------------------------------- the same paths on a GPU
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_gpu_fast_paths_match_cpu():
    from empirical.activations import leaky_relu
    from empirical.two_layer.network import TwoLayerNet
    from empirical.two_layer.train import gradient_descent

    x = sphere_with_bias(300, 6, seed=0)
    net = DeepLeakyNet(6, 48, 3, -0.5, seed=1)
    gpu_net = DeepLeakyNet(6, 48, 3, -0.5, seed=1, device="cuda")
    ref = deep_ntk_gram(net, x)
    for block in (None, 100):
        assert _rel(deep_ntk_gram(gpu_net, x.cuda(), block_rows=block).cpu(), ref) < 1e-12
    assert _rel(deep_ntk_analytic(x.cuda(), -0.5, 4).cpu(), deep_ntk_analytic(x, -0.5, 4, fast=False)) < 1e-12
    xs, ys = make_data("bias", 12, 5, seed=0)
    cpu_tr = train(DeepLeakyNet(5, 32, 2, -1.0, seed=0), xs, ys, eta=0.02, steps=20)
    gpu_tr = train(DeepLeakyNet(5, 32, 2, -1.0, seed=0, device="cuda"), xs.cuda(), ys.cuda(), eta=0.02, steps=20)
    np.testing.assert_allclose(gpu_tr.loss, cpu_tr.loss, rtol=1e-9)
    two_cpu = gradient_descent(TwoLayerNet(5, 64, leaky_relu(0.0), seed=0), xs, ys, 0.1, 20)
    two_gpu = gradient_descent(TwoLayerNet(5, 64, leaky_relu(0.0), seed=0, device="cuda"), xs.cuda(), ys.cuda(), 0.1, 20)
    np.testing.assert_allclose(two_gpu.loss, two_cpu.loss, rtol=1e-9)
    h = deep_ntk_analytic(sphere_with_bias(400, 8, seed=0).cuda(), 0.0, 3)
    np.testing.assert_allclose(smallest_eigenvalues(h, k=3, dense_below=100), eigvalsh(h)[:3], rtol=1e-10)
