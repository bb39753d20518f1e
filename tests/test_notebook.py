"""docs/example.ipynb executes headless from top to bottom (so it never goes stale)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_example_notebook_executes() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(ROOT / "docs" / "example.ipynb", as_version=4)
    env_before = os.environ.get("MPLBACKEND")
    os.environ.setdefault("MPLBACKEND", "agg")
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("kernel_monte_carlo" in o["data"]["text/html"] for o in html), "a CheckResult renders as HTML"
    assert any("text/latex" in o.get("data", {}) for o in outputs), "a Bound renders as LaTeX"
