"""Deep slice: the AZLS/GLL network, its closed-form gradient, trainers, NTK and experiment runners.

Modules: :mod:`~empirical.deep.network`, :mod:`~empirical.deep.grad`, :mod:`~empirical.deep.train`,
:mod:`~empirical.deep.data`, :mod:`~empirical.deep.ntk` (with :mod:`~empirical.deep.ntk_fast` and
:mod:`~empirical.deep.ntk_analytic`), :mod:`~empirical.deep.experiments`.
"""

from empirical.deep import data, experiments, grad, network, ntk, ntk_analytic, ntk_fast, train
from empirical.deep.network import PARAMETERISATIONS, DeepLeakyNet

__all__ = ["PARAMETERISATIONS", "DeepLeakyNet", "data", "experiments", "grad", "network", "ntk", "ntk_analytic",
           "ntk_fast", "train"]
