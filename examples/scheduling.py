"""Quantum jobs on the orchestration's default fleet (two Heron-, one Eagle-, one Falcon-class
QPU): served by deadline, whole jobs vs shots split in two.

Jobs and QPUs are :mod:`qbdsl.orchestrate`'s, and a batch takes the time its simulator charges
(0.5 s overhead per batch plus depth x shots / CLOPS), rounded up to 0.5 s slots: splitting
short jobs costs a second overhead and a partly used slot, so the comparison shows where shot
splitting pays."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import plot
from qbdsl.problems import scheduling as sc

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)

fleet = sc.default_fleet()
jobs = sc.random_jobs(15, seed=1, horizon=30, tightness=1.5)
for batches in (1, 2):
    model = sc.schedule_model(jobs, fleet, slot=0.5, batches=batches)
    r = qb.solve(model, backend="ortools", time_limit=60)
    a = sc.interpret_schedule(model, r)
    ok = not sc.check_schedule(jobs, fleet, a["runs"], a["served"], batches)
    print(
        f"batches={batches}: {int(r.objective)} of {len(jobs)} jobs by their deadline; "
        f"schedule check {'ok' if ok else 'FAILED'}"
    )
    png = plot.plot_schedule(
        a["runs"],
        [q.name for q in fleet],
        out / f"schedule-{batches}.png",
        [j.deadline for j in jobs],
        f"{int(r.objective)} jobs served, batches={batches}",
    )
    print("plot:", png)
