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
    (or NaN) energy counts as +inf, so such points go by total violation.

    Parameters
    ----------
    sol : Solution
        A decoded sample.
    sense : {"min", "max"}, default "min"
        The user's objective sense.

    Returns
    -------
    tuple
        ``(0, objective as minimized, energy, 0.0)`` for a feasible sample, ``(1, energy,
        total violation, objective as minimized)`` for an infeasible one.
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
    device : str | None       (property) the device that ran it, ``"<backend>:<device>"``
                              (``"dwave:mock-advantage"``, ``"ibm:fake_fez"``, ``"dwave:hybrid"``),
                              from the backend's own report; None for a backend without devices
    raw : Any                 the backend's own output (:class:`qbdsl.backends.BackendOutput`)
    decision : Any            the policy's decision (``backend="auto"``)
    attempts : list of {"backend", "error"[, "device"]}  backends tried before this one (``fallback=``),
                              with the device when the run chose one (``"ibm:ibm_fez"``)
    bound : float | None      a proven bound on the optimal objective (the solver's dual
                              bound; below the optimum when minimizing, above when
                              maximizing), when the backend reports one
    gap : float | None        ``|objective - bound| / max(1, |objective|)``; 0 when proven
    info : dict               decoding facts (:func:`decode_reads`): ``returned`` (distinct
                              samples the backend returned), ``decoded`` (how many of them
                              were decoded: the best-energy ones first, when the time limit or
                              memory could not cover all; ``not_decoded`` then says which),
                              ``decoded_reads`` (the reads behind them) and ``decoded_bytes``
                              (the memory they keep)
    sense : "min" | "max"     the user's objective sense (the order of ``samples``)
    problem : Problem | None  the user's model as lowered (labels for :meth:`to_sampleset`)

    The best sample's fields, as properties: ``values`` ({name: ndarray} in the user's
    shapes), ``objective`` (the user's objective, NaN without a sample), ``violations``
    (violated constraints only), ``energy`` (see below), ``sample`` (the raw point in the
    IR's variables) and ``feasible``.

    Energy means one thing whatever the backend (:attr:`Solution.energy`): the
    minimization-form energy, lower is better. For QUBO backends it is the QUBO energy with
    penalties (a maximization's objective enters negated); for MILP backends the MILP
    objective in minimization form (``-objective`` for a maximizing MILP). The same
    maximization solved by ``anneal`` and by ``ortools`` reports the same energy at the same
    feasible point (``-14`` for an objective of 14, with a QUBO's penalties 0 there).
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
    def device(self) -> str | None:
        """The device that ran the solve, ``"<backend>:<device>"``, or None (see the class docstring)."""
        info = getattr(self.raw, "info", None) or {}
        name = info.get("device") or info.get("solver")
        return f"{self.backend}:{name}" if isinstance(name, str) and name else None

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
        """The best sample's minimization-form energy (:attr:`Solution.energy`; ``None`` without one)."""
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
        """Every sample as a ``dimod.SampleSet`` over the user's flat element labels, one row
        per distinct user point, in this result's order.

        Several samples can decode to one user point (the IR's integer encodings, slack
        bits): they become one row, with their ``num_occurrences`` summed and the energy,
        objective and feasibility of the lowest-energy one of them (ties: the first in this
        result's order), placed where that one stands in this result's order.

        Vectors: ``energy`` (:attr:`Solution.energy`: the minimization-form energy, the
        QUBO energy with penalties or a MILP backend's objective in minimization form; NaN
        when unknown), ``num_occurrences``, ``objective`` (the user's) and ``is_feasible``;
        ``info``: ``status``, ``backend``, ``timings``. The vartype is BINARY when every
        variable is binary, INTEGER when all are integral, else REAL.

        dimod's ``SampleSet.first`` is the lowest-energy row, which may be infeasible (a
        penalty weight too small to outweigh the objective); ``result.first`` is the best
        feasible sample (:func:`sample_order_key`). Use
        ``ss.filter(lambda d: d.is_feasible).first`` for dimod's view of the latter.

        Returns
        -------
        dimod.SampleSet
            ``m <= len(self)`` rows.

        Raises
        ------
        ImportError
            dimod is not installed.
        """
        import dimod

        labels = self.labels()
        n = len(labels)
        X = np.empty((len(self.samples), n))
        for r, s in enumerate(self.samples):
            X[r] = s.x
        energy = np.array([np.nan if s.energy is None else s.energy for s in self.samples], dtype=float)
        keep, occurrences = _merge_same_points(X, energy, np.array([s.num_occurrences for s in self.samples]))
        X, energy = X[keep], energy[keep]
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
        rows = [self.samples[r] for r in keep]
        return dimod.SampleSet.from_samples(
            (X, labels),
            vartype,
            energy,
            info={"status": str(self.status), "backend": self.backend, "timings": dict(self.timings)},
            num_occurrences=occurrences.astype(np.int64),
            objective=np.array([s.objective for s in rows], dtype=float),
            is_feasible=np.array([s.feasible for s in rows], dtype=bool),
            sort_labels=False,
        )

    def __repr__(self) -> str:
        return (
            f"Result(backend={self.backend!r}, status={str(self.status)!r}, objective={self.objective:g}, "
            f"feasible={self.feasible}, samples={len(self.samples)})"
        )


def _merge_same_points(X: np.ndarray, energy: np.ndarray, occurrences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows stand for each distinct point of ``X``, and the reads behind each.

    Parameters
    ----------
    X : ndarray, shape (k, n)
        Points, one per row (in a result's order).
    energy : ndarray, shape (k,)
        Each row's energy (NaN: unknown, taken as the highest).
    occurrences : ndarray, shape (k,)
        Each row's ``num_occurrences``.

    Returns
    -------
    keep : ndarray of int, shape (m,)
        For each distinct point, its lowest-energy row (ties: the first), ascending.
    occurrences : ndarray of int64, shape (m,)
        The summed ``num_occurrences`` of each distinct point's rows, aligned with ``keep``.
    """
    k = len(X)
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, group = np.unique(X, axis=0, return_inverse=True)
    group = group.reshape(-1)
    key = np.where(np.isnan(energy), np.inf, energy)
    order = np.lexsort((np.arange(k), key, group))  # by point, then energy, then position
    first = np.ones(k, dtype=bool)
    first[1:] = group[order[1:]] != group[order[:-1]]
    best = order[first]  # one row per point, in the points' order
    total = np.bincount(group, weights=occurrences, minlength=len(best)).astype(np.int64)
    total = total[group[best]]
    pos = np.argsort(best)
    return best[pos], total[pos]


# Reads decoded beyond the backend's best: the decoded samples keep at most this many bytes
# (their arrays and Python objects, as :func:`kept_bytes` counts them), lowest-energy reads first.
DECODE_BYTES_CAP = 256 << 20
# Python objects a sample keeps besides its arrays' data (measured with tracemalloc on
# CPython 3.12: a Solution with its instance dict ~ 0.4 kB, its two dicts, an ndarray header
# ~ 0.1 kB each, views included)
_SOLUTION_BYTES = 640
_ARRAY_BYTES = 128
# the decode's deadline is the solve's deadline plus this share of the grace (the grace covers
# decoding; the rest of it is left for ordering the samples and for the backend's own overshoot)
_DECODE_GRACE_SHARE = 0.2
# a chunk's predicted time is its measured cost per read times this (noise from other processes)
_TIME_SAFETY = 1.25
_FIRST_CHUNK, _GROWTH, _MAX_CHUNK_ONE_BY_ONE = 8, 4, 1024


def kept_bytes(sols: list[Solution]) -> np.ndarray:
    """Bytes each decoded sample keeps: its arrays' data and the Python objects around them.

    Counts ``x``, every array of ``values`` and ``violations`` (their ``nbytes``; a view is
    counted as if it were a copy, so this is an upper bound where views share a buffer),
    one header per array (``sample`` included: a view of the backend's own output) and the
    Solution with its dicts.

    Parameters
    ----------
    sols : list of Solution
        Decoded samples.

    Returns
    -------
    ndarray of int64, shape (len(sols),)
    """
    out = np.empty(len(sols), dtype=np.int64)
    for r, s in enumerate(sols):
        b = _SOLUTION_BYTES + _ARRAY_BYTES * (2 + len(s.values) + len(s.violations))
        b += 0 if s.x is None else s.x.nbytes
        b += sum(np.asarray(v).nbytes for v in s.values.values())
        b += sum(np.asarray(v).nbytes for v in s.violations.values())
        out[r] = b
    return out


def _chunk_limit(decode, n_ir: int, batch: bool) -> int:
    """Reads per decode call so that the decode's own temporaries stay bounded.

    A batch decode holds about ``rows x (n_ir + 4 n_user + constraint rows)`` float64 values
    at once (the IR points, the user's points, their values, bounds flags and each block's
    violations): :func:`~qbdsl.ir.poly.chunk_rows` keeps that within
    :data:`~qbdsl.ir.poly.EVAL_CHUNK_FLOATS`. A decoder of one row at a time needs no bound
    beyond :data:`_MAX_CHUNK_ONE_BY_ONE` (how often the time limit is checked).
    """
    from .ir.poly import chunk_rows

    if not batch:
        return _MAX_CHUNK_ONE_BY_ONE
    src = getattr(decode.__self__, "source", None)
    n_user = getattr(src, "n", n_ir)
    rows = sum(int(b.poly.rows) for b in getattr(src, "constraints", ()))
    return chunk_rows(n_ir + 4 * n_user + rows)


def decode_reads(out, decode, budget) -> tuple[list, dict]:
    """Every read of a backend's output as a Solution (with its ``num_occurrences`` and IR
    ``sample``), in the output's order (best energy first), and what was decoded.

    The IR's own ``decode`` takes the reads in batches (QuboIR, MilpIR); another decoder is
    called read by read. The best read is always decoded (as an answer always was); the
    others chunk by chunk, in the output's order, while both limits allow:

    - time: before each chunk its cost is predicted from the cost per read measured on the
      previous one (constant, as :meth:`Poly.evaluate` works in chunks of bounded size), and
      the chunk is shortened to end by the deadline plus a fifth of its grace (the grace is
      there for decoding; the rest of it covers ordering the samples);
    - memory: the decoded samples keep at most :data:`DECODE_BYTES_CAP` bytes as
      :func:`kept_bytes` counts them (values, ``x``, violations and their objects); each
      chunk is sized by the largest sample so far and cut where the cap would be passed.
      The decode's temporaries are bounded apart from this (:func:`_chunk_limit`).

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
        ``returned`` (distinct reads the backend returned) and ``decoded`` (how many of them
        were decoded, the best-energy ones first), ``decoded_reads`` (the reads behind them:
        their summed ``num_occurrences``) and ``decoded_bytes`` (what they keep, as
        :func:`kept_bytes` counts it); when some were left out, ``not_decoded`` says why:
        ``"time limit"`` or ``"memory: decoded samples capped at 256 MiB"``.
    """
    from qbdsl.backends.budget import grace

    from .ir.milp import MilpIR
    from .ir.qubo import QuboIR

    X = np.asarray(out.samples) if len(out.samples) else None
    info: dict[str, Any] = {"returned": 0 if X is None else len(X), "decoded": 0, "decoded_reads": 0}
    if X is None:
        info["decoded_bytes"] = 0
        return [], info
    batch = isinstance(getattr(decode, "__self__", None), (QuboIR, MilpIR))
    energies, occ = np.asarray(out.energies, dtype=float), np.asarray(out.num_occurrences)

    def run(lo: int, hi: int) -> list:
        sols = decode(X[lo:hi]) if batch else [decode(X[r]) for r in range(lo, hi)]
        for r, sol in zip(range(lo, hi), sols):
            sol.num_occurrences, sol.sample = int(occ[r]), X[r]
            if sol.energy is None and not np.isnan(energies[r]):
                sol.energy = float(energies[r])  # a decoder that computes none: the backend's
        return sols

    t = time.perf_counter()
    samples = run(0, 1)
    per_read = time.perf_counter() - t  # a batch of one: an upper estimate of the cost per read
    sizes = kept_bytes(samples)
    used, largest = int(sizes.sum()), int(sizes.max())
    end = budget.deadline + _DECODE_GRACE_SHARE * grace(budget.time_limit) if budget.limited else math.inf
    limit = _chunk_limit(decode, X.shape[1], batch)
    k, rows, why = 1, _FIRST_CHUNK, None
    while k < len(X):
        fit = (end - time.perf_counter()) / (_TIME_SAFETY * per_read)
        if fit >= len(X) - k:  # all the rest fits in time (by an upper estimate): one call, not a growing series
            rows = len(X) - k
        rows = min(rows, limit, len(X) - k, (DECODE_BYTES_CAP - used) // largest)
        if rows < 1:
            why = f"memory: decoded samples capped at {DECODE_BYTES_CAP >> 20} MiB"
            break
        if fit < 1:
            why = "time limit"
            break
        rows = int(min(rows, fit))
        t = time.perf_counter()
        new = run(k, k + rows)
        per_read = max((time.perf_counter() - t) / rows, 1e-9)
        sizes = kept_bytes(new)
        room = np.flatnonzero(used + np.cumsum(sizes) > DECODE_BYTES_CAP)
        if len(room):  # the cap is passed inside this chunk: keep the reads before it
            new, sizes = new[: room[0]], sizes[: room[0]]
        samples += new
        used += int(sizes.sum())
        largest = max(largest, int(sizes.max()) if len(sizes) else largest)
        k, rows = k + rows, rows * _GROWTH
        if len(room):
            why = f"memory: decoded samples capped at {DECODE_BYTES_CAP >> 20} MiB"
            break
    info["decoded"] = len(samples)
    info["decoded_reads"] = int(occ[: len(samples)].sum())
    info["decoded_bytes"] = used
    if len(samples) < len(X):
        info["not_decoded"] = why or "time limit"
    return samples, info
