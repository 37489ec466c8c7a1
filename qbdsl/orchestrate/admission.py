"""Admission rules tried on top of :class:`~qbdsl.orchestrate.deadline.QipEdf` that did not
help (README, "Orchestration"), kept so the measurement can be repeated.

:class:`SampledAdmission` turns away a job that fits, once ``warmup`` jobs have been seen:
with ``target`` it caps the job size (serving the smallest jobs first, the arrival rate seen
fills ``target`` x the fleet's capacity); with ``lookahead = M`` it samples M futures (Poisson
at the arrival rate seen so far, jobs drawn from those seen) and replays them through the same
placement with and without this job, admitting it when serving it plus the futures served
with it is at least the futures served without it (common random numbers, seeded).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .deadline import QipEdf


class SampledAdmission(QipEdf):
    """:class:`~qbdsl.orchestrate.deadline.QipEdf` with an admission rule (module docstring).

    Parameters
    ----------
    seed : int
        Seeds the sampled futures.
    target : float, optional
        Fraction of the fleet's capacity the admitted jobs may fill; ``None``: no size cap.
    lookahead : int
        Sampled futures M per decision (0: none).
    warmup : int
        Jobs seen before either rule turns one away.
    **kw
        Passed to :class:`~qbdsl.orchestrate.deadline.QipEdf`.
    """

    def __init__(self, seed: int = 0, target: float | None = None, lookahead: int = 0, warmup: int = 8, **kw):
        super().__init__(seed, **kw)
        self.target, self.lookahead, self.warmup = target, lookahead, warmup
        self.name += "".join([f"+target{target:g}" if target else "", f"+lookahead{lookahead}" if lookahead else ""])

    def start(self, platform):
        """QipEdf's state plus the jobs seen (fastest QPU seconds) and the fleet's capacity."""
        state = super().start(platform)
        state["seen"] = []  # fastest QPU time of every job seen so far
        state["first"] = None
        speed = np.asarray(platform.speed, dtype=float)
        finite = speed[np.isfinite(speed)]
        # in fastest-QPU equivalents; an annealer (infinite CLOPS: depth-independent) counts as one
        state["capacity"] = float(np.minimum(speed / finite.max(), 1.0).sum()) if finite.size else float(len(speed))
        return state

    def threshold(self, now: float, state: dict) -> float:
        """The largest job (fastest QPU seconds) worth admitting at the arrival rate seen."""
        seen = state["seen"]
        if self.target is None or len(seen) < self.warmup or now <= state["first"]:
            return math.inf
        c = np.sort(seen)
        rate = len(c) / (now - state["first"])
        demand = rate * np.cumsum(c) / len(c)  # QPU-seconds per second from jobs up to c[i]
        fits = np.flatnonzero(demand <= self.target * state["capacity"])
        return math.inf if len(fits) == len(c) else (float(c[fits[-1]]) if len(fits) else float(c[0]))

    def screen(self, job, plan, fastest, now, state):
        """``(plan, "")`` to admit ``job``, ``(None, why)`` to turn it away (see the module docstring)."""
        if state["first"] is None:
            state["first"] = now
        state["seen"].append(fastest)
        tau = self.threshold(now, state)
        if fastest > tau:
            return None, (
                f"admission: {fastest:.3g} s on the fastest QPU exceeds the {tau:.3g} s the fleet can "
                "afford per job at the arrival rate seen so far"
            )
        if self.lookahead and len(state["jobs"]) > self.warmup and now > state["first"]:
            keep, drop = self._futures(job, plan, now, state)
            if 1 + keep < drop:
                return None, (
                    f"look-ahead: serving it leaves {keep:.2g} of the sampled future jobs served, "
                    f"rejecting it {drop:.2g}"
                )
        return plan, ""

    def _futures(self, job, plan, now: float, state: dict) -> tuple[float, float]:
        """Mean future jobs served with ``job`` placed by ``plan`` and without it."""
        hist, rng = list(state["jobs"].values()), state["rng"]
        rate = len(hist) / (now - state["first"])
        windows = np.array([h.deadline - h.arrival for h in hist])
        horizon = job.deadline - now + float(np.median(windows))
        totals = np.zeros(2)
        for _ in range(self.lookahead):
            n = rng.poisson(rate * horizon)
            arrivals = now + np.sort(rng.uniform(0.0, horizon, n))
            picks = rng.integers(len(hist), size=n)
            futures = [
                replace(hist[p], arrival=a, deadline=a + float(windows[p]))
                for p, a in zip(picks.tolist(), arrivals.tolist())
            ]
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
