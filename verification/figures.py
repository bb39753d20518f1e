"""The house style every check figure gets after the check has drawn it (:func:`verification.runner.make_figure`).

A check's :meth:`~verification.check.Check.plot` draws its panels with axis labels, legends and titles in words;
this module then makes the figure readable the same way for every check:

* no text under :data:`MIN_FONT` points (legends, tick labels, annotations);
* log axes labelled at decades (or 1-2-5 steps, or plain ticks when the view spans less than a decade), never
  with the crowded minor-tick labels matplotlib adds to short log ranges; tick labels that would still
  overlap are thinned after the layout, so no two labels of an axis overlap;
* axis titles wrapped to the width of their panel, so none is clipped or runs into its neighbour;
* a verdict band at the bottom: the verdict as a coloured badge and the decisive number
  (:meth:`~verification.check.Check.headline`), on the figure itself, not only in the suptitle.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from typing import Any

__all__ = ["MIN_FONT", "VERDICT_COLOURS", "apply_style", "thin_tick_labels"]

#: the smallest font size (points) of any text on a check figure
MIN_FONT = 8.0
VERDICT_COLOURS = {"holds": "#2e7d32", "violated": "#c62828", "inconclusive": "#8a6d00"}
_TITLE_FONT = 10.0
_LABEL_FONT = 9.0


def apply_style(fig: Any, check: Any, decision: Any) -> None:
    """Fonts, log ticks, wrapped titles, the suptitle and the verdict band, then the layout (see the module doc)."""
    for ax in fig.axes:
        ax.tick_params(labelsize=MIN_FONT)
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                _log_ticks(axis)
        for label in (ax.xaxis.label, ax.yaxis.label):
            label.set_fontsize(max(min(label.get_fontsize(), _LABEL_FONT), MIN_FONT))
        legend = ax.get_legend()
        if legend is not None:
            for t in legend.get_texts():
                t.set_fontsize(max(t.get_fontsize(), MIN_FONT))
    fig.suptitle(_suptitle(check), fontsize=_TITLE_FONT - 0.5)
    colour = VERDICT_COLOURS.get(decision.verdict.value, "#555555")
    badge = fig.text(0.006, 0.03, f" {decision.verdict.value.upper()} ", color="white", fontsize=_TITLE_FONT,
             fontweight="bold", va="center", ha="left", bbox={"boxstyle": "round,pad=0.3", "fc": colour, "ec": colour},
             gid="verdict")
    head = textwrap.wrap(check.headline(decision), 125)
    text = "\n".join(head[:2]) + ("…" if len(head) > 2 else "")
    decisive = fig.text(0.105, 0.03, text, fontsize=MIN_FONT + 1, va="center", ha="left", gid="decisive")
    for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "set_fontsize")):
        if t.get_fontsize() < MIN_FONT:
            t.set_fontsize(MIN_FONT)
    _wrap_titles(fig)
    fig.tight_layout(rect=(0, 0.075, 1, 0.93))
    end = badge.get_window_extent(fig._get_renderer()).x1 / fig.bbox.width
    decisive.set_x(end + 0.012)  # just right of the badge, whatever the verdict's length
    thin_tick_labels(fig)


def _suptitle(check: Any) -> str:
    """``name — claim (papers)``: the papers by their canonical short names (bounds.PAPERS); two lines at most."""
    import re

    from bounds.catalogue import PAPERS, key_pattern

    found = sorted((m.start(), key) for key in PAPERS if (m := re.search(key_pattern(key), check.source)))
    papers = ", ".join(key for _, key in found) or "derived, docs/theory"
    claim = check.claim.replace("𝒜", "A")  # DejaVu Sans has no mathematical script capitals
    lines = textwrap.wrap(f"{check.name} — {claim} ({papers})", 140)
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def _log_ticks(axis: Any) -> None:
    """Labels at decades (many decades), at 1-2-5 (one or two) or at plain ticks (less than one); no minor labels."""
    from matplotlib import ticker

    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        return
    span = math.log10(hi / lo)
    if span >= 2.5:  # many decades: every label a power of ten, one format along the axis
        axis.set_major_locator(ticker.LogLocator(base=10, numticks=7))
        axis.set_major_formatter(ticker.LogFormatterSciNotation(base=10))
        axis.set_minor_formatter(ticker.NullFormatter())
        return
    if span >= 0.8:
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    else:
        axis.set_major_locator(ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(ticker.FuncFormatter(_tick_text))
    axis.set_minor_formatter(ticker.NullFormatter())


def _tick_text(v: float, _pos: Any = None) -> str:
    if v <= 0 or not math.isfinite(v):
        return f"{v:g}"
    k = math.log10(v)
    if abs(k - round(k)) < 1e-9 and abs(round(k)) >= 4:
        return f"$10^{{{round(k)}}}$"
    if 1 <= v < 1e4 and v == round(v):
        return str(int(v))
    if 1e-3 <= v < 1e4:
        return f"{v:.3g}"
    mant, exp = f"{v:.2e}".split("e")
    return f"${float(mant):g}\\times10^{{{int(exp)}}}$"


def _wrap_titles(fig: Any) -> None:
    """Each axis title at most as wide as its panel (an estimate from the character count; two lines at most)."""
    width_in = fig.get_figwidth()
    for ax in fig.axes:
        title = ax.title
        text = title.get_text()
        if not text:
            continue
        size = min(max(title.get_fontsize(), MIN_FONT), _TITLE_FONT)
        title.set_fontsize(size)
        panel_in = ax.get_position().width * width_in
        chars = max(12, int(panel_in * 72 / (0.56 * size)))
        lines = textwrap.wrap(text, chars)
        if len(lines) > 2:
            size = max(MIN_FONT, size - 1)
            title.set_fontsize(size)
            lines = textwrap.wrap(text, max(12, int(panel_in * 72 / (0.56 * size))))
        title.set_text("\n".join(lines[:3]) + ("…" if len(lines) > 3 else ""))


def thin_tick_labels(fig: Any) -> None:
    """Fix each axis's ticks to a subset whose labels do not overlap (after the layout, with the renderer)."""
    from matplotlib import ticker

    renderer = fig._get_renderer()  # a bare Figure (no pyplot) has no canvas renderer; matplotlib ≥ 3.6
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = [t for t in axis.get_major_ticks() if t.label1.get_visible() and t.label1.get_text()]
            lo, hi = sorted(axis.get_view_interval())
            ticks = [t for t in ticks if lo - 1e-12 * abs(lo) <= t.get_loc() <= hi + 1e-12 * abs(hi)]
            if len(ticks) < 2:
                continue
            boxes = [t.label1.get_window_extent(renderer) for t in ticks]
            if not any(a.overlaps(b) for a, b in itertools.pairwise(boxes)):
                continue
            kept, texts, last = [], [], None
            for t, box in zip(ticks, boxes, strict=True):
                if last is None or not box.expanded(1.1, 1.1).overlaps(last):
                    kept.append(t.get_loc())
                    texts.append(t.label1.get_text())
                    last = box
            axis.set_major_locator(ticker.FixedLocator(kept))
            axis.set_major_formatter(ticker.FixedFormatter(texts))
