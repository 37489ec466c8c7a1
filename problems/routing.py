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
    B = net.incidence()                                         # (nodes, arcs)
    m.add(flow @ B.T == b / unit, name="conservation")
    to_link = sp.csr_matrix((np.ones(len(link)), (np.arange(len(link)), link)), shape=(len(link), net.n_links))
    load = flow.sum(axis=0) @ to_link                            # (links,)
    m.add(load - (net.capacity / unit) * mlu <= 0, name="capacity")
    m.minimize(mlu)
    m.network, m.unit = net, unit   # for interpret / check
    return m


def interpret_mlu(model: qb.Model, result) -> dict:
    """The answer in the network's terms: MLU, per-link load and utilisation, flows in
    bandwidth units."""
    net, unit = model.network, model.unit
    flow = np.asarray(result.values["flow"]) * unit
    load = link_loads(net, flow)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(net.capacity > 0, load / net.capacity, 0.0)
    return {"mlu": float(result.objective), "flow": flow, "load": load, "utilisation": util,
            "bottleneck": net.link_label(int(np.argmax(util)))}


def link_loads(net: Network, flow: np.ndarray) -> np.ndarray:
    """Per-link load from a (sources, arcs) flow array."""
    _, _, link = net.arcs()
    return np.bincount(link, weights=np.asarray(flow).sum(axis=0), minlength=net.n_links)


def check_flow(net: Network, flow: np.ndarray, mlu: float, tol: float = 1e-6) -> list[str]:
    """Independent check of a min-MLU answer (no DSL): non-negative flows, conservation per
    source and node, and every link's load within ``mlu`` x capacity. Returns the problems
    found (empty when valid)."""
    problems = []
    flow = np.asarray(flow, float)
    scale = max(1.0, float(net.demand_volume.max(initial=0)))
    if np.any(flow < -tol * scale):
        problems.append("negative flow")
    tail, head, _ = net.arcs()
    sources, b = _supplies(net)
    if flow.shape != (len(sources), len(tail)):
        return [f"flow has shape {flow.shape}, expected {(len(sources), len(tail))}"]
    out = np.zeros_like(b)
    for s in range(len(sources)):
        out[s] = np.bincount(tail, weights=flow[s], minlength=net.n_nodes) - \
            np.bincount(head, weights=flow[s], minlength=net.n_nodes)
    bad = np.abs(out - b) > tol * scale
    if bad.any():
        s, v = np.argwhere(bad)[0]
        problems.append(f"flow from {net.nodes[sources[s]]} is not conserved at {net.nodes[v]} "
                        f"({out[s, v]:g} vs {b[s, v]:g})")
    load = link_loads(net, flow)
    over = load > mlu * net.capacity + tol * scale
    if over.any():
        e = int(np.flatnonzero(over)[0])
        problems.append(f"link {net.link_label(e)} carries {load[e]:g} > {mlu:g} x {net.capacity[e]:g}")
    return problems
