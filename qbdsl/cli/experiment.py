"""``qbdsl experiment {qip,bench,orchestration,live}``: the evaluation experiments, each a nested
command with only its own flags.

- ``qip``: the QIP policy against an oracle that knows every backend's outcome.
- ``bench``: every backend on the benchmark suite under every deadline (resumable), and the
  backend the oracle picks per family and deadline.
- ``orchestration``: scheduling policies over a fleet of QPUs, with paired seeds (or every
  policy on one workload file).
- ``live``: the same policies dispatching real ``qb.solve`` calls.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import ModelError
from .inputs import check_output, floats, load_input
from .parsers import leaf, seconds, subcommands
from .progress import counting_progress


def _output(args) -> Path:
    """``-o``, default ``out/WHICH``, checked before the work."""
    args.output = args.output or f"out/{args.experiment}"
    check_output(args.output, folder=True)
    return Path(args.output)


def cmd_qip(args, console) -> int:
    """``qbdsl experiment qip``: the QIP policy against the oracle on the evaluation suite.

    Prints the summary and the chosen-vs-oracle table and writes the result files under
    ``-o`` (default ``out/qip``). Returns the exit code, 0.

    Raises
    ------
    ModelError
        An output folder that cannot be written (checked before the work).
    """
    from rich.table import Table

    from ..qip import experiment as ex

    _output(args)
    instances = ex.suite(quick=args.quick)
    with counting_progress(console, "running") as tick:
        runs = ex.run_all(instances, args.deadline, progress=tick)
    result = ex.score(instances, runs, args.deadline)
    t = Table(title=f"QIP vs the oracle, {len(result['rows'])} instances, deadline {args.deadline:g} s")
    for col in ("policy", "quality / oracle", "time / oracle"):
        t.add_column(col)
    for k, v in result["summary"].items():
        t.add_row(k, f"{v['quality_vs_oracle']:.3f}", f"{v['time_vs_oracle']:.2f}")
    console.print(t)
    c = Table(title="chosen (rows) vs oracle (columns)")
    oracles = sorted({o for d in result["confusion"].values() for o in d})
    c.add_column("qip \\ oracle")
    for o in oracles:
        c.add_column(o)
    for chosen, d in sorted(result["confusion"].items(), key=lambda kv: str(kv[0])):
        c.add_row(str(chosen), *[str(d.get(o, 0)) for o in oracles])
    console.print(c)
    for p in ex.write_outputs(result, runs, Path(args.output)):
        console.print(f"[green]wrote[/] {p}")
    return 0


def cmd_orchestration(args, console) -> int:
    """``qbdsl experiment orchestration``: scheduling policies over a fleet of QPUs.

    With ``--workload``, every policy on that trace; otherwise the paired-seed sweep over
    loads and deadline tightness. Prints the tables and writes the result files under ``-o``.
    Returns the exit code, 0.

    Raises
    ------
    ModelError
        An output folder that cannot be written, or an unreadable ``--fleet``/``--workload`` file.
    """
    import shlex

    from rich.table import Table

    from ..orchestrate import default_fleet, load_fleet, load_jobs
    from ..orchestrate import experiment as ox

    _output(args)
    fleet = load_input(load_fleet, args.fleet, "--fleet") if args.fleet else default_fleet()
    if args.workload:
        rows = ox.trace(load_input(load_jobs, args.workload, "--workload"), fleet)
        t = Table(title=f"{args.workload}: every policy on this trace ({len(fleet)} QPUs, {ox.WORKERS} CPU workers)")
        for col in ("policy", "served", "rejected", "impossible", "QPU-s served", "aborted", "decision ms/job"):
            t.add_column(col)
        for r in rows:
            t.add_row(
                r["policy"],
                str(r["served"]),
                str(r["rejected"]),
                str(r["impossible"]),
                f"{r['served_qpu_seconds']:.1f}",
                str(r["aborted"]),
                f"{r['decision_ms_per_job']:.2f}",
            )
        console.print(t)
        return 0
    loads = floats(args.loads, "--loads")
    tight = floats(args.tightness, "--tightness")
    if args.seeds < 2 or args.jobs < 1:
        raise ModelError(f"--seeds must be at least 2 and --jobs at least 1, got {args.seeds} and {args.jobs}")
    if not (math.isfinite(args.bound_time) and args.bound_time >= 0):
        raise ModelError(f"--bound-time must be 0 (no bound) or positive seconds, got {args.bound_time}")
    if args.gap_seeds and (args.gap_seeds < 2 or args.gap_jobs < 1):
        raise ModelError("--gap-seeds must be 0 or at least 2, --gap-jobs positive")
    client = None
    executor = None
    if args.dask:
        from distributed import Client

        client = Client(args.dask)
        executor = client.get_executor()
    gap_rows, robust_rows = None, []
    try:
        with counting_progress(console, "simulating") as tick:
            rows = ox.sweep(
                loads,
                tight,
                seeds=args.seeds,
                n_jobs=args.jobs,
                progress=tick,
                executor=executor,
                fleet=fleet,
                bound_time=args.bound_time or None,
            )
        if args.robustness:
            from ..orchestrate.policies import MATCHED

            middle = sorted(tight)[len(tight) // 2]  # at s = 1 any overrun is late: no slack to absorb it
            for kind, value in ox.ROBUSTNESS:
                with counting_progress(console, f"robustness: {kind} {value:+g}") as tick:
                    robust_rows += ox.sweep(
                        loads,
                        [middle],
                        seeds=args.seeds,
                        n_jobs=args.jobs,
                        progress=tick,
                        executor=executor,
                        fleet=fleet,
                        policies=[ox.HEADLINE, *MATCHED],
                        **{kind: value},
                    )
        if args.gap_seeds:
            with counting_progress(console, "hindsight (CP-SAT + MILP)") as tick:
                gap_rows = ox.sweep(
                    loads,
                    tight,
                    seeds=args.gap_seeds,
                    n_jobs=args.gap_jobs,
                    progress=tick,
                    executor=executor,
                    gap_time=args.gap_time,
                    fleet=fleet,
                )
    finally:
        if client is not None:
            client.close()
    t = Table(
        title=f"jobs served by deadline (of {args.jobs}), mean ± 95 % CI over {args.seeds} paired seeds; "
        "ratios paired per seed"
    )
    for col in ("load", "realised", "s", "qip-edf", "strongest matched", "ratio", "work ratio", "strongest raw"):
        t.add_column(col)
    for h in ox.headline(rows):
        if "matched" not in h:
            continue
        t.add_row(
            f"{h['load']:g}",
            f"{h['realised_load']:.2f}",
            f"{h['tightness']:g}",
            f"{h['served']:.1f}±{h['served_ci95']:.1f}",
            f"{h['matched_served']:.1f}±{h['matched_ci95']:.1f} {h['matched']}",
            f"{h['matched_ratio']:.2f}±{h['matched_ratio_ci95']:.2f}",
            f"{h['matched_work_ratio']:.2f}±{h['matched_work_ratio_ci95']:.2f}",
            f"{h.get('raw_served', float('nan')):.1f} {h.get('raw', '')}",
        )
    console.print(t)
    if gap_rows:
        g = Table(title=f"fraction of the hindsight bound served ({args.gap_jobs}-job traces, {args.gap_seeds} seeds)")
        for col in ("load", "s", ox.HEADLINE, "strongest matched"):
            g.add_column(col)
        summ = ox.summarize(gap_rows, "of_bound")
        for load, s in sorted({(r["load"], r["tightness"]) for r in summ}):
            cells = {r["policy"]: r["mean"] for r in summ if (r["load"], r["tightness"]) == (load, s)}
            base = max(((v, p) for p, v in cells.items() if p.endswith("+ac")), default=(float("nan"), "-"))
            g.add_row(f"{load:g}", f"{s:g}", f"{cells.get(ox.HEADLINE, float('nan')):.2f}", f"{base[0]:.2f} {base[1]}")
        console.print(g)
    command = "qbdsl " + " ".join(shlex.quote(a) for a in args.argv)
    for p in ox.write_outputs(rows, Path(args.output), gap_rows, command=command, robust_rows=robust_rows or None):
        console.print(f"[green]wrote[/] {p}")
    return 0


def cmd_live(args, console) -> int:
    """``qbdsl experiment live``: the policies dispatching real ``qb.solve`` calls on demo devices.

    Prints one row per job and policy (nothing is written). Returns the exit code, 0.
    """
    from rich.table import Table

    from ..orchestrate.live import demo_devices, demo_jobs, run_live

    jobs, devices = demo_jobs(), demo_devices()
    t = Table(title=f"live mode: {len(jobs)} real solves on {len(devices)} devices")
    for col in ("policy", "job", "device", "status", "seconds", "objective"):
        t.add_column(col)
    t.add_column("why", overflow="fold")
    for pol in args.policies.split(","):
        with console.status(f"running {pol} live"):
            out = run_live(jobs, devices, policy=pol, time_scale=args.time_scale)
        for o in out:
            t.add_row(
                pol,
                o.job,
                o.device or "-",
                o.status,
                f"{o.seconds:.3f}",
                "-" if o.objective is None else f"{o.objective:.6g}",
                "; ".join(filter(None, [o.reason] + o.attempts)),
            )
    console.print(t)
    return 0


def cmd_bench(args, console) -> int:
    """``qbdsl experiment bench``: every backend on every instance of the benchmark suite under
    every deadline (:mod:`qbdsl.qip.benchmark`), resumable: runs already in ``OUT/bench-runs.csv``
    are kept and not done again. Writes the runs, the oracle's table and its heat map under
    ``--out`` and prints the table. Returns the exit code, 0.

    Raises
    ------
    ModelError
        An output folder that cannot be written, a deadline that is not a positive number, an
        unknown family, backend or instance name (each named), all before any run.
    """
    from qbdsl.backends import names
    from qbdsl.problems import benchmarks

    from ..qip import benchmark
    from ..qip.policy import VARIANTS

    check_output(args.out, "--out", folder=True)
    if args.split not in benchmarks.SPLITS:
        raise ModelError(f"--split must be one of {', '.join(benchmarks.SPLITS)}, got {args.split!r}")
    deadlines = floats(args.deadlines, "--deadlines")
    known = benchmarks.families()
    # an empty value is an error, not the default (--backends '' ran every backend)
    families = _names(args.families, "--families", known) if args.families is not None else known
    backends = _names(args.backends, "--backends", [*names(), *VARIANTS]) if args.backends is not None else None
    argv = ["--out", str(args.out), "--deadlines", *(f"{d:g}" for d in deadlines), "--seed", str(args.seed)]
    argv += ["--families", *families]
    have = {b.name for f in families for b in benchmarks.instances(f, quick=args.quick, split=args.split)}
    if not have:
        raise ModelError(
            f"--families {','.join(families)}: no instance in the {args.split!r} split "
            f"(its families: {', '.join(sorted({b.family for b in benchmarks.instances(split=args.split)}))})"
        )
    if args.instances is not None:
        wanted = [i.strip() for i in args.instances.split(",") if i.strip()]
        if not wanted:
            raise ModelError(f"--instances takes names separated by commas, got {args.instances!r}")
        missing = [i for i in wanted if i not in have]
        if missing:
            raise ModelError(
                f"--instances: {', '.join(missing)} not in the {'quick ' if args.quick else ''}suite of "
                f"{', '.join(families)}; known: {', '.join(sorted(have))}"
            )
        argv += ["--instances", *wanted]
    if backends:
        argv += ["--backends", *backends]
    if args.quick:
        argv.append("--quick")
    for flag, value in (("--qip-held-out", args.qip_held_out), ("--qip-fit", args.qip_fit)):
        if value:
            for one in value.split(",") if flag == "--qip-fit" else [value]:
                if not Path(one).is_file():
                    raise ModelError(f"{flag}: no such runs file {one!r}")
            argv += [flag, str(value)]
    if args.qip_held_out and args.qip_fit:
        raise ModelError("--qip-held-out and --qip-fit: give one of them")
    if args.split != "dev":
        argv += ["--split", args.split]
    return benchmark.main(argv)


def _names(text: str, flag: str, known) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``, each one of ``known``.

    Raises
    ------
    ModelError
        An empty list or a name not in ``known`` (named, with the known ones).
    """
    out = [x.strip() for x in text.split(",") if x.strip()]
    if not out:
        raise ModelError(f"{flag} takes names separated by commas, got {text!r}")
    bad = [x for x in out if x not in known]
    if bad:
        raise ModelError(f"{flag}: unknown {', '.join(map(repr, bad))}; known: {', '.join(known)}")
    return out


def add_commands(sub, common) -> None:
    """``experiment`` with its nested commands on the subparsers ``sub``; ``common`` is the
    parent parser every command gets (``--debug``)."""
    xp = sub.add_parser(
        "experiment",
        noun="experiment",
        help="evaluation experiments: qip (policy vs oracle), bench (every backend on the benchmark suite), "
        "orchestration (policies over QPUs), live (policies dispatching real solves)",
        description="Evaluation experiments; see qbdsl experiment WHICH --help.",
    )
    which = subcommands(xp, "experiment", common)
    q = leaf(which, "qip", cmd_qip, "the QIP policy against an oracle that knows every backend's outcome")
    q.add_argument("--deadline", type=seconds, default=5.0, help="the deadline in seconds")
    q.add_argument("--quick", action="store_true", help="a small suite")
    q.add_argument("-o", "--output", default=None, help="output folder (default out/qip)")
    o = leaf(
        which,
        "orchestration",
        cmd_orchestration,
        "scheduling policies over a fleet of QPUs, paired seeds (or every policy on --workload)",
    )
    o.add_argument("--loads", default="0.3,0.6,0.9,1.2", help="offered loads, as fractions of the platform's capacity")
    o.add_argument("--tightness", default="1.5,2,3", help="deadline tightness values")
    o.add_argument("--seeds", type=int, default=20, help="paired seeds")
    o.add_argument(
        "--robustness",
        action="store_true",
        help="also run with run times off the prediction (+-20 %%, +-50 %%, noise), at the middle tightness",
    )
    o.add_argument("--jobs", type=int, default=200, help="jobs per trace")
    o.add_argument(
        "--dask", default=None, metavar="SCHEDULER_ADDRESS", help="run the sweep on a Dask distributed cluster"
    )
    o.add_argument("--fleet", default=None, help="a fleet file (JSON/YAML) instead of the default")
    o.add_argument(
        "--workload", default=None, help="run every policy on this workload file (JSON/YAML) instead of a sweep"
    )
    o.add_argument(
        "--bound-time",
        type=float,
        default=0.0,
        help="seconds for each trace's offline bound (preemptive relaxation); 0: none",
    )
    o.add_argument(
        "--gap-seeds", type=int, default=0, help="also solve this many small traces per point in hindsight (CP-SAT)"
    )
    o.add_argument("--gap-jobs", type=int, default=20, help="jobs per hindsight trace")
    o.add_argument("--gap-time", type=seconds, default=10.0, help="seconds per hindsight solve")
    o.add_argument("-o", "--output", default=None, help="output folder (default out/orchestration)")
    b = leaf(
        which,
        "bench",
        cmd_bench,
        "every backend on the benchmark suite under every deadline, and the backend the oracle picks "
        "(resumable: runs already in OUT/bench-runs.csv are kept)",
    )
    b.add_argument("--quick", action="store_true", help="1-2 small instances per family")
    b.add_argument("--deadlines", default="0.05,0.5,5,60", help="deadlines in seconds, comma-separated")
    b.add_argument("--families", default=None, help="families, comma-separated (default: all)")
    b.add_argument("--instances", default=None, help="only these instances, comma-separated")
    b.add_argument(
        "--backends", default=None, help="backends or variants (anneal+tuned), comma-separated (default: local ones)"
    )
    b.add_argument("--seed", type=int, default=0, help="seed of every solve (default 0)")
    b.add_argument("--out", default="out/bench", help="output folder (default out/bench; bench-runs.csv is resumed)")
    b.add_argument(
        "--qip-held-out",
        default=None,
        metavar="RUNS",
        help="instead: run QIP end to end (qb.solve backend='auto') into OUT/qip-runs.csv, each family decided "
        "by a cost model fitted on the other families' runs in RUNS (a bench-runs.csv)",
    )
    b.add_argument(
        "--qip-fit",
        default=None,
        metavar="RUNS",
        help="instead: run QIP end to end into OUT/qip-runs.csv with one cost model fitted on all of RUNS "
        "(several runs files comma-separated)",
    )
    b.add_argument(
        "--split",
        default="dev",
        help="dev: the suite the rules were made on (default); test ... test10: the frozen test splits (each "
        "drawn after the one before had been looked at; qbdsl.problems.benchmarks.SPLITS)",
    )
    li = leaf(which, "live", cmd_live, "the orchestration policies dispatching real qb.solve calls")
    li.add_argument("--policies", default="qip-edf,edf+ac", help="policies to run, comma-separated")
    li.add_argument("--time-scale", type=seconds, default=1.0, help="seconds per trace second")
