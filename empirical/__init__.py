"""Empirical layer: networks in each theorem's exact setting, data, trainers and Gram matrices.

Runs on the GPU when present (:func:`resolve_device`) and on the CPU otherwise; Gram matrices
and eigenvalues are always float64.

- two-layer nets (Du et al., Arora et al., PSG): :mod:`~empirical.two_layer.network`, :mod:`~empirical.two_layer.train`,
  :mod:`~empirical.two_layer.dynamics`;
- deep AZLS/GLL nets: :mod:`~empirical.deep.network`, :mod:`~empirical.deep.train`, :mod:`~empirical.deep.data`;
- generalization: :mod:`~empirical.generalization.datasets` (teachers, digits, IDX files), :mod:`~empirical.generalization.idx`,
  :mod:`~empirical.losses`, :mod:`~empirical.generalization.train`;
- benign overfitting: :mod:`~empirical.benign`;
- Gram/NTK matrices and spectra: :mod:`~empirical.gram`, :mod:`~empirical.eigen`.
"""

from empirical import (
    activations,
    benign,
    data,
    deep,
    device,
    eigen,
    generalization,
    gram,
    losses,
    rates,
    two_layer,
    validation,
)
from empirical.activations import Activation, get_activation, leaky_relu
from empirical.deep.network import DeepLeakyNet
from empirical.device import resolve_device
from empirical.two_layer.network import TwoLayerNet

__all__ = [
    "Activation", "DeepLeakyNet", "TwoLayerNet", "activations", "benign", "data", "deep", "device", "eigen",
    "generalization", "get_activation", "gram", "leaky_relu", "losses", "rates", "resolve_device", "two_layer",
    "validation",
]
