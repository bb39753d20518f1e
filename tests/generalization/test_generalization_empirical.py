"""Tests of the generalisation empirical layer: IDX reader (incl. malformed files), splits, label noise,
losses, the symmetric two-layer net, the per-epoch GD trainer and yᵀH⁻¹y."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from empirical.generalization.datasets import (
    binary_task,
    digits_split,
    flip_labels,
    idx_split,
    images_to_inputs,
    nonlinear_label_fraction,
    split_indices,
    teacher_split,
)
from empirical.generalization.idx import IDXFormatError, load_idx_pair, load_mnist, read_idx, write_idx
from empirical.generalization.train import (
    label_quadratic_form,
    suggest_step,
    symmetric_two_layer,
    train_epochs,
)
from empirical.gram import two_layer_gram
from empirical.losses import get_loss, logistic_loss, squared_loss, zero_one_error


# ----------------------------------------------------------------------------- IDX files
def _images(n: int = 6, rows: int = 4, cols: int = 3) -> np.ndarray:
    return (np.arange(n * rows * cols, dtype=np.uint8) * 7 % 251).reshape(n, rows, cols)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip_every_type(tmp_path, dtype) -> None:
    arr = (np.arange(24) - 5).astype(dtype).reshape(2, 3, 4)
    path = write_idx(tmp_path / "a.idx", arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, arr)


def test_idx_header_bytes_are_big_endian(tmp_path) -> None:
    path = write_idx(tmp_path / "labels", np.array([3, 1, 4], dtype=np.uint8))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 1]) and raw[4:8] == (3).to_bytes(4, "big") and raw[8:] == bytes([3, 1, 4])
    path = write_idx(tmp_path / "i32", np.array([1, 256], dtype=np.int32))
    assert path.read_bytes()[8:] == (1).to_bytes(4, "big") + (256).to_bytes(4, "big")


def test_idx_gzip_detected_by_content(tmp_path) -> None:
    imgs = _images()
    gz = write_idx(tmp_path / "train-images-idx3-ubyte.gz", imgs)
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(gz), imgs)
    plain_named_gz = tmp_path / "x.gz"
    write_idx(plain_named_gz, imgs, compress=False)
    np.testing.assert_array_equal(read_idx(plain_named_gz), imgs)


@pytest.mark.parametrize(("blob", "match"), [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (bytes([1, 0, 8, 1]) + (2).to_bytes(4, "big") + b"\x01\x02", "bad magic"),
    (bytes([0, 5, 8, 1]) + (2).to_bytes(4, "big") + b"\x01\x02", "bad magic"),
    (bytes([0, 0, 0x07, 1]) + (2).to_bytes(4, "big") + b"\x01\x02", "unknown data type byte 0x07"),
    (bytes([0, 0, 8, 0]), "number of dimensions is 0"),
    (bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big"), "declares 3 dimensions"),
    (bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"\x01\x02", "truncated"),
    (bytes([0, 0, 0x0C, 1]) + (2).to_bytes(4, "big") + b"\x00" * 7, "truncated"),
    (bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"\x01\x02\x03", "trailing"),
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
])
def test_idx_malformed_files_raise_clear_errors(tmp_path, blob, match) -> None:
    path = tmp_path / "bad-idx"
    path.write_bytes(blob)
    with pytest.raises(IDXFormatError, match=match) as err:
        read_idx(path)
    assert "bad-idx" in str(err.value)  # the message names the file


def test_idx_missing_file_and_pairs(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        read_idx(tmp_path / "nope")
    imgs = write_idx(tmp_path / "imgs", _images(6))
    labs = write_idx(tmp_path / "labs", np.array([0, 1, 0, 1, 2, 1], dtype=np.uint8))
    x, y = load_idx_pair(imgs, labs)
    assert x.shape == (6, 12) and x.dtype == np.float64 and y.dtype == np.int64
    short = write_idx(tmp_path / "short", np.array([0, 1, 0], dtype=np.uint8))
    with pytest.raises(IDXFormatError, match=r"6 images but .* 3 labels"):
        load_idx_pair(imgs, short)
    two_d = write_idx(tmp_path / "labs2d", np.zeros((6, 2), dtype=np.uint8))
    with pytest.raises(IDXFormatError, match="labels must be 1-D"):
        load_idx_pair(imgs, two_d)
    flat = write_idx(tmp_path / "flat", np.zeros(6, dtype=np.uint8))
    with pytest.raises(IDXFormatError, match="≥ 2 dimensions"):
        load_idx_pair(flat, labs)
    float_labels = write_idx(tmp_path / "flab", np.zeros(6, dtype=np.float32))
    with pytest.raises(IDXFormatError, match="integers"):
        load_idx_pair(imgs, float_labels)


def test_load_mnist_standard_names_and_idx_split(tmp_path) -> None:
    rng = np.random.default_rng(0)
    imgs = rng.integers(1, 255, size=(40, 5, 5), dtype=np.uint8)
    labs = np.tile(np.arange(4, dtype=np.uint8), 10)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", imgs)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labs)
    x, y = load_mnist(tmp_path, "train")
    assert x.shape == (40, 25) and np.array_equal(y, labs)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, "test")
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, "valid")
    sp_ = idx_split(tmp_path / "train-images-idx3-ubyte.gz", tmp_path / "train-labels-idx1-ubyte", (1, 3),
                    n_train=12, n_test=6, seed=0)
    assert sp_.d == 26 and sp_.n_train == 12 and sp_.n_test == 6
    assert set(sp_.y_train.tolist()) == {1.0, -1.0}
    np.testing.assert_allclose(torch.linalg.vector_norm(sp_.x_train, dim=1).numpy(), 1.0, atol=1e-12)


# ----------------------------------------------------------------------------- preprocessing and splits
def test_images_to_inputs_n4() -> None:
    u = np.abs(np.random.default_rng(1).normal(size=(5, 8, 8)))
    x = images_to_inputs(u)
    assert x.shape == (5, 65)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(x[:, -1], 1 / math.sqrt(2))
    np.testing.assert_allclose(images_to_inputs(u, bias=False) / math.sqrt(2), x[:, :-1])
    with pytest.raises(ValueError, match="image 2 is all zeros"):
        images_to_inputs(np.concatenate([u[:2], np.zeros((1, 8, 8))]))


def test_binary_task_errors() -> None:
    idx, y = binary_task(np.array([0, 1, 2, 1, 0]), (1, 0))
    assert idx.tolist() == [0, 1, 3, 4] and y.tolist() == [-1.0, 1.0, 1.0, -1.0]
    with pytest.raises(ValueError, match=r"\[7\]"):
        binary_task(np.array([0, 1]), (0, 7))
    with pytest.raises(ValueError, match="two different"):
        binary_task(np.array([0, 1]), (1, 1))


@given(n_total=st.integers(4, 300), frac=st.floats(0.1, 0.8), seed=st.integers(0, 10_000))
def test_split_indices_disjoint_and_deterministic(n_total: int, frac: float, seed: int) -> None:
    n_train = max(1, int(frac * n_total))
    n_test = max(1, (n_total - n_train) // 2)
    strata = np.arange(n_total) % 2
    for s in (None, strata):
        tr, te = split_indices(n_total, n_train, n_test, seed, strata=s)
        assert len(tr) == n_train and len(te) == n_test
        assert not set(tr) & set(te) and len(set(tr)) == n_train
        tr2, te2 = split_indices(n_total, n_train, n_test, seed, strata=s)
        assert np.array_equal(tr, tr2) and np.array_equal(te, te2)
    tr, _ = split_indices(n_total, n_train, n_test, seed, strata=strata)
    assert abs(int(np.sum(strata[tr])) - n_train / 2) <= 1  # stratified: classes kept in proportion


def test_split_indices_refusals() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        split_indices(10, 8, 5, 0)
    with pytest.raises(ValueError, match="no examples left"):
        split_indices(10, 10, None, 0)
    with pytest.raises(TypeError, match="n_train"):
        split_indices(10, 2.5, None, 0)


def test_digits_split_offline() -> None:
    sp_ = digits_split((3, 8), n_train=100, n_test=None, seed=3)
    assert sp_.d == 65 and sp_.n_train == 100 and sp_.n_train + sp_.n_test == 357
    tr, te = set(sp_.info["train_index"]), set(sp_.info["test_index"])
    assert not tr & te and len(tr | te) == 357
    np.testing.assert_allclose(torch.linalg.vector_norm(sp_.x_test, dim=1).numpy(), 1.0, atol=1e-12)
    assert set(torch.unique(sp_.y_train).tolist()) == {-1.0, 1.0}
    assert abs(float(sp_.y_train.mean())) < 0.05  # stratified
    again = digits_split((3, 8), n_train=100, n_test=None, seed=3)
    assert torch.equal(again.x_train, sp_.x_train)
    assert not torch.equal(digits_split((3, 8), n_train=100, seed=4).x_train, sp_.x_train)


@pytest.mark.parametrize("teacher", ["linear", "relu", "even"])
def test_teacher_split(teacher: str) -> None:
    sp_ = teacher_split(60, 40, 6, seed=1, teacher=teacher)
    assert sp_.x_train.shape == (60, 6) and sp_.x_test.shape == (40, 6)
    np.testing.assert_allclose(torch.linalg.vector_norm(sp_.x_train, dim=1).numpy(), 1.0, atol=1e-12)
    assert set(torch.unique(sp_.y_train).tolist()) <= {-1.0, 1.0}
    with pytest.raises(ValueError, match="unknown teacher"):
        teacher_split(10, 10, 6, 0, "cubic")


def test_even_teacher_labels_lie_outside_the_span_of_x() -> None:
    even = teacher_split(400, 10, 6, seed=0, teacher="even")
    linear = teacher_split(400, 10, 6, seed=0, teacher="linear")
    assert nonlinear_label_fraction(even.x_train, even.y_train) > 0.9
    assert nonlinear_label_fraction(linear.x_train, linear.y_train) < 0.5


def test_nonlinear_label_fraction_limits() -> None:
    x = np.random.default_rng(0).normal(size=(30, 4))
    assert nonlinear_label_fraction(x, x @ np.array([1.0, -2.0, 0.5, 0.0])) < 1e-20
    q, _ = np.linalg.qr(np.hstack([x, np.random.default_rng(1).normal(size=(30, 1))]))
    assert math.isclose(nonlinear_label_fraction(x, q[:, -1]), 1.0, rel_tol=1e-10)


# ----------------------------------------------------------------------------- label noise
@given(n=st.integers(1, 500), p=st.floats(0.0, 1.0), seed=st.integers(0, 10_000))
def test_flip_labels_exact_count(n: int, p: float, seed: int) -> None:
    y = torch.where(torch.arange(n) % 3 == 0, 1.0, -1.0).double()
    noisy, idx = flip_labels(y, p, seed)
    k = math.floor(p * n + 0.5)
    assert len(idx) == k and len(set(idx.tolist())) == k
    changed = np.flatnonzero((noisy != y).numpy())
    assert changed.tolist() == idx.tolist()
    again, idx2 = flip_labels(y, p, seed)
    assert torch.equal(again, noisy) and np.array_equal(idx, idx2)


def test_flip_labels_refusals() -> None:
    y = torch.tensor([1.0, -1.0])
    for bad in (-0.1, 1.5, float("nan"), True):
        with pytest.raises(ValueError, match="p="):
            flip_labels(y, bad, 0)
    with pytest.raises(ValueError, match="±1"):
        flip_labels(torch.tensor([1.0, 0.5]), 0.5, 0)
    assert flip_labels(np.array([1.0, -1.0, 1.0, 1.0]), 0.5, 0)[0].tolist().count(-1.0) in (1, 3)


# ----------------------------------------------------------------------------- losses
def test_losses_values() -> None:
    f = torch.tensor([0.5, -2.0, 0.0, 3.0], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
    assert math.isclose(float(squared_loss(f, y)), 0.5 * (0.25 + 9 + 1 + 16), rel_tol=1e-15)
    assert math.isclose(float(squared_loss(f, y, "mean")), 0.5 * 26.25 / 4, rel_tol=1e-15)
    ref = sum(math.log1p(math.exp(-yi * fi)) for fi, yi in zip(f.tolist(), y.tolist(), strict=True))
    assert math.isclose(float(logistic_loss(f, y)), ref, rel_tol=1e-14)
    assert float(zero_one_error(f, y)) == (0 + 1 + 0.5 + 1) / 4  # a tie f = 0 counts ½
    big = torch.tensor([1000.0, -1000.0], dtype=torch.float64)
    assert math.isclose(float(logistic_loss(big, torch.tensor([-1.0, 1.0], dtype=torch.float64))), 2000.0)
    assert float(logistic_loss(big, torch.tensor([1.0, -1.0], dtype=torch.float64))) == 0.0
    assert get_loss("logistic") is logistic_loss
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("hinge")
    with pytest.raises(ValueError, match="same shape"):
        squared_loss(f, y[:3])
    with pytest.raises(ValueError, match="reduction"):
        logistic_loss(f, y, "max")


# ----------------------------------------------------------------------------- networks and training
def test_symmetric_net_is_zero_and_keeps_the_gram() -> None:
    net = symmetric_two_layer(5, 64, -0.5, seed=2)
    x = teacher_split(20, 5, 5, seed=0).x_train
    assert torch.all(net(x) == 0)
    half = net.W.detach()[0::2]
    np.testing.assert_allclose(net.gram(x).numpy(), two_layer_gram(x, half, net.activation).numpy(), atol=1e-13)
    with pytest.raises(ValueError, match="even"):
        symmetric_two_layer(5, 63, 0.0, seed=0)


def _reference_gd(split, alpha: float, eta: float, epochs: int, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Plain float64 full-batch GD written out by hand (no autograd): the trainer must agree."""
    net = symmetric_two_layer(split.d, 16, alpha, seed=5)
    w = net.W.detach().clone()
    a = net.a.clone()
    x, y = split.x_train, split.y_train
    scale = math.sqrt(2 / (1 + alpha**2))
    losses, errs = [], []
    for _ in range(epochs + 1):
        z = x @ w.T
        f = (scale * torch.where(z > 0, z, alpha * z)) @ a / math.sqrt(16)
        if loss == "squared":
            losses.append(float(0.5 * torch.sum((f - y) ** 2)) / len(y))
            r = f - y
        else:
            losses.append(float(torch.sum(torch.log1p(torch.exp(-y * f)))) / len(y))
            r = -y * torch.sigmoid(-y * f)
        errs.append(float(torch.mean((y * f < 0).double() + 0.5 * (f == 0).double())))
        dz = scale * torch.where(z > 0, torch.ones_like(z), torch.full_like(z, alpha))  # float64 throughout
        grad = ((r[:, None] * dz) * a[None, :]).T @ x / math.sqrt(16)
        w = w - eta * grad
    return np.asarray(losses), np.asarray(errs)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_train_epochs_matches_reference_float64(loss: str) -> None:
    sp_ = teacher_split(30, 20, 5, seed=4, teacher="relu")
    net = symmetric_two_layer(5, 16, -0.3, seed=5)
    eta = suggest_step(net, sp_.x_train)
    tr = train_epochs(net, sp_, eta, 25, loss=loss)
    ref_loss, ref_err = _reference_gd(sp_, -0.3, eta, 25, loss)
    np.testing.assert_allclose(tr.train_loss, ref_loss, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(tr.train_error, ref_err)
    start = 0.5 if loss == "squared" else math.log(2)  # f ≡ 0 at the symmetric initialisation
    assert math.isclose(tr.train_loss[0], start, rel_tol=1e-14) and math.isclose(tr.test_loss[0], start)
    assert tr.distance[0] == 0 and tr.path_length[0] == 0
    assert np.all(np.diff(tr.path_length) >= 0)
    assert np.all(tr.distance <= tr.path_length + 1e-12)  # straight line ≤ path
    assert tr.epochs == 25 and tr.diverged_at is None
    np.testing.assert_allclose(tr.gap("loss"), tr.test_loss - tr.train_loss)
    with pytest.raises(ValueError, match="gap kind"):
        tr.gap("margin")


def test_train_epochs_test_every_and_divergence() -> None:
    sp_ = teacher_split(30, 20, 5, seed=4)
    net = symmetric_two_layer(5, 16, 0.0, seed=5)
    tr = train_epochs(net, sp_, 0.01, 10, test_every=4)
    recorded = np.flatnonzero(np.isfinite(tr.test_error))
    assert recorded.tolist() == [0, 4, 8, 10] and np.all(np.isfinite(tr.train_loss))
    # η = 1e4 on ReLU: the loss explodes at epoch 1-2, then every unit dies and the loss returns to ½ before the
    # first check at epoch 10 — the blow-up must still be reported
    blown = train_epochs(symmetric_two_layer(5, 16, 0.0, seed=5), sp_, 1e4, 200, check_every=10)
    assert blown.diverged_at in (1, 2)
    assert np.all(np.isnan(blown.train_loss[blown.diverged_at:])) and blown.train_loss[0] == 0.5
    with pytest.raises(ValueError, match="eta"):
        train_epochs(net, sp_, -1.0, 3)
    with pytest.raises(ValueError, match="unknown loss"):
        train_epochs(net, sp_, 0.1, 3, loss="hinge")


# ----------------------------------------------------------------------------- yᵀH⁻¹y
@given(n=st.integers(2, 40), seed=st.integers(0, 1000))
def test_label_quadratic_form_equals_inverse_form(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    h = a @ a.T + n * np.eye(n)
    y = rng.choice([-1.0, 1.0], size=n)
    assert math.isclose(label_quadratic_form(h, y), float(y @ np.linalg.inv(h) @ y), rel_tol=1e-10)


def test_label_quadratic_form_refusals() -> None:
    h = np.eye(3)
    with pytest.raises(ValueError, match="square"):
        label_quadratic_form(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        label_quadratic_form(h, np.ones(2))
    with pytest.raises(ValueError, match="symmetric"):
        label_quadratic_form(np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(ValueError, match="positive definite"):
        label_quadratic_form(np.diag([1.0, -1.0]), np.ones(2))
    with pytest.raises(ValueError, match="singular"):
        label_quadratic_form(np.diag([1.0, 1e-20]), np.ones(2))
    with pytest.raises(ValueError, match="finite"):
        label_quadratic_form(np.diag([1.0, np.nan]), np.ones(2))


def test_experiment_runners_agree_with_the_reference_implementations() -> None:
    """nested_grams = two_layer_gram at widths M and M/2; the batched closed-form GD over noise levels and over α
    reproduces train_epochs (autograd) on the same nets; the lazy interpolant fits its training labels."""
    from empirical.activations import leaky_relu
    from empirical.generalization.experiments import (
        batched_alpha_gd,
        batched_squared_gd,
        lazy_interpolant,
        nested_grams,
    )
    from empirical.generalization.train import symmetric_two_layer, train_epochs
    from empirical.gram import two_layer_gram

    split = teacher_split(40, 30, 5, seed=3, teacher="even")
    x = split.x_train
    w = torch.randn(64, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    act = leaky_relu(-0.5)
    full, half = nested_grams(x, w, act)
    assert np.allclose(full, two_layer_gram(x, w, act).numpy(), atol=1e-13)
    assert np.allclose(half, two_layer_gram(x, w[:32], act).numpy(), atol=1e-13)
    nets = {a: symmetric_two_layer(5, 32, a, 1) for a in (-1.0, 0.5)}
    batched = batched_alpha_gd(nets, split, 0.05, 20, test_every=5)
    ys = torch.stack([split.y_train, -split.y_train])
    gd = batched_squared_gd(symmetric_two_layer(5, 32, 0.0, 1), x, ys, 0.05, 20)
    for a, net in nets.items():
        ref = train_epochs(net, split, 0.05, 20, loss="squared", test_every=5)
        assert np.allclose(batched[a]["train_loss"], ref.train_loss, rtol=1e-10)
        assert np.allclose(batched[a]["test_error"], ref.test_error, equal_nan=True, atol=1e-6)
    ref0 = train_epochs(symmetric_two_layer(5, 32, 0.0, 1), split, 0.05, 20, loss="squared")
    assert gd["train_loss"][0] == pytest.approx(ref0.train_loss[-1], rel=1e-10)
    lazy = lazy_interpolant(x, split.x_test, w, act, {"0": split.y_train.tolist()}, {"0": split.y_test}, split.y_test)
    assert lazy["0"]["train_residual"] < 1e-8 and 0 <= lazy["0"]["test_error_noisy"] <= 1
