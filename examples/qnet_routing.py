"""Entanglement routing and joint quantum-classical slicing on SURFnet (Internet Topology Zoo).

1. 20 random entanglement requests (endpoints at most 150 km of fibre apart, fidelity
   0.7-0.85, 1-20 pairs/s) on SURFnet with 6 memory qubits per node: the optimal routing
   (MILP, OR-Tools) against the LP-rounding, shortest-path and Q-CAST-style greedy baselines,
   every answer recomputed by the second-implementation check; GEANT's long spans for contrast, without
   and with repeater stations every 25 km.
2. 16 slices that need classical bandwidth and entanglement: joint placement against placing
   the two layers one after the other, in both orders.
3. The chosen routes drawn at their nodes' coordinates, coloured by end-to-end fidelity:
   ``out/qnet-routes.png``.
"""

from pathlib import Path

import numpy as np

import qbdsl as qb
from qbdsl.problems.qnet import load_topology, physics
from qbdsl.problems.qnet import plot as qplot
from qbdsl.problems.qnet import routing as R
from qbdsl.problems.qnet import slicing as S

out = Path(__file__).resolve().parent.parent / "out"
surfnet = load_topology("surfnet")
print(surfnet)

# 1. routing: optimal vs baselines
req = R.random_requests(surfnet, 20, seed=0, max_km=150)
model = R.entanglement_routing(surfnet, req, k=3, memory=6)
r = qb.solve(model, backend="ortools", time_limit=60)
optimal = R.interpret_routing(model, r)["routes"]
answers = {
    "optimal (MILP)": optimal,
    "LP rounding": R.lp_rounding_routes(surfnet, req, k=3, memory=6),
    "shortest path": R.shortest_path_routes(surfnet, req, memory=6),
    "greedy (Q-CAST style)": R.greedy_routes(surfnet, req, k=3, memory=6),
}
print(f"{'router':24s} served  check")
for name, routes in answers.items():
    problems = R.check_routes(surfnet, req, routes, memory=6)
    print(f"{name:24s} {len(routes):3d}/{req.n}  {'routes ok' if not problems else 'FAILED ' + problems[0]}")

geant = load_topology("geant")
greq = R.random_requests(geant, 20, seed=0, max_km=1500)
print(f"{geant.name}: median span {np.median(geant.length_km):.0f} km (SURFnet {np.median(surfnet.length_km):.0f} km)")
for label, params in (
    ("no repeater stations", physics.DEFAULT),
    ("stations every 25 km", physics.Params(repeater_spacing_km=25.0)),
    ("stations every 25 km, repeater-grade", physics.repeater_grade(25.0)),
):
    gcand = R.candidates(geant, greq, k=3, params=params)
    reachable = len(np.unique(gcand.owner[gcand.usable]))
    print(f"  {label:38s} {reachable:2d} of {greq.n} requests have a path reaching their fidelity and rate")

# 2. joint vs sequential slicing
sl = S.random_qslices(surfnet, 16, seed=4, max_km=120)
caps = {"bandwidth": 3.0, "memory": 6, "channel_bandwidth": 1.0}
res = S.compare_slicing(surfnet, sl, k=3, **caps)
print(f"{'slicing':24s} admitted  check")
for name, a in res["answers"].items():
    problems = S.check_slicing(surfnet, sl, a, **caps)
    verdict = "slicing check ok" if not problems else "FAILED " + problems[0]
    print(f"{name:24s} {int(a['admitted'].sum()):3d}/{sl.n}    {verdict}")

# 3. the optimal routes, coloured by fidelity
print(
    "plot:", qplot.plot_routes(surfnet, optimal, out / "qnet-routes.png", title="SURFnet: optimal entanglement routes")
)
