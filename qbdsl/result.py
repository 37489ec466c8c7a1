"""The one result type every backend's answer comes back as: every sample, best first."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from .solution import Solution


class Status(StrEnum):
    """A solve's status. A ``str`` (``Status.OPTIMAL == "optimal"``, ``str()`` and f-strings
    give the plain value), so code comparing with strings keeps working.

    optimal     proven optimal (gap 0)
    feasible    a feasible answer, not proven optimal (see ``Result.gap``)
    infeasible  the model has no feasible point (confirmed)
    no_feasible no feasible point found, none proven absent
    unbounded   the objective is unbounded (confirmed)
    time_limit  cut short by the time limit (``Result.feasible`` says if the best sample is)
    error       the backend failed without an answer
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_FEASIBLE = "no_feasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


def _objective_key(objective, sense: str) -> float:
    """Lower is better: the objective as minimized (a missing or NaN objective last)."""
    if objective is None or math.isnan(objective):
        return math.inf
    return objective if sense == "min" else -objective


def _energy_key(energy) -> float:
    return math.inf if energy is None or math.isnan(energy) else float(energy)


def sample_order_key(sol: Solution, sense: str = "min") -> tuple:
    """The key :class:`Result` sorts its samples by (ascending).

    Feasible samples come first, by the user's objective in the user's sense (best first),
    ties by energy (lowest first); then the infeasible ones, by energy (the penalized
    quantity the solver minimized), ties by total violation, then by objective. A missing
    energy (MILP backends) counts as +inf, so infeasible MILP points go by total violation.
    """
    obj = _objective_key(sol.objective, sense)
    if sol.feasible:
        return (0, obj, _energy_key(sol.energy), 0.0)
    return (1, _energy_key(sol.energy), sol.total_violation, obj)


@dataclass
class Result:
    """A solve's answer in the user's terms: every sample the backend returned, best first
    (in the spirit of dimod's ``SampleSet``).

    Attributes
    ----------
    samples : list of Solution  every decoded sample (unique reads of the backend, with
                              ``num_occurrences``), sorted by :func:`sample_order_key`:
                              feasible ones by the user's objective (best first; ties by
                              energy), then infeasible ones by energy (ties by total
                              violation). ``len(result)``, ``iter(result)``, ``result[k]``
                              reach them; ``result.first`` is the best.
    status : Status           optimal (proven: gap 0) | feasible (not proven optimal; see
                              ``gap``) | infeasible (confirmed) | no_feasible (none found, none
                              proven absent) | unbounded (confirmed) | time_limit (cut short
                              by the time limit; ``feasible`` says if the best sample is) |
                              error. A ``str`` enum: ``result.status == "optimal"`` holds.
    backend : str, options : dict, timings : {"compile", "solve", "decode"} seconds
    raw : Any                 the backend's own output (:class:`qbdsl.backends.BackendOutput`)
    decision : Any            the policy's decision (``backend="auto"``)
    attempts : list of {"backend", "error"}  backends tried before this one (``fallback=``)
    bound : float | None      a proven bound on the optimal objective (the solver's dual
                              bound; below the optimum when minimizing, above when
                              maximizing), when the backend reports one
    gap : float | None        ``|objective - bound| / max(1, |objective|)``; 0 when proven
    info : dict               decoding facts: ``returned`` (distinct samples the backend
                              returned), ``decoded`` (how many of them were decoded: the
                              best-energy ones first, when the time limit or memory could not
                              cover all; ``not_decoded`` then says which)
    sense : "min" | "max"     the user's objective sense (the order of ``samples``)
    problem : Problem | None  the user's model as lowered (labels for :meth:`to_sampleset`)

    The best sample's fields, as properties: ``values`` ({name: ndarray} in the user's
    shapes), ``objective`` (the user's objective, NaN without a sample), ``violations``
    (violated constraints only), ``energy`` (QUBO energy with penalties; the MILP objective
    for MILP backends), ``sample`` (the raw point in the IR's variables) and ``feasible``.
    """

    samples: list[Solution] = field(default_factory=list)
    status: Status = Status.ERROR
    backend: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    raw: Any = None
    decision: Any = None
    attempts: list = field(default_factory=list)
    bound: float | None = None
    gap: float | None = None
    info: dict[str, Any] = field(default_factory=dict)
    sense: str = "min"
    problem: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.samples = sorted(self.samples, key=lambda s: sample_order_key(s, self.sense))
        if isinstance(self.status, str) and not isinstance(self.status, Status):
            self.status = Status(self.status)

    # ------------------------------------------------------------ the samples
    def __len__(self) -> int:
        return len(self.samples)

    def __bool__(self) -> bool:  # a result is an answer even without a sample (``len`` is 0 then)
        return True

    def __iter__(self) -> Iterator[Solution]:
        return iter(self.samples)

    def __getitem__(self, k) -> Solution:
        return self.samples[k]

    @property
    def first(self) -> Solution | None:
        """The best sample (``None`` when the backend returned none)."""
        return self.samples[0] if self.samples else None

    def feasible_samples(self) -> list[Solution]:
        """The feasible samples, best first."""
        return [s for s in self.samples if s.feasible]

    @property
    def num_occurrences(self) -> int:
        """Reads behind the decoded samples (the sum of their ``num_occurrences``)."""
        return sum(s.num_occurrences for s in self.samples)

    # ------------------------------------------------------------ the best sample's fields
    @property
    def values(self) -> dict[str, np.ndarray]:
        """The best sample's values: {variable name: ndarray in its declared shape} (empty without one)."""
        return self.samples[0].values if self.samples else {}

    @property
    def objective(self) -> float:
        """The best sample's objective in the user's sense (NaN without a sample)."""
        return self.samples[0].objective if self.samples else math.nan

    @property
    def violations(self) -> dict[str, np.ndarray]:
        """The best sample's violated constraints: {block name: violation per row} (empty without one)."""
        return self.samples[0].violations if self.samples else {}

    @property
    def energy(self) -> float | None:
        """The best sample's QUBO energy with penalties (the MILP objective for MILP backends)."""
        return self.samples[0].energy if self.samples else None

    @property
    def sample(self) -> np.ndarray | None:
        """The best sample as the raw point in the IR's variables, shape ``(n_ir,)`` (``None`` without one)."""
        return self.samples[0].sample if self.samples else None

    @property
    def feasible(self) -> bool:
        """The best sample satisfies every constraint (``False`` when there is none)."""
        return (
            bool(self.samples)
            and self.samples[0].feasible
            and self.status not in (Status.INFEASIBLE, Status.UNBOUNDED, Status.ERROR, Status.NO_FEASIBLE)
        )

    # ------------------------------------------------------------ conversions
    def labels(self) -> list[str]:
        """The user's flat element labels (``x(0,1)``), the columns of :meth:`to_sampleset`."""
        if self.problem is not None:
            return self.problem.layout.labels()
        n = len(self.samples[0].x) if self.samples and self.samples[0].x is not None else 0
        return [f"x{k}" for k in range(n)]

    def to_sampleset(self):
        """Every sample as a ``dimod.SampleSet`` over the user's flat element labels, in this
        result's order.

        Vectors: ``energy`` (the QUBO energy with penalties; the MILP objective for MILP
        backends; NaN when unknown), ``num_occurrences``, ``objective`` (the user's) and
        ``is_feasible``; ``info``: ``status``, ``backend``, ``timings``. The vartype is
        BINARY when every variable is binary, INTEGER when all are integral, else REAL.
        """
        import dimod

        labels = self.labels()
        n = len(labels)
        k = len(self.samples)
        X = np.empty((k, n))
        for r, s in enumerate(self.samples):
            X[r] = s.x
        kinds = self.problem.layout.kinds() if self.problem is not None else None
        if kinds is None:
            integral = bool(np.all(X == np.rint(X)))
            binary = integral and bool(np.all((X == 0) | (X == 1)))
        else:
            integral, binary = bool(np.all(kinds < 2)), bool(np.all(kinds == 0))
        if binary:
            vartype, X = dimod.BINARY, X.astype(np.int8)
        elif integral:
            vartype, X = dimod.INTEGER, np.rint(X).astype(np.int64)
        else:
            vartype = dimod.REAL
        energy = np.array([np.nan if s.energy is None else s.energy for s in self.samples], dtype=float)
        return dimod.SampleSet.from_samples(
            (X, labels),
            vartype,
            energy,
            info={"status": str(self.status), "backend": self.backend, "timings": dict(self.timings)},
            num_occurrences=np.array([s.num_occurrences for s in self.samples], dtype=np.int64),
            objective=np.array([s.objective for s in self.samples], dtype=float),
            is_feasible=np.array([s.feasible for s in self.samples], dtype=bool),
            sort_labels=False,
        )

    def __repr__(self) -> str:
        return (
            f"Result(backend={self.backend!r}, status={str(self.status)!r}, objective={self.objective:g}, "
            f"feasible={self.feasible}, samples={len(self.samples)})"
        )


# Reads decoded beyond the backend's best: at most this many bytes of decoded points (the
# IR's and the user's float64 vectors) are kept, the lowest-energy reads first.
DECODE_BYTES_CAP = 256 << 20


def decode_reads(out, decode, budget) -> tuple[list, dict]:
    """Every read of a backend's output as a Solution (with its ``num_occurrences`` and IR
    ``sample``), in the output's order (best energy first), and what was decoded.

    The IR's own ``decode`` takes the reads as one batch (QuboIR, MilpIR); another decoder is
    called read by read. The best read is always decoded (as an answer always was); the
    others in growing batches while the time limit allows, ending by the deadline plus a
    fifth of its grace (the grace is there for decoding), and within ``DECODE_BYTES_CAP``.

    Parameters
    ----------
    out : BackendOutput
        ``samples`` (k, n_ir), ``energies`` (k,) and ``num_occurrences`` (k,), best energy first.
    decode : callable
        An IR's ``decode`` (batch of rows) or a function of one row returning a Solution.
    budget : Budget
        The solve's time budget (``deadline``, ``time_limit`` in seconds, ``limited``).

    Returns
    -------
    samples : list of Solution
        The decoded reads, in the output's order.
    info : dict
        ``returned`` and ``decoded`` counts, and ``not_decoded`` ("time limit" or "memory: ...")
        when some reads were left out.
    """
    from qbdsl.backends.budget import grace

    from .ir.milp import MilpIR
    from .ir.qubo import QuboIR

    X = np.asarray(out.samples) if len(out.samples) else None
    info = {"returned": 0 if X is None else len(X), "decoded": 0}
    if X is None:
        return [], info
    batch = isinstance(getattr(decode, "__self__", None), (QuboIR, MilpIR))
    energies, occ = np.asarray(out.energies, dtype=float), np.asarray(out.num_occurrences)

    def run(lo: int, hi: int) -> list:
        sols = decode(X[lo:hi]) if batch else [decode(X[r]) for r in range(lo, hi)]
        for r, sol in zip(range(lo, hi), sols):
            sol.num_occurrences, sol.sample = int(occ[r]), X[r]
            if sol.energy is None and not np.isnan(energies[r]):
                sol.energy = float(energies[r])  # a MILP backend's objective
        return sols

    t = time.perf_counter()
    samples = run(0, 1)
    per_read = time.perf_counter() - t
    width = X.shape[1] + 2 * (len(samples[0].x) if samples[0].x is not None else 0)  # sample, x, values
    cap = max(1, DECODE_BYTES_CAP // max(1, 8 * width))
    end = budget.deadline + 0.2 * grace(budget.time_limit) if budget.limited else math.inf
    k, step = 1, 8
    while k < min(len(X), cap):
        hi = min(len(X), cap, k + step)
        if time.perf_counter() + per_read * (hi - k) > end:
            hi = k + int((end - time.perf_counter()) / per_read) if per_read > 0 else hi
            if hi <= k:
                break
        t = time.perf_counter()
        samples += run(k, hi)
        per_read = max((time.perf_counter() - t) / (hi - k), 1e-9)
        k, step = hi, 4 * step
    info["decoded"] = len(samples)
    if len(samples) < len(X):
        info["not_decoded"] = (
            "time limit"
            if len(samples) < min(len(X), cap)
            else f"memory: decoded points capped at {DECODE_BYTES_CAP >> 20} MiB"
        )
    return samples, info
