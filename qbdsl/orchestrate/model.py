"""The job and fleet model shared by the simulator, the policies, live mode, the hindsight
bound and the scheduling problem of the library (:mod:`qbdsl.problems.scheduling`).

Execution time of ``shots`` shots of a depth-``d`` circuit on a QPU of speed ``clops``
(circuit layer operations per second, IBM's CLOPS metric: Wack et al., "Quality, Speed, and
Scale: three key attributes to measure the performance of near-term quantum computers",
arXiv:2110.14108) is ``overhead + d * shots / clops`` seconds, where ``d`` is the circuit's
depth *after transpiling to that QPU* when the job carries it (``Job.depth_on``, from the
grounded workload of :mod:`qbdsl.orchestrate.grounded`), else its logical depth. A job wider
than a QPU is cut into ``c = ceil(qubits / qpu_qubits)`` fragments; wire cutting multiplies
the shots by the sampling overhead ``cut_overhead ** (c - 1)`` (one cut per extra fragment;
each single-wire cut multiplies the shots by gamma^2 = 9, the optimal quasi-probability
overhead gamma = 3: Brenner, Piveteau and Sutter, arXiv:2302.03366; Harada, Wada and
Yamamoto, arXiv:2303.07340; Peng et al.'s original cut, PRL 125, 150504, 2020, has gamma = 4),
and only QPUs at least ``qubits / c`` wide can take a fragment.

Jobs are of two kinds (``Job.kind``): a ``"circuit"`` (a gate-model circuit: it runs only on a
gate QPU, or a classical worker) and a ``"qubo"`` (an optimization problem of ``qubits``
binaries: ``shots`` reads on a quantum annealer, whole (an annealer does not cut), or its QAOA
circuit of ``depth`` on a gate QPU). :func:`runs_on` says which device takes which job; on any
other, :func:`per_shot_seconds` is ``inf``, which every policy treats as "cannot run here".

Classical workers run a job by statevector simulation (one state, then sampling is free),
timed by the QIP statevector profile: ``a + b * depth * 2**qubits`` seconds up to the
profile's qubit limit (:func:`classical_time`), fidelity 1.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError

TOL = 1e-9  # seconds: a deadline computed as arrival + run time is met despite rounding
CUT_OVERHEAD = 9.0  # shots multiplier per single-wire cut, gamma^2 with gamma = 3; see the module docstring


# Seconds per batch when a fleet entry gives none: the ibm backend's per-job time, derived from
# IBM's published usage example (backends/ibm_backend.py JOB_OVERHEAD_SECONDS; a test keeps
# the two equal without importing the backend here).
DEFAULT_OVERHEAD = 3.07
KINDS = ("gate", "anneal")
JOB_KINDS = ("circuit", "qubo")


@dataclass
class QPU:
    """One quantum device: ``qubits``, speed ``clops`` (layer operations per second), median
    two-qubit gate error, and ``overhead`` seconds per batch (load, calibrate, read out).

    ``kind`` is ``"gate"`` (a circuit device) or ``"anneal"`` (a quantum annealer: its time per
    shot, one read, does not depend on a circuit's depth, so ``clops`` is ``inf`` and
    ``shot_seconds`` carries the whole per-read time; no gate error applies, so
    :func:`fidelity` reports NaN there). ``shot_seconds``: the least time a shot takes, a shot
    taking ``max(depth / clops, shot_seconds)`` (a gate QPU's repetition delay between shots,
    ``default_rep_delay``: 250 us on the shipped IBM fleet; 0 for none). ``source``: where the
    figures come from (``"ibm:fake_fez (snapshot 2025-02-26...)"``; empty for numbers given
    by hand), see :mod:`qbdsl.orchestrate.devices`.

    Raises
    ------
    ModelError
        When ``qubits`` or ``clops`` is not positive, ``two_qubit_error`` is outside [0, 1),
        ``overhead`` or ``shot_seconds`` is negative, ``kind`` is unknown, or a shot would cost
        no time (``clops`` infinite and ``shot_seconds`` 0); the QPU is named.
    """

    name: str
    qubits: int
    clops: float
    two_qubit_error: float
    overhead: float = DEFAULT_OVERHEAD
    family: str = ""
    kind: str = "gate"
    shot_seconds: float = 0.0
    source: str = field(default="", compare=False)

    def __post_init__(self):
        if self.qubits <= 0 or self.clops <= 0 or not 0 <= self.two_qubit_error < 1 or self.overhead < 0:
            raise ModelError(
                f"QPU {self.name!r}: qubits and clops must be positive, two_qubit_error in [0, 1), overhead >= 0"
            )
        if self.kind not in KINDS:
            raise ModelError(f"QPU {self.name!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not (math.isfinite(self.shot_seconds) and self.shot_seconds >= 0) or not math.isfinite(self.overhead):
            raise ModelError(
                f"QPU {self.name!r}: shot_seconds must be finite and >= 0, overhead finite, "
                f"got {self.shot_seconds!r} and {self.overhead!r}"
            )
        if math.isinf(self.clops) and self.shot_seconds == 0:
            raise ModelError(f"QPU {self.name!r}: infinite clops needs shot_seconds > 0 (a shot takes time)")


@dataclass
class Job:
    """A quantum job: a circuit of ``qubits`` and logical ``depth`` sampled ``shots`` times,
    arriving at ``arrival`` and due at ``deadline`` (seconds). ``depth_on`` and ``esp_on``
    (QPU name -> depth after transpiling there, estimated success probability there) come
    from a grounded workload; without them the logical depth and :func:`fidelity`'s crude
    estimate stand in. ``kind``: ``"circuit"`` (default) or ``"qubo"`` (see the module
    docstring: only a ``"qubo"`` job runs on a quantum annealer).

    Raises
    ------
    ModelError
        When ``kind`` is not one of :data:`JOB_KINDS`.
    """

    id: int
    qubits: int
    depth: int
    shots: int
    arrival: float
    deadline: float
    name: str = ""
    depth_on: dict | None = field(default=None, repr=False)
    esp_on: dict | None = field(default=None, repr=False)
    kind: str = "circuit"

    def __post_init__(self):
        if self.kind not in JOB_KINDS:
            raise ModelError(f"job {self.id}: kind must be one of {', '.join(JOB_KINDS)}, got {self.kind!r}")


@dataclass
class Batch:
    """``shots`` shots of job ``job`` sent to device ``qpu`` (an index past the fleet is a
    classical worker); devices serve waiting batches by ``priority``, ties in order sent.
    ``tag``: the policy's own id for the batch, echoed back in
    :class:`~qbdsl.orchestrate.platform.DeviceState` (a job may have several batches on one
    device: its shots in consecutive chunks)."""

    job: int
    qpu: int
    shots: int
    fragments: int = 1
    priority: float = 0.0
    tag: int = -1


@dataclass
class Decision:
    """What a policy decides when a job arrives.

    ``batches``: batches to send (of the arriving job, of jobs it moves, of jobs it admits
    late). ``withdraw``: job id -> reason, jobs dispatched earlier that it takes back (their
    waiting batches are dropped; a batch in service is aborted, which only an aborting policy
    asks for); a withdrawn job with new batches here is *moved*. ``why``: the reason when the
    arriving job gets no batch."""

    batches: list[Batch] = field(default_factory=list)
    withdraw: dict[int, str] = field(default_factory=dict)
    why: str = ""

    def __add__(self, other: Decision) -> Decision:
        return Decision(self.batches + other.batches, {**self.withdraw, **other.withdraw}, self.why or other.why)


def classical_time(job: Job, profile=None) -> float:
    """Seconds to simulate ``job`` on one classical worker: the QIP statevector profile
    (``qbdsl.qip`` profile ``"qaoa"``, shipped figures unless ``profile`` is given) charges
    ``a + b * depth * 2**qubits``; ``inf`` beyond the qubits it takes."""
    profile = profile or _statevector_profile()
    if profile.max_variables is not None and job.qubits > profile.max_variables:
        return math.inf
    return profile.a + profile.b * job.depth * 2.0**job.qubits


@functools.lru_cache(maxsize=1)
def _statevector_profile():
    from ..qip.profiles import default_profiles

    return default_profiles()["qaoa"]


def runs_on(job: Job, qpu: QPU) -> bool:
    """Whether ``qpu`` can run ``job`` at all: a gate QPU runs every job (a QUBO as its QAOA
    circuit); an annealer only a ``"qubo"`` job that fits its qubits whole (no cutting)."""
    return qpu.kind == "gate" or (job.kind == "qubo" and job.qubits <= qpu.qubits)


def fragments(job: Job, qpu: QPU) -> int:
    """The fragments ``job`` is cut into on ``qpu``: ``ceil(qubits / qpu.qubits)``, at least 1
    (1 on an annealer, which does not cut)."""
    if qpu.kind == "anneal":
        return 1
    return max(1, math.ceil(job.qubits / qpu.qubits))


def depth_on(job: Job, qpu: QPU) -> int:
    """The job's depth on ``qpu``: transpiled there when known; on a device the grounded
    workload has no transpile for (one too narrow, where the job is cut), the largest depth
    it has after transpiling anywhere (a cut fragment is not assumed shallower than the
    routed circuit; the logical depth made cutting look ten times cheaper than a whole run);
    without transpiled depths, the logical depth."""
    if job.depth_on:
        return int(job.depth_on.get(qpu.name, max(job.depth_on.values())))
    return job.depth


def per_shot_seconds(job: Job, qpu: QPU, cut_overhead: float = CUT_OVERHEAD) -> float:
    """Seconds per shot of ``job`` on ``qpu``: ``c`` fragments, each sampled ``cut_overhead**(c-1)`` x,
    each shot ``max(depth / clops, shot_seconds)`` (the rule of the ``ibm`` backend's prediction:
    a gate QPU's shot cannot repeat faster than its repetition delay; an annealer's read is its
    ``shot_seconds``); ``inf`` where ``qpu`` cannot run ``job`` (:func:`runs_on`)."""
    if not runs_on(job, qpu):
        return math.inf
    c = fragments(job, qpu)
    if qpu.shot_seconds:
        return max(depth_on(job, qpu) / qpu.clops, qpu.shot_seconds) * (cut_overhead ** (c - 1)) * c
    return depth_on(job, qpu) * (cut_overhead ** (c - 1)) * c / qpu.clops


def run_time(job: Job, qpu: QPU, shots: int, cut_overhead: float = CUT_OVERHEAD) -> float:
    """Seconds for ``shots`` shots of ``job`` on ``qpu`` (cutting overhead included)."""
    return qpu.overhead + shots * per_shot_seconds(job, qpu, cut_overhead)


def impossible(job: Job, fleet: list[QPU], cut_overhead: float = CUT_OVERHEAD, workers: int = 0, profile=None) -> str:
    """Why no schedule can serve ``job`` even on an idle fleet (shots split over every QPU),
    or ``""`` when one can."""
    window = job.deadline - job.arrival
    if workers and classical_time(job, profile) <= window + TOL:
        return ""
    room = sum(max(0.0, (window - q.overhead) / per_shot_seconds(job, q, cut_overhead)) for q in fleet)
    if math.floor(room + 1e-9) >= job.shots:
        return ""
    return (
        f"job {job.id}: {job.shots} shots cannot finish within its {window:.3g} s window even split "
        f"over every idle QPU (at most {int(room)} shots fit)" + ("" if workers else "; no classical worker")
    )


def fidelity(job: Job, qpu: QPU) -> float:
    """The job's estimated success probability on ``qpu``: the grounded workload's (product of
    gate and readout fidelities after transpiling, Nishio et al., ACM JETC 16, 2020) when
    known, else the crude ``(1 - e2) ** (depth * qubits / 2)``; NaN on an annealer (``kind``
    ``"anneal"``), where no gate error applies and no estimate is made."""
    if qpu.kind == "anneal":
        return math.nan
    if job.esp_on and qpu.name in job.esp_on:
        return float(job.esp_on[qpu.name])
    return float((1 - qpu.two_qubit_error) ** (job.depth * min(job.qubits, qpu.qubits) / 2))


def fastest_time(job: Job, fleet: list[QPU], cut_overhead: float = CUT_OVERHEAD) -> float:
    """Seconds of the job's fastest whole run on one QPU of ``fleet`` (cut where too narrow)."""
    return min(run_time(job, q, job.shots, cut_overhead) for q in fleet)


@dataclass
class Outcome:
    """What happened to every job, and the fleet's use of time.

    ``batches``: ``(job, device name, shots, start, end)`` per batch run (0 shots: aborted).
    ``busy``: seconds each QPU was busy. ``work``: QPU-seconds each job's *completed* batches
    used. ``reference``: each job's intrinsic work, its fastest whole run on one QPU wide
    enough (device-independent: the same job costs more QPU-seconds on a slower device).
    ``horizon``: first arrival to last arrival (the offered-load window)."""

    served: np.ndarray  # bool per job: all batches done by the deadline
    finish: np.ndarray  # time the last batch finished (nan if rejected)
    rejected: np.ndarray  # bool per job: never dispatched, or withdrawn and not sent again
    fidelity: np.ndarray  # estimated fidelity of the job's runs (nan if rejected)
    busy: np.ndarray  # seconds each QPU was busy
    makespan: float
    decision_seconds: float
    batches: list = field(default_factory=list)
    classical: np.ndarray | None = None  # bool per job: served by a classical worker
    reasons: dict = field(default_factory=dict)  # job -> why it was rejected
    impossible: np.ndarray | None = None  # bool per job: no schedule could serve it
    withdrawn: np.ndarray | None = None  # bool per job: dispatched, then taken back by the policy
    moved: np.ndarray | None = None  # bool per job: taken back and dispatched anew (at least once)
    deferred: np.ndarray | None = None  # bool per job: not dispatched on arrival, admitted later
    aborted: int = 0  # batches aborted while in service
    work: np.ndarray | None = None  # QPU-seconds of each job's completed QPU batches
    shots: np.ndarray | None = None  # shots per job
    size_class: np.ndarray | None = None  # 0 small, 1 medium, 2 large (terciles of fastest QPU time)
    horizon: float = 0.0
    reference: np.ndarray | None = None  # seconds: the job's fastest whole run on a QPU wide enough
    discarded: int = 0  # completed batches of jobs taken back afterwards (work lost)

    def metrics(self) -> dict:
        """The run's figures by name: counts of jobs (served, rejected, moved...), makespan and
        QPU-seconds in seconds, ``utilisation`` and ``busy_fraction`` in [0, 1], mean fidelity
        of the quantum runs, ``decision_ms_per_job`` in milliseconds, served shots, and the
        fraction served in each size class."""
        n = len(self.served)
        count = lambda flags: int(flags.sum()) if flags is not None else 0  # noqa: E731
        quantum_served = self.served & ~(self.classical if self.classical is not None else False)
        out = {
            "served": count(self.served),
            "served_fraction": float(self.served.sum() / max(n, 1)),
            "rejected": count(self.rejected),
            "impossible": count(self.impossible),
            "makespan": float(self.makespan),
            "utilisation": float(self.busy.sum() / (len(self.busy) * max(self.makespan, 1e-12))),
            "mean_fidelity": _nanmean(self.fidelity[quantum_served]),
            "withdrawn": count(self.withdrawn),
            "moved": count(self.moved),
            "deferred": count(self.deferred),
            "aborted": int(self.aborted),
            "discarded": int(self.discarded),
            "served_classically": count(self.classical),
            "decision_ms_per_job": 1e3 * self.decision_seconds / max(n, 1),
        }
        if self.work is not None:
            out["served_qpu_seconds"] = float(self.work[self.served].sum())
            out["wasted_qpu_seconds"] = float(self.busy.sum() - self.work[self.served].sum())
        if self.reference is not None:
            out["served_work"] = float(np.nansum(np.where(quantum_served, self.reference, 0.0)))
        if self.shots is not None:
            out["served_shots"] = int(self.shots[quantum_served].sum())
        if self.horizon > 0:
            out["busy_fraction"] = float(self.busy.sum() / (len(self.busy) * self.horizon))
        if self.size_class is not None:
            for c, label in enumerate(("small", "medium", "large")):
                members = self.size_class == c
                out[f"served_{label}"] = float(self.served[members].mean()) if members.any() else float("nan")
        return out


def _nanmean(values: np.ndarray) -> float:
    """The mean of the non-NaN ``values`` (NaN: a run on an annealer), NaN when there are none."""
    known = values[~np.isnan(values)]
    return float(known.mean()) if known.size else float("nan")
