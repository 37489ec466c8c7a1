"""Entanglement routing on a fibre topology: which paths serve which requests, with how many
purification rounds per hop and how many channels and memory qubits.

A request ``i`` wants end-to-end Bell pairs between ``src[i]`` and ``dst[i]`` of fidelity at
least ``min_fidelity[i]`` at ``rate[i]`` pairs per second. For each request, :func:`candidates`
takes the ``k`` shortest paths by fibre length (:mod:`qbdsl.problems.paths`) and makes every
purification-rounds vector of a path a separate option (row): the rounds per hop are a
decision of the models, not fixed beforehand (more rounds on one hop can lower the
end-to-end fidelity, since a slower hop makes the stored pairs wait longer, so no single
"fewest rounds" vector is always the right one). A path of ``h`` hops tries all
``(max_rounds + 1)^h`` vectors while :func:`enumerated_in_full` allows (at most
:data:`MAX_ROUNDS_VECTORS` vectors, at most :data:`~.physics.MAX_STORAGE_LINKS` (8)
elementary links, and vectors x storage-chain states within :data:`MAX_STORAGE_WORK`: every
path of up to 5 hops with 3 rounds); any other path (more hops, or
fibres split by repeater stations into longer chains) tries only the uniform vectors
``0..max_rounds`` and one local minimum (rounds lowered hop by hop, longest hop first,
while the threshold holds), so its options may miss some feasible vectors. Vectors below
the fidelity threshold are dropped, and so is any vector another vector of the same path
dominates (fidelity and rate at least as high, memory at no node higher). Each option has
its end-to-end rate per channel and its *width*: the fewest parallel channels per hop that
deliver the wanted rate. For "served", :func:`served_options` further keeps per path only
the options not dominated in width and memory (the same optimum). Paths with no vector
reaching the fidelity, or needing more channels than a link of the path has, are not options.

Resources (each hop of width ``w`` takes ``w`` channels on its link; each hop end holds
``(r + 1) w`` memory qubits, :func:`~.physics.memory_per_channel`):

* link channels: ``sum_p w_p uses[p, e] <= channels[e]``;
* node memory: ``sum_p w_p qubits[p, v] <= memory[v]``.

Forms (:func:`entanglement_routing`)
------------------------------------
``objective="served"`` maximizes the weight of the requests served (each by one path):

* ``form="milp"``: binary ``serve[p]``, integer ``width[p]`` in ``[0, W_p]``, with
  ``width <= W_p serve`` and ``rate1_p width >= rate_i serve`` (a served request gets its rate);
* ``form="qubo"``: binary ``serve[p]`` only, each option at its minimum width (more channels
  never serve more requests), so both forms have the same optimum.

``objective="maxmin"`` maximizes ``t``, the smallest fraction ``delivered_i / rate_i`` over
all requests, with multipath: every candidate path may carry any width.

* ``form="milp"``: integer ``width[p]``, continuous ``t``;
* ``form="qubo"``: binary ``lane[p, j]`` (path p carries ``j + 1`` channels, at most one j
  per path) and binary ``level[l]`` (``t >= levels[l]``, nested), maximizing the highest
  level that every request reaches: ``t`` on a grid of ``levels`` steps. Each request's
  fraction is counted in whole 1/16ths of a step, rounded down (a slack needs whole
  coefficients), so a level the QUBO claims is truly reached; the MILP's ``t`` can be up
  to about a step higher.

Baselines: :func:`shortest_path_routes` (each request on its shortest path),
:func:`greedy_routes` (capacity-aware greedy in the style of Q-CAST, Shi & Qian, SIGCOMM
2020) and :func:`lp_rounding_routes` (the LP relaxation, :func:`lp_relaxation`, rounded at
random after Raghavan & Thompson, Combinatorica 1987, and repaired greedily).
:func:`check_routes` checks any answer (the models' or the baselines') without the DSL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl.errors import ModelError

from ..routing import candidate_paths
from . import physics
from .physics import (
    DEFAULT,
    MAX_CHAIN_LINKS,
    MAX_RECOVERY_LINKS,
    MAX_RECOVERY_STORAGE_LINKS,
    MAX_STORAGE_LINKS,
    RECOVERY_PHASES,
    Params,
)
from .topologies import Topology

OBJECTIVES = ("served", "maxmin")
FORMS = ("milp", "qubo")
RESOLUTION = 16  # maxmin QUBO: a grid step of t in whole units
MAX_ROUNDS_VECTORS = 4096  # rounds vectors of one path enumerated in full up to this many (4^6)
MAX_STORAGE_WORK = 400_000  # ... and while vectors x storage-chain states stays below this (4^5 x 355 at 5 links, asap)
# (states counted with both end states: physics.storage_chain_states)


@dataclass(frozen=True)
class Requests:
    """Entanglement requests.

    Attributes
    ----------
    src, dst : numpy.ndarray
        int64, shape (R,): node indices of the two ends (different).
    min_fidelity : numpy.ndarray
        float64, shape (R,): end-to-end fidelity wanted, in (1/4, 1].
    rate : numpy.ndarray
        float64, shape (R,): end-to-end pairs per second wanted (> 0).
    weight : numpy.ndarray, optional
        float64, shape (R,): what serving each request is worth (default 1).

    Raises
    ------
    ModelError
        Arrays of different lengths, a request whose ends coincide, or a fidelity or rate
        out of range (the request named).
    """

    src: np.ndarray
    dst: np.ndarray
    min_fidelity: np.ndarray
    rate: np.ndarray
    weight: np.ndarray | None = None

    def __post_init__(self):
        conv = {"src": np.int64, "dst": np.int64, "min_fidelity": float, "rate": float, "weight": float}
        for name, dtype in conv.items():
            v = getattr(self, name)
            if v is None:
                v = np.ones(len(np.atleast_1d(self.src)))
            object.__setattr__(self, name, np.atleast_1d(np.asarray(v, dtype)))
        n = len(self.src)
        for name in conv:
            if getattr(self, name).shape != (n,):
                raise ModelError(f"requests: {name} has shape {getattr(self, name).shape}, expected ({n},)")
        checks = (
            (self.src == self.dst, "has the same source and destination"),
            (~((self.min_fidelity > 0.25) & (self.min_fidelity <= 1)), "wants a fidelity outside (0.25, 1]"),
            (~(self.rate > 0) | ~np.isfinite(self.rate), "wants a rate that is not a positive number"),
            (~(self.weight >= 0) | ~np.isfinite(self.weight), "has a weight that is not a number >= 0"),
        )
        for bad, what in checks:
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ModelError(f"request {i} ({int(self.src[i])}->{int(self.dst[i])}) {what}")

    @property
    def n(self) -> int:
        """The number R of requests."""
        return len(self.src)

    @classmethod
    def from_names(cls, topology: Topology, rows) -> Requests:
        """Requests from ``(source name, destination name, min fidelity, rate[, weight])`` rows.

        Raises
        ------
        ModelError
            An unknown node name (named), or a row that is not 4 or 5 long.
        """
        rows = [tuple(r) for r in rows]
        if any(len(r) not in (4, 5) for r in rows):
            raise ModelError("each request row is (source, destination, min_fidelity, rate[, weight])")
        w = [r[4] if len(r) == 5 else 1.0 for r in rows]
        return cls(
            [topology.index(r[0]) for r in rows],
            [topology.index(r[1]) for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            w,
        )


def random_requests(
    topology: Topology, n: int, seed: int = 0, fidelity=(0.7, 0.85), rate=(1.0, 20.0), max_km: float | None = None
) -> Requests:
    """Seeded random requests between distinct node pairs.

    Parameters
    ----------
    topology : Topology
        Where the requests live.
    n : int
        How many (>= 1); node pairs are drawn without repetition.
    seed : int
        Seeds the draw.
    fidelity, rate : tuple of float
        Uniform ranges of the wanted fidelity and rate (pairs/s).
    max_km : float, optional
        Only pairs whose great-circle distance times the routing factor is at most this.

    Returns
    -------
    Requests

    Raises
    ------
    ModelError
        ``n`` < 1 or more than the eligible node pairs.
    """
    from .topologies import great_circle_km

    pos = topology.network.pos
    u, v = np.triu_indices(topology.network.n_nodes, 1)
    if max_km is not None:
        d = great_circle_km(pos[u, 0], pos[u, 1], pos[v, 0], pos[v, 1]) * topology.routing_factor
        u, v = u[d <= max_km], v[d <= max_km]
    if not 1 <= n <= len(u):
        raise ModelError(f"cannot draw {n} requests from {len(u)} eligible node pairs")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(u), n, replace=False)
    return Requests(u[pick], v[pick], rng.uniform(*fidelity, n).round(3), rng.uniform(*rate, n).round(1), np.ones(n))


@dataclass(frozen=True)
class Candidates:
    """Options of the requests: one row per (candidate path, rounds vector), with its physics.

    Attributes
    ----------
    owner : numpy.ndarray
        int64, shape (P,): the request of each row.
    links : list of numpy.ndarray
        Link ids of each row's path, in order from the request's source.
    nodes : list of numpy.ndarray
        Node indices along each row's path (hops + 1 of them).
    rounds : numpy.ndarray
        int64, shape (P, H): purification rounds per hop (0 on padding), H the most hops.
    fidelity : numpy.ndarray
        float64, shape (P,): end-to-end fidelity with those rounds (``nan`` on the one row
        of a path none of whose rounds vectors reaches the threshold).
    rate : numpy.ndarray
        float64, shape (P,): end-to-end pairs/s per channel per hop.
    width : numpy.ndarray
        int64, shape (P,): fewest channels per hop that deliver the request's rate.
    max_width : numpy.ndarray
        int64, shape (P,): most channels per hop the path's links allow.
    usable : numpy.ndarray
        bool, shape (P,): meets the fidelity, and ``width <= max_width``.
    link_use : scipy.sparse.csr_matrix
        shape (P, E): channels per unit width on each link.
    memory_use : scipy.sparse.csr_matrix
        shape (P, V): memory qubits per unit width at each node.
    path : numpy.ndarray
        int64, shape (P,): the candidate path of each row (rows of one path differ only in
        their rounds vector), numbered over all requests' candidate paths.
    """

    owner: np.ndarray
    links: list
    nodes: list
    rounds: np.ndarray
    fidelity: np.ndarray
    rate: np.ndarray
    width: np.ndarray
    max_width: np.ndarray
    usable: np.ndarray
    link_use: sp.csr_matrix
    memory_use: sp.csr_matrix
    path: np.ndarray


def _broadcast(value, n: int, what: str) -> np.ndarray:
    a = np.broadcast_to(np.asarray(value, float), (n,)).astype(float)
    if np.any(~(a >= 0)) or np.any(a != np.floor(a)):
        i = int(np.flatnonzero(~(a >= 0) | (a != np.floor(a)))[0])
        raise ModelError(f"{what}[{i}] = {a[i]} is not a whole number >= 0")
    return a


def _capacities(topology: Topology, channels, memory) -> tuple[np.ndarray, np.ndarray]:
    """Channels per link (default 2 per fibre) and memory qubits per node, checked whole and >= 0."""
    net = topology.network
    ch = _broadcast(2 * topology.fibres if channels is None else channels, net.n_links, "channels")
    return ch, _broadcast(memory, net.n_nodes, "memory")


def _fewest_rounds(L: np.ndarray, want: np.ndarray, max_rounds: int, params: Params, protocol: str):
    """Per-hop rounds (P, H) reaching ``want`` (P,), the fidelity and rate they give, and a mask of success."""
    P, H = L.shape
    hop = ~np.isnan(L)
    rounds = np.full((P, H), -1, np.int64)
    for r in range(max_rounds + 1):  # uniform rounds: the first r that reaches the threshold
        rows = np.flatnonzero(rounds[:, 0] < 0)
        if len(rows):
            rows = rows[physics.fidelity_bound(L[rows], r, params, protocol) >= want[rows]]  # no chain if hopeless
        if len(rows):
            rounds[rows[physics.path_fidelity(L[rows], r, params, protocol) >= want[rows]]] = r
    ok = rounds[:, 0] >= 0
    rounds = np.where(hop & ok[:, None], rounds, 0)
    order = np.argsort(-np.where(hop, L, -1.0), axis=1, kind="stable")  # longest hop first
    changed = True
    while changed:  # lower hop by hop while the threshold holds, until no hop can lose a round
        changed = False
        for j in range(H):
            col = order[:, j]
            trial = rounds.copy()
            rows = np.flatnonzero(trial[np.arange(P), col] > 0)
            if not len(rows):
                continue
            trial[rows, col[rows]] -= 1
            rows = rows[physics.fidelity_bound(L[rows], trial[rows], params, protocol) >= want[rows]]
            if not len(rows):
                continue
            f = physics.path_fidelity(L[rows], trial[rows], params, protocol)
            keep = rows[f >= want[rows]]
            rounds[keep, col[keep]] -= 1
            changed = changed or len(keep) > 0
    f, rate = physics.path_metrics(L, rounds, params, protocol) if P else (np.zeros(0), np.zeros(0))
    return rounds, np.where(ok, f, np.nan), rate, ok


def _node_memory(rounds: np.ndarray, hop: np.ndarray) -> np.ndarray:
    """Memory qubits per channel at each node of a path, (n, H + 1), from rounds (n, H) on ``hop`` (H,) bool."""
    per = np.where(hop, physics.memory_per_channel(rounds), 0)
    out = np.zeros((rounds.shape[0], rounds.shape[1] + 1), np.int64)
    out[:, :-1] += per
    out[:, 1:] += per
    return out


def _undominated(fidelity: np.ndarray, rate: np.ndarray, memory: np.ndarray) -> np.ndarray:
    """Bool mask (n,) of the options no other option dominates: one with fidelity and rate at
    least as high and memory (n, M) at no node higher; of equal options the first is kept."""
    n = len(fidelity)
    keep = np.ones(n, bool)
    order = np.lexsort((memory.sum(axis=1), -fidelity, -rate))  # a dominator comes before what it dominates
    f, r, m = fidelity[order], rate[order], memory[order]
    for lo in range(0, n, 256):  # dominators in blocks: (block, n) comparisons
        hi = min(n, lo + 256)
        dom = (f[lo:hi, None] >= f[None, :]) & (r[lo:hi, None] >= r[None, :])
        dom &= np.all(m[lo:hi, None, :] <= m[None, :, :], axis=2)
        dom &= np.arange(lo, hi)[:, None] < np.arange(n)[None, :]  # only earlier ones dominate
        dom &= keep[order][lo:hi, None]  # only kept ones (domination is transitive)
        keep[order[dom.any(axis=0)]] = False
    return keep


def enumerated_in_full(hops, links, max_rounds: int, params: Params = DEFAULT) -> np.ndarray:
    """Whether a path's every rounds vector is an option (else its uniform vectors and a local minimum).

    True while ``(max_rounds + 1)^hops <= MAX_ROUNDS_VECTORS``, the path has at most
    :data:`~.physics.MAX_STORAGE_LINKS` elementary links, and the vectors times the states of
    its storage chain (:func:`~.physics.storage_chain_states`) stay within
    ``MAX_STORAGE_WORK``: every vector costs one solve of that chain.

    Parameters
    ----------
    hops, links : array_like of int
        Hops and elementary links per path (broadcast together).
    max_rounds : int
        Most purification rounds per hop.
    params : Params
        Physical parameters (``swap_order``).

    Returns
    -------
    numpy.ndarray
        bool, the broadcast shape.
    """
    hops, links = np.broadcast_arrays(np.asarray(hops, np.int64), np.asarray(links, np.int64))
    vectors = (max_rounds + 1) ** hops.astype(float)
    chain = (links >= 1) & (links <= MAX_STORAGE_LINKS)
    states = np.zeros(links.shape)
    for n in np.unique(links[chain]):
        states[links == n] = physics.storage_chain_states(int(n), params.swap_order)
    return (vectors <= MAX_ROUNDS_VECTORS) & chain & (vectors * states <= MAX_STORAGE_WORK)


def _rounds_options(L: np.ndarray, want: np.ndarray, max_rounds: int, params: Params, protocol: str):
    """Every undominated rounds vector of each path that reaches ``want``.

    A path :func:`enumerated_in_full` accepts tries every rounds vector; any other
    path the uniform vectors ``0..max_rounds`` and :func:`_fewest_rounds`'s local minimum.
    Vectors below the fidelity are dropped, then those dominated by another vector of the
    same path (:func:`_undominated`). A path with no vector left keeps one row
    (rounds 0, fidelity ``nan``, not ok).

    Returns
    -------
    path : numpy.ndarray
        int64, shape (O,): the path (row of ``L``) of each option, in increasing order.
    rounds : numpy.ndarray
        int64, shape (O, H).
    fidelity, rate : numpy.ndarray
        float64, shape (O,) (fidelity ``nan`` where not ok).
    ok : numpy.ndarray
        bool, shape (O,): reaches the fidelity.
    """
    import itertools

    P, H = L.shape
    hop = ~np.isnan(L)
    hops = hop.sum(axis=1)

    links = np.where(hop, physics.segments(np.where(hop, L, 0.0), params), 0).sum(axis=1)
    full = enumerated_in_full(hops, links, max_rounds, params)
    local, local_ok = np.zeros((P, H), np.int64), np.zeros(P, bool)
    part = np.flatnonzero(~full)  # the local minimum serves only the paths not enumerated in full
    if len(part):
        local[part], _, _, local_ok[part] = _fewest_rounds(L[part], want[part], max_rounds, params, protocol)
    vec_rows, vec_rounds = [], []
    for h, enumerate_all in {(int(a), bool(b)) for a, b in zip(hops, full)}:
        rows = np.flatnonzero((hops == h) & (full == enumerate_all))
        if enumerate_all:
            V = np.array(list(itertools.product(range(max_rounds + 1), repeat=h)), np.int64).reshape(-1, h)
            V = np.pad(V, ((0, 0), (0, H - h)))
            vec_rows.append(np.repeat(rows, len(V)))
            vec_rounds.append(np.tile(V, (len(rows), 1)))
        else:
            U = np.repeat(np.arange(max_rounds + 1), H).reshape(-1, H)
            vec_rows.append(np.repeat(rows, len(U)))
            vec_rounds.append(np.where(hop[np.repeat(rows, len(U))], np.tile(U, (len(rows), 1)), 0))
            good = rows[local_ok[rows]]
            vec_rows.append(good)
            vec_rounds.append(local[good])
    row = np.concatenate(vec_rows) if vec_rows else np.zeros(0, np.int64)
    R = np.concatenate(vec_rounds) if vec_rounds else np.zeros((0, H), np.int64)
    bound = physics.fidelity_bound(L[row], R, params, protocol) if len(row) else np.zeros(0)
    row, R = row[bound >= want[row]], R[bound >= want[row]]  # storage only lowers it: no chain solve for these
    f, rate = physics.path_metrics(L[row], R, params, protocol) if len(row) else (np.zeros(0), np.zeros(0))
    sel = f >= want[row]
    row, R, f, rate = row[sel], R[sel], f[sel], rate[sel]
    keep = np.zeros(len(row), bool)
    order = np.argsort(row, kind="stable")
    bounds = np.searchsorted(row[order], np.arange(P + 1))
    for p in range(P):
        idx = order[bounds[p] : bounds[p + 1]]
        if len(idx):
            keep[idx[_undominated(f[idx], rate[idx], _node_memory(R[idx], hop[p]))]] = True
    row, R, f, rate = row[keep], R[keep], f[keep], rate[keep]
    missing = np.setdiff1d(np.arange(P), row)
    out_row = np.concatenate([row, missing])
    order = np.argsort(out_row, kind="stable")
    ok = np.concatenate([np.ones(len(row), bool), np.zeros(len(missing), bool)])[order]
    R = np.concatenate([R, np.zeros((len(missing), H), np.int64)])[order]
    f = np.concatenate([f, np.full(len(missing), np.nan)])[order]
    rate = np.concatenate([rate, np.zeros(len(missing))])[order]
    return out_row[order], R, f, rate, ok


def served_options(cand: Candidates) -> np.ndarray:
    """The usable rows that can matter when each request is served at its minimum width.

    Of the usable rows of one path, one is dropped when another needs no more channels
    (``width``) and no more memory qubits at any node (``width`` times the rounds' qubits);
    of equal ones the faster is kept. Fidelity above the threshold and rate above the
    wanted one serve nothing more, so the "served" optimum over these rows is the optimum
    over all usable rows.

    Parameters
    ----------
    cand : Candidates
        From :func:`candidates`.

    Returns
    -------
    numpy.ndarray
        int64, sorted: row ids of ``cand``.
    """
    rows = np.flatnonzero(cand.usable)
    rows = rows[np.argsort(-cand.rate[rows], kind="stable")]  # of equals, the faster first
    keep = []
    for p in np.unique(cand.path[rows]).tolist():
        idx = rows[cand.path[rows] == p]
        h = len(cand.links[idx[0]])
        mem = _node_memory(cand.rounds[idx, :h], np.ones(h, bool)) * cand.width[idx, None]
        keep.append(idx[_undominated(-cand.width[idx].astype(float), np.zeros(len(idx)), mem)])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


def candidates(
    topology: Topology,
    requests: Requests,
    k: int = 3,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
) -> Candidates:
    """The ``k`` shortest paths (by fibre) of each request with rounds, fidelity, rate and width.

    Parameters
    ----------
    topology : Topology
        The fibre network.
    requests : Requests
        What is wanted.
    k : int
        Candidate paths per request (>= 1).
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.
    max_rounds : int
        Most purification rounds per hop (>= 0).
    channels : float or array_like, shape (E,), optional
        Channels per link (default: 2 per fibre); caps ``max_width``.

    Returns
    -------
    Candidates

    Raises
    ------
    ModelError
        A bad ``k`` or ``max_rounds``, a request node outside the topology, or a
        disconnected pair (named).
    """
    if max_rounds < 0:
        raise ModelError(f"max_rounds must be >= 0, got {max_rounds}")
    net = topology.network
    bad = (requests.src >= net.n_nodes) | (requests.dst >= net.n_nodes) | (requests.src < 0) | (requests.dst < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ModelError(f"request {i} refers to a node outside topology {topology.name!r} ({net.n_nodes} nodes)")
    channels = _broadcast(2 * topology.fibres if channels is None else channels, net.n_links, "channels")
    paths, owner = candidate_paths(net, requests.src, requests.dst, k)
    P = len(paths)
    hops = np.array([len(p) for p in paths], np.int64)
    H = int(hops.max(initial=1))
    L = np.full((P, H), np.nan)
    flat = np.concatenate(paths) if P else np.zeros(0, np.int64)
    row = np.repeat(np.arange(P), hops)
    col = np.arange(len(flat)) - np.repeat(np.cumsum(hops) - hops, hops)
    L[row, col] = topology.length_km[flat]
    path, rounds, fidelity, rate, ok = _rounds_options(L, requests.min_fidelity[owner], max_rounds, params, protocol)
    paths = [paths[q] for q in path.tolist()]
    owner = owner[path]
    hops = hops[path]
    P = len(paths)
    flat = np.concatenate(paths) if P else np.zeros(0, np.int64)
    row = np.repeat(np.arange(P), hops)
    col = np.arange(len(flat)) - np.repeat(np.cumsum(hops) - hops, hops)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(ok & (rate > 0), np.ceil(requests.rate[owner] / rate - 1e-9), np.inf)
    max_width = np.minimum.reduceat(channels[flat], np.cumsum(hops) - hops) if P else np.zeros(0)
    usable = ok & (width <= max_width) & (width >= 1)
    width = np.where(usable, width, 0).astype(np.int64)
    nodes, node_cache = [], {}
    for p, links in enumerate(paths):
        q = int(path[p])
        if q not in node_cache:
            a, b = net.src[links], net.dst[links]
            seq = [int(requests.src[owner[p]])]
            for x, y in zip(a.tolist(), b.tolist()):
                seq.append(y if x == seq[-1] else x)
            node_cache[q] = np.array(seq, np.int64)
        nodes.append(node_cache[q])
    link_use = sp.csr_matrix((np.ones(len(flat)), (row, flat)), shape=(P, net.n_links))
    # memory: hop j of option p holds (r + 1) qubits at each of its two ends, per channel
    per_end = physics.memory_per_channel(rounds[row, col]).astype(float)
    node_a = np.concatenate(nodes)[np.arange(len(flat)) + row] if P else np.zeros(0, np.int64)
    node_b = np.concatenate(nodes)[np.arange(len(flat)) + row + 1] if P else np.zeros(0, np.int64)
    memory_use = sp.csr_matrix(
        (np.concatenate([per_end, per_end]), (np.concatenate([row, row]), np.concatenate([node_a, node_b]))),
        shape=(P, net.n_nodes),
    )
    return Candidates(
        owner,
        paths,
        nodes,
        rounds,
        fidelity,
        rate,
        width,
        max_width.astype(np.int64),
        usable,
        link_use,
        memory_use,
        path,
    )


def entanglement_routing(
    topology: Topology,
    requests: Requests,
    k: int = 3,
    objective: str = "served",
    form: str = "milp",
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
    memory=10,
    levels: int = 8,
) -> qb.Model:
    """The entanglement routing model (module docstring) on ``topology``.

    Parameters
    ----------
    topology : Topology
        The fibre network (:func:`~.topologies.load_topology`).
    requests : Requests
        Source, destination, minimum fidelity and rate of each request.
    k : int
        Candidate paths per request.
    objective : {"served", "maxmin"}
        Weight of requests served, or the smallest delivered fraction of the wanted rate.
    form : {"milp", "qubo"}
        Integer widths and (maxmin) a continuous ``t``, or binaries only.
    params : Params
        Physical parameters (default: the cited experiments).
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.
    max_rounds : int
        Most purification rounds per hop.
    channels : float or array_like, shape (E,), optional
        Quantum channels per link (default: 2 per fibre).
    memory : float or array_like, shape (V,)
        Memory qubits per node (default 10).
    levels : int
        ``form="qubo"``, ``objective="maxmin"``: grid steps of ``t`` (>= 1).

    Returns
    -------
    qb.Model
        Variables ``serve`` (P',) and ``width`` (milp) for "served"; ``width`` and ``t``
        (milp) or ``lane`` (P', W) and ``level`` (levels,) (qubo) for "maxmin", over the P'
        options (rows of :func:`candidates`: a path with a rounds vector). ``m.topology``,
        ``m.requests``, ``m.candidates``, ``m.options`` (the option rows), ``m.objective_kind``,
        ``m.form``, ``m.channels``, ``m.memory`` and ``m.t_grid`` (qubo maxmin) are kept for
        :func:`interpret_routing`.

    Raises
    ------
    ModelError
        An unknown objective, form or protocol; no usable candidate path at all ("served"),
        or a request without one ("maxmin", named); and as :func:`candidates`.
    """
    if objective not in OBJECTIVES:
        raise ModelError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if form not in FORMS:
        raise ModelError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    if protocol not in physics.PROTOCOLS:
        raise ModelError(f"protocol must be one of {', '.join(physics.PROTOCOLS)}, got {protocol!r}")
    if levels < 1:
        raise ModelError(f"levels must be >= 1, got {levels}")
    net = topology.network
    channels, memory = _capacities(topology, channels, memory)
    cand = candidates(topology, requests, k, params, protocol, max_rounds, channels)
    if objective == "served":
        opts = served_options(cand)
        if not len(opts):
            raise ModelError(
                f"no request can be served on {topology.name!r}: no candidate path reaches its fidelity "
                f"with {max_rounds} purification rounds and its rate within the link channels"
            )
    else:  # any width helps: paths that meet the fidelity and have a channel
        opts = np.flatnonzero(~np.isnan(cand.fidelity) & (cand.rate > 0) & (cand.max_width >= 1))
        lacking = np.setdiff1d(np.arange(requests.n), cand.owner[opts])
        if len(lacking):
            i = int(lacking[0])
            raise ModelError(
                f"request {i} ({net.nodes[requests.src[i]]}->{net.nodes[requests.dst[i]]}, fidelity >= "
                f"{requests.min_fidelity[i]:g}) has no candidate path reaching its fidelity with {max_rounds} "
                "rounds: max-min rate would be 0; drop it or raise k or max_rounds"
            )
    own = cand.owner[opts]
    n_opt = len(opts)
    choose = sp.csr_matrix((np.ones(n_opt), (own, np.arange(n_opt))), shape=(requests.n, n_opt))
    U, M = cand.link_use[opts], cand.memory_use[opts]
    m = qb.Model(f"qnet-{objective}-{form}-{topology.name}")
    m.t_grid = None
    if objective == "served":
        _served(m, cand, opts, requests, channels, memory, form)
    else:
        share = cand.rate[opts] / requests.rate[own]  # fraction of the wanted rate per channel
        if form == "milp":
            width = m.integer("width", n_opt, lb=0, ub=cand.max_width[opts].astype(float))
            t = m.continuous("t", lb=0)
            m.add(choose @ (share * width) - t >= 0, name="fraction")
            delivered = width
        else:
            W = int(cand.max_width[opts].max())
            j = np.arange(1, W + 1, dtype=float)
            lane = m.binary("lane", (n_opt, W))
            m.add(lane.sum(axis=1) <= 1, name="one-width")
            allowed = j[None, :] <= cand.max_width[opts][:, None]
            if (~allowed).any():
                m.add(lane[~allowed] == 0, name="width-cap")
            delivered = (lane * j[None, :]).sum(axis=1)
            top = float((choose @ (share * cand.max_width[opts])).min())  # the most any grid can need
            grid = top * np.arange(1, levels + 1) / levels
            level = m.binary("level", levels)
            if levels > 1:
                m.add(level[1:] - level[:-1] <= 0, name="nested")
            # fractions in whole units of 1/RESOLUTION of a grid step, rounded down (a slack
            # needs whole coefficients): a level the QUBO claims is truly reached
            unit = grid[0] / RESOLUTION
            frac = choose @ (np.floor(share / unit + 1e-9) * delivered)  # (R,), in units
            for l in range(levels):  # every request reaches level l when it is on
                m.add(frac - (l + 1) * RESOLUTION * level[l] >= 0, name=f"level-{l}")
            m.t_grid = grid
        m.add(delivered @ U <= channels, name="channels")
        m.add(delivered @ M <= memory, name="memory")
        if form == "milp":
            m.maximize(t)
        else:
            m.maximize((np.diff(np.concatenate([[0.0], m.t_grid])) * level).sum())
    m.topology, m.requests, m.candidates, m.options = topology, requests, cand, opts
    m.objective_kind, m.form, m.channels, m.memory = objective, form, channels, memory
    m.params, m.protocol = params, protocol
    return m


def _served(m: qb.Model, cand: Candidates, opts: np.ndarray, requests: Requests, channels, memory, form: str):
    """The "served" objective on ``m`` over the usable paths ``opts``: binary ``serve`` (and integer
    ``width``, form "milp"), or (form "lp") ``serve`` continuous in [0, 1] at the minimum widths."""
    own = cand.owner[opts]
    n_opt = len(opts)
    choose = sp.csr_matrix((np.ones(n_opt), (own, np.arange(n_opt))), shape=(requests.n, n_opt))
    serve = m.continuous("serve", n_opt, lb=0, ub=1) if form == "lp" else m.binary("serve", n_opt)
    m.add(choose @ serve <= 1, name="one-path")
    if form == "milp":
        wmax = cand.max_width[opts].astype(float)
        width = m.integer("width", n_opt, lb=0, ub=wmax)
        m.add(width - wmax * serve <= 0, name="width-on")
        m.add(cand.rate[opts] * width - requests.rate[own] * serve >= 0, name="rate")
    else:
        width = cand.width[opts] * serve
    m.add(width @ cand.link_use[opts] <= channels, name="channels")
    m.add(width @ cand.memory_use[opts] <= memory, name="memory")
    m.maximize((requests.weight[own] * serve).sum())


def candidate_route(cand: Candidates, p: int, width: int, net) -> dict:
    """Candidate path ``p`` at ``width`` channels as a route: ``{"path", "nodes" (names), "links",
    "rounds" (per hop), "width", "fidelity", "rate" (pairs/s over all channels)}``."""
    h = len(cand.links[p])
    return {
        "path": p,
        "nodes": [net.nodes[x] for x in cand.nodes[p].tolist()],
        "links": cand.links[p],
        "rounds": cand.rounds[p, :h].copy(),
        "width": width,
        "fidelity": float(cand.fidelity[p]),
        "rate": float(cand.rate[p] * width),
    }


def interpret_routing(model: qb.Model, result) -> dict:
    """The routes a result encodes, in the topology's terms.

    Returns
    -------
    dict
        ``served`` (R,) bool: requests given at least one channel; ``routes``: request ->
        list of ``{"path": candidate id, "nodes": names, "links": link ids, "rounds": per hop,
        "width": channels per hop, "fidelity", "rate": pairs/s}``; ``delivered`` (R,): pairs/s
        per request; ``fraction`` (R,): delivered over wanted; ``channels_used`` (E,) and
        ``memory_used`` (V,).
    """
    cand, opts, req, net = model.candidates, model.options, model.requests, model.topology.network
    v = result.values
    if "lane" in v:
        lane = np.asarray(v["lane"]) > 0.5
        width = (lane * np.arange(1, lane.shape[1] + 1)).sum(axis=1)
    elif "width" in v and model.objective_kind == "maxmin":
        width = np.rint(np.asarray(v["width"], float)).astype(np.int64)
    elif "width" in v:
        width = np.rint(np.asarray(v["width"], float)).astype(np.int64) * (np.asarray(v["serve"]) > 0.5)
    else:
        width = cand.width[opts] * (np.asarray(v["serve"]) > 0.5)
    width = np.asarray(width, np.int64)
    routes: dict[int, list] = {}
    for o in np.flatnonzero(width > 0).tolist():
        p = int(opts[o])
        routes.setdefault(int(cand.owner[p]), []).append(candidate_route(cand, p, int(width[o]), net))
    delivered = np.zeros(req.n)
    for i, rs in routes.items():
        delivered[i] = sum(r["rate"] for r in rs)
    return {
        "served": np.isin(np.arange(req.n), list(routes)),
        "routes": routes,
        "delivered": delivered,
        "fraction": delivered / req.rate,
        "channels_used": np.asarray(width @ cand.link_use[opts]).ravel(),
        "memory_used": np.asarray(width @ cand.memory_use[opts]).ravel(),
    }


# ------------------------------------------------------------------ second-implementation check
def _purify_scalar(
    f: float, rounds: int, protocol: str, rate: float = 1.0, decay: float = 0.0, signal: float = 0.0
) -> tuple[float, float]:
    """Fidelity and elementary-pair cost after ``rounds`` rounds, one scalar at a time.

    With ``decay > 0`` the first pair of each round waits while its partner is built: kept
    as expectations ``E[exp(-t T) weights]`` for the build time ``T`` of each level, at
    ``t = 0, decay, 2 decay, ..``, one try's two pairs multiplied out term by term and the
    tries until success summed as a geometric series; every output waits out ``signal``.
    """
    import math

    def round_of(x, y):  # (numerator weights, success) of one round, unnormalized inputs
        if protocol == "bbpssw":
            ex, ey = sum(x[1:]) / 3, sum(y[1:]) / 3
            top = x[0] * y[0] + ex * ey
            n = x[0] * y[0] + x[0] * ey + ex * y[0] + 5 * ex * ey
            return [top, (n - top) / 3, (n - top) / 3, (n - top) / 3], n
        n = (x[0] + x[1]) * (y[0] + y[1]) + (x[2] + x[3]) * (y[2] + y[3])
        return [
            x[0] * y[0] + x[1] * y[1],
            x[2] * y[3] + x[3] * y[2],
            x[2] * y[2] + x[3] * y[3],
            x[0] * y[1] + x[1] * y[0],
        ], n

    e = (1 - f) / 3
    flat = [0.25] * 4
    keep = math.exp(-decay * signal) if signal > 0 else 1.0
    # level 0: the build is one elementary pair, exponential with rate ``rate``
    laplace = [
        1.0 if j == 0 or decay == 0 else (1 / (1 + j * decay / rate) if rate > 0 else 0.0) for j in range(rounds + 1)
    ]
    tilted = [[w * x for x in (f, e, e, e)] for w in laplace]
    cost = 1.0
    for level in range(rounds):
        nxt_laplace, nxt_tilted = [], []
        for j in range(rounds - level):
            both, n_both = round_of(tilted[j], tilted[j + 1])  # partner's build decays the first pair
            mixed0, n0 = round_of(flat, tilted[j])
            mixed1, n1 = round_of(flat, tilted[j + 1])
            top = [b + laplace[j] * (m0 - m1) for b, m0, m1 in zip(both, mixed0, mixed1)]
            n = n_both + laplace[j] * (n0 - n1)
            geometric = 1 / (1 - laplace[j] ** 2 + n)
            nxt_tilted.append([(keep * t + (1 - keep) * n * 0.25) * geometric for t in top])
            nxt_laplace.append(n * geometric)
            if j == 0:
                cost *= 2 / n
        laplace, tilted = nxt_laplace, nxt_tilted
    return tilted[0][0], cost


def _expected_max_grouped(groups: list[tuple[float, int]]) -> float:
    """``E[max]`` of independent exponential times, ``n`` of each rate ``R`` in ``groups``:
    ``integral_0^inf 1 - prod (1 - exp(-R t))^n dt`` by adaptive quadrature (scipy), for
    chains too long for inclusion-exclusion over single times."""
    import math

    from scipy import integrate

    scale = 1.0 / min(r for r, _ in groups)

    def tail(u: float) -> float:
        log_all = sum(n * math.log1p(-math.exp(-r * scale * u)) if u > 0 else -math.inf for r, n in groups)
        return -math.expm1(log_all)

    value, _ = integrate.quad(tail, 0.0, math.inf, epsabs=0.0, epsrel=1e-10, limit=200)
    return value * scale


def _swap_partners(n: int) -> dict[int, tuple[int, int]]:
    """SeQUeNCe's doubling order, round by round: the nodes at odd positions of the path swap
    pairs reaching their path neighbours, then the even positions (and the last) form the next path."""
    partners, path = {}, list(range(n + 1))
    while len(path) > 2:
        for i in range(1, len(path) - 1, 2):
            partners[path[i]] = (path[i - 1], path[i + 1])
        path = path[::2] if len(path) % 2 == 1 else path[::2] + [path[-1]]
    return partners


def _swap_chain_wait(
    rates: list[float], q: list[float], delays: list[float], order: str, decay: float = 0.0, phases: int = 0
) -> float:
    """Mean time to an end-to-end pair when nodes swap as soon as they may, one state at a time;
    with ``decay > 0``, the probability instead that no held ancestor of that pair was hit by
    a Poisson process of rate ``decay`` (``E[exp(-c A)]``, :func:`~.physics.chain_storage`).

    States are pairs of sorted tuples: held segments ``(a, b, hit)`` and recovering blocks
    ``(a, b, phase)``. Every free link's pair, settled swap by swap (the left node first),
    every clean segment's hit and every block's next phase give the transitions. A failure
    frees both segments: with ``phases = 0`` it costs their ``delays`` in series (each other
    clean segment hit meanwhile with probability ``1 - exp(-decay delay)``); with
    ``phases = k > 0`` (time only) their links wait as one block, ``k`` exponential phases of
    mean ``delay / k`` each, while the rest goes on. The mean first-passage times (or the
    absorption probabilities) solve a sparse system.
    """
    import itertools
    import math

    from scipy import sparse
    from scipy.sparse import linalg

    n = len(rates)
    unit = max(rates)  # solve in units of the fastest link's mean time (long fibres: tiny rates)
    rates = [r / unit for r in rates]
    delays = [x * unit for x in delays]
    decay = decay / unit
    if min(rates) < 1e-250:
        return 0.0 if decay > 0 else math.inf
    partners = _swap_partners(n) if order == "nested" else None
    ends = {((0, n, False),): True, ((0, n, True),): False}  # the end-to-end pair: unhit or hit

    def arrivals(held: tuple, link: int) -> list[tuple[float, float, tuple, tuple]]:
        out, stack = [], [(1.0, 0.0, held, (link, link + 1, False))]
        while stack:
            p, cost, h, (a, b, hit) = stack.pop()
            choice = None
            for node, other in (
                (a, next((s for s in h if s[1] == a), None)),
                (b, next((s for s in h if s[0] == b), None)),
            ):
                if other is None:
                    continue
                merged = (min(other[0], a), max(other[1], b))
                if partners is None or partners[node] == merged:
                    choice = node, other, (*merged, hit or other[2])
                    break
            if choice is None:
                out.append((p, cost, tuple(sorted(h + ((a, b, hit),))), ()))
                continue
            node, other, merged = choice
            rest = tuple(s for s in h if s != other)
            stack.append((p * q[node - 1], cost, rest, merged))
            lost = sum(delays[other[0] : other[1]]) + sum(delays[a:b])
            if phases:  # the freed links wait as a block; nothing else does
                block = (min(other[0], a), max(other[1], b), 0)
                out.append((p * (1 - q[node - 1]), cost, rest, (block,)))
                continue
            clean = [s for s in rest if not s[2]]
            stay = math.exp(-decay * lost)
            for marks in itertools.product((False, True), repeat=len(clean) if decay > 0 else 0):
                k = sum(marks)
                hit_now = {s for s, m in zip(clean, marks) if m}
                after = tuple(sorted((x, y, f or (x, y, f) in hit_now) for x, y, f in rest))
                out.append((p * (1 - q[node - 1]) * stay ** (len(clean) - k) * (1 - stay) ** k, cost + lost, after, ()))
        return out

    index, order_of, entries, reward = {((), ()): 0}, [((), ())], [], []
    i = 0
    while i < len(order_of):
        held, recovering = order_of[i]
        covered = {k for a, b, _ in held for k in range(a, b)} | {k for a, b, _ in recovering for k in range(a, b)}
        moves = [
            (rates[link] * p, cost, (nxt, tuple(sorted(recovering + new))))
            for link in range(n)
            if link not in covered
            for p, cost, nxt, new in arrivals(held, link)
        ]
        for blk in recovering:
            rest = tuple(x for x in recovering if x != blk)
            later = (blk[0], blk[1], blk[2] + 1)
            signal = max(sum(delays[blk[0] : blk[1]]), 1e-9)
            moves.append((phases / signal, 0.0, (held, tuple(sorted(rest + (later,))) if later[2] < phases else rest)))
        if decay > 0:
            moves += [
                (decay, 0.0, (tuple(sorted((*(x for x in held if x != s), (s[0], s[1], True)))), recovering))
                for s in held
                if not s[2]
            ]
        gain = 0.0 if decay > 0 else 1.0
        for r, cost, nxt in moves:
            entries.append((i, i, r))
            if nxt[0] in ends:
                gain += r * ends[nxt[0]] if decay > 0 else r * cost
                continue
            gain += 0.0 if decay > 0 else r * cost
            if nxt not in index:
                index[nxt] = len(order_of)
                order_of.append(nxt)
            entries.append((i, index[nxt], -r))
        reward.append(gain)
        i += 1
    rows, cols, vals = zip(*entries)
    A = sparse.csr_matrix((vals, (rows, cols)), shape=(len(order_of), len(order_of)))
    total = A.diagonal()  # each state's rate of leaving: solve the jump chain (rows over it)
    A = sparse.diags(1.0 / total) @ A
    x = float(linalg.spsolve(A.tocsc(), np.array(reward) / total)[0])
    return x if decay > 0 else x / unit


def route_physics(length_km, rounds, params: Params = DEFAULT, protocol: str = "dejmps") -> tuple[float, float]:
    """Fidelity and per-channel rate of one route, recomputed hop by hop in plain Python.

    A second implementation of the physical model of :func:`~.physics.path_metrics` (see
    there), written apart from it but sharing its assumptions, so it catches coding errors,
    not modelling errors: Barrett-Kok attempts of ``(1 + P1)(1 + 2 c) + d`` fibre delays; the rate
    ``1 / (E[T] + s)`` of swapping as soon as possible, ``E[T]`` from the chain's states
    built one at a time (tuples of held segments and recovering blocks) and a sparse solve
    (scipy), ``s`` the swap signalling; beyond ``MAX_CHAIN_LINKS`` elementary links the all-at-once rate with a
    cycle of ``E[max_h X_h]`` (inclusion-exclusion over the hops, one subset at a time, up
    to 16 links; beyond, the integral with each hop's links grouped, by quadrature) plus
    the swap signalling, which is also each pair's storage; pairs swapped one after the other with
    ``F1 F2 + (1-F1)(1-F2)/3``. With repeater stations each hop of length ``L`` is
    ``ceil(L / s)`` equal elementary links with the hop's rounds, joined by station swaps of
    success ``params.repeater_swap_success``.

    Parameters
    ----------
    length_km : sequence of float
        Hop fibre lengths.
    rounds : sequence of int
        Purification rounds per hop.
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.

    Returns
    -------
    (float, float)
        End-to-end fidelity and pairs/s per channel.
    """
    import itertools
    import math

    length_km, rounds = list(length_km), list(rounds)
    if not length_km:
        raise ModelError("route_physics needs a route of at least one hop, got none")
    if len(rounds) != len(length_km):
        raise ModelError(f"route_physics needs one rounds count per hop: {len(length_km)} hops, {len(rounds)} counts")
    if any(not (math.isfinite(L) and L >= 0) for L in length_km):
        raise ModelError(f"hop lengths must be finite and >= 0, got {length_km}")
    if any(not math.isfinite(r) or int(r) != r or r < 0 for r in rounds):
        raise ModelError(f"purification rounds must be whole numbers >= 0, got {rounds}")
    fids, rates, groups = [], [], []
    spacing = params.repeater_spacing_km
    for L, r in zip(length_km, rounds):
        n = max(1, math.ceil(L / spacing - 1e-9)) if math.isfinite(spacing) else 1
        seg = L / n
        eta = params.detector_efficiency * params.memory_efficiency
        p = params.bsm_success * eta * eta * 10 ** (-params.attenuation_db_per_km * seg / 10)
        p1 = 1 - (1 - eta * 10 ** (-params.attenuation_db_per_km * seg / 20) / 2) ** 2
        delays = (1 + p1) * (1 + 2 * params.classical_exchange_rounds) + params.reset_delays
        elementary = p * params.fibre_speed_km_s / (seg * delays) if seg > 0 else math.inf  # no fibre: no wait
        c = 2 / params.coherence_time_s
        herald = (2 + 2 * params.classical_exchange_rounds) * seg / params.fibre_speed_km_s
        f0 = 0.25 + (params.link_fidelity - 0.25) * math.exp(-c * herald)  # held while heralded
        f, cost = _purify_scalar(f0, int(r), protocol, elementary, c, seg / params.fibre_speed_km_s)
        rate = elementary / cost
        fids += [f] * n
        rates += [rate] * n
        groups.append((rate, n))
    if min(rates) == 0:
        slowest = math.inf
    elif len(rates) > 16:
        slowest = _expected_max_grouped(groups)
    else:
        slowest = 0.0
        for size in range(1, len(rates) + 1):
            for subset in itertools.combinations(rates, size):
                slowest += (-1) ** (size + 1) / sum(subset)
    signal = sum(length_km) / params.fibre_speed_km_s
    hops, links = len(groups), len(fids)
    final = signal if links > 1 else 0.0
    pair_T = params.coherence_time_s / 2
    exact = links <= MAX_CHAIN_LINKS and slowest != math.inf
    fid = None
    for f in fids:  # heralded and purified; beyond the chain each pair waits one cycle
        f = f if exact else 0.25 + (f - 0.25) * math.exp(-(slowest + signal) / pair_T)
        fid = f if fid is None else fid * f + (1 - fid) * (1 - f) / 3
    if not exact:  # the all-at-once lower bound (physics.rate_model)
        swaps = params.swap_success ** (hops - 1) * params.repeater_swap_success ** (links - hops)
        return fid, swaps / (slowest + final)
    finite = [x for x in rates if math.isfinite(x)]
    if not finite:  # every link of length 0: nothing waits (physics._chain_rows: "instant")
        return fid, math.inf
    rates = [x if math.isfinite(x) else 1e6 * max(finite) for x in rates]  # a link of length 0, as physics
    q, delays = [], []
    for k, (L, (_, n)) in enumerate(zip(length_km, groups)):
        q += [params.repeater_swap_success] * (n - 1) + ([params.swap_success] if k < hops - 1 else [])
        delays += [L / n / params.fibre_speed_km_s] * n
    # only a failure's freed links wait for its signal (as a block of RECOVERY_PHASES phases) up to
    # MAX_RECOVERY_LINKS links; longer chains wait as a whole (physics.chain_time, wait="chain")
    phases = RECOVERY_PHASES if links <= MAX_RECOVERY_LINKS and max(delays) > 0 else 0
    if links > MAX_STORAGE_LINKS:  # storage beyond the exact chain: one cycle per pair (physics.storage_model)
        fid = 0.25 + (fid - 0.25) * math.exp(-links * (slowest + signal) / pair_T)
    elif math.isfinite(pair_T) and links > 1:  # the delivered pair's storage, from the chain with hit marks
        held = phases if links <= MAX_RECOVERY_STORAGE_LINKS else 0  # longer storage chains wait as a whole
        storage = _swap_chain_wait(rates, q, delays, params.swap_order, decay=1 / pair_T, phases=held)
        fid = 0.25 + (fid - 0.25) * storage * math.exp(-final / pair_T)
    return fid, float(1.0 / (_swap_chain_wait(rates, q, delays, params.swap_order, phases=phases) + final))


def check_routes(
    topology: Topology,
    requests: Requests,
    routes: dict,
    channels=None,
    memory=10,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    need_rate: bool = True,
) -> list[str]:
    """Second-implementation check (no DSL, no :mod:`.physics`; the model's assumptions):
    routes are walks between the request's ends; fidelity recomputed (:func:`route_physics`)
    meets the request's threshold; rate delivered meets the wanted rate (``need_rate``);
    channels per link and memory qubits per node (``(r + 1) width`` per hop end) within the
    limits.

    Parameters
    ----------
    topology : Topology
        The fibre network.
    requests : Requests
        The requests.
    routes : dict
        Request -> list of ``{"nodes": names, "rounds": per hop, "width": int}``
        (:func:`interpret_routing`'s ``routes``).
    channels : float or array_like, optional
        Channels per link (default 2 per fibre).
    memory : float or array_like
        Memory qubits per node.
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.
    need_rate : bool
        Whether each routed request must get its whole rate ("served"; not for max-min).

    Returns
    -------
    list of str
        The problems found; empty when the routes are valid.
    """
    net = topology.network
    link_of = link_index(net)
    channels = np.broadcast_to(np.asarray(2 * topology.fibres if channels is None else channels, float), (net.n_links,))
    memory = np.broadcast_to(np.asarray(memory, float), (net.n_nodes,))
    used_ch = np.zeros(net.n_links)
    used_mem = np.zeros(net.n_nodes)
    problems = []
    for i, rs in routes.items():
        delivered = 0.0
        for r in rs:
            hops, why = walk(net, link_of, r["nodes"], requests.src[i], requests.dst[i])
            if why:
                problems.append(f"request {i}: route {why}")
                continue
            links = [link_of[h] for h in hops]
            rounds = [int(x) for x in r["rounds"]]
            fid, rate1 = route_physics([float(topology.length_km[e]) for e in links], rounds, params, protocol)
            if fid < requests.min_fidelity[i] - 1e-9:
                problems.append(f"request {i}: fidelity {fid:.4f} < {requests.min_fidelity[i]:g}")
            delivered += rate1 * r["width"]
            for e in links:
                used_ch[e] += r["width"]
            for (a, b), q in zip(hops, rounds):
                used_mem[a] += (q + 1) * r["width"]
                used_mem[b] += (q + 1) * r["width"]
        if need_rate and delivered < requests.rate[i] * (1 - 1e-9):
            problems.append(f"request {i}: delivers {delivered:.3g} pairs/s < {requests.rate[i]:g} wanted")
    for e in np.flatnonzero(used_ch > channels + 1e-9).tolist():
        problems.append(f"link {net.link_label(e)} uses {used_ch[e]:g} channels > {channels[e]:g}")
    for v in np.flatnonzero(used_mem > memory + 1e-9).tolist():
        problems.append(f"node {net.nodes[v]} uses {used_mem[v]:g} memory qubits > {memory[v]:g}")
    return problems


def link_index(net) -> dict[tuple[int, int], int]:
    """``(node, node) -> link`` in both directions, for the second-implementation checks."""
    link_of = {}
    for e, (a, b) in enumerate(zip(net.src.tolist(), net.dst.tolist())):
        link_of[(a, b)] = link_of[(b, a)] = e
    return link_of


def walk(net, link_of: dict, nodes, src: int, dst: int) -> tuple[list[tuple[int, int]], str]:
    """The hops (node index pairs) of a path given by node names, and ``""``; or ``[]`` and why
    it is no path from ``src`` to ``dst`` ("... does not join its ends", "uses a missing link")."""
    idx = [net.nodes.index(x) for x in nodes]
    if idx[0] != src or idx[-1] != dst:
        return [], f"{nodes[0]}->{nodes[-1]} does not join its ends"
    hops = list(zip(idx[:-1], idx[1:]))
    if any(h not in link_of for h in hops):
        return [], "uses a missing link"
    return hops, ""


# ------------------------------------------------------------------ baselines
def _admit(cand: Candidates, order, n_requests: int, channels: np.ndarray, memory: np.ndarray, topology) -> dict:
    """Admit candidate paths in ``order`` at their minimum width while channels and memory last,
    at most one per request; returns :func:`interpret_routing`-style routes."""
    net = topology.network
    free_ch, free_mem = channels.astype(float).copy(), memory.astype(float).copy()
    done = np.zeros(n_requests, bool)
    routes: dict[int, list] = {}
    U, M = cand.link_use.tocsr(), cand.memory_use.tocsr()
    for p in np.asarray(order, np.int64).tolist():
        i = int(cand.owner[p])
        if done[i] or not cand.usable[p]:
            continue
        w = int(cand.width[p])
        u, mem = U[p], M[p]
        if np.any(u.data * w > free_ch[u.indices] + 1e-9) or np.any(mem.data * w > free_mem[mem.indices] + 1e-9):
            continue
        free_ch[u.indices] -= u.data * w
        free_mem[mem.indices] -= mem.data * w
        done[i] = True
        routes[i] = [candidate_route(cand, p, w, net)]
    return routes


def shortest_path_routes(
    topology: Topology,
    requests: Requests,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
    memory=10,
) -> dict:
    """Baseline: every request, in the given order, takes its shortest path by fibre length.

    The request takes, among its path's rounds vectors (:func:`served_options`), the one
    taking the fewest channels plus memory qubits whose channels and memory are still free
    (the next cheapest when it does not fit); if none fits, or none reaches its fidelity and
    rate, it is not served. Shortest-path routing is the
    reference of the entanglement-routing literature (e.g. the "Dijkstra" baselines of
    M. Pant et al., "Routing entanglement in the quantum internet", npj Quantum Information
    5, 25 (2019), and of Shi & Qian, SIGCOMM 2020).

    Returns
    -------
    dict
        Request -> list with one route (:func:`interpret_routing`'s ``routes`` format).
    """
    channels, memory = _capacities(topology, channels, memory)
    cand = candidates(topology, requests, 1, params, protocol, max_rounds, channels)
    opts = served_options(cand)
    return _admit(
        cand, opts[np.lexsort((_resources(cand)[opts], cand.owner[opts]))], requests.n, channels, memory, topology
    )


def _resources(cand: Candidates) -> np.ndarray:
    """float64, shape (P,): channels plus memory qubits a row takes at its minimum width."""
    per_channel = np.asarray(cand.link_use.sum(axis=1)).ravel() + np.asarray(cand.memory_use.sum(axis=1)).ravel()
    return per_channel * cand.width


def greedy_routes(
    topology: Topology,
    requests: Requests,
    k: int = 3,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
    memory=10,
) -> dict:
    """Baseline: greedy capacity-aware routing in the style of Q-CAST (Shi & Qian, SIGCOMM 2020).

    Q-CAST's path selection (Sec. 4.2 of the paper) repeatedly picks, over all requests, the
    candidate path with the best expected throughput, reserves its resources, and repeats
    until no path fits. Here: all options (``k`` paths per request, each with its rounds
    vectors and widths, :func:`served_options`) in decreasing order of per-channel end-to-end rate
    (Q-CAST's expected-throughput metric), cheaper resource use (channels + memory per
    channel) breaking ties, each admitted when its channels and memory are free and its
    request is not yet served. Q-CAST's online recovery paths are not modelled.

    Returns
    -------
    dict
        Request -> list with one route (:func:`interpret_routing`'s ``routes`` format).
    """
    channels, memory = _capacities(topology, channels, memory)
    cand = candidates(topology, requests, k, params, protocol, max_rounds, channels)
    opts = served_options(cand)
    order = opts[np.lexsort((_resources(cand)[opts], -cand.rate[opts]))]
    return _admit(cand, order, requests.n, channels, memory, topology)


@dataclass(frozen=True)
class LPRelaxation:
    """The LP relaxation of the "served" routing MILP and its optimum.

    Attributes
    ----------
    candidates : Candidates
        The requests' candidate paths (:func:`candidates`).
    options : numpy.ndarray
        int64, shape (P',): the options (:func:`served_options`), the LP's columns.
    x : numpy.ndarray
        float64, shape (P',): the LP optimum's ``serve`` per option, in [0, 1]; at most 1
        summed over each request's options.
    bound : float
        The LP optimum: an upper bound on the weight of requests any routing serves.
    channels : numpy.ndarray
        float64, shape (E,): channels per link.
    memory : numpy.ndarray
        float64, shape (V,): memory qubits per node.
    """

    candidates: Candidates
    options: np.ndarray
    x: np.ndarray
    bound: float
    channels: np.ndarray
    memory: np.ndarray

    @property
    def integral(self) -> bool:
        """Whether every ``x`` is 0 or 1 (to 1e-6): then rounding returns an optimum."""
        return bool(np.all(np.minimum(self.x, 1.0 - self.x) <= 1e-6))


def lp_relaxation(
    topology: Topology,
    requests: Requests,
    k: int = 3,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
    memory=10,
    time_limit: float | None = None,
) -> LPRelaxation:
    """Solve the LP relaxation of the path-based "served" MILP (:func:`entanglement_routing`).

    The model of ``objective="served"`` with every path at its minimum width (the QUBO
    form's columns, whose integer optimum is the MILP's) and ``serve`` relaxed to
    ``[0, 1]``: built in the qbdsl DSL and solved by OR-Tools (HiGHS), as the project's
    other LP bounds are (:func:`qbdsl.orchestrate.bound.relaxation_bound`). Relaxing the
    minimum-width columns rather than the MILP's integer ``width`` gives the tighter LP
    (a fractional width could serve a fraction of a request with less than one channel).

    Parameters
    ----------
    topology, requests, k, params, protocol, max_rounds, channels, memory
        As :func:`entanglement_routing`.
    time_limit : float, optional
        Seconds for the LP solver.

    Returns
    -------
    LPRelaxation
        With ``bound = 0`` and no options when no candidate path is usable.

    Raises
    ------
    ModelError
        As :func:`candidates`; bad channels or memory (named); an LP the solver does not
        finish (its status named).
    """
    channels, memory = _capacities(topology, channels, memory)
    cand = candidates(topology, requests, k, params, protocol, max_rounds, channels)  # checks the protocol
    opts = served_options(cand)
    if not len(opts):
        return LPRelaxation(cand, opts, np.zeros(0), 0.0, channels, memory)
    m = qb.Model(f"qnet-served-lp-{topology.name}")
    _served(m, cand, opts, requests, channels, memory, "lp")
    res = qb.solve(m, backend="ortools", time_limit=time_limit)
    if res.status != "optimal":
        raise ModelError(f"the routing LP relaxation ended {res.status!r}, not optimal")
    x = np.clip(np.asarray(res.values["serve"], float), 0.0, 1.0)
    return LPRelaxation(cand, opts, x, float(res.objective), channels, memory)


def _draw_paths(x: np.ndarray, owner: np.ndarray, n_requests: int, rng: np.random.Generator) -> np.ndarray:
    """One randomized rounding: each request takes option ``j`` with probability ``x[j]``
    (none with ``1 - sum x``), all requests independently; bool, shape (P',)."""
    order = np.lexsort((np.arange(len(owner)), owner))
    xs, own = x[order], owner[order]
    totals = np.bincount(own, weights=xs, minlength=n_requests)
    xs = xs / np.maximum(totals[own], 1.0)  # a sum above 1 only by solver tolerance
    hi = np.cumsum(xs)
    first = np.r_[0, np.flatnonzero(np.diff(own)) + 1]
    hi -= np.repeat(hi[first] - xs[first], np.diff(np.r_[first, len(own)]))  # cumulative within request
    u = rng.random(n_requests)[own]
    picked = np.zeros(len(x), bool)
    picked[order] = (hi - xs <= u) & (u < hi)
    return picked


def lp_rounding_routes(
    topology: Topology,
    requests: Requests,
    k: int = 3,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    channels=None,
    memory=10,
    trials: int = 32,
    seed: int = 0,
    relaxation: LPRelaxation | None = None,
) -> dict:
    """Baseline: LP relaxation and randomized rounding (Raghavan and Thompson 1987), repaired greedily.

    The LP (:func:`lp_relaxation`) gives each option ``p`` (a path with a rounds vector,
    :func:`served_options`) of request ``i`` a value
    ``x_p``; randomized rounding picks for each request, independently, path ``p`` with
    probability ``x_p`` and none with ``1 - sum_p x_p``: P. Raghavan and C. D. Thompson,
    "Randomized rounding: a technique for provably good algorithms and algorithmic proofs",
    Combinatorica 7(4), 365-374 (1987), their rounding of the multicommodity-flow LP to one
    path per net. A rounding may overbook a link or a node, so each one is repaired
    greedily (not part of the paper): its picked paths, in random order, are admitted
    while their channels and memory are free, then the other usable paths in decreasing
    ``x`` fill what is left (every usable path meets its request's fidelity and rate,
    :func:`candidates`). Trial 0 admits all paths in decreasing ``x`` (deterministic);
    trials ``1..trials`` round at random; the answer serving the most weight is kept (the
    first among equals). When the LP optimum is integral, trial 0 returns it, so the
    rounding matches the MILP optimum. The LP rounding of REPS (Zhao, Zhao and Qiao, IEEE
    INFOCOM 2021) is not what this implements.

    Parameters
    ----------
    topology, requests, k, params, protocol, max_rounds, channels, memory
        As :func:`entanglement_routing`.
    trials : int
        Randomized roundings (>= 0).
    seed : int
        Seeds the roundings.
    relaxation : LPRelaxation, optional
        A solved :func:`lp_relaxation` of the same instance, to reuse.

    Returns
    -------
    dict
        Request -> list with one route (:func:`interpret_routing`'s ``routes`` format).

    Raises
    ------
    ModelError
        ``trials`` < 0, and as :func:`lp_relaxation`.
    """
    if int(trials) != trials or trials < 0:
        raise ModelError(f"trials must be a whole number >= 0, got {trials}")
    lp = relaxation or lp_relaxation(topology, requests, k, params, protocol, max_rounds, channels, memory)
    cand, opts, x = lp.candidates, lp.options, lp.x
    if not len(opts):
        return {}
    rng = np.random.default_rng(seed)
    fill = opts[np.lexsort((-cand.rate[opts], -x))]  # decreasing x, then faster paths
    best, best_weight = None, -1.0
    for t in range(int(trials) + 1):
        if t == 0:
            order = fill
        else:
            picked = opts[_draw_paths(x, cand.owner[opts], requests.n, rng)]
            order = np.concatenate([rng.permutation(picked), fill])
        routes = _admit(cand, order, requests.n, lp.channels, lp.memory, topology)
        weight = float(requests.weight[list(routes)].sum()) if routes else 0.0
        if weight > best_weight + 1e-12:
            best, best_weight = routes, weight
    return best
