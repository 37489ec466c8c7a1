"""k shortest paths under the documented tie rule (cost, hops, node sequence): igraph's Yen
with over-asking and the numpy/scipy Yen both against brute-force enumeration and against
networkx's ``shortest_simple_paths`` on random graphs."""

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdsl.errors import ModelError
from qbdsl.problems import routing
from qbdsl.problems.network import Network
from qbdsl.problems.paths import PathGraph, exact_k_shortest, k_shortest

COSTS = {
    "whole": [0.0, 1.0, 2.0, 3.0],  # many ties, zero-cost links too
    "halves": [0.5, 1.0, 1.5],  # on a 2^-1 grid: ranked in exact integers
    "decimal": [0.1, 0.2, 0.3, 0.7],  # off every dyadic grid: float keys (0.1 + 0.2 != 0.3)
    "random": None,  # continuous: ties have probability zero
}


@st.composite
def graphs(draw):
    """A random directed network (parallel links allowed) with a cost family, a pair and k."""
    n = draw(st.integers(2, 9))
    kind = draw(st.sampled_from(sorted(COSTS)))
    m = draw(st.integers(1, 4 * n))
    src = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    if COSTS[kind] is None:
        cost = draw(st.lists(st.floats(0.01, 10.0), min_size=m, max_size=m))
    else:
        cost = draw(st.lists(st.sampled_from(COSTS[kind]), min_size=m, max_size=m))
    net = Network("rand", [f"v{i}" for i in range(n)], src, dst, np.ones(m), True, np.array(cost))
    s, t = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    return net, kind, s, t, draw(st.integers(1, 6))


def brute_force(g: PathGraph, s: int, t: int, k: int) -> list[tuple]:
    """Every simple path enumerated by networkx, sorted by the rule's exact key, first k."""
    d = nx.DiGraph()
    d.add_nodes_from(range(g.n))
    d.add_edges_from(zip(g.tail.tolist(), g.head.tolist()))
    if s == t:
        return [(s,)]
    allp = [tuple(p) for p in nx.all_simple_paths(d, s, t)]
    key = {p: (math.fsum(g.cost[g.edges_of(p)].tolist()), len(p) - 1, p) for p in allp}
    return sorted(allp, key=key.get)[:k]


def fsum_cost(g: PathGraph, p: tuple) -> float:
    return math.fsum(g.cost[g.edges_of(p)].tolist())


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_k_shortest_is_the_first_k_under_the_rule(case):
    net, kind, s, t, k = case
    g = PathGraph.from_network(net)
    want = brute_force(g, s, t, k)
    got = k_shortest(g, s, t, k)
    assert got == want
    forced = k_shortest(g, s, t, k, max_ask=k + 1)  # the scipy fallback after one ask
    if kind != "decimal":  # its spur search compares float sums
        assert exact_k_shortest(g, s, t, k) == want or s == t
        assert forced == want
    else:
        assert [fsum_cost(g, p) for p in forced] == pytest.approx([fsum_cost(g, p) for p in want], rel=1e-9)
    tail, head, link = net.arcs()
    arcs = set(zip(tail.tolist(), head.tolist()))
    for p in got:  # simple, valid, from s to t
        assert p[0] == s and p[-1] == t and len(set(p)) == len(p)
        assert all((u, v) in arcs for u, v in zip(p[:-1], p[1:]))
        links = g.links_of(p)
        assert np.array_equal(net.src[links], p[:-1]) and np.array_equal(net.dst[links], p[1:])


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_same_costs_as_networkx_shortest_simple_paths(case):
    net, _, s, t, k = case
    if s == t:
        return
    g = PathGraph.from_network(net)
    d = routing.path_graph(net)
    try:
        ref = list(itertools.islice(nx.shortest_simple_paths(d, s, t, weight="cost"), k))
    except nx.NetworkXNoPath:
        ref = []
    got = k_shortest(g, s, t, k)
    assert len(got) == len(ref)
    assert sorted(fsum_cost(g, p) for p in got) == pytest.approx(
        sorted(fsum_cost(g, tuple(p)) for p in ref), rel=1e-9, abs=1e-12
    )


def test_ties_follow_the_rule_not_the_search_order():
    # 0 -> 3 by four routes of cost 2: three of 2 hops (via 1, 2 and 5) and one of 3 hops
    # (zero-cost 0 -> 4 -> 5, then 5 -> 3 at 2); the 2-hop ones come first, by node sequence
    net = Network(
        "ties",
        list("abcdef"),
        [0, 0, 1, 2, 0, 4, 5, 0],
        [1, 2, 3, 3, 4, 5, 3, 5],
        np.ones(8),
        True,
        np.array([1, 1, 1, 1, 0, 0, 2, 0], float),
    )
    g = PathGraph.from_network(net)
    assert k_shortest(g, 0, 3, 2) == [(0, 1, 3), (0, 2, 3)]
    assert exact_k_shortest(g, 0, 3, 9) == k_shortest(g, 0, 3, 9) == [(0, 1, 3), (0, 2, 3), (0, 5, 3), (0, 4, 5, 3)]


def test_parallel_links_take_the_cheapest_and_undirected_links_go_both_ways():
    net = Network("par", ["a", "b", "c"], [0, 0, 1], [1, 1, 2], np.ones(3), False, np.array([5.0, 2.0, 1.0]))
    g = PathGraph.from_network(net)
    assert g.links_of((0, 1, 2)).tolist() == [1, 2]
    assert g.links_of((2, 1, 0)).tolist() == [2, 1]
    paths, owner = routing.candidate_paths(net, [0, 2], [2, 0], 3)
    assert [p.tolist() for p in paths] == [[1, 2], [2, 1]] and owner.tolist() == [0, 1]


def test_unit_cost_grid_ties_beyond_the_ask_limit_use_the_exact_search():
    from qbdsl.problems.data import generators

    net = generators.grid(6, 6)  # unit costs: C(10, 5) = 252 shortest corner paths
    g = PathGraph.from_network(net)
    got = k_shortest(g, 0, 35, 4)
    assert got == exact_k_shortest(g, 0, 35, 4)
    assert got[0] == (0, 1, 2, 3, 4, 5, 11, 17, 23, 29, 35)  # lexicographically first
    assert got[1] == (0, 1, 2, 3, 4, 10, 11, 17, 23, 29, 35)
    assert all(len(p) == 11 for p in got)


def test_bad_input_is_named():
    net = Network("neg", ["a", "b"], [0], [1], [1.0], True, np.array([-1.0]))
    with pytest.raises(ModelError, match=r"link a->b has cost -1\.0"):
        PathGraph.from_network(net)
    ok = Network("ok", ["a", "b", "c"], [0], [1], [1.0], True)
    g = PathGraph.from_network(ok)
    with pytest.raises(ModelError, match="k must be >= 1, got 0"):
        k_shortest(g, 0, 1, 0)
    assert k_shortest(g, 0, 2, 3) == [] and k_shortest(g, 1, 0, 1) == []
    with pytest.raises(ModelError, match="no path from a to c"):
        routing.candidate_paths(ok, [0], [2], 2)
    with pytest.raises(ModelError, match="no link from node 1 to node 0"):
        g.edges_of((1, 0))
