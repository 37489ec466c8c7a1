"""``qb.solve``: the one place where models meet backends."""
from __future__ import annotations

import math
import time
from typing import Callable

from .errors import BackendError, ModelError, OptionError, TimeLimitError, UnsupportedTermError
from .ir.milp import MilpIR
from .ir.qubo import QuboIR
from .result import Result

COMPILE_KEYS = ("encoding", "penalty", "inequality", "unbalanced")
# QUBO -> MILP linearization, seconds per coupler (1.2-2.8 us measured at 12 k-1.35 M couplers)
LINEARIZE_SECONDS_PER_COUPLER = 3e-6


def _as_input(obj):
    """Turn files, dimod and qiskit objects into a Model or an IR."""
    import os

    if isinstance(obj, (str, os.PathLike)):
        from .io import load

        return load(obj)
    mod = type(obj).__module__
    if mod.startswith("dimod"):
        from .io.dimod_io import from_dimod

        return from_dimod(obj)
    if mod.startswith("qiskit_optimization"):
        from .io.qiskit_io import from_qp

        return from_qp(obj)
    return obj


def solve(obj, backend: str = "auto", *, time_limit: float | None = None, seed: int | None = None,
          fallback: list[str] | tuple[str, ...] | None = None, deadline: float | None = None,
          quality: float = 0.0, prefer: str | None = None, best_effort: bool = False, **options) -> Result:
    """Solve a Model, an IR, a file, a dimod BQM/CQM or a qiskit QuadraticProgram.

    Parameters
    ----------
    backend : str
        A registered backend name, or ``"auto"``: the Quantum Invocation Policy
        (:func:`qbdsl.qip.decide`) picks one from predicted time and quality under
        ``deadline`` / ``quality`` / ``prefer``; ``result.decision.explain()`` says why.
        Without ``fallback``, the policy's other candidates are the fallbacks, best first.
    time_limit : float, optional
        Seconds of wall time for the whole call: reading, compiling, solving (every backend
        of the fallback chain shares it) and decoding. The call returns within
        ``time_limit + max(0.5, 0.25 * time_limit)`` seconds with the best answer found so
        far; ``result.status`` is ``"time_limit"`` when the work was cut short.
        ``result.timings`` splits the time into compile, solve and decode.
    seed : int, optional
    fallback : list of str, optional
        Backends to try in order when one raises or ends at its time limit without a
        solution; ``result.attempts`` lists what failed and why. Every name is checked
        before any work starts.
    **options
        Compile options (``encoding``, ``penalty``, ``inequality``, ``unbalanced``) go to
        :func:`qbdsl.compile`; the rest go to the first backend, which checks their names
        and values before any work starts.

    Returns
    -------
    Result
        ``status`` is ``optimal`` only when proven (``result.gap`` 0), ``feasible`` for an
        unproven answer (``result.gap`` / ``result.bound`` when the solver reports a bound),
        ``infeasible`` / ``unbounded`` only once confirmed (see :mod:`backends.ortools_backend`).

    Raises
    ------
    OptionError
        An unknown backend, fallback or option name, or an invalid option value.
    TimeLimitError
        When not even the smallest unit of work fits in the time left (raised at once).
    BackendError
        When every backend of the chain failed (the message lists why each did).
    """
    if time_limit is not None and (not isinstance(time_limit, (int, float)) or isinstance(time_limit, bool)
                                   or math.isnan(time_limit) or time_limit <= 0):
        raise OptionError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    from qbdsl.backends.budget import Budget

    budget = Budget(time_limit, "solve")     # counts from here: reading and deciding are inside it
    compile_opts = {k: options.pop(k) for k in COMPILE_KEYS if k in options}
    _check_names([backend] if backend != "auto" else [], fallback)
    if backend != "auto":
        _check_options(backend, options)
    obj = _as_input(obj)
    decision = None
    if backend == "auto":
        from .qip.policy import decide

        decision = decide(obj, deadline=deadline, quality=quality, prefer=prefer, best_effort=best_effort,
                          include_remote=False)
        if decision.backend is None:
            raise BackendError(f"{decision.reason}\n{decision.explain()}")
        backend = decision.backend
        _check_options(backend, options)
        if time_limit is None and "time_limit" in decision.options and \
                get_capabilities(backend).time_limit:
            budget = Budget(decision.options["time_limit"], "solve", start=budget.start)
        if fallback is None:    # the policy's other candidates, best first, if the chosen one fails
            fallback = decision.ranked[1:]
    chain = [backend] + list(fallback or [])
    attempts: list[dict] = []
    for k, name in enumerate(chain):
        try:
            result = _solve_one(obj, name, budget, seed, compile_opts, options if k == 0 else {})
        except OptionError:
            raise
        except (BackendError, UnsupportedTermError) as exc:
            if k == len(chain) - 1:
                if attempts:
                    tried = "; ".join(f"{a['backend']}: {a['error']}" for a in attempts)
                    raise type(exc)(f"{exc} (after {tried})") from exc
                raise
            attempts.append({"backend": name, "error": str(exc)})
            continue
        if result.status == "time_limit" and result.sample is None and k < len(chain) - 1:
            attempts.append({"backend": name, "error": "time limit reached without a solution"})
            continue
        result.attempts = attempts
        result.decision = decision
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def _check_names(names: list[str], fallback) -> None:
    """Every backend and fallback name is registered (before any work starts)."""
    from qbdsl.backends import names as registered

    if fallback is not None and (isinstance(fallback, str) or not all(isinstance(f, str) for f in fallback)):
        raise OptionError(f"fallback must be a list of backend names, got {fallback!r}")
    known = registered()
    for name in names + list(fallback or []):
        if name not in known:
            what = "fallback backend" if name in (fallback or []) and name not in names else "backend"
            raise OptionError(f"unknown {what} {name!r}; known backends: {', '.join(known)}")


def _check_options(name: str, options: dict) -> None:
    """The options' names and values, for backends that declare them (``Backend.options``)."""
    from qbdsl.backends import get
    from qbdsl.backends.base import validate_options

    spec = getattr(get(name), "options", None)
    if spec is not None:
        validate_options(name, options, spec)


def get_capabilities(name: str):
    from qbdsl.backends import get

    return get(name).capabilities


def _solve_one(obj, name: str, budget, seed, compile_opts: dict, options: dict) -> Result:
    from qbdsl.backends import get

    be = get(name)
    t0 = time.perf_counter()
    if budget.limited and budget.left() <= 0:
        raise TimeLimitError(f"{name}: no time left of the {budget.time_limit:g} s time limit")
    if budget.limited and isinstance(obj, QuboIR) and "qubo" not in be.capabilities.accepts:
        couplers = len(obj.terms.v)
        budget.require(LINEARIZE_SECONDS_PER_COUPLER * couplers,
                       f"linearizing the QUBO's {couplers} couplers for a MILP solver",
                       "use a QUBO backend (anneal) or raise time_limit", who=name)
    ir, decode, same_objective = _ir_for(obj, be.capabilities.accepts, name, compile_opts)
    t1 = time.perf_counter()
    size = ir.n if isinstance(ir, QuboIR) else ir.num_variables
    cap = be.capabilities.max_variables
    if cap is not None and size > cap:
        raise BackendError(f"{name}: {size} variables exceed the {cap} it takes")
    if hasattr(be, "check"):
        be.check(ir)
    time_limit = None
    if budget.limited:
        time_limit = budget.left()
        if time_limit <= 0:
            raise TimeLimitError(f"{name}: compiling took {t1 - t0:.3g} s, all that was left of the "
                                 f"{budget.time_limit:g} s time limit")
    try:
        out = be.solve(ir, time_limit=time_limit, seed=seed, **options)
    except (BackendError, ModelError):
        raise
    except Exception as exc:  # a crash inside a solver library: name the backend, keep the model
        raise BackendError(f"backend {name!r} failed: {type(exc).__name__}: {exc}") from exc
    t2 = time.perf_counter()
    timings = {"compile": t1 - t0, "solve": t2 - t1, "decode": 0.0}
    bound = getattr(out, "bound", None) if same_objective else None
    gap = getattr(out, "gap", None) if same_objective else None
    if out.sample is None:
        return Result({}, math.nan, {}, out.status, name, dict(options), timings, out.energy, None, out,
                      bound=bound, gap=gap)
    sol = decode(out.sample)
    timings["decode"] = time.perf_counter() - t2
    status = _status(out.status, sol, ir)
    return Result(sol.values, sol.objective, sol.violations, status, name, dict(options), timings,
                  sol.energy if sol.energy is not None else out.energy, out.sample, out, bound=bound, gap=gap)


def _status(backend_status: str, sol, ir) -> str:
    """The result's status in the user's terms.

    A QUBO ground state (``optimal`` from an exact backend) that violates a constraint proves
    the model infeasible when every penalty weight carries the guarantee; otherwise a
    violating answer is ``no_feasible`` (none found, none proven absent).
    """
    if sol.feasible or backend_status not in ("optimal", "feasible"):
        return backend_status
    if backend_status == "optimal" and isinstance(ir, QuboIR) and ir.penalties and all(
            row["guaranteed"] for row in ir.penalty_report()):
        return "infeasible"
    return "no_feasible"


def _ir_for(obj, accepts, name, compile_opts) -> tuple[object, Callable, bool]:
    """The IR this backend takes, how to decode its answers into the user's terms, and
    whether the IR's objective is the user's (so a solver's bound bounds it too)."""
    from .compiler import compile_milp, compile_qubo

    if isinstance(obj, QuboIR):
        plain = not obj.penalties          # a bare QUBO: its energy is its objective
        if "qubo" in accepts:
            return obj, obj.decode, plain
        milp = compile_milp(obj.as_problem())   # the same QUBO, linearized
        return milp, lambda x: obj.decode(x[: obj.n]), plain
    if isinstance(obj, MilpIR):
        if "milp" in accepts:
            return obj, obj.decode, True
        q = compile_qubo(obj.source, **compile_opts)
        return q, q.decode, False
    if hasattr(obj, "to_problem"):
        problem = obj.to_problem()
        if "qubo" in accepts:
            q = compile_qubo(problem, **compile_opts)
            return q, q.decode, False
        milp = compile_milp(problem)
        return milp, milp.decode, True
    raise ModelError(f"solve cannot take a {type(obj).__name__}")
