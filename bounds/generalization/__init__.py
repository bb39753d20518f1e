"""Generalization slice of the symbolic layer: ADHLW complexity, Cao & Gu bounds, the trajectory schematic.

Modules: :mod:`~bounds.generalization.statements`, :mod:`~bounds.generalization.regime`
(docs/theory/generalization.md).
"""

from bounds.generalization import regime, statements  # noqa: F401  (submodules as attributes)
from bounds.generalization.statements import *  # noqa: F403

__all__ = [*statements.__all__]
