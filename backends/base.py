"""The backend protocol: declared capabilities, declared options, one ``solve`` method."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from qbdsl.errors import OptionError


@dataclass(frozen=True)
class Capabilities:
    """What a backend accepts and is."""

    accepts: tuple[str, ...]          # IR kinds: "qubo", "milp"
    max_variables: int | None = None  # None: no hard limit
    exact: bool = False               # proves optimality when it returns "optimal"
    time_limit: bool = False          # honours time_limit (see backends.budget)


@dataclass
class BackendOutput:
    """What a backend returns: the best point in the IR's own variables."""

    sample: np.ndarray | None
    status: str                       # optimal | feasible | infeasible | unbounded | time_limit | error
    energy: float | None = None       # QUBO energy or MILP objective of ``sample``
    info: dict[str, Any] = field(default_factory=dict)
    bound: float | None = None        # a proven bound on the optimum (MILP solvers), IR's sense
    gap: float | None = None          # relative gap |energy - bound| / max(1, |energy|) when both are known


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
        return value


def check_options(backend: str, options: Mapping[str, Any], known) -> None:
    """Raise :class:`OptionError` naming any option this backend does not know (names only)."""
    validate_options(backend, options, {k: _AnyValue(object) for k in known})


@runtime_checkable
class Backend(Protocol):
    """A solver for one or more IR kinds.

    ``options`` (optional attribute): ``{name: Option}``, checked by :func:`validate_options`
    before any work starts, so a bad option is refused even when a fallback would run.
    """

    name: str
    capabilities: Capabilities

    def solve(self, ir, *, time_limit: float | None = None, seed: int | None = None,
              **options) -> BackendOutput: ...
