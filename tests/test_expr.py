"""Expressions behave like numpy arrays of polynomials: checked against dense numpy."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import qbdsl as qb


def setup(seed=0):
    rng = np.random.default_rng(seed)
    m = qb.Model("e")
    x = m.binary("x", (3, 4))
    p = m.integer("p", 4, lb=-2, ub=5)
    v = rng.integers(0, 2, 12).astype(float)
    w = rng.integers(-2, 6, 4).astype(float)
    point = np.concatenate([v, w])
    return m, x, p, v.reshape(3, 4), w, point, rng


@given(seed=st.integers(0, 10_000))
def test_arithmetic_matches_numpy(seed):
    m, x, p, X, P, pt, rng = setup(seed)
    A = rng.normal(size=(3, 4))
    B = rng.normal(size=(4, 2))
    cases = [
        (x + A, X + A),
        (A - 2 * x, A - 2 * X),
        (x * A, X * A),
        (x / 4.0, X / 4.0),
        (-x, -X),
        (x * p, X * P),  # broadcast (3,4)*(4,)
        (x[:, None, :] * p[None, :, None], X[:, None, :] * P[None, :, None]),
        (x.sum(axis=0), X.sum(axis=0)),
        (x.sum(axis=(0, 1)), X.sum()),
        (x.sum(axis=-1), X.sum(axis=-1)),
        (x @ B, X @ B),
        (x @ sp.csr_matrix(B), X @ B),
        (x @ P.astype(float), X @ P),
        (A.T @ x, A.T @ X),
        (sp.csr_matrix(A.T) @ x, A.T @ X),  # scipy on the left defers to the expression
        (np.ones(3) @ x, np.ones(3) @ X),
        (x[1:, ::2], X[1:, ::2]),
        (x[[0, 0, 2], [1, 1, 3]], X[[0, 0, 2], [1, 1, 3]]),  # fancy, with repeats
        (x.T, X.T),
        (x.reshape(2, 6), X.reshape(2, 6)),
        (x[..., None], X[..., None]),
        ((x.sum(axis=1) - 1) ** 2, (X.sum(axis=1) - 1) ** 2),
        (p @ p, P @ P),
        (x @ p, X @ P),
        (x * x, X * X),
        (qb.quicksum([x, 2 * x, A]), 3 * X + A),
    ]
    for expr, want in cases:
        np.testing.assert_allclose(expr.value(pt), want, atol=1e-9)


def test_numpy_on_the_left_defers_to_expr():
    m, x, p, X, P, pt, _ = setup()
    e = np.arange(4.0) * p
    assert isinstance(e, qb.Expr)
    c = np.zeros(4) <= p
    assert isinstance(c, qb.Constraint) and c.sense == ">="


def test_degree_three_is_rejected_naming_the_variables():
    m, x, p, *_ = setup()
    with pytest.raises(qb.UnsupportedTermError, match=r"degree-3 term .*x\(0,0\).*"):
        (x[0, 0] * x[0, 1]) * x[0, 0] + 0
    with pytest.raises(qb.UnsupportedTermError, match="degree <= 2"):
        x**3


def test_shape_mismatch_names_shapes():
    m, x, p, *_ = setup()
    with pytest.raises(qb.ModelError, match=r"\(3, 4\).*\(3,\)"):
        x + np.ones(3)
    with pytest.raises(qb.ModelError, match="shape mismatch"):
        x @ np.ones((3, 2))


def test_nan_and_inf_coefficients_are_rejected():
    m, x, *_ = setup()
    with pytest.raises(qb.ModelError, match="non-finite"):
        x * np.full((3, 4), np.nan)
    with pytest.raises(qb.ModelError, match="non-finite"):
        x + np.inf


def test_mixing_models_and_truthiness():
    m, x, *_ = setup()
    other = qb.Model("o").binary("y", 4)
    with pytest.raises(qb.ModelError, match="two different models"):
        x[0] + other
    with pytest.raises(TypeError, match="chained comparisons"):
        bool(x[0, 0] <= 1)
    with pytest.raises(qb.ModelError, match="strict inequality"):
        _ = x[0, 0] < 1


# ------------------------------------------------------------------ quicksum: errors and broadcasting
def _quicksum_cases():
    m, x, p, *_ = setup()
    other = qb.Model("o")
    y = other.binary("y", 4)
    return {
        "strings": (["a", "b"], "quicksum: item 0 is a str; it sums expressions and numbers"),
        "object": ([x, object()], "quicksum: item 1 is a object"),
        "two models": ([p, 2 * p, y], "two different models: item 2 is of model 'o', item 0 of model 'e'"),
        "two models scalar": ([x[0, 0], y[0]], "two different models: item 1 is of model 'o'"),
        "shapes": ([x, p[:3]], r"shapes \[\(3,\), \(3, 4\)\] do not broadcast together"),
        "constant shape": ([p, np.ones(3)], r"shapes \[\(3,\), \(4,\)\] do not broadcast"),
        "expressions in a list": ([[x[0, 0], x[0, 1]]], "item 0 is a list that is not an array of numbers"),
        "non-finite": ([p, np.inf], "quicksum: item 1 has a non-finite coefficient"),
    }


@pytest.mark.parametrize("case", list(_quicksum_cases()))
def test_quicksum_refuses_bad_items_naming_the_culprit(case):
    items, text = _quicksum_cases()[case]
    with pytest.raises(qb.ModelError, match=text):
        qb.quicksum(items)


SHAPES = [(), (1,), (3,), (4,), (2, 1), (2, 3), (1, 4)]


@given(
    parts=st.lists(st.tuples(st.booleans(), st.sampled_from(SHAPES), st.integers(-3, 3)), min_size=1, max_size=5),
    seed=st.integers(0, 1000),
)
def test_quicksum_is_the_sum_of_its_items_or_a_model_error(parts, seed):
    rng = np.random.default_rng(seed)
    m = qb.Model("q")
    items, values = [], []
    for k, (is_expr, shape, coef) in enumerate(parts):
        if is_expr:
            items.append(coef * m.integer(f"v{k}", shape, lb=-2, ub=2) + 1.0)
        else:
            items.append(rng.integers(-3, 4, shape).astype(float) if shape else float(coef))
    point = rng.integers(-2, 3, m.n_vars).astype(float)
    for item in items:
        values.append(item.value(point) if isinstance(item, qb.Expr) else np.asarray(item))
    try:
        want = sum(values[1:], values[0] + np.zeros(np.broadcast_shapes(*(v.shape for v in values))))
    except ValueError:
        with pytest.raises(qb.ModelError, match="do not broadcast together"):
            qb.quicksum(items)
        return
    got = qb.quicksum(items)
    if any(isinstance(i, qb.Expr) for i in items):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.value(point), want)
    else:  # constants only: a float, every element summed
        assert got == pytest.approx(float(want.sum()))


def test_a_matrix_times_an_empty_variable_array_is_a_zero_expression():
    """(S, 0) @ (0,) and (P, 0) @ (0, m) contract nothing: zero expressions of the right shape
    (a sparse matrix once raised ZeroDivisionError)."""
    import scipy.sparse as sp

    m = qb.Model("empty")
    x = m.binary("x", 0)
    e = sp.csr_matrix((3, 0)) @ x
    assert e.shape == (3,)
    y = m.binary("y", (2, 0))
    f = y @ np.zeros((0, 4))
    assert f.shape == (2, 4)
    z = m.binary("z")
    m.minimize((e + 1).sum() + z)
    assert qb.solve(m, backend="exact").objective == 3
