"""The backend protocol: declared capabilities plus one ``solve`` method."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Capabilities:
    """What a backend accepts and is."""

    accepts: tuple[str, ...]          # IR kinds: "qubo", "milp"
    max_variables: int | None = None  # None: no hard limit
    exact: bool = False               # proves optimality when it returns "optimal"
    time_limit: bool = False          # honours time_limit


@dataclass
class BackendOutput:
    """What a backend returns: the best point in the IR's own variables."""

    sample: np.ndarray
    status: str                       # optimal | feasible | infeasible | unbounded | time_limit | error
    energy: float | None = None       # QUBO energy or MILP objective of ``sample``
    info: dict[str, Any] = field(default_factory=dict)


def check_options(backend: str, options: dict, known) -> None:
    """Raise a BackendError naming any option this backend does not know."""
    from qbdsl.errors import BackendError

    unknown = set(options) - set(known)
    if unknown:
        raise BackendError(f"{backend}: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")


@runtime_checkable
class Backend(Protocol):
    """A solver for one or more IR kinds."""

    name: str
    capabilities: Capabilities

    def solve(self, ir, *, time_limit: float | None = None, seed: int | None = None,
              **options) -> BackendOutput: ...
