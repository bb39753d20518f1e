"""Empirical layer: networks in each theorem's exact setting, data, trainers and Gram matrices.

Runs on the GPU when present (:func:`resolve_device`) and on the CPU otherwise; Gram matrices
and eigenvalues are always float64.
"""

from . import activations, data, dynamics, eigen, gram, networks, rates, train
from .activations import Activation, get_activation, leaky_relu
from .device import resolve_device
from .networks import TwoLayerNet

__all__ = [
    "Activation", "TwoLayerNet", "activations", "data", "dynamics", "eigen", "get_activation", "gram",
    "leaky_relu", "networks", "rates", "resolve_device", "train",
]
