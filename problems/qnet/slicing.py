"""Joint quantum-classical slicing: slices that need both classical bandwidth and end-to-end
entanglement between two endpoints (e.g. QKD-secured slices), placed jointly on one topology.

A slice ``s`` joins ``src[s]`` and ``dst[s]``: it wants ``bandwidth[s]`` units of classical
bandwidth along one path, and Bell pairs of fidelity at least ``min_fidelity[s]`` at
``rate[s]`` pairs/s along one (possibly different) path. It is admitted only with both.

Decisions (all binary)
----------------------
* ``admit[s]``: slice ``s`` is admitted (S,);
* ``classical[c]``: the classical layer of the slice owning option ``c`` takes that path, one
  of the ``k`` shortest by fibre length (:func:`qbdsl.problems.routing.candidate_paths`);
* ``quantum[q]``: the entanglement of the slice owning option ``q`` takes that path, one of
  the options of :func:`.routing.candidates` on the ``k`` shortest paths: each path with
  every undominated purification-rounds vector that reaches the fidelity as a separate
  option (rounds per hop are a decision: more rounds on one hop can raise or lower the
  end-to-end fidelity, :mod:`.routing`), reduced by :func:`.routing.served_options`, each
  at its width (the fewest channels per hop that deliver the rate).

Constraints
-----------
* one option per layer, on exactly when admitted: ``sum_{c of s} classical[c] = admit[s]``
  and ``sum_{q of s} quantum[q] = admit[s]``;
* link bandwidth: ``sum_c bandwidth[c] classical[c] uses[c, e] + beta sum_q width[q]
  quantum[q] uses[q, e] <= bandwidth_e``, where ``beta`` (``channel_bandwidth``, default 0) is
  the classical bandwidth a quantum channel takes from its fibre (a wavelength of the shared
  fibre and its guard band, when classical and quantum signals coexist);
* quantum channels: ``sum_q width[q] quantum[q] uses[q, e] <= channels_e``;
* node memory: ``sum_q width[q] quantum[q] qubits[q, v] <= memory_v``
  (``(r + 1)`` qubits per channel at each hop end, :func:`~.physics.memory_per_channel`).

Objective: the weight of the admitted slices, maximized.

Every variable is binary and every constraint linear, so the one model compiles to both
targets: ``qb.compile(m, "milp")`` (integer program) and ``qb.compile(m, "qubo")`` (slack
penalties; small instances only).

Sequential placement (:func:`sequential_slicing`) is what two separate orchestrators would do:
place one layer optimally without regard to the other, then the other layer optimally on what
is left, for the slices the first admitted. The result is always feasible for the joint model
(drop the first layer's reservations of slices the second layer refused), so the joint
optimum admits at least as much weight; :func:`compare_slicing` measures by how much.
:func:`check_slicing` checks any answer without the DSL and without :mod:`.physics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

import qbdsl as qb
from qbdsl.errors import ModelError

from ..routing import candidate_paths
from . import physics
from . import routing as qroute
from .physics import DEFAULT, Params
from .topologies import Topology

LAYERS = ("joint", "classical", "quantum")
ORDERS = ("classical", "quantum")


@dataclass(frozen=True)
class QSlices:
    """Slices needing classical bandwidth and end-to-end entanglement between two endpoints.

    Attributes
    ----------
    src, dst : numpy.ndarray
        int64, shape (S,): node indices of the endpoints (different).
    bandwidth : numpy.ndarray
        float64, shape (S,): classical bandwidth wanted, in the units of the link capacities (> 0).
    min_fidelity : numpy.ndarray
        float64, shape (S,): end-to-end entanglement fidelity wanted, in (1/4, 1].
    rate : numpy.ndarray
        float64, shape (S,): end-to-end Bell pairs per second wanted (> 0).
    weight : numpy.ndarray, optional
        float64, shape (S,): what admitting each slice is worth (default 1, >= 0).

    Raises
    ------
    ModelError
        Arrays of different lengths, a bandwidth that is not a positive number (the slice
        named), and as :class:`~.routing.Requests` for the quantum fields.
    """

    src: np.ndarray
    dst: np.ndarray
    bandwidth: np.ndarray
    min_fidelity: np.ndarray
    rate: np.ndarray
    weight: np.ndarray | None = None

    def __post_init__(self):
        bw = np.atleast_1d(np.asarray(self.bandwidth, float))
        req = qroute.Requests(self.src, self.dst, self.min_fidelity, self.rate, self.weight)
        if bw.shape != (req.n,):
            raise ModelError(f"slices: bandwidth has shape {bw.shape}, expected ({req.n},)")
        bad = ~(bw > 0) | ~np.isfinite(bw)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ModelError(f"slice {i} ({int(req.src[i])}->{int(req.dst[i])}) wants a bandwidth {bw[i]:g}: not > 0")
        for name in ("src", "dst", "min_fidelity", "rate", "weight"):
            object.__setattr__(self, name, getattr(req, name))
        object.__setattr__(self, "bandwidth", bw)

    @property
    def n(self) -> int:
        """The number S of slices."""
        return len(self.src)

    @property
    def requests(self) -> qroute.Requests:
        """The entanglement part as :class:`~.routing.Requests` (same order and weights)."""
        return qroute.Requests(self.src, self.dst, self.min_fidelity, self.rate, self.weight)

    def subset(self, keep) -> QSlices:
        """The slices selected by the bool mask or index array ``keep``, in order."""
        k = np.asarray(keep)
        return QSlices(self.src[k], self.dst[k], self.bandwidth[k], self.min_fidelity[k], self.rate[k], self.weight[k])


def random_qslices(
    topology: Topology,
    n: int,
    seed: int = 0,
    bandwidth=(1, 4),
    fidelity=(0.7, 0.85),
    rate=(1.0, 10.0),
    max_km: float | None = None,
) -> QSlices:
    """Seeded random slices between distinct node pairs.

    Parameters
    ----------
    topology : Topology
        Where the slices live.
    n : int
        How many (>= 1); node pairs are drawn without repetition
        (:func:`~.routing.random_requests`, which also draws fidelity and rate).
    seed : int
        Seeds the draw.
    bandwidth : tuple of int
        Inclusive range of the whole bandwidth units each slice wants.
    fidelity, rate : tuple of float
        Uniform ranges of the wanted fidelity and rate (pairs/s).
    max_km : float, optional
        Only pairs whose great-circle distance times the routing factor is at most this.

    Returns
    -------
    QSlices
        Weights 1.

    Raises
    ------
    ModelError
        As :func:`~.routing.random_requests`; a bandwidth range that is not ``1 <= low <= high``.
    """
    if not 1 <= bandwidth[0] <= bandwidth[1]:
        raise ModelError(f"bandwidth range must satisfy 1 <= low <= high, got {tuple(bandwidth)}")
    req = qroute.random_requests(topology, n, seed, fidelity, rate, max_km)
    bw = np.random.default_rng((seed, 1)).integers(bandwidth[0], bandwidth[1] + 1, n).astype(float)
    return QSlices(req.src, req.dst, bw, req.min_fidelity, req.rate, req.weight)


@dataclass(frozen=True)
class Capacities:
    """Resources of the topology, per link and node.

    Attributes
    ----------
    bandwidth : numpy.ndarray
        float64, shape (E,): classical bandwidth per link.
    channels : numpy.ndarray
        float64, shape (E,): quantum channels per link (whole numbers).
    memory : numpy.ndarray
        float64, shape (V,): memory qubits per node (whole numbers).
    channel_bandwidth : float
        Classical bandwidth one quantum channel takes from its link (>= 0).
    """

    bandwidth: np.ndarray
    channels: np.ndarray
    memory: np.ndarray
    channel_bandwidth: float = 0.0

    @classmethod
    def of(cls, topology: Topology, bandwidth=None, channels=None, memory=10, channel_bandwidth=0.0) -> Capacities:
        """Capacities broadcast onto ``topology`` and checked.

        Parameters
        ----------
        topology : Topology
            The fibre network.
        bandwidth : float or array_like, shape (E,), optional
            Classical bandwidth per link (default 10 per fibre), >= 0.
        channels : float or array_like, shape (E,), optional
            Quantum channels per link (default 2 per fibre), whole numbers >= 0.
        memory : float or array_like, shape (V,)
            Memory qubits per node, whole numbers >= 0.
        channel_bandwidth : float
            Classical bandwidth a quantum channel takes (>= 0).

        Raises
        ------
        ModelError
            A negative or non-finite bandwidth, a channel or memory count that is not a whole
            number >= 0 (the entry named), or a negative ``channel_bandwidth``.
        """
        net = topology.network
        bw = np.broadcast_to(
            np.asarray(10.0 * topology.fibres if bandwidth is None else bandwidth, float), (net.n_links,)
        )
        bad = ~(bw >= 0) | ~np.isfinite(bw)
        if bad.any():
            e = int(np.flatnonzero(bad)[0])
            raise ModelError(f"bandwidth of link {net.link_label(e)} is {bw[e]:g}: not a number >= 0")
        if not (channel_bandwidth >= 0 and np.isfinite(channel_bandwidth)):
            raise ModelError(f"channel_bandwidth must be a number >= 0, got {channel_bandwidth}")
        ch, mem = qroute._capacities(topology, channels, memory)
        return cls(bw.astype(float).copy(), ch, mem, float(channel_bandwidth))


@dataclass(frozen=True)
class SliceOptions:
    """The candidate options of every slice in both layers.

    Attributes
    ----------
    classical_owner : numpy.ndarray
        int64, shape (C,): the slice of each classical option.
    classical_links : list of numpy.ndarray
        Link ids of each classical option, from the slice's source.
    classical_use : scipy.sparse.csr_matrix
        shape (C, E): bandwidth each classical option puts on each link (the slice's bandwidth
        on every link of its path).
    quantum : Candidates
        The entanglement candidates (:func:`~.routing.candidates`), all of them.
    quantum_opts : numpy.ndarray
        int64, shape (Q,): the options (:func:`~.routing.served_options`: a path with a rounds
        vector, fidelity reached, rate within the channels).
    """

    classical_owner: np.ndarray
    classical_links: list
    classical_use: sp.csr_matrix
    quantum: qroute.Candidates
    quantum_opts: np.ndarray


def slice_options(
    topology: Topology,
    slices: QSlices,
    caps: Capacities,
    k: int = 3,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
) -> SliceOptions:
    """The ``k`` classical and ``k`` entanglement candidate paths of every slice.

    Parameters
    ----------
    topology : Topology
        The fibre network.
    slices : QSlices
        What is wanted.
    caps : Capacities
        Resources (the channels cap each quantum option's width).
    k : int
        Candidate paths per slice and layer (>= 1).
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.
    max_rounds : int
        Most purification rounds per hop (>= 0).

    Returns
    -------
    SliceOptions

    Raises
    ------
    ModelError
        An unknown protocol; as :func:`~.routing.candidates`.
    """
    if protocol not in physics.PROTOCOLS:
        raise ModelError(f"protocol must be one of {', '.join(physics.PROTOCOLS)}, got {protocol!r}")
    net = topology.network
    cand = qroute.candidates(topology, slices.requests, k, params, protocol, max_rounds, caps.channels)
    paths, owner = candidate_paths(net, slices.src, slices.dst, k)
    hops = np.array([len(p) for p in paths], np.int64)
    flat = np.concatenate(paths) if paths else np.zeros(0, np.int64)
    row = np.repeat(np.arange(len(paths)), hops)
    use = sp.csr_matrix((slices.bandwidth[owner][row], (row, flat)), shape=(len(paths), net.n_links))
    return SliceOptions(owner, paths, use, cand, qroute.served_options(cand))


def quantum_classical_slicing(
    topology: Topology,
    slices: QSlices,
    k: int = 3,
    bandwidth=None,
    channels=None,
    memory=10,
    channel_bandwidth: float = 0.0,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    layers: str = "joint",
    admissible=None,
) -> qb.Model:
    """The slicing model (module docstring) on ``topology``.

    Parameters
    ----------
    topology : Topology
        The fibre network (:func:`~.topologies.load_topology`).
    slices : QSlices
        Endpoints, bandwidth, fidelity and rate of each slice.
    k : int
        Candidate paths per slice in each layer.
    bandwidth : float or array_like, shape (E,), optional
        Classical bandwidth per link (default 10 per fibre).
    channels : float or array_like, shape (E,), optional
        Quantum channels per link (default 2 per fibre).
    memory : float or array_like, shape (V,)
        Memory qubits per node (default 10).
    channel_bandwidth : float
        Classical bandwidth one quantum channel takes from its link (default 0: separate).
    params : Params
        Physical parameters (default: the cited experiments).
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.
    max_rounds : int
        Most purification rounds per hop.
    layers : {"joint", "classical", "quantum"}
        Place both layers (a slice is admitted with both), or one layer alone (a slice is
        admitted with that layer's path: the first step of a sequential placement).
    admissible : array_like of bool, shape (S,), optional
        Slices that may be admitted (default all): the second step of a sequential placement.

    Returns
    -------
    qb.Model
        Binary variables ``admit`` (S,), ``classical`` (C',) and ``quantum`` (Q',) (those
        of ``layers``), over the admissible slices' options. Kept for
        :func:`interpret_slicing`: ``m.topology``, ``m.slices``, ``m.capacities``,
        ``m.slice_options``, ``m.classical_opts`` and ``m.quantum_opts`` (option ids of the
        variables), ``m.layers``, ``m.params``, ``m.protocol``.

    Raises
    ------
    ModelError
        An unknown ``layers`` or protocol, an ``admissible`` mask of the wrong shape, and as
        :meth:`Capacities.of` and :func:`slice_options`.
    """
    if layers not in LAYERS:
        raise ModelError(f"layers must be one of {', '.join(LAYERS)}, got {layers!r}")
    caps = Capacities.of(topology, bandwidth, channels, memory, channel_bandwidth)
    opts = slice_options(topology, slices, caps, k, params, protocol, max_rounds)
    allowed = np.ones(slices.n, bool) if admissible is None else np.asarray(admissible, bool)
    if allowed.shape != (slices.n,):
        raise ModelError(f"admissible has shape {allowed.shape}, expected ({slices.n},)")
    if layers != "classical" and not allowed[opts.quantum.owner[opts.quantum_opts]].any():
        raise ModelError(
            f"no slice can be admitted on {topology.name!r}: no entanglement candidate path reaches its "
            f"fidelity with {max_rounds} purification rounds and its rate within the link channels"
        )
    return _build(topology, slices, caps, opts, layers, allowed, params, protocol)


def _build(topology, slices, caps, opts: SliceOptions, layers, allowed, params, protocol) -> qb.Model:
    """The model on precomputed options (see :func:`quantum_classical_slicing`)."""
    S = slices.n
    m = qb.Model(f"qnet-slicing-{layers}-{topology.name}")
    admit = m.binary("admit", S)
    load = None
    c_opts = np.flatnonzero(allowed[opts.classical_owner]) if layers != "quantum" else np.zeros(0, np.int64)
    q_all = opts.quantum_opts
    q_opts = q_all[allowed[opts.quantum.owner[q_all]]] if layers != "classical" else np.zeros(0, np.int64)
    if layers != "quantum":
        x = _one_option(m, admit, opts.classical_owner[c_opts], "classical")
        if x is not None:
            load = x @ opts.classical_use[c_opts]
    if layers != "classical":
        cand = opts.quantum
        y = _one_option(m, admit, cand.owner[q_opts], "quantum")
        if y is not None:
            width = cand.width[q_opts] * y
            m.add(width @ cand.link_use[q_opts] <= caps.channels, name="channels")
            m.add(width @ cand.memory_use[q_opts] <= caps.memory, name="memory")
            if caps.channel_bandwidth:
                q_load = (caps.channel_bandwidth * width) @ cand.link_use[q_opts]
                load = q_load if load is None else load + q_load
    if load is not None:
        m.add(load <= caps.bandwidth, name="bandwidth")
    m.maximize((slices.weight * admit).sum())
    m.topology, m.slices, m.capacities, m.slice_options = topology, slices, caps, opts
    m.classical_opts, m.quantum_opts, m.layers = c_opts, q_opts, layers
    m.params, m.protocol = params, protocol
    return m


def _one_option(m: qb.Model, admit, owner: np.ndarray, layer: str):
    """Binary options of one layer, one on exactly when its slice is admitted; a slice with no
    option in the layer is refused. Returns the option variables (None when there are none)."""
    S = admit.size
    has = np.zeros(S, bool)
    has[owner] = True
    if not has.all():
        m.add(admit[~has] == 0, name=f"no-{layer}-option")
    if not len(owner):
        return None
    x = m.binary(layer, len(owner))
    rows = np.flatnonzero(has)
    pick = sp.csr_matrix(
        (np.ones(len(owner)), (np.searchsorted(rows, owner), np.arange(len(owner)))), (len(rows), len(owner))
    )
    m.add(pick @ x - admit[has] == 0, name=f"{layer}-path")
    return x


def interpret_slicing(model: qb.Model, result) -> dict:
    """The placement a result encodes, in the topology's terms.

    Returns
    -------
    dict
        ``admitted`` (S,) bool; ``classical``: slice -> ``{"nodes": names, "links": link ids}``;
        ``quantum``: slice -> list with one route (:func:`~.routing.interpret_routing`'s
        ``routes`` format: nodes, links, rounds, width, fidelity, rate); ``bandwidth_used``,
        ``channels_used`` (E,) and ``memory_used`` (V,).
    """
    admitted, c_ids, q_ids = _chosen(model, result)
    return _answer(model.topology, model.slices, model.capacities, model.slice_options, admitted, c_ids, q_ids)


def _chosen(model: qb.Model, result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(admitted (S,) bool, chosen classical option ids, chosen quantum option ids)."""
    v = result.values
    x = np.asarray(v["classical"]) > 0.5 if "classical" in v else np.zeros(0, bool)
    y = np.asarray(v["quantum"]) > 0.5 if "quantum" in v else np.zeros(0, bool)
    return np.asarray(v["admit"]) > 0.5, model.classical_opts[x], model.quantum_opts[y]


def _answer(topology, slices, caps, opts: SliceOptions, admitted, c_chosen, q_chosen) -> dict:
    cand, net = opts.quantum, topology.network
    classical = {}
    for c in np.asarray(c_chosen, np.int64).tolist():
        s = int(opts.classical_owner[c])
        links = opts.classical_links[c]
        classical[s] = {"nodes": [net.nodes[x] for x in _walk_nodes(net, links, int(slices.src[s]))], "links": links}
    quantum = {}
    for p in np.asarray(q_chosen, np.int64).tolist():
        quantum[int(cand.owner[p])] = [qroute.candidate_route(cand, p, int(cand.width[p]), net)]
    c_chosen = np.asarray(c_chosen, np.int64)
    q_chosen = np.asarray(q_chosen, np.int64)
    qw = cand.width[q_chosen].astype(float)
    channels_used = np.asarray(qw @ cand.link_use[q_chosen]).ravel() if len(q_chosen) else np.zeros(net.n_links)
    memory_used = np.asarray(qw @ cand.memory_use[q_chosen]).ravel() if len(q_chosen) else np.zeros(net.n_nodes)
    bw_used = np.asarray(opts.classical_use[c_chosen].sum(axis=0)).ravel() if len(c_chosen) else np.zeros(net.n_links)
    return {
        "admitted": np.asarray(admitted, bool),
        "classical": classical,
        "quantum": quantum,
        "bandwidth_used": bw_used + caps.channel_bandwidth * channels_used,
        "channels_used": channels_used,
        "memory_used": memory_used,
    }


def _walk_nodes(net, links, start: int) -> list[int]:
    seq = [start]
    for e in np.asarray(links).tolist():
        a, b = int(net.src[e]), int(net.dst[e])
        seq.append(b if a == seq[-1] else a)
    return seq


# ------------------------------------------------------------------ sequential placement
def _solve(model, backend: str, time_limit: float | None):
    r = qb.solve(model, backend=backend, time_limit=time_limit)
    if not r.feasible:
        raise ModelError(f"{model.name}: {backend} found no feasible placement (status {r.status})")
    return r


def sequential_slicing(
    topology: Topology,
    slices: QSlices,
    first: str = "classical",
    k: int = 3,
    bandwidth=None,
    channels=None,
    memory=10,
    channel_bandwidth: float = 0.0,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
    max_rounds: int = 3,
    backend: str = "ortools",
    time_limit: float | None = None,
    screen: bool = False,
) -> dict:
    """Place the two layers one after the other, each optimally for itself.

    Step 1 places the ``first`` layer alone, maximizing the weight of the slices it carries
    (blind to the other layer). Step 2 places the other layer, on the resources step 1 left,
    for the slices step 1 carried. A slice is admitted when both steps carried it; step 1's
    reservations of the others are released (so the answer is feasible for the joint model).
    With ``screen``, step 1 considers only the slices whose other layer is feasible on its
    own on the empty network (:func:`screened`), so it does not spend resources on slices
    step 2 can never carry.

    Parameters
    ----------
    topology, slices, k, bandwidth, channels, memory, channel_bandwidth, params, protocol, max_rounds
        As :func:`quantum_classical_slicing`.
    first : {"classical", "quantum"}
        The layer placed first.
    backend : str
        The backend solving each step (an exact one, e.g. "ortools", for optimal steps).
    time_limit : float, optional
        Seconds per step.
    screen : bool
        Screen step 1's slices by the other layer's feasibility alone.

    Returns
    -------
    dict
        :func:`interpret_slicing`'s format, plus ``first_step``: how many slices step 1 carried.

    Raises
    ------
    ModelError
        An unknown ``first``; a step without a feasible answer; as :func:`quantum_classical_slicing`.
    """
    if first not in ORDERS:
        raise ModelError(f"first must be one of {', '.join(ORDERS)}, got {first!r}")
    caps = Capacities.of(topology, bandwidth, channels, memory, channel_bandwidth)
    opts = slice_options(topology, slices, caps, k, params, protocol, max_rounds)
    allowed = screened(slices, caps, opts, "quantum" if first == "classical" else "classical") if screen else None
    if allowed is None:
        allowed = np.ones(slices.n, bool)
    m1 = _build(topology, slices, caps, opts, first, allowed, params, protocol)
    r1 = _solve(m1, backend, time_limit)
    a1 = interpret_slicing(m1, r1)
    left = Capacities(
        caps.bandwidth - a1["bandwidth_used"],
        caps.channels - a1["channels_used"],
        caps.memory - a1["memory_used"],
        caps.channel_bandwidth,
    )
    second = "quantum" if first == "classical" else "classical"
    m2 = _build(topology, slices, left, opts, second, a1["admitted"], params, protocol)
    adm1, c1, q1 = _chosen(m1, r1)
    adm2, c2, q2 = _chosen(m2, _solve(m2, backend, time_limit))
    admitted = adm1 & adm2
    c_ids = np.concatenate([c1, c2])
    q_ids = np.concatenate([q1, q2])
    c_ids = c_ids[admitted[opts.classical_owner[c_ids]]]
    q_ids = q_ids[admitted[opts.quantum.owner[q_ids]]]
    out = _answer(topology, slices, caps, opts, admitted, c_ids, q_ids)
    out["first_step"] = int(adm1.sum())
    return out


def screened(slices: QSlices, caps: Capacities, opts: SliceOptions, layer: str) -> np.ndarray:
    """Slices whose ``layer`` is feasible on its own on the empty network.

    Parameters
    ----------
    slices : QSlices
        The slices.
    caps : Capacities
        The network's capacities.
    opts : SliceOptions
        :func:`slice_options` of the instance.
    layer : {"classical", "quantum"}
        ``"quantum"``: the slice has an entanglement option (fidelity reached, rate within
        the channels) whose memory fits every node and whose channels' bandwidth
        (``channel_bandwidth`` each) fits every link; ``"classical"``: one of its classical
        paths has its bandwidth free on every link.

    Returns
    -------
    numpy.ndarray
        bool, shape (S,).

    Raises
    ------
    ModelError
        An unknown layer.
    """
    if layer not in ORDERS:
        raise ModelError(f"layer must be one of {', '.join(ORDERS)}, got {layer!r}")
    ok = np.zeros(slices.n, bool)
    if layer == "classical":
        U = opts.classical_use.tocsr()
        fits = np.array([np.all(U[c].data <= caps.bandwidth[U[c].indices] + 1e-9) for c in range(U.shape[0])], bool)
        ok[opts.classical_owner[fits]] = True
        return ok
    cand, q = opts.quantum, opts.quantum_opts
    width = cand.width[q].astype(float)
    mem = cand.memory_use[q].multiply(width[:, None]).tocsr()
    band = cand.link_use[q].multiply((caps.channel_bandwidth * width)[:, None]).tocsr()
    fits = np.array(
        [
            np.all(mem[j].data <= caps.memory[mem[j].indices] + 1e-9)
            and np.all(band[j].data <= caps.bandwidth[band[j].indices] + 1e-9)
            for j in range(len(q))
        ],
        bool,
    )
    ok[cand.owner[q[fits]]] = True
    return ok


def joint_slicing(topology: Topology, slices: QSlices, backend: str = "ortools", time_limit=None, **kw) -> dict:
    """Solve :func:`quantum_classical_slicing` (``layers="joint"``) and interpret it.

    Parameters
    ----------
    topology, slices
        As :func:`quantum_classical_slicing`.
    backend : str
        The backend (an exact one, e.g. "ortools", for the optimum).
    time_limit : float, optional
        Seconds.
    **kw
        Further :func:`quantum_classical_slicing` arguments (``k``, ``bandwidth``...).

    Returns
    -------
    dict
        :func:`interpret_slicing`'s format.

    Raises
    ------
    ModelError
        No feasible answer found; as :func:`quantum_classical_slicing`.
    """
    m = quantum_classical_slicing(topology, slices, **kw)
    return interpret_slicing(m, _solve(m, backend, time_limit))


def compare_slicing(topology: Topology, slices: QSlices, backend: str = "ortools", time_limit=None, **kw) -> dict:
    """Admitted weight of the joint placement and of both sequential orders.

    Parameters
    ----------
    topology, slices, backend, time_limit, **kw
        As :func:`joint_slicing`.

    Returns
    -------
    dict
        ``{"joint": w, "classical-first": w, "quantum-first": w, "classical-first screened": w,
        "quantum-first screened": w, "answers": {same keys: answer}}``, ``w`` the admitted
        weight; "screened" is :func:`sequential_slicing` with ``screen=True``.
    """
    answers = {
        "joint": joint_slicing(topology, slices, backend, time_limit, **kw),
        "classical-first": sequential_slicing(
            topology, slices, "classical", backend=backend, time_limit=time_limit, **kw
        ),
        "quantum-first": sequential_slicing(topology, slices, "quantum", backend=backend, time_limit=time_limit, **kw),
    }
    for first in ORDERS:
        answers[f"{first}-first screened"] = sequential_slicing(
            topology, slices, first, backend=backend, time_limit=time_limit, screen=True, **kw
        )
    out: dict = {name: float(slices.weight[a["admitted"]].sum()) for name, a in answers.items()}
    out["answers"] = answers
    return out


# ------------------------------------------------------------------ second-implementation check
def check_slicing(
    topology: Topology,
    slices: QSlices,
    answer: dict,
    bandwidth=None,
    channels=None,
    memory=10,
    channel_bandwidth: float = 0.0,
    params: Params = DEFAULT,
    protocol: str = "dejmps",
) -> list[str]:
    """Second-implementation check (no DSL, no :mod:`.physics`) of a placement.

    Every admitted slice has a classical path and one entanglement route, and a refused one
    has neither; classical paths are walks between the slice's ends (links looked up by their
    end nodes); link bandwidth (classical plus ``channel_bandwidth`` per quantum channel)
    within capacity; the entanglement routes pass :func:`~.routing.check_routes` (fidelity
    and rate recomputed hop by hop, channels and memory).

    Parameters
    ----------
    topology : Topology
        The fibre network.
    slices : QSlices
        The slices.
    answer : dict
        ``admitted``, ``classical`` and ``quantum`` as :func:`interpret_slicing` gives them.
    bandwidth, channels, memory, channel_bandwidth
        The capacities (defaults as :func:`quantum_classical_slicing`).
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        Purification protocol.

    Returns
    -------
    list of str
        The problems found; empty when the placement is valid.
    """
    net = topology.network
    link_of = qroute.link_index(net)
    cap = np.broadcast_to(np.asarray(10.0 * topology.fibres if bandwidth is None else bandwidth, float), (net.n_links,))
    admitted = np.asarray(answer["admitted"], bool)
    problems = []
    for s in range(slices.n):
        has = (s in answer["classical"], s in answer["quantum"])
        if admitted[s] and not all(has):
            problems.append(f"slice {s} is admitted without {'a classical path' if not has[0] else 'entanglement'}")
        if not admitted[s] and any(has):
            problems.append(f"slice {s} is refused but holds {'a classical path' if has[0] else 'entanglement'}")
    load = np.zeros(net.n_links)
    for s, path in answer["classical"].items():
        hops, why = qroute.walk(net, link_of, path["nodes"], slices.src[s], slices.dst[s])
        if why:
            problems.append(f"slice {s}: classical path {why}")
            continue
        for h in hops:
            load[link_of[h]] += slices.bandwidth[s]
    for s, routes in answer["quantum"].items():
        if len(routes) != 1:
            problems.append(f"slice {s}: {len(routes)} entanglement routes, expected 1")
        for r in routes:
            idx = [net.nodes.index(x) for x in r["nodes"]]
            for h in zip(idx[:-1], idx[1:]):
                if h in link_of:
                    load[link_of[h]] += channel_bandwidth * r["width"]
    for e in np.flatnonzero(load > cap + 1e-9).tolist():
        problems.append(f"link {net.link_label(e)} carries {load[e]:g} bandwidth > {cap[e]:g}")
    problems += qroute.check_routes(
        topology, slices.requests, answer["quantum"], channels, memory, params, protocol, need_rate=True
    )
    return problems
