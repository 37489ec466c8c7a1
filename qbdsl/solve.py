"""``qb.solve``: the one place where models meet backends."""
from __future__ import annotations

import math
import time
from typing import Callable

from .errors import BackendError, ModelError, UnsupportedTermError
from .ir.milp import MilpIR
from .ir.qubo import QuboIR
from .result import Result

COMPILE_KEYS = ("encoding", "penalty", "inequality", "unbalanced")


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
    time_limit : float, optional
        Seconds; backends that honour it stop and return their incumbent.
    seed : int, optional
    fallback : list of str, optional
        Backends to try in order when one raises or ends at its time limit without a
        solution; ``result.attempts`` lists what failed and why.
    **options
        Compile options (``encoding``, ``penalty``, ``inequality``, ``unbalanced``) go to
        :func:`qbdsl.compile`; the rest go to the first backend.
    """
    if time_limit is not None and (not isinstance(time_limit, (int, float)) or isinstance(time_limit, bool)
                                   or math.isnan(time_limit) or time_limit <= 0):
        raise ModelError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    obj = _as_input(obj)
    compile_opts = {k: options.pop(k) for k in COMPILE_KEYS if k in options}
    decision = None
    if backend == "auto":
        from .qip.policy import decide

        decision = decide(obj, deadline=deadline, quality=quality, prefer=prefer, best_effort=best_effort,
                          include_remote=False)
        if decision.backend is None:
            raise BackendError(f"{decision.reason}\n{decision.explain()}")
        backend = decision.backend
        if time_limit is None and "time_limit" in decision.options and \
                get_capabilities(backend).time_limit:
            time_limit = decision.options["time_limit"]
    chain = [backend] + list(fallback or [])
    attempts: list[dict] = []
    for k, name in enumerate(chain):
        try:
            result = _solve_one(obj, name, time_limit, seed, compile_opts, options if k == 0 else {})
        except (BackendError, UnsupportedTermError) as exc:
            if k == len(chain) - 1:
                if attempts:
                    tried = "; ".join(f"{a['backend']}: {a['error']}" for a in attempts)
                    raise BackendError(f"{exc} (after {tried})") from exc
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


def get_capabilities(name: str):
    from qbdsl.backends import get

    return get(name).capabilities


def _solve_one(obj, name: str, time_limit, seed, compile_opts: dict, options: dict) -> Result:
    from qbdsl.backends import get

    be = get(name)
    t0 = time.perf_counter()
    ir, decode = _ir_for(obj, be.capabilities.accepts, name, compile_opts)
    t1 = time.perf_counter()
    size = ir.n if isinstance(ir, QuboIR) else ir.num_variables
    cap = be.capabilities.max_variables
    if cap is not None and size > cap:
        raise BackendError(f"{name}: {size} variables exceed the {cap} it takes")
    if hasattr(be, "check"):
        be.check(ir)
    try:
        out = be.solve(ir, time_limit=time_limit, seed=seed, **options)
    except (BackendError, ModelError):
        raise
    except Exception as exc:  # a crash inside a solver library: name the backend, keep the model
        raise BackendError(f"backend {name!r} failed: {type(exc).__name__}: {exc}") from exc
    t2 = time.perf_counter()
    timings = {"compile": t1 - t0, "solve": t2 - t1, "decode": 0.0}
    if out.sample is None:
        return Result({}, math.nan, {}, out.status, name, dict(options), timings, out.energy, None, out)
    sol = decode(out.sample)
    timings["decode"] = time.perf_counter() - t2
    status = _status(out.status, sol, ir)
    return Result(sol.values, sol.objective, sol.violations, status, name, dict(options), timings,
                  sol.energy if sol.energy is not None else out.energy, out.sample, out)


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


def _ir_for(obj, accepts, name, compile_opts) -> tuple[object, Callable]:
    """The IR this backend takes, and how to decode its answers into the user's terms."""
    from .compiler import compile_milp, compile_qubo

    if isinstance(obj, QuboIR):
        if "qubo" in accepts:
            return obj, obj.decode
        milp = compile_milp(obj.as_problem())   # the same QUBO, linearized
        return milp, lambda x: obj.decode(x[: obj.n])
    if isinstance(obj, MilpIR):
        if "milp" in accepts:
            return obj, obj.decode
        q = compile_qubo(obj.source, **compile_opts)
        return q, q.decode
    if hasattr(obj, "to_problem"):
        problem = obj.to_problem()
        if "qubo" in accepts:
            q = compile_qubo(problem, **compile_opts)
            return q, q.decode
        milp = compile_milp(problem)
        return milp, milp.decode
    raise ModelError(f"solve cannot take a {type(obj).__name__}")
