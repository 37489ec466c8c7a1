"""Loop-free k shortest paths with one documented, deterministic tie rule.

The tie rule
------------
The loop-free paths from ``s`` to ``t`` are ranked by the key ``(cost, hops, nodes)``:

1. ``cost``: the sum of the link costs along the path, computed exactly and rounded once
   (:func:`math.fsum`), so two paths whose costs are equal as real numbers tie whatever
   order their links are added in;
2. ``hops``: fewer links first;
3. ``nodes``: the sequence of node indices, lexicographically smallest first.

:func:`k_shortest` returns the first ``k`` paths under this order (all of them when there
are fewer). Every path search in :mod:`qbdsl.problems` (k-path routing candidates, slice
placement routes and their check) goes through this module, so they all follow the rule.

How
---
igraph's compiled Yen algorithm enumerates paths by cost, but breaks ties in its own way.
:func:`k_shortest` asks it for more than ``k`` paths, doubling the request until the last
path found ranks strictly after the k-th (or the paths run out), then sorts what it found
by the key and keeps ``k``. When link costs are whole numbers (IGP weights, SNDlib, hop
counts; or multiples of a power of two such as 0.5) igraph is given the weight
``cost * n_nodes + 1`` per link (costs scaled to whole numbers first), whose path sums order
paths exactly by ``(cost, hops)``, so only equal-cost, equal-hop paths need the extra
requests. When more than ``max_ask`` paths tie at the k-th key (a unit-cost grid can have
millions), :func:`exact_k_shortest` takes over: Yen's algorithm in numpy/scipy whose spur
search returns the minimum path under the key directly (Dijkstra to the target, then the
lexicographically smallest walk along tight links). It is also the reference the tests
check igraph's answer against. One limit: with costs off every 2^-20 grid (decimals such
as 0.1) its spur search compares float sums within a relative 1e-12, so two paths whose
costs differ by less than that without being equal may come out in either order there;
the igraph route always sorts by the exact key.
"""

from __future__ import annotations

import heapq
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from qbdsl.errors import ModelError

from .network import Network

Path = tuple[int, ...]

_REL_TOL = 1e-12  # float costs: sums this close count as the same optimum in the spur search
_MAX_SHIFT = 20  # costs that are multiples of 2^-20 (0.5, 0.25, ...) are ranked in exact integers


@dataclass(eq=False)
class PathGraph:
    """The simple directed graph that path searches run on.

    One edge per direction between two nodes: the cheapest of the network's parallel links
    that way (on equal cost, the one listed last), no self-loops. Edges are sorted by
    ``(tail, head)``.

    Attributes
    ----------
    n : int
        Number of nodes.
    tail, head : numpy.ndarray
        int64, shape (E,): edge ``i`` runs ``tail[i] -> head[i]``.
    cost : numpy.ndarray
        float64, shape (E,): the link cost of each edge (>= 0).
    link : numpy.ndarray
        int64, shape (E,): the network link each edge stands for.
    integral : bool
        True when every cost is a multiple of ``2^-j`` (``j`` <= 20; whole numbers: ``j = 0``)
        and ``cost 2^j n + hops`` sums stay exact in float64; then the edge weight
        ``rank = cost 2^j n + 1`` orders paths exactly by ``(cost, hops)``. Otherwise
        ``rank = cost``.
    """

    n: int
    tail: np.ndarray
    head: np.ndarray
    cost: np.ndarray
    link: np.ndarray
    integral: bool = field(init=False)
    rank: np.ndarray = field(init=False, repr=False)
    indptr: np.ndarray = field(init=False, repr=False)
    _igraph: object = field(init=False, repr=False, default=None)

    def __post_init__(self):
        self.integral, self.rank = False, self.cost
        for j in range(_MAX_SHIFT + 1):  # costs on a grid 2^-j: exact whole numbers once scaled
            scaled = self.cost * 2.0**j  # (a power of two scales exactly)
            if np.all(scaled == np.floor(scaled)):
                if (scaled.sum() + 1) * max(self.n, 1) < 2.0**52:
                    self.integral, self.rank = True, scaled * self.n + 1
                break
        self.indptr = np.searchsorted(self.tail, np.arange(self.n + 1)).astype(np.int64)

    @classmethod
    def from_network(cls, net: Network) -> PathGraph:
        """The path graph of ``net``'s arcs (both directions of an undirected link).

        Raises
        ------
        ModelError
            A link cost is negative or not finite (the message names the link).
        """
        tail, head, link = net.arcs()
        cost = np.asarray(net.cost, float)[link]
        bad = ~np.isfinite(cost) | (cost < 0)
        if bad.any():
            e = int(link[np.flatnonzero(bad)[0]])
            raise ModelError(
                f"network {net.name!r}: link {net.link_label(e)} has cost {net.cost[e]}; "
                "path search needs finite costs >= 0"
            )
        keep = tail != head
        tail, head, link, cost = tail[keep], head[keep], link[keep], cost[keep]
        arc = np.arange(len(tail))
        order = np.lexsort((-arc, cost, head, tail))  # per (tail, head): cheapest, then last listed
        tail, head, link, cost = tail[order], head[order], link[order], cost[order]
        first = np.ones(len(tail), bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        return cls(
            net.n_nodes,
            tail[first].astype(np.int64),
            head[first].astype(np.int64),
            cost[first],
            link[first].astype(np.int64),
        )

    # ------------------------------------------------------------ paths as node tuples
    def edges_of(self, nodes: Path) -> np.ndarray:
        """Edge ids along a node sequence, shape (len(nodes) - 1,).

        Raises
        ------
        ModelError
            Two consecutive nodes are not joined by an edge.
        """
        if len(nodes) < 2:
            return np.zeros(0, np.int64)
        a = np.asarray(nodes[:-1], np.int64)
        b = np.asarray(nodes[1:], np.int64)
        code = self.tail * self.n + self.head
        e = np.searchsorted(code, a * self.n + b)
        ok = (e < len(code)) & (code[np.minimum(e, len(code) - 1)] == a * self.n + b)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ModelError(f"no link from node {int(a[i])} to node {int(b[i])}")
        return e

    def links_of(self, nodes: Path) -> np.ndarray:
        """Network link ids along a node sequence, int64, shape (len(nodes) - 1,)."""
        return self.link[self.edges_of(nodes)]

    def key(self, nodes: Path, edges: np.ndarray | None = None) -> tuple:
        """The tie rule's sort key of a path: ``(cost, hops, nodes)``.

        In the integral case the first entry is the exact integer ``cost * n + hops``, which
        orders the same way as ``(cost, hops)``.
        """
        e = self.edges_of(nodes) if edges is None else edges
        if self.integral:
            return (int(self.rank[e].sum()), tuple(nodes))
        return (math.fsum(self.cost[e].tolist()), len(e), tuple(nodes))

    def igraph(self):
        """The igraph ``Graph`` of these edges (edge ids match; ``rank`` in the edge attribute
        ``"rank"``), built once."""
        if self._igraph is None:
            import igraph

            ig = igraph.Graph(n=self.n, edges=np.stack([self.tail, self.head], 1).tolist(), directed=True)
            ig.es["rank"] = self.rank.tolist()
            self._igraph = ig
        return self._igraph

    # ------------------------------------------------------------ exact minimum under the key
    def _tight(self, t: int, edge_ok: np.ndarray, node_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances to ``t`` (over allowed edges and nodes) and the mask of the edges that lie
        on a minimum ``(cost, hops)`` path to ``t``."""
        ok = edge_ok & node_ok[self.tail] & node_ok[self.head]
        w = self.rank[ok]
        R = sp.csr_matrix((w, (self.head[ok], self.tail[ok])), shape=(self.n, self.n))  # reversed
        dist = dijkstra(R, directed=True, indices=t)
        x, y = self.tail, self.head
        if self.integral:  # exact: rank sums are whole numbers in float64
            tight = ok & np.isfinite(dist[x]) & (dist[x] == self.rank + dist[y])
            return dist, tight
        tight = ok & np.isfinite(dist[x]) & np.isclose(dist[x], self.cost + dist[y], rtol=_REL_TOL, atol=0)
        T = sp.csr_matrix((np.ones(int(tight.sum())), (y[tight], x[tight])), shape=(self.n, self.n))
        hop = dijkstra(T, directed=True, indices=t, unweighted=True)
        return dist, tight & (hop[x] == hop[y] + 1)

    def _walk(self, u: int, t: int, tight: np.ndarray) -> Path:
        """The lexicographically smallest walk from ``u`` to ``t`` along ``tight`` edges."""
        path = [u]
        while u != t:
            a, b = self.indptr[u], self.indptr[u + 1]
            u = int(self.head[a + int(np.argmax(tight[a:b]))])
            path.append(u)
        return tuple(path)

    def best_path(
        self, u: int, t: int, edge_ok: np.ndarray | None = None, node_ok: np.ndarray | None = None
    ) -> Path | None:
        """The first path from ``u`` to ``t`` under the tie rule, using only allowed edges and
        nodes (masks of shape (E,) and (n,); default all), or None when there is none."""
        edge_ok = np.ones(len(self.tail), bool) if edge_ok is None else edge_ok
        node_ok = np.ones(self.n, bool) if node_ok is None else node_ok
        if u == t:
            return (u,)
        dist, tight = self._tight(t, edge_ok, node_ok)
        return self._walk(u, t, tight) if np.isfinite(dist[u]) else None

    def best_paths_to(self, t: int, sources) -> list[Path | None]:
        """The first path under the tie rule from each of ``sources`` to ``t`` (None where
        unreachable): one Dijkstra for all of them."""
        dist, tight = self._tight(t, np.ones(len(self.tail), bool), np.ones(self.n, bool))
        return [
            (s,) if s == t else (self._walk(s, t, tight) if np.isfinite(dist[s]) else None)
            for s in (int(v) for v in sources)
        ]


def exact_k_shortest(g: PathGraph, s: int, t: int, k: int) -> list[Path]:
    """The first ``k`` loop-free paths from ``s`` to ``t`` under the tie rule (pure numpy/scipy).

    Yen's algorithm whose spur search (:meth:`PathGraph.best_path`) returns the minimum
    path under the key; since a shared root prefix adds the same cost, hops and leading
    nodes to every candidate, the minimum spur gives the minimum candidate, and paths come
    out in key order. Costs one Dijkstra per spur node: the fallback for large ties and the
    reference for :func:`k_shortest`.

    Returns
    -------
    list of tuple of int
        Node sequences, first to last under the rule; fewer than ``k`` when there are fewer.
    """
    first = g.best_path(s, t)
    if first is None:
        return []
    found = [first]
    seen = {first}
    heap: list = []
    while len(found) < k:
        prev = found[-1]
        for j in range(len(prev) - 1):
            root = prev[: j + 1]
            edge_ok = np.ones(len(g.tail), bool)
            for p in found:
                if p[: j + 1] == root and len(p) > j + 1:
                    edge_ok[g.edges_of(p[j : j + 2])] = False
            node_ok = np.ones(g.n, bool)
            node_ok[list(root[:-1])] = False
            spur = g.best_path(prev[j], t, edge_ok, node_ok)
            if spur is not None:
                cand = root[:-1] + spur
                if cand not in seen:
                    seen.add(cand)
                    heapq.heappush(heap, g.key(cand))
        if not heap:
            break
        found.append(heapq.heappop(heap)[-1])
    return found


def k_shortest(g: PathGraph, s: int, t: int, k: int, max_ask: int | None = None) -> list[Path]:
    """The first ``k`` loop-free paths from ``s`` to ``t`` under the tie rule (module docstring).

    Parameters
    ----------
    g : PathGraph
        The graph to search (e.g. from :meth:`PathGraph.from_network`); its edge costs rank
        the paths.
    s, t : int
        Node indices.
    k : int
        How many paths (>= 1).
    max_ask : int, optional
        The most paths igraph is asked for before :func:`exact_k_shortest` takes over
        (default ``8 k + 24``).

    Returns
    -------
    list of tuple of int
        Node sequences (``(s,)`` alone when ``s == t``); empty when ``t`` is unreachable.

    Raises
    ------
    ModelError
        ``k`` < 1.
    """
    if k < 1:
        raise ModelError(f"k must be >= 1, got {k}")
    s, t = int(s), int(t)
    if s == t:
        return [(s,)]
    if k == 1:
        best = g.best_path(s, t)
        return [] if best is None else [best]
    max_ask = 8 * k + 24 if max_ask is None else max(max_ask, k + 1)
    ig = g.igraph()
    ask = k + 1
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't reach some vertices"
            epaths = ig.get_k_shortest_paths(s, t, k=ask, weights="rank", mode="out", output="epath")
        if not epaths:
            return []
        keyed = []
        for ep in epaths:
            e = np.asarray(ep, np.int64)
            keyed.append(g.key((s, *g.head[e].tolist()), e))
        ranked = sorted(keyed)
        if len(epaths) < ask:  # every loop-free path is here
            return [key[-1] for key in ranked[:k]]
        kth, last = ranked[k - 1][0], ranked[-1][0]
        # igraph lists paths by its own float sums: a margin covers their rounding
        if last > (kth if g.integral else kth + _REL_TOL * abs(kth)):
            return [key[-1] for key in ranked[:k]]
        if ask >= max_ask:
            return exact_k_shortest(g, s, t, k)
        ask = min(2 * ask, max_ask)
