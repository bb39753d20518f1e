"""Every check's figure is readable: axis labels, a legend for its series, no text under 8 pt, no overlapping
tick labels, titles inside the figure and in words, and the verdict with its decisive number on the figure.

Asserted on the matplotlib objects (never on pixels), drawn from the quick-profile measurements the conformance
suite makes anyway (``quick_measurements``), so the only cost here is drawing.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest

from verification import all_checks
from verification.figures import MIN_FONT

CHECKS = all_checks()
_CODE_NAME = re.compile(r"\b[a-z]{2,}_[a-z]{2,}\w*")


def _series_colours(ax: Any) -> set[str]:
    """Colours of the data series of ``ax`` (lines and scatters in data coordinates; reference lines excluded)."""
    from matplotlib.colors import to_hex

    out = set()
    for line in ax.lines:
        if line.get_transform() == ax.transData and len(line.get_xdata()) > 0 and line.get_visible():
            out.add(to_hex(line.get_color()))
    for coll in ax.collections:
        if coll.get_transform() == ax.transData and type(coll).__name__ == "PathCollection" and len(coll.get_offsets()):
            out.update(to_hex(c) for c in coll.get_facecolors()[:1])
    return out


def _handle_colours(legend: Any) -> set[str]:
    from matplotlib.colors import to_hex

    out = set()
    for h in legend.legend_handles:
        for get in ("get_color", "get_facecolor", "get_edgecolor"):
            try:
                c = getattr(h, get)()
            except (AttributeError, TypeError):
                continue
            for col in (c if getattr(c, "ndim", 0) == 2 else [c]):
                with contextlib.suppress(ValueError):  # "none" and other non-colours
                    out.add(to_hex(col))
    return out


def figure_problems(fig: Any, verdict: str) -> list[str]:
    """What makes ``fig`` hard to read ([] when nothing)."""
    problems = []
    renderer = fig._get_renderer()
    fig_box = fig.bbox
    panels = [ax for ax in fig.axes if ax.axison and not hasattr(ax, "_colorbar")]
    legend_colours = {c for lg in [ax.get_legend() for ax in panels] + list(fig.legends) if lg is not None
                      for c in _handle_colours(lg)}
    for i, ax in enumerate(panels):
        where = f"panel {i + 1} ({ax.get_title()[:40]!r})"
        has_data = bool(ax.lines or ax.collections or ax.images or ax.patches)
        if has_data and not ax.get_xlabel():
            problems.append(f"{where}: no x label")
        if has_data and not ax.get_ylabel():
            problems.append(f"{where}: no y label")
        unexplained = _series_colours(ax) - legend_colours
        if len(_series_colours(ax)) >= 2 and ax.get_legend() is None and unexplained:
            problems.append(f"{where}: colour series {sorted(unexplained)} in no legend of the figure")
        legend_texts = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() is not None else []
        for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *legend_texts):
            if _CODE_NAME.search(text):
                problems.append(f"{where}: code name {_CODE_NAME.search(text).group()!r} in {text!r}")
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            labels = [t.label1 for t in axis.get_major_ticks()
                      if t.label1.get_visible() and t.label1.get_text() and lo <= t.get_loc() <= hi]
            boxes = [lab.get_window_extent(renderer) for lab in labels]
            for a, b, la, lb in zip(boxes, boxes[1:], labels, labels[1:], strict=False):
                if a.overlaps(b):
                    problems.append(f"{where}: tick labels {la.get_text()!r} and {lb.get_text()!r} overlap")
        title = ax.title.get_window_extent(renderer)
        if ax.get_title() and (title.x0 < fig_box.x0 - 1 or title.x1 > fig_box.x1 + 1 or title.y1 > fig_box.y1 + 1):
            problems.append(f"{where}: title clipped by the figure edge")
        for j, other in enumerate(panels[i + 1:], start=i + 2):
            if ax.get_title() and other.get_title() and title.overlaps(other.title.get_window_extent(renderer)):
                problems.append(f"{where}: title runs into panel {j}'s")
    small = sorted({round(t.get_fontsize(), 1) for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))
                    if t.get_visible() and getattr(t, "get_text", lambda: "x")() and t.get_fontsize() < MIN_FONT})
    if small:
        problems.append(f"text in {small} pt (< {MIN_FONT:g})")
    for text in [*fig.texts, *([fig._suptitle] if fig._suptitle is not None else [])]:
        box = text.get_window_extent(renderer)
        if text.get_text() and (box.x0 < fig_box.x0 - 1 or box.x1 > fig_box.x1 + 1 or box.y1 > fig_box.y1 + 1):
            problems.append(f"figure text {text.get_text()[:40]!r} clipped by the figure edge")
    band = {t.get_gid(): t.get_text() for t in fig.texts}
    boxes = {t.get_gid(): t.get_window_extent(renderer) for t in fig.texts if t.get_gid() in ("verdict", "decisive")}
    if len(boxes) == 2 and boxes["verdict"].overlaps(boxes["decisive"]):
        problems.append("the verdict badge covers the decisive number")
    if verdict.upper() not in band.get("verdict", ""):
        problems.append("the verdict is not drawn on the figure")
    if not re.search(r"\d", band.get("decisive", "")):
        problems.append("no decisive number on the figure")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_figure_is_readable(check, quick_measurements) -> None:
    from verification.runner import make_figure

    chk, measured, params = quick_measurements(check.name)
    bb = chk.default_bounds()
    decision = chk.judge(measured, bb, params)
    fig = make_figure(chk, measured, decision, bb, params)
    problems = figure_problems(fig, decision.verdict.value)
    assert not problems, f"{check.name}: " + "; ".join(problems)
