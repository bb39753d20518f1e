"""Data models, networks, trainer, max-margin solver and metrics of empirical.benign (small sizes, float64)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy.optimize import minimize

import bounds as B
from empirical.benign import (
    forward,
    group_direction,
    hashimoto_batch,
    hashimoto_data,
    hashimoto_errors,
    hashimoto_errors_at,
    init_weights,
    karhadkar_data,
    kgmmn_batch,
    kgmmn_linear_error,
    kgmmn_network_error,
    kgmmn_network_errors,
    log_normal_cdf,
    margins,
    max_margin,
    min_label_correlation,
    normal_cdf,
    outer_weights,
    snr_quantities,
    train_first_layer,
)

F64 = torch.float64


# ------------------------------------------------------------------ KGMMN data
def test_karhadkar_shapes_exact_balanced_flips_and_orthogonal_noise():
    n, d, k, g = 40, 60, 6, 0.2
    data = karhadkar_data(n, d, k, g, [0, 1, 2])
    assert data.X.shape == (3, n, d) and data.y.shape == (3, n) and data.v.shape == (3, d)
    assert torch.equal(data.k, torch.tensor([k, k, k]))
    for b in range(3):
        yc, fl = data.y_clean[b], data.corrupted[b]
        assert int((yc > 0).sum()) == n // 2  # balanced clean classes
        assert int((fl & (yc > 0)).sum()) == k // 2 and int((fl & (yc < 0)).sum()) == k // 2
        assert torch.equal(data.y[b], torch.where(fl, -yc, yc))
        v = data.v[b]
        assert float(v.norm()) == pytest.approx(1.0, abs=1e-12)
        # ⟨x, v⟩ = √γ·y exactly, and the noise part is orthogonal to v
        assert torch.allclose(data.X[b] @ v, math.sqrt(g) * yc, atol=1e-12)
        noise = data.X[b] - math.sqrt(g) * yc[:, None] * v[None, :]
        assert float((noise @ v).abs().max()) < 1e-12


def test_karhadkar_noise_scale_and_odd_k():
    data = karhadkar_data(400, 200, 5, 0.3, [7])
    noise = data.X[0] - math.sqrt(0.3) * data.y_clean[0][:, None] * data.v[0][None, :]
    # E‖√(1−γ)·n_i‖² = (1−γ)(d−1)/d
    assert float((noise**2).sum(1).mean()) == pytest.approx(0.7 * 199 / 200, rel=0.02)
    assert int(data.corrupted.sum()) == 5
    flips_pos = int((data.corrupted[0] & (data.y_clean[0] > 0)).sum())
    assert flips_pos in (2, 3)


def test_karhadkar_per_member_parameters_and_common_random_numbers():
    data = karhadkar_data(20, 30, [0, 4], [0.1, 0.4], [3, 3])
    assert data.k.tolist() == [0, 4]
    assert torch.allclose(data.v[0], data.v[1])  # same seed ⇒ same signal (common random numbers)
    again = karhadkar_data(20, 30, [0, 4], [0.1, 0.4], [3, 3])
    assert torch.equal(data.X, again.X)


def test_karhadkar_bernoulli_and_unbalanced_modes():
    b = karhadkar_data(2000, 10, 0, 0.1, [1], corruption="bernoulli", p_corrupt=0.1)
    assert 0.08 < float(b.corrupted.double().mean()) < 0.12
    u = karhadkar_data(30, 10, 7, 0.1, [1], balanced=False)
    assert int(u.corrupted.sum()) == 7


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"gamma": 1.0}, "gamma"), ({"gamma": -0.1}, "gamma"), ({"k": 50}, "k=50"), ({"corruption": "x"}, "corruption"),
    ({"n": 0}, "n"), ({"seeds": []}, "seeds"),
])
def test_karhadkar_bad_inputs(kwargs, match):
    args = {"n": 20, "d": 10, "k": 2, "gamma": 0.1, "seeds": [0], **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        karhadkar_data(**args)


# ------------------------------------------------------------------ Hashimoto data
def test_hashimoto_mixture_moments_spikes_and_flips():
    data = hashimoto_data(4000, 20, 2.0, [0], spikes=3, spike=9.0, p_flip=0.1)
    x, y = data.X[0], data.y_clean[0]
    mean = (y[:, None] * x).mean(0)
    assert float(mean[0]) == pytest.approx(2.0, abs=0.1) and float(mean[1:].abs().max()) < 0.15
    z = x - y[:, None] * data.mu[0][None, :]
    var = z.var(0)
    assert float(var[:17].mean()) == pytest.approx(1.0, rel=0.05)
    assert float(var[17:].mean()) == pytest.approx(9.0, rel=0.08)
    assert 0.08 < float((data.y[0] != y).double().mean()) < 0.12


def test_hashimoto_student_t_has_unit_variance_and_heavy_tails():
    data = hashimoto_data(20000, 5, 0.5, [1], noise="student_t", df=5)
    z = (data.X[0] - data.y_clean[0][:, None] * data.mu[0][None, :]).flatten()
    assert float(z.var()) == pytest.approx(1.0, rel=0.06)
    kurt = float(((z - z.mean()) ** 4).mean() / z.var() ** 2)
    assert kurt > 4.0  # Student-t(5): excess kurtosis 6 (Gaussian: 3)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"noise": "cauchy"}, "noise"), ({"noise": "student_t", "df": 2}, "df"), ({"p_flip": 0.5}, "p_flip"),
    ({"spikes": 20}, "spikes"), ({"mu_norm": -1.0}, "mu_norm"),
])
def test_hashimoto_bad_inputs(kwargs, match):
    args = {"n": 10, "d": 20, "mu_norm": 1.0, "seeds": [0], **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        hashimoto_data(**args)


# ------------------------------------------------------------------ network and trainer
def test_outer_weights():
    assert outer_weights(4).tolist() == [-1.0, 1.0, -1.0, 1.0]  # (−1)^j, j = 1..2m
    assert outer_weights(4, "alternating_sqrt").tolist() == [-0.5, 0.5, -0.5, 0.5]
    assert outer_weights(3, "negative").tolist() == [-1.0, -1.0, -1.0]
    with pytest.raises(ValueError, match="scheme"):
        outer_weights(4, "random")


def test_forward_matches_definition_and_no_rescaling():
    g = torch.Generator().manual_seed(0)
    W, X = torch.randn(2, 4, 3, generator=g, dtype=F64), torch.randn(2, 5, 3, generator=g, dtype=F64)
    a, alpha = outer_weights(4), torch.tensor([0.1, 0.7], dtype=F64)
    out = forward(W, X, a, alpha)
    for b in range(2):
        z = X[b] @ W[b].T
        ref = (torch.maximum(z, alpha[b] * z) * a).sum(1)
        assert torch.allclose(out[b], ref, atol=1e-14)


def _autograd_step(W, X, y, a, alpha, eta, loss):
    Wt = W.clone().requires_grad_(True)
    u = y * forward(Wt, X, a, torch.full((W.shape[0],), alpha, dtype=F64))
    L = {"hinge": torch.clamp(1 - u, min=0), "exp": torch.exp(-u), "logistic": torch.nn.functional.softplus(-u)}[loss]
    L.sum().backward()
    return (W - eta * Wt.grad).detach()


@pytest.mark.parametrize("loss", ["hinge", "exp", "logistic"])
def test_one_step_equals_autograd_of_the_summed_loss(loss):
    data = karhadkar_data(12, 8, 2, 0.3, [0, 1])
    a = outer_weights(6)
    W0 = init_weights([0, 1], 6, 8, 0.3)
    tr = train_first_layer(data.X, data.y, W0, a, 0.2, 0.05, max_steps=1, loss=loss, stop_at_hinge=False)
    # after one step the trainer's W equals W0 − η∇L (subgradient 1 at z = 0 has measure zero here)
    ref = _autograd_step(W0, data.X, data.y, a, 0.2, 0.05, loss)
    assert torch.allclose(tr.W, ref, atol=1e-13)


def test_hinge_stop_zero_one_stop_and_padded_neurons():
    data = karhadkar_data(20, 40, 2, 0.2, [0, 1])
    a = torch.zeros(2, 8, dtype=F64)
    a[0, :8] = outer_weights(8)
    a[1, :4] = outer_weights(4)  # member 1: only 4 neurons, 4 padded
    W0 = init_weights([0, 1], 8, 40, 0.01)
    W0[1, 4:] = 0
    tr = train_first_layer(data.X, data.y, W0, a, 0.1, 1.0 / (4 * 20 * 2.0), max_steps=50_000)
    assert (tr.t_hinge > 0).all() and (tr.t_01 >= 0).all() and (tr.t_01 <= tr.t_hinge).all()
    assert float(margins(tr.W, data.X, data.y, a, 0.1).min()) >= 1.0 - 1e-9
    assert float(margins(tr.W_01, data.X, data.y, a, 0.1).min()) > 0.0
    assert float(tr.W[1, 4:].abs().max()) == 0.0  # padded neurons never move
    assert tr.point_updates.min() >= tr.t_hinge.min()


@pytest.mark.parametrize("loss", ["hinge", "exp"])
def test_gram_form_and_early_exit_are_the_weight_space_gd(loss):
    """The n×n-Gram form (W_t = W_0 + A_tᵀX) and dropping stopped members are the same GD, member by member:
    stopping steps and point updates equal, iterates equal to round-off, whatever the batch around a member."""
    data = karhadkar_data(16, 24, 2, 0.1, [0, 1, 2])
    a = outer_weights(6)
    alphas = torch.tensor([0.1, 0.5, 0.3], dtype=F64)
    W0 = init_weights([0, 1, 2], 6, 24, 0.01)
    eta = 1.0 / (3 * 16 * float(data.X.norm(dim=2).max()) ** 2)
    kw = {"max_steps": 4000, "loss": loss, "stop_at_hinge": loss == "hinge", "check_every": 7}
    if loss == "exp":
        kw.update(max_steps=300, snapshot_steps=(3, 50))
    ref = train_first_layer(data.X, data.y, W0, a, alphas, eta, form="weights", **kw)
    gram = train_first_layer(data.X, data.y, W0, a, alphas, eta, form="gram", **kw)
    alone = [train_first_layer(data.X[b:b + 1], data.y[b:b + 1], W0[b:b + 1], a, alphas[b:b + 1], eta, form="gram",
                               **kw) for b in range(3)]
    if loss == "hinge":
        assert len(set(ref.t_hinge.tolist())) == 3 and (ref.t_hinge > 0).all()  # members stop at different steps
    for b, tr in [(slice(None), gram)] + [(slice(i, i + 1), t) for i, t in enumerate(alone)]:
        np.testing.assert_array_equal(tr.t_hinge, ref.t_hinge[b])
        np.testing.assert_array_equal(tr.t_01, ref.t_01[b])
        np.testing.assert_array_equal(tr.point_updates, ref.point_updates[b])
        assert torch.allclose(tr.W, ref.W[b], rtol=1e-10, atol=1e-13)
        assert torch.allclose(tr.W_01, ref.W_01[b], rtol=1e-10, atol=1e-13)
        for s, W in ref.snapshots.items():
            assert torch.allclose(tr.snapshots[s], W[b], rtol=1e-10, atol=1e-13)
    assert gram.steps == ref.steps
    with pytest.raises(ValueError, match="form"):
        train_first_layer(data.X, data.y, W0, a, alphas, eta, max_steps=1, form="dual")


def test_divergence_is_reported_not_raised():
    data = hashimoto_data(10, 5, 3.0, [0])
    a = outer_weights(4)
    mu_hat = data.mu / data.mu.norm(dim=1, keepdim=True)
    W0 = -1e3 * torch.sign(a)[None, :, None] * mu_hat[:, None, :]  # every margin hugely negative
    tr = train_first_layer(data.X, data.y, W0, a, 0.1, 1.0, max_steps=200, loss="exp", stop_at_hinge=False,
                           check_every=10)
    assert 0 <= tr.diverged_at[0] <= 10  # exp(−u) overflows at once; reported, not raised


def test_trainer_bad_inputs():
    data = karhadkar_data(6, 4, 0, 0.2, [0])
    W0 = init_weights([0], 2, 4, 0.1)
    with pytest.raises(ValueError, match="loss"):
        train_first_layer(data.X, data.y, W0, outer_weights(2), 0.1, 0.1, 5, loss="mse")
    with pytest.raises(ValueError, match="±1"):
        train_first_layer(data.X, data.y * 2, W0, outer_weights(2), 0.1, 0.1, 5)
    with pytest.raises(ValueError, match="eta"):
        train_first_layer(data.X, data.y, W0, outer_weights(2), 0.1, -1.0, 5)


# ------------------------------------------------------------------ max-margin solver
def test_max_margin_known_orthogonal_case():
    s = np.array([0.5, 1.0, 2.0, 4.0])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    X = np.zeros((4, 6))
    X[np.arange(4), np.arange(4)] = s * y  # ŷ_i x_i = s_i e_i ⇒ w* = Σ_i e_i/s_i
    res = max_margin(X, y)
    ref = np.zeros(6)
    ref[:4] = 1 / s
    assert np.allclose(res.w, ref, atol=1e-12)
    assert res.norm == pytest.approx(math.sqrt(np.sum(1 / s**2)), rel=1e-12)
    assert res.min_margin == pytest.approx(1.0, abs=1e-12)
    assert res.duality_gap < 1e-10


def test_max_margin_agrees_with_slsqp_and_kkt():
    data = karhadkar_data(12, 5, 0, 0.5, [3])  # d < n, clean labels: separable by v, not every constraint active
    X, y = data.X[0].numpy(), data.y[0].numpy()
    res = max_margin(X, y)
    G = y[:, None] * X
    sl = minimize(lambda w: 0.5 * w @ w, np.zeros(5), jac=lambda w: w, method="SLSQP",
                  constraints=[{"type": "ineq", "fun": lambda w: G @ w - 1, "jac": lambda w: G}],
                  options={"ftol": 1e-14, "maxiter": 500})
    assert sl.success
    assert res.norm == pytest.approx(float(np.linalg.norm(sl.x)), rel=1e-6)
    assert np.all(res.dual >= 0) and res.min_margin == pytest.approx(1.0, abs=1e-9)
    active = G @ res.w < 1 + 1e-8
    assert np.all(res.dual[~active] == 0)
    assert np.allclose(G.T @ res.dual, res.w, atol=1e-10)  # stationarity: w* = Σ λ_i ŷ_i x_i


def test_max_margin_refuses_non_separable_data():
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="separable"):
        max_margin(X, np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="±1"):
        max_margin(X, np.array([1.0, 0.0]))


# ------------------------------------------------------------------ stable Φ and errors
@pytest.mark.parametrize("x", [-5.0, -10.0, -20.0, -37.0, -40.0, -100.0])
def test_log_normal_cdf_far_tail(x):
    ref = float(mpmath.log(mpmath.ncdf(x)))
    assert float(log_normal_cdf(x)) == pytest.approx(ref, rel=1e-12)
    assert float(log_normal_cdf(torch.tensor(x, dtype=F64))) == pytest.approx(ref, rel=1e-12)
    if x > -37:
        assert float(normal_cdf(x)) == pytest.approx(float(mpmath.ncdf(x)), rel=1e-12)
        assert float(normal_cdf(torch.tensor(x, dtype=F64))) == pytest.approx(float(mpmath.ncdf(x)), rel=1e-10)
    assert 0.5 * (1 + math.erf(x / math.sqrt(2))) == 0.0 or x > -9  # the naive form underflows


def test_kgmmn_linear_error_exact_vs_sampling_and_bound():
    data = karhadkar_data(50, 100, 4, 0.1, [5])
    w = max_margin(data.X[0], data.y[0]).w
    ex = kgmmn_linear_error(w[None], data.v, data.gamma)
    test = karhadkar_data(40_000, 100, 0, 0.1, [5])  # same seed ⇒ same v
    assert torch.allclose(test.v, data.v)
    mc = float(((test.y_clean[0] * (test.X[0] @ torch.from_numpy(w))) <= 0).double().mean())
    assert mc == pytest.approx(float(ex["err"][0]), abs=4 * math.sqrt(ex["err"][0] / 40_000) + 1e-4)
    bound = float(B.kgmmn_linear_error.evaluate(gamma_sig=0.1, d=100, a_v=float(ex["a_v"][0]),
                                                z_norm=float(ex["z_norm"][0])))
    assert bound == pytest.approx(float(ex["err"][0]), rel=1e-10)
    assert float(ex["log_err"][0]) == pytest.approx(math.log(ex["err"][0]), rel=1e-10)


def test_network_error_for_linear_activation_equals_exact_linear_error():
    data = karhadkar_data(30, 60, 3, 0.1, [2])
    W = init_weights([2], 6, 60, 0.3) + 0.05 * data.v[:, None, :]
    a = outer_weights(6)
    w_eff = torch.einsum("m,bmd->bd", a, W)  # α = 1: f(x) = ⟨Σ a_j w_j, x⟩
    ex = kgmmn_linear_error(w_eff, data.v, data.gamma)
    mc = kgmmn_network_error(W, data.v, a, 1.0, data.gamma, 100_000, 9)
    assert float(mc["err"][0]) == pytest.approx(float(ex["err"][0]), abs=4 * float(mc["se"][0]) + 1e-4)


def test_shared_test_draws_give_exactly_the_separate_results():
    """One noise draw shared by several weight sets (two stopping times, several snapshots, members of one seed)
    must reproduce separate calls bit for bit: the shared draw is a saving, not an approximation."""
    data = karhadkar_data(20, 40, 2, 0.1, [3, 4])
    W1 = init_weights([3, 4], 6, 40, 0.3) + 0.05 * data.v[:, None, :]
    W2 = W1 + 0.02 * init_weights([7, 8], 6, 40, 1.0)
    a = torch.stack([outer_weights(6), torch.cat([outer_weights(4), torch.zeros(2, dtype=F64)])])
    alpha = torch.tensor([0.1, 0.5], dtype=F64)
    both = kgmmn_network_errors([W1, W2], data.v, a, alpha, data.gamma, 3000, [11, 12], d=[40, 30])
    for W, got in zip((W1, W2), both, strict=True):
        one = kgmmn_network_error(W, data.v, a, alpha, data.gamma, 3000, [11, 12], d=[40, 30])
        assert all(np.array_equal(got[k], one[k]) for k in one)
    aa = outer_weights(6, "alternating_sqrt")
    for noise in ("gaussian", "student_t"):
        cache: dict = {}
        for mu2 in (1.0, 4.0):  # same seed, different μ: the second call reuses the first one's draws
            hd = hashimoto_data(20, 30, math.sqrt(mu2), [5], noise=noise, spikes=2, spike=3.0)
            Ws = [init_weights([5], 6, 30, s) for s in (0.5, 1.0)]
            shared = hashimoto_errors_at(Ws, aa, 0.1, hd, 2000, 9, draws=cache)
            for W, got in zip(Ws, shared, strict=True):
                one = hashimoto_errors(W, aa, 0.1, hd, 2000, 9)
                assert set(got) == set(one) and all(np.array_equal(got[k], one[k]) for k in one)
        assert len(cache) == 1


def test_snr_identity_and_network_values():
    data = karhadkar_data(10, 30, 1, 0.2, [4])
    W = init_weights([4], 8, 30, 1.0)
    alpha = 0.3
    q = snr_quantities(W, data.v, outer_weights(8), alpha)
    assert q["A_lin"][0] == pytest.approx((q["A_1"][0] + q["A_minus1"][0]) / (1 + alpha), rel=1e-12)
    a = outer_weights(8)
    assert q["A_1"][0] == pytest.approx(float(forward(W, data.v[:, None, :], a, torch.tensor([alpha], dtype=F64))),
                                        rel=1e-12)
    assert q["A_min"][0] == min(q["A_1"][0], q["A_minus1"][0])


def test_hashimoto_errors_linear_boundary_and_agreement():
    data = hashimoto_data(20, 30, 2.0, [0, 1])
    g = torch.Generator().manual_seed(1)
    base = torch.randn(2, 2, 30, generator=g, dtype=F64)
    W = torch.cat([base[:, :1].expand(2, 3, 30), base[:, 1:].expand(2, 3, 30)], 1)  # groups of identical neurons
    a = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0], dtype=F64) / math.sqrt(6)
    out = hashimoto_errors(W, a, 0.1, data, 20_000, 3)
    assert np.all(out["agree"] == 1.0)  # identical neurons per group ⇒ the boundary is exactly linear
    assert np.allclose(out["lin_err_mc"], out["lin_err"], atol=4 * np.sqrt(out["lin_err"] / 20_000) + 1e-3)
    wbar = group_direction(W, a)
    assert torch.allclose(wbar, base[:, 0] - base[:, 1])


def test_min_label_correlation_brute_force():
    data = hashimoto_data(7, 5, 1.0, [2])
    G = (data.y[0][:, None] * data.X[0]).numpy()
    ref = min(G[i] @ G[j] for i in range(7) for j in range(7) if i != j)
    assert min_label_correlation(data.X, data.y)[0] == pytest.approx(ref, rel=1e-12)


# ------------------------------------------------------------------ batched runners
def test_kgmmn_batch_padding_is_exact():
    mem = [{"d": 30, "k": 2, "gamma": 0.2, "alpha": 0.2, "m": 4, "seed": 0},
           {"d": 60, "k": 2, "gamma": 0.2, "alpha": 0.5, "m": 8, "seed": 1}]
    both = kgmmn_batch(mem, 20, dtype=F64, n_test=2000)
    alone = kgmmn_batch(mem[:1], 20, dtype=F64, n_test=2000)
    assert both[0]["T"] == alone[0]["T"] and both[0]["T01"] == alone[0]["T01"]
    assert both[0]["W_fro"] == pytest.approx(alone[0]["W_fro"], rel=1e-10)
    assert both[0]["err"] == alone[0]["err"]  # per-member Monte-Carlo seeds
    r = both[1]
    assert r["min_margin_final"] >= 1 - 1e-9 and r["wstar_min_margin"] == pytest.approx(1, abs=1e-9)
    assert r["eta"] == pytest.approx(1 / (r["m"] * 20 * r["max_x_norm"] ** 2))  # Assumption 1 at its limit
    assert r["init_row_norm"] <= math.sqrt(r["alpha"]) / (r["m"] * r["min_x_norm"])


def test_hashimoto_batch_smoke():
    out = hashimoto_batch([{"mu2": 4.0, "seed": 0}, {"mu2": 1.0, "seed": 1, "noise": "student_t"}], 10, 30,
                          steps=(50, 100), n_test=500)
    assert set(out[0]["by_step"]) == {"50", "100"}
    assert "lin_err" in out[0]["by_step"]["100"] and "lin_err" not in out[1]["by_step"]["100"]
    assert out[0]["t01"] >= 0 and out[0]["trace_sigma"] == 30.0


def test_network_sigma_is_the_activations_module_one() -> None:
    """empirical.benign.network's σ_α and σ'_α are empirical.activations.leaky_plain(_grad) (one implementation)."""
    from empirical.activations import leaky_plain, leaky_plain_grad
    from empirical.benign.network import leaky, leaky_grad

    z = torch.tensor([[[-2.0, 0.0, 3.0]]], dtype=torch.float64)
    al = torch.tensor([0.1], dtype=torch.float64).reshape(-1, 1, 1)
    assert torch.equal(leaky(z, al), leaky_plain(z, al))
    assert torch.equal(leaky(z, al), torch.tensor([[[-0.2, 0.0, 3.0]]], dtype=torch.float64))
    assert torch.equal(leaky_grad(z, al), torch.tensor([[[0.1, 1.0, 1.0]]], dtype=torch.float64))
    assert torch.equal(leaky_grad(z, al), leaky_plain_grad(z, al))
