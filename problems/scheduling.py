"""Quantum job scheduling: jobs (or their shot batches) onto heterogeneous QPUs over time slots,
maximizing the number of jobs finished by their deadlines.

A job has qubits, circuit depth, shots, an arrival time and a deadline. A QPU has a qubit
count and a speed in layer-shots per second (CLOPS-like), so a batch of ``shots`` shots of
a depth-``d`` circuit runs ``d * shots / speed`` seconds, rounded up to whole slots. With
``batches = B`` a job's shots split into B equal batches that may run on different QPUs;
the job counts as served when all its batches finish by the deadline.

Variables: ``start[i]`` (binary, one per feasible (batch, QPU, start slot): fits the QPU,
starts after arrival, ends by the deadline) and ``served[j]``. Constraints: each batch
starts at most once, a QPU runs one batch per slot, a served job has all its batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl._ragged import ragged_arange
from qbdsl.errors import ModelError


@dataclass
class Fleet:
    names: list[str]
    qubits: np.ndarray
    speed: np.ndarray          # layer-shots per second
    fidelity: np.ndarray       # two-qubit gate fidelity (reported, not optimized here)


@dataclass
class Jobs:
    qubits: np.ndarray
    depth: np.ndarray
    shots: np.ndarray
    arrival: np.ndarray        # seconds
    deadline: np.ndarray       # seconds


def default_fleet() -> Fleet:
    """Three IBM-class devices (qubits and CLOPS as published for Heron r2, Eagle r3, Falcon r5 class)."""
    return Fleet(["heron", "eagle", "falcon"], np.array([156, 127, 27]), np.array([250e3, 30e3, 15e3]),
                 np.array([0.997, 0.993, 0.99]))


def random_jobs(n: int, seed: int = 0, horizon: float = 60.0, tightness: float = 2.0, fleet: Fleet | None = None) -> Jobs:
    """Seeded jobs arriving uniformly over ``horizon`` s; deadline = arrival + tightness x the
    fastest possible run time on a QPU that fits the job."""
    fleet = fleet or default_fleet()
    rng = np.random.default_rng(seed)
    qubits = rng.integers(5, fleet.qubits.max() + 1, n)
    depth = rng.integers(10, 200, n)
    shots = rng.choice([1000, 2000, 4000, 8000], n)
    arrival = np.sort(rng.uniform(0, horizon, n))
    fastest = np.array([min(d * s / sp_ for q_, sp_ in zip(fleet.qubits, fleet.speed) if q_ >= q)
                        for q, d, s in zip(qubits, depth, shots)])
    return Jobs(qubits, depth, shots.astype(float), arrival, arrival + tightness * fastest)


MAX_ENTRIES = 10**7   # (batch, QPU) pairs + start options + busy (option, slot) entries + QPU slots


def _slots(jobs: Jobs, fleet: Fleet, slot: float, batches: int, durations: np.ndarray | None) -> np.ndarray:
    """Slots one batch takes, jobs x QPUs (float, >= 1; ``inf`` where the QPU cannot run the job)."""
    with np.errstate(over="ignore"):
        if durations is not None:
            d = np.asarray(durations, float)
            out = np.where(np.isfinite(d), np.ceil(d / slot - 1e-9), np.inf)
        else:
            out = np.ceil(jobs.depth[:, None] * jobs.shots[:, None] / batches / fleet.speed[None, :] / slot - 1e-9)
            out[jobs.qubits[:, None] > fleet.qubits[None, :]] = np.inf
    return np.maximum(out, 1.0)


def _too_fine(slot: float, size: float, linear: float, quadratic: float, K: int, S: float,
              horizon: float) -> ModelError:
    """The error for a grid of ``size`` entries above :data:`MAX_ENTRIES`, naming ``slot``; the
    suggested slot solves ``linear / f + quadratic / f^2 = MAX_ENTRIES`` for the factor ``f``
    (start options and QPU slots shrink as 1/f, busy entries as 1/f^2)."""
    with np.errstate(over="ignore", invalid="ignore"):
        lin, quad = np.float64(linear), np.float64(quadratic)
        f = (lin + np.sqrt(lin * lin + 4.0 * MAX_ENTRIES * quad)) / (2.0 * MAX_ENTRIES)
    hint = f"about {slot * f:.2g} s or more" if np.isfinite(f) else "much larger"
    size = np.nan_to_num(size, nan=np.inf)
    return ModelError(f"slot={slot:g} s makes a schedule grid of {size:.3g} entries (start options, busy slots, "
                      f"{K} QPUs x {S:.3g} slots over {horizon:g} s), above the {MAX_ENTRIES:.0e} schedule_model "
                      f"builds; use a larger slot ({hint}), fewer jobs or a shorter horizon")


def _check_grid(jobs: Jobs, fleet: Fleet, slot: float, horizon: float, batches: int,
                durations: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(first start, start count, slots per batch) per job x QPU and the number of slots, once
    the grid is known to fit :data:`MAX_ENTRIES` entries: (batch, QPU) pairs, start options,
    the (option, slot) entries of the occupancy matrix and its QPU x slot rows. Only job x QPU
    arrays are allocated before (float counts, so an absurd slot overflows to inf, not int64)."""
    J, K = len(jobs.qubits), len(fleet.qubits)
    pairs = J * batches * K
    if pairs > MAX_ENTRIES:
        raise ModelError(f"{J} jobs x {batches} batches on {K} QPUs make {pairs:.3g} (batch, QPU) pairs, "
                         f"above the {MAX_ENTRIES:.0e} schedule_model builds; use fewer jobs or batches")
    with np.errstate(over="ignore", invalid="ignore"):
        S = float(np.ceil(horizon / slot))
        dur = _slots(jobs, fleet, slot, batches, durations)
        first = np.ceil(jobs.arrival / slot - 1e-9)[:, None]
        last = np.minimum(np.floor(jobs.deadline / slot + 1e-9)[:, None] - dur, S - dur)
        count = np.maximum(last - first + 1, 0.0)
        live = count > 0
        linear = batches * float(count.sum()) + K * S
        quadratic = batches * float((count * np.where(live, dur, 0.0)).sum())
        size = pairs + linear + quadratic
    if not size <= MAX_ENTRIES:   # NaN too
        raise _too_fine(slot, size, linear, quadratic, K, S, horizon)
    return (np.where(live, first, 0).astype(np.int64), count.astype(np.int64),
            np.where(live, dur, 0).astype(np.int64), int(S))


def _options(first: np.ndarray, count: np.ndarray, dur: np.ndarray, batches: int) -> np.ndarray:
    """(task, qpu, start, duration) rows of every feasible start, by task, then QPU, then start."""
    task_job = np.repeat(np.arange(len(count)), batches)
    t, k = np.nonzero(count[task_job])
    j = task_job[t]
    n = count[j, k]
    return np.stack([np.repeat(t, n), np.repeat(k, n), np.repeat(first[j, k], n) + ragged_arange(n),
                     np.repeat(dur[j, k], n)], 1)


def schedule_model(jobs: Jobs, fleet: Fleet, slot: float = 1.0, horizon: float | None = None,
                   batches: int = 1, durations: np.ndarray | None = None) -> qb.Model:
    """The scheduling model (see module docstring); ``slot`` seconds per time slot.

    ``durations`` (jobs x QPUs, seconds per batch; ``inf`` where a QPU cannot run the job)
    replaces the built-in ``depth * shots / speed`` estimate, e.g. to add overheads or cutting.

    Raises
    ------
    ModelError
        ``slot`` or ``horizon`` is not a positive finite number, ``batches`` < 1, no job can
        finish by its deadline, or the time grid (start options, busy slots, QPU x slot rows)
        would exceed :data:`MAX_ENTRIES` entries: refused, naming ``slot``, before it is allocated.
    """
    if not 0 < slot < np.inf:
        raise ModelError(f"slot length must be positive and finite, got {slot}")
    if batches < 1:
        raise ModelError(f"batches must be >= 1, got {batches}")
    horizon = float(jobs.deadline.max()) if horizon is None else horizon
    if not 0 < horizon < np.inf:
        raise ModelError(f"horizon must be a positive number of seconds, got {horizon}")
    J, K = len(jobs.qubits), len(fleet.qubits)
    first, count, dur, S = _check_grid(jobs, fleet, slot, horizon, batches, durations)
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
    if busy.any():   # only rows where two options could collide
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
    """
    per_shot, overhead = np.asarray(per_shot, float), np.asarray(overhead, float)
    capacity = np.asarray(capacity, np.int64)
    if not (per_shot.shape == overhead.shape == capacity.shape and per_shot.ndim == 1):
        raise ModelError(f"per_shot, overhead and capacity must be vectors of one length, got shapes "
                         f"{per_shot.shape}, {overhead.shape}, {capacity.shape}")
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
    """Served jobs and, per batch, (job, QPU name, start s, end s)."""
    x = np.asarray(result.values["start"]) > 0.5
    o = model.options[x]
    runs = [(int(t // model.batches), model.fleet.names[int(k)], float(s * model.slot), float((s + d) * model.slot))
            for t, k, s, d in o.tolist()]
    return {"served": np.flatnonzero(np.asarray(result.values["served"]) > 0.5), "runs": runs}


def check_schedule(jobs: Jobs, fleet: Fleet, runs: list, served, batches: int = 1) -> list[str]:
    """Independent check (no DSL): each served job has all batches, each run fits its QPU,
    starts after arrival, ends by the deadline, lasts long enough, and no QPU runs two at once."""
    problems = []
    by_job: dict = {}
    for j, qpu, s, e in runs:
        k = fleet.names.index(qpu)
        if jobs.qubits[j] > fleet.qubits[k]:
            problems.append(f"job {j} needs {jobs.qubits[j]} qubits, {qpu} has {fleet.qubits[k]}")
        if s < jobs.arrival[j] - 1e-9 or e > jobs.deadline[j] + 1e-9:
            problems.append(f"job {j} runs {s:g}-{e:g}s outside [{jobs.arrival[j]:g}, {jobs.deadline[j]:g}]")
        need = jobs.depth[j] * jobs.shots[j] / batches / fleet.speed[k]
        if e - s < need - 1e-9:
            problems.append(f"job {j} on {qpu} gets {e - s:g}s, needs {need:g}s")
        by_job[j] = by_job.get(j, 0) + 1
    for j in np.asarray(served).tolist():
        if by_job.get(j, 0) != batches:
            problems.append(f"served job {j} has {by_job.get(j, 0)} of {batches} batches")
    for qpu in fleet.names:
        spans = sorted((s, e) for _, q, s, e in runs if q == qpu)
        for (s1, e1), (s2, _) in zip(spans, spans[1:]):
            if s2 < e1 - 1e-9:
                problems.append(f"{qpu} runs two batches at once at {s2:g}s")
                break
    return problems
