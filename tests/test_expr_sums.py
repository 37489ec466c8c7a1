"""Sums of array expressions (``sum()``, ``+=``, ``quicksum``) and the matmul/product/scale
shortcuts: same terms, in the same order, as the general array operations."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.expr import _TERM_SLOTS, LazySum, quicksum


def _terms(e):
    return [np.asarray(getattr(e, s)).copy() for s in _TERM_SLOTS]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_sum_iadd_and_quicksum_agree_term_for_term(rows, cols, parts, seed):
    rng = np.random.default_rng(seed)
    m = qb.Model("s")
    x = m.binary("x", (rows, cols))
    d = rng.integers(-3, 4, (cols, cols)).astype(float)
    pieces = [
        (x[:, rng.integers(cols)] * float(rng.integers(-2, 3))) * x[:, rng.integers(cols)]
        + x @ d[:, rng.integers(cols)]
        + float(rng.integers(5))
        for _ in range(parts)
    ]
    by_sum = sum(pieces)
    acc = 0
    for p in pieces:
        acc += p
    by_quicksum = quicksum(pieces)
    assert (parts == 1) or type(by_sum) is LazySum
    v = rng.integers(0, 2, m.n_vars).astype(float)
    want = np.sum([p.value(v) for p in pieces], axis=0)
    for e in (by_sum, acc, by_quicksum):
        assert e.shape == (rows,)
        np.testing.assert_allclose(e.value(v), want)
    # lazy concatenation gives the arrays the eager chain gives, in the same order
    for a, b in zip(_terms(by_sum), _terms(by_quicksum)):
        np.testing.assert_array_equal(a, b)


def test_a_long_chain_of_additions_materializes_once_without_recursion():
    m = qb.Model("chain")
    x = m.binary("x", (20_000, 3))
    h = 0
    for i in range(20_000):
        h += x[i]
    assert type(h) is LazySum and h._k is not None
    assert h.lrow.shape == (60_000,) and h._k is None  # one concatenation, then the operands go
    np.testing.assert_array_equal(h.lrow, np.tile(np.arange(3), 20_000))
    np.testing.assert_array_equal(h.lvar, np.arange(60_000))
    np.testing.assert_array_equal(h.value(np.ones(60_000)), [20_000.0] * 3)


def test_lazy_sums_mix_with_scalar_terms_broadcasting_and_subtraction():
    m = qb.Model("mix")
    x = m.binary("x", (2, 3))
    h = x[0] + x[1]  # lazy, shape (3,)
    g = h + x[0, 0] - 2 * x[1]  # a scalar term broadcast, then a difference
    v = np.array([1, 0, 1, 1, 1, 0], float)
    np.testing.assert_allclose(g.value(v), v[:3] + v[3:] + v[0] - 2 * v[3:])
    h2 = h + h  # the same lazy operand twice
    np.testing.assert_allclose(h2.value(v), 2 * (v[:3] + v[3:]))
    c = m.add(h <= 1, name="c")
    assert c is not None
    q = qb.compile(m, "qubo")
    assert q.n >= 6


@pytest.mark.parametrize("kind", ["dense", "mostly-zero", "sparse", "vector"])
@pytest.mark.parametrize("left", ["variable", "scaled", "two-terms", "quadratic", "with-constant"])
def test_matmul_shortcuts_equal_numpy(kind, left):
    rng = np.random.default_rng(3)
    m = qb.Model("mm")
    x = m.binary("x", (4, 5))
    y = m.binary("y", (4, 5))
    e = {"variable": x, "scaled": 3.0 * x, "two-terms": x + 2 * y, "quadratic": x * y, "with-constant": x + 1.5}[left]
    a = rng.integers(-2, 3, (5, 6)).astype(float)
    if kind == "mostly-zero":
        a[rng.random(a.shape) < 0.8] = 0
    v = rng.integers(0, 2, m.n_vars).astype(float)
    ev = e.value(v)
    if kind == "vector":
        a = a[:, 0]
    A = sp.csr_matrix(a.reshape(5, -1)) if kind == "sparse" else a
    got = e @ A
    want = ev @ a
    np.testing.assert_allclose(np.asarray(got.value(v)).reshape(want.shape), want)
    assert np.all(got.lcoef != 0) and np.all(got.qcoef != 0)
    assert np.all(got.qi <= got.qj)
    row = x[1] @ A  # a 1-D selection
    np.testing.assert_allclose(np.ravel(row.value(v)), np.ravel(x.value(v)[1] @ a))


def test_elementwise_products_with_a_variable_on_either_side():
    m = qb.Model("p")
    x = m.binary("x", 5)
    y = m.binary("y", (5, 5))
    d = np.arange(25.0).reshape(5, 5) - 7
    a = y @ d  # several terms per element
    v = np.random.default_rng(0).integers(0, 2, m.n_vars).astype(float)
    for p in (a * x, x * a, x * x, (x + 1) * a):
        assert np.all(p.qi <= p.qj) and np.all(p.qcoef != 0)
    np.testing.assert_allclose((a * x).value(v), (x * a).value(v))
    np.testing.assert_allclose((a * x).value(v), a.value(v) * v[:5])
    np.testing.assert_allclose(((x + 1) * a).value(v), (v[:5] + 1) * a.value(v))


def test_scaling_by_a_number():
    m = qb.Model("k")
    x = m.binary("x", 3)
    e = (x * x[::-1] + x) + 1.0
    z = e * 0.0
    assert z.n_terms == 0 and np.all(z.const == 0) and z.shape == (3,)
    two = e * np.float64(2)
    v = np.array([1.0, 0.0, 1.0])
    np.testing.assert_allclose(two.value(v), 2 * e.value(v))
    s = (x.sum() * 2) * 0.5
    assert s.shape == () and isinstance(s.const, np.ndarray)
    with pytest.raises(qb.ModelError, match="non-finite coefficient"):
        e * np.inf
