"""The data registry: one dataset spec for every check that takes data, and where IDX files are found.

A *spec* is a JSON-able dict with a ``kind``:

* ``{"kind": "teacher", "teacher": "linear"|"relu"|"even", "d": .., "n_train": .., "n_test": ..}`` — synthetic;
* ``{"kind": "digits", "classes": [a, b], "n_train": .., "n_test": ..|None}`` — scikit-learn's bundled digits;
* ``{"kind": "idx", "name": "fashion-mnist"|"mnist", "classes": [a, b] or [c], "n_train": .., "n_test": ..|None}``
  — MNIST-format IDX files: two classes (binary, +1 for ``classes[0]``) or one class against the rest
  (one-vs-rest, +1 for ``c``); training examples from the ``train-*`` files, test examples from ``t10k-*``, each
  half +1 and half −1 (balanced, seeded). Inputs are put into the theory setting: z = u/‖u‖, x = (z/√2, 1/√2)
  (docs/theory/README.md N4, docs/theory/generalization.md §7), so d = 785.

IDX folders are searched in this order: the ``--data-dir`` folders of ``check_all`` (it prepends them to the
environment variable), the folders in ``LEAKY_THEORY_DATA`` (``os.pathsep``-separated; each may be the dataset's
folder itself or a folder holding ``<name>/``), then the Debian location ``/usr/share/datasets/<name>/`` (package
``dataset-fashion-mnist``). Nothing is downloaded. A missing dataset is :class:`DatasetUnavailable`, and
:func:`missing` gives the one-line reason a check reports as *inconclusive*.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from empirical.validation import check_positive_int, check_seed

__all__ = ["ENV_VAR", "IDX_DATASETS", "SYSTEM_ROOTS", "DatasetUnavailable", "IdxDataset", "find_idx", "idx_specs",
           "load_inputs", "load_split", "missing", "search_path", "validate_spec"]

ENV_VAR = "LEAKY_THEORY_DATA"
#: system-wide roots searched last (Debian's dataset packages install under /usr/share/datasets/<name>/)
SYSTEM_ROOTS: tuple[str, ...] = ("/usr/share/datasets",)
KINDS = ("teacher", "digits", "idx")
_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class IdxDataset:
    """A registered MNIST-format dataset: its folder name, title, class count and how to install it."""

    name: str
    title: str
    classes: int
    install: str

    def not_installed(self) -> str:
        return f"{self.title} not installed ({self.install})"


IDX_DATASETS: dict[str, IdxDataset] = {
    "fashion-mnist": IdxDataset("fashion-mnist", "Fashion-MNIST", 10, "apt-get install dataset-fashion-mnist"),
    "mnist": IdxDataset("mnist", "MNIST", 10, f"put the four *-ubyte[.gz] files in a folder named in {ENV_VAR} or "
                                              "--data-dir; Debian has no MNIST package"),
}


class DatasetUnavailable(FileNotFoundError):
    """A registered dataset's files are not on this machine (the message says how to install them)."""


def search_path(name: str) -> list[Path]:
    """The candidate folders for dataset ``name``, in search order (existing or not)."""
    entry = _entry(name)
    out: list[Path] = []
    for item in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if item:
            out += [Path(item), Path(item) / entry.name]
    return out + [Path(root) / entry.name for root in SYSTEM_ROOTS]


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and all((folder / f).is_file() or (folder / (f + ".gz")).is_file() for f in _FILES)


def find_idx(name: str) -> Path | None:
    """The first folder of :func:`search_path` holding all four IDX files of ``name`` (None if none does)."""
    return next((p for p in search_path(name) if _has_files(p)), None)


def _entry(name: str) -> IdxDataset:
    if name not in IDX_DATASETS:
        raise ValueError(f"unknown IDX dataset {name!r}; registered: {', '.join(IDX_DATASETS)}")
    return IDX_DATASETS[name]


def validate_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as a dict, checked: a known kind, its required keys, valid classes (a ValueError names the bad value)."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"a dataset spec must be a dict with a 'kind', got {spec!r}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; choose from {', '.join(KINDS)}")
    need = {"teacher": ("teacher", "d", "n_train", "n_test"), "digits": ("classes", "n_train"),
            "idx": ("name", "classes", "n_train")}[kind]
    absent = [k for k in need if k not in spec]
    if absent:
        raise ValueError(f"dataset spec of kind {kind!r} lacks {', '.join(absent)}: {dict(spec)!r}")
    if kind == "idx":
        entry = _entry(spec["name"])
        cl = spec["classes"]
        if (not isinstance(cl, Sequence) or len(cl) not in (1, 2) or len(set(cl)) != len(cl)
                or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < entry.classes for c in cl)):
            raise ValueError(f"classes={cl!r} must be one (one-vs-rest) or two different labels in 0..{entry.classes - 1}")
    return dict(spec)


def idx_specs(obj: Any) -> list[dict[str, Any]]:
    """Every dict with ``"kind": "idx"`` nested anywhere in ``obj`` (a check's parameters, say)."""
    if isinstance(obj, Mapping):
        own = [dict(obj)] if obj.get("kind") == "idx" else []
        return own + [s for v in obj.values() for s in idx_specs(v)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in idx_specs(v)]
    return []


def missing(obj: Any) -> str | None:
    """'<Title> not installed (<install hint>)' for the first IDX dataset named in ``obj`` that is not found."""
    for spec in idx_specs(obj):
        entry = IDX_DATASETS.get(spec.get("name"))
        if entry is not None and find_idx(entry.name) is None:
            return entry.not_installed()
    return None


@lru_cache(maxsize=4)
def _raw(folder: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, rows·cols) and int64 labels of ``part`` ("train" or "t10k"), read once per process."""
    from empirical.generalization.idx import IDXFormatError, read_idx

    base = Path(folder)
    paths = [next(p for p in (base / f, base / (f + ".gz")) if p.is_file())
             for f in (f"{part}-images-idx3-ubyte", f"{part}-labels-idx1-ubyte")]
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim < 2 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise IDXFormatError(f"{paths[0]} (shape {images.shape}) and {paths[1]} (shape {labels.shape}) do not pair")
    images = images.reshape(images.shape[0], -1)
    images.setflags(write=False)
    return images, labels.astype(np.int64)


def _balanced(labels: np.ndarray, classes: Sequence[int], n: int | None, seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Indices and ±1 labels: ⌈n/2⌉ of the positive side (classes[0]) and ⌊n/2⌋ of the negative side (classes[1],
    or every other class), seeded; n = None takes every example of the two sides."""
    pos = np.flatnonzero(labels == classes[0])
    neg = np.flatnonzero(labels == classes[1]) if len(classes) == 2 else np.flatnonzero(labels != classes[0])
    g = torch.Generator().manual_seed(check_seed(seed))
    if n is None:
        idx = np.concatenate([pos, neg])
    else:
        n = check_positive_int(n, "n", minimum=2)
        k_pos, k_neg = (n + 1) // 2, n // 2
        if k_pos > pos.size or k_neg > neg.size:
            raise ValueError(f"n={n} needs {k_pos} + {k_neg} examples, the file has {pos.size} + {neg.size}")
        idx = np.concatenate([pos[torch.randperm(pos.size, generator=g)[:k_pos].numpy()],
                              neg[torch.randperm(neg.size, generator=g)[:k_neg].numpy()]])
    idx = idx[torch.randperm(idx.size, generator=g).numpy()]  # interleave the classes
    return idx, np.where(labels[idx] == classes[0], 1.0, -1.0)


def _idx_part(spec: Mapping[str, Any], part: str, n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from empirical.generalization.datasets import images_to_inputs

    folder = find_idx(spec["name"])
    if folder is None:
        raise DatasetUnavailable(IDX_DATASETS[spec["name"]].not_installed())
    images, labels = _raw(str(folder), part)
    idx, y = _balanced(labels, spec["classes"], n, seed)
    return images_to_inputs(images[idx]), y


def load_inputs(spec: Mapping[str, Any], n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n training inputs (float64, unit norm, bias coordinate) and ±1 labels of an IDX spec (the deep checks' data)."""
    spec = validate_spec(spec)
    if spec["kind"] != "idx":
        raise ValueError(f"load_inputs reads IDX specs; got kind {spec['kind']!r}")
    x, y = _idx_part(spec, "train", n, seed)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def load_split(spec: Mapping[str, Any], seed: int) -> Any:
    """The :class:`~empirical.generalization.datasets.Split` a spec describes (its draw chosen by ``seed``)."""
    from empirical.generalization.datasets import Split, digits_split, teacher_split

    spec = validate_spec(spec)
    if spec["kind"] == "teacher":
        return teacher_split(spec["n_train"], spec["n_test"], spec["d"], seed, spec["teacher"])
    if spec["kind"] == "digits":
        return digits_split(tuple(spec["classes"]), spec["n_train"], spec.get("n_test"), seed)
    x_tr, y_tr = _idx_part(spec, "train", spec["n_train"], seed)
    x_te, y_te = _idx_part(spec, "t10k", spec.get("n_test"), seed + 7919)
    cl = spec["classes"]
    name = f"{spec['name']}{cl[0]}v{cl[1]}" if len(cl) == 2 else f"{spec['name']}{cl[0]}vrest"

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))

    return Split(t(x_tr), t(y_tr), t(x_te), t(y_te), name, {"classes": list(cl), "seed": seed, "dataset": spec["name"]})
