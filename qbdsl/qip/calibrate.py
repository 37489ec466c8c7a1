"""``qbdsl calibrate``: re-measure the local backends on a ladder of instance sizes and refit
their time models (``t = a + b * work``, least squares with a, b >= 0)."""

from __future__ import annotations

import time

import numpy as np

from ..ir.qubo import QuboIR
from ..ir.terms import QuboTerms
from .features import features
from .profiles import Profile, _work, default_profiles, machine

LADDER = {
    "exact": [12, 16, 18, 20, 22],
    "anneal": [20, 50, 100, 200],
    "tabu": [20, 50],
    "qaoa": [8, 10, 12, 14],
    "ortools": [10, 20, 40, 80],
}
QUICK = {k: v[:2] for k, v in LADDER.items()}
RUN_OPTIONS = {
    "anneal": {"num_reads": 20, "num_sweeps": 200},
    "tabu": {"num_reads": 2, "timeout": 50},
    "qaoa": {"maxiter": 20, "restarts": 1},
    "ortools": {},
    "exact": {},
}


def _instance(backend: str, n: int, seed: int = 0):
    """A random QUBO (a knapsack-like MILP for OR-Tools) of size n."""
    rng = np.random.default_rng(seed + n)
    if backend == "ortools":
        import qbdsl as qb

        m = qb.Model(f"calib-{n}")
        x = m.binary("x", n)
        w = rng.integers(1, 20, (4, n))
        m.add((w * x).sum(axis=1) <= w.sum(axis=1) // 3, name="cap")
        m.maximize((rng.integers(1, 30, n) * x).sum())
        return m
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < min(1.0, 6.0 / n)
    return QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), iu[0][keep], iu[1][keep], rng.normal(size=int(keep.sum())))
    )


def _fit(work: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    from scipy.optimize import nnls

    if np.ptp(work) == 0:  # one work level (tabu: reads x timeout): all of it is per-work cost
        return 0.0, float(np.mean(seconds) / max(work[0], 1e-300))
    A = np.stack([np.ones_like(work), work], 1)
    scale = np.maximum(seconds, 1e-4)  # relative error: small runs count too
    (a, b), _ = nnls(A / scale[:, None], seconds / scale)
    return float(a), float(b)


def calibrate(quick: bool = False, progress=None, backends=None) -> tuple[dict[str, Profile], list[dict]]:
    """Measure, fit, and return (profiles, measurements); profiles not measured are kept as shipped.

    The QPU devices of the ``dwave`` and ``ibm`` backends have no profile to fit: QIP judges them
    from their own timing and calibration data (:mod:`qbdsl.qip.devices`).
    """
    from ..solve import solve

    ladder = QUICK if quick else LADDER
    names = list(backends or ladder)
    total = sum(len(ladder[b]) for b in names)
    profiles = default_profiles()
    rows: list[dict] = []
    done = 0
    for b in names:
        work, secs = [], []
        for n in ladder[b]:
            obj = _instance(b, n)
            opts = RUN_OPTIONS[b]
            if n == ladder[b][0]:
                solve(obj, backend=b, seed=0, **opts)  # warm-up: imports and caches
            t = time.perf_counter()
            solve(obj, backend=b, seed=0, **opts)
            dt = time.perf_counter() - t
            # b is seconds per unit of work, and work counts reads, sweeps, restarts...,
            # so a fit on light options carries over to the defaults
            work.append(_work(b, features(obj), opts))
            secs.append(dt)
            rows.append({"backend": b, "size": n, "seconds": dt})
            done += 1
            if progress:
                progress(done, total, f"{b} n={n}")
        a, slope = _fit(np.array(work), np.array(secs))
        p = profiles[b]
        profiles[b] = Profile(
            p.name,
            p.accepts,
            a,
            slope,
            p.exact,
            p.max_variables,
            p.remote,
            p.quality_slope,
            p.size_slope,
            p.description,
            {"machine": machine(), "sizes": ladder[b], "seconds": secs},
        )
    return profiles, rows
