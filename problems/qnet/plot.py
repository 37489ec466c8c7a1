"""Plots of quantum-network answers: the fibre topology with routes coloured by fidelity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plot import _figure, _save
from .topologies import Topology


def plot_routes(
    topology: Topology,
    routes: dict,
    path,
    title: str | None = None,
    classical: dict | None = None,
) -> Path:
    """The topology at its node coordinates with each route drawn in its end-to-end fidelity's colour.

    Links are grey; each entanglement route is a polyline through its nodes, coloured by its
    fidelity on one colour scale (a colour bar shows it), its width growing with its channels;
    routes sharing a link are offset side by side so that each stays visible. Classical paths
    (joint slicing), when given, are dashed black. Written atomically
    (:func:`qbdsl.io.atomic.atomic_write`) with matplotlib's Agg backend.

    Parameters
    ----------
    topology : Topology
        The fibre network; ``topology.network.pos`` (V, 2) holds (longitude, latitude) in degrees.
    routes : dict
        Request -> list of routes with ``"nodes"`` (names), ``"fidelity"`` and ``"width"``
        (:func:`~.routing.interpret_routing`'s ``routes``, or a slicing answer's ``quantum``).
    path : str or os.PathLike
        Where to write; the suffix (.png, .pdf, .svg) picks the format.
    title : str, optional
        Default: the topology's name and the number of routes.
    classical : dict, optional
        Slice -> ``{"nodes": names}``: classical paths drawn dashed.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ModelError
        ``path`` cannot be written (a folder, or in a folder that cannot be written).
    KeyError
        A route through a node the topology lacks.
    """
    from matplotlib.collections import LineCollection

    plt = _figure()
    net = topology.network
    pos = np.asarray(net.pos, float)
    index = {name: i for i, name in enumerate(net.nodes)}
    span = float(np.ptp(pos, axis=0).max()) or 1.0
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.add_collection(LineCollection(np.stack([pos[net.src], pos[net.dst]], 1), colors="0.8", linewidths=1, zorder=1))
    ax.scatter(pos[:, 0], pos[:, 1], s=12, c="0.3", zorder=3)
    flat = [(i, r) for i, rs in sorted(routes.items()) for r in rs]
    segs, fid, widths, used = [], [], [], {}
    for _, r in flat:
        idx = np.array([index[x] for x in r["nodes"]])
        a, b = pos[idx[:-1]], pos[idx[1:]]
        d = b - a
        normal = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        lanes = np.array([used.get(frozenset(h), 0) for h in zip(idx[:-1].tolist(), idx[1:].tolist())])
        for h in zip(idx[:-1].tolist(), idx[1:].tolist()):
            used[frozenset(h)] = used.get(frozenset(h), 0) + 1
        off = (0.006 * span * lanes)[:, None] * normal
        segs += list(np.stack([a + off, b + off], 1))
        fid += [r["fidelity"]] * len(a)
        widths += [1.5 + float(r.get("width", 1))] * len(a)
    if classical:
        for c in classical.values():
            idx = [index[x] for x in c["nodes"]]
            ax.plot(pos[idx, 0], pos[idx, 1], color="k", ls="--", lw=0.8, zorder=2)
    if segs:
        lc = LineCollection(np.array(segs), array=np.array(fid), cmap="viridis", linewidths=widths, zorder=4)
        ax.add_collection(lc)
        fig.colorbar(lc, ax=ax, label="end-to-end fidelity", shrink=0.7)
    ends = sorted({index[r["nodes"][j]] for _, r in flat for j in (0, -1)})
    ax.scatter(pos[ends, 0], pos[ends, 1], s=40, facecolors="none", edgecolors="tab:red", zorder=5)
    for v in ends:
        ax.annotate(net.nodes[v], pos[v], fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_title(title or f"{topology.name}: {len(flat)} entanglement routes")
    ax.set_aspect(1 / np.cos(np.radians(pos[:, 1].mean())), adjustable="datalim")  # degrees, locally equal-area
    ax.autoscale()
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    return _save(plt, fig, path)
