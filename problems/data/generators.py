"""Seeded synthetic networks for scaling studies: Waxman, grid, random geometric.

Every generator returns a connected directed :class:`Network` (both directions of each
link), capacities drawn from ``capacities``, and a gravity traffic matrix
(``T_ij ∝ w_i w_j`` with random node weights) scaled to ``total_demand``.

Every generator allocates arrays of n x n (the traffic matrix and its mask; Waxman and the
random geometric graph also every one of the n(n-1)/2 node pairs), about 1 GB at
:data:`MAX_NODES` nodes, so a network of 2..``MAX_NODES`` nodes is all they build.
"""
from __future__ import annotations

import numbers

import numpy as np

from qbdsl.errors import ModelError

from ..network import Network

MAX_NODES = 5000


def _whole(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def check_nodes(n, what: str) -> None:
    """Refuse a node count the generators cannot build, before anything is allocated.

    Raises
    ------
    ModelError
        ``n`` is not a whole number in 2..:data:`MAX_NODES`; the message starts with ``what``.
    """
    if not _whole(n) or not 2 <= n <= MAX_NODES:
        raise ModelError(f"{what}: {n!r} nodes; the generators take 2..{MAX_NODES} "
                         "(they allocate n x n arrays)")


def _finish(name, pos, pairs, rng, capacities, total_demand, density) -> Network:
    n = len(pos)
    pairs = np.unique(np.sort(np.asarray(pairs, np.int64).reshape(-1, 2), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    # connect components along a chain so every demand is routable
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    A = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    k, labels = connected_components(A, directed=False)
    if k > 1:
        reps = np.array([np.flatnonzero(labels == c)[0] for c in range(k)])
        pairs = np.vstack([pairs, np.stack([reps[:-1], reps[1:]], axis=1)])
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    cap_half = rng.choice(np.asarray(capacities, float), len(pairs))
    cap = np.concatenate([cap_half, cap_half])
    length = np.linalg.norm(pos[src] - pos[dst], axis=1)
    w = rng.random(n) + 0.1
    T = np.outer(w, w)
    np.fill_diagonal(T, 0)
    mask = rng.random((n, n)) < density
    np.fill_diagonal(mask, False)
    T = T * mask
    if T.sum() > 0:
        T *= total_demand / T.sum()
    ds, dt = np.nonzero(T)
    return Network(name, [f"n{i}" for i in range(n)], src, dst, cap, True, np.maximum(length, 1e-9), pos,
                   ds, dt, T[ds, dt])


def waxman(n: int, seed: int = 0, alpha: float = 0.4, beta: float = 0.2, capacities=(10.0, 40.0, 100.0),
           total_demand: float = 100.0, demand_density: float = 0.3) -> Network:
    """Waxman random graph: link (u, v) with probability ``alpha * exp(-d(u,v) / (beta * L))``;
    ``n`` in 2..:data:`MAX_NODES` (else :class:`~qbdsl.errors.ModelError`)."""
    check_nodes(n, "waxman")
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    iu, ju = np.triu_indices(n, 1)
    d = np.linalg.norm(pos[iu] - pos[ju], axis=1)
    p = alpha * np.exp(-d / (beta * np.sqrt(2)))
    keep = rng.random(len(d)) < p
    return _finish(f"waxman-{n}-{seed}", pos, np.stack([iu[keep], ju[keep]], 1), rng, capacities,
                   total_demand, demand_density)


def grid(rows: int, cols: int, seed: int = 0, capacities=(10.0, 40.0, 100.0), total_demand: float = 100.0,
         demand_density: float = 0.3) -> Network:
    """A rows x cols grid (4-neighbour links); ``rows * cols`` in 2..:data:`MAX_NODES`."""
    if not (_whole(rows) and _whole(cols)) or min(rows, cols) < 1:
        raise ModelError(f"grid: rows and cols must be whole numbers >= 1, got {rows!r} x {cols!r}")
    check_nodes(rows * cols, f"grid {rows}x{cols}")
    rng = np.random.default_rng(seed)
    idx = np.arange(rows * cols).reshape(rows, cols)
    pairs = np.vstack([np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], 1),
                       np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], 1)])
    pos = np.stack(np.meshgrid(np.arange(cols), np.arange(rows)), -1).reshape(-1, 2).astype(float)
    return _finish(f"grid-{rows}x{cols}-{seed}", pos, pairs, rng, capacities, total_demand, demand_density)


def random_geometric(n: int, radius: float = 0.3, seed: int = 0, capacities=(10.0, 40.0, 100.0),
                     total_demand: float = 100.0, demand_density: float = 0.3) -> Network:
    """Random geometric graph: nodes in the unit square, links between nodes closer than ``radius``;
    ``n`` in 2..:data:`MAX_NODES`."""
    check_nodes(n, "random_geometric")
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    iu, ju = np.triu_indices(n, 1)
    keep = np.linalg.norm(pos[iu] - pos[ju], axis=1) < radius
    return _finish(f"rgg-{n}-{seed}", pos, np.stack([iu[keep], ju[keep]], 1), rng, capacities,
                   total_demand, demand_density)
