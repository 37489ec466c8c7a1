"""``qbdsl explain``, ``qbdsl calibrate`` and ``qbdsl costmodel fit|evaluate``: the Quantum
Invocation Policy's choice, the measured backend profiles and the fitted cost model it chooses by."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import FileFormatError, ModelError
from .inputs import check_output, floats, load_model_spec
from .parsers import debug_parent, leaf, seconds, subcommands
from .progress import counting_progress

# error types of a benchmark row (``error: <Type>: ...``) that mean the backend cannot take the
# instance, and the one that means it ran out of time: the statuses calibrate writes for them
CANNOT_ERRORS = ("BackendError", "UnsupportedTermError", "ModelError", "OptionError", "FileFormatError")


def cmd_explain(args, console) -> int:
    """``qbdsl explain MODEL``: print the QIP decision and why every other backend lost.

    Returns the exit code: 0 when a backend was chosen, 3 when none can meet the deadline.
    """
    from ..qip.policy import decide
    from ..qip.profiles import load_profiles

    obj = load_model_spec(args.model)
    profiles, note = load_profiles(args.profiles) if args.profiles else (None, "")
    d = decide(
        obj,
        deadline=args.deadline,
        quality=args.quality,
        prefer=args.prefer,
        profiles=profiles,
        best_effort=args.best_effort,
        cost_model=False if args.no_cost_model else args.cost_model,
        confidence=_confidence(args.confidence),
    )
    if note:
        d.note = note
    console.print(d.explain(), markup=False, highlight=False, soft_wrap=True)
    return 0 if d.backend is not None else 3


def cmd_calibrate(args, console) -> int:
    """``qbdsl calibrate``: fit the backends' time models on this machine and save the profiles.

    Returns the exit code, 0.

    Raises
    ------
    ModelError
        An output path that cannot be written (checked before the work).
    """
    from ..qip.calibrate import calibrate
    from ..qip.profiles import save_profiles

    check_output(args.output)
    deadlines = None
    if args.deadlines is not None:
        if args.rows_out is None:
            raise ModelError("--deadlines sets the deadlines of the cost-model rows: give --rows-out PATH too")
        deadlines = tuple(floats(args.deadlines, "--deadlines"))
    check_output(args.rows_out, "--rows-out")
    with counting_progress(console, "calibrating") as tick:
        profiles, rows = calibrate(quick=args.quick, progress=tick, rows_out=args.rows_out, deadlines=deadlines)
    path = save_profiles(profiles, args.output)
    for r in rows:
        console.print(f"{r['backend']:<10} size {r['size']:>6}  {r['seconds']:.4f} s")
    console.print(f"[green]wrote[/] {path}")
    if args.rows_out is not None:
        console.print(f"[green]wrote[/] {args.rows_out} (fit it: qbdsl costmodel fit {args.rows_out} -o MODEL)")
    return 0


def read_run_rows(path: str) -> list[dict]:
    """The run rows of a CSV file (``qbdsl calibrate --rows-out`` or the benchmark's
    ``bench-runs.csv``), with the benchmark's error statuses in calibrate's terms.

    The benchmark harness records a backend that raised as ``error: <Type>: <message>``; the
    cost model reads ``cannot: ...`` (the backend cannot take the instance: a
    ``BackendError`` or ``ModelError``, :data:`CANNOT_ERRORS`) and ``time_limit: ...`` (a
    ``TimeLimitError``: refused or cut, late), as :func:`qbdsl.qip.calibrate.measure_rows`
    writes them. Other errors stay as they are (a run that failed).

    Raises
    ------
    FileFormatError
        The file is missing, unreadable or has no header.
    """
    from ..io.atomic import read_bytes

    p = Path(path)
    if not p.is_file():
        raise FileFormatError("no such file", str(path))
    try:  # .gz / .xz / .bz2 read transparently (the shipped runs are xz-compressed)
        rows = list(csv.DictReader(read_bytes(p).decode("utf-8").splitlines()))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileFormatError(f"cannot read it as CSV ({exc})", str(path)) from None
    if not rows:
        raise FileFormatError("no rows (a CSV file with a header and one row per run is expected)", str(path))
    for r in rows:
        status = r.get("status") or ""
        if status.startswith("error:"):
            kind, _, rest = status[len("error:") :].strip().partition(":")
            if kind == "TimeLimitError":
                r["status"] = f"time_limit: {rest.strip()}"
            elif kind in CANNOT_ERRORS:
                r["status"] = f"cannot: {rest.strip()}"
    return rows


def _confidence(value: float) -> float:
    """``--confidence``: a probability strictly between 0 and 1."""
    if not 0 < value < 1:
        raise ModelError(f"--confidence must be strictly between 0 and 1, got {value:g}")
    return value


def cmd_costmodel_fit(args, console) -> int:
    """``qbdsl costmodel fit ROWS.csv [MORE.csv ...] -o MODEL.json``: fit the cost model on the
    rows of every file (the dev suite's runs and the test splits', say) and save it.

    Prints, per backend, the runs it was fitted on and its time spread. Returns 0.

    Raises
    ------
    ModelError
        An output path that cannot be written (checked first), unreadable rows, a ridge that
        is not positive, or a named backend without enough runs.
    """
    from ..qip.costmodel import fit

    check_output(args.output)
    if not args.ridge > 0:
        raise ModelError(f"--ridge must be a positive number, got {args.ridge:g}")
    twice = sorted({p for p in args.rows if args.rows.count(p) > 1})
    if twice:
        raise ModelError(f"rows file {twice[0]} given twice: its runs would count twice")
    rows = [r for path in args.rows for r in read_run_rows(path)]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()] if args.backends else None
    model = fit(rows, backends=backends, ridge=args.ridge)
    deadlines = sorted({float(r["deadline"]) for r in rows})
    model.meta.update(source=", ".join(Path(p).name for p in args.rows), deadlines=[deadlines[0], deadlines[-1]])
    path = model.save(args.output)
    console.print(f"{'backend':<16}{'runs':>6}{'time sigma':>12}")
    for name, bm in sorted(model.backends.items()):
        sigma = model.coefficients(name)["time"]["sigma"]
        console.print(f"{name:<16}{bm.rows:>6}{sigma:>12.3f}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"[green]wrote[/] {path} ({len(rows)} rows; QIP reads it with QBDSL_COSTMODEL={path})", soft_wrap=True
    )
    return 0


def cmd_costmodel_evaluate(args, console) -> int:
    """``qbdsl costmodel evaluate ROWS.csv``: leave-one-family-out prediction errors and the
    decision rule against the oracle and the fixed policies, as Markdown tables. Returns 0.

    Raises
    ------
    ModelError
        Unreadable rows, a confidence outside (0, 1), cores below 1, or fewer than two groups.
    """
    from ..qip.costmodel import evaluate

    confidence = _confidence(args.confidence)
    if args.cores < 1:
        raise ModelError(f"--cores must be at least 1, got {args.cores}")
    ev = evaluate(read_run_rows(args.rows), groups=args.groups, confidence=confidence, cores=args.cores)
    skipped = [f for f in ev.folds if f["skipped"]]
    console.print(ev.table(), markup=False, highlight=False, soft_wrap=True)
    for f in skipped:
        console.print(
            f"held-out {f['family']}: not scored ({f['skipped']})", markup=False, highlight=False, soft_wrap=True
        )
    return 0


def add_commands(sub) -> None:
    """``explain``, ``calibrate`` and ``costmodel fit|evaluate`` on the subparsers ``sub``."""
    ex = leaf(sub, "explain", cmd_explain, "which backend QIP picks for MODEL|FILE under a deadline, and why")
    ex.add_argument(
        "model", help="path.py:function (a function returning a Model) or a .lp / .mps / .qubo / .npz / .bqm file"
    )
    ex.add_argument(
        "--deadline", type=seconds, default=None, help="seconds the chosen backend's predicted time must fit in"
    )
    ex.add_argument("--quality", type=float, default=0.0, help="the quality target in [0, 1]")
    ex.add_argument(
        "--prefer",
        default=None,
        help="quantum, classical, or a backend name: preferred among candidates of equal predicted quality",
    )
    ex.add_argument(
        "--best-effort",
        action="store_true",
        help="when no backend meets the deadline and quality, pick the fastest that takes the problem",
    )
    ex.add_argument("--profiles", default=None, help="a calibrated profiles JSON (default: the saved one)")
    ex.add_argument(
        "--cost-model",
        default=None,
        help="a cost model JSON (qbdsl costmodel fit) judging the backends it knows under --deadline "
        "(default: $QBDSL_COSTMODEL, else the shipped one)",
    )
    ex.add_argument("--no-cost-model", action="store_true", help="judge every backend by its profile only")
    ex.add_argument(
        "--confidence",
        type=float,
        default=0.9,
        help="the probability of meeting the deadline the cost-model rule requires, in (0, 1) (default 0.9)",
    )
    ca = leaf(sub, "calibrate", cmd_calibrate, "re-measure the local backends and save their profiles")
    ca.add_argument(
        "-o",
        "--output",
        default=None,
        help="the profiles JSON to write (default: where explain and qb.solve look for them)",
    )
    ca.add_argument("--quick", action="store_true", help="a short ladder of sizes")
    ca.add_argument(
        "--rows-out",
        default=None,
        metavar="PATH",
        help="also measure cost-model rows (each backend under each deadline) and write them as CSV here",
    )
    ca.add_argument(
        "--deadlines",
        default=None,
        help="deadlines in seconds for --rows-out, comma-separated (default 0.05,0.5,2; 0.05,0.5 with --quick)",
    )
    cm = sub.add_parser(
        "costmodel",
        noun="costmodel command",
        help="fit the QIP cost model on run rows, or evaluate it leaving whole families out",
        description="The QIP cost model; see qbdsl costmodel fit|evaluate --help.",
    )
    which = subcommands(cm, "costmodel", debug_parent())
    fi = leaf(which, "fit", cmd_costmodel_fit, "fit the cost model on run rows (CSV) and save it as JSON")
    fi.add_argument(
        "rows",
        nargs="+",
        help="run rows: qbdsl calibrate --rows-out, or bench-runs.csv of qbdsl experiment bench (several files are "
        "fitted as one)",
    )
    fi.add_argument("-o", "--output", required=True, help="the model JSON to write")
    fi.add_argument("--backends", default=None, help="backends to fit, comma-separated (default: every one with runs)")
    fi.add_argument("--ridge", type=float, default=1.0, help="ridge penalty of both parts (default 1)")
    ev = leaf(
        which,
        "evaluate",
        cmd_costmodel_evaluate,
        "leave-one-family-out errors of the cost model and of QIP's choices against the oracle",
    )
    ev.add_argument("rows", help="run rows (CSV), with a family column")
    ev.add_argument(
        "--confidence",
        type=float,
        default=0.9,
        help="the probability of meeting the deadline the rule requires, in (0, 1) (default 0.9)",
    )
    ev.add_argument("--cores", type=int, default=2, help="cores the rule may assume for parallel runs (default 2)")
    ev.add_argument("--groups", default="family", help="the column held out one value at a time (default family)")
