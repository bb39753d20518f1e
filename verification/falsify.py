"""``python -m verification.falsify [NAME…] [--budget N] [--outside] [--relax P,…] [--seed S] [--out DIR]``.

Runs the registered properties (verification/properties/): hypothesis draws configurations inside each claim's
domain and judges them by the check's own rule and regime gate; a shrunk counterexample is a *violation*. With
``--outside`` each relaxable parameter in turn (or those of ``--relax``) is drawn beyond its domain with the regime
gates open, and a counterexample is a *finding* naming the assumption it leaves. Hypothesis's example database
lives in ``DIR/hypothesis-db``, so a counterexample found once is replayed first on the next run. The report is
``DIR/falsify.json`` and ``DIR/falsify.md``. Exit status: 0 no violation, 1 a violation or an error, 2 bad usage.
See docs/properties.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Bad usage: one line on stderr, exit status 2."""
        print(f"falsify: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m verification.falsify", description=__doc__.split("\n\n")[1])
    p.add_argument("names", nargs="*", metavar="NAME", help="properties to run (default: all; --list shows them)")
    p.add_argument("--budget", type=int, default=None, help="examples per search (default: each property's own)")
    p.add_argument("--outside", action="store_true", help="relax each relaxable parameter in turn; report findings")
    p.add_argument("--relax", default=None, help="with --outside: comma-separated parameters to relax (together)")
    p.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    p.add_argument("--out", default="results/falsify", help="report and example database directory")
    p.add_argument("--list", action="store_true", help="list the properties, their checks, bounds and domains")
    return p


def _fail(msg: str) -> int:
    print(f"falsify: error: {msg}", file=sys.stderr)
    return 2


def _markdown(runs: list[dict[str, Any]], args: argparse.Namespace, seconds: float) -> str:
    lines = [f"# falsify report ({'outside the domains' if args.outside else 'inside the domains'})", "",
             f"seed {args.seed}, budget {args.budget or 'per property'}, {seconds:.1f} s in all", "",
             "| property | relaxed | examples | verdicts | result | seconds |", "|---|---|---|---|---|---|"]
    for r in runs:
        v = ", ".join(f"{k} {n}" for k, n in sorted(r["verdicts"].items()))
        lines.append(f"| {r['property']} | {', '.join(r['relaxed']) or '—'} | {r['examples_tried']} | {v} | "
                     f"{r['kind']} | {r['seconds']} |")
    for r in runs:
        if r["kind"] in ("violation", "finding"):
            lines += ["", f"## {r['kind']}: {r['property']}" + (f" (relaxed: {', '.join(r['relaxed'])})"
                                                                 if r["relaxed"] else ""), "",
                      f"- minimal configuration: `{json.dumps(r['counterexample'])}`",
                      f"- measured vs predicted: {r['reason']}",
                      f"- assumptions left: {'; '.join(r['assumptions_left']) or 'none (inside the domain)'}"]
        elif r["kind"] == "error":
            lines += ["", f"## error: {r['property']}", "", f"- {r['error']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from hypothesis.database import DirectoryBasedExampleDatabase

    from verification.properties import REGISTRY, search

    if args.list:
        for p in REGISTRY.values():
            print(f"{p.name}  [check {p.check}; bounds {', '.join(p.bounds.values())}]\n  claim: {p.claim}\n  domain: "
                  + "; ".join(f"{k}: {v}" for k, v in p.domain.items())
                  + (f"\n  relaxable: {', '.join(p.relaxable)}" if p.relaxable else ""))
        return 0
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        return _fail(f"unknown property {unknown[0]!r}; known: {', '.join(REGISTRY)}")
    if args.budget is not None and args.budget < 1:
        return _fail(f"--budget {args.budget} must be a positive integer")
    if args.seed < 0:
        return _fail(f"--seed {args.seed} must be a non-negative integer")
    if args.relax and not args.outside:
        return _fail("--relax needs --outside")
    props = [REGISTRY[n] for n in args.names] if args.names else list(REGISTRY.values())
    plan: list[tuple[Any, tuple[str, ...]]] = []
    for p in props:
        if not args.outside:
            plan.append((p, ()))
        elif args.relax:
            chosen = tuple(x.strip() for x in args.relax.split(",") if x.strip())
            bad = [x for x in chosen if x not in p.relaxable]
            if bad:
                return _fail(f"property {p.name!r} cannot relax {bad[0]!r}; relaxable: {', '.join(p.relaxable) or 'none'}")
            plan.append((p, chosen))
        else:
            plan += [(p, (x,)) for x in p.relaxable]
    if not plan:
        return _fail("no property has a relaxable parameter among those chosen")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = DirectoryBasedExampleDatabase(str(out / "hypothesis-db"))
    t0, runs = time.perf_counter(), []
    for p, relaxed in plan:
        r = search(p, budget=args.budget, relaxed=relaxed, seed_value=args.seed, database=db)
        runs.append(r.to_json())
        print(f"{p.name:<22} {('relax ' + ','.join(relaxed)) if relaxed else 'inside':<16} {r.tried:>4} examples "
              f"{r.seconds:7.1f} s  {r.kind}" + (f": {r.counterexample} — {r.outcome.reason[:120]}" if r.outcome else "")
              + (f": {r.error}" if r.error else ""), flush=True)
    seconds = time.perf_counter() - t0
    report = {"outside": args.outside, "seed": args.seed, "budget": args.budget, "seconds": round(seconds, 2),
              "runs": runs}
    (out / "falsify.json").write_text(json.dumps(report, indent=1, default=str))
    (out / "falsify.md").write_text(_markdown(runs, args, seconds))
    print(f"report: {out / 'falsify.md'} ({seconds:.1f} s)")
    return 1 if any(r["kind"] in ("violation", "error") for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
