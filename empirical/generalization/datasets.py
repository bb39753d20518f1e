"""Train/test splits for the generalisation experiments: synthetic teachers, scikit-learn's digits, IDX files.

Every split is a :class:`Split` of float64 inputs with unit norm and ±1 labels (binary tasks, the setting of
ADHLW and Cao & Gu). Real images are put into the theory setting as in the theory pages (docs/theory/README.md N4,
docs/theory/generalization.md §7): flatten u, z = u/‖u‖, x = (z/√2, 1/√2) — so d = 65 for digits and 785 for MNIST.

* :func:`teacher_split` — x = (z/√2, 1/√2) with z uniform on S^{d−2}; labels from a seeded teacher:
  ``linear`` sign(⟨v, z⟩), ``relu`` sign of a random ReLU net on x (centred at its median), ``even``
  sign(⟨v, z⟩² − median): a label with no linear part (docs/theory/generalization.md §2: such labels lie mostly in ker Xᵀ).
* :func:`digits_split` — two classes of :func:`sklearn.datasets.load_digits` (bundled, no download).
* :func:`idx_split` — two classes of MNIST/Fashion-MNIST from IDX files the user has (:mod:`empirical.generalization.idx`).
* :func:`flip_labels` — a label-noise fraction p: exactly ⌊p·n + ½⌋ labels flipped, chosen by a seed.

Splits draw disjoint index sets with a seeded permutation (stratified for real data, so both classes appear).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import torch

from empirical.activations import leaky_relu
from empirical.data import generator, sphere_with_bias
from empirical.validation import check_positive_int, check_seed

__all__ = [
    "TEACHERS",
    "Split",
    "binary_task",
    "digits_split",
    "flip_labels",
    "idx_split",
    "images_to_inputs",
    "nonlinear_label_fraction",
    "split_indices",
    "teacher_split",
]

TEACHERS = ("linear", "relu", "even")


@dataclass(frozen=True)
class Split:
    """A train/test split: float64 unit-norm inputs (rows) and ±1 labels, on the CPU."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])

    @property
    def d(self) -> int:
        return int(self.x_train.shape[1])

    def with_labels(self, y_train: torch.Tensor, y_test: torch.Tensor | None = None, **info: Any) -> Split:
        """The same inputs with other labels (e.g. noisy ones)."""
        if y_train.shape != self.y_train.shape:
            raise ValueError(f"y_train must have shape {tuple(self.y_train.shape)}, got {tuple(y_train.shape)}")
        y_te = self.y_test if y_test is None else y_test
        if y_te.shape != self.y_test.shape:
            raise ValueError(f"y_test must have shape {tuple(self.y_test.shape)}, got {tuple(y_te.shape)}")
        return Split(self.x_train, y_train, self.x_test, y_te, self.name, {**self.info, **info})


def images_to_inputs(u: np.ndarray, bias: bool = True) -> np.ndarray:
    """Flatten, normalise each row to unit norm and (with ``bias``) append the coordinate 1/√2 (docs/theory/README.md N4)."""
    arr = np.asarray(u, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"images must have shape (N, …) with N ≥ 1, got {arr.shape}")
    flat = arr.reshape(arr.shape[0], -1)
    if not np.all(np.isfinite(flat)):
        raise ValueError("images contain a non-finite value")
    norms = np.linalg.norm(flat, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"image {int(zero[0])} is all zeros and cannot be normalised")
    z = flat / norms[:, None]
    if not bias:
        return z
    return np.hstack([z / math.sqrt(2), np.full((flat.shape[0], 1), 1 / math.sqrt(2))])


def binary_task(labels: np.ndarray, classes: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the examples of the two ``classes`` and their ±1 labels (+1 for ``classes[0]``)."""
    lab = np.asarray(labels)
    if len(classes) != 2 or classes[0] == classes[1]:
        raise ValueError(f"classes must be two different labels, got {classes!r}")
    missing = [c for c in classes if not np.any(lab == c)]
    if missing:
        raise ValueError(f"class(es) {missing} do not occur in the labels (present: {sorted(set(lab.tolist()))})")
    idx = np.flatnonzero((lab == classes[0]) | (lab == classes[1]))
    return idx, np.where(lab[idx] == classes[0], 1.0, -1.0)


def split_indices(n_total: int, n_train: int, n_test: int | None, seed: int,
                  strata: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint train/test index arrays from a seeded permutation of range(n_total).

    ``n_test=None`` takes every remaining index. With ``strata`` (one label per index) both sets keep the
    class proportions up to rounding: the permutation is taken within each class and interleaved.
    """
    n_total = check_positive_int(n_total, "n_total", minimum=2)
    n_train = check_positive_int(n_train, "n_train")
    n_te = n_total - n_train if n_test is None else check_positive_int(n_test, "n_test")
    if n_train + n_te > n_total:
        raise ValueError(f"n_train={n_train} + n_test={n_te} exceeds the {n_total} available examples")
    if n_te < 1:
        raise ValueError(f"no examples left for the test set (n_train={n_train} of {n_total})")
    g = generator(check_seed(seed))
    if strata is None:
        perm = torch.randperm(n_total, generator=g).numpy()
    else:
        s = np.asarray(strata)
        if s.shape != (n_total,):
            raise ValueError(f"strata must have shape ({n_total},), got {s.shape}")
        groups = [np.flatnonzero(s == v) for v in np.unique(s)]
        shuffled = [grp[torch.randperm(grp.size, generator=g).numpy()] for grp in groups]
        keys = np.concatenate([(np.arange(grp.size) + 0.5) / grp.size for grp in shuffled])
        perm = np.concatenate(shuffled)[np.argsort(keys, kind="stable")]
    return perm[:n_train].copy(), perm[n_train:n_train + n_te].copy()


def flip_labels(y: torch.Tensor | np.ndarray, p: float, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """Flip exactly k = ⌊p·n + ½⌋ of the ±1 labels, chosen uniformly by ``seed``; returns (labels, flipped indices).

    p = 0.5 leaves labels that carry (almost) no information; p > 0.5 anti-correlates them.
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not (0.0 <= float(p) <= 1.0):
        raise ValueError(f"label-noise fraction p={p!r} must be a number in [0, 1]")
    t = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y).double().cpu()
    if t.ndim != 1 or not bool(torch.all((t == 1) | (t == -1))):
        raise ValueError("labels must be a 1-D array of ±1")
    n = t.shape[0]
    k = math.floor(float(p) * n + 0.5)
    idx = torch.randperm(n, generator=generator(check_seed(seed)))[:k].numpy()
    out = t.clone()
    out[idx] = -out[idx]
    return out, np.sort(idx)


def nonlinear_label_fraction(x: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray) -> float:
    """‖(I − P)y‖²/‖y‖² with P the projection onto the column span of X: the share of the labels in ker Xᵀ.

    On that share the first-layer Gram acts like (c_α/π)N (docs/theory/generalization.md §2), so it is where the
    c_α-ordering of training speed applies.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.ndim != 2 or ya.shape != (xa.shape[0],):
        raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {xa.shape} and {ya.shape}")
    coef, *_ = np.linalg.lstsq(xa, ya, rcond=None)
    resid = ya - xa @ coef
    return float(resid @ resid / (ya @ ya))


def _tensor_split(x: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, name: str,
                  info: dict[str, Any]) -> Split:
    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))

    return Split(t(x[tr]), t(y[tr]), t(x[te]), t(y[te]), name, {**info, "train_index": tr.tolist(),
                                                                  "test_index": te.tolist()})


def teacher_split(n_train: int, n_test: int, d: int, seed: int, teacher: str = "relu", width: int = 8) -> Split:
    """Synthetic data x = (z/√2, 1/√2), z uniform on S^{d−2}, with ±1 labels from a seeded ``teacher``."""
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    if teacher not in TEACHERS:
        raise ValueError(f"unknown teacher {teacher!r}; choose from {', '.join(TEACHERS)}")
    x = sphere_with_bias(n_train + n_test, d, seed).numpy()
    z = x[:, :-1] * math.sqrt(2)
    g = generator(seed + 104729)
    if teacher == "linear":
        v = torch.randn(d - 1, generator=g, dtype=torch.float64).numpy()
        score = z @ v
    elif teacher == "even":
        v = torch.randn(d - 1, generator=g, dtype=torch.float64).numpy()
        score = (z @ v / np.linalg.norm(v)) ** 2
    else:
        width = check_positive_int(width, "width")
        wt = torch.randn(width, d, generator=g, dtype=torch.float64).numpy()
        at = torch.randint(0, 2, (width,), generator=g).double().numpy() * 2 - 1
        score = leaky_relu(0.0).fn(torch.from_numpy(x @ wt.T)).numpy() @ at  # unnormalised ReLU σ_0
    score = score - np.median(score) if teacher != "linear" else score
    y = np.where(score > 0, 1.0, -1.0)
    tr, te = np.arange(n_train), np.arange(n_train, n_train + n_test)
    return _tensor_split(x, y, tr, te, f"teacher-{teacher}(d={d})", {"teacher": teacher, "seed": seed})


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a declared dependency
        raise ImportError("digits_split needs scikit-learn (pip install 'scikit-learn>=1.2')") from exc
    bunch = load_digits()
    data, target = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)
    data.setflags(write=False)
    target.setflags(write=False)
    return data, target


def digits_split(classes: tuple[int, int] = (3, 8), n_train: int = 150, n_test: int | None = None,
                 seed: int = 0) -> Split:
    """Two classes of scikit-learn's bundled 8×8 digits (1797 images, no download), unit-normalised with bias."""
    data, target = _digits()
    idx, y = binary_task(target, classes)
    x = images_to_inputs(data[idx])
    tr, te = split_indices(idx.size, n_train, n_test, seed, strata=y)
    return _tensor_split(x, y, tr, te, f"digits{classes[0]}v{classes[1]}",
                         {"classes": list(classes), "seed": seed, "source_index": idx.tolist()})


def idx_split(images_path: str | os.PathLike, labels_path: str | os.PathLike, classes: tuple[int, int],
              n_train: int, n_test: int | None = None, seed: int = 0) -> Split:
    """Two classes of an MNIST/Fashion-MNIST IDX pair the user already has, unit-normalised with bias."""
    from empirical.generalization.idx import load_idx_pair

    images, labels = load_idx_pair(images_path, labels_path)
    idx, y = binary_task(labels, classes)
    x = images_to_inputs(images[idx])
    tr, te = split_indices(idx.size, n_train, n_test, seed, strata=y)
    return _tensor_split(x, y, tr, te, f"idx{classes[0]}v{classes[1]}",
                         {"classes": list(classes), "seed": seed, "images": str(images_path)})
