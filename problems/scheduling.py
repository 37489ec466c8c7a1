"""Quantum job scheduling: jobs (or their shot batches) onto heterogeneous QPUs over time slots,
maximizing the number of jobs finished by their deadlines.

Jobs and QPUs are those of the orchestration package (:mod:`qbdsl.orchestrate.model`): a
``list[Job]`` (qubits, depth, shots, arrival, deadline, optionally the depth after
transpiling to each QPU in ``Job.depth_on``) and a ``list[QPU]`` (qubits, CLOPS, two-qubit
error, per-batch ``overhead``); :func:`default_fleet` is the orchestration's default fleet.
A batch of ``n`` shots of a job on a QPU takes the orchestration's run time,
:func:`qbdsl.orchestrate.model.run_time` ``= qpu.overhead + n * per_shot_seconds(job, qpu)``,
the time its simulator charges. The per-batch overhead (load, calibrate, read out) is
included, so splitting a job into batches costs one overhead per batch. Only QPUs at least
as wide as the job run it: wire cutting (``model.fragments``) is not modelled here. The run
time is rounded up to whole slots (at least one; a run time within ``1e-9`` slot above a
whole number of slots rounds down to it).

With ``batches = B`` a job's shots split as evenly as possible into B batches (the first
``shots % B`` get one shot more) that may run on different QPUs; every batch is given the time
of the larger share, ``ceil(shots / B)`` shots, so each batch fits its slots whatever its
share. The job counts as served when all its batches finish by the deadline.

Variables: ``start[i]`` (binary, one per feasible (batch, QPU, start slot): fits the QPU,
starts after arrival, ends by the deadline) and ``served[j]``. Constraints: each batch
starts at most once, a QPU runs one batch per slot, a served job has all its batches.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl._ragged import ragged_arange
from qbdsl.errors import ModelError
from qbdsl.orchestrate.model import QPU, Job, run_time
from qbdsl.orchestrate.model import depth_on as model_depth_on
from qbdsl.orchestrate.workload import default_fleet

__all__ = [
    "QPU",
    "Job",
    "default_fleet",
    "random_jobs",
    "schedule_model",
    "shot_split_model",
    "interpret_schedule",
    "check_schedule",
    "MAX_ENTRIES",
]


def _describe(value) -> str:
    return type(value).__name__


def _require_list(items, kind: type, what: str, example: str) -> list:
    """``items`` as a list when it is a list or tuple of ``kind``; else a ModelError naming what was expected."""
    expected = f"{what} must be a list of qbdsl.orchestrate.model.{kind.__name__} ({example})"
    if not isinstance(items, (list, tuple)):
        raise ModelError(f"{expected}, got {_describe(items)}")
    for i, x in enumerate(items):
        if not isinstance(x, kind):
            raise ModelError(f"{expected}, got a {_describe(items)} holding {_describe(x)} at index {i}")
    return list(items)


def _fleet(fleet) -> tuple[list[QPU], list[str]]:
    fleet = _require_list(fleet, QPU, "fleet", "e.g. scheduling.default_fleet()")
    if not fleet:
        raise ModelError("fleet is empty: the schedule needs at least one QPU")
    names = [q.name for q in fleet]
    if len(set(names)) < len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ModelError(
            f"fleet has QPUs sharing a name ({', '.join(map(repr, dup))}); schedules name QPUs, so each needs its own"
        )
    return fleet, names


def _jobs(jobs) -> list[Job]:
    return _require_list(jobs, Job, "jobs", "e.g. scheduling.random_jobs(n)")


def _run_seconds(
    qubits: np.ndarray, depth: np.ndarray, shots: np.ndarray, fleet: list[QPU], qubo: np.ndarray | None = None
) -> np.ndarray:
    """Seconds a batch of ``shots[j]`` shots takes, jobs x QPUs, from job arrays (``depth`` jobs
    x QPUs): :func:`~qbdsl.orchestrate.model.run_time` vectorized, the same floating-point
    operations, so the same numbers; ``inf`` where the QPU is narrower than the job or cannot
    run it (an annealer and a job that is not a QUBO, ``qubo[j]`` False; default: none is)."""
    fq = np.array([q.qubits for q in fleet], np.float64)
    clops = np.array([q.clops for q in fleet], np.float64)
    overhead = np.array([q.overhead for q in fleet], np.float64)
    shot_s = np.array([q.shot_seconds for q in fleet], np.float64)  # model.per_shot_seconds: max(depth/clops, this)
    seconds = overhead[None, :] + shots[:, None] * np.maximum(depth / clops[None, :], shot_s[None, :])
    seconds[qubits[:, None] > fq[None, :]] = np.inf
    anneal = np.array([q.kind == "anneal" for q in fleet], bool)
    is_qubo = np.zeros(len(qubits), bool) if qubo is None else np.asarray(qubo, bool)
    seconds[~is_qubo[:, None] & anneal[None, :]] = np.inf  # model.runs_on
    return seconds


def _batch_seconds(jobs: list[Job], fleet: list[QPU], names: list[str], shots: np.ndarray) -> np.ndarray:
    """:func:`_run_seconds` of a job list: depths after transpiling where the jobs carry them
    (``Job.depth_on``, as :func:`~qbdsl.orchestrate.model.depth_on`), else logical."""
    J, K = len(jobs), len(fleet)
    qubits = np.fromiter((j.qubits for j in jobs), np.float64, J)
    depth = np.repeat(np.fromiter((j.depth for j in jobs), np.float64, J)[:, None], K, axis=1)
    for i, j in enumerate(jobs):
        if j.depth_on:  # the orchestration's own rule, devices without a transpile included
            depth[i] = [model_depth_on(j, q) for q in fleet]
    return _run_seconds(qubits, depth, shots, fleet, np.fromiter((j.kind == "qubo" for j in jobs), bool, J))


def random_jobs(
    n: int, seed: int = 0, horizon: float = 60.0, tightness: float = 2.0, fleet: list[QPU] | None = None
) -> list[Job]:
    """``n`` seeded jobs (ids ``0..n-1``) arriving uniformly over ``horizon`` s: 5 to the widest
    QPU's qubits, depth 10-199, 1000/2000/4000/8000 shots; deadline = arrival + tightness x the
    fastest whole run (:func:`~qbdsl.orchestrate.model.run_time`, overhead included) on a QPU
    that fits the job, as :func:`qbdsl.orchestrate.workload.fastest_whole` computes it.

    Raises
    ------
    ModelError
        ``n`` < 0, ``horizon`` < 0, ``tightness`` not positive, or ``fleet`` not a list of QPU.
    """
    fleet, _ = _fleet(default_fleet() if fleet is None else fleet)
    if not n >= 0 or not horizon >= 0 or not tightness > 0:
        raise ModelError(
            f"random_jobs needs n >= 0, horizon >= 0 and tightness > 0, got n={n}, "
            f"horizon={horizon}, tightness={tightness}"
        )
    rng = np.random.default_rng(seed)
    qubits = rng.integers(5, max(q.qubits for q in fleet) + 1, n)
    depth = rng.integers(10, 200, n)
    shots = rng.choice([1000, 2000, 4000, 8000], n)
    arrival = np.sort(rng.uniform(0, horizon, n))
    fastest = _run_seconds(
        qubits.astype(np.float64), np.repeat(depth[:, None].astype(np.float64), len(fleet), 1), shots, fleet
    ).min(axis=1)
    deadline = arrival + tightness * fastest
    return [
        Job(i, q, d, s, a, e)
        for i, (q, d, s, a, e) in enumerate(
            zip(qubits.tolist(), depth.tolist(), shots.tolist(), arrival.tolist(), deadline.tolist())
        )
    ]


MAX_ENTRIES = 10**7  # (batch, QPU) pairs + start options + busy (option, slot) entries + QPU slots


def _slots(seconds: np.ndarray, slot: float) -> np.ndarray:
    """Slots one batch takes, jobs x QPUs (float, >= 1; ``inf`` where the QPU cannot run the job)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where(np.isfinite(seconds), np.ceil(seconds / slot - 1e-9), np.inf)
    return np.maximum(out, 1.0)


def _too_fine(
    slot: float, size: float, linear: float, quadratic: float, K: int, S: float, horizon: float
) -> ModelError:
    """The error for a grid of ``size`` entries above :data:`MAX_ENTRIES`, naming ``slot``; the
    suggested slot solves ``linear / f + quadratic / f^2 = MAX_ENTRIES`` for the factor ``f``
    (start options and QPU slots shrink as 1/f, busy entries as 1/f^2)."""
    with np.errstate(over="ignore", invalid="ignore"):
        lin, quad = np.float64(linear), np.float64(quadratic)
        f = (lin + np.sqrt(lin * lin + 4.0 * MAX_ENTRIES * quad)) / (2.0 * MAX_ENTRIES)
    hint = f"about {slot * f:.2g} s or more" if np.isfinite(f) else "much larger"
    size = np.nan_to_num(size, nan=np.inf)
    return ModelError(
        f"slot={slot:g} s makes a schedule grid of {size:.3g} entries (start options, busy slots, "
        f"{K} QPUs x {S:.3g} slots over {horizon:g} s), above the {MAX_ENTRIES:.0e} schedule_model "
        f"builds; use a larger slot ({hint}), fewer jobs or a shorter horizon"
    )


def _check_grid(
    arrival: np.ndarray, deadline: np.ndarray, seconds: np.ndarray, slot: float, horizon: float, batches: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(first start, start count, slots per batch) per job x QPU and the number of slots, once
    the grid is known to fit :data:`MAX_ENTRIES` entries: (batch, QPU) pairs, start options,
    the (option, slot) entries of the occupancy matrix and its QPU x slot rows. Only job x QPU
    arrays are allocated before (float counts, so an absurd slot overflows to inf, not int64)."""
    J, K = seconds.shape
    pairs = J * batches * K
    with np.errstate(over="ignore", invalid="ignore"):
        S = float(np.ceil(horizon / slot))
        dur = _slots(seconds, slot)
        first = np.ceil(arrival / slot - 1e-9)[:, None]
        last = np.minimum(np.floor(deadline / slot + 1e-9)[:, None] - dur, S - dur)
        count = np.maximum(last - first + 1, 0.0)
        live = count > 0
        linear = batches * float(count.sum()) + K * S
        quadratic = batches * float((count * np.where(live, dur, 0.0)).sum())
        size = pairs + linear + quadratic
    if not size <= MAX_ENTRIES:  # NaN too
        raise _too_fine(slot, size, linear, quadratic, K, S, horizon)
    return (
        np.where(live, first, 0).astype(np.int64),
        count.astype(np.int64),
        np.where(live, dur, 0).astype(np.int64),
        int(S),
    )


def _options(first: np.ndarray, count: np.ndarray, dur: np.ndarray, batches: int) -> np.ndarray:
    """(task, qpu, start, duration) rows of every feasible start, by task, then QPU, then start."""
    task_job = np.repeat(np.arange(len(count)), batches)
    t, k = np.nonzero(count[task_job])
    j = task_job[t]
    n = count[j, k]
    return np.stack(
        [np.repeat(t, n), np.repeat(k, n), np.repeat(first[j, k], n) + ragged_arange(n), np.repeat(dur[j, k], n)], 1
    )


def schedule_model(
    jobs: list[Job],
    fleet: list[QPU],
    slot: float = 1.0,
    horizon: float | None = None,
    batches: int = 1,
    durations: np.ndarray | None = None,
) -> qb.Model:
    """The scheduling model (see module docstring); ``slot`` seconds per time slot.

    Parameters
    ----------
    jobs : list of Job
        The jobs to schedule (:class:`qbdsl.orchestrate.model.Job`; a tuple is accepted),
        at least one. Schedules name a job by its index in this list (its ``id`` for
        :func:`random_jobs` and :func:`~qbdsl.orchestrate.poisson_jobs` traces); ``arrival``
        and ``deadline`` are in seconds.
    fleet : list of QPU
        The QPUs (:class:`qbdsl.orchestrate.model.QPU`; a tuple is accepted), at least one,
        names distinct (e.g. :func:`default_fleet`).
    slot : float
        Length of one time slot, seconds (positive, finite; default 1.0). Run times are
        rounded up to whole slots, arrivals up and deadlines down to slot boundaries.
    horizon : float, optional
        Length of the time grid from time 0, seconds (positive, finite): ``ceil(horizon /
        slot)`` slots, and no batch runs past its end. None (default): the latest deadline.
    batches : int
        Shot batches per job (a whole number >= 1 and at most every job's shots; default 1);
        see the module docstring.
    durations : numpy.ndarray, optional
        float, shape (len(jobs), len(fleet)): seconds per batch of each job on each QPU
        (``inf`` where a QPU cannot run the job); replaces the orchestration run time, e.g.
        to model cutting. None (default): the orchestration run time of ``ceil(shots /
        batches)`` shots, ``inf`` on QPUs narrower than the job.

    Raises
    ------
    ModelError
        ``jobs`` / ``fleet`` not a list of Job / QPU (or empty, or QPU names repeated),
        ``slot`` or ``horizon`` is not a positive finite number, ``batches`` not a whole number
        >= 1 or above a job's shots, ``durations`` of the wrong shape, no job can finish by its
        deadline, or the time grid (start options, busy slots, QPU x slot rows) would exceed
        :data:`MAX_ENTRIES` entries: refused, naming ``slot``, before it is allocated.
    """
    if not 0 < slot < np.inf:
        raise ModelError(f"slot length must be positive and finite, got {slot}")
    if not (batches >= 1 and float(batches).is_integer()):
        raise ModelError(f"batches must be a whole number >= 1, got {batches}")
    batches = int(batches)
    jobs = _jobs(jobs)
    fleet, names = _fleet(fleet)
    J, K = len(jobs), len(fleet)
    if J == 0:
        raise ModelError("no jobs to schedule")
    pairs = J * batches * K
    if pairs > MAX_ENTRIES:
        raise ModelError(
            f"{J} jobs x {batches} batches on {K} QPUs make {pairs:.3g} (batch, QPU) pairs, "
            f"above the {MAX_ENTRIES:.0e} schedule_model builds; use fewer jobs or batches"
        )
    shots = np.fromiter((j.shots for j in jobs), np.int64, J)
    if shots.min() < batches:
        i = int(np.argmin(shots))
        raise ModelError(
            f"job {jobs[i].id} has {int(shots[i])} shots, fewer than batches={batches}: "
            "every batch needs at least one shot"
        )
    if durations is None:
        seconds = _batch_seconds(jobs, fleet, names, -(-shots // batches))
    else:
        seconds = np.asarray(durations, np.float64)
        if seconds.shape != (J, K):
            raise ModelError(f"durations must be jobs x QPUs, shape ({J}, {K}), got {seconds.shape}")
    arrival = np.fromiter((j.arrival for j in jobs), np.float64, J)
    deadline = np.fromiter((j.deadline for j in jobs), np.float64, J)
    horizon = float(deadline.max()) if horizon is None else horizon
    if not 0 < horizon < np.inf:
        raise ModelError(f"horizon must be a positive number of seconds, got {horizon}")
    first, count, dur, S = _check_grid(arrival, deadline, seconds, slot, horizon, batches)
    task_job = np.repeat(np.arange(J), batches)
    opts = _options(first, count, dur, batches)
    T, X = len(task_job), len(opts)
    m = qb.Model("quantum-scheduling")
    if X == 0:
        raise ModelError("no job can finish by its deadline on any QPU (every job is rejected)")
    start = m.binary("start", X)
    served = m.binary("served", J)
    once = sp.csr_matrix((np.ones(X), (opts[:, 0], np.arange(X))), shape=(T, X))
    m.add(once @ start <= 1, name="batch-once")
    # a served job needs each of its batches started: served[j] <= sum of its batch's starts
    m.add(once @ start - served[task_job] >= 0, name="all-batches")
    # occupancy: option i busies (qpu, slot) for slots start .. start + dur - 1
    dur = opts[:, 3]
    occ_opt = np.repeat(np.arange(X), dur)
    occ_slot = np.repeat(opts[:, 2], dur) + ragged_arange(dur)
    occ = sp.csr_matrix((np.ones(len(occ_opt)), (opts[occ_opt, 1] * S + occ_slot, occ_opt)), shape=(K * S, X))
    busy = np.asarray(occ.sum(axis=1)).ravel() > 1
    if busy.any():  # only rows where two options could collide
        m.add(occ[busy] @ start <= 1, name="one-at-a-time")
    m.maximize(served.sum())
    m.options, m.jobs, m.fleet, m.slot, m.batches = opts, jobs, fleet, slot, batches
    return m


def shot_split_model(shots: int, per_shot: np.ndarray, overhead: np.ndarray, capacity: np.ndarray) -> qb.Model:
    """Split one job's ``shots`` over devices at the least device time: the decision an online
    scheduler takes when no single device can run the whole job by its deadline.

    Device ``k`` can take at most ``capacity[k]`` shots (what fits before the deadline without
    making a queued batch late) and a batch of ``n`` shots there costs ``overhead[k] +
    per_shot[k] * n`` seconds. Variables ``shots[k]`` (integer) and ``use[k]`` (binary);
    minimize the device time spent, so the split leaves the most capacity to later jobs.

    Parameters
    ----------
    shots : int
        Shots of the job.
    per_shot, overhead : array_like of float, shape (k,)
        Seconds per shot and seconds per batch on each device.
    capacity : array_like of int, shape (k,)
        Shots each device can take before the deadline.

    Returns
    -------
    qb.Model
        A MILP whose objective is the device time spent, in seconds.

    Raises
    ------
    ModelError
        Vectors of different lengths (the shapes are named), a non-positive ``shots`` or
        ``per_shot``, a negative ``capacity`` or ``overhead``, or less total capacity than
        ``shots``.
    """
    per_shot, overhead = np.asarray(per_shot, float), np.asarray(overhead, float)
    capacity = np.asarray(capacity, np.int64)
    if not (per_shot.shape == overhead.shape == capacity.shape and per_shot.ndim == 1):
        raise ModelError(
            f"per_shot, overhead and capacity must be vectors of one length, got shapes "
            f"{per_shot.shape}, {overhead.shape}, {capacity.shape}"
        )
    if shots <= 0 or (capacity < 0).any() or (per_shot <= 0).any() or (overhead < 0).any():
        raise ModelError("shots and per_shot must be positive, capacity and overhead non-negative")
    if capacity.sum() < shots:
        raise ModelError(f"the devices can take {int(capacity.sum())} shots before the deadline, the job has {shots}")
    m = qb.Model("shot-split")
    n = m.integer("shots", len(capacity), lb=0, ub=capacity)
    use = m.binary("use", len(capacity))
    m.add(n.sum() == shots, name="all-shots")
    m.add(n - capacity * use <= 0, name="used")
    m.minimize(overhead @ use + per_shot @ n)
    return m


def interpret_schedule(model: qb.Model, result) -> dict:
    """Served jobs (indices into the model's job list) and, per batch, ``runs`` (job index,
    QPU name, start s, end s) and ``shots`` (the batch's share of the job's shots, same order:
    batch ``b`` of ``B`` gets ``shots // B``, plus one for ``b < shots % B``)."""
    x = np.asarray(result.values["start"]) > 0.5
    o = model.options[x]
    B = model.batches
    runs, shots = [], []
    for t, k, s, d in o.tolist():
        j, b = divmod(int(t), B)
        runs.append((j, model.fleet[int(k)].name, float(s * model.slot), float((s + d) * model.slot)))
        n = model.jobs[j].shots
        shots.append(n // B + (1 if b < n % B else 0))
    return {"served": np.flatnonzero(np.asarray(result.values["served"]) > 0.5), "runs": runs, "shots": shots}


def check_schedule(jobs: list[Job], fleet: list[QPU], runs: list, served, batches: int = 1) -> list[str]:
    """Independent check (no DSL, the orchestration's :func:`~qbdsl.orchestrate.model.run_time`
    per run): each served job has all batches, each run fits its QPU, starts after arrival,
    ends by the deadline, lasts at least the run time of a ``ceil(shots / batches)``-shot batch
    there, and no QPU runs two at once. ``runs`` as :func:`interpret_schedule` gives them.

    Raises
    ------
    ModelError
        ``jobs`` / ``fleet`` not a list of Job / QPU, or QPU names repeated.
    """
    jobs = _jobs(jobs)
    fleet, names = _fleet(fleet)
    index = {n: k for k, n in enumerate(names)}
    problems = []
    by_job: dict = {}
    for j, qpu, s, e in runs:
        if not 0 <= j < len(jobs) or qpu not in index:
            problems.append(f"run ({j}, {qpu!r}) names no job or QPU of the instance")
            continue
        job, q = jobs[j], fleet[index[qpu]]
        if job.qubits > q.qubits:
            problems.append(f"job {j} needs {job.qubits} qubits, {qpu} has {q.qubits}")
        if s < job.arrival - 1e-9 or e > job.deadline + 1e-9:
            problems.append(f"job {j} runs {s:g}-{e:g}s outside [{job.arrival:g}, {job.deadline:g}]")
        need = run_time(job, q, math.ceil(job.shots / batches))
        if e - s < need * (1 - 1e-9) - 1e-9:
            problems.append(f"job {j} on {qpu} gets {e - s:g}s, needs {need:g}s")
        by_job[j] = by_job.get(j, 0) + 1
    for j in np.asarray(served).tolist():
        if by_job.get(j, 0) != batches:
            problems.append(f"served job {j} has {by_job.get(j, 0)} of {batches} batches")
    for qpu in names:
        spans = sorted((s, e) for _, q, s, e in runs if q == qpu)
        for (_s1, e1), (s2, _) in zip(spans, spans[1:]):
            if s2 < e1 - 1e-9:
                problems.append(f"{qpu} runs two batches at once at {s2:g}s")
                break
    return problems
