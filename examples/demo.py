"""End-to-end demo (``make run``): build a model, compile it to QUBO and MILP, write both
files, solve the QUBO exactly, print the decoded answer, solve the same model on the other
local backends; then a real routing instance (REPETITA Abilene): the min-MLU LP, and
unsplittable k-path routing as a QUBO, with a plot of the link utilisation; last, the
orchestration policies scheduling MQT Bench circuits over IBM devices (calibration snapshots,
published CLOPS_h), against the offline bound of a short trace."""

from pathlib import Path

from rich.console import Console
from rich.table import Table
from slice_placement import build

import qbdsl as qb

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
console.print(
    f"objective {r.objective:g}, feasible {r.feasible}, QUBO energy {r.energy:g}, "
    f"solve {r.timings['solve'] * 1e3:.1f} ms"
)

# the same model on other backends, behind the same call
t = Table(title="the same model on every local backend")
for col in ("backend", "status", "objective", "feasible", "solve s"):
    t.add_column(col)
for backend, opts in (("exact", {}), ("anneal", {"num_reads": 100}), ("tabu", {"num_reads": 5}), ("ortools", {})):
    rb = qb.solve(m, backend=backend, seed=0, **opts)
    t.add_row(backend, rb.status, f"{rb.objective:g}", str(rb.feasible), f"{rb.timings['solve']:.3f}")
console.print(t)

# the files load back: the QUBO as an IR, the LP as a Model that compiles again
q2 = qb.load(out / "slice.qubo")
m2 = qb.load(out / "slice.lp")
assert abs(q2.energy(r.sample) - r.energy) < 1e-9
console.print(f"reloaded {out / 'slice.qubo'} ({q2.n} binaries) and {out / 'slice.lp'} ({m2.n_vars} variables)")

# a real network: REPETITA Abilene (11 PoPs, 28 links, 110 demands)
import numpy as np  # noqa: E402

from qbdsl.problems import data, plot, routing  # noqa: E402

net = data.repetita("Abilene")
mlu_model = routing.min_mlu(net)
r = qb.solve(mlu_model, backend="ortools", solver="HIGHS")
ans = routing.interpret_mlu(mlu_model, r)
console.print(
    f"\n{net}: optimal splittable MLU {r.objective:.6f} "
    f"(REPETITA lists {data.repetita_optimal_mlu('Abilene')}), bottleneck {ans['bottleneck']}"
)
png = plot.plot_utilisation(net, ans["utilisation"], out / "abilene-mlu.png")

demands = np.arange(0, net.n_demands, 11)[:8]  # 8 demands, 2 candidate paths each
kp = routing.kpath_routing(net, k=2, demands=demands)
t = Table(title="unsplittable routing of 8 Abilene demands (sum of squared utilisations)")
for col in ("backend", "status", "objective", "max utilisation", "routes check"):
    t.add_column(col)
for backend in ("exact", "anneal", "ortools"):
    rk = qb.solve(kp, backend=backend, seed=0)
    a = routing.interpret_paths(kp, rk)
    problems = routing.check_paths(net, a["routes"], demands)
    t.add_row(backend, rk.status, f"{rk.objective:.6f}", f"{a['mlu']:.4f}", "ok" if not problems else problems[0])
console.print(t)
console.print(f"link utilisation plot: {png}")

# orchestration: MQT Bench jobs over IBM fez, marrakesh, torino, kyiv (+2 CPU workers)
from qbdsl.orchestrate import POLICIES, default_fleet, make, poisson_jobs, simulate  # noqa: E402
from qbdsl.orchestrate.bound import hindsight, relaxation_bound  # noqa: E402

fleet = default_fleet()
long_trace = poisson_jobs(200, load=0.9, tightness=1.5, fleet=fleet, seed=0, workers=2)
short_trace = poisson_jobs(12, load=0.9, tightness=1.5, fleet=fleet, seed=0, workers=2)
h = hindsight(short_trace, fleet, workers=2, time_limit=10)
bound = relaxation_bound(short_trace, fleet, workers=2, time_limit=10)["bound"]
t = Table(
    title="jobs served by their deadline (load 0.9 of capacity, deadline = arrival + 1.5 x fastest run); "
    "'+ac': admission control and classical fallback"
)
for col in ("policy", "served of 200", "work served (s)", "of 12", "aborted", "withdrawn", "admitted late"):
    t.add_column(col, no_wrap=col == "policy")
for name in POLICIES:
    m = simulate(long_trace, fleet, make(name), workers=2).metrics()
    short = simulate(short_trace, fleet, make(name), workers=2).metrics()
    t.add_row(
        name,
        str(m["served"]),
        f"{m['served_work']:.0f}",
        str(short["served"]),
        str(m["aborted"]),
        str(m["withdrawn"]),
        str(m["deferred"]),
    )
t.add_row("offline (hindsight)", "-", "-", f"{h['served']} found, bound {bound}", "-", "-", "-")
console.print(t)
