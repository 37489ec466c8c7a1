"""Measure what QIP pays before deciding, per benchmark instance, with the code of now.

``qb.solve(backend="auto")`` lowers a Model once and computes its features before the cost
model decides; :func:`qbdsl.qip.costmodel.evaluate` charges a case that time (the
``feature_seconds`` column less ``lower_seconds``, which each backend's measured run holds
already) plus :data:`qbdsl.qip.costmodel.DECISION_SECONDS`. The runs files of the dev suite and
of the first three test splits were measured before ``lower_seconds`` existed (there every case
is charged its lowering twice) and all of them with the feature code of their day. This script
measures both columns again, once per instance right after it is built, as
:func:`qbdsl.qip.benchmark.measure` does, and writes one CSV; ``scripts/qip_heldout.py
--feature-seconds FILE`` puts them in place of the runs files' columns.

Usage::

    python scripts/qip_feature_seconds.py --out qbdsl/qip/data/feature-seconds.csv [--splits dev,test2]
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import time
from pathlib import Path

from qbdsl.io.atomic import atomic_write
from qbdsl.problems.benchmarks import SPLITS, instances
from qbdsl.qip.benchmark import timed_features

COLUMNS = ("split", "family", "instance", "build_seconds", "feature_seconds", "lower_seconds", "commit")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="the CSV to write (atomically)")
    ap.add_argument("--splits", default=",".join(SPLITS),
                    help="comma-separated splits (default: all)")  # fmt: skip
    a = ap.parse_args(argv)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for split in a.splits.split(","):
        for inst in instances(split=split):
            t = time.perf_counter()
            obj = inst.build()
            build_s = time.perf_counter() - t
            _, feat_s, lower_s = timed_features(obj)
            w.writerow([split, inst.family, inst.name, f"{build_s:.6g}", f"{feat_s:.6g}", f"{lower_s:.6g}", commit])
            print(f"{split:6} {inst.name:28} features {feat_s * 1e3:8.2f} ms (lowering {lower_s * 1e3:.2f})")
    atomic_write(Path(a.out), buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
