"""MilpIR: ``min/max c.x + offset  s.t.  row_lb <= A x <= row_ub, lb <= x <= ub, x_I integer``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from ..solution import Solution
from .maps import LinearizationMap
from .problem import Problem


@dataclass
class MilpIR:
    """A linear program with integrality, in CSR form, plus what decoding needs.

    The first ``n_user`` columns are the user's variables; ``lin_map`` (a
    :class:`~qbdsl.ir.maps.LinearizationMap`, the linearization's inverse data) fills the
    rest: ``lin_map.forward(x_user)`` gives every column (bits of expanded integers,
    products) for a point or a (k, n_user) batch, ``lin_map.inverse(x)`` the user's columns.
    """

    c: np.ndarray
    offset: float
    sense: str  # "min" | "max"
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray  # bool per variable
    var_names: list[str]  # or a zero-argument callable: built on first access
    row_names: list[str]  # (compile passes callables, so no one pays for unused names)
    n_user: int
    source: Problem
    binary: np.ndarray | None = None  # bool per variable: integer with bounds [0, 1]
    name: str = "model"
    lin_map: LinearizationMap | None = None  # the linearization's inverse data (see below)

    def __post_init__(self):
        # ``lin_map.forward(x_user)`` gives every column; an IR with no linearization
        # (e.g. read from a file) maps the user's columns to themselves
        if self.lin_map is None and self.n_user == len(self.c):
            self.lin_map = LinearizationMap.identity(self.n_user)

    @property
    def num_variables(self) -> int:
        """Number of columns, the user's variables first."""
        return len(self.c)

    @property
    def num_constraints(self) -> int:
        """Number of rows of ``A``."""
        return self.A.shape[0]

    def objective_value(self, x) -> float:
        """The objective ``c . x + offset`` at one point of every column, in the IR's sense.

        Parameters
        ----------
        x : array_like, shape (num_variables,)
            A value for every column, the user's variables first (as
            ``lin_map.forward(x_user)`` gives).

        Returns
        -------
        float
        """
        return float(np.asarray(x, float) @ self.c + self.offset)

    def decode(self, x) -> Solution | list[Solution]:
        """Map a solution vector (all MILP columns), or a (k, columns) batch (decoded as one
        batch: a list), back to the user's variables.

        Integer and binary user variables are rounded to the nearest integer first.

        Parameters
        ----------
        x : array_like, shape (num_variables,) or (k, num_variables)
            A value for every MILP column (the user's variables first, then the columns the
            linearization added), or a batch of ``k`` such points, one per row.

        Returns
        -------
        Solution or list of Solution
            One per row for a batch. Its ``energy`` is the MILP objective in minimization
            form, ``c . x + offset`` (minus that for a ``"max"`` MILP), so that it means what a
            QUBO backend's energy means: lower is better.

        Raises
        ------
        ModelError
            ``x`` has the wrong shape.
        """
        from ..solution import solutions_of

        x = np.asarray(x, dtype=float)
        if x.ndim not in (1, 2) or x.shape[-1] != self.num_variables:
            raise ModelError(f"solution has shape {x.shape}, the MILP has {self.num_variables} variables")
        xu = self.lin_map.inverse(np.atleast_2d(x))  # the linearization's inverse: the user's columns
        kinds = self.source.layout.kinds()
        xu[:, kinds < 2] = np.rint(xu[:, kinds < 2])
        X = np.atleast_2d(x)
        energy = X @ self.c + self.offset  # the MILP objective in its sense...
        if self.sense == "max":
            energy = -energy  # ...in minimization form: the energy every backend reports
        sols = solutions_of(self.source, xu, energy)
        return sols if x.ndim == 2 else sols[0]

    def row_violation(self, x) -> np.ndarray:
        """How far ``A x`` falls outside ``[row_lb, row_ub]``, row by row.

        Parameters
        ----------
        x : array_like, shape (num_variables,)
            A value for every column, the user's variables first.

        Returns
        -------
        ndarray, shape (num_constraints,)
            0 where the row holds.
        """
        ax = self.A @ np.asarray(x, float)
        return np.maximum(self.row_lb - ax, 0) + np.maximum(ax - self.row_ub, 0)

    @cached_property
    def var_index(self) -> dict[str, int]:
        """Column index by column name (cached)."""
        return {nm: k for k, nm in enumerate(self.var_names)}

    def __getstate__(self):  # pickle/copy: names built, never a closure
        self.var_names, self.row_names  # noqa: B018
        return self.__dict__

    def save(self, path) -> None:
        """Write ``.lp`` (CPLEX LP) or ``.mps`` (free MPS); atomic.

        Raises
        ------
        ModelError
            Any other extension.
        """
        from ..io import save_milp

        save_milp(self, path)

    def summary(self) -> str:
        """One line: columns (integer ones), rows, nonzeros and sense."""
        n_int = int(self.integrality.sum())
        return (
            f"MilpIR: {self.num_variables} variables ({n_int} integer), {self.num_constraints} rows, "
            f"{self.A.nnz} nonzeros, {self.sense}imize"
        )

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
