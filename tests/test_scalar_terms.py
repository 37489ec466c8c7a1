"""Scalar per-term loops (``x[i, j]`` with plain integers) build the same polynomials as
the vectorized array operations: qbdsl.expr.ScalarExpr keeps terms in Python tuples and
materializes the Expr arrays lazily, so these tests compare values, terms and compiled
QUBOs against the array forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.errors import ModelError, UnsupportedTermError
from qbdsl.expr import Expr, ScalarExpr


def _tsp(n, d, scalar: bool, how: str = "sum"):
    m = qb.Model("tsp")
    x = m.binary("x", (n, n))
    if scalar:
        terms = (d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))
        if how == "sum":
            H = sum(terms)
        elif how == "quicksum":
            H = qb.quicksum(terms)
        else:
            H = 0
            for term in terms:
                H += term
    else:
        H = ((x.T @ d) * x[:, np.r_[1:n, 0]].T).sum()
    m.minimize(H)
    return m, H


@pytest.mark.parametrize("how", ["sum", "quicksum", "iadd"])
def test_tsp_scalar_loop_equals_vectorized(how):
    n = 6
    d = np.round(np.random.default_rng(1).random((n, n)) * 100)
    ms, hs = _tsp(n, d, True, how)
    mv, hv = _tsp(n, d, False)
    assert isinstance(hs, Expr) and hs.shape == ()
    rng = np.random.default_rng(0)
    for _ in range(30):
        s = rng.integers(0, 2, n * n).astype(float)
        assert float(hs.value(s)) == pytest.approx(float(hv.value(s)), rel=1e-12)
    qs = qb.compile(ms, "qubo").to_bqm()
    qv = qb.compile(mv, "qubo").to_bqm()
    assert qs.num_variables == qv.num_variables and qs.num_interactions == qv.num_interactions
    for (u, v), b in qv.quadratic.items():
        assert qs.quadratic[u, v] == pytest.approx(b, rel=1e-12)
    for u, a in qv.linear.items():
        assert qs.linear[u] == pytest.approx(a, abs=1e-12)
    assert qs.offset == pytest.approx(qv.offset, abs=1e-12)


def test_tsp_scalar_matches_pyqubo():
    pyqubo = pytest.importorskip("pyqubo")
    n = 5
    d = np.round(np.random.default_rng(2).random((n, n)) * 100)
    ms, _ = _tsp(n, d, True)
    ours = qb.compile(ms, "qubo").to_bqm()
    x = pyqubo.Array.create("x", (n, n), "BINARY")
    ref = sum(d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))
    ref = ref.compile().to_bqm()
    rng = np.random.default_rng(3)
    for _ in range(20):
        s = rng.integers(0, 2, (n, n))
        a = ours.energy({f"x({i},{j})": int(s[i, j]) for i in range(n) for j in range(n)})
        b = ref.energy({f"x[{i}][{j}]": int(s[i, j]) for i in range(n) for j in range(n)})
        assert a == pytest.approx(b, rel=1e-12)


def _model():
    m = qb.Model("s")
    x = m.binary("x", 4)
    y = m.binary("y", (2, 3))
    p = m.integer("p", 2, lb=-2, ub=3)
    return m, x, y, p


def _points(m, rng, k=25):
    lay = m.layout()
    lo, hi = np.maximum(lay.lb, -3), np.minimum(lay.ub, 3)
    return [rng.integers(lo, hi + 1).astype(float) for _ in range(k)]


def _check(got, want, m, seed=0):
    assert isinstance(got, Expr) and isinstance(want, Expr)
    assert got.shape == want.shape
    assert got.degree == want.degree
    assert got.n_terms == want.n_terms
    for pt in _points(m, np.random.default_rng(seed)):
        np.testing.assert_allclose(got.value(pt), want.value(pt), rtol=1e-12, atol=1e-12)


def test_indexing_returns_scalar_term():
    m, x, y, p = _model()
    assert type(x[1]) is ScalarExpr and type(y[1, 2]) is ScalarExpr and type(y[-1, -1]) is ScalarExpr
    assert type(x[np.int64(2)]) is ScalarExpr
    # anything but a full integer index keeps the array path
    assert type(y[1]) is Expr and y[1].shape == (3,)
    assert type(x[1:2]) is Expr and type(x[[1]]) is Expr
    assert x[True].shape == (1, 4)
    with pytest.raises(ModelError):
        x[4]
    with pytest.raises(ModelError):
        y[0, -4]


def test_scalar_ops_equal_array_ops():
    m, x, y, p = _model()

    def arr(v, idx):  # the same element through the array path
        return v.reshape(-1)[[int(np.ravel_multi_index(idx, v.shape))]].sum()

    X1, Y12, P0 = arr(x, (1,)), arr(y, (1, 2)), arr(p, (0,))
    x1, y12, p0 = x[1], y[1, 2], p[0]
    assert type(X1) is Expr
    cases = [
        (x1 + y12, X1 + Y12),
        (x1 - y12, X1 - Y12),
        (-x1, -X1),
        (+x1, +X1),
        (3 - x1, 3 - X1),
        (x1 - 2.5, X1 - 2.5),
        (2 + x1, 2 + X1),
        (np.float64(1.5) * x1, np.float64(1.5) * X1),
        (x1 * np.int64(3), X1 * np.int64(3)),
        (x1 / 4, X1 / 4),
        (x1 * 0, X1 * 0),
        (x1 * y12, X1 * Y12),
        (x1 * x1, X1 * X1),
        (x1**2, X1**2),
        (x1**1, X1**1),
        (x1**0, X1**0),
        ((x1 + 1) * (y12 - 2), (X1 + 1) * (Y12 - 2)),
        ((2 * x1 - 3 * p0 + 1) ** 2, (2 * X1 - 3 * P0 + 1) ** 2),
        ((x1 * y12) * 3, (X1 * Y12) * 3),
        ((x1 * y12) * (0 * p0 + 2), (X1 * Y12) * (0 * P0 + 2)),
        (-(x1 * y12 + x1 - 4), -(X1 * Y12 + X1 - 4)),
        ((x1 + y12) - (x1 * y12 - 1), (X1 + Y12) - (X1 * Y12 - 1)),
        (2 * (x1 + y12 + 1) / 3, 2 * (X1 + Y12 + 1) / 3),
        (x1 * 0.5 * y12 * 4.0, X1 * 0.5 * Y12 * 4.0),
        (sum([x1, y12, p0, 7]), sum([X1, Y12, P0, 7])),
        (qb.quicksum([x1, y12, 2, p0 * x1]), qb.quicksum([X1, Y12, 2, P0 * X1])),
    ]
    for k, (got, want) in enumerate(cases):
        _check(got, want, m, seed=k)


def test_mixing_scalar_and_array_expressions():
    m, x, y, p = _model()
    a = np.array([1.0, -2.0, 3.0])
    cases = [
        (x[1] + y[0], x.reshape(-1)[[1]].sum() + y[0]),
        (y[0] + x[1], y[0] + x.reshape(-1)[[1]].sum()),
        (x[1] * y[1], x.reshape(-1)[[1]].sum() * y[1]),
        (y[1] * x[1], y[1] * x.reshape(-1)[[1]].sum()),
        (x[2] * a, x.reshape(-1)[[2]].sum() * a),
        (a - x[2], a - x.reshape(-1)[[2]].sum()),
        (x[0] + x.sum(), x.reshape(-1)[[0]].sum() + x.sum()),
        (x.sum() * x[3], x.sum() * x.reshape(-1)[[3]].sum()),
        (x[0] * np.ones(()), x.reshape(-1)[[0]].sum() * np.ones(())),
        (qb.quicksum([x[0], y[1], 1.0]), x.reshape(-1)[[0]].sum() + y[1] + 1.0),
    ]
    for k, (got, want) in enumerate(cases):
        _check(got, want, m, seed=k)
    # combining materializes the scalar terms once, and they stay usable afterwards
    s = x[0] * y[1, 1] + 2 * p[1] - 1
    _ = s + y[0]
    _check(s * 1, x.reshape(-1)[[0]].sum() * y[1, 1] + 2 * p.reshape(-1)[[1]].sum() - 1, m)
    assert s.lvar.dtype == np.int64 and s.qi.dtype == np.int64 and s.const.shape == ()


def test_constraints_and_objective_from_scalar_terms():
    m, x, y, p = _model()
    m.add(x[0] + x[1] + x[2] == 1, name="one")
    m.add(2 * p[0] - x[3] <= 3, name="cap")
    m.add(sum(y[i, j] for i in range(2) for j in range(3)) >= 2, name="some")
    m.minimize(sum((k + 1) * x[k] * y[k % 2, k % 3] for k in range(4)) - p[1])
    ref = qb.Model("s")
    rx, ry, rp = ref.binary("x", 4), ref.binary("y", (2, 3)), ref.integer("p", 2, lb=-2, ub=3)
    ref.add(rx[:3].sum() == 1, name="one")
    ref.add(2 * rp[:1].sum() - rx[3:].sum() <= 3, name="cap")
    ref.add(ry.sum() >= 2, name="some")
    sel = np.array([[0, 0], [1, 1], [0, 2], [1, 0]])
    ref.minimize((np.arange(1, 5) * rx * ry[sel[:, 0], sel[:, 1]]).sum() - rp[1:].sum())
    for pt in _points(m, np.random.default_rng(5), 40):
        assert float(m.objective.value(pt)) == pytest.approx(float(ref.objective.value(pt)), rel=1e-12)
        for name in ("one", "cap", "some"):
            np.testing.assert_allclose(
                m.constraints[name].expr.value(pt).ravel(), ref.constraints[name].expr.value(pt).ravel(), rtol=1e-12
            )
    a, b = qb.compile(m, "qubo", penalty=10.0).to_bqm(), qb.compile(ref, "qubo", penalty=10.0).to_bqm()
    rng = np.random.default_rng(6)
    for _ in range(20):
        s = {v: int(rng.integers(2)) for v in a.variables}
        assert a.energy(s) == pytest.approx(b.energy(s), rel=1e-12)


def test_errors_match_array_path():
    m, x, y, p = _model()
    with pytest.raises(UnsupportedTermError):
        x[0] * y[0, 0] * p[0]
    with pytest.raises(UnsupportedTermError):
        (x[0] * y[0, 0]) * (p[0] + 1)
    with pytest.raises(UnsupportedTermError):
        x[0] / y[0, 0]
    with pytest.raises(ModelError):
        x[0] / 0
    with pytest.raises(ModelError):
        x[0] * float("inf")
    with pytest.raises(ModelError):
        x[0] + float("nan")
    with pytest.raises(TypeError):
        bool(x[0])
    other = qb.Model("o").binary("z", 2)
    with pytest.raises(ModelError):
        x[0] + other[0]
    with pytest.raises(ModelError):
        x[0] * other[1]
    with pytest.raises(UnsupportedTermError):
        x[0] ** 3


def test_long_sum_is_not_recursive():
    m = qb.Model("big")
    x = m.binary("x", 50_000)
    h = 0
    for k in range(50_000):
        h += x[k]
    h = h - 1
    assert h.n_terms == 50_000 and h.degree == 1
    assert float(h.value(np.ones(50_000))) == 49_999.0
    del h  # a deep chain of sum nodes is freed without recursion errors


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(-3, 3), st.sampled_from("+-*")),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 10_000),
)
def test_random_scalar_programs_match_array_path(ops, seed):
    m = qb.Model("r")
    x = m.binary("x", 4)
    xs = [x[k] for k in range(4)]
    xa = [x[k : k + 1].sum() for k in range(4)]  # the same elements as array expressions
    got, want = xs[0] * 1, xa[0] * 1
    for i, j, c, op in ops:
        ts, ta = c * xs[i] + xs[j], c * xa[i] + xa[j]
        if op == "+":
            got, want = got + ts, want + ta
        elif op == "-":
            got, want = got - ts, want - ta
        elif got.degree + ts.degree <= 2:
            got, want = got * ts, want * ta
    assert got.degree == want.degree and got.n_terms == want.n_terms
    rng = np.random.default_rng(seed)
    for _ in range(8):
        pt = rng.integers(0, 2, 4).astype(float)
        assert float(got.value(pt)) == pytest.approx(float(want.value(pt)), rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 3), st.integers(-3, 3)), max_size=25),
    st.integers(0, 10_000),
)
def test_sums_that_branch_from_older_sums_keep_their_own_terms(steps, seed):
    """Sums share one list along a chain of additions; adding to an older sum of the chain,
    to a sum plus a number, or a sum to itself must not change any other sum's terms."""
    m = qb.Model("b")
    x = m.binary("x", 4)
    pool = [(x[0] + x[1], x[0:1].sum() + x[1:2].sum())]
    for a, b, k, c in steps:
        s, sa = pool[a % len(pool)]
        t, ta = pool[b % len(pool)]
        if c == 0:
            pool.append((s + t, sa + ta))  # also s + s when a == b
        else:
            pool.append((s + c * x[k], sa + c * x[k : k + 1].sum()))
            pool.append((s + float(c), sa + float(c)))
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 2, (6, 4)).astype(float)
    for got, want in pool:
        assert got.n_terms == want.n_terms
        for pt in pts:
            assert float(got.value(pt)) == pytest.approx(float(want.value(pt)), abs=1e-12)
