"""Full-batch GD steps per second: our trainers against a plain PyTorch training loop on the same network.

Baseline, per step: ``opt.zero_grad(); loss = ½‖f(X) − y‖²; loss.backward(); opt.step()`` with
``torch.optim.SGD(lr=η)`` and ``losses.append(loss.item())`` (the usual loop: autograd, an optimizer
and one host synchronisation per step). Ours: :func:`empirical.two_layer.train.gradient_descent` for the
two-layer net (closed-form gradient) and :func:`empirical.deep.train.train` for the deep net
(closed-form step written into W by the GEMMs); both record the loss of every step on the device and
synchronise only every ``check_every`` steps. Same initial weights, same step size, float64; the note
gives the relative difference of the final losses of the two runs.

Flops per deep step: 2ndm + 2Lnm² (forward) + 2(L−1)nm² (back-propagation) + 2Lnm² (weight gradients);
per two-layer step: 4ndm (the two GEMMs; the elementwise passes over the n×m activations dominate).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks.common import Row, device_sync, matmul_peak, parse_args, print_table
from empirical.activations import leaky_relu
from empirical.data import labels, sphere_with_bias
from empirical.deep.network import DeepLeakyNet
from empirical.deep.train import train
from empirical.two_layer.network import TwoLayerNet
from empirical.two_layer.train import gradient_descent


def plain_loop(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eta: float, steps: int) -> list[float]:
    """The baseline: autograd + optimizer.step(), loss.item() every step."""
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=eta)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = 0.5 * ((model(x) - y) ** 2).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _steps_per_s(fn, device: torch.device, steps: int, repeat: int = 2) -> tuple[float, object]:
    fn(max(steps // 10, 2))  # warm-up (allocator, kernels)
    best, out = float("inf"), None
    for _ in range(repeat):
        device_sync(device)
        t0 = time.perf_counter()
        out = fn(steps)
        device_sync(device)
        best = min(best, time.perf_counter() - t0)
    return steps / best, out


def run(device: torch.device, quick: bool = False) -> list[Row]:
    cuda = device.type == "cuda"
    steps = 400 if cuda else (10 if quick else 30)
    rows = []
    peak, _ = matmul_peak(device, torch.float64)

    # two-layer network (first layer trained, closed-form gradient)
    n, d, m = (256, 16, 1024) if quick else (1024, 32, 4096)
    x = sphere_with_bias(n, d, seed=0, device=device)
    y = labels(x, 0).to(device)
    act = leaky_relu(0.0)
    eta = 0.2 / n
    new = lambda: TwoLayerNet(d, m, act, seed=1, device=device)  # noqa: E731
    ours, tr = _steps_per_s(lambda s: gradient_descent(new(), x, y, eta, s), device, steps)
    base, bl = _steps_per_s(lambda s: plain_loop(new(), x, y, eta, s), device, steps)
    diff = abs(tr.loss[-2] - bl[-1]) / bl[-1]  # both: the loss before the last step
    rows.append(Row("train", f"two-layer GD, n={n}, d={d}, m={m}, float64", ours, base,
                    "plain loop: autograd + SGD.step + loss.item()", ours_unit="steps/s", higher_is_better=True,
                    gflops=None, note=f"final-loss rel. diff {diff:.1e}; {4 * n * d * m / 1e9:.3f} GFLOP/step"))

    # deep network (W_1..W_L trained)
    n, d, m, depth = (256, 16, 512, 3) if quick else (512, 16, 1024, 3)
    x = sphere_with_bias(n, d, seed=0, device=device)
    y = labels(x, 0).to(device)
    eta = 0.5 / n
    new = lambda: DeepLeakyNet(d, m, depth, 0.0, seed=1, device=device)  # noqa: E731
    ours, tr = _steps_per_s(lambda s: train(new(), x, y, eta, s), device, steps)
    base, bl = _steps_per_s(lambda s: plain_loop(new(), x, y, eta, s), device, steps)
    diff = abs(tr.loss[-2] - bl[-1]) / bl[-1]
    flops = (2 * n * d * m + 2 * depth * n * m * m + 2 * (depth - 1) * n * m * m + 2 * depth * n * m * m) / 1e9
    rows.append(Row("train", f"deep GD, n={n}, m={m}, L={depth}, float64", ours, base,
                    "plain loop: autograd + SGD.step + loss.item()", ours_unit="steps/s", higher_is_better=True,
                    gflops=flops, peak=peak, note=f"final-loss rel. diff {diff:.1e}; {flops:.2f} GFLOP/step"))
    return rows


if __name__ == "__main__":
    args = parse_args(__doc__.splitlines()[0])
    print_table(run(args.device, args.quick))
