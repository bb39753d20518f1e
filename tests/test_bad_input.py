"""Bad input is refused loudly: every public entry point names the value it rejects.

One parametrised table across the layers (symbolic, empirical, verification, CLI). Each case is a
callable, the exception type(s) it must raise and a fragment the message must contain (normally the
offending value), so a vague error such as a bare shape mismatch deep inside torch fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bounds as B
from empirical import activations as A
from empirical import data as D
from empirical.benign.margin import max_margin
from empirical.deep.network import DeepLeakyNet
from empirical.deep.ntk import deep_ntk_analytic, deep_ntk_layerwise
from empirical.deep.train import train as deep_train
from empirical.eigen import eigvalsh, smallest_eigenvalues
from empirical.gram import kernel_matrix, leaky_gram, mc_dual_kernels
from empirical.two_layer.network import TwoLayerNet
from empirical.two_layer.train import gradient_descent
from verification import get_check, run_check

X = D.sphere_with_bias(10, 5, seed=0)
Y = D.labels(X, 0)


def _two_layer() -> TwoLayerNet:
    return TwoLayerNet(5, 16, A.leaky_relu(0.0), seed=0)


def _deep() -> DeepLeakyNet:
    return DeepLeakyNet(5, 8, 2, 0.0, seed=0)


CASES = [
    # --- bounds: symbolic layer
    ("alpha NaN", lambda: B.c_alpha.evaluate(alpha=float("nan")), B.DomainError, "alpha=nan"),
    ("alpha +inf", lambda: B.c_alpha.evaluate(alpha=float("inf")), B.DomainError, "alpha=inf"),
    ("alpha complex", lambda: B.c_alpha.evaluate(alpha=1j), B.DomainError, "alpha=1j"),
    ("alpha of type str", lambda: B.c_alpha.evaluate(alpha="0.5"), B.DomainError, "alpha='0.5'"),
    ("alpha of type bool", lambda: B.c_alpha.evaluate(alpha=True), B.DomainError, "alpha=True"),
    ("m = 0 in a bound", lambda: B.du_gram_concentration.evaluate(C_du_conc=1, n=10, p_fail=0.1, m=0),
     B.DomainError, "m=0"),
    ("n not an integer", lambda: B.du_width.evaluate(C_du_width=1, n=2.5, lam=0.1, p_fail=0.1), B.DomainError, "n=2.5"),
    ("rho outside [-1, 1]", lambda: B.H_tilde.evaluate(alpha=0, rho=1.5), B.DomainError, "rho=1.5"),
    ("vectorised rho outside", lambda: B.H_tilde.numpy()(alpha=0.0, rho=np.array([0.1, -3.0])), B.DomainError, "rho=-3.0"),
    ("vectorised NaN", lambda: B.kappa.numpy()(alpha=np.nan, rho=0.1), B.DomainError, "nan"),
    ("unknown keyword", lambda: B.H_tilde.numpy()(alpha=0.0, rho=0.1, beta=2), TypeError, "'beta'"),
    ("unknown symbol name", lambda: B.H_tilde.evaluate(alpha=0, rhoo=0.1), KeyError, "'rhoo'"),
    ("unknown bound", lambda: B.get("c_beta"), KeyError, "'c_beta'"),
    ("Hermite J too small", lambda: B.hermite_tail_lower.evaluate(alpha=0, J=0, n=100, delta=0.3), B.DomainError, "J=0"),
    ("duplicate points (δ = 0)", lambda: B.hermite_truncation_index(10, 0.0), B.DomainError, "delta=0.0"),
    ("n < 2 for a separation bound", lambda: B.hermite_truncation_index(1, 0.3), B.DomainError, "n=1"),
    ("optimise over a reversed interval", lambda: B.c_alpha.optimize(B.alpha, (1, -1)), ValueError, "(1, -1)"),
    # --- empirical: data, activations, networks
    ("n = 0 points", lambda: D.sphere(0, 3, 0), ValueError, "n=0"),
    ("negative seed", lambda: D.sphere(4, 3, -1), ValueError, "seed=-1"),
    ("d_sub > d", lambda: D.subspace_sphere(5, 3, 4, 0), ValueError, "d_sub=4"),
    ("separation of one point", lambda: D.separation(D.sphere(1, 3, 0)), ValueError, "(1, 3)"),
    ("non-unit-norm data for a kernel", lambda: leaky_gram(2 * X, 0.0), ValueError, "unit norm"),
    ("non-unit-norm data for separation", lambda: D.separation(3 * X), ValueError, "unit norm"),
    ("leaky alpha NaN", lambda: A.leaky_relu(float("nan")), ValueError, "alpha=nan"),
    ("leaky alpha of type str", lambda: A.leaky_relu("0.1"), TypeError, "'0.1'"),
    ("unknown activation", lambda: A.get_activation("gelu"), ValueError, "'gelu'"),
    ("two-layer m = 0", lambda: TwoLayerNet(5, 0, A.leaky_relu(0.0), seed=0), ValueError, "m=0"),
    ("two-layer m negative", lambda: TwoLayerNet(5, -4, A.leaky_relu(0.0), seed=0), ValueError, "m=-4"),
    ("two-layer input of wrong width", lambda: _two_layer()(torch.zeros(3, 4, dtype=torch.float64)), ValueError,
     "(3, 4)"),
    ("deep m = 0", lambda: DeepLeakyNet(5, 0, 2, 0.0, seed=0), ValueError, "m=0"),
    ("deep L = 0", lambda: DeepLeakyNet(5, 8, 0, 0.0, seed=0), ValueError, "depth=0"),
    ("deep alpha NaN", lambda: DeepLeakyNet(5, 8, 2, float("nan"), seed=0), ValueError, "alpha=nan"),
    ("deep analytic NTK, L = 0", lambda: deep_ntk_analytic(X, 0.0, 0), ValueError, "depth=0"),
    ("deep analytic NTK, non-unit-norm data", lambda: deep_ntk_analytic(2 * X, 0.0, 2), ValueError, "unit norm"),
    ("deep training, mismatched dtypes", lambda: deep_train(_deep(), X.float(), Y.float(), 0.1, 3), TypeError,
     "torch.float32"),
    ("deep empirical NTK, wrong input width", lambda: deep_ntk_layerwise(_deep(), X[:, :4]), ValueError, "(10, 4)"),
    # --- Gram matrices, eigenvalues, training
    ("kernel parameter unknown", lambda: kernel_matrix(X, B.H_tilde, alpha=0.2, beta=1), ValueError, "beta"),
    ("kernel of a non-kernel bound", lambda: kernel_matrix(X, B.c_alpha, alpha=0.2), ValueError, "c_alpha"),
    ("non-square Gram", lambda: eigvalsh(torch.zeros(2, 3, dtype=torch.float64)), ValueError, "(2, 3)"),
    ("Gram with NaN", lambda: eigvalsh(torch.full((2, 2), float("nan"), dtype=torch.float64)), ValueError, "non-finite"),
    ("k = 0 eigenvalues", lambda: smallest_eigenvalues(torch.eye(3, dtype=torch.float64), k=0), ValueError, "k=0"),
    ("Monte Carlo rho outside", lambda: mc_dual_kernels(np.array([1.5]), A.leaky_relu(0.0), 10, 0), ValueError, "1.5"),
    ("labels of the wrong length", lambda: gradient_descent(_two_layer(), X, Y[:4], 0.1, 3), ValueError, "length 10"),
    ("negative step size", lambda: gradient_descent(_two_layer(), X, Y, -0.1, 3), ValueError, "eta=-0.1"),
    ("mismatched dtypes in training", lambda: gradient_descent(_two_layer(), X.float(), Y.float(), 0.1, 3), TypeError,
     "torch.float32"),
    ("deep training, labels of the wrong length", lambda: deep_train(_deep(), X, Y[:3], 0.1, 3), ValueError, "(3,)"),
    ("max-margin with a non-±1 label", lambda: max_margin(np.eye(2), np.array([1.0, 2.0])), ValueError, "y[1] = 2.0"),
    ("deep training, batch = 0", lambda: deep_train(_deep(), X, Y, 0.1, 3, batch=0), ValueError, "batch=0"),
    # --- verification layer
    ("unknown check name", lambda: get_check("no_such_check"), KeyError, "'no_such_check'"),
    ("unknown profile", lambda: run_check(get_check("kernel_monte_carlo"), profile="slow"), ValueError, "'slow'"),
    ("negative seed for a check", lambda: run_check(get_check("kernel_monte_carlo"), seeds=[-2]), ValueError, "-2"),
    ("unknown bound role", lambda: run_check(get_check("kernel_monte_carlo"), bounds={"kernel": B.c_alpha}), KeyError,
     "'kernel'"),
    ("unknown device", lambda: run_check(get_check("kernel_monte_carlo"), device="tpu"), ValueError, "'tpu'"),
]


@pytest.mark.parametrize(("call", "exc", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_message_naming_it(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30
