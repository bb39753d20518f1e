"""Benign-overfitting slice of the symbolic layer (docs/theory/benign-overfitting.md)."""

from bounds.benign import statements
from bounds.benign.statements import *  # noqa: F403

__all__ = [*statements.__all__]
