"""Measure again, today, the backend runs of a runs file that did not fill their deadline.

An end-to-end QIP run (``qbdsl experiment bench --qip-held-out``) is timed on the day it runs;
the oracle it is scored against comes from backend runs measured on another day. A run that
fills its deadline (tabu, an annealer sized to it, a solver cut by it) takes the deadline on any
day; one that ends early (an enumeration, an annealer with a fixed number of reads, a proof)
takes what the machine gives that day: on 2026-12-01 the 2026-11-30 commit ec789ff ran the dev
suite's exact and fixed-read anneal runs 2-3.6x slower than it had the day before on the same
VM. This script runs those early runs that could be the oracle again (same seed, same options, in the same harness as
``qbdsl experiment bench``) and writes them to a runs file; ``scripts/qip_heldout.py --measured
QIP_RUNS --same-day THIS_FILE`` then scores QIP against the oracle of the same day beside the
recorded one.

Usage::

    python scripts/qip_same_day.py qbdsl/qip/data/bench-runs.csv.xz --out out/same-day.csv
    python scripts/qip_same_day.py RUNS --share 0.5 --split dev --out FILE

Exit status 2 with one line on stderr for bad input (a missing runs file, no run to redo).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

SHARE = 0.5  # a run that ended before this share of its deadline did not fill it


class _Built:
    """A suite instance whose model is built once for every (backend, deadlines) group measured."""

    def __init__(self, inst):
        self._inst, self._obj = inst, None
        for a in ("family", "name", "best_known", "best_known_source", "sense"):
            setattr(self, a, getattr(inst, a))

    def build(self):
        if self._obj is None:
            self._obj = self._inst.build()
        return self._obj


def early_runs(rows: Sequence[dict], share: float = SHARE) -> dict[tuple[str, str], list[float]]:
    """``(instance, backend) -> deadlines`` of the runs that ended before ``share`` x their
    deadline (the ones whose time depends on the day's machine) and could be the oracle: the
    backend took the instance and its quality at the deadline is the case's best (a run of
    lower quality does not become the oracle by being faster)."""
    from qbdsl.qip import costmodel as cm

    def at(r: dict) -> float:
        q = float(r["quality"]) if r.get("quality") not in (None, "", "nan") else float("nan")
        return cm._at_deadline(q, float(r["seconds"]), float(r["deadline"]))[0]

    best: dict[tuple[str, float], float] = {}
    for r in rows:
        key = (r["instance"], float(r["deadline"]))
        best[key] = max(best.get(key, 0.0), at(r))
    out: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        dl, secs = float(r["deadline"]), float(r["seconds"])
        if secs < share * dl and cm.taken([r["status"]])[0] and at(r) >= best[(r["instance"], dl)] - 1e-9:
            out.setdefault((r["instance"], r["backend"]), []).append(dl)
    return {k: sorted(set(v)) for k, v in out.items()}


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console

    from qbdsl.cli.progress import counting_progress
    from qbdsl.errors import ModelError
    from qbdsl.problems import benchmarks
    from qbdsl.qip.benchmark import measure

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", help="the runs file whose early runs to measure again (a bench-runs.csv)")
    ap.add_argument("--out", required=True, help="runs file to write (resumed when it exists)")
    ap.add_argument(
        "--share", type=float, default=SHARE, help=f"a run shorter than SHARE x its deadline (default {SHARE})"
    )
    ap.add_argument("--split", choices=benchmarks.SPLITS, default="dev", help="the split the runs file is of")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        if not 0 < args.share <= 1:
            raise ModelError(f"--share must be in (0, 1], got {args.share}")
        sys.path.insert(0, str(Path(__file__).parent))  # qip_heldout, beside this script
        from qip_heldout import backend_runs

        todo = early_runs(backend_runs(args.runs, "runs file"), args.share)
        if not todo:
            raise ModelError(f"{args.runs}: no run ended before {args.share:g} x its deadline")
        suite = {
            b.name: _Built(b) for fam in benchmarks.families() for b in benchmarks.instances(fam, split=args.split)
        }
        missing = sorted({i for i, _ in todo} - set(suite))
        if missing:
            raise ModelError(f"{args.runs}: instances not in the {args.split} split: {', '.join(missing[:5])}")
        console = Console(stderr=True)
        total = sum(len(v) for v in todo.values())
        with counting_progress(console, "same-day runs") as tick:
            done = 0
            for (name, backend), deadlines in sorted(todo.items()):
                measure([suite[name]], deadlines, [backend], seed=args.seed, out=args.out)
                done += len(deadlines)
                tick(done, total, f"{name} / {backend}")
        console.print(f"wrote {args.out} ({total} runs)")
        return 0
    except (ModelError, OSError) as exc:  # FileFormatError is a ModelError
        print(f"qip_same_day: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
