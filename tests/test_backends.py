"""Every backend behind qb.solve: optima on small instances, statuses, options, bad input."""

import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import qbdsl as qb
from qbdsl.backends import registry
from qbdsl.ir.terms import QuboTerms
from qbdsl.testing import brute_force

from .strategies import small_models

DATA = Path(__file__).resolve().parent.parent / "problems" / "data" / "qoblib"


def random_qubo(n: int, seed: int, density: float = 0.5) -> qb.QuboIR:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < density
    terms = QuboTerms.from_coo(
        n,
        rng.integers(-6, 7, n).astype(float),
        iu[0][keep],
        iu[1][keep],
        rng.integers(-4, 5, int(keep.sum())).astype(float),
        offset=1.0,
    )
    return qb.QuboIR.from_terms(terms)


@pytest.mark.parametrize(
    "backend, options",
    [
        ("anneal", {"num_reads": 50}),
        ("tabu", {"num_reads": 5}),
        ("qaoa", {"reps": 2, "shots": 2048}),
        ("ortools", {}),
    ],
)
@pytest.mark.parametrize("seed", range(4))
def test_backends_reach_the_exact_optimum_on_random_qubos(backend, options, seed):
    q = random_qubo(9, seed)
    best = qb.solve(q, backend="exact").energy
    r = qb.solve(q, backend=backend, seed=seed, **options)
    assert r.energy == pytest.approx(best), backend
    assert r.backend == backend and r.status in ("optimal", "feasible")
    assert q.energy(r.sample[: q.n]) == pytest.approx(r.energy)


def test_qaoa_qiskit_reaches_the_optimum_on_a_small_qubo():
    q = random_qubo(6, 11)
    r = qb.solve(q, backend="qaoa-qiskit", seed=1, maxiter=40)
    assert r.energy == pytest.approx(qb.solve(q, backend="exact").energy)


@settings(max_examples=40, deadline=None)
@given(m=small_models())
def test_ortools_matches_brute_force_on_random_milps(m):
    truth = brute_force(m)
    r = qb.solve(m, backend="ortools", seed=0)
    if truth.objective is None:
        assert r.status == "infeasible" and not r.feasible
    else:
        assert r.status == "optimal" and r.feasible
        assert r.objective == pytest.approx(truth.objective, abs=1e-6)


@pytest.mark.parametrize("solver", ["SCIP", "CP_SAT", "HIGHS"])
def test_ortools_reproduces_qoblib_network05(solver):
    r = qb.solve(DATA / "network05.lp.xz", backend="ortools", solver=solver, seed=0, time_limit=120)
    assert r.status == "optimal" and r.feasible
    assert r.objective == pytest.approx(65500)  # QOBLIB's optimum in the .lp scaling
    x = r.values["x"]
    assert x.sum() == 10  # 5 nodes, out-degree 2 each


def test_ortools_statuses():
    m = qb.Model("inf")
    x = m.integer("x", 2, lb=0, ub=5)
    m.add(x.sum() >= 11, name="too-much")
    m.minimize(x.sum())
    assert qb.solve(m, backend="ortools").status == "infeasible"
    u = qb.Model("unb")
    y = u.continuous("y", lb=0)
    u.maximize(y)
    assert qb.solve(u, backend="ortools", solver="HIGHS").status == "unbounded"
    with pytest.raises(qb.OptionError, match="option solver must be one of HIGHS, SCIP, CP_SAT, got 'gurobi'"):
        qb.solve(m, backend="ortools", solver="gurobi")
    with pytest.raises(qb.OptionError, match=r"option gap must be a number in \[0, 1\), got 2.0"):
        qb.solve(m, backend="ortools", gap=2.0)


def test_ortools_time_limit_returns_incumbent_or_says_none():
    from .test_time_limits import multi_knapsack

    m = multi_knapsack()
    t = time.perf_counter()
    r = qb.solve(m, backend="ortools", time_limit=0.05, seed=0)
    assert time.perf_counter() - t < 5
    assert r.status in ("time_limit", "optimal")
    if r.sample is not None:
        assert r.feasible


def test_anneal_is_deterministic_and_honours_time_limits():
    q = random_qubo(40, 3, density=0.3)
    a = qb.solve(q, backend="anneal", seed=7, num_reads=20)
    b = qb.solve(q, backend="anneal", seed=7, num_reads=20)
    np.testing.assert_array_equal(a.sample, b.sample)
    t = time.perf_counter()
    r = qb.solve(q, backend="anneal", seed=1, time_limit=0.5, batch_reads=2)
    elapsed = time.perf_counter() - t
    assert elapsed < 0.5 + 0.5
    info = r.raw.info
    main_calls = info["calls"] - info["probe_reads"]  # each probe is a call of one read
    assert main_calls >= 2 and info["main_reads"] <= 2 * main_calls
    assert info["reads"] == info["probe_reads"] + info["main_reads"]
    with pytest.raises(qb.BackendError, match="anneal: unknown option"):
        qb.solve(q, backend="anneal", sweeps=10)


def test_tabu_time_limit():
    q = random_qubo(40, 4, density=0.3)
    t = time.perf_counter()
    r = qb.solve(q, backend="tabu", seed=0, time_limit=0.5)
    assert time.perf_counter() - t < 1.5 and r.sample is not None


@pytest.mark.parametrize("reps", [1, 2])
def test_native_and_qiskit_qaoa_expectations_agree(reps):
    from qbdsl.backends.qaoa import qaoa_expectation, qiskit_expectation

    q = random_qubo(7, 5)
    rng = np.random.default_rng(reps)
    for _ in range(3):
        g, b = rng.uniform(0, 1, reps), rng.uniform(0, 1, reps)
        assert qaoa_expectation(q, g, b) == pytest.approx(qiskit_expectation(q, g, b), abs=1e-6)


def test_qaoa_memory_check_and_qubit_limits():
    q = random_qubo(20, 0, density=0.1)
    with pytest.raises(qb.BackendError, match=r"qaoa: 20 qubits exceed the \d+ that fit in memory"):
        qb.solve(q, backend="qaoa", max_memory=1 << 24)
    with pytest.raises(qb.BackendError, match="qaoa-qiskit: 30 variables exceed the 24"):
        qb.solve(random_qubo(30, 0, 0.1), backend="qaoa-qiskit")


@pytest.mark.slow  # 14 s of statevector; test_qaoa_time_limit_keeps_best_angles runs 18 qubits in make test
def test_qaoa_runs_24_qubits():
    q = random_qubo(24, 2, density=0.1)
    r = qb.solve(q, backend="qaoa", seed=0, maxiter=3, restarts=1, shots=256)
    assert r.sample.shape == (24,) and np.isfinite(r.energy)
    assert r.raw.info["evaluations"] >= 3


def test_qaoa_time_limit_keeps_best_angles():
    q = random_qubo(18, 1, density=0.2)
    t = time.perf_counter()
    r = qb.solve(q, backend="qaoa", seed=0, time_limit=0.3, maxiter=10_000)
    assert time.perf_counter() - t < 3
    assert r.status == "time_limit" and r.sample is not None


def test_backend_capability_errors_say_why():
    m = qb.Model("cont")
    f = m.continuous("f", ub=2)
    m.minimize(f)
    with pytest.raises(qb.UnsupportedTermError, match="continuous variable 'f'"):
        qb.solve(m, backend="anneal")
    r = qb.solve(m, backend="anneal", fallback=["ortools"])
    assert r.backend == "ortools" and r.objective == 0
    assert r.attempts[0]["backend"] == "anneal" and "continuous" in r.attempts[0]["error"]
    with pytest.raises(
        qb.BackendError, match=r"unknown backend 'nope'; known backends: anneal, (\S+, )*exact, (\S+, )*ortools"
    ):
        qb.solve(m, backend="nope")


def test_a_crashing_backend_is_named_and_the_model_kept(monkeypatch):
    from qbdsl.backends.base import Capabilities

    class Crash:
        name = "crash"
        capabilities = Capabilities(accepts=("qubo",))

        def solve(self, ir, **kw):
            raise ZeroDivisionError("boom")

    monkeypatch.setitem(registry._FACTORIES, "crash", Crash)
    m = qb.Model("k")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize(x[0])
    with pytest.raises(qb.BackendError, match="backend 'crash' failed: ZeroDivisionError: boom"):
        qb.solve(m, backend="crash")
    assert qb.solve(m, backend="crash", fallback=["exact"]).objective == 0
    assert len(m.constraints) == 1 and m.n_vars == 3


def test_auto_goes_through_the_invocation_policy():
    small = random_qubo(8, 0)
    r = qb.solve(small)
    assert r.backend == r.decision.backend == "exact"
    big = qb.solve(random_qubo(30, 0, 0.1), seed=0)
    rows = {o.backend: o for o in big.decision.rows}
    assert big.backend != "exact" and "exceed the 26" in rows["exact"].verdict
    m = qb.Model("c")
    m.minimize(m.continuous("f", lb=1, ub=2))
    r = qb.solve(m)
    assert r.backend == "ortools"
    assert all("cannot take it as a QUBO" in o.verdict for o in r.decision.rows if o.backend != "ortools")


def test_third_party_backend_registers_through_entry_points(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "tinyqb-0.1.dist-info").mkdir(parents=True)
    (site / "tinyqb-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyqb\nVersion: 0.1\n")
    (site / "tinyqb-0.1.dist-info" / "entry_points.txt").write_text("[qbdsl.backends]\ntiny = tinyqb:Tiny\n")
    (site / "tinyqb.py").write_text(
        textwrap.dedent("""
        import numpy as np
        from qbdsl.backends.base import BackendOutput, Capabilities

        class Tiny:
            name = "tiny"
            capabilities = Capabilities(accepts=("qubo",), max_variables=4)

            def solve(self, ir, **kw):
                return BackendOutput(np.ones(ir.n), "feasible")
    """)
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", False)
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    assert "tiny" in registry.names()
    r = qb.solve(random_qubo(3, 0), backend="tiny")
    assert r.backend == "tiny" and r.sample.tolist() == [1, 1, 1]
    with pytest.raises(qb.BackendError, match="tiny: 5 variables exceed the 4"):
        qb.solve(random_qubo(5, 0), backend="tiny")
    sys.modules.pop("tinyqb", None)


def test_ortools_default_solver_on_a_model_scip_gets_wrong():
    # found by hypothesis: OR-Tools' bundled SCIP (presolve) reports x = (1, 0, 1) "optimal" at -1;
    # the optimum is -7, so the default MILP solver is HiGHS
    m = qb.Model("regression")
    x = m.binary("x", 3)
    p = m.integer("p", 2, lb=np.array([-1, 1]), ub=np.array([1, 2]))
    m.add(p[0] - 2 * p[1] + x[0] <= 2, name="k0")
    m.add(-p[0] + x[0] + x[1] - 3 * x[2] <= -2, name="k1")
    m.minimize(p[0] * x[0] - p[1] + 4 * x[0] * x[2] + 2 * x[0] + 3 * x[1] - 5 * x[2])
    assert brute_force(m).objective == -7.0
    r = qb.solve(m, backend="ortools")
    assert r.status == "optimal" and r.objective == pytest.approx(-7.0)
