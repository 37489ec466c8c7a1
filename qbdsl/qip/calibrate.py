"""``qbdsl calibrate``: re-measure the local backends on a ladder of instance sizes and refit
their time models (``t = a + b * work``, least squares with a, b >= 0).

With ``rows_out``, it also records cost-model rows: every backend on every ladder instance it
takes, under each deadline of a list, one row per run in the schema of
:data:`ROW_COLUMNS` (the benchmark harness writes the same schema), which
:func:`qbdsl.qip.costmodel.fit` trains on.
"""

from __future__ import annotations

import math
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from ..ir.qubo import QuboIR
from ..ir.terms import QuboTerms
from .features import Features, features
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


def calibrate(
    quick: bool = False,
    progress=None,
    backends=None,
    rows_out=None,
    deadlines: tuple[float, ...] | None = None,
) -> tuple[dict[str, Profile], list[dict]]:
    """Measure, fit, and return (profiles, measurements); profiles not measured are kept as shipped.

    The QPU devices of the ``dwave`` and ``ibm`` backends have no profile to fit: QIP judges them
    from their own timing and calibration data (:mod:`qbdsl.qip.devices`).

    Parameters
    ----------
    quick : bool, default False
        The short ladder (:data:`QUICK`) instead of :data:`LADDER`.
    progress : callable, optional
        ``progress(done, total, label)`` after each solve.
    backends : sequence of str, optional
        Backends to measure (default: every one in the ladder).
    rows_out : str or Path, optional
        Also record cost-model rows (:func:`measure_rows` on :func:`ladder_instances`, each
        measured backend under each of ``deadlines``) and write them as CSV here (atomically;
        the path is checked before any work).
    deadlines : tuple of float, optional
        Deadlines in seconds for the rows; default ``(0.05, 0.5, 2.0)``, ``(0.05, 0.5)`` when quick.

    Returns
    -------
    profiles : dict of str to Profile
    measurements : list of dict
        ``{"backend", "size", "seconds"}`` per ladder run.

    Raises
    ------
    ModelError
        ``rows_out`` cannot be written.
    """
    from ..io.atomic import check_output
    from ..solve import solve

    if rows_out is not None:
        check_output(rows_out)

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
    if rows_out is not None:
        dl = tuple(deadlines) if deadlines is not None else ((0.05, 0.5) if quick else (0.05, 0.5, 2.0))
        cost_rows = measure_rows(ladder_instances(quick, names), names, dl, progress=progress)
        write_rows(rows_out, cost_rows)
    return profiles, rows


# ---- cost-model rows ------------------------------------------------------------------------

FEATURE_COLUMNS = [f"f_{f.name}" for f in fields(Features)]
ROW_COLUMNS = [
    "family",
    "instance",
    "deadline",
    "backend",
    "seconds",
    "objective",
    "feasible",
    "status",
    "best_known",
    "quality",
    *FEATURE_COLUMNS,
]


def ladder_instances(quick: bool = False, backends=None) -> dict[str, tuple[str, object]]:
    """The calibration ladder's instances for cost-model rows: ``{name: (family, instance)}``.

    Random QUBOs at every QUBO size of the ladder of the ``backends`` (family
    ``calib-qubo``) and, when OR-Tools is among them, its knapsack MILPs (family
    ``calib-knapsack``), built as :func:`calibrate` builds them.
    """
    ladder = QUICK if quick else LADDER
    names = list(backends or ladder)
    qubo_sizes = sorted({n for b in names if b != "ortools" for n in ladder[b]})
    out: dict[str, tuple[str, object]] = {f"calib-qubo-{n}": ("calib-qubo", _instance("anneal", n)) for n in qubo_sizes}
    if "ortools" in names:
        for n in ladder["ortools"]:
            out[f"calib-knapsack-{n}"] = ("calib-knapsack", _instance("ortools", n))
    return out


def _sense(obj) -> str:
    return getattr(obj, "sense", None) or getattr(getattr(obj, "source", None), "sense", None) or "min"


def run_quality(objective: float, feasible: bool, best: float, sense: str) -> float:
    """Quality of one answer in [0, 1]: ``1 - gap`` to ``best`` (``gap = max(0, worse by) /
    max(1, |best|)``), 0 for an infeasible or missing answer or an unknown ``best``."""
    if not feasible or not math.isfinite(objective) or not math.isfinite(best):
        return 0.0
    sign = 1.0 if sense == "min" else -1.0
    gap = max(0.0, sign * (objective - best)) / max(1.0, abs(best))
    return max(0.0, 1.0 - gap)


def measure_rows(
    instances: dict[str, tuple[str, object]],
    backends,
    deadlines,
    *,
    seed: int = 0,
    best_known: dict[str, float] | None = None,
    progress=None,
) -> list[dict]:
    """Solve every instance with every backend under every deadline; one cost-model row per run.

    Parameters
    ----------
    instances : dict of str to (str, object)
        ``{name: (family, Model or IR)}``.
    backends : sequence of str
        Backend names for :func:`qbdsl.solve`, each run with its default work
        (:data:`qbdsl.qip.profiles.DEFAULT_WORK`) and ``time_limit=deadline``.
    deadlines : sequence of float
        Deadlines in seconds.
    seed : int, default 0
        Passed to every solve.
    best_known : dict of str to float, optional
        Best known objective per instance; where absent, the best feasible objective any run
        found (so quality is relative to the best answer seen).
    progress : callable, optional
        ``progress(done, total, label)`` after each solve.

    Returns
    -------
    list of dict
        Rows keyed by :data:`ROW_COLUMNS`. A backend that raised a ``BackendError`` or
        ``ModelError`` gets a row with status ``"cannot: <error>"``, NaN seconds and quality 0;
        one that raised a ``TimeLimitError`` (refused as too slow, or cut with nothing back)
        gets status ``"time_limit: <error>"``, its wall time and quality 0.
    """
    from ..errors import BackendError, ModelError, TimeLimitError
    from ..solve import solve
    from .profiles import DEFAULT_WORK

    rows: list[dict] = []
    total = len(instances) * len(backends) * len(deadlines)
    done = 0
    for name, (family, obj) in instances.items():
        feats = {f"f_{k}": v for k, v in features(obj).as_dict().items()}
        start = len(rows)
        for deadline in deadlines:
            for b in backends:
                t = time.perf_counter()
                try:
                    r = solve(obj, backend=b, time_limit=deadline, seed=seed, **DEFAULT_WORK.get(b, {}))
                    dt = time.perf_counter() - t
                    objective = float(r.objective) if r.sample is not None else math.nan
                    row = {"seconds": dt, "objective": objective, "feasible": bool(r.feasible), "status": str(r.status)}
                except TimeLimitError as exc:  # refused or cut with nothing back: late, not unable
                    msg = " ".join(str(exc).split())[:80]
                    dt = time.perf_counter() - t
                    row = {"seconds": dt, "objective": math.nan, "feasible": False, "status": f"time_limit: {msg}"}
                except (BackendError, ModelError) as exc:
                    msg = " ".join(str(exc).split())[:80]
                    row = {"seconds": math.nan, "objective": math.nan, "feasible": False, "status": f"cannot: {msg}"}
                rows.append(
                    {"family": family, "instance": name, "deadline": float(deadline), "backend": b, **row, **feats}
                )
                done += 1
                if progress:
                    progress(done, total, f"{name} / {b} / {deadline:g} s")
        sense = _sense(obj)
        mine = rows[start:]
        found = [r["objective"] for r in mine if r["feasible"] and math.isfinite(r["objective"])]
        best = (best_known or {}).get(name)
        if best is None:
            best = (min(found) if sense == "min" else max(found)) if found else math.nan
        for r in mine:
            r["best_known"] = best
            r["quality"] = run_quality(r["objective"], r["feasible"], best, sense)
    return [{k: r[k] for k in ROW_COLUMNS} for r in rows]


def write_rows(path, rows: list[dict]) -> Path:
    """Write cost-model rows as CSV with the :data:`ROW_COLUMNS` header (atomically)."""
    from ..io.atomic import write_csv

    return write_csv(path, ROW_COLUMNS, rows)
