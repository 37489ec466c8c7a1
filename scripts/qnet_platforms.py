"""Platform presets against the composite default: link success, link rate, a 1-hop fidelity and
the requests the optimal entanglement routing serves on SURFnet (``physics.platform``).

The routing rows are the README's "SURFnet, endpoints <= 150 km apart" instances: 5 seeds x 20
requests (``routing.random_requests``, fidelity 0.7-0.85, rate 1-20 pairs/s), k = 3 candidate
paths, 6 memory qubits per node, 2 channels per fibre; the optimum by OR-Tools, every answer
recomputed by ``routing.check_routes``. Prints Markdown.

Run: ``.venv/bin/python scripts/qnet_platforms.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import numpy as np

import qbdsl as qb
from qbdsl.problems.qnet import load_topology, physics
from qbdsl.problems.qnet import routing as R

SEEDS = range(5)
N, MAX_KM, K, MEMORY = 20, 150, 3, 6


def served(topology, params: physics.Params) -> tuple[int, int]:
    """Requests reachable at all (some candidate meets the fidelity) and served by the optimum."""
    reachable = optimal = 0
    kw = dict(params=params, memory=MEMORY)
    for seed in SEEDS:
        req = R.random_requests(topology, N, seed=seed, max_km=MAX_KM)
        lp = R.lp_relaxation(topology, req, k=K, **kw)
        reachable += len(np.unique(lp.candidates.owner[lp.candidates.usable]))
        if not len(lp.options):
            continue
        model = R.entanglement_routing(topology, req, k=K, **kw)
        routes = R.interpret_routing(model, qb.solve(model, backend="ortools", time_limit=60))["routes"]
        problems = R.check_routes(topology, req, routes, **kw)
        if problems:
            raise AssertionError(f"seed {seed}: {problems[0]}")
        optimal += len(routes)
    return reachable, optimal


def row(name: str, params: physics.Params, surfnet) -> list:
    p = physics.link_success([10.0, 50.0], params)
    r = physics.link_rate([10.0, 50.0], params)
    f = physics.path_fidelity([[10.0]], [[0]], params)[0]
    reach, opt = served(surfnet, params)
    return [name, f"{p[0]:.3g}", f"{p[1]:.3g}", f"{r[0]:.3g}", f"{r[1]:.3g}", f"{f:.4f}", reach, opt]


def main() -> None:
    surfnet = load_topology("surfnet")
    header = [
        "parameters",
        "link success 10 km",
        "link success 50 km",
        "link rate 10 km (pairs/s)",
        "link rate 50 km (pairs/s)",
        "fidelity, 1 hop of 10 km",
        f"SURFnet <= {MAX_KM} km: reachable of {N * len(SEEDS)}",
        "served (optimal)",
    ]
    rows = [row("DEFAULT (composite)", physics.DEFAULT, surfnet)]
    rows += [row(name, physics.platform(name), surfnet) for name in physics.PLATFORMS]
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    for r in rows:
        print("| " + " | ".join(map(str, r)) + " |")


if __name__ == "__main__":
    main()
