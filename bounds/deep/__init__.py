"""Deep slice of the symbolic layer: the deep NTK recursion and the AZLS/GLL convergence bounds.

Modules: :mod:`~bounds.deep.kernels`, :mod:`~bounds.deep.convergence` (docs/theory/convergence.md).
"""

from bounds.deep import convergence, kernels
from bounds.deep.convergence import *  # noqa: F403
from bounds.deep.kernels import *  # noqa: F403

__all__ = [*kernels.__all__, *convergence.__all__]
