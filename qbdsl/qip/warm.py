"""One untimed ``backend="auto"`` solve, so that a process's first timed one is not its first."""

from __future__ import annotations

import numpy as np

WORKER_WAIT_SECONDS = 5.0  # the most warm_up waits for its solver worker process to be ready


def warm_up(cost_model=None) -> None:
    """Import and load what every ``qb.solve(backend="auto", deadline=...)`` reuses: the
    decision's modules and cost model (by deciding a small random QUBO at a 0.05 s and a 1 s
    deadline), the samplers (``dwave-samplers``), OR-Tools' model builder in this process
    (otherwise each OR-Tools call, run in a forked child to be killable at its limit, imports it
    again: about 0.1 s per call at a 0.05 s deadline), and an idle solver worker process
    (:mod:`qbdsl.backends.isolate`: an OR-Tools call then takes about 6 ms to start and answer
    instead of the 27-35 ms of forking this process, and a sampler may run beside it at any
    deadline; waited for at most :data:`WORKER_WAIT_SECONDS`).

    Call it before a short-deadline solve: the first one in a fresh process spends 0.1-0.2 s on
    one-time imports, so at a 0.05 s deadline no backend has time left (the QIP benchmark
    warms up this way before its timed runs, as it preloads the samplers for theirs). Each call
    does the work again (about 0.5 s).

    Parameters
    ----------
    cost_model : CostModel, str or Path, optional
        The model the timed solves will decide by (``qb.solve``'s ``cost_model``); default the
        shipped one (or ``QBDSL_COSTMODEL``).

    Raises
    ------
    ModelError, OptionError
        A ``cost_model`` that cannot be read or is not a model (as ``qb.solve`` raises it). A
        backend failing on the small QUBO is not an error here: the timed solves report what fails.
    """
    import time

    import qbdsl as qb
    from qbdsl.backends import isolate
    from qbdsl.backends.anneal import preload
    from qbdsl.backends.ortools_backend import _import_solver_module
    from qbdsl.errors import BackendError, OptionError, TimeLimitError
    from qbdsl.ir.terms import QuboTerms

    preload()
    _import_solver_module()  # the forked OR-Tools children inherit it instead of importing it per call
    isolate.prewarm(1, always=True)  # started in the background, beside the solves below
    rng = np.random.default_rng(0)
    i, j = np.triu_indices(8, 1)
    q = qb.QuboIR.from_terms(QuboTerms.from_coo(8, rng.normal(size=8), i, j, rng.normal(size=len(i))))
    for deadline in (0.05, 1.0):  # a short deadline's path and a longer one's
        try:
            qb.solve(q, backend="auto", time_limit=deadline, deadline=deadline, cost_model=cost_model)
        except (BackendError, TimeLimitError) as exc:
            if isinstance(exc, OptionError):  # a bad cost_model argument is the caller's error
                raise
    end = time.perf_counter() + WORKER_WAIT_SECONDS
    while isolate.ISOLATED and isolate.idle_workers() < 1 and isolate.starting_workers() and time.perf_counter() < end:
        time.sleep(0.01)
