"""Feasibility repair (backends/repair.py): penalty energy never grows; one flip or one swap
from a feasible point is repaired; the anneal backend's ``repair`` option reports its work."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends.repair import penalty_terms, repair


def assignment(rng, rows: int, cols: int, cap: int) -> qb.Model:
    """Each row picks one column (one-hot equality); each column's weight is capped."""
    m = qb.Model("assign")
    x = m.binary("x", (rows, cols))
    w = rng.integers(1, 4, (rows, cols))
    m.add(x.sum(axis=1) == 1, name="one")
    m.add((w * x).sum(axis=0) <= cap, name="cap")
    m.minimize((rng.integers(1, 9, (rows, cols)) * x).sum())
    return m


def knapsack(rng, n: int) -> qb.Model:
    m = qb.Model("knap")
    x = m.binary("x", n)
    w = rng.integers(1, 6, n)
    m.add((w * x).sum() <= int(w.sum() // 2), name="weight")
    m.maximize((rng.integers(1, 10, n) * x).sum())
    return m


def all_points(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int8)


models = st.builds(
    lambda seed, kind: (
        assignment(np.random.default_rng(seed), 2, 3, 3) if kind else knapsack(np.random.default_rng(seed), 7)
    ),
    st.integers(0, 2**31 - 1),
    st.booleans(),
)


@settings(max_examples=30)
@given(m=models, seed=st.integers(0, 2**31 - 1))
def test_penalty_never_grows_and_zero_means_feasible(m, seed):
    q = qb.compile(m, "qubo")
    Y = np.random.default_rng(seed).integers(0, 2, (40, q.n))
    r = repair(q, Y)
    tol = 1e-9 * max(1.0, penalty_terms(q).magnitude)
    assert np.all(r.penalty_after <= r.penalty_before + tol)
    assert np.allclose(r.penalty_after, penalty_terms(q).energy(r.samples))
    clean = r.penalty_before <= tol
    assert np.array_equal(r.samples[clean], Y[clean])  # nothing to repair: left as it was
    assert np.all(r.moves[clean] == 0)
    sols = q.decode(r.samples)
    zero = r.penalty_after <= tol
    assert all(s.feasible for s, z in zip(sols, zero) if z)  # zero penalty: the decode agrees
    assert r.num_repaired == int(np.sum(~clean & zero))


@settings(max_examples=30)
@given(m=models, pick=st.integers(0, 2**31 - 1))
def test_one_flip_from_feasible_is_repaired(m, pick):
    q = qb.compile(m, "qubo")
    if q.n > 16:
        return
    Y = all_points(q.n)
    zero = Y[penalty_terms(q).energy(Y) == 0]
    assert len(zero)  # these models are feasible
    rng = np.random.default_rng(pick)
    y = zero[rng.integers(len(zero))].copy()
    y[rng.integers(q.n)] ^= 1
    r = repair(q, y)
    assert r.penalty_after[0] == 0
    assert q.decode(r.samples[0]).feasible


@settings(max_examples=30)
@given(seed=st.integers(0, 2**31 - 1), pick=st.integers(0, 2**31 - 1))
def test_one_swap_from_feasible_is_repaired(seed, pick):
    """A swap inside a one-hot row keeps the row valid but may overload a column: the repair
    finds a zero-penalty point again (a swap back, or better)."""
    q = qb.compile(assignment(np.random.default_rng(seed), 2, 3, 3), "qubo")
    pen = penalty_terms(q)
    Y = all_points(q.n)
    zero = Y[pen.energy(Y) == 0]
    rng = np.random.default_rng(pick)
    y = zero[rng.integers(len(zero))].copy()
    row = rng.integers(2)
    on = int(np.flatnonzero(y[row * 3 : row * 3 + 3])[0]) + 3 * row
    off = 3 * row + int(rng.choice([c for c in range(3) if row * 3 + c != on]))
    y[on], y[off] = 0, 1
    r = repair(q, y)
    assert r.penalty_after[0] == 0
    assert q.decode(r.samples[0]).feasible


def test_swaps_are_needed_for_one_hot_rows():
    """From a valid one-hot pattern that overloads a column, no single flip lowers the
    penalty (it breaks a row), while a swap does."""
    m = qb.Model("swap")
    x = m.binary("x", (2, 2))
    m.add(x.sum(axis=1) == 1, name="one")
    m.add(x[:, 0].sum() <= 1, name="cap")
    m.minimize((np.array([[1, 5], [1, 5]]) * x).sum())
    q = qb.compile(m, "qubo", penalty={"one": 10.0, "cap": 1.0})
    y = np.zeros(q.n, np.int8)
    y[[0, 2]] = 1  # both rows in column 0
    flips_only = repair(q, y, swaps=False)
    with_swaps = repair(q, y)
    assert flips_only.penalty_after[0] > 0  # stuck: every flip breaks a row
    assert with_swaps.penalty_after[0] == 0
    assert q.decode(with_swaps.samples[0]).feasible


def test_objective_breaks_ties():
    """Two swaps reach zero penalty; the cheaper objective is taken."""
    m = qb.Model("ties")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize(5 * x[0] + 1 * x[1] + 3 * x[2])
    q = qb.compile(m, "qubo")
    r = repair(q, np.zeros(3, np.int8))  # one flip to 1 repairs; x1 is the cheapest
    assert r.samples[0].tolist() == [0, 1, 0]


def test_bad_samples_and_past_deadline():
    q = qb.compile(knapsack(np.random.default_rng(0), 6), "qubo")
    with pytest.raises(ValueError, match="shape"):
        repair(q, np.zeros((2, q.n + 1)))
    with pytest.raises(ValueError, match="0/1"):
        repair(q, np.full(q.n, 2))
    Y = np.ones((5, q.n), np.int8)
    r = repair(q, Y, deadline=time.perf_counter() - 1.0)
    assert not r.complete
    assert np.array_equal(r.samples, Y)  # nothing moved, nothing lost


def test_anneal_repair_option_reports_and_keeps_the_ir_energies():
    m = assignment(np.random.default_rng(3), 5, 6, 4)
    q = qb.compile(m, "qubo")
    out = qb.backends.get("anneal").solve(q, seed=0, repair=True, num_reads=20, num_sweeps=5)
    assert out.info["repaired"] >= 0
    assert np.allclose(out.energies, q.energy(out.samples))  # the IR's own weights
    assert np.all(np.diff(out.energies) >= 0)
    plain = qb.backends.get("anneal").solve(q, seed=0, num_reads=20, num_sweeps=5)
    pen = penalty_terms(q)
    # with so few sweeps the plain reads violate; repair leaves no more violation than they had
    assert pen.energy(out.samples).min() <= pen.energy(plain.samples).min()
    r = qb.solve(m, backend="anneal", seed=0, repair=True, num_reads=20, num_sweeps=5)
    assert r.feasible
