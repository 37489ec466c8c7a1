"""A decoded point in the user's terms: one row of a :class:`~qbdsl.result.Result`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Solution:
    """Values by variable name and shape, the user's objective, and violations.

    ``violations`` maps each violated constraint (or ``"<var>.one-hot"`` /
    ``"<var>.domain-wall"`` for an invalid integer pattern, ``"bounds"`` for a value
    outside a variable's bounds) to its violation amounts in the block's shape.
    ``x`` is the flat user-variable vector; ``sample`` the point in the IR's own variables
    (QUBO bits or MILP columns) and ``num_occurrences`` how many of the backend's reads
    returned it.

    ``energy`` means one thing whatever the backend: the minimization-form energy, lower is
    better. For a QUBO backend it is the QUBO energy, penalties included (a maximization's
    objective enters negated); for a MILP backend the MILP objective in minimization form,
    ``c . x + offset`` for a minimizing MILP and ``-(c . x + offset)`` for a maximizing one.
    At a feasible point of a maximization with objective 14, both give ``-14`` (a QUBO's
    penalties are 0 there). ``None`` when unknown.

    Attributes
    ----------
    values : dict of str to ndarray
        The user's variables by name, each in its declared shape.
    objective : float
        The user's objective, in the user's sense.
    violations : dict of str to ndarray
        Violated constraints only (empty when feasible).
    energy : float or None
        The minimization-form energy (above).
    x : ndarray, shape (n_user,), or None
        The flat user-variable vector.
    num_occurrences : int
        Reads that returned this sample.
    sample : ndarray, shape (n_ir,), or None
        The point in the IR's variables.
    """

    values: dict[str, np.ndarray]
    objective: float
    violations: dict[str, np.ndarray] = field(default_factory=dict)
    energy: float | None = None
    x: np.ndarray | None = None  # flat user-variable vector
    num_occurrences: int = 1
    sample: np.ndarray | None = None  # the point in the IR's variables

    @property
    def feasible(self) -> bool:
        """No constraint, encoding or bound is violated."""
        return not self.violations

    @property
    def total_violation(self) -> float:
        """The sum of every violation amount (0 when feasible)."""
        return float(sum(np.sum(v) for v in self.violations.values()))

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in list(self.values.items())[:4])
        extra = "" if self.feasible else f", violated={sorted(self.violations)}"
        occ = f", num_occurrences={self.num_occurrences}" if self.num_occurrences != 1 else ""
        return f"Solution(objective={self.objective:g}, feasible={self.feasible}{extra}{occ}, {vals})"


def solutions_of(problem, X: np.ndarray, energies=None, extra: dict | None = None, tol: float = 1e-6) -> list[Solution]:
    """One :class:`Solution` per row of ``X`` (k, n): flat points in ``problem``'s variables,
    evaluated as a batch (objective, every constraint block, bounds).

    Row by row this is what ``Solution(problem.layout.split(x), problem.objective_value(x),
    problem.violations(x, tol), energy, x)`` gives, with the same float64 operations.
    ``extra`` maps further violation names to (k,) amounts, recorded where > 0.5 (a
    QUBO's encoding penalties).

    Parameters
    ----------
    problem : Problem
        The user's model as lowered (:meth:`Model.to_problem`).
    X : ndarray, shape (k, n)
        One point per row over the problem's ``n`` flat user variables.
    energies : array_like, shape (k,), optional
        Each row's energy, stored as the solution's ``energy``.
    extra : dict of str to array_like of shape (k,), optional
        Further violations by name (e.g. ``"<var>.one-hot"``), one amount per row; a row
        records one where its amount is > 0.5, as a 0-d array in its ``violations``. None
        (default): none.
    tol : float, default 1e-6
        Absolute tolerance on constraints, bounds and integrality.

    Returns
    -------
    list of Solution
        ``k`` solutions, in the order of the rows.
    """
    X = np.asarray(X, dtype=float)
    k = X.shape[0]
    values = problem.layout.split(X)
    objective = np.atleast_1d(problem.objective_value(X)) if k else np.zeros(0)
    viols: list[dict] = [{} for _ in range(k)]
    if k:
        for b in problem.constraints:
            V = b.violation(X, tol)
            for r in np.flatnonzero(np.any(V > 0, axis=1)):
                viols[r][b.name] = V[r].reshape(b.shape).copy()  # not a view: V is not kept
        lay = problem.layout
        kinds = lay.kinds()
        bad = (X < lay.lb - tol) | (X > lay.ub + tol) | ((kinds < 2) & (np.abs(X - np.rint(X)) > tol))
        for r in np.flatnonzero(bad.any(axis=1)):
            viols[r]["bounds"] = np.where(bad[r], 1.0, 0.0)
        for name, amounts in (extra or {}).items():
            amounts = np.asarray(amounts, dtype=float)
            for r in np.flatnonzero(amounts > 0.5):
                viols[r][name] = np.array(float(amounts[r]))
    out = []
    for r in range(k):
        e = None if energies is None else float(energies[r])
        out.append(Solution({nm: v[r, ...] for nm, v in values.items()}, float(objective[r]), viols[r], e, X[r]))
    return out
