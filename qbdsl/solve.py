"""``qb.solve``: the one place where models meet backends."""
from __future__ import annotations

import math
import time

from .errors import BackendError, ModelError
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


def _pick_auto(obj) -> str:
    """Placeholder rule until QIP: the exact backend (the only one registered so far)."""
    return "exact"


def solve(obj, backend: str = "auto", *, time_limit: float | None = None, seed: int | None = None,
          **options) -> Result:
    """Solve a Model, an IR, a file, a dimod BQM/CQM or a qiskit QuadraticProgram.

    Compile options (``encoding``, ``penalty``, ``inequality``, ``unbalanced``) go to
    :func:`qbdsl.compile`; the rest go to the backend.
    """
    from qbdsl.backends import get

    if time_limit is not None and (not isinstance(time_limit, (int, float)) or math.isnan(time_limit)
                                   or time_limit <= 0):
        raise ModelError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    obj = _as_input(obj)
    name = _pick_auto(obj) if backend == "auto" else backend
    be = get(name)
    compile_opts = {k: options.pop(k) for k in COMPILE_KEYS if k in options}
    t0 = time.perf_counter()
    ir = _ir_for(obj, be.capabilities.accepts, name, compile_opts)
    t1 = time.perf_counter()
    cap = be.capabilities.max_variables
    if cap is not None and _size(ir) > cap:
        raise BackendError(f"{name}: {_size(ir)} variables exceed the {cap} it takes")
    try:
        out = be.solve(ir, time_limit=time_limit, seed=seed, **options)
    except (BackendError, ModelError):
        raise
    except Exception as exc:  # a crash inside a solver library: name the backend
        raise BackendError(f"backend {name!r} failed: {type(exc).__name__}: {exc}") from exc
    t2 = time.perf_counter()
    if out.status in ("infeasible", "unbounded", "error") or out.sample is None:
        return Result({}, math.nan, {}, out.status, name, options,
                      {"compile": t1 - t0, "solve": t2 - t1, "decode": 0.0}, out.energy, None, out)
    sol = ir.decode(out.sample)
    t3 = time.perf_counter()
    status = out.status
    return Result(sol.values, sol.objective, sol.violations, status, name, dict(options),
                  {"compile": t1 - t0, "solve": t2 - t1, "decode": t3 - t2},
                  sol.energy if sol.energy is not None else out.energy, out.sample, out)


def _size(ir) -> int:
    return ir.n if isinstance(ir, QuboIR) else ir.num_variables


def _ir_for(obj, accepts, name, compile_opts):
    from .compiler import compile, compile_qubo

    if isinstance(obj, QuboIR):
        if "qubo" in accepts:
            return obj
        raise BackendError(f"{name} takes {accepts}, not a QUBO: compile the model for 'milp' instead")
    if isinstance(obj, MilpIR):
        if "milp" in accepts:
            return obj
        return compile_qubo(obj.source, **compile_opts)
    if hasattr(obj, "to_problem"):
        target = "qubo" if "qubo" in accepts else "milp"
        return compile(obj, target, **compile_opts) if target == "qubo" else compile(obj, "milp")
    raise ModelError(f"solve cannot take a {type(obj).__name__}")
