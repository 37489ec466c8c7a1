"""Correctness by property: QUBO ground states, MILP rows and brute force agree."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.testing import brute_force, domain_points

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
    r = qb.solve(q, backend="exact")
    if truth.objective is None:
        assert not r.feasible
        return
    assert r.feasible, r.violations
    assert r.objective == pytest.approx(truth.objective, abs=1e-7)
    # the decoded point is one of the brute-force optima
    x = np.concatenate([np.ravel(r.values[a]) for a in r.values])
    assert np.any(np.all(np.isclose(truth.optima, x), axis=1))
    # every penalty block's weight carries the proof
    assert all(row["guaranteed"] for row in q.penalty_report())


@given(m=small_models())
def test_milp_and_model_agree_on_every_point(m):
    milp = qb.compile(m, "milp")
    prob = m.to_problem()
    X = domain_points(prob)
    lifted = milp.lift(X)
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
    assert milp.objective_value(milp.lift(sol.x)) == pytest.approx(sol.objective, abs=1e-9)
    # and the QUBO energy of the optimum equals the objective (penalties vanish)
    sign = 1 if m.sense == "min" else -1
    assert sol.energy == pytest.approx(sign * sol.objective, abs=1e-6)
