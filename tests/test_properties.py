"""Correctness by property: QUBO ground states, MILP rows and brute force agree."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.testing import assert_solves_to_optimum, brute_force, domain_points

from .strategies import small_models

ENCODINGS = ["binary", "unary", "one-hot", "domain-wall"]


def _compile_or_infeasible(m, truth, **kw):
    try:
        return qb.compile(m, "qubo", **kw)
    except qb.ModelError as exc:
        # only a provably unsatisfiable row may be rejected at compile time
        assert "can never hold" in str(exc)
        assert truth.objective is None
        return None


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(m=small_models())
def test_qubo_ground_state_is_constrained_optimum(m, encoding):
    truth = brute_force(m)
    q = _compile_or_infeasible(m, truth, encoding=encoding)
    if q is None:
        return
    assume(q.n <= 22)
    assert_solves_to_optimum(q, "exact", truth)
    # every penalty block's weight carries the proof
    assert all(row["guaranteed"] for row in q.penalty_report())


@given(m=small_models())
def test_milp_and_model_agree_on_every_point(m):
    milp = qb.compile(m, "milp")
    prob = m.to_problem()
    X = domain_points(prob)
    lifted = milp.lin_map.forward(X)
    obj = lifted @ milp.c + milp.offset
    np.testing.assert_allclose(obj, prob.objective_value(X), atol=1e-9)
    # MILP rows hold exactly where the model's constraints hold
    feasible = np.ones(len(X), bool)
    for b in prob.constraints:
        feasible &= ~np.any(b.violation(X) > 0, axis=1)
    ax = lifted @ milp.A.T.toarray()
    rows_ok = np.all((ax >= milp.row_lb - 1e-9) & (ax <= milp.row_ub + 1e-9), axis=1)
    np.testing.assert_array_equal(rows_ok, feasible)


@given(m=small_models(), encoding=st.sampled_from(ENCODINGS))
def test_qubo_and_milp_objectives_agree_on_feasible_points(m, encoding):
    """Decoded QUBO samples and the lifted MILP point report the same objective."""
    truth = brute_force(m)
    q = _compile_or_infeasible(m, truth, encoding=encoding)
    if q is None or truth.objective is None:
        return
    assume(q.n <= 22)
    milp = qb.compile(m, "milp")
    sol = q.decode(qb.solve(q, backend="exact").sample)
    assert milp.objective_value(milp.lin_map.forward(sol.x)) == pytest.approx(sol.objective, abs=1e-9)
    # and the QUBO energy of the optimum equals the objective (penalties vanish)
    sign = 1 if m.sense == "min" else -1
    assert sol.energy == pytest.approx(sign * sol.objective, abs=1e-6)


@given(m=small_models(max_binaries=3, max_integers=1), encoding=st.sampled_from(ENCODINGS))
def test_every_feasible_point_has_qubo_energy_equal_to_its_milp_objective(m, encoding):
    """Over all QUBO bit patterns: for each feasible user point, the lowest energy among its
    encodings/slacks equals the (min-form) objective, which equals the MILP objective; every
    infeasible point's energy lies above the optimum."""
    truth = brute_force(m)
    q = _compile_or_infeasible(m, truth, encoding=encoding)
    if q is None:
        return
    assume(q.n <= 16)
    milp = qb.compile(m, "milp")
    prob = m.to_problem()
    Y = ((np.arange(2**q.n)[:, None] >> np.arange(q.n)) & 1).astype(float)
    E = q.energy(Y)
    X = q.decode_map(Y)
    valid = np.ones(len(Y), bool)
    for p in q.penalties.values():
        if p.kind == "encoding":
            valid &= p.terms.energy(Y) < 0.5
    feasible = valid.copy()
    for b in prob.constraints:
        feasible &= ~np.any(b.violation(X) > 0, axis=1)
    sign = 1.0 if m.sense == "min" else -1.0
    best = {}
    for e, x in zip(E[feasible], X[feasible]):
        key = tuple(np.rint(x).astype(int))
        best[key] = min(best.get(key, np.inf), e)
    for key, e in best.items():
        x = np.array(key, float)
        assert e == pytest.approx(sign * prob.objective_value(x), abs=1e-6)
        assert milp.objective_value(milp.lin_map.forward(x)) == pytest.approx(prob.objective_value(x), abs=1e-9)
    if truth.objective is not None and (~feasible).any():
        assert E[~feasible].min() > sign * truth.objective
