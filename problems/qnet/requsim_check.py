"""Second simulation check of entanglement routes, with memory noise: ReQuSim (issue 19, item 5).

The SeQUeNCe check (:mod:`.simulate`) agrees with the model on rate but cannot check its
fidelity: SeQUeNCe 0.8.5 books ``F0^h`` and no memory noise. This module runs one route
through ReQuSim (J. Wallnoefer, ``requsim`` 0.4 on PyPI, MIT licence,
https://github.com/jwallnoefer/requsim; used in J. Wallnoefer et al., "Simulating quantum
repeater strategies for multiple satellites", Commun. Phys. 5, 169 (2022)), an event-based
repeater simulator that keeps every pair's 4x4 density matrix, applies time-dependent noise
channels to qubits while they sit in memory, and swaps by projecting onto a Bell state.

The protocol (:func:`simulate_route_requsim`), written with ReQuSim's ``World``, ``Station``,
``SchedulingSource`` and events, with a global ``check()`` as in its examples:

* One ``Station`` per node of the route at the cumulative fibre length (metres). Every
  station's memory applies the single-qubit depolarizing channel
  ``rho -> a rho + (1 - a) I / 2`` (``requsim.tools.noise_channels.w_noise_channel``) with
  ``a(t) = exp(-t / T2)``, ``T2 = params.coherence_time_s``: a stored Werner pair's parameter
  decays by ``exp(-2 t / T2)``, the pair time constant ``T2 / 2`` of
  :func:`~.physics.decohere` as :func:`~.physics.path_metrics` uses it.
* Hop ``h`` (a ``SchedulingSource`` at its midpoint) makes a pair after a random wait:
  ``attempts="geometric"``, a Geometric(``p_h``) number of attempts each lasting the mean
  attempt time ``1 / attempt_rate(L_h)`` (``p_h`` = :func:`~.physics.link_success`);
  ``attempts="exponential"``, an exponential time of rate :func:`~.physics.link_rate` (the
  model's own assumption). The pair is the Werner state of fidelity ``params.link_fidelity``
  whose two qubits have already been in memory for the heralding time
  :func:`~.physics.heralding_time` (``2 L_h / v``: Barrett-Kok's two rounds, each the photons
  to the midpoint and the herald back): that noise is applied at generation, as the
  ``state_generation`` of ReQuSim's example ``event_protocol_simple_repeater.py`` does.
* A node swaps as soon as it holds a pair to each side that ``params.swap_order`` lets it
  join (``"asap"``: any two; ``"nested"``: only node ``j``'s partners of
  :func:`~.physics.nested_partners`), the lowest such node first (the model's "left end
  first"). The Bell measurement is ReQuSim's ideal ``EntanglementSwappingEvent``; its success
  (``params.swap_success``) is drawn here from the seeded generator. A failure destroys both
  pairs, and their hops start again only after the failure is signalled (the sum of the two
  segments' ``L / v``, as :func:`~.physics.chain_time` charges it); a success leaves the
  merged pair in memory, free to swap again at once (no waiting for messages).
* The end-to-end pair is held for the final signalling ``sum_h L_h / v`` (the swap outcomes
  reaching the ends; 0 for one hop, whose herald already reached both), then its fidelity to
  ``Phi+`` is recorded, it is discarded, and every hop starts again: one pair per cycle,
  width 1.
* Rate: delivered pairs over the simulated time up to the last delivery, counted from 0
  (the world starts as every delivery leaves it, all hops free, so the cycles are i.i.d.);
  fidelity: mean over the delivered pairs.

What mirrors the model: swaps at once, failures' signalling delays, the final signalling,
the heralding time (:func:`~.physics.heralding_time`), one lane. Where the simulation is
more physical than :func:`~.physics.path_metrics`: the density matrices and the Bell
measurement are ReQuSim's, waits are sampled, attempts are geometric (the model's chains take
them exponential), and freed links wait for their failure's signal for exactly its length
(the model's chain: two exponential phases of that mean, up to 7 links for the rate and 6
for the storage; beyond, the whole chain waits). Not simulated here: purification (one hop at a time in
:mod:`.requsim_purify`), width > 1, repeater stations (refused
by name), memory cutoffs, imperfect Bell measurements.

Findings (SURFnet routes of 1-7 hops, :func:`requsim_surfnet_routes`; 4 seeds x 200 pairs;
``scripts/qnet_requsim_table.py`` regenerates the table)
------------------------------------------------------------------------------------------
1. The simulation reproduces what can be derived exactly: one hop delivers
   ``1/4 + (F0 - 1/4) exp(-2 t_h / T2)`` with ``t_h`` the heralding time and
   :func:`~.physics.link_rate`; with sure swaps and no memory noise every pair has the Werner
   chain fidelity (ReQuSim's Bell measurement multiplies Werner parameters); two hops with
   exponential attempts and sure swaps match ``w0^2 exp(-2 (t_1 + t_2 + S) / T2)
   E[exp(-2 |X1 - X2| / T2)]`` (``S = (L1 + L2) / v``) within the interval
   (tests/test_qnet_requsim.py).
2. Fidelity, and the corrections it made: the model used to charge every hop pair the whole
   cycle ``E[max] + sum L / v`` (:func:`historical_fidelity`; one hop: ``1 / R + L / v`` of
   storage where the truth is the heralding time) and ignored the swap order; against this
   simulation it was 0.0001-0.011 low with the default memories (``T2 = 1.58 s``), once
   0.0005 high (5 hops, nested), and up to 0.15 low with ``T2 = 50 ms`` (7 hops, asap: 0.333
   against 0.483; the simulated fidelity depends on the order: 0.48 asap, 0.39 nested). The
   model now takes the delivered pair's storage from the swap chain with hit marks
   (:func:`~.physics.chain_storage`), in which, since the second correction, only a failure's
   freed links wait for its signalling: within 0.0005 of the simulation with the default
   memories; inside the pooled interval in 14 of the 22 distinct rows that can disagree (the
   1-hop rows agree by construction: the simulation takes the model's heralding time; 10 of
   22 when the whole chain waited, none with the first charge), elsewhere below it by up to
   0.007 at ``T2 = 50 ms`` (7 hops, whose storage chain still waits as a whole:
   :data:`~.physics.MAX_RECOVERY_STORAGE_LINKS`), from exponential against geometric
   attempts (item 3).
3. Rate: agreement on 1 and 2 hops. The chain (:func:`~.physics.chain_time`) first charged a
   failed swap's signalling in series, as if the whole chain waited, and was 3-16 % below
   the simulation on 4-7 hops (outside the interval in 7 of 20 rows). Only the freed links
   wait here, so the chain now lets them wait as a recovering block (two exponential phases
   of the signalling's mean; within 1 % of fixed signalling in a Monte Carlo). With
   exponential attempts in the simulation (the model's assumption) the rate is then inside
   the interval on all 8 routes of 4-7 hops in both orders (e.g. 7 hops, asap: 25.8 against
   27.2 +/- 3.4 pairs/s). With geometric attempts (what a link does, and the table's
   default) the simulation stays 2-9 % faster, outside the interval in 3 of 12 distinct rows
   (5 and 6 hops nested, 7 hops asap: 25.8 against 28.1 +/- 2.2): a geometric wait spreads
   less than an exponential one of the same mean (variance ``(1 - p) / p^2`` attempts
   against ``1 / p^2``), so waiting for the slowest of several links takes less. A
   two-phase stand-in for geometric attempts moves the 4-7 hop asap rates by 1-2 % toward
   the simulation (132.1 -> 134.7 at 4 hops) at 8 000 states for 7 links against 1 458: not
   adopted. The model's rate is conservative on these routes.
"""

from __future__ import annotations

import functools
import importlib.util
import time
from dataclasses import dataclass

import numpy as np
from scipy import stats

from qbdsl.errors import ModelError

from . import physics
from .physics import DEFAULT, Params
from .simulate import LEVEL, _t_interval  # the intervals of the SeQUeNCe check

REQUSIM_VERSION = "0.4"
MAX_HOPS = 7
ATTEMPTS = ("geometric", "exponential")


def requsim_available() -> bool:
    """Whether ReQuSim (the ``qnet`` extra: ``pip install -e ".[qnet]"``) is importable."""
    try:
        return importlib.util.find_spec("requsim") is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as absent
        return False


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class RequsimSimulation:
    """ReQuSim's replications of one route (:func:`simulate_route_requsim`).

    Attributes
    ----------
    length_km : numpy.ndarray
        float64, shape (H,): hop lengths.
    params : Params
        The physical parameters simulated (``swap_order`` among them).
    attempts : {"geometric", "exponential"}
        How each hop's generation time was drawn.
    seeds : tuple of int
        One per replication.
    sim_time_s : numpy.ndarray
        float64, shape (S,): simulated time of each replication, from 0 to its last delivery, s.
    pair_fidelity : numpy.ndarray
        float64, shape (S, N): fidelity to ``Phi+`` of each delivered pair, N per replication.
    swaps, failed_swaps : numpy.ndarray
        int64, shape (S,): swaps tried and swaps that failed.
    wall_s : float
        Wall-clock time of all replications, s.
    """

    length_km: np.ndarray
    params: Params
    attempts: str
    seeds: tuple
    sim_time_s: np.ndarray
    pair_fidelity: np.ndarray
    swaps: np.ndarray
    failed_swaps: np.ndarray
    wall_s: float

    @property
    def delivered(self) -> np.ndarray:
        """int64, shape (S,): end-to-end pairs delivered per replication."""
        return np.full(len(self.seeds), self.pair_fidelity.shape[1], np.int64)

    @property
    def rate(self) -> np.ndarray:
        """float64, shape (S,): pairs/s of each replication (delivered over simulated time)."""
        return self.delivered / self.sim_time_s

    @property
    def fidelity(self) -> np.ndarray:
        """float64, shape (S,): mean delivered fidelity of each replication."""
        return self.pair_fidelity.mean(axis=1)

    def rate_ci(self) -> tuple[float, float]:
        """Mean rate (pairs/s) and the half-width of its 95 % Student-t interval over the replications."""
        return _t_interval(self.rate)

    def fidelity_ci(self) -> tuple[float, float]:
        """Mean delivered fidelity and the half-width of its 95 % Student-t interval over the replications."""
        return _t_interval(self.fidelity)

    def fidelity_se(self) -> float:
        """Standard error of the mean fidelity over all delivered pairs pooled (i.i.d. cycles)."""
        f = self.pair_fidelity.ravel()
        return float(np.std(f, ddof=1) / np.sqrt(f.size)) if f.size > 1 else float("inf")


# ------------------------------------------------------------------ input checks
def _route(length_km) -> np.ndarray:
    L = np.atleast_1d(np.asarray(length_km, float))
    if L.ndim != 1 or not len(L) or np.any(~(L > 0)) or np.any(~np.isfinite(L)):
        raise ModelError(
            f"a route is a non-empty list of finite hop lengths > 0 km, got {np.asarray(length_km).tolist()}"
        )
    if len(L) > MAX_HOPS:
        raise ModelError(f"simulate_route_requsim takes routes of 1-{MAX_HOPS} hops, got {len(L)} hops")
    return L


def _check_inputs(L: np.ndarray, params: Params, n_pairs, attempts: str, rounds, width) -> None:
    if not requsim_available():
        raise ModelError('ReQuSim is not installed: pip install -e ".[qnet]" (the qnet extra, requsim 0.4)')
    r = np.broadcast_to(np.asarray(rounds), L.shape)
    if np.any(r != 0):
        raise ModelError(
            f"rounds = {np.asarray(rounds).tolist()}: the ReQuSim check simulates routes without purification "
            "(0 rounds per hop)"
        )
    if width != 1:
        raise ModelError(f"width = {width}: the ReQuSim check simulates one channel per hop (width 1)")
    if attempts not in ATTEMPTS:
        raise ModelError(f"attempts must be one of {', '.join(ATTEMPTS)}, got {attempts!r}")
    if int(n_pairs) != n_pairs or n_pairs < 1:
        raise ModelError(f"n_pairs must be a whole number >= 1, got {n_pairs}")
    n_links = physics.segments(L, params)
    if np.any(n_links > 1):
        h = int(np.argmax(n_links > 1))
        raise ModelError(
            f"hop {h} ({L[h]:g} km) is longer than Params.repeater_spacing_km = {params.repeater_spacing_km:g}: "
            "the ReQuSim check simulates the topology's nodes only, no repeater stations"
        )


# ------------------------------------------------------------------ the protocol
def _werner(fidelity: float) -> np.ndarray:
    """4x4 density matrix ``w |Phi+><Phi+| + (1 - w) I / 4`` of fidelity ``fidelity``."""
    import requsim.libs.matrix as mat

    w = float(physics.werner_parameter(fidelity))
    return w * (mat.phiplus @ mat.H(mat.phiplus)) + (1.0 - w) * np.eye(4) / 4.0


@functools.cache
def _protocol_class():
    """The ReQuSim ``Protocol`` subclass of the route (built on first use: requsim is optional)."""
    from requsim.events import EntanglementSwappingEvent, GenericEvent
    from requsim.libs import matrix as mat
    from requsim.tools.protocol import Protocol

    class RouteProtocol(Protocol):
        """Swap-as-soon-as-possible repeater chain over one route (the module docstring).

        ``check`` looks at the whole world after every event: it records the end-to-end pair
        (after the final signalling), runs the allowed swaps of the lowest node first, and
        schedules generation on every free hop that is neither generating nor waiting for a
        failure's signal.
        """

        def __init__(self, world, stations, sources, L, params, rng):
            super().__init__(world)
            self.stations, self.sources = stations, sources
            self.n = len(L)
            self.cum = np.concatenate([[0.0], np.cumsum(L)])
            self.v = params.fibre_speed_km_s
            self.q = params.swap_success
            self.order = params.swap_order
            self.partners = physics.nested_partners(self.n)
            self.rng = rng
            self.generating = np.zeros(self.n, bool)
            self.blocked_until = np.zeros(self.n)
            self.busy: set = set()  # pairs in a scheduled swap or delivery
            self.holding = False
            self.fidelities: list[float] = []
            self.times: list[float] = []
            self.swaps = self.failed = 0

        def setup(self):
            """Nothing to find: the stations and sources are given in route order."""

        def _segments(self) -> dict:
            where = {id(qubit): j for j, st in enumerate(self.stations) for qubit in st.qubits}
            segs = {}
            for pair in self.world.world_objects.get("Pair", []):
                a, b = sorted(where[id(qubit)] for qubit in pair.qubits)
                segs[(a, b)] = pair
            return segs

        def _generated(self, h: int):
            def done(_message):
                self.generating[h] = False

            return done

        def _release(self, pairs):
            def done(_message):
                self.busy.difference_update(pairs)

            return done

        def _deliver(self, pair):
            pair.update_time()  # the memories' noise up to now
            f = float(np.real(mat.H(mat.phiplus) @ pair.state @ mat.phiplus)[0, 0])
            self.fidelities.append(f)
            self.times.append(self.world.event_queue.current_time)
            for qubit in pair.qubits:
                qubit.destroy()
            pair.destroy()
            self.holding = False

        def _swap_once(self, segs: dict, now: float) -> bool:
            free = [(a, b) for (a, b), p in segs.items() if p not in self.busy]
            ending = {b: (a, b) for a, b in free}  # the pair reaching node b from the left
            starting = {a: (a, b) for a, b in free}  # the pair leaving node a to the right
            for j in range(1, self.n):
                if j not in ending or j not in starting:
                    continue
                left, right = ending[j], starting[j]  # (a, j) and (j, b)
                if self.order == "nested" and self.partners[j - 1] != (left[0], right[1]):
                    continue
                pairs = [segs[left], segs[right]]
                self.swaps += 1
                if self.rng.random() < self.q:
                    self.busy.update(pairs)
                    event = EntanglementSwappingEvent(time=now, pairs=pairs, station=self.stations[j])
                    event.add_callback(self._release(pairs))
                    self.world.event_queue.add_event(event)
                else:  # both pairs lost; their hops wait for the failure's signal
                    self.failed += 1
                    for pair in pairs:
                        for qubit in pair.qubits:
                            qubit.destroy()
                        pair.destroy()
                    until = now + (self.cum[right[1]] - self.cum[left[0]]) / self.v
                    self.blocked_until[left[0] : right[1]] = until
                    self.world.event_queue.add_event(GenericEvent(time=until, resolve_function=lambda: None))
                return True
            return False

        def check(self, message=None):
            """Record, swap and generate, as the module docstring says; ``message`` is not used."""
            now = self.world.event_queue.current_time
            while True:
                segs = self._segments()
                whole = segs.get((0, self.n))
                if whole is not None and not self.holding:
                    self.holding = True
                    self.busy.add(whole)
                    event = GenericEvent(
                        time=now + self.cum[-1] / self.v if self.n > 1 else now,
                        resolve_function=self._deliver,
                        pair=whole,
                        required_objects=[whole],
                    )
                    event.add_callback(self._release([whole]))
                    self.world.event_queue.add_event(event)
                if not self._swap_once(segs, now):
                    break
            covered = np.zeros(self.n, bool)
            for a, b in segs:
                covered[a:b] = True
            for h in np.flatnonzero(~covered & ~self.generating & (self.blocked_until <= now)).tolist():
                self.generating[h] = True
                self.sources[h].schedule_event().add_callback(self._generated(h))

    return RouteProtocol


def _memory_noise(coherence_time_s: float):
    """ReQuSim's depolarizing channel with ``alpha(t) = exp(-t / T2)`` (``None`` when ``T2`` is infinite)."""
    if not np.isfinite(coherence_time_s):
        return None
    from requsim.noise import NoiseChannel
    from requsim.tools.noise_channels import w_noise_channel

    def channel(rho, t):
        return w_noise_channel(rho=rho, alpha=np.exp(-t / coherence_time_s))

    return NoiseChannel(n_qubits=1, channel_function=channel)


def _run_once(L: np.ndarray, params: Params, n_pairs: int, attempts: str, seed: int):
    from requsim.quantum_objects import SchedulingSource, Station
    from requsim.world import World

    np.random.seed(seed)  # ReQuSim's own draws (none in this protocol) use the global generator
    rng = np.random.default_rng(seed)
    cum = np.concatenate([[0.0], np.cumsum(L)])
    p = physics.link_success(L, params)
    tau = 1.0 / physics.attempt_rate(L, params)
    rate = physics.link_rate(L, params)
    F0 = params.link_fidelity
    herald = physics.heralding_time(L, params)

    world = World()
    stations = [
        Station(world=world, position=1000.0 * x, memory_noise=_memory_noise(params.coherence_time_s)) for x in cum
    ]

    def source(h: int):
        def wait(source):
            if attempts == "geometric":
                return float(rng.geometric(p[h]) * tau[h])
            return float(rng.exponential(1.0 / rate[h]))

        def state(source):
            rho = _werner(F0)
            for idx, station in enumerate(source.target_stations):  # stored for the heralding time already
                if station.memory_noise is not None:
                    rho = station.memory_noise.apply_to(rho=rho, qubit_indices=[idx], t=herald[h])
            return rho

        return SchedulingSource(
            world=world,
            position=500.0 * (cum[h] + cum[h + 1]),
            target_stations=[stations[h], stations[h + 1]],
            time_distribution=wait,
            state_generation=state,
        )

    sources = [source(h) for h in range(len(L))]
    protocol = _protocol_class()(world, stations, sources, L, params, rng)
    protocol.setup()
    message = None
    while len(protocol.fidelities) < n_pairs:
        protocol.check(message)
        message = world.event_queue.resolve_next_event()
    return protocol.times[n_pairs - 1], np.array(protocol.fidelities[:n_pairs]), protocol.swaps, protocol.failed


def simulate_route_requsim(
    length_km,
    params: Params = DEFAULT,
    n_pairs: int = 200,
    seeds=range(4),
    attempts: str = "geometric",
    rounds=0,
    width: int = 1,
) -> RequsimSimulation:
    """Run one route (no purification, width 1) through ReQuSim, once per seed.

    Sampled per replication: every hop's generation time (``attempts``), every swap's
    success, and the density matrix of every pair under depolarizing memory noise from its
    heralding to its swap or delivery (the module docstring gives the protocol). Not
    sampled: purification, several channels per hop, repeater stations, memory cutoffs,
    Bell-measurement noise (each refused by name where it is an argument).

    Parameters
    ----------
    length_km : sequence of float
        Hop fibre lengths in km, from the route's source (1 to :data:`MAX_HOPS` hops).
    params : Params
        Physical parameters: ``link_fidelity``, ``coherence_time_s`` (``inf``: no memory
        noise), ``swap_success``, ``swap_order``, ``fibre_speed_km_s`` and what
        :func:`~.physics.link_success` and :func:`~.physics.attempt_rate` read.
    n_pairs : int
        End-to-end pairs each replication delivers (>= 1).
    seeds : iterable of int
        One independent replication per seed (numpy's generators seeded with it).
    attempts : {"geometric", "exponential"}
        Each hop's generation time: Geometric(``p_h``) attempts of the mean attempt time,
        or exponential of rate :func:`~.physics.link_rate` (the model's assumption).
    rounds : int or sequence of int
        Purification rounds per hop: 0 only.
    width : int
        Channels per hop: 1 only.

    Returns
    -------
    RequsimSimulation

    Raises
    ------
    ModelError
        ReQuSim not installed (the ``qnet`` extra), an empty route, a hop length <= 0, more
        than :data:`MAX_HOPS` hops, purification rounds, a width other than 1, an unknown
        ``attempts``, a bad ``n_pairs`` or empty ``seeds``, or a hop longer than
        ``params.repeater_spacing_km`` (each named).
    """
    L = _route(length_km)
    _check_inputs(L, params, n_pairs, attempts, rounds, width)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ModelError("seeds is empty: at least one replication is needed")
    start = time.perf_counter()
    runs = [_run_once(L, params, int(n_pairs), attempts, s) for s in seeds]
    return RequsimSimulation(
        L,
        params,
        attempts,
        seeds,
        np.array([r[0] for r in runs]),
        np.stack([r[1] for r in runs]),
        np.array([r[2] for r in runs], np.int64),
        np.array([r[3] for r in runs], np.int64),
        time.perf_counter() - start,
    )


# ------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class RequsimComparison:
    """One route: the model's prediction beside ReQuSim's measurement.

    Attributes
    ----------
    label : str
        The route (node names joined by ``-``, or its hop lengths).
    sim : RequsimSimulation
        The replications.
    model_fidelity, model_rate : float
        :func:`~.physics.path_metrics` of the route without purification under the same
        params: end-to-end fidelity and pairs/s.
    historical_fidelity : float
        :func:`historical_fidelity`: the model's fidelity before this check corrected it.
    """

    label: str
    sim: RequsimSimulation
    model_fidelity: float
    model_rate: float
    historical_fidelity: float = float("nan")

    def rate_agrees(self) -> bool:
        """Whether the model's rate lies in the simulated rate's 95 % interval."""
        mean, half = self.sim.rate_ci()
        return bool(abs(self.model_rate - mean) <= half)

    def fidelity_agrees(self, pooled: bool = False) -> bool:
        """Whether the model's fidelity lies in the simulated one's 95 % interval (1e-9 slack).

        Parameters
        ----------
        pooled : bool
            Use the pooled per-pair interval (normal, ``1.96`` standard errors) instead of
            the Student-t interval over the replications.
        """
        mean, half = self.sim.fidelity_ci()
        if pooled:
            half = stats.norm.ppf(0.5 + LEVEL / 2) * self.sim.fidelity_se()
        return bool(abs(self.model_fidelity - mean) <= half + 1e-9)


def compare_route_requsim(
    length_km,
    params: Params = DEFAULT,
    n_pairs: int = 200,
    seeds=range(4),
    attempts: str = "geometric",
    label: str | None = None,
) -> RequsimComparison:
    """Simulate one route with ReQuSim and set it beside :func:`~.physics.path_metrics`.

    The prediction is the public model as it stands, ``path_metrics(L[None, :], 0, params)``,
    with no correction: the comparison measures it.

    Parameters
    ----------
    length_km : sequence of float
        Hop fibre lengths in km (1 to :data:`MAX_HOPS` hops).
    params : Params
        Physical parameters, the same for both.
    n_pairs : int
        Pairs per replication.
    seeds : iterable of int
        Replications.
    attempts : {"geometric", "exponential"}
        The simulation's generation times (:func:`simulate_route_requsim`).
    label : str, optional
        The route's name (default: its hop lengths).

    Returns
    -------
    RequsimComparison

    Raises
    ------
    ModelError
        As :func:`simulate_route_requsim`.
    """
    sim = simulate_route_requsim(length_km, params, n_pairs, seeds, attempts)
    f, r = physics.path_metrics(sim.length_km[None, :], 0, params)
    name = label or "-".join(f"{x:.1f}km" for x in sim.length_km)
    return RequsimComparison(name, sim, float(f[0]), float(r[0]), historical_fidelity(sim.length_km, params))


def historical_fidelity(length_km, params: Params = DEFAULT) -> float:
    """The model's fidelity before this check, kept as a record: every hop pair charged one cycle of storage.

    Each elementary pair decays (:func:`~.physics.decohere`, pair time constant ``T2 / 2``)
    for ``E[max_h X_h] + sum_h L_h / v`` (the all-at-once cycle, :func:`~.physics.expected_max`)
    and the pairs are swapped as Werner states; no heralding time. This charged one hop
    ``1 / R + L / v`` where the truth is the heralding time, and ignored the swap order: the
    check found it 0.0001-0.011 low with the default memories and up to 0.15 low with
    ``T2 = 50 ms`` (7 hops, asap), and once 0.0005 high (5 hops, nested);
    :func:`~.physics.chain_storage` replaced it.

    Parameters
    ----------
    length_km : sequence of float
        Hop fibre lengths in km (no purification).
    params : Params
        Physical parameters.

    Returns
    -------
    float
        End-to-end fidelity.
    """
    L = _route(length_km)
    rates = physics.link_rate(L, params)
    wait = float(physics.expected_max(rates)) + L.sum() / params.fibre_speed_km_s
    stored = physics.decohere(np.full(len(L), params.link_fidelity), wait, params.coherence_time_s / 2.0)
    return float(physics.chain_fidelity(stored))


def requsim_surfnet_routes(max_hops: int = MAX_HOPS, topology=None) -> list[tuple[str, tuple, np.ndarray]]:
    """Real SURFnet routes of 1 to ``max_hops`` hops: for each hop count, the shortest in fibre.

    Every node pair's shortest path by fibre length (:func:`qbdsl.problems.routing.candidate_paths`
    with ``k = 1``, as :func:`~.routing.candidates` builds them); among the pairs whose path
    has ``h`` hops, the one with the least fibre. On SURFnet (Internet Topology Zoo, routing
    factor 1.3) these are Leiden-Oegstgeest (3.8 km) up to Breda-Schiphol-Rijk (7 hops,
    134.6 km).

    Parameters
    ----------
    max_hops : int
        Longest route, 1 to :data:`MAX_HOPS`.
    topology : Topology, optional
        Default: ``load_topology("surfnet")``.

    Returns
    -------
    list of (str, tuple of str, numpy.ndarray)
        One per hop count present: the label (node names joined by ``-``; SURFnet names may
        hold a ``-`` themselves), the node names in path order, and the hop lengths in km
        (float64, shape (h,)) from the first node.

    Raises
    ------
    ModelError
        ``max_hops`` outside 1 .. :data:`MAX_HOPS`.
    """
    from ..routing import candidate_paths
    from .topologies import load_topology

    if not 1 <= max_hops <= MAX_HOPS:
        raise ModelError(f"max_hops must lie in 1..{MAX_HOPS}, got {max_hops}")
    topo = load_topology("surfnet") if topology is None else topology
    net = topo.network
    u, v = np.triu_indices(net.n_nodes, 1)
    paths, owner = candidate_paths(net, u, v, 1)
    hops = np.array([len(p) for p in paths])
    km = np.array([topo.length_km[p].sum() for p in paths])
    out = []
    for h in range(1, max_hops + 1):
        rows = np.flatnonzero(hops == h)
        if not len(rows):
            continue
        i = int(rows[np.argmin(km[rows])])
        names = [net.nodes[int(u[owner[i]])]]
        for a, b in zip(net.src[paths[i]].tolist(), net.dst[paths[i]].tolist()):
            names.append(net.nodes[b] if net.nodes[a] == names[-1] else net.nodes[a])
        out.append(("-".join(names), tuple(names), topo.length_km[paths[i]].astype(float)))
    return out


def requsim_table(rows: list[RequsimComparison]) -> str:
    """A Markdown table of the comparison: model vs ReQuSim fidelity and rate, with intervals.

    Columns: route, hops, km, swap order, attempts, T2 (s), model fidelity, the model's
    fidelity before the check (:func:`historical_fidelity`), simulated
    fidelity +/- 95 % t-interval over the seeds (and the pooled per-pair standard error),
    agreement (t / pooled), model rate, simulated rate +/- interval, agreement, pairs
    delivered, wall-clock seconds.

    Parameters
    ----------
    rows : list of RequsimComparison
        From :func:`compare_route_requsim`.

    Returns
    -------
    str
        The table, one line per row.
    """

    def yes(b: bool) -> str:
        return "yes" if b else "no"

    head = (
        "| route | hops | km | order | attempts | T2 s | F model | F before | F sim (95% CI) | F SE pooled "
        "| F agree t / pooled | rate model | rate sim (95% CI) | rate agree | pairs | wall s |"
    )
    lines = [head, "|" + "---|" * 16]
    for c in rows:
        s = c.sim
        fm, fh = s.fidelity_ci()
        rm, rh = s.rate_ci()
        lines.append(
            f"| {c.label} | {len(s.length_km)} | {s.length_km.sum():.1f} | {s.params.swap_order} | {s.attempts} "
            f"| {s.params.coherence_time_s:g} | {c.model_fidelity:.4f} | {c.historical_fidelity:.4f} "
            f"| {fm:.4f} +/- {fh:.4f} | {s.fidelity_se():.4f} "
            f"| {yes(c.fidelity_agrees())} / {yes(c.fidelity_agrees(pooled=True))} | {c.model_rate:.2f} "
            f"| {rm:.2f} +/- {rh:.2f} | {yes(c.rate_agrees())} | {int(s.delivered.sum())} | {s.wall_s:.1f} |"
        )
    return "\n".join(lines)
