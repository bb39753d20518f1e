"""Two-layer slice: the DZPS/ADHLW/PSG network, its GD trainer and the linearised dynamics.

Modules: :mod:`~empirical.two_layer.network`, :mod:`~empirical.two_layer.train`,
:mod:`~empirical.two_layer.dynamics`.
"""

from empirical.two_layer import dynamics, network, train
from empirical.two_layer.network import TwoLayerNet

__all__ = ["TwoLayerNet", "dynamics", "network", "train"]
