"""A decoded point in the user's terms."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Solution:
    """Values by variable name and shape, the user's objective, and violations.

    ``violations`` maps each violated constraint (or ``"<var>.one-hot"`` /
    ``"<var>.domain-wall"`` for an invalid integer pattern, ``"bounds"`` for a value
    outside a variable's bounds) to its violation amounts in the block's shape.
    """

    values: dict[str, np.ndarray]
    objective: float
    violations: dict[str, np.ndarray] = field(default_factory=dict)
    energy: float | None = None
    x: np.ndarray | None = None  # flat user-variable vector

    @property
    def feasible(self) -> bool:
        return not self.violations

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in list(self.values.items())[:4])
        extra = "" if self.feasible else f", violated={sorted(self.violations)}"
        return f"Solution(objective={self.objective:g}, feasible={self.feasible}{extra}, {vals})"
