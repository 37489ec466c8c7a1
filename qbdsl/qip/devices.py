"""QPU devices as QIP sees them: the ``dwave`` and ``ibm`` backends judged from the real
properties of each device on the instance at hand, not from constants.

Each :class:`Device` is one way to run a registered backend (its ``solver`` / ``device``
option). :func:`assess` answers, for one instance, whether it fits, its predicted time and
quality, and the figures behind them (``Assessment.figures``, shown by ``Decision.explain()``):

D-Wave (``backends/dwave_backend.py``)
    The instance's QUBO is embedded for real (:func:`~qbdsl.backends.dwave_backend.embed`,
    the search bounded by :data:`EMBED_SECONDS`; cached per instance and topology, so the mock
    and the real QPU of one topology share one search). Refused when it does not embed, with
    the sizes. Time: the embedding search plus

    - real QPU: ``REMOTE_OVERHEAD_SECONDS`` (network and queue, an **assumption** stated in the
      backend: 1 s) + D-Wave's published QPU access-time model
      (:func:`~qbdsl.backends.dwave_backend.predict_qpu_access_time`, programming + reads x
      (anneal + readout(qubits) + delay); https://docs.dwavesys.com/docs/latest/c_qpu_timing.html)
      on the embedding's physical qubits;
    - mock: the mock's measured wall time (``MOCK_SETUP_SECONDS`` + reads x (1 ms + 1.5 ns per
      physical term and sweep), measured on the development machine: see the backend).

    Quality: an annealer's (``1 - slope * log2(1 + n) * log10(1 + penalty_scale)``, the slope
    of the former constant Advantage profile) less :data:`CHAIN_LOSS` per qubit of the longest
    chain beyond :data:`SAFE_CHAIN` (**assumption**: with the SDK's chain strength, chains of up
    to 5 qubits broke in at most 0.1 % of reads on the mock (K30 on Pegasus and Zephyr), and
    longer chains break more often and need a stronger chain coupling, which compresses the
    problem's own couplings into less of the QPU's coupler range).

IBM (``backends/ibm_backend.py``)
    The instance's QAOA circuit is transpiled for the device
    (:func:`~qbdsl.backends.ibm_backend.predict`: depth, two-qubit gates and layers, ESP from
    the calibration snapshot's errors, duration against T2; cached per instance and device).
    Refused when its ESP is below ``ESP_THRESHOLD`` or it outlasts the coherence (``too_deep``),
    before transpiling when a cheap bound already shows it (:func:`esp_bound`). Time: the native
    QAOA training (the ``qaoa`` profile) + transpiling + either the predicted QPU seconds
    (the backend's prediction: two-qubit layers x shots / CLOPS_h, at least the shots' repetition
    delay, + 3.07 s per job from IBM's published usage example) plus
    :data:`IBM_QUEUE_SECONDS` (**assumption**) on a real device, or the predicted noisy
    simulation time on a fake one. Quality: the ``qaoa`` profile's times the ESP
    (**assumption**: an output with an error is worth nothing).

Real devices with credentials are planned on their live properties (:func:`live_device`):
D-Wave on the solver's working graph of today (yield defects left out) and its timing data,
IBM on the backend's current calibration. Without credentials, or when the vendor cannot be
reached (the row says so), they are planned offline: D-Wave on the nominal working graph of
the topology, IBM on the calibration snapshot of the same device that ships with
qiskit-ibm-runtime (``ibm_fez`` planned from ``fake_fez``). They run only with credentials
(:func:`credentials`); the mock / fake devices are local simulations, labelled so.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..errors import BackendError, ModelError
from .features import Features
from .profiles import MAX_QAOA_QUBITS

EMBED_SECONDS = 2.0  # the most one embedding search may take inside a decision (the backend allows 60 s)
SAFE_CHAIN = 5  # longest chain (qubits) taken to cost no quality (see the module docstring)
CHAIN_LOSS = 0.01  # quality lost per qubit of the longest chain beyond SAFE_CHAIN (assumption)
DWAVE_QUALITY_SLOPE = 0.035  # loss per log2(size) per log10(1 + penalty_scale), as the former Advantage profile
IBM_QUEUE_SECONDS = 60.0  # assumption: a typical wait in IBM Quantum's queue (IBM publishes no figure)
PLAN_SEED = 0  # the transpiler's seed for planning, so a decision is reproducible
CACHE_SIZE = 64  # instances x devices kept by the embedding and transpilation caches
QUBO_CACHE_SIZE = 8  # compiled models kept (each holds its model and QUBO alive)
# Working qubits, for the check before any SDK is imported (tests compare them with the graphs)
DWAVE_QUBITS = {"advantage": 5640, "advantage2": 4800}
LIVE_RETRY_SECONDS = 60.0  # a vendor that could not be reached is not asked again for this long


@dataclass(frozen=True)
class Device:
    """One QPU (or local simulation of one) that a registered backend can run on.

    Attributes
    ----------
    name : str
        The row's name in a decision, ``"<backend>:<option value>"`` (``"dwave:advantage"``).
    backend : str
        The registered backend that runs it (``"dwave"`` or ``"ibm"``).
    option : dict
        The backend option choosing this device (``{"solver": "advantage"}``).
    real : bool
        A real QPU over the network (needs credentials); False for a local simulation.
    label : str
        What it is, in words (a simulation says it is one).
    topology : str or None
        D-Wave: the topology key (``"advantage"`` / ``"advantage2"``).
    snapshot : str or None
        IBM: the fake device whose calibration snapshot the figures come from.
    """

    name: str
    backend: str
    option: dict
    real: bool
    label: str
    topology: str | None = None
    snapshot: str | None = None


DEVICES: tuple[Device, ...] = (
    Device(
        "dwave:mock-advantage",
        "dwave",
        {"solver": "mock-advantage"},
        False,
        "local simulation: MockDWaveSampler on the Advantage graph, simulated annealing, no QPU",
        topology="advantage",
    ),
    Device(
        "dwave:mock-advantage2",
        "dwave",
        {"solver": "mock-advantage2"},
        False,
        "local simulation: MockDWaveSampler on the Advantage2 graph, simulated annealing, no QPU",
        topology="advantage2",
    ),
    Device(
        "dwave:advantage", "dwave", {"solver": "advantage"}, True, "D-Wave Advantage QPU (Pegasus P16)", "advantage"
    ),
    Device(
        "dwave:advantage2", "dwave", {"solver": "advantage2"}, True, "D-Wave Advantage2 QPU (Zephyr Z12)", "advantage2"
    ),
    Device(
        "ibm:fake_fez",
        "ibm",
        {"device": "fake_fez"},
        False,
        "local simulation: fake_fez (Heron r2) calibration snapshot on qiskit-aer, no QPU",
        snapshot="fake_fez",
    ),
    Device(
        "ibm:fake_torino",
        "ibm",
        {"device": "fake_torino"},
        False,
        "local simulation: fake_torino (Heron r1) calibration snapshot on qiskit-aer, no QPU",
        snapshot="fake_torino",
    ),
    Device(
        "ibm:fake_kyiv",
        "ibm",
        {"device": "fake_kyiv"},
        False,
        "local simulation: fake_kyiv (Eagle r3) calibration snapshot on qiskit-aer, no QPU",
        snapshot="fake_kyiv",
    ),
    Device(
        "ibm:ibm_fez",
        "ibm",
        {"device": "ibm_fez"},
        True,
        "IBM Fez QPU (Heron r2)",
        snapshot="fake_fez",
    ),
)
FAMILIES = ("dwave", "ibm")


def devices(backend: str, include_real: bool) -> list[Device]:
    """The devices of a registered backend (``"dwave"`` / ``"ibm"``), the real ones only when asked."""
    return [d for d in DEVICES if d.backend == backend and (include_real or not d.real)]


@dataclass
class Assessment:
    """One device judged on one instance.

    Attributes
    ----------
    fits : bool
        Whether it can take the instance.
    reason : str
        Why not (with the sizes), empty when it fits.
    time : float or None
        Predicted seconds of the backend's default work (None when it does not fit).
    quality : float or None
        Predicted fraction of the optimum's quality, in [0, 1].
    min_time : float or None
        Seconds of the smallest unit of work (one read) for a backend that sizes its work to a
        time limit; None otherwise.
    figures : dict
        The device's figures on this instance (physical qubits, longest chain, predicted QPU
        access time; or depth, two-qubit layers, ESP, predicted QPU time), for ``explain``.
    """

    fits: bool
    reason: str = ""
    time: float | None = None
    quality: float | None = None
    min_time: float | None = None
    figures: dict = field(default_factory=dict)


def credentials(backend: str) -> tuple[bool, str]:
    """Whether the backend's real devices can be reached from here, and how to configure them.

    Reads the SDKs' own configuration only (no network).

    Returns
    -------
    configured : bool
    how : str
        The setting and the command that configure them (or the install command when the SDK
        itself is missing).
    """
    if backend == "dwave":
        from qbdsl.backends import dwave_backend as dw

        try:
            return dw.token_configured(), dw.TOKEN_HINT
        except BackendError as exc:
            return False, str(exc)
    from qbdsl.backends import ibm_backend as ibm

    return ibm.account_configured(), ibm.ACCOUNT_HINT


_LIVE_FAILED: dict[str, tuple[float, str]] = {}


def live_device(dev: Device) -> tuple[object | None, str]:
    """A real device's live properties, when its credentials are configured.

    Returns
    -------
    (live, note)
        D-Wave: a :class:`~qbdsl.backends.dwave_backend.LiveSolver` (working graph and timing
        data of today); IBM: the backend (its ``target`` holds the current calibration).
        ``(None, "")`` for a local simulation or without credentials; ``(None, why)`` when the
        vendor could not be reached (remembered :data:`LIVE_RETRY_SECONDS`, so decisions do not
        wait on the network again): the device is then planned offline.
    """
    if not dev.real or not credentials(dev.backend)[0]:
        return None, ""
    failed = _LIVE_FAILED.get(dev.name)
    if failed is not None and time.monotonic() - failed[0] < LIVE_RETRY_SECONDS:
        return None, failed[1]
    try:
        if dev.backend == "dwave":
            from qbdsl.backends import dwave_backend as dw

            return dw.live_solver(dev.topology), ""
        from qbdsl.backends import ibm_backend as ibm

        return ibm.real_backend(dev.option["device"]), ""
    except BackendError as exc:
        note = f"live properties unavailable, planned offline ({exc})"
        _LIVE_FAILED[dev.name] = (time.monotonic(), note)
        return None, note


# ---------------------------------------------------------------- the instance's QUBO, cached
class _Lru(OrderedDict):
    """A small least-recently-used map of at most ``size`` entries."""

    def __init__(self, size: int = CACHE_SIZE):
        super().__init__()
        self.size = size

    def get_or(self, key, make):
        """The value under ``key``, made by ``make()`` (and kept) when absent."""
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_QUBOS = _Lru(QUBO_CACHE_SIZE)  # id(obj) -> (obj, QuboIR or error); obj is kept so its id stays its own
_EMBEDDINGS = _Lru()  # (structure, topology) -> EmbeddingSummary
_PREDICTIONS = _Lru()  # (structure, device) -> Prediction or refusal


def clear_caches() -> None:
    """Forget every cached QUBO, embedding, transpilation and unreachable vendor."""
    for c in (_QUBOS, _EMBEDDINGS, _PREDICTIONS, _LIVE_FAILED):
        c.clear()


def instance_qubo(obj):
    """The QUBO the backends would receive for ``obj`` (compiled once per object, then cached).

    Returns
    -------
    QuboIR

    Raises
    ------
    ModelError
        When ``obj`` does not compile to a QUBO (the compiler's reason).
    """
    from ..ir.milp import MilpIR
    from ..ir.qubo import QuboIR

    if isinstance(obj, QuboIR):
        return obj

    def make():
        from ..compiler import compile as qb_compile

        try:
            return qb_compile(obj.source if isinstance(obj, MilpIR) else obj, "qubo")
        except ModelError as exc:
            return exc

    _, q = _QUBOS.get_or(id(obj), lambda: (obj, make()))
    if isinstance(q, ModelError):
        raise q
    return q


def structure_key(q) -> str:
    """A digest of the QUBO's variables, coupled pairs and nonzero linear terms (what embedding
    and transpiling depend on; the coefficients' values do not matter to them)."""
    t = q.terms
    nz = np.asarray(t.v) != 0
    h = hashlib.blake2b(digest_size=16)
    h.update(np.int64(t.n).tobytes())
    h.update(np.ascontiguousarray(np.asarray(t.i)[nz], dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(np.asarray(t.j)[nz], dtype=np.int64).tobytes())
    h.update(np.packbits(np.asarray(t.h) != 0).tobytes())
    return h.hexdigest()


def _couplers(q) -> int:
    return int(np.count_nonzero(q.terms.v))


# ---------------------------------------------------------------- quality models
def annealer_quality(f: Features) -> float:
    """An annealer's predicted quality before its chains are known (see the module docstring)."""
    n = max(f.qubo_binaries, 1)
    return max(0.0, min(1.0, 1.0 - DWAVE_QUALITY_SLOPE * math.log2(1 + n) * math.log10(1 + f.penalty_scale)))


def chain_quality(base: float, longest_chain: int) -> float:
    """``base`` less :data:`CHAIN_LOSS` per qubit of the longest chain beyond :data:`SAFE_CHAIN`, in [0, 1]."""
    return max(0.0, min(1.0, base - CHAIN_LOSS * max(0, longest_chain - SAFE_CHAIN)))


# ---------------------------------------------------------------- D-Wave
def bound_dwave(dev: Device, f: Features) -> tuple[float, float]:
    """(a lower bound on the predicted time, an upper bound on the quality) without embedding:
    chains of one qubit, the logical model's size."""
    from qbdsl.backends import dwave_backend as dw

    n = max(f.qubo_binaries, 1)
    if dev.real:
        t = dw.REMOTE_OVERHEAD_SECONDS  # programming and reads come on top
    else:
        t = dw.MOCK_SETUP_SECONDS + dw.mock_read_seconds(n + f.qubo_couplers)  # one read at least
    return t, annealer_quality(f)


def assess_dwave(dev: Device, obj, f: Features) -> Assessment:
    """Embed the instance on the device's topology and predict time and quality from the embedding.

    Returns
    -------
    Assessment
        Refused (with the sizes) when the instance is no QUBO, has more variables than the
        topology has qubits, or does not embed within :data:`EMBED_SECONDS`.
    """
    from qbdsl.backends import dwave_backend as dw

    live, note = live_device(dev)
    qubits = DWAVE_QUBITS[dev.topology] if live is None else live.graph.number_of_nodes()
    if f.qubo_binaries > qubits:  # cheap checks first: no compile, no SDK
        return Assessment(False, f"{f.qubo_binaries} binaries exceed the {qubits} working qubits of {dev.label}")
    try:
        q = instance_qubo(obj)
        dw.preload()
    except (ModelError, BackendError) as exc:
        return Assessment(False, str(exc))
    if q.n > qubits:
        return Assessment(False, f"{q.n} binaries exceed the {qubits} working qubits of {dev.label}")
    graph, timing = (dev.topology, None) if live is None else (live.graph, live.timing)
    where = live.name if live is not None else dev.topology
    key = (structure_key(q), where, qubits)
    summary = _EMBEDDINGS.get_or(
        key, lambda: dw.embed(q, graph, timeout=EMBED_SECONDS, seed=PLAN_SEED, label=dev.label)
    )
    if not summary.ok:  # the search may be shared with another device of the topology: name this one
        refusal = summary.refusal.replace(summary.topology, dev.label)
        return Assessment(False, refusal + f" (QIP searches {EMBED_SECONDS:g} s; the backend up to 60 s)")
    reads = dw.DEFAULT_READS
    phys = max(summary.physical_qubits, 1)
    access = dw.predict_qpu_access_time(phys, reads, topology=dev.topology, timing_data=timing)
    figures = {
        "physical qubits": summary.physical_qubits,
        "longest chain": summary.longest_chain,
        "embedding": f"{summary.method}, {summary.seconds:.2f} s",
        "predicted QPU access time": f"{access * 1e3:.1f} ms ({reads} reads)",
    }
    if dev.real:
        figures["planned on"] = (
            f"the live working graph of {live.name} ({qubits} qubits) and its timing data"
            if live is not None
            else f"the nominal {dev.topology} graph ({qubits} qubits){'; ' + note if note else ''}"
        )
    if dev.real:
        t = summary.seconds + dw.REMOTE_OVERHEAD_SECONDS + access
        t_min = (
            summary.seconds
            + dw.REMOTE_OVERHEAD_SECONDS
            + dw.predict_qpu_access_time(phys, 1, topology=dev.topology, timing_data=timing)
        )
        figures["overhead"] = f"{dw.REMOTE_OVERHEAD_SECONDS:g} s network and queue (assumption)"
    else:
        links = phys - summary.num_variables
        per_read = dw.mock_read_seconds(phys + links + summary.num_couplers)
        t = summary.seconds + dw.MOCK_SETUP_SECONDS + reads * per_read
        t_min = summary.seconds + dw.MOCK_SETUP_SECONDS + per_read
        figures["simulated in"] = f"{t:.3g} s here (measured rate)"
    return Assessment(True, "", t, chain_quality(annealer_quality(f), summary.longest_chain), t_min, figures)


# ---------------------------------------------------------------- IBM
def esp_bound(snapshot, two_qubit_gates: int) -> float:
    """An upper bound on the ESP of a circuit with at least ``two_qubit_gates`` two-qubit gates on
    the device: each at the smallest two-qubit error of its calibration (``snapshot``: a fake
    device's name, or a backend object: a live one)."""
    e = _snapshot_two_qubit_error(snapshot) if isinstance(snapshot, str) else _two_qubit_error(snapshot.target)
    return (1.0 - min(e, 1.0)) ** two_qubit_gates


def _two_qubit_error(target) -> float:
    """The smallest two-qubit gate error of a backend's ``target`` (0 when it reports none)."""
    errors = [
        ip.error
        for name in target.operation_names
        for qargs, ip in (target[name] or {}).items()
        if qargs is not None and len(qargs) == 2 and ip is not None and ip.error is not None
    ]
    return min(errors, default=0.0)


@functools.cache
def _snapshot_two_qubit_error(snapshot: str) -> float:
    """:func:`_two_qubit_error` of a fake device's fixed calibration snapshot, read once (scanning
    it was a third of a decision's time: each decision asks for it on every IBM row)."""
    from qbdsl.backends import ibm_backend as ibm

    return _two_qubit_error(ibm.fake_backend(snapshot).target)


def _ibm_limit(dev: Device) -> tuple[int, str]:
    """The most variables the device takes here, and why that many."""
    from qbdsl.backends import ibm_backend as ibm

    if not dev.real:
        return ibm.MAX_SIMULATED_QUBITS, f"the {ibm.MAX_SIMULATED_QUBITS} qubits a noisy simulation of it takes here"
    return MAX_QAOA_QUBITS, (
        f"the {MAX_QAOA_QUBITS} qubits on which its QAOA angles can be trained (native statevector)"
    )


def bound_ibm(dev: Device, f: Features, profiles: dict) -> tuple[float, float]:
    """(a lower bound on the predicted time, an upper bound on the quality) without transpiling."""
    from qbdsl.backends import ibm_backend as ibm

    train = profiles["qaoa"].predict_time(f) if "qaoa" in profiles else 0.0
    t = train + (ibm.JOB_OVERHEAD_SECONDS + IBM_QUEUE_SECONDS if dev.real else ibm.SIM_SETUP_SECONDS)
    return t, _qaoa_quality(f, profiles)


def _qaoa_quality(f: Features, profiles: dict) -> float:
    prof = profiles.get("qaoa")
    return 1.0 if prof is None else prof.predict_quality(f)


def assess_ibm(dev: Device, obj, f: Features, profiles: dict) -> Assessment:
    """Transpile the instance's QAOA circuit for the device and predict from its calibration data.

    Returns
    -------
    Assessment
        Refused when the instance is no QUBO, is larger than the device takes here (the sizes),
        or its circuit is too deep (ESP below the threshold, or longer than T2: said so).
    """
    from qbdsl.backends import ibm_backend as ibm

    limit, why = _ibm_limit(dev)
    if f.qubo_binaries > limit:
        return Assessment(False, f"{f.qubo_binaries} binaries exceed {why}")
    try:
        q = instance_qubo(obj)
        ibm.preload()
    except (ModelError, BackendError) as exc:
        return Assessment(False, str(exc))
    if q.n > limit:
        return Assessment(False, f"{q.n} binaries exceed {why}")
    live, note = live_device(dev)
    name = dev.snapshot if live is None else dev.option["device"]
    layers = ibm.DEFAULTS["layers"]
    bound = esp_bound(dev.snapshot if live is None else live, _couplers(q) * layers)
    if bound < ibm.ESP_THRESHOLD:
        return Assessment(
            False,
            f"too deep for {name}: {_couplers(q) * layers} two-qubit gates at least, so an estimated "
            f"success probability of at most {bound:.3g}, below {ibm.ESP_THRESHOLD:g} (not transpiled)",
        )

    def make():
        try:
            return ibm.predict(q, name, layers=layers, shots=ibm.DEFAULTS["shots"], seed=PLAN_SEED)
        except BackendError as exc:
            return exc

    # a live calibration is keyed by the time it was read, so a re-read is a new prediction
    stamp = "" if live is None else ibm._REAL.get(name, (0.0,))[0]
    p = _PREDICTIONS.get_or((structure_key(q), name, stamp), make)
    if isinstance(p, BackendError):
        return Assessment(False, str(p))
    figures = {
        "depth": p.depth,
        "two-qubit layers": p.two_qubit_depth,
        "two-qubit gates": p.two_qubit_gates,
        "ESP": f"{p.esp:.3g}",
        "predicted QPU time": f"{p.predicted_qpu_seconds:.3g} s",
        "calibration": (
            f"{dev.snapshot} snapshot {p.snapshot_date or '(undated)'}"
            + ("" if not dev.real else " (planned offline" + (f": {note})" if note else ": no account)"))
            if live is None
            else f"live from {name}, {p.snapshot_date or 'undated'}"
        ),
    }
    if p.too_deep:
        return Assessment(False, f"too deep for {name}: {p.too_deep}", figures=figures)
    train = profiles["qaoa"].predict_time(f) if "qaoa" in profiles else 0.0
    if dev.real:
        run = p.predicted_qpu_seconds + IBM_QUEUE_SECONDS
        figures["queue"] = f"{IBM_QUEUE_SECONDS:g} s (assumption)"
    else:
        run = p.simulation_seconds or 0.0
        figures["simulated in"] = f"{run:.3g} s here (predicted)"
    t = train + p.transpile_seconds + run
    return Assessment(True, "", t, _qaoa_quality(f, profiles) * p.esp, None, figures)


def assess(dev: Device, obj, f: Features, profiles: dict) -> Assessment:
    """Judge ``dev`` on the instance ``obj`` (features ``f``); cheap checks before any SDK work.

    Parameters
    ----------
    dev : Device
        The device (one of :data:`DEVICES`).
    obj : Model, Problem, QuboIR or MilpIR
        The instance.
    f : Features
        Its features (:func:`qbdsl.qip.features`).
    profiles : dict
        The profiles in use (the ``qaoa`` one times and scores an IBM device's training).

    Returns
    -------
    Assessment
    """
    if not f.qubo_ok:
        return Assessment(False, f"cannot take it as a QUBO ({f.qubo_reason})")
    return assess_dwave(dev, obj, f) if dev.backend == "dwave" else assess_ibm(dev, obj, f, profiles)


def size_refusal(dev: Device, f: Features) -> str:
    """Why the device cannot take the instance by its size alone, from the features (no
    embedding, no transpiling, no vendor call: a D-Wave device's nominal qubits), or ""."""
    if dev.backend == "dwave":
        qubits = DWAVE_QUBITS[dev.topology]
        if f.qubo_binaries > qubits:
            return f"{f.qubo_binaries} binaries exceed the {qubits} working qubits of {dev.label}"
        return ""
    limit, why = _ibm_limit(dev)
    return f"{f.qubo_binaries} binaries exceed {why}" if f.qubo_binaries > limit else ""


def bound(dev: Device, f: Features, profiles: dict) -> tuple[float, float]:
    """(a lower bound on the device's predicted time, an upper bound on its quality), without
    embedding or transpiling (what :func:`assess` could at best find)."""
    return bound_dwave(dev, f) if dev.backend == "dwave" else bound_ibm(dev, f, profiles)
