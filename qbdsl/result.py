"""The one result type every backend's answer comes back as."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Result:
    """A solve's answer in the user's terms.

    Attributes
    ----------
    values : {name: ndarray}  variable values in the user's shapes (ints for binary/integer)
    objective : float         the user's objective (sense as the user wrote it)
    violations : {name: ndarray}  violated constraints only (empty when feasible)
    status : str              optimal (proven: gap 0) | feasible (not proven optimal; see
                              ``gap``) | infeasible (confirmed) | no_feasible (none found, none
                              proven absent) | unbounded (confirmed) | time_limit (cut short
                              by the time limit; ``feasible`` says if the incumbent is)
    backend : str, options : dict, timings : {"compile", "solve", "decode"} seconds
    energy : float | None     QUBO energy (with penalties) for QUBO backends
    sample : ndarray          the raw point in the IR's variables
    raw : Any                 the backend's own output
    attempts : list of {"backend", "error"}  backends tried before this one (``fallback=``)
    bound : float | None      a proven bound on the optimal objective (the solver's dual
                              bound; below the optimum when minimizing, above when
                              maximizing), when the backend reports one
    gap : float | None        ``|objective - bound| / max(1, |objective|)``; 0 when proven
    """

    values: dict[str, np.ndarray]
    objective: float
    violations: dict[str, np.ndarray]
    status: str
    backend: str
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    energy: float | None = None
    sample: np.ndarray | None = None
    raw: Any = None
    decision: Any = None
    attempts: list = field(default_factory=list)
    bound: float | None = None
    gap: float | None = None

    @property
    def feasible(self) -> bool:
        """An answer that satisfies every constraint (``False`` when the backend returned no point)."""
        return (self.sample is not None and not self.violations
                and self.status not in ("infeasible", "unbounded", "error", "no_feasible"))

    def __repr__(self) -> str:
        return (f"Result(backend={self.backend!r}, status={self.status!r}, objective={self.objective:g}, "
                f"feasible={self.feasible})")
