"""One ``Result`` with every sample (issue 16, item 1): backends return all their reads,
``qb.solve`` decodes them, the best feasible sample comes first."""

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends.base import BackendOutput
from qbdsl.backends.budget import Budget
from qbdsl.result import Result, Status, decode_reads, sample_order_key
from qbdsl.solution import Solution
from qbdsl.testing import brute_force


def _three_of_six():
    """Pick exactly three of six items, each worth 10: the penalty weight 1 set by hand is far
    too small, so four or more items (infeasible) have a lower energy than any feasible pick."""
    m = qb.Model("three-of-six")
    x = m.binary("x", 6)
    m.add(x.sum() == 3, name="three")
    m.minimize((-(10.0 + np.arange(6)) * x).sum())
    return m, qb.compile(m).with_penalties(three=1.0)


def _assert_ordered(r: Result) -> None:
    keys = [sample_order_key(s, r.sense) for s in r]
    assert keys == sorted(keys)
    flags = [s.feasible for s in r]
    assert flags == sorted(flags, reverse=True)  # feasible ones first
    feas = [s.objective for s in r if s.feasible]
    sign = 1 if r.sense == "min" else -1
    assert all(sign * (b - a) >= 0 for a, b in zip(feas, feas[1:]))
    inf = [s.energy for s in r if not s.feasible]
    assert all(b >= a for a, b in zip(inf, inf[1:]))


def test_anneal_keeps_the_feasible_read_below_a_lower_energy_infeasible_one():
    m, q = _three_of_six()
    reads = 100
    r = qb.solve(q, backend="anneal", seed=0, num_reads=reads, num_sweeps=10, beta_range=[0.01, 0.1])
    lowest = min(r, key=lambda s: s.energy)
    assert not lowest.feasible  # the best-energy read breaks the constraint...
    assert r.samples[0].feasible and r.feasible  # ...and the answer is a feasible read
    assert r.values is r.samples[0].values and r.objective == r.samples[0].objective
    assert r.energy > lowest.energy and any(s is lowest for s in r.samples)
    assert r.values["x"].sum() == 3 and r.status == "feasible"
    best_feasible = min(s.objective for s in r if s.feasible)
    assert r.objective == best_feasible
    # every read is there, counted: the occurrences sum to the reads drawn
    assert r.num_occurrences == sum(s.num_occurrences for s in r) == r.raw.info["reads"] == reads
    assert len(r) == len({tuple(s.sample) for s in r}) == r.info["returned"] == r.info["decoded"]
    _assert_ordered(r)
    # the backend's own best (lowest energy) is still what BackendOutput.sample gives
    assert r.raw.energy == pytest.approx(lowest.energy)
    np.testing.assert_array_equal(r.raw.sample, lowest.sample)


def test_samples_are_sorted_as_documented_for_a_maximization():
    m = qb.Model("max")
    x = m.binary("x", 5)
    m.add(x.sum() <= 2, name="cap")
    m.maximize((np.array([3.0, 1.0, 4.0, 1.0, 5.0]) * x).sum())
    r = qb.solve(m, backend="exact")
    assert r.sense == "max" and r.status == "optimal"
    assert r.objective == 9.0 == brute_force(m).objective
    _assert_ordered(r)
    assert r.feasible_samples() == [s for s in r if s.feasible] and r.first is r.samples[0] is r[0]


def test_status_is_an_enum_that_compares_equal_to_its_string():
    m, _ = _three_of_six()
    r = qb.solve(m, backend="exact")
    assert isinstance(r.status, Status) and isinstance(r.status, str)
    assert r.status == "optimal" and r.status is Status.OPTIMAL and qb.Status.OPTIMAL == "optimal"
    assert str(r.status) == f"{r.status}" == "optimal" and json.dumps(r.status) == '"optimal"'
    assert {s.value for s in Status} == {
        "optimal",
        "feasible",
        "infeasible",
        "no_feasible",
        "unbounded",
        "time_limit",
        "error",
    }
    assert Result([], "time_limit").status is Status.TIME_LIMIT  # strings are taken and converted


def test_to_sampleset_energies_are_dimods():
    import dimod

    m, q = _three_of_six()
    bqm = q.to_bqm()
    for backend in ("anneal", "exact"):
        r = (
            qb.solve(q, backend=backend, seed=1, num_reads=50, num_sweeps=20)
            if backend == "anneal"
            else qb.solve(q, backend=backend)
        )
        ss = r.to_sampleset()
        assert isinstance(ss, dimod.SampleSet) and len(ss) == len(r)
        assert list(ss.variables) == q.source.layout.labels() == list(bqm.variables)
        np.testing.assert_allclose(ss.record.energy, bqm.energies((ss.record.sample, ss.variables)))
        np.testing.assert_allclose(ss.record.energy, [s.energy for s in r])
        np.testing.assert_array_equal(ss.record.num_occurrences, [s.num_occurrences for s in r])
        np.testing.assert_array_equal(ss.record.objective, [s.objective for s in r])
        np.testing.assert_array_equal(ss.record.is_feasible, [s.feasible for s in r])
        assert ss.info["status"] == str(r.status) and ss.info["backend"] == backend
        assert ss.vartype is dimod.BINARY


def test_to_sampleset_of_an_integer_model_and_of_no_sample():
    import dimod

    m = qb.Model("ints")
    k = m.integer("k", 2, lb=0, ub=3)
    m.add(k.sum() >= 4, name="atleast")
    m.minimize((np.array([1.0, 2.0]) * k).sum())
    r = qb.solve(m, backend="ortools")
    ss = r.to_sampleset()
    assert ss.vartype is dimod.INTEGER and list(ss.first.sample.values()) == [3, 1]
    empty = Result([], "infeasible", "x").to_sampleset()
    assert len(empty) == 0


def test_a_result_without_samples_reads_as_before():
    r = Result([], "no_feasible", "x")
    assert len(r) == 0 and r.first is None and r.sample is None and r.energy is None
    assert r.values == {} and r.violations == {} and math.isnan(r.objective) and not r.feasible


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 6),
    seed=st.integers(0, 2**31 - 1),
    sense=st.sampled_from(["min", "max"]),
    op=st.sampled_from(["<=", "==", ">="]),
)
def test_ordering_invariant_on_random_models_with_the_exact_backend(n, seed, sense, op):
    rng = np.random.default_rng(seed)
    m = qb.Model("random")
    x = m.binary("x", n)
    c = rng.integers(-5, 6, n).astype(float)
    a = rng.integers(1, 4, n).astype(float)
    a[0] = 1.0  # gcd 1: the compiler refuses rows that can never hold
    rhs = float(rng.integers(1, int(a.sum())))
    lhs = (a * x).sum()
    m.add({"<=": lhs <= rhs, "==": lhs == rhs, ">=": lhs >= rhs}[op], name="row")
    obj = (c * x).sum() + float(rng.integers(-3, 4)) * x[0] * x[n - 1]
    m.minimize(obj) if sense == "min" else m.maximize(obj)
    r = qb.solve(m, backend="exact")
    _assert_ordered(r)
    truth = brute_force(m)
    assert r.values is r.samples[0].values
    if truth.feasible:  # penalty="auto" carries the guarantee: the ground state is the optimum
        assert r.status == "optimal" and r.feasible and r.objective == pytest.approx(truth.objective)
    else:
        assert r.status == "infeasible" and not any(s.feasible for s in r)
    # every sample decodes the same as decoding it alone
    q = qb.compile(m)
    for s in r:
        alone = q.decode(s.sample)
        assert alone.objective == s.objective and alone.energy == s.energy
        assert sorted(alone.violations) == sorted(s.violations)


def test_batch_decode_equals_one_by_one():
    m = qb.Model("mixed")
    x = m.binary("x", 3)
    k = m.integer("k", 2, lb=0, ub=4)
    m.add(x.sum() + k[0] <= 3, name="cap")
    m.add(k[1] - x[2] == 1, name="link")
    m.minimize((x * np.array([1.0, -2.0, 3.0])).sum() - k.sum())
    for encoding in ("binary", "one-hot"):
        q = qb.compile(m, encoding=encoding)
        Y = np.random.default_rng(0).integers(0, 2, (40, q.n))
        batch = q.decode(Y)
        for y, b in zip(Y, batch):
            a = q.decode(y)
            assert a.objective == b.objective and a.energy == b.energy
            np.testing.assert_array_equal(a.x, b.x)
            assert list(a.violations) == list(b.violations)
            for name in a.violations:
                np.testing.assert_array_equal(a.violations[name], b.violations[name])
            for name in a.values:
                assert a.values[name].shape == b.values[name].shape
                np.testing.assert_array_equal(a.values[name], b.values[name])
    milp = qb.compile(m, "milp")
    X = np.random.default_rng(1).uniform(-1, 5, (10, milp.num_variables))
    for xrow, b in zip(X, milp.decode(X)):
        a = milp.decode(xrow)
        assert a.objective == b.objective and list(a.violations) == list(b.violations)
        np.testing.assert_array_equal(a.x, b.x)


def test_decoding_keeps_the_time_limit():
    """When the time left cannot cover every read, the best-energy ones are decoded first and
    ``result.info`` says how many."""
    m, q = _three_of_six()
    Y = np.array([[(s >> i) & 1 for i in range(q.n)] for s in range(64)], dtype=np.int8)
    out = BackendOutput.from_reads(Y, q.energy(Y), "feasible")
    gone = Budget(0.001, start=time.perf_counter() - 10)  # deadline and grace long past
    samples, info = decode_reads(out, q.decode, gone)
    assert len(samples) == 1 and info["decoded"] == 1 and info["returned"] == 64
    assert info["not_decoded"] == "time limit"
    assert samples[0].energy == pytest.approx(out.energy)  # the best-energy read is the one decoded
    full, info = decode_reads(out, q.decode, Budget(None))
    assert len(full) == 64 and "not_decoded" not in info
    assert [s.energy for s in full] == sorted(s.energy for s in full)


def test_backend_output_shapes():
    one = BackendOutput(np.zeros(3), "feasible")  # the old one-sample form
    assert one.samples.shape == (1, 3) and one.sample.tolist() == [0, 0, 0] and one.energy is None
    assert BackendOutput.one(np.ones(2), "optimal", 4.0).energy == 4.0
    none = BackendOutput(None, "time_limit")
    assert none.samples.shape[0] == 0 and none.sample is None and none.energy is None and len(none) == 0
    X = np.array([[1, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int8)
    agg = BackendOutput.from_reads(X, [2.0, 1.0, 2.0, 0.5], "feasible")
    assert agg.samples.tolist() == [[1, 1], [0, 1], [1, 0]]
    assert agg.energies.tolist() == [0.5, 1.0, 2.0] and agg.num_occurrences.tolist() == [1, 1, 2]
    with pytest.raises(ValueError):
        BackendOutput(np.zeros((2, 3)), "feasible", [1.0])


def test_every_backend_returns_its_reads():
    m, q = _three_of_six()
    assert len(qb.solve(q, backend="exact")) == 16  # the ground state and the next 15
    r = qb.solve(q, backend="tabu", seed=0, num_reads=8, timeout=5)
    assert r.num_occurrences == 8
    r = qb.solve(q, backend="qaoa", seed=0, shots=256)
    assert r.num_occurrences == 256 and len(r) > 1
    r = qb.solve(m, backend="ortools")
    assert len(r) == 1 and r.status == "optimal"


def test_qaoa_qiskit_returns_its_sampled_bitstrings():
    _, q = _three_of_six()
    r = qb.solve(q, backend="qaoa-qiskit", seed=0, shots=256, maxiter=5)
    assert len(r) > 1 and r.num_occurrences == pytest.approx(256, abs=len(r))
    _assert_ordered(r)


def test_qbdsl_sampler_returns_every_read():
    import dimod
    import dimod.testing

    from qbdsl.io.dimod_sampler import QbdslSampler

    bqm = dimod.generators.gnp_random_bqm(8, 0.5, dimod.SPIN, random_state=2)
    ss = QbdslSampler("anneal", seed=0, num_reads=40, num_sweeps=5).sample(bqm)
    assert ss.record.num_occurrences.sum() == 40 and len(ss) > 1
    dimod.testing.assert_sampleset_energies(ss, bqm)
    assert ss.info["status"] == "feasible" and ss.info["backend"] == "anneal"


def test_solving_without_dimod_loads_no_dimod():
    code = (
        "import sys, qbdsl as qb, numpy as np\n"
        "m = qb.Model('t'); x = m.binary('x', 3); m.add(x.sum() == 1, name='one'); m.minimize(x.sum())\n"
        "r = qb.solve(m, backend='exact'); assert r.status == 'optimal' and len(r) > 1\n"
        "print('dimod' in sys.modules)\n"
        "r.to_sampleset(); print('dimod' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_solution_keeps_its_positional_constructor():
    s = Solution({"x": np.array([1])}, 2.0, {}, 3.0, np.array([1.0]))
    assert s.num_occurrences == 1 and s.sample is None and s.energy == 3.0 and s.feasible


@pytest.mark.parametrize("low, chunk", [(3, 2), (14, 8)])
def test_exact_keeps_the_lowest_states_across_chunks(monkeypatch, low, chunk):
    from qbdsl.backends import exact

    monkeypatch.setattr(exact, "LOW_BITS", low)
    monkeypatch.setattr(exact, "CHUNK_BITS", chunk)
    rng = np.random.default_rng(5)
    for n in (2, 5, 9, 12):
        h = rng.integers(-3, 4, n).astype(float)
        J = np.triu(rng.integers(-3, 4, (n, n)), 1).astype(float)
        table = exact.energy_table(h, J, 0.5)
        e, y, _, complete, (low_e, low_i) = exact._search(h, J, 0.5, keep=16)
        assert complete and e == table.min()
        np.testing.assert_allclose(low_e, np.sort(table)[: min(16, 2**n)])
        np.testing.assert_allclose(table[low_i], low_e)


def test_a_qubo_solved_by_a_milp_solver_returns_points_of_the_qubo():
    """ortools gets the QUBO linearized; its samples come back as points of the QUBO itself."""
    m = qb.Model("k")
    x = m.binary("x", 6)
    m.add((np.arange(1, 7) * x).sum() <= 9, name="cap")
    m.maximize((np.array([3, 1, 4, 1, 5, 9]) * x).sum())
    q = qb.compile(m, "qubo")
    r = qb.solve(q, backend="ortools")
    assert r.sample.shape == (q.n,)
    assert r.energy == pytest.approx(float(q.energy(r.sample[None, :])[0]))
    assert r.energy == pytest.approx(qb.solve(q, backend="exact").energy)
