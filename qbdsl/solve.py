"""``qb.solve``: the one place where models meet backends."""

from __future__ import annotations

import math
import numbers
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


MAX_TIME_LIMIT = 1e9  # seconds


# With backend="auto" and a deadline, the chosen backend's time limit ends this long before
# the solve's: decoding its answer and building the Result happen inside the deadline (at a
# 0.05 s deadline, measured 2026-12-01: decode 0.5-4 ms; an OR-Tools run killed at its limit
# hands back its incumbent 1-2 ms later; without the reserve such runs answered 3-8 ms late).
# Small on purpose: 3 ms + 5 % cost more than it saved on the dev suite's held-out runs end to
# end (at 0.05 s OR-Tools found no incumbent on two QOBLIB/MIPLIB models, the tuned annealer
# lost 0.1-0.2 on bqp1000; 0.969 against 0.971 of the oracle's quality)
# (the constants: qbdsl.backends.budget.ANSWER_RESERVE_*, which the evaluation's simulation reads too)


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
    if time_limit > MAX_TIME_LIMIT:  # the OS's waits overflow past about 9e9 s (time_t in ns)
        raise OptionError(
            f"time_limit must be at most {MAX_TIME_LIMIT:g} s (about 31 years), got {time_limit!r}; "
            "time_limit=None sets no limit"
        )
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
    cost_model=None,
    confidence: float = 0.9,
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
        A registered backend name, a backend variant (``"anneal+tuned"``: annealing with
        ``penalty_search=True, repair=True``; :data:`qbdsl.qip.policy.VARIANTS`), or
        ``"auto"``: the Quantum Invocation Policy (:func:`qbdsl.qip.decide`) picks one from
        predicted time and quality under ``deadline`` / ``quality`` / ``prefer``;
        ``result.decision.explain()`` says why. Without ``fallback``, the policy's other
        candidates are the fallbacks, best first. When the decision proposes two backends
        in parallel (``result.decision.parallel``: the cost model cannot tell them apart) and
        two or more cores are available, both run at once, each in its own process with the
        time limit, and the better answer is returned (feasible first, then the objective in
        the model's sense); ``result.info["parallel"]`` lists both with their seconds and
        statuses (a run still going at the time limit is stopped: ``"killed at the time
        limit"``).
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
        is not given. The chosen backend (or pair) is then given the time limit less
        :func:`answer_reserve` (2 ms + 2 % of it, at most 0.1 s), room to decode its answer
        inside the limit (a backend that overruns the limit it is given, as OR-Tools' worker
        can by a few ms, may still answer past it). None (default): no deadline.
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
    cost_model : CostModel, str, os.PathLike, None or False
        With ``backend="auto"`` and a ``deadline``: the cost model the policy judges by
        (:func:`qbdsl.qip.policy.load_cost_model`; None: ``QBDSL_COSTMODEL`` or the shipped
        one; False: profiles only).
    confidence : float
        With ``backend="auto"``: the probability of meeting the deadline the cost-model rule
        requires, in (0, 1). Default 0.9.
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
    from qbdsl.backends.budget import pause_gc

    # a collection's 20-40 ms pause would break a short limit (a deadline alone becomes the limit)
    with pause_gc(time_limit is not None or deadline is not None):
        return _solve(
            obj, backend, time_limit, seed, fallback, deadline, quality, prefer, best_effort, remote, cost_model,
            confidence, options,
        )  # fmt: skip


def _solve(
    obj, backend, time_limit, seed, fallback, deadline, quality, prefer, best_effort, remote, cost_model, confidence,
    options: dict,
) -> Result:  # fmt: skip
    """:func:`solve` after its time limit and seed were checked."""
    from qbdsl.backends.budget import Budget

    budget = Budget(time_limit, "solve")  # counts from here: reading and deciding are inside it
    compile_opts = {k: options.pop(k) for k in COMPILE_KEYS if k in options}
    _check_names([backend] if backend != "auto" else [], fallback)
    if backend != "auto":
        from .qip.policy import resolve

        backend, made = resolve(backend)  # a variant: its backend, with the options that make it
        options = {**made, **options}
        _check_options(backend, options)
        if deadline is not None or prefer is not None or remote:
            raise OptionError(
                "deadline, prefer and remote are the policy's (backend='auto'); for a named backend give "
                "time_limit (and its device option: solver= for dwave, device= for ibm)"
            )
        if cost_model is not None:
            raise OptionError(f"cost_model is the policy's (backend='auto'); {backend!r} was named")
    else:
        _check_option_names(options)
        _check_remote(prefer, remote)
    inputs = _Inputs(_as_input(obj, budget), compile_opts)
    check_chain_compile_options(inputs.obj, compile_opts, None if backend == "auto" else [backend, *(fallback or [])])
    decision = None
    if backend == "auto":
        from .qip.policy import decide

        decision = decide(
            inputs.problem if inputs._is_model() else inputs.obj,  # lowered once, for the features and the compile
            deadline=deadline,
            quality=quality,
            prefer=prefer,
            best_effort=best_effort,
            include_remote=remote,
            cost_model=cost_model,
            confidence=confidence,
        )
        _check_preferred_device(decision, prefer)
        if inputs._is_model():  # decided on inputs.problem: its features serve the pre-flight too
            inputs.problem_features = decision.features
        if decision.backend is None:
            raise BackendError(f"{decision.reason}\n{decision.explain()}")
        backend = decision.backend
        if time_limit is None and "time_limit" in decision.options:
            budget = Budget(decision.options["time_limit"], "solve", start=budget.start)
    from .qip.policy import resolve

    # a deadline is met by the answer, not by the backend's return: its decode fits inside it
    reserve = answer_reserve(budget) if decision is not None and deadline is not None else 0.0
    attempts: list[dict] = []
    why = ""  # why a proposed parallel pair did not run in parallel
    if decision is not None and fallback is None:  # the policy's candidates, best first, each with its device
        chain = [(backend, {}), *decision.fallbacks]
        if len(decision.parallel) == 2:
            result, tried, why = _solve_parallel(inputs, decision, budget, seed, options, reserve)
            if result is not None:
                result.attempts, result.decision = tried, decision
                return result
            attempts += tried
            if tried:  # both failed: the rest of the plan, without them
                chain = [e for e in decision.fallbacks if e not in decision.parallel_plan]
            if not chain:
                raise BackendError("both backends run in parallel failed: " + "; ".join(_named(a) for a in tried))
    else:
        chain = [resolve(name) for name in [backend, *(fallback or [])]]
    for k, (name, device_options) in enumerate(chain):
        mine = options if k == 0 else {}
        spec = getattr(_backend(name), "options", None)
        if decision is not None and spec is not None:  # options for "auto" go to the backend declaring them
            mine = {key: v for key, v in options.items() if key in spec}
            if k == 0 and not attempts:  # the work the policy predicted, unless the user said otherwise
                mine = {**decision.options.get("backend_options", {}), **mine}
            else:  # a fallback row runs on its own device, with its own work and variant options
                mine = {**device_options, **mine}
        elif decision is None and k > 0:  # a fallback variant keeps the options that make it
            mine = dict(device_options)
        try:
            result = _solve_one(inputs, name, budget, seed, mine, reserve)
        except OptionError:
            raise
        except (BackendError, UnsupportedTermError) as exc:
            if k == len(chain) - 1:
                if attempts:
                    tried = "; ".join(_named(a) for a in attempts)
                    raise type(exc)(f"{exc} (after {tried})") from exc
                raise
            attempts.append(_attempt(name, mine, str(exc)))
            continue
        if result.status == "time_limit" and result.sample is None and k < len(chain) - 1:
            attempts.append(_attempt(name, mine, "time limit reached without a solution"))
            continue
        result.attempts = attempts
        result.decision = decision
        if why:
            result.info["parallel_skipped"] = why
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def _named(attempt: dict) -> str:
    """``"<backend>: <error>"`` of an attempt, the backend not named twice when its error names
    it already (``"anneal: anneal: no time left"`` read twice)."""
    name, error = attempt["backend"], str(attempt["error"])
    return error if error.startswith(f"{name}: ") else f"{name}: {error}"


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
    from .qip.policy import VARIANTS

    known = registered()
    known = [*known, *(v for v, (runner, _) in VARIANTS.items() if runner in known)]
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


@dataclass
class _Prepared:
    """A backend and the IR it gets, compiled: what is left is to solve it and decode."""

    name: str
    be: object
    ir: object
    decode: object
    same_objective: bool
    t0: float  # when the preparation started (perf_counter)
    t1: float  # when it ended


def _run_failure(exc: BaseException) -> bool:
    """Whether a pair's compile failure is that run's (the other runs on: a backend that cannot
    take the model) rather than the solve's (a bad option, or any other error: raised)."""
    return isinstance(exc, (BackendError, UnsupportedTermError)) and not isinstance(exc, OptionError)


@dataclass
class _Deferred:
    """A pair's run to prepare in its own thread: ``build()`` compiles it (:func:`_prepare`) and
    returns ``(prepared, time_limit)`` once the other run has started (:func:`_solve_parallel`)."""

    name: str
    build: Callable[[], tuple[_Prepared, float | None]]


def answer_reserve(budget) -> float:
    """Seconds of a deadline-driven solve's limit kept from the backend for turning its answer
    into a Result: :func:`qbdsl.backends.budget.answer_reserve_seconds` of the time limit
    (2 ms plus 2 % of it, at most 0.1 s); 0 without a limit."""
    from qbdsl.backends.budget import answer_reserve_seconds

    if not budget.limited:
        return 0.0
    return answer_reserve_seconds(budget.time_limit)


def _backend_limit(budget, reserve: float) -> float | None:
    """The time limit a backend starting now gets: what is left less ``reserve``, at least half
    of what is left (a nearly spent budget still lets the backend try); None without a limit."""
    from qbdsl.backends.budget import limit_after_reserve

    if not budget.limited:
        return None
    return limit_after_reserve(budget.left(), reserve)


def _solve_one(inputs: _Inputs, name: str, budget, seed, options: dict, reserve: float = 0.0) -> Result:
    prep = _prepare(inputs, name, budget)
    out = _run(prep, _backend_limit(budget, reserve), budget, seed, options)
    return _finish(inputs, prep, out, time.perf_counter(), budget, options)


def _prepare(inputs: _Inputs, name: str, budget) -> _Prepared:
    """Check that backend ``name`` takes the input and that time is left, and build its IR.

    Raises
    ------
    BackendError
        Too many variables for the backend, or its own check refuses the IR.
    TimeLimitError
        No time left, before or after compiling.
    """
    be = _backend(name)
    t0 = time.perf_counter()
    if budget.limited and budget.left() <= 0:
        raise TimeLimitError(
            f"{name}: no time left of the {budget.time_limit:g} s time limit ({budget.elapsed():.3g} s had gone on "
            "reading, deciding and earlier backends)"
        )
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
    if budget.limited and budget.left() <= 0:
        raise TimeLimitError(
            f"{name}: compiling took {t1 - t0:.3g} s, all that was left of the {budget.time_limit:g} s time limit"
        )
    return _Prepared(name, be, ir, decode, same_objective, t0, t1)


def _run(prep: _Prepared, time_limit: float | None, budget, seed, options: dict):
    """``prep``'s backend on its IR: the BackendOutput, or the error in the solve's terms.

    Raises
    ------
    TimeLimitError
        The backend's, with how much of the limit had gone before it.
    BackendError
        The backend's, or a crash inside a solver library (naming the backend).
    ModelError
        The backend's.
    """
    try:
        return prep.be.solve(prep.ir, time_limit=time_limit, seed=seed, **options)
    except TimeLimitError as exc:
        spent = budget.elapsed() - (time.perf_counter() - prep.t1)
        raise TimeLimitError(
            f"{exc} (time_limit {budget.time_limit:g} s; {spent:.3g} s had gone on reading, deciding and compiling)"
        ) from None
    except (BackendError, ModelError):
        raise
    except Exception as exc:  # a crash inside a solver library: name the backend, keep the model
        raise BackendError(f"backend {prep.name!r} failed: {type(exc).__name__}: {exc}") from exc


def _finish(inputs: _Inputs, prep: _Prepared, out, t2: float, budget, options: dict) -> Result:
    """Decode ``out`` (the backend returned at ``t2``) into a Result in the user's terms."""
    name, ir, decode, same_objective, t0, t1 = prep.name, prep.ir, prep.decode, prep.same_objective, prep.t0, prep.t1
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


# ---------------------------------------------------------------- two backends at once
PARALLEL_WAIT = 0.25  # of the grace past the time limit, what a parallel run may still take to answer
# of the time limit, what a pair's runs in threads leave for decoding their answers (each decodes its
# own while the other still runs): at 0.05 s such pairs answered 1-10 ms late without it
THREAD_DECODE_SHARE = 0.05
KILLED = "killed at the time limit"
PROVED = "stopped: the other run proved its answer optimal"
RACED = "stopped: the chosen run answered first (a race: this run was there to prove the optimum sooner)"
LEFT = "not waited for past the time limit (a thread: it ends at its own time limit, its answer dropped)"


def _solve_parallel(
    inputs: _Inputs, decision, budget, seed, options: dict, reserve: float = 0.0
) -> tuple[Result | None, list[dict], str]:
    """Run the decision's two parallel rows at once, each in a forked process with the time
    limit (in a worker process of :mod:`backends.isolate` when other threads run here: forking
    is unsafe then; in a thread each when both backends' ``capabilities.in_thread`` allow it:
    :func:`_in_threads`; one in a thread beside the other forked when one runs in a thread and
    the other in a child of its own anyway, ``capabilities.in_child``, and nothing else runs
    here), and return the better answer (:func:`_better`).

    Both IRs are built here first (the compile is shared when both take the same kind). The
    children are stopped at ``deadline + PARALLEL_WAIT * grace(T)``, at ``IN_HAND_WAIT * T``
    past the time limit once one has answered (a late run does not hold back the answer in
    hand), and as soon as one proves its answer optimal, so the call keeps the ``T + grace(T)``
    promise with time to decode. In a race (``decision.race``: the second row is a prover beside
    the chosen heuristic) the prover is stopped as soon as the chosen row answers.

    Returns
    -------
    result : Result or None
        The better answer, with ``info["parallel"]``: per row ``{"backend", "runs_on",
        "seconds", "status", "process"}`` (``"fork"``, ``"worker"`` or ``"thread"``); None when neither
        answered or parallel running was not possible.
    attempts : list of dict
        Why each run failed, when neither answered (``result.attempts``'s form).
    why : str
        Why the pair was not run in parallel ("" when it was).
    """
    from qbdsl.backends.isolate import (
        ISOLATED,
        idle_workers,
        other_threads,
        prewarm,
        settle_pair_threads,
        startup_seconds,
    )

    from .qip import uncertain
    from .qip.uncertain import available_cores
    from .qip.variants import runs_in_child, runs_in_thread

    cores = available_cores()
    rows = decision.parallel
    thread_rows = [runs_in_thread(name) for name, _ in decision.parallel_plan]
    in_threads = all(thread_rows)
    if cores < 2 or not (ISOLATED or in_threads):
        why = f"only {cores} core available" if cores < 2 else "no fork on this platform"
        return None, [], f"not run in parallel: {why}; the chosen backend ran alone"
    if not in_threads:  # a previous pair's thread ending in a few ms need not send this pair to workers
        settle_pair_threads(budget.deadline)
    # other threads run here: forking is unsafe then, worker processes instead (backends.isolate)
    threaded = not in_threads and other_threads() > 0
    # one run in a thread, the other forked as it would be alone: no process start the two alone would not
    starts_nothing = (
        not in_threads
        and any(thread_rows)
        and all(t or runs_in_child(name) for t, (name, _) in zip(thread_rows, decision.parallel_plan, strict=True))
    )
    # its own process for the other run: an idle worker (from a thread, as it would take alone), else a fork
    via_worker = starts_nothing and idle_workers() >= 1
    mixed = starts_nothing and (via_worker or not threaded)
    if starts_nothing and not mixed and budget.limited and budget.time_limit < uncertain.PARALLEL_MIN_DEADLINE:
        # the rule let this pair under the floor because it starts no process; here it would start two
        return (
            None,
            [],
            (
                "not run in parallel: other threads run in this process and no solver worker is idle, so the "
                "run that needs a process of its own cannot be forked beside the other, and under "
                f"{uncertain.PARALLEL_MIN_DEADLINE:g} s two worker starts make the answer late; the chosen "
                "backend ran alone (qbdsl.qip.warm_up() keeps a worker ready)"
            ),
        )
    if threaded and not mixed and startup_seconds(2) and not budget.fits(2 * startup_seconds(2)):
        prewarm(2)  # they will be waiting for the next call
        return (
            None,
            [],
            (
                f"not run in parallel: other threads run in this process, and starting two solver processes "
                f"(about {startup_seconds(2):.2g} s) does not fit the time left; the chosen backend ran alone"
            ),
        )
    runs: list[dict] = []
    prepared: list[tuple] = []
    raise_later: list[BaseException] = []  # a deferred compile's failure that an eager one would raise
    decoded = in_threads or mixed  # each answer decoded as it comes, beside the other's run
    # a thread decodes its answer inside the limit, beside the other; a fork's, the parent
    share = THREAD_DECODE_SHARE * budget.time_limit if decoded and budget.limited else 0.0
    for row, (name, row_options) in zip(rows, decision.parallel_plan, strict=True):
        spec = getattr(_backend(name), "options", None)
        mine = {**row_options, **{k: v for k, v in options.items() if spec is None or k in spec}}
        if mixed and runs_in_thread(name):
            # compiled in its own thread once the other run has started: compiling a sampler's QUBO
            # first held back OR-Tools' start (its 40-120 ms proofs took 160-330 ms in such pairs)
            k = len(prepared)

            def build(k=k, name=name):
                try:
                    prep = _prepare(inputs, name, budget)
                except BaseException as exc:  # as the eager compile below: a run's failure, or the solve's
                    if not _run_failure(exc):
                        raise_later.append(exc)
                    raise
                prepared[k] = (prepared[k][0], prep, prepared[k][2])
                return prep, _backend_limit(budget, max(reserve, share))

            prepared.append((row, _Deferred(name, build), mine))
            continue
        try:
            prepared.append((row, _prepare(inputs, name, budget), mine))
        except (BackendError, UnsupportedTermError) as exc:
            if not _run_failure(exc):
                raise
            runs.append({"backend": row, "runs_on": name, "seconds": 0.0, "status": f"error: {exc}", "error": exc})
    if not prepared:  # neither could start: the rest of the plan is tried
        return None, [{"backend": e["runs_on"], "error": str(e["error"])} for e in runs], ""
    for _, prep, _ in prepared:  # a solver module imported here is inherited by the forked runs (OR-Tools: 0.1 s each)
        getattr(_backend(prep.name), "import_solver", lambda: None)()
    time_limit = budget.left()
    if time_limit <= 0:
        raise TimeLimitError(f"compiling for {' and '.join(rows)} took all of the {budget.time_limit:g} s time limit")
    if budget.limited:
        time_limit = _backend_limit(budget, max(reserve, share))
    t_start = time.perf_counter()
    jobs = [(p, None if isinstance(p, _Deferred) else time_limit, budget, seed, mine) for _, p, mine in prepared]
    # a race: the chosen row's answer stops the prover (when the chosen row could start)
    ends = 0 if getattr(decision, "race", False) and len(prepared) == 2 else None
    if decoded:
        finish = lambda k, out, t2: _finish(inputs, prepared[k][1], out, t2, budget, prepared[k][2])  # noqa: E731
        own = [k for k, (_, p, _) in enumerate(prepared) if not runs_in_thread(p.name)]
        forked = [] if via_worker else own  # (from its thread, a run of its own goes to the idle worker)
        answers = _in_threads(jobs, budget, finish, ends=ends, reserve=reserve, forked=forked)
        hows = [("worker" if via_worker else "fork") if k in own else "thread" for k in range(len(prepared))]
    else:
        hows = ["worker" if threaded else "fork"] * len(prepared)
        runner = _in_workers if threaded else _fork_all
        answers = runner(jobs, budget, ends=ends, reserve=reserve)
    if raise_later:  # (a compile that failed after the pair had ended is not waited for)
        raise raise_later[0]
    for _, _, err in answers:  # a bad option is the caller's error, whichever run met it (alone it raises)
        if isinstance(err, OptionError):
            raise err
    results: list[Result] = []
    for (row, prep, mine), (out, seconds, err), how in zip(prepared, answers, hows, strict=True):
        entry = {"backend": row, "runs_on": prep.name, "seconds": seconds, "process": how}
        if out is not None and not decoded:  # (decoded as it came: a failure comes back as err)
            try:
                out = _finish(inputs, prep, out, t_start + seconds, budget, mine)
            except OptionError:
                raise
            except (BackendError, ModelError) as exc:  # one run's answer that does not decode: the other's stands
                out, err = None, exc
        if out is not None:
            entry["status"] = str(out.status)
            results.append(out)
        else:
            if err is None or err in (PROVED, RACED):
                stopped = (LEFT if how == "thread" else KILLED) if err is None else err
                entry["status"], entry["error"] = stopped, None
            else:
                entry["status"], entry["error"] = f"error: {err}", err
        runs.append(entry)
    runs.sort(key=lambda e: rows.index(e["backend"]))
    report = [{k: v for k, v in e.items() if k != "error"} for e in runs]
    if not results:
        attempts = [
            {"backend": e["runs_on"], "error": KILLED if e.get("error") is None else str(e["error"])} for e in runs
        ]
        return None, attempts, ""
    best = min(results, key=_better)
    best.info["parallel"] = report
    best.timings["solve"] = time.perf_counter() - t_start
    return best, [], ""


def _better(r: Result) -> tuple:
    """Sort key of parallel answers, best first: a feasible answer, then the better objective in
    the user's sense (:func:`qbdsl.result.sample_order_key` of the best sample); no sample last."""
    from .result import sample_order_key

    sol = r.first
    return (2,) if sol is None else sample_order_key(sol, r.sense)


def _child(
    conn, prep: _Prepared, time_limit: float, budget, seed, options: dict, parent: int | None = None, other_end=None
) -> None:
    """In a forked process: run ``prep`` and send ``("ok", output)`` or ``("error", exception)``;
    end with ``parent`` (its pid) when it dies, holding no copy of the pipe's reading end
    ``other_end`` (else a child whose parent was killed waited forever to write its answer).

    This process is the isolation (the parent kills it at the deadline): a backend that would
    start a child of its own (OR-Tools) runs here instead, since a daemon process may have none
    (OR-Tools failed in every forked pair: "daemonic processes are not allowed to have children").
    """
    import gc

    from qbdsl.backends import isolate

    isolate.ISOLATED = False
    gc.disable()  # a one-shot timed run (the fork restored the collector: budget.pause_gc)
    if other_end is not None:
        other_end.close()
    if parent is not None:
        isolate.die_with_parent(parent)
    try:
        try:
            conn.send(("ok", _run(prep, time_limit, budget, seed, options)))
        except BaseException as exc:  # noqa: BLE001 -- everything goes back to the parent
            try:
                conn.send(("error", exc))
            except Exception:  # an exception that does not pickle: its words
                conn.send(("error", BackendError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()
        os._exit(0)


def _pair_stop(budget) -> float:
    """When a pair's runs are stopped at the latest: ``deadline + PARALLEL_WAIT * grace(T)`` (a
    ``time.perf_counter()`` instant; ``inf`` without a time limit)."""
    from qbdsl.backends.budget import grace

    if budget.time_limit is None:
        return math.inf
    return budget.deadline + PARALLEL_WAIT * grace(budget.time_limit)


def _in_hand_stop(budget, reserve: float = 0.0) -> float:
    """When a pair's late run is stopped once the other has answered: the end of the limit the
    runs were given (the time limit less ``reserve``, :func:`answer_reserve`) plus
    :data:`qbdsl.qip.uncertain.IN_HAND_WAIT` of the time limit (a ``time.perf_counter()`` instant)."""
    from .qip import uncertain

    if budget.time_limit is None:
        return math.inf
    return budget.deadline - reserve + uncertain.IN_HAND_WAIT * budget.time_limit


def _fork_all(jobs: list[tuple], budget, ends: int | None = None, reserve: float = 0.0) -> list[tuple]:
    """Each job ``(prepared, time_limit, budget, seed, options)`` in a forked process at once.

    Returns, per job, ``(output or None, seconds, error or None)``: (None, s, None) for a job
    stopped at ``budget.deadline + PARALLEL_WAIT * grace``, or at :func:`_in_hand_stop` once the
    other has answered (the answer in hand is returned just past the time limit rather than
    waiting into the grace for a late one); (None, s, PROVED) once another proved its answer
    optimal (an ``optimal`` status on an IR whose objective is the user's); (None, s, RACED) once
    job ``ends`` answered (a race).
    """
    from multiprocessing.connection import wait

    stop = _pair_stop(budget)
    t0 = time.perf_counter()
    procs, conns = [], []
    for job in jobs:
        proc, recv = _fork_one(job)
        procs.append(proc)
        conns.append(recv)
    answers: list[tuple] = [(None, math.nan, None)] * len(jobs)
    pending = dict(enumerate(conns))
    until = stop  # once one answer is in hand, the other runs to the time limit, not into its grace
    try:
        while pending:
            ready = wait(list(pending.values()), timeout=max(0.0, until - time.perf_counter()))
            if not ready:
                break
            stopped = None
            for conn in ready:  # every answer that came in is read before one of them stops the rest
                i = conns.index(conn)
                del pending[i]
                try:
                    kind, value = conn.recv()
                except EOFError:
                    kind, value = "error", BackendError(f"the {jobs[i][0].name} process died without answering")
                seconds = time.perf_counter() - t0
                answers[i] = (value, seconds, None) if kind == "ok" else (None, seconds, value)
                if kind == "ok":
                    until = min(stop, _in_hand_stop(budget, reserve))
                stopped = stopped or _stops_others(kind, value, jobs[i][0], i == ends)
            for k in pending if stopped else ():
                answers[k] = (None, time.perf_counter() - t0, stopped)
            if stopped:
                pending.clear()
            if pending and time.perf_counter() >= until:
                break
        for i in pending:
            answers[i] = (None, time.perf_counter() - t0, None)
    finally:
        for proc, conn in zip(procs, conns, strict=True):
            conn.close()
            if proc.is_alive():
                # not waited for: a killed child's exit took 4 ms per pair here; multiprocessing
                # reaps it at the next process start (its _cleanup), or at exit
                proc.kill()
            else:
                proc.join(5)
    return answers


def _fork_one(job: tuple):
    """Job ``(prepared, time_limit, budget, seed, options)`` started in a forked process
    (:func:`_child`): ``(process, the pipe's reading end)``."""
    import multiprocessing
    import warnings

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=_child, args=(send, *job, os.getpid(), recv), daemon=True)
        proc.start()
    send.close()
    return proc, recv


def _stops_others(kind: str, value, prep: _Prepared, ends: bool) -> str | None:
    """Why one run's outcome stops the others of a pair: PROVED (the user's optimum, proven: the
    other cannot do better), RACED (``ends``: the chosen run of a race answered), or None."""
    if kind != "ok":
        return None
    if getattr(value, "status", "") == "optimal" and prep.same_objective:
        return PROVED
    return RACED if ends else None


def _in_threads(
    jobs: list[tuple], budget, finish=None, ends: int | None = None, reserve: float = 0.0, forked: Sequence[int] = ()
) -> list[tuple]:
    """:func:`_fork_all`'s answers, each job run in a daemon thread of this process, waited for
    as :func:`_fork_all` waits: for backends whose ``capabilities.in_thread`` says their solver
    releases the GIL and stops at its time limit, so a pair costs no process start and no
    transfer of its answers (at a 0.05 s deadline those made 9 of 16 forked pairs late).
    With ``finish(k, output, t)`` (job k's output, returned at ``time.perf_counter()`` t) each
    thread hands back what it returns instead of the output (the decoded Result: an answer is
    decoded as it comes, while the other run still samples). ``ends``: as :func:`_fork_all`'s.

    The jobs whose indices are in ``forked`` run in a forked process each instead (as
    :func:`_fork_all` runs them, forked before any thread starts: forking is unsafe once another
    thread runs), their answers read and decoded by a thread each as they come; a forked run
    not waited for is killed.

    A thread cannot be killed: a run not waited for (the other answered and it is still going
    :func:`_in_hand_stop` later, or the pair's stop passed) is left to end at its own time limit
    and its answer is dropped; it reads as ``(None, seconds, None)``. A solver process such a run
    started through :func:`qbdsl.backends.isolate.call_with_deadline` (OR-Tools' worker) is killed
    then (:func:`qbdsl.backends.isolate.cancelled_by`), not left to its time limit.
    """
    import queue

    stop = _pair_stop(budget)
    t0 = time.perf_counter()
    done: queue.SimpleQueue = queue.SimpleQueue()
    procs = {i: _fork_one(jobs[i]) for i in forked}  # before any thread of ours starts

    def read(i: int, proc, conn) -> None:
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            kind, value = "error", BackendError(f"the {jobs[i][0].name} process died without answering")
        finally:
            conn.close()  # here, not by the waiting thread: closing a pipe another thread reads is unsafe
        if kind == "ok" and finish is not None:
            try:
                value = finish(i, value, time.perf_counter())
            except BaseException as exc:  # noqa: BLE001 -- the answer's failure, reported with the other's
                kind, value = "error", exc
        done.put((i, kind, value))

    cancels = [threading.Event() for _ in jobs]  # set for the runs not waited for: an isolated call dies

    def one(i: int, job: tuple) -> None:
        prep, time_limit, budget_, seed, options = job
        try:
            if isinstance(prep, _Deferred):  # compiled here, beside the other run
                if cancels[i].is_set():  # the pair ended before this thread got going: no compile
                    return
                prep, time_limit = prep.build()
                if cancels[i].is_set():  # the pair ended while this run compiled: it does not start
                    return
            with cancelled_by(cancels[i]):
                out = _run(prep, time_limit, budget_, seed, options)
            done.put((i, "ok", out if finish is None else finish(i, out, time.perf_counter())))
        except BaseException as exc:  # noqa: BLE001 -- the run's failure, reported with the other's answer
            done.put((i, "error", exc))

    from qbdsl.backends.isolate import PAIR_THREADS, cancelled_by

    PAIR_THREADS[:] = [t for t in PAIR_THREADS if t.is_alive()]  # ended ones are not kept
    for i, job in enumerate(jobs):
        target, args = (read, (i, *procs[i])) if i in procs else (one, (i, job))
        t = threading.Thread(target=target, args=args, name=f"qbdsl-pair-{i}-{job[0].name}", daemon=True)
        t.start()
        PAIR_THREADS.append(t)
    answers: list[tuple] = [(None, math.nan, None)] * len(jobs)
    pending = set(range(len(jobs)))
    until = stop
    while pending:
        try:
            i, kind, value = done.get(timeout=max(0.0, until - time.perf_counter()))
        except queue.Empty:
            break
        pending.discard(i)
        seconds = time.perf_counter() - t0
        answers[i] = (value, seconds, None) if kind == "ok" else (None, seconds, value)
        if kind == "ok":
            until = min(stop, _in_hand_stop(budget, reserve))
            stopped = _stops_others(kind, value, jobs[i][0], i == ends)
            while stopped and pending:  # an answer already in is kept: it stops only runs still going
                try:
                    j, kind_j, value_j = done.get_nowait()
                except queue.Empty:
                    break
                pending.discard(j)
                t_j = time.perf_counter() - t0
                answers[j] = (value_j, t_j, None) if kind_j == "ok" else (None, t_j, value_j)
            for k in pending if stopped else ():
                answers[k] = (None, time.perf_counter() - t0, stopped)
            if stopped:
                pending.clear()
    for i in pending:
        answers[i] = (None, time.perf_counter() - t0, None)
    for c in cancels:  # a run still going is not waited for: its isolated call (OR-Tools' worker) is killed
        c.set()
    for proc, _ in procs.values():
        if proc.is_alive():  # not waited for: killed (its reader thread ends at the pipe's end)
            proc.kill()
    return answers


def _run_by_name(name: str, ir, wall_deadline: float, seed, options: dict):
    """In a worker process: backend ``name`` on ``ir`` until ``wall_deadline`` (``time.time()``).

    Raises
    ------
    TimeLimitError
        The worker started after the deadline.
    """
    time_limit = wall_deadline - time.time()
    if time_limit <= 0:
        raise TimeLimitError(f"{name}: its solver process started after the time limit")
    return _backend(name).solve(ir, time_limit=time_limit, seed=seed, **options)


def _in_workers(jobs: list[tuple], budget, ends: int | None = None, reserve: float = 0.0) -> list[tuple]:
    """:func:`_fork_all`'s answers, each job run in a worker process of :mod:`backends.isolate`
    (from a thread each), stopped as :func:`_fork_all` stops them."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from qbdsl.backends.isolate import Killed, call_with_deadline

    stop = _pair_stop(budget)
    limit = jobs[0][1] if jobs and jobs[0][1] is not None else budget.left()
    wall_deadline = time.time() + limit  # the limit the runs were given (_backend_limit's floor kept)
    t0 = time.perf_counter()

    stopped: list[str] = []  # why the other run was stopped (PROVED, RACED), when one's answer stopped it
    cancel = threading.Event()  # stopped, or one answer in hand at the time limit
    timers: list[threading.Timer] = []

    def answered() -> None:
        # one answer is in hand: the other runs to the time limit (and IN_HAND_WAIT), not into its grace
        left = _in_hand_stop(budget, reserve) - time.perf_counter()
        if not math.isfinite(left):  # no time limit: the other runs to its end
            return
        if left <= 0:
            cancel.set()
        else:
            timers.append(threading.Timer(left, cancel.set))
            timers[-1].daemon = True
            timers[-1].start()

    def one(i, job):
        prep, _, _, seed, options = job
        try:
            out = call_with_deadline(_run_by_name, (prep.name, prep.ir, wall_deadline, seed, options), stop, cancel)
            why = _stops_others("ok", out, prep, i == ends)
            if why:
                stopped.append(why)
                cancel.set()
            else:
                answered()
            return out, time.perf_counter() - t0, None
        except Killed:
            return None, time.perf_counter() - t0, stopped[0] if stopped else None
        except Exception as exc:  # noqa: BLE001 -- the run's failure, reported with the other's answer
            return None, time.perf_counter() - t0, exc

    pool = ThreadPoolExecutor(len(jobs), thread_name_prefix="qbdsl-parallel")
    try:
        futures = [pool.submit(one, i, job) for i, job in enumerate(jobs)]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, return_when=FIRST_COMPLETED)
            if stopped:  # a proof, or the race's answer: the other run is being killed, not waited for
                break  # (its worker's kill and reaping took 10-15 ms more here, all of it on the answer)
        return [f.result() if f.done() else (None, time.perf_counter() - t0, stopped[0]) for f in futures]
    finally:
        pool.shutdown(wait=False)
        for t in timers:
            t.cancel()
