"""Discrete-event simulation (SimPy) of quantum jobs on heterogeneous QPUs.

Execution time of ``shots`` shots of a depth-``d`` circuit on a QPU of speed ``clops``
(circuit layer operations per second, IBM's CLOPS metric: Wack et al., "Quality, Speed, and
Scale: three key attributes to measure the performance of near-term quantum computers",
arXiv:2110.14108) is ``overhead + d * shots / clops`` seconds. A job wider than a QPU is cut
into ``c = ceil(qubits / qpu_qubits)`` fragments; wire cutting multiplies the shots by the
sampling overhead ``cut_overhead ** (c - 1)`` (each cut costs a constant factor, Peng et al.,
PRL 125, 150504, 2020), and only QPUs at least ``qubits / c`` wide can take a fragment.

Classical workers (``workers=`` in :func:`simulate`) run a job by statevector simulation
(one state, then sampling is free), timed by the QIP statevector profile: ``a + b * depth *
2**qubits`` seconds up to the profile's qubit limit (:func:`classical_time`), fidelity 1.
A batch whose ``qpu`` index is past the fleet goes to worker ``qpu - len(fleet)``.

Each dispatch puts one batch (a job's shots, or a share of them) in a QPU's queue; the QPU
serves its queue in order (``SimPy.PriorityResource``; priority = the policy's key, arrival
order by default), one batch at a time. A job is served when all its batches finish by its
deadline. A job no schedule could serve (:func:`impossible`) is rejected before any policy
sees it, with the reason in ``Outcome.reasons``. A policy may send a job at most one batch per
device, and may take back jobs it dispatched (``state["withdraw"]``, see
:mod:`qbdsl.orchestrate.policies`): their waiting batches are dropped, a batch in service is
aborted (the device time it used stays spent), and the job is rejected, or moved when the
policy sends it new batches. A policy may also send, at a later arrival, the batches of a job
it rejected or withdrew before (admitted late: ``Outcome.deferred``, or ``moved``). A served
job's batches each ran uninterrupted within its window, one per device, so the hindsight
bound of :mod:`qbdsl.orchestrate.bound` covers every policy.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError


@dataclass
class QPU:
    name: str
    qubits: int
    clops: float                 # layer operations per second
    two_qubit_error: float       # median two-qubit gate error
    overhead: float = 0.5        # seconds per batch: load, calibrate, read out

    def __post_init__(self):
        if self.qubits <= 0 or self.clops <= 0 or not 0 <= self.two_qubit_error < 1 or self.overhead < 0:
            raise ModelError(f"QPU {self.name!r}: qubits and clops must be positive, two_qubit_error in [0, 1), "
                             "overhead >= 0")


@dataclass
class Job:
    id: int
    qubits: int
    depth: int
    shots: int
    arrival: float
    deadline: float


@dataclass
class Batch:
    job: int
    qpu: int
    shots: int
    fragments: int = 1
    priority: float = 0.0


@dataclass
class Outcome:
    """What happened to every job, and the fleet's use of time."""

    served: np.ndarray           # bool per job: all batches done by the deadline
    finish: np.ndarray           # time the last batch finished (nan if rejected)
    rejected: np.ndarray         # bool per job: never dispatched, or withdrawn and not sent again
    fidelity: np.ndarray         # estimated fidelity of the job's runs (nan if rejected)
    busy: np.ndarray             # seconds each QPU was busy
    makespan: float
    decision_seconds: float
    batches: list = field(default_factory=list)   # (job, qpu, shots, start, end)
    classical: np.ndarray | None = None          # bool per job: served by a classical worker
    reasons: dict = field(default_factory=dict)   # job -> why it was rejected
    impossible: np.ndarray | None = None         # bool per job: no schedule could serve it
    withdrawn: np.ndarray | None = None          # bool per job: dispatched, then taken back by the policy
    moved: np.ndarray | None = None              # bool per job: taken back and dispatched anew (at least once)
    deferred: np.ndarray | None = None           # bool per job: not dispatched on arrival, admitted later

    def metrics(self) -> dict:
        n = len(self.served)
        horizon = max(self.makespan, 1e-12)
        count = lambda flags: int(flags.sum()) if flags is not None else 0  # noqa: E731
        return {"served": count(self.served), "served_fraction": float(self.served.sum() / max(n, 1)),
                "rejected": count(self.rejected), "impossible": count(self.impossible),
                "makespan": float(self.makespan),
                "utilisation": float(self.busy.sum() / (len(self.busy) * horizon)),
                "mean_fidelity": float(np.nanmean(self.fidelity[self.served])) if self.served.any() else float("nan"),
                "withdrawn": count(self.withdrawn), "moved": count(self.moved), "deferred": count(self.deferred),
                "served_classically": count(self.classical),
                "decision_ms_per_job": 1e3 * self.decision_seconds / max(n, 1)}


def classical_time(job: Job, profile=None) -> float:
    """Seconds to simulate ``job`` on one classical worker: the QIP statevector profile
    (``qbdsl.qip`` profile ``"qaoa"``, shipped figures unless ``profile`` is given) charges
    ``a + b * depth * 2**qubits``; ``inf`` beyond the qubits it takes."""
    profile = profile or _statevector_profile()
    if profile.max_variables is not None and job.qubits > profile.max_variables:
        return math.inf
    return profile.a + profile.b * job.depth * 2.0 ** job.qubits


@functools.lru_cache(maxsize=1)
def _statevector_profile():
    from ..qip.profiles import default_profiles

    return default_profiles()["qaoa"]


def fragments(job: Job, qpu: QPU) -> int:
    return max(1, math.ceil(job.qubits / qpu.qubits))


def per_shot_seconds(job: Job, qpu: QPU, cut_overhead: float = 4.0) -> float:
    """Seconds per shot of ``job`` on ``qpu``: ``c`` fragments, each sampled ``cut_overhead**(c-1)`` x."""
    c = fragments(job, qpu)
    return job.depth * (cut_overhead ** (c - 1)) * c / qpu.clops


def run_time(job: Job, qpu: QPU, shots: int, cut_overhead: float = 4.0) -> float:
    """Seconds for ``shots`` shots of ``job`` on ``qpu`` (cutting overhead included)."""
    return qpu.overhead + shots * per_shot_seconds(job, qpu, cut_overhead)


def impossible(job: Job, fleet: list[QPU], cut_overhead: float = 4.0, workers: int = 0, profile=None) -> str:
    """Why no schedule can serve ``job`` even on an idle fleet (shots split over every QPU),
    or ``""`` when one can."""
    window = job.deadline - job.arrival
    if workers and classical_time(job, profile) <= window:
        return ""
    room = sum(max(0.0, (window - q.overhead) / per_shot_seconds(job, q, cut_overhead)) for q in fleet)
    if math.floor(room + 1e-9) >= job.shots:
        return ""
    return (f"job {job.id}: {job.shots} shots cannot finish within its {window:.3g} s window even split "
            f"over every idle QPU (at most {int(room)} shots fit)"
            + ("" if workers else "; no classical worker"))


def fidelity(job: Job, qpu: QPU) -> float:
    """Crude circuit fidelity estimate: (1 - e2)^(two-qubit gates), gates ~ depth * qubits / 2."""
    return float((1 - qpu.two_qubit_error) ** (job.depth * min(job.qubits, qpu.qubits) / 2))


def fastest_time(job: Job, fleet: list[QPU], cut_overhead: float = 4.0) -> float:
    return min(run_time(job, q, job.shots, cut_overhead) for q in fleet)


class FleetPlatform:
    """What a policy sees of the simulated devices: QPUs ``0..K-1`` then classical workers,
    timed by the formulas above (the policies' predictions are the simulator's truth)."""

    def __init__(self, fleet: list[QPU], cut_overhead: float = 4.0, workers: int = 0, worker_profile=None):
        self.fleet, self.cut, self.workers, self.profile = fleet, cut_overhead, workers, worker_profile
        self.abortable = True        # a batch in service can be aborted (policies may withdraw it)
        self.n_quantum = len(fleet)
        self.speed = np.array([q.clops for q in fleet])

    def per_shot(self, job: Job, k: int) -> float:
        return per_shot_seconds(job, self.fleet[k], self.cut)

    def overhead(self, k: int) -> float:
        return self.fleet[k].overhead

    def fragments(self, job: Job, k: int) -> int:
        return fragments(job, self.fleet[k])

    def fidelity(self, job: Job, k: int) -> float:
        return fidelity(job, self.fleet[k])

    def classical(self, job: Job) -> float:
        return classical_time(job, self.profile) if self.workers else math.inf

    def run_time(self, job: Job, k: int, shots: int) -> float:
        return run_time(job, self.fleet[k], shots, self.cut)


def simulate(jobs: list[Job], fleet: list[QPU], policy, cut_overhead: float = 4.0, workers: int = 0,
             worker_profile=None) -> Outcome:
    """Run ``policy`` (see :class:`qbdsl.orchestrate.policies.Policy`) on a job trace.

    ``workers`` classical workers stand beside the QPUs, timed by ``worker_profile`` (a QIP
    :class:`~qbdsl.qip.profiles.Profile`; the shipped statevector profile by default).
    """
    import time as _time

    import simpy

    env = simpy.Environment()
    K = len(fleet)
    resources = [simpy.PriorityResource(env, capacity=1) for _ in range(K + workers)]
    n = len(jobs)
    remaining = np.zeros(n, dtype=int)
    finish = np.full(n, np.nan)
    late = np.zeros(n, dtype=bool)
    rejected = np.zeros(n, dtype=bool)
    fid = np.full(n, np.nan)
    busy = np.zeros(K + workers)
    classical = np.zeros(n, dtype=bool)
    hopeless = np.zeros(n, dtype=bool)
    log = []
    decision = [0.0]
    procs: dict[int, list] = {}
    withdrawn = np.zeros(n, dtype=bool)
    moved = np.zeros(n, dtype=bool)
    deferred = np.zeros(n, dtype=bool)
    jobs_by_id = {j.id: j for j in jobs}
    platform = FleetPlatform(fleet, cut_overhead, workers, worker_profile)
    state = policy.start(platform)
    reasons: dict[int, str] = {}

    def run_batch(job: Job, b: Batch):
        k = b.qpu
        quantum = k < K
        device = fleet[k].name if quantum else f"cpu-{k - K}"
        with resources[k].request(priority=b.priority) as req:
            try:
                yield req
            except simpy.Interrupt:          # withdrawn while waiting
                return
            start = env.now
            dur = platform.run_time(job, k, b.shots) if quantum else platform.classical(job)
            try:
                yield env.timeout(dur)
            except simpy.Interrupt:          # withdrawn in service: the device time so far is spent
                busy[k] += env.now - start
                log.append((job.id, device, 0, start, env.now))
                return
            busy[k] += dur
            log.append((job.id, device, b.shots, start, env.now))
            f = fidelity(job, fleet[k]) if quantum else 1.0
            classical[job.id] |= not quantum
            fid[job.id] = f if np.isnan(fid[job.id]) else min(fid[job.id], f)
            remaining[job.id] -= 1
            if env.now > job.deadline + 1e-9:
                late[job.id] = True
            if remaining[job.id] == 0:
                finish[job.id] = env.now

    def arrivals():
        for job in sorted(jobs, key=lambda j: j.arrival):
            yield env.timeout(max(0.0, job.arrival - env.now))
            why = impossible(job, fleet, cut_overhead, workers, worker_profile)
            if why:
                rejected[job.id] = hopeless[job.id] = True
                reasons[job.id] = why
                continue
            t0 = _time.perf_counter()
            state.pop("why", None)
            plan = policy.dispatch(job, env.now, state)
            decision[0] += _time.perf_counter() - t0
            taken = state.pop("withdraw", {})
            old = {}
            for victim, why in taken.items():
                if victim not in procs or rejected[victim] or remaining[victim] == 0:
                    raise ModelError(f"policy {policy.name!r} withdrew job {victim}, which is not running or queued")
                old[victim] = procs.pop(victim)
                rejected[victim] = withdrawn[victim] = True
                reasons[victim] = f"{policy.name}: withdrawn, {why}"
            if not any(b.job == job.id for b in plan or ()):
                rejected[job.id] = True
                reasons[job.id] = f"{policy.name}: {state.get('why', 'rejected')}"
            for jid in dict.fromkeys(b.job for b in plan or ()):
                # another job: one withdrawn (now or before) or never dispatched, arrived, not hopeless
                if jid != job.id and not (jid in jobs_by_id and jobs_by_id[jid].arrival <= env.now
                                          and rejected[jid] and not hopeless[jid] and jid not in procs):
                    raise ModelError(f"policy {policy.name!r} sent batches of job {jid} while dispatching job "
                                     f"{job.id}: only a job it withdrew, or one that arrived and is not "
                                     f"dispatched, can be sent")
                mine = [b for b in plan if b.job == jid]
                devices = [b.qpu for b in mine]
                if len(set(devices)) < len(devices) or not all(0 <= k < K + workers for k in devices):
                    raise ModelError(f"policy {policy.name!r} sent job {jid} batches to devices {devices}: "
                                     f"each batch needs its own device among 0..{K + workers - 1}")
                if sum(b.shots for b in mine) < jobs_by_id[jid].shots:
                    raise ModelError(f"policy {policy.name!r} dispatched {sum(b.shots for b in mine)} of job "
                                     f"{jid}'s {jobs_by_id[jid].shots} shots")
                if jid != job.id:                # moved or admitted late: a fresh start, what ran before is discarded
                    moved[jid] |= withdrawn[jid]
                    deferred[jid] |= not withdrawn[jid]
                    rejected[jid] = withdrawn[jid] = late[jid] = classical[jid] = False
                    fid[jid] = np.nan
                    reasons.pop(jid, None)
                remaining[jid] = len(mine)
                procs[jid] = []
            # started most urgent first: an idle device goes to the most urgent batch sent now
            for b in sorted(plan or (), key=lambda b: b.priority):
                procs[b.job].append(env.process(run_batch(jobs_by_id[b.job], b)))
            # interrupt only now: a device freed at this instant goes to the most urgent of the batches
            # waiting *and* those just sent, as the policy's queue model assumes (EDF, ties in order sent)
            for victim, ps in old.items():
                for proc in ps:
                    if proc.is_alive:
                        proc.interrupt(taken[victim])

    env.process(arrivals())
    env.run()
    served = ~rejected & ~late & ~np.isnan(finish)
    return Outcome(served, finish, rejected, fid, busy[:K], float(env.now), decision[0], log,
                   classical & served, reasons, hopeless, withdrawn, moved, deferred)
