"""The mutation suite: every check must flag its planted wrong bounds and pass its true ones.

    python -m verification.mutation                         # all checks, quick profile
    python -m verification.mutation --only du_gd_bound      # one check
    python -m verification.mutation --false-alarm 20        # true-bound false-alarm rate over 20 seed sets

For each check the measurements of the quick profile are made once (they never depend on a bound);
then ``decide`` runs with the true bounds and with each mutant. The suite passes when every mutant is
judged *violated* and no true bound is. ``--false-alarm R`` instead repeats each check on R disjoint
seed sets and reports how often the true bounds are flagged violated (and how often inconclusive).
Exit status: 0 all good, 1 a mutant survived or a true bound was flagged, 2 bad usage.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .check import Check, Measurements, Verdict
from .check_all import UsageError, _Parser


def _measure(check: Check, seeds: list[int], device: str) -> tuple[dict, dict]:
    from .runner import run_check

    measured = Measurements()
    run_check(check, "quick", seeds=seeds, device=device, measurements_out=measured)
    return measured, check.params("quick")


def mutation_table(checks: Sequence[Check], device: str = "cpu") -> list[dict]:
    """One row per (check, true bound or mutant) with the verdict it received."""
    rows = []
    for chk in checks:
        measured, params = _measure(chk, list(range(chk.default_seeds["quick"])), device)
        truth = chk.judge(measured, chk.default_bounds(), params)
        rows.append({"check": chk.name, "bound": "(true bounds)", "kind": "-", "verdict": truth.verdict.value,
                     "ok": truth.verdict is not Verdict.VIOLATED, "reason": truth.reason})
        for mut in chk.mutants():
            d = chk.judge(measured, {**chk.default_bounds(), **mut.bounds}, params)
            rows.append({"check": chk.name, "bound": mut.name, "kind": mut.kind, "verdict": d.verdict.value,
                         "ok": d.verdict is Verdict.VIOLATED, "reason": d.reason, "description": mut.description})
        for loose in chk.true_but_looser():
            d = chk.judge(measured, {**chk.default_bounds(), **loose.bounds}, params)
            rows.append({"check": chk.name, "bound": f"{loose.name} (true, looser)", "kind": loose.kind,
                         "verdict": d.verdict.value, "ok": d.verdict is not Verdict.VIOLATED, "reason": d.reason,
                         "description": loose.description})
    return rows


def false_alarm_table(checks: Sequence[Check], replicates: int, device: str = "cpu") -> list[dict]:
    """Per check: verdicts of the true bounds on ``replicates`` disjoint seed sets."""
    rows = []
    for chk in checks:
        k = chk.default_seeds["quick"]
        counts = {v.value: 0 for v in Verdict}
        t0 = time.perf_counter()
        for r in range(replicates):
            seeds = list(range(1000 + r * k, 1000 + (r + 1) * k))
            measured, params = _measure(chk, seeds, device)
            counts[chk.judge(measured, chk.default_bounds(), params).verdict.value] += 1
        rows.append({"check": chk.name, "replicates": replicates, "seeds_per_replicate": k, **counts,
                     "false_alarm_rate": counts["violated"] / replicates, "seconds": time.perf_counter() - t0})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = _Parser(prog="python -m verification.mutation", description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these checks")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    p.add_argument("--false-alarm", type=int, metavar="R", help="measure the false-alarm rate over R seed sets")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as markdown to FILE")
    try:
        args = p.parse_args(argv)
        from empirical.device import resolve_device

        from .registry import select

        try:
            checks = select(args.only)
            device = str(resolve_device(args.device))
        except (KeyError, ValueError) as exc:
            raise UsageError(exc.args[0]) from None
        if args.false_alarm is not None and args.false_alarm < 1:
            raise UsageError(f"--false-alarm must be ≥ 1, got {args.false_alarm}")
    except UsageError as exc:
        print(f"mutation: error: {exc}", file=sys.stderr)
        return 2
    if args.false_alarm:
        rows = false_alarm_table(checks, args.false_alarm, device)
        header = ["check", "replicates", "seeds_per_replicate", "holds", "inconclusive", "violated", "false_alarm_rate"]
        ok = all(r["violated"] == 0 for r in rows)
    else:
        rows = mutation_table(checks, device)
        header = ["check", "bound", "kind", "verdict", "ok"]
        ok = all(r["ok"] for r in rows)
    widths = {h: max(len(h), *(len(_cell(r[h])) for r in rows)) for h in header}
    print("  ".join(h.ljust(widths[h]) for h in header))
    for r in rows:
        print("  ".join(_cell(r[h]).ljust(widths[h]) for h in header))
    if args.markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(r[h]) for h in header) + " |" for r in rows]
        Path(args.markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not args.false_alarm:
        wrong = [r for r in rows if r["bound"] != "(true bounds)" and not r["bound"].endswith("(true, looser)")]
        looser = [r for r in rows if r["bound"].endswith("(true, looser)")]
        print(f"\n{sum(r['ok'] for r in wrong)}/{len(wrong)} planted mutants flagged violated; "
              f"{sum(r['ok'] for r in looser)}/{len(looser)} true-but-looser variants not flagged; "
              f"{sum(r['ok'] for r in rows if r['bound'] == '(true bounds)')}/{len(checks)} true bounds not flagged")
    return 0 if ok else 1


def _cell(v: object) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    sys.exit(main())
