"""``qbdsl experiment orchestration``: sweep load and deadline tightness with paired seeds.

Every policy sees the same trace for a given (load, tightness, seed). Results are reported
as mean ± 95 % confidence half-width (Student t over seeds). Runs fan out over
``concurrent.futures`` processes, or any ``concurrent.futures.Executor`` such as a Dask
distributed client's (``client.get_executor()``, ``qbdsl experiment orchestration --dask
ADDRESS``); the results do not depend on the executor or its order.
"""
from __future__ import annotations

import itertools
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np

ABLATIONS = ("qbdsl-no-split", "qbdsl-no-qip", "qbdsl-no-cutting", "qbdsl-no-fallback")
WORKERS = 2   # classical workers beside the QPUs (every policy has them; only qbdsl falls back)


def one_point(args) -> list[dict]:
    """Simulate every policy on the trace of one (load, tightness, seed)."""
    load, tightness, seed, n_jobs, policies = args
    from .policies import make
    from .simulator import simulate
    from .workload import default_fleet, poisson_jobs

    fleet = default_fleet()
    jobs = poisson_jobs(n_jobs, load, tightness, fleet, seed=seed)
    rows = []
    for name in policies:
        m = simulate(jobs, fleet, make(name, seed), workers=WORKERS).metrics()
        rows.append({"load": load, "tightness": tightness, "seed": seed, "policy": name, **m})
    return rows


def sweep(loads, tightness, seeds: int = 30, n_jobs: int = 200, policies=None, executor: Executor | None = None,
          progress=None) -> list[dict]:
    from .policies import ALL

    policies = list(policies or list(ALL) + list(ABLATIONS))
    tasks = [(float(l), float(s), int(k), n_jobs, policies)
             for l, s, k in itertools.product(loads, tightness, range(seeds))]
    own = executor is None
    executor = executor or ProcessPoolExecutor()
    rows: list[dict] = []
    try:
        for i, part in enumerate(executor.map(one_point, tasks)):
            rows.extend(part)
            if progress:
                progress(i + 1, len(tasks), f"load {tasks[i][0]:g}, tightness {tasks[i][1]:g}")
    finally:
        if own:
            executor.shutdown()
    return rows


def summarize(rows: list[dict], metric: str = "served") -> list[dict]:
    """Mean and 95 % CI half-width of ``metric`` per (load, tightness, policy)."""
    from scipy import stats

    groups: dict = {}
    for r in rows:
        groups.setdefault((r["load"], r["tightness"], r["policy"]), []).append(r[metric])
    out = []
    for (load, s, p), v in sorted(groups.items()):
        v = np.asarray(v, float)
        half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
        out.append({"load": load, "tightness": s, "policy": p, "mean": float(v.mean()), "ci95": half, "n": len(v)})
    return out


def write_outputs(rows: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    from ..io.atomic import write_csv

    summ = summarize(rows)
    paths = [write_csv(out / "orchestration-runs.csv", list(rows[0]), rows),
             write_csv(out / "orchestration-summary.csv", list(summ[0]), summ)]
    for axis, other in (("tightness", "load"), ("load", "tightness")):
        fixed = sorted({r[other] for r in summ})
        pick = fixed[len(fixed) // 2]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for pol in sorted({r["policy"] for r in summ}):
            pts = sorted((r[axis], r["mean"], r["ci95"]) for r in summ if r["policy"] == pol and r[other] == pick)
            if not pts:
                continue
            x, y, e = map(np.array, zip(*pts))
            ax.errorbar(x, y, yerr=e, marker="o", capsize=3, lw=2.5 if pol == "qbdsl" else 1,
                        label=pol, color="black" if pol == "qbdsl" else None)
        ax.set_xlabel("deadline tightness s" if axis == "tightness" else "offered load")
        ax.set_ylabel("jobs served by their deadline")
        ax.set_title(f"served vs {axis} ({other} = {pick:g}), mean ± 95 % CI")
        ax.legend(fontsize=7)
        p = out / f"served-vs-{axis}.png"
        fig.savefig(p, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(p)
    return paths
