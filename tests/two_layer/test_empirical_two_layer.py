"""Data, activations, the two-layer network, Gram matrices, GD and dynamics (float64 agreement)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import bounds as B
from empirical import activations as A
from empirical import data as D
from empirical.device import resolve_device
from empirical.eigen import eigvalsh, lambda_min
from empirical.gram import hermite_gram, kernel_matrix, leaky_gram, mc_dual_kernels, ntk_gram_func, two_layer_gram
from empirical.rates import log_slope
from empirical.two_layer.dynamics import predicted_residual
from empirical.two_layer.network import TwoLayerNet
from empirical.two_layer.train import gradient_descent


def test_generators_unit_norm_deterministic_and_shaped():
    x = D.sphere(20, 4, seed=3)
    assert x.shape == (20, 4) and x.dtype == torch.float64
    assert torch.allclose(torch.linalg.vector_norm(x, dim=1), torch.ones(20, dtype=torch.float64))
    assert torch.equal(x, D.sphere(20, 4, seed=3)) and not torch.equal(x, D.sphere(20, 4, seed=4))
    xb = D.sphere_with_bias(30, 5, seed=0)
    assert torch.allclose(xb[:, -1], torch.full((30,), 1 / math.sqrt(2), dtype=torch.float64))
    assert float((xb @ xb.T).min()) >= -1e-12  # ρ ∈ [0, 1]
    xs = D.subspace_sphere(25, 8, 2, seed=1)
    assert int(torch.linalg.matrix_rank(xs)) == 2
    xe = D.subspace_sphere(12, 6, 2, seed=1, spread="even")
    assert D.separation(xe, "psg") == pytest.approx(2 * math.sin(math.pi / 24), rel=1e-9)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: D.sphere(0, 3, 0), "n=0"),
    (lambda: D.sphere(5, 1, 0), "d=1"),
    (lambda: D.sphere(5, 3, -1), "seed=-1"),
    (lambda: D.sphere(5.0, 3, 0), "n must be an integer"),
    (lambda: D.sphere_with_bias(5, 2, 0), "d=2"),
    (lambda: D.subspace_sphere(5, 3, 4, 0), "d_sub=4"),
    (lambda: D.subspace_sphere(5, 3, 3, 0, spread="even"), "d_sub=2"),
    (lambda: D.subspace_sphere(5, 3, 2, 0, spread="grid"), "'grid'"),
    (lambda: D.labels(D.sphere(5, 3, 0), 0, kind="magic"), "'magic'"),
])
def test_data_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_separation_and_duplicates():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=torch.float64)
    assert D.separation(x, "az") == pytest.approx(math.sqrt(2))
    assert D.separation(x, "psg") == pytest.approx(0.0, abs=1e-12)  # an antipodal pair
    dup = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    assert D.separation(dup, "az") == 0.0
    with pytest.raises(ValueError, match="unit norm"):
        D.separation(torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64))
    with pytest.raises(ValueError, match="kind"):
        D.separation(x, "euclid")
    assert D.min_angle(x) == pytest.approx(math.pi / 2)


def test_activation_normalisers():
    for name in ("tanh", "swish", "elu", "selu", "quadratic"):
        act = A.get_activation(name)
        g = torch.randn(400_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        assert float(torch.mean(act(g) ** 2)) == pytest.approx(1.0, rel=0.02), name
    assert A.leaky_relu(-1).scale == pytest.approx(1.0) and A.leaky_relu(0).scale == pytest.approx(math.sqrt(2))
    z = torch.linspace(-3, 3, 11, dtype=torch.float64)
    for a in (-1.0, 0.0, 0.3):
        act = A.leaky_relu(a)
        assert torch.allclose(act(z), act.derivative(z) * z)
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        A.get_activation("gelu")
    with pytest.raises(ValueError, match="needs alpha"):
        A.get_activation("leaky")
    with pytest.raises(ValueError, match="not finite"):
        A.leaky_relu(float("nan"))
    with pytest.raises(TypeError, match="real number"):
        A.leaky_relu("0.1")


def test_hermite_coefficients_parseval_and_exact_polynomial():
    tanh = A.get_activation("tanh")
    nu = A.hermite_coefficients(tanh, 300)
    assert float(np.sum(nu**2)) == pytest.approx(A.derivative_second_moment(tanh), rel=1e-10)
    quad = A.get_activation("quadratic")
    nq = A.hermite_coefficients(quad, 6)
    assert nq[0] == pytest.approx(quad.scale) and nq[1] == pytest.approx(2 * quad.scale)
    assert np.allclose(nq[2:], 0, atol=1e-12)
    with pytest.raises(ValueError, match="smooth"):
        A.hermite_coefficients(A.leaky_relu(0.1), 5)


def test_hermite_gram_of_quadratic_is_exact():
    x = D.sphere(15, 4, seed=2)
    quad = A.get_activation("quadratic")
    g, tail = hermite_gram(x, quad, 6)
    rho = x @ x.T
    assert torch.allclose(g, quad.scale**2 * (rho + 4 * rho**2), atol=1e-12) and tail < 1e-10


def test_two_layer_net_gram_paths_agree():
    x = D.sphere_with_bias(12, 5, seed=0)
    for a in (-1.0, 0.0, 0.4):
        net = TwoLayerNet(5, 300, A.leaky_relu(a), seed=1)
        closed = net.gram(x)
        generic = ntk_gram_func(net, x)
        assert torch.allclose(closed, generic, atol=1e-12, rtol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="m=0"):
        TwoLayerNet(5, 0, A.leaky_relu(0), seed=0)
    with pytest.raises(ValueError, match="outer"):
        TwoLayerNet(5, 4, A.leaky_relu(0), seed=0, outer="zeros")
    with pytest.raises(ValueError, match="no parameter"):
        ntk_gram_func(net, x, params=["V"])


def test_closed_form_gradient_equals_autograd():
    x = D.sphere_with_bias(10, 5, seed=0)
    y = D.labels(x, 0)
    net = TwoLayerNet(5, 64, A.leaky_relu(-0.3), seed=1)
    loss, grad = net.loss_and_grad(x, y)
    auto = 0.5 * torch.sum((net(x) - y) ** 2)
    (g_auto,) = torch.autograd.grad(auto, [net.W])
    assert float(loss) == pytest.approx(float(auto.detach()), rel=1e-13)
    assert torch.allclose(grad, g_auto, atol=1e-13)


def test_finite_width_gram_is_unbiased_estimate_of_analytic():
    x = D.sphere_with_bias(10, 5, seed=0)
    h = leaky_gram(x, 0.2)
    est = torch.stack([TwoLayerNet(5, 4000, A.leaky_relu(0.2), seed=s).gram(x) for s in range(5)]).mean(0)
    assert float((est - h).abs().max()) < 0.02
    assert torch.allclose(h, kernel_matrix(x, B.H_tilde, alpha=0.2))
    with pytest.raises(ValueError, match="kind"):
        leaky_gram(x, 0.2, kind="second_layer")
    with pytest.raises(ValueError, match="no parameter"):
        kernel_matrix(x, B.H_tilde, alpha=0.2, beta=1)


def test_monte_carlo_kernels_at_rho_one_and_zero():
    mc = mc_dual_kernels(np.array([0.0, 1.0]), A.leaky_relu(-0.5), 200_000, seed=0)
    assert mc["kappa_dot"][1] == pytest.approx(1.0, abs=5 * mc["kappa_dot_se"][1] + 1e-12)
    c = B.c_alpha.evaluate(alpha=-0.5)
    assert mc["kappa_dot"][0] == pytest.approx(1 - c / 2, abs=5 * mc["kappa_dot_se"][0])
    with pytest.raises(ValueError, match="rho"):
        mc_dual_kernels(np.array([1.5]), A.leaky_relu(0), 10, 0)
    with pytest.raises(ValueError, match="samples"):
        mc_dual_kernels(np.array([0.5]), A.leaky_relu(0), 1, 0)


def test_gd_records_losses_and_detects_divergence():
    x = D.sphere_with_bias(20, 5, seed=0)
    y = D.labels(x, 0)
    net = TwoLayerNet(5, 200, A.leaky_relu(0.0), seed=0)
    tr = gradient_descent(net, x, y, eta=0.05, steps=200)
    assert tr.loss.shape == (201,) and tr.diverged_at is None and np.all(np.diff(tr.loss) <= 1e-12)
    assert log_slope(tr.loss, 100) < 0
    bad = TwoLayerNet(5, 200, A.leaky_relu(0.0), seed=0)
    tr_bad = gradient_descent(bad, x, y, eta=50.0, steps=400, check_every=50)
    assert tr_bad.diverged_at is not None and np.isnan(tr_bad.loss[-1])
    with pytest.raises(ValueError, match="eta"):
        gradient_descent(net, x, y, eta=-1.0, steps=3)
    with pytest.raises(ValueError, match="length 20"):
        gradient_descent(net, x, y[:5], eta=0.1, steps=3)
    with pytest.raises(ValueError, match="non-finite"):
        gradient_descent(net, x, y * float("nan"), eta=0.1, steps=3)


def test_predicted_residual_matches_linear_dynamics():
    x = D.sphere_with_bias(8, 5, seed=0)
    h = leaky_gram(x, 0.0)
    y = D.labels(x, 1)
    steps = np.array([0, 1, 5, 20])
    pred = predicted_residual(h, y, 0.05, steps)
    r = y.clone()
    direct = []
    for t in range(21):
        if t in steps:
            direct.append(float(torch.linalg.vector_norm(r)))
        r = r - 0.05 * h @ r
    assert np.allclose(pred, direct, rtol=1e-10)


def test_eigen_and_device_validation():
    assert lambda_min(torch.eye(3, dtype=torch.float64)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="square"):
        eigvalsh(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="non-finite"):
        eigvalsh(torch.full((2, 2), float("nan"), dtype=torch.float64))
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="'tpu'"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="columns"):
        two_layer_gram(D.sphere(4, 3, 0), torch.zeros(5, 2, dtype=torch.float64), A.leaky_relu(0))


def test_kernels_require_unit_norm_rows_and_training_matching_dtypes():
    x = D.sphere(6, 3, seed=0)
    with pytest.raises(ValueError, match=r"unit norm; row [0-9] has norm 2"):
        leaky_gram(2 * x, 0.0)
    net = TwoLayerNet(3, 8, A.leaky_relu(0.0), seed=0)
    with pytest.raises(TypeError, match="dtypes differ"):
        gradient_descent(net, x.float(), D.labels(x, 0).float(), eta=0.1, steps=2)


def test_smallest_eigenvalues_agree_with_eigvalsh_and_fall_back_when_singular():
    from empirical.eigen import smallest_eigenvalues

    x = D.sphere_with_bias(400, 6, seed=0)
    h = leaky_gram(x, 0.0)
    fast = smallest_eigenvalues(h, k=3, dense_below=100)
    assert np.allclose(fast, eigvalsh(h)[:3], rtol=1e-9, atol=1e-13)
    singular = torch.ones(200, 200, dtype=torch.float64)  # rank one: Cholesky fails, dense path answers
    assert np.allclose(smallest_eigenvalues(singular, k=2, dense_below=100), [0.0, 0.0], atol=1e-10)
    with pytest.raises(ValueError, match="k=0"):
        smallest_eigenvalues(h, k=0)
