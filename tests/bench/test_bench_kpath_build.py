"""k-path candidate paths: networkx's simple-path generator vs qbdsl.problems.paths (igraph's
compiled Yen under the documented tie rule), and the whole k-path model build.

Instances: Cernet (the shipped topology with the most demands: 41 nodes, 1 640 demands) and a
generated Waxman network of 500 nodes with 2 000 of its demands, k = 3. networkx runs
``islice(shortest_simple_paths(g, s, t, weight="cost"), k)`` per demand, as the routing
problems did before. On Waxman-500 networkx takes about 34 ms a demand, so the default run
times it on 200 of the 2 000 demands (the same 200 for both) and the ``slow`` test on all of
them. One run; times and ratios are printed and written to ``out/bench/kpath_build.json``,
never asserted (both libraries are imported before timing). Asserted: both find the same
number of paths with the same costs.
"""

import itertools
import json
import math
import time
from pathlib import Path

import igraph  # noqa: F401  (imported here so its first-import time, about 1 s, is not timed)
import networkx as nx
import numpy as np
import pytest

from qbdsl.problems import data, routing
from qbdsl.problems.paths import PathGraph, k_shortest

OUT = Path(__file__).resolve().parent.parent.parent / "out" / "bench"
K = 3


def waxman_demands(n_demands: int = 2000):
    net = data.waxman(500, seed=0)
    live = np.flatnonzero(net.demand_volume > 0)
    return net, live[np.linspace(0, len(live) - 1, n_demands).astype(np.int64)]


def networkx_paths(net, demands) -> list[list[tuple]]:
    g = routing.path_graph(net)
    return [
        [tuple(p) for p in itertools.islice(nx.shortest_simple_paths(g, int(s), int(t), weight="cost"), K)]
        for s, t in zip(net.demand_src[demands], net.demand_dst[demands])
    ]


def igraph_paths(net, demands) -> list[list[tuple]]:
    g = PathGraph.from_network(net)
    return [k_shortest(g, s, t, K) for s, t in zip(net.demand_src[demands].tolist(), net.demand_dst[demands].tolist())]


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def _same_costs(net, ours, ref):
    g = PathGraph.from_network(net)
    cost = lambda p: math.fsum(g.cost[g.edges_of(p)].tolist())  # noqa: E731
    for a, b in zip(ours, ref):
        assert len(a) == len(b)
        assert sorted(map(cost, a)) == pytest.approx(sorted(map(cost, b)), rel=1e-9)


def _write(key: str, report: dict):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "kpath_build.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old[key] = report
    path.write_text(json.dumps(old, indent=2))
    print(f"\n{key}: " + json.dumps(report, indent=2))


def test_cernet_all_demands():
    net = data.network("repetita:Cernet")
    demands = np.flatnonzero(net.demand_volume > 0)
    t_nx, ref = _timed(networkx_paths, net, demands)
    t_ig, ours = _timed(igraph_paths, net, demands)
    t_model, m = _timed(routing.kpath_routing, net, K)
    _same_costs(net, ours, ref)
    assert len(m.paths) == sum(map(len, ours))
    _write(
        "cernet",
        {
            "demands": len(demands),
            "k": K,
            "networkx_s": t_nx,
            "igraph_s": t_ig,
            "speedup": t_nx / t_ig,
            "kpath_model_build_s": t_model,
        },
    )


@pytest.mark.slow  # 24 s; test_cernet_all_demands checks the same path enumeration against networkx in make test
def test_waxman500_2000_demands():
    net, demands = waxman_demands()
    sample = demands[:: len(demands) // 200]
    t_nx, ref = _timed(networkx_paths, net, sample)
    t_ig_sample, ours = _timed(igraph_paths, net, sample)
    _same_costs(net, ours, ref)
    t_ig, _ = _timed(igraph_paths, net, demands)
    t_model, m = _timed(routing.kpath_routing, net, K, "congestion", demands)
    assert len(np.unique(m.path_owner)) == len(demands)
    _write(
        "waxman-500",
        {
            "nodes": net.n_nodes,
            "arcs": net.n_links,
            "demands": len(demands),
            "k": K,
            "sample": len(sample),
            "networkx_sample_s": t_nx,
            "igraph_sample_s": t_ig_sample,
            "speedup": t_nx / t_ig_sample,
            "networkx_ms_per_demand": 1e3 * t_nx / len(sample),
            "igraph_ms_per_demand": 1e3 * t_ig / len(demands),
            "igraph_all_s": t_ig,
            "networkx_all_s_estimated": t_nx / len(sample) * len(demands),
            "kpath_model_build_s": t_model,
        },
    )


@pytest.mark.slow
def test_waxman500_2000_demands_networkx_in_full():
    net, demands = waxman_demands()
    t_nx, ref = _timed(networkx_paths, net, demands)
    t_ig, ours = _timed(igraph_paths, net, demands)
    _same_costs(net, ours, ref)
    _write(
        "waxman-500-full",
        {"demands": len(demands), "k": K, "networkx_s": t_nx, "igraph_s": t_ig, "speedup": t_nx / t_ig},
    )
