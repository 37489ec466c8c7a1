"""Live mode: the orchestration policies dispatch real ``qb.solve`` calls on real problem
instances to devices (workers running one backend each), under deadlines.

The policies are the simulator's plug-ins (:mod:`qbdsl.orchestrate.policies`), unchanged:
they see the devices through :class:`LivePlatform`, whose time prediction for a job on a
device is the QIP profile's predicted time of that instance on the device's backend
(``inf`` where the backend cannot take it, or the device failed). Each device serves its
queue one job at a time in the policy's priority order (qip-edf: earliest deadline first).
A device whose worker fails gets its job re-dispatched by the policy to the other devices
while the deadline allows; otherwise the job is reported ``missed`` with the error. No job
is lost silently: every job ends ``served``, ``late``, ``rejected`` or ``missed``. A policy
may withdraw a job still waiting in a device's queue (a solve in progress is never aborted):
it is moved to the device the policy names, or reported ``rejected`` with the reason. A job
rejected (or withdrawn) that the policy admits at a later arrival, when room opened, is sent
then; its attempts say so.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from .model import Job


@dataclass
class LiveJob:
    """A job of live mode: a qbdsl model to solve, arriving ``arrival`` seconds after the start
    and due ``deadline`` seconds after its arrival."""

    name: str
    model: object
    arrival: float  # seconds after the start
    deadline: float  # seconds after arrival


@dataclass
class Device:
    """A live device: a backend by name (:func:`qbdsl.backends.get`) with its options."""

    name: str
    backend: str
    options: dict = field(default_factory=dict)


@dataclass
class LiveOutcome:
    """What happened to one live job: the device that answered, the status, seconds from
    arrival to the answer, the objective of the answer, every attempt, and why when not served."""

    job: str
    device: str | None
    status: str  # served | late | rejected | missed
    seconds: float  # from arrival to the answer (nan if none)
    objective: float | None
    attempts: list
    reason: str = ""


class LivePlatform:
    """The devices as the policies see them: QIP-predicted seconds per job, no classical
    workers beside them (every device is a backend), one "shot" per job."""

    workers = 0
    abortable = False  # a solve in progress runs to its end; only waiting jobs can be withdrawn

    def __init__(self, devices: list[Device], models: list, profiles: dict):
        from ..qip.features import features

        self.devices, self.profiles = devices, profiles
        self.n_quantum = len(devices)
        self.speed = np.ones(len(devices))
        self.down: set[int] = set()  # failed devices
        self.cannot: set[tuple[int, int]] = set()  # (job, device): the backend refused the instance
        self._features = [features(m) for m in models]

    def per_shot(self, job: Job, k: int) -> float:
        """Seconds the QIP profile predicts for ``job`` on device ``k`` (``inf`` when it cannot run there)."""
        prof = self.profiles.get(self.devices[k].backend)
        if prof is None or k in self.down or (job.id, k) in self.cannot:
            return math.inf
        f = self._features[job.id]
        ok, _ = prof.fits(f)
        return prof.predict_time(f, self.devices[k].options) if ok else math.inf

    def qubits(self, k: int) -> int:
        """0: every device is wide enough."""
        return 0  # live jobs are models, not circuits: every device is wide enough

    def device_state(self, k: int):
        """``None``: the policy predicts its own queues."""
        return None  # the policy predicts its queues (a solve's end is not known before it)

    def overhead(self, k: int) -> float:
        """0: no per-batch overhead."""
        return 0.0

    def fragments(self, job: Job, k: int) -> int:
        """1: live jobs are never cut."""
        return 1

    def fidelity(self, job: Job, k: int) -> float:
        """The QIP profile's predicted answer quality of ``job`` on device ``k`` (0 without a profile)."""
        prof = self.profiles.get(self.devices[k].backend)
        return prof.predict_quality(self._features[job.id]) if prof is not None else 0.0

    def classical(self, job: Job) -> float:
        """``inf``: no classical workers beside the devices."""
        return math.inf

    def run_time(self, job: Job, k: int, shots: int) -> float:
        """Predicted seconds for ``job`` on device ``k`` (one shot is one solve)."""
        return shots * self.per_shot(job, k)


class _DeviceWorker:
    """One device: a thread running its queue one call at a time, lowest priority first."""

    def __init__(self, name: str):
        self._heap: list = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"device-{name}", daemon=True)
        self._thread.start()

    def submit(self, priority: float, fn, *args) -> Future:
        fut: Future = Future()
        with self._cv:
            heapq.heappush(self._heap, (priority, next(self._seq), fut, fn, args))
            self._cv.notify()
        return fut

    def _run(self):
        while True:
            with self._cv:
                while not self._heap and not self._stop:
                    self._cv.wait()
                if not self._heap:
                    return
                _, _, fut, fn, args = heapq.heappop(self._heap)
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(*args))
                except BaseException as exc:  # noqa: BLE001 - reported back to the dispatcher
                    fut.set_exception(exc)

    def shutdown(self):
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join()


def _solve(model, backend, options, time_limit, clock):
    import qbdsl as qb

    r = qb.solve(model, backend=backend, time_limit=time_limit, seed=0, **options)
    return r, clock()


def run_live(
    jobs: list[LiveJob],
    devices: list[Device],
    policy="qip-edf",
    time_scale: float = 1.0,
    seed: int = 0,
    profiles: dict | None = None,
) -> list[LiveOutcome]:
    """Run the trace in real time (arrivals scaled by ``time_scale``) under ``policy`` (a name
    from :data:`qbdsl.orchestrate.POLICIES`, or a policy object); returns one outcome per job,
    in order.

    ``profiles`` are the QIP profiles behind the predictions (default: the saved calibrated
    ones, else the shipped ones).

    Raises
    ------
    ModelError
        When ``devices`` is empty or their names repeat, or ``policy`` is an unknown name.
    """
    from ..qip.profiles import load_profiles
    from .policies import make

    if not devices:
        raise ModelError("live mode needs at least one device")
    if len({d.name for d in devices}) < len(devices):
        raise ModelError(f"device names must be unique: {[d.name for d in devices]}")
    pol = make(policy, seed) if isinstance(policy, str) else policy
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].arrival)
    sim_jobs = [
        Job(i, 0, 0, 1, j.arrival * time_scale, j.arrival * time_scale + j.deadline) for i, j in enumerate(jobs)
    ]
    platform = LivePlatform(devices, [j.model for j in jobs], profiles or load_profiles()[0])
    state = pol.start(platform)
    workers = [_DeviceWorker(d.name) for d in devices]
    t0 = time.perf_counter()
    now = lambda: time.perf_counter() - t0  # noqa: E731
    pending: dict = {}  # future -> (job index, device index, attempts)
    queued: dict = {}  # job index -> its latest future (a policy may withdraw it while it waits)
    outcomes: dict[int, LiveOutcome] = {}
    why_rejected: dict[int, str] = {}

    def submit(i: int, b, attempts: list) -> None:
        remaining = max(1e-3, sim_jobs[i].deadline - now())
        d = devices[b.qpu]
        fut = workers[b.qpu].submit(b.priority, _solve, jobs[i].model, d.backend, d.options, remaining, now)
        pending[fut] = (i, b.qpu, attempts)
        queued[i] = fut

    def dispatch(i: int, attempts: list) -> bool:
        d = pol.dispatch(sim_jobs[i], now(), state)
        why_rejected[i] = d.why or f"{pol.name}: no device can take it"
        for v, why in d.withdraw.items():
            fut = queued.get(v)
            if fut is None or not fut.cancel():  # already solving: a running solve is not aborted
                continue
            _, k, v_attempts = pending.pop(fut)
            again = [b for b in d.batches if b.job == v]
            if again:
                submit(v, again[0], v_attempts + [f"{devices[k].name}: moved, {why}"])
            else:
                outcomes[v] = LiveOutcome(
                    jobs[v].name,
                    None,
                    "rejected",
                    float("nan"),
                    None,
                    v_attempts,
                    f"{pol.name}: withdrawn from {devices[k].name}, {why}",
                )
        for v in dict.fromkeys(b.job for b in d.batches if b.job != i and b.job not in d.withdraw):
            if v in outcomes and outcomes[v].status == "rejected":  # waited for room: admitted late
                late = outcomes.pop(v)
                submit(v, next(b for b in d.batches if b.job == v), late.attempts + [f"admitted late ({late.reason})"])
        mine = [b for b in d.batches if b.job == i]
        if not mine:
            return False
        submit(i, mine[0], attempts)
        return True

    def collect(timeout: float | None) -> None:
        """Handle every answer (or failure) that comes within ``timeout`` seconds."""
        done, _ = wait(list(pending), timeout=timeout, return_when=FIRST_COMPLETED)
        for fut in done:
            i, k, attempts = pending.pop(fut)
            job = jobs[i]
            try:
                r, finished = fut.result()
                took = finished - sim_jobs[i].arrival
                status = "served" if took <= job.deadline and r.feasible else "late" if r.feasible else "missed"
                outcomes[i] = LiveOutcome(job.name, devices[k].name, status, took, r.objective, attempts)
            except Exception as exc:  # re-dispatched elsewhere, or reported missed
                attempts = attempts + [f"{devices[k].name}: {type(exc).__name__}: {exc}"]
                if isinstance(exc, ModelError):  # this instance does not suit that backend
                    platform.cannot.add((i, k))
                else:  # the device failed: out of service
                    platform.down.add(k)
                if not (now() < sim_jobs[i].deadline and dispatch(i, attempts)):
                    outcomes[i] = LiveOutcome(
                        job.name,
                        devices[k].name,
                        "missed",
                        float("nan"),
                        None,
                        attempts,
                        "no other device could take it in time",
                    )

    try:
        for i in order:
            while (wait_s := sim_jobs[i].arrival - now()) > 0:
                if pending:
                    collect(wait_s)
                else:
                    time.sleep(wait_s)
            if not dispatch(i, []):
                outcomes[i] = LiveOutcome(jobs[i].name, None, "rejected", float("nan"), None, [], why_rejected[i])
        while pending:
            collect(None)
    finally:
        for w in workers:
            w.shutdown()
    return [outcomes[i] for i in range(len(jobs))]


def demo_devices() -> list[Device]:
    """Three local devices: exact enumeration, OR-Tools MILP, simulated annealing."""
    return [Device("cpu-exact", "exact"), Device("cpu-milp", "ortools"), Device("sa", "anneal")]


def demo_jobs() -> list[LiveJob]:
    """Library instances on shipped data arriving over 0.3 s, one with a hopeless deadline."""
    from ..problems.catalog import build

    return [
        LiveJob("ran.sum-rate 6 links", build("ran.sum-rate", "6"), 0.0, 10.0),
        LiveJob("min-mlu Abilene", build("routing.min-mlu", "repetita:Abilene"), 0.05, 10.0),
        LiveJob("kpath Abilene", build("routing.kpath", "repetita:Abilene", {"k": "2", "demands": "6"}), 0.1, 10.0),
        LiveJob("ran.min-power 4 links", build("ran.min-power", "4"), 0.2, 10.0),
        LiveJob("min-mlu Abilene (1 ms)", build("routing.min-mlu", "repetita:Abilene"), 0.3, 1e-3),
    ]
