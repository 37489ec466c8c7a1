"""Quantum jobs on three IBM-class QPUs: served by deadline, whole jobs vs shots split in two.

With 0.5 s slots every batch occupies at least one slot, so splitting short jobs can cost
more QPU time than it saves: the comparison shows where shot splitting pays."""
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
    print(f"batches={batches}: {int(r.objective)} of {len(jobs.qubits)} jobs by their deadline; "
          f"schedule check {'ok' if ok else 'FAILED'}")
    png = plot.plot_schedule(a["runs"], fleet.names, out / f"schedule-{batches}.png", jobs.deadline,
                             f"{int(r.objective)} jobs served, batches={batches}")
    print("plot:", png)
