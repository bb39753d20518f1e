"""Gram (NTK) matrices: analytic infinite width, finite width, Monte Carlo."""

from empirical.gram.analytic import hermite_gram, kernel_matrix, leaky_gram
from empirical.gram.finite import ntk_gram_func, two_layer_gram
from empirical.gram.monte_carlo import mc_dual_kernels

__all__ = ["hermite_gram", "kernel_matrix", "leaky_gram", "mc_dual_kernels", "ntk_gram_func", "two_layer_gram"]
