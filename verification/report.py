"""Reports: ``report.json`` (deterministic), ``report.md`` and the terminal table.

``report.json`` has a top-level ``checks`` list (each with ``name``, ``claim``, ``source``,
``verdict``, ``predicted``, ``measured`` and more) and keeps wall-clock times in a separate
``timing`` section, so two runs with the same seeds give byte-identical JSON once ``timing`` is
dropped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .check import CheckResult, Verdict
from .store import atomic_write_text, to_jsonable

__all__ = ["build_report", "format_table", "render_markdown", "write_report"]

TOOL_VERSION = "0.1.0"


def build_report(results: Sequence[CheckResult], profile: str, device: str, errors: Mapping[str, str],
                 timing: Mapping[str, Any]) -> dict[str, Any]:
    counts = Counter(r.verdict.value for r in results)
    return {
        "tool": "leaky-theory",
        "version": TOOL_VERSION,
        "profile": profile,
        "device_type": device,
        "summary": {v.value: counts.get(v.value, 0) for v in Verdict} | {"errors": len(errors)},
        "checks": [r.to_json() for r in results],
        "errors": dict(errors),
        "timing": dict(timing),
    }


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if len(value) > 8:
            return "[" + ", ".join(_fmt(v) for v in value[:8]) + f", … ({len(value)} values)]"
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def render_markdown(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    lines = [
        "# leaky-theory verification report", "",
        f"Profile `{report['profile']}` on `{report['device_type']}`: "
        f"{s['holds']} holds, {s['violated']} violated, {s['inconclusive']} inconclusive, {s['errors']} errors.",
        "", "| check | verdict | reason |", "|---|---|---|",
    ]
    for c in report["checks"]:
        lines.append(f"| [{c['name']}](#{c['name'].replace('_', '-')}) | **{c['verdict']}** | "
                     f"{c['reason'].replace('|', '/')} |")
    for name, err in report["errors"].items():
        lines.append(f"| {name} | **error** | {err.replace('|', '/')} |")
    for c in report["checks"]:
        lines += ["", f"## {c['name']}", "", f"**Claim.** {c['claim']}", "", f"**Source.** {c['source']}", "",
                  f"**Verdict: {c['verdict']}.** {c['reason']}", "", f"**Rule.** {c['rule']}", "",
                  f"**Domain.** {c['domain']}", ""]
        lines.append("**Bounds used.**")
        for role, b in c["bounds"].items():
            lines.append(f"- {role}: `{b['name']}` = `{b['expr']}` ({b['provenance']}; {b['source']})")
        lines += ["", "**Predicted.**"] + [f"- {k}: {_fmt(v)}" for k, v in c["predicted"].items()]
        lines += ["", "**Measured.**"] + [f"- {k}: {_fmt(v)}" for k, v in c["measured"].items()]
        if c["findings"]:
            lines += ["", "**Findings (outside the theorem's assumptions).**"] + [f"- {f}" for f in c["findings"]]
        if c.get("figure"):
            lines += ["", f"![{c['name']}]({c['figure']})"]
        if c.get("doc"):
            lines += ["", f"Method and tolerances: `{c['doc']}`."]
    t = report["timing"]
    if "total_s" in t:
        lines += ["", f"_Wall time: {t['total_s']:.1f} s._"]
    return "\n".join(lines) + "\n"


def format_table(results: Sequence[CheckResult], errors: Mapping[str, str], width: int = 100) -> str:
    name_w = max([len(r.name) for r in results] + [len(n) for n in errors] + [5])
    rows = [f"{'check':<{name_w}}  {'verdict':<12}  reason", f"{'-' * name_w}  {'-' * 12}  {'-' * 40}"]
    for r in results:
        reason = r.decision.reason
        room = max(width - name_w - 16, 30)
        rows.append(f"{r.name:<{name_w}}  {r.verdict.value:<12}  {reason[:room] + ('…' if len(reason) > room else '')}")
    for name, err in errors.items():
        rows.append(f"{name:<{name_w}}  {'ERROR':<12}  {err[:60]}")
    return "\n".join(rows)


def write_report(report: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / "report.json"
    md = out_dir / "report.md"
    atomic_write_text(js, json.dumps(to_jsonable(report, strict=True), sort_keys=True, indent=1) + "\n")
    atomic_write_text(md, render_markdown(to_jsonable(report, strict=True)))
    return js, md
