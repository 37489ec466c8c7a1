"""Discrete-event simulation (SimPy) of quantum jobs on heterogeneous QPUs.

Execution time of ``shots`` shots of a depth-``d`` circuit on a QPU of speed ``clops``
(circuit layer operations per second, IBM's CLOPS metric: Wack et al., "Quality, Speed, and
Scale: three key attributes to measure the performance of near-term quantum computers",
arXiv:2110.14108) is ``overhead + d * shots / clops`` seconds. A job wider than a QPU is cut
into ``c = ceil(qubits / qpu_qubits)`` fragments; wire cutting multiplies the shots by the
sampling overhead ``cut_overhead ** (c - 1)`` (each cut costs a constant factor, Peng et al.,
PRL 125, 150504, 2020), and only QPUs at least ``qubits / c`` wide can take a fragment.

Classical workers (``workers=`` in :func:`simulate`) run a job by statevector simulation:
``0.1 + depth * 2**qubits / worker_rate`` seconds (one state, then sampling is free; only
up to ``MAX_CLASSICAL_QUBITS``), fidelity 1. A batch whose ``qpu`` index is past the fleet
goes to worker ``qpu - len(fleet)``.

Each dispatch puts one batch (a job's shots, or a share of them) in a QPU's queue; the QPU
serves its queue in order (``SimPy.PriorityResource``; priority = the policy's key, arrival
order by default), one batch at a time. A job is served when all its batches finish by its
deadline.
"""
from __future__ import annotations

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
    rejected: np.ndarray         # bool per job: the policy dispatched nothing
    fidelity: np.ndarray         # estimated fidelity of the job's runs (nan if rejected)
    busy: np.ndarray             # seconds each QPU was busy
    makespan: float
    decision_seconds: float
    batches: list = field(default_factory=list)   # (job, qpu, shots, start, end)

    def metrics(self) -> dict:
        n = len(self.served)
        horizon = max(self.makespan, 1e-12)
        return {"served": int(self.served.sum()), "served_fraction": float(self.served.sum() / max(n, 1)),
                "rejected": int(self.rejected.sum()), "makespan": float(self.makespan),
                "utilisation": float(self.busy.sum() / (len(self.busy) * horizon)),
                "mean_fidelity": float(np.nanmean(self.fidelity[self.served])) if self.served.any() else float("nan"),
                "served_classically": int(getattr(self, "classical", np.zeros(0, bool)).sum()),
                "decision_ms_per_job": 1e3 * self.decision_seconds / max(n, 1)}


MAX_CLASSICAL_QUBITS = 32


def classical_time(job: Job, worker_rate: float = 1e9) -> float:
    """Seconds to simulate ``job`` on one classical worker (inf beyond MAX_CLASSICAL_QUBITS)."""
    if job.qubits > MAX_CLASSICAL_QUBITS:
        return math.inf
    return 0.1 + job.depth * 2.0 ** job.qubits / worker_rate


def fragments(job: Job, qpu: QPU) -> int:
    return max(1, math.ceil(job.qubits / qpu.qubits))


def run_time(job: Job, qpu: QPU, shots: int, cut_overhead: float = 4.0) -> float:
    """Seconds for ``shots`` shots of ``job`` on ``qpu`` (cutting overhead included)."""
    c = fragments(job, qpu)
    effective = shots * (cut_overhead ** (c - 1)) * c
    return qpu.overhead + job.depth * effective / qpu.clops


def fidelity(job: Job, qpu: QPU) -> float:
    """Crude circuit fidelity estimate: (1 - e2)^(two-qubit gates), gates ~ depth * qubits / 2."""
    return float((1 - qpu.two_qubit_error) ** (job.depth * min(job.qubits, qpu.qubits) / 2))


def fastest_time(job: Job, fleet: list[QPU], cut_overhead: float = 4.0) -> float:
    return min(run_time(job, q, job.shots, cut_overhead) for q in fleet)


def simulate(jobs: list[Job], fleet: list[QPU], policy, cut_overhead: float = 4.0, workers: int = 0,
             worker_rate: float = 1e9) -> Outcome:
    """Run ``policy`` (see :class:`qbdsl.orchestrate.policies.Policy`) on a job trace."""
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
    log = []
    decision = [0.0]
    state = policy.start(fleet, cut_overhead)
    state["workers_free_at"] = np.zeros(workers)
    state["worker_rate"] = worker_rate

    def run_batch(job: Job, b: Batch):
        k = b.qpu
        with resources[k].request(priority=b.priority) as req:
            yield req
            start = env.now
            quantum = k < K
            dur = run_time(job, fleet[k], b.shots, cut_overhead) if quantum else classical_time(job, worker_rate)
            yield env.timeout(dur)
            busy[k] += dur
            log.append((job.id, fleet[k].name if quantum else f"cpu-{k - K}", b.shots, start, env.now))
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
            t0 = _time.perf_counter()
            plan = policy.dispatch(job, env.now, state)
            decision[0] += _time.perf_counter() - t0
            if not plan:
                rejected[job.id] = True
                continue
            if sum(b.shots for b in plan) < job.shots:
                raise ModelError(f"policy {policy.name!r} dispatched {sum(b.shots for b in plan)} of job "
                                 f"{job.id}'s {job.shots} shots")
            remaining[job.id] = len(plan)
            for b in plan:
                env.process(run_batch(job, b))

    env.process(arrivals())
    env.run()
    served = ~rejected & ~late & ~np.isnan(finish)
    out = Outcome(served, finish, rejected, fid, busy[:K], float(env.now), decision[0], log)
    out.classical = classical & served
    return out
