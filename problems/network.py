"""One typed network object for every data source: nodes, links, demands."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qbdsl.errors import ModelError


@dataclass
class Network:
    """A network with capacitated links and point-to-point demands.

    Links are arrays indexed by link id: ``src[e] -> dst[e]``. In a directed network each
    link carries flow one way; in an undirected one (SNDlib) both directions share the
    link's capacity (see :meth:`arcs`). Demands are ``demand_src[k] -> demand_dst[k]`` of
    ``demand_volume[k]``.

    Capacities, pre-installed capacities and demand volumes share one traffic unit, the
    data source's (SNDlib: its bandwidth unit); only their ratios enter the models. ``cost``
    is a routing cost or IGP weight per link, ``pos`` node coordinates (n, 2).

    Raises
    ------
    ModelError
        When a link or demand refers to a node index outside ``nodes``, or a capacity or
        demand volume is negative or not finite (the link or demand is named).
    """

    name: str
    nodes: list[str]
    src: np.ndarray
    dst: np.ndarray
    capacity: np.ndarray
    directed: bool = True
    cost: np.ndarray | None = None  # routing cost / IGP weight per link
    pos: np.ndarray | None = None  # (n, 2) coordinates when known
    demand_src: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    demand_dst: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    demand_volume: np.ndarray = field(default_factory=lambda: np.zeros(0))
    link_names: list[str] | None = None
    modules: list[tuple[np.ndarray, np.ndarray]] | None = None  # per link: (capacities, costs)
    setup_cost: np.ndarray | None = None
    pre_capacity: np.ndarray | None = None  # SNDlib pre-installed capacity per link

    def __post_init__(self):
        self.src = np.asarray(self.src, np.int64)
        self.dst = np.asarray(self.dst, np.int64)
        self.capacity = np.asarray(self.capacity, float)
        self.demand_src = np.asarray(self.demand_src, np.int64)
        self.demand_dst = np.asarray(self.demand_dst, np.int64)
        self.demand_volume = np.asarray(self.demand_volume, float)
        if self.cost is None:
            self.cost = np.ones(len(self.src))
        n = len(self.nodes)
        for what, arr in (
            ("link source", self.src),
            ("link target", self.dst),
            ("demand source", self.demand_src),
            ("demand target", self.demand_dst),
        ):
            if len(arr) and (arr.min() < 0 or arr.max() >= n):
                raise ModelError(
                    f"network {self.name!r}: a {what} refers to node index {int(arr.max())}, but there are {n} nodes"
                )
        if np.any(self.capacity < 0) or not np.all(np.isfinite(self.capacity)):
            e = int(np.flatnonzero((self.capacity < 0) | ~np.isfinite(self.capacity))[0])
            raise ModelError(f"network {self.name!r}: link {self.link_label(e)} has capacity {self.capacity[e]}")
        if np.any(self.demand_volume < 0) or not np.all(np.isfinite(self.demand_volume)):
            k = int(np.flatnonzero((self.demand_volume < 0) | ~np.isfinite(self.demand_volume))[0])
            raise ModelError(f"network {self.name!r}: demand {k} has volume {self.demand_volume[k]}")

    # ------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """The number of nodes."""
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        """The number of links (each undirected link counts once)."""
        return len(self.src)

    @property
    def n_demands(self) -> int:
        """The number of demands."""
        return len(self.demand_src)

    def link_label(self, e: int) -> str:
        """Link ``e``'s name, or ``"src->dst"`` by node names when links are unnamed."""
        if self.link_names is not None:
            return self.link_names[e]
        return f"{self.nodes[self.src[e]]}->{self.nodes[self.dst[e]]}"

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        return f"<Network {self.name!r}: {self.n_nodes} nodes, {self.n_links} {kind} links, {self.n_demands} demands>"

    # ------------------------------------------------------------ derived arrays
    def arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tail, head, link) of every arc: the links themselves when directed, both
        directions of each link when undirected (``link`` maps an arc to its capacity)."""
        if self.directed:
            return self.src, self.dst, np.arange(self.n_links)
        e = np.arange(self.n_links)
        return (np.concatenate([self.src, self.dst]), np.concatenate([self.dst, self.src]), np.concatenate([e, e]))

    def incidence(self):
        """Sparse node-arc incidence (+1 at the tail, -1 at the head), shape (nodes, arcs)."""
        import scipy.sparse as sp

        tail, head, _ = self.arcs()
        a = len(tail)
        cols = np.concatenate([np.arange(a), np.arange(a)])
        return sp.csr_matrix(
            (np.concatenate([np.ones(a), -np.ones(a)]), (np.concatenate([tail, head]), cols)), shape=(self.n_nodes, a)
        )

    def demand_matrix(self) -> np.ndarray:
        """Dense (n, n) traffic matrix (duplicate demands summed)."""
        T = np.zeros((self.n_nodes, self.n_nodes))
        np.add.at(T, (self.demand_src, self.demand_dst), self.demand_volume)
        return T

    def check_demands_routable(self) -> None:
        """Refuse demands whose target cannot be reached from their source.

        Raises
        ------
        ModelError
            Naming the first positive demand whose two nodes are disconnected.
        """
        import scipy.sparse as sp
        from scipy.sparse.csgraph import breadth_first_order

        tail, head, _ = self.arcs()
        A = sp.csr_matrix((np.ones(len(tail)), (tail, head)), shape=(self.n_nodes, self.n_nodes))
        for s in np.unique(self.demand_src[self.demand_volume > 0]):
            reach = np.zeros(self.n_nodes, bool)
            reach[breadth_first_order(A, int(s), directed=True, return_predecessors=False)] = True
            bad = np.flatnonzero((self.demand_src == s) & ~reach[self.demand_dst] & (self.demand_volume > 0))
            if len(bad):
                k = int(bad[0])
                raise ModelError(
                    f"network {self.name!r}: demand {k} from {self.nodes[s]} to "
                    f"{self.nodes[self.demand_dst[k]]} has no path (the pair is disconnected)"
                )

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` (``MultiGraph`` when undirected; parallel links are
        kept, keyed by link id) with capacity/cost on edges and demands in
        ``graph.graph["demands"]``."""
        import networkx as nx

        g = nx.MultiDiGraph() if self.directed else nx.MultiGraph()
        for i, name in enumerate(self.nodes):
            attrs = {"label": name}
            if self.pos is not None:
                attrs["pos"] = tuple(self.pos[i])
            g.add_node(i, **attrs)
        for e in range(self.n_links):
            g.add_edge(
                int(self.src[e]),
                int(self.dst[e]),
                key=e,
                capacity=float(self.capacity[e]),
                cost=float(self.cost[e]),
                link=e,
            )
        g.graph["name"] = self.name
        g.graph["demands"] = [
            (int(s), int(t), float(v)) for s, t, v in zip(self.demand_src, self.demand_dst, self.demand_volume)
        ]
        return g
