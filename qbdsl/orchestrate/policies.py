"""Dispatch policies: plug-ins with one small interface.

A policy has a ``name``, ``start(platform) -> state`` and ``dispatch(job, now, state) ->
list[Batch]`` (no batch of ``job``: reject it). A policy may also take back jobs it
dispatched earlier: it names them in ``state["withdraw"]`` (job id -> reason) during
``dispatch``, and their batches still waiting are dropped and those in service aborted (only
where the platform's ``abortable`` is true); a withdrawn job whose new batches are among
those returned is *moved* and starts afresh, any other is rejected. The batches returned may
also admit, late, a job that arrived earlier and was rejected (or withdrawn) then. The platform
(:class:`~qbdsl.orchestrate.simulator.FleetPlatform` in simulation,
:class:`~qbdsl.orchestrate.live.LivePlatform` in live mode) predicts each device's time for
a job; ``state`` keeps the policy's view of each quantum device's queue (``free_at``: when
the work already sent will end, first come first served).
Baselines use the quantum devices only; qbdsl also falls back to the classical workers.
"""
from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import replace

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
    """One device's queue as the simulator runs it: the batch in service (job ``running``,
    ends at ``end``), then the waiting batches served by priority (deadline), ties in
    arrival order."""

    __slots__ = ("end", "running", "waiting")

    def __init__(self):
        self.end, self.running = 0.0, None
        self.waiting: list[tuple[float, int, float, int]] = []     # (deadline, sequence, seconds, job)

    def advance(self, now: float) -> None:
        """Start, in order, every waiting batch the device reaches by ``now``."""
        while self.waiting and self.end <= now:
            _, _, dur, self.running = self.waiting.pop(0)
            self.end += dur
        if self.end <= now:
            self.end, self.running = now, None

    def room(self, deadline: float) -> float:
        """Seconds a new batch due at ``deadline`` may last without it or any waiting batch
        missing its deadline (it queues behind the batches due no later than it)."""
        t, before, slack = self.end, None, math.inf
        for d, _, dur, _ in self.waiting:
            if d > deadline and before is None:
                before = t
            t += dur
            if before is not None and d - t >= 0:     # a batch already late is not protected
                slack = min(slack, d - t)
        return min(deadline - (t if before is None else before), slack)

    def add(self, deadline: float, seq: int, seconds: float, job: int = -1) -> None:
        bisect.insort(self.waiting, (deadline, seq, seconds, job))

    def holds(self, now: float) -> dict[int, float]:
        """Device seconds from ``now`` each job still holds here (in service or waiting)."""
        out = {self.running: self.end - now} if self.running is not None else {}
        for _, _, dur, j in self.waiting:
            out[j] = out.get(j, 0.0) + dur
        return out

    def remove(self, job: int, now: float) -> None:
        """Take ``job`` off the device at ``now``: aborted if in service, dropped if waiting.
        An aborted batch frees the device for the most urgent batch waiting *or dispatched at
        ``now``* (as SimPy grants it), so nothing is started here."""
        if self.running == job:
            self.end, self.running = now, None
        self.waiting = [w for w in self.waiting if w[3] != job]

    def copy(self) -> "DeviceQueue":
        q = DeviceQueue()
        q.end, q.running, q.waiting = self.end, self.running, list(self.waiting)
        return q


class Qbdsl(Policy):
    """Deadline-aware, QIP-guided invocation with shot splitting and exchange on arrival.

    Each device's queue is served earliest-deadline-first, and a job is only placed where
    the prediction says it *and every job already queued there* meet their deadlines
    (:meth:`DeviceQueue.room`; the simulator's timings are the prediction). Placement:

    1. A classical worker, when the QIP statevector profile predicts it faster than any QPU.
    2. On quantum: the QPU where the whole job costs the least device time (ties: the one
       finishing first); with ``offload``, slower QPUs that are idle meanwhile take the shots
       they can finish by the deadline, so the fast QPU frees sooner for the next job.
    3. Otherwise split the shots across QPUs by solving the shot-split model of the problem
       library (:func:`qbdsl.problems.scheduling.shot_split_model`: least device time, each
       QPU within its room) with ``split_backend`` under the per-decision ``budget``.
    4. Otherwise fall back to a classical worker predicted to finish in time.
    5. Otherwise take back up to ``evict`` dispatched jobs to make room (:meth:`_evict`):
       move them to devices where they still meet their deadlines, so all are served, or else
       withdraw one that holds more QPU time than the new job needs. This is the exchange
       rule that makes greedy interval scheduling optimal online when jobs may be aborted
       (Faigle and Nawijn, "Note on scheduling intervals on-line", Discrete Applied
       Mathematics 58, 1995): the fleet frees sooner for the jobs still to come.
    6. Otherwise the job waits (``defer``), holding no capacity later jobs could use. Room
       only grows when jobs are taken back, so after an exchange the waiting jobs, smallest
       first, get steps 1-4 again (and the two smallest, step 5) and are admitted late when
       they fit (:meth:`_retry`). A job still waiting once even an idle fleet could not finish
       it by its deadline is rejected, and so is every job with ``defer=False``.

    Optional admission (once ``warmup`` jobs have been seen), off by default since the
    exchange in step 5 serves more jobs without it: with ``lookahead = M`` the policy samples
    M futures (Poisson at the arrival rate seen so far, jobs drawn from those seen) and
    replays them through the same placement with and without this job; it admits the job when
    serving it plus the futures served with it is at least the futures served without it
    (common random numbers, seeded). With ``target`` it also caps the job size: the smallest
    jobs first, the arrival rate seen fills ``target`` x the fleet's capacity.

    Ablations: ``split=False`` (no step 3), ``qip=False`` (no prediction: every job goes whole
    to the QPU predicted to finish it first, no fallback, no admission, no exchange),
    ``cut=False`` (no QPU narrower than the job), ``fallback=False`` (no classical workers),
    ``evict=0`` (no step 5), ``defer=False`` (step 6 rejects at once).
    """

    name = "qbdsl"
    waiting_exchanges = 2     # waiting jobs that may try the exchange per arrival: bounds the decision time

    def __init__(self, seed: int = 0, split: bool = True, qip: bool = True, cut: bool = True,
                 fallback: bool = True, split_backend: str = "ortools", split_options: dict | None = None,
                 budget: float = 0.05, target: float | None = None, lookahead: int = 0, warmup: int = 8,
                 offload: bool = False, evict: int = 2, defer: bool = True):
        super().__init__(seed)
        self.evict, self.defer = int(evict), defer
        self.target, self.lookahead, self.warmup, self.offload = target, lookahead, warmup, offload
        self.split, self.qip, self.cut, self.fallback = split, qip, cut, fallback
        self.split_backend, self.budget = split_backend, budget
        self.split_options = {"solver": "HIGHS"} if split_options is None and split_backend == "ortools" \
            else dict(split_options or {})
        off = [n for n, on in (("split", split), ("qip", qip), ("cutting", cut), ("fallback", fallback),
                               ("evict", evict), ("defer", defer)) if not on]
        if off:
            self.name = "qbdsl-no-" + "-no-".join(off)

    def start(self, platform):
        state = super().start(platform)
        state["queues"] = [DeviceQueue() for _ in range(platform.n_quantum + platform.workers)]
        state["seq"] = 0
        state["seen"] = []          # fastest QPU time of every job seen so far
        state["jobs"] = {}          # id -> every job seen so far (the look-ahead samples them)
        state["pending"] = {}       # id -> job waiting for room (deferred), see _retry
        state["first"] = None
        state["capacity"] = float((platform.speed / platform.speed.max()).sum())   # in fastest-QPU equivalents
        return state

    def threshold(self, now: float, state: dict) -> float:
        """The largest job (fastest QPU seconds) worth admitting: serving the smallest jobs
        first, the arrival rate seen so far fills ``target`` x the fleet's capacity at this size."""
        seen = state["seen"]
        if self.target is None or len(seen) < self.warmup or now <= state["first"]:
            return math.inf
        c = np.sort(seen)
        rate = len(c) / (now - state["first"])
        demand = rate * np.cumsum(c) / len(c)          # QPU-seconds per second from jobs up to c[i]
        fits = np.flatnonzero(demand <= self.target * state["capacity"])
        return math.inf if len(fits) == len(c) else (float(c[fits[-1]]) if len(fits) else float(c[0]))

    def dispatch(self, job, now, state):
        state["costs"] = {}
        out = self._admit(job, now, state)
        if self.defer and self.qip:
            out += self._retry(job, now, state, out)
        return out

    def _admit(self, job, now, state) -> list[Batch]:
        """Steps 1-5 for the arriving ``job``: its batches (and those of jobs it moved)."""
        pf, queues = state["platform"], state["queues"]
        for q in queues:
            q.advance(now)
        if not self.qip:
            K = pf.n_quantum
            ends = [queues[k].end + sum(w[2] for w in queues[k].waiting if w[0] <= job.deadline)
                    + pf.run_time(job, k, job.shots) if self._usable(job, k, pf) else math.inf for k in range(K)]
            k = int(np.argmin(ends))
            return self._commit(job, state, queues, [(k, job.shots, None)]) if np.isfinite(ends[k]) else []
        if state["first"] is None:
            state["first"] = now
        tau = self.threshold(now, state)
        plan, fastest = self._place(job, queues, state, exact=True)
        quantum = plan is not None and plan[0][0] < pf.n_quantum
        if plan is None or quantum:
            state["seen"].append(fastest)          # demand on the QPUs
        state["jobs"][job.id] = job
        if quantum and fastest > tau:
            state["why"] = (f"admission: {fastest:.3g} s on the fastest QPU exceeds the {tau:.3g} s the "
                            f"fleet can afford per job at the arrival rate seen so far")
            plan, _ = self._place(job, queues, state, exact=True, quantum=False)
        elif quantum and self.lookahead and len(state["jobs"]) > self.warmup and now > state["first"]:
            keep, drop = self._futures(job, plan, now, state)
            if 1 + keep < drop:
                state["why"] = (f"look-ahead: serving it leaves {keep:.2g} of the sampled future jobs served, "
                                f"rejecting it {drop:.2g}")
                plan, _ = self._place(job, queues, state, exact=True, quantum=False)
        if plan is None and self.evict and "why" not in state:
            moved = self._evict(job, now, state)
            if moved is not None:
                return moved
        if plan is None:
            state.setdefault("why", "no device is predicted to finish it by its deadline "
                                    "without making a queued job late")
            return []
        return self._commit(job, state, queues, plan)

    def _retry(self, job, now: float, state: dict, sent: list[Batch]) -> list[Batch]:
        """Step 6: jobs that found no room (``job`` if it did not, and the jobs withdrawn now)
        wait in ``state["pending"]``; when jobs were taken back, room grew, and the waiting
        jobs, smallest first, are placed, or (the first ``waiting_exchanges`` of them)
        exchanged in by step 5. A waiting job is dropped (stays rejected) once even an idle
        fleet could not finish it by its deadline. ``sent``: the batches sent so far at this
        arrival. Returns the batches of the jobs admitted late."""
        pending, taken = state["pending"], state.get("withdraw", {})
        ids = {b.job for b in sent}
        for v in [job.id] + list(taken):
            if v not in ids:
                pending[v] = state["jobs"][v]
        for v in [v for v, p in pending.items() if now + self._least_time(p, state) > p.deadline]:
            del pending[v]
        if not taken:
            return []         # room only grows when jobs are taken back
        out, queues = [], state["queues"]
        tries = self.waiting_exchanges
        for p in sorted(pending.values(), key=lambda p: self._least_time(p, state)):
            plan, _ = self._place(p, queues, state, exact=True)
            if plan is not None:
                got = self._commit(p, state, queues, plan)
            elif self.evict and tries > 0:
                tries -= 1
                frozen = ids | {b.job for b in out} | set(state.get("withdraw", {}))
                got = self._evict(p, now, state, keep=frozen) or []
            else:
                got = []
            if got:
                out += got
                placed = ids | {b.job for b in out}
                for v in [p.id] + list(state.get("withdraw", {})):
                    if v in placed:
                        pending.pop(v, None)
                    else:                      # taken back by this exchange: it waits in turn
                        pending.setdefault(v, state["jobs"][v])
        return out

    def _least_time(self, job, state: dict) -> float:
        """A lower bound on the seconds ``job`` needs on an empty fleet: its shots spread over
        every usable QPU at once (one overhead), or a classical worker."""
        per_shot, usable, over, _, t_cpu = self._costs(job, state)
        if not usable.any():
            return t_cpu
        return min(float(over[usable].min() + job.shots / np.sum(1.0 / per_shot[usable])), t_cpu)

    def _evict(self, job, now: float, state: dict, keep=()) -> list[Batch] | None:
        """Make room for ``job`` by taking back dispatched jobs (``state["withdraw"]``): each
        moves to devices where it still meets its deadline, or else is withdrawn. Taken: the
        exchange serving the most jobs, then freeing the most QPU time, among one job taken
        back (then two, ... up to ``evict``, while fewer serve no more); a plain swap only
        when it frees QPU time (earliest-finish exchange: the fleet frees sooner). A job in
        service is only taken back where the platform can abort it. Returns the batches
        sent, or None."""
        pf, queues = state["platform"], state["queues"]
        K = pf.n_quantum
        abortable = getattr(pf, "abortable", True)
        held: dict[int, float] = {}
        for q in queues[:K]:
            for v, sec in q.holds(now).items():
                held[v] = held.get(v, 0.0) + sec
        in_service = {q.running for q in queues[:K]}
        cands = [v for v in held if (abortable or v not in in_service) and v not in keep]
        best = None
        for size in range(1, self.evict + 1):
            for group in itertools.combinations(cands, size):
                trial = [q.copy() for q in queues]
                for v in group:
                    for q in trial:
                        q.remove(v, now)
                plan, _ = self._place(job, trial, state, exact=False)
                if plan is None or plan[0][0] >= K:
                    continue
                cost = sum(pf.run_time(job, k, shots) for k, shots, _ in plan)
                self._commit(job, state, trial, plan, record=False)
                moves = {}
                for v in sorted(group, key=lambda v: state["jobs"][v].deadline):
                    again, _ = self._place(state["jobs"][v], trial, state, exact=False)
                    if again is not None:
                        self._commit(state["jobs"][v], state, trial, again, record=False)
                        cost += sum(pf.run_time(state["jobs"][v], k, shots) for k, shots, _ in again if k < K)
                        moves[v] = again
                key = (1 + len(moves) - size, sum(held[v] for v in group) - cost)
                if key[0] < 0 or (key[0] == 0 and key[1] <= 0):
                    continue
                if best is None or key > best[0]:
                    best = (key, group, plan, moves)
            if best is not None and best[0][0] > 0:
                break
        if best is None:
            return None
        _, group, plan, moves = best
        for v in group:
            for q in queues:
                q.remove(v, now)
        out = self._commit(job, state, queues, plan)
        for v in sorted(group, key=lambda v: state["jobs"][v].deadline):
            if v in moves:
                out += self._commit(state["jobs"][v], state, queues, moves[v])
            state.setdefault("withdraw", {})[v] = (f"moved to make room for job {job.id}" if v in moves else
                                                   f"job {job.id} needs less QPU time than it still held")
        return out

    def _usable(self, job, k, pf) -> bool:
        return np.isfinite(pf.per_shot(job, k)) and (self.cut or pf.fragments(job, k) == 1)

    def _place(self, job, queues, state, exact: bool, quantum: bool = True):
        """Where ``job`` goes given ``queues``: ``([(device, shots, seconds or None)], fastest
        QPU seconds)``, plan ``None`` when nowhere in time. ``exact``: split by the MILP."""
        pf = state["platform"]
        K = pf.n_quantum
        per_shot, usable, over, fastest, t_cpu = self._costs(job, state)
        cpu = [w for w in range(K, K + pf.workers) if t_cpu <= queues[w].room(job.deadline)]
        cpu_plan = [(min(cpu, key=lambda i: queues[i].end), job.shots, t_cpu)] if cpu else None
        if cpu_plan and (t_cpu <= fastest or not quantum):
            return cpu_plan, fastest
        if not quantum or not usable.any():
            return cpu_plan, fastest
        room = np.array([queues[k].room(job.deadline) for k in range(K)])
        with np.errstate(invalid="ignore", divide="ignore"):
            cap = np.where(usable, np.floor(np.clip((room - over) / per_shot, 0, job.shots) + 1e-9), 0)
        cap = cap.astype(np.int64)
        whole = np.flatnonzero(cap >= job.shots)
        if len(whole):
            k = min(whole.tolist(), key=lambda i: (over[i] + per_shot[i] * job.shots, queues[i].end))
            if self.offload:   # idle slower QPUs take what they can by the deadline: the fast one frees sooner
                plan, left = [], job.shots
                for i in range(K):
                    if (i != k and cap[i] > 0 and pf.speed[i] < pf.speed[k] and not queues[i].waiting
                            and queues[i].end <= queues[k].end and left > 1):
                        take = int(min(cap[i], left - 1))
                        plan.append((i, take, None))
                        left -= take
                if plan:
                    return [(k, left, None)] + plan, fastest
            return [(k, job.shots, None)], fastest
        if self.split and cap.sum() >= job.shots:
            per = np.where(usable, per_shot, 1.0)
            shots = self._split(job, per, over, cap, state) if exact else _greedy_split(job.shots, per, cap)
            return [(int(k), int(shots[k]), None) for k in np.flatnonzero(shots > 0)], fastest
        return cpu_plan, fastest

    def _costs(self, job, state: dict) -> tuple:
        """``job``'s seconds per shot on each QPU (``inf`` where unusable), usable mask,
        overheads, fastest whole-job QPU time, classical time; cached for the current
        dispatch (a live platform's devices can fail between dispatches)."""
        cache = state.setdefault("costs", {})
        if job.id not in cache:
            pf = state["platform"]
            K = pf.n_quantum
            per_shot = np.array([pf.per_shot(job, k) for k in range(K)])
            usable = np.isfinite(per_shot) & np.array([self.cut or pf.fragments(job, k) == 1 for k in range(K)], bool)
            per_shot = np.where(usable, per_shot, np.inf)
            over = np.array([pf.overhead(k) for k in range(K)])
            fastest = float(np.min(over + per_shot * job.shots)) if K else math.inf
            cache[job.id] = (per_shot, usable, over, fastest, pf.classical(job) if self.fallback else math.inf)
        return cache[job.id]

    def _futures(self, job, plan, now: float, state: dict) -> tuple[float, float]:
        """Mean future jobs served with ``job`` placed by ``plan`` and without it, over
        ``lookahead`` sampled futures (the same futures for both)."""
        hist, rng = list(state["jobs"].values()), state["rng"]
        rate = len(hist) / (now - state["first"])
        windows = np.array([h.deadline - h.arrival for h in hist])
        horizon = job.deadline - now + float(np.median(windows))
        totals = np.zeros(2)
        for _ in range(self.lookahead):
            n = rng.poisson(rate * horizon)
            arrivals = now + np.sort(rng.uniform(0.0, horizon, n))
            picks = rng.integers(len(hist), size=n)
            futures = [replace(hist[p], arrival=a, deadline=a + float(windows[p]))
                       for p, a in zip(picks.tolist(), arrivals.tolist())]
            for side in (0, 1):
                qs = [q.copy() for q in state["queues"]]
                if side == 0:
                    self._commit(job, state, qs, plan, record=False)
                for f in futures:
                    for q in qs:
                        q.advance(f.arrival)
                    p, _ = self._place(f, qs, state, exact=False)
                    if p is not None:
                        self._commit(f, state, qs, p, record=False)
                        totals[side] += 1
        return totals[0] / self.lookahead, totals[1] / self.lookahead

    def _split(self, job, per_shot, over, cap, state) -> np.ndarray:
        import qbdsl as qb
        from qbdsl.problems.scheduling import shot_split_model

        m = shot_split_model(job.shots, per_shot, over, cap)
        try:
            r = qb.solve(m, backend=self.split_backend, time_limit=self.budget, **self.split_options)
            if r.feasible:
                return np.asarray(r.values["shots"], np.int64)
        except (ModelError, BackendError):
            pass
        return _greedy_split(job.shots, per_shot, cap)     # no answer in the budget

    def _commit(self, job, state, queues, plan, record: bool = True) -> list[Batch]:
        pf, out = state["platform"], []
        for k, shots, seconds in plan:
            quantum = k < pf.n_quantum
            dur = pf.run_time(job, k, shots) if quantum else seconds
            state["seq"] += 1
            queues[k].add(job.deadline, state["seq"], dur, job.id)
            if record:
                out.append(Batch(job.id, k, shots, pf.fragments(job, k) if quantum else 1, job.deadline))
        return out


def _greedy_split(shots: int, per_shot: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Cheapest seconds per shot first, each device up to its cap."""
    out, left = np.zeros(len(cap), np.int64), shots
    for k in np.argsort(per_shot, kind="stable").tolist():
        out[k] = min(cap[k], left)
        left -= out[k]
    return out


ALL = {p.name: p for p in (FCFS, RoundRobin, Random, LeastBusy, GreedyEarliest, EDF, FidelityAware, Qbdsl)}


def make(name: str, seed: int = 0) -> Policy:
    """A policy by name: one of :data:`ALL`, or an ablation of qbdsl such as
    ``"qbdsl-no-split"`` or ``"qbdsl-no-qip-no-cutting"`` (switches: split, qip, cutting, fallback,
    evict, defer)."""
    if name in ALL:
        return ALL[name](seed)
    if name.startswith("qbdsl-no-"):
        off = name[len("qbdsl-no-"):].split("-no-")
        keys = {"split": "split", "qip": "qip", "cutting": "cut", "fallback": "fallback", "evict": "evict",
                "defer": "defer"}
        if all(o in keys for o in off):
            return Qbdsl(seed, **{keys[o]: False for o in off})
    raise ModelError(f"unknown policy {name!r}; known: {', '.join(ALL)}, or qbdsl-no-<split|qip|cutting|fallback|evict|defer>")
