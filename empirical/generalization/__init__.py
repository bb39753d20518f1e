"""Generalization slice: train/test splits (teachers, digits, IDX files) and GD with per-epoch metrics.

Modules: :mod:`~empirical.generalization.datasets`, :mod:`~empirical.generalization.idx`,
:mod:`~empirical.generalization.train`.
"""

from empirical.generalization import datasets, idx, train

__all__ = ["datasets", "idx", "train"]
