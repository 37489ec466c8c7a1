"""Dispatch policies: plug-ins with one small interface.

A policy has a ``name``, ``start(platform) -> state`` and ``dispatch(job, now, state) ->
list[Batch]`` (empty: reject the job). The platform (:class:`~qbdsl.orchestrate.simulator.
FleetPlatform` in simulation, :class:`~qbdsl.orchestrate.live.LivePlatform` in live mode)
predicts each device's time for a job; ``state`` keeps the policy's view of each quantum
device's queue (``free_at``: when the work already sent will end, first come first served).
Baselines use the quantum devices only; qbdsl also falls back to the classical workers.
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from ..errors import BackendError, ModelError
from .simulator import Batch, Job


class Policy:
    name = "policy"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def start(self, platform) -> dict:
        return {"platform": platform, "free_at": np.zeros(platform.n_quantum), "rr": 0,
                "rng": np.random.default_rng(self.seed)}

    def dispatch(self, job: Job, now: float, state: dict) -> list[Batch]:  # pragma: no cover
        raise NotImplementedError

    # helpers shared by the baselines
    @staticmethod
    def finish(job: Job, k: int, now: float, state: dict, shots: int | None = None) -> float:
        t = state["platform"].run_time(job, k, job.shots if shots is None else shots)
        return max(now, state["free_at"][k]) + t

    @staticmethod
    def devices(job: Job, state: dict) -> list[int]:
        """The quantum devices that can run ``job`` at all."""
        pf = state["platform"]
        return [k for k in range(pf.n_quantum) if np.isfinite(pf.per_shot(job, k))]

    @staticmethod
    def commit(job: Job, k: int, now: float, state: dict, shots: int | None = None, priority: float = 0.0) -> Batch:
        shots = job.shots if shots is None else shots
        state["free_at"][k] = Policy.finish(job, k, now, state, shots)
        return Batch(job.id, k, shots, state["platform"].fragments(job, k), priority)


class FCFS(Policy):
    """One global first-come-first-served queue: the job takes the QPU that frees up first."""

    name = "fcfs"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        return [self.commit(job, min(ks, key=lambda k: max(state["free_at"][k], now)), now, state)] if ks else []


class RoundRobin(Policy):
    name = "round-robin"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        state["rr"] += 1
        return [self.commit(job, ks[(state["rr"] - 1) % len(ks)], now, state)] if ks else []


class Random(Policy):
    name = "random"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        return [self.commit(job, ks[int(state["rng"].integers(len(ks)))], now, state)] if ks else []


class LeastBusy(Policy):
    """The QPU with the least queued work (seconds)."""

    name = "least-busy"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        return [self.commit(job, min(ks, key=lambda k: max(state["free_at"][k] - now, 0)), now, state)] if ks else []


class GreedyEarliest(Policy):
    """The QPU on which the job would finish first (queue and speed)."""

    name = "greedy-earliest"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        return [self.commit(job, min(ks, key=lambda i: self.finish(job, i, now, state)), now, state)] if ks else []


class EDF(GreedyEarliest):
    """Earliest-finish placement; each QPU serves its queue by earliest deadline first."""

    name = "edf"

    def dispatch(self, job, now, state):
        ks = self.devices(job, state)
        if not ks:
            return []
        return [self.commit(job, min(ks, key=lambda i: self.finish(job, i, now, state)), now, state,
                            priority=job.deadline)]


class FidelityAware(Policy):
    """The QPU with the best estimated fidelity for the job; ties go to the earliest finish."""

    name = "fidelity-aware"

    def dispatch(self, job, now, state):
        pf, ks = state["platform"], self.devices(job, state)
        if not ks:
            return []
        k = max(ks, key=lambda i: (round(pf.fidelity(job, i), 6), -self.finish(job, i, now, state)))
        return [self.commit(job, k, now, state)]


class DeviceQueue:
    """One device's queue as the simulator runs it: the batch that started (ends at ``end``),
    then the waiting batches served by priority (deadline), ties in arrival order."""

    __slots__ = ("end", "waiting")

    def __init__(self):
        self.end = 0.0
        self.waiting: list[tuple[float, int, float]] = []     # (deadline, sequence, seconds)

    def advance(self, now: float) -> None:
        """Start, in order, every waiting batch the device reaches by ``now``."""
        while self.waiting and self.end <= now:
            self.end += self.waiting.pop(0)[2]
        self.end = max(self.end, now)

    def room(self, deadline: float) -> float:
        """Seconds a new batch due at ``deadline`` may last without it or any waiting batch
        missing its deadline (it queues behind the batches due no later than it)."""
        t, before, slack = self.end, None, math.inf
        for d, _, dur in self.waiting:
            if d > deadline and before is None:
                before = t
            t += dur
            if before is not None and d - t >= 0:     # a batch already late is not protected
                slack = min(slack, d - t)
        return min(deadline - (t if before is None else before), slack)

    def add(self, deadline: float, seq: int, seconds: float) -> None:
        bisect.insort(self.waiting, (deadline, seq, seconds))


class Qbdsl(Policy):
    """Deadline-aware, QIP-guided invocation with shot splitting.

    Each device's queue is served earliest-deadline-first, and a job is only admitted where
    the prediction says it *and every job already queued there* meet their deadlines
    (:meth:`DeviceQueue.room`; the simulator's timings are the prediction).

    1. On quantum: the QPU where the whole job costs the least device time (ties: the one
       finishing first).
    2. Otherwise split the shots across QPUs by solving the shot-split model of the problem
       library (:func:`qbdsl.problems.scheduling.shot_split_model`: least device time, each
       QPU within its room) with ``split_backend`` under the per-decision ``budget``.
    3. Otherwise fall back to a classical worker whose QIP profile predicts it in time.
    4. Otherwise reject early, so the job holds no capacity later jobs could use.

    Ablations: ``split=False`` (no step 2), ``qip=False`` (no prediction: every job goes whole
    to the QPU predicted to finish it first, no fallback or rejection), ``cut=False`` (no QPU
    narrower than the job), ``fallback=False`` (no step 3).
    """

    name = "qbdsl"

    def __init__(self, seed: int = 0, split: bool = True, qip: bool = True, cut: bool = True,
                 fallback: bool = True, split_backend: str = "ortools", split_options: dict | None = None,
                 budget: float = 0.05, target: float = 0.8, classical_first: bool = True, warmup: int = 8):
        super().__init__(seed)
        self.target, self.classical_first, self.warmup = target, classical_first, warmup
        self.split, self.qip, self.cut, self.fallback = split, qip, cut, fallback
        self.split_backend, self.budget = split_backend, budget
        self.split_options = {"solver": "HIGHS"} if split_options is None and split_backend == "ortools" \
            else dict(split_options or {})
        off = [n for n, on in (("split", split), ("qip", qip), ("cutting", cut), ("fallback", fallback)) if not on]
        if off:
            self.name = "qbdsl-no-" + "-no-".join(off)

    def start(self, platform):
        state = super().start(platform)
        state["queues"] = [DeviceQueue() for _ in range(platform.n_quantum + platform.workers)]
        state["seq"] = 0
        state["split_solves"] = 0
        state["seen"] = []          # fastest QPU time of every job seen so far
        state["first"] = None
        state["capacity"] = float((platform.speed / platform.speed.max()).sum())   # in fastest-QPU equivalents
        return state

    def threshold(self, now: float, state: dict) -> float:
        """The largest job (fastest QPU seconds) worth admitting: serving the smallest jobs
        first, the arrival rate seen so far fills ``target`` x the fleet's capacity at this size."""
        seen = state["seen"]
        if len(seen) < self.warmup or now <= state["first"]:
            return math.inf
        c = np.sort(seen)
        rate = len(c) / (now - state["first"])
        demand = rate * np.cumsum(c) / len(c)          # QPU-seconds per second from jobs up to c[i]
        fits = np.flatnonzero(demand <= self.target * state["capacity"])
        return math.inf if len(fits) == len(c) else (float(c[fits[-1]]) if len(fits) else float(c[0]))

    def dispatch(self, job, now, state):
        pf, queues = state["platform"], state["queues"]
        K, n_workers = pf.n_quantum, pf.workers
        for q in queues:
            q.advance(now)
        per_shot = np.array([pf.per_shot(job, k) for k in range(K)])
        over = np.array([pf.overhead(k) for k in range(K)])
        usable = np.isfinite(per_shot) & np.array([self.cut or pf.fragments(job, k) == 1 for k in range(K)])
        per_shot = np.where(usable, per_shot, np.inf)
        if not self.qip:
            ends = [queues[k].end + sum(w[2] for w in queues[k].waiting if w[0] <= job.deadline)
                    + over[k] + per_shot[k] * job.shots for k in range(K)]
            k = int(np.argmin(ends))
            return self._commit(job, state, [(k, job.shots)]) if np.isfinite(ends[k]) else []
        fastest = float(np.min(np.where(usable, over + per_shot * job.shots, np.inf)))
        if state["first"] is None:
            state["first"] = now
        tau = self.threshold(now, state)
        t_cpu = pf.classical(job) if self.fallback else math.inf
        if self.classical_first and t_cpu <= fastest:
            plan = self._classical(job, t_cpu, K, n_workers, queues, state)
            if plan:
                return plan
        state["seen"].append(fastest)          # demand on the QPUs
        if fastest > tau:      # worth more to later jobs than to this one: classical or nothing
            state["why"] = (f"admission: {fastest:.3g} s on the fastest QPU exceeds the {tau:.3g} s the "
                            f"fleet can afford per job at the arrival rate seen so far")
            return self._classical(job, t_cpu, K, n_workers, queues, state)
        room = np.array([queues[k].room(job.deadline) for k in range(K)])
        with np.errstate(invalid="ignore", divide="ignore"):
            cap = np.where(usable, np.floor(np.clip((room - over) / per_shot, 0, job.shots) + 1e-9), 0)
        cap = cap.astype(np.int64)
        whole = np.flatnonzero(cap >= job.shots)
        if len(whole):
            k = min(whole.tolist(), key=lambda i: (over[i] + per_shot[i] * job.shots, queues[i].end))
            return self._commit(job, state, [(k, job.shots)])
        if self.split and cap.sum() >= job.shots:
            return self._commit(job, state, self._split(job, np.where(usable, per_shot, 1.0), over, cap, state))
        return self._classical(job, t_cpu, K, n_workers, queues, state)

    def _classical(self, job, t, K, n_workers, queues, state) -> list[Batch]:
        fits = [w for w in range(K, K + n_workers) if t <= queues[w].room(job.deadline)]
        if not fits:
            state.setdefault("why", "no device is predicted to finish it by its deadline "
                                    "without making a queued job late")
            return []
        w = min(fits, key=lambda i: queues[i].end)
        return self._commit(job, state, [(w, job.shots)], seconds={w: t})

    def _split(self, job, per_shot, over, cap, state) -> list[tuple[int, int]]:
        import qbdsl as qb
        from qbdsl.problems.scheduling import shot_split_model

        state["split_solves"] += 1
        m = shot_split_model(job.shots, per_shot, over, cap)
        try:
            r = qb.solve(m, backend=self.split_backend, time_limit=self.budget, **self.split_options)
            shots = np.asarray(r.values["shots"], np.int64) if r.feasible else None
        except (ModelError, BackendError):
            shots = None
        if shots is None:   # no answer in the budget: cheapest seconds per shot first
            shots, left = np.zeros(len(cap), np.int64), job.shots
            for k in np.argsort(per_shot, kind="stable").tolist():
                shots[k] = min(cap[k], left)
                left -= shots[k]
        return [(int(k), int(shots[k])) for k in np.flatnonzero(shots > 0)]

    def _commit(self, job, state, plan, seconds=None) -> list[Batch]:
        pf, out = state["platform"], []
        for k, shots in plan:
            quantum = k < pf.n_quantum
            dur = pf.run_time(job, k, shots) if quantum else seconds[k]
            state["seq"] += 1
            state["queues"][k].add(job.deadline, state["seq"], dur)
            out.append(Batch(job.id, k, shots, pf.fragments(job, k) if quantum else 1, job.deadline))
        return out


ALL = {p.name: p for p in (FCFS, RoundRobin, Random, LeastBusy, GreedyEarliest, EDF, FidelityAware, Qbdsl)}


def make(name: str, seed: int = 0) -> Policy:
    """A policy by name: one of :data:`ALL`, or an ablation of qbdsl such as
    ``"qbdsl-no-split"`` or ``"qbdsl-no-qip-no-cutting"`` (switches: split, qip, cutting, fallback)."""
    if name in ALL:
        return ALL[name](seed)
    if name.startswith("qbdsl-no-"):
        off = name[len("qbdsl-no-"):].split("-no-")
        keys = {"split": "split", "qip": "qip", "cutting": "cut", "fallback": "fallback"}
        if all(o in keys for o in off):
            return Qbdsl(seed, **{keys[o]: False for o in off})
    raise ModelError(f"unknown policy {name!r}; known: {', '.join(ALL)}, or qbdsl-no-<split|qip|cutting|fallback>")
