"""MILP through OR-Tools' model builder (SCIP, CP-SAT, HiGHS as the wheel provides).

The MilpIR's CSR matrix goes to OR-Tools in one vectorized call
(``fill_model_from_sparse_data``); no Python object per nonzero.
"""
from __future__ import annotations

import time

import numpy as np

from qbdsl.errors import BackendError

from .base import BackendOutput, Capabilities, check_options

SOLVERS = ("SCIP", "CP_SAT", "HIGHS")
OPTIONS = ("solver", "gap", "threads", "verbose")


# (gap, seed, threads) formats and the separator, per solver's parameter syntax
_PARAM_FORMAT = {
    "SCIP": ("limits/gap = {}", "randomization/randomseedshift = {}", "parallel/maxnthreads = {}", "\n"),
    "CP_SAT": ("relative_gap_limit:{}", "random_seed:{}", "num_workers:{}", " "),
    "HIGHS": ("mip_rel_gap={}", "random_seed={}", "threads={}", "\n"),
}


def _params(solver: str, gap, seed, threads, verbose: bool = False) -> str:
    fmt_gap, fmt_seed, fmt_threads, sep = _PARAM_FORMAT[solver]
    parts = []
    if gap is not None:
        parts.append(fmt_gap.format(gap))
    if seed is not None:
        parts.append(fmt_seed.format(int(seed) % 2**31))
    if threads is not None or solver == "CP_SAT":   # CP-SAT defaults to one worker: reproducible
        parts.append(fmt_threads.format(int(threads) if threads else 1))
    if solver == "HIGHS":   # HiGHS prints a banner unless told not to
        parts.append(f"output_flag={'true' if verbose else 'false'}")
    return sep.join(parts)


class OrtoolsBackend:
    """OR-Tools MILP: ``solver`` ("HIGHS" default, "SCIP", "CP_SAT"), ``gap`` (relative), ``threads``."""

    name = "ortools"
    capabilities = Capabilities(accepts=("milp",), max_variables=None, exact=True, time_limit=True)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        from ortools.linear_solver.python import model_builder_helper as mbh

        check_options("ortools", options, OPTIONS)
        solver = str(options.get("solver", "HIGHS")).upper()
        if solver not in SOLVERS:
            raise BackendError(f"ortools: unknown solver {solver!r}; choose from {SOLVERS}")
        gap = options.get("gap")
        if gap is not None and not (0 <= gap < 1):
            raise BackendError(f"ortools: gap must be in [0, 1), got {gap!r}")
        if solver == "CP_SAT" and not ir.integrality.all():
            j = int(np.flatnonzero(~ir.integrality)[0])
            raise BackendError(f"ortools: CP_SAT takes integer variables only ({ir.var_names[j]} is continuous); "
                               "use solver='SCIP' or 'HIGHS'")
        t0 = time.perf_counter()
        model = mbh.ModelBuilderHelper()
        A = ir.A.tocsr().astype(np.float64)
        model.fill_model_from_sparse_data(ir.lb.astype(float), ir.ub.astype(float), ir.c.astype(float),
                                          ir.row_lb.astype(float), ir.row_ub.astype(float), A)
        for j in np.flatnonzero(ir.integrality).tolist():
            model.set_var_integrality(j, True)
        model.set_objective_offset(float(ir.offset))
        model.set_maximize(ir.sense == "max")
        s = mbh.ModelSolverHelper(solver)
        if not s.solver_is_supported():
            raise BackendError(f"ortools: solver {solver} is not available in this OR-Tools build")
        if time_limit is not None:
            s.set_time_limit_in_seconds(float(time_limit))
        params = _params(solver, gap, seed, options.get("threads"), bool(options.get("verbose", False)))
        if params:
            s.set_solver_specific_parameters(params)
        s.enable_output(bool(options.get("verbose", False)))
        t1 = time.perf_counter()
        s.solve(model)
        t2 = time.perf_counter()
        status = mbh.SolveStatus(s.status()).name
        has = s.has_solution()
        info = {"solver": solver, "ortools_status": status, "build_seconds": t1 - t0, "solve_seconds": t2 - t1,
                "wall_time": s.wall_time()}
        if has:
            info["bound"] = s.best_objective_bound()
        hit_limit = time_limit is not None and (t2 - t1) >= 0.95 * time_limit
        if status == "OPTIMAL":
            code = "optimal"
        elif status == "FEASIBLE":
            code = "time_limit" if hit_limit else "feasible"
        elif status == "INFEASIBLE":
            code = "infeasible"
        elif status == "UNBOUNDED":
            code = "unbounded"
        elif status in ("NOT_SOLVED", "UNKNOWN_STATUS", "CANCELLED_BY_USER") and hit_limit:
            code = "time_limit"
        else:
            raise BackendError(f"ortools ({solver}) ended with status {status}: {s.status_string()}")
        if not has:
            return BackendOutput(None, code, None, info)
        x = np.asarray(s.variable_values(), dtype=float)
        return BackendOutput(x, code, float(s.objective_value()), info)
