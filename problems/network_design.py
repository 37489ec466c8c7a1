"""QOBLIB network design (Bienstock & Günlük 1995; QOBLIB problem class 08).

Build a simple digraph on n nodes with in- and out-degree ``p`` (= 2), route every demand
``t_ij`` (splittable), minimize the maximum link load ``z``. Flows are aggregated by
source node: ``f[k, a]`` is traffic from node k on arc a; ``f[k, a] <= M_k x_a`` with
``M_k`` the total traffic out of k (tighter than QOBLIB's constant big-M, same optimum).
Objective in demand units: QOBLIB's ``.lp`` files scale by 1000 (65 500 there is 65.5 here).
"""

from __future__ import annotations

import numpy as np

import qbdsl as qb
from qbdsl.errors import ModelError

from . import data


def qoblib(n: int, p: int = 2, demands: np.ndarray | None = None) -> qb.Model:
    """The degree-constrained network design model for the QOBLIB instance ``network{n:02d}``.

    Variables: ``x[a]`` (arc a = (i, j), i != j, is built), ``f[k, a] >= 0``, ``z``.

    Parameters
    ----------
    n : int
        The instance number, read from the shipped QOBLIB data unless ``demands`` is given.
    p : int
        Out- and in-degree of every node, in 1..n-1.
    demands : array_like, shape (n, n), optional
        Traffic matrix to use instead of the shipped instance (its size sets n).

    Raises
    ------
    ModelError
        A non-square demand matrix, or ``p`` outside 1..n-1.
    """
    T = data.qoblib_demands(n) if demands is None else np.asarray(demands, float)
    n = len(T)
    if T.shape != (n, n):
        raise ModelError(f"demand matrix must be square, got {T.shape}")
    if not 1 <= p < n:
        raise ModelError(f"degree p = {p} must be in 1..{n - 1}")
    tail, head = np.nonzero(~np.eye(n, dtype=bool))
    A = len(tail)
    m = qb.Model(f"qoblib-network{n:02d}")
    x = m.binary("x", A)
    f = m.continuous("f", (n, A), lb=0)
    z = m.continuous("z", lb=0)
    out_of = np.zeros((n, A))
    out_of[tail, np.arange(A)] = 1
    into = np.zeros((n, A))
    into[head, np.arange(A)] = 1
    m.add(out_of @ x == p, name="out-degree")
    m.add(into @ x == p, name="in-degree")
    supply = np.diag(T.sum(axis=1)) - T  # supply[k, v]
    m.add(f @ (out_of - into).T == supply, name="conservation")
    big_m = T.sum(axis=1)
    m.add(f - big_m[:, None] * x[None, :] <= 0, name="link")
    m.add(f.sum(axis=0) - z <= 0, name="load")
    m.minimize(z)
    m.arcs = (tail, head)
    return m


def check_design(T: np.ndarray, arcs: np.ndarray, x: np.ndarray, p: int = 2) -> list[str]:
    """Independent check of a design (no DSL): degrees equal p and every demand is routable."""
    import networkx as nx

    n = len(T)
    tail, head = arcs
    built = np.asarray(x).round().astype(bool)
    problems = []
    outdeg = np.bincount(tail[built], minlength=n)
    indeg = np.bincount(head[built], minlength=n)
    if np.any(outdeg != p) or np.any(indeg != p):
        problems.append(f"degrees differ from {p}: out {outdeg.tolist()}, in {indeg.tolist()}")
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(tail[built].tolist(), head[built].tolist()))
    for i, j in zip(*np.nonzero(T)):
        if not nx.has_path(g, int(i), int(j)):
            problems.append(f"demand {i}->{j} cannot be routed")
            break
    return problems


def interpret_design(model: qb.Model, result) -> dict:
    """Built arcs (node pairs), per-arc load in demand units, the maximum load."""
    tail, head = model.arcs
    x = np.asarray(result.values["x"]) > 0.5
    load = np.asarray(result.values["f"]).sum(axis=0)
    return {"arcs": list(zip(tail[x].tolist(), head[x].tolist())), "load": load[x], "max_load": float(result.objective)}


def design_network(model: qb.Model, result):
    """The built design as a :class:`~qbdsl.problems.network.Network` (capacity = max load),
    for :func:`qbdsl.problems.plot.plot_utilisation`; returns (network, utilisation)."""
    from .network import Network

    ans = interpret_design(model, result)
    n = int(max(max(a) for a in ans["arcs"])) + 1
    src = np.array([a for a, _ in ans["arcs"]])
    dst = np.array([b for _, b in ans["arcs"]])
    cap = np.full(len(src), max(ans["max_load"], 1e-12))
    net = Network(model.name, [str(i + 1) for i in range(n)], src, dst, cap)
    return net, ans["load"] / cap
