"""``qbdsl compile``, ``info``, ``solve`` and ``problem``: models and files in, IR files or
solutions out. Which IR a target or backend gets is :mod:`qbdsl.routing`'s answer, the same
as ``qb.solve``'s."""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from .inputs import backend_options, check_output, compile_options, load_model_spec, pairs
from .parsers import leaf, seconds
from .progress import with_progress

TARGETS = ("qubo", "milp")


def _to_ir(obj, target: str, opts: dict):
    """The IR of ``target`` for ``obj``, compiled with the compile options ``opts`` (:func:`qbdsl.routing.route`).

    Raises
    ------
    OptionError
        Compile options that would be ignored: for ``--target milp`` or a QUBO input.
    ModelError
        What the compiler refuses.
    """
    from ..routing import check_compile_options, route

    check_compile_options(obj, opts, (target,), gets=f"--target {target} writes a MILP", flag="--")
    return route(obj, (target,), opts).ir


def _chain(args) -> list[str] | None:
    """The named backend and its fallbacks, or None for ``--backend auto`` (or none given)."""
    if args.backend in (None, "auto"):
        return None
    return [args.backend, *(getattr(args, "fallback", None) or [])]


def _solve_compile_options(args) -> dict:
    """The compile options for ``problem --solve``: all of them, unless no backend of the chain
    gets a QUBO (then they were given for the ``-o --target qubo`` file, checked before)."""
    from ..routing import backend_kinds

    chain = _chain(args)
    if chain is None or "qubo" in backend_kinds(None, chain):
        return compile_options(args)
    return {}


def _check_problem_options(args) -> None:
    """Refuse ``qbdsl problem`` options that would be ignored, before the model is built.

    Raises
    ------
    OptionError
        ``--backend``/``--time-limit``/``--seed`` without ``--solve``; ``--target`` without
        ``-o``; compile options that reach no QUBO (neither ``-o`` with ``--target qubo``
        nor a ``--solve`` whose backend or policy may get one).
    """
    from ..errors import OptionError
    from ..routing import backend_kinds, check_compile_options

    flags = (("--backend", args.backend), ("--time-limit", args.time_limit), ("--seed", args.seed))
    given = [flag for flag, value in flags if value is not None]
    if given and not args.solve:
        raise OptionError(f"{', '.join(given)}: solver options apply with --solve")
    if args.target is not None and not args.output:
        raise OptionError(f"--target {args.target}: applies with -o FILE (the file to write)")
    opts = compile_options(args)
    if not opts:
        return
    kinds: list[str] = []
    uses: list[str] = []
    if args.output:
        kinds.append(args.target)
        uses.append(f"-o with --target {args.target}")
    if args.solve:
        chain = _chain(args)
        if chain is None:
            return  # the policy's choice may get a QUBO
        kinds += backend_kinds(None, chain)
        uses.append(f"--solve with --backend {args.backend}")
    if uses:
        gets = f"{' and '.join(uses)} get{'s' if len(uses) == 1 else ''} a MILP"
    else:
        gets = "nothing is compiled without -o or --solve"
    check_compile_options(None, opts, kinds, gets=gets, flag="--")


def cmd_compile(args, console) -> int:
    """``qbdsl compile MODEL -t TARGET -o FILE``: write the model's IR. Returns the exit code, 0.

    Raises
    ------
    OptionError
        Compile options that would be ignored: with ``--target milp`` or for a QUBO file.
    ModelError
        An output path that cannot be written, an unreadable model, or what the compiler refuses.
    """
    check_output(args.output)
    if args.target == "milp":  # refused before the model is loaded: any input gets a MILP
        from ..routing import check_compile_options

        check_compile_options(None, compile_options(args), ("milp",), gets="--target milp writes a MILP", flag="--")
    with console.status("loading model") as st:
        obj = load_model_spec(args.model)
        st.update(f"compiling to {args.target}")
        ir = _to_ir(obj, args.target, compile_options(args))
        st.update(f"writing {args.output}")
        ir.save(args.output)
    console.print(f"[green]wrote[/] {args.output}: {ir.summary()}")
    return 0


def _coef_range(values: np.ndarray) -> str:
    a = np.abs(values[values != 0])
    return "—" if a.size == 0 else f"[{a.min():.3g}, {a.max():.3g}] (ratio {a.max() / a.min():.3g})"


def cmd_info(args, console) -> int:
    """``qbdsl info FILE``: a table of what a QUBO or MILP file holds.

    Sizes, coefficient ranges and penalty blocks. Returns the exit code, 0.

    Raises
    ------
    FileFormatError
        A missing or malformed file.
    """
    from rich.table import Table

    from ..io import load
    from ..ir.qubo import QuboIR
    from ..routing import route

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
        milp = route(obj, ("milp",)).ir
        kinds = milp.source.layout.kinds()
        t.add_row("kind", "model (LP/MPS)")
        t.add_row(
            "variables",
            f"{milp.num_variables} ({int((kinds == 0).sum())} binary, "
            f"{int((kinds == 1).sum())} integer, {int((kinds == 2).sum())} continuous)",
        )
        eq = int(np.sum(milp.row_lb == milp.row_ub))
        t.add_row("constraints", f"{milp.num_constraints} rows ({eq} equalities), {milp.A.nnz} nonzeros")
        t.add_row("density", f"{milp.A.nnz / max(1, milp.num_variables * milp.num_constraints):.4g}")
        t.add_row("coefficient range", _coef_range(milp.A.data))
        t.add_row("objective", f"{milp.sense}imize, {int(np.count_nonzero(milp.c))} terms, range {_coef_range(milp.c)}")
        for name, b in obj.constraints.items():
            t.add_row(f"constraint {name}", f"{b.sense} x {b.expr.size}")
    console.print(t)
    return 0


def cmd_solve(args, console) -> int:
    """``qbdsl solve MODEL``: solve with a backend and print the result.

    ``-o`` writes it as JSON. Returns the exit code, 0.

    Raises
    ------
    ModelError
        An output path that cannot be written, an unreadable model, or an invalid option
        (an ``OptionError``: compile options when no backend of the chain gets a QUBO).
    BackendError
        Every backend failed.
    """
    from rich.table import Table

    from ..routing import check_chain_compile_options
    from ..solve import solve

    check_output(args.output)
    backend = args.backend or "auto"
    obj = load_model_spec(args.model)
    check_chain_compile_options(obj, compile_options(args), _chain(args), flag="--")
    opts = {**backend_options(args.opt), **compile_options(args)}
    r = with_progress(
        console,
        f"solving with {backend}",
        args.time_limit,
        lambda: solve(
            obj,
            backend=backend,
            time_limit=args.time_limit,
            seed=args.seed,
            fallback=args.fallback,
            deadline=args.deadline,
            **opts,
        ),
    )
    t = Table(title=f"qbdsl solve {args.model}")
    for col in ("backend", "status", "objective", "feasible", "compile s", "solve s", "decode s"):
        t.add_column(col)
    tm = r.timings
    t.add_row(
        r.backend,
        r.status,
        f"{r.objective:.6g}",
        str(r.feasible),
        f"{tm.get('compile', 0):.3f}",
        f"{tm.get('solve', 0):.3f}",
        f"{tm.get('decode', 0):.3f}",
    )
    console.print(t)
    if r.violations:
        console.print(f"[red]violated:[/] {', '.join(sorted(r.violations))}")
    if r.decision is not None:
        console.print(r.decision.explain(), markup=False, highlight=False)
    for a in r.attempts:
        console.print(f"[yellow]fell back from {a['backend']}:[/] {a['error']}")
    if args.output:
        from ..io.atomic import write_json

        doc = {
            "backend": r.backend,
            "status": r.status,
            "objective": r.objective,
            "feasible": r.feasible,
            "attempts": r.attempts,
            "timings": r.timings,
            "values": {k: np.asarray(v) for k, v in r.values.items()},
            "violations": sorted(r.violations),
        }
        write_json(args.output, doc)  # NaN and infinities as null: the file is strict JSON
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
    """``qbdsl problem NAME --data DATA``: build a catalogue problem.

    Optionally writes its IR (``-o`` with ``--target``) and solves it (``--solve``); ``LIST``
    prints the catalogue. Returns the exit code, 0.

    Raises
    ------
    ModelError
        An unknown problem, no ``--data``, ``-o`` without ``--target``, or an output path that
        cannot be written.
    OptionError
        Options that would be ignored (checked before the model is built): solver options
        without ``--solve``, ``--target`` without ``-o``, compile options that reach no QUBO.
    """
    from qbdsl.problems.catalog import CATALOG, build

    from ..solve import solve

    if args.name == "LIST":
        return _problem_list(console)
    if args.name not in CATALOG:
        raise ModelError(f"unknown problem {args.name!r}; known: {', '.join(CATALOG)} (or LIST)")
    if args.data is None:
        raise ModelError(f"problem {args.name} needs --data ({CATALOG[args.name].data_help})")
    if args.output and args.target is None:
        raise ModelError("-o needs --target qubo|milp")
    _check_problem_options(args)
    check_output(args.output)
    with console.status(f"building {args.name} on {args.data}"):
        model = build(args.name, args.data, pairs(args.opt))
    console.print(model.summary())
    if args.output:
        # the compile options go to the file only when it is a QUBO (else they are --solve's)
        ir = _to_ir(model, args.target, compile_options(args) if args.target == "qubo" else {})
        ir.save(args.output)
        console.print(f"[green]wrote[/] {args.output}: {ir.summary()}")
    if args.solve:
        backend = args.backend or "auto"
        opts = _solve_compile_options(args)
        r = with_progress(
            console,
            f"solving with {backend}",
            args.time_limit,
            lambda: solve(model, backend=backend, time_limit=args.time_limit, seed=args.seed, **opts),
        )
        console.print(
            f"{r.backend}: status {r.status}, objective {r.objective:.6g}, feasible {r.feasible}, "
            f"solve {r.timings['solve']:.3f} s"
        )
    return 0


def add_commands(sub, compiling, solving) -> None:
    """``compile``, ``info``, ``solve``, ``problem`` on the subparsers ``sub``; ``compiling``
    and ``solving`` are the parent parsers of the compile and solver options."""
    c = leaf(
        sub,
        "compile",
        cmd_compile,
        "compile MODEL (path.py:function or a .lp/.mps/.qubo file) to a file",
        parents=(compiling,),
    )
    c.add_argument(
        "model", help="path.py:function (a function returning a Model) or a .lp / .mps / .qubo / .npz / .bqm file"
    )
    c.add_argument(
        "--target",
        choices=TARGETS,
        required=True,
        help="qubo: constraints become penalties (compile options apply); milp: products linearized",
    )
    c.add_argument("-o", "--output", required=True, help=".qubo/.npz/.bqm for qubo, .lp/.mps for milp")
    i = leaf(sub, "info", cmd_info, "variables, terms, density, coefficient range, constraints of a file")
    i.add_argument("file", help="a .lp / .mps / .qubo / .npz / .bqm file (optionally .gz / .xz)")
    s = leaf(sub, "solve", cmd_solve, "solve MODEL and print a table", parents=(solving, compiling))
    s.add_argument(
        "model", help="path.py:function (a function returning a Model) or a .lp / .mps / .qubo / .npz / .bqm file"
    )
    s.add_argument("--fallback", nargs="*", default=None, help="backends to try if this one fails or times out")
    s.add_argument("--deadline", type=seconds, default=None, help="for --backend auto: the QIP deadline")
    s.add_argument("--opt", action="append", metavar="KEY=VALUE", help="a backend option, e.g. num_reads=50")
    s.add_argument("-o", "--output", default=None, help="write the solution as JSON")
    p = leaf(
        sub,
        "problem",
        cmd_problem,
        "build a library problem on shipped data: LIST, or NAME --data ...",
        parents=(solving, compiling),
    )
    p.add_argument("name", help="LIST, or a problem name such as routing.min-mlu")
    p.add_argument("--data", help="network name / instance size (see LIST)")
    p.add_argument("--opt", action="append", metavar="KEY=VALUE", help="problem option, e.g. k=4")
    p.add_argument("--target", choices=TARGETS, help="with -o: the IR to write")
    p.add_argument("-o", "--output", help=".qubo/.npz/.bqm for qubo, .lp/.mps for milp")
    p.add_argument("--solve", action="store_true", help="also solve it (with --backend, --time-limit, --seed)")
