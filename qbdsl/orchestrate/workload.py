"""Fleets, workloads and offered load.

The offered load of a workload on a platform is its arrival rate over the platform's
*capacity*: the largest arrival rate at which the job mix could be served at all, a fluid
relaxation (Harchol-Balter, "Performance Modeling and Design of Computer Systems", 2013,
ch. 6: a system is stable iff its load is below 1). :func:`capacity` solves it as an LP:
maximize ``lam`` over ``x[i, k] >= 0`` (type-``i`` jobs per second sent to device ``k``) with
``sum_k x[i, k] = lam * p[i]`` and, per device, ``sum_i x[i, k] * t[i, k] <= 1``, where
``t[i, k]`` is a whole type-``i`` job's run time on device ``k`` (QPUs with at least its
qubits, no cutting; classical workers where the statevector profile takes it) and ``p[i]``
the mix. A load label of 0.9 therefore means 90 % of what the whole platform can sustain
(every QPU at its own speed, the classical workers included), and :func:`realised_load`
measures the same ratio on a generated trace.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ModelError
from .model import CUT_OVERHEAD, DEFAULT_OVERHEAD, QPU, Job, classical_time, run_time

SHOTS = (1024, 4096, 8192, 16384)  # an assumption, not measured data: powers of two around the
# 4096 default of Qiskit Runtime's SamplerV2


def synthetic_fleet() -> list[QPU]:
    """The invented fleet of the first case study (kept for comparison): two Heron-, one
    Eagle- and one Falcon-class QPU with rounded figures (qubits, CLOPS, two-qubit error) and
    its 0.5 s per batch."""
    return [
        QPU("heron-1", 156, 250e3, 3e-3, 0.5),
        QPU("heron-2", 156, 250e3, 3e-3, 0.5),
        QPU("eagle", 127, 30e3, 8e-3, 0.5),
        QPU("falcon", 27, 15e3, 1e-2, 0.5),
    ]


def default_fleet() -> list[QPU]:
    """The fleet the experiments use by default: :func:`ibm_fleet`."""
    return ibm_fleet()


def default_templates() -> list[Job]:
    """The job types the experiments draw from by default: :func:`mqt_templates`."""
    return mqt_templates()


def synthetic_templates(n: int, seed: int = 0) -> list[Job]:
    """``n`` invented circuits (5-150 qubits, depth 10-300, shots from :data:`SHOTS`)."""
    rng = np.random.default_rng(seed)
    q, d, s = rng.integers(5, 150, n), rng.integers(10, 300, n), rng.choice(SHOTS, n)
    return [Job(i, int(a), int(b), int(c), 0.0, 0.0) for i, (a, b, c) in enumerate(zip(q, d, s))]


def _times(jobs: list[Job], fleet: list[QPU], workers: int, profile, cut_overhead: float) -> np.ndarray:
    """Whole-job seconds per (job, device): QPUs wide enough, then one column for a worker."""
    t = np.full((len(jobs), len(fleet) + (1 if workers else 0)), np.inf)
    for i, j in enumerate(jobs):
        for k, q in enumerate(fleet):
            if q.qubits >= j.qubits:
                t[i, k] = run_time(j, q, j.shots, cut_overhead)
        if workers:
            t[i, -1] = classical_time(j, profile)
    return t


def capacity(
    jobs: list[Job], fleet: list[QPU], workers: int = 0, profile=None, weights=None, cut_overhead: float = CUT_OVERHEAD
) -> float:
    """The platform's capacity for this job mix, in jobs per second (see the module docstring).

    Parameters
    ----------
    jobs : list of Job
        The job types (qubits, depth, shots; arrival and deadline ignored), at least one.
    fleet : list of QPU
        The QPUs; a job type counts only on those with at least its qubits (no cutting).
    workers : int
        Identical classical workers beside the QPUs (default 0: none); together they
        offer ``workers`` seconds of run time per second.
    profile : Profile, optional
        The QIP :class:`~qbdsl.qip.profiles.Profile` timing a job on a worker (``a + b *
        depth * 2**qubits`` seconds, ``inf`` beyond its qubit limit). None (default): the
        shipped statevector profile (``"qaoa"``). Unused when ``workers`` is 0.
    weights : array_like of float, shape (len(jobs),), optional
        The mix: the relative frequency of each job type, non-negative, normalized to sum
        to 1. None (default): every type equally often.
    cut_overhead : float
        Shots multiplier per single-wire cut, passed to
        :func:`~qbdsl.orchestrate.model.run_time` (default
        :data:`~qbdsl.orchestrate.model.CUT_OVERHEAD` = 9). Only QPUs as wide as the job
        count, which run it uncut, so it does not change the capacity.

    Raises
    ------
    ModelError
        when some job fits no device.
    """
    return _capacity(_times(jobs, fleet, workers, profile, cut_overhead), jobs, fleet, workers, weights)


def _capacity(t: np.ndarray, jobs: list[Job], fleet: list[QPU], workers: int, weights=None) -> float:
    """:func:`capacity` from the whole-job seconds table ``t`` of :func:`_times`."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    if not np.isfinite(t).any(axis=1).all():
        bad = int(np.flatnonzero(~np.isfinite(t).any(axis=1))[0])
        raise ModelError(f"job {jobs[bad].id} ({jobs[bad].qubits} qubits) fits no device of the platform")
    p = np.full(len(jobs), 1.0 / len(jobs)) if weights is None else np.asarray(weights, float) / np.sum(weights)
    i, k = np.nonzero(np.isfinite(t))
    nx = len(i)
    c = np.zeros(nx + 1)
    c[-1] = -1.0
    a_eq = sp.hstack(
        [sp.csr_matrix((np.ones(nx), (i, np.arange(nx))), shape=(len(jobs), nx)), sp.csr_matrix(-p[:, None])]
    ).tocsr()
    cap = np.array([1.0] * len(fleet) + ([float(workers)] if workers else []))
    a_ub = sp.hstack(
        [sp.csr_matrix((t[i, k], (k, np.arange(nx))), shape=(t.shape[1], nx)), sp.csr_matrix((t.shape[1], 1))]
    ).tocsr()
    res = linprog(c, A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=np.zeros(len(jobs)), bounds=(0, None), method="highs")
    if res.status != 0:
        raise ModelError(f"the capacity LP failed: {res.message}")
    return float(res.x[-1])


def realised_load(
    jobs: list[Job], fleet: list[QPU], workers: int = 0, profile=None, cut_overhead: float = CUT_OVERHEAD
) -> float:
    """A trace's arrival rate (jobs over the span of arrivals) over the capacity for its own mix.

    Returns
    -------
    float
        The offered load, a fraction of capacity (1: the fleet is exactly saturated).

    Raises
    ------
    ModelError
        With fewer than two jobs, or when some job fits no device.
    """
    if len(jobs) < 2:
        raise ModelError("a realised load needs at least two jobs")
    arr = np.array([j.arrival for j in jobs])
    return (
        (len(jobs) - 1)
        / float(arr.max() - arr.min())
        / capacity(jobs, fleet, workers, profile, cut_overhead=cut_overhead)
    )


def fastest_whole(
    job: Job, fleet: list[QPU], workers: int = 0, profile=None, cut_overhead: float = CUT_OVERHEAD
) -> float:
    """The job's fastest whole run on an idle platform (wide-enough QPUs, or a worker)."""
    return float(_times([job], fleet, workers, profile, cut_overhead).min())


def poisson_jobs(
    n: int,
    load: float,
    tightness: float,
    fleet: list[QPU],
    seed: int = 0,
    workers: int = 0,
    templates: list[Job] | None = None,
    profile=None,
    cut_overhead: float = CUT_OVERHEAD,
) -> list[Job]:
    """``n`` jobs drawn uniformly from ``templates`` (default: :func:`default_templates`)
    with Poisson arrivals at ``load`` x :func:`capacity` of *the drawn jobs' own mix* (job
    sizes are heavy-tailed: calibrating on the template mix would label a 200-job trace that
    missed the rare huge circuits 0.9 while it loads the platform to about 0.6), and deadlines
    ``arrival + tightness * fastest whole run`` (:func:`fastest_whole`). The same seed gives the
    same trace.

    Raises
    ------
    ModelError
        when ``load`` or ``tightness`` is not positive, or a template fits no device.
    """
    if not (load > 0 and tightness > 0):
        raise ModelError(f"load and tightness must be positive, got load={load}, tightness={tightness}")
    templates = templates if templates is not None else default_templates()
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(templates), size=n)
    drawn = [templates[p] for p in picks.tolist()]
    times = _times(drawn, fleet, workers, profile, cut_overhead)  # once: the capacity and the deadlines
    rate = load * _capacity(times, drawn, fleet, workers) if n else 1.0
    arrival = np.cumsum(rng.exponential(1.0 / rate, n))
    fastest = times.min(axis=1) if n else np.zeros(0)  # each job's fastest_whole
    return [
        Job(i, t.qubits, t.depth, t.shots, a, a + tightness * float(f), t.name, t.depth_on, t.esp_on, t.kind)
        for i, (t, a, f) in enumerate(zip(drawn, arrival.tolist(), fastest.tolist()))
    ]


def _read(path) -> dict:
    path = Path(path)
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error becomes a FileFormatError
        raise FileFormatError(f"cannot parse: {exc}", str(path)) from None


def load_fleet(path, snapshots: bool = False) -> list[QPU]:
    """A fleet file: ``{"qpus": [...]}``, each entry a QPU's numbers or a device's name.

    JSON, or YAML by the ``.yaml`` / ``.yml`` suffix. An entry is either

    - numbers: ``name``, ``qubits``, ``clops`` (layer operations per second),
      ``two_qubit_error``, and optionally ``overhead`` (seconds per batch, by default
      :data:`~qbdsl.orchestrate.model.DEFAULT_OVERHEAD`, 3.07 s: the ``ibm`` backend's per-job
      time), ``family``, ``kind`` (``"gate"``, or ``"anneal"``: then ``clops`` may be null or
      absent, meaning infinite), ``shot_seconds`` (the least time a shot takes: a shot takes
      ``max(depth / clops, shot_seconds)``; 0 by default) and ``source`` (free text); or
    - ``{"device": "ibm:fake_fez"}`` (``"ibm:ibm_fez"``, ``"dwave:mock-advantage"``...): the
      QPU with the figures its backend uses (:mod:`qbdsl.orchestrate.devices`); numbers given
      beside ``device`` (``name``, ``qubits``, ``clops``, ``two_qubit_error``, ``overhead``,
      ``shot_seconds``, ``family``) override the device's. ``"snapshot": true`` lets a real
      device without credentials be described offline (IBM: the calibration snapshot of the
      same name; D-Wave: the nominal topology); ``snapshots=True`` does so for every entry.

    Parameters
    ----------
    path : str or Path
        The fleet file.
    snapshots : bool
        Let every real IBM device fall back to its snapshot when no account is configured.

    Returns
    -------
    list of QPU
        In file order.

    Raises
    ------
    FileFormatError
        When the file does not parse, has no non-empty ``qpus`` list, a QPU misses a field or
        has an invalid value, names an unknown device (the known ones are listed), or two QPUs
        share a name (the entry's index is named).
    BackendError
        A device whose SDK is missing, or a real device without credentials (naming how to
        configure them) or that cannot be reached; the entry's index is named.
    OSError
        When the file cannot be read.
    """
    doc = _read(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("qpus"), list) or not doc["qpus"]:
        raise FileFormatError("expected a non-empty 'qpus' list", str(path))
    out = []
    for i, d in enumerate(doc["qpus"]):
        if not isinstance(d, dict):
            raise FileFormatError(f"qpus[{i}] is not an object", str(path))
        try:
            q = _device_entry(d, i, snapshots, str(path)) if "device" in d else _numbers_entry(d, i, str(path))
        except (ValueError, TypeError, OverflowError) as exc:
            raise FileFormatError(f"qpus[{i}]: {exc}", str(path)) from None
        except FileFormatError:
            raise
        except ModelError as exc:
            raise FileFormatError(f"qpus[{i}]: {exc}", str(path)) from None
        if any(p.name == q.name for p in out):
            raise FileFormatError(
                f"qpus[{i}]: a QPU named {q.name!r} is already in the fleet; give it a 'name'", str(path)
            )
        out.append(q)
    return out


def _numbers_entry(d: dict, i: int, where: str) -> QPU:
    """A QPU from an entry of numbers (see :func:`load_fleet`)."""
    kind = str(d.get("kind", "gate"))
    required = (
        ("name", "qubits", "two_qubit_error") if kind == "anneal" else ("name", "qubits", "clops", "two_qubit_error")
    )
    for key in required:
        if key not in d:
            raise FileFormatError(f"qpus[{i}] is missing field '{key}'", where)
    clops = d.get("clops")
    return QPU(
        str(d["name"]),
        int(d["qubits"]),
        float("inf") if clops is None else float(clops),
        float(d["two_qubit_error"]),
        float(d.get("overhead", DEFAULT_OVERHEAD)),
        str(d.get("family", "")),
        kind,
        float(d.get("shot_seconds", 0.0)),
        str(d.get("source", "")),
    )


def _device_entry(d: dict, i: int, snapshots: bool, where: str) -> QPU:
    """A QPU from an entry naming a device (see :func:`load_fleet`)."""
    from ..errors import BackendError
    from .devices import OVERRIDES, device_qpu, with_overrides

    unknown = sorted(set(d) - {"device", "snapshot", "kind", "source", *OVERRIDES})
    if unknown:
        raise FileFormatError(
            f"qpus[{i}]: unknown field(s) {', '.join(map(repr, unknown))} beside 'device'; "
            f"known: device, snapshot, {', '.join(OVERRIDES)}",
            where,
        )
    if not isinstance(d["device"], str):
        raise FileFormatError(f"qpus[{i}]: 'device' must be a string like 'ibm:fake_fez', got {d['device']!r}", where)
    real = d["device"].startswith(("ibm:ibm_", "dwave:advantage"))
    if "snapshot" in d and (not isinstance(d["snapshot"], bool) or not real):
        raise FileFormatError(
            f"qpus[{i}]: 'snapshot' is true or false, for a real device (ibm:ibm_<name>, dwave:advantage, "
            f"dwave:advantage2); got {d['snapshot']!r} on {d['device']!r}",
            where,
        )
    try:
        qpu = device_qpu(d["device"], snapshot=snapshots or d.get("snapshot") is True)
    except BackendError as exc:
        raise BackendError(f"{where}: qpus[{i}]: {exc}") from None
    if "kind" in d and d["kind"] != qpu.kind:
        raise FileFormatError(f"qpus[{i}]: device {d['device']!r} is a {qpu.kind!r} QPU, not {d['kind']!r}", where)
    return with_overrides(qpu, d, f"qpus[{i}]")


def fleet_document(fleet: list[QPU]) -> dict:
    """A fleet as the document :func:`load_fleet` reads: every QPU's numbers and ``source``
    (an infinite ``clops`` becomes null), so the file reads back without the vendors' SDKs."""
    return {
        "qpus": [
            {
                "name": q.name,
                "qubits": q.qubits,
                "clops": q.clops if math.isfinite(q.clops) else None,
                "two_qubit_error": q.two_qubit_error,
                "overhead": q.overhead,
                "family": q.family,
                "kind": q.kind,
                "shot_seconds": q.shot_seconds,
                "source": q.source,
            }
            for q in fleet
        ]
    }


def load_jobs(path) -> list[Job]:
    """A workload file: ``{"jobs": [{"qubits", "depth", "shots", "arrival", "deadline"}]}``, each
    job optionally with ``"kind"``: ``"circuit"`` (default) or ``"qubo"`` (an optimization
    problem, the only kind a quantum annealer takes; see :mod:`qbdsl.orchestrate.model`).

    JSON, or YAML by the ``.yaml`` / ``.yml`` suffix; ``arrival`` and ``deadline`` in seconds.

    Raises
    ------
    FileFormatError
        When the file does not parse, has no non-empty ``jobs`` list, or a job misses a field or
        has an invalid value (its index is named).
    OSError
        When the file cannot be read.
    """
    doc = _read(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list) or not doc["jobs"]:
        raise FileFormatError("expected a non-empty 'jobs' list", str(path))
    out = []
    for i, d in enumerate(doc["jobs"]):
        for key in ("qubits", "depth", "shots", "arrival", "deadline"):
            if key not in d:
                raise FileFormatError(f"jobs[{i}] is missing field '{key}'", str(path))
        try:
            j = Job(
                i,
                int(d["qubits"]),
                int(d["depth"]),
                int(d["shots"]),
                float(d["arrival"]),
                float(d["deadline"]),
                kind=str(d.get("kind", "circuit")),
            )
        except (ValueError, TypeError, OverflowError, ModelError) as exc:
            raise FileFormatError(f"jobs[{i}]: {exc}", str(path)) from None
        if not (np.isfinite(j.arrival) and np.isfinite(j.deadline)):
            raise FileFormatError(f"jobs[{i}]: arrival and deadline must be finite seconds", str(path))
        if j.qubits <= 0 or j.depth <= 0 or j.shots <= 0 or j.deadline < j.arrival:
            raise FileFormatError(
                f"jobs[{i}]: qubits, depth and shots must be positive and deadline >= arrival", str(path)
            )
        out.append(j)
    return out


def ibm_fleet() -> list[QPU]:
    """The grounded fleet: IBM devices from qiskit-ibm-runtime's calibration snapshots with
    their published CLOPS_h (:func:`qbdsl.orchestrate.grounded.ibm_fleet_data`)."""
    from .grounded import FLEET_FILE, ibm_fleet_data

    return [
        QPU(
            str(d["name"]),
            int(d["qubits"]),
            float(d["clops"]),
            float(d["two_qubit_error"]),
            float(d["overhead"]),
            str(d.get("family", "")),
            shot_seconds=float(d.get("shot_seconds", 0.0)),
            source=f"{FLEET_FILE}: {d['sources']['calibration']}" if isinstance(d["sources"], dict) else FLEET_FILE,
        )
        for d in ibm_fleet_data()["qpus"]
    ]


def mqt_templates(shots=SHOTS) -> list[Job]:
    """Job types from MQT Bench circuits (:func:`qbdsl.orchestrate.grounded.circuit_library`),
    each at every shot count in ``shots``: logical qubits and depth, the layers of two-qubit
    gates after transpiling to each device wide enough (``depth_on``: the hardware-aware
    layers CLOPS_h counts, each with its single-qubit gates; IBM, "QPU information",
    docs.quantum.ibm.com) and the estimated success probability there (``esp_on``)."""
    from .grounded import circuit_library

    out = []
    for c in circuit_library():
        layers = {dev: max(1, c.two_qubit_depth_on.get(dev, 0) or c.depth_on[dev]) for dev in c.depth_on}
        for s in shots:
            out.append(Job(len(out), c.qubits, c.depth, int(s), 0.0, 0.0, c.name, layers, dict(c.esp_on)))
    return out
