"""Dispatch policies: plug-ins with one small interface.

A policy has a ``name``, ``start(fleet, cut_overhead) -> state`` and
``dispatch(job, now, state) -> list[Batch]`` (empty: reject the job). ``state`` keeps the
policy's view of each QPU's queue (``free_at``: when the work already sent will end,
assuming first-come-first-served queues).
"""
from __future__ import annotations

import numpy as np

from .simulator import QPU, Batch, Job, classical_time, fidelity, fragments, run_time


class Policy:
    name = "policy"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def start(self, fleet: list[QPU], cut_overhead: float) -> dict:
        return {"fleet": fleet, "cut": cut_overhead, "free_at": np.zeros(len(fleet)), "rr": 0,
                "rng": np.random.default_rng(self.seed)}

    def dispatch(self, job: Job, now: float, state: dict) -> list[Batch]:  # pragma: no cover
        raise NotImplementedError

    # helpers shared by the policies
    @staticmethod
    def finish(job: Job, k: int, now: float, state: dict, shots: int | None = None) -> float:
        q = state["fleet"][k]
        return max(now, state["free_at"][k]) + run_time(job, q, job.shots if shots is None else shots, state["cut"])

    @staticmethod
    def commit(job: Job, k: int, now: float, state: dict, shots: int | None = None, priority: float = 0.0) -> Batch:
        shots = job.shots if shots is None else shots
        state["free_at"][k] = Policy.finish(job, k, now, state, shots)
        return Batch(job.id, k, shots, fragments(job, state["fleet"][k]), priority)


class FCFS(Policy):
    """One global first-come-first-served queue: the job takes the QPU that frees up first."""

    name = "fcfs"

    def dispatch(self, job, now, state):
        k = int(np.argmin(np.maximum(state["free_at"], now)))
        return [self.commit(job, k, now, state)]


class RoundRobin(Policy):
    name = "round-robin"

    def dispatch(self, job, now, state):
        k = state["rr"] % len(state["fleet"])
        state["rr"] += 1
        return [self.commit(job, k, now, state)]


class Random(Policy):
    name = "random"

    def dispatch(self, job, now, state):
        k = int(state["rng"].integers(len(state["fleet"])))
        return [self.commit(job, k, now, state)]


class LeastBusy(Policy):
    """The QPU with the least queued work (seconds)."""

    name = "least-busy"

    def dispatch(self, job, now, state):
        k = int(np.argmin(np.maximum(state["free_at"] - now, 0)))
        return [self.commit(job, k, now, state)]


class GreedyEarliest(Policy):
    """The QPU on which the job would finish first (queue and speed)."""

    name = "greedy-earliest"

    def dispatch(self, job, now, state):
        k = min(range(len(state["fleet"])), key=lambda i: self.finish(job, i, now, state))
        return [self.commit(job, k, now, state)]


class EDF(GreedyEarliest):
    """Earliest-finish placement; each QPU serves its queue by earliest deadline first."""

    name = "edf"

    def dispatch(self, job, now, state):
        k = min(range(len(state["fleet"])), key=lambda i: self.finish(job, i, now, state))
        return [self.commit(job, k, now, state, priority=job.deadline)]


class FidelityAware(Policy):
    """The QPU with the best estimated fidelity for the job; ties go to the earliest finish."""

    name = "fidelity-aware"

    def dispatch(self, job, now, state):
        fleet = state["fleet"]
        k = max(range(len(fleet)), key=lambda i: (round(fidelity(job, fleet[i]), 6), -self.finish(job, i, now, state)))
        return [self.commit(job, k, now, state)]


class Qbdsl(Policy):
    """Deadline-aware invocation: run a job only where it is predicted to meet its deadline.

    1. Among QPUs finishing the whole job by the deadline, take the one finishing first.
    2. Otherwise split the shots across QPUs so they finish together (water-filling on each
       QPU's free time and speed, with its per-batch overhead) if that meets the deadline.
    3. Otherwise fall back to a classical worker (statevector simulation) if one finishes
       by the deadline.
    4. Otherwise reject early, so the job does not hold capacity other jobs could use.
    """

    name = "qbdsl"

    def __init__(self, seed: int = 0, split: bool = True, reject: bool = True, fallback: bool = True):
        super().__init__(seed)
        self.split, self.reject, self.fallback = split, reject, fallback
        if not split:
            self.name = "qbdsl-no-split"
        if not reject:
            self.name = "qbdsl-no-reject"
        if not fallback:
            self.name = "qbdsl-no-fallback"

    def dispatch(self, job, now, state):
        fleet = state["fleet"]
        ends = np.array([self.finish(job, i, now, state) for i in range(len(fleet))])
        ok = np.flatnonzero(ends <= job.deadline)
        if len(ok):
            k = int(ok[np.argmin(ends[ok])])
            return [self.commit(job, k, now, state)]
        if self.split:
            plan = self._split(job, now, state)
            if plan:
                return plan
        workers = state.get("workers_free_at", np.zeros(0))
        if self.fallback and len(workers):
            w = int(np.argmin(workers))
            end = max(now, workers[w]) + classical_time(job, state["worker_rate"])
            if end <= job.deadline:
                workers[w] = end
                return [Batch(job.id, len(fleet) + w, job.shots)]
        if not self.reject:
            return [self.commit(job, int(np.argmin(ends)), now, state)]
        return []

    def _split(self, job, now, state):
        fleet = state["fleet"]
        start = np.maximum(state["free_at"], now)
        # seconds per shot on each QPU (cutting included) and fixed overhead
        per_shot = np.array([(run_time(job, q, 1000, state["cut"]) - q.overhead) / 1000 for q in fleet])
        over = np.array([q.overhead for q in fleet])
        T = job.deadline
        cap = np.floor(np.maximum(T - start - over, 0) / per_shot)
        if cap.sum() < job.shots:
            return []
        # fill the fastest-finishing QPUs first, in proportion to what each can take by T
        order = np.argsort(start + over)
        left, plan = job.shots, []
        for k in order.tolist():
            if left == 0:
                break
            take = int(min(cap[k], left))
            if take > 0:
                plan.append((k, take))
                left -= take
        return [self.commit(job, k, now, state, shots=s) for k, s in plan]


ALL = {p.name: p for p in (FCFS, RoundRobin, Random, LeastBusy, GreedyEarliest, EDF, FidelityAware, Qbdsl)}


def make(name: str, seed: int = 0) -> Policy:
    from ..errors import ModelError

    if name not in ALL:
        raise ModelError(f"unknown policy {name!r}; known: {', '.join(ALL)}")
    return ALL[name](seed)
