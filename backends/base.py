"""The backend protocol: declared capabilities, declared options, one ``solve`` method."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from qbdsl.errors import OptionError


@dataclass(frozen=True)
class Capabilities:
    """What a backend accepts and is."""

    accepts: tuple[str, ...]  # IR kinds: "qubo", "milp"
    max_variables: int | None = None  # None: no hard limit
    exact: bool = False  # proves optimality when it returns "optimal"
    time_limit: bool = False  # honours time_limit (see backends.budget)
    # its solver releases the GIL and stops itself at its time limit, so qb.solve may run it in a
    # thread of the caller's process beside another such run (no solver process to start)
    in_thread: bool = False
    # its solver runs in a child process of its own even alone (backends.isolate), so that it can
    # be killed at its limit: beside an in_thread backend, a pair starts no process it would not
    in_child: bool = False


def aggregate_reads(samples, energies, num_occurrences=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of ``samples``, their energies and summed occurrence counts, lowest energy first.

    Parameters
    ----------
    samples : array_like, shape (k, n)
        One read per row.
    energies : array_like, shape (k,)
        The energy of each read.
    num_occurrences : array_like of int, shape (k,), optional
        How many times each read was returned (default: 1 each).

    Returns
    -------
    samples : ndarray, shape (m, n)
        The m <= k distinct rows, ordered by energy, lowest first (ties: the row read first
        comes first).
    energies : ndarray of float64, shape (m,)
        Their energies.
    num_occurrences : ndarray of int64, shape (m,)
        The summed counts of the reads equal to each row.

    Raises
    ------
    ValueError
        When ``samples`` is not 2-D or the three lengths differ (all three are named).
    """
    X = np.asarray(samples)
    E = np.asarray(energies, dtype=float).reshape(-1)
    occ = np.ones(len(E), np.int64) if num_occurrences is None else np.asarray(num_occurrences, np.int64).reshape(-1)
    if X.ndim != 2 or len(X) != len(E) or len(occ) != len(E):
        raise ValueError(f"reads: samples of shape {X.shape}, {len(E)} energies, {len(occ)} counts")
    if len(X) > 1:
        _, first, inverse = np.unique(_row_keys(X), return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        counts = np.bincount(inverse, weights=occ, minlength=len(first)).astype(np.int64)
        keep = np.sort(first)  # the first read of each distinct row, in read order
        X, E, occ = X[keep], E[keep], counts[inverse[keep]]
        order = np.argsort(E, kind="stable")
        X, E, occ = X[order], E[order], occ[order]
    return X, E, occ


def _row_keys(X: np.ndarray) -> np.ndarray:
    """One sortable key per row, equal exactly for equal rows: 0/1 rows packed 8 to a byte
    (one uint64 up to 64 columns), other rows by their bytes. ``np.unique`` on these is 20-30x
    faster than ``np.unique(X, axis=0)`` (0.04 s against 1.2 s for 500 000 reads of 10 bits)."""
    if X.dtype == bool or np.all((X == 0) | (X == 1)):
        P = np.packbits(X.astype(bool), axis=1)
    else:
        P = np.ascontiguousarray(X).view(np.uint8).reshape(len(X), -1)
    w = P.shape[1]
    if w <= 8:
        P8 = np.zeros((len(P), 8), np.uint8)
        P8[:, :w] = P
        return P8.view(np.uint64).reshape(-1)
    return np.ascontiguousarray(P).view(np.dtype((np.void, w))).reshape(-1)


@dataclass
class BackendOutput:
    """What a backend returns: every read, in the IR's own variables, best first.

    ``samples`` is a (k, n) array (k may be 0: no point), one row per distinct read, ordered
    best first (QUBO backends: lowest energy first; a MILP backend returns its solution);
    ``energies`` (k,) the QUBO energy or MILP objective of each row (NaN where unknown) and
    ``num_occurrences`` (k,) how many reads returned it (1 each by default).

    A single point may still be given the old way, ``BackendOutput(x, "feasible", energy)``
    with a 1-D ``x`` (or ``None`` for no point), or with :meth:`one`; :meth:`from_reads`
    aggregates raw reads (duplicates counted) and orders them by energy. ``sample`` and
    ``energy`` are the first (best) row's, ``None`` when there is none.

    Raises
    ------
    ValueError
        When ``samples`` is neither 1-D nor 2-D, or ``energies`` / ``num_occurrences`` do not
        have one entry per row (the shapes are named).
    """

    samples: np.ndarray | None
    status: str  # optimal | feasible | infeasible | unbounded | time_limit | error
    energies: Any = None  # (k,) or a scalar for one sample; None: unknown (NaN)
    info: dict[str, Any] = field(default_factory=dict)
    bound: float | None = None  # a proven bound on the optimum (MILP solvers), IR's sense
    gap: float | None = None  # relative gap |energy - bound| / max(1, |energy|) when both are known
    num_occurrences: Any = None  # (k,) reads per row; None: 1 each

    def __post_init__(self) -> None:
        X = np.zeros((0, 0)) if self.samples is None else np.asarray(self.samples)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2:
            raise ValueError(f"BackendOutput samples must be 1-D or 2-D, got shape {X.shape}")
        k = X.shape[0]
        if self.energies is None or self.samples is None:  # (an energy without a point is dropped)
            E = np.full(k, np.nan)
        else:
            E = np.asarray(self.energies, dtype=float).reshape(-1)
        if E.shape != (k,):
            raise ValueError(f"BackendOutput: {len(E)} energies for {k} samples")
        occ = (
            np.ones(k, np.int64)
            if self.num_occurrences is None
            else np.asarray(self.num_occurrences, dtype=np.int64).reshape(-1)
        )
        if occ.shape != (k,):
            raise ValueError(f"BackendOutput: {len(occ)} occurrence counts for {k} samples")
        self.samples, self.energies, self.num_occurrences = X, E, occ

    @classmethod
    def one(
        cls,
        sample,
        status: str,
        energy: float | None = None,
        info: dict | None = None,
        bound: float | None = None,
        gap: float | None = None,
    ) -> BackendOutput:
        """One point (``sample`` 1-D, or ``None`` for none)."""
        return cls(sample, status, None if sample is None else energy, dict(info or {}), bound, gap)

    @classmethod
    def from_reads(
        cls,
        samples,
        energies,
        status: str,
        info: dict | None = None,
        num_occurrences=None,
        bound: float | None = None,
        gap: float | None = None,
    ) -> BackendOutput:
        """Reads (k, n) with their energies: identical rows merged (their counts summed) and
        the distinct ones ordered by energy, lowest first (see :func:`aggregate_reads`).

        Raises
        ------
        ValueError
            When ``samples`` is not 2-D or ``energies`` / ``num_occurrences`` do not have k entries.
        """
        X, E, occ = aggregate_reads(samples, energies, num_occurrences)
        return cls(X, status, E, dict(info or {}), bound, gap, occ)

    def __len__(self) -> int:
        """The number k of distinct rows."""
        return len(self.samples)

    @property
    def sample(self) -> np.ndarray | None:
        """The best (first) row, or ``None`` when there is none."""
        return self.samples[0] if len(self.samples) else None

    @property
    def energy(self) -> float | None:
        """The best (first) row's energy, or ``None`` when there is none or it is unknown."""
        if not len(self.samples) or np.isnan(self.energies[0]):
            return None
        return float(self.energies[0])


@dataclass(frozen=True)
class Option:
    """One backend option: its type and the values it may take.

    ``kind`` is ``int``, ``float``, ``bool``, ``str`` or ``"range"`` (a pair ``[low, high]`` of
    positive floats with ``low <= high``); ``low``/``high`` bound numbers (inclusive unless
    ``open_high``); ``choices`` lists the values a ``str`` option may take (case-insensitive).
    """

    kind: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    open_high: bool = False

    def describe(self) -> str:
        """What a valid value is, in words, for error messages (``"an integer >= 1"``)."""
        if self.kind == "range":
            return "a pair [low, high] of positive numbers with low <= high"
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        what = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[self.kind]
        if self.low is not None and self.high is not None:
            return f"{what} in [{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"
        if self.low is not None:
            return f"{what} >= {self.low:g}"
        return what

    def convert(self, value):
        """The value in this option's type, or ``None`` if it is not a valid one."""
        if self.kind == "range":
            try:
                lo, hi = (float(v) for v in value)
            except (TypeError, ValueError):
                return None
            ok = math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi
            return [lo, hi] if ok else None
        if self.kind is bool:
            return bool(value) if isinstance(value, (bool, np.bool_)) else None
        if self.kind is str:
            if not isinstance(value, str):
                return None
            if self.choices is None:
                return value
            match = [c for c in self.choices if c.lower() == value.lower()]
            return match[0] if match else None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            return None
        value = float(value)
        if not math.isfinite(value):
            return None
        if self.kind is int:
            if not value.is_integer():
                return None
            value = int(value)
        if self.low is not None and value < self.low:
            return None
        if self.high is not None and (value > self.high or (self.open_high and value >= self.high)):
            return None
        return value


def validate_options(backend: str, options: Mapping[str, Any], spec: Mapping[str, Option]) -> dict:
    """Check every option's name and value against ``spec``; return them converted.

    Raises
    ------
    OptionError
        Naming the unknown option(s) with the known ones, or the option whose value is
        invalid with the value and what it may be.
    """
    unknown = sorted(set(options) - set(spec))
    if unknown:
        raise OptionError(f"{backend}: unknown option(s) {unknown}; known: {sorted(spec)}")
    out = {}
    for key, value in options.items():
        converted = spec[key].convert(value)
        if converted is None:
            raise OptionError(f"{backend}: option {key} must be {spec[key].describe()}, got {value!r}")
        out[key] = converted
    return out


class _AnyValue(Option):
    """An option whose value the backend checks itself (third-party backends)."""

    def convert(self, value):
        """The value unchanged: any value is accepted here."""
        return value


def check_options(backend: str, options: Mapping[str, Any], known) -> None:
    """Raise :class:`OptionError` naming any option this backend does not know (names only).

    Raises
    ------
    OptionError
        Naming the unknown option(s) and the ``known`` ones.
    """
    validate_options(backend, options, {k: _AnyValue(object) for k in known})


@runtime_checkable
class Backend(Protocol):
    """A solver for one or more IR kinds.

    ``options`` (optional attribute): ``{name: Option}``, checked by :func:`validate_options`
    before any work starts, so a bad option is refused even when a fallback would run.
    """

    name: str
    capabilities: Capabilities

    def solve(self, ir, *, time_limit: float | None = None, seed: int | None = None, **options) -> BackendOutput:
        """Solve ``ir`` and return every read, best first.

        Parameters
        ----------
        ir : QuboIR or MilpIR
            A model of one of the kinds in ``capabilities.accepts``, over n variables.
        time_limit : float, optional
            Wall-clock seconds the call may take (see :mod:`backends.budget`); ``None``: no limit.
        seed : int, optional
            Seeds every random choice, so a call can be repeated.
        **options
            Backend options, checked against ``options`` before any work starts.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) in the IR's variables with their energies (QUBO energy or MILP
            objective) and counts, and a status.

        Raises
        ------
        OptionError
            An unknown option or an invalid value.
        TimeLimitError
            When not even the backend's smallest unit of work fits in ``time_limit``.
        BackendError
            When the backend cannot take this model (too large, unsupported variables) or fails.
        """
        ...
