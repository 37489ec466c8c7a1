"""Published data for the orchestration model: an IBM fleet and MQT Bench circuit profiles.

Two JSON files ship in ``qbdsl/orchestrate/data/`` (``SOURCE.md`` there says where every
field comes from); ``scripts/ground_orchestration.py`` regenerates them with the optional
``grounding`` extra (qiskit-ibm-runtime, mqt.bench). Reading them needs only the standard
library: nothing here imports qiskit.

- ``ibm_fleet.json``: IBM devices (Heron r2 ``fez`` and ``marrakesh``, Heron r1 ``torino``,
  Eagle r3 ``kyiv``) from the calibration snapshots shipped in qiskit-ibm-runtime's
  ``fake_provider`` (Apache-2.0): qubits, couplers, median two-qubit / readout errors, T1/T2,
  the snapshot date, and the CLOPS_h figure IBM publishes in each device's configuration
  (CLOPS: Wack et al., arXiv:2110.14108). Its ``qpus`` list is in the format
  :func:`qbdsl.orchestrate.workload.load_fleet` reads. It also records the per-batch overhead
  (an assumption, labelled so) and the optimal single-wire-cut sampling overhead, 9 = 3**2
  (Brenner, Piveteau, Sutter, arXiv:2302.03366; Harada, Wada, Yamamoto, arXiv:2303.07340).
- ``mqt_circuits.json``: MQT Bench circuits (Quetschlich, Burgholzer, Wille, "MQT Bench:
  Benchmarking Software and Design Automation Tools for Quantum Computing", Quantum 7, 1062
  (2023); MIT licence) transpiled onto each device wide enough at Qiskit optimisation level 1,
  with depth, two-qubit gate count and the estimated success probability (ESP: Nishio et al.,
  "Extracting Success from IBM's 20-Qubit Machines Using Error-Aware Compilation", ACM JETC
  16(3), 32, 2020) from the device's calibration.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

from ..errors import FileFormatError

FLEET_FILE = "ibm_fleet.json"
CIRCUITS_FILE = "mqt_circuits.json"

__all__ = ["CircuitProfile", "ibm_fleet_data", "circuit_library", "FLEET_FILE", "CIRCUITS_FILE"]


@dataclass(frozen=True)
class CircuitProfile:
    """One benchmark circuit and what it becomes on each fleet device.

    Attributes
    ----------
    name : str
        ``"<family>-<qubits>"``, e.g. ``"qft-40"``.
    family : str
        The MQT Bench benchmark name (``"qaoa"``, ``"vqe_su2"``, ``"ghz"``...).
    qubits : int
        Logical qubits.
    depth : int
        Logical depth (MQT Bench target-independent level, barriers excluded).
    depth_on : dict[str, int]
        Depth after transpiling for each device (keys: device names of ``ibm_fleet.json``);
        only devices with at least ``qubits`` qubits appear.
    two_qubit_on : dict[str, int]
        Two-qubit gates after transpiling, per device.
    esp_on : dict[str, float]
        Estimated success probability per device (Nishio et al. 2020). It is 0.0 only where the
        probability is below double precision (about 1e-308); ``log10_esp_on`` keeps the value.
    log10_esp_on : dict[str, float]
        ``log10`` of the ESP per device.
    two_qubit_depth_on : dict[str, int]
        Layers of two-qubit gates after transpiling, per device: the layers CLOPS_h counts.
    """

    name: str
    family: str
    qubits: int
    depth: int
    depth_on: dict[str, int]
    two_qubit_on: dict[str, int]
    esp_on: dict[str, float]
    log10_esp_on: dict[str, float]
    two_qubit_depth_on: dict[str, int] = field(default_factory=dict)


def _read(filename: str) -> dict:
    """Parse a shipped data file; any problem becomes a :class:`FileFormatError` naming it."""
    ref = resources.files("qbdsl.orchestrate").joinpath("data", filename)
    where = str(ref)
    try:
        text = ref.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise FileFormatError(
            f"missing or unreadable data file ({exc.__class__.__name__}); "
            "regenerate it with scripts/ground_orchestration.py",
            where,
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"not valid JSON: {exc.msg}", where, exc.lineno) from None
    if not isinstance(doc, dict):
        raise FileFormatError("expected a JSON object at the top level", where)
    return doc


def _number(value, what: str, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FileFormatError(f"{what} must be a finite number, got {value!r}", where)
    if positive and value <= 0:
        raise FileFormatError(f"{what} must be positive, got {value!r}", where)
    return value


def ibm_fleet_data() -> dict:
    """The parsed ``ibm_fleet.json``.

    Returns
    -------
    dict
        ``qpus`` (a list of devices: ``name``, ``family``, ``qubits``, ``coupling_edges``,
        ``two_qubit_error`` (= ``median_two_qubit_error``), ``median_readout_error``,
        ``median_t1_us``, ``median_t2_us``, ``snapshot_date``, ``clops`` (CLOPS_h),
        ``overhead``, ``sources``...), ``overhead`` (the per-batch overhead and why),
        ``wire_cut_sampling_overhead`` (``value`` = 9: the factor on the shots per single-wire
        cut, with citations and the alternatives), ``versions`` and ``licence``. A fresh copy
        on every call.

    Raises
    ------
    FileFormatError
        The file is missing, is not JSON, or lacks the fields above.
    """
    doc = _read(FLEET_FILE)
    where = f"qbdsl/orchestrate/data/{FLEET_FILE}"
    qpus = doc.get("qpus")
    if not isinstance(qpus, list) or not qpus:
        raise FileFormatError("expected a non-empty 'qpus' list", where)
    names = set()
    for i, d in enumerate(qpus):
        if not isinstance(d, dict):
            raise FileFormatError(f"qpus[{i}] is not an object", where)
        for key in ("name", "family", "qubits", "clops", "two_qubit_error", "overhead", "sources"):
            if key not in d:
                raise FileFormatError(f"qpus[{i}] is missing field '{key}'", where)
        _number(d["qubits"], f"qpus[{i}].qubits", where, positive=True)
        _number(d["clops"], f"qpus[{i}].clops", where, positive=True)
        e = _number(d["two_qubit_error"], f"qpus[{i}].two_qubit_error", where)
        if not 0 <= e < 1:
            raise FileFormatError(f"qpus[{i}].two_qubit_error must be in [0, 1), got {e!r}", where)
        if d["name"] in names:
            raise FileFormatError(f"qpus[{i}]: duplicate device name {d['name']!r}", where)
        names.add(d["name"])
    cut = doc.get("wire_cut_sampling_overhead")
    if not isinstance(cut, dict) or "value" not in cut:
        raise FileFormatError("expected 'wire_cut_sampling_overhead' with a 'value'", where)
    _number(cut["value"], "wire_cut_sampling_overhead.value", where, positive=True)
    return doc


def circuit_library() -> list[CircuitProfile]:
    """The MQT Bench circuit profiles of ``mqt_circuits.json``, in file order (family, then size).

    Returns
    -------
    list of CircuitProfile
        One per circuit; each names the devices of :func:`ibm_fleet_data` it fits.

    Raises
    ------
    FileFormatError
        The file is missing, is not JSON, or an entry lacks a field or has a value out of range.
    """
    doc = _read(CIRCUITS_FILE)
    where = f"qbdsl/orchestrate/data/{CIRCUITS_FILE}"
    rows = doc.get("circuits")
    if not isinstance(rows, list) or not rows:
        raise FileFormatError("expected a non-empty 'circuits' list", where)
    out = []
    for i, c in enumerate(rows):
        if not isinstance(c, dict):
            raise FileFormatError(f"circuits[{i}] is not an object", where)
        for key in ("name", "family", "qubits", "depth", "on"):
            if key not in c:
                raise FileFormatError(f"circuits[{i}] is missing field '{key}'", where)
        on = c["on"]
        if not isinstance(on, dict):
            raise FileFormatError(f"circuits[{i}].on must be an object", where)
        depth_on, two_on, esp_on, log_on, two_depth = {}, {}, {}, {}, {}
        for dev, d in on.items():
            tag = f"circuits[{i}] ({c['name']}) on {dev}"
            if not isinstance(d, dict):
                raise FileFormatError(f"{tag}: not an object", where)
            for key in ("depth", "two_qubit_gates", "esp", "log10_esp"):
                if key not in d:
                    raise FileFormatError(f"{tag}: missing field '{key}'", where)
            esp = _number(d["esp"], f"{tag}: esp", where)
            log10 = d["log10_esp"]
            if not (isinstance(log10, (int, float)) and not isinstance(log10, bool) and log10 <= 0):
                raise FileFormatError(f"{tag}: log10_esp must be a number <= 0, got {log10!r}", where)
            if not 0 <= esp <= 1:
                raise FileFormatError(f"{tag}: esp must be in [0, 1], got {esp!r}", where)
            depth_on[dev] = int(_number(d["depth"], f"{tag}: depth", where, positive=True))
            two_on[dev] = int(_number(d["two_qubit_gates"], f"{tag}: two_qubit_gates", where))
            two_depth[dev] = int(_number(d.get("two_qubit_depth", 0), f"{tag}: two_qubit_depth", where))
            esp_on[dev] = float(esp)
            log_on[dev] = float(log10)
        out.append(
            CircuitProfile(
                name=str(c["name"]),
                family=str(c["family"]),
                qubits=int(_number(c["qubits"], f"circuits[{i}].qubits", where, positive=True)),
                depth=int(_number(c["depth"], f"circuits[{i}].depth", where, positive=True)),
                depth_on=depth_on,
                two_qubit_on=two_on,
                esp_on=esp_on,
                log10_esp_on=log_on,
                two_qubit_depth_on=two_depth,
            )
        )
    return out
