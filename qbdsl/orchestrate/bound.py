"""The offline (hindsight) optimum of a trace: every arrival known in advance.

CP-SAT model over the simulator's own rules. For each job ``j`` and device ``m`` an optional
interval (one batch, present iff ``use[j, m]``) inside ``[arrival_j, deadline_j]`` carries
``shots[j, m]`` shots and lasts ``overhead_m + per_shot[j, m] * shots[j, m]`` seconds (cutting
included in ``per_shot``); a classical worker runs the whole job in :func:`classical_time`.
A job is served when its batches carry all its shots; each device runs one batch at a time
(``NoOverlap``). Maximize the jobs served.

Times are integer milliseconds rounded in the relaxing direction (arrivals down, deadlines
up, QPU batch durations down and then 1 ms less, so a real batch ``[s, s + d]`` maps onto
``[floor(s), floor(s) + ceil(model duration)]`` inside ``[floor(s), floor(s + d)]``: no
overlap, no lateness), so the proven ``bound`` is an upper bound on what any policy that
sends each job at most one batch per device serves on the trace; a policy that sends a job's
shots to one device in several chunks (``qip-edf``) is bounded only by the preemptive
relaxation (:func:`relaxation_bound`); ``served`` is the best schedule CP-SAT found,
and when ``status == "optimal"`` the two are equal: the hindsight optimum (up to that 1 ms
per batch). The duration rows are linear (not only enforced when a batch is present) and,
with ``energy``, redundant rows state that on each device the batches of the jobs whose
windows lie in ``[a, b]`` last at most ``b - a`` in all: CP-SAT's LP then bounds the jobs
served about as well as the preemptive relaxation below, and its search tightens it.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..errors import BackendError, ModelError
from .model import CUT_OVERHEAD, QPU, TOL, Job, classical_time, per_shot_seconds

UNIT = 1e-3  # seconds per CP-SAT time step
SCALE = 1000  # fixed-point scale of per-shot times, in time steps


def hindsight(
    jobs: list[Job],
    fleet: list[QPU],
    workers: int = 0,
    cut_overhead: float = CUT_OVERHEAD,
    worker_profile=None,
    split: bool = True,
    time_limit: float = 30.0,
    threads: int | None = None,
    hint: list | None = None,
    energy: bool = True,
) -> dict:
    """The hindsight optimum of ``jobs`` on ``fleet`` (+ ``workers`` classical workers).

    Returns ``{"served", "bound", "status", "batches"}``: the best schedule found (number of
    jobs and its batches ``(job, device, shots, start, end)``) and the proven upper bound.
    ``split=False`` allows only whole-job batches. ``hint``: a known schedule to start the
    search from, as batches ``(job, device, shots, start, end)`` of served jobs (e.g. a policy's
    ``Outcome.batches`` filtered to ``Outcome.served``).

    ``time_limit`` is CP-SAT's, in seconds; times in the batches are seconds.

    Raises
    ------
    ModelError
        When ``time_limit`` is not positive.
    """
    from ortools.sat.python import cp_model

    if time_limit <= 0:
        raise ModelError(f"time_limit must be positive, got {time_limit}")
    if not jobs:
        return {"served": 0, "bound": 0, "status": "optimal", "batches": []}
    names = [q.name for q in fleet] + [f"cpu-{w}" for w in range(workers)]
    m = cp_model.CpModel()
    served = [m.new_bool_var(f"served[{j.id}]") for j in jobs]
    per_device: list[list] = [[] for _ in names]
    sizes: list[list] = [[] for _ in names]  # (window start, window end, size var) per device
    parts = []
    for i, j in enumerate(jobs):
        lo, hi = math.floor(j.arrival / UNIT), math.ceil(j.deadline / UNIT)
        span = hi - lo
        shot_vars = []
        for k, name in enumerate(names):
            if k < len(fleet):
                q = fleet[k]
                over = math.floor(q.overhead / UNIT) - 1  # 1 ms off: see the module docstring
                shot = per_shot_seconds(j, q, cut_overhead)
                if over >= span or not math.isfinite(shot):  # too slow to start, or cannot run it
                    continue
                step = math.floor(shot / UNIT * SCALE)
            else:
                t = classical_time(j, worker_profile)
                if not np.isfinite(t) or math.floor(t / UNIT) > span:
                    continue
            use = m.new_bool_var(f"use[{j.id},{name}]")
            start = m.new_int_var(lo, hi, "")
            end = m.new_int_var(lo, hi, "")
            size = m.new_int_var(0, span, "")
            shots = m.new_int_var(0, j.shots, "")
            if k < len(fleet) and split:
                m.add(SCALE * size >= SCALE * over * use + step * shots)  # linear: in the LP bound too
                m.add(shots <= j.shots * use)
            else:
                need = over * SCALE + step * j.shots if k < len(fleet) else math.floor(t / UNIT) * SCALE
                if need > span * SCALE:
                    continue
                m.add(shots == j.shots * use)
                m.add(SCALE * size >= need * use)
            per_device[k].append(m.new_optional_interval_var(start, size, end, use, ""))
            shot_vars.append(shots)
            parts.append((i, k, use, shots, start, end))
            sizes[k].append((lo, hi, size))
        if shot_vars:
            m.add(sum(shot_vars) == j.shots * served[i])
        else:
            m.add(served[i] == 0)
    for ivs in per_device:
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    if energy:  # redundant: the batches of jobs whose windows lie in [a, b] fit in b - a (LP bound)
        for dev in sizes:
            for a in sorted({lo for lo, _, _ in dev}):
                for b in sorted({hi for _, hi, _ in dev if hi > a}):
                    inside = [v for lo, hi, v in dev if lo >= a and hi <= b]
                    if len(inside) > 1:
                        m.add(sum(inside) <= b - a)
    m.maximize(sum(served))
    given = {(b[0], b[1]): b for b in hint or () if b[2] > 0}
    by_id = {j.id: i for i, j in enumerate(jobs)}
    on = {by_id[j] for j, _ in given if j in by_id}
    for i, v in enumerate(served):  # the given schedule, or "serve nothing", then improved
        m.add_hint(v, int(i in on))
    for i, k, use, shots, start, end in parts:
        b = given.get((jobs[i].id, names[k])) if i in on else None
        m.add_hint(use, int(b is not None))
        m.add_hint(shots, b[2] if b is not None else 0)
        if b is not None:
            m.add_hint(start, min(max(round(b[3] / UNIT), start.proto.domain[0]), start.proto.domain[1]))
            m.add_hint(end, min(max(round(b[4] / UNIT), end.proto.domain[0]), end.proto.domain[1]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = threads or min(8, os.cpu_count() or 1)
    code = solver.solve(m)
    if code == cp_model.INFEASIBLE:  # cannot happen: serving nothing is a schedule
        raise ModelError("CP-SAT proved the hindsight model infeasible")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # out of time before any schedule
        return {"served": 0, "bound": len(jobs), "status": "unknown", "batches": []}
    batches = [
        (jobs[i].id, names[k], int(solver.value(sh)), solver.value(s) * UNIT, solver.value(e) * UNIT)
        for i, k, u, sh, s, e in parts
        if solver.value(u) and solver.value(sh) > 0
    ]
    best = int(round(solver.objective_value))
    return {
        "served": best,
        "bound": int(math.floor(solver.best_objective_bound + 1e-6)),
        "status": "optimal" if code == cp_model.OPTIMAL else "feasible",
        "batches": batches,
    }


def relaxation_bound(
    jobs: list[Job],
    fleet: list[QPU],
    workers: int = 0,
    cut_overhead: float = CUT_OVERHEAD,
    worker_profile=None,
    time_limit: float = 30.0,
) -> dict:
    """An upper bound on the jobs any policy serves: a time-indexed, preemptive relaxation.

    The time line is cut at every arrival and deadline; ``busy[j, m, i]`` is the time job
    ``j`` holds device ``m`` in interval ``i`` (inside its window), at most the interval's
    length summed over jobs. A served job's devices deliver all its shots: a QPU used for
    ``T`` seconds (``use[j, m] = 1``, at least one batch, so one overhead) delivers at most
    ``(T - overhead) / per_shot`` shots, a worker the fraction ``T / classical_time``. Every
    real schedule (any batches, any order) satisfies these rows, so the MILP's optimum (or
    its proven bound at the time limit) bounds every policy from above; preemption and
    overhead sharing are what it relaxes. Built with the qbdsl DSL, solved by OR-Tools.

    Returns ``{"bound", "status"}``: status ``optimal`` (the MILP solved), ``bound`` (its
    proven bound at the time limit), ``lp`` (out of time with no proven bound: the LP
    relaxation's optimum, weaker but valid) or ``trivial`` (the number of jobs).
    """
    import scipy.sparse as sp

    import qbdsl as qb

    if not jobs:
        return {"bound": 0, "status": "optimal"}
    K = len(fleet)
    cuts = np.unique([t for j in jobs for t in (j.arrival, j.deadline)])
    length = np.diff(cuts)
    rows = []  # (job, device, interval)
    fraction_per_second, overhead_fraction, pair_key = [], [], []
    for i, j in enumerate(jobs):
        inside = np.flatnonzero((cuts[:-1] >= j.arrival) & (cuts[1:] <= j.deadline))
        for m in range(K + workers):
            if m < K:
                shot = per_shot_seconds(j, fleet[m], cut_overhead)
                if not math.isfinite(shot):  # this device cannot run the job (an annealer, a circuit)
                    continue
                rate = 1.0 / (shot * j.shots)  # job fraction per second
                lost = fleet[m].overhead * rate
            else:
                t = classical_time(j, worker_profile)
                if not np.isfinite(t) or t > j.deadline - j.arrival + TOL:
                    continue
                rate, lost = 1.0 / t, 0.0
            pair_key.append((i, m))
            fraction_per_second.append(rate)
            overhead_fraction.append(lost)
            rows.extend((i, m, len(pair_key) - 1, t_) for t_ in inside.tolist())
    r = np.array(rows, dtype=np.int64).reshape(-1, 4)
    P, X, J = len(pair_key), len(r), len(jobs)
    pairs = np.array(pair_key, dtype=np.int64).reshape(-1, 2)
    window = np.array([jobs[i].deadline - jobs[i].arrival for i in pairs[:, 0]])
    rate = np.array(fraction_per_second)
    cells, cell_row = np.unique(r[:, 1] * len(length) + r[:, 3], return_inverse=True)
    cap = sp.csr_matrix((np.ones(X), (cell_row, np.arange(X))), shape=(len(cells), X))
    held = sp.csr_matrix((np.ones(X), (r[:, 2], np.arange(X))), shape=(P, X))
    done = sp.csr_matrix((rate[r[:, 2]], (pairs[r[:, 2], 0], np.arange(X))), shape=(J, X))
    lost = sp.csr_matrix((np.array(overhead_fraction), (pairs[:, 0], np.arange(P))), shape=(J, P))

    def solve(integral: bool):
        """The relaxation (``integral``: binary use/served; else its LP), or None if refused."""
        m = qb.Model("preemptive-relaxation")
        busy = m.continuous("busy", X, lb=0, ub=length[r[:, 3]] if X else 0)
        use = m.binary("use", P) if integral else m.continuous("use", P, lb=0, ub=1)
        served = m.binary("served", J) if integral else m.continuous("served", J, lb=0, ub=1)
        if X:
            m.add(cap @ busy <= length[cells % len(length)], name="device-interval")
        m.add(held @ busy - window * use <= 0, name="used")
        m.add(done @ busy - lost @ use - served >= 0, name="all-shots")
        m.maximize(served.sum())
        try:
            return qb.solve(m, backend="ortools", time_limit=time_limit)
        except BackendError:  # refused as unable to finish in the time (TimeLimitError), or failed
            return None

    res = solve(True)
    if res is not None and res.status == "optimal":
        return {"bound": min(J, int(np.floor(res.objective + 1e-6))), "status": "optimal"}
    if res is not None and res.bound is not None and np.isfinite(res.bound):  # proven at the time limit
        return {"bound": min(J, int(np.floor(res.bound + 1e-6))), "status": "bound"}
    # out of time without a proven bound: the LP relaxation's optimum is one (never the incumbent, which is
    # a lower bound: reporting it let a policy serve 198 jobs against a "bound" of 156)
    lp = solve(False)
    if lp is not None and lp.status == "optimal":
        return {"bound": min(J, int(np.floor(lp.objective + 1e-6))), "status": "lp"}
    return {"bound": J, "status": "trivial"}
