"""MILP through OR-Tools' model builder (HiGHS, SCIP, CP-SAT as the wheel provides).

The MilpIR's CSR matrix goes to OR-Tools in one vectorized call
(``fill_model_from_sparse_data``); no Python object per nonzero.

Statuses mean what they say:

- ``optimal`` only when proven: the relative gap is 0 unless the user allows one
  (``gap=``), and then an answer within it is ``feasible`` with ``bound`` and ``gap``.
  (With its default ``mip_rel_gap = 1e-4``, HiGHS called 300 065 optimal on a six-item
  knapsack whose optimum is 300 092.)
- ``infeasible`` and ``unbounded`` are confirmed before they are reported: HiGHS, with
  presolve off (a second code path; the primary may be SCIP or CP-SAT), looks for any
  feasible point (objective 0). None: ``infeasible``. One: the model is feasible, so the
  verdict was either wrong (a presolve error; the model is solved again without presolve)
  or "unbounded", which the LP relaxation, unbounded without presolve, confirms (a
  feasible MILP with rational data whose relaxation is unbounded is unbounded; Meyer,
  Math. Programming 7, 1974). The bundled HiGHS reports ``minimize -x, x >= 1 integer``
  as infeasible ("may actually be unbounded"); it is reported ``unbounded``.

Time limits: the solver runs in a forked child (:mod:`backends.isolate`) that is killed
at the deadline, because HiGHS inside OR-Tools 9.15 can ignore its own limit (88 s on a
1 s limit; 0.87 s on a 0.2 s limit in the root of a 139 000-nonzero k-path model) and its
interrupt. The solver is given the time left minus the predicted cost of handing it the
model; when that cost alone exceeds the time left, :class:`~qbdsl.errors.TimeLimitError` is
raised at once. HiGHS writes each improving solution to a file as it finds it
(``mip_improving_solution_file``), so it is killed at the deadline itself and its last
incumbent is the answer (status ``time_limit``); SCIP and CP-SAT, which have no such file,
get a grace past the deadline to return theirs, and a killed one has no answer.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from qbdsl.errors import BackendError

from .base import BackendOutput, Capabilities, Option, validate_options
from .budget import Budget, grace
from .isolate import Killed, call_with_deadline, prewarm, startup_seconds

SOLVERS = ("HIGHS", "SCIP", "CP_SAT")
OPTIONS = {
    "solver": Option(str, choices=SOLVERS),
    "gap": Option(float, 0.0, 1.0, open_high=True),
    "threads": Option(int, 1, 1024),
    "verbose": Option(bool),
}

# Seconds OR-Tools spends per nonzero outside the solver's own clock (copying the model
# into the solver, presolve set-up, the answer back), measured on linearized QUBOs of
# 0.1-2.7 M nonzeros on the 2-core development VM; plus a fixed part. Measured again on
# 2026-12-01 from HiGHS's banner to its first log line: 2.3-2.7 us per nonzero and variable on
# a scheduling MILP, 3.8-4.3 on linearized random QUBOs of 1 500-480 000 nonzeros, 6-10 on
# k-path and max-cut models. The typical cost, not the worst: HiGHS is killed at the deadline
# with its last incumbent kept, so a model that reaches it late loses little, while a higher
# estimate refuses small models HiGHS solves in time (8e-6 refused a 3 700-nonzero scheduling
# model at 0.05 s that it proves optimal in 0.02 s).
TRANSFER_SECONDS = {"HIGHS": 3e-6, "SCIP": 1.2e-6, "CP_SAT": 1.5e-6}
TRANSFER_FIXED = 0.02
PROVEN_GAP = 1e-9  # relative gap below which a bound proves the objective optimal

SOLVER_RELATIVE_TOLERANCE = 1e-9  # SCIP's numerics/epsilon; HiGHS and CP-SAT compare objectives as finely


def objective_resolution(ir) -> float | None:
    """The smallest nonzero difference between two objective values of the MILP, when the
    objective is an integer combination of integer variables after scaling by 10^k (k <= 6):
    ``gcd / 10^k``; None otherwise (continuous variables in the objective, or real data).
    """
    c = np.asarray(ir.c, float)
    used = c != 0
    if not used.any() or not ir.integrality[used].all():
        return None
    for k in range(7):
        v = c[used] * 10.0**k
        ints = np.rint(v)
        if np.all(np.abs(v - ints) <= 1e-9 * np.maximum(1.0, np.abs(v))) and np.abs(ints).max() <= 2.0**53:
            return float(np.gcd.reduce(np.abs(ints).astype(np.int64))) / 10.0**k
    return None


# (gap, seed, threads) formats and the separator, per solver's parameter syntax
_PARAM_FORMAT = {
    "SCIP": ("limits/gap = {}", "randomization/randomseedshift = {}", "parallel/maxnthreads = {}", "\n"),
    "CP_SAT": ("relative_gap_limit:{}", "random_seed:{}", "num_workers:{}", " "),
    "HIGHS": ("mip_rel_gap={}", "random_seed={}", "threads={}", "\n"),
}


def _params(solver: str, gap, seed, threads, verbose: bool = False, presolve: bool = True) -> str:
    fmt_gap, fmt_seed, fmt_threads, sep = _PARAM_FORMAT[solver]
    parts = [fmt_gap.format(gap)]
    if seed is not None:
        parts.append(fmt_seed.format(int(seed) % 2**31))
    if threads is not None or solver == "CP_SAT":  # CP-SAT defaults to one worker: reproducible
        parts.append(fmt_threads.format(int(threads) if threads else 1))
    if solver == "HIGHS":  # HiGHS prints a banner unless told not to
        parts.append(f"output_flag={'true' if verbose else 'false'}")
        if not presolve:
            parts.append("presolve=off")
    return sep.join(parts)


# HiGHS model statuses as its solution file spells them -> OR-Tools' SolveStatus names
_HIGHS_STATUS = {
    "Optimal": "OPTIMAL",
    "Infeasible": "INFEASIBLE",
    "Unbounded": "UNBOUNDED",
    "Primal infeasible or unbounded": "INFEASIBLE",
    "Time limit reached": "NOT_SOLVED",
}


def _highs_solution_file(path: str, n: int) -> tuple[str, np.ndarray | None]:
    """HiGHS's model status and primal point from its sparse solution file (style 4).

    With a time limit, qbdsl asks HiGHS for this file because OR-Tools 9.15 drops HiGHS's
    incumbent when HiGHS stops at its limit (status UNKNOWN, "Warning HiGHS run()", no
    values). Asking for the file makes every run end that way in OR-Tools, so the file is
    then the answer: "Model status" and its text, a "# Primal solution values" section
    saying "Feasible" or "None", then "# Columns -K" and K lines "name value index".
    """
    try:
        with open(path) as f:
            lines = f.read().splitlines()
        status = lines[lines.index("Model status") + 1].strip()
        at = lines.index("# Primal solution values")
        if lines[at + 1].strip() != "Feasible":
            return status, None
        k = next(i for i in range(at, len(lines)) if lines[i].startswith("# Columns"))
        return status, _sparse_point(lines, k, n)
    except (OSError, ValueError, StopIteration, IndexError):
        return "Unknown", None


def _sparse_point(lines: list[str], at: int, n: int) -> np.ndarray:
    """The point of HiGHS's sparse section at ``lines[at]``: ``# Columns -K`` and K lines
    ``name value index``. ValueError when the header, a line or an index is malformed, or fewer
    than K lines follow (a file cut short)."""
    head = lines[at].split()
    if head[:2] != ["#", "Columns"] or len(head) < 3:
        raise ValueError(lines[at])
    count = -int(head[2])
    body = lines[at + 1 : at + 1 + count]
    if count < 0 or len(body) < count:
        raise ValueError(f"{len(body)} of {count} lines")
    x = np.zeros(n)
    for line in body:
        _, value, index = line.split()
        if not 0 <= int(index) < n:
            raise ValueError(index)
        x[int(index)] = float(value)
    return x


INTEGER_TOLERANCE = 1e-6  # HiGHS's default mip_feasibility_tolerance


def _snap_integers(x: np.ndarray, integrality: np.ndarray) -> np.ndarray:
    """``x`` with its integer columns rounded where they lie within :data:`INTEGER_TOLERANCE` of
    an integer: HiGHS's solution files print a binary as ``3e-13`` or ``0.9999999999999`` (a
    time-limited QUBO solve then failed to decode: "a QUBO sample must be 0/1")."""
    y = np.array(x, dtype=float)
    cols = np.flatnonzero(integrality)
    r = np.round(y[cols])
    near = np.abs(y[cols] - r) <= INTEGER_TOLERANCE
    y[cols[near]] = r[near]
    return y


FILE_PREFIX = "qbdsl-highs-"  # + the creating process's id + "-": see _remove_orphaned_files


def _solution_file(kind: str) -> str:
    """A new empty file for HiGHS to write, named for this process (see :func:`_remove_orphaned_files`)."""
    fd, path = tempfile.mkstemp(suffix=".sol", prefix=f"{FILE_PREFIX}{os.getpid()}-{kind}")
    os.close(fd)
    return path


def _remove_orphaned_files() -> None:
    """Remove the HiGHS solution files of processes that are gone. A solve removes its own files
    when it ends, but one run in a pair's process is killed with them (SIGKILL runs no cleanup):
    the next OR-Tools call on the machine removes them."""
    import glob

    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{FILE_PREFIX}*-*.sol")):
        pid = os.path.basename(path)[len(FILE_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                os.unlink(path)
            except OSError:
                pass
        except OSError:  # alive, another user's
            pass


def _highs_improving_file(path: str, n: int) -> np.ndarray | None:
    """The last complete solution in HiGHS's improving-solutions file, or None.

    HiGHS (``mip_improving_solution_save`` with ``mip_improving_solution_report_sparse``)
    appends, for each incumbent it finds, ``Objective <value>``, ``# Columns -K`` and K lines
    ``name value index`` (the nonzeros, in the original model's columns). The child may be
    killed while writing one, so only a block with all of its K lines counts.
    """
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    lines = text.splitlines()
    if not text.endswith("\n"):  # killed inside a line: "C12 1 12" cut to "C12 1 1" reads wrongly
        lines = lines[:-1]
    starts = [i for i, line in enumerate(lines) if line.startswith("Objective")]
    for at in reversed(starts):
        try:
            return _sparse_point(lines, at + 1, n)
        except (ValueError, IndexError):
            continue
    return None


def _import_solver_module() -> None:
    """Import OR-Tools' model builder in this process, once: each solve runs in a forked child
    (or a worker forked later), which then inherits it instead of importing it again (0.1 s
    per solve on the development VM: a 0.05 s limit had no time left for the solver)."""
    from ortools.linear_solver.python import model_builder_helper  # noqa: F401


@dataclass(frozen=True)
class MilpArrays:
    """What a solver needs of a MilpIR: arrays only, cheap to pickle to a worker process."""

    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    A: object  # scipy.sparse CSR
    integrality: np.ndarray
    offset: float
    sense: str

    @property
    def num_variables(self) -> int:
        """The number of columns n."""
        return len(self.c)

    @classmethod
    def of(cls, ir) -> MilpArrays:
        """The arrays of MilpIR ``ir``, as float64 (``A`` as CSR, ``integrality`` as bool)."""
        return cls(
            ir.lb.astype(float),
            ir.ub.astype(float),
            ir.c.astype(float),
            ir.row_lb.astype(float),
            ir.row_ub.astype(float),
            ir.A.tocsr().astype(np.float64),
            np.asarray(ir.integrality, bool),
            float(ir.offset),
            ir.sense,
        )


def _run(
    ir: MilpArrays,
    solver: str,
    params: str,
    time_limit: float | None,
    verbose: bool,
    zero_objective: bool = False,
    relax: bool = False,
    sol_file: str | None = None,
    improving_file: str | None = None,
) -> dict:
    """Build the model and solve it once (runs in the child process). ``sol_file``: where
    HiGHS writes its solution (see :func:`_highs_solution_file`); ``improving_file``: where it
    writes each improving solution (see :func:`_highs_improving_file`); the caller removes them."""
    from ortools.linear_solver.python import model_builder_helper as mbh

    t0 = time.perf_counter()
    model = mbh.ModelBuilderHelper()
    c = np.zeros(ir.num_variables) if zero_objective else ir.c
    model.fill_model_from_sparse_data(ir.lb, ir.ub, c, ir.row_lb, ir.row_ub, ir.A)
    if not relax:
        for j in np.flatnonzero(ir.integrality).tolist():
            model.set_var_integrality(j, True)
    model.set_objective_offset(0.0 if zero_objective else float(ir.offset))
    model.set_maximize(ir.sense == "max")
    s = mbh.ModelSolverHelper(solver)
    if not s.solver_is_supported():
        raise BackendError(f"ortools: solver {solver} is not available in this OR-Tools build")
    if time_limit is not None:
        s.set_time_limit_in_seconds(float(time_limit))
    if sol_file is not None:
        params += f"\nwrite_solution_to_file=true\nsolution_file={sol_file}\nwrite_solution_style=4"
    if improving_file is not None:
        params += (
            "\nmip_improving_solution_save=true\nmip_improving_solution_report_sparse=true"
            f"\nmip_improving_solution_file={improving_file}"
        )
    s.set_solver_specific_parameters(params)
    s.enable_output(verbose)
    t1 = time.perf_counter()
    s.solve(model)
    status, message = mbh.SolveStatus(s.status()).name, s.status_string()
    x = np.asarray(s.variable_values(), dtype=float) if s.has_solution() else None
    bound = float(s.best_objective_bound()) if x is not None else None
    if x is None and sol_file is not None and status in ("UNKNOWN_STATUS", "NOT_SOLVED"):
        highs, x = _highs_solution_file(sol_file, ir.num_variables)
        status = _HIGHS_STATUS.get(highs, "UNKNOWN_STATUS")
        if status == "NOT_SOLVED" and x is not None:
            status = "FEASIBLE"
        message = f"HiGHS: {highs}" + (" (may actually be unbounded)" if "unbounded" in highs else "")
        bound = float(ir.c @ x + ir.offset) if status == "OPTIMAL" and x is not None else None
    if x is None and improving_file is not None:  # stopped with no final point: its last incumbent
        x = _highs_improving_file(improving_file, ir.num_variables)
        if x is not None:
            status = "FEASIBLE"
    objective = None
    if x is not None:
        objective = 0.0 if zero_objective else float(ir.c @ x + ir.offset)
    return {
        "status": status,
        "message": message,
        "x": x,
        "objective": objective,
        "bound": bound,
        "build_seconds": t1 - t0,
        "solve_seconds": time.perf_counter() - t1,
        "wall_time": s.wall_time(),
    }


class OrtoolsBackend:
    """OR-Tools MILP: ``solver`` ("HIGHS" default, "SCIP", "CP_SAT"), ``gap`` (relative gap
    allowed; default 0: ``optimal`` means proven), ``threads``, ``verbose``."""

    name = "ortools"
    capabilities = Capabilities(accepts=("milp",), max_variables=None, exact=True, time_limit=True, in_child=True)
    options = OPTIONS
    # qb.solve calls it before forking a pair's runs: the children inherit the model builder
    import_solver = staticmethod(_import_solver_module)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Solve MILP ``ir`` with OR-Tools in a worker process, within ``time_limit``.

        Parameters
        ----------
        ir : MilpIR
            The MILP, over n variables.
        time_limit : float, optional
            Wall-clock seconds, the transfer of the model to the solver process included; at the
            limit the incumbent (if any) is returned with status ``time_limit``. ``None``: no limit.
        seed : int, optional
            The solver's random seed.
        **options
            ``solver``, ``gap``, ``threads``, ``verbose`` (see the class docstring).

        Returns
        -------
        BackendOutput
            One row (1, n), or none, with its objective in the IR's sense, the proven ``bound``
            and the relative ``gap``; status ``optimal`` (within ``gap``), ``feasible``,
            ``infeasible``, ``unbounded`` or ``time_limit``. Infeasible and unbounded verdicts are
            confirmed by HiGHS without presolve.

        Raises
        ------
        OptionError
            An unknown option or invalid value.
        TimeLimitError
            When handing the model to the solver (and starting its process) does not fit.
        BackendError
            When CP_SAT is asked for a model with continuous variables, the solver is not in this
            OR-Tools build, it fails or ends with an error status (``MODEL_INVALID``...), or an
            unbounded verdict is contradicted by the no-presolve check.
        """
        budget = Budget(time_limit, "ortools")
        opts = validate_options("ortools", options, OPTIONS)
        solver = opts.get("solver", "HIGHS")
        gap = opts.get("gap", 0.0)
        verbose = opts.get("verbose", False)
        if solver == "CP_SAT" and not ir.integrality.all():
            # the model cannot go to this solver (a fallback may take it): not an option mistake
            j = int(np.flatnonzero(~ir.integrality)[0])
            what = (
                f"{ir.var_names[j]} is continuous"
                if not ir.var_names[j].startswith("_products")
                else "a product with a continuous factor is continuous"
            )
            raise BackendError(f"ortools: CP_SAT takes integer variables only ({what}); use solver='SCIP' or 'HIGHS'")

        params = _params(solver, gap, seed, opts.get("threads"), verbose)
        first = self._attempt(ir, solver, params, budget, verbose, "solve")
        info = {
            "solver": solver,
            "ortools_status": first["status"],
            "message": first["message"],
            "runs": [first["summary"]],
        }
        # CP-SAT called 3 x0 - 3 x1 + 3 b == -2 (bounded integers, no integer solution) MODEL_INVALID
        # with no message: with every bound finite that is no verdict either
        invalid = first["status"] == "MODEL_INVALID" and bool(np.isfinite(ir.lb).all() and np.isfinite(ir.ub).all())
        if invalid or self._failed(first, budget):
            # a solver error is not a verdict: HiGHS without presolve, a second code path, answers
            # (HiGHS 1.12's MIP postsolve raised "Error running HiGHS run()" on a 3-variable MILP)
            info["solver_error"] = f"{solver}: {first['message'] or first['status']}"
            first = self._attempt(
                ir,
                "HIGHS",
                _params("HIGHS", gap, seed, None, verbose, presolve=False),
                budget,
                verbose,
                "solve, no presolve (after a solver error)",
            )
            info["runs"].append(first["summary"])
        code = first["status"]
        if code in ("INFEASIBLE", "UNBOUNDED") or (code == "UNKNOWN_STATUS" and "unbounded" in first["message"]):
            return self._confirm(ir, first, budget, info, seed)
        return self._output(ir, first, budget, info, gap)

    @staticmethod
    def _failed(run: dict, budget: Budget) -> bool:
        """A run that ended in an error: no answer, no verdict, and not stopped by its limit."""
        limit = run["summary"]["solver_time_limit"]
        at_limit = (
            "Time limit" in run["message"]
            or run["status"] == "KILLED"
            or (limit is not None and run["summary"]["seconds"] >= 0.9 * limit)
        )
        return (
            run["status"] in ("NOT_SOLVED", "ABNORMAL", "UNKNOWN_STATUS")
            and run["x"] is None
            and "unbounded" not in run["message"]
            and not at_limit
        )

    # -- one run of the solver in a child process, under the budget
    def _attempt(self, ir, solver: str, params: str, budget: Budget, verbose: bool, what: str, **kw) -> dict:
        _import_solver_module()
        transfer = TRANSFER_FIXED + TRANSFER_SECONDS[solver] * (ir.A.nnz + ir.num_variables) + startup_seconds()
        limit = None
        if budget.limited:
            if not budget.fits(transfer) and startup_seconds():
                prewarm()  # refused now; a worker will be waiting for the next call
            budget.require(
                transfer,
                f"handing {solver} a model of {ir.A.nnz} nonzeros and {ir.num_variables} "
                "variables" + (" (and starting a solver process)" if startup_seconds() else ""),
                "raise time_limit, or compile a smaller model",
            )
            limit = max(0.01, budget.left() - transfer)
        t = time.perf_counter()
        sol_file = improving = None
        if solver == "HIGHS" and limit is not None:  # its incumbent at the limit: see _highs_solution_file
            _remove_orphaned_files()
            sol_file = _solution_file("")
            if not kw.get("zero_objective") and not kw.get("relax"):
                improving = _solution_file("improving-")
        if not budget.limited:
            deadline = math.inf
        elif improving is not None:  # its incumbents are on file: killed at the deadline, none is lost
            deadline = budget.deadline
        else:
            deadline = budget.deadline + 0.25 * grace(budget.time_limit)
        try:
            out = call_with_deadline(
                _run,
                (
                    MilpArrays.of(ir),
                    solver,
                    params,
                    limit,
                    verbose,
                    kw.get("zero_objective", False),
                    kw.get("relax", False),
                    sol_file,
                    improving,
                ),
                deadline,
            )
        except Killed:
            x = _highs_improving_file(improving, ir.num_variables) if improving is not None else None
            out = {
                "status": "KILLED",
                "message": f"{solver} did not stop at its {limit:.3g} s limit: killed at the deadline"
                + (", its last incumbent kept" if x is not None else ""),
                "x": x,
                "objective": None if x is None else float(ir.c @ x + ir.offset),
                "bound": None,
            }
        except RuntimeError as exc:
            raise BackendError(f"ortools ({solver}) failed: {exc}") from None
        finally:
            for path in (sol_file, improving):
                if path is not None:
                    os.unlink(path)
        out["summary"] = {
            "run": what,
            "solver": solver,
            "status": out["status"],
            "seconds": time.perf_counter() - t,
            "solver_time_limit": limit,
            "wall_time": out.get("wall_time"),
        }
        return out

    def _output(self, ir, run: dict, budget: Budget, info: dict, gap: float) -> BackendOutput:
        code = run["status"]
        x, obj, bound = run["x"], run["objective"], run["bound"]
        if x is not None:
            snapped = _snap_integers(x, np.asarray(ir.integrality, bool))
            if obj is not None:
                obj += float(np.asarray(ir.c, float) @ (snapped - x))
            x = snapped
        measured = None
        if obj is not None and bound is not None and math.isfinite(bound):
            measured = abs(obj - bound) / max(1.0, abs(obj))
        if code == "OPTIMAL" and gap > 0 and info["solver"] == "HIGHS":
            # OR-Tools 9.15 hands back HiGHS's objective as its bound when HiGHS stops at
            # mip_rel_gap (300 065 "bounding" a knapsack whose optimum is 300 092): only the
            # allowed gap itself is known
            bound = measured = None
        delta = objective_resolution(ir)
        if (
            code == "OPTIMAL"
            and obj is not None
            and delta is not None
            and SOLVER_RELATIVE_TOLERANCE * max(1.0, abs(obj)) >= delta / 2
        ):
            # objective values 1 apart near 4e15: the solver's tolerances cannot tell them apart
            # (SCIP called -4000000000000029 optimal where -4000000000000142 was feasible)
            info["numerics"] = (
                f"objective {obj:.6g}: a relative tolerance of {SOLVER_RELATIVE_TOLERANCE:g} "
                f"exceeds half the objective's resolution {delta:g}; optimality not proven"
            )
            code, bound, measured = "FEASIBLE_UNPROVEN", None, None
        if code == "OPTIMAL":
            if gap == 0 or (measured is not None and measured <= PROVEN_GAP):
                status, bound, measured = "optimal", obj, 0.0
            else:  # within the gap the user allowed, not proven optimal
                status = "feasible"
                info["gap_allowed"] = gap
        elif code == "FEASIBLE_UNPROVEN":
            status = "feasible"
        elif code == "FEASIBLE" or (
            code in ("NOT_SOLVED", "UNKNOWN_STATUS", "CANCELLED_BY_USER", "KILLED") and budget.limited
        ):
            # with a time limit, a solver that stops unproven stopped at the limit
            status = "time_limit" if budget.limited else "feasible"
        else:
            why = run["message"] or "no reason given"
            if code == "MODEL_INVALID" and not (np.isfinite(ir.lb).all() and np.isfinite(ir.ub).all()):
                j = int(np.flatnonzero(~(np.isfinite(ir.lb) & np.isfinite(ir.ub)))[0])
                why = (
                    f"{ir.var_names[j]} has bounds [{ir.lb[j]:g}, {ir.ub[j]:g}]; {info['solver']} may need finite "
                    "bounds: try solver='HIGHS' or 'SCIP'"
                )
            raise BackendError(f"ortools ({info['solver']}) ended with status {code}: {why}")
        info["seconds"] = budget.elapsed()
        if x is None:
            return BackendOutput(None, status, None, info)
        return BackendOutput(x, status, obj, info, bound=bound, gap=measured)

    def _confirm(self, ir, first: dict, budget: Budget, info: dict, seed) -> BackendOutput:
        """Check an infeasible / unbounded verdict with HiGHS without presolve (see module doc)."""
        claim = (
            "unbounded"
            if first["status"] == "UNBOUNDED"
            else ("infeasible or unbounded" if "unbounded" in first["message"] else "infeasible")
        )
        check = _params("HIGHS", 0.0, seed, None, presolve=False)
        feas = self._attempt(ir, "HIGHS", check, budget, False, "feasibility, no presolve", zero_objective=True)
        info["runs"].append(feas["summary"])
        if feas["status"] == "INFEASIBLE":
            if claim == "unbounded":
                raise BackendError(
                    f"ortools ({info['solver']}) said unbounded, but HiGHS without presolve finds no "
                    "feasible point: the model is infeasible or numerically unstable"
                )
            info["confirmed_by"] = "HiGHS without presolve: no feasible point"
            return BackendOutput(None, "infeasible", None, info)
        if feas["x"] is None:  # not settled in the time left
            info["unconfirmed"] = claim
            return BackendOutput(None, "time_limit", None, info)
        # a feasible point exists: either unbounded, or the first verdict was wrong
        relax = self._attempt(ir, "HIGHS", check, budget, False, "LP relaxation, no presolve", relax=True)
        info["runs"].append(relax["summary"])
        if relax["status"] == "UNBOUNDED":
            info["confirmed_by"] = "a feasible point and an unbounded LP relaxation (HiGHS without presolve)"
            return BackendOutput(None, "unbounded", None, info)
        again = self._attempt(ir, "HIGHS", check, budget, False, "solve, no presolve")
        info["runs"].append(again["summary"])
        info["wrong_verdict"] = f"{info['solver']} said {claim}; HiGHS without presolve found a feasible point"
        if again["x"] is not None:
            return self._output(ir, again, budget, info, 0.0)
        info["seconds"] = budget.elapsed()
        return BackendOutput(
            feas["x"], "time_limit" if budget.limited else "feasible", float(ir.c @ feas["x"] + ir.offset), info
        )
