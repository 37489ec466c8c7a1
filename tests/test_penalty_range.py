"""Penalty weights and float64: rows are rescaled to coprime integers before the weight is
set, and a QUBO whose energies float64 cannot tell apart is refused."""
import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.ir.problem import Block, Problem
from qbdsl.testing import assert_solves_to_optimum, brute_force

from .strategies import small_models
from .test_properties import ENCODINGS

A = 0.123457


def two_variables():
    m = qb.Model("two")
    y = m.binary("y", 2)
    m.add(A * y[0] + A * y[1] == A, name="c")
    m.minimize(10_000_001 * y[0] + 10_000_000 * y[1])
    return m


def eighteen(sense: str):
    """18 binaries, costs 1e7 + a permutation of 0..17, one decimal row sum k_i A y_i (sense) 12 A."""
    rng = np.random.default_rng(7)
    cost = 10_000_000 + rng.permutation(18)
    k = rng.integers(1, 4, 18)
    m = qb.Model(f"eighteen{sense}")
    y = m.binary("y", 18)
    lhs = (k * A * y).sum()
    m.add({"==": lhs == 12 * A, ">=": lhs >= 12 * A}[sense], name="row")
    m.minimize((cost * y).sum())
    return m, cost, k * A, 12 * A


def enumerate_optimum(cost, a, b, sense):
    """The model's optimum by numpy enumeration of its 2^18 points (no QUBO involved)."""
    Y = (np.arange(2 ** len(cost))[:, None] >> np.arange(len(cost))) & 1
    lhs = Y @ a
    ok = np.abs(lhs - b) <= 1e-9 if sense == "==" else lhs >= b - 1e-9
    return int((Y[ok] @ cost).min())


def test_two_variable_decimal_row_gets_a_small_weight_and_the_true_optimum():
    q = qb.compile(two_variables(), "qubo")
    # penalized as (y0 + y1 - 1)^2: p_min = 1, weight R + 1 = 20 000 002 (was 2e19, p_min 1e-12)
    t = q.penalties["c"].terms
    assert t.h.tolist() == [-1, -1] and t.v.tolist() == [2] and t.offset == 1
    assert q.penalties["c"].p_min == 1.0 and q.weights["c"] == 20_000_002
    r = qb.solve(q, backend="exact")
    assert r.feasible and r.objective == 10_000_000
    assert all(row["guaranteed"] for row in q.penalty_report())


@pytest.mark.parametrize("sense", ["==", ">="])
def test_eighteen_variables_reach_the_enumerated_optimum(sense):
    m, cost, a, b = eighteen(sense)
    want = enumerate_optimum(cost, a, b, sense)
    q = qb.compile(m, "qubo")
    assert q.n <= 23 and q.weights["row"] < 1e9
    r = qb.solve(q, backend="exact")
    assert r.feasible and r.objective == want
    assert q.numeric_range.ok and q.numeric_range.margin_bits > 3   # about 5.8 bits to spare


def test_an_equality_off_its_grid_can_never_hold_and_a_slack_counts_whole_units():
    m = qb.Model("grid")
    y = m.binary("y", 3)
    m.add(0.2 * y[0] + 0.4 * y[1] == 0.3, name="odd")    # 2 y0 + 4 y1 = 3: never (gcd 2)
    m.minimize(y.sum())
    with pytest.raises(qb.ModelError, match=r"constraint odd can never hold: .*multiples of 0\.2.*0\.3"):
        qb.compile(m, "qubo")
    assert brute_force(m).objective is None
    m = qb.Model("floor")
    y = m.binary("y", 3)
    m.add(0.2 * y[0] + 0.4 * y[1] + 0.6 * y[2] <= 0.5, name="cap")   # y0 + 2 y1 + 3 y2 <= 2
    m.maximize((np.array([1.0, 2.0, 4.0]) * y).sum())
    q = qb.compile(m, "qubo")
    assert q.n == 3 + 2 and q.penalties["cap"].p_min == 1.0          # slack in 0..2: two bits
    assert qb.solve(q, backend="exact").objective == brute_force(m).objective == 2


def test_objective_values_float64_cannot_separate_are_refused_naming_the_constraint():
    m = qb.Model("huge")
    y = m.binary("y", 2)
    m.add(y[0] + y[1] == 1, name="pick")
    m.minimize((1e15 + 1) * y[0] + 1e15 * y[1])      # exact float64 integers, 1 apart
    with pytest.raises(qb.ModelError, match=r"for 'pick' .*energies up to 1\.2e\+16.*resolves only "
                                            r".*differ by 1\b.*target='milp'"):
        qb.compile(m, "qubo")
    assert qb.solve(m, backend="ortools").objective == 1e15


def test_a_row_whose_weight_overflows_the_resolution_is_refused():
    m = qb.Model("budget")
    y = m.binary("y", 18)
    a = 1_000_003 + 2 * np.arange(18)                  # coprime, nothing to divide out
    m.add((a * y).sum() <= 5_000_000, name="budget")
    m.maximize(((10_000_000 + np.arange(18)) * y).sum())
    with pytest.raises(qb.ModelError, match=r"penalty weight 1\.8e\+08 for 'budget'.*float64 then "
                                            r"resolves only .*but objective values differ by 1"):
        qb.compile(m, "qubo")
    m2 = qb.Model("wide")
    y = m2.binary("y", 18)
    m2.add(((100_000_007 + 2 * np.arange(18)) * y).sum() == 900_000_063, name="wide")
    m2.minimize(y.sum())
    with pytest.raises(qb.ModelError, match=r"constraint wide is too large to penalize exactly.*2\^53"):
        qb.compile(m2, "qubo")


def test_user_weights_are_checked_too():
    q = qb.compile(two_variables(), "qubo")
    with pytest.raises(qb.ModelError, match=r"penalty weight 1e\+17 for 'c'.*resolves only"):
        q.with_penalties(c=1e17)
    with pytest.raises(qb.ModelError, match=r"penalty weight 1e\+19 for 'c'"):
        qb.compile(two_variables(), "qubo", penalty={"c": 1e19})
    big = q.with_penalties(c=1e12)                       # large but resolvable: kept, guaranteed
    assert big.penalty_report()[0]["guaranteed"]
    assert qb.solve(big, backend="exact").objective == 10_000_000
    weak = q.with_penalties(c=1.0)                       # too small: accepted, no guarantee
    assert not weak.penalty_report()[0]["guaranteed"]


def test_explain_penalties_shows_the_numeric_range():
    q = qb.compile(two_variables(), "qubo")
    text = q.explain_penalties()
    r = q.numeric_range
    assert r.error.exact and "float64 arithmetic: exact (coefficients on the grid 2^-0" in text
    assert "dynamic range 4" in text                   # |h| in 1e7..2e7 (+), J = 4e7
    assert f"energy magnitude bound M = |offset| + sum|h| + sum|J| (objective + weighted penalties) = {r.magnitude:.3g}" in text
    assert "objective resolution delta = 1 (proven: gcd / 10^k)" in text
    assert f"float64 margin: log2(delta / (2 gamma_T M)) = {r.margin_bits:.1f} bits" in text
    assert r.magnitude == pytest.approx(2e7 + 1 + q.weights["c"] * 5)
    assert 20 < r.margin_bits < 25


def test_integral_qubos_are_evaluated_exactly_where_the_worst_case_bound_would_refuse():
    from .bench.models import tsp_data, tsp_qbdsl

    q = qb.compile(tsp_qbdsl(tsp_data(40)), "qubo")
    r = q.numeric_range
    assert r.error.exact and r.margin_bits < 0          # gamma_T M alone could not vouch for it
    assert q.weights["city"] == q.objective_range + 1   # R + 1, integral: the QUBO stays integral
    assert "float64 arithmetic: exact" in q.explain_penalties()
    # exact means exact: float64 energies equal integer arithmetic on random samples
    t = q.terms
    Y = np.random.default_rng(0).integers(0, 2, (64, q.n))
    want = int(t.offset) + Y @ t.h.astype(np.int64)
    want += np.einsum("ki,ki->k", Y[:, t.i] * t.v.astype(np.int64), Y[:, t.j])
    np.testing.assert_array_equal(q.energy(Y), want)


def test_dyadic_exponents():
    from qbdsl.ir.terms import dyadic_exponent

    assert dyadic_exponent([3.0, 0.5, -0.25]) == 2 and dyadic_exponent([1e19, 0]) == 0
    assert dyadic_exponent([0.1]) == np.inf and dyadic_exponent([np.nan]) == np.inf


def test_unproven_rows_irrational_objectives_and_unbalanced_penalties_pass_the_check():
    m = qb.Model("irr")
    y = m.binary("y", 3)
    m.add(np.pi * y[0] + y[1] == np.pi, name="pi")
    m.minimize(np.e * y[0] + np.sqrt(2) * y[1] + y[2])
    q = qb.compile(m, "qubo")
    rep = q.penalty_report()[0]
    assert not rep["proven"] and not rep["guaranteed"]
    r = q.numeric_range                      # no decimal scale: a thousandth of R is asked
    assert r.resolution == pytest.approx((np.e + np.sqrt(2) + 1) / 1024) and not r.resolution_proven
    assert r.ok and not r.error.exact
    assert "(not proven: no decimal scale, R / 2^10 asked)" in q.explain_penalties()
    assert qb.solve(q, backend="exact").objective == pytest.approx(brute_force(m).objective)
    m = qb.Model("unb")
    y = m.binary("y", 4)
    m.add((np.array([0.5, 1.25, 2.0, 0.75]) * y).sum() <= 2.5, name="cap")
    m.maximize((np.array([3.0, 4.0, 5.0, 2.0]) * y).sum())
    q = qb.compile(m, "qubo", inequality="unbalanced")
    assert q.numeric_range.ok and "float64 margin" in q.explain_penalties()


# ---------------------------------------------------------------- random decimal models
def _decimal(draw, digits):
    """A positive decimal g / 10^k with k <= digits and a random gcd factor g."""
    k = draw(st.integers(0, digits))
    return draw(st.integers(1, 97)) / 10.0 ** k


@st.composite
def decimal_models(draw):
    """small_models with each constraint row and the objective scaled by random decimals,
    some inequality right-hand sides moved off their row's grid, and sometimes a large
    cost on every binary (objective coefficients ~1e7 that differ by small amounts: where
    a weight set from the unreduced scale 10^-k overflowed float64)."""
    prob = draw(small_models()).to_problem()
    blocks = []
    for b in prob.constraints:
        # up to 5 decimals: at 6 the grid (1e-6) is as fine as the tolerance with which
        # Block.violation (and so brute_force) accepts a row, and the two judges differ
        f = np.array([_decimal(draw, 5) for _ in range(b.poly.rows)])
        poly = b.poly.scaled(f)
        if b.sense != "==" and draw(st.booleans()):
            step = draw(st.sampled_from([0.25, 0.5, 0.75])) * f
            poly = dataclasses.replace(poly, const=poly.const + (-step if b.sense == "<=" else step))
        blocks.append(Block(b.name, b.sense, b.shape, poly, b.labels))
    objective = prob.objective.scaled(_decimal(draw, 3))
    big = draw(st.sampled_from([0, 10**6, 10**7]))
    if big:
        x = prob.layout.arrays[0]                       # the binaries of small_models
        cost = sp.csr_matrix((np.full(x.size, float(big)), (np.zeros(x.size, int), np.arange(x.start, x.stop))),
                             shape=objective.L.shape)
        objective = dataclasses.replace(objective, L=sp.csr_matrix(objective.L + cost))
    return Problem(prob.name, prob.layout, objective, prob.sense, blocks)


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(prob=decimal_models())
def test_decimal_models_reach_the_brute_force_optimum(prob, encoding):
    truth = brute_force(prob)
    try:
        q = qb.compile(prob, "qubo", encoding=encoding)
    except qb.ModelError as exc:
        # a ~1e7 cost next to a 1e-3 objective step can leave float64's proven range: a
        # refusal (not a wrong answer) is then right; otherwise only a row that can never hold
        assume("float64 then resolves only" not in str(exc))
        assert "can never hold" in str(exc) and truth.objective is None
        return
    assume(q.n <= 22)
    assert_solves_to_optimum(q, "exact", truth)
    assert all(row["guaranteed"] and row["p_min"] == 1.0 for row in q.penalty_report())
    assert q.numeric_range.ok
