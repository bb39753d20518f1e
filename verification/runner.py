"""Run one check: measure every unit (reusing stored ones), decide, draw the figure."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bounds import Bound
from empirical.device import resolve_device

from .check import PROFILES, Check, CheckResult, Decision, Measurements, Verdict
from .store import UnitStore, code_fingerprint

__all__ = ["check_seeds", "run_check"]


def check_seeds(seeds: Sequence[int] | None) -> list[int] | None:
    """Validate a seed list: distinct non-negative integers (None → the profile default)."""
    if seeds is None:
        return None
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"seed {s!r} must be a non-negative integer")
        out.append(s)
    if not out:
        raise ValueError("give at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {out}")
    return out


def run_check(check: Check, profile: str = "quick", seeds: Sequence[int] | None = None,
              device: Any = "auto", bounds: Mapping[str, Bound] | None = None,
              store: UnitStore | None = None, figures_dir: str | Path | None = None,
              on_unit: Callable[[], None] | None = None, timings: dict[str, float] | None = None,
              measurements_out: dict[str, Any] | None = None, overrides: Mapping[str, Any] | None = None
              ) -> CheckResult:
    """Run ``check`` under ``profile`` and return its :class:`CheckResult`.

    ``bounds`` replaces bounds by role (a planted mutant, say); unknown roles are an error.
    ``store`` reuses and saves finished units. ``figures_dir`` receives ``<name>.png``.
    ``overrides`` replaces top-level profile parameters (e.g. ``{"eta": 0.5}``); unknown keys are an error.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    seed_list = check_seeds(seeds)
    if seed_list is None:
        seed_list = list(range(check.default_seeds[profile]))
    dev = resolve_device(device)
    by_role = check.default_bounds()
    for role, bd in (bounds or {}).items():
        if role not in by_role:
            raise KeyError(f"check {check.name!r} has no bound role {role!r}; roles: {', '.join(by_role)}")
        by_role[role] = bd
    store = store or UnitStore(None)
    params = apply_overrides(check, check.params(profile), overrides)
    absent = check.data_unavailable(params)
    units = [] if absent else check.units(params, seed_list)
    t0 = time.perf_counter()
    measured = Measurements()
    code = code_fingerprint(check)
    for unit in units:
        # a stored unit is used only if it verifies (checksum, version, code); otherwise measured again
        got = store.load(check.name, check.version, unit.key, dev.type, code=code)
        if got is None:
            got = store.save(check.name, check.version, unit.key, dev.type, check.measure(unit, dev), code=code)
        measured.add(unit, got)
        if on_unit is not None:
            on_unit()
    t1 = time.perf_counter()
    decision = unavailable_decision(absent) if absent else check.judge(measured, by_role, params)
    figure = None
    if figures_dir is not None:
        figure = _draw(check, measured, decision, by_role, params, Path(figures_dir), text_only=bool(absent))
    t2 = time.perf_counter()
    if timings is not None:
        timings["measure_s"] = t1 - t0
        timings["decide_and_plot_s"] = t2 - t1
    if measurements_out is not None:
        measurements_out.update(measured)
    doc = doc_page(check.name)
    return CheckResult(name=check.name, claim=check.claim, source=check.source,
                       bounds=check.bound_info(by_role), decision=decision, profile=profile,
                       seeds=seed_list, units=len(units), figure=figure, measurements=measured, bounds_used=by_role,
                       params=params,
                       doc=doc)


def unavailable_decision(reason: str) -> Decision:
    """The verdict of a check whose data are not on this machine: *inconclusive* with the install hint (never an
    error; nothing was measured, so no feature is powered)."""
    return Decision(Verdict.INCONCLUSIVE, f"inconclusive: {reason}", rule="no data: nothing measured, nothing decided",
                    predicted={}, measured={}, domain="n/a",
                    power={"data": {"detectable": math.inf, "target": 0.0, "unit": "(no data)", "how": reason,
                                    "powered": False}})


def doc_page(name: str) -> str | None:
    """``docs/checks/<name>.md`` in a source checkout, or the copy a wheel installs under
    ``<prefix>/share/leaky-theory/docs/checks/`` (an absolute path then); None if neither exists."""
    import sys

    rel = f"docs/checks/{name}.md"
    if Path(__file__).resolve().parent.parent.joinpath(rel).exists():
        return rel
    shared = Path(sys.prefix) / "share" / "leaky-theory" / rel
    return str(shared) if shared.exists() else None


def apply_overrides(check: Check, params: dict[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` with some top-level entries replaced; a key the profile does not have is an error."""
    if not overrides:
        return params
    from .overrides import validate_override

    unknown = [k for k in overrides if k not in params]
    if unknown:
        raise KeyError(f"check {check.name!r} has no parameter(s) {', '.join(map(repr, unknown))}; "
                       f"its parameters: {', '.join(params)}")
    # the same type and range rules as --set (verification/overrides.py): OverrideError names the value
    return {**params, **{k: validate_override(k, v, params[k], check.param_ranges) for k, v in overrides.items()}}


def _draw(check: Check, measured: Mapping[str, Any], decision: Any, by_role: Mapping[str, Bound],
          params: Mapping[str, Any], folder: Path, text_only: bool = False) -> str:
    """Draw on a bare :class:`matplotlib.figure.Figure` (no pyplot, so the caller's backend — a notebook's
    inline one, say — is never changed) and save ``folder/<name>.png``; returns that path."""
    fig = make_figure(check, measured, decision, by_role, params, text_only)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{check.name}.png"
    fig.savefig(path, dpi=100, metadata={"Software": None})
    return str(path)


def make_figure(check: Check, measured: Mapping[str, Any], decision: Any, by_role: Mapping[str, Bound],
                params: Mapping[str, Any], text_only: bool = False) -> Any:
    """The check's figure as a :class:`matplotlib.figure.Figure`: the check's panels in the house style, titled
    with the check and its paper, and the verdict with its decisive number on the figure (verification/figures.py);
    ``text_only``: the base class's text summary, for a check that measured nothing."""
    from matplotlib.figure import Figure

    from .figures import apply_style

    fig = Figure(figsize=(11, 4.6))
    (Check.plot if text_only else type(check).plot)(check, fig, measured, decision, by_role, params)
    apply_style(fig, check, decision)
    return fig
