"""Default fleet, seeded Poisson workloads, and fleet/workload files (JSON or YAML)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ModelError
from .simulator import QPU, Job, fastest_time


def default_fleet() -> list[QPU]:
    """IBM-class devices, rounded published figures (qubits, CLOPS, median two-qubit error):
    Heron r2 (156, 250 k, 3e-3), Eagle r3 (127, 30 k, 8e-3), Falcon r5 (27, 15 k, 1e-2)."""
    return [QPU("heron-1", 156, 250e3, 3e-3), QPU("heron-2", 156, 250e3, 3e-3),
            QPU("eagle", 127, 30e3, 8e-3), QPU("falcon", 27, 15e3, 1e-2)]


def poisson_jobs(n: int, load: float, tightness: float, fleet: list[QPU], seed: int = 0,
                 cut_overhead: float = 4.0) -> list[Job]:
    """``n`` jobs with Poisson arrivals at ``load`` (offered work / fleet capacity) and deadlines
    ``arrival + tightness * fastest possible run time``. The same seed gives the same trace."""
    if load <= 0 or tightness <= 0:
        raise ModelError(f"load and tightness must be positive, got load={load}, tightness={tightness}")
    rng = np.random.default_rng(seed)
    qubits = rng.integers(5, 150, n)
    depth = rng.integers(10, 300, n)
    shots = rng.choice([1000, 2000, 4000, 8000, 16000], n)
    proto = [Job(i, int(q), int(d), int(s), 0.0, 0.0) for i, (q, d, s) in enumerate(zip(qubits, depth, shots))]
    fast = np.array([fastest_time(j, fleet, cut_overhead) for j in proto])
    rate = load * len(fleet) / fast.mean()
    arrival = np.cumsum(rng.exponential(1.0 / rate, n))
    return [Job(j.id, j.qubits, j.depth, j.shots, float(a), float(a + tightness * f))
            for j, a, f in zip(proto, arrival, fast)]


def _read(path) -> dict:
    path = Path(path)
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:   # noqa: BLE001 - any parse error becomes a FileFormatError
        raise FileFormatError(f"cannot parse: {exc}", str(path)) from None


def load_fleet(path) -> list[QPU]:
    """A fleet file: ``{"qpus": [{"name", "qubits", "clops", "two_qubit_error", "overhead"?}]}``."""
    doc = _read(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("qpus"), list) or not doc["qpus"]:
        raise FileFormatError("expected a non-empty 'qpus' list", str(path))
    out = []
    for i, d in enumerate(doc["qpus"]):
        for key in ("name", "qubits", "clops", "two_qubit_error"):
            if key not in d:
                raise FileFormatError(f"qpus[{i}] is missing field '{key}'", str(path))
        try:
            out.append(QPU(str(d["name"]), int(d["qubits"]), float(d["clops"]), float(d["two_qubit_error"]),
                           float(d.get("overhead", 0.5))))
        except (ValueError, TypeError) as exc:
            raise FileFormatError(f"qpus[{i}]: {exc}", str(path)) from None
        except ModelError as exc:
            raise FileFormatError(f"qpus[{i}]: {exc}", str(path)) from None
    return out


def load_jobs(path) -> list[Job]:
    """A workload file: ``{"jobs": [{"qubits", "depth", "shots", "arrival", "deadline"}]}``."""
    doc = _read(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise FileFormatError("expected a 'jobs' list", str(path))
    out = []
    for i, d in enumerate(doc["jobs"]):
        for key in ("qubits", "depth", "shots", "arrival", "deadline"):
            if key not in d:
                raise FileFormatError(f"jobs[{i}] is missing field '{key}'", str(path))
        j = Job(i, int(d["qubits"]), int(d["depth"]), int(d["shots"]), float(d["arrival"]), float(d["deadline"]))
        if j.qubits <= 0 or j.depth <= 0 or j.shots <= 0 or j.deadline < j.arrival:
            raise FileFormatError(f"jobs[{i}]: qubits, depth and shots must be positive and deadline >= arrival",
                                  str(path))
        out.append(j)
    return out
