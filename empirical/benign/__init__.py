"""Benign overfitting of two-layer leaky-ReLU networks: data models, batched networks and trainers, the
max-margin solver, test-error/SNR metrics and batched experiment runners
(docs/theory/benign-overfitting.md)."""

from empirical.benign.data import HashimotoData, KarhadkarData, hashimoto_data, hashimoto_test, karhadkar_data
from empirical.benign.experiments import hashimoto_batch, kgmmn_batch
from empirical.benign.margin import MaxMarginResult, max_margin, max_margin_batch
from empirical.benign.metrics import (
    group_direction,
    hashimoto_errors,
    hashimoto_errors_at,
    kgmmn_linear_error,
    kgmmn_network_error,
    kgmmn_network_errors,
    log_normal_cdf,
    min_label_correlation,
    neuron_clustering,
    normal_cdf,
    snr_quantities,
)
from empirical.benign.network import forward, init_weights, leaky, leaky_grad, outer_weights
from empirical.benign.train import BenignTrace, margins, train_first_layer

__all__ = [
    "BenignTrace", "HashimotoData", "KarhadkarData", "MaxMarginResult", "forward", "group_direction",
    "hashimoto_batch", "hashimoto_data", "hashimoto_errors", "hashimoto_errors_at", "hashimoto_test", "init_weights",
    "karhadkar_data", "kgmmn_batch", "kgmmn_linear_error", "kgmmn_network_error", "kgmmn_network_errors", "leaky",
    "leaky_grad", "log_normal_cdf", "margins", "max_margin", "max_margin_batch", "min_label_correlation",
    "neuron_clustering", "normal_cdf", "outer_weights", "snr_quantities", "train_first_layer",
]
