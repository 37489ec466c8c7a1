"""``qbdsl experiment orchestration``: the case study, with paired seeds.

Every policy sees the same trace for a given (load, tightness, seed). The headline compares
``qip-edf`` (never aborts work in service) with the *strongest matched baseline* at each
point: the matched baseline (admission control and the QIP classical fallback, see
:mod:`qbdsl.orchestrate.baselines`) with the most jobs served on average there. Ratios are
paired: per seed, qip-edf's figure over the baseline's on the same trace, then mean and 95 %
CI (Student t over seeds). Raw baselines are reported separately, labelled as such.
Runs fan out over ``concurrent.futures`` processes or any ``Executor`` (a Dask client's
``get_executor()``); the results do not depend on the executor or its order.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np

from .policies import MATCHED, RAW

HEADLINE = "qip-edf"
ABORTING = "qip-edf+abort"
LOOKAHEAD = "qip-edf+lookahead"
ABLATIONS = (
    "qip-edf-no-admission",
    "qip-edf-no-move",
    "qip-edf-no-withdraw",
    "qip-edf-no-move-no-withdraw",
    "qip-edf-no-split",
    "qip-edf-no-chunk",
    "qip-edf-no-fallback",
    "qip-edf-no-defer",
    "qip-edf-no-cutting",
)
ROBUSTNESS = (("error", -0.5), ("error", -0.2), ("error", 0.2), ("error", 0.5), ("noise", 0.2), ("noise", 0.5))
WORKERS = 2  # classical workers beside the QPUs (raw baselines do not use them)
METRICS = (
    "served",
    "served_work",
    "served_qpu_seconds",
    "served_shots",
    "busy_fraction",
    "mean_fidelity",
    "served_small",
    "served_medium",
    "served_large",
    "aborted",
    "discarded",
    "withdrawn",
    "moved",
    "deferred",
    "served_classically",
    "decision_ms_per_job",
)


def default_policies() -> list[str]:
    """The policies the experiment compares: raw and matched baselines, qip-edf and its ablations."""
    return list(RAW) + list(MATCHED) + [HEADLINE, ABORTING, LOOKAHEAD] + list(ABLATIONS)


def _trace(load, tightness, seed, n_jobs, fleet, templates):
    from .workload import default_fleet, default_templates, poisson_jobs

    fleet = fleet or default_fleet()
    templates = templates if templates is not None else default_templates()
    return fleet, poisson_jobs(n_jobs, load, tightness, fleet, seed=seed, workers=WORKERS, templates=templates)


def one_point(args) -> list[dict]:
    """Simulate every policy on the trace of one (load, tightness, seed), with predictions
    off by ``error`` / ``noise`` (see :func:`~qbdsl.orchestrate.simulator.simulate`)."""
    load, tightness, seed, n_jobs, policies, fleet, templates, error, noise, bound_time = args
    from .policies import make
    from .simulator import simulate
    from .workload import realised_load

    fleet, jobs = _trace(load, tightness, seed, n_jobs, fleet, templates)
    realised = realised_load(jobs, fleet, WORKERS)
    extra = {}
    if bound_time:
        from .bound import relaxation_bound

        b = relaxation_bound(jobs, fleet, workers=WORKERS, time_limit=bound_time)
        extra["bound"], extra["bound_status"] = b["bound"], b["status"]
    rows = []
    for name in policies:
        m = simulate(
            jobs, fleet, make(name, seed), workers=WORKERS, error=error, noise=noise, noise_seed=seed
        ).metrics()
        rows.append(
            {
                "load": load,
                "tightness": tightness,
                "seed": seed,
                "policy": name,
                "error": error,
                "noise": noise,
                "realised_load": realised,
                **{k: m.get(k, float("nan")) for k in METRICS},
                **extra,
            }
        )
        if extra:
            rows[-1]["of_bound"] = m["served"] / max(extra["bound"], 1)
    return rows


def trace(jobs, fleet, policies=None) -> list[dict]:
    """Every policy on one given trace (e.g. from :func:`qbdsl.orchestrate.load_jobs`)."""
    from .policies import make
    from .simulator import simulate

    return [
        {"policy": name, **simulate(jobs, fleet, make(name), workers=WORKERS).metrics()}
        for name in list(policies or default_policies())
    ]


def gap_point(args) -> list[dict]:
    """Every policy against the hindsight bracket on one trace: ``hindsight`` (the best
    schedule known with all arrivals known: CP-SAT's, started from the best policy's) and
    ``bound``, the preemptive relaxation's (it bounds every policy, chunked batches
    included); ``bound_whole``, the smaller of that and CP-SAT's proven bound, bounds only
    policies that send each job at most one batch per device."""
    load, tightness, seed, n_jobs, policies, fleet, templates, time_limit = args
    from .bound import hindsight, relaxation_bound
    from .policies import make
    from .simulator import simulate

    fleet, jobs = _trace(load, tightness, seed, n_jobs, fleet, templates)
    outs = {name: simulate(jobs, fleet, make(name, seed), workers=WORKERS) for name in policies}
    best = max(outs.values(), key=lambda o: o.served.sum())
    h = hindsight(
        jobs,
        fleet,
        workers=WORKERS,
        time_limit=time_limit,
        threads=1,
        hint=[b for b in best.batches if best.served[b[0]]],
    )
    bound = relaxation_bound(jobs, fleet, workers=WORKERS, time_limit=time_limit)["bound"]
    found = max(h["served"], int(best.served.sum()))
    return [
        {
            "load": load,
            "tightness": tightness,
            "seed": seed,
            "policy": name,
            "served": int(out.served.sum()),
            "hindsight": found,
            "bound": bound,
            "bound_whole": min(h["bound"], bound),
            "of_bound": out.served.sum() / max(bound, 1),
            "of_hindsight": out.served.sum() / max(found, 1),
        }
        for name, out in outs.items()
    ]


def sweep(
    loads,
    tightness,
    seeds: int = 20,
    n_jobs: int = 200,
    policies=None,
    executor: Executor | None = None,
    progress=None,
    gap_time: float | None = None,
    fleet=None,
    templates=None,
    error: float = 0.0,
    noise: float = 0.0,
    bound_time: float | None = None,
) -> list[dict]:
    """One row per (load, tightness, seed, policy). With ``bound_time`` (seconds) each trace's
    offline bound (the preemptive relaxation) is computed too (columns ``bound``, ``of_bound``).
    With ``gap_time`` (seconds per CP-SAT and MILP solve) every trace is instead solved in
    hindsight (:func:`gap_point`; small traces)."""
    policies = list(policies or default_policies())
    grid = list(itertools.product(loads, tightness, range(seeds)))
    if gap_time:
        tasks = [(float(a), float(s), int(k), n_jobs, policies, fleet, templates, gap_time) for a, s, k in grid]
    else:
        tasks = [
            (float(a), float(s), int(k), n_jobs, policies, fleet, templates, error, noise, bound_time)
            for a, s, k in grid
        ]
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


def _ci(v) -> tuple[float, float]:
    from scipy import stats

    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return (float(v.mean()) if len(v) else float("nan")), float("nan")
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


def summarize(rows: list[dict], metric: str = "served") -> list[dict]:
    """Mean and 95 % CI half-width of ``metric`` per (load, tightness, policy)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["load"], r["tightness"], r["policy"]), []).append(r[metric])
    out = []
    for (load, s, p), v in sorted(groups.items()):
        mean, half = _ci(v)
        out.append({"load": load, "tightness": s, "policy": p, "mean": mean, "ci95": half, "n": len(v)})
    return out


def _by_seed(rows, load, s, policy, metric):
    return {r["seed"]: r[metric] for r in rows if (r["load"], r["tightness"], r["policy"]) == (load, s, policy)}


def paired_ratio(rows: list[dict], load: float, s: float, a: str, b: str, metric: str = "served") -> tuple:
    """Mean and 95 % CI half-width of ``a``'s ``metric`` over ``b``'s, paired by seed (seeds
    where ``b`` is 0 are left out)."""
    x, y = _by_seed(rows, load, s, a, metric), _by_seed(rows, load, s, b, metric)
    return _ci([x[k] / y[k] for k in x if k in y and y[k] > 0])


def headline(rows: list[dict], policy: str = HEADLINE) -> list[dict]:
    """``policy`` against the strongest matched and the strongest raw baseline at each point:
    means, CIs, paired ratios of jobs served and of QPU-seconds served, CIs disjoint."""
    summ = summarize(rows)
    out = []
    for load, s in sorted({(r["load"], r["tightness"]) for r in summ}):
        cells = {r["policy"]: r for r in summ if r["load"] == load and r["tightness"] == s}
        if policy not in cells:
            continue
        q = cells[policy]
        rec = {
            "load": load,
            "tightness": s,
            "policy": policy,
            "served": q["mean"],
            "served_ci95": q["ci95"],
            "realised_load": float(
                np.mean(
                    [
                        r["realised_load"]
                        for r in rows
                        if (r["load"], r["tightness"]) == (load, s) and r["policy"] == policy
                    ]
                )
            ),
        }
        for kind, names in (("matched", MATCHED), ("raw", RAW)):
            base = [cells[p] for p in names if p in cells]
            if not base:
                continue
            b = max(base, key=lambda r: r["mean"])
            ratio, half = paired_ratio(rows, load, s, policy, b["policy"])
            work, work_half = paired_ratio(rows, load, s, policy, b["policy"], "served_work")
            rec.update(
                {
                    kind: b["policy"],
                    f"{kind}_served": b["mean"],
                    f"{kind}_ci95": b["ci95"],
                    f"{kind}_ratio": ratio,
                    f"{kind}_ratio_ci95": half,
                    f"{kind}_work_ratio": work,
                    f"{kind}_work_ratio_ci95": work_half,
                    f"{kind}_disjoint": q["mean"] - q["ci95"] > b["mean"] + b["ci95"],
                }
            )
        out.append(rec)
    return out


def _table(summ: list[dict], policies: list[str], fmt=lambda r: f"{r['mean']:.1f} ± {r['ci95']:.1f}") -> list[str]:
    lines = ["| load | s | " + " | ".join(policies) + " |", "|---|---|" + "---|" * len(policies)]
    for load, s in sorted({(r["load"], r["tightness"]) for r in summ}):
        cells = {r["policy"]: r for r in summ if r["load"] == load and r["tightness"] == s}
        lines.append(
            f"| {load:g} | {s:g} | " + " | ".join(fmt(cells[p]) if p in cells else "" for p in policies) + " |"
        )
    return lines


def headline_lines(rows: list[dict], gap_rows: list[dict] | None = None) -> list[str]:
    """The headline table in markdown (also pasted into the README). With a ``bound`` column in
    ``rows`` (the same traces' offline bound), qip-edf's and qip-edf+abort's shares of it; with
    ``gap_rows`` (separate small traces), qip-edf's share of their bound and best known schedule."""
    gap, own = {}, {}
    if gap_rows:
        for k in ("of_bound", "of_hindsight"):
            for r in summarize([g for g in gap_rows if g["policy"] == HEADLINE], k):
                gap.setdefault((r["load"], r["tightness"]), {})[k] = r
    if rows and "of_bound" in rows[0]:
        for p in (HEADLINE, ABORTING):
            for r in summarize([x for x in rows if x["policy"] == p], "of_bound"):
                own.setdefault((r["load"], r["tightness"]), {})[p] = r
    lines = [
        "| load | realised | s | qip-edf | strongest matched | jobs ratio | work ratio | strongest raw | "
        "jobs ratio vs raw"
        + (" | qip-edf / bound | qip-edf+abort / bound" if own else "")
        + (" | share of bound (small traces) | share of best known" if gap else "")
        + " |",
        "|---|---|---|---|---|---|---|---|---" + ("|---|---" if own else "") + ("|---|---" if gap else "") + "|",
    ]
    for h in headline(rows):
        if "matched" not in h:
            continue
        cells = [
            f"{h['load']:g}",
            f"{h['realised_load']:.2f}",
            f"{h['tightness']:g}",
            f"{h['served']:.1f} ± {h['served_ci95']:.1f}",
            f"{h['matched']} {h['matched_served']:.1f} ± {h['matched_ci95']:.1f}",
            f"{h['matched_ratio']:.2f} ± {h['matched_ratio_ci95']:.2f}",
            f"{h['matched_work_ratio']:.2f} ± {h['matched_work_ratio_ci95']:.2f}",
            f"{h.get('raw', '')} {h.get('raw_served', float('nan')):.1f}",
            f"{h.get('raw_ratio', float('nan')):.2f} ± {h.get('raw_ratio_ci95', float('nan')):.2f}",
        ]
        if own:
            o = own.get((h["load"], h["tightness"]), {})
            cells += [f"{o[p]['mean']:.2f} ± {o[p]['ci95']:.2f}" if p in o else "" for p in (HEADLINE, ABORTING)]
        if gap:
            g = gap.get((h["load"], h["tightness"]), {})
            cells += [
                f"{g['of_bound']['mean']:.2f} ± {g['of_bound']['ci95']:.2f}" if "of_bound" in g else "",
                f"{g['of_hindsight']['mean']:.2f} ± {g['of_hindsight']['ci95']:.2f}" if "of_hindsight" in g else "",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report(rows: list[dict], gap_rows: list[dict] | None, command: str, robust_rows: list[dict] | None = None) -> str:
    """The markdown report: headline, every policy, other metrics, ablations, robustness, gap."""
    n = max(r["seed"] for r in rows) + 1
    lines = [
        "# Orchestration experiment",
        "",
        f"Regenerate: `{command}`",
        "",
        f"Jobs served by their deadline, mean ± 95 % CI over {n} paired seeds (every policy sees the same "
        f"trace), {WORKERS} classical workers. Ratios are paired per seed. 'realised' is the trace's arrival "
        "rate over the platform's capacity for its own job mix (`qbdsl.orchestrate.workload.realised_load`).",
        "",
        "## qip-edf (no aborts) against the strongest matched baseline, and the strongest raw one",
        "",
    ]
    lines += headline_lines(rows, gap_rows)
    variants = [p for p in (ABORTING, LOOKAHEAD) if any(r["policy"] == p for r in rows)]
    if variants:
        lines += [
            "",
            "Labelled variants against the same strongest matched baseline (jobs ratio, work ratio; paired):",
            "",
            "| load | s | " + " | ".join(variants) + " |",
            "|---|---|" + "---|" * len(variants),
        ]
        for h in headline(rows):
            if "matched" not in h:
                continue
            cells = []
            for p in variants:
                j = paired_ratio(rows, h["load"], h["tightness"], p, h["matched"])
                w = paired_ratio(rows, h["load"], h["tightness"], p, h["matched"], "served_work")
                cells.append(f"{j[0]:.2f} ± {j[1]:.2f}, work {w[0]:.2f} ± {w[1]:.2f}")
            lines.append(f"| {h['load']:g} | {h['tightness']:g} | " + " | ".join(cells) + " |")
    summ = summarize(rows)
    present = [p for p in default_policies() if p in {r["policy"] for r in summ}] + sorted(
        {r["policy"] for r in summ} - set(default_policies())
    )
    lines += ["", "## Every policy: jobs served", "", "Raw baselines (no admission, no fallback):", ""]
    lines += _table(summ, [p for p in present if p in RAW])
    lines += ["", "Matched baselines (admission control + QIP classical fallback):", ""]
    lines += _table(summ, [p for p in present if p in MATCHED])
    ours = [p for p in present if p.startswith("qip-edf")]
    lines += ["", "qip-edf, its aborting variant and its ablations:", ""] + _table(summ, ours)
    if "bound_status" in rows[0]:
        counts: dict = {}
        for r in rows:
            if r["policy"] == rows[0]["policy"]:
                counts[r["bound_status"]] = counts.get(r["bound_status"], 0) + 1
        lines += [
            "",
            "Offline bound per trace, by how it was obtained (optimal MILP, its proven bound at the time "
            "limit, the LP relaxation, or the number of jobs): "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + ".",
        ]
    for metric, title in (
        ("served_work", "work served on QPUs (each job's fastest whole QPU run, seconds)"),
        ("served_qpu_seconds", "QPU-seconds of served jobs"),
        ("served_shots", "shots served on QPUs"),
        ("busy_fraction", "QPU busy fraction over the arrival window"),
        ("mean_fidelity", "mean estimated success probability of the jobs served on QPUs"),
        ("served_small", "fraction of small jobs served (fastest run in the trace's lowest third)"),
        ("served_large", "fraction of large jobs served (highest third)"),
    ):
        s2 = summarize(rows, metric)
        keep = (
            [HEADLINE, ABORTING, LOOKAHEAD]
            + [p for p in MATCHED if p in present]
            + [p for p in RAW if p in present][:2]
        )
        lines += ["", f"## {title}", ""] + _table(
            s2, [p for p in keep if p in present], fmt=lambda r: f"{r['mean']:.3g} ± {r['ci95']:.2g}"
        )
    if robust_rows:
        lines += [
            "",
            "## Robustness: run times off the prediction",
            "",
            "actual = predicted x (1 + error), or x U[1 - noise, 1 + noise] per batch; the policies still "
            "predict with the nominal times and see what actually runs at each dispatch.",
            "",
            "| load | s | error | noise | qip-edf | strongest matched | jobs ratio |",
            "|---|---|---|---|---|---|---|",
        ]
        groups = sorted({(r["load"], r["tightness"], r["error"], r["noise"]) for r in robust_rows})
        for load, s, e, z in groups:
            sel = [r for r in robust_rows if (r["load"], r["tightness"], r["error"], r["noise"]) == (load, s, e, z)]
            h = [x for x in headline(sel) if "matched" in x]
            if h:
                h = h[0]
                lines.append(
                    f"| {load:g} | {s:g} | {e:+g} | {z:g} | {h['served']:.1f} ± {h['served_ci95']:.1f} | "
                    f"{h['matched']} {h['matched_served']:.1f} | {h['matched_ratio']:.2f} ± "
                    f"{h['matched_ratio_ci95']:.2f} |"
                )
    if gap_rows:
        k = max(r["seed"] for r in gap_rows) + 1
        lines += [
            "",
            "## Share of the offline bound",
            "",
            f"Fraction of the offline bound served, over {k} traces per point. The bound is the preemptive "
            "relaxation's (`qbdsl.orchestrate.bound.relaxation_bound`), which bounds every policy, chunked "
            "batches included, so each figure is a guaranteed lower bound on the policy's fraction of the best "
            "possible.",
            "",
        ]
        gs = summarize(gap_rows, "of_bound")
        lines += _table(
            gs,
            [p for p in present if p in {r["policy"] for r in gs}],
            fmt=lambda r: f"{r['mean']:.2f} ± {r['ci95']:.2f}",
        )
    lines += ["", "![served vs tightness](served-vs-tightness.png)", "", "![served vs load](served-vs-load.png)", ""]
    return "\n".join(lines)


def write_outputs(
    rows: list[dict],
    out: Path,
    gap_rows: list[dict] | None = None,
    command: str = "qbdsl experiment orchestration",
    robust_rows: list[dict] | None = None,
) -> list[Path]:
    """Write the runs, summary, gap and robustness CSVs, the two served-vs plots and
    ``report.md`` under ``out`` (created); return the paths written.

    Raises
    ------
    ValueError
        When ``rows`` is empty (nothing was run: no table or plot to write).
    """
    if not rows:
        raise ValueError("write_outputs: no runs to write (rows is empty)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.atomic import atomic_write, write_csv

    out.mkdir(parents=True, exist_ok=True)
    summ = summarize(rows)
    paths = [
        write_csv(out / "orchestration-runs.csv", list(rows[0]), rows),
        write_csv(out / "orchestration-summary.csv", list(summ[0]), summ),
    ]
    if gap_rows:
        paths.append(write_csv(out / "orchestration-gap.csv", list(gap_rows[0]), gap_rows))
    if robust_rows:
        paths.append(write_csv(out / "orchestration-robustness.csv", list(robust_rows[0]), robust_rows))
    shown = (
        {HEADLINE, ABORTING, LOOKAHEAD}
        | set(MATCHED)
        | {max(RAW, key=lambda p: np.mean([r["served"] for r in rows if r["policy"] == p] or [0]))}
    )
    for axis, other in (("tightness", "load"), ("load", "tightness")):
        fixed = sorted({r[other] for r in summ})
        pick = fixed[len(fixed) // 2]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for pol in sorted({r["policy"] for r in summ} & shown):
            pts = sorted((r[axis], r["mean"], r["ci95"]) for r in summ if r["policy"] == pol and r[other] == pick)
            if not pts:
                continue
            x, y, e = map(np.array, zip(*pts))
            ax.errorbar(
                x,
                y,
                yerr=e,
                marker="o",
                capsize=3,
                lw=2.5 if pol == HEADLINE else 1,
                label=pol,
                color="black" if pol == HEADLINE else None,
                ls="--" if pol in RAW else "-",
            )
        ax.set_xlabel("deadline tightness s" if axis == "tightness" else "offered load (of capacity)")
        ax.set_ylabel("jobs served by their deadline")
        ax.set_title(f"served vs {axis} ({other} = {pick:g}), mean ± 95 % CI")
        ax.legend(fontsize=7)
        p = out / f"served-vs-{axis}.png"
        fig.savefig(p, dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(p)
    atomic_write(out / "report.md", report(rows, gap_rows, command, robust_rows))
    paths.append(out / "report.md")
    return paths
