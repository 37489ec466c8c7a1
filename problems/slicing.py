"""Network slicing: place chains of virtual functions (VNFs) on a substrate network.

Each slice is a chain of VNFs with CPU demands and a bandwidth between consecutive VNFs.
Variables: ``place[f, v]`` (VNF f on node v, one-hot), ``accept[s]`` (revenue objective).

Bandwidth routing, ``paths=1``: traffic between two placed VNFs follows the substrate's
shortest path between their nodes (nothing when they share a node), so a link's load is
quadratic in the placement: a QUBO-shaped objective, and for hard link capacities a
constraint the MILP target linearizes (a QUBO target cannot take quadratic constraints and
says so). ``paths=k > 1``: binary ``route[r]`` picks one of k candidate paths for each
virtual link and node pair, forced on when both endpoints sit there
(``sum_p route >= place_a,u + place_b,v - 1``, ``route <= place``), so the load and the link
capacities are linear: both targets take them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl.errors import ModelError

from .network import Network


@dataclass
class Slices:
    """Slice requests: F VNFs in S chains, V virtual links between consecutive VNFs.

    CPU demands are in the units of the substrate's ``cpu_capacity``, bandwidths in its link
    capacity units; ``revenue`` is what accepting each slice earns (objective units).
    """

    vnf_slice: np.ndarray  # (F,) slice of each VNF
    vnf_cpu: np.ndarray  # (F,) CPU demand
    vlink: np.ndarray  # (V, 2) VNF endpoints of each virtual link
    vlink_bw: np.ndarray  # (V,) bandwidth
    revenue: np.ndarray  # (S,)

    @property
    def n_slices(self) -> int:
        """The number S of slices."""
        return len(self.revenue)


def random_slices(n_slices: int, seed: int = 0, length=(2, 4), cpu=(1, 4), bandwidth=(1, 5)) -> Slices:
    """Seeded random chains; revenue = total CPU + total bandwidth of the slice.

    Parameters
    ----------
    n_slices : int
        The number S of slices.
    seed : int
        Seeds the draw.
    length, cpu, bandwidth : tuple of int
        Inclusive ranges of VNFs per chain, CPU units per VNF and bandwidth units per
        virtual link, each drawn uniformly.

    Returns
    -------
    Slices
        F = sum of the chain lengths VNFs, V = F - S virtual links.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(length[0], length[1] + 1, n_slices)
    vnf_slice = np.repeat(np.arange(n_slices), sizes)
    vnf_cpu = rng.integers(cpu[0], cpu[1] + 1, len(vnf_slice)).astype(float)
    first = np.cumsum(sizes) - sizes
    a = np.concatenate([first[s] + np.arange(sizes[s] - 1) for s in range(n_slices)]).astype(np.int64)
    vlink = np.stack([a, a + 1], 1) if len(a) else np.zeros((0, 2), np.int64)
    bw = rng.integers(bandwidth[0], bandwidth[1] + 1, len(a)).astype(float)
    revenue = np.bincount(vnf_slice, weights=vnf_cpu, minlength=n_slices) + np.bincount(
        vnf_slice[vlink[:, 0]], weights=bw, minlength=n_slices
    )
    return Slices(vnf_slice, vnf_cpu, vlink, bw, revenue)


def shortest_path_links(net: Network) -> sp.csr_matrix:
    """R[(u, v), e] = 1 when link e is on the shortest path from u to v: shape (n * n, links).

    The shortest path is the first under the tie rule of :mod:`qbdsl.problems.paths` (cost,
    then hops, then node sequence), the same one ``paths=1`` candidates would be.
    """
    from .paths import PathGraph

    g = PathGraph.from_network(net)
    rows, cols = [], []
    n = net.n_nodes
    for v in range(n):
        for u, nodes in enumerate(g.best_paths_to(v, range(n))):
            if nodes is not None and len(nodes) > 1:
                links = g.links_of(nodes)
                rows.append(np.full(len(links), u * n + v))
                cols.append(links)
    rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n * n, net.n_links))


def slice_placement(
    net: Network,
    slices: Slices,
    cpu_capacity,
    node_cost=None,
    objective: str = "revenue",
    link_capacity: bool = True,
    bandwidth_cost: float = 0.0,
    paths: int = 1,
) -> qb.Model:
    """Place slices on ``net``.

    ``objective="revenue"``: maximize accepted revenue minus costs (slices may be rejected);
    ``"cost"``: accept every slice at minimum cost. ``link_capacity`` adds the quadratic
    bandwidth constraints (MILP target); ``bandwidth_cost`` puts ``cost * bandwidth-km`` in
    the objective instead (QUBO-friendly).

    Parameters
    ----------
    net : Network
        The substrate; its link ``capacity`` (bandwidth units) and ``cost`` (per unit of
        bandwidth) are used.
    slices : Slices
        The F VNFs and V virtual links to place.
    cpu_capacity : float or array_like, shape (n,)
        CPU units each node offers (a scalar: the same for all).
    node_cost : float or array_like, shape (n,), optional
        Cost per CPU unit placed on each node (default 0).
    objective : {"revenue", "cost"}
        ``"revenue"`` (default): maximize the revenue of the accepted slices minus the
        costs, with binary ``accept`` (S,); ``"cost"``: every slice is placed, minimize the
        CPU and bandwidth costs.
    link_capacity : bool
        Whether link loads must stay within ``net.capacity``.
    bandwidth_cost : float
        Objective weight of the link cost times the bandwidth each link carries.
    paths : int
        1: shortest-path routing (quadratic loads); k > 1: a choice among k candidate paths
        (linear loads, ``route`` variables).

    Returns
    -------
    qb.Model
        Variables ``place`` (F, n), ``accept`` (S,) for the revenue objective, ``route`` when
        ``paths > 1``; ``m.network``, ``m.slices``, ``m.cpu_capacity`` and
        ``m.route_options`` are kept for :func:`interpret_placement`.

    Raises
    ------
    ModelError
        An unknown ``objective``, or a VNF needing more CPU than the largest node has (named).
    """
    if objective not in ("revenue", "cost"):
        raise ModelError(f"objective must be 'revenue' or 'cost', got {objective!r}")
    n = net.n_nodes
    cpu_capacity = np.broadcast_to(np.asarray(cpu_capacity, float), (n,))
    node_cost = np.zeros(n) if node_cost is None else np.broadcast_to(np.asarray(node_cost, float), (n,))
    if slices.vnf_cpu.max(initial=0) > cpu_capacity.max():
        f = int(np.argmax(slices.vnf_cpu))
        raise ModelError(
            f"slice {int(slices.vnf_slice[f])} cannot fit anywhere: VNF {f} needs "
            f"{slices.vnf_cpu[f]:g} CPU, the largest node has {cpu_capacity.max():g}"
        )
    F = len(slices.vnf_cpu)
    m = qb.Model(f"slicing-{objective}-{net.name}")
    place = m.binary("place", (F, n))
    if objective == "revenue":
        accept = m.binary("accept", slices.n_slices)
        m.add(place.sum(axis=1) - accept[slices.vnf_slice] == 0, name="place-once")
    else:
        m.add(place.sum(axis=1) == 1, name="place-once")
    m.add((slices.vnf_cpu[:, None] * place).sum(axis=0) <= cpu_capacity, name="cpu")
    cost = (slices.vnf_cpu[:, None] * node_cost[None, :] * place).sum()
    m.route_options = None
    if len(slices.vlink_bw) and (link_capacity or bandwidth_cost) and paths > 1:
        load = _routed_load(m, net, slices, place, paths)
        if link_capacity:
            m.add(load <= net.capacity, name="bandwidth")
        if bandwidth_cost:
            cost = cost + bandwidth_cost * (net.cost * load).sum()
    elif len(slices.vlink_bw) and (link_capacity or bandwidth_cost):
        R = shortest_path_links(net)  # (n*n, E)
        pa, pb = place[slices.vlink[:, 0]], place[slices.vlink[:, 1]]  # (V, n)
        pairs = pa[:, :, None] * pb[:, None, :]  # (V, n, n) quadratic
        traffic = (slices.vlink_bw[:, None, None] * pairs).reshape(len(slices.vlink_bw), n * n).sum(axis=0)
        load = traffic @ R  # (E,)
        if link_capacity:
            m.add(load <= net.capacity, name="bandwidth")
        if bandwidth_cost:
            cost = cost + bandwidth_cost * (net.cost * load).sum()
    if objective == "revenue":
        m.maximize((slices.revenue * accept).sum() - cost)
    else:
        m.minimize(cost)
    m.network, m.slices, m.cpu_capacity = net, slices, cpu_capacity
    return m


def _routed_load(m: qb.Model, net: Network, slices: Slices, place, k: int):
    """Path-choice variables for every (virtual link, u != v, candidate path); returns link loads."""
    from .routing import candidate_paths

    n = net.n_nodes
    u, v = np.nonzero(~np.eye(n, dtype=bool))
    cand, pair = candidate_paths(net, u, v, k)  # paths per node pair
    V = len(slices.vlink_bw)
    P = len(cand)
    # options: (virtual link l, candidate path c); the pair of c gives (u, v)
    opt_l = np.repeat(np.arange(V), P)
    opt_c = np.tile(np.arange(P), V)
    route = m.binary("route", V * P)
    a, b = slices.vlink[opt_l, 0], slices.vlink[opt_l, 1]
    pu, pv = u[pair[opt_c]], v[pair[opt_c]]
    m.add(route - place[a, pu] <= 0, name="route-from")
    m.add(route - place[b, pv] <= 0, name="route-to")
    # for each (l, u, v): sum of its routes >= place[a, u] + place[b, v] - 1
    groups = opt_l * len(u) + pair[opt_c]
    G = sp.csr_matrix((np.ones(V * P), (groups, np.arange(V * P))), shape=(V * len(u), V * P))
    gl, gp = np.divmod(np.arange(V * len(u)), len(u))
    m.add(G @ route - place[slices.vlink[gl, 0], u[gp]] - place[slices.vlink[gl, 1], v[gp]] >= -1, name="route-needed")
    counts = np.array([len(c) for c in cand])
    R = sp.csr_matrix(
        (np.ones(counts.sum()), (np.repeat(np.arange(P), counts), np.concatenate(cand))), shape=(P, net.n_links)
    )
    m.route_options = (opt_l, [cand[c] for c in opt_c.tolist()])
    return (slices.vlink_bw[opt_l] * route) @ R[opt_c]


def interpret_placement(model: qb.Model, result) -> dict:
    """The placement a result encodes.

    Returns
    -------
    dict
        ``node`` (F,) int: the node of each VNF, -1 where unplaced; ``accepted`` (S,) bool;
        with candidate paths, ``routes``: virtual link -> the link ids of its chosen path.
    """
    place = np.asarray(result.values["place"])
    node = np.where(place.sum(axis=1) > 0, place.argmax(axis=1), -1)
    accepted = (
        np.asarray(result.values["accept"]).astype(bool)
        if "accept" in result.values
        else np.ones(model.slices.n_slices, bool)
    )
    out = {"node": node, "accepted": accepted}
    if model.route_options is not None:
        opt_l, links = model.route_options
        chosen = np.flatnonzero(np.asarray(result.values["route"]) > 0.5)
        out["routes"] = {int(opt_l[i]): links[i] for i in chosen.tolist()}
    return out


def check_placement(
    net: Network,
    slices: Slices,
    cpu_capacity,
    node: np.ndarray,
    accepted: np.ndarray,
    link_capacity: bool = True,
    routes: dict | None = None,
) -> list[str]:
    """Independent check (no DSL): accepted slices fully placed, rejected ones not at all,
    node CPU within capacity, link bandwidth within capacity, over the given ``routes``
    (virtual link -> link ids, e.g. from ``interpret_placement``) or shortest paths."""
    problems = []
    node = np.asarray(node)
    placed = node >= 0
    want = np.asarray(accepted)[slices.vnf_slice]
    if np.any(placed != want):
        f = int(np.flatnonzero(placed != want)[0])
        problems.append(
            f"VNF {f} of slice {int(slices.vnf_slice[f])} is {'placed' if placed[f] else 'unplaced'} "
            f"but the slice is {'accepted' if want[f] else 'rejected'}"
        )
    used = np.bincount(node[placed], weights=slices.vnf_cpu[placed], minlength=net.n_nodes)
    cap = np.broadcast_to(np.asarray(cpu_capacity, float), (net.n_nodes,))
    if np.any(used > cap + 1e-9):
        v = int(np.flatnonzero(used > cap + 1e-9)[0])
        problems.append(f"node {net.nodes[v]} uses {used[v]:g} CPU > {cap[v]:g}")
    if link_capacity:
        from .paths import PathGraph

        g = PathGraph.from_network(net)
        load = np.zeros(net.n_links)
        for l, ((a, b), bw) in enumerate(zip(slices.vlink.tolist(), slices.vlink_bw.tolist())):
            if not (placed[a] and placed[b] and node[a] != node[b]):
                continue
            if routes is not None:
                links = routes.get(l)
                if links is None:
                    problems.append(f"virtual link {l} between nodes {node[a]} and {node[b]} has no route")
                    continue
                if _walk(net, links, int(node[a])) != node[b]:
                    problems.append(f"virtual link {l}: route does not join nodes {node[a]} and {node[b]}")
                np.add.at(load, links, bw)
            else:
                np.add.at(load, g.links_of(g.best_path(int(node[a]), int(node[b]))), bw)
        if np.any(load > net.capacity + 1e-9):
            e = int(np.flatnonzero(load > net.capacity + 1e-9)[0])
            problems.append(f"link {net.link_label(e)} carries {load[e]:g} > {net.capacity[e]:g}")
    return problems


def _walk(net: Network, links, start: int) -> int | None:
    """The node a walk along ``links`` from ``start`` ends at (None if the links do not chain)."""
    cur = start
    for e in links:
        a, b = int(net.src[e]), int(net.dst[e])
        if a == cur:
            cur = b
        elif b == cur and not net.directed:
            cur = a
        else:
            return None
    return cur
