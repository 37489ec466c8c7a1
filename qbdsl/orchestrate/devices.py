"""Fleet entries that name a backend device: the orchestration's QPUs and qbdsl's backends, one model.

A fleet file entry may name a device instead of giving numbers::

    {"device": "ibm:fake_fez"}          a calibration snapshot shipped with qiskit-ibm-runtime
    {"device": "ibm:ibm_fez"}           the real backend (needs an IBM Quantum account)
    {"device": "ibm:ibm_fez", "snapshot": true}   ... or its snapshot when no account is configured
    {"device": "dwave:mock-advantage"}  D-Wave Advantage (Pegasus P16); "mock-advantage2": Zephyr Z12
    {"device": "dwave:advantage"}       Leap's QPU as it is now (needs a Leap token)
    {"device": "dwave:advantage", "snapshot": true}   ... or the nominal topology without a token

A real device is read live with credentials (IBM: the backend's calibration; D-Wave: the
solver's working graph and timing data); without them it is an error naming the setting,
unless ``snapshot`` (``--snapshots``) asks for the offline figures, which ``source`` then names.

The figures come from the functions the backends themselves use (:mod:`qbdsl.backends.ibm_backend`,
:mod:`qbdsl.backends.dwave_backend`), so a device in the case study and the backend of that name
agree:

- IBM (``kind="gate"``): ``qubits`` = the backend's ``num_qubits``; ``clops`` = its CLOPS_h
  (:func:`~qbdsl.backends.ibm_backend.clops_h`: the configuration's ``clops_h``, else the
  backend's labelled default); ``two_qubit_error`` = the median calibrated error of the native
  two-qubit gate (``cz``, ``ecr`` or ``cx``) over ``backend.target``, entries reported as 1
  included (the rule ``scripts/ground_orchestration.py`` used for ``ibm_fleet.json``);
  ``overhead`` = :data:`~qbdsl.backends.ibm_backend.JOB_OVERHEAD_SECONDS` (3.07 s, derived from
  IBM's published usage example); ``shot_seconds`` = its repetition delay
  (:func:`~qbdsl.backends.ibm_backend.rep_delay_seconds`, 250 us), so a run takes
  ``overhead + shots x max(layers / clops, delay)``, the backend's own prediction; the shipped
  ``ibm_fleet.json`` holds the same figures. The name is the device's short name (``fez``), the
  one the grounded circuit library keys its transpiled depths by.
- D-Wave (``kind="anneal"``): ``qubits`` = working qubits of the topology's graph
  (:func:`~qbdsl.backends.dwave_backend.target_graph`: 5640 on Pegasus P16, 4800 on Zephyr
  Z12); the time of ``R`` reads is D-Wave's published QPU access-time model
  (:func:`~qbdsl.backends.dwave_backend.predict_qpu_access_time`, evaluated at every working
  qubit, the readout time's upper end): ``shot_seconds`` = the time per read (anneal +
  readout + delay + thermalization) and ``overhead`` = the programming time plus
  :data:`~qbdsl.backends.dwave_backend.REMOTE_OVERHEAD_SECONDS`. So
  ``run_time(job, qpu, R) == predict_qpu_access_time(qubits, R) + REMOTE_OVERHEAD_SECONDS``.
  Offline (a mock, or ``snapshot``) the timing data are the Advantage_system4.1 figures the SDK
  ships (used for both topologies, as the backend does) on the nominal graph; live, the
  solver's own working graph and ``problem_timing_data``.
  ``clops`` is infinite (a read does not depend on a circuit's depth) and ``two_qubit_error``
  0 (not applicable: :func:`~qbdsl.orchestrate.model.fidelity` is NaN on an annealer).

Numbers given in the entry (``name``, ``qubits``, ``clops``, ``two_qubit_error``,
``overhead``, ``shot_seconds``, ``family``) override the device's.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

from ..errors import BackendError, ModelError
from .model import QPU

VENDORS = ("ibm", "dwave")
DWAVE_DEVICES = {
    "mock-advantage": "Advantage (Pegasus P16), mock sampler",
    "mock-advantage2": "Advantage2 (Zephyr Z12, t=4), mock sampler",
    "advantage": "Advantage (Pegasus P16)",
    "advantage2": "Advantage2 (Zephyr Z12, t=4)",
}
KNOWN_HINT = (
    "known devices: ibm:fake_<name> (a calibration snapshot shipped with qiskit-ibm-runtime, e.g. ibm:fake_fez, "
    "ibm:fake_torino, ibm:fake_kyiv), ibm:ibm_<name> (a real IBM Quantum backend, needs an account), "
    + ", ".join(f"dwave:{d}" for d in DWAVE_DEVICES)
)
OVERRIDES = {
    "name": str,
    "qubits": int,
    "clops": float,
    "two_qubit_error": float,
    "overhead": float,
    "shot_seconds": float,
    "family": str,
}
TWO_QUBIT_GATES = ("cz", "ecr", "cx")

__all__ = ["device_qpu", "device_qpus", "split_device", "KNOWN_HINT", "OVERRIDES", "DWAVE_DEVICES"]


def split_device(spec: str) -> tuple[str, str]:
    """``"ibm:fake_fez"`` -> ``("ibm", "fake_fez")``.

    Raises
    ------
    ModelError
        Not ``vendor:device`` with a known vendor, or an unknown D-Wave device (the known
        devices are listed).
    """
    vendor, sep, device = str(spec).strip().partition(":")
    vendor, device = vendor.strip().lower(), device.strip()
    if not sep or vendor not in VENDORS or not device:
        raise ModelError(f"unknown device {spec!r}; {KNOWN_HINT}")
    if vendor == "dwave" and device.lower() not in DWAVE_DEVICES:
        raise ModelError(f"unknown D-Wave device {spec!r}; {KNOWN_HINT}")
    if vendor == "ibm" and not device.lower().startswith(("fake", "ibm_")):
        raise ModelError(f"unknown IBM device {spec!r}: expected fake_<name> or ibm_<name>; {KNOWN_HINT}")
    return vendor, device.lower() if vendor == "dwave" else device


def device_qpu(spec: str, snapshot: bool = False) -> QPU:
    """The QPU a device name stands for, with the figures its backend uses.

    Parameters
    ----------
    spec : str
        ``"ibm:fake_fez"``, ``"ibm:ibm_fez"``, ``"dwave:mock-advantage"``... (see the module
        docstring).
    snapshot : bool
        For a real device without credentials: IBM, the calibration snapshot of the same name
        (``ibm_fez`` -> ``fake_fez``); D-Wave, the nominal topology and the SDK's timing data;
        instead of failing. The QPU's ``source`` says so.

    Returns
    -------
    QPU
        With ``source`` naming the device and, for IBM, the calibration date.

    Raises
    ------
    ModelError
        An unknown device (the known ones are listed).
    BackendError
        The vendor SDK is missing (naming ``pip install qbdsl[ibm]`` / ``qbdsl[dwave]``), no
        fake device of that name ships, or a real device without credentials (naming the
        setting, the command, and ``snapshot``) or that cannot be reached.
    """
    vendor, device = split_device(spec)
    if vendor == "dwave":
        return _dwave_qpu(device, snapshot)
    return _ibm_qpu(device, snapshot)


def device_qpus(specs, snapshot: bool = False) -> list[QPU]:
    """:func:`device_qpu` of every name in ``specs`` (a list, or one comma-separated string).

    Raises
    ------
    ModelError
        No device named, an unknown device, or two devices with the same QPU name.
    BackendError
        See :func:`device_qpu`.
    """
    if isinstance(specs, str):
        specs = [s for s in specs.split(",") if s.strip()]
    if not specs:
        raise ModelError(f"no device named; {KNOWN_HINT}")
    fleet = [device_qpu(s, snapshot) for s in specs]
    _unique(fleet)
    return fleet


def _unique(fleet: list[QPU]) -> None:
    seen: set[str] = set()
    for q in fleet:
        if q.name in seen:
            raise ModelError(f"two QPUs are named {q.name!r}; give one entry a 'name'")
        seen.add(q.name)


def with_overrides(qpu: QPU, entry: dict, where: str) -> QPU:
    """``qpu`` with the numbers ``entry`` gives (keys of :data:`OVERRIDES`) in place of its own.

    Raises
    ------
    ModelError
        A value of the wrong type, or one the QPU refuses (``where`` names the entry).
    """
    changes = {}
    for key, cast in OVERRIDES.items():
        if key in entry and entry[key] is not None:
            value = entry[key]
            if isinstance(value, bool) or (cast is not str and not isinstance(value, (int, float))):
                raise ModelError(f"{where}: '{key}' must be a number, got {value!r}")
            changes[key] = cast(value)
    if not changes:
        return qpu
    note = ", ".join(f"{k}={v}" for k, v in changes.items() if k != "name")
    try:
        return replace(qpu, **changes, source=qpu.source + (f"; given: {note}" if note else ""))
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None


# ---------------------------------------------------------------- IBM
def _short(device: str) -> str:
    """``fake_fez`` / ``ibm_fez`` -> ``fez``."""
    low = device.lower()
    if low.startswith("fake"):
        return low[4:].lstrip("_-")
    return low[4:] if low.startswith("ibm_") else low


def median_two_qubit_error(target) -> tuple[float, str]:
    """(median calibrated error of the native two-qubit gate, the gate's name) over ``target``.

    Raises
    ------
    BackendError
        The target has no ``cz``, ``ecr`` or ``cx`` gate with a calibrated error.
    """
    for gate in TWO_QUBIT_GATES:
        if gate in target.operation_names:
            errors = [float(p.error) for p in target[gate].values() if p is not None and p.error is not None]
            if errors:
                return float(statistics.median(errors)), gate
    raise BackendError("ibm: the device's target has no calibrated two-qubit gate (cz, ecr or cx)")


def _ibm_qpu(device: str, snapshot: bool) -> QPU:
    from ..backends import ibm_backend as ib

    if ib.is_fake(device):
        backend = _snapshot_backend(ib.fake_name(device))
        origin = f"ibm:{ib.fake_name(device)}, calibration snapshot in qiskit-ibm-runtime"
    elif snapshot and not ib.account_configured():
        backend = _snapshot_backend("fake_" + _short(device))
        origin = f"ibm:fake_{_short(device)} standing in for {device} (no IBM Quantum account; snapshot)"
    else:
        backend = _live(
            lambda: ib.real_backend(device),
            ib.account_configured,
            f"To describe it from the calibration snapshot of the same name instead, use ibm:fake_{_short(device)}",
        )
        origin = f"ibm:{device}, live calibration from IBM Quantum"
    error, gate = median_two_qubit_error(backend.target)
    rate, published = ib.clops_h(backend)
    date = ib.snapshot_date(backend)
    family = _ibm_family(backend)
    parts = [origin, f"calibrated {date}" if date else "no calibration date"]
    parts.append(f"CLOPS_h {'from the configuration' if published else 'assumed (none published)'}")
    parts.append(f"median {gate} error")
    return QPU(
        name=_short(device),
        qubits=int(backend.num_qubits),
        clops=rate,
        two_qubit_error=error,
        overhead=ib.JOB_OVERHEAD_SECONDS,
        shot_seconds=ib.rep_delay_seconds(backend),
        family=family,
        kind="gate",
        source="; ".join(parts),
    )


def _live(fetch, configured, offline: str):
    """``fetch()`` (a real device's live properties); without credentials, its error plus how to
    describe the device offline (``offline``, then the ``snapshot`` flag)."""
    try:
        return fetch()
    except BackendError as exc:
        if not configured():
            why = str(exc).rstrip(". ")
            raise BackendError(
                f'{why}. {offline}, or add "snapshot": true to the fleet entry (qbdsl fleet: --snapshots).'
            ) from None
        raise


def _snapshot_backend(name: str):
    """The fake backend ``name``; an unknown name is bad input (ModelError listing the known ones).

    Raises
    ------
    BackendError
        qiskit-ibm-runtime is not installed (naming ``pip install qbdsl[ibm]``).
    ModelError
        No fake device of that name ships with qiskit-ibm-runtime.
    """
    from ..backends import ibm_backend as ib

    ib.preload()
    try:
        return ib.fake_backend(name)
    except BackendError as exc:  # the runtime is there, so the name is unknown
        raise ModelError(f"unknown IBM device: {exc}") from None


def _ibm_family(backend) -> str:
    """``"Heron r2"`` from the configuration's ``processor_type``, else ``""``."""
    from ..backends.ibm_backend import _config

    ptype = _config(backend).get("processor_type") or {}
    if not isinstance(ptype, dict) or not ptype.get("family"):
        return ""
    rev = ptype.get("revision")
    return f"{ptype['family']} r{rev}" if rev is not None else str(ptype["family"])


# ---------------------------------------------------------------- D-Wave
def _dwave_qpu(device: str, snapshot: bool = False) -> QPU:
    from ..backends import dwave_backend as dw

    topology = dw.MOCKS.get(device, device)
    live = None
    if device not in dw.MOCKS and not (snapshot and not dw.token_configured()):
        live = _live(
            lambda: dw.live_solver(topology),
            dw.token_configured,
            f"To describe it from the nominal {topology} topology instead, use dwave:mock-{topology}",
        )
    graph = dw.target_graph(topology) if live is None else live.graph
    timing = None if live is None else live.timing
    qubits = int(graph.number_of_nodes())
    one, two = (float(dw.predict_qpu_access_time(qubits, r, topology=topology, timing_data=timing)) for r in (1, 2))
    per_read = two - one
    programming = one - per_read
    if not (per_read > 0 and programming >= 0 and math.isfinite(two)):
        raise BackendError(f"dwave: the timing model gave no usable figures for {device!r}")
    if live is not None:
        origin = f"dwave:{device}, live: {live.name}'s working graph and problem_timing_data from Leap"
    else:
        standing = "" if device in dw.MOCKS else " standing in for the QPU (no Leap token; snapshot)"
        origin = (
            f"dwave:{device}, {DWAVE_DEVICES[device]}{standing}; working graph from dwave.graphs; time from "
            "D-Wave's QPU access-time model with the SDK's Advantage_system4.1 timing data"
        )
    return QPU(
        name=device,
        qubits=qubits,
        clops=math.inf,
        two_qubit_error=0.0,
        overhead=programming + dw.REMOTE_OVERHEAD_SECONDS,
        family=dw.TOPOLOGIES[topology][2],
        kind="anneal",
        shot_seconds=per_read,
        source=f"{origin} (predict_qpu_access_time)",
    )
