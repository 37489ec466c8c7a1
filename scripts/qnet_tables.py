"""The README's quantum-network tables: requests served by the optimal entanglement routing
against the shortest-path and Q-CAST-style greedy baselines, and slices admitted by joint
quantum-classical placement against the two sequential orders (``qbdsl.problems.qnet``).

SURFnet (and GEANT for contrast), 5 seeds per row, k = 3 candidate paths, 6 memory qubits per
node, 2 channels per fibre; the optimum by OR-Tools (MILP); every answer recomputed by the
independent checks (``routing.check_routes``, ``slicing.check_slicing``). Prints Markdown.

Run: ``.venv/bin/python scripts/qnet_tables.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import numpy as np

import qbdsl as qb
from qbdsl.problems.qnet import load_topology
from qbdsl.problems.qnet import routing as R
from qbdsl.problems.qnet import slicing as S

SEEDS = range(5)
K, MEMORY = 3, 6


def routing_row(topology, n: int, max_km) -> list:
    served = {"optimal": 0, "shortest path": 0, "greedy": 0}
    reachable = 0
    for seed in SEEDS:
        req = R.random_requests(topology, n, seed=seed, **({} if max_km is None else {"max_km": max_km}))
        cand = R.candidates(topology, req, k=K)
        reachable += len(np.unique(cand.owner[cand.usable]))
        answers = {"shortest path": R.shortest_path_routes(topology, req, memory=MEMORY)}
        answers["greedy"] = R.greedy_routes(topology, req, k=K, memory=MEMORY)
        if cand.usable.any():
            model = R.entanglement_routing(topology, req, k=K, memory=MEMORY)
            answers["optimal"] = R.interpret_routing(model, qb.solve(model, backend="ortools", time_limit=60))["routes"]
        else:
            answers["optimal"] = {}
        for name, routes in answers.items():
            problems = R.check_routes(topology, req, routes, memory=MEMORY)
            if problems:
                raise AssertionError(f"{topology.name} seed {seed} {name}: {problems[0]}")
            served[name] += len(routes)
    where = "any endpoints" if max_km is None else f"endpoints <= {max_km} km apart"
    return [f"{topology.name}, {where}", n, reachable, served["optimal"], served["shortest path"], served["greedy"]]


def slicing_row(topology, n: int, bandwidth: float, channel_bandwidth: float, max_km: float) -> list:
    got = {}
    for seed in SEEDS:
        sl = S.random_qslices(topology, n, seed=seed, max_km=max_km)
        caps = {"bandwidth": bandwidth, "memory": MEMORY, "channel_bandwidth": channel_bandwidth}
        res = S.compare_slicing(topology, sl, k=K, **caps)
        for name, a in res["answers"].items():
            problems = S.check_slicing(topology, sl, a, **caps)
            if problems:
                raise AssertionError(f"seed {seed} {name}: {problems[0]}")
            got[name] = got.get(name, 0) + int(a["admitted"].sum())
    return [n, bandwidth, channel_bandwidth, max_km, *(got[k] for k in sorted(got))], sorted(got)


def main() -> None:
    surfnet, geant = load_topology("surfnet"), load_topology("geant")
    print("| topology | requests per seed | reachable at all | optimal | shortest path | greedy (Q-CAST style) |")
    print("|---|---|---|---|---|---|")
    for topo, n, km in ((surfnet, 20, 150), (surfnet, 30, None), (geant, 20, None), (geant, 20, 1500)):
        print("| " + " | ".join(map(str, routing_row(topo, n, km))) + " |")
    print()
    rows = [
        slicing_row(surfnet, *args)
        for args in ((16, 4.0, 0.0, 120), (20, 4.0, 0.0, 150), (16, 3.0, 1.0, 120), (20, 3.0, 1.0, 150))
    ]
    names = rows[0][1]
    print("| slices per seed | bandwidth per link | channel bandwidth | max km | " + " | ".join(names) + " |")
    print("|---" * (4 + len(names)) + "|")
    for r, _ in rows:
        print("| " + " | ".join(map(str, r)) + " |")


if __name__ == "__main__":
    main()
