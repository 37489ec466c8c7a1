"""The held-out table of the QIP cost model: leave each instance family out, fit on the others,
score the decision rule and every fixed policy on the held-out family, per family and deadline.

Usage (rows from ``python -m qbdsl.qip.benchmark ... --out DIR``; several files are merged)::

    python scripts/qip_heldout.py /tmp/i18-data/d2-bench-runs.csv [more.csv ...] [--md out.md]

Prints three Markdown tables: per held-out family (all deadlines), per (family, deadline),
and the cost model's prediction errors.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qbdsl.io.atomic import read_text
from qbdsl.qip import costmodel as cm


def merged_rows(paths: Sequence[str]) -> list[dict]:
    """The rows of every runs file, later files replacing earlier rows of the same
    (instance, deadline, backend)."""
    rows: dict[tuple, dict] = {}
    for p in paths:
        for r in csv.DictReader(io.StringIO(read_text(p))):
            rows[(r["instance"], float(r["deadline"]), r["backend"])] = r
    return list(rows.values())


def family_table(ev: cm.Evaluation, backends: Sequence[str]) -> str:
    """Per held-out family: qip and qip-parallel (quality and time vs the oracle's), then each
    fixed policy's quality vs the oracle's (its case count when it was measured on fewer)."""
    head = ["held-out family", "cases", "qip q/oracle", "qip t/oracle", "qip mean q", "parallel q/oracle",
            "parallel t/oracle"] + [f"always-{b} q/oracle (mean q)" for b in backends]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
    for fam in dict.fromkeys(d["family"] for d in ev.decisions):
        s = ev.summary(fam)
        q, par = s["qip"], s["qip-parallel"]
        cells = [fam, str(q["cases"]), f"{q['quality_vs_oracle']:.3f}", f"{q['time_vs_oracle']:.2f}x",
                 f"{q['quality']:.3f}", f"{par['quality_vs_oracle']:.3f}", f"{par['time_vs_oracle']:.2f}x"]  # fmt: skip
        for b in backends:
            d = s.get(f"always-{b}")
            if d is None:
                cells.append("-")
                continue
            note = "" if d["cases"] == q["cases"] else f", {d['cases']} cases, qip {d['qip_quality']:.3f}"
            cells.append(f"{d['quality_vs_oracle']:.3f} ({d['quality']:.3f}{note})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def deadline_table(ev: cm.Evaluation, backends: Sequence[str]) -> str:
    """Per (held-out family, deadline): the oracle's picks, qip's picks, and mean qualities."""
    head = ["family", "deadline (s)", "n", "oracle picks", "qip picks", "oracle q", "qip q", "qip t/oracle"]
    head += [f"always-{b} q" for b in backends]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    keys = sorted({(c["family"], c["deadline"]) for c in ev.cases})
    for fam, dl in keys:
        cs = [c for c in ev.cases if c["family"] == fam and c["deadline"] == dl]
        oq = [c["runs"][c["oracle"]][0] for c in cs]
        qq = [c["runs"].get(c["qip"], (0.0, dl))[0] if c["qip"] else 0.0 for c in cs]
        tr = [max(c["runs"].get(c["qip"], (0.0, dl))[1] if c["qip"] else dl, 1e-3)
              / max(c["runs"][c["oracle"]][1], 1e-3) for c in cs]  # fmt: skip

        def count(key, cs=cs):
            out: dict[str, int] = {}
            for c in cs:
                out[str(c[key])] = out.get(str(c[key]), 0) + 1
            return ", ".join(f"{b} {k}" for b, k in sorted(out.items(), key=lambda t: -t[1]))

        cells = [fam, f"{dl:g}", str(len(cs)), count("oracle"), count("qip"), f"{np.mean(oq):.3f}",
                 f"{np.mean(qq):.3f}", f"{np.mean(tr):.2f}x"]  # fmt: skip
        for b in backends:
            got = [c["runs"].get(b, (0.0, dl))[0] for c in cs if b in c.get("measured", (b,))]
            cells.append(f"{np.mean(got):.3f}" if got else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print (and with ``--md`` write) the held-out tables of the runs files given."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="runs CSV files (qbdsl.qip.benchmark's bench-runs.csv)")
    ap.add_argument("--md", help="also write the tables to this Markdown file")
    ap.add_argument("--confidence", type=float, default=0.9)
    args = ap.parse_args(argv)
    rows = merged_rows(args.runs)
    ev = cm.evaluate(rows, confidence=args.confidence)
    backends = sorted({r["backend"] for r in rows})
    text = "\n\n".join(
        [
            f"Leave-one-family-out over {len(rows)} runs ({', '.join(args.runs)}).",
            family_table(ev, backends),
            deadline_table(ev, backends),
            ev.table().split("\n\n")[0],
        ]
    )
    print(text)
    if args.md:
        Path(args.md).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
