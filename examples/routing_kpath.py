"""Unsplittable routing on Abilene: one of k shortest paths per demand. The congestion form is
a QUBO (one-hot choices, quadratic link load); the same model goes to annealing and OR-Tools
(given 5 s it stops at its time limit with the best routes found so far, congestion 0.527 here;
proving the optimum, 0.490, takes it about 16 s)."""

import numpy as np

import qbdsl as qb
from qbdsl.problems import data, routing

net = data.repetita("Abilene")
demands = np.arange(0, net.n_demands, 5)  # 22 demands
model = routing.kpath_routing(net, k=3, objective="congestion", demands=demands)
q = qb.compile(model, "qubo")
print(q.summary())
for backend, opts in (("anneal", {"num_reads": 200}), ("ortools", {"time_limit": 5})):
    r = qb.solve(model, backend=backend, seed=0, **opts)
    ans = routing.interpret_paths(model, r)
    problems = routing.check_paths(net, ans["routes"], demands)
    print(
        f"{backend:8s} {r.status:10s} congestion {r.objective:.5f}  max utilisation {ans['mlu']:.4f}  "
        f"routes {'ok' if not problems else problems[0]}"
    )
