"""The exact backend against naive enumeration, and qb.solve's contract."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends import exact, get, names
from qbdsl.ir.terms import QuboTerms


def naive(h, J, offset):
    n = len(h)
    Y = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    E = Y @ h + np.einsum("ki,ij,kj->k", Y, J, Y) + offset
    return E.min(), int(np.sum(np.isclose(E, E.min())))


@given(n=st.integers(1, 12), seed=st.integers(0, 2**31 - 1))
def test_ground_state_matches_naive_enumeration(n, seed):
    rng = np.random.default_rng(seed)
    h = rng.integers(-5, 6, n).astype(float)
    J = np.triu(rng.integers(-4, 5, (n, n)), 1).astype(float)
    e, y, count = exact.ground_states(h, J, 1.5)
    want, want_count = naive(h, J, 1.5)
    assert e == pytest.approx(want)
    assert y @ h + y @ J @ y + 1.5 == pytest.approx(want)
    assert count == want_count


def test_split_enumeration_at_twenty_variables(monkeypatch):
    """Above LOW_BITS the high bits are chunked; shrink the split to exercise it fully."""
    rng = np.random.default_rng(3)
    n = 12
    h = rng.normal(size=n)
    J = np.triu(rng.normal(size=(n, n)), 1)
    want, _ = naive(h, J, 0.0)
    monkeypatch.setattr(exact, "LOW_BITS", 5)
    monkeypatch.setattr(exact, "CHUNK_BITS", 3)
    e, y, _ = exact.ground_states(h, J)
    assert e == pytest.approx(want)
    # a planted 20-variable instance: the unique ground state is the planted pattern
    n = 20
    target = rng.integers(0, 2, n).astype(float)
    h = np.where(target == 1, -1.0, 1.0)
    e, y, count = exact.ground_states(h, np.zeros((n, n)))
    np.testing.assert_array_equal(y, target)
    assert e == -target.sum() and count == 1


def test_limits_and_registry():
    assert "exact" in names()
    with pytest.raises(qb.BackendError, match="exceed the 26"):
        exact.ground_states(np.zeros(27), np.zeros((27, 27)))
    with pytest.raises(qb.BackendError, match="unknown backend 'nope'; known backends: .*exact"):
        get("nope")
    q = qb.QuboIR.from_terms(QuboTerms.from_coo(30, np.ones(30), [], [], []))
    with pytest.raises(qb.BackendError, match="exact: 30 variables exceed the 26"):
        qb.solve(q, backend="exact")


def test_solve_contract_on_a_model():
    m = qb.Model("s")
    x = m.binary("x", (2, 2))
    m.add(x.sum(axis=0) == 1, name="col")
    m.maximize(x[0, 0] + 2 * x[1, 1] + 3 * x[0, 1])
    r = qb.solve(m, backend="exact")
    assert r.status == "optimal" and r.feasible and r.backend == "exact"
    assert r.objective == 4 and r.values["x"].tolist() == [[1, 1], [0, 0]]
    assert set(r.timings) == {"compile", "solve", "decode"}
    assert r.sample is not None and r.raw.info["enumerated"] == 2**4
    r2 = qb.solve(m, backend="auto")
    assert r2.backend == "exact" and r2.objective == 4
    lp = qb.compile(m, "milp")  # a MILP IR is recompiled for a QUBO backend
    assert qb.solve(lp, backend="exact").objective == 4
    for bad in (-1.0, float("nan"), 0):
        with pytest.raises(qb.ModelError, match="time_limit"):
            qb.solve(m, backend="exact", time_limit=bad)
    with pytest.raises(qb.BackendError, match="unknown option"):
        qb.solve(m, backend="exact", sweeps=3)


def test_infeasible_model_comes_back_infeasible():
    m = qb.Model("inf")
    x = m.binary("x", 2)
    m.add(x[0] + x[1] == 1, name="one")
    m.add(x[0] - x[1] == 0, name="same")
    m.minimize(x.sum())
    r = qb.solve(m, backend="exact")
    assert not r.feasible and set(r.violations) & {"one", "same"}
    assert r.status == "infeasible"  # proven: every penalty weight carries the guarantee
    weak = qb.compile(m, "qubo").with_penalties(one=0.1)
    assert qb.solve(weak, backend="exact").status == "no_feasible"


def test_reusable_testing_asserts_catch_a_wrong_backend(monkeypatch):
    """qbdsl.testing's checks pass on the exact backend and fail on a backend that lies."""
    from qbdsl.backends import registry
    from qbdsl.backends.base import BackendOutput, Capabilities
    from qbdsl.testing import assert_solves_to_optimum

    m = qb.Model("t")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize(3 * x[0] + x[1] + 2 * x[2])
    assert_solves_to_optimum(m, "exact")

    class AllZeros:
        name = "zeros"
        capabilities = Capabilities(accepts=("qubo",))

        def solve(self, ir, **kw):
            return BackendOutput.one(np.zeros(ir.n), "feasible")

    monkeypatch.setitem(registry._FACTORIES, "zeros", AllZeros)
    with pytest.raises(AssertionError, match="infeasible answer"):
        assert_solves_to_optimum(m, "zeros")


def test_a_better_state_in_a_later_chunk_is_not_lost_in_the_tie_tolerance():
    """23 binaries enumerate in several chunks; the optimum (the nine cheapest items) lies in a
    later chunk than states 9 apart from it, on energies near 1e15 (weights ~1e8)."""
    m = qb.Model("late-optimum")
    y = m.binary("y", 23)
    m.add(y.sum() == 9, name="nine")
    m.minimize(((1e7 + np.arange(22, -1, -1)) * y).sum())
    r = qb.solve(m, backend="exact")
    assert r.status == "optimal" and r.objective == 9e7 + sum(range(9))
