"""Dispatch policies: the small interface, and the baselines the field compares against.

A policy has a ``name``, ``start(platform) -> state`` (its own, private state for one run)
and ``dispatch(job, now, state) -> Decision`` (:class:`~qbdsl.orchestrate.model.Decision`:
the batches to send, the jobs it takes back, and why the job got no batch).

Baselines, as quantum-cloud dispatchers and their simulators define them (QSimPy, QCloudSim:
a job only goes to a device with at least as many qubits, never cut), each a device-choice
rule over per-device queues (first come first served, or earliest deadline first for EDF):
``fcfs`` (the device that frees first), ``round-robin``, ``random``, ``least-busy`` (least
queued seconds), ``greedy-earliest`` (earliest predicted finish), ``edf`` (earliest finish,
EDF queues), ``fidelity-aware`` (best estimated fidelity, then earliest finish). These *raw*
baselines turn nobody away.

*Matched* baselines (``<rule>+ac``) get what the qbdsl policy has besides its own placement:
admission control (a job goes only where it is predicted to meet its deadline without making
a queued job late: under FIFO, its predicted finish; under EDF, the room before the later
deadlines, as :class:`~qbdsl.orchestrate.queues.DeviceQueue` predicts) and the QIP classical
fallback (a classical worker when the statevector profile predicts it faster than any QPU,
or when no QPU admits the job). They are shot-agnostic (whole jobs only) and never take
work back; ``chunk=True`` (``edf+ac+chunk``) also sends a long batch as consecutive chunks
by qip-edf's rule (:func:`~qbdsl.orchestrate.queues.chunk_shots`), a generic technique any
dispatcher can use. Every policy sees the devices' real state at each dispatch
(:meth:`~qbdsl.orchestrate.platform.Platform.device_state`).
"""

from __future__ import annotations

import math

import numpy as np

from .model import TOL, Batch, Decision, Job
from .queues import DeviceQueue, chunk_shots


class Policy:
    """Base class: per-device queue predictions kept in sync with the platform."""

    name = "policy"
    edf = False  # queues ordered by deadline (else first come first served)

    def __init__(self, seed: int = 0):
        self.seed = seed

    def start(self, platform) -> dict:
        """A fresh state for one run: the platform, a seeded generator, one queue prediction per device."""
        return {
            "platform": platform,
            "rng": np.random.default_rng(self.seed),
            "rr": 0,
            "seq": 0,
            "queues": [DeviceQueue() for _ in range(platform.n_quantum + platform.workers)],
        }

    def dispatch(self, job: Job, now: float, state: dict) -> Decision:  # pragma: no cover
        """The decision for ``job`` arriving at ``now`` (seconds)."""
        raise NotImplementedError

    # shared by the policies
    @staticmethod
    def sync(now: float, state: dict) -> None:
        """Bring every queue prediction in line with the devices' real state at ``now``."""
        pf = state["platform"]
        for k, q in enumerate(state["queues"]):
            q.sync(pf.device_state(k), now)

    def key(self, job: Job, state: dict) -> float:
        """The job's queue priority: its deadline under EDF, else its order of arrival."""
        return job.deadline if self.edf else float(state["seq"] + 1)

    def start_time(self, job: Job, k: int, state: dict) -> float:
        """When ``job`` would start on device ``k`` (seconds), as the queue prediction stands."""
        return state["queues"][k].finish_of(self.key(job, state))

    def finish(self, job: Job, k: int, state: dict) -> float:
        """When ``job`` would finish on device ``k`` (seconds), all its shots in one batch."""
        return self.start_time(job, k, state) + state["platform"].run_time(job, k, job.shots)

    @staticmethod
    def wide_enough(job: Job, state: dict) -> list[int]:
        """The QPUs with at least the job's qubits (the capacity rule; no cutting)."""
        pf = state["platform"]
        return [k for k in range(pf.n_quantum) if pf.qubits(k) >= job.qubits and np.isfinite(pf.per_shot(job, k))]

    def send(self, job: Job, k: int, state: dict, shots: int | None = None, seconds: float | None = None) -> Batch:
        """Record a batch on device ``k`` in the queue prediction and return it."""
        pf = state["platform"]
        shots = job.shots if shots is None else shots
        quantum = k < pf.n_quantum
        dur = pf.run_time(job, k, shots) if quantum else (pf.classical(job) if seconds is None else seconds)
        key = self.key(job, state)
        state["seq"] += 1
        state["queues"][k].add(key, state["seq"], dur, job.id, job.deadline)
        return Batch(
            job.id, k, shots, pf.fragments(job, k) if quantum else 1, job.deadline if self.edf else 0.0, state["seq"]
        )


class RulePolicy(Policy):
    """A baseline: ``choose(job, candidates, now, state)`` picks a QPU among those wide
    enough (raw), or among those that admit the job (matched, ``admission=True``), with the
    classical fallback when ``fallback=True``."""

    rule = "rule"

    def __init__(self, seed: int = 0, admission: bool = False, fallback: bool = False, chunk: bool = False):
        super().__init__(seed)
        self.admission, self.fallback, self.chunk = admission, fallback, chunk
        self.name = (
            self.rule
            + ("+ac" if admission else "")
            + ("" if fallback == admission else ("+fallback" if fallback else "-no-fallback"))
            + ("+chunk" if chunk else "")
        )

    def choose(self, job: Job, ks: list[int], now: float, state: dict) -> int:  # pragma: no cover
        """The QPU among ``ks`` that gets the job."""
        raise NotImplementedError

    def admits(self, job: Job, k: int, state: dict, seconds: float) -> bool:
        """Whether ``seconds`` of ``job`` on device ``k`` meet its deadline without making a queued job late."""
        return seconds <= state["queues"][k].room(self.key(job, state), job.deadline) + TOL

    def dispatch(self, job, now, state):
        """The fallback, admission and ``choose`` rules applied to ``job`` (class docstring)."""
        self.sync(now, state)
        pf = state["platform"]
        ks = self.wide_enough(job, state)
        if self.fallback:
            t_cpu = pf.classical(job)
            cpus = [
                w
                for w in range(pf.n_quantum, pf.n_quantum + pf.workers)
                if t_cpu <= state["queues"][w].room(self.key(job, state), job.deadline) + TOL
            ]
            fastest = min((pf.run_time(job, k, job.shots) for k in ks), default=math.inf)
            cpu = min(cpus, key=lambda w: state["queues"][w].end) if cpus else None
            if cpu is not None and t_cpu <= fastest:
                return Decision([self.send(job, cpu, state, seconds=t_cpu)])
        if self.admission:
            ks = [k for k in ks if self.admits(job, k, state, pf.run_time(job, k, job.shots))]
        if ks:
            k = self.choose(job, ks, now, state)
            if self.chunk:  # the same chunk rule as qip-edf, within the room at this queue position
                parts = chunk_shots(
                    job.shots,
                    pf.run_time(job, k, job.shots),
                    pf.overhead(k),
                    state["queues"][k].room(self.key(job, state), job.deadline),
                    None,
                )
                return Decision([self.send(job, k, state, shots=n) for n in parts])
            return Decision([self.send(job, k, state)])
        if self.fallback and cpu is not None:
            return Decision([self.send(job, cpu, state, seconds=t_cpu)])
        wide = self.wide_enough(job, state)
        return Decision(
            why="no QPU has its qubits"
            if not wide
            else "no device is predicted to finish it by its deadline without making a queued job late"
        )


class FCFS(RulePolicy):
    """One global first-come-first-served queue: the job takes the QPU that frees up first."""

    rule = "fcfs"

    def choose(self, job, ks, now, state):
        """The QPU that frees up first."""
        return min(ks, key=lambda k: self.start_time(job, k, state))


class RoundRobin(RulePolicy):
    """The QPUs wide enough, in turn."""

    rule = "round-robin"

    def choose(self, job, ks, now, state):
        """The next QPU in turn."""
        state["rr"] += 1
        return ks[(state["rr"] - 1) % len(ks)]


class Random(RulePolicy):
    """A QPU wide enough, drawn uniformly (seeded)."""

    rule = "random"

    def choose(self, job, ks, now, state):
        """A uniformly drawn QPU."""
        return ks[int(state["rng"].integers(len(ks)))]


class LeastBusy(RulePolicy):
    """The QPU with the least queued work (seconds)."""

    rule = "least-busy"

    def choose(self, job, ks, now, state):
        """The QPU with the least queued seconds."""
        q = state["queues"]
        return min(ks, key=lambda k: q[k].end - now + sum(w[2] for w in q[k].waiting))


class GreedyEarliest(RulePolicy):
    """The QPU on which the job would finish first (queue and speed)."""

    rule = "greedy-earliest"

    def choose(self, job, ks, now, state):
        """The QPU with the earliest predicted finish."""
        return min(ks, key=lambda k: self.finish(job, k, state))


class EDF(GreedyEarliest):
    """Earliest-finish placement; each QPU serves its queue by earliest deadline first."""

    rule = "edf"
    edf = True


class FidelityAware(RulePolicy):
    """The QPU with the best estimated fidelity for the job; ties go to the earliest finish."""

    rule = "fidelity-aware"

    def choose(self, job, ks, now, state):
        """The QPU with the best estimated fidelity, ties to the earliest finish; a QPU with no
        estimate (NaN: an annealer) ranks below every estimate."""
        pf = state["platform"]

        def rank(k):
            f = pf.fidelity(job, k)
            return (round(f, 6) if f == f else -1.0, -self.finish(job, k, state))

        return max(ks, key=rank)


RULES = {p.rule: p for p in (FCFS, RoundRobin, Random, LeastBusy, GreedyEarliest, EDF, FidelityAware)}
