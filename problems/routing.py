"""Routing and traffic engineering models.

``min_mlu(net)``: splittable multicommodity flow minimizing the maximum link utilisation,
with flows aggregated by source (one commodity per source node, not per demand), so a
41-node, 1 640-demand instance (Cernet) is a 4 838-variable LP.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl.errors import ModelError

from .network import Network
from .paths import PathGraph, k_shortest


def _supplies(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Sources with traffic, and the (sources, nodes) supply matrix (+ out of the source, - at targets)."""
    live = net.demand_volume > 0
    sources = np.unique(net.demand_src[live])
    row = np.searchsorted(sources, net.demand_src[live])
    b = np.zeros((len(sources), net.n_nodes))
    np.add.at(b, (row, net.demand_src[live]), net.demand_volume[live])
    np.add.at(b, (row, net.demand_dst[live]), -net.demand_volume[live])
    return sources, b


def min_mlu(net: Network, unit: float | None = None) -> qb.Model:
    """The min-max link utilisation LP on ``net`` (objective: the MLU ``u``).

    Variables: ``flow[s, a] >= 0`` (traffic from source s on arc a, in units of ``unit``),
    ``mlu``. Constraints: ``conservation[s, v]`` (flow out minus flow in = supply),
    ``capacity[e]`` (load on link e <= capacity_e * mlu; both directions share an undirected
    link). ``unit`` defaults to the median link capacity: with raw bandwidths (up to 1e7)
    the rows span seven orders of magnitude and LP solvers return different, wrong optima
    (seen on Geant2001: 1.209, 1.258 and 1.277 from three solvers; 0.89997 once scaled,
    which an independent check of the flows confirms). ``m.unit`` keeps the factor.

    Parameters
    ----------
    net : Network
        Capacities and demand volumes in one traffic unit (the data's).
    unit : float, optional
        The traffic unit of the ``flow`` variables, in the network's units (default: the
        median positive link capacity).

    Returns
    -------
    qb.Model
        An LP; ``m.network`` and ``m.unit`` are kept for :func:`interpret_mlu`.

    Raises
    ------
    ModelError
        When ``net`` has no positive demand, or a demand's nodes are disconnected (named).
    """
    if net.n_demands == 0 or not np.any(net.demand_volume > 0):
        raise ModelError(f"network {net.name!r} has no demands to route")
    net.check_demands_routable()
    tail, head, link = net.arcs()
    sources, b = _supplies(net)
    positive = net.capacity[net.capacity > 0]
    unit = float(np.median(positive)) if unit is None and len(positive) else float(unit or 1.0)
    m = qb.Model(f"min-mlu-{net.name}")
    flow = m.continuous("flow", (len(sources), len(tail)), lb=0)
    mlu = m.continuous("mlu", lb=0)
    B = net.incidence()  # (nodes, arcs)
    m.add(flow @ B.T == b / unit, name="conservation")
    to_link = sp.csr_matrix((np.ones(len(link)), (np.arange(len(link)), link)), shape=(len(link), net.n_links))
    load = flow.sum(axis=0) @ to_link  # (links,)
    m.add(load - (net.capacity / unit) * mlu <= 0, name="capacity")
    m.minimize(mlu)
    m.network, m.unit = net, unit  # for interpret / check
    return m


def interpret_mlu(model: qb.Model, result) -> dict:
    """The answer in the network's terms: MLU, per-link load and utilisation, flows in
    bandwidth units."""
    net, unit = model.network, model.unit
    flow = np.asarray(result.values["flow"]) * unit
    load = link_loads(net, flow)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(net.capacity > 0, load / net.capacity, 0.0)
    return {
        "mlu": float(result.objective),
        "flow": flow,
        "load": load,
        "utilisation": util,
        "bottleneck": net.link_label(int(np.argmax(util))),
    }


def link_loads(net: Network, flow: np.ndarray) -> np.ndarray:
    """Per-link load from a (sources, arcs) flow array."""
    _, _, link = net.arcs()
    return np.bincount(link, weights=np.asarray(flow).sum(axis=0), minlength=net.n_links)


def _conservation(net: Network, flow: np.ndarray, tol: float) -> list[str]:
    """Non-negativity and per-source conservation of a (sources, arcs) flow, in bandwidth units."""
    problems = []
    scale = max(1.0, float(net.demand_volume.max(initial=0)))
    if np.any(flow < -tol * scale):
        problems.append("negative flow")
    tail, head, _ = net.arcs()
    sources, b = _supplies(net)
    if flow.shape != (len(sources), len(tail)):
        return [f"flow has shape {flow.shape}, expected {(len(sources), len(tail))}"]
    for s in range(len(sources)):
        out = np.bincount(tail, weights=flow[s], minlength=net.n_nodes) - np.bincount(
            head, weights=flow[s], minlength=net.n_nodes
        )
        bad = np.flatnonzero(np.abs(out - b[s]) > tol * scale)
        if len(bad):
            v = int(bad[0])
            problems.append(
                f"flow from {net.nodes[sources[s]]} is not conserved at {net.nodes[v]} ({out[v]:g} vs {b[s, v]:g})"
            )
            break
    return problems


def _overloads(net: Network, flow: np.ndarray, capacity: np.ndarray, tol: float) -> list[str]:
    scale = max(1.0, float(net.demand_volume.max(initial=0)))
    load = link_loads(net, flow)
    over = load > capacity + tol * scale
    if not over.any():
        return []
    e = int(np.flatnonzero(over)[0])
    return [f"link {net.link_label(e)} carries {load[e]:g} > {capacity[e]:g}"]


def check_flow(net: Network, flow: np.ndarray, mlu: float, tol: float = 1e-6) -> list[str]:
    """Independent check of a min-MLU answer (no DSL): non-negative flows, conservation per
    source and node, and every link's load within ``mlu`` x capacity. Returns the problems
    found (empty when valid)."""
    flow = np.asarray(flow, float)
    problems = _conservation(net, flow, tol)
    if problems and problems[0].startswith("flow has shape"):
        return problems
    return problems + _overloads(net, flow, mlu * net.capacity, tol)


def path_graph(net: Network):
    """networkx DiGraph of the arcs with the cheapest parallel link per direction (``link`` and
    ``cost`` attributes): a view for users. Path searches here use :mod:`.paths`, which has
    the same edges and a documented tie rule."""
    import networkx as nx

    g = PathGraph.from_network(net)
    d = nx.DiGraph()
    d.add_nodes_from(range(net.n_nodes))
    d.add_edges_from(
        (int(u), int(v), {"cost": float(c), "link": int(e)}) for u, v, c, e in zip(g.tail, g.head, g.cost, g.link)
    )
    return d


def candidate_paths(net: Network, src, dst, k: int, g: PathGraph | None = None) -> tuple[list, np.ndarray]:
    """Up to ``k`` loop-free shortest paths (by link cost) for each (src[i], dst[i]) pair.

    Paths are ranked by cost, then fewer hops, then the smallest node sequence (the tie
    rule of :mod:`qbdsl.problems.paths`), found with igraph's compiled Yen algorithm.

    Parameters
    ----------
    net : Network
        The network whose links are searched; paths are shortest by link ``cost`` (each
        cost finite and >= 0).
    src, dst : array_like of int, shape (pairs,)
        Node indices.
    k : int
        Paths per pair (>= 1).
    g : PathGraph, optional
        ``PathGraph.from_network(net)``, to reuse across calls.

    Returns
    -------
    paths : list of numpy.ndarray
        ``paths[p]``: the link ids of path p, int64.
    owner : numpy.ndarray
        int64, shape (len(paths),): the pair each path serves, pairs in order.

    Raises
    ------
    ModelError
        ``k`` < 1, a link cost is negative, or a pair is disconnected (named).
    """
    if k < 1:
        raise ModelError(f"k must be >= 1, got {k}")
    g = PathGraph.from_network(net) if g is None else g
    paths, owner = [], []
    for i, (s, t) in enumerate(zip(np.asarray(src).tolist(), np.asarray(dst).tolist())):
        found = k_shortest(g, s, t, k)
        if not found:
            raise ModelError(
                f"network {net.name!r}: no path from {net.nodes[s]} to {net.nodes[t]} (the pair is disconnected)"
            )
        for nodes in found:
            paths.append(g.links_of(nodes))
            owner.append(i)
    return paths, np.array(owner, np.int64)


def k_shortest_paths(net: Network, k: int, demands: np.ndarray | None = None) -> tuple[list, np.ndarray]:
    """Up to ``k`` loop-free shortest paths per demand: ``(paths, owner demand)``."""
    demands = np.flatnonzero(net.demand_volume > 0) if demands is None else np.asarray(demands)
    paths, owner = candidate_paths(net, net.demand_src[demands], net.demand_dst[demands], k)
    return paths, demands[owner] if len(owner) else owner


def kpath_routing(
    net: Network, k: int = 3, objective: str = "congestion", demands: np.ndarray | None = None
) -> qb.Model:
    """Unsplittable routing: each demand takes exactly one of its ``k`` shortest paths.

    ``objective="congestion"`` minimizes ``sum_e (load_e / cap_e)^2`` (a QUBO-shaped model:
    one-hot choices, quadratic link load); ``objective="mlu"`` minimizes the maximum
    utilisation ``u`` with ``load_e <= cap_e u`` (a MILP). Variables: ``path[p]`` (binary,
    one per candidate path), and ``mlu`` for the MILP form.

    Parameters
    ----------
    net : Network
        Capacities and demand volumes in one traffic unit; links of capacity 0 are not
        constrained. Paths are shortest by link ``cost``.
    k : int
        Candidate paths per demand (>= 1).
    objective : {"congestion", "mlu"}
        ``"congestion"`` (default): the QUBO-shaped sum of squared link utilisations;
        ``"mlu"``: the MILP minimizing the maximum link utilisation.
    demands : array_like of int, optional
        Indices of the demands to route (default: every demand of positive volume).

    Returns
    -------
    qb.Model
        ``m.network``, ``m.paths`` (link ids per candidate path) and ``m.path_owner`` (the
        demand of each path) are kept for :func:`interpret_paths`.

    Raises
    ------
    ModelError
        An unknown ``objective``, ``k`` < 1, a negative link cost, or a demand whose nodes
        are disconnected (named).
    """
    if objective not in ("congestion", "mlu"):
        raise ModelError(f"objective must be 'congestion' or 'mlu', got {objective!r}")
    paths, owner = k_shortest_paths(net, k, demands)
    used = np.unique(owner)
    P = len(paths)
    counts = np.array([len(p) for p in paths])
    inc = sp.csr_matrix(
        (np.ones(counts.sum()), (np.repeat(np.arange(P), counts), np.concatenate(paths))), shape=(P, net.n_links)
    )
    choose = sp.csr_matrix((np.ones(P), (np.searchsorted(used, owner), np.arange(P))), shape=(len(used), P))
    cap = np.where(net.capacity > 0, net.capacity, np.inf)
    m = qb.Model(f"kpath-{objective}-{net.name}")
    x = m.binary("path", P)
    m.add(choose @ x == 1, name="one-path")
    load = (net.demand_volume[owner] * x) @ inc  # (links,)
    if objective == "congestion":
        m.minimize(((load / cap) ** 2).sum())
    else:
        u = m.continuous("mlu", lb=0)
        m.add(load / cap - u <= 0, name="capacity")
        m.minimize(u)
    m.network, m.paths, m.path_owner = net, paths, owner
    return m


def interpret_paths(model: qb.Model, result) -> dict:
    """Chosen path (as node names) per demand, link loads and utilisation."""
    net, paths, owner = model.network, model.paths, model.path_owner
    chosen = np.flatnonzero(np.asarray(result.values["path"]) > 0.5)
    routes = {}
    load = np.zeros(net.n_links)
    for p in chosen.tolist():
        d = int(owner[p])
        links = paths[p]
        routes[d] = [net.nodes[net.src[links[0]]]] + [net.nodes[net.dst[e]] for e in links]
        np.add.at(load, links, net.demand_volume[d])
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(net.capacity > 0, load / net.capacity, 0.0)
    return {"routes": routes, "load": load, "utilisation": util, "mlu": float(util.max(initial=0))}


def check_paths(net: Network, routes: dict, demands) -> list[str]:
    """Independent check (no DSL): every demand has exactly one route, and each route is a
    walk along existing links from the demand's source to its target."""
    problems = []
    links = set()
    tail, head, _ = net.arcs()
    for a, b in zip(tail.tolist(), head.tolist()):
        links.add((net.nodes[a], net.nodes[b]))
    for d in np.asarray(demands).tolist():
        r = routes.get(d)
        if r is None:
            problems.append(f"demand {d} has no route")
            continue
        if r[0] != net.nodes[net.demand_src[d]] or r[-1] != net.nodes[net.demand_dst[d]]:
            problems.append(f"demand {d}: route {r[0]}->{r[-1]} does not join its endpoints")
        bad = [(u, v) for u, v in zip(r[:-1], r[1:]) if (u, v) not in links]
        if bad:
            problems.append(f"demand {d}: route uses missing link {bad[0]}")
    return problems


def capacity_design(net: Network, max_modules: int | None = None, setup_costs: bool = True) -> qb.Model:
    """SNDlib-style capacity installation: choose how many modules of each type to install
    on every link (integer ``modules[e, t]``) so all demands route (splittable, source-
    aggregated ``flow``), at minimum module cost plus per-unit routing cost.

    Both directions of an undirected link share its capacity, pre-installed capacity
    included. With ``setup_costs`` a link that gets any module pays its setup cost once
    (binary ``open[e]``, ``modules[e, t] <= ub * open[e]``). SNDlib's path-length limits are
    not modelled. ``max_modules`` bounds each count (default: enough for all traffic).

    Capacities, module capacities and demands are in the data's traffic unit; costs in its
    cost unit (module cost per module, routing cost per unit of traffic on a link).

    Raises
    ------
    ModelError
        When ``net`` has no link modules, or a demand's nodes are disconnected (named).
    """
    if net.modules is None:
        raise ModelError(f"network {net.name!r} has no link modules (SNDlib networks do)")
    net.check_demands_routable()
    tail, head, link = net.arcs()
    sources, b = _supplies(net)
    T = max(len(caps) for caps, _ in net.modules)
    cap = np.zeros((net.n_links, T))
    cost = np.zeros((net.n_links, T))
    for e, (c, k) in enumerate(net.modules):
        cap[e, : len(c)], cost[e, : len(c)] = c, k
    pre = net.pre_capacity if net.pre_capacity is not None else np.zeros(net.n_links)
    total = net.demand_volume.sum()
    with np.errstate(divide="ignore"):
        ub = np.where(cap > 0, np.ceil(total / np.where(cap > 0, cap, 1)), 0)
    if max_modules is not None:
        ub = np.minimum(ub, max_modules)
    unit = float(np.median(cap[cap > 0])) if np.any(cap > 0) else 1.0
    m = qb.Model(f"capacity-design-{net.name}")
    y = m.integer("modules", (net.n_links, T), lb=0, ub=ub)
    flow = m.continuous("flow", (len(sources), len(tail)), lb=0)
    m.add(flow @ net.incidence().T == b / unit, name="conservation")
    to_link = sp.csr_matrix((np.ones(len(link)), (np.arange(len(link)), link)), shape=(len(link), net.n_links))
    load = flow.sum(axis=0) @ to_link
    m.add(load - ((cap / unit) * y).sum(axis=1) <= pre / unit, name="capacity")
    objective = (cost * y).sum() + (net.cost * unit * load).sum()
    if setup_costs and net.setup_cost is not None and np.any(net.setup_cost > 0):
        opened = m.binary("open", net.n_links)
        m.add(y - ub * opened[:, None] <= 0, name="setup")
        objective = objective + (net.setup_cost * opened).sum()
    m.minimize(objective)
    m.network, m.unit, m.module_capacity = net, unit, cap
    return m


def interpret_capacity_design(model: qb.Model, result) -> dict:
    """Installed modules and capacity per link, flows in demand units, link utilisation."""
    net = model.network
    modules = np.asarray(result.values["modules"])
    installed = (modules * model.module_capacity).sum(axis=1)
    if net.pre_capacity is not None:
        installed = installed + net.pre_capacity
    flow = np.clip(np.asarray(result.values["flow"]) * model.unit, 0, None)
    load = link_loads(net, flow)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(installed > 0, load / installed, 0.0)
    return {
        "modules": modules,
        "installed": installed,
        "flow": flow,
        "load": load,
        "utilisation": util,
        "cost": float(result.objective),
    }


def check_capacity_design(
    net: Network, modules: np.ndarray, flow: np.ndarray, module_capacity: np.ndarray, tol: float = 1e-6
) -> list[str]:
    """Independent check (no DSL): flows conserve and each link's load fits its capacity
    (pre-installed plus installed modules)."""
    installed = (np.asarray(modules) * module_capacity).sum(axis=1)
    if net.pre_capacity is not None:
        installed = installed + net.pre_capacity
    flow = np.asarray(flow, float)
    return _conservation(net, flow, tol) + _overloads(net, flow, installed, tol)
