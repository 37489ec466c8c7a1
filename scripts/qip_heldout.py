"""The held-out table of the QIP cost model: leave each instance family out, fit on the others,
score the decision rule and every fixed policy on the held-out family, per family and deadline.

Usage (rows from ``python -m qbdsl.qip.benchmark ... --out DIR``; several files are merged)::

    python scripts/qip_heldout.py /tmp/i18-data/d2-bench-runs.csv [more.csv ...] [--md out.md]

Prints three Markdown tables: per held-out family (all deadlines), per (family, deadline),
and the cost model's prediction errors. Qualities are the mean of per-case ratios to the
oracle's; times the ratio of shifted geometric means (``qbdsl.qip.costmodel.shifted_geomean``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qbdsl.errors import ModelError
from qbdsl.io.atomic import atomic_write
from qbdsl.qip import costmodel as cm

KEY_COLUMNS = ("family", "instance", "deadline", "backend")


def merged_rows(paths: Sequence[str], what: str = "runs file") -> list[dict]:
    """The rows of every runs file, later files replacing earlier rows of the same
    (instance, deadline, backend), read as ``qbdsl costmodel fit`` reads them
    (:func:`qbdsl.cli.policy.read_run_rows`: the benchmark's error statuses in calibrate's terms).

    Raises
    ------
    FileFormatError
        A missing or unreadable file, one without rows, a key column missing, or a deadline
        that is not a number (naming the file and line).
    """
    from qbdsl.cli.policy import read_run_rows
    from qbdsl.errors import FileFormatError

    rows: dict[tuple, dict] = {}
    for p in paths:
        got = read_run_rows(p)
        missing = [c for c in KEY_COLUMNS if c not in got[0]]
        if missing:
            raise FileFormatError(f"not a {what}: no column {', '.join(missing)}", str(p), 1)
        for k, r in enumerate(got):
            try:
                rows[(r["instance"], float(r["deadline"]), r["backend"])] = r
            except (TypeError, ValueError):
                raise FileFormatError(f"deadline {r['deadline']!r} is not a number", str(p), k + 2) from None
    return list(rows.values())


def backend_runs(path: str, what: str) -> list[dict]:
    """The rows of a file of backend runs (not QIP's end-to-end runs), read as
    :func:`merged_rows` reads them, each with a time and a quality to score.

    Raises
    ------
    FileFormatError
        What :func:`merged_rows` raises; a column the scoring reads missing (``seconds``,
        ``quality``, ``status``); a row of backend ``qip`` (QIP's own runs are not the
        backends'); a deadline or time that is not a non-negative number, or a quality that is
        neither empty, ``nan`` nor a number (naming the file and line).
    """
    import math

    from qbdsl.cli.policy import read_run_rows
    from qbdsl.errors import FileFormatError

    got = read_run_rows(path)
    missing = [c for c in (*KEY_COLUMNS, "seconds", "quality", "status") if c not in got[0]]
    if missing:
        raise FileFormatError(f"not a {what}: no column {', '.join(missing)}", str(path), 1)
    for k, r in enumerate(got):
        if r["backend"] == "qip":
            raise FileFormatError(
                f"a run of QIP itself (backend 'qip'): a {what} holds backend runs (scripts/qip_same_day.py, "
                "qbdsl experiment bench)",
                str(path),
                k + 2,
            )
        for c in ("deadline", "seconds", "quality"):
            v = r[c]
            if c == "quality" and v in ("", "nan", None):
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = math.nan
            if not (math.isfinite(x) and x >= 0):
                raise FileFormatError(f"{c} {v!r} is not a non-negative number", str(path), k + 2)
    return list({(r["instance"], float(r["deadline"]), r["backend"]): r for r in got}.values())  # as merged_rows


def feature_costs(path: str) -> dict[str, dict[str, str]]:
    """``instance -> {"feature_seconds": ..., "lower_seconds": ...}`` from the CSV of
    ``scripts/qip_feature_seconds.py``.

    Raises
    ------
    FileFormatError
        A missing or unreadable file, a column missing, or a value that is not a
        non-negative number (naming the file and line).
    """
    import csv
    import math

    from qbdsl.errors import FileFormatError
    from qbdsl.io.atomic import read_text

    text = read_text(path)  # a missing file, a folder or bad bytes: one FileFormatError naming it
    try:
        table = list(csv.DictReader(text.splitlines()))
    except csv.Error as exc:
        raise FileFormatError(f"cannot read the feature seconds: {exc}", str(path), 1) from None
    need = ("instance", "feature_seconds", "lower_seconds")
    if not table:
        raise FileFormatError("no rows (a header alone, or an empty file)", str(path), 1)
    missing = [c for c in need if c not in table[0]]
    if missing:
        raise FileFormatError(f"not a feature-seconds file: no column {', '.join(missing)}", str(path), 1)
    out = {}
    for k, r in enumerate(table):
        if r["instance"] in out:
            raise FileFormatError(f"instance {r['instance']!r} a second time", str(path), k + 2)
        for c in need[1:]:
            try:
                v = float(r[c])
            except (TypeError, ValueError):
                v = math.nan
            if not (math.isfinite(v) and v >= 0):
                raise FileFormatError(f"{c} {r[c]!r} is not a non-negative number", str(path), k + 2)
        out[r["instance"]] = {c: r[c] for c in need[1:]}
    return out


POLICY_HEAD = ("qip, 2 cores: q/oracle", "t/oracle (SGM)", "qip, 1 core: q/oracle", "t/oracle (SGM)")


def _row_cells(s: dict[str, dict], backends: Sequence[str]) -> list[str]:
    """qip on two cores and on one (quality and shifted-geometric-mean time vs the oracle's),
    then each fixed policy's quality vs the oracle's ("-" where its backend was not measured)."""
    par, one = s["qip-parallel"], s["qip"]
    cells = [f"{par['quality_vs_oracle']:.3f}", f"{par['time_sgm_vs_oracle']:.2f}x",
             f"{one['quality_vs_oracle']:.3f}", f"{one['time_sgm_vs_oracle']:.2f}x"]  # fmt: skip
    for b in backends:
        d = s.get(f"always-{b}")
        note = "" if d is None or d["cases"] == one["cases"] else f" ({d['cases']})"
        cells.append("-" if d is None else f"{d['quality_vs_oracle']:.3f}{note}")
    return cells


def _head(first: Sequence[str], backends: Sequence[str]) -> list[str]:
    head = [*first, *POLICY_HEAD, *(f"always-{b}" for b in backends)]
    return ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i < len(first) - 1 else "---:"
                                                          for i in range(len(head))) + "|"]  # fmt: skip


def _picks(cases: Sequence[dict], key: str) -> str:
    out: dict[str, int] = {}
    for c in cases:
        v = c[key] if key != "qip_parallel" else (" & ".join(c[key]) if c[key] else c["qip"])
        v = "no backend" if v is None else str(v)
        out[v] = out.get(v, 0) + 1
    return ", ".join(f"{b} {k}" for b, k in sorted(out.items(), key=lambda t: -t[1]))


def family_table(ev: cm.Evaluation, backends: Sequence[str]) -> str:
    """Per held-out family and over all (all deadlines): QIP on two cores and on one, and every
    fixed policy, each as quality / the oracle's (time: ratio of shifted geometric means)."""
    lines = _head(["held-out family", "cases"], backends)
    for fam in dict.fromkeys(d["family"] for d in ev.decisions):
        s = ev.summary(fam)
        lines.append("| " + " | ".join([fam, str(s["qip"]["cases"]), *_row_cells(s, backends)]) + " |")
    return "\n".join(lines)


def deadline_table(ev: cm.Evaluation, backends: Sequence[str]) -> str:
    """Per (held-out family, deadline) and per deadline over all families: the oracle's picks,
    QIP's picks (a pair run in parallel as ``a & b``), and the same columns as :func:`family_table`."""
    lines = _head(["family", "deadline (s)", "cases", "oracle picks", "qip picks (2 cores)"], backends)
    deadlines = sorted({c["deadline"] for c in ev.cases})
    keys = sorted({(c["family"], c["deadline"]) for c in ev.cases}) + [("all", d) for d in deadlines]
    for fam, dl in keys:
        cs = [c for c in ev.cases if (fam == "all" or c["family"] == fam) and c["deadline"] == dl]
        s = {d["policy"]: d for d in cm.score_cases(cs, backends) if d["family"] == "all"}
        cells = [fam, f"{dl:g}", str(len(cs)), _picks(cs, "oracle"), _picks(cs, "qip_parallel")]
        lines.append("| " + " | ".join([*cells, *_row_cells(s, backends)]) + " |")
    return "\n".join(lines)


def same_day_oracle(rows: Sequence[dict], same_day: Sequence[dict]) -> dict[tuple[str, float], tuple[float, float]]:
    """``(instance, deadline) -> (quality, seconds)`` of the oracle when ``same_day``'s runs
    (``scripts/qip_same_day.py``: the early runs measured again on the day of the QIP runs) take
    the place of ``rows``' runs of the same (instance, deadline, backend). The oracle is chosen as
    :func:`qbdsl.qip.costmodel.evaluate` chooses it: among the backends that took the instance,
    the best quality at the deadline (0 when late), then the shortest time."""
    merged = {(r["instance"], float(r["deadline"]), r["backend"]): r for r in [*rows, *same_day]}
    runs: dict[tuple[str, float], dict[str, tuple[float, float]]] = {}
    for (inst, dl, b), r in merged.items():
        if not cm.taken([r["status"]])[0]:
            continue
        q = float(r["quality"]) if r.get("quality") not in (None, "", "nan") else float("nan")
        runs.setdefault((inst, dl), {})[b] = cm._at_deadline(q, float(r["seconds"]), dl)
    out = {}
    for (inst, dl), by in runs.items():
        out[(inst, dl)] = by[cm.oracle_of(by, dl)]
    return out


def measured_table(
    ev: cm.Evaluation, rows: Sequence[dict], qip_rows: Sequence[dict], same_day: Sequence[dict] | None = None
) -> str:
    """QIP run end to end (``qbdsl experiment bench --qip-held-out``: ``qb.solve(backend="auto")``
    with a model fitted without the instance's family; decision, parallel runs, contention and
    fallbacks included) beside its simulation from the single-backend runs, per held-out family
    and over all: quality / the oracle's (the oracle from the backends' runs) and time (ratio of
    shifted geometric means). Its quality is scored against the same best value as the
    backends' runs (:func:`qbdsl.qip.benchmark.quality`); the mean of per-case ratios is given
    as is and capped at 1 per case, as the simulation's are. With ``same_day`` (backend runs
    measured again on the QIP runs' day, :func:`same_day_oracle`) two more columns score the
    measured runs against that day's oracle: a machine whose speed drifts between days moves
    the early runs' times, which the recorded oracle does not see."""
    from qbdsl.errors import ModelError
    from qbdsl.qip.benchmark import quality

    best = {r["instance"]: (float(r["best"]), r["sense"]) for r in rows if r.get("best") not in (None, "", "nan")}
    got = {}
    for k, r in enumerate(qip_rows):
        inst, dl = r["instance"], float(r["deadline"])
        b, sense = best.get(inst, (float("nan"), "min"))
        try:
            obj, feas, secs = float(r["objective"] or "nan"), r["feasible"] == "True", float(r["seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"--measured: row {k + 2} does not read as a QIP run ({exc})") from None
        got[(inst, dl)] = (quality(obj, feas, secs, dl, b), secs, r["status"].split(" | ")[-1])
    head = ["held-out family", "cases measured", "measured: q/oracle", "capped at 1 per case", "t/oracle (SGM)",
            "simulated (2 cores): q/oracle", "t/oracle (SGM)", "measured mean q", "oracle mean q"]  # fmt: skip
    today = same_day_oracle(rows, same_day) if same_day is not None else None
    if today is not None:
        head[5:5] = ["same-day oracle: q/oracle (capped)", "t/oracle (SGM)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    fams = sorted({c["family"] for c in ev.cases})
    for fam in [*fams, "all"]:
        cs = [c for c in ev.cases if (fam == "all" or c["family"] == fam) and (c["instance"], c["deadline"]) in got]
        if not cs:
            continue
        oq = [c["runs"][c["oracle"]][0] for c in cs]
        ot = [c["runs"][c["oracle"]][1] for c in cs]
        mq = [got[(c["instance"], c["deadline"])][0] for c in cs]
        mt = [got[(c["instance"], c["deadline"])][1] for c in cs]
        ratio = [q / o if o > 0 else 1.0 for q, o in zip(mq, oq, strict=True)]
        sim = {d["policy"]: d for d in cm.score_cases(cs, []) if d["family"] == "all"}["qip-parallel"]
        # a measured answer may beat the oracle's (another run of a randomized backend); the
        # simulation's ratios cannot exceed 1, so the capped mean is the one to set beside it
        capped = [min(r, 1.0) for r in ratio]
        cells = [fam, str(len(cs)), f"{sum(ratio) / len(ratio):.3f}", f"{sum(capped) / len(capped):.3f}",
                 f"{cm.shifted_geomean(mt) / cm.shifted_geomean(ot):.2f}x", f"{sim['quality_vs_oracle']:.3f}",
                 f"{sim['time_sgm_vs_oracle']:.2f}x", f"{sum(mq) / len(mq):.3f}",
                 f"{sum(oq) / len(oq):.3f}"]  # fmt: skip
        if today is not None:
            tq = [today[(c["instance"], c["deadline"])][0] for c in cs]
            tt = [today[(c["instance"], c["deadline"])][1] for c in cs]
            tr = [min(q / o, 1.0) if o > 0 else 1.0 for q, o in zip(mq, tq, strict=True)]
            cells[5:5] = [f"{sum(tr) / len(tr):.3f}", f"{cm.shifted_geomean(mt) / cm.shifted_geomean(tt):.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pair_arg(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",")]
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise ModelError(f"--pair takes two different backends as A,B, got {text!r}")
    return names[0], names[1]


RULE_FLAGS = {  # flag -> the decision rule's constant in qbdsl.qip.uncertain
    "--min-parallel-deadline": "PARALLEL_MIN_DEADLINE",
    "--in-hand-wait": "IN_HAND_WAIT",
    "--race-ratio": "RACE_RATIO",
    "--band-deadline-share": "BAND_DEADLINE_SHARE",
    "--extrapolated-weight": "EXTRAPOLATED_WEIGHT",
    "--thread-setup-share": "THREAD_SETUP_SHARE",
}


def _set_rules(values: dict[str, float | None]) -> None:
    """Override the decision rule's constants named in :data:`RULE_FLAGS` for this run (``values``:
    flag -> number, None keeps the constant). ``inf`` is allowed for ``--thread-setup-share``
    (no pair in threads is dropped for its set-ups) and ``--extrapolated-weight`` (no pair for
    extrapolation); every value must be >= 0."""
    import math

    from qbdsl.qip import uncertain

    for flag, v in values.items():
        if v is None:
            continue
        unbounded = flag in ("--thread-setup-share", "--extrapolated-weight")
        if math.isnan(v) or v < 0 or (math.isinf(v) and not unbounded):
            raise ModelError(f"{flag} must be a {'' if unbounded else 'finite '}number >= 0, got {v}")
        setattr(uncertain, RULE_FLAGS[flag], v)


def pair_table(ev: cm.Evaluation, pair: tuple[str, str]) -> str:
    """The fixed two-core pair ``always A & B`` beside QIP (two cores), per family and over all,
    on the cases where both A and B were measured: quality / the oracle's and time (shifted
    geometric means). The pair pays no decision (it computes no features); QIP pays its own."""
    a, b = pair
    cases = [c for c in ev.cases if a in c["measured"] and b in c["measured"]]
    if not cases:
        raise ModelError(f"--pair {a},{b}: no case has runs of both")
    fixed = [dict(c, qip=a, qip_parallel=(a, b), qip_race=False, decision_seconds=0.0) for c in cases]
    head = ["family", "cases", f"always {a} & {b}: q/oracle", "t/oracle (SGM)", "qip, 2 cores: q/oracle",
            "t/oracle (SGM)"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    p = {d["family"]: d for d in cm.score_cases(fixed, []) if d["policy"] == "qip-parallel"}
    q = {d["family"]: d for d in cm.score_cases(cases, []) if d["policy"] == "qip-parallel"}
    for fam in [*sorted({c["family"] for c in cases}), "all"]:
        lines.append(
            f"| {fam} | {p[fam]['cases']} | {p[fam]['quality_vs_oracle']:.3f} | {p[fam]['time_sgm_vs_oracle']:.2f}x | "
            f"{q[fam]['quality_vs_oracle']:.3f} | {q[fam]['time_sgm_vs_oracle']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print (and with ``--md`` write) the held-out tables of the runs files given."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="runs CSV files (qbdsl.qip.benchmark's bench-runs.csv)")
    ap.add_argument("--md", help="also write the tables to this Markdown file")
    ap.add_argument("--confidence", type=float, default=0.9)
    ap.add_argument("--measured", help="QIP's end-to-end runs (qip-runs.csv of qbdsl experiment bench --qip-held-out)")
    ap.add_argument(
        "--test",
        metavar="RUNS",
        help="score the frozen test split's runs (qbdsl experiment bench --split test) with one model fitted on "
        "all of the dev runs, instead of leaving families out",
    )
    ap.add_argument(
        "--pair",
        metavar="A,B",
        help="also score the fixed policy 'always run A and B in parallel on two cores' (stopped as qb.solve "
        "stops a pair, with no decision to pay) beside QIP on the cases both were measured on",
    )
    ap.add_argument(
        "--min-parallel-deadline",
        type=float,
        metavar="S",
        help="QIP runs no pair under this deadline (default qbdsl.qip.uncertain.PARALLEL_MIN_DEADLINE; 0 with "
        "--in-hand-wait 0 gives the rules the second test split was frozen with)",
    )
    ap.add_argument(
        "--in-hand-wait",
        type=float,
        metavar="F",
        help="a pair's late run is stopped F x the deadline past it once the other has answered (default "
        "qbdsl.qip.uncertain.IN_HAND_WAIT)",
    )
    ap.add_argument(
        "--race-ratio",
        type=float,
        metavar="R",
        help="a prover races a heuristic QIP chose alone when its median time is below R x the heuristic's "
        "(default qbdsl.qip.uncertain.RACE_RATIO; 0: no races)",
    )
    ap.add_argument(
        "--band-deadline-share",
        type=float,
        metavar="F",
        help="a wide time band is doubt only when its p90 reaches F x the deadline (default "
        "qbdsl.qip.uncertain.BAND_DEADLINE_SHARE; 0: at any deadline)",
    )
    ap.add_argument(
        "--extrapolated-weight",
        type=float,
        metavar="W",
        help="the runner-up runs beside a choice whose prior weight is at least W (default "
        "qbdsl.qip.uncertain.EXTRAPOLATED_WEIGHT; inf: never)",
    )
    ap.add_argument(
        "--thread-setup-share",
        type=float,
        metavar="F",
        help="no pair in threads whose two set-ups exceed F x the deadline (default "
        "qbdsl.qip.uncertain.THREAD_SETUP_SHARE; inf: never dropped). The rules each split was registered "
        "with: README, 'QIP where the choice matters'",
    )
    ap.add_argument(
        "--feature-seconds",
        metavar="CSV",
        help="put the feature and lowering seconds of this file (scripts/qip_feature_seconds.py; the "
        "shipped qbdsl/qip/data/feature-seconds.csv) in place of the runs files' columns: what the "
        "decision costs today rather than when the runs were measured (the older files lack the lowering, "
        "so without it their cases are charged it twice)",
    )
    ap.add_argument(
        "--same-day",
        metavar="RUNS",
        help="the backends' early runs measured again on the day of the --measured runs "
        "(scripts/qip_same_day.py): the measured table also scores QIP against that day's oracle",
    )
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except (ModelError, OSError) as exc:  # FileFormatError is a ModelError
        print(f"qip_heldout: error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from qbdsl.cli.inputs import check_output

    check_output(args.md, "--md")
    if not 0 < args.confidence < 1:
        raise ModelError(f"--confidence must be in (0, 1), got {args.confidence}")
    rows = merged_rows(args.runs)
    test = merged_rows([args.test], "test runs file") if args.test else None
    if args.feature_seconds:
        costs = feature_costs(args.feature_seconds)
        every = [*rows, *(test or [])]
        if not any(r["instance"] in costs for r in every):
            raise ModelError(f"--feature-seconds {args.feature_seconds}: none of the runs' instances is in it")
        for r in every:
            r.update(costs.get(r["instance"], {}))
    if test is not None and {r["backend"] for r in test} == {"qip"}:
        raise ModelError(
            f"--test {args.test}: QIP's end-to-end runs, not the split's single-backend runs; give them to --measured"
        )
    measured = None
    if args.measured:  # checked before the evaluation, which takes tens of seconds
        measured = merged_rows([args.measured], "QIP runs file")
        others = sorted({r["backend"] for r in measured} - {"qip"})
        if others:
            raise ModelError(
                f"--measured {args.measured}: not QIP's end-to-end runs (backends {', '.join(others)}); "
                "write them with qbdsl experiment bench --qip-held-out"
            )
        scored = {(r["instance"], float(r["deadline"])) for r in (test if test is not None else rows)}
        if not any((r["instance"], float(r["deadline"])) in scored for r in measured):
            raise ModelError(
                f"--measured {args.measured}: none of its runs is of an (instance, deadline) the tables score "
                "(another split?)"
            )
    same_day = None
    if args.same_day:
        if measured is None:
            raise ModelError("--same-day scores the --measured runs: give --measured too")
        same_day = backend_runs(args.same_day, "same-day runs file")
        known = {(r["instance"], float(r["deadline"])) for r in [*rows, *(test or [])]}
        if not any((r["instance"], float(r["deadline"])) in known for r in same_day):
            raise ModelError(
                f"--same-day {args.same_day}: none of its runs is of an (instance, deadline) of the runs files "
                "(another split?)"
            )
    pair = _pair_arg(args.pair)
    _set_rules({flag: getattr(args, flag[2:].replace("-", "_")) for flag in RULE_FLAGS})
    ev = cm.evaluate(rows, confidence=args.confidence, test_rows=test)
    backends = sorted({r["backend"] for r in rows})
    text = "\n\n".join(
        [
            f"Leave-one-family-out over {len(rows)} runs ({', '.join(args.runs)})."
            if test is None
            else f"Fitted on the {len(rows)} dev runs ({', '.join(args.runs)}), scored on the test split "
            f"({len(test)} runs, {args.test}).",
            family_table(ev, backends),
            deadline_table(ev, backends),
            ev.table().split("\n\n")[0],
        ]
    )
    if measured is not None:
        text += "\n\n" + measured_table(ev, rows + (test or []), measured, same_day)
    if pair is not None:
        text += "\n\n" + pair_table(ev, pair)
    print(text)
    if args.md:
        atomic_write(args.md, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
