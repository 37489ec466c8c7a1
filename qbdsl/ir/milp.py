"""MilpIR: ``min/max c.x + offset  s.t.  row_lb <= A x <= row_ub, lb <= x <= ub, x_I integer``."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from ..solution import Solution
from .problem import Problem


@dataclass
class MilpIR:
    """A linear program with integrality, in CSR form, plus what decoding needs."""

    c: np.ndarray
    offset: float
    sense: str                 # "min" | "max"
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray    # bool per variable
    var_names: list[str]       # or a zero-argument callable: built on first access
    row_names: list[str]       # (compile passes callables, so no one pays for unused names)
    n_user: int
    source: Problem
    binary: np.ndarray | None = None  # bool per variable: integer with bounds [0, 1]
    name: str = "model"
    products: tuple | None = None     # (i, j): product column k is x_i * x_j
    expanded: list | None = None      # (var, lb, weights): binary expansions of integers

    def lift(self, x_user) -> np.ndarray:
        """All MILP columns for a point in the user's variables (bits and products filled in)."""
        x = np.asarray(x_user, dtype=float)
        parts = [x]
        for v, lo, w in self.expanded or []:
            parts.append(_bounded_bits(np.rint(x[..., v] - lo).astype(np.int64), w))
        x = np.concatenate(parts, axis=-1)
        if self.products is not None and len(self.products[0]):
            i, j = self.products
            x = np.concatenate([x, x[..., i] * x[..., j]], axis=-1)
        return x

    @property
    def num_variables(self) -> int:
        return len(self.c)

    @property
    def num_constraints(self) -> int:
        return self.A.shape[0]

    def objective_value(self, x) -> float:
        return float(np.asarray(x, float) @ self.c + self.offset)

    def decode(self, x) -> Solution:
        """Map a solution vector (all MILP columns) back to the user's variables."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.num_variables,):
            raise ModelError(f"solution has shape {x.shape}, the MILP has {self.num_variables} variables")
        xu = x[: self.n_user].copy()
        kinds = self.source.layout.kinds()
        xu[kinds < 2] = np.rint(xu[kinds < 2])
        prob = self.source
        return Solution(prob.layout.split(xu), float(prob.objective_value(xu)), prob.violations(xu), None, xu)

    def row_violation(self, x) -> np.ndarray:
        ax = self.A @ np.asarray(x, float)
        return np.maximum(self.row_lb - ax, 0) + np.maximum(ax - self.row_ub, 0)

    @cached_property
    def var_index(self) -> dict[str, int]:
        return {nm: k for k, nm in enumerate(self.var_names)}

    def __getstate__(self):   # pickle/copy: names built, never a closure
        self.var_names, self.row_names   # noqa: B018
        return self.__dict__

    def save(self, path) -> None:
        """Write ``.lp`` (CPLEX LP) or ``.mps`` (free MPS); atomic."""
        from ..io import save_milp

        save_milp(self, path)

    def summary(self) -> str:
        n_int = int(self.integrality.sum())
        return (f"MilpIR: {self.num_variables} variables ({n_int} integer), {self.num_constraints} rows, "
                f"{self.A.nnz} nonzeros, {self.sense}imize")

    def __repr__(self) -> str:
        return f"<{self.summary()}>"


def _lazy_names(attr: str) -> property:
    """A property for a names field: a list given to the constructor is kept as is; a
    callable is called on first access and its list cached."""
    slot = "_" + attr

    def get(self):
        v = self.__dict__[slot]
        if callable(v):
            v = self.__dict__[slot] = v()
        return v

    def set_(self, value):
        self.__dict__[slot] = value

    return property(get, set_, doc=f"{attr} (built on first access when given as a callable)")


# after @dataclass, so the generated __init__ assigns through the property
MilpIR.var_names = _lazy_names("var_names")
MilpIR.row_names = _lazy_names("row_names")


def _bounded_bits(value: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bits b with ``weights @ b == value`` for the bounded binary weights 1, 2, 4, ..., rest."""
    weights = np.asarray(weights, dtype=np.int64)
    k = len(weights)
    pow2 = k > 0 and (k == 1 or weights[-1] == 2 * weights[-2])
    full = k if pow2 or k == 0 else k - 1
    value = np.asarray(value, dtype=np.int64)
    bits = np.zeros(value.shape + (k,))
    if full < k:
        use_rest = value > (1 << full) - 1
        bits[..., -1] = use_rest
        value = value - np.where(use_rest, weights[-1], 0)
    bits[..., :full] = (value[..., None] >> np.arange(full)) & 1
    return bits
