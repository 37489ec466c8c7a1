"""A status is a claim: ``optimal`` only when proven, ``infeasible`` and ``unbounded`` only
once confirmed, and told apart."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
import qbdsl.backends.ortools_backend as ob
from qbdsl.testing import brute_force

SOLVERS = ["HIGHS", "SCIP", "CP_SAT"]


def knapsack():
    """HiGHS's default mip_rel_gap (1e-4) stops at 300 065 here; the optimum is 300 092."""
    m = qb.Model("knapsack")
    x = m.binary("x", 6)
    value = np.array([100017, 100043, 100016, 100032, 100009, 100027.0])
    weight = np.array([17, 51, 42, 28, 14, 45.0])
    m.add((weight * x).sum() <= 98, name="capacity")
    m.maximize((value * x).sum())
    return m


def unbounded_integer():
    m = qb.Model("unbounded")
    x = m.integer("x", lb=0, ub=None)
    m.add(x >= 1, name="c")
    m.minimize(-1 * x)
    return m


def infeasible_integer():
    m = qb.Model("infeasible")
    y = m.integer("y", 2, lb=0, ub=3)
    m.add(y.sum() >= 7, name="too-much")
    m.minimize(y.sum())
    return m


def test_knapsack_optimum_is_proven_not_assumed():
    truth = brute_force(knapsack())
    assert truth.objective == 300092
    for solver in SOLVERS:
        r = qb.solve(knapsack(), backend="ortools", solver=solver)
        assert r.status == "optimal" and r.objective == truth.objective, solver
        assert r.gap == 0.0 and r.bound == truth.objective


def test_an_allowed_gap_gives_feasible_with_what_is_known():
    r = qb.solve(knapsack(), backend="ortools", gap=1e-3)
    assert r.feasible and r.objective >= 300092 * (1 - 1e-3)
    if r.objective < 300092:  # stopped inside the allowed gap: not claimed optimal
        assert r.status == "feasible" and r.raw.info["gap_allowed"] == 1e-3
    # SCIP proves this one anyway; a proof is reported as such
    s = qb.solve(knapsack(), backend="ortools", solver="SCIP", gap=1e-3)
    assert s.status in ("optimal", "feasible")
    if s.status == "optimal":
        assert s.objective == 300092 and s.gap == 0.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_unbounded_integer_model_is_unbounded_not_infeasible(solver):
    r = qb.solve(unbounded_integer(), backend="ortools", solver=solver)
    assert r.status == "unbounded"
    assert "unbounded LP relaxation" in r.raw.info["confirmed_by"]
    assert not r.feasible


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_is_confirmed_without_presolve(solver):
    r = qb.solve(infeasible_integer(), backend="ortools", solver=solver)
    assert r.status == "infeasible"
    assert r.raw.info["confirmed_by"].startswith("HiGHS without presolve")
    assert [run["run"] for run in r.raw.info["runs"]] == ["solve", "feasibility, no presolve"]


def test_unbounded_lp():
    m = qb.Model("lp")
    y = m.continuous("y", lb=0)
    m.add(y >= 1, name="c")
    m.maximize(2 * y)
    assert qb.solve(m, backend="ortools").status == "unbounded"


_REAL_RUN = ob._run


def _lying_run(ir, solver, params, *args, **kw):
    """A solver whose presolve calls every model infeasible (module level: it may run in a
    worker process, which imports it by name)."""
    out = _REAL_RUN(ir, solver, params, *args, **kw)
    if "presolve=off" not in params:
        out.update(status="INFEASIBLE", x=None, objective=None, bound=None, message="presolve: infeasible")
    return out


def test_a_wrong_presolve_verdict_is_overruled(monkeypatch):
    """A solver that calls a feasible model infeasible is overruled by the check."""
    monkeypatch.setattr(ob, "_run", _lying_run)
    r = qb.solve(knapsack(), backend="ortools")
    assert r.status == "optimal" and r.objective == 300092
    assert "found a feasible point" in r.raw.info["wrong_verdict"]


@st.composite
def small_milps(draw):
    """Bounded general integers (and a binary), random rows: brute force can check them."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n = draw(st.integers(1, 4))
    m = qb.Model("random-milp")
    lb = rng.integers(-3, 2, n)
    x = m.integer("x", n, lb=lb, ub=lb + rng.integers(0, 4, n))
    b = m.binary("b")
    for k in range(draw(st.integers(0, 3))):
        a = rng.integers(-4, 5, n)
        lhs = (a * x).sum() + float(rng.integers(-3, 4)) * b
        rhs = float(rng.integers(-6, 7))
        sense = draw(st.sampled_from(["<=", ">=", "=="]))
        m.add({"<=": lhs <= rhs, ">=": lhs >= rhs, "==": lhs == rhs}[sense], name=f"r{k}")
    c = rng.integers(-9, 10, n)
    c[0] = c[0] or 1  # never an empty model
    obj = (c * x).sum() + float(rng.integers(-5, 6)) * b
    m.maximize(obj) if draw(st.booleans()) else m.minimize(obj)
    return m


@settings(max_examples=60, deadline=None)
@given(m=small_milps(), solver=st.sampled_from(SOLVERS))
def test_statuses_agree_with_brute_force(m, solver):
    truth = brute_force(m)
    r = qb.solve(m, backend="ortools", solver=solver)
    if truth.objective is None:
        assert r.status == "infeasible"
    else:
        assert r.status == "optimal" and r.feasible
        assert r.objective == pytest.approx(truth.objective, abs=1e-6)


DATA = __import__("pathlib").Path(__file__).parent / "data" / "highs"


@pytest.mark.parametrize("name, optimum", [("issue-2585.lp", -175.91), ("bound_implied.mps", 0.0)])
def test_highs_presolve_infeasible_verdicts_on_feasible_public_instances_are_overruled(name, optimum):
    """Two feasible MILPs from HiGHS's own test set (tests/data/highs/SOURCE.md) that the HiGHS
    bundled with OR-Tools 9.15 calls infeasible; SCIP and HiGHS without presolve solve them."""
    model = qb.load(DATA / name)
    r = qb.solve(model, backend="ortools")
    assert r.status == "optimal" and r.feasible
    assert r.objective == pytest.approx(optimum, abs=1e-6)
    assert r.raw.info["ortools_status"] == "INFEASIBLE"  # the bundled HiGHS still says so
    assert "HiGHS without presolve found a feasible point" in r.raw.info["wrong_verdict"]
    scip = qb.solve(model, backend="ortools", solver="SCIP")
    assert scip.status == "optimal" and scip.objective == pytest.approx(optimum, abs=1e-6)


def test_a_solver_error_is_not_a_verdict():
    """HiGHS 1.12 (OR-Tools 9.15) raises "Error running HiGHS run()" in its MIP postsolve on this
    infeasible 3-variable model (found by the property test above); HiGHS without presolve
    answers, and the verdict is confirmed."""
    m = qb.Model("postsolve-error")
    x = m.integer("x", 3, lb=0, ub=np.array([0, 3, 1]))
    m.add(-2 * x[1] - x[2] <= 3, name="r0")
    m.add(-4 * x[0] + 4 * x[1] + x[2] == 3, name="r1")
    m.minimize(8 * x[0] - 8 * x[1] - 4 * x[2])
    assert brute_force(m).objective is None
    r = qb.solve(m, backend="ortools")
    assert r.status == "infeasible"
    if "solver_error" in r.raw.info:  # the bundled HiGHS still fails here
        assert r.raw.info["runs"][1]["run"] == "solve, no presolve (after a solver error)"


def test_cp_sat_solves_a_qubo_through_integral_product_columns():
    """Products of binaries are integral columns, so CP-SAT (integers only) takes a linearized QUBO."""
    from tests.test_time_limits import random_qubo

    q = random_qubo(16, 0.4)
    r = qb.solve(q, backend="ortools", solver="CP_SAT")
    assert r.status == "optimal" and r.objective == pytest.approx(qb.solve(q, backend="exact").objective)


def test_a_model_cp_sat_cannot_take_goes_to_the_fallback():
    m = qb.Model("flow")
    f = m.continuous("f", 2, lb=0, ub=4)
    m.add(f.sum() >= 3, name="demand")
    m.minimize(2 * f[0] + f[1])
    r = qb.solve(m, backend="ortools", solver="CP_SAT", fallback=["ortools"])
    assert r.status == "optimal" and r.objective == pytest.approx(3.0)
    assert (
        "CP_SAT takes integer variables only (f[0] is continuous)" in r.attempts[0]["error"]
        or "CP_SAT takes integer variables only" in r.attempts[0]["error"]
    )


def test_cp_sat_model_invalid_on_a_bounded_infeasible_row_is_confirmed_infeasible():
    """Hypothesis found it (the brute-force comparison above): CP-SAT ends with MODEL_INVALID,
    no message, on a row whose left side only takes multiples of 3; HiGHS without presolve
    confirms the model infeasible."""
    m = qb.Model("gcd")
    x = m.integer("x", 3, lb=[1, 1, 0], ub=[4, 3, 3])
    b = m.binary("b")
    m.add(3 * x[0] - 3 * x[1] + 3 * b == -2, name="r0")
    m.minimize(-5 * x[0] - 3 * x[1])
    r = qb.solve(m, backend="ortools", solver="CP_SAT")
    assert r.status == "infeasible" and len(r) == 0 and "CP_SAT" in r.raw.info["solver_error"]
