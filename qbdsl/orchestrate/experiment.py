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

ABLATIONS = ("qbdsl-no-evict", "qbdsl-no-defer", "qbdsl-no-split", "qbdsl-no-qip", "qbdsl-no-cutting", "qbdsl-no-fallback")
WORKERS = 2   # classical workers beside the QPUs (every policy has them; only qbdsl falls back)


def one_point(args) -> list[dict]:
    """Simulate every policy on the trace of one (load, tightness, seed)."""
    load, tightness, seed, n_jobs, policies, fleet = args
    from .policies import make
    from .simulator import simulate
    from .workload import default_fleet, poisson_jobs

    fleet = fleet or default_fleet()
    jobs = poisson_jobs(n_jobs, load, tightness, fleet, seed=seed)
    rows = []
    for name in policies:
        m = simulate(jobs, fleet, make(name, seed), workers=WORKERS).metrics()
        rows.append({"load": load, "tightness": tightness, "seed": seed, "policy": name, **m})
    return rows


def trace(jobs, fleet, policies=None) -> list[dict]:
    """Every policy on one given trace (e.g. from :func:`qbdsl.orchestrate.load_jobs`)."""
    from .policies import ALL, make
    from .simulator import simulate

    rows = []
    for name in list(policies or list(ALL) + list(ABLATIONS)):
        out = simulate(jobs, fleet, make(name), workers=WORKERS)
        rows.append({"policy": name, **out.metrics()})
    return rows


def gap_point(args) -> list[dict]:
    """Every policy against the hindsight bracket on one small trace: ``hindsight`` (the best
    schedule known with all arrivals known: CP-SAT's, started from the best policy's, or that
    policy's if CP-SAT ran out of time) and ``bound`` (the smaller of CP-SAT's proven bound and
    the preemptive relaxation's), so ``served / bound`` is a guaranteed fraction of the best
    possible and ``served / hindsight`` the fraction of the best schedule known."""
    load, tightness, seed, n_jobs, policies, fleet, time_limit = args
    from .bound import hindsight, relaxation_bound
    from .policies import make
    from .simulator import simulate
    from .workload import default_fleet, poisson_jobs

    fleet = fleet or default_fleet()
    jobs = poisson_jobs(n_jobs, load, tightness, fleet, seed=seed)
    outs = {name: simulate(jobs, fleet, make(name, seed), workers=WORKERS) for name in policies}
    best = max(outs.values(), key=lambda o: o.served.sum())      # CP-SAT starts from the best policy's schedule
    h = hindsight(jobs, fleet, workers=WORKERS, time_limit=time_limit, threads=1,
                  hint=[b for b in best.batches if best.served[b[0]]])
    bound = min(h["bound"], relaxation_bound(jobs, fleet, workers=WORKERS, time_limit=time_limit)["bound"])
    found = max(h["served"], int(best.served.sum()))
    rows = []
    for name, out in outs.items():
        served = int(out.served.sum())
        rows.append({"load": load, "tightness": tightness, "seed": seed, "policy": name, "served": served,
                     "hindsight": found, "bound": bound, "of_bound": served / max(bound, 1),
                     "of_hindsight": served / max(found, 1)})
    return rows


def sweep(loads, tightness, seeds: int = 30, n_jobs: int = 200, policies=None, executor: Executor | None = None,
          progress=None, gap_time: float | None = None, fleet=None) -> list[dict]:
    """One row per (load, tightness, seed, policy) on ``fleet`` (default: :func:`default_fleet`).
    With ``gap_time`` (seconds per CP-SAT and MILP solve) every trace is also solved in
    hindsight (:func:`gap_point`; small traces)."""
    from .policies import ALL

    policies = list(policies or list(ALL) + list(ABLATIONS))
    tasks = [(float(l), float(s), int(k), n_jobs, policies, fleet) + ((gap_time,) if gap_time else ())
             for l, s, k in itertools.product(loads, tightness, range(seeds))]
    work = gap_point if gap_time else one_point
    own = executor is None
    executor = executor or ProcessPoolExecutor()
    rows: list[dict] = []
    try:
        for i, part in enumerate(executor.map(work, tasks)):
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


def _table(summ: list[dict], policies: list[str], fmt=lambda r: f"{r['mean']:.1f} ± {r['ci95']:.1f}") -> list[str]:
    lines = ["| load | s | " + " | ".join(policies) + " |", "|---|---|" + "---|" * len(policies)]
    for load, s in sorted({(r["load"], r["tightness"]) for r in summ}):
        cells = {r["policy"]: r for r in summ if r["load"] == load and r["tightness"] == s}
        lines.append(f"| {load:g} | {s:g} | " + " | ".join(fmt(cells[p]) if p in cells else "" for p in policies)
                     + " |")
    return lines


def headline(rows: list[dict]) -> list[dict]:
    """qbdsl against the best baseline at each point: means, CIs, gain, whether CIs overlap."""
    from .policies import ALL

    summ = summarize(rows)
    out = []
    for load, s in sorted({(r["load"], r["tightness"]) for r in summ}):
        cells = {r["policy"]: r for r in summ if r["load"] == load and r["tightness"] == s}
        if "qbdsl" not in cells:
            continue
        q = cells["qbdsl"]
        base = [cells[p] for p in ALL if p != "qbdsl" and p in cells]
        if not base:
            continue
        b = max(base, key=lambda r: r["mean"])
        out.append({"load": load, "tightness": s, "qbdsl": q["mean"], "qbdsl_ci95": q["ci95"],
                    "best_baseline": b["policy"], "baseline": b["mean"], "baseline_ci95": b["ci95"],
                    "gain": q["mean"] / b["mean"] - 1 if b["mean"] > 0 else float("inf"),
                    "disjoint": q["mean"] - q["ci95"] > b["mean"] + b["ci95"]})
    return out


def report(rows: list[dict], gap_rows: list[dict] | None, command: str) -> str:
    """The markdown report: headline, every policy, ablations, and the hindsight gap."""
    from .policies import ALL

    n = max(r["seed"] for r in rows) + 1
    lines = ["# Orchestration experiment", "", f"Regenerate: `{command}`", "",
             f"Jobs served by their deadline, mean ± 95 % CI over {n} paired seeds (every policy sees the same "
             "trace); default fleet (2 x Heron r2, Eagle r3, Falcon r5) and 2 classical workers.", "",
             "## qbdsl against the best baseline", "",
             "| load | s | qbdsl | best baseline | gain | CIs disjoint |", "|---|---|---|---|---|---|"]
    for h in headline(rows):
        lines.append(f"| {h['load']:g} | {h['tightness']:g} | {h['qbdsl']:.1f} ± {h['qbdsl_ci95']:.1f} | "
                     f"{h['baseline']:.1f} ± {h['baseline_ci95']:.1f} ({h['best_baseline']}) | "
                     f"{100 * h['gain']:+.0f} % | {'yes' if h['disjoint'] else 'no'} |")
    summ = summarize(rows)
    present = {r["policy"] for r in summ}
    lines += ["", "## Every policy", ""] + _table(summ, [p for p in ALL if p in present])
    load, tight = max(r["load"] for r in rows), min(r["tightness"] for r in rows)
    lines += ["", "## Other metrics", "", f"Means over seeds at the hardest point (load {load:g}, s = {tight:g}): "
              "makespan (s), QPU utilisation, mean estimated fidelity of the served jobs, jobs served "
              "classically, jobs taken back after dispatch (withdrawn, and moved: served elsewhere), jobs "
              "admitted late (after waiting for room), decision time per job (ms).", "",
              "| policy | makespan | utilisation | fidelity | classical | withdrawn | moved | admitted late "
              "| decision ms |",
              "|---|---|---|---|---|---|---|---|---|"]
    for p in [p for p in tuple(ALL) + ABLATIONS if p in present]:
        sel = [r for r in rows if r["policy"] == p and r["load"] == load and r["tightness"] == tight]
        mean = lambda k: float(np.nanmean([r[k] for r in sel]))  # noqa: E731
        lines.append(f"| {p} | {mean('makespan'):.1f} | {mean('utilisation'):.2f} | {mean('mean_fidelity'):.3f} | "
                     f"{mean('served_classically'):.1f} | {mean('withdrawn'):.1f} | {mean('moved'):.1f} | "
                     f"{mean('deferred'):.1f} | {mean('decision_ms_per_job'):.2f} |")
    abl = [p for p in ("qbdsl",) + ABLATIONS if p in present]
    if len(abl) > 1:
        lines += ["", "## Ablations", ""] + _table(summ, abl)
    if gap_rows:
        gs = summarize(gap_rows, "of_bound")
        hs = summarize([r for r in gap_rows if r["policy"] == gap_rows[0]["policy"]], "hindsight")
        bs = summarize([r for r in gap_rows if r["policy"] == gap_rows[0]["policy"]], "bound")
        k = max(r["seed"] for r in gap_rows) + 1
        lines += ["", "## Gap to the hindsight optimum (small traces)", "",
                  f"Fraction of the offline bound served, mean ± 95 % CI over {k} traces per point. The bound is "
                  "the smaller of CP-SAT's proven bound on the hindsight schedule and the preemptive relaxation "
                  "(`qbdsl.orchestrate.bound`), so each figure is a guaranteed lower bound on the policy's "
                  "fraction of the best possible.", ""]
        lines += _table(gs, [p for p in ALL if p in {r["policy"] for r in gs}],
                        fmt=lambda r: f"{r['mean']:.2f} ± {r['ci95']:.2f}")
        qs = {(r["load"], r["tightness"]): r for r in summarize([r for r in gap_rows if r["policy"] == "qbdsl"],
                                                                   "of_hindsight")}
        lines += ["", "Best hindsight schedule known (CP-SAT, started from the best policy's) and the bound, in "
                  "jobs; qbdsl's fraction of that schedule:", "",
                  "| load | s | hindsight | bound | qbdsl / hindsight |", "|---|---|---|---|---|"]
        for h_, b_ in zip(hs, bs):
            q = qs.get((h_["load"], h_["tightness"]))
            lines.append(f"| {h_['load']:g} | {h_['tightness']:g} | {h_['mean']:.1f} | {b_['mean']:.1f} | "
                         + (f"{q['mean']:.2f} ± {q['ci95']:.2f} |" if q else " |"))
    lines += ["", "![served vs tightness](served-vs-tightness.png)", "", "![served vs load](served-vs-load.png)", ""]
    return "\n".join(lines)


def write_outputs(rows: list[dict], out: Path, gap_rows: list[dict] | None = None,
                  command: str = "qbdsl experiment orchestration") -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    from ..io.atomic import write_csv

    summ = summarize(rows)
    paths = [write_csv(out / "orchestration-runs.csv", list(rows[0]), rows),
             write_csv(out / "orchestration-summary.csv", list(summ[0]), summ)]
    if gap_rows:
        paths.append(write_csv(out / "orchestration-gap.csv", list(gap_rows[0]), gap_rows))
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
    from ..io.atomic import atomic_write

    atomic_write(out / "report.md", report(rows, gap_rows, command))
    paths.append(out / "report.md")
    return paths
