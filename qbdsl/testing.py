"""Reusable checks (after ``dimod.testing``): brute-force ground truth and asserts that
third-party backends and encodings can run against themselves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ModelError
from .ir.problem import CONTINUOUS, Problem


@dataclass
class BruteForce:
    """The constrained optimum by enumeration of the user's variable domains."""

    objective: float | None  # None when no point is feasible
    optima: np.ndarray  # (k, n) all optimal flat points
    n_feasible: int
    n_points: int

    @property
    def feasible(self) -> bool:
        """Some point of the domain satisfies every constraint."""
        return self.objective is not None


def _problem(model) -> Problem:
    return model if isinstance(model, Problem) else model.to_problem()


def domain_points(problem: Problem, max_points: int = 1 << 22) -> np.ndarray:
    """Every point of the (bounded, discrete) domain as a (K, n) array.

    Parameters
    ----------
    problem : Problem
        A lowered model whose ``n`` variables are all binary or integer with finite bounds;
        the columns follow its layout, the first variable varying fastest.
    max_points : int, default 2**22
        The largest ``K`` accepted.

    Returns
    -------
    ndarray, shape (K, n), float64
        ``K`` is the product of the domain sizes, ``ub - lb + 1`` per variable.

    Raises
    ------
    ModelError
        A continuous variable, an unbounded integer, or a domain of more than ``max_points`` points.
    """
    lay = problem.layout
    kinds = lay.kinds()
    if np.any(kinds == 2):
        a = next(a for a in lay.arrays if a.kind == CONTINUOUS)
        raise ModelError(f"brute force cannot enumerate continuous variable {a.name!r}")
    if not (np.isfinite(lay.lb).all() and np.isfinite(lay.ub).all()):
        raise ModelError("brute force needs finite bounds on every integer")
    sizes = (lay.ub - lay.lb + 1).astype(np.int64)
    total = int(np.prod(sizes.astype(float)))
    if total > max_points:
        raise ModelError(f"domain has {total} points, more than max_points={max_points}")
    idx = np.arange(total, dtype=np.int64)
    cols = []
    for s, lo in zip(sizes.tolist(), lay.lb.tolist()):
        idx, r = np.divmod(idx, s)
        cols.append(r + lo)
    return np.stack(cols, axis=1).astype(float) if cols else np.zeros((1, 0))


def brute_force(model, max_points: int = 1 << 22, tol: float = 1e-6) -> BruteForce:
    """Constrained optimum of a small discrete model, by enumeration.

    Parameters
    ----------
    model : Model or Problem
        A small discrete model (binary and bounded integer variables only); a Model is
        lowered with ``model.to_problem()``.
    max_points : int, default 2**22
        The largest domain enumerated.
    tol : float, default 1e-6
        Tolerance on constraints, and relative tolerance for points counted as optimal.

    Returns
    -------
    BruteForce

    Raises
    ------
    ModelError
        As :func:`domain_points`.
    """
    prob = _problem(model)
    X = domain_points(prob, max_points)
    ok = np.ones(len(X), bool)
    for b in prob.constraints:
        ok &= ~np.any(b.violation(X, tol) > 0, axis=1)
    obj = prob.objective_value(X)
    if not ok.any():
        return BruteForce(None, np.zeros((0, prob.n)), 0, len(X))
    f = obj[ok]
    best = float(f.min()) if prob.sense == "min" else float(f.max())
    at = np.abs(f - best) <= tol * max(1.0, abs(best))
    return BruteForce(best, X[ok][at], int(ok.sum()), len(X))


def assert_objective_close(actual: float, expected: float, rtol: float = 1e-7, atol: float = 1e-7) -> None:
    """Assert that ``actual`` is close to ``expected`` (``numpy.isclose`` with ``rtol``, ``atol``).

    Raises
    ------
    AssertionError
        The two differ by more than the tolerance.
    """
    if not np.isclose(actual, expected, rtol=rtol, atol=atol):
        raise AssertionError(f"objective {actual!r} != expected {expected!r}")


def assert_solves_to_optimum(obj, backend: str = "exact", truth: BruteForce | None = None, **options):
    """Assert that ``qb.solve(obj, backend)`` returns a feasible point at the brute-force optimum,
    and that the point is one of the optima; return the result.

    ``truth`` is the model's :func:`brute_force` when ``obj`` is not the model itself (e.g. its
    compiled QUBO).

    Raises
    ------
    AssertionError
        A feasible answer for an infeasible model, an infeasible answer, an objective off the
        optimum, or an optimal objective at a point that is not among the optima.
    """
    from .solve import solve

    truth = brute_force(obj) if truth is None else truth
    r = solve(obj, backend=backend, **options)
    if truth.objective is None:
        if r.feasible:
            raise AssertionError(f"{backend}: returned a feasible point for an infeasible model")
        return r
    if not r.feasible:
        raise AssertionError(f"{backend}: infeasible answer, violations {sorted(r.violations)}")
    assert_objective_close(r.objective, truth.objective, rtol=1e-12)  # 1e7-scale objectives: off by 1 fails
    x = np.concatenate([np.ravel(v) for v in r.values.values()])
    if not np.any(np.all(np.isclose(truth.optima, x), axis=1)):
        raise AssertionError(f"{backend}: {x} has the optimal objective but is not among the brute-force optima")
    return r


def assert_energies_match(qubo, samples: np.ndarray, energies: np.ndarray, atol: float = 1e-6) -> None:
    """Assert that ``qubo.energy(samples)`` equals reference energies (another tool's).

    Parameters
    ----------
    qubo : QuboIR
        The QUBO under test, over ``n`` binaries; its energies include the penalties and
        the offset.
    samples : ndarray, shape (k, n)
        0/1 points of the QUBO's binaries.
    energies : ndarray, shape (k,)
        The reference energies.
    atol : float, default 1e-6
        Absolute tolerance of the comparison, in energy units (with a relative tolerance
        of 1e-9, as :func:`numpy.isclose`).

    Raises
    ------
    AssertionError
        A mismatch; the first mismatching sample is named.
    """
    ours = np.asarray(qubo.energy(np.asarray(samples)))
    bad = ~np.isclose(ours, energies, atol=atol, rtol=1e-9)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise AssertionError(f"energy mismatch at sample {k}: qbdsl {ours[k]!r} vs reference {energies[k]!r}")
