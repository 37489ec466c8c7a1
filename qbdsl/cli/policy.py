"""``qbdsl explain`` and ``qbdsl calibrate``: the Quantum Invocation Policy's choice, and the
measured backend profiles it chooses by."""

from __future__ import annotations

from .inputs import check_output, load_model_spec
from .parsers import leaf, seconds
from .progress import counting_progress


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
    )
    if note:
        d.note = note
    console.print(d.explain(), markup=False, highlight=False)
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
    with counting_progress(console, "calibrating") as tick:
        profiles, rows = calibrate(quick=args.quick, progress=tick)
    path = save_profiles(profiles, args.output)
    for r in rows:
        console.print(f"{r['backend']:<10} size {r['size']:>6}  {r['seconds']:.4f} s")
    console.print(f"[green]wrote[/] {path}")
    return 0


def add_commands(sub) -> None:
    """``explain`` and ``calibrate`` on the subparsers ``sub``."""
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
    ca = leaf(sub, "calibrate", cmd_calibrate, "re-measure the local backends and save their profiles")
    ca.add_argument(
        "-o",
        "--output",
        default=None,
        help="the profiles JSON to write (default: where explain and qb.solve look for them)",
    )
    ca.add_argument("--quick", action="store_true", help="a short ladder of sizes")
