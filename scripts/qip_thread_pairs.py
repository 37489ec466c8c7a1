"""QIP end to end with and without the rule that drops a heavy pair in threads.

``uncertain.THREAD_SETUP_SHARE``: a pair in threads of one process whose two set-ups take more
than that share of the deadline does not run. The simulation cannot judge the rule (it credits a
pair in threads with no contention), so this script measures it: each instance of a family of a
frozen split, at one deadline, solved by ``qb.solve(backend="auto")`` in a threaded caller (one
idle thread, as the benchmark harness has; two solver workers warm, as the harness waits for),
``--reps`` times with the rule off and on. It writes one row per solve and prints the mean
quality per instance (quality at the deadline over the best known value of the split's runs,
as :func:`qbdsl.qip.benchmark.quality` scores it).

Usage::

    python scripts/qip_thread_pairs.py --split test6 --family kpath --deadline 0.5 \\
        --runs qbdsl/qip/data/test6-bench-runs.csv.xz --out out/thread-pairs.csv
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import threading
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, write the rows, print the table; 2 and one line on bad input."""
    from qbdsl.errors import ModelError

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="test6", help="the frozen split (default test6)")
    ap.add_argument("--family", default="kpath", help="the family of its instances (default kpath)")
    ap.add_argument("--deadline", type=float, default=0.5, help="seconds (default 0.5)")
    ap.add_argument("--runs", required=True, help="the split's single-backend runs (their best values score quality)")
    ap.add_argument("--reps", type=int, default=3, help="solves per instance and setting (default 3)")
    ap.add_argument("--out", required=True, help="CSV of one row per solve")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except (ModelError, OSError) as exc:
        print(f"qip_thread_pairs: error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    import qbdsl as qb
    from qbdsl.cli.inputs import check_output
    from qbdsl.errors import ModelError
    from qbdsl.problems import benchmarks
    from qbdsl.qip import uncertain
    from qbdsl.qip.benchmark import _warm_solver_worker, quality
    from qbdsl.qip.policy import load_cost_model
    from qbdsl.qip.warm import warm_up

    check_output(args.out, "--out")
    if not (math.isfinite(args.deadline) and args.deadline > 0) or args.reps < 1:
        raise ModelError("--deadline must be positive and --reps at least 1")
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    from qip_heldout import merged_rows

    best = {r["instance"]: float(r["best"]) for r in merged_rows([args.runs]) if r.get("best") not in (None, "")}
    insts = [b for b in benchmarks.instances(args.family, split=args.split) if b.name in best]
    if not insts:
        raise ModelError(f"no {args.family} instance of {args.split} has a best value in {args.runs}")
    model, _ = load_cost_model(None)
    warm_up(model)
    idle = threading.Event()
    threading.Thread(target=idle.wait, daemon=True).start()  # a threaded caller, as the harness
    rows, default = [], uncertain.THREAD_SETUP_SHARE
    try:
        for inst in insts:
            obj = inst.build()
            for rule, share in (("off", math.inf), ("on", default)):
                uncertain.THREAD_SETUP_SHARE = share
                for rep in range(args.reps):
                    _warm_solver_worker(workers=2)
                    t = time.perf_counter()
                    try:
                        r = qb.solve(obj, time_limit=args.deadline, deadline=args.deadline, seed=rep, cost_model=model)
                        secs = time.perf_counter() - t
                        value = float(r.objective) if r.sample is not None and r.objective is not None else math.nan
                        ok = bool(r.feasible) and math.isfinite(value)
                        q = quality(value, ok, secs, args.deadline, best[inst.name])
                        ran = " & ".join(r.decision.parallel) or str(r.backend)
                    except Exception as exc:  # noqa: BLE001 -- a row, as the harness records it
                        secs, q, ran = time.perf_counter() - t, 0.0, f"error: {type(exc).__name__}"
                    rows.append({"instance": inst.name, "deadline": args.deadline, "rule": rule, "rep": rep,
                                 "seconds": round(secs, 4), "quality": round(q, 4), "ran": ran})  # fmt: skip
    finally:
        uncertain.THREAD_SETUP_SHARE = default
        idle.set()
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print("| instance | rule off: mean quality | rule on: mean quality |\n|---|---:|---:|")

    def mean(name: str, rule: str) -> float:
        return sum(x["quality"] for x in rows if x["instance"] == name and x["rule"] == rule) / args.reps

    for inst in insts:
        print(f"| {inst.name} | {mean(inst.name, 'off'):.3f} | {mean(inst.name, 'on'):.3f} |")
    off = sum(mean(i.name, "off") for i in insts) / len(insts)
    on = sum(mean(i.name, "on") for i in insts) / len(insts)
    print(f"| all | {off:.3f} | {on:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
