"""Empirical layer: networks in each theorem's exact setting, data, trainers and Gram matrices.

Runs on the GPU when present (:func:`resolve_device`) and on the CPU otherwise; Gram matrices
and eigenvalues are always float64.

- two-layer nets (Du et al., Arora et al., PSG): :mod:`~empirical.networks`, :mod:`~empirical.train`,
  :mod:`~empirical.dynamics`;
- deep AZLS/GLL nets: :mod:`~empirical.deep`, :mod:`~empirical.deep_train`, :mod:`~empirical.deep_data`;
- generalization: :mod:`~empirical.datasets` (teachers, digits, IDX files), :mod:`~empirical.idx`,
  :mod:`~empirical.losses`, :mod:`~empirical.generalization`;
- benign overfitting: :mod:`~empirical.benign`;
- Gram/NTK matrices and spectra: :mod:`~empirical.gram`, :mod:`~empirical.eigen`.
"""

from . import (
    activations,
    benign,
    data,
    datasets,
    deep,
    deep_data,
    deep_train,
    dynamics,
    eigen,
    generalization,
    gram,
    idx,
    losses,
    networks,
    rates,
    train,
)
from .activations import Activation, get_activation, leaky_relu
from .deep import DeepLeakyNet
from .device import resolve_device
from .networks import TwoLayerNet

__all__ = [
    "Activation", "DeepLeakyNet", "TwoLayerNet", "activations", "benign", "data", "datasets", "deep", "deep_data",
    "deep_train", "dynamics", "eigen", "generalization", "get_activation", "gram", "idx", "leaky_relu", "losses",
    "networks", "rates", "resolve_device", "train",
]
