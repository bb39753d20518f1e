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

__all__ = ["build_report", "format_table", "merge_previous", "provenance", "render_markdown", "write_report"]

from verification import __version__ as TOOL_VERSION


def provenance(results: Sequence[CheckResult], overrides: Mapping[str, Mapping[str, Any]] | None = None
               ) -> dict[str, Any]:
    """What produced the numbers, deterministic for the same code and environment: git commit (with
    ``-dirty`` for uncommitted changes), versions, and each check's parameters and ``--set`` overrides."""
    import platform
    import subprocess

    import numpy
    import scipy
    import sympy
    import torch

    root = Path(__file__).resolve().parent.parent
    commit = None
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
        if commit and subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                     capture_output=True, text=True, timeout=10).stdout.strip():
            commit += "-dirty"
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"git_commit": commit,
            "versions": {"leaky-theory": TOOL_VERSION, "python": platform.python_version(), "torch": torch.__version__,
                         "sympy": sympy.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__},
            "checks": {r.name: {"params": dict(r.params or {}), "overrides": dict((overrides or {}).get(r.name, {})),
                                "seeds": list(r.seeds)} for r in results}}


def build_report(results: Sequence[CheckResult], profile: str, device: str, errors: Mapping[str, str],
                 timing: Mapping[str, Any], run: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report; ``run`` is :func:`provenance` (kept out of the comparison-free ``timing``)."""
    counts = Counter(r.verdict.value for r in results)
    out = {
        "tool": "leaky-theory",
        "version": TOOL_VERSION,
        "profile": profile,
        "device_type": device,
        "summary": {v.value: counts.get(v.value, 0) for v in Verdict} | {"errors": len(errors)},
        "checks": [r.to_json() for r in results],
        "errors": dict(errors),
        "timing": dict(timing),
    }
    if run is not None:
        out["provenance"] = dict(run)
    return out


def merge_previous(report: dict[str, Any], previous: Mapping[str, Any] | None, order: Sequence[str]) -> dict[str, Any]:
    """A partial run's report joined with the earlier report of the same folder (same profile and device):
    checks not re-run keep their earlier entries; ``rerun`` lists what this run re-ran."""
    rerun = [c["name"] for c in report["checks"]] + list(report["errors"])
    report["rerun"] = rerun
    if not previous or previous.get("profile") != report["profile"] or previous.get("device_type") != report["device_type"]:
        return report
    kept = [c for c in previous.get("checks", []) if c.get("name") not in rerun]
    if not kept and not previous.get("errors"):
        return report
    rank = {n: i for i, n in enumerate(order)}
    checks = sorted(report["checks"] + kept, key=lambda c: rank.get(c["name"], len(rank)))
    errors = {k: v for k, v in previous.get("errors", {}).items() if k not in rerun} | report["errors"]
    counts = Counter(c["verdict"] for c in checks)
    report.update(checks=checks, errors=errors,
                  summary={v.value: counts.get(v.value, 0) for v in Verdict} | {"errors": len(errors)})
    prov = report.get("provenance")
    if prov is not None and previous.get("provenance"):
        prov["checks"] = {**{k: v for k, v in previous["provenance"].get("checks", {}).items() if k not in rerun},
                          **prov["checks"]}
    return report


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


def render_markdown(report: Mapping[str, Any], command: str | None = None) -> str:
    s = report["summary"]
    lines = [
        "# leaky-theory verification report", "",
        f"Profile `{report['profile']}` on `{report['device_type']}`: "
        f"{s['holds']} holds, {s['violated']} violated, {s['inconclusive']} inconclusive, {s['errors']} errors.",
        "", "| check | verdict | reason |", "|---|---|---|",
    ]
    prov = report.get("provenance")
    if prov:
        v = prov.get("versions", {})
        lines[3:3] = [f"Commit `{prov.get('git_commit') or 'unknown'}`; " + ", ".join(f"{k} {x}" for k, x in v.items())
                      + (f". Re-ran this time: {', '.join(report['rerun'])}." if report.get("rerun") else "."),
                      "" if not command else f"Command: `{command}`", ""]
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
        if c.get("power"):
            lines += ["", "**Power** (smallest deviation the data could detect, against the check's target)."]
            lines += [f"- {k}: detectable {_fmt(p['detectable'])} vs target {_fmt(p['target'])} ({p['unit']}) — "
                      f"{'powered' if p['powered'] else 'UNDERPOWERED'}" for k, p in c["power"].items()]
        if prov and c["name"] in prov.get("checks", {}):
            pc = prov["checks"][c["name"]]
            lines += ["", f"**Parameters.** {_fmt(pc['params'])}" + (f"; overrides {_fmt(pc['overrides'])}"
                                                                      if pc.get("overrides") else "")]
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


def write_report(report: Mapping[str, Any], out_dir: Path, command: str | None = None) -> tuple[Path, Path]:
    """``report.json`` (deterministic: no command line, no dates) and ``report.md`` (with the command line)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / "report.json"
    md = out_dir / "report.md"
    atomic_write_text(js, json.dumps(to_jsonable(report, strict=True), sort_keys=True, indent=1) + "\n")
    atomic_write_text(md, render_markdown(to_jsonable(report, strict=True), command))
    return js, md
