"""``qb.solve``: the one place where models meet backends."""

from __future__ import annotations

import math
import numbers
import time

import numpy as np

from .errors import BackendError, ModelError, OptionError, TimeLimitError, UnsupportedTermError
from .ir.milp import MilpIR
from .ir.qubo import QuboIR
from .result import Result, Status, decode_reads
from .routing import COMPILE_KEYS, check_chain_compile_options
from .routing import Inputs as _Inputs


def _as_input(obj, budget):
    """Turn files, dimod and qiskit objects into a Model or an IR; a file only when reading
    it is predicted to fit in the time limit."""
    import os

    if isinstance(obj, (str, os.PathLike)):
        from .io import load, read_seconds

        budget.require(read_seconds(obj), f"reading {os.fspath(obj)}", "raise time_limit", who="solve")
        return load(obj)
    mod = type(obj).__module__
    if mod.startswith("dimod"):
        from .io.dimod_io import from_dimod

        return from_dimod(obj)
    if mod.startswith("qiskit_optimization"):
        from .io.qiskit_io import from_qp

        return from_qp(obj)
    if not isinstance(obj, (QuboIR, MilpIR)) and not hasattr(obj, "to_problem"):
        raise ModelError(
            "solve takes a Model, a QuboIR or MilpIR, a file path, a dimod BQM/CQM or a qiskit "
            f"QuadraticProgram, got a {type(obj).__name__}"
        )
    return obj


def _check_limit(time_limit) -> float | None:
    if time_limit is None:
        return None
    if (
        isinstance(time_limit, (bool, np.bool_))
        or not isinstance(time_limit, numbers.Real)
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        raise OptionError(f"time_limit must be a positive, finite number of seconds, got {time_limit!r}")
    return float(time_limit)


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise OptionError(f"seed must be an integer in [0, 2^32 - 1], got {seed!r}")
    return int(seed)


def solve(
    obj,
    backend: str = "auto",
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    fallback: list[str] | tuple[str, ...] | None = None,
    deadline: float | None = None,
    quality: float = 0.0,
    prefer: str | None = None,
    best_effort: bool = False,
    remote: bool = False,
    **options,
) -> Result:
    """Solve a Model, an IR, a file, a dimod BQM/CQM or a qiskit QuadraticProgram.

    Parameters
    ----------
    obj : Model, Problem, QuboIR, MilpIR, str, os.PathLike, dimod model or QuadraticProgram
        What to solve. A path is read with :func:`qbdsl.load` (refused with a
        ``TimeLimitError`` when reading it is predicted not to fit in ``time_limit``); a
        dimod ``BinaryQuadraticModel``/``ConstrainedQuadraticModel`` and a
        qiskit-optimization ``QuadraticProgram`` are converted (:func:`qbdsl.from_dimod`,
        :func:`qbdsl.from_qp`); each backend then gets the IR kind it accepts
        (:mod:`qbdsl.routing`).
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
        An integer in ``[0, 2^32 - 1]`` passed to every backend of the chain, which seeds
        its random choices so that a call can be repeated. None (default): unseeded.
    fallback : list of str, optional
        Backends to try in order when one raises or ends at its time limit without a
        solution; ``result.attempts`` lists what failed and why. Every name is checked
        before any work starts.
    deadline : float, optional
        With ``backend="auto"`` only: seconds the chosen backend's predicted time must fit
        in (a positive finite number); it also becomes the time limit when ``time_limit``
        is not given. None (default): no deadline.
    quality : float
        With ``backend="auto"``: the least predicted quality, a fraction of the optimum's in
        ``[0, 1]`` (1: optimal); default 0: any.
    prefer : str, optional
        With ``backend="auto"`` only: ``"quantum"``, ``"classical"`` or a backend name,
        preferred among the candidates of equal predicted quality. None (default): the
        fastest.
    best_effort : bool
        With ``backend="auto"``: when no backend meets ``deadline`` and ``quality``, run the
        fastest one that takes the problem instead of raising ``BackendError``. Default False.
    remote : bool
        With ``backend="auto"``: let the policy choose a real QPU (``dwave:advantage``,
        ``dwave:advantage2``, ``ibm:ibm_fez``) when its credentials are configured and it is
        predicted to win; it spends QPU time, and judging it embeds or transpiles the instance
        inside the time limit. Default False: only what runs on this machine (the local
        simulations ``dwave:mock-*`` and ``ibm:fake_*`` included), and ``prefer`` naming a real
        QPU is refused. With ``remote=True`` and no credentials, a ``prefer`` naming a real QPU
        raises ``BackendError`` with the setting and command that configure it; otherwise such
        devices stay planning rows in ``result.decision.explain()``.
    **options
        Compile options (``encoding``, ``penalty``, ``inequality``, ``unbalanced``) go to
        :func:`qbdsl.compile` for the backends that get a QUBO (refused when none of the
        chain does; kept with ``backend="auto"``); the rest go to the first backend, which checks their names
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
        An unknown backend, fallback or option name, an invalid option value, a
        ``time_limit`` or ``seed`` out of range, ``deadline``/``prefer``/``remote`` with a named
        backend, ``prefer`` naming a real QPU without ``remote=True``, compile options for a
        QuboIR, or compile options with a named backend when neither it nor any of its
        fallbacks gets a QUBO (they would be ignored).
    FileFormatError
        A file that cannot be read (a ``ModelError``).
    ModelError
        A model the compiler refuses (see :func:`qbdsl.compile`).
    TimeLimitError
        When not even the smallest unit of work fits in the time left (raised at once).
    BackendError
        When every backend of the chain failed (the message lists why each did), or with
        ``backend="auto"`` when the policy finds no backend that can take the problem, or
        ``prefer`` names a real QPU whose credentials are not configured (``remote=True``).
    """
    time_limit, seed = _check_limit(time_limit), _check_seed(seed)
    from qbdsl.backends.budget import Budget

    budget = Budget(time_limit, "solve")  # counts from here: reading and deciding are inside it
    compile_opts = {k: options.pop(k) for k in COMPILE_KEYS if k in options}
    _check_names([backend] if backend != "auto" else [], fallback)
    if backend != "auto":
        _check_options(backend, options)
        if deadline is not None or prefer is not None or remote:
            raise OptionError(
                "deadline, prefer and remote are the policy's (backend='auto'); for a named backend give "
                "time_limit (and its device option: solver= for dwave, device= for ibm)"
            )
    else:
        _check_option_names(options)
        _check_remote(prefer, remote)
    inputs = _Inputs(_as_input(obj, budget), compile_opts)
    check_chain_compile_options(inputs.obj, compile_opts, None if backend == "auto" else [backend, *(fallback or [])])
    decision = None
    if backend == "auto":
        from .qip.policy import decide

        decision = decide(
            inputs.obj,
            deadline=deadline,
            quality=quality,
            prefer=prefer,
            best_effort=best_effort,
            include_remote=remote,
        )
        _check_preferred_device(decision, prefer)
        if decision.backend is None:
            raise BackendError(f"{decision.reason}\n{decision.explain()}")
        backend = decision.backend
        if time_limit is None and "time_limit" in decision.options:
            budget = Budget(decision.options["time_limit"], "solve", start=budget.start)
    if decision is not None and fallback is None:  # the policy's candidates, best first, each with its device
        chain = [(backend, {}), *decision.fallbacks]
    else:
        chain = [(name, {}) for name in [backend, *(fallback or [])]]
    attempts: list[dict] = []
    for k, (name, device_options) in enumerate(chain):
        mine = options if k == 0 else {}
        spec = getattr(_backend(name), "options", None)
        if decision is not None and spec is not None:  # options for "auto" go to the backend declaring them
            mine = {key: v for key, v in options.items() if key in spec}
            if k == 0:  # the work the policy predicted, unless the user said otherwise
                mine = {**decision.options.get("backend_options", {}), **mine}
            else:  # a fallback device row runs on its own device
                mine = {**device_options, **mine}
        try:
            result = _solve_one(inputs, name, budget, seed, mine)
        except OptionError:
            raise
        except (BackendError, UnsupportedTermError) as exc:
            if k == len(chain) - 1:
                if attempts:
                    tried = "; ".join(f"{a['backend']}: {a['error']}" for a in attempts)
                    raise type(exc)(f"{exc} (after {tried})") from exc
                raise
            attempts.append(_attempt(name, mine, str(exc)))
            continue
        if result.status == "time_limit" and result.sample is None and k < len(chain) - 1:
            attempts.append(_attempt(name, mine, "time limit reached without a solution"))
            continue
        result.attempts = attempts
        result.decision = decision
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(name: str, options: dict, error: str) -> dict:
    """One entry of ``result.attempts``: the backend, the device when options chose one
    (``"dwave:mock-advantage"``), and why it failed."""
    device = options.get("solver") if name == "dwave" else options.get("device") if name == "ibm" else None
    entry = {"backend": name, "error": error}
    if isinstance(device, str) and device:
        entry["device"] = f"{name}:{device}"
    return entry


def _check_remote(prefer, remote) -> None:
    """``remote`` is a bool, and ``prefer`` names a real QPU only with ``remote=True``."""
    if not isinstance(remote, bool):
        raise OptionError(f"remote must be True or False, got {remote!r}")
    if remote or not isinstance(prefer, str):
        return
    from .qip.devices import DEVICES

    real = {d.name: d for d in DEVICES if d.real}
    if prefer in real:
        raise OptionError(
            f"prefer={prefer!r} names a real QPU ({real[prefer].label}); qb.solve runs real QPUs only with "
            "remote=True (it spends QPU time and needs credentials). Local simulations: "
            + ", ".join(d.name for d in DEVICES if not d.real and d.backend == real[prefer].backend)
        )


def _check_preferred_device(decision, prefer) -> None:
    """A preferred real QPU that cannot run for want of credentials is an error, not a silent swap."""
    if not isinstance(prefer, str):
        return
    row = next((r for r in decision.rows if r.backend == prefer and r.configure), None)
    if row is not None and decision.device != prefer:
        raise BackendError(f"prefer={prefer!r}: credentials are not configured; to run it: {row.configure}")


def _backend(name: str):
    from qbdsl.backends import get

    return get(name)


def _check_option_names(options: dict) -> None:
    """With ``backend="auto"``: every option is one some registered backend declares."""
    from qbdsl.backends import names

    known = set()
    for name in names():
        spec = getattr(_backend(name), "options", None)
        if spec is None:  # a third-party backend that checks its own options
            return
        known |= set(spec)
    unknown = sorted(set(options) - known)
    if unknown:
        raise OptionError(f"unknown option(s) {unknown}: no registered backend takes them; known: {sorted(known)}")


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
    from qbdsl.backends.base import validate_options

    spec = getattr(_backend(name), "options", None)
    if spec is not None:
        validate_options(name, options, spec)


def _solve_one(inputs: _Inputs, name: str, budget, seed, options: dict) -> Result:
    be = _backend(name)
    t0 = time.perf_counter()
    if budget.limited and budget.left() <= 0:
        raise TimeLimitError(f"{name}: no time left of the {budget.time_limit:g} s time limit")
    if (
        isinstance(inputs.obj, QuboIR)
        and be.capabilities.max_variables is not None
        and "qubo" in be.capabilities.accepts
        and inputs.obj.n > be.capabilities.max_variables
    ):
        raise BackendError(f"{name}: {inputs.obj.n} variables exceed the {be.capabilities.max_variables} it takes")
    inputs.precheck(name, be, budget)
    ir, decode, same_objective = inputs.ir_for(be.capabilities.accepts)
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
            raise TimeLimitError(
                f"{name}: compiling took {t1 - t0:.3g} s, all that was left of the {budget.time_limit:g} s time limit"
            )
    try:
        out = be.solve(ir, time_limit=time_limit, seed=seed, **options)
    except TimeLimitError as exc:
        spent = budget.elapsed() - (time.perf_counter() - t1)
        raise TimeLimitError(
            f"{exc} (time_limit {budget.time_limit:g} s; {spent:.3g} s had gone on reading, deciding and compiling)"
        ) from None
    except (BackendError, ModelError):
        raise
    except Exception as exc:  # a crash inside a solver library: name the backend, keep the model
        raise BackendError(f"backend {name!r} failed: {type(exc).__name__}: {exc}") from exc
    t2 = time.perf_counter()
    timings = {"compile": t1 - t0, "solve": t2 - t1, "decode": 0.0}
    bound = getattr(out, "bound", None) if same_objective else None
    gap = getattr(out, "gap", None) if same_objective else None
    # the user's Problem, the one decode maps into (its sense orders the samples)
    user = getattr(inputs.obj if isinstance(inputs.obj, (QuboIR, MilpIR)) else ir, "source", None)
    samples, info = decode_reads(out, decode, budget)
    if isinstance(inputs.obj, QuboIR) and isinstance(ir, MilpIR):
        for sol in samples:  # a QUBO solved as its linearized MILP: the sample is the QUBO's point
            sol.sample = sol.sample[: inputs.obj.n]
    timings["decode"] = time.perf_counter() - t2
    result = Result(
        samples,
        Status.ERROR,
        name,
        dict(options),
        timings,
        out,
        bound=bound,
        gap=gap,
        info=info,
        sense=getattr(user, "sense", "min"),
        problem=user,
    )
    result.status = _status(out.status, result.first, ir)
    return result


def _status(backend_status: str, sol, ir) -> Status:
    """The result's status in the user's terms, from the best sample ``sol`` (the best
    feasible one when there is one; ``None`` when the backend returned no point).

    A QUBO's ground state (``optimal`` from an exact backend) is the model's optimum only when
    every penalty weight carries the guarantee (``penalty_report``); with unbalanced
    penalization or a weight too small for the proof, a feasible answer is only
    ``feasible``. A violating ground state proves the model infeasible under guaranteed
    weights (then no sample is feasible); otherwise answers that all violate are
    ``no_feasible`` (none found, none proven absent).
    """
    try:
        status = Status(backend_status)
    except ValueError:
        raise BackendError(
            f"a backend returned status {backend_status!r}; known: {', '.join(s.value for s in Status)}"
        ) from None
    if sol is None:
        return status
    proven = not isinstance(ir, QuboIR) or not ir.penalties or all(row["guaranteed"] for row in ir.penalty_report())
    if sol.feasible:
        return Status.FEASIBLE if status == Status.OPTIMAL and not proven else status
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return status
    if status == Status.OPTIMAL and isinstance(ir, QuboIR) and ir.penalties and proven:
        return Status.INFEASIBLE
    return Status.NO_FEASIBLE
