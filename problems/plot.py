"""Plots of answers in the network's terms (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .network import Network


def plot_utilisation(net: Network, utilisation: np.ndarray, path, title: str | None = None) -> Path:
    """Topology with every link coloured by its utilisation; saved to ``path`` (PNG/PDF/SVG)."""
    from matplotlib.collections import LineCollection

    plt = _figure()

    pos = net.pos if net.pos is not None else _circle(net.n_nodes)
    util = np.asarray(utilisation, float)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    # directed links: draw each direction slightly offset so both stay visible
    a, b = pos[net.src], pos[net.dst]
    d = b - a
    normal = np.stack([-d[:, 1], d[:, 0]], 1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    off = 0.006 * np.ptp(pos, axis=0).max() * normal * (1 if net.directed else 0)
    segs = np.stack([a + off, b + off], 1)
    vmax = max(1.0, float(util.max(initial=0)))
    lc = LineCollection(segs, array=util, cmap="RdYlGn_r", linewidths=2.5, norm=plt.Normalize(0, vmax))
    ax.add_collection(lc)
    ax.scatter(pos[:, 0], pos[:, 1], s=30, c="k", zorder=3)
    for i, name in enumerate(net.nodes):
        ax.annotate(name.split("_", 1)[-1], pos[i], fontsize=7, xytext=(3, 3), textcoords="offset points")
    fig.colorbar(lc, ax=ax, label="link utilisation")
    ax.set_title(title or f"{net.name}: max utilisation {util.max(initial=0):.3f}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale()
    ax.set_xticks([])
    ax.set_yticks([])
    return _save(plt, fig, path)


def _circle(n: int) -> np.ndarray:
    t = 2 * np.pi * np.arange(n) / max(n, 1)
    return np.stack([np.cos(t), np.sin(t)], 1)


def _save(plt, fig, path) -> Path:
    """Render ``fig`` in the format of ``path``'s suffix and write it with :func:`~qbdsl.io.atomic.atomic_write`."""
    import io

    from qbdsl.io.atomic import atomic_write

    path = Path(path)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=path.suffix.lstrip(".").lower() or "png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    atomic_write(path, buf.getvalue())
    return path


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_power(power: np.ndarray, sinr: np.ndarray, levels: np.ndarray, path, title: str = "") -> Path:
    """Per-link transmit power (bars, against the allowed levels) and SINR in dB."""
    plt = _figure()
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    k = np.arange(len(power))
    a.bar(k, power * 1e3, color="tab:blue")
    for lv in levels:
        a.axhline(lv * 1e3, color="grey", lw=0.5, ls=":")
    a.set_xlabel("link")
    a.set_ylabel("power (mW)")
    b.bar(k, 10 * np.log10(np.maximum(sinr, 1e-12)), color="tab:orange")
    b.set_xlabel("link")
    b.set_ylabel("SINR (dB)")
    fig.suptitle(title)
    return _save(plt, fig, path)


def plot_placement(net: Network, node: np.ndarray, vnf_slice: np.ndarray, path, title: str = "") -> Path:
    """Substrate topology with each placed VNF drawn at its node, coloured by slice."""
    plt = _figure()
    pos = net.pos if net.pos is not None else _circle(net.n_nodes)
    fig, ax = plt.subplots(figsize=(7, 5))
    for s, t in zip(net.src, net.dst):
        ax.plot(*zip(pos[s], pos[t]), color="lightgrey", lw=1, zorder=1)
    ax.scatter(pos[:, 0], pos[:, 1], s=60, c="k", zorder=2)
    span = np.ptp(pos, axis=0).max() or 1.0
    placed = np.flatnonzero(np.asarray(node) >= 0)
    count: dict = {}
    cmap = plt.get_cmap("tab10")
    for f in placed.tolist():
        v = int(node[f])
        c = count.get(v, 0)
        count[v] = c + 1
        ang = 2 * np.pi * c / 8
        xy = pos[v] + 0.04 * span * np.array([np.cos(ang), np.sin(ang)])
        ax.scatter(*xy, s=50, color=cmap(int(vnf_slice[f]) % 10), zorder=3, edgecolor="k")
    ax.set_title(title or f"{net.name}: {len(placed)} VNFs placed")
    ax.set_xticks([])
    ax.set_yticks([])
    return _save(plt, fig, path)


def plot_schedule(runs: list, fleet_names: list[str], path, deadlines=None, title: str = "") -> Path:
    """Gantt chart: one row per QPU, one bar per (job, start, end) run, deadlines as ticks."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(9, 1 + 0.6 * len(fleet_names)))
    cmap = plt.get_cmap("tab20")
    for j, qpu, s, e in runs:
        row = fleet_names.index(qpu)
        ax.barh(row, e - s, left=s, color=cmap(j % 20), edgecolor="k")
        ax.text((s + e) / 2, row, str(j), ha="center", va="center", fontsize=7)
        if deadlines is not None:
            ax.plot([deadlines[j]] * 2, [row - 0.4, row + 0.4], color=cmap(j % 20), lw=1, ls="--")
    ax.set_yticks(range(len(fleet_names)), fleet_names)
    ax.set_xlabel("time (s)")
    ax.set_title(title or f"{len(runs)} runs")
    return _save(plt, fig, path)
