"""QIP end to end as a plain script runs it: one thread, no progress bar, after ``warm_up()``.

The benchmark harness (``qbdsl experiment bench --qip-held-out`` / ``--qip-fit``) is a threaded
caller (its progress bar), so OR-Tools runs there in a solver worker process and a sampler beside
OR-Tools under 0.25 s runs only through an idle worker. A user's script is usually one thread.
This script solves each case of a split with ``qb.solve(m, backend="auto", deadline=d,
time_limit=d)`` from one thread, with the pair rule of a sampler beside OR-Tools on and off,
interleaved per case (``--compare-in-child``), and prints QIP's quality and time against the
oracle of the split's backend runs (the measures of ``scripts/qip_heldout.py``).

Usage::

    python scripts/qip_plain.py --split test8 --runs qbdsl/qip/data/test8-bench-runs.csv.xz \\
        --fit qbdsl/qip/data/bench-runs.csv.xz,qbdsl/qip/data/test2-bench-runs.csv.xz,... \\
        --deadlines 0.05,0.5,5 --compare-in-child --out out/plain-test8.csv
    python scripts/qip_plain.py --split dev --runs qbdsl/qip/data/bench-runs.csv.xz --held-out \\
        --deadlines 0.05 --compare-in-child --out out/plain-dev.csv

Exit status 2 with one line on stderr for bad input (a missing runs file, no case to run).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def _solve_case(obj, deadline: float, cost_model, best: float) -> dict:
    """One timed ``qb.solve(backend="auto")``: seconds, quality (the harness's), what ran."""
    import qbdsl as qb
    from qbdsl.errors import BackendError, ModelError, TimeLimitError
    from qbdsl.qip.benchmark import quality

    t = time.perf_counter()
    try:
        r = qb.solve(obj, backend="auto", deadline=deadline, time_limit=deadline, cost_model=cost_model, seed=0)
    except (BackendError, TimeLimitError, ModelError) as exc:  # no answer: quality 0, as the harness scores it
        return {"seconds": time.perf_counter() - t, "quality": 0.0, "ran": f"error: {type(exc).__name__}"}
    seconds = time.perf_counter() - t
    objective = float(r.objective) if r.objective is not None else math.nan
    ran = ",".join(f"{p['backend']}:{p['process']}" for p in r.info.get("parallel", [])) or str(r.backend)
    return {"seconds": seconds, "quality": quality(objective, bool(r.feasible), seconds, deadline, best), "ran": ran}


def summary(rows: Sequence[dict], runs: Sequence[dict]) -> list[str]:
    """Per mode and deadline and over all: q/oracle (mean of per-case ratios) and t/oracle (ratio
    of shifted geometric means), the oracle chosen from ``runs`` as ``scripts/qip_heldout.py``
    chooses it."""
    from qbdsl.qip import costmodel as cm

    by: dict[tuple[str, float], dict[str, tuple[float, float]]] = {}
    for r in runs:
        if r["seconds"] in ("", "nan"):
            continue
        q = float(r["quality"]) if r["quality"] not in ("", "nan") else 0.0
        dl = float(r["deadline"])
        by.setdefault((r["instance"], dl), {})[r["backend"]] = cm._at_deadline(q, float(r["seconds"]), dl)
    acc: dict[tuple[str, str], tuple[list, list, list]] = {}
    for row in rows:
        key = (row["instance"], float(row["deadline"]))
        oq, ot = by[key][cm.oracle_of(by[key], key[1])]
        for group in (f"{float(row['deadline']):g} s", "all"):
            qr, ts, ots = acc.setdefault((row["mode"], group), ([], [], []))
            qr.append(float(row["quality"]) / oq if oq > 0 else 1.0)
            ts.append(float(row["seconds"]))
            ots.append(ot)
    out = ["| sampler beside OR-Tools | deadline | cases | q/oracle | t/oracle (SGM) |", "|---|---|---:|---:|---:|"]
    for (mode, group), (qr, ts, ots) in sorted(acc.items()):
        ratio = cm.shifted_geomean(ts) / cm.shifted_geomean(ots)
        out.append(f"| {mode} | {group} | {len(qr)} | {sum(qr) / len(qr):.3f} | {ratio:.2f}x |")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from qbdsl.cli.inputs import check_output
    from qbdsl.errors import ModelError
    from qbdsl.problems import benchmarks

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=benchmarks.SPLITS, default="dev", help="the split whose cases to solve")
    ap.add_argument("--runs", required=True, help="the split's backend runs (best values and the oracle)")
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--fit", help="runs files (comma-separated) of one cost model fitted on all of them")
    how.add_argument("--held-out", action="store_true", help="each family decided by a model fitted without it")
    ap.add_argument("--deadlines", default="0.05,0.5,5", help="seconds, comma-separated")
    ap.add_argument("--instances", help="only these instances, comma-separated")
    ap.add_argument("--compare-in-child", action="store_true", help="also each case with the pair rule off")
    ap.add_argument("--out", required=True, help="CSV of every solve (written at the end)")
    args = ap.parse_args(argv)
    try:
        check_output(args.out, "--out")
        try:
            deadlines = [float(x) for x in args.deadlines.split(",") if x.strip()]
        except ValueError:
            deadlines = []
        if not deadlines or not all(math.isfinite(d) and d > 0 for d in deadlines):
            raise ModelError(f"--deadlines takes positive numbers, got {args.deadlines!r}")
        sys.path.insert(0, str(Path(__file__).parent))  # qip_heldout, beside this script
        from qip_heldout import backend_runs

        runs = backend_runs(args.runs, "runs file")
        best = {r["instance"]: float(r["best"]) if r.get("best", "") not in ("", "nan") else math.nan for r in runs}
        wanted = {i.strip() for i in args.instances.split(",")} if args.instances else None
        suite = benchmarks.instances(split=args.split)
        cases = [b for b in suite if b.name in best and (not wanted or b.name in wanted)]
        measured = {(r["instance"], float(r["deadline"])) for r in runs}
        todo = [(b, d) for b in cases for d in deadlines if (b.name, d) in measured]
        if not todo:
            raise ModelError(f"{args.runs}: no run of a {args.split} case at deadlines {args.deadlines}")
        from qbdsl.qip import variants, warm_up
        from qbdsl.qip.benchmark import fitted_model, held_out_models

        models = held_out_models(args.runs) if args.held_out else None
        fitted = None if args.held_out else fitted_model(args.fit)
        warm_up(fitted)
        real = variants.runs_in_child
        rows = []
        try:
            for inst, d in todo:
                model = models(inst.family) if models is not None else fitted
                for mode in ("off", "on") if args.compare_in_child else ("on",):
                    variants.runs_in_child = real if mode == "on" else (lambda name: False)
                    got = _solve_case(inst.build(), d, model, best[inst.name])
                    rows.append({"family": inst.family, "instance": inst.name, "deadline": d, "mode": mode, **got})
        finally:
            variants.runs_in_child = real
        with open(args.out, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        print("\n".join(summary(rows, runs)))
        return 0
    except (ModelError, OSError, ValueError) as exc:  # FileFormatError is a ModelError
        print(f"qip_plain: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
