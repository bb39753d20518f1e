"""Bad input is refused loudly: every public entry point names the value it rejects.

One parametrised table across the layers (symbolic, empirical, verification, CLI). Each case is a
callable, the exception type(s) it must raise and a fragment the message must contain (normally the
offending value), so a vague error such as a bare shape mismatch deep inside torch fails the test.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

import bounds as B
from empirical import activations as A
from empirical import data as D
from empirical import eigen as E
from empirical import losses as Lo
from empirical import rates as R
from empirical import validation as V
from empirical.benign.margin import max_margin
from empirical.deep.data import near_antipodal_sphere
from empirical.deep.network import DeepLeakyNet
from empirical.deep.ntk import deep_ntk_analytic, deep_ntk_layerwise
from empirical.deep.train import train as deep_train
from empirical.device import resolve_device
from empirical.eigen import eigvalsh, smallest_eigenvalues
from empirical.gram import hermite_gram, kernel_matrix, leaky_gram, mc_dual_kernels, ntk_gram_func, two_layer_gram
from empirical.gram.blocks import row_blocks
from empirical.two_layer.network import TwoLayerNet
from empirical.two_layer.train import gradient_descent
from verification import get_check, run_check
from verification.check_all import main as cli_main
from verification.overrides import OverrideError, validate_override

X = D.sphere_with_bias(10, 5, seed=0)
Y = D.labels(X, 0)


def _two_layer() -> TwoLayerNet:
    return TwoLayerNet(5, 16, A.leaky_relu(0.0), seed=0)


def _deep() -> DeepLeakyNet:
    return DeepLeakyNet(5, 8, 2, 0.0, seed=0)


class CliRefused(Exception):
    """The command line exited with status 2 and exactly one line on stderr (the message)."""


def _cli(*args: str, out: str | None = "/tmp/bad_input_cli") -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli_main([*args, *(["--out", out] if out is not None else [])])
    lines = err.getvalue().strip().splitlines()
    if rc == 2 and len(lines) == 1 and "Traceback" not in lines[0]:
        raise CliRefused(lines[0])
    raise AssertionError(f"exit {rc}, stderr {err.getvalue()!r}")


def _du(*sets: str) -> None:
    _cli("--only", "du_gd_bound", *[a for kv in sets for a in ("--set", kv)])


_W = torch.randn(16, 5, generator=D.generator(3), dtype=torch.float64)


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
    ("bound looked up by a list", lambda: B.get(["c_alpha"]), TypeError, "['c_alpha']"),
    ("register a non-Bound", lambda: B.register("c_alpha"), TypeError, "str"),
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
    # --- issue 12: the symbolic layer's checks hold in numpy()/torch()/optimize too
    ("numpy: negative step size", lambda: B.du_gd_loss_ratio.numpy()(eta=-1.0, lam=1.0, t=5), B.DomainError,
     "eta=-1.0 must be positive"),
    ("torch: negative step size", lambda: B.du_gd_loss_ratio.torch()(eta=-1.0, lam=1.0, t=5), B.DomainError,
     "eta=-1.0 must be positive"),
    ("numpy: m = 0", lambda: B.du_gram_concentration.numpy()(C_du_conc=1.0, m=0, n=10, p_fail=0.1), B.DomainError,
     "m=0 must be positive"),
    ("torch: m = 0", lambda: B.du_gram_concentration.torch()(C_du_conc=1.0, m=0, n=10, p_fail=0.1), B.DomainError,
     "m=0 must be positive"),
    ("numpy: n not an integer", lambda: B.du_gram_concentration.numpy()(C_du_conc=1.0, m=10, n=2.5, p_fail=0.1),
     B.DomainError, "n=2.5 must be an integer"),
    ("numpy: one bad entry of an array", lambda: B.du_gd_loss_ratio.numpy()(eta=np.array([0.1, 0.0]), lam=1.0, t=5),
     B.DomainError, "eta=0.0"),
    ("numpy: negative t", lambda: B.du_gd_loss_ratio.numpy()(eta=0.1, lam=1.0, t=-3), B.DomainError, "t=-3"),
    ("numpy: domain relation eta*lam < 2", lambda: B.du_gd_loss_ratio.numpy()(eta=3.0, lam=1.0, t=5), B.DomainError,
     "eta*lam < 2"),
    ("numpy: string argument", lambda: B.c_alpha.numpy()(alpha="0.5"), B.DomainError, "alpha must be real"),
    ("numpy: boolean array", lambda: B.c_alpha.numpy()(alpha=np.array([True])), B.DomainError, "dtype bool"),
    ("numpy: complex argument", lambda: B.c_alpha.numpy()(alpha=1j), B.DomainError, "complex"),
    ("torch: NaN tensor", lambda: B.H_tilde.torch()(alpha=torch.tensor(float("nan")), rho=0.1), B.DomainError, "nan"),
    ("torch: rho outside", lambda: B.H_tilde.torch()(alpha=0.0, rho=torch.tensor([0.5, 1.5])), B.DomainError,
     "rho=1.5"),
    ("numpy: too many positional arguments", lambda: B.c_alpha.numpy()(0.1, 0.2), TypeError, "takes 1"),
    ("numpy: argument given twice", lambda: B.H_tilde.numpy()(0.0, 0.1, rho=0.2), TypeError, "given twice"),
    ("numpy: missing argument", lambda: B.H_tilde.numpy()(alpha=0.0), TypeError, "rho"),
    ("optimize leaves the step-size domain", lambda: B.du_gd_loss_ratio.optimize(B.eta, (0.5, 10), "min", lam=1, t=5),
     B.DomainError, "Interval.open(0, 2)"),
    ("optimize rho over (-2, 2)", lambda: B.H_tilde.optimize(B.rho, (-2, 2), alpha=0), B.DomainError,
     "Interval(-1, 1)"),
    ("optimize a positive variable over negatives", lambda: B.du_gd_loss_ratio.optimize(B.eta, (-1, 0.5), lam=1, t=5),
     B.DomainError, "[-1.0, 0.5]"),
    ("optimize with a fixed value outside", lambda: B.H_tilde.optimize(B.alpha, (-1, 1), rho=2), B.DomainError,
     "rho=2"),
    ("optimize with NaN end point", lambda: B.c_alpha.optimize(B.alpha, (float("nan"), 1)), ValueError, "nan"),
    ("optimize unknown sense", lambda: B.c_alpha.optimize(B.alpha, (-1, 1), "maximum"), ValueError, "'maximum'"),
    ("optimize with an unfixed variable", lambda: B.H_tilde.optimize(B.alpha, (-1, 1)), ValueError, "fix rho"),
    ("check_values: NaN", lambda: B.H_tilde.check_values(alpha=float("nan")), B.DomainError, "nan"),
    ("check_values: unknown name", lambda: B.H_tilde.check_values(beta=1.0), KeyError, "'beta'"),
    ("check_values: a bound's other symbol", lambda: B.H_tilde.check_values(eta=1.0), TypeError, "'eta'"),
    ("evaluate: missing value", lambda: B.H_tilde.evaluate(alpha=0), ValueError, "rho"),
    ("evaluate: None", lambda: B.c_alpha.evaluate(alpha=None), B.DomainError, "alpha=None"),
    ("evaluate: negative lam", lambda: B.du_gd_loss_ratio.evaluate(eta=0.1, lam=-1, t=5, m=10, n=2, p_fail=0.1,
                                                                   C_du_width=1, C_du_step=1), B.DomainError, "lam=-1"),
    ("subs outside the domain", lambda: B.H_tilde.subs(rho=3), B.DomainError, "rho=3"),
    # --- issue 12: empirical entry points (data, Monte Carlo, Gram, eigen, rates, losses)
    ("Monte Carlo batch = 0 (used to hang)", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 100, 0,
                                                                      batch=0), ValueError, "batch=0"),
    ("Monte Carlo batch negative", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 100, 0, batch=-5),
     ValueError, "batch=-5"),
    ("Monte Carlo samples = 1", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 1, 0), ValueError,
     "samples=1"),
    ("Monte Carlo samples float", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 100.0, 0), TypeError,
     "samples"),
    ("Monte Carlo rho NaN", lambda: mc_dual_kernels(np.array([np.nan]), A.leaky_relu(0.0), 100, 0), ValueError, "nan"),
    ("Monte Carlo seed 2**64", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 100, 2**64), ValueError,
     "seed=18446744073709551616"),
    ("Monte Carlo on a missing GPU", lambda: mc_dual_kernels(np.array([0.1]), A.leaky_relu(0.0), 100, 0, device="cuda"),
     ValueError, "'cuda'"),
    ("Monte Carlo without an Activation", lambda: mc_dual_kernels(np.array([0.1]), torch.relu, 100, 0), TypeError,
     "Activation"),
    ("kernel alpha NaN (was all-NaN)", lambda: kernel_matrix(X, B.H_tilde, alpha=float("nan")), B.DomainError, "nan"),
    ("kernel alpha inf", lambda: kernel_matrix(X, B.H_tilde, alpha=float("inf")), B.DomainError, "inf"),
    ("kernel alpha string", lambda: kernel_matrix(X, B.H_tilde, alpha="0.1"), TypeError, "alpha='0.1'"),
    ("kernel of a non-Bound", lambda: kernel_matrix(X, lambda r: r, alpha=0.1), TypeError, "bounds.Bound"),
    ("leaky Gram alpha string", lambda: leaky_gram(X, "0.1"), TypeError, "'0.1'"),
    ("leaky Gram unknown kind", lambda: leaky_gram(X, 0.0, kind="second_layer"), ValueError, "'second_layer'"),
    ("kernel of integer data", lambda: leaky_gram(torch.ones(3, 2, dtype=torch.int64), 0.0), TypeError, "torch.int64"),
    ("sphere with an integer dtype (was zeros)", lambda: D.sphere(4, 3, 0, dtype=torch.int64), TypeError,
     "torch.int64"),
    ("sphere with a bool dtype", lambda: D.sphere(4, 3, 0, dtype=torch.bool), TypeError, "torch.bool"),
    ("sphere with a string dtype", lambda: D.sphere(4, 3, 0, dtype="float64"), TypeError, "'float64'"),
    ("sphere on a missing GPU", lambda: D.sphere(4, 3, 0, device="cuda"), ValueError, "'cuda'"),
    ("sphere on an unknown device", lambda: D.sphere(4, 3, 0, device="npu"), ValueError, "'npu'"),
    ("sphere seed 2**64", lambda: D.sphere(4, 3, 2**64), ValueError, "seed=18446744073709551616"),
    ("sphere seed 2**63", lambda: D.sphere(4, 3, 2**63), ValueError, "must be < 2**63"),
    ("sphere seed float", lambda: D.sphere(4, 3, 1.5), TypeError, "seed must be an integer"),
    ("sphere seed bool", lambda: D.sphere(4, 3, True), TypeError, "True"),
    ("sphere n float", lambda: D.sphere(4.0, 3, 0), TypeError, "n must be an integer"),
    ("sphere d = 1", lambda: D.sphere(4, 1, 0), ValueError, "d=1"),
    ("sphere with bias, d = 2", lambda: D.sphere_with_bias(4, 2, 0), ValueError, "d=2"),
    ("sphere with bias, integer dtype", lambda: D.sphere_with_bias(4, 3, 0, dtype=torch.int32), TypeError,
     "torch.int32"),
    ("subspace sphere, unknown spread", lambda: D.subspace_sphere(5, 4, 2, 0, spread="wide"), ValueError, "'wide'"),
    ("subspace sphere, even with d_sub = 3", lambda: D.subspace_sphere(5, 4, 3, 0, spread="even"), ValueError,
     "d_sub=3"),
    ("subspace sphere, complex dtype", lambda: D.subspace_sphere(5, 4, 2, 0, dtype=torch.complex128), TypeError,
     "complex128"),
    ("labels with seed -1", lambda: D.labels(X, -1), ValueError, "seed=-1"),
    ("labels with seed 2**63", lambda: D.labels(X, 2**63), ValueError, "seed=9223372036854775808"),
    ("labels of unknown kind", lambda: D.labels(X, 0, kind="noise"), ValueError, "'noise'"),
    ("labels of 1-D data", lambda: D.labels(X[0], 0), ValueError, "2-D"),
    ("labels of a list", lambda: D.labels([[1.0, 0.0]], 0), TypeError, "list"),
    ("separation of unknown kind", lambda: D.separation(X, kind="l1"), ValueError, "'l1'"),
    ("generator seed string", lambda: D.generator("0"), TypeError, "'0'"),
    ("two-layer Gram, wrong W width", lambda: two_layer_gram(X, _W[:, :4], A.leaky_relu(0.0)), ValueError, "(16, 4)"),
    ("two-layer Gram, integer W", lambda: two_layer_gram(X, _W.long(), A.leaky_relu(0.0)), TypeError, "torch.int64"),
    ("two-layer Gram, not an Activation", lambda: two_layer_gram(X, _W, "relu"), TypeError, "Activation"),
    ("empirical NTK, chunk = 0", lambda: ntk_gram_func(_two_layer(), X, chunk=0), ValueError, "chunk=0"),
    ("empirical NTK, float32 data, float64 model", lambda: ntk_gram_func(_two_layer(), X.float()), TypeError,
     "torch.float32"),
    ("empirical NTK, unknown parameter", lambda: ntk_gram_func(_two_layer(), X, params=["V"]), ValueError, "'V'"),
    ("Hermite Gram of a kinked activation", lambda: hermite_gram(X, A.leaky_relu(0.0), 10), ValueError, "kink"),
    ("Hermite Gram k_max = 0", lambda: hermite_gram(X, A.get_activation("tanh"), 0), ValueError, "k_max=0"),
    ("Hermite coefficients, too few nodes", lambda: A.hermite_coefficients(A.get_activation("tanh"), 10, nodes=3),
     ValueError, "nodes=3"),
    ("activation name not a string", lambda: A.get_activation(3), TypeError, "3"),
    ("relu with an alpha", lambda: A.get_activation("relu", alpha=0.1), ValueError, "alpha=0.1"),
    ("leaky without alpha", lambda: A.get_activation("leaky"), ValueError, "needs alpha"),
    ("leaky alpha complex", lambda: A.leaky_relu(1j), TypeError, "1j"),
    ("eigen: integer matrix", lambda: eigvalsh(torch.eye(3, dtype=torch.int64)), TypeError, "torch.int64"),
    ("eigen: 1-D input", lambda: E.lambda_min(torch.ones(3, dtype=torch.float64)), ValueError, "2-D"),
    ("eigen: k > n", lambda: smallest_eigenvalues(torch.eye(3, dtype=torch.float64), k=4), ValueError, "k=4"),
    ("eigen: negative tolerance", lambda: smallest_eigenvalues(torch.eye(3, dtype=torch.float64), tol=-1.0),
     ValueError, "tol=-1.0"),
    ("eigen: dense_below = 0", lambda: smallest_eigenvalues(torch.eye(3, dtype=torch.float64), dense_below=0),
     ValueError, "dense_below=0"),
    ("eigen: a list", lambda: eigvalsh([[1.0]]), TypeError, "list"),
    ("log-slope of a 2-D curve", lambda: R.log_slope(np.ones((3, 3)), 0), ValueError, "1-D"),
    ("log-slope window too short", lambda: R.log_slope(np.ones(5), 4), ValueError, "[4, 5)"),
    ("log-slope float start", lambda: R.log_slope(np.ones(5), 1.5), TypeError, "start=1.5"),
    ("log-slope non-positive loss", lambda: R.log_slope(np.array([1.0, 0.0, 1.0]), 0), ValueError, "positive"),
    ("spread of nothing", lambda: R.spread([]), ValueError, "at least one value"),
    ("loss: integer labels", lambda: Lo.squared_loss(torch.zeros(3), torch.zeros(3, dtype=torch.int64)), TypeError,
     "torch.int64"),
    ("loss: mismatched dtypes", lambda: Lo.logistic_loss(torch.zeros(3), torch.zeros(3, dtype=torch.float64)),
     TypeError, "dtypes differ"),
    ("loss: mismatched shapes", lambda: Lo.squared_loss(torch.zeros(3), torch.zeros(4)), ValueError, "(4,)"),
    ("loss: unknown reduction", lambda: Lo.squared_loss(torch.zeros(3), torch.zeros(3), "max"), ValueError, "'max'"),
    ("loss: numpy input", lambda: Lo.zero_one_error(np.zeros(3), torch.zeros(3)), TypeError, "ndarray"),
    ("loss: unknown name", lambda: Lo.get_loss("hinge"), ValueError, "'hinge'"),
    ("row blocks of size 0", lambda: row_blocks(10, 0), ValueError, "block=0"),
    ("row blocks of negative n", lambda: row_blocks(-1, 2), ValueError, "n=-1"),
    ("device: not a string", lambda: resolve_device(3), TypeError, "3"),
    ("device: cuda without CUDA", lambda: resolve_device("cuda"), ValueError, "'cuda'"),
    ("validation: dtype float", lambda: V.check_dtype(float), TypeError, "float"),
    ("validation: positive float zero", lambda: V.check_positive_float(0.0, "eta"), ValueError, "eta=0.0"),
    ("validation: mismatched devices named", lambda: V.check_same("X", X, "y", Y.to(torch.float32)), TypeError,
     "torch.float32"),
    # --- issue 12: --set values against the profile default (API of verification.overrides)
    ("override: NaN for a float", lambda: validate_override("eta", float("nan"), 0.03), OverrideError, "eta=nan"),
    ("override: object for a float", lambda: validate_override("eta", {"a": 1}, 0.03), OverrideError, "eta="),
    ("override: bool for an int", lambda: validate_override("steps", True, 100), OverrideError, "steps=true"),
    ("override: declared range", lambda: validate_override("alpha", 1.5, 0.0, {"alpha": (-1, 1)}), OverrideError,
     "[-1.0, 1.0]"),
    ("override: list element out of range", lambda: validate_override("alphas", [0.0, 2.0], [0.0], {"alphas": (-1, 1)}),
     OverrideError, "alphas[1]=2.0"),
    ("override: unknown nested key", lambda: validate_override("small_n", {"n": 3, "k": 1}, {"n": 30, "d": 60}),
     OverrideError, "'k'"),
    ("override: string for a bool", lambda: validate_override("flag", "yes", False), OverrideError, "flag=\"yes\""),
    # --- issue 12: command line, one line and exit 2 at parse time
    ("--set eta=-1", lambda: _du("eta=-1"), CliRefused, "eta=-1 must be > 0"),
    ("--set n=0", lambda: _du("n=0"), CliRefused, "n=0 must be > 0"),
    ("--set steps=-5", lambda: _du("steps=-5"), CliRefused, "steps=-5"),
    ("--set steps=0", lambda: _du("steps=0"), CliRefused, "steps=0"),
    ("--set steps=2.5", lambda: _du("steps=2.5"), CliRefused, "steps=2.5 must be an integer"),
    ("--set alphas=[]", lambda: _du("alphas=[]"), CliRefused, "alphas=[] must not be empty"),
    ("--set alphas with a string", lambda: _du('alphas=[0.0, "x"]'), CliRefused, 'alphas[1]="x"'),
    ("--set alphas=0.5 (not a list)", lambda: _du("alphas=0.5"), CliRefused, "must be a list"),
    ("--set eta=NaN", lambda: _du("eta=NaN"), CliRefused, "eta=nan must be finite"),
    ("--set eta=Infinity", lambda: _du("eta=Infinity"), CliRefused, "eta=inf must be finite"),
    ("--set eta to an object", lambda: _du('eta={"a": 1}'), CliRefused, "must be a number"),
    ("--set eta=true", lambda: _du("eta=true"), CliRefused, "eta=true"),
    ("--set eta=null", lambda: _du("eta=null"), CliRefused, "eta=null"),
    ("--set n=2**63", lambda: _du("n=9223372036854775808"), CliRefused, "2**63"),
    ("--set not JSON", lambda: _du("eta=fast"), CliRefused, "'fast' is not JSON"),
    ("--set without =", lambda: _du("eta"), CliRefused, "KEY=VALUE"),
    ("--set unknown key", lambda: _du("learning_rate=0.1"), CliRefused, "no selected check has such a parameter"),
    ("--set a nested config with a bad size", lambda: _cli("--only", "lambda_min_c_alpha", "--set",
                                                             'small_n={"n": 0, "d": 60}'), CliRefused, "small_n.n=0"),
    ("--set samples=1.5 for Monte Carlo", lambda: _cli("--only", "kernel_monte_carlo", "--set", "samples=1.5"),
     CliRefused, "samples=1.5"),
    ("--seeds 2**63", lambda: _cli("--only", "du_gd_bound", "--seeds", str(2**63)), CliRefused, "< 2**63"),
    ("--seeds 2**64", lambda: _cli("--only", "du_gd_bound", "--seeds", str(2**64)), CliRefused, "< 2**63"),
    ("--seeds not a number", lambda: _cli("--only", "du_gd_bound", "--seeds", "one"), CliRefused, "'one'"),
    ("--out empty", lambda: _cli("--only", "du_gd_bound", out=""), CliRefused, "empty string"),
    ("--out blank", lambda: _cli("--only", "du_gd_bound", out="   "), CliRefused, "empty string"),
    ("--out 300 characters", lambda: _cli("--only", "du_gd_bound", out="r" * 300), CliRefused, "File name too long"),
    ("--out with a NUL byte", lambda: _cli("--only", "du_gd_bound", out="a\0b"), CliRefused, "cannot be used"),
    ("--out under a file", lambda: _cli("--only", "du_gd_bound", out=__file__ + "/sub"), CliRefused, "cannot be used"),
    ("--out is a file", lambda: _cli("--only", "du_gd_bound", out=__file__), CliRefused, "not a directory"),
    ("--device cuda without CUDA", lambda: _cli("--only", "du_gd_bound", "--device", "cuda"), CliRefused, "'cuda'"),
    ("--profile unknown", lambda: _cli("--profile", "slow"), CliRefused, "'slow'"),
    # slice modules (cases the reliability review found outside the shared modules)
    ("deep net: float32 data into a float64 net",
     lambda: DeepLeakyNet(4, 8, 2, 0.0, 0)(torch.zeros(3, 4, dtype=torch.float32)), TypeError, "X is torch.float32"),
    ("deep net: cuda without CUDA", lambda: DeepLeakyNet(4, 8, 2, 0.0, 0, device="cuda") if not torch.cuda.is_available()
     else (_ for _ in ()).throw(ValueError("device 'cuda' (skipped: CUDA present)")), ValueError, "device 'cuda'"),
    ("deep net: integer dtype", lambda: DeepLeakyNet(4, 8, 2, 0.0, 0, dtype=torch.int64), TypeError, "dtype=torch.int64"),
    ("two-layer net: float32 data into a float64 net",
     lambda: TwoLayerNet(4, 8, A.leaky_relu(0.0), 0)(torch.zeros(3, 4, dtype=torch.float32)), TypeError,
     "X is torch.float32"),
    ("two-layer net: integer dtype", lambda: TwoLayerNet(4, 8, A.leaky_relu(0.0), 0, dtype=torch.int64), TypeError,
     "dtype=torch.int64"),
    ("two-layer GD: check_every=0", lambda: gradient_descent(TwoLayerNet(3, 8, A.leaky_relu(0.0), 0),
                                                             torch.eye(3, dtype=torch.float64),
                                                             torch.ones(3, dtype=torch.float64), 0.1, 5, check_every=0),
     ValueError, "check_every=0"),
    ("near-antipodal data: integer dtype", lambda: near_antipodal_sphere(4, 3, 0, dtype=torch.int64), TypeError,
     "dtype=torch.int64"),
]


@pytest.mark.parametrize(("call", "exc", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_message_naming_it(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_there_are_at_least_a_hundred_cases():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES), "case names must be distinct"
