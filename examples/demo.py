"""End-to-end demo (``make run``): build a model, compile it to QUBO and MILP, write both
files, solve the QUBO exactly, print the decoded answer, then solve the same model on the
other local backends."""
from pathlib import Path

from rich.console import Console
from rich.table import Table

import qbdsl as qb
from slice_placement import build

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)
console = Console()

m = build()
console.print(m.summary())

q = qb.compile(m, target="qubo", encoding="binary", penalty="auto")
q.save(out / "slice.qubo")
console.print(f"\n{q.summary()}  ->  {out / 'slice.qubo'}")
console.print(q.explain_penalties())

lp = qb.compile(m, target="milp")
lp.save(out / "slice.lp")
lp.save(out / "slice.mps")
console.print(f"\n{lp.summary()}  ->  {out / 'slice.lp'}, {out / 'slice.mps'}")

r = qb.solve(q, backend="exact")
t = Table(title="exact ground state of the QUBO, decoded")
for col in ("function", "node", "cpu"):
    t.add_column(col)
for s, row in enumerate(r.values["x"]):
    t.add_row(str(s), str(int(row.argmax())), f"{build.__globals__['CPU'][s]:g}")
console.print(t)
console.print(f"objective {r.objective:g}, feasible {r.feasible}, QUBO energy {r.energy:g}, "
              f"solve {r.timings['solve'] * 1e3:.1f} ms")

# the same model on other backends, behind the same call
t = Table(title="the same model on every local backend")
for col in ("backend", "status", "objective", "feasible", "solve s"):
    t.add_column(col)
for backend, opts in (("exact", {}), ("anneal", {"num_reads": 100}), ("tabu", {"num_reads": 5}),
                      ("ortools", {})):
    rb = qb.solve(m, backend=backend, seed=0, **opts)
    t.add_row(backend, rb.status, f"{rb.objective:g}", str(rb.feasible), f"{rb.timings['solve']:.3f}")
console.print(t)

# the files load back: the QUBO as an IR, the LP as a Model that compiles again
q2 = qb.load(out / "slice.qubo")
m2 = qb.load(out / "slice.lp")
assert abs(q2.energy(r.sample) - r.energy) < 1e-9
console.print(f"reloaded {out / 'slice.qubo'} ({q2.n} binaries) and {out / 'slice.lp'} ({m2.n_vars} variables)")
