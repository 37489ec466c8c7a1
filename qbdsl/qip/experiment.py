"""``qbdsl experiment qip``: judge the policy against an oracle that knows every backend's
real outcome.

Every backend runs on every instance of a suite (problem-library instances at several sizes
and random QUBOs, none of them used by calibration) under the deadline as its time limit.
A run's quality is ``1 - gap`` to the best objective any backend found (0 for an
infeasible or missing answer). The oracle picks, per instance, the best quality among the
runs that met the deadline, then the fastest. A policy is scored by the quality and time of
the run it would have picked, relative to the oracle's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BackendError, ModelError

LOCAL = ("exact", "anneal", "tabu", "qaoa", "ortools")
QUANTUM = ("qaoa",)


@dataclass
class Run:
    """One solve of the evaluation: an instance, a backend, and what came back.

    Attributes
    ----------
    instance, backend : str
    seconds : float
        Wall time of the ``qb.solve`` call, in seconds.
    objective : float
        The best sample's objective (NaN without a sample).
    feasible : bool
    status : str
        The result's status, or ``"cannot: ..."`` with the error for a backend that raised
    (``seconds`` and ``objective`` are NaN then).
    """

    instance: str
    backend: str
    seconds: float
    objective: float
    feasible: bool
    status: str


def suite(quick: bool = False) -> dict[str, object]:
    """Named instances (models or QUBOs); seeds differ from calibration's."""
    import qbdsl as qb
    from qbdsl.ir.terms import QuboTerms
    from qbdsl.problems import data, ran, routing, scheduling, slicing

    out: dict[str, object] = {}
    sizes = (10, 18) if quick else (10, 14, 18, 22, 30, 60)
    for n in sizes:
        for seed in (101,) if quick else (101, 102):
            rng = np.random.default_rng(seed * 1000 + n)
            iu = np.triu_indices(n, 1)
            keep = rng.random(len(iu[0])) < min(1.0, 4.0 / n + 0.1)
            out[f"qubo-{n}-{seed}"] = qb.QuboIR.from_terms(
                QuboTerms.from_coo(
                    n,
                    rng.integers(-8, 9, n).astype(float),
                    iu[0][keep],
                    iu[1][keep],
                    rng.integers(-5, 6, int(keep.sum())).astype(float),
                )
            )
    net = data.repetita("Abilene")
    for d in (4,) if quick else (4, 8, 16):
        out[f"kpath-abilene-{d}"] = routing.kpath_routing(net, k=2, demands=np.arange(0, 110, 11)[:d])
    for k in (4,) if quick else (4, 6, 10):
        out[f"ran-sumrate-{k}"] = ran.sum_rate_qubo(ran.umi_channels(k, seed=50 + k))
    if not quick:
        out["ran-minpower-8"] = ran.min_power(ran.umi_channels(8, seed=7, area=2000), 1.0)
        g = data.grid(1, 3)
        g.capacity[:] = 4.0
        out["slicing-small"] = slicing.slice_placement(
            g,
            slicing.random_slices(2, seed=3, length=(2, 2), cpu=(1, 3)),
            4.0,
            node_cost=[0.5, 0.1, 0.3],
            link_capacity=False,
            bandwidth_cost=0.25,
        )
        out["min-mlu-nsfnet"] = routing.min_mlu(data.repetita("Nsfnet"))
        fleet = scheduling.default_fleet()
        out["scheduling-12"] = scheduling.schedule_model(scheduling.random_jobs(12, seed=9, horizon=15), fleet, 0.5)
    return out


def run_all(instances: dict, deadline: float, backends=LOCAL, progress=None, seed: int = 0) -> list[Run]:
    """Solve every instance with every backend under one time limit, one after another.

    Parameters
    ----------
    instances : dict of str to Model or QuboIR
        As :func:`suite` gives them.
    deadline : float
        Each solve's ``time_limit``, in seconds.
    backends : sequence of str, default LOCAL
        Backend names for :func:`qbdsl.solve`, each run on every instance in this order;
        :data:`LOCAL` is ``("exact", "anneal", "tabu", "qaoa", "ortools")``.
    progress : callable, optional
        Called after each solve as ``progress(done, total, "instance / backend")``.
    seed : int, default 0
        Passed as ``seed`` to every solve, so the stochastic backends repeat their runs.

    Returns
    -------
    list of Run
        One per (instance, backend); a backend that raised a ``BackendError`` or ``ModelError``
        gets a run with the error in its status.
    """
    import qbdsl as qb

    from .profiles import DEFAULT_WORK

    runs = []
    total = len(instances) * len(backends)
    done = 0
    for name, obj in instances.items():
        for b in backends:
            t = time.perf_counter()
            try:
                # each backend's default work (what its profile predicts and what the policy
                # runs), cut by the deadline; anneal and tabu would otherwise fill it with reads
                r = qb.solve(obj, backend=b, time_limit=deadline, seed=seed, **DEFAULT_WORK.get(b, {}))
                dt = time.perf_counter() - t
                obj_v = r.objective if r.sample is not None else math.nan
                runs.append(Run(name, b, dt, obj_v, r.feasible, r.status))
            except (BackendError, ModelError) as exc:
                runs.append(Run(name, b, math.nan, math.nan, False, f"cannot: {str(exc)[:60]}"))
            done += 1
            if progress:
                progress(done, total, f"{name} / {b}")
    return runs


def score(instances: dict, runs: list[Run], deadline: float) -> dict:
    """Oracle, policy and fixed-policy quality/time per instance, plus the summary."""
    from .policy import decide

    senses = {
        n: (getattr(o, "sense", None) or getattr(getattr(o, "source", None), "sense", "min"))
        for n, o in instances.items()
    }
    by = {(r.instance, r.backend): r for r in runs}
    backends = sorted({r.backend for r in runs})
    rows = []
    for name, obj in instances.items():
        feas = [r for r in runs if r.instance == name and r.feasible and np.isfinite(r.objective)]
        if not feas:
            continue
        sign = 1 if senses[name] == "min" else -1
        best = min(sign * r.objective for r in feas)

        def quality(b, name=name, sign=sign, best=best):
            r = by.get((name, b))
            if r is None or not r.feasible or not np.isfinite(r.objective):
                return 0.0, (r.seconds if r is not None and np.isfinite(r.seconds) else deadline)
            gap = abs(sign * r.objective - best) / max(1.0, abs(best))
            return max(0.0, 1.0 - gap), r.seconds

        q = {b: quality(b) for b in backends}
        in_time = [b for b in backends if q[b][1] <= deadline * 1.05 and q[b][0] > 0]
        oracle = max(in_time or backends, key=lambda b, q=q: (q[b][0], -q[b][1]))
        d = decide(obj, deadline=deadline, backends=list(backends), include_remote=False, best_effort=True)
        chosen = d.backend
        rows.append({"instance": name, "oracle": oracle, "policy": chosen, "q": q})
    summary = {}
    policies = {"qip": lambda row: row["policy"]}
    for b in backends:
        policies[f"always-{b}"] = lambda row, b=b: b
    policies["always-quantum"] = lambda row: "qaoa"
    policies["always-classical"] = lambda row: "ortools"
    for pname, pick in policies.items():
        qr, tr = [], []
        for row in rows:
            oq, ot = row["q"][row["oracle"]]
            b = pick(row)
            pq, pt = row["q"].get(b, (0.0, deadline)) if b is not None else (0.0, deadline)
            qr.append(pq / oq if oq > 0 else 1.0)
            tr.append(pt / max(ot, 1e-3))
        summary[pname] = {
            "quality_vs_oracle": float(np.mean(qr)),
            "time_vs_oracle": float(np.mean(tr)),
            "instances": len(rows),
        }
    confusion: dict = {}
    for row in rows:
        confusion.setdefault(row["policy"], {}).setdefault(row["oracle"], 0)
        confusion[row["policy"]][row["oracle"]] += 1
    return {"rows": rows, "summary": summary, "confusion": confusion, "deadline": deadline}


def write_outputs(result: dict, runs: list[Run], out: Path) -> list[Path]:
    """CSV of runs and of the summary, and a plot of quality and time against the oracle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    from ..io.atomic import write_csv

    paths = [
        write_csv(
            out / "qip-runs.csv",
            ["instance", "backend", "seconds", "objective", "feasible", "status"],
            ([r.instance, r.backend, f"{r.seconds:.6g}", f"{r.objective:.10g}", r.feasible, r.status] for r in runs),
        ),
        write_csv(
            out / "qip-summary.csv",
            ["policy", "quality_vs_oracle", "time_vs_oracle", "instances"],
            (
                [k, f"{v['quality_vs_oracle']:.4f}", f"{v['time_vs_oracle']:.4f}", v["instances"]]
                for k, v in result["summary"].items()
            ),
        ),
    ]
    names = list(result["summary"])
    qv = [result["summary"][k]["quality_vs_oracle"] for k in names]
    tv = [result["summary"][k]["time_vs_oracle"] for k in names]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    colors = ["tab:red" if k == "qip" else "tab:grey" for k in names]
    a.barh(names, qv, color=colors)
    a.axvline(0.95, ls="--", color="k", lw=0.8)
    a.set_xlabel("mean quality / oracle quality")
    b.barh(names, tv, color=colors)
    b.set_yticklabels([])
    b.axvline(1.2, ls="--", color="k", lw=0.8)
    b.set_xscale("log")
    b.set_xlabel("mean time / oracle time")
    fig.suptitle(f"QIP vs fixed policies, deadline {result['deadline']:g} s")
    p = out / "qip-policies.png"
    fig.savefig(p, dpi=120, bbox_inches="tight")
    plt.close(fig)
    paths.append(p)
    return paths
