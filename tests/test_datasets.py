"""The data registry (empirical/datasets.py): specs, the IDX search path, missing data → inconclusive with the hint.

Tiny IDX files are written here (4×4 images, 10 classes); one test reads the installed Debian package when present.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import empirical.datasets as D
from empirical.generalization.idx import write_idx

HINT = "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"


def _write_tiny(folder, n_train: int = 60, n_test: int = 40, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", rng.integers(1, 256, (n, 4, 4)).astype(np.uint8))
        write_idx(folder / f"{part}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))  # plain, not gzipped


@pytest.fixture
def no_data(monkeypatch):
    """No system location and an empty LEAKY_THEORY_DATA: nothing is installed."""
    monkeypatch.setattr(D, "SYSTEM_ROOTS", ())
    monkeypatch.delenv(D.ENV_VAR, raising=False)


@pytest.fixture
def tiny(tmp_path, no_data, monkeypatch):
    _write_tiny(tmp_path / "fashion-mnist")
    monkeypatch.setenv(D.ENV_VAR, str(tmp_path))  # a folder holding <name>/
    D._raw.cache_clear()
    yield tmp_path / "fashion-mnist"
    D._raw.cache_clear()


def spec(classes, n_train=20, n_test=None):
    return {"kind": "idx", "name": "fashion-mnist", "classes": classes, "n_train": n_train, "n_test": n_test}


@pytest.mark.parametrize(("bad", "match"), [
    ({"kind": "imagenet"}, "unknown dataset kind"), ({"kind": "idx", "name": "fashion-mnist"}, "lacks"),
    (spec([3, 3]), "classes"), (spec([0, 10]), "classes"), (spec([0, 1, 2]), "classes"),
    ({**spec([0, 1]), "name": "cifar"}, "unknown IDX dataset"), ("fashion-mnist", "must be a dict")])
def test_bad_specs_name_the_bad_value(bad, match):
    with pytest.raises(ValueError, match=match):
        D.validate_spec(bad)


def test_missing_dataset_gives_the_install_hint(no_data):
    assert D.find_idx("fashion-mnist") is None
    assert D.missing({"datasets": {"a": {"kind": "digits"}, "b": spec([0, 1])}}) == HINT
    assert D.missing({"kind": "teacher"}) is None
    with pytest.raises(D.DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        D.load_split(spec([0, 1]), 0)
    assert "MNIST not installed" in D.missing({"x": [{**spec([0, 1]), "name": "mnist"}]})


def test_search_path_order_and_both_folder_forms(tmp_path, no_data, monkeypatch):
    _write_tiny(tmp_path / "own")
    monkeypatch.setenv(D.ENV_VAR, str(tmp_path / "own"))  # the dataset's folder itself
    assert D.find_idx("fashion-mnist") == tmp_path / "own"
    monkeypatch.setattr(D, "SYSTEM_ROOTS", ("/nonexistent",))
    assert D.search_path("fashion-mnist")[-1].as_posix() == "/nonexistent/fashion-mnist"


def test_binary_and_one_vs_rest_splits(tiny):
    s = D.load_split(spec([2, 7], n_train=6, n_test=4), seed=3)
    assert s.x_train.shape == (6, 17) and s.x_test.shape == (4, 17) and s.x_train.dtype == torch.float64
    assert torch.allclose(s.x_train.norm(dim=1), torch.ones(6, dtype=torch.float64))
    assert torch.allclose(s.x_train[:, -1], torch.full((6,), 2 ** -0.5, dtype=torch.float64))
    assert sorted(s.y_train.tolist()) == [-1.0] * 3 + [1.0] * 3  # balanced
    again = D.load_split(spec([2, 7], n_train=6, n_test=4), seed=3)
    assert torch.equal(s.x_train, again.x_train) and torch.equal(s.y_test, again.y_test)
    rest = D.load_split(spec([5], n_train=10, n_test=None), seed=0)
    assert rest.n_test == 40 and float((rest.y_test == 1).sum()) == 4  # every test image: class 5 against the rest
    assert float((rest.y_train == 1).sum()) == 5
    with pytest.raises(ValueError, match="needs"):
        D.load_split(spec([2, 7], n_train=40), 0)


def test_every_consumer_accepts_a_spec(tiny):
    from empirical.deep.experiments import make_data
    from empirical.generalization.experiments import alpha_order_run, build_split

    assert build_split(spec([0, 1], n_train=8, n_test=6), 1).n_train == 8
    x, y = make_data(spec([0, 1]), 8, 17, seed=0)
    assert x.shape == (8, 17) and set(y.tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="d = 17"):
        make_data(spec([0, 1]), 8, 785, seed=0)
    p = {"spec": spec([0, 1], n_train=12, n_test=8), "alphas": [-1.0, 0.0], "width": 16, "early_epoch": 2,
         "late_epoch": 4, "test_every": 2}
    out = alpha_order_run(p, 0, "cpu")
    json.dumps(out)
    assert out["n"] == 12 and out["d"] == 17


def test_check_without_data_is_inconclusive_with_the_hint(no_data, tmp_path):
    from verification import get_check
    from verification.check import Verdict
    from verification.check_all import main
    from verification.runner import run_check

    for name in ("gll_fmnist_training", "fmnist_early_stopping"):
        res = run_check(get_check(name), figures_dir=tmp_path / "fig")
        assert res.verdict is Verdict.INCONCLUSIVE and HINT in res.decision.reason and res.units == 0
    assert main(["--only", "fmnist_early_stopping", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert HINT in report["checks"][0]["reason"]
    assert main(["--only", "fmnist_early_stopping", "--data-dir", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "o2")]) == 2


def test_data_dir_flag_reaches_the_registry(tmp_path, no_data, monkeypatch):
    from verification.check_all import DATA_ENV, _use_data_dirs

    assert DATA_ENV == D.ENV_VAR

    _write_tiny(tmp_path / "fashion-mnist")
    monkeypatch.setenv(D.ENV_VAR, "")  # restored after the test (the flag itself changes os.environ)
    _use_data_dirs([str(tmp_path)])
    assert D.find_idx("fashion-mnist") == tmp_path / "fashion-mnist"


@pytest.mark.skipif(D.find_idx("fashion-mnist") is None, reason=HINT)
def test_installed_fashion_mnist():
    s = D.load_split(spec([0, 9], n_train=20, n_test=10), seed=0)
    assert s.d == 785 and s.n_train == 20 and s.n_test == 10
    images, labels = D._raw(str(D.find_idx("fashion-mnist")), "t10k")
    assert images.shape == (10000, 784) and np.bincount(labels).tolist() == [1000] * 10
