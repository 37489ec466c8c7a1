"""Discrete-event simulation (SimPy) of quantum jobs on heterogeneous QPUs.

Times follow :mod:`qbdsl.orchestrate.model`. Each batch a policy sends goes into its device's
queue; the device serves its queue in order (``SimPy.PriorityResource``; priority = the
batch's, ties in the order sent), one batch at a time. A job is served when all its batches
finish by its deadline. A job no schedule could serve (:func:`~qbdsl.orchestrate.model.impossible`)
is rejected before any policy sees it, with the reason in ``Outcome.reasons``. A policy may
send a job several batches, also to one device (its shots in chunks), and may take back jobs
it dispatched
(:class:`~qbdsl.orchestrate.model.Decision` ``withdraw``): their waiting batches are dropped,
a batch in service is aborted (the device time it used stays spent; counted in
``Outcome.aborted``), and the job is rejected, or moved when the policy sends it new batches.
A policy may also send, at a later arrival, the batches of a job it rejected or withdrew
before (admitted late: ``Outcome.deferred``, or ``moved``). A served job's batches each ran
uninterrupted within its window, so the preemptive relaxation of :mod:`qbdsl.orchestrate.bound`
covers every policy (its CP-SAT hindsight model, one batch per job and device, covers the
policies that do not chunk).

Policies see predicted times (:class:`~qbdsl.orchestrate.platform.FleetPlatform`); the
devices may run slower or faster: ``error`` scales every run (``+0.2``: 20 % longer than
predicted) and ``noise`` draws each batch's factor uniformly from ``[1 - noise, 1 + noise]``
(seeded by ``noise_seed``). What actually runs is visible to the policy at each dispatch
through :meth:`~qbdsl.orchestrate.platform.Platform.device_state`.
"""

from __future__ import annotations

import time as _time

import numpy as np

from ..errors import ModelError
from .model import (
    CUT_OVERHEAD,
    QPU,
    Batch,
    Decision,
    Job,
    Outcome,
    classical_time,
    fastest_time,
    fidelity,
    fragments,
    impossible,
    per_shot_seconds,
    run_time,
    runs_on,
)
from .platform import DeviceState, FleetPlatform

__all__ = [
    "simulate",
    "size_classes",
    "QPU",
    "Job",
    "Batch",
    "Decision",
    "Outcome",
    "FleetPlatform",
    "classical_time",
    "fastest_time",
    "fidelity",
    "fragments",
    "impossible",
    "per_shot_seconds",
    "run_time",
    "runs_on",
]


def size_classes(jobs: list[Job], fleet: list[QPU], cut_overhead: float = CUT_OVERHEAD) -> np.ndarray:
    """0 / 1 / 2 (small / medium / large) per job: terciles of its fastest whole-job QPU time."""
    t = np.array([fastest_time(j, fleet, cut_overhead) for j in jobs])
    if len(t) < 3:
        return np.zeros(len(t), dtype=int)
    edges = np.quantile(t, [1 / 3, 2 / 3])
    return np.searchsorted(edges, t, side="right").astype(int)


def simulate(
    jobs: list[Job],
    fleet: list[QPU],
    policy,
    cut_overhead: float = CUT_OVERHEAD,
    workers: int = 0,
    worker_profile=None,
    error: float = 0.0,
    noise: float = 0.0,
    noise_seed: int = 0,
) -> Outcome:
    """Run ``policy`` (see :mod:`qbdsl.orchestrate.baselines`) on a job trace.

    Parameters
    ----------
    jobs : list of Job
        The trace: each job's qubits, depth, shots, and ``arrival`` and ``deadline`` in
        seconds of simulated time; job ids must be ``0..len(jobs)-1``.
    fleet : list of QPU
        The QPUs, devices ``0..len(fleet)-1`` in batches (qubits, CLOPS, two-qubit error,
        per-batch ``overhead`` in seconds).
    policy : Policy
        A :class:`~qbdsl.orchestrate.baselines.Policy`: ``policy.start(platform)`` makes its
        state, then ``policy.dispatch(job, now, state)`` returns each arriving job's
        :class:`~qbdsl.orchestrate.model.Decision`.
    cut_overhead : float
        Shots multiplier per single-wire cut (default :data:`~qbdsl.orchestrate.model.CUT_OVERHEAD`
        = 9): a job cut into ``c`` fragments on a narrower QPU takes ``cut_overhead**(c - 1)``
        times the shots per fragment.
    workers : int
        Classical workers beside the QPUs (devices ``len(fleet)..len(fleet)+workers-1``,
        ``cpu-0``, ...); 0 (default): none.
    worker_profile : Profile, optional
        The QIP :class:`~qbdsl.qip.profiles.Profile` timing a job on a worker
        (``a + b * depth * 2**qubits`` seconds, ``inf`` beyond its qubit limit). None
        (default): the shipped statevector profile (``"qaoa"``).
    error : float
        Systematic run-time error, a fraction > -1 (default 0): every batch runs
        ``1 + error`` times its predicted time (``0.2``: 20 % longer).
    noise : float
        Random run-time error in ``[0, 1)`` (default 0): each batch's time is also scaled by
        a factor drawn uniformly from ``[1 - noise, 1 + noise]``. Actual run time =
        predicted x (1 + error) x U[1 - noise, 1 + noise].
    noise_seed : int
        Seed of the generator drawing the ``noise`` factors (default 0).

    Raises
    ------
    ModelError
        when the policy sends batches the rules above do not allow, or ``error``/``noise``
        would make a run time non-positive.
    """
    import simpy

    if not -1 < error or not 0 <= noise < 1:
        raise ModelError(f"error must exceed -1 and noise lie in [0, 1), got error={error}, noise={noise}")
    env = simpy.Environment()
    K = len(fleet)
    resources = [simpy.PriorityResource(env, capacity=1) for _ in range(K + workers)]
    n = len(jobs)
    if sorted(j.id for j in jobs) != list(range(n)):
        raise ModelError("job ids must be 0..len(jobs)-1")
    remaining = np.zeros(n, dtype=int)
    finish = np.full(n, np.nan)
    late = np.zeros(n, dtype=bool)
    rejected = np.zeros(n, dtype=bool)
    fid = np.full(n, np.nan)
    busy = np.zeros(K + workers)
    work = np.zeros(n)
    classical = np.zeros(n, dtype=bool)
    hopeless = np.zeros(n, dtype=bool)
    withdrawn = np.zeros(n, dtype=bool)
    moved = np.zeros(n, dtype=bool)
    deferred = np.zeros(n, dtype=bool)
    aborted = [0]
    discarded = [0]
    completed = np.zeros(n, dtype=int)
    log = []
    decision = [0.0]
    procs: dict[int, list] = {}
    jobs_by_id = {j.id: j for j in jobs}
    running: list = [None] * (K + workers)
    running_tag: list = [None] * (K + workers)
    started = [0.0] * (K + workers)
    platform = FleetPlatform(fleet, cut_overhead, workers, worker_profile)

    def device_state(k: int) -> DeviceState:
        # from the resource itself: a request granted at this instant counts as running although
        # its process has not resumed yet
        users, queue = resources[k].users, resources[k].queue
        waiting, tags = frozenset(r.job for r in queue), frozenset(r.tag for r in queue)
        if not users:
            return DeviceState(None, 0.0, waiting, -1, tags)
        j, tag = users[0].job, users[0].tag
        return DeviceState(j, started[k] if running_tag[k] == tag else env.now, waiting, tag, tags)

    platform._state = device_state
    rng = np.random.default_rng(noise_seed)
    state = policy.start(platform)
    reasons: dict[int, str] = {}

    def run_batch(job: Job, b: Batch, factor: float):
        k = b.qpu
        quantum = k < K
        device = fleet[k].name if quantum else f"cpu-{k - K}"
        with resources[k].request(priority=b.priority) as req:
            req.job, req.tag = job.id, b.tag
            try:
                yield req
            except simpy.Interrupt:  # withdrawn while waiting
                return
            running[k], running_tag[k], started[k] = job.id, b.tag, env.now
            start = env.now
            dur = (platform.run_time(job, k, b.shots) if quantum else platform.classical(job)) * factor
            try:
                yield env.timeout(dur)
            except simpy.Interrupt:  # withdrawn in service: the device time so far is spent
                busy[k] += env.now - start
                aborted[0] += 1
                log.append((job.id, device, 0, start, env.now))
                running[k] = None
                return
            running[k] = None
            busy[k] += dur
            if quantum:
                work[job.id] += dur
            log.append((job.id, device, b.shots, start, env.now))
            f = fidelity(job, fleet[k]) if quantum else 1.0
            classical[job.id] |= not quantum
            fid[job.id] = f if np.isnan(fid[job.id]) else min(fid[job.id], f)
            remaining[job.id] -= 1
            completed[job.id] += 1
            if env.now > job.deadline + 1e-9:
                late[job.id] = True
            if remaining[job.id] == 0:
                finish[job.id] = env.now

    def check(job: Job, d: Decision) -> None:
        for victim in d.withdraw:
            if victim not in procs or rejected[victim] or remaining[victim] == 0:
                raise ModelError(f"policy {policy.name!r} withdrew job {victim}, which is not running or queued")
        for jid in dict.fromkeys(b.job for b in d.batches):
            # another job: one withdrawn (now or before) or never dispatched, arrived, not hopeless
            if jid != job.id and not (
                jid in jobs_by_id
                and jobs_by_id[jid].arrival <= env.now
                and not hopeless[jid]
                and ((rejected[jid] and jid not in procs) or jid in d.withdraw)
            ):
                raise ModelError(
                    f"policy {policy.name!r} sent batches of job {jid} while dispatching job "
                    f"{job.id}: only a job it withdrew, or one that arrived and is not "
                    f"dispatched, can be sent"
                )
            mine = [b for b in d.batches if b.job == jid]
            devices = [b.qpu for b in mine]
            if not all(0 <= k < K + workers for k in devices) or any(b.shots <= 0 for b in mine):
                raise ModelError(
                    f"policy {policy.name!r} sent job {jid} batches to devices {devices} with shots "
                    f"{[b.shots for b in mine]}: devices are 0..{K + workers - 1}, shots positive"
                )
            if sum(b.shots for b in mine) < jobs_by_id[jid].shots:
                raise ModelError(
                    f"policy {policy.name!r} dispatched {sum(b.shots for b in mine)} of job "
                    f"{jid}'s {jobs_by_id[jid].shots} shots"
                )

    def arrivals():
        for job in sorted(jobs, key=lambda j: j.arrival):
            yield env.timeout(max(0.0, job.arrival - env.now))
            why = impossible(job, fleet, cut_overhead, workers, worker_profile)
            if why:
                rejected[job.id] = hopeless[job.id] = True
                reasons[job.id] = why
                continue
            t0 = _time.perf_counter()
            d = policy.dispatch(job, env.now, state)
            decision[0] += _time.perf_counter() - t0
            if not isinstance(d, Decision):
                raise ModelError(f"policy {policy.name!r} returned {type(d).__name__}, not a Decision")
            check(job, d)
            old = {}
            for victim, why in d.withdraw.items():
                old[victim] = procs.pop(victim)
                discarded[0] += completed[victim]
                rejected[victim] = withdrawn[victim] = True
                reasons[victim] = f"{policy.name}: withdrawn, {why}"
            if not any(b.job == job.id for b in d.batches):
                rejected[job.id] = True
                reasons[job.id] = f"{policy.name}: {d.why or 'rejected'}"
            for jid in dict.fromkeys(b.job for b in d.batches):
                mine = [b for b in d.batches if b.job == jid]
                if jid != job.id:  # moved or admitted late: a fresh start, what ran before is discarded
                    moved[jid] |= withdrawn[jid]
                    deferred[jid] |= not withdrawn[jid]
                    rejected[jid] = withdrawn[jid] = late[jid] = classical[jid] = False
                    fid[jid] = np.nan
                    work[jid] = 0.0
                    reasons.pop(jid, None)
                remaining[jid] = len(mine)
                completed[jid] = 0
                procs[jid] = []
            # started most urgent first: an idle device goes to the most urgent batch sent now
            for b in sorted(d.batches, key=lambda b: b.priority):
                factor = (1.0 + error) * (rng.uniform(1 - noise, 1 + noise) if noise else 1.0)
                procs[b.job].append(env.process(run_batch(jobs_by_id[b.job], b, factor)))
            # interrupt only now: a device freed at this instant goes to the most urgent of the batches
            # waiting *and* those just sent, as the policy's queue model assumes (EDF, ties in order sent)
            for victim, ps in old.items():
                for proc in ps:
                    if proc.is_alive:
                        proc.interrupt(d.withdraw[victim])

    env.process(arrivals())
    env.run()
    served = ~rejected & ~late & ~np.isnan(finish)
    arr = [j.arrival for j in jobs]
    return Outcome(
        served,
        finish,
        rejected,
        fid,
        busy[:K],
        float(env.now),
        decision[0],
        log,
        classical & served,
        reasons,
        hopeless,
        withdrawn,
        moved,
        deferred,
        aborted[0],
        work,
        np.array([j.shots for j in jobs]),
        size_classes(jobs, fleet, cut_overhead),
        float(max(arr) - min(arr)) if jobs else 0.0,
        reference_work(jobs, fleet, cut_overhead),
        discarded=discarded[0],
    )


def reference_work(jobs: list[Job], fleet: list[QPU], cut_overhead: float = CUT_OVERHEAD) -> np.ndarray:
    """Each job's intrinsic QPU work in seconds: its fastest whole run on a QPU with its
    qubits (with cutting where none has them)."""
    out = np.empty(len(jobs))
    for i, j in enumerate(jobs):
        wide = [run_time(j, q, j.shots, cut_overhead) for q in fleet if q.qubits >= j.qubits and runs_on(j, q)]
        out[i] = min(wide) if wide else fastest_time(j, fleet, cut_overhead)
    return out
