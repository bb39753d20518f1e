"""Rich display of results in a notebook and as tables: a verdict badge, the claim, the rule, the
power of each refutable feature, predicted against measured, and the figure inline."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from .check import CheckResult

__all__ = ["result_html", "results_frame"]

_COLOURS = {"holds": "#1a7f37", "violated": "#cf222e", "inconclusive": "#9a6700"}


def _short_json(obj: Any, limit: int = 1200) -> str:
    text = json.dumps(obj, default=str, indent=1, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "\n…"


def _figure_png(result: CheckResult) -> bytes | None:
    if result.figure and Path(result.figure).is_file():
        return Path(result.figure).read_bytes()
    try:
        fig = result.plot()
    except (ValueError, KeyError):
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def result_html(result: CheckResult, figure: bool = True) -> str:
    """HTML card of one result."""
    d = result.decision
    colour = _COLOURS.get(d.verdict.value, "#57606a")
    badge = (f'<span style="background:{colour};color:white;padding:2px 8px;border-radius:10px;'
             f'font-weight:bold">{escape(d.verdict.value)}</span>')
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{p.get('detectable', float('nan')):.3g}</td><td>{p.get('target', float('nan')):.3g}</td>"
        f"<td>{escape(str(p.get('unit', '')))}</td><td>{'yes' if p.get('powered') else 'no'}</td></tr>"
        for k, p in d.power.items())
    power = (f"<table><tr><th>refutable feature</th><th>detectable</th><th>target</th><th>unit</th><th>powered</th></tr>"
             f"{rows}</table>") if rows else "<p><i>no power entries</i></p>"
    img = ""
    if figure:
        png = _figure_png(result)
        if png is not None:
            img = f'<img style="max-width:100%" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
    return (f"<div style='border:1px solid #d0d7de;padding:8px;border-radius:6px'>"
            f"<b>{escape(result.name)}</b> {badge} <small>({escape(result.profile)} profile, "
            f"{len(result.seeds)} seeds, {result.units} units)</small>"
            f"<p>{escape(result.claim)}</p><p><b>Why:</b> {escape(d.reason)}</p>"
            f"<details><summary>rule</summary><p>{escape(d.rule)}</p></details>{power}"
            f"<details><summary>predicted vs measured</summary><table><tr><th>predicted</th><th>measured</th></tr>"
            f"<tr><td><pre>{escape(_short_json(d.predicted))}</pre></td><td><pre>{escape(_short_json(d.measured))}</pre>"
            f"</td></tr></table></details>{img}</div>")


def results_frame(results: Iterable[CheckResult]) -> Any:
    """One row per result (name, verdict, reason, domain, powered features, units, seeds) as a pandas
    DataFrame (pandas is the optional ``notebook`` extra)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("results_frame needs pandas: pip install -e \".[notebook]\"") from None
    rows = [{"check": r.name, "verdict": r.verdict.value, "reason": r.decision.reason, "domain": r.decision.domain,
             "powered": sum(bool(p.get("powered")) for p in r.decision.power.values()),
             "features": len(r.decision.power), "units": r.units, "seeds": len(r.seeds), "source": r.source}
            for r in results]
    return pd.DataFrame(rows).set_index("check")
