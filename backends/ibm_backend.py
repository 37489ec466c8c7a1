"""QAOA on IBM Quantum devices: angles trained on the native simulator, the circuit run by SamplerV2.

The ``ibm`` backend

1. trains the QAOA angles on qbdsl's own statevector (``backends.qaoa``: the same optimizer,
   restarts and INTERP schedule as the ``qaoa`` backend, with energies normalized to [0, 1]);
2. writes the QAOA circuit for the QUBO with qiskit (:func:`qaoa_circuit`: ``RZ``/``RZZ`` phase
   layers from the Ising form of the QUBO, ``RX`` mixers; qubit q is variable q, measured into
   classical bit q), with the angles as parameters;
3. transpiles it once to the device's instruction set and coupling map
   (``generate_preset_pass_manager``), then binds the trained angles;
4. samples it with ``SamplerV2``: on the real backend when the device is a real one and an IBM
   Quantum account is configured; on a fake device (``fake_fez``, ``fake_torino``, ...: the
   calibration snapshots that ship with qiskit-ibm-runtime) with qiskit-aer and a noise model
   built from the snapshot for the circuit's active physical qubits only (:func:`noise_model`).

Every shot's bitstring comes back in the QUBO's variables with its count and its QUBO energy.

Timing figures (:func:`predict`, also in every result's ``info``)
-----------------------------------------------------------------
IBM publishes no offline per-shot formula; what it publishes is the CLOPS_h of each device (circuit
layer operations per second, a "layer" being one layer of two-qubit gates over the device, in the
backend configuration as ``clops_h``) and the job usage model (usage = the quantum time during
which the QPU is locked for the job):

- https://quantum.cloud.ibm.com/docs/guides/estimate-job-run-time
- https://docs.quantum.ibm.com/guides/estimate-job-run-time
- https://qiskit.github.io/documentation/pr-2592/guides/minimize-time
- CLOPS: https://www.wikiwand.com/en/articles/CLOPS (IBM 2021; CLOPS_h, the hardware-layer
  version, since 2023)

The prediction here is ``execution_seconds = shots x max(two_qubit_layers / clops_h,
default_rep_delay)`` (CLOPS_h read as a throughput of two-qubit layers per second;
**assumption**: that a QAOA layer runs at the rate of the CLOPS_h benchmark's layers; the second
term is a floor from the same snapshot: a shot cannot repeat faster than the repetition delay,
250 us on Heron and Eagle; the orchestration model times a shot by the same rule,
:func:`qbdsl.orchestrate.model.per_shot_seconds`, with ``shot_seconds`` = the delay) plus
``JOB_OVERHEAD_SECONDS`` per job (3.07 s: IBM's published usage estimate of a Bell-circuit job,
4.11 s at 4096 shots, less those shots' 1.03 s; one example, so an estimate: loading the
circuit, compilation on the device side and readout transfer).
Queueing is not included. A device without ``clops_h`` in its configuration is given
``DEFAULT_CLOPS_H`` (**assumption**: IBM's 250 k figure for Heron).

The estimated success probability (ESP) is the product of ``1 - error`` over every gate and
measurement of the transpiled circuit, with the errors of the calibration snapshot
(``backend.target``). A circuit is flagged too deep for the device (``info["too_deep"]``, with
the reason) when its ESP is below ``ESP_THRESHOLD`` or its estimated duration exceeds the
shortest T2 among its active qubits; it is run all the same.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from qbdsl.errors import BackendError, OptionError

from .base import BackendOutput, Capabilities, Option, validate_options
from .budget import Budget, require_import
from .exact import dense_coefficients, energy_table
from .qaoa import LAYER_SECONDS, TABLE_SECONDS, QaoaBackend, sampling_seconds

OPTIONS = {
    "device": Option(str),  # a fake device ("fake_fez") or a real backend's name ("ibm_fez")
    "shots": Option(int, 1, 100_000),  # the devices' max_shots
    "layers": Option(int, 1, 20),  # QAOA layers p
    "optimization_level": Option(int, 0, 3),
    "noise_scale": Option(float, 0.0, 10.0),  # fake devices: every error rate times this (0: noiseless)
}
DEFAULTS = {"device": "fake_fez", "shots": 4000, "layers": 1, "optimization_level": 3, "noise_scale": 1.0}

# Per-job QPU time beyond the shots, from IBM's one published usage figure: the "Workload usage"
# guide (https://quantum.cloud.ibm.com/docs/guides/estimate-job-run-time) shows
# job.usage_estimation == {'quantum_seconds': 4.1058720028432445} for a two-qubit Bell circuit
# at SamplerV2's default 4096 shots; its shots take 4096 x (250 us default_rep_delay + ~2 us of
# circuit and readout) = 1.03 s, leaving 3.07 s per job. One example on an unnamed device: an
# estimate, used by the backend's prediction and by the orchestration's IBM fleet alike.
PUBLISHED_USAGE_SECONDS = 4.1058720028432445
PUBLISHED_USAGE_SHOTS = 4096
PUBLISHED_SHOT_SECONDS = 250e-6 + 2e-6
JOB_OVERHEAD_SECONDS = round(PUBLISHED_USAGE_SECONDS - PUBLISHED_USAGE_SHOTS * PUBLISHED_SHOT_SECONDS, 2)  # 3.07 s
DEFAULT_CLOPS_H = 250_000.0  # assumption: IBM's published Heron figure, for a configuration without clops_h
ESP_THRESHOLD = 0.1  # below this estimated success probability a circuit is flagged too deep
CONNECT_TIMEOUT_SECONDS = 30.0  # the most a call to IBM Quantum may take to answer (service, backend lookup)
INSTALL_HINT = "pip install qbdsl[ibm]"
ACCOUNT_HINT = (
    "set the environment variable QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE), or run once "
    "QiskitRuntimeService.save_account(channel='ibm_quantum_platform', token=..., instance=..., "
    "set_as_default=True)"
)

# Fake devices: noisy simulation on qiskit-aer over the circuit's active physical qubits q, by
# the cheaper of a density matrix (16 * 4^q bytes; up to MAX_DENSITY_QUBITS) and statevector
# trajectories (one per shot). Figures measured on the 2-core development VM (under load) for
# QAOA circuits of 8-15 active qubits on fake_fez / fake_kyiv / fake_torino, rounded up: the
# density matrix costs ~1.5 ns per gate and entry (4^q: 15-30 s at 12 qubits and 600 gates),
# a trajectory ~4 ns per gate and amplitude (2^q) and shot (10-20 s for 1000 shots at 12 qubits,
# 100 s for 4000 at 15). The time grows 4x per qubit, so fake devices refuse circuits on more
# than MAX_SIMULATED_QUBITS active qubits.
MAX_DENSITY_QUBITS = 13
MAX_SIMULATED_QUBITS = 16
SIM_SETUP_SECONDS = 0.3
DENSITY_SECONDS = 1.5e-9  # per gate and density-matrix entry (4^q)
TRAJECTORY_SECONDS = 4e-9  # per gate, amplitude (2^q) and shot
TRANSPILE_SECONDS_PER_GATE = 2e-3  # preset pass manager, level 2-3, per logical gate (upper figure)


# measured: importing qiskit_ibm_runtime takes 0.9 s on the 2-core VM (qiskit already loaded);
# counted when not imported yet
RUNTIME_IMPORT_SECONDS = 1.2


def preload() -> None:
    """Import qiskit-ibm-runtime now, so a later timed call does not spend its limit importing it.

    Raises
    ------
    BackendError
        When qiskit-ibm-runtime is not installed (``pip install qbdsl[ibm]``).
    """
    _require_runtime()


def _require_runtime():
    """The ``qiskit_ibm_runtime`` module.

    Raises
    ------
    BackendError
        When qiskit-ibm-runtime is not installed, naming ``pip install qbdsl[ibm]``.
    """
    try:
        import qiskit_ibm_runtime
    except ImportError as exc:
        raise BackendError(f"ibm: the ibm backend needs qiskit-ibm-runtime: {INSTALL_HINT} ({exc})") from None
    return qiskit_ibm_runtime


def is_fake(device: str) -> bool:
    """Whether ``device`` names a fake (snapshot) device: ``fake_<name>`` or ``Fake<Name>``."""
    return device.lower().startswith("fake")


def fake_name(device: str) -> str:
    """The canonical name of a fake device: ``"FakeFez"``, ``"fake-fez"`` -> ``"fake_fez"``."""
    rest = device.lower()[4:].lstrip("_-")
    return f"fake_{rest}"


@lru_cache(maxsize=16)
def fake_backend(device: str):
    """The qiskit-ibm-runtime fake backend for ``device`` (built once per process).

    Raises
    ------
    BackendError
        When qiskit-ibm-runtime is missing or no fake device of that name ships with it (the
        ones that do are listed).
    """
    _require_runtime()
    from qiskit_ibm_runtime import fake_provider

    name = fake_name(device)
    cls = getattr(fake_provider, "Fake" + name[5:].title(), None)
    if cls is None:
        known = sorted(c[4:].lower() for c in dir(fake_provider) if c.startswith("Fake") and "Provider" not in c)
        raise BackendError(
            f"ibm: no fake device {device!r} in qiskit-ibm-runtime; known: {', '.join('fake_' + k for k in known)}"
        )
    return cls()


def rep_delay_seconds(backend) -> float:
    """The device's repetition delay between shots, ``default_rep_delay`` of its configuration
    (250 us on Heron and Eagle), in seconds; 0 when the configuration has none."""
    return float(_config(backend).get("default_rep_delay") or 0.0) * 1e-6


def account_configured() -> bool:
    """Whether an IBM Quantum account is configured (``QISKIT_IBM_TOKEN`` or a saved account).

    Reads the environment and qiskit-ibm-runtime's account file only; no network call.
    """
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        return bool(QiskitRuntimeService.saved_accounts())
    except Exception:  # a missing, unreadable or malformed account file: no account
        return False


CRN_FIELDS = 10  # crn:version:cname:ctype:service-name:location:scope:service-instance:resource-type:resource
CRN_FORMAT = "https://cloud.ibm.com/docs/account?topic=account-crn#format-crn"


def check_instance() -> None:
    """Refuse a malformed instance CRN before qiskit-ibm-runtime parses it (it fails inside with
    ``AttributeError: 'NoneType' object has no attribute 'group'``).

    Checks ``QISKIT_IBM_INSTANCE`` and the default saved account's instance: one that starts
    with ``crn:`` must have IBM Cloud's ten colon-separated fields (:data:`CRN_FORMAT`); an
    instance name (not a CRN) is left to IBM Quantum to accept or refuse.

    Raises
    ------
    BackendError
        Naming where the instance came from, its value, and the format.
    """
    found = []
    if os.environ.get("QISKIT_IBM_INSTANCE"):
        found.append(("the environment variable QISKIT_IBM_INSTANCE", os.environ["QISKIT_IBM_INSTANCE"]))
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        for name, acct in (QiskitRuntimeService.saved_accounts() or {}).items():
            if isinstance(acct, dict) and acct.get("instance"):
                found.append((f"the saved account {name!r}", str(acct["instance"])))
    except Exception:  # no readable account file: nothing saved to check
        pass
    for where, value in found:
        if value.startswith("crn:") and value.count(":") != CRN_FIELDS - 1:
            raise BackendError(
                f"ibm: the instance in {where} is not a valid IBM Cloud CRN ({value!r}: expected "
                f"crn:v1:bluemix:public:quantum-computing:<region>:a/<account>:<instance>::, {CRN_FORMAT}); "
                f"{ACCOUNT_HINT}"
            )


def _bounded(call, seconds: float, what: str):
    """``call()`` in a daemon thread, waited for at most ``seconds``.

    Raises
    ------
    BackendError
        When it raised (the error is named) or did not answer within ``seconds``.
    """
    box: dict = {}

    def run():
        try:
            box["value"] = call()
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True, name="qbdsl-ibm")
    thread.start()
    thread.join(max(seconds, 0.0))
    if thread.is_alive():
        raise BackendError(
            f"ibm: {what}: no answer within {seconds:.3g} s (network failure?); check the network and the "
            f"account ({ACCOUNT_HINT})"
        )
    if "error" in box:
        exc = box["error"]
        raise BackendError(
            f"ibm: {what} failed: {type(exc).__name__}: {exc}; check the token and the network ({ACCOUNT_HINT})"
        ) from exc
    return box["value"]


def real_backend(device: str, timeout: float = CONNECT_TIMEOUT_SECONDS):
    """The real IBM Quantum backend ``device``, through the configured account (kept
    :data:`REAL_TTL_SECONDS`, so a decision and the run that follows connect once).

    Raises
    ------
    BackendError
        Without an account (naming the setting and the command to configure one), or when IBM
        Quantum refuses the token or cannot be reached within ``timeout`` seconds.
    """
    _require_runtime()
    if not account_configured():
        raise BackendError(
            f"ibm: device {device!r} is a real IBM Quantum backend and no IBM Quantum account is configured: "
            f"{ACCOUNT_HINT}. The fake devices (fake_fez, fake_marrakesh, fake_torino, fake_kyiv, "
            "fake_sherbrooke) need no account."
        )

    check_instance()
    hit = _REAL.get(device)
    if hit is not None and time.monotonic() - hit[0] < REAL_TTL_SECONDS:
        return hit[1]

    def connect():
        from qiskit_ibm_runtime import QiskitRuntimeService

        return QiskitRuntimeService().backend(device)

    backend = _bounded(connect, timeout, f"connecting to IBM Quantum for backend {device!r}")
    _REAL[device] = (time.monotonic(), backend)
    return backend


REAL_TTL_SECONDS = 900.0  # a real backend (its target: today's calibration) is re-read after this long
_REAL: dict = {}  # device -> (time read, backend)


def device_backend(device: str, timeout: float = CONNECT_TIMEOUT_SECONDS):
    """The backend for ``device``: a fake one (no account needed) or a real one.

    Raises
    ------
    BackendError
        See :func:`fake_backend` and :func:`real_backend`.
    """
    return fake_backend(fake_name(device)) if is_fake(device) else real_backend(device, timeout)


# ---------------------------------------------------------------- circuit
def ising_coefficients(terms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The QUBO as ``const + sum_q z_q Z_q + sum_k zz_k Z_i Z_j`` (``y = (1 - Z) / 2``).

    Parameters
    ----------
    terms : QuboTerms
        Upper-triangular QUBO over n binaries.

    Returns
    -------
    z : ndarray, shape (n,)
        The coefficient of each Z_q.
    i, j : ndarray of int, shape (m,)
        The coupled pairs (i < j).
    zz : ndarray, shape (m,)
        The coefficient of each Z_i Z_j (``v / 4``).
    """
    i, j, v = np.asarray(terms.i), np.asarray(terms.j), np.asarray(terms.v, float)
    z = -0.5 * np.asarray(terms.h, float)
    np.subtract.at(z, i, v / 4)
    np.subtract.at(z, j, v / 4)
    return z, i, j, v / 4


def energy_scale(terms) -> float:
    """``1 / (max E - min E)`` over all 2^n states (1 when the energy is constant): the
    normalization the native QAOA trains its angles with (``normalize=True``)."""
    h, J = dense_coefficients(terms)
    E = energy_table(h, J, 0.0)
    span = float(E.max() - E.min())
    return 1.0 / span if span > 0 else 1.0


def qaoa_circuit(terms, layers: int, scale: float = 1.0):
    """The QAOA circuit of a QUBO, with its angles as parameters.

    Layer l applies ``exp(-i gamma_l scale E)`` (``RZ`` and ``RZZ`` gates, the constant
    dropped) then ``exp(-i beta_l X)`` on every qubit (``RX(2 beta_l)``), from ``H`` on all
    qubits; qubit q is variable q and is measured into classical bit q of the register ``c``,
    so the same angles give the state of :class:`backends.qaoa.Statevector` on ``scale * E``.

    Parameters
    ----------
    terms : QuboTerms
        The QUBO, n binaries.
    layers : int
        QAOA layers p.
    scale : float
        Multiplies the energies in the phase (see :func:`energy_scale`).

    Returns
    -------
    circuit : QuantumCircuit
        n qubits, n classical bits.
    gammas, betas : ParameterVector
        The p phase and p mixer angles (radians).
    """
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import ParameterVector

    n = terms.n
    z, ii, jj, zz = ising_coefficients(terms)
    gammas, betas = ParameterVector("gamma", layers), ParameterVector("beta", layers)
    qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(n, "c"))
    qc.h(range(n))
    lin = np.flatnonzero(z)
    quad = np.flatnonzero(zz)
    for l in range(layers):
        g = gammas[l]
        for k in quad:
            qc.rzz(float(2 * scale * zz[k]) * g, int(ii[k]), int(jj[k]))
        for q in lin:
            qc.rz(float(2 * scale * z[q]) * g, int(q))
        qc.rx(2 * betas[l], range(n))
    qc.measure(range(n), range(n))
    return qc, gammas, betas


def dense_terms(n: int):
    """A QUBO on n binaries coupling every pair (the worst case for routing), for predictions
    made from a size alone."""
    from qbdsl.ir.terms import QuboTerms

    i, j = np.triu_indices(n, 1)
    return QuboTerms.from_coo(n, -np.ones(n), i, j, 2.0 * np.ones(len(i)))


def transpile(circuit, backend, optimization_level: int, seed: int | None):
    """``circuit`` transpiled to ``backend``'s instruction set and coupling map (preset pass manager)."""
    from qiskit.transpiler import generate_preset_pass_manager

    pm = generate_preset_pass_manager(optimization_level=optimization_level, backend=backend, seed_transpiler=seed)
    return pm.run(circuit)


# ---------------------------------------------------------------- calibration figures
def active_qubits(tqc) -> list[int]:
    """The physical qubits that the transpiled circuit acts on, ascending."""
    return sorted({tqc.find_bit(q).index for inst in tqc.data if inst.operation.name != "barrier" for q in inst.qubits})


def _qargs(tqc, inst) -> tuple[int, ...]:
    return tuple(tqc.find_bit(q).index for q in inst.qubits)


def esp(tqc, target, noise_scale: float = 1.0) -> float:
    """Estimated success probability: the product of ``1 - noise_scale * error`` over every gate
    and measurement of ``tqc`` (errors from ``target``; gates without one count as perfect)."""
    logp = 0.0
    for inst in tqc.data:
        name = inst.operation.name
        if name in ("barrier", "delay") or name not in target:
            continue
        ip = target[name].get(_qargs(tqc, inst))
        if ip is not None and ip.error is not None:
            p = 1.0 - min(1.0, noise_scale * ip.error)
            if p <= 0:
                return 0.0
            logp += math.log(p)
    return math.exp(logp)


def two_qubit_stats(tqc) -> tuple[int, int]:
    """(two-qubit gate count, two-qubit depth: the layers of two-qubit gates) of ``tqc``."""
    count = sum(1 for inst in tqc.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")
    depth = tqc.depth(lambda inst: inst.operation.num_qubits == 2 and inst.operation.name != "barrier")
    return count, depth


def _config(backend) -> dict:
    """The backend configuration's fields (fake: the bundled ``conf_*.json``; real: ``configuration()``)."""
    conf = getattr(backend, "_conf_dict", None)
    if isinstance(conf, dict):
        return conf
    try:
        return backend.configuration().to_dict()
    except Exception:  # a backend without a configuration: the defaults apply
        return {}


def snapshot_date(backend) -> str | None:
    """The ``last_update_date`` of the backend's calibration data (ISO 8601), if it has one."""
    try:
        props = backend.properties()
        date = getattr(props, "last_update_date", None)
        return None if date is None else date.isoformat()
    except Exception:  # no properties: no date
        return None


def clops_h(backend) -> tuple[float, bool]:
    """(CLOPS_h of the backend, whether it came from its configuration) -- else ``DEFAULT_CLOPS_H``."""
    value = _config(backend).get("clops_h")
    if isinstance(value, (int, float)) and value > 0:
        return float(value), True
    return DEFAULT_CLOPS_H, False


def simulation_seconds(active: int, gates: int, shots: int) -> float:
    """Predicted seconds to sample ``shots`` of a circuit of ``gates`` gates on ``active`` qubits
    with noise on qiskit-aer, by the cheaper of a density matrix and trajectories."""
    return SIM_SETUP_SECONDS + min(_simulation_costs(active, gates, shots).values())


def _simulation_costs(active: int, gates: int, shots: int) -> dict[str, float]:
    """Predicted seconds of each qiskit-aer method that may simulate the circuit."""
    costs = {"statevector": TRAJECTORY_SECONDS * 2.0**active * gates * shots}
    if active <= MAX_DENSITY_QUBITS:
        costs["density_matrix"] = DENSITY_SECONDS * 4.0**active * gates
    return costs


@dataclass(frozen=True)
class Prediction:
    """What a run on a device would look like, from the transpiled circuit and the calibration
    data, without sampling (see :func:`predict`).

    Attributes
    ----------
    device : str
        The device's name.
    qubits : int
        Logical qubits (QUBO variables).
    layers, shots : int
        QAOA layers and shots the figures are for.
    active_qubits : int
        Physical qubits the transpiled circuit touches (routing may add some).
    depth : int
        Depth of the transpiled circuit.
    two_qubit_gates, two_qubit_depth : int
        Its two-qubit gate count and the layers of two-qubit gates.
    esp : float
        Estimated success probability in (0, 1] (see :func:`esp`).
    duration_seconds : float or None
        Estimated duration of one shot from the gate durations (s).
    min_t2_seconds : float or None
        The shortest T2 among the active qubits (s).
    too_deep : str or None
        Why the circuit is too deep for the device's coherence, or None.
    snapshot_date : str or None
        When the calibration data were taken (ISO 8601).
    clops_h : float
        Layers per second the time figures use; ``clops_h_published`` says whether it is the
        device's own (else ``DEFAULT_CLOPS_H``).
    execution_seconds : float
        ``shots * max(two_qubit_depth / clops_h, default_rep_delay)`` (s): proportional to shots,
        the orchestration model's rule (:func:`qbdsl.orchestrate.model.per_shot_seconds`).
    predicted_qpu_seconds : float
        ``execution_seconds + JOB_OVERHEAD_SECONDS`` (s), queueing excluded.
    simulation_seconds : float or None
        Predicted noisy simulation time here (fake devices; None for real ones).
    transpile_seconds : float
        Seconds the transpilation took.
    """

    device: str
    qubits: int
    layers: int
    shots: int
    active_qubits: int
    depth: int
    two_qubit_gates: int
    two_qubit_depth: int
    esp: float
    duration_seconds: float | None
    min_t2_seconds: float | None
    too_deep: str | None
    snapshot_date: str | None
    clops_h: float
    clops_h_published: bool
    execution_seconds: float
    predicted_qpu_seconds: float
    simulation_seconds: float | None
    transpile_seconds: float

    def as_dict(self) -> dict:
        """The figures as a plain dict (JSON-ready)."""
        return asdict(self)


def _figures(tqc, backend, device: str, n: int, layers: int, shots: int, noise_scale: float, t_transpile: float):
    target = backend.target
    active = active_qubits(tqc)
    count, depth2 = two_qubit_stats(tqc)
    p = esp(tqc, target, noise_scale)
    try:
        duration = float(tqc.estimate_duration(target, unit="s"))
    except Exception:  # a target without durations
        duration = None
    props = [backend.qubit_properties(q) for q in active]
    t2s = [qp.t2 for qp in props if qp is not None and qp.t2]
    min_t2 = min(t2s) if t2s else None
    reasons = []
    if p < ESP_THRESHOLD:
        reasons.append(f"estimated success probability {p:.3g} is below {ESP_THRESHOLD:g}")
    if duration is not None and min_t2 is not None and duration > min_t2:
        reasons.append(f"its duration {duration * 1e6:.3g} us exceeds the shortest T2 {min_t2 * 1e6:.3g} us")
    rate, published = clops_h(backend)
    execution = shots * max(depth2 / rate, rep_delay_seconds(backend))
    sim = simulation_seconds(len(active), len(tqc.data), shots) if is_fake(device) else None
    return Prediction(
        device=device,
        qubits=n,
        layers=layers,
        shots=shots,
        active_qubits=len(active),
        depth=tqc.depth(),
        two_qubit_gates=count,
        two_qubit_depth=depth2,
        esp=p,
        duration_seconds=duration,
        min_t2_seconds=min_t2,
        too_deep="; ".join(reasons) or None,
        snapshot_date=snapshot_date(backend),
        clops_h=rate,
        clops_h_published=published,
        execution_seconds=execution,
        predicted_qpu_seconds=execution + JOB_OVERHEAD_SECONDS,
        simulation_seconds=sim,
        transpile_seconds=t_transpile,
    )


def _check_size(n: int, backend, device: str, simulate: bool) -> None:
    """Refuse more variables than the device's qubits, or (``simulate``) than a noisy simulation takes."""
    if n > backend.num_qubits:
        raise BackendError(f"ibm: {n} variables exceed the {backend.num_qubits} qubits of device {device!r}")
    if simulate and n > MAX_SIMULATED_QUBITS:
        raise BackendError(
            f"ibm: {n} variables exceed the {MAX_SIMULATED_QUBITS} qubits that a noisy simulation of the fake "
            f"device {device!r} can take here (on a real device the limit is the native QAOA training's "
            "statevector, about 26 qubits, not the device's qubits)"
        )


def predict(
    ir_or_n_qubits, device: str = DEFAULTS["device"], layers: int = 1, shots: int = 4000, **options
) -> Prediction:
    """Transpile the QAOA circuit for a device and report its figures, without sampling.

    Parameters
    ----------
    ir_or_n_qubits : QuboIR or int
        The QUBO whose circuit is predicted, or a number of qubits n (then a QUBO coupling every
        pair, the worst case for routing).
    device : str
        A fake device (``"fake_fez"``) or a real backend name (needs an account).
    layers : int
        QAOA layers p.
    shots : int
        Shots the time figures are for.
    **options
        ``optimization_level`` (default 3), ``noise_scale`` (1.0; scales the errors in the ESP),
        ``seed`` (transpiler seed).

    Returns
    -------
    Prediction
        Depth, two-qubit gates and layers, ESP, coherence flag, snapshot date, predicted QPU time.

    Raises
    ------
    OptionError
        An invalid device, layers, shots or option.
    BackendError
        qiskit-ibm-runtime missing, an unknown device, no account for a real one, or more
        variables than the device's qubits (the sizes named).
    """
    seed = options.pop("seed", None)
    opts = {
        **DEFAULTS,
        **validate_options("ibm", {"device": device, "layers": layers, "shots": shots, **options}, OPTIONS),
    }
    if isinstance(ir_or_n_qubits, (int, np.integer)) and not isinstance(ir_or_n_qubits, bool):
        n = int(ir_or_n_qubits)
        if n < 1:
            raise OptionError(f"ibm: predict needs at least 1 qubit, got {n}")
        terms = dense_terms(n)
    else:
        terms = ir_or_n_qubits.terms
        n = terms.n
    device = fake_name(opts["device"]) if is_fake(opts["device"]) else opts["device"]
    backend = device_backend(device)
    _check_size(n, backend, device, simulate=False)
    circuit, gammas, betas = qaoa_circuit(terms, opts["layers"])
    t = time.perf_counter()
    tqc = transpile(circuit, backend, opts["optimization_level"], seed)
    return _figures(
        tqc, backend, device, n, opts["layers"], opts["shots"], opts["noise_scale"], time.perf_counter() - t
    )


# ---------------------------------------------------------------- noisy simulation of fake devices
def _relaxation(t1: float | None, t2: float | None, duration: float | None, scale: float):
    """Thermal relaxation over ``duration`` with T1, T2 divided by ``scale`` (None: none to model)."""
    from qiskit_aer.noise import thermal_relaxation_error

    if not t1 or not t2 or not duration or scale <= 0:
        return None
    t1, t2 = t1 / scale, t2 / scale
    return thermal_relaxation_error(t1, min(t2, 2 * t1), duration)


@lru_cache(maxsize=64)
def noise_model(device: str, qubits: tuple[int, ...], noise_scale: float = 1.0):
    """A qiskit-aer noise model of ``device`` over the physical ``qubits`` only, renumbered 0..k-1.

    Each gate of the snapshot's target on those qubits gets a depolarizing error (its error rate
    times ``noise_scale``, less the infidelity thermal relaxation already accounts for, much as
    qiskit-aer's ``NoiseModel.from_backend`` does) composed with thermal relaxation over the gate's duration
    (T1 and T2 of the snapshot divided by ``noise_scale``); each measurement a readout error.
    Building it for the active qubits takes milliseconds where the whole device's takes 12-14 s.
    Cached per (device, qubits, noise_scale).

    Returns
    -------
    NoiseModel or None
        None when ``noise_scale`` is 0 (noiseless).
    """
    from qiskit.circuit import Gate
    from qiskit.quantum_info import average_gate_fidelity
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    if noise_scale == 0:
        return None
    backend = fake_backend(device)
    target = backend.target
    idx = {p: k for k, p in enumerate(qubits)}
    props = {q: backend.qubit_properties(q) for q in qubits}
    gates = [
        g
        for g in target.operation_names
        if g not in ("measure", "reset", "delay", "id") and isinstance(target.operation_from_name(g), Gate)
    ]
    nm = NoiseModel(basis_gates=sorted(gates))
    for name in gates:
        for qargs, ip in target[name].items():
            if ip is None or qargs is None or not set(qargs) <= idx.keys():
                continue
            relax = None
            for q in qargs:
                r = _relaxation(getattr(props[q], "t1", None), getattr(props[q], "t2", None), ip.duration, noise_scale)
                if r is None:
                    relax = None
                    break
                relax = r if relax is None else relax.expand(r)  # r (qargs[-1]) on the highest qubit
            d = 2 ** len(qargs)
            rate = min(1.0, noise_scale * (ip.error or 0.0))
            relax_infid = 0.0 if relax is None else 1.0 - average_gate_fidelity(relax)
            lam = max(0.0, rate - relax_infid) * d / (d - 1)
            err = depolarizing_error(min(lam, d * d / (d * d - 1)), len(qargs)) if lam > 0 else None
            if relax is not None:
                err = relax if err is None else err.compose(relax)
            if err is not None:
                nm.add_quantum_error(err, name, [idx[q] for q in qargs])
    for q in qubits:
        ip = target["measure"].get((q,)) if "measure" in target else None
        e = min(0.5, noise_scale * (ip.error or 0.0)) if ip is not None else 0.0
        if e > 0:
            nm.add_readout_error(ReadoutError([[1 - e, e], [e, 1 - e]]), [idx[q]])
    return nm


def compact(tqc, qubits: list[int]):
    """``tqc`` on its active ``qubits`` only, renumbered 0..k-1 (classical bits kept)."""
    from qiskit import QuantumCircuit

    idx = {p: k for k, p in enumerate(qubits)}
    small = QuantumCircuit(len(qubits), tqc.num_clbits)
    for inst in tqc.data:
        if inst.operation.name == "barrier":
            continue
        small.append(inst.operation, [idx[q] for q in _qargs(tqc, inst)], [tqc.find_bit(c).index for c in inst.clbits])
    return small


def _counts_to_samples(counts: dict[str, int], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of bitstrings (qiskit order: classical bit 0 rightmost) -> (k, n) 0/1 rows in bit
    order and their counts."""
    keys = list(counts)
    if not keys:
        return np.zeros((0, n), np.int8), np.zeros(0, np.int64)
    chars = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8).reshape(len(keys), n)
    X = (chars[:, ::-1] - ord("0")).astype(np.int8)
    return X, np.array([counts[k] for k in keys], np.int64)


def _sample_fake(tqc, device: str, shots: int, noise_scale: float, seed: int | None) -> dict[str, int]:
    from qiskit_aer.primitives import SamplerV2

    qubits = active_qubits(tqc)
    small = compact(tqc, qubits)
    nm = noise_model(device, tuple(qubits), float(noise_scale))
    costs = _simulation_costs(len(qubits), len(small.data), shots)
    method = "statevector" if nm is None else min(costs, key=costs.get)  # noiseless: one statevector
    backend_options = {"method": method}
    if nm is not None:
        backend_options["noise_model"] = nm
    sampler = SamplerV2(default_shots=shots, seed=seed, options={"backend_options": backend_options})
    return sampler.run([small]).result()[0].data.c.get_counts()


def _sample_fake_within(tqc, device: str, shots: int, noise_scale: float, seed, budget: Budget):
    """:func:`_sample_fake` under the time limit: in a child process stopped at the limit
    (:mod:`backends.isolate`; qiskit-aer cannot be interrupted, and its time on a loaded
    machine ran 2x the prediction), or here without a limit. None when it was stopped."""
    if not budget.limited:
        return _sample_fake(tqc, device, shots, noise_scale, seed)
    from .isolate import Killed, call_with_deadline

    try:
        return call_with_deadline(
            _sample_fake, (tqc, device, shots, noise_scale, seed), time.perf_counter() + budget.left()
        )
    except Killed:
        return None
    except RuntimeError as exc:  # the child raised: name it as the in-process call would
        raise BackendError(f"ibm: the noisy simulation of {device} failed: {exc}") from None


def _sample_real(tqc, backend, shots: int, budget: Budget) -> dict[str, int] | None:
    """Counts from the real device, or None when the job did not finish within the budget."""
    from qiskit_ibm_runtime import SamplerV2

    job = _bounded(
        lambda: SamplerV2(mode=backend).run([tqc], shots=shots),
        min(CONNECT_TIMEOUT_SECONDS, max(budget.left(), 1.0)),
        f"submitting the job to {backend.name}",
    )
    wait = None if not budget.limited else max(budget.left(), 0.0)
    try:
        return job.result(timeout=wait)[0].data.c.get_counts()
    except Exception as exc:
        if budget.limited and budget.expired():
            try:
                job.cancel()
            except Exception:  # best effort: the job is abandoned either way
                pass
            return None
        raise BackendError(f"ibm: job {job.job_id()} on {backend.name} failed: {type(exc).__name__}: {exc}") from exc


class IbmBackend:
    """QAOA on an IBM Quantum device or a fake one (calibration snapshot + qiskit-aer noise).

    Options: ``device`` ("fake_fez"; a fake device ``fake_<name>`` from qiskit-ibm-runtime --
    fake_torino (Heron r1), fake_fez / fake_marrakesh (Heron r2), fake_kyiv / fake_sherbrooke
    (Eagle r3), ... -- or a real backend's name such as "ibm_fez", which needs an IBM Quantum
    account), ``shots`` (4000), ``layers`` (QAOA layers p, 1), ``optimization_level`` (of the preset
    pass manager, 3), ``noise_scale`` (fake devices: every error rate times this, 1.0; 0 is
    noiseless). ``seed`` (of ``solve``) seeds the training, the transpiler and the sampler.
    """

    name = "ibm"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)
    options = OPTIONS

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Train QAOA angles natively, transpile the circuit for the device and sample it.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries (n at most the device's qubits; on a fake device at most
            ``MAX_SIMULATED_QUBITS``).
        time_limit : float, optional
            Wall-clock seconds for the whole call: transpilation, training (given what is left
            after the predicted sampling) and sampling. On a real device a job still queued at the
            limit is cancelled and no sample is returned (status ``time_limit``).
        seed : int, optional
            Seeds the training, the transpiler's layout and the simulator's shots.
        **options
            See the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1: every distinct bitstring measured, lowest QUBO energy first,
            with its count among the shots and its energy; status ``feasible`` (``time_limit``
            when training was cut short). ``info`` holds the figures of :class:`Prediction`
            (depth, two-qubit gates and layers, ESP, ``too_deep``, snapshot date, predicted QPU
            seconds) and the trained angles.

        Raises
        ------
        OptionError
            An unknown option or invalid value (``noise_scale`` other than 1 on a real device).
        BackendError
            qiskit-ibm-runtime missing (naming ``pip install qbdsl[ibm]``); an unknown device; a
            real device without an account (naming the setting and the command) or one that
            cannot be reached (bounded by ``CONNECT_TIMEOUT_SECONDS``); more variables than the
            device's qubits or than a fake device's simulation takes (the sizes named).
        TimeLimitError
            When the training's first evaluation, transpilation and the predicted sampling
            cannot all fit in ``time_limit``.
        """
        budget = Budget(time_limit, "ibm")
        opts = {**DEFAULTS, **validate_options("ibm", options, OPTIONS)}
        fake = is_fake(opts["device"])
        device = fake_name(opts["device"]) if fake else opts["device"]
        shots, layers = opts["shots"], opts["layers"]
        if not fake and opts["noise_scale"] != 1.0:
            raise OptionError(f"ibm: option noise_scale applies to fake devices only, not to {device!r}")
        require_import(
            budget,
            "qiskit_ibm_runtime",
            RUNTIME_IMPORT_SECONDS,
            "qiskit-ibm-runtime",
            "qbdsl.backends.ibm_backend.preload()",
        )
        _require_runtime()
        n = ir.n
        if fake:
            _check_size(n, fake_backend(device), device, simulate=True)
        amps = 2.0**n
        train_min = amps * (2 * TABLE_SECONDS + 2 * LAYER_SECONDS) + sampling_seconds(n, 1)  # + energy_scale
        transpile_guess = TRANSPILE_SECONDS_PER_GATE * layers * (n + ir.num_interactions)
        sim_guess = simulation_seconds(min(n, MAX_DENSITY_QUBITS), 4 * layers * (n + ir.num_interactions), shots)
        budget.require(
            train_min + transpile_guess + (sim_guess if fake else JOB_OVERHEAD_SECONDS),
            f"{n} qubits on {device}: one QAOA training evaluation, transpiling and "
            f"{'simulating' if fake else 'running'} {shots} shots",
            "use fewer shots or layers, or raise time_limit",
        )
        if n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.terms.offset), {"device": device})
        timeout = CONNECT_TIMEOUT_SECONDS if not budget.limited else min(CONNECT_TIMEOUT_SECONDS, budget.left())
        backend = device_backend(device, timeout)
        _check_size(n, backend, device, simulate=fake)
        try:
            QaoaBackend().check(ir)
        except BackendError as exc:
            raise BackendError(f"ibm: the angles are trained on the native statevector, and {exc}") from None

        scale = energy_scale(ir.terms)
        circuit, gammas, betas = qaoa_circuit(ir.terms, layers, scale)
        t = time.perf_counter()
        tqc = transpile(circuit, backend, opts["optimization_level"], seed)
        fig = _figures(tqc, backend, device, n, layers, shots, opts["noise_scale"], time.perf_counter() - t)
        if fake and fig.active_qubits > MAX_SIMULATED_QUBITS:
            raise BackendError(
                f"ibm: the transpiled circuit of {n} variables uses {fig.active_qubits} qubits of {device!r}, more "
                f"than the {MAX_SIMULATED_QUBITS} that a noisy simulation takes here"
            )
        run_seconds = fig.simulation_seconds if fake else fig.predicted_qpu_seconds
        budget.require(
            run_seconds + train_min,
            f"{n} qubits on {device} ({fig.active_qubits} active, {fig.depth} deep): one QAOA training "
            f"evaluation and {'simulating' if fake else 'running'} {shots} shots",
            "use fewer shots or layers, or raise time_limit",
        )
        train_limit = None if not budget.limited else max(budget.left() - run_seconds, 1e-3)
        trained = QaoaBackend().solve(ir, time_limit=train_limit, seed=seed, reps=layers, shots=1)
        g, b = trained.info["angles"]["gamma"], trained.info["angles"]["beta"]
        p = len(g)
        values = {gammas[l]: (g[l] if l < p else 0.0) for l in range(layers)}
        values.update({betas[l]: (b[l] if l < p else 0.0) for l in range(layers)})
        bound = tqc.assign_parameters(values)
        t = time.perf_counter()
        if fake:
            counts = _sample_fake_within(bound, device, shots, opts["noise_scale"], seed, budget)
        else:
            counts = _sample_real(bound, backend, shots, budget)
        info = {
            **fig.as_dict(),
            "sampler": (
                f"qiskit-aer with the {device} calibration snapshot's noise: a local simulation, no QPU"
                if fake
                else f"IBM Quantum {device} (QPU)"
            ),
            "angles": trained.info["angles"],
            "energy_scale": scale,
            "trained_expectation": trained.info["expectation"],
            "training_status": trained.status,
            "sampling_seconds": time.perf_counter() - t,
            "seconds": budget.elapsed(),
        }
        if counts is None:
            info["reason"] = (
                "the noisy simulation did not finish within the time limit (its process was stopped there)"
                if fake
                else "the job on the device did not finish within the time limit (cancelled)"
            )
            return BackendOutput(None, "time_limit", None, info)
        X, occ = _counts_to_samples(counts, n)
        status = "time_limit" if trained.status == "time_limit" else "feasible"
        return BackendOutput.from_reads(X, ir.energy(X), status, info, occ)
