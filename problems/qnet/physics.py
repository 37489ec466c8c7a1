"""Physical model of entanglement distribution over fibre: each formula with its source.

Every function takes numpy arrays (or scalars) and broadcasts; nothing loops over links or
paths in Python except over purification rounds and hop positions (a handful).

States are Werner states ``rho = w |Phi+><Phi+| + (1 - w) I/4`` described by their fidelity
``F = <Phi+|rho|Phi+> = (1 + 3 w) / 4`` to the Bell state (Werner parameter ``w``), except
inside DEJMPS purification, which tracks the four Bell-diagonal coefficients.

Formulas and sources
--------------------
Elementary link (midpoint heralding, Barrett & Kok 2005)
    p = p_bsm eta_d^2 eta_m^2 10^(-alpha L / 10): each node emits a photon entangled with
    its memory; the two photons meet at a midpoint station (each travels L/2, transmissivity
    10^(-alpha L / 20)) whose linear-optics Bell measurement succeeds with p_bsm = 1/2.
    S. D. Barrett and P. Kok, Phys. Rev. A 71, 060310(R) (2005), success probability
    ``eta^2 / 2`` with ``eta`` the end-to-end photon efficiency; here
    ``eta = eta_m eta_d 10^(-alpha L / 20)``.
Attempt time (two heralded rounds, Barrett & Kok 2005; SeQUeNCe's ``BarretKokA``)
    One Barrett-Kok attempt is two rounds (the memories' spins flipped between them); each
    round lasts one heralding trip ``L / v`` (the photons to the midpoint, the herald back),
    and the second runs only after the first heralded a click, with probability
    ``P1 = 1 - (1 - eta / 2)^2`` (each memory emits with amplitude 1/2). One attempt thus
    lasts ``T = (L / v) ((1 + P1)(1 + 2 c) + d)`` on average, where ``c`` =
    ``Params.classical_exchange_rounds`` classical round trips open every round and ``d`` =
    ``Params.reset_delays`` one-way delays re-arm the memories between attempts; both are
    protocol choices, 0 by default (synchronized clocks, memories re-armed locally).
    SeQUeNCe 0.8.5's generation protocol negotiates every round with a NEGOTIATE / ACK
    exchange and re-pairs the memories through its resource manager: ``c = d = 1``
    (X. Wu et al., Quantum Sci. Technol. 6, 045027 (2021); :mod:`.simulate`). The earlier
    model's one attempt per ``L / v`` (Sangouard et al., Rev. Mod. Phys. 83, 33 (2011),
    Sec. III.A, for single-round schemes) overestimated Barrett-Kok rates by ``1 + P1``.
Entanglement swapping of Werner states (Briegel, Dur, Cirac & Zoller 1998)
    F = F1 F2 + (1 - F1)(1 - F2) / 3, i.e. Werner parameters multiply: w = w1 w2.
    H.-J. Briegel, W. Dur, J. I. Cirac and P. Zoller, Phys. Rev. Lett. 81, 5932 (1998);
    W. Dur, H.-J. Briegel, J. I. Cirac and P. Zoller, Phys. Rev. A 59, 169 (1999), Eq. (5).
    A swap succeeds with probability q (linear optics: q <= 1/2, J. Calsamiglia and
    N. Lutkenhaus, Appl. Phys. B 72, 67 (2001)); a path of h hops needs h - 1 swaps, so its
    rate carries q^(h - 1) (the per-swap success of S. Shi and C. Qian, "Concurrent
    entanglement routing for quantum networks", ACM SIGCOMM 2020, Sec. 3).
Memory decoherence (depolarizing memory)
    F(t) = 1/4 + (F0 - 1/4) exp(-t / T): a depolarizing channel of rate 1/T shrinks the
    Werner parameter by exp(-t / T) and the state decays to the maximally mixed one
    (F = 1/4). W. Dur and H.-J. Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4 (noise
    models of stored pairs). With both qubits of a pair stored, each decaying with the
    memory's coherence time T2, the pair's time constant is T2 / 2.
Storage of the delivered pair (from the swap chain)
    A heralded pair has already been stored for its heralding time (two Barrett-Kok rounds,
    :func:`heralding_time`); after that, each held segment decays while it waits for its
    neighbours, and Werner parameters multiply at swaps, so the delivered pair's Werner
    parameter is ``prod_h w_h exp(-c A)``, ``c = 2 / T2`` and ``A`` the summed hold times of
    its ancestors. Its mean ``E[exp(-c A)]`` is the probability that no ancestor is "hit"
    in the swap chain below with a hit mark per held segment (:func:`chain_storage`),
    exact (for depolarizing memories) for chains of at most :data:`MAX_STORAGE_LINKS`
    links under the chain's signalling rule: since a failure's freed links wait for its
    signal as two exponential phases (up to :data:`MAX_RECOVERY_STORAGE_LINKS` links), an
    approximation of a fixed delay, off by up to 0.005 while ``R d <= 0.3`` and of either
    sign beyond (:func:`chain_storage`). Memories that dephase rather than depolarize keep more
    fidelity (``F = w (1 + l^2) / 2 + (1 - w) / 4`` against ``(1 + 3 w l^2) / 4``, ``l`` their
    decay; the state leaves the Werner family): for them the model is pessimistic. It replaced one mean cycle of
    storage charged to every pair, which ReQuSim's density-matrix simulation with memory
    noise (:mod:`.requsim_check`) found 0.0001-0.011 too low with the default memories, up to
    0.15 too low with T2 = 50 ms, and once too high (5 hops, nested). Beyond
    :data:`MAX_STORAGE_LINKS` links that old charge remains (an approximation, not a bound;
    :func:`storage_model`).
Storage inside purification (the recurrence's waiting pairs)
    In a level-by-level recurrence the first pair of each round waits while its partner is
    built from nothing; :func:`purify_stored` charges that storage exactly for this protocol
    with tilted moments ``E[exp(-j c T_k) state_k]`` of each level's build time (DEJMPS and
    BBPSSW are bilinear in the two pairs, the tries a geometric sum), and every round's
    outcome signalling ``L / v``. ReQuSim's density-matrix DEJMPS on one hop
    (:mod:`.requsim_purify`) agrees within its interval (20 km at T2 = 1.58 s and 50 ms,
    1-3 rounds; 60 km at T2 = 0.2 s, 1-4 rounds), where the recurrence without this charge
    was far above it (3 rounds at 50 ms: 0.9995 against 0.92).
BBPSSW purification (Bennett et al. 1996)
    F' = (F^2 + ((1-F)/3)^2) / N,  N = F^2 + 2 F (1-F)/3 + 5 ((1-F)/3)^2 = success
    probability; the output is twirled back to a Werner state. C. H. Bennett, G. Brassard,
    S. Popescu, B. Schumacher, J. A. Smolin and W. K. Wootters, Phys. Rev. Lett. 76, 722
    (1996), Eq. (3); the same formula is Eq. (14) of Dur & Briegel (2007). F' > F exactly
    when 1/2 < F < 1.
DEJMPS purification (Deutsch et al. 1996)
    On Bell-diagonal coefficients (A, B, C, D) (A the Phi+ weight):
    A' = (A^2 + B^2) / N, B' = 2 C D / N, C' = (C^2 + D^2) / N, D' = 2 A B / N,
    N = (A + B)^2 + (C + D)^2 = success probability. D. Deutsch, A. Ekert, R. Jozsa,
    C. Macchiavello, S. Popescu and A. Sanpera, Phys. Rev. Lett. 77, 2818 (1996), Eqs. (7)-(8);
    Dur & Briegel (2007), Eq. (18).
Recurrence cost
    Each round of recurrence purification consumes two pairs of the previous level and
    keeps one with probability p_i, so one pair after r rounds costs
    prod_i (2 / p_i) elementary pairs on average (Dur & Briegel 2007, Sec. 5.1).
Path rate (swap as soon as possible: an exact Markov chain)
    Each free elementary link ``h`` makes a (purified) pair after a waiting time geometric in
    attempts, taken exponential with rate ``R_h``. A node swaps two held segments that meet
    at it at once (``Params.swap_order``: ``"asap"``, any two; ``"nested"``, only in
    SeQUeNCe 0.8.5's doubling order, :func:`nested_partners`); the swap succeeds with
    ``q`` and merges them, or fails and destroys both, whose links start again. The set of
    held segments is a continuous-time Markov chain (``2^n`` states for ``n`` links without
    signalling: each link held or not fixes the segments under "asap"; 1 458 at 7 links
    with the recovering blocks below). A failure's freed links start again only when its
    outcome reaches their ends, ``D = sum L_h / v`` over its two segments later, while the
    rest of the chain goes on: they wait as a recovering block, in the chain as two
    exponential phases of mean ``D / 2`` (Erlang-2: the phase-type stand-in for a
    deterministic delay that keeps the chain Markov; mean exact, ``E[T]`` within 1 % of
    deterministic signalling in a Monte Carlo up to 1.5 link waits of signalling per link,
    +1.2 % at 2, where charging ``D`` in series as if the whole chain waited was up to 27 %
    long and ReQuSim's 4-7 hop routes 3-16 % faster; the series charge remains beyond
    :data:`MAX_RECOVERY_LINKS` links). The mean time ``E[T]`` to the end-to-end segment
    solves ``(-Q_TT) x = 1`` over the transient states (``1 + c`` with the series charge
    ``c``). This is the method of E. Shchukin, F. Schmidt and P. van Loock, "On the
    waiting time in quantum repeaters with probabilistic entanglement swapping",
    arXiv:1710.06214 (Markov chains for exact mean waiting times with arbitrary swap
    probabilities, "not only doubling", and "dynamical" connections). A path then
    delivers ``1 / (E[T] + s)`` pairs per second per channel, ``s = sum_h L_h / v`` the
    final swap outcomes' signalling (none for one link): :func:`chain_time`. Checks: for
    one and two links it is the all-at-once rate below exactly (the two protocols are the
    same there); with every ``q = 1`` ``E[T] = E[max_h X_h]`` (nothing is lost); it never
    takes longer than the all-at-once cycle (tests/test_qnet_chain.py, with a Monte Carlo
    of the chain). States are enumerated once per link count and order (cached), rows of
    equal rates solved once; chains of more than :data:`MAX_CHAIN_LINKS` links (long
    fibres split by repeater stations) take the all-at-once rate, a lower bound, and
    :func:`rate_model` says which a path got. Neither order is always faster.
Path rate (all hops at once: the earlier model, and the bound beyond MAX_CHAIN_LINKS)
    A path delivers only when every hop holds a pair at the same time, and the swaps free
    all of them, so one delivery cycle lasts ``E[max_h X_h] + sum_h L_h / v``, plus the
    signalling of the swap outcomes to the ends (none for a one-hop path, whose herald
    already reached both ends). ``E[max]`` of independent exponentials is exact by
    inclusion-exclusion, ``sum_{S != {}} (-1)^(|S|+1) / sum_{h in S} R_h``
    (:func:`expected_max`; ``1.5 / R`` for two equal hops; beyond 16 hops the same integral
    by quadrature). The path delivers ``q^(h-1)`` pairs per cycle. Stored pairs are still
    charged this cycle's storage (fidelity). Parallel channels of width ``w`` are ``w``
    independent lanes (``w`` times the rate: a lower bound where a repeater may swap any two
    ready memories). The model before that, ``q^(h-1) min_h R_h`` (the slowest hop alone
    sets the pace), was ``min_h R_h E[max_h X_h]`` times too high; the SeQUeNCe check
    (:mod:`.simulate`) found both timing errors, and then the all-at-once cycle's
    pessimism at three hops.
Repeater stations on long fibres (``Params.repeater_spacing_km``)
    A fibre of length ``L`` longer than the spacing ``s`` becomes a chain of
    ``n = ceil(L / s)`` equal elementary links of ``L / n`` joined by ``n - 1`` swaps at
    repeater stations (the quantum repeater of Briegel, Dur, Cirac & Zoller, Phys. Rev.
    Lett. 81, 5932 (1998): entanglement generated over short segments and connected by
    swapping; reviewed by Sangouard et al., Rev. Mod. Phys. 83, 33 (2011)). Each segment
    obeys every formula above (Barrett-Kok success and attempt time at length ``L / n``,
    purification with the hop's rounds), the path waits for all segments of all hops at
    once (``E[max]`` over the segments), its ``n - 1`` station swaps succeed with
    ``Params.repeater_swap_success`` each and add Werner swaps and storage like any other.
    No purification across segments (no nesting). A station's memories are its own:
    :mod:`.routing` charges node memory only at the topology's nodes. :func:`segments`
    gives ``n``; :func:`expand_segments` the chains.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from qbdsl.errors import ModelError

PROTOCOLS = ("dejmps", "bbpssw")
SWAP_ORDERS = ("asap", "nested")


def _sources() -> MappingProxyType:
    return MappingProxyType(
        {
            "attenuation_db_per_km": "0.2 dB/km: standard single-mode telecom fibre at 1550 nm, ITU-T "
            "Recommendation G.652 (11/2016), Table 1-3 (attenuation <= 0.3-0.4 dB/km cabled; 0.18-0.2 dB/km "
            "typical of G.652.D fibre such as Corning SMF-28 ULL); the value used by Shi & Qian (SIGCOMM 2020) "
            "and Sangouard et al. (RMP 83, 33, 2011).",
            "detector_efficiency": "0.93: superconducting nanowire single-photon detector system efficiency at "
            "1550 nm, F. Marsili et al., 'Detecting single infrared photons with 93% system efficiency', "
            "Nature Photonics 7, 210 (2013).",
            "memory_efficiency": "0.85: storage-and-retrieval efficiency of a cold-atom quantum memory for "
            "single-photon polarization qubits, Y. Wang et al., 'Efficient quantum memory for single-photon "
            "polarization qubits', Nature Photonics 13, 346 (2019).",
            "bsm_success": "0.5: linear-optics Bell-state measurement at the midpoint, the Barrett-Kok scheme "
            "(Phys. Rev. A 71, 060310(R), 2005); 1/2 is the linear-optics maximum (Calsamiglia & Lutkenhaus, "
            "Appl. Phys. B 72, 67, 2001).",
            "swap_success": "0.5: entanglement swapping by a linear-optics Bell measurement, maximum 1/2 "
            "(Calsamiglia & Lutkenhaus, Appl. Phys. B 72, 67, 2001).",
            "link_fidelity": "0.92: fidelity of the heralded remote entangled state between two NV-centre "
            "nodes 1.3 km apart, B. Hensen et al., 'Loophole-free Bell inequality violation using electron "
            "spins separated by 1.3 kilometres', Nature 526, 682 (2015).",
            "coherence_time_s": "1.58 s: electron-spin coherence time (T2, dynamical decoupling) of an NV "
            "centre, M. H. Abobeih et al., 'One-second coherence for a single electron spin coupled to a "
            "multi-qubit nuclear-spin environment', Nature Communications 9, 2552 (2018).",
            "classical_exchange_rounds": "0: classical round trips (2 L / v each) that open every Barrett-Kok "
            "round; Barrett & Kok (Phys. Rev. A 71, 060310(R), 2005) need none with synchronized clocks. "
            "SeQUeNCe 0.8.5's generation protocol uses 1 (a NEGOTIATE / ACK exchange per round; X. Wu et al., "
            "Quantum Sci. Technol. 6, 045027, 2021).",
            "reset_delays": "0: one-way fibre delays L / v spent re-arming the memories between attempts; none when "
            "each node re-arms locally. SeQUeNCe 0.8.5's resource manager re-pairs the memories with one "
            "message (1; X. Wu et al., Quantum Sci. Technol. 6, 045027, 2021).",
            "fibre_speed_km_s": "2.04e5 km/s: c / 1.468, the group index of Corning SMF-28 at 1550 nm "
            "(Corning SMF-28 Ultra product information, effective group index of refraction 1.4682).",
            "repeater_spacing_km": "inf: no repeater stations (every fibre one elementary link). A design choice, "
            "not a measurement: a finite spacing s splits a fibre of length L into ceil(L / s) elementary links "
            "(the quantum repeater: Briegel et al., Phys. Rev. Lett. 81, 5932, 1998; Sangouard et al., Rev. Mod. "
            "Phys. 83, 33, 2011).",
            "repeater_swap_success": "0.5: swaps at repeater stations by the same linear-optics Bell measurement "
            "as at the nodes (maximum 1/2, Calsamiglia & Lutkenhaus, Appl. Phys. B 72, 67, 2001); a station "
            "that swaps its memories deterministically with gates would take 1.",
            "swap_order": "asap: a node swaps two pairs as soon as it holds both, as in the waiting-time analysis of "
            "Shchukin, Schmidt & van Loock, Phys. Rev. A 100, 032322 (2019), a protocol choice; SeQUeNCe 0.8.5 uses "
            "'nested' (its ResourceManager.generate_load_rules; X. Wu et al., Quantum Sci. Technol. 6, 045027, 2021).",
        }
    )


@dataclass(frozen=True)
class Params:
    """Physical parameters of a fibre quantum network, each from a published experiment.

    The default set is an optimistic composite, not one platform: the link fidelity and
    memory coherence time are NV-centre values, the memory efficiency a cold-atom value,
    the fibre loss telecom-band, and the swaps linear-optics Bell measurements. No single
    experiment has all of them at once: the per-attempt link success at 1.3 km is 0.294
    here, against about 6.4e-9 in Hensen et al.'s NV-centre experiment (Nature 526, 682,
    2015). :func:`platform` gives presets drawn from one experiment each
    (:data:`PLATFORMS`), whose per-attempt success reproduces the published one.

    Attributes
    ----------
    attenuation_db_per_km : float
        Fibre loss alpha in dB/km.
    detector_efficiency : float
        Single-photon detector efficiency eta_d, in (0, 1].
    memory_efficiency : float
        Memory-photon interface efficiency eta_m (emission / storage and retrieval), in (0, 1].
    bsm_success : float
        Success probability of the midpoint Bell measurement of the link scheme, in (0, 1].
    swap_success : float
        Success probability q of one entanglement swap at a repeater, in (0, 1].
    link_fidelity : float
        Fidelity F0 of a freshly heralded elementary pair, in [1/4, 1].
    coherence_time_s : float
        Memory coherence time T2 in seconds (> 0; ``inf``: no decoherence).
    fibre_speed_km_s : float
        Signal speed in fibre, km/s.
    classical_exchange_rounds : float
        Classical round trips (``2 L / v`` each) before every Barrett-Kok round (>= 0;
        0: none, synchronized clocks; SeQUeNCe 0.8.5: 1).
    reset_delays : float
        One-way fibre delays ``L / v`` re-arming the memories between attempts (>= 0;
        0: re-armed locally; SeQUeNCe 0.8.5: 1).
    repeater_spacing_km : float
        Longest elementary link, km (> 0; ``inf``: no repeater stations). A longer fibre
        becomes ``ceil(L / s)`` equal links joined by swaps at repeater stations.
    repeater_swap_success : float
        Success probability of one swap at a repeater station, in (0, 1].
    swap_order : {"asap", "nested"}
        Which swaps a path runs (:func:`chain_time`): ``"asap"``, any two neighbouring held
        segments at once; ``"nested"``, SeQUeNCe 0.8.5's doubling order (:func:`nested_partners`).
    sources : Mapping[str, str]
        For each parameter above: its value's source (paper, figure or table).

    Raises
    ------
    ModelError
        A parameter outside its range (named).
    """

    attenuation_db_per_km: float = 0.2
    detector_efficiency: float = 0.93
    memory_efficiency: float = 0.85
    bsm_success: float = 0.5
    swap_success: float = 0.5
    link_fidelity: float = 0.92
    coherence_time_s: float = 1.58
    fibre_speed_km_s: float = 2.04e5
    classical_exchange_rounds: float = 0.0
    reset_delays: float = 0.0
    repeater_spacing_km: float = np.inf
    repeater_swap_success: float = 0.5
    swap_order: str = "asap"
    sources: MappingProxyType = field(default_factory=_sources, compare=False, repr=False)

    def __post_init__(self):
        probabilities = ("detector_efficiency", "memory_efficiency", "bsm_success", "swap_success")
        for name in (*probabilities, "repeater_swap_success"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ModelError(f"Params.{name} must lie in (0, 1], got {v}")
        if not 0.25 <= self.link_fidelity <= 1:
            raise ModelError(f"Params.link_fidelity must lie in [0.25, 1], got {self.link_fidelity}")
        if not self.attenuation_db_per_km >= 0:
            raise ModelError(f"Params.attenuation_db_per_km must be >= 0, got {self.attenuation_db_per_km}")
        for name in ("classical_exchange_rounds", "reset_delays"):
            if not 0 <= getattr(self, name) < np.inf:
                raise ModelError(f"Params.{name} must be finite and >= 0, got {getattr(self, name)}")
        if self.swap_order not in SWAP_ORDERS:
            raise ModelError(f"Params.swap_order must be one of {', '.join(SWAP_ORDERS)}, got {self.swap_order!r}")
        for name in ("coherence_time_s", "fibre_speed_km_s", "repeater_spacing_km"):
            if not getattr(self, name) > 0:
                raise ModelError(f"Params.{name} must be > 0, got {getattr(self, name)}")


DEFAULT = Params()
"""The default parameters (the cited experiments)."""


def repeater_grade(spacing_km: float = 25.0, params: Params | None = None) -> Params:
    """Parameters of a repeater network: stations every ``spacing_km``, minute-long memories, sure swaps.

    ``params`` (default: :data:`DEFAULT`) with ``repeater_spacing_km = spacing_km``,
    ``coherence_time_s = 60`` (a nuclear-spin memory of an NV-centre node, C. E. Bradley et
    al., "A ten-qubit solid-state spin register with quantum memory up to one minute",
    Phys. Rev. X 9, 031045 (2019), for every memory) and ``repeater_swap_success = 1`` (an
    assumption: stations swap their memories with gates, not a linear-optics measurement).
    Both changes are needed on GEANT with stations every 25 km: with :data:`DEFAULT`
    alone nothing is served; memories that never decay still serve nothing, since a long
    fibre's chain needs about 28 station swaps at 1/2 each and its rate collapses; sure
    swaps with today's 1.58 s memories lose the fidelity to storage. Only long memories and
    sure swaps together serve requests.

    Parameters
    ----------
    spacing_km : float
        Repeater spacing, km (> 0).
    params : Params, optional
        The parameters to start from.

    Returns
    -------
    Params

    Raises
    ------
    ModelError
        A spacing that is not > 0.
    """
    base = DEFAULT if params is None else params
    return replace(base, repeater_spacing_km=spacing_km, coherence_time_s=60.0, repeater_swap_success=1.0)


# ------------------------------------------------------------------ platform presets
_ION_P, _ION_L, _ION_ALPHA = 4e-5, 0.52, 3.0
# eta (folded, per photon): p = 1/2 eta^2 10^(-alpha L / 10), solved for eta.
_ION_ETA = float(np.sqrt(_ION_P / (0.5 * 10.0 ** (-_ION_ALPHA * _ION_L / 10.0))))
_KRUTYANSKIY = (
    "V. Krutyanskiy et al., 'Entanglement of trapped-ion qubits separated by 230 meters', Phys. Rev. Lett. "
    "130, 050803 (2023), arXiv:2208.14907"
)


def _ion_sources() -> MappingProxyType:
    base = dict(_sources())
    base.update(
        {
            "attenuation_db_per_km": "3.0 dB/km: fibre loss of the 854 nm photons of a 40Ca+ ion, "
            "'the ~3 dB per km losses suffered by 854 nm photons through state-of-the-art optical "
            "fibre' (V. Krutyanskiy et al., 'Light-matter entanglement over 50 km of optical fibre', "
            "npj Quantum Information 5, 72 (2019), introduction; the same Innsbruck group and "
            "photon wavelength as " + _KRUTYANSKIY + ").",
            "detector_efficiency": "1.0: folded into memory_efficiency (the model needs only the product eta_d eta_m).",
            "memory_efficiency": f"{_ION_ETA:.6g}: the whole per-photon efficiency (cavity emission "
            "and collection, optics, detection) folded into one number, solved from the published "
            f"per-attempt success probability 4e-5 over the 520 m fibre (abstract of {_KRUTYANSKIY}: "
            "'success probability of 4x10^-5', 'connected with 520(2) m of optical fiber') with "
            "bsm_success 1/2 and 3 dB/km: eta = sqrt(4e-5 / (0.5 x 10^(-0.3 x 0.52))).",
            "bsm_success": "0.5: the photons interfere at a beamsplitter and photon detection "
            f"heralds the ion-ion state ({_KRUTYANSKIY}, abstract), a linear-optics polarization "
            "Bell measurement (at most 1/2, Calsamiglia & Lutkenhaus, Appl. Phys. B 72, 67, 2001); "
            "the model's Barrett-Kok two-round timing is kept, the experiment heralds on one "
            "two-photon coincidence (the per-attempt success, not the timing, is what is matched).",
            "link_fidelity": "0.882: 'Fidelities of up to (88.2 +2.3 -6.0)%' with respect to a "
            f"maximally entangled Bell state ({_KRUTYANSKIY}, abstract); the highest reported, not "
            "an average.",
            "coherence_time_s": "2.1 s: spin-echo coherence time of the Zeeman qubit of a single "
            "40Ca+ ion with magnetic shielding, T. Ruster et al., 'A long-lived Zeeman trapped-ion "
            "qubit', arXiv:1606.07220 (abstract). NOT from the 230 m experiment, whose own memory "
            "coherence time was not verified here: another group's (Mainz) best value for the same "
            "ion species, so this preset is optimistic about storage.",
        }
    )
    return MappingProxyType(base)


_PRESETS = {
    "trapped_ion_230m": lambda: Params(
        attenuation_db_per_km=_ION_ALPHA,
        detector_efficiency=1.0,
        memory_efficiency=_ION_ETA,
        bsm_success=0.5,
        link_fidelity=0.882,
        coherence_time_s=2.1,
        sources=_ion_sources(),
    ),
}
PLATFORMS = tuple(_PRESETS)
"""Names accepted by :func:`platform`."""

PLATFORM_EXPERIMENTS = MappingProxyType({"trapped_ion_230m": (_ION_L, _ION_P, 0.882, 2.1)})
"""For each preset: (fibre km, published per-attempt success, link fidelity, T2 s) it reproduces."""


def platform(name: str) -> Params:
    """Parameters of one experiment's platform, so that :func:`link_success` at its fibre length is its published rate.

    Unlike :data:`DEFAULT` (an optimistic composite), each preset takes the per-attempt
    success, link fidelity and fibre loss from one experiment (or one group's series); the
    photon efficiencies are folded into ``memory_efficiency`` (``detector_efficiency = 1``)
    and solved from the published per-attempt success ``p`` at the published fibre length
    ``L``: ``p = bsm_success eta^2 10^(-alpha L / 10)``. Parameters the experiment does not
    fix (swap success, fibre speed, protocol choices, repeater spacing) keep the
    :data:`DEFAULT` values; ``sources`` says, for each value, where it comes from.

    ``"trapped_ion_230m"``: two 40Ca+ ions 230 m apart over 520 m of fibre at 854 nm
    (Krutyanskiy et al., Phys. Rev. Lett. 130, 050803, 2023): ``p = 4e-5`` at 0.52 km,
    ``F0 = 0.882``, 3 dB/km; ``T2 = 2.1 s`` is another group's 40Ca+ value (its source text).

    Parameters
    ----------
    name : str
        One of :data:`PLATFORMS`.

    Returns
    -------
    Params

    Raises
    ------
    ModelError
        An unknown name (the valid ones are listed).
    """
    if not isinstance(name, str) or name not in _PRESETS:
        raise ModelError(f"unknown platform {name!r}; valid platforms: {', '.join(PLATFORMS)}")
    return _PRESETS[name]()


# ------------------------------------------------------------------ elementary links
def _lengths(length_km) -> np.ndarray:
    L = np.asarray(length_km, float)
    if np.any(~(L >= 0)):
        raise ModelError(f"fibre lengths must be finite and >= 0 km, got {L[~(L >= 0)].ravel()[0]}")
    return L


def transmissivity(length_km, attenuation_db_per_km: float = 0.2) -> np.ndarray:
    """Fibre transmissivity ``10^(-alpha L / 10)``.

    Parameters
    ----------
    length_km : array_like
        Fibre lengths in km (>= 0), any shape.
    attenuation_db_per_km : float
        Loss alpha in dB/km.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``, in (0, 1].

    Raises
    ------
    ModelError
        A negative or non-finite length.
    """
    return 10.0 ** (-attenuation_db_per_km * _lengths(length_km) / 10.0)


def link_success(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Success probability of one elementary-link attempt (Barrett & Kok 2005, midpoint station).

    ``p = p_bsm eta_d^2 eta_m^2 10^(-alpha L / 10)``: both photons cross half the fibre.

    Parameters
    ----------
    length_km : array_like
        Link fibre lengths in km, any shape.
    params : Params
        Physical parameters.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``: probability per attempt.
    """
    eta = params.detector_efficiency * params.memory_efficiency
    return params.bsm_success * eta**2 * transmissivity(length_km, params.attenuation_db_per_km)


def first_round_click(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Probability ``P1 = 1 - (1 - eta / 2)^2`` that round one of a Barrett-Kok attempt heralds a click.

    Each memory emits with amplitude 1/2 and its photon reaches a detector with
    ``eta = eta_m eta_d 10^(-alpha L / 20)`` (half the fibre); round two runs only after
    such a click (Barrett & Kok, Phys. Rev. A 71, 060310(R), 2005).

    Parameters
    ----------
    length_km : array_like
        Link fibre lengths in km, any shape.
    params : Params
        Physical parameters.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``, in [0, 1).
    """
    eta = (
        params.memory_efficiency
        * params.detector_efficiency
        * np.sqrt(transmissivity(length_km, params.attenuation_db_per_km))
    )
    return 1.0 - (1.0 - eta / 2.0) ** 2


def attempt_delays(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Mean one-way fibre delays ``L / v`` per Barrett-Kok attempt: ``(1 + P1)(1 + 2 c) + d``.

    Two heralded rounds, the second with probability ``P1`` (:func:`first_round_click`),
    each opened by ``c = params.classical_exchange_rounds`` classical round trips, plus
    ``d = params.reset_delays`` to re-arm the memories (Barrett & Kok 2005; the module
    docstring). ``1 + P1`` with the default parameters.

    Parameters
    ----------
    length_km : array_like
        Link fibre lengths in km, any shape.
    params : Params
        Physical parameters.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``, dimensionless (>= 1).
    """
    c, d = params.classical_exchange_rounds, params.reset_delays
    return (1.0 + first_round_click(length_km, params)) * (1.0 + 2.0 * c) + d


def attempt_rate(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Barrett-Kok attempts per second on one channel: ``v / (L ((1 + P1)(1 + 2 c) + d))``.

    One attempt is two heralding rounds of ``L / v``, the second after the first heralds
    (probability ``P1``), :func:`attempt_delays`; S. D. Barrett and P. Kok, Phys. Rev. A 71,
    060310(R) (2005); the two rounds as in SeQUeNCe's ``BarretKokA`` (X. Wu et al., Quantum
    Sci. Technol. 6, 045027 (2021)). With the defaults (``c = d = 0``): ``v / (L (1 + P1))``.

    Parameters
    ----------
    length_km : array_like
        Link fibre lengths in km (>= 0), any shape.
    params : Params
        Physical parameters.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``, in Hz (``inf`` for a zero-length link).

    Raises
    ------
    ModelError
        A negative or non-finite length.
    """
    L = _lengths(length_km)
    with np.errstate(divide="ignore"):
        return params.fibre_speed_km_s / (L * attempt_delays(L, params))


def link_rate(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Elementary pairs per second on one channel: ``p v / (L ((1 + P1)(1 + 2 c) + d))``.

    :func:`link_success` times :func:`attempt_rate`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``length_km``, pairs/s.
    """
    return link_success(length_km, params) * attempt_rate(length_km, params)


# ------------------------------------------------------------------ Werner states
def werner_parameter(fidelity) -> np.ndarray:
    """Werner parameter ``w = (4 F - 1) / 3`` of a Werner state of fidelity ``F``."""
    return (4.0 * np.asarray(fidelity, float) - 1.0) / 3.0


def werner_fidelity(w) -> np.ndarray:
    """Fidelity ``F = (1 + 3 w) / 4`` of a Werner state of parameter ``w``."""
    return (1.0 + 3.0 * np.asarray(w, float)) / 4.0


def swap_fidelity(f1, f2) -> np.ndarray:
    """Fidelity after swapping two Werner pairs: ``F1 F2 + (1 - F1)(1 - F2) / 3`` (Dur et al. 1999, Eq. 5).

    Parameters
    ----------
    f1, f2 : array_like
        Fidelities of the two pairs (broadcast together).

    Returns
    -------
    numpy.ndarray
        The fidelity of the joined pair; never above ``min(F1, F2)`` when both are >= 1/4.
    """
    f1, f2 = np.asarray(f1, float), np.asarray(f2, float)
    return f1 * f2 + (1.0 - f1) * (1.0 - f2) / 3.0


def chain_fidelity(fidelities, axis: int = -1, where=None) -> np.ndarray:
    """Fidelity after swapping a chain of Werner pairs together: Werner parameters multiply.

    Parameters
    ----------
    fidelities : array_like
        Per-hop fidelities; the hops run along ``axis``.
    axis : int
        The hop axis.
    where : array_like of bool, optional
        Which entries are hops (padding excluded), broadcast with ``fidelities``.

    Returns
    -------
    numpy.ndarray
        ``fidelities`` with ``axis`` removed.
    """
    w = werner_parameter(fidelities)
    return werner_fidelity(np.prod(w, axis=axis, where=True if where is None else where))


def decohere(fidelity, wait_s, coherence_time_s) -> np.ndarray:
    """Fidelity after a wait in a depolarizing memory: ``1/4 + (F - 1/4) exp(-t / T)`` (Dur & Briegel 2007).

    Parameters
    ----------
    fidelity : array_like
        Fidelity before the wait.
    wait_s : array_like
        Waiting time in seconds (>= 0), broadcast with ``fidelity``.
    coherence_time_s : float or array_like
        Time constant T of the pair in seconds (> 0; ``inf``: no decay).

    Returns
    -------
    numpy.ndarray
        Broadcast shape; decays monotonically toward 1/4.
    """
    f = np.asarray(fidelity, float)
    with np.errstate(invalid="ignore"):
        ratio = np.asarray(wait_s, float) / np.asarray(coherence_time_s, float)
    return 0.25 + (f - 0.25) * np.exp(-np.where(np.isnan(ratio), 0.0, ratio))  # inf / inf: no memory noise


# ------------------------------------------------------------------ purification
def bbpssw(fidelity) -> tuple[np.ndarray, np.ndarray]:
    """One BBPSSW round on two Werner pairs of fidelity ``F`` (Bennett et al. 1996, Eq. 3).

    Returns
    -------
    fidelity : numpy.ndarray
        Output fidelity (the output twirled to a Werner state), same shape as the input.
    success : numpy.ndarray
        Success probability of the round.
    """
    return bbpssw_pair(fidelity, fidelity)


def bbpssw_pair(f1, f2) -> tuple[np.ndarray, np.ndarray]:
    """One BBPSSW round on two Werner pairs of different fidelities (Bennett et al. 1996, Eq. 3 with two inputs).

    ``F' = (F1 F2 + e1 e2) / N``, ``N = F1 F2 + F1 e2 + e1 F2 + 5 e1 e2``, ``e = (1 - F) / 3``;
    equal to :func:`bbpssw` when ``F1 = F2``.

    Returns
    -------
    fidelity, success : numpy.ndarray
        Broadcast shape.
    """
    f1, f2 = np.asarray(f1, float), np.asarray(f2, float)
    e1, e2 = (1.0 - f1) / 3.0, (1.0 - f2) / 3.0
    n = f1 * f2 + f1 * e2 + e1 * f2 + 5.0 * e1 * e2
    return (f1 * f2 + e1 * e2) / n, n


def dejmps(coefficients) -> tuple[np.ndarray, np.ndarray]:
    """One DEJMPS round on two copies of a Bell-diagonal state (Deutsch et al. 1996, Eqs. 7-8).

    Parameters
    ----------
    coefficients : array_like, shape (..., 4)
        Bell-diagonal weights ``(A, B, C, D)``; ``A`` is the weight of the target Bell state.

    Returns
    -------
    coefficients : numpy.ndarray, shape (..., 4)
        The output state's weights (they sum to 1).
    success : numpy.ndarray, shape (...)
        Success probability ``(A + B)^2 + (C + D)^2``.
    """
    return dejmps_pair(coefficients, coefficients)


def dejmps_pair(first, second) -> tuple[np.ndarray, np.ndarray]:
    """One DEJMPS round on two different Bell-diagonal pairs (Deutsch et al. 1996, Eqs. 7-8 with two inputs).

    ``A' = (A1 A2 + B1 B2) / N``, ``B' = (C1 D2 + D1 C2) / N``, ``C' = (C1 C2 + D1 D2) / N``,
    ``D' = (A1 B2 + B1 A2) / N``, ``N = (A1 + B1)(A2 + B2) + (C1 + D1)(C2 + D2)``; equal to
    :func:`dejmps` for two copies. The weights are in Deutsch et al.'s order
    ``(Phi+, Psi-, Psi+, Phi-)``; ReQuSim's density-matrix DEJMPS reproduces it in that order
    only (:mod:`.requsim_purify`).

    Parameters
    ----------
    first, second : array_like, shape (..., 4)
        Bell-diagonal weights ``(A, B, C, D)`` of the two pairs (broadcast together).

    Returns
    -------
    coefficients : numpy.ndarray, shape (..., 4)
    success : numpy.ndarray, shape (...)
    """
    c1, c2 = np.asarray(first, float), np.asarray(second, float)
    A1, B1, C1, D1 = (c1[..., i] for i in range(4))
    A2, B2, C2, D2 = (c2[..., i] for i in range(4))
    n = (A1 + B1) * (A2 + B2) + (C1 + D1) * (C2 + D2)
    out = np.stack([A1 * A2 + B1 * B2, C1 * D2 + D1 * C2, C1 * C2 + D1 * D2, A1 * B2 + B1 * A2], axis=-1)
    return out / n[..., None], n


def purify(fidelity, rounds, protocol: str = "dejmps") -> tuple[np.ndarray, np.ndarray]:
    """Recurrence purification of Werner pairs: ``rounds`` rounds of ``protocol``.

    Each round takes two pairs of the previous level. DEJMPS tracks the Bell-diagonal state
    between rounds; the final state is reported by its fidelity (and treated as a Werner
    state of that fidelity downstream, a twirl that keeps the fidelity).

    Parameters
    ----------
    fidelity : array_like
        Fidelity of the elementary pairs.
    rounds : array_like of int
        Rounds (>= 0), broadcast with ``fidelity``.
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    fidelity : numpy.ndarray
        Output fidelity, broadcast shape.
    cost : numpy.ndarray
        Expected elementary pairs consumed per output pair, ``prod_i 2 / p_i`` (1 for 0 rounds).

    Raises
    ------
    ModelError
        An unknown protocol or a negative round count.
    """
    return purify_stored(fidelity, rounds, 1.0, 0.0, 0.0, protocol)


def purify_stored(fidelity, rounds, rate, decay_rate, signal_s, protocol: str = "dejmps"):
    """Recurrence purification with the storage of its waiting pairs charged, exactly (level by level).

    The protocol (that of :mod:`.requsim_purify`): one elementary pair at a time
    (exponential, rate ``R``); whenever two pairs of level ``k`` are held they are purified,
    the output blocked while its outcome is signalled (``signal_s``); the first pair of a
    round waits while its partner is built from nothing, ``T_k`` (both qubits decaying at
    ``c = 2 / T2``: Bell-diagonal weights ``x -> exp(-c t) x + (1 - exp(-c t)) / 4``). The
    delivered state's mean follows from tilted moments ``v_k(theta) = E[exp(-theta T_k)
    S_k]`` and ``a_k(theta) = E[exp(-theta T_k)]`` at ``theta = 0, c, .., (r - k) c``:
    DEJMPS and BBPSSW are bilinear in the two pairs' (unnormalized) weights, the partner's
    build time both delays the try and decays the first pair, and the tries until the first
    success form a geometric sum, so
    ``v_{k+1}(theta) = (e M + (1 - e) N u) / (1 - a_k(theta)^2 + N)`` with ``M``, ``N`` the
    numerator and success of :func:`dejmps_pair` / :func:`bbpssw_pair` taken over
    ``v_k(theta)``, ``v_k(theta + c)`` and the depolarized share, ``e = exp(-c s)``; the
    cost is ``prod_k 2 / E[N_k]`` (Wald). Exact for this protocol but for the partner's
    head start of at most one signalling time per level; ReQuSim's density-matrix
    simulation (:mod:`.requsim_purify`) is the check. ``decay_rate = 0`` gives
    :func:`purify`.

    Parameters
    ----------
    fidelity : array_like
        Fidelity of the elementary pairs (Werner).
    rounds : array_like of int
        Rounds (>= 0), broadcast with the others.
    rate : array_like
        Elementary pairs per second ``R`` (>= 0; 0: every waiting pair fully decays; ``inf``:
        no wait).
    decay_rate : array_like
        Pair decay rate ``c = 2 / T2`` in 1/s (>= 0, ``inf`` allowed).
    signal_s : array_like
        Outcome signalling per round ``L / v``, s (>= 0).
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    fidelity : numpy.ndarray
        Output fidelity, broadcast shape.
    cost : numpy.ndarray
        Expected elementary pairs consumed per output pair, ``prod_i 2 / p_i``.

    Raises
    ------
    ModelError
        An unknown protocol, a negative round count, or a fidelity outside [0, 1], a
        negative rate, decay rate or signalling time.
    """
    if protocol not in PROTOCOLS:
        raise ModelError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    f, r, R, c, sig = np.broadcast_arrays(
        np.asarray(fidelity, float), np.asarray(rounds), *(np.asarray(x, float) for x in (rate, decay_rate, signal_s))
    )
    if r.size and (r.min() < 0 or not np.issubdtype(r.dtype, np.integer)):
        raise ModelError(f"purification rounds must be whole numbers >= 0, got {r.ravel()[np.argmin(r.ravel())]}")
    for name, x, ok in (
        ("fidelity", f, (f >= 0) & (f <= 1)),
        ("rate", R, R >= 0),
        ("decay_rate", c, c >= 0),
        ("signal_s", sig, sig >= 0),
    ):
        if not np.all(ok):
            raise ModelError(f"purify_stored: {name} out of range, got {x[~ok].ravel()[0]}")
    top = int(r.max(initial=0))
    e = (1.0 - f) / 3.0
    S0 = np.stack([f, e, e, e], axis=-1)
    u = np.full(4, 0.25)
    pair = _bbpssw_forms if protocol == "bbpssw" else _dejmps_forms
    # level 0 tilted at theta = j c: a_j = E[exp(-j c T_0)] = R / (R + j c), v_j = a_j S_0
    with np.errstate(invalid="ignore", divide="ignore"):
        a = [np.where(j * c > 0, 1.0 / (1.0 + j * c / R), 1.0) for j in range(top + 1)]  # R = inf: 1; R = 0: 0
        after_signal = np.exp(-np.where(sig > 0, c * sig, 0.0))[..., None]  # c = inf and no signalling: 1
    v = [a_j[..., None] * S0 for a_j in a]
    state, cost = S0.copy(), np.ones(f.shape)
    for k in range(top):
        new_a, new_v = [], []
        for j in range(top - k):  # theta = j c needs level k at j c and (j + 1) c
            # a try: the first pair (tilted at theta) waits the partner's build T2, which tilts
            # the partner at theta + c; its depolarized share (1 - exp(-c T2)) meets u
            M1, N1 = pair(v[j], v[j + 1])
            Mu0, Nu0 = pair(u, v[j])
            Mu1, Nu1 = pair(u, v[j + 1])
            M = M1 + a[j][..., None] * (Mu0 - Mu1)
            N = N1 + a[j] * (Nu0 - Nu1)
            tau = a[j] ** 2  # E[exp(-theta (T1 + T2))]
            with np.errstate(invalid="ignore", divide="ignore"):
                rest = 1.0 / (1.0 - tau + N)  # the tries before the first success
            new_v.append((after_signal * M + (1.0 - after_signal) * N[..., None] * u) * rest[..., None])
            new_a.append(N * rest)
            if j == 0:  # theta = 0: the delivered state, and Wald's identity for the cost
                live = r > k
                state = np.where(live[..., None], new_v[0], state)
                cost = np.where(live, cost * 2.0 / N, cost)
        a, v = new_a, new_v
    return state[..., 0], cost


def _dejmps_forms(x, y) -> tuple[np.ndarray, np.ndarray]:
    """DEJMPS's bilinear numerator (..., 4) and success (...) of unnormalized Bell-diagonal ``x``, ``y``."""
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    x0, x1, x2, x3 = (x[..., i] for i in range(4))
    y0, y1, y2, y3 = (y[..., i] for i in range(4))
    M = np.stack([x0 * y0 + x1 * y1, x2 * y3 + x3 * y2, x2 * y2 + x3 * y3, x0 * y1 + x1 * y0], axis=-1)
    return M, (x0 + x1) * (y0 + y1) + (x2 + x3) * (y2 + y3)


def _bbpssw_forms(x, y) -> tuple[np.ndarray, np.ndarray]:
    """BBPSSW's bilinear numerator (twirled, (..., 4)) and success of unnormalized Bell-diagonal ``x``, ``y``."""
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    ex, ey = x[..., 1:].sum(axis=-1) / 3.0, y[..., 1:].sum(axis=-1) / 3.0
    A = x[..., 0] * y[..., 0] + ex * ey
    N = x[..., 0] * y[..., 0] + x[..., 0] * ey + ex * y[..., 0] + 5.0 * ex * ey
    rest = (N - A) / 3.0
    return np.stack([A, rest, rest, rest], axis=-1), N


# ------------------------------------------------------------------ paths
def memory_per_channel(rounds) -> np.ndarray:
    """Memory qubits a hop end holds per channel with ``r`` recurrence rounds: ``r + 1``.

    A recurrence scheme run level by level keeps one pair per finished level plus the pair
    being made (Dur & Briegel 2007, Sec. 5.1; the logarithmic memory of Briegel et al. 1998).
    """
    return np.asarray(rounds) + 1


def hop_metrics(length_km, rounds, params: Params = DEFAULT, protocol: str = "dejmps"):
    """Fidelity and rate of purified pairs on hops, made and ready to swap.

    Each elementary pair is charged its heralding time (:func:`heralding_time`), the pairs
    waiting inside the recurrence their storage and every round's outcome signalling
    (:func:`purify_stored`); the path's storage comes after (:func:`path_metrics`).

    Parameters
    ----------
    length_km : array_like
        Hop fibre lengths in km.
    rounds : array_like of int
        Purification rounds per hop, broadcast with ``length_km``.
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    fidelity : numpy.ndarray
        Fidelity of a purified hop pair when ready.
    rate : numpy.ndarray
        Purified pairs per second on one channel: ``link_rate / cost``.
    """
    R = link_rate(length_km, params)
    heralded = decohere(params.link_fidelity, heralding_time(length_km, params), params.coherence_time_s / 2.0)
    c = 2.0 / params.coherence_time_s
    f, cost = purify_stored(heralded, rounds, R, c, np.asarray(length_km, float) / params.fibre_speed_km_s, protocol)
    return np.broadcast_to(f, np.broadcast_shapes(np.shape(length_km), f.shape)), R / cost


MAX_HOPS = 16
"""Most hops whose :func:`expected_max` runs by inclusion-exclusion (2^H - 1 subsets); longer rows by quadrature."""


def _subsets(n: int) -> np.ndarray:
    """bool, shape (2^n - 1, n): every non-empty subset of n items, one per row."""
    codes = np.arange(1, 2**n, dtype=np.int64)
    return (codes[:, None] >> np.arange(n)) & 1 == 1


def _expected_max_quad(r: np.ndarray) -> float:
    """``integral_0^inf 1 - prod_h (1 - exp(-r_h t)) dt`` by adaptive quadrature (finite rates > 0)."""
    from scipy import integrate

    scale = 1.0 / r.min()  # the integrand falls from 1 to 0 over a few times the slowest mean

    def tail(u: float) -> float:
        return -np.expm1(np.sum(np.log1p(-np.exp(-r * scale * u))))

    value, _ = integrate.quad(tail, 0.0, np.inf, epsabs=0.0, epsrel=1e-10, limit=200)
    return float(value * scale)


def expected_max(rates, axis: int = -1) -> np.ndarray:
    """``E[max_h X_h]`` of independent exponential times ``X_h`` of the given rates (inclusion-exclusion).

    ``E[max] = sum over non-empty subsets S of (-1)^(|S|+1) / sum_{h in S} R_h``: exact, the
    integral of ``1 - prod_h (1 - exp(-R_h t))``. Vectorized over everything but ``axis``
    (one matrix product per hop count); ``nan`` entries are padding (no hop), a rate 0 gives
    ``inf``. Rows of more than :data:`MAX_HOPS` rates (2^H subsets would be too many) take
    the same integral by adaptive quadrature (``scipy.integrate.quad``, relative error
    1e-10), one row at a time.

    Parameters
    ----------
    rates : array_like, shape (..., H) (hops along ``axis``)
        Rates in 1/s (>= 0, ``inf`` allowed: a time of 0; ``nan``: padding).
    axis : int
        The hop axis.

    Returns
    -------
    numpy.ndarray
        Shape of ``rates`` without ``axis``, seconds: ``1 / r`` for one rate, ``1.5 / r``
        for two equal ones, ``H_n / r`` (harmonic number) for n equal ones, 0 for a row of
        padding only.

    Raises
    ------
    ModelError
        A negative rate.
    """
    r = np.moveaxis(np.atleast_1d(np.asarray(rates, float)), axis, -1)
    shape = r.shape[:-1]
    r = r.reshape(-1, r.shape[-1])
    pad = np.isnan(r)
    if np.any(r[~pad] < 0):
        raise ModelError(f"expected_max takes rates >= 0, got {r[~pad][r[~pad] < 0][0]}")
    # padding (and infinite rates: a time of 0) last; a subset holding one adds 1 / inf = 0
    r = np.sort(np.where(pad, np.inf, r), axis=1)
    n_hops = np.isfinite(r).sum(axis=1)
    out = np.zeros(len(r))
    for n in np.unique(n_hops):
        rows = np.flatnonzero(n_hops == n)
        if n == 0:
            continue
        if n > MAX_HOPS:
            out[rows] = [np.inf if r[i, 0] == 0 else _expected_max_quad(r[i, :n]) for i in rows]
            continue
        m = _subsets(int(n))  # (S, n)
        sums = r[rows, :n] @ m.T.astype(float)  # (rows, S)
        sign = np.where(m.sum(axis=1) % 2 == 1, 1.0, -1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = (sign / sums).sum(axis=1)
        out[rows] = np.where(r[rows, 0] == 0, np.inf, e)
    return out.reshape(shape)


# ------------------------------------------------------------------ swap as soon as possible

MAX_CHAIN_LINKS = 10
"""Most elementary links whose path rate comes from the exact Markov chain (:func:`chain_time`).

The chain has ``2^n`` states under ``"asap"`` (1024 at 10 links: a dense solve of a few
milliseconds per distinct path) and about ``3^n`` at most under ``"nested"``. Longer chains
(long fibres split by repeater stations) take the all-hops-at-once rate instead, a lower
bound; :func:`rate_model` names which one each path got."""


@dataclass(frozen=True)
class _Chain:
    """Structure of the swap chain of ``n`` elementary links, before rates and successes.

    ``states``: pairs ``(held, recovering)``: the frozenset of held segments ``(a, b)`` (links
    ``a .. b-1``) and, with ``phases > 0``, the frozenset of recovering blocks ``(a, b, k)``
    (links a failure freed, waiting for its signal, in phase ``k`` of ``phases``); the empty
    state first, the end-to-end pair ``{(0, n)}`` last. Transition ``t`` leaves ``src[t]`` when
    link ``link[t]`` makes a pair and lands in ``dst[t]`` after the swaps it sets off:
    ``won[t, j-1]`` counts the swaps that succeeded at node ``j`` (1 .. n-1), ``lost[t, j-1]``
    the failed one, and ``freed[t, h]`` marks the links of the two segments a failure
    destroyed. Where ``link[t] == -1`` the recovering block ``block[t]`` (links marked)
    advances one phase (leaving the last, its links are free again).
    """

    n: int
    phases: int
    states: tuple
    src: np.ndarray
    dst: np.ndarray
    link: np.ndarray
    won: np.ndarray
    lost: np.ndarray
    freed: np.ndarray
    block: np.ndarray


def nested_partners(n: int) -> list[tuple[int, int]]:
    """SeQUeNCe 0.8.5's swap order on a path of nodes ``0 .. n``: ``(left, right)`` per inner node.

    Node ``j`` swaps only a pair reaching back to ``left`` with one reaching ``right``
    (``ResourceManager.generate_load_rules``: the nodes at odd positions of the path swap
    their neighbours' pairs, then the path of the even positions repeats the rule).

    Parameters
    ----------
    n : int
        Elementary links (nodes ``0 .. n``).

    Returns
    -------
    list of (int, int)
        Entry ``j - 1`` for node ``j``, ``j = 1 .. n-1``; ``[(0, 2), (0, 3)]`` for 3 links.
    """
    out = []
    for j in range(1, n):
        path = list(range(n + 1))
        while path.index(j) % 2 == 0:
            path = [x for i, x in enumerate(path) if i % 2 == 0 or i == len(path) - 1]
        k = path.index(j)
        out.append((path[k - 1], path[k + 1]))
    return out


def _settle(held: frozenset, new: tuple, order: str, partners: list) -> list:
    """Outcomes ``(won nodes, lost node, freed links, state)`` of segment ``new`` joining ``held``.

    It swaps at once with a held neighbour (its left end's first) where ``order`` allows:
    success merges the two and the merged segment settles in turn; failure destroys both.
    Segments are ``(a, b)`` or ``(a, b, hit)`` (:func:`_storage_chain`): a merged segment is
    hit when either part was.
    """
    a, b = new[0], new[1]
    for other in sorted(held):
        if other[1] == a:
            node, merged = a, (other[0], b)
        elif other[0] == b:
            node, merged = b, (a, other[1])
        else:
            continue
        if order == "nested" and partners[node - 1] != merged:
            continue
        if len(new) == 3:
            merged = (*merged, new[2] or other[2])
        rest = held - {other}
        out = [((node, *won), lost, freed, s) for won, lost, freed, s in _settle(rest, merged, order, partners)]
        freed = (*range(other[0], other[1]), *range(a, b))
        out.append(((), (node,), freed, rest))
        return out
    return [((), (), (), held | {new})]


def _recovery_steps(recovering: frozenset, phases: int) -> list[tuple[tuple, frozenset]]:
    """``(links, recovering after)`` for each block ``(a, b, phase)`` advancing one phase (the last frees it)."""
    out = []
    for blk in sorted(recovering):
        rec = recovering - {blk}
        if blk[2] + 1 < phases:
            rec = rec | {(blk[0], blk[1], blk[2] + 1)}
        out.append((tuple(range(blk[0], blk[1])), rec))
    return out


# Solved rows of the chains, kept across calls: the same links, swaps and rounds recur across
# requests, candidate paths, slices and baselines (the slicing comparison solved each path's
# storage chains nine times). Each value is a pure function of its key row and its chain.
SOLVED_CACHE_ROWS = 500_000  # rows kept in this process (each 300-400 bytes with its key: <= ~200 MB)
_SOLVED: dict[tuple, dict[bytes, float]] = {}


def _solve_memo(tag: tuple, key: np.ndarray, solve) -> np.ndarray:
    """``solve(rows)`` (an array of one value per row) for the rows of ``key`` (P, K) not solved
    before under ``tag`` (the chain: its kind, links, order and phases); the others from memory."""
    memo = _SOLVED.setdefault(tag, {})
    raw = [row.tobytes() for row in np.ascontiguousarray(key, float)]
    hit = [memo.get(b) for b in raw]
    todo = np.array([k for k, v in enumerate(hit) if v is None], np.int64)
    out = np.array([np.nan if v is None else v for v in hit], float)
    if len(todo):
        out[todo] = solve(todo)
        if sum(map(len, _SOLVED.values())) + len(todo) > SOLVED_CACHE_ROWS:
            _SOLVED.clear()
            memo = _SOLVED.setdefault(tag, {})
        memo.update(zip([raw[k] for k in todo], out[todo].tolist(), strict=True))
    return out


@functools.cache
def _chain(n: int, order: str, phases: int = 0) -> _Chain:
    """The chain's states and transitions for ``n`` links under ``order``, enumerated once (cached).

    ``phases = 0``: a failure's signalling is charged in series (the whole chain waits);
    ``phases = k > 0``: the freed links form a recovering block that waits ``k`` exponential
    phases (an Erlang-``k`` stand-in for the deterministic signalling) while the rest goes on.
    """
    partners = nested_partners(n)
    done = (frozenset({(0, n)}), frozenset())
    empty = (frozenset(), frozenset())
    index, states, rows = {empty: 0}, [empty], []

    def add(src: tuple, nxt: tuple, row: tuple) -> None:
        if nxt not in index:
            index[nxt] = len(states)
            states.append(nxt)
        rows.append((index[src], index[nxt], *row))

    k = 0
    while k < len(states):
        state = states[k]
        k += 1
        if state == done:
            continue
        held, recovering = state
        covered = {h for a, b in held for h in range(a, b)} | {h for a, b, _ in recovering for h in range(a, b)}
        for h in range(n):
            if h in covered:
                continue
            for won, lost, freed, nxt in _settle(held, (h, h + 1), order, partners):
                rec = recovering | {(min(freed), max(freed) + 1, 0)} if freed and phases else recovering
                add(state, (nxt, rec), (h, won, lost, freed, ()))
        for links, rec in _recovery_steps(recovering, phases):
            add(state, (held, rec), (-1, (), (), (), links))
    # the end-to-end state last
    last = index[done]
    perm = np.arange(len(states))
    perm[[last, len(states) - 1]] = perm[[len(states) - 1, last]]
    where = np.argsort(perm)
    T = len(rows)
    won, lost = np.zeros((T, max(n - 1, 0))), np.zeros((T, max(n - 1, 0)))
    freed, block = np.zeros((T, n), bool), np.zeros((T, n), bool)
    for t, (_, _, _, w, lo, fr, bl) in enumerate(rows):
        np.add.at(won[t], np.asarray(w, int) - 1, 1.0)
        np.add.at(lost[t], np.asarray(lo, int) - 1, 1.0)
        freed[t, list(fr)] = True
        block[t, list(bl)] = True
    src = where[np.array([r[0] for r in rows], int)]
    dst = where[np.array([r[1] for r in rows], int)]
    link = np.array([r[2] for r in rows], int)
    return _Chain(n, phases, tuple(states[i] for i in perm), src, dst, link, won, lost, freed, block)


def chain_states(n: int, order: str = "asap") -> int:
    """Number of states of the swap chain of ``n`` links (``2^n`` under ``"asap"``).

    Raises
    ------
    ModelError
        An unknown order or ``n < 1``.
    """
    _check_order(order)
    if n < 1:
        raise ModelError(f"a swap chain needs at least one link, got {n}")
    return len(_chain(int(n), order).states)


def _check_order(order: str) -> None:
    if order not in SWAP_ORDERS:
        raise ModelError(f"swap order must be one of {', '.join(SWAP_ORDERS)}, got {order!r}")


MAX_STORAGE_LINKS = 8
"""Most elementary links whose delivered pair's storage comes from :func:`chain_storage` (exact).

Its chain has 1 393 states at 8 links under ``"asap"`` and 2 207 under ``"nested"`` (8 119 and
15 447 at 10, seconds per distinct path); longer paths are charged one all-at-once cycle of
storage per pair instead (an approximation, not a bound), and :func:`storage_model` says which
a path got."""

DENSE_STATES = 64
"""Most transient states of a chain solved densely (many rows at once); larger chains: block-diagonal sparse LU."""

BLOCK_STATES = 400
"""Most transient states solved as block-diagonal sparse LU; larger chains: BiCGSTAB row by row."""


def _solve_jump(src: np.ndarray, dst: np.ndarray, rate: np.ndarray, S: int, gain: np.ndarray) -> np.ndarray:
    """``x[0]`` of ``x = b + J x`` over the ``S`` transient states, rows of transition rates at once.

    The embedded jump chain of a continuous-time chain: transition ``t`` leaves ``src[t]``
    for ``dst[t]`` (``>= S``: absorbing) at ``rate[:, t]``; ``J`` holds each transition's
    probability from its state (rate over the state's leaving rate) and ``b`` is ``gain``
    (P, S) over the leaving rate. Well conditioned when the rates span many decades:
    densely and batched for small chains; for mid-sized ones, a block-diagonal sparse system
    of many rows at once by sparse LU (scipy's SuperLU); beyond :data:`BLOCK_STATES`
    states (where the LU fills in), one row at a time by BiCGSTAB to a relative residual of
    1e-13, sparse LU where that does not converge.
    """
    from scipy import sparse
    from scipy.sparse import linalg

    P, T = rate.shape
    by_src = sparse.csr_matrix((np.ones(T), (np.arange(T), src)), (T, S))
    total = np.asarray((by_src.T @ rate.T).T)  # (P, S): each state's leaving rate
    b = gain / total
    jump = rate / total[:, src]  # (P, T): probability of each transition from its state
    keep = dst < S
    out = np.empty(P)
    if S > BLOCK_STATES:
        rows = np.concatenate([np.arange(S), src[keep]])
        cols = np.concatenate([np.arange(S), dst[keep]])
        for p in range(P):
            vals = np.concatenate([np.ones(S), -jump[p, keep]])
            A = sparse.csr_matrix((vals, (rows, cols)), (S, S))  # duplicates summed
            x, info = linalg.bicgstab(A, b[p], rtol=1e-13, atol=0.0)
            if info != 0 or np.linalg.norm(A @ x - b[p]) > 1e-11 * np.linalg.norm(b[p]):
                x = linalg.spsolve(A.tocsc(), b[p])  # sparse LU when the iteration does not converge
            out[p] = x[0]
        return out
    if S > DENSE_STATES:
        # many rows at once as one block-diagonal sparse system (sparse LU, scipy's SuperLU)
        k_src, k_dst = src[keep], dst[keep]
        step = max(1, int(400_000 // (S + len(k_src))))
        for lo in range(0, P, step):
            m = min(step, P - lo)
            base = (np.arange(m) * S)[:, None]
            rows = np.concatenate([np.arange(m * S), (base + k_src).ravel()])
            cols = np.concatenate([np.arange(m * S), (base + k_dst).ravel()])
            vals = np.concatenate([np.ones(m * S), -jump[lo : lo + m][:, keep].ravel()])
            A = sparse.csc_matrix((vals, (rows, cols)), (m * S, m * S))  # duplicates summed
            out[lo : lo + m] = linalg.spsolve(A, b[lo : lo + m].ravel()).reshape(m, S)[:, 0]
        return out
    into = sparse.csr_matrix((np.ones(keep.sum()), (np.flatnonzero(keep), src[keep] * S + dst[keep])), (T, S * S))
    step = max(1, int(2e7 // (S * S)))
    for lo in range(0, P, step):
        sl = slice(lo, lo + step)
        A = np.eye(S) - np.asarray((into.T @ jump[sl].T).T).reshape(-1, S, S)
        out[sl] = np.linalg.solve(A, b[sl][..., None])[:, 0, 0]
    return out


def _swap_probability(c, q: np.ndarray) -> np.ndarray:
    """(P, T): each transition's product of swap successes ``q_j`` and failures ``1 - q_j`` (as a sum of logs)."""
    if c.n == 1:
        return np.ones((len(q), len(c.src)))
    with np.errstate(divide="ignore"):
        log_q = np.log(q)
        log_fail = np.where(q < 1.0, np.log1p(-np.minimum(q, 1.0)), -1e300)  # a sure swap never fails
    return np.exp(log_q @ c.won.T + log_fail @ c.lost.T)


def _solve_chain(c: _Chain, R: np.ndarray, q: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Expected time to absorption from the empty state, rows of finite rates > 0 (:func:`_solve_jump`)."""
    S = len(c.states) - 1  # transient states
    arrive = c.link >= 0
    rate = np.where(arrive, R[:, np.maximum(c.link, 0)], 1.0) * _swap_probability(c, q)  # (P, T)
    if c.phases:
        # a recovering block advances a phase at phases / (its signalling); a block of links of
        # length 0 (no signalling) recovers 1e9 times faster than the fastest link makes a pair
        signal = d @ c.block.T.astype(float)  # (P, T)
        rate = np.where(arrive, rate, c.phases / np.maximum(signal, 1e-9))
        return _solve_jump(c.src, c.dst, rate, S, np.ones((len(R), S)))
    from scipy import sparse

    by_src = sparse.csr_matrix((np.ones(len(c.src)), (np.arange(len(c.src)), c.src)), (len(c.src), S))
    failures = np.asarray((by_src.T @ (rate * (d @ c.freed.T.astype(float))).T).T)  # failures' signalling per unit time
    return _solve_jump(c.src, c.dst, rate, S, 1.0 + failures)


def _chain_rows(rates, swap_success, delays, order: str, who: str) -> tuple:
    """Checked, scaled rows of a swap chain: ``(R, q, d, n_links, scale, dead)``.

    Time is in units of the fastest link's mean (``scale`` per row), so that rates far
    below 1/s (GEANT's long fibres) keep their precision; a link ``1e-250`` times slower
    than the fastest counts as dead. ``inf`` rates (links of length 0) are ``1e6`` times
    the row's largest finite rate.
    """
    _check_order(order)
    R = np.atleast_2d(np.asarray(rates, float))
    P, H = R.shape
    pad = np.isnan(R)
    if np.any(R[~pad] < 0):
        raise ModelError(f"{who} takes rates >= 0, got {R[~pad][R[~pad] < 0][0]}")
    n_links = (~pad).sum(axis=1)
    if H > 1 and np.any(pad[:, :-1] & ~pad[:, 1:]):
        raise ModelError(
            f"{who}: row {int(np.flatnonzero(np.any(pad[:, :-1] & ~pad[:, 1:], axis=1))[0])} has nan "
            "between links (nan only as trailing padding)"
        )
    if H and n_links.max() > MAX_CHAIN_LINKS:
        raise ModelError(f"{who} handles at most {MAX_CHAIN_LINKS} links (MAX_CHAIN_LINKS), got {n_links.max()}")
    if np.any(n_links == 0):
        raise ModelError(f"{who}: row {int(np.flatnonzero(n_links == 0)[0])} has no link")
    q = np.broadcast_to(np.asarray(swap_success, float), (P, max(H - 1, 0)))
    if np.any(~((q > 0) & (q <= 1))[np.arange(max(H - 1, 0))[None, :] < n_links[:, None] - 1]):
        raise ModelError(f"swap success must lie in (0, 1], got {q[~((q > 0) & (q <= 1))][0]}")
    d = np.where(pad, 0.0, np.broadcast_to(np.asarray(delays, float), (P, H)))
    if np.any(~((d >= 0) & np.isfinite(d))):
        raise ModelError(f"{who} takes finite signalling delays >= 0, got {d[~((d >= 0) & np.isfinite(d))][0]}")
    finite_max = np.max(np.where(np.isfinite(R), R, 0.0), axis=1, initial=0.0)
    instant = np.all(np.isposinf(R) | pad, axis=1)  # every link of length 0: no wait at all
    R = np.where(np.isposinf(R), np.where(finite_max > 0, 1e6 * finite_max, 1.0)[:, None], R)
    scale = np.nanmax(np.where(pad, np.nan, R), axis=1) if H else np.ones(P)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = R / scale[:, None]
        d = d * scale[:, None]
    dead = np.any(R < 1e-250, axis=1)
    return R, q, d, n_links, scale, dead, instant


FAILURE_WAITS = ("freed", "chain")

MAX_PURIFICATION_ROUNDS = 16
"""Most purification rounds per hop :func:`path_metrics` takes (each round at least doubles the pairs spent)."""

MAX_RECOVERY_LINKS = 7
"""Most elementary links whose chain lets only a failure's freed links wait (``wait="freed"``).

With :data:`RECOVERY_PHASES` = 2 the chain has 1 458 states at 7 links under ``"asap"``
(534 under ``"nested"``) and 4 374 at 8; longer chains charge each failure's signalling in
series (``wait="chain"``), which takes longer (:func:`chain_time`)."""

MAX_RECOVERY_STORAGE_LINKS = 6
"""Most elementary links whose storage chain (:func:`chain_storage`) lets only the freed links wait.

Its states grow faster (hit marks too): 1 201 at 6 links under ``"asap"``, 4 063 at 7, where a
row's solve takes about 0.7 s (the iteration stalls and sparse LU fills in); longer chains'
storage charges each failure's signalling in series (:func:`storage_model` says which)."""

RECOVERY_PHASES = 2
"""Exponential phases standing in for a failure's deterministic signalling (Erlang-2, its mean exact).

Against a Monte Carlo of deterministic signalling (tests/test_qnet_chain.py) the mean time
was within 0.6 % with 2 phases and within 1.8 % with 1, for signalling up to 1.5 mean link
waits per link (a review's Monte Carlo: +1.2 % at 2, +1.0 % at 1 on 5 links; long, the
conservative side); the series charge was up to 27 % long."""


def chain_time(rates, swap_success, delays=0.0, order: str = "asap", wait: str = "freed") -> np.ndarray:
    """Expected time until a chain of elementary links holds an end-to-end pair, swapping as soon as possible.

    The continuous-time Markov chain of the module docstring ("Path rate"): its state is the
    set of disjoint segments held; a free link ``h`` makes a pair at rate ``R_h``; a new or
    merged segment that meets a held one at node ``j`` swaps with it at once (``order``
    ``"asap"``: always; ``"nested"``: only in SeQUeNCe 0.8.5's order, :func:`nested_partners`),
    succeeding with ``q_j``: merged, or both segments lost. The freed links start again only
    once the failure is signalled to their ends, ``D = sum_{h in both} delays_h`` later.
    ``wait="freed"`` (the protocol: only the freed links wait, the rest of the chain goes
    on): the freed links form a recovering block that waits :data:`RECOVERY_PHASES`
    exponential phases of mean ``D / RECOVERY_PHASES`` each (an Erlang stand-in for the
    deterministic ``D``, the phase-type method that keeps the chain Markov; its mean is
    exact, its error on ``E[T]`` within about 1 %, on the long side, against a Monte Carlo of
    deterministic signalling up to 2 link waits of signalling per link,
    tests/test_qnet_chain.py), for chains of at most :data:`MAX_RECOVERY_LINKS`
    links; ``E[T]`` solves ``(-Q_TT) x = 1``. ``wait="chain"`` (and longer chains): each
    failure's ``D`` is added in series, as if the whole chain waited, ``(-Q_TT) x = 1 + c``
    (``c``: each state's failure delays per unit time); it takes longer than "freed" (up to
    27 % in that Monte Carlo; ReQuSim's routes of 4-7 hops 3-16 % faster, :mod:`.requsim_check`)
    and equals ``(E[max] + d_1 + d_2) / q - d_1 - d_2`` for two links. One solve per distinct
    row, the states enumerated once per link count, order and wait (cached). Equal to
    ``E[max_h X_h]`` (:func:`expected_max`) when every ``q = 1``.

    Parameters
    ----------
    rates : array_like, shape (P, n) or (n,)
        Pair rates per link in 1/s (>= 0; ``nan``: trailing padding). ``inf`` (a link of
        length 0) is taken as ``1e6`` times the row's largest finite rate.
    swap_success : float or array_like, shape (P, n-1) or broadcastable
        Success probability of the swap at each inner node, in (0, 1].
    delays : float or array_like, shape (P, n) or broadcastable
        Signalling time in s a failure charges per link of its segments (``L_h / v``).
    order : {"asap", "nested"}
        Which swaps are allowed.
    wait : {"freed", "chain"}
        Who waits for a failure's signalling: only the freed links (chains of at most
        :data:`MAX_RECOVERY_LINKS` links; longer ones as ``"chain"``) or the whole chain.

    Returns
    -------
    numpy.ndarray, shape (P,) (a scalar shape for one row)
        Seconds; ``inf`` where a link has rate 0 (or below ``1e-250`` times the fastest).

    Raises
    ------
    ModelError
        An unknown order or wait, a negative rate, more than :data:`MAX_CHAIN_LINKS` links, or
        a swap success outside (0, 1].
    """
    if wait not in FAILURE_WAITS:
        raise ModelError(f"wait must be one of {', '.join(FAILURE_WAITS)}, got {wait!r}")
    R, q, d, n_links, scale, dead, instant = _chain_rows(rates, swap_success, delays, order, "chain_time")
    P = len(R)
    out = np.zeros(P)
    out[dead] = np.inf
    for n in np.unique(n_links[~dead & ~instant]):
        rows = np.flatnonzero((n_links == n) & ~dead & ~instant)
        key = np.concatenate([R[rows, :n], q[rows, : n - 1], d[rows, :n]], axis=1)
        uniq, inverse = np.unique(key, axis=0, return_inverse=True)
        d_u = uniq[:, 2 * n - 1 :]
        phases = RECOVERY_PHASES if wait == "freed" and n <= MAX_RECOVERY_LINKS else 0
        t = np.empty(len(uniq))
        # a row without signalling has nothing to recover: the smaller chain is the same chain
        late = np.any(d_u > 0, axis=1) if phases and n > 1 else np.zeros(len(uniq), bool)
        for mask, k in ((late, phases), (~late, 0)):
            if mask.any():
                u = uniq[mask]
                t[mask] = _solve_memo(
                    ("time", int(n), order, k),
                    u,
                    lambda i, u=u, k=k, n=int(n): _solve_chain(
                        _chain(int(n), order, k), u[i, :n], u[i, n : 2 * n - 1], u[i, 2 * n - 1 :]
                    ),
                )
        out[rows] = t[inverse.ravel()] / scale[rows]
    return out if np.ndim(rates) > 1 else out.reshape(())


@dataclass(frozen=True)
class _StorageChain:
    """The swap chain of :class:`_Chain` with a "hit" mark on every held segment (:func:`chain_storage`).

    ``states``: pairs ``(held, recovering)`` of frozensets, held segments ``(a, b, hit)`` and
    recovering blocks ``(a, b, phase)`` (``phases > 0``, as in :class:`_Chain`), transient
    first, then the clean end-to-end pair, then the hit one. Transition ``t`` is link
    ``link[t]``'s pair arriving (``won``, ``lost``, ``freed`` as in :class:`_Chain`; with
    ``phases = 0``, after a failure ``exposed[t]`` clean segments wait out its signalling and
    ``hits[t]`` of them are hit meanwhile), or, where ``link[t] == -1``, one clean held
    segment hit (at the decay rate), or, where ``link[t] == -2``, the recovering block
    ``block[t]`` advancing one phase.
    """

    n: int
    phases: int
    states: tuple
    src: np.ndarray
    dst: np.ndarray
    link: np.ndarray
    won: np.ndarray
    lost: np.ndarray
    freed: np.ndarray
    exposed: np.ndarray
    hits: np.ndarray
    block: np.ndarray


@functools.cache
def _storage_chain(n: int, order: str, phases: int = 0) -> _StorageChain:
    """:func:`_chain` with hit marks, enumerated once per link count, order and phases (cached)."""
    partners = nested_partners(n)
    clean_end, hit_end = (frozenset({(0, n, False)}), frozenset()), (frozenset({(0, n, True)}), frozenset())
    empty = (frozenset(), frozenset())
    index, states, rows = {empty: 0}, [empty], []
    k = 0
    while k < len(states):
        state = states[k]
        k += 1
        if state in (clean_end, hit_end):
            continue
        held, recovering = state
        covered = {h for a, b, _ in held for h in range(a, b)} | {h for a, b, _ in recovering for h in range(a, b)}
        outs = []
        for h in range(n):
            if h in covered:
                continue
            for won, lost, freed, nxt in _settle(held, (h, h + 1, False), order, partners):
                if phases:  # only the freed links wait: nothing else is exposed at once
                    rec = recovering | {(min(freed), max(freed) + 1, 0)} if freed else recovering
                    outs.append((h, won, lost, freed, 0, 0, (nxt, rec), ()))
                    continue
                clean = sorted(s for s in nxt if not s[2]) if lost else []
                for marks in itertools.product((False, True), repeat=len(clean)):
                    hit = {s for s, m in zip(clean, marks) if m}
                    after = frozenset((a, b, f or (a, b, f) in hit) for a, b, f in nxt)
                    outs.append((h, won, lost, freed, len(clean), len(hit), (after, recovering), ()))
        for seg in held:
            if not seg[2]:
                outs.append((-1, (), (), (), 0, 0, ((held - {seg}) | {(seg[0], seg[1], True)}, recovering), ()))
        for links, rec in _recovery_steps(recovering, phases):
            outs.append((-2, (), (), (), 0, 0, (held, rec), links))
        for h, won, lost, freed, exposed, hits, nxt, blk in outs:
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            rows.append((index[state], index[nxt], h, won, lost, freed, exposed, hits, blk))
    for end in (clean_end, hit_end):  # one link: its pair is delivered at once, never hit
        if end not in index:
            index[end] = len(states)
            states.append(end)
    ends = [index[clean_end], index[hit_end]]
    perm = np.array([i for i in range(len(states)) if i not in ends] + ends)
    where = np.argsort(perm)
    T = len(rows)
    won, lost = np.zeros((T, max(n - 1, 0))), np.zeros((T, max(n - 1, 0)))
    freed, block = np.zeros((T, n), bool), np.zeros((T, n), bool)
    for t, r in enumerate(rows):
        np.add.at(won[t], np.asarray(r[3], int) - 1, 1.0)
        np.add.at(lost[t], np.asarray(r[4], int) - 1, 1.0)
        freed[t, list(r[5])] = True
        block[t, list(r[8])] = True
    col = {i: np.array([r[i] for r in rows], int) for i in (0, 1, 2, 6, 7)}
    return _StorageChain(
        n,
        phases,
        tuple(states[i] for i in perm),
        where[col[0]],
        where[col[1]],
        col[2],
        won,
        lost,
        freed,
        col[6],
        col[7],
        block,
    )


def chain_storage(rates, swap_success, delays, decay_rate, order: str = "asap", wait: str = "freed") -> np.ndarray:
    """Mean storage factor ``E[exp(-c A)]`` of the pair a swap chain delivers (exact).

    ``A`` is the pair's storage: the sum, over every segment merged into the delivered
    end-to-end pair (its elementary pairs and the intermediate segments), of the time that
    segment was held; with both qubits of a held pair depolarizing (pair decay rate
    ``c = 2 / T2``, :func:`decohere`), Werner parameters multiply at swaps and each held
    segment's shrinks by ``exp(-c t)``, so the delivered Werner parameter is
    ``prod_h w_h exp(-c A)``, and its mean over deliveries is ``prod_h w_h E[exp(-c A)]``.
    ``exp(-c t)`` is the chance that no event of a Poisson process of rate ``c`` hits the
    segment in ``t`` (a hit replaces it by the maximally mixed state, ``w = 0``), so
    ``E[exp(-c A)]`` is the probability that the end-to-end pair arrives unhit in the chain
    of :func:`chain_time` with a hit mark on each held segment: a clean segment is hit at
    rate ``c``, a merged segment is hit when either part was, a failed swap drops both
    parts with their marks, and its freed links wait for the failure's signalling (``sum
    delays`` of its two segments) as a recovering block, while the held segments wait and
    may be hit (``wait="freed"``, :func:`chain_time`, up to :data:`MAX_RECOVERY_STORAGE_LINKS`
    links); with ``wait="chain"`` (and longer chains) the whole chain waits the signalling
    and each other clean segment is hit meanwhile with probability ``1 - exp(-c delay)``. The
    probability solves one linear system over the marked chain's transient states (about
    ``(1 + sqrt 2)^n`` under ``"asap"`` and ``wait="chain"``). The recovering block's two
    exponential phases stand in for a fixed delay: within 0.005 of a Monte Carlo with fixed
    signalling while ``R d <= 0.3`` (SURFnet's links: ``R d < 0.2``), mostly on the low
    side; off by more when the signalling is long against link generation, of either sign: a
    random delay leaves more ``E[exp(-c t)]`` than a fixed one of the same mean (Jensen), so
    3 links of ``R = 1``, ``d = 2``, ``c = 0.5`` give 0.309 against 0.280 +/- 0.004 simulated
    (``wait="chain"``: 0.405; tests/test_qnet_chain.py), 3 links at ``R d = 1`` are 0.010
    high, while 5 links at ``R d = 1``, ``c = 0.2`` are 0.007 low (a review's Monte Carlo). This replaces the earlier
    charge of one mean cycle per pair, which the review of issue 19 found optimistic on long
    nested paths (:func:`path_metrics`).
    Not charged here: the storage during a hop's own purification (:func:`purify_stored`)
    and the delivered pair's final signalling (:func:`path_metrics` adds both).

    Parameters
    ----------
    rates : array_like, shape (P, n) or (n,)
        Pair rates per link in 1/s (> 0; ``nan``: trailing padding), as :func:`chain_time`.
    swap_success : float or array_like, shape (P, n-1) or broadcastable
        Success probability of the swap at each inner node, in (0, 1].
    delays : float or array_like, shape (P, n) or broadcastable
        Signalling time in s a failure charges per link of its segments.
    decay_rate : float or array_like, shape (P,) or broadcastable
        Pair decay rate ``c`` in 1/s (>= 0; ``2 / T2`` for two stored qubits of coherence
        time ``T2``; 0: no decay).
    order : {"asap", "nested"}
        Which swaps are allowed.
    wait : {"freed", "chain"}
        Who waits for a failure's signalling, as in :func:`chain_time`.

    Returns
    -------
    numpy.ndarray, shape (P,) (a scalar shape for one row)
        In (0, 1]; 1 where ``c = 0`` or for one link (nothing waits); 0 where a link has
        rate 0.

    Raises
    ------
    ModelError
        As :func:`chain_time`, or a negative decay rate.
    """
    if wait not in FAILURE_WAITS:
        raise ModelError(f"wait must be one of {', '.join(FAILURE_WAITS)}, got {wait!r}")
    R, q, d, n_links, scale, dead, instant = _chain_rows(rates, swap_success, delays, order, "chain_storage")
    P = len(R)
    c = np.broadcast_to(np.asarray(decay_rate, float), (P,)).copy()
    if np.any(~((c >= 0) & np.isfinite(c))):
        raise ModelError(f"chain_storage takes finite decay rates >= 0, got {c[~((c >= 0) & np.isfinite(c))][0]}")
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(np.isfinite(scale), c / scale, c)
    out = np.ones(P)
    out[dead] = 0.0
    for n in np.unique(n_links[~dead & ~instant]):
        rows = np.flatnonzero((n_links == n) & ~dead & ~instant & (c > 0))
        if n == 1 or not len(rows):
            continue
        key = np.concatenate([R[rows, :n], q[rows, : n - 1], d[rows, :n], c[rows, None]], axis=1)
        uniq, inverse = np.unique(key, axis=0, return_inverse=True)
        phases = RECOVERY_PHASES if wait == "freed" and n <= MAX_RECOVERY_STORAGE_LINKS else 0
        late = np.any(uniq[:, 2 * n - 1 : 3 * n - 1] > 0, axis=1) if phases else np.zeros(len(uniq), bool)
        got = np.empty(len(uniq))
        for mask, k in ((late, phases), (~late, 0)):
            if mask.any():
                u = uniq[mask]
                got[mask] = _solve_memo(
                    ("storage", int(n), order, k),
                    u,
                    lambda i, u=u, k=k, n=int(n): _solve_storage(_storage_chain(int(n), order, k), u[i]),
                )
        out[rows] = got[inverse.ravel()]
    return out if np.ndim(rates) > 1 else out.reshape(())


def _solve_storage(c: _StorageChain, key: np.ndarray) -> np.ndarray:
    """P(the end-to-end pair arrives unhit) per row of ``key = [R (n), q (n-1), d (n), decay rate]``."""
    n = c.n
    R, q, d, decay = key[:, :n], key[:, n : 2 * n - 1], key[:, 2 * n - 1 : 3 * n - 1], key[:, 3 * n - 1 :]
    S = len(c.states) - 2
    arrive = c.link >= 0
    rate = np.where(arrive, R[:, np.maximum(c.link, 0)] * _swap_probability(c, q), decay)  # (P, T)
    if c.phases:  # recovering blocks advance at phases / (their signalling), as in _solve_chain
        signal = d @ c.block.T.astype(float)
        rate = np.where(c.link == -2, c.phases / np.maximum(signal, 1e-9), rate)
    else:
        wait = decay * (d @ c.freed.T.astype(float))  # (P, T): c times the failure's signalling
        with np.errstate(invalid="ignore"):
            exposure = np.exp(-wait * (c.exposed - c.hits)) * (-np.expm1(-wait)) ** c.hits
        rate = rate * np.where(arrive, exposure, 1.0)
    from scipy import sparse

    T = len(c.src)
    into_clean = c.dst == S  # the clean end-to-end pair
    by_src = sparse.csr_matrix((np.ones(T), (np.arange(T), c.src)), (T, S))
    gain = np.asarray((by_src.T @ (rate * into_clean).T).T)
    return _solve_jump(c.src, c.dst, rate, S, gain)


def segments(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Elementary links per fibre: ``n = ceil(L / s)`` (at least 1) for repeater spacing ``s``.

    Module docstring, "Repeater stations"; 1 everywhere when ``params.repeater_spacing_km``
    is ``inf``. A fibre of exactly ``k s`` takes ``k`` links.

    Parameters
    ----------
    length_km : array_like
        Fibre lengths in km (>= 0), any shape.
    params : Params
        Physical parameters (``repeater_spacing_km``).

    Returns
    -------
    numpy.ndarray
        int64, same shape as ``length_km``: elementary links, ``n - 1`` repeater stations.

    Raises
    ------
    ModelError
        A negative or non-finite length.
    """
    L = _lengths(length_km)
    if not np.isfinite(params.repeater_spacing_km):
        return np.ones(L.shape, np.int64)
    return np.maximum(1, np.ceil(L / params.repeater_spacing_km - 1e-9)).astype(np.int64)


def expand_segments(length_km, rounds, params: Params = DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """Paths of fibres as paths of elementary links: each fibre split into :func:`segments` equal ones.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km of P paths padded with ``nan`` (trailing).
    rounds : array_like of int, shape (P, H) or broadcastable
        Purification rounds per hop; every segment of a hop takes the hop's rounds.
    params : Params
        Physical parameters (``repeater_spacing_km``).

    Returns
    -------
    length_km : numpy.ndarray
        float64, shape (P, S): segment lengths in path order, ``nan``-padded; S the most
        segments of any path (H when no fibre is longer than the spacing).
    rounds : numpy.ndarray
        int64, shape (P, S): each segment's purification rounds (0 on padding).
    """
    L = np.atleast_2d(np.asarray(length_km, float))
    hop = ~np.isnan(L)
    r = np.where(hop, np.broadcast_to(np.asarray(rounds), L.shape), 0)
    n = np.where(hop, segments(np.where(hop, L, 0.0), params), 0)
    per_path = n.sum(axis=1)
    S = int(per_path.max(initial=0))
    P = L.shape[0]
    seg_len, seg_rounds = np.full((P, S), np.nan), np.zeros((P, S), np.int64)
    count = n.ravel()
    row = np.repeat(np.arange(P), per_path)
    col = np.arange(count.sum()) - np.repeat(np.cumsum(per_path) - per_path, per_path)
    with np.errstate(invalid="ignore"):
        seg_len[row, col] = np.repeat((L / np.maximum(n, 1)).ravel(), count)
    seg_rounds[row, col] = np.repeat(r.ravel(), count)
    return seg_len, seg_rounds


def path_metrics(length_km, rounds, params: Params = DEFAULT, protocol: str = "dejmps"):
    """End-to-end fidelity and rate of paths of hops, vectorized over paths.

    Model: each hop makes purified pairs at rate ``R_h`` per channel (:func:`hop_metrics`);
    nodes swap as soon as they may (``params.swap_order``), so the path delivers
    ``1 / (E[T] + s)`` pairs per second per channel, ``E[T]`` the exact Markov chain's mean
    time to an end-to-end pair (:func:`chain_time`) and ``s = sum_h L_h / v`` the
    signalling of the swap outcomes to the ends (0 for one hop); paths of more than
    :data:`MAX_CHAIN_LINKS` elementary links get the all-at-once rate
    ``q^(h-1) / (E[max_h X_h] + s)`` instead, a lower bound (:func:`rate_model`; module
    docstring, "Path rate"). The swaps join the hop pairs (Werner parameters multiply).
    Storage: each pair is charged its heralding time (:func:`heralding_time`), the delivered
    pair the mean storage factor of its ancestors from the chain with hit marks
    (:func:`chain_storage`, exact for Werner pairs in depolarizing memories) and the final
    signalling ``s``; beyond :data:`MAX_STORAGE_LINKS` links every pair is charged one
    all-at-once cycle ``E[max_h X_h] + s`` instead (an approximation, not a bound; module
    docstring, "Storage"). The pair time constant is ``T2 / 2`` (both qubits stored).
    With repeater stations (``params.repeater_spacing_km``) the hops are their
    elementary links (:func:`expand_segments`): the maximum, swaps and storage run over
    those, each station swap succeeding with ``params.repeater_swap_success``.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km of P paths padded to H hops with ``nan`` (trailing).
    rounds : array_like of int, shape (P, H) or broadcastable
        Purification rounds per hop (ignored on padding).
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    fidelity : numpy.ndarray, shape (P,)
        End-to-end fidelity.
    rate : numpy.ndarray, shape (P,)
        End-to-end pairs per second on one channel per hop (0 where a hop never succeeds).

    Raises
    ------
    ModelError
        A path with no hop, or a negative length.
    """
    parts = _fidelity_parts(length_km, rounds, params, protocol)
    # the all-hops-at-once rate: the fallback (a lower bound) beyond MAX_CHAIN_LINKS
    swaps = params.swap_success ** (parts.n_hops - 1) * params.repeater_swap_success ** (parts.n_seg - parts.n_hops)
    with np.errstate(divide="ignore"):
        rate = swaps / (parts.slowest + parts.final_signal)
    rows = np.flatnonzero(parts.exact)
    if len(rows):
        n_max = int(parts.n_seg[rows].max())
        t = chain_time(
            parts.rates[rows, :n_max], parts.q[rows, : n_max - 1], parts.delays[rows, :n_max], params.swap_order
        )
        with np.errstate(divide="ignore"):
            rate[rows] = 1.0 / (t + parts.final_signal[rows])
    return parts.fidelity, rate


@dataclass(frozen=True)
class _PathParts:
    """What :func:`path_metrics`'s fidelity computes and its rate reuses (P paths, S elementary links)."""

    n_hops: np.ndarray  # (P,) hops
    n_seg: np.ndarray  # (P,) elementary links
    exact: np.ndarray  # (P,) bool: at most MAX_CHAIN_LINKS links (the Markov chains apply)
    rates: np.ndarray  # (P, S) purified pairs/s per link, nan padding
    q: np.ndarray  # (P, S-1) swap success at each inner node of the links
    delays: np.ndarray  # (P, S) L / v per link, 0 padding
    slowest: np.ndarray  # (P,) E[max] over the links, s
    final_signal: np.ndarray  # (P,) the swap outcomes' signalling to the ends (0 for one link), s
    fidelity: np.ndarray  # (P,) end-to-end fidelity


def heralding_time(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Time a freshly heralded pair's memories have already held it: ``(2 + 2 c) L / v``.

    A Barrett-Kok pair is entangled with the memories from the first round's emission; the
    herald of the second round arrives one fibre delay ``L / v`` after each round's
    emission, and the second round opens after ``c = Params.classical_exchange_rounds``
    round trips (S. D. Barrett and P. Kok, Phys. Rev. A 71, 060310(R) (2005); the module
    docstring, "Attempt time").

    Parameters
    ----------
    length_km : array_like
        Elementary link lengths in km, any shape.
    params : Params
        Physical parameters.

    Returns
    -------
    numpy.ndarray
        Same shape, seconds.
    """
    return (2.0 + 2.0 * params.classical_exchange_rounds) * np.asarray(length_km, float) / params.fibre_speed_km_s


def _fidelity_parts(length_km, rounds, params: Params, protocol: str, storage: bool = True) -> _PathParts:
    """The fidelity half of :func:`path_metrics` and what its rate half reuses (``storage=False``: none charged)."""
    L_hops = np.atleast_2d(np.asarray(length_km, float))
    hop = ~np.isnan(L_hops)
    if L_hops.size and not hop[:, 0].all():
        raise ModelError(f"path {int(np.flatnonzero(~hop[:, 0])[0])} has no hop")
    gap = np.any(~hop[:, :-1] & hop[:, 1:], axis=1)
    if gap.any():
        raise ModelError(f"path {int(np.flatnonzero(gap)[0])} has nan between hops (nan only as trailing padding)")
    finite = np.isfinite(L_hops) | ~hop
    if not finite.all():
        raise ModelError(f"fibre lengths must be finite and >= 0 km, got {L_hops[~finite][0]}")
    r_in = np.asarray(rounds)
    if r_in.size and np.any(r_in > MAX_PURIFICATION_ROUNDS):
        raise ModelError(
            f"at most {MAX_PURIFICATION_ROUNDS} purification rounds per hop (MAX_PURIFICATION_ROUNDS: "
            f"2^{MAX_PURIFICATION_ROUNDS} pairs per purified pair), got {r_in.max()}"
        )
    if r_in.size and not (np.issubdtype(r_in.dtype, np.integer) or np.all(np.mod(r_in, 1) == 0)):
        bad = r_in.ravel()[np.mod(r_in, 1).ravel() != 0][0]
        raise ModelError(f"purification rounds must be whole numbers >= 0, got {bad}")
    n_hops = hop.sum(axis=1)
    signal = np.where(hop, L_hops, 0.0).sum(axis=1) / params.fibre_speed_km_s
    L, r = expand_segments(L_hops, rounds, params)  # the same hops when there are no repeater stations
    seg = ~np.isnan(L)
    n_seg = seg.sum(axis=1)
    P, S = L.shape
    f_hop, rate_hop = hop_metrics(np.where(seg, L, 1.0), r, params, protocol)
    rates = np.where(seg, rate_hop, np.nan)
    slowest = expected_max(rates, axis=1)
    final_signal = np.where(n_seg > 1, signal, 0.0)
    hop_of = _hop_of_segment(P, S, hop, params, L_hops)
    station = hop_of[:, 1:] == hop_of[:, :-1]  # (P, S-1): the node between two links of one fibre
    q = np.where(station, params.repeater_swap_success, params.swap_success)
    delays = np.where(seg, L, 0.0) / params.fibre_speed_km_s
    pair_T = params.coherence_time_s / 2.0  # both qubits of a pair stored
    w = np.prod(werner_parameter(f_hop), axis=1, where=seg)  # heralded and purified (hop_metrics)
    exact = n_seg <= MAX_CHAIN_LINKS
    if not storage:
        return _PathParts(n_hops, n_seg, exact, rates, q, delays, slowest, final_signal, werner_fidelity(w))
    stored_exactly = n_seg <= MAX_STORAGE_LINKS
    storage = np.empty(P)
    rows = np.flatnonzero(stored_exactly)
    if len(rows):
        n_max = int(n_seg[rows].max())
        storage[rows] = chain_storage(
            rates[rows, :n_max], q[rows, : n_max - 1], delays[rows, :n_max], 1.0 / pair_T, params.swap_order
        )
    # beyond MAX_STORAGE_LINKS: every pair charged one all-at-once cycle (an approximation, not a bound)
    far = ~stored_exactly
    with np.errstate(invalid="ignore"):
        storage[far] = np.exp(-(n_seg[far] * (slowest[far] + signal[far])) / pair_T)
        final = np.exp(-np.where(stored_exactly, final_signal, 0.0) / pair_T)
    fidelity = werner_fidelity(w * np.where(np.isnan(storage), 0.0, storage) * final)
    return _PathParts(n_hops, n_seg, exact, rates, q, delays, slowest, final_signal, fidelity)


def path_fidelity(length_km, rounds, params: Params = DEFAULT, protocol: str = "dejmps") -> np.ndarray:
    """End-to-end fidelity of :func:`path_metrics` alone, without the (costlier) rate.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km, ``nan``-padded (trailing).
    rounds : array_like of int, shape (P, H) or broadcastable
        Purification rounds per hop.
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    numpy.ndarray
        float64, shape (P,): equal to ``path_metrics(length_km, rounds, params, protocol)[0]``.

    Raises
    ------
    ModelError
        As :func:`path_metrics`.
    """
    return _fidelity_parts(length_km, rounds, params, protocol).fidelity


def fidelity_bound(length_km, rounds, params: Params = DEFAULT, protocol: str = "dejmps") -> np.ndarray:
    """An upper bound of :func:`path_fidelity`, cheap: the same pairs swapped with no storage after their herald.

    Storage only shrinks Werner parameters (:func:`chain_storage` is at most 1), so a path
    whose bound is below a threshold cannot reach it; :mod:`.routing` drops such rounds
    vectors before the chains are solved.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km, ``nan``-padded (trailing).
    rounds : array_like of int, shape (P, H) or broadcastable
        Purification rounds per hop.
    params : Params
        Physical parameters.
    protocol : {"dejmps", "bbpssw"}
        The purification protocol.

    Returns
    -------
    numpy.ndarray
        float64, shape (P,): at least ``path_fidelity(length_km, rounds, params, protocol)``.
    """
    return _fidelity_parts(length_km, rounds, params, protocol, storage=False).fidelity


def storage_chain_states(n: int, order: str = "asap", wait: str = "freed") -> int:
    """States of :func:`chain_storage`'s chain for ``n`` links, both end states counted.

    Its cost grows with them. ``wait="freed"`` (recovering blocks, up to
    :data:`MAX_RECOVERY_STORAGE_LINKS` links): 355 / 243 at 5 links (asap / nested), 1 201 /
    729 at 6; ``wait="chain"`` (and beyond 6 links): 99 / 139 at 5, 1 393 / 2 207 at 8,
    8 119 / 15 447 at 10.

    Raises
    ------
    ModelError
        An unknown order or wait, or ``n`` outside ``1 .. MAX_CHAIN_LINKS``.
    """
    _check_order(order)
    if wait not in FAILURE_WAITS:
        raise ModelError(f"wait must be one of {', '.join(FAILURE_WAITS)}, got {wait!r}")
    if not 1 <= n <= MAX_CHAIN_LINKS:
        raise ModelError(f"a storage chain has 1 to {MAX_CHAIN_LINKS} links, got {n}")
    phases = RECOVERY_PHASES if wait == "freed" and 1 < n <= MAX_RECOVERY_STORAGE_LINKS else 0
    return len(_storage_chain(int(n), order, phases).states)


def _hop_of_segment(P: int, S: int, hop: np.ndarray, params: Params, L_hops: np.ndarray) -> np.ndarray:
    """int, shape (P, S): the fibre (hop) each elementary link of :func:`expand_segments` lies on."""
    n = np.where(hop, segments(np.where(hop, L_hops, 0.0), params), 0)
    ends = np.cumsum(n, axis=1)  # (P, H)
    return (ends[:, None, :] <= np.arange(S)[None, :, None]).sum(axis=2)


def storage_model(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Which storage charge :func:`path_metrics` gives each path: the exact chain or one cycle per pair.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km, ``nan``-padded (trailing).
    params : Params
        Physical parameters (``repeater_spacing_km``).

    Returns
    -------
    numpy.ndarray of str, shape (P,)
        ``"chain"`` (:func:`chain_storage`, only a failure's freed links wait) for paths of
        at most :data:`MAX_RECOVERY_STORAGE_LINKS` elementary links, ``"chain, chain waits at
        failures"`` up to :data:`MAX_STORAGE_LINKS`, else ``"one cycle per pair
        (approximation)"``.
    """
    L = np.atleast_2d(np.asarray(length_km, float))
    hop = ~np.isnan(L)
    n = np.where(hop, segments(np.where(hop, L, 0.0), params), 0).sum(axis=1)
    return np.select(
        [n <= MAX_RECOVERY_STORAGE_LINKS, n <= MAX_STORAGE_LINKS],
        ["chain", "chain, chain waits at failures"],
        "one cycle per pair (approximation)",
    )


def rate_model(length_km, params: Params = DEFAULT) -> np.ndarray:
    """Which rate :func:`path_metrics` gives each path: the exact chain or the all-at-once bound.

    Parameters
    ----------
    length_km : array_like, shape (P, H)
        Hop lengths in km, ``nan``-padded (trailing).
    params : Params
        Physical parameters (``repeater_spacing_km``, ``swap_order``).

    Returns
    -------
    numpy.ndarray of str, shape (P,)
        ``"markov <order>"`` (:func:`chain_time`, only a failure's freed links wait) for paths
        of at most :data:`MAX_RECOVERY_LINKS` elementary links, ``"markov <order>, chain
        waits at failures"`` (``wait="chain"``, slower) up to :data:`MAX_CHAIN_LINKS`, else
        ``"all-at-once lower bound"``.
    """
    L = np.atleast_2d(np.asarray(length_km, float))
    hop = ~np.isnan(L)
    n = np.where(hop, segments(np.where(hop, L, 0.0), params), 0).sum(axis=1)
    markov = f"markov {params.swap_order}"
    return np.select(
        [n <= MAX_RECOVERY_LINKS, n <= MAX_CHAIN_LINKS],
        [markov, f"{markov}, chain waits at failures"],
        "all-at-once lower bound",
    )
