"""Discrete-event simulation (SimPy) of quantum jobs on heterogeneous QPUs.

Execution time of ``shots`` shots of a depth-``d`` circuit on a QPU of speed ``clops``
(circuit layer operations per second, IBM's CLOPS metric: Wack et al., "Quality, Speed, and
Scale: three key attributes to measure the performance of near-term quantum computers",
arXiv:2110.14108) is ``overhead + d * shots / clops`` seconds. A job wider than a QPU is cut
into ``c = ceil(qubits / qpu_qubits)`` fragments; wire cutting multiplies the shots by the
sampling overhead ``cut_overhead ** (c - 1)`` (each cut costs a constant factor, Peng et al.,
PRL 125, 150504, 2020), and only QPUs at least ``qubits / c`` wide can take a fragment.

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
                "decision_ms_per_job": 1e3 * self.decision_seconds / max(n, 1)}


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


def simulate(jobs: list[Job], fleet: list[QPU], policy, cut_overhead: float = 4.0) -> Outcome:
    """Run ``policy`` (see :class:`qbdsl.orchestrate.policies.Policy`) on a job trace."""
    import time as _time

    import simpy

    env = simpy.Environment()
    resources = [simpy.PriorityResource(env, capacity=1) for _ in fleet]
    n = len(jobs)
    remaining = np.zeros(n, dtype=int)
    finish = np.full(n, np.nan)
    late = np.zeros(n, dtype=bool)
    rejected = np.zeros(n, dtype=bool)
    fid = np.full(n, np.nan)
    busy = np.zeros(len(fleet))
    log = []
    decision = [0.0]
    state = policy.start(fleet, cut_overhead)

    def run_batch(job: Job, b: Batch):
        k = b.qpu
        with resources[k].request(priority=b.priority) as req:
            yield req
            start = env.now
            dur = run_time(job, fleet[k], b.shots, cut_overhead)
            yield env.timeout(dur)
            busy[k] += dur
            log.append((job.id, fleet[k].name, b.shots, start, env.now))
            f = fidelity(job, fleet[k])
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
    return Outcome(served, finish, rejected, fid, busy, float(env.now), decision[0], log)
