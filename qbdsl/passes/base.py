"""Reversible compiler passes (after CVXPY's reductions).

A pass turns a :class:`~qbdsl.ir.problem.Problem` into an equivalent one and returns
the data needed to map a solution back. In qbdsl every inverse is affine,
``x_before = c + M @ x_after``, so a chain's inverse composes into one sparse map: that
is what ``QuboIR.decode`` and ``MilpIR.decode`` apply.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from ..ir.problem import Problem


def per_name(option, names: list[str], default, what: str, noun: str) -> tuple[dict, object]:
    """Split an option given as one value or as ``{name: value, "default": value}``.

    Returns (overrides by name, default); a name that is not in ``names`` is an error.
    """
    if not isinstance(option, dict):
        return {}, option
    per = dict(option)
    default = per.pop("default", default)
    unknown = set(per) - set(names)
    if unknown:
        raise ModelError(f"{what} given for unknown {noun}(s) {sorted(unknown)}; known: {names}")
    return per, default


@dataclass
class AffineMap:
    """``x_before = c + M @ x_after`` (M is sparse, shape (n_before, n_after))."""

    M: sp.csr_matrix
    c: np.ndarray

    @classmethod
    def identity(cls, n: int, n_after: int | None = None) -> "AffineMap":
        n_after = n if n_after is None else n_after
        return cls(sp.eye(n, n_after, format="csr"), np.zeros(n))

    def __call__(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return np.asarray(self.M @ y.T).T + self.c

    def then(self, inner: "AffineMap") -> "AffineMap":
        """Compose: self maps x <- y, ``inner`` maps y <- z; the result maps x <- z."""
        return AffineMap(sp.csr_matrix(self.M @ inner.M), self.c + self.M @ inner.c)


@dataclass
class QuboState:
    """A problem on its way to a QUBO: remaining constraints plus penalty blocks built so far."""

    problem: Problem
    penalties: list = field(default_factory=list)
    sources: object = None  # qbdsl.passes.encode.BitSources: where each binary came from


class Pass:
    """One reversible step: ``apply`` returns (new state, inverse map)."""

    name = "pass"

    def apply(self, state):  # pragma: no cover - interface
        raise NotImplementedError

    @staticmethod
    def invert(x: np.ndarray, inverse: AffineMap) -> np.ndarray:
        return inverse(x)


class Chain(Pass):
    """Passes applied in order; their inverses compose in reverse order."""

    name = "chain"

    def __init__(self, passes: list[Pass]):
        self.passes = passes

    def apply(self, state):
        total: AffineMap | None = None
        for p in self.passes:
            state, inv = p.apply(state)
            total = inv if total is None else total.then(inv)
        return state, total
