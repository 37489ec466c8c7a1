"""An offline upper bound on the jobs any policy can serve on a trace (all arrivals known).

Relaxation (valid for every policy, shot splitting and cutting included): a served job j
needs at least ``w_j = min_k run_time(j, k, shots)`` QPU-seconds, all inside
``[arrival_j, deadline_j]``, and cannot finish before ``arrival_j + min overhead + w_j / K``
even spread over all K QPUs. For every window ``[a, b]`` between an arrival and a deadline,
the jobs whose whole window lies inside it fit in ``K (b - a)`` QPU-seconds. The MILP
``max sum x_j`` under these interval-capacity rows (OR-Tools) bounds the optimum from above,
so ``policy / bound`` is a guaranteed lower bound on a policy's fraction of the best possible.
The relaxation is loose when deadlines are generous (it lets every job spread over all QPUs);
a time-indexed hindsight schedule (CP-SAT) is the planned tighter bound.
"""
from __future__ import annotations

import numpy as np

from .simulator import QPU, Job, classical_time, run_time


def upper_bound(jobs: list[Job], fleet: list[QPU], cut_overhead: float = 4.0, time_limit: float = 60.0) -> dict:
    import qbdsl as qb

    K = len(fleet)
    w = np.array([min(run_time(j, q, j.shots, cut_overhead) for q in fleet) for j in jobs])
    min_over = min(q.overhead for q in fleet)
    a = np.array([j.arrival for j in jobs])
    d = np.array([j.deadline for j in jobs])
    possible = a + min_over + (w - min_over) / K <= d + 1e-9
    m = qb.Model("offline-bound")
    x = m.binary("served", len(jobs))
    if (~possible).any():
        m.add(x[np.flatnonzero(~possible)] == 0, name="too-slow")
    starts, ends = np.unique(a), np.unique(d)
    rows, rhs = [], []
    for s in starts:
        for e in ends[ends > s]:
            inside = (a >= s) & (d <= e)
            if inside.sum() > 1:
                rows.append(np.where(inside, w, 0.0))
                rhs.append(K * (e - s))
    if rows:
        m.add(np.array(rows) @ x <= np.array(rhs), name="window")
    m.maximize(x.sum())
    r = qb.solve(m, backend="ortools", time_limit=time_limit)
    bound = r.raw.info.get("bound", r.objective) if r.status != "optimal" else r.objective
    return {"bound": float(np.floor(bound + 1e-6)), "status": r.status, "windows": len(rows)}


def hindsight_schedule(jobs: list[Job], fleet: list[QPU], slot: float = 0.5, workers: int = 0,
                       cut_overhead: float = 4.0, worker_rate: float = 1e9, time_limit: float = 60.0) -> dict:
    """The best whole-job schedule with all arrivals known (time-indexed MILP from
    :mod:`qbdsl.problems.scheduling`, OR-Tools), durations rounded up to ``slot``: a feasible
    schedule, so its count is a lower bound on the hindsight optimum (splitting excluded)."""
    import qbdsl as qb
    from qbdsl.problems import scheduling as sch

    if not jobs:
        return {"served": 0, "status": "optimal"}
    K = len(fleet)
    dur = np.full((len(jobs), K + workers), np.inf)
    for i, j in enumerate(jobs):
        for k, q in enumerate(fleet):
            dur[i, k] = run_time(j, q, j.shots, cut_overhead)
        dur[i, K:] = classical_time(j, worker_rate)
    # the model's fleet fields are unused when durations are given
    names = [q.name for q in fleet] + [f"cpu-{w}" for w in range(workers)]
    f = sch.Fleet(names, np.full(K + workers, 10**6), np.ones(K + workers), np.ones(K + workers))
    J = sch.Jobs(np.array([j.qubits for j in jobs]), np.array([j.depth for j in jobs]),
                 np.array([float(j.shots) for j in jobs]), np.array([j.arrival for j in jobs]),
                 np.array([j.deadline for j in jobs]))
    try:
        m = sch.schedule_model(J, f, slot=slot, durations=dur)
    except qb.ModelError:
        return {"served": 0, "status": "optimal"}
    r = qb.solve(m, backend="ortools", solver="CP_SAT", time_limit=time_limit)
    return {"served": int(round(r.objective)) if r.sample is not None else 0, "status": r.status}
