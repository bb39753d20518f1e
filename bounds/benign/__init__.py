"""Benign-overfitting slice of the symbolic layer (docs/theory/benign-overfitting.md), one module per paper:
:mod:`bounds.benign.kgmmn` (Karhadkar et al.), :mod:`bounds.benign.hashimoto` (H25 / H-lin and the derived
isotropic heuristic), :mod:`bounds.benign.frei` (FCB22); Φ and the regime predicate in ``_common``."""

from bounds.benign import frei, hashimoto, kgmmn
from bounds.benign._common import Phi, regime_status
from bounds.benign.frei import *  # noqa: F403
from bounds.benign.hashimoto import *  # noqa: F403
from bounds.benign.kgmmn import *  # noqa: F403

__all__ = ["Phi", "regime_status", *kgmmn.__all__, *hashimoto.__all__, *frei.__all__]
