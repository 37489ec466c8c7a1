"""Purification on one hop checked with ReQuSim: DEJMPS rounds, their cost, and storage (issue 19, item 5).

Neither simulator check of the routes runs purification (:mod:`.simulate` refuses it;
:mod:`.requsim_check` simulates routes without rounds), so the model's hop with ``r`` rounds,
:func:`~.physics.hop_metrics` (fidelity :func:`~.physics.purify`, rate ``link_rate / prod_i
(2 / p_i)``), is checked here on its own, one hop at a time, with ReQuSim 0.4 (J. Wallnoefer,
``requsim`` on PyPI, MIT): its DEJMPS event applies the bilateral CNOTs and the parity
measurement of D. Deutsch et al., Phys. Rev. Lett. 77, 2818 (1996) to the 16x16 density
matrix of two pairs, draws success with the measured probability, and keeps the surviving
pair blocked while the outcome is signalled.

The protocol (:func:`simulate_hop_purification`): the two end stations' memories depolarize
with ``exp(-t / T2)`` per qubit (as in :mod:`.requsim_check`); the hop makes one pair at a
time (exponential waits of rate :func:`~.physics.link_rate`, or geometric attempts), each a
Werner pair of ``params.link_fidelity`` already stored for :func:`~.physics.heralding_time`;
recurrence purification level by level, the scheme :func:`~.physics.memory_per_channel`
counts: whenever two unblocked pairs of the same level ``k < r`` are held they are purified
at once (DEJMPS, the outcome signalled over ``L / v``, both pairs lost on failure); a pair of
level ``r`` is delivered at once. Rate: delivered pairs over the time up to the last one.

What this checks: with memories that never decay the fidelity must equal
:func:`~.physics.purify` exactly (the DEJMPS recurrence on Bell-diagonal coefficients
against ReQuSim's density matrices); with memories that decay, the storage the model charges
inside the recurrence (:func:`~.physics.purify_stored`: tilted moments of each level's
build time, every round's outcome signalling), inside the interval on 20 km hops (T2 =
1.58 s and 50 ms, 1-3 rounds) and a 60 km hop with T2 = 0.2 s (1-4 rounds; README). The
simulation's generation times use the model's link rate and its heralding time, so neither
is tested here; BBPSSW is not simulated (ReQuSim runs DEJMPS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import stats

from qbdsl.errors import ModelError

from . import physics
from .physics import DEFAULT, Params
from .requsim_check import _memory_noise, _werner, requsim_available
from .simulate import LEVEL, _t_interval

MAX_ROUNDS = 4


@dataclass(frozen=True)
class PurificationSimulation:
    """ReQuSim's replications of one purified hop, beside the model.

    Attributes
    ----------
    length_km : float
        The hop's fibre length.
    rounds : int
        DEJMPS rounds.
    params : Params
        The parameters both used.
    pair_fidelity : numpy.ndarray
        float64, shape (S, N): fidelity to Phi+ of every delivered pair, per seed.
    sim_time_s : numpy.ndarray
        float64, shape (S,): simulated time up to the N-th delivery.
    model_fidelity, model_rate : float
        :func:`~.physics.hop_metrics` of the hop: the fidelity and rate of its purified pairs
        in the model (heralding time and the recurrence's storage charged).
    wall_s : float
        Wall-clock seconds of all replications.
    """

    length_km: float
    rounds: int
    params: Params
    pair_fidelity: np.ndarray
    sim_time_s: np.ndarray
    model_fidelity: float
    model_rate: float
    wall_s: float

    def fidelity_ci(self) -> tuple[float, float]:
        """Mean delivered fidelity and the half-width of its pooled 95 % normal interval over all pairs."""
        f = self.pair_fidelity.ravel()
        se = np.std(f, ddof=1) / np.sqrt(len(f)) if len(f) > 1 else np.inf
        return float(f.mean()), float(stats.norm.ppf(0.5 + LEVEL / 2) * se)

    def rate_ci(self) -> tuple[float, float]:
        """Mean rate (pairs/s) over the seeds and its 95 % Student-t half-width."""
        return _t_interval(self.pair_fidelity.shape[1] / self.sim_time_s)

    def fidelity_agrees(self) -> bool:
        """Whether the model's fidelity lies in the pooled interval (1e-9 slack)."""
        mean, half = self.fidelity_ci()
        return bool(abs(self.model_fidelity - mean) <= half + 1e-9)

    def rate_agrees(self) -> bool:
        """Whether the model's rate lies in the simulated rate's interval."""
        mean, half = self.rate_ci()
        return bool(abs(self.model_rate - mean) <= half)


def _run_once(L: float, rounds: int, params: Params, n_pairs: int, attempts: str, seed: int):
    from requsim.events import EntanglementPurificationEvent
    from requsim.libs import matrix as mat
    from requsim.quantum_objects import SchedulingSource, Station
    from requsim.world import World

    np.random.seed(seed)  # ReQuSim draws the purification outcomes from numpy's global generator
    rng = np.random.default_rng(seed)
    p, tau = float(physics.link_success(L, params)), 1.0 / float(physics.attempt_rate(L, params))
    rate = float(physics.link_rate(L, params))
    herald = float(physics.heralding_time(L, params))
    world = World()
    noise = _memory_noise(params.coherence_time_s)
    a, b = Station(world=world, position=0.0, memory_noise=noise), Station(world, 1000.0 * L, memory_noise=noise)

    def wait(source):
        return float(rng.geometric(p) * tau) if attempts == "geometric" else float(rng.exponential(1.0 / rate))

    def state(source):
        rho = _werner(params.link_fidelity)
        for idx, station in enumerate(source.target_stations):
            if station.memory_noise is not None:
                rho = station.memory_noise.apply_to(rho=rho, qubit_indices=[idx], t=herald)
        return rho

    source = SchedulingSource(world, 500.0 * L, [a, b], time_distribution=wait, state_generation=state)
    level: dict = {}  # pair -> recurrence level
    busy: set = set()  # pairs in a purification not yet resolved
    out: list[float] = []
    times: list[float] = []
    generating = [False]

    def purified(pairs):
        def done(message):
            busy.difference_update(pairs)
            for gone in pairs[1:]:
                level.pop(gone, None)
            if message.get("is_successful"):
                level[pairs[0]] += 1
            else:
                level.pop(pairs[0], None)

        return done

    def generated(message):
        generating[0] = False
        level[message["output_pair"]] = 0

    def check():
        now = world.event_queue.current_time
        for pair in [x for x in level if level[x] == rounds and not x.is_blocked and x not in busy]:
            pair.update_time()
            out.append(float(np.real(mat.H(mat.phiplus) @ pair.state @ mat.phiplus)[0, 0]))
            times.append(now)
            level.pop(pair)
            for qubit in pair.qubits:
                qubit.destroy()
            pair.destroy()
        by_level: dict = {}
        for pair, k in level.items():
            if k < rounds and not pair.is_blocked and pair not in busy:
                by_level.setdefault(k, []).append(pair)
        for pairs in by_level.values():
            if len(pairs) >= 2:
                two = pairs[:2]
                busy.update(two)
                event = EntanglementPurificationEvent(
                    time=now, pairs=two, communication_time=L / params.fibre_speed_km_s
                )
                event.add_callback(purified(two))
                world.event_queue.add_event(event)
        if not generating[0]:
            generating[0] = True
            source.schedule_event().add_callback(generated)

    while len(out) < n_pairs:
        check()
        world.event_queue.resolve_next_event()
        level = {x: k for x, k in level.items() if x in world.world_objects.get("Pair", [])}
    return times[n_pairs - 1], np.array(out[:n_pairs])


def simulate_hop_purification(
    length_km: float,
    rounds: int,
    params: Params = DEFAULT,
    n_pairs: int = 200,
    seeds=range(4),
    attempts: str = "exponential",
    protocol: str = "dejmps",
) -> PurificationSimulation:
    """Run one hop with ``rounds`` DEJMPS rounds through ReQuSim, once per seed (the module docstring).

    Parameters
    ----------
    length_km : float
        Fibre length, km (> 0, at most ``params.repeater_spacing_km``).
    rounds : int
        Purification rounds, 0 to :data:`MAX_ROUNDS`.
    params : Params
        Physical parameters.
    n_pairs : int
        Delivered pairs per replication (>= 2).
    seeds : iterable of int
        One replication per seed.
    attempts : {"exponential", "geometric"}
        Generation waits: exponential of rate :func:`~.physics.link_rate` (the model's), or
        geometric attempts of the mean attempt time.
    protocol : {"dejmps"}
        ReQuSim runs DEJMPS only.

    Returns
    -------
    PurificationSimulation

    Raises
    ------
    ModelError
        ReQuSim not installed, a bad length, rounds, pair count, seed list, attempts or
        protocol (named).
    """
    if not requsim_available():
        raise ModelError('ReQuSim is not installed: pip install -e ".[qnet]" (the qnet extra)')
    if protocol != "dejmps":
        raise ModelError(f"ReQuSim purifies with DEJMPS only, got protocol={protocol!r}")
    if not (np.isfinite(length_km) and length_km > 0) or length_km > params.repeater_spacing_km:
        raise ModelError(f"length_km must be > 0 and at most repeater_spacing_km, got {length_km}")
    if int(rounds) != rounds or not 0 <= rounds <= MAX_ROUNDS:
        raise ModelError(f"rounds must be a whole number in 0..{MAX_ROUNDS}, got {rounds}")
    if int(n_pairs) != n_pairs or n_pairs < 2:
        raise ModelError(f"n_pairs must be a whole number >= 2, got {n_pairs}")
    if attempts not in ("exponential", "geometric"):
        raise ModelError(f"attempts must be exponential or geometric, got {attempts!r}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ModelError("seeds is empty: at least one replication is needed")
    start = time.perf_counter()
    runs = [_run_once(float(length_km), int(rounds), params, int(n_pairs), attempts, s) for s in seeds]
    f, rate = physics.hop_metrics(float(length_km), int(rounds), params)
    return PurificationSimulation(
        float(length_km),
        int(rounds),
        params,
        np.stack([r[1] for r in runs]),
        np.array([r[0] for r in runs]),
        float(f),
        float(rate),
        time.perf_counter() - start,
    )


def purification_table(rows: list[PurificationSimulation]) -> str:
    """A Markdown table: per hop and rounds, the model's fidelity and rate beside ReQuSim's.

    Columns: km, T2 (s), rounds, model fidelity, the recurrence without its storage
    (:func:`~.physics.purify` of the heralded pair), simulated fidelity +/- 1.96 pooled
    standard errors, agreement, model rate, simulated rate +/- 95 % interval, agreement.

    Parameters
    ----------
    rows : list of PurificationSimulation
        From :func:`simulate_hop_purification`.

    Returns
    -------
    str
    """
    lines = [
        "| km | T2 s | rounds | F model | F without storage | F ReQuSim | agree | rate model | rate ReQuSim | agree |",
        "|" + "---|" * 10,
    ]
    for s in rows:
        fm, fh = s.fidelity_ci()
        rm, rh = s.rate_ci()
        P = s.params
        heralded = physics.decohere(P.link_fidelity, physics.heralding_time(s.length_km, P), P.coherence_time_s / 2)
        bare = float(physics.purify(heralded, s.rounds)[0])
        lines.append(
            f"| {s.length_km:g} | {P.coherence_time_s:g} | {s.rounds} | {s.model_fidelity:.4f} | {bare:.4f} "
            f"| {fm:.4f} +/- {fh:.4f} | {'yes' if s.fidelity_agrees() else 'no'} | {s.model_rate:.1f} "
            f"| {rm:.1f} +/- {rh:.1f} | {'yes' if s.rate_agrees() else 'no'} |"
        )
    return "\n".join(lines)
