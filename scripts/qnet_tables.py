"""The README's quantum-network tables: requests served by the optimal entanglement routing
against the LP-rounding, Q-CAST-style greedy and shortest-path baselines (on SURFnet, and on
GEANT without and with repeater stations), the routing factor's effect, and slices admitted
by joint quantum-classical placement against the two sequential orders, plain and screened
(``qbdsl.problems.qnet``).

5 seeds per row, k = 3 candidate paths, 6 memory qubits per node, 2 channels per fibre; the
optimum by OR-Tools (MILP), the LP bound by OR-Tools (HiGHS); every answer recomputed by the
second-implementation checks (``routing.check_routes``, ``slicing.check_slicing``). Prints Markdown.

Run: ``.venv/bin/python scripts/qnet_tables.py [routing] [factor] [slicing]`` (all three by
default; on an otherwise idle 2-core machine about 12 minutes before the recovering blocks, more
than 50 on a loaded one after: each rounds vector solves the storage chain).
"""

from __future__ import annotations

import sys

import numpy as np

import qbdsl as qb
from qbdsl.problems.qnet import load_topology, physics
from qbdsl.problems.qnet import routing as R
from qbdsl.problems.qnet import slicing as S

SEEDS = range(5)
K, MEMORY = 3, 6
METHODS = ("optimal", "LP rounding", "greedy", "shortest path")


def _draw(topology, n: int, max_km, seed: int) -> R.Requests:
    return R.random_requests(topology, n, seed=seed, **({} if max_km is None else {"max_km": max_km}))


def served(topology, requests: list, params: physics.Params = physics.DEFAULT) -> dict:
    """Requests served per method and reachable at all, summed over the instances; the LP bound."""
    got = dict.fromkeys(METHODS, 0)
    got["reachable"], got["LP bound"] = 0, 0.0
    kw = dict(params=params, memory=MEMORY)
    for seed, req in enumerate(requests):
        lp = R.lp_relaxation(topology, req, k=K, **kw)
        got["reachable"] += len(np.unique(lp.candidates.owner[lp.candidates.usable]))
        got["LP bound"] += lp.bound
        answers = {
            "shortest path": R.shortest_path_routes(topology, req, **kw),
            "greedy": R.greedy_routes(topology, req, k=K, **kw),
            "LP rounding": R.lp_rounding_routes(topology, req, k=K, relaxation=lp, seed=seed, **kw),
            "optimal": {},
        }
        if len(lp.options):
            model = R.entanglement_routing(topology, req, k=K, **kw)
            answers["optimal"] = R.interpret_routing(model, qb.solve(model, backend="ortools", time_limit=60))["routes"]
        for name, routes in answers.items():
            problems = R.check_routes(topology, req, routes, params=params, memory=MEMORY)
            if problems:
                raise AssertionError(f"{topology.name} seed {seed} {name}: {problems[0]}")
            got[name] += len(routes)
    return got


def routing_row(topology, n: int, max_km, stations: str = "none", params=physics.DEFAULT) -> list:
    got = served(topology, [_draw(topology, n, max_km, seed) for seed in SEEDS], params)
    where = "any endpoints" if max_km is None else f"endpoints <= {max_km} km apart"
    return [f"{topology.name}, {where}", stations, n, got["reachable"], f"{got['LP bound']:.1f}"] + [
        got[m] for m in METHODS
    ]


def factor_row(factor: float, cases) -> list:
    """The same requests (drawn at the default factor) on fibres of great circle x ``factor``."""
    cells = []
    for name, n, max_km, params in cases:
        base = load_topology(name)
        reqs = [_draw(base, n, max_km, seed) for seed in SEEDS]
        got = served(load_topology(name, routing_factor=factor), reqs, params)
        cells.append(f"{got['reachable']} / {got['optimal']} / {got['greedy']}")
    return [factor, *cells]


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


def _print(header: list, rows: list) -> None:
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    for r in rows:
        print("| " + " | ".join(map(str, r)) + " |")


SECTIONS = ("routing", "factor", "slicing")


def main(sections=SECTIONS) -> None:
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"qnet_tables.py: unknown section {unknown[0]!r}; sections: {', '.join(SECTIONS)}")
    surfnet, geant = load_topology("surfnet"), load_topology("geant")
    today = physics.Params(repeater_spacing_km=25.0)
    grade = physics.repeater_grade(25.0)
    if "routing" in sections:
        header = ["topology", "repeater stations", "requests per seed", "reachable at all", "LP bound", *METHODS]
        rows = [
            routing_row(surfnet, 20, 150),
            routing_row(surfnet, 30, None),
            routing_row(geant, 20, None),
            routing_row(geant, 20, 1500),
            routing_row(geant, 20, None, "every 25 km", today),
            routing_row(geant, 20, None, "every 25 km, repeater-grade", grade),
            routing_row(geant, 20, 1500, "every 25 km, repeater-grade", grade),
            routing_row(geant, 20, 1500, "every 50 km, repeater-grade", physics.repeater_grade(50.0)),
        ]
        _print(header, rows)
        print(flush=True)
    if "factor" in sections:
        cases = [
            ("surfnet", 20, 150, physics.DEFAULT),
            ("surfnet", 30, None, physics.DEFAULT),
            ("geant", 20, 1500, grade),
        ]
        _print(
            [
                "routing factor",
                "surfnet <= 150 km: reachable / optimal / greedy",
                "surfnet any: reachable / optimal / greedy",
                "geant <= 1500 km, repeater-grade 25 km: reachable / optimal / greedy",
            ],
            [factor_row(f, cases) for f in (1.3, 1.5, 2.0)],
        )
        print(flush=True)
    if "slicing" in sections:
        rows = [
            slicing_row(surfnet, *args)
            for args in ((16, 4.0, 0.0, 120), (20, 4.0, 0.0, 150), (16, 3.0, 1.0, 120), (20, 3.0, 1.0, 150))
        ]
        names = rows[0][1]
        _print(["slices per seed", "bandwidth per link", "channel bandwidth", "max km", *names], [r for r, _ in rows])


if __name__ == "__main__":
    main(sys.argv[1:] or SECTIONS)
