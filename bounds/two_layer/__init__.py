"""Two-layer slice of the symbolic layer: leaky-ReLU dual kernels, λ_min of the Gram, DZPS/ADHLW rates.

Modules: :mod:`~bounds.two_layer.kernels` (docs/theory/kernels.md), :mod:`~bounds.two_layer.gram_eigen`
(docs/theory/gram-eigenvalues.md), :mod:`~bounds.two_layer.convergence` (docs/theory/convergence.md).
"""

from bounds.two_layer import convergence, gram_eigen, kernels
from bounds.two_layer.convergence import *  # noqa: F403
from bounds.two_layer.gram_eigen import *  # noqa: F403
from bounds.two_layer.kernels import *  # noqa: F403

__all__ = [*kernels.__all__, *gram_eigen.__all__, *convergence.__all__]
