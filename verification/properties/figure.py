"""The figure of docs/properties.md: where α = −1 stops being the fastest (``python -m verification.properties.figure
OUT.png``).

For the deep_alpha_factor property it measures three configurations — one inside the GLL domain and the minimal
counterexamples of two ``--outside`` findings (near-antipodal data; depth L = 4) — and draws λ_min of the deep NTK
and the GD late-phase rate per α (mean over the property's seeds) against c_α = (1−α)²/(1+α²)
(docs/theory/convergence.md §6.3).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from verification.properties import get_property

#: (label, configuration): inside the domain, then the two minimal findings of `falsify --outside --seed 0`
CONFIGS = (("inside: bias data, L = 2, m = 64", {"data": "bias", "depth": 2, "m": 64, "d": 8}),
           ("finding: near-antipodal data, L = 2", {"data": "antipodal", "depth": 2, "m": 64, "d": 8}),
           ("finding: depth L = 4, m = 128", {"data": "bias", "depth": 4, "m": 128, "d": 8}))


def per_alpha(config: dict) -> tuple[list[float], np.ndarray, np.ndarray]:
    """(α grid, λ_min per α, GD late rate per α), means over the property's seeds."""
    prop = get_property("deep_alpha_factor")
    check = prop.the_check()
    params = prop.to_params(config)
    recs = [check.measure(u, torch.device("cpu")) for u in check.units(params, list(range(prop.seeds)))]
    alphas = params["alphas"]
    lam = np.array([[r["alphas"][f"{a:g}"]["lam_min"] for a in alphas] for r in recs]).mean(axis=0)
    rate = np.array([[r["alphas"][f"{a:g}"]["gd"]["late_rate"] for a in alphas] for r in recs]).mean(axis=0)
    return alphas, lam, rate


def draw(out: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    fine = np.linspace(-1, 0.5, 100)
    c = (1 - fine) ** 2 / (1 + fine**2)
    for i, (label, cfg) in enumerate(CONFIGS):
        a, lam, rate = per_alpha(cfg)
        axes[0].plot(a, lam / lam.max(), "o-", color=f"C{i}", label=label)
        axes[1].plot(a, np.abs(rate) / np.abs(rate).max(), "o-", color=f"C{i}", label=label)
    for ax, what in zip(axes, ("λ_min of the deep NTK (÷ its max over α)", "GD late-phase rate (÷ its max over α)"),
                        strict=True):
        ax.plot(fine, c / c.max(), "k:", lw=1, label="c_α ÷ 2 (the predicted order)")
        ax.set(xlabel="α", title=what)
    axes[0].legend(fontsize=7)
    fig.suptitle("deep_alpha_factor: inside the domain vs two minimal --outside findings (n = 16, 2 seeds)", fontsize=9)
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=110)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m verification.properties.figure OUT.png", file=sys.stderr)
        sys.exit(2)
    print(draw(sys.argv[1]))
