"""Live mode: real ``qb.solve`` calls on real problem instances, dispatched to a pool of
workers standing in for devices, under deadlines.

Each device is a one-worker executor running one backend. A job (a model or IR with an
arrival offset and a relative deadline) is dispatched when it arrives:
- ``"qip"``: the device whose predicted finish (its queue plus the QIP profile's predicted
  time for this instance on its backend) is earliest among those predicted to meet the
  deadline and able to take the instance; otherwise the job is rejected up front;
- ``"round-robin"``: the next device that can take the instance, in turn.
A device whose worker fails (an exception, or a dead worker process) gets its job retried on
another device while the deadline allows; otherwise the job is reported ``missed`` with the
error. No job is lost silently: every job ends ``served``, ``late``, ``rejected`` or ``missed``.
"""
from __future__ import annotations

import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import ModelError


@dataclass
class LiveJob:
    name: str
    model: object
    arrival: float            # seconds after the start
    deadline: float           # seconds after arrival


@dataclass
class Device:
    name: str
    backend: str
    options: dict = field(default_factory=dict)


@dataclass
class LiveOutcome:
    job: str
    device: str | None
    status: str               # served | late | rejected | missed
    seconds: float            # from arrival to the answer (nan if none)
    objective: float | None
    attempts: list


def _solve(model, backend, options, time_limit):
    import qbdsl as qb

    return qb.solve(model, backend=backend, time_limit=time_limit, seed=0, **options)


def run_live(jobs: list[LiveJob], devices: list[Device], policy: str = "qip", time_scale: float = 1.0,
             executors: dict[str, Executor] | None = None) -> list[LiveOutcome]:
    """Run the trace in real time (arrivals scaled by ``time_scale``); returns one outcome per job."""
    from ..qip.features import features
    from ..qip.profiles import load_profiles

    if policy not in ("qip", "round-robin"):
        raise ModelError(f"unknown live policy {policy!r}; choose 'qip' or 'round-robin'")
    if not devices:
        raise ModelError("live mode needs at least one device")
    profiles, _ = load_profiles()
    pools = executors or {d.name: ThreadPoolExecutor(max_workers=1) for d in devices}
    free_at = {d.name: 0.0 for d in devices}
    rr = [0]
    t0 = time.perf_counter()
    now = lambda: time.perf_counter() - t0  # noqa: E731
    pending = []   # (job, device, future, submitted, attempts)
    outcomes: dict[str, LiveOutcome] = {}

    feats: dict[str, object] = {}

    def predicted(job, dev):
        prof = profiles.get(dev.backend)
        if prof is None:
            return None
        f = feats.get(job.name)
        if f is None:
            f = feats[job.name] = features(job.model)
        ok, _ = prof.fits(f)
        return prof.predict_time(f) if ok else None

    def choose(job, exclude=()):
        cands = [d for d in devices if d.name not in exclude]
        if policy == "round-robin":
            takes = [d for d in cands if predicted(job, d) is not None]
            if not takes:
                return None
            d = takes[rr[0] % len(takes)]
            rr[0] += 1
            return d
        best, best_end = None, None
        for d in cands:
            t = predicted(job, d)
            if t is None:
                continue
            end = max(now(), free_at[d.name]) + t
            if end <= job.arrival * time_scale + job.deadline and (best_end is None or end < best_end):
                best, best_end = d, end
        return best

    def submit(job, dev, attempts):
        t = predicted(job, dev) or 0.0
        free_at[dev.name] = max(now(), free_at[dev.name]) + t
        remaining = max(1e-3, job.arrival * time_scale + job.deadline - now())
        fut = pools[dev.name].submit(_solve, job.model, dev.backend, dev.options, remaining)
        pending.append((job, dev, fut, attempts))

    try:
        for job in sorted(jobs, key=lambda j: j.arrival):
            wait = job.arrival * time_scale - now()
            if wait > 0:
                time.sleep(wait)
            dev = choose(job)
            if dev is None:
                outcomes[job.name] = LiveOutcome(job.name, None, "rejected", float("nan"), None, [])
                continue
            submit(job, dev, [])
        while pending:
            job, dev, fut, attempts = pending.pop(0)
            try:
                r = fut.result()
                took = now() - job.arrival * time_scale
                status = "served" if took <= job.deadline and r.feasible else "late" if r.feasible else "missed"
                outcomes[job.name] = LiveOutcome(job.name, dev.name, status, took, r.objective, attempts)
            except Exception as exc:   # a failed or dead worker: retry elsewhere, or report the miss
                attempts = attempts + [f"{dev.name}: {type(exc).__name__}: {exc}"]
                if getattr(pools[dev.name], "_broken", False):   # a dead worker process breaks its pool
                    pools[dev.name] = type(pools[dev.name])(max_workers=1)
                retry = choose(job, exclude={dev.name} | {a.split(":")[0] for a in attempts})
                if retry is not None and now() < job.arrival * time_scale + job.deadline:
                    submit(job, retry, attempts)
                else:
                    outcomes[job.name] = LiveOutcome(job.name, dev.name, "missed", float("nan"), None, attempts)
    finally:
        if executors is None:
            for p in pools.values():
                p.shutdown(wait=True)
    return [outcomes[j.name] for j in jobs]
