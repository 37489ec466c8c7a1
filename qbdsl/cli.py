"""The ``qbdsl`` command line: compile, info, solve, explain, calibrate, experiment, problem.

Every mistake ends in one line on stderr, ``qbdsl: error: ...``, naming the culprit, and an
exit code: 2 for bad input or usage (:class:`~qbdsl.errors.ModelError` and its subclasses,
``OptionError`` included), 1 for a run that failed (:class:`~qbdsl.errors.BackendError`, an
operating-system error, or an internal error), 3 for ``explain`` when no backend can meet
the deadline. ``qbdsl --debug ...`` shows the traceback instead. Mistakes argparse catches
(an unknown command or option, a value of the wrong type, a missing required option) are one
line too, ``qbdsl: error: MESSAGE (see qbdsl COMMAND --help)``, exit 2.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import sys
import traceback
from pathlib import Path

import numpy as np

from .errors import BackendError, FileFormatError, ModelError

MODEL_FILES = (".lp", ".mps", ".qubo", ".npz", ".bqm")
SEED_MAX = 2**32 - 1   # what qb.solve and numpy's seeding take


def _where(exc: BaseException, path: Path, shown: str) -> str:
    """``shown:LINE`` of the innermost traceback frame inside ``path``, else ``shown``."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename).resolve() == path.resolve():
            line = lineno
    return f"{shown}:{line}" if line is not None else shown


def _import_model_file(p: Path, shown: str):
    """Run the model file ``p`` as a module; a syntax error or a failing import is a ModelError at file:line."""
    mod_spec = importlib.util.spec_from_file_location(p.stem, p)
    module = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, str(p.parent.resolve()))
    try:
        mod_spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ModelError(f"{shown}:{exc.lineno}: {type(exc).__name__}: {exc.msg}") from exc
    except Exception as exc:
        raise ModelError(f"{_where(exc, p, shown)}: running {shown} raised {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    return module


def load_model_spec(spec: str):
    """A model from ``path.py:function`` (called with no arguments) or a model/QUBO file.

    Raises
    ------
    ModelError
        A missing file or function, a model file with a syntax error (``file:line``), a
        function that raises (``file:line: function() raised Type: message``) or returns
        something other than a Model, or an unreadable model file.
    """
    from .io import load

    path, _, func = spec.partition(":")
    p = Path(path)
    if p.suffix != ".py":
        return load(spec)
    if not p.is_file():
        raise ModelError(f"{path}: {'is a folder, not a file' if p.is_dir() else 'no such file'}")
    if not func:
        raise ModelError(f"{spec}: say which function builds the model, as {path}:FUNCTION")
    module = _import_model_file(p, path)
    if not callable(getattr(module, func, None)):
        raise ModelError(f"{path} has no function {func!r}")
    try:
        model = getattr(module, func)()
    except Exception as exc:
        raise ModelError(f"{_where(exc, p, path)}: {func}() raised {type(exc).__name__}: {exc}") from exc
    if not hasattr(model, "to_problem"):
        raise ModelError(f"{spec} returned a {type(model).__name__}, not a qbdsl.Model")
    return model


def _weight(text: str, what: str) -> float | str:
    """A penalty weight: ``auto`` or a number."""
    text = text.strip()
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise ModelError(f"--penalty {what}: {text!r} is not a number or 'auto'") from None


def _penalty(text: str | None):
    """``--penalty``: 'auto', a number, or NAME=WEIGHT[,NAME=WEIGHT...] (WEIGHT a number or 'auto')."""
    if text is None or text.strip() == "auto":
        return "auto"
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise ModelError(f"--penalty takes 'auto', a number, or NAME=WEIGHT[,NAME=WEIGHT...]; "
                             f"got {text!r}") from None
    out: dict = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ModelError(f"--penalty {text!r}: {part!r} is not NAME=WEIGHT")
        out[name.strip()] = _weight(value, f"{name.strip()}={value.strip()}")
    return out


def _to_ir(obj, target: str, args):
    from .compiler import compile, compile_milp
    from .ir.milp import MilpIR
    from .ir.qubo import QuboIR

    if isinstance(obj, QuboIR):
        if target == "qubo":
            return obj
        return compile_milp(obj.source)
    if isinstance(obj, MilpIR):
        obj = obj.source
    opts = {}
    if target == "qubo":
        opts = dict(encoding=args.encoding, penalty=_penalty(args.penalty), inequality=args.inequality)
    return compile(obj, target, **opts)


def _check_output(path: str | None, flag: str = "-o", folder: bool = False) -> None:
    """Refuse an output path before the work starts (missing parent folders are created when writing)."""
    from .io.atomic import check_output

    if path is not None:
        try:
            check_output(path, folder)
        except ModelError as exc:
            raise ModelError(f"{flag} {exc}") from None


def _load_input(loader, path: str, flag: str):
    """``loader(path)`` for a file given by ``flag``; a missing file, a folder or content the
    loader cannot convert is one ModelError naming the flag and the file."""
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{flag} {path}: {'is a folder, not a file' if p.is_dir() else 'no such file'}")
    try:
        return loader(p)
    except ModelError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        raise FileFormatError(f"{type(exc).__name__}: {exc}", path) from None


def _positive_float(text: str) -> float | None:
    """``text`` as a positive finite number, or None when it is not one ('abc', '0', 'nan', 'inf')."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if 0 < v < math.inf else None


def _floats(text: str, flag: str) -> list[float]:
    """``"0.3,0.6"`` -> ``[0.3, 0.6]``: positive finite numbers, comma-separated, for ``flag``."""
    out = []
    for part in text.split(","):
        v = _positive_float(part)
        if v is None:
            raise ModelError(f"{flag} takes positive numbers separated by commas, got {part.strip()!r} in {text!r}")
        out.append(v)
    return out


def _seconds(text: str) -> float:
    """argparse type of ``--time-limit``, ``--deadline``...: a positive finite number of seconds."""
    v = _positive_float(text)
    if v is None:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return v


def _seed(text: str) -> int:
    """argparse type of ``--seed``: a whole number in 0..2^32 - 1, what ``qb.solve`` takes."""
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 0 <= v <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"expected a whole number in 0..{SEED_MAX}, got {text!r}")
    return v


def cmd_compile(args, console) -> int:
    _check_output(args.output)
    with console.status("loading model") as st:
        obj = load_model_spec(args.model)
        st.update(f"compiling to {args.target}")
        ir = _to_ir(obj, args.target, args)
        st.update(f"writing {args.output}")
        ir.save(args.output)
    console.print(f"[green]wrote[/] {args.output}: {ir.summary()}")
    return 0


def _pairs(pairs: list[str] | None) -> dict[str, str]:
    """``["k=3", "objective=mlu"]`` -> ``{"k": "3", "objective": "mlu"}`` (values as text)."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ModelError(f"--opt takes KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _options(pairs: list[str] | None) -> dict:
    """``["num_reads=50", "solver=HIGHS"]`` -> ``{"num_reads": 50, "solver": "HIGHS"}`` (backend options)."""
    out = {}
    for key, value in _pairs(pairs).items():
        for conv in (int, float):
            try:
                out[key] = conv(value)
                break
            except ValueError:
                continue
        else:
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def _coef_range(values: np.ndarray) -> str:
    a = np.abs(values[values != 0])
    return "—" if a.size == 0 else f"[{a.min():.3g}, {a.max():.3g}] (ratio {a.max() / a.min():.3g})"


def cmd_info(args, console) -> int:
    from rich.table import Table

    from .compiler import compile_milp
    from .io import load
    from .ir.qubo import QuboIR

    obj = load(args.file)
    t = Table(title=str(args.file), show_header=False)
    if isinstance(obj, QuboIR):
        q = obj.terms
        n = obj.n
        t.add_row("kind", "QUBO")
        t.add_row("variables", str(n))
        t.add_row("linear terms", str(int(np.count_nonzero(q.h))))
        t.add_row("couplers", str(len(q.v)))
        t.add_row("density", f"{2 * len(q.v) / max(1, n * (n - 1)):.4g}")
        t.add_row("coefficient range", _coef_range(np.concatenate([q.h, q.v])))
        t.add_row("offset", f"{q.offset:g}")
        for name, p in obj.penalties.items():
            t.add_row(f"penalty {name}", f"{p.method}, {p.rows} rows, weight {obj.weights[name]:g}")
        if obj.source.constraints:
            t.add_row("user constraints", ", ".join(b.name for b in obj.source.constraints))
    else:
        milp = compile_milp(obj.to_problem())
        kinds = milp.source.layout.kinds()
        t.add_row("kind", "model (LP/MPS)")
        t.add_row("variables", f"{milp.num_variables} ({int((kinds == 0).sum())} binary, "
                  f"{int((kinds == 1).sum())} integer, {int((kinds == 2).sum())} continuous)")
        eq = int(np.sum(milp.row_lb == milp.row_ub))
        t.add_row("constraints", f"{milp.num_constraints} rows ({eq} equalities), {milp.A.nnz} nonzeros")
        t.add_row("density", f"{milp.A.nnz / max(1, milp.num_variables * milp.num_constraints):.4g}")
        t.add_row("coefficient range", _coef_range(milp.A.data))
        t.add_row("objective", f"{milp.sense}imize, {int(np.count_nonzero(milp.c))} terms, "
                  f"range {_coef_range(milp.c)}")
        for name, b in obj.constraints.items():
            t.add_row(f"constraint {name}", f"{b.sense} x {b.expr.size}")
    console.print(t)
    return 0


def _with_progress(console, label: str, budget: float | None, work, delay: float = 1.0):
    """Run ``work()`` in a thread; after ``delay`` seconds show a progress bar (over the time
    budget when there is one, else a spinner with the elapsed time)."""
    import threading
    import time

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    box: dict = {}

    def run():
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    th = threading.Thread(target=run, daemon=True)
    t0 = time.perf_counter()
    th.start()
    th.join(delay)
    if th.is_alive():
        columns = [SpinnerColumn(), TextColumn(label)]
        if budget:
            columns.append(BarColumn())
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(label, total=budget or None)
            while th.is_alive():
                th.join(0.1)
                progress.update(task, completed=min(time.perf_counter() - t0, budget) if budget else None)
    if "error" in box:
        raise box["error"]
    return box["value"]


def cmd_solve(args, console) -> int:
    from rich.table import Table

    from .solve import solve

    _check_output(args.output)
    obj = load_model_spec(args.model)
    opts = _options(args.opt)
    if args.encoding:
        opts["encoding"] = args.encoding
    r = _with_progress(console, f"solving with {args.backend}", args.time_limit,
                       lambda: solve(obj, backend=args.backend, time_limit=args.time_limit, seed=args.seed,
                                     fallback=args.fallback, deadline=args.deadline, **opts))
    t = Table(title=f"qbdsl solve {args.model}")
    for col in ("backend", "status", "objective", "feasible", "compile s", "solve s", "decode s"):
        t.add_column(col)
    tm = r.timings
    t.add_row(r.backend, r.status, f"{r.objective:.6g}", str(r.feasible), f"{tm.get('compile', 0):.3f}",
              f"{tm.get('solve', 0):.3f}", f"{tm.get('decode', 0):.3f}")
    console.print(t)
    if r.violations:
        console.print(f"[red]violated:[/] {', '.join(sorted(r.violations))}")
    if r.decision is not None:
        console.print(r.decision.explain(), markup=False, highlight=False)
    for a in r.attempts:
        console.print(f"[yellow]fell back from {a['backend']}:[/] {a['error']}")
    if args.output:
        from .io.atomic import write_json

        doc = {"backend": r.backend, "status": r.status, "objective": r.objective, "feasible": r.feasible,
               "attempts": r.attempts,
               "timings": r.timings, "values": {k: np.asarray(v) for k, v in r.values.items()},
               "violations": sorted(r.violations)}
        write_json(args.output, doc)     # NaN and infinities as null: the file is strict JSON
        console.print(f"[green]wrote[/] {args.output}")
    return 0


def _problem_list(console) -> int:
    from rich.table import Table

    from qbdsl.problems.catalog import CATALOG, networks_help

    t = Table(title="qbdsl problems")
    t.add_column("name", no_wrap=True)
    for col in ("what", "--data", "--opt KEY=VALUE (default)"):
        t.add_column(col, overflow="fold")
    for e in CATALOG.values():
        t.add_row(e.name, e.summary, e.data_help, e.options_help)
    console.print(t)
    console.print(networks_help(), markup=False, highlight=False)
    return 0


def cmd_problem(args, console) -> int:
    from qbdsl.problems.catalog import CATALOG, build

    from .solve import solve

    if args.name == "LIST":
        return _problem_list(console)
    if args.name not in CATALOG:
        raise ModelError(f"unknown problem {args.name!r}; known: {', '.join(CATALOG)} (or LIST)")
    if args.data is None:
        raise ModelError(f"problem {args.name} needs --data ({CATALOG[args.name].data_help})")
    if args.output and args.target is None:
        raise ModelError("-o needs --target qubo|milp")
    _check_output(args.output)
    with console.status(f"building {args.name} on {args.data}"):
        model = build(args.name, args.data, _pairs(args.opt))
    console.print(model.summary())
    if args.output:
        ir = _to_ir(model, args.target, args)
        ir.save(args.output)
        console.print(f"[green]wrote[/] {args.output}: {ir.summary()}")
    if args.solve:
        r = _with_progress(console, f"solving with {args.backend}", args.time_limit,
                           lambda: solve(model, backend=args.backend, time_limit=args.time_limit, seed=args.seed))
        console.print(f"{r.backend}: status {r.status}, objective {r.objective:.6g}, feasible {r.feasible}, "
                      f"solve {r.timings['solve']:.3f} s")
    return 0


@contextlib.contextmanager
def _counting_progress(console, verb: str):
    """A progress bar driven by ``tick(done, total, label)`` callbacks."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(verb, total=None)

        def tick(done, total, label):
            progress.update(task, total=total, completed=done, description=f"{verb} {label}")

        yield tick


def cmd_explain(args, console) -> int:
    from .qip.policy import decide
    from .qip.profiles import load_profiles

    obj = load_model_spec(args.model)
    profiles, note = load_profiles(args.profiles) if args.profiles else (None, "")
    d = decide(obj, deadline=args.deadline, quality=args.quality, prefer=args.prefer, profiles=profiles,
               best_effort=args.best_effort)
    if note:
        d.note = note
    console.print(d.explain(), markup=False, highlight=False)
    return 0 if d.backend is not None else 3


def cmd_calibrate(args, console) -> int:
    from .qip.calibrate import calibrate
    from .qip.profiles import save_profiles

    _check_output(args.output)
    with _counting_progress(console, "calibrating") as tick:
        profiles, rows = calibrate(quick=args.quick, progress=tick)
    path = save_profiles(profiles, args.output)
    for r in rows:
        console.print(f"{r['backend']:<10} size {r['size']:>6}  {r['seconds']:.4f} s")
    console.print(f"[green]wrote[/] {path}")
    return 0


def cmd_experiment(args, console) -> int:
    from pathlib import Path

    from rich.table import Table

    from .qip import experiment as ex

    args.output = args.output or f"out/{args.which}"
    _check_output(args.output, folder=True)
    if args.which == "orchestration":
        return _experiment_orchestration(args, console)
    if args.which == "live":
        return _experiment_live(args, console)
    if args.which != "qip":
        raise ModelError(f"unknown experiment {args.which!r}; known: qip, orchestration, live")
    instances = ex.suite(quick=args.quick)
    with _counting_progress(console, "running") as tick:
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


def _experiment_orchestration(args, console) -> int:
    import shlex
    from pathlib import Path

    from rich.table import Table

    from .orchestrate import default_fleet, load_fleet, load_jobs
    from .orchestrate import experiment as ox

    fleet = _load_input(load_fleet, args.fleet, "--fleet") if args.fleet else default_fleet()
    if args.workload:
        rows = ox.trace(_load_input(load_jobs, args.workload, "--workload"), fleet)
        t = Table(title=f"{args.workload}: every policy on this trace ({len(fleet)} QPUs, {ox.WORKERS} CPU workers)")
        for col in ("policy", "served", "rejected", "impossible", "QPU-s served", "aborted", "decision ms/job"):
            t.add_column(col)
        for r in rows:
            t.add_row(r["policy"], str(r["served"]), str(r["rejected"]), str(r["impossible"]),
                      f"{r['served_qpu_seconds']:.1f}", str(r["aborted"]), f"{r['decision_ms_per_job']:.2f}")
        console.print(t)
        return 0
    loads = _floats(args.loads, "--loads")
    tight = _floats(args.tightness, "--tightness")
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
        with _counting_progress(console, "simulating") as tick:
            rows = ox.sweep(loads, tight, seeds=args.seeds, n_jobs=args.jobs, progress=tick, executor=executor,
                            fleet=fleet, bound_time=args.bound_time or None)
        if args.robustness:
            from .orchestrate.policies import MATCHED

            middle = sorted(tight)[len(tight) // 2]     # at s = 1 any overrun is late: no slack to absorb it
            for kind, value in ox.ROBUSTNESS:
                with _counting_progress(console, f"robustness: {kind} {value:+g}") as tick:
                    robust_rows += ox.sweep(loads, [middle], seeds=args.seeds, n_jobs=args.jobs, progress=tick,
                                            executor=executor, fleet=fleet, policies=[ox.HEADLINE, *MATCHED],
                                            **{kind: value})
        if args.gap_seeds:
            with _counting_progress(console, "hindsight (CP-SAT + MILP)") as tick:
                gap_rows = ox.sweep(loads, tight, seeds=args.gap_seeds, n_jobs=args.gap_jobs, progress=tick,
                                    executor=executor, gap_time=args.gap_time, fleet=fleet)
    finally:
        if client is not None:
            client.close()
    t = Table(title=f"jobs served by deadline (of {args.jobs}), mean ± 95 % CI over {args.seeds} paired seeds; "
                    "ratios paired per seed")
    for col in ("load", "realised", "s", "qip-edf", "strongest matched", "ratio", "work ratio", "strongest raw"):
        t.add_column(col)
    for h in ox.headline(rows):
        if "matched" not in h:
            continue
        t.add_row(f"{h['load']:g}", f"{h['realised_load']:.2f}", f"{h['tightness']:g}",
                  f"{h['served']:.1f}±{h['served_ci95']:.1f}",
                  f"{h['matched_served']:.1f}±{h['matched_ci95']:.1f} {h['matched']}",
                  f"{h['matched_ratio']:.2f}±{h['matched_ratio_ci95']:.2f}",
                  f"{h['matched_work_ratio']:.2f}±{h['matched_work_ratio_ci95']:.2f}",
                  f"{h.get('raw_served', float('nan')):.1f} {h.get('raw', '')}")
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


def _experiment_live(args, console) -> int:
    from rich.table import Table

    from .orchestrate.live import demo_devices, demo_jobs, run_live

    jobs, devices = demo_jobs(), demo_devices()
    t = Table(title=f"live mode: {len(jobs)} real solves on {len(devices)} devices")
    for col in ("policy", "job", "device", "status", "seconds", "objective"):
        t.add_column(col)
    t.add_column("why", overflow="fold")
    for pol in args.policies.split(","):
        with console.status(f"running {pol} live"):
            out = run_live(jobs, devices, policy=pol, time_scale=args.time_scale)
        for o in out:
            t.add_row(pol, o.job, o.device or "-", o.status, f"{o.seconds:.3f}",
                      "-" if o.objective is None else f"{o.objective:.6g}",
                      "; ".join(filter(None, [o.reason] + o.attempts)))
    console.print(t)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qbdsl", description="Compile and inspect qbdsl models.")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    common = argparse.ArgumentParser(add_help=False)   # --debug also after the command name
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_parser_with(common))
    p.commands = sub.choices
    c = sub.add_parser("compile", help="compile MODEL (path.py:function or a .lp/.mps/.qubo file) to a file")
    c.add_argument("model")
    c.add_argument("--target", choices=("qubo", "milp"), required=True)
    c.add_argument("-o", "--output", required=True, help=".qubo/.npz/.bqm for qubo, .lp/.mps for milp")
    c.add_argument("--encoding", default="binary", choices=("binary", "unary", "one-hot", "domain-wall"))
    c.add_argument("--penalty", default="auto", help="'auto', a number, or name=weight,name=weight")
    c.add_argument("--inequality", default="slack", choices=("slack", "unbalanced"))
    i = sub.add_parser("info", help="variables, terms, density, coefficient range, constraints of a file")
    i.add_argument("file")
    s = sub.add_parser("solve", help="solve MODEL and print a table")
    s.add_argument("model")
    s.add_argument("--backend", default="auto")
    s.add_argument("--time-limit", type=_seconds, default=None)
    s.add_argument("--seed", type=_seed, default=None, help=f"0..{SEED_MAX}")
    s.add_argument("--encoding", default=None)
    s.add_argument("--fallback", nargs="*", default=None, help="backends to try if this one fails or times out")
    s.add_argument("--deadline", type=_seconds, default=None, help="for --backend auto: the QIP deadline")
    s.add_argument("--opt", action="append", metavar="KEY=VALUE", help="a backend option, e.g. num_reads=50")
    s.add_argument("-o", "--output", default=None, help="write the solution as JSON")
    ex = sub.add_parser("explain", help="which backend QIP picks for MODEL|FILE under a deadline, and why")
    ex.add_argument("model")
    ex.add_argument("--deadline", type=_seconds, default=None)
    ex.add_argument("--quality", type=float, default=0.0)
    ex.add_argument("--prefer", default=None, help="quantum, classical, or a backend name")
    ex.add_argument("--best-effort", action="store_true")
    ex.add_argument("--profiles", default=None, help="a calibrated profiles JSON (default: the saved one)")
    ca = sub.add_parser("calibrate", help="re-measure the local backends and save their profiles")
    ca.add_argument("-o", "--output", default=None)
    ca.add_argument("--quick", action="store_true", help="a short ladder of sizes")
    xp = sub.add_parser("experiment", help="evaluation experiments: qip (policy vs oracle), orchestration "
                                           "(policies over QPUs), live (policies dispatching real solves)")
    xp.add_argument("which", help="qip, orchestration or live")
    xp.add_argument("--loads", default="0.3,0.6,0.9,1.2",
                    help="orchestration: offered loads, as fractions of the platform's capacity")
    xp.add_argument("--tightness", default="1.5,2,3", help="orchestration: deadline tightness values")
    xp.add_argument("--seeds", type=int, default=20, help="orchestration: paired seeds")
    xp.add_argument("--robustness", action="store_true",
                    help="orchestration: also run with run times off the prediction (+-20 %%, +-50 %%, noise), "
                         "at the middle tightness")
    xp.add_argument("--jobs", type=int, default=200, help="orchestration: jobs per trace")
    xp.add_argument("--dask", default=None, metavar="SCHEDULER_ADDRESS",
                    help="orchestration: run the sweep on a Dask distributed cluster")
    xp.add_argument("--fleet", default=None, help="orchestration: a fleet file (JSON/YAML) instead of the default")
    xp.add_argument("--workload", default=None,
                    help="orchestration: run every policy on this workload file (JSON/YAML) instead of a sweep")
    xp.add_argument("--bound-time", type=float, default=0.0,
                    help="orchestration: seconds for each trace's offline bound (preemptive relaxation); 0: none")
    xp.add_argument("--gap-seeds", type=int, default=0,
                    help="orchestration: also solve this many small traces per point in hindsight (CP-SAT)")
    xp.add_argument("--gap-jobs", type=int, default=20, help="orchestration: jobs per hindsight trace")
    xp.add_argument("--gap-time", type=_seconds, default=10.0, help="orchestration: seconds per hindsight solve")
    xp.add_argument("--policies", default="qip-edf,edf+ac", help="live: policies to run, comma-separated")
    xp.add_argument("--time-scale", type=_seconds, default=1.0, help="live: seconds per trace second")
    xp.add_argument("--deadline", type=_seconds, default=5.0, help="qip: the deadline in seconds")
    xp.add_argument("--quick", action="store_true", help="a small suite")
    xp.add_argument("-o", "--output", default=None, help="output folder (default out/WHICH)")
    pr = sub.add_parser("problem", help="build a library problem on shipped data: LIST, or NAME --data ...")
    pr.add_argument("name", help="LIST, or a problem name such as routing.min-mlu")
    pr.add_argument("--data", help="network name / instance size (see LIST)")
    pr.add_argument("--opt", action="append", metavar="KEY=VALUE", help="problem option, e.g. k=4")
    pr.add_argument("--target", choices=("qubo", "milp"))
    pr.add_argument("-o", "--output")
    pr.add_argument("--encoding", default="binary", choices=("binary", "unary", "one-hot", "domain-wall"))
    pr.add_argument("--penalty", default="auto")
    pr.add_argument("--inequality", default="slack", choices=("slack", "unbalanced"))
    pr.add_argument("--solve", action="store_true")
    pr.add_argument("--backend", default="auto")
    pr.add_argument("--time-limit", type=_seconds, default=None)
    pr.add_argument("--seed", type=_seed, default=None, help=f"0..{SEED_MAX}")
    return p


class UsageError(ModelError):
    """A mistake argparse caught, already one line: ``MESSAGE (see qbdsl [COMMAND] --help)``."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one :class:`UsageError` instead of usage text and
    an exit; unrecognized arguments are blamed on the command they follow (``commands``
    maps command names to their parsers)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")

    def parse_args(self, args=None, namespace=None):
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            self.commands.get(getattr(ns, "command", None), self).error(f"unrecognized arguments: {' '.join(extra)}")
        return ns


def _parser_with(common: argparse.ArgumentParser):
    """A subparser class that gives every subcommand the options of ``common``."""

    class Sub(_Parser):
        def __init__(self, *a, **kw):
            kw.setdefault("parents", [common])
            super().__init__(*a, **kw)

    return Sub


def error_line(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that ends a command.

    2: bad input or usage (ModelError and subclasses, OptionError included); 1: a failed run
    (BackendError, an operating-system error) or an internal error, which says so and points
    to ``--debug``.
    """
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, ModelError):
        return 2, text or type(exc).__name__
    if isinstance(exc, BackendError):
        return 1, text or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return 1, f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return 1, f"internal error: {what} (run with --debug for the traceback)"


def main(argv: list[str] | None = None) -> int:
    """Run the ``qbdsl`` command line on ``argv``; returns the exit code (see the module docstring)."""
    from rich.console import Console

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"qbdsl: error: {exc}", file=sys.stderr, flush=True)
        return 2
    args.argv = [a for a in argv if a != "--debug"]   # the command as given, for reports that regenerate it
    console = Console(stderr=False)
    handlers = {"compile": cmd_compile, "info": cmd_info, "solve": cmd_solve, "problem": cmd_problem,
                "explain": cmd_explain, "calibrate": cmd_calibrate, "experiment": cmd_experiment}
    try:
        return handlers[args.command](args, console)
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        code, line = error_line(exc)
        console.file.flush()
        print(f"qbdsl: error: {line}", file=sys.stderr, flush=True)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
