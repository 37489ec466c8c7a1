"""Real research-network topologies with fibre lengths, from the Internet Topology Zoo.

Shipped (``qbdsl/problems/data/zoo``, see its SOURCE.md): SURFnet (the Dutch research
network, 2010, 50 nodes) and GEANT (the pan-European research backbone, 2012, 40 nodes).
The Zoo gives node coordinates, not fibre lengths, so a link's fibre length is its
great-circle (haversine) distance times a routing factor. Parallel links between two nodes
are merged into one link with ``fibres`` > 1. Nodes without coordinates are dropped with
their links (and named in :attr:`Topology.dropped`), or refused when ``drop_missing=False``.

The routing factor
------------------
Fibre follows roads, railways and rights of way, so it is longer than the great circle.
The default 1.3 is the published median for terrestrial long-haul fibre: I. N. Bozkurt,
W. Aqeel, D. Bhattacherjee, B. Chandrasekaran, P. B. Godfrey, G. Laughlin, B. M. Maggs and
A. Singla, "Dissecting Latency in the Internet's Fiber Infrastructure", arXiv:1811.10737
(2018), abstract: shortest paths through the conduits of the InterTubes map of
US long-haul fibre (Durairajan et al., SIGCOMM 2015) are 1.3 times the line-of-sight
distance in the median, over all pairs of the 120 largest US population centres (the
"multiply line-of-sight distance by 2.1" rule of thumb they contrast it with is measured
Internet latency, routing detours included, not fibre). It is a US figure applied to Dutch
and European research networks, whose own fibre maps would give real lengths; it is a
parameter (1.5, the earlier assumption, and 2.0 are in the README's sensitivity rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qbdsl.errors import ModelError

from ..network import Network

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius (Moritz, Geodetic Reference System 1980)
ROUTING_FACTOR = 1.3  # Bozkurt et al., arXiv:1811.10737 (module docstring)

DATA = Path(__file__).resolve().parent.parent / "data" / "zoo"
SHIPPED = {"surfnet": "Surfnet.gml", "geant": "Geant2012.gml"}


@dataclass(frozen=True)
class Topology:
    """A fibre network: nodes with coordinates and links with fibre lengths.

    Attributes
    ----------
    name : str
        The topology's name.
    network : Network
        Undirected; ``cost`` is the fibre length in km (so shortest paths are shortest in
        fibre), ``capacity`` the number of parallel fibres, ``pos`` (n, 2) the (longitude,
        latitude) of each node in degrees.
    length_km : numpy.ndarray
        float64, shape (links,): fibre length, great-circle distance x ``routing_factor``.
    great_circle_km : numpy.ndarray
        float64, shape (links,): the great-circle distance between the link's ends.
    fibres : numpy.ndarray
        int64, shape (links,): parallel links of the source merged into each link.
    routing_factor : float
        Fibre length over great-circle distance.
    dropped : tuple of str
        Nodes of the source left out for want of coordinates.
    """

    name: str
    network: Network
    length_km: np.ndarray
    great_circle_km: np.ndarray
    fibres: np.ndarray
    routing_factor: float
    dropped: tuple[str, ...] = ()

    @property
    def nodes(self) -> list[str]:
        """Node names, in index order."""
        return self.network.nodes

    def index(self, name: str) -> int:
        """The index of the node called ``name``.

        Raises
        ------
        ModelError
            No node has that name (the message lists a few that do).
        """
        try:
            return self.network.nodes.index(name)
        except ValueError:
            raise ModelError(
                f"topology {self.name!r} has no node {name!r} (nodes: {', '.join(self.network.nodes[:8])}, ...)"
            ) from None

    def __repr__(self) -> str:
        return (
            f"<Topology {self.name!r}: {self.network.n_nodes} nodes, {self.network.n_links} links, "
            f"{self.length_km.sum():.0f} km of fibre>"
        )


# ------------------------------------------------------------------ GML
_TOKEN = re.compile(r'\s*(?:(\[)|(\])|"([^"]*)"|([^\s\[\]"]+))')


def parse_gml(text: str) -> dict:
    """Parse GML text into nested dicts; a key seen twice (``node``, ``edge``) becomes a list.

    Parameters
    ----------
    text : str
        The GML document (``graph [ ... ]``).

    Returns
    -------
    dict
        Keys to values: numbers as float or int, strings as str, blocks as dicts; the
        ``node`` and ``edge`` keys of a block are always lists.

    Raises
    ------
    ModelError
        Unbalanced brackets or a key without a value (with the character offset).
    """
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ModelError(f"GML: cannot read at character {pos}")
        tokens.append((m.lastindex, m.group(m.lastindex), pos))
        pos = m.end()

    def block(i: int, top: bool) -> tuple[dict, int]:
        out: dict = {"node": [], "edge": []}
        while i < len(tokens):
            kind, key, at = tokens[i]
            if kind == 2:
                if top:
                    raise ModelError(f"GML: unmatched ']' at character {at}")
                return out, i + 1
            if kind != 4 or i + 1 >= len(tokens):
                raise ModelError(f"GML: expected a key and a value at character {at}")
            vkind, value, vat = tokens[i + 1]
            if vkind == 1:
                value, i = block(i + 2, False)
            elif vkind == 2:
                raise ModelError(f"GML: key {key!r} has no value at character {vat}")
            else:
                if vkind == 4:
                    value = _number(value)
                i += 2
            if key in ("node", "edge"):
                out[key].append(value)
            else:
                out[key] = value
        if not top:
            raise ModelError("GML: a '[' is never closed")
        return out, i

    return block(0, True)[0]


def _number(s: str):
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine great-circle distance in km between points given in degrees (broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def from_gml(text: str, name: str | None = None, routing_factor: float = ROUTING_FACTOR, drop_missing: bool = True):
    """A :class:`Topology` from Internet Topology Zoo GML.

    Parameters
    ----------
    text : str
        The GML document; nodes carry ``label``, ``Latitude`` and ``Longitude``.
    name : str, optional
        The topology's name (default: the graph's ``label``).
    routing_factor : float
        Fibre length over great-circle distance (>= 1).
    drop_missing : bool
        Drop nodes without coordinates and their links (default); when False, refuse them.

    Returns
    -------
    Topology

    Raises
    ------
    ModelError
        A node without coordinates when ``drop_missing`` is False (all of them named), a
        routing factor below 1, duplicate node labels, a link to an unknown node id, or a
        network that falls apart once nodes are dropped (the cut-off nodes named).
    """
    if not routing_factor >= 1:
        raise ModelError(
            f"routing_factor must be >= 1 (fibre is never shorter than the great circle), got {routing_factor}"
        )
    g = parse_gml(text).get("graph")
    if not isinstance(g, dict):
        raise ModelError("GML: no 'graph [ ... ]' block")
    name = name or str(g.get("label", "topology"))
    nodes = g["node"]
    has = np.array(["Latitude" in v and "Longitude" in v for v in nodes], bool)
    labels = [str(v.get("label", v["id"])) for v in nodes]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise ModelError(f"topology {name!r}: node label {dup!r} is used twice")
    missing = tuple(lab for lab, ok in zip(labels, has) if not ok)
    if missing and not drop_missing:
        raise ModelError(f"topology {name!r}: nodes without coordinates: {', '.join(missing)}")
    ids = np.array([int(v["id"]) for v in nodes], np.int64)
    keep = np.flatnonzero(has)
    new_of = {int(ids[i]): j for j, i in enumerate(keep)}
    known = set(ids.tolist())
    ends = []
    for e in g["edge"]:
        s, t = int(e["source"]), int(e["target"])
        for x in (s, t):
            if x not in known:
                raise ModelError(f"topology {name!r}: a link refers to node id {x}, which is not defined")
        if s in new_of and t in new_of and s != t:
            a, b = new_of[s], new_of[t]
            ends.append((min(a, b), max(a, b)))
    pairs, fibres = np.unique(np.array(ends, np.int64).reshape(-1, 2), axis=0, return_counts=True)
    lon = np.array([float(nodes[i]["Longitude"]) for i in keep])
    lat = np.array([float(nodes[i]["Latitude"]) for i in keep])
    gc = great_circle_km(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
    length = gc * routing_factor
    names = [labels[i] for i in keep]
    net = Network(
        name,
        names,
        pairs[:, 0],
        pairs[:, 1],
        fibres.astype(float),
        directed=False,
        cost=length,
        pos=np.stack([lon, lat], 1),
    )
    _check_connected(net, missing)
    return Topology(name, net, length, gc, fibres.astype(np.int64), float(routing_factor), missing)


def _check_connected(net: Network, dropped: tuple[str, ...]) -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    A = sp.csr_matrix((np.ones(net.n_links), (net.src, net.dst)), shape=(net.n_nodes, net.n_nodes))
    k, comp = connected_components(A, directed=False)
    if k > 1:
        main = np.bincount(comp).argmax()
        cut = [net.nodes[v] for v in np.flatnonzero(comp != main)]
        why = f" once {', '.join(dropped)} (no coordinates) are dropped" if dropped else ""
        raise ModelError(f"topology {net.name!r} is disconnected{why}: {', '.join(cut)} cut off")


def load_topology(name: str, routing_factor: float = ROUTING_FACTOR, drop_missing: bool = True) -> Topology:
    """A shipped topology (``"surfnet"`` or ``"geant"``), or a Topology Zoo GML file by path.

    Parameters
    ----------
    name : str
        ``"surfnet"``, ``"geant"`` (case-insensitive), or the path of a ``.gml`` file.
    routing_factor : float
        Fibre length over great-circle distance (module docstring).
    drop_missing : bool
        Drop nodes without coordinates (GEANT 2012: UA, MD, BY) instead of refusing them.

    Returns
    -------
    Topology

    Raises
    ------
    ModelError
        An unknown name (the shipped ones listed) or a file that is not Zoo GML.
    """
    key = name.lower()
    if key in SHIPPED:
        text = (DATA / SHIPPED[key]).read_text(encoding="utf-8")
        return from_gml(text, key, routing_factor, drop_missing)
    path = Path(name)
    if path.suffix.lower() == ".gml" and path.is_file():
        return from_gml(path.read_text(encoding="utf-8"), path.stem, routing_factor, drop_missing)
    raise ModelError(f"unknown topology {name!r}: choose {', '.join(SHIPPED)} or give a .gml file")
