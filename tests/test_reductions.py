"""Passes as reductions: ``apply`` -> (problem, map); ``invert(forward(x)) == x`` on feasible
points, the objective kept, penalties zero at the forward image; passes keep no state; the
IR imports nothing from the compiler."""

import ast
import copy
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.compiler import qubo_chain
from qbdsl.errors import ModelError
from qbdsl.ir.bits import bounded_bits, bounded_layout
from qbdsl.ir.maps import AffineMap, ComposedMap, EncodingMap, IdentityMap, LinearizationMap, SlackMap
from qbdsl.ir.milp import MilpIR
from qbdsl.passes.base import Chain, QuboState
from qbdsl.passes.encode import EncodeIntegers
from qbdsl.passes.linearize import LinearizeProducts
from qbdsl.passes.penalize import EqualitiesToPenalties, InequalitiesToPenalties, ToMinimize
from qbdsl.testing import domain_points

from .strategies import small_models

ENCODINGS = ["binary", "unary", "one-hot", "domain-wall"]
ROOT = Path(__file__).resolve().parent.parent


def _feasible(prob, X):
    ok = np.ones(len(X), bool)
    for b in prob.constraints:
        ok &= ~np.any(b.violation(X) > 0, axis=1)
    return X[ok]


def _apply_or_skip(p, state):
    """Apply a penalty pass; a row that can never hold is the one error a random model may raise."""
    try:
        return p.apply(state)
    except ModelError as exc:
        assert "can never hold" in str(exc)
        assume(False)


def _assert_round_trip(p, data, X, Y):
    assert Y.shape == (len(X), data.n_after)
    np.testing.assert_array_equal(p.invert(Y, data), X)
    np.testing.assert_array_equal(p.invert(Y[0], data), X[0])  # one point as well as a batch


def _same_values(old, new, X, Y):
    """Objective and the constraints ``new`` still has agree at x and forward(x)."""
    np.testing.assert_allclose(new.objective_value(Y), old.objective_value(X), atol=1e-9)
    old_blocks = {b.name: b for b in old.constraints}
    for b in new.constraints:
        if b.name in old_blocks:
            np.testing.assert_allclose(b.poly.evaluate(Y), old_blocks[b.name].poly.evaluate(X), atol=1e-9)


# ---------------------------------------------------------------- one property per pass
@given(m=small_models())
def test_to_minimize_keeps_points_and_negates_a_maximum(m):
    prob = m.to_problem()
    X = domain_points(prob)
    state, data = ToMinimize().apply(QuboState(prob))
    assert isinstance(data, IdentityMap) and state.problem.sense == "min"
    Y = data.forward(X)
    _assert_round_trip(ToMinimize, data, X, Y)
    sign = 1.0 if prob.sense == "min" else -1.0
    np.testing.assert_allclose(state.problem.objective_value(Y), sign * prob.objective_value(X), atol=1e-9)


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(m=small_models())
def test_encode_integers_round_trips_every_point_in_bounds(m, encoding):
    prob = m.to_problem()
    X = domain_points(prob)  # every point in bounds has an encoding
    before = QuboState(prob)
    state, data = EncodeIntegers(encoding).apply(before)
    assert isinstance(data, EncodingMap)
    Y = data.forward(X)
    assert set(np.unique(Y)) <= {0.0, 1.0}
    _assert_round_trip(EncodeIntegers, data, X, Y)
    _same_values(prob, state.problem, X, Y)
    for p in state.penalties:  # one-hot / domain-wall validity: 0 on encodings
        assert p.kind == "encoding"
        np.testing.assert_array_equal(p.terms.energy(Y), 0.0)


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(m=small_models())
def test_slack_inequalities_round_trip_feasible_points_with_zero_penalty(m, encoding):
    prob = m.to_problem()
    X = _feasible(prob, domain_points(prob))
    assume(len(X))
    enc_state, enc = EncodeIntegers(encoding).apply(QuboState(prob))
    Xb = enc.forward(X)
    p = InequalitiesToPenalties("slack")
    state, data = _apply_or_skip(p, enc_state)
    assert isinstance(data, SlackMap) and data.n_before == enc_state.problem.n
    Y = data.forward(Xb)
    assert set(np.unique(Y)) <= {0.0, 1.0}
    _assert_round_trip(p, data, Xb, Y)
    _same_values(enc_state.problem, state.problem, Xb, Y)
    assert all(b.sense == "==" for b in state.problem.constraints)
    for pen in state.penalties:  # each feasible point has its exact slack
        np.testing.assert_allclose(pen.terms.energy(Y), 0.0, atol=1e-9)


@given(m=small_models())
def test_unbalanced_inequalities_keep_the_variables(m):
    prob = m.to_problem()
    enc_state, enc = EncodeIntegers().apply(QuboState(prob))
    Xb = enc.forward(domain_points(prob))
    p = InequalitiesToPenalties("unbalanced")
    state, data = _apply_or_skip(p, enc_state)
    assert isinstance(data, IdentityMap) and state.problem.n == enc_state.problem.n
    Y = data.forward(Xb)
    _assert_round_trip(p, data, Xb, Y)
    _same_values(enc_state.problem, state.problem, Xb, Y)


@given(m=small_models())
def test_equalities_to_penalties_vanish_on_feasible_points(m):
    prob = m.to_problem()
    X = _feasible(prob, domain_points(prob))
    assume(len(X))
    s1, enc = EncodeIntegers().apply(QuboState(prob))
    s2, slack = _apply_or_skip(InequalitiesToPenalties(), s1)
    Xs = slack.forward(enc.forward(X))
    p = EqualitiesToPenalties()
    state, data = _apply_or_skip(p, s2)
    assert isinstance(data, IdentityMap) and state.problem.constraints == []
    Y = data.forward(Xs)
    _assert_round_trip(p, data, Xs, Y)
    np.testing.assert_allclose(state.problem.objective_value(Y), s2.problem.objective_value(Xs), atol=1e-9)
    for pen in state.penalties:
        np.testing.assert_allclose(pen.terms.energy(Y), 0.0, atol=1e-9)


def _check_linearization(prob, X):
    p = LinearizeProducts()
    new, data = p.apply(prob)
    assert isinstance(data, LinearizationMap) and data.n_after == new.n
    Y = data.forward(X)
    _assert_round_trip(p, data, X, Y)
    np.testing.assert_allclose(new.objective_value(Y), prob.objective_value(X), atol=1e-9)
    assert all(b.poly.is_linear for b in new.constraints) and new.objective.is_linear
    old = {b.name: b for b in prob.constraints}
    for b in new.constraints:
        if b.name in old:  # the user's rows take the same values
            np.testing.assert_allclose(b.poly.evaluate(Y), old[b.name].poly.evaluate(X), atol=1e-9)
        else:  # the linking rows hold at every point
            assert not np.any(b.violation(Y) > 0), b.name
    # the filled columns respect the new bounds and integrality
    lo, hi = new.layout.lb, new.layout.ub
    assert np.all((Y >= lo - 1e-9) & (Y <= hi + 1e-9))
    integral = new.layout.kinds() < 2
    np.testing.assert_array_equal(Y[:, integral], np.rint(Y[:, integral]))


@given(m=small_models())
def test_linearize_products_fills_every_column_exactly(m):
    prob = m.to_problem()
    _check_linearization(prob, domain_points(prob))


@st.composite
def continuous_products(draw):
    """Binary x continuous and integer x continuous products (McCormick and expansion)."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    m = qb.Model("mixed")
    x = m.binary("x", 2)
    lo = float(rng.integers(-3, 2))
    f = m.continuous("f", 2, lb=lo, ub=lo + float(rng.integers(1, 5)))
    plb = int(rng.integers(-2, 2))
    p = m.integer("p", lb=plb, ub=plb + int(rng.integers(1, 6)))
    m.add(f.sum() + x[0] * f[1] <= 6, name="cap")
    m.minimize(float(rng.integers(1, 4)) * x[0] * f[0] - x[1] * f[1] + p * f[0] + 2 * p * x[1] + p * p)
    X = np.column_stack(
        [rng.integers(0, 2, (40, 2)), rng.uniform(lo, lo + 1, (40, 2)), rng.integers(plb, plb + 2, 40)]
    ).astype(float)
    return m.to_problem(), X


@given(case=continuous_products())
def test_linearize_products_with_continuous_factors(case):
    prob, X = case
    _check_linearization(prob, X)


# ---------------------------------------------------------------- the chain
@pytest.mark.parametrize("encoding", ENCODINGS)
@given(m=small_models())
def test_qubo_chain_round_trips_and_decode_applies_its_inverse(m, encoding):
    prob = m.to_problem()
    X = _feasible(prob, domain_points(prob))
    assume(len(X))
    chain = qubo_chain(encoding=encoding)
    state, data = _apply_or_skip(chain, QuboState(prob))
    assert isinstance(data, ComposedMap) and len(data.steps) == 4
    Y = data.forward(X)
    np.testing.assert_array_equal(Chain.invert(Y, data), X)
    # one composed affine map gives the same inverse as the steps one by one
    back = Y
    for step in reversed(data.steps):
        back = step.inverse(back)
    np.testing.assert_array_equal(back, X)
    q = qb.compile(m, "qubo", encoding=encoding)
    np.testing.assert_array_equal(q.decode_map.M.toarray(), data.affine.M.toarray())
    np.testing.assert_array_equal(q.decode(Y[0]).x, Chain.invert(Y[0], data))
    # penalties vanish at the image of a feasible point: the energy is the min-form objective
    sign = 1.0 if prob.sense == "min" else -1.0
    np.testing.assert_allclose(q.energy(Y), sign * prob.objective_value(X), atol=1e-6)


def test_milp_lin_map_is_the_linearizations_inverse_data():
    m = qb.Model("lm")
    x = m.binary("x", 2)
    p = m.integer("p", lb=-1, ub=5)
    m.add(x.sum() + p <= 5, name="c")
    m.maximize(3 * x[0] * p + p * p - x[0] * x[1])
    lp = qb.compile(m, "milp")
    assert isinstance(lp.lin_map, LinearizationMap)
    X = domain_points(m.to_problem())
    full = lp.lin_map.forward(X)
    assert full.shape == (len(X), lp.num_variables)
    np.testing.assert_allclose(full @ lp.c + lp.offset, m.to_problem().objective_value(X), atol=1e-9)
    np.testing.assert_array_equal(lp.lin_map.inverse(full), X)
    for x_full, x_user in zip(full[:5], X[:5]):
        np.testing.assert_array_equal(lp.decode(x_full).x, x_user)


def test_milp_without_a_linearization_maps_its_columns_to_themselves():
    prob = qb.Model("lin")
    y = prob.binary("y", 3)
    prob.minimize(y.sum())
    lp = qb.compile(prob, "milp")
    bare = MilpIR(
        c=lp.c,
        offset=0.0,
        sense="min",
        A=lp.A,
        row_lb=lp.row_lb,
        row_ub=lp.row_ub,
        lb=lp.lb,
        ub=lp.ub,
        integrality=lp.integrality,
        var_names=["a", "b", "c"],
        row_names=[],
        n_user=3,
        source=lp.source,
    )
    np.testing.assert_array_equal(bare.lin_map.forward(np.eye(3)), np.eye(3))


# ---------------------------------------------------------------- no state on self
def _two_problems():
    a = qb.Model("a")
    x = a.binary("x", 2)
    p = a.integer("p", lb=0, ub=6)
    a.add(x.sum() + p <= 4, name="le")
    a.add(x[0] - x[1] == 0, name="eq")
    a.maximize(x[0] * p + p)
    b = qb.Model("b")
    z = b.integer("z", 3, lb=-1, ub=2)
    b.add(z.sum() >= 1, name="ge")
    b.minimize(z[0] * z[1] - z[2])
    return a.to_problem(), b.to_problem()


@pytest.mark.parametrize(
    "make",
    [
        ToMinimize,
        EncodeIntegers,
        lambda: EncodeIntegers("one-hot"),
        InequalitiesToPenalties,
        lambda: InequalitiesToPenalties("unbalanced"),
        EqualitiesToPenalties,
        qubo_chain,
    ],
)
def test_qubo_passes_keep_no_state_between_applications(make):
    pa, pb = _two_problems()
    pass_ = make()
    before = copy.deepcopy(vars(pass_)) if not isinstance(pass_, Chain) else None
    first = pass_.apply(QuboState(pa))
    pass_.apply(QuboState(pb))
    again = make().apply(QuboState(pa))
    if before is not None:
        assert vars(pass_).keys() == before.keys()
    (s1, d1), (s2, d2) = first, again  # applying to pb in between changed nothing
    assert s1.problem.n == s2.problem.n and d1.n_after == d2.n_after
    assert [p.name for p in s1.penalties] == [p.name for p in s2.penalties]
    np.testing.assert_array_equal(d1.affine.M.toarray(), d2.affine.M.toarray())


def test_linearize_keeps_no_state_and_leaves_its_input_alone():
    pa, pb = _two_problems()
    lin = LinearizeProducts()
    _, da = lin.apply(pa)
    _, db = lin.apply(pb)
    assert vars(lin) == {}
    assert da.n_user == pa.n and db.n_user == pb.n
    assert len(db.expand) == 1 and len(da.expand) == 0  # z*z' needs an expansion, x*p does not
    np.testing.assert_array_equal(lin.apply(pa)[1].pair_i, da.pair_i)


def test_inequalities_do_not_mutate_the_input_state():
    pa, _ = _two_problems()
    s1, _ = EncodeIntegers().apply(QuboState(pa))
    names = list(s1.sources.block_names)
    kinds = s1.sources.kind.copy()
    s2, _ = InequalitiesToPenalties().apply(s1)
    assert s1.sources.block_names == names and np.array_equal(s1.sources.kind, kinds)
    assert s2.sources.block_names == names + ["le"]


# ---------------------------------------------------------------- maps: errors and bits
def test_maps_name_bad_points():
    pa, _ = _two_problems()
    s1, enc = EncodeIntegers().apply(QuboState(pa))
    with pytest.raises(ModelError, match=r"points of 3 variables"):
        enc.forward(np.zeros(4))
    with pytest.raises(ModelError, match=r"variable 2 .*not an integer in \[0, 6\]"):
        enc.forward(np.array([0.0, 1.0, 7.0]))
    _, slack = InequalitiesToPenalties().apply(s1)
    with pytest.raises(ModelError, match="inequality row 0"):
        slack.forward(enc.forward(np.array([1.0, 1.0, 6.0])))  # 1 + 1 + 6 > 4
    with pytest.raises(ValueError, match="step 0 ends with 3 variables, step 1 starts with 2"):
        ComposedMap((IdentityMap(3), IdentityMap(2)))
    with pytest.raises(ModelError, match="at least one pass"):
        Chain([])


@given(spans=st.lists(st.integers(0, 10**6), min_size=1, max_size=8), data=st.data())
def test_bounded_bits_encode_every_value_in_range(spans, data):
    spans = np.array(spans, np.int64)
    values = np.array([data.draw(st.integers(0, int(s))) for s in spans])
    counts, pos, w = bounded_layout(spans)
    bits = bounded_bits(values, spans)
    group = np.repeat(np.arange(len(spans)), counts)
    np.testing.assert_array_equal(np.bincount(group, weights=bits * w, minlength=len(spans)), values)
    # the weights reach exactly the span: no pattern encodes a value above it
    np.testing.assert_array_equal(np.bincount(group, weights=w, minlength=len(spans)), spans)
    with pytest.raises(ValueError, match="outside"):
        bounded_bits(spans + 1, spans)


def test_affine_map_composes_like_applying_in_turn():
    rng = np.random.default_rng(3)
    a = AffineMap(sp.csr_matrix(rng.integers(-2, 3, (3, 4)).astype(float)), rng.normal(size=3))
    b = AffineMap(sp.csr_matrix(rng.integers(-2, 3, (4, 5)).astype(float)), rng.normal(size=4))
    z = rng.normal(size=(6, 5))
    np.testing.assert_allclose(a.then(b)(z), a(b(z)))


# ---------------------------------------------------------------- the IR knows no compiler
def _imported_modules(path: Path, package: str):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod
            for alias in node.names:  # from .. import passes
                yield f"{mod}.{alias.name}"


def test_ir_imports_nothing_from_the_compiler():
    ir = ROOT / "qbdsl" / "ir"
    files = sorted(ir.glob("*.py"))
    assert files
    offenders = [
        (f.name, mod)
        for f in files
        for mod in _imported_modules(f, "qbdsl.ir")
        if mod.startswith(("qbdsl.passes", "qbdsl.compiler"))
    ]
    assert offenders == []
    # the check itself sees relative imports
    probe = ir / "qubo.py"
    assert "qbdsl.ir.maps" in set(_imported_modules(probe, "qbdsl.ir"))
