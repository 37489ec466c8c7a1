"""Penalty weights and float64: rows are rescaled to coprime integers before the weight is
set, and a QUBO whose energies float64 cannot tell apart is refused."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
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
    assert q.numeric_range.ok and q.numeric_range.margin_bits > 3  # about 5.8 bits to spare


def test_an_equality_off_its_grid_can_never_hold_and_a_slack_counts_whole_units():
    m = qb.Model("grid")
    y = m.binary("y", 3)
    m.add(0.2 * y[0] + 0.4 * y[1] == 0.3, name="odd")  # 2 y0 + 4 y1 = 3: never (gcd 2)
    m.minimize(y.sum())
    with pytest.raises(qb.ModelError, match=r"constraint odd can never hold: .*multiples of 0\.2.*0\.3"):
        qb.compile(m, "qubo")
    assert brute_force(m).objective is None
    m = qb.Model("floor")
    y = m.binary("y", 3)
    m.add(0.2 * y[0] + 0.4 * y[1] + 0.6 * y[2] <= 0.5, name="cap")  # y0 + 2 y1 + 3 y2 <= 2
    m.maximize((np.array([1.0, 2.0, 4.0]) * y).sum())
    q = qb.compile(m, "qubo")
    assert q.n == 3 + 2 and q.penalties["cap"].p_min == 1.0  # slack in 0..2: two bits
    assert qb.solve(q, backend="exact").objective == brute_force(m).objective == 2


def test_objective_values_float64_cannot_separate_are_refused_naming_the_constraint():
    m = qb.Model("huge")
    y = m.binary("y", 2)
    m.add(y[0] + y[1] == 1, name="pick")
    m.minimize((1e15 + 1) * y[0] + 1e15 * y[1])  # exact float64 integers, 1 apart
    with pytest.raises(
        qb.ModelError,
        match=r"for 'pick' .*energies up to 1\.2e\+16.*resolves only "
        r".*differ by 1\b.*target='milp'",
    ):
        qb.compile(m, "qubo")
    assert qb.solve(m, backend="ortools").objective == 1e15


def test_a_row_whose_weight_overflows_the_resolution_is_refused():
    m = qb.Model("budget")
    y = m.binary("y", 18)
    a = 1_000_003 + 2 * np.arange(18)  # coprime, nothing to divide out
    m.add((a * y).sum() <= 5_000_000, name="budget")
    m.maximize(((10_000_000 + np.arange(18)) * y).sum())
    with pytest.raises(
        qb.ModelError,
        match=r"penalty weight 1\.8e\+08 for 'budget'.*float64 then "
        r"resolves only .*but objective values differ by 1",
    ):
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
    big = q.with_penalties(c=1e12)  # large but resolvable: kept, guaranteed
    assert big.penalty_report()[0]["guaranteed"]
    assert qb.solve(big, backend="exact").objective == 10_000_000
    weak = q.with_penalties(c=1.0)  # too small: accepted, no guarantee
    assert not weak.penalty_report()[0]["guaranteed"]


def test_explain_penalties_shows_the_numeric_range():
    q = qb.compile(two_variables(), "qubo")
    text = q.explain_penalties()
    r = q.numeric_range
    assert r.error.exact and "float64 arithmetic: exact (coefficients on the grid 2^-0" in text
    assert "dynamic range 4" in text  # |h| in 1e7..2e7 (+), J = 4e7
    assert (
        f"energy magnitude bound M = |offset| + sum|h| + sum|J| (objective + weighted penalties) = {r.magnitude:.3g}"
        in text
    )
    assert "objective resolution delta = 1 (proven: gcd / 10^k)" in text
    assert f"float64 margin: log2(delta / (2 gamma_T M)) = {r.margin_bits:.1f} bits" in text
    assert r.magnitude == pytest.approx(2e7 + 1 + q.weights["c"] * 5)
    assert 20 < r.margin_bits < 25


def test_integral_qubos_are_evaluated_exactly_where_the_worst_case_bound_would_refuse():
    from .bench.models import tsp_data, tsp_qbdsl

    q = qb.compile(tsp_qbdsl(tsp_data(60)), "qubo")
    r = q.numeric_range
    assert r.error.exact and r.margin_bits < 0  # gamma_T M alone could not vouch for it
    assert r.error.summands == q.n + r.error.degree + 1 + 3 < r.error.flat_summands  # 3 blocks
    assert q.weights["city"] == q.objective_range + 1  # R + 1, integral: the QUBO stays integral
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
    r = q.numeric_range  # no decimal scale: a thousandth of R is asked
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
    return draw(st.integers(1, 97)) / 10.0**k


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
        x = prob.layout.arrays[0]  # the binaries of small_models
        cost = sp.csr_matrix(
            (np.full(x.size, float(big)), (np.zeros(x.size, int), np.arange(x.start, x.stop))), shape=objective.L.shape
        )
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


# ---------------------------------------------------------------- data beyond float64's exact integers
def beyond_2_53(signs):
    """10 binaries, exactly 4 chosen, a small knapsack row, costs signs * (1e16 + 7 k):
    integers at or above 2^53, where float64 holds only even numbers."""
    m = qb.Model("beyond")
    x = m.binary("x", 10)
    w = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    m.add(x.sum() == 4, name="four")
    m.add((w * x).sum() <= 20, name="knap")
    c = signs * (1e16 + 7.0 * np.arange(10))
    m.minimize((c * x).sum())
    return m, c, w


def exact_optimum(c, w):
    """The optimum of beyond_2_53 on the float64 data as stored, in integer arithmetic."""
    Y = (np.arange(1024)[:, None] >> np.arange(10)) & 1
    ok = (Y.sum(axis=1) == 4) & (Y @ w <= 20)
    return min(sum(int(ci) for ci, yi in zip(c, y) if yi) for y in Y[ok])


@pytest.mark.parametrize("signs", [-np.ones(10), np.array([1.0, -1.0] * 5)], ids=["negative", "mixed"])
def test_integral_costs_beyond_2_53_get_their_exact_gcd_and_are_refused(signs):
    from qbdsl.ir.terms import QuboTerms, Resolution

    m, c, w = beyond_2_53(signs)
    # was accepted with delta = R / 2^10 ~ 1e14 (not proven), and exact then reported as
    # optimal a point tens above the optimum of the data as stored
    obj = QuboTerms(10, c.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    assert obj.resolution_info == Resolution(2.0, True, "float64")  # float64 holds only even integers there
    with pytest.raises(
        qb.UnsupportedTermError,
        match=r"objective values differ by 2 \(the exact gcd of the coefficients as float64 "
        r"stores them.*reach 1e\+16, beyond float64's exact integers \(2\^53 = 9\.01e\+15",
    ):
        qb.compile(m, "qubo")
    want = exact_optimum(c, w)
    r = qb.solve(m)  # moves on to a MILP backend
    assert r.backend != "exact" and r.feasible
    got = sum(int(ci) for ci, yi in zip(c, r.values["x"]) if yi)
    assert got == want


def test_integral_costs_beyond_2_53_with_a_coarse_gcd_are_proven_and_solved():
    # multiples of 2^54 (~1.8e16): float64 holds them exactly and their gcd is 2^54, so the
    # range check passes and the QUBO's ground state is the optimum
    w = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    c = -(2.0**54) * w[::-1].astype(float)
    m = qb.Model("coarse")
    x = m.binary("x", 10)
    m.add(x.sum() == 4, name="four")
    m.add((w * x).sum() <= 20, name="knap")
    m.minimize((c * x).sum())
    q = qb.compile(m, "qubo")
    r = q.numeric_range
    assert (r.resolution, r.resolution_proven, r.resolution_kind) == (2.0**54, True, "float64")
    assert r.ok and r.margin_bits > 20
    assert "exact gcd of the float64 coefficients" in q.explain_penalties()
    want = exact_optimum(c, w)
    res = qb.solve(q, backend="exact")
    assert res.feasible and sum(int(ci) for ci, yi in zip(c, res.values["x"]) if yi) == want


def test_dyadic_gcd_is_exact_at_every_magnitude():
    from fractions import Fraction
    from math import gcd, lcm

    from qbdsl.ir.terms import dyadic_gcd

    assert dyadic_gcd(1e16 + 7 * np.arange(10)) == 2 and dyadic_gcd([1e16, 0.5]) == 0.5
    assert dyadic_gcd([3.0, -6.0, 0.0]) == 3 and dyadic_gcd([]) == 0
    assert Fraction(dyadic_gcd([0.1])) == Fraction(0.1) == Fraction(3602879701896397, 2**55)
    rng = np.random.default_rng(1)
    for _ in range(300):
        v = rng.integers(1, 2**62, 4).astype(float) * rng.choice([1.0, 2.0**-30, 2.0**40, 0.1], 4)
        f = [Fraction(float(a)) for a in v]
        den = lcm(*[a.denominator for a in f])
        g = 0
        for a in f:
            g = gcd(g, int(a * den))
        assert Fraction(dyadic_gcd(v)) == Fraction(g, den)


def test_resolution_kinds_and_the_data_error_of_decimals():
    from qbdsl.ir.terms import QuboTerms

    def res(c):
        c = np.asarray(c, float)
        return QuboTerms(len(c), c, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)).resolution_info

    r = res([3.0, 6.0, 9.0])
    assert (r.delta, r.kind, r.data_error) == (3.0, "decimal", 0.0)  # integers are stored exactly
    r = res([0.1, 0.25])
    assert (r.delta, r.kind, r.scale) == (0.05, "decimal", 100.0)
    assert 0 < r.data_error < 1e-16  # 0.1 is not a float64
    r = res([1e16, 0.5])  # 0.5 needs 10^1, and 10^17 > 2^53: the float64 gcd
    assert (r.delta, r.proven, r.kind) == (0.5, True, "float64")
    r = res([1e16, 0.1])
    assert (r.delta, r.kind) == (2.0**-55, "float64")  # 0.1 as float64 stores it
    r = res([1e15 + 0.5, 1e15])  # stored exactly, 4 ulps off an integer: no decimal reading
    assert r.kind == "unproven"  # (was: both read as 1e15)
    r = res([1.2345678, 2.0])  # measured: no decimal reading at 10^6
    assert not r.proven and r.kind == "unproven" and r.delta == pytest.approx(3.2345678 / 1024)
    r = res([1e16, np.pi])  # integers next to measured data count as measured
    assert r.kind == "unproven"


def test_the_range_check_subtracts_the_data_error():
    from qbdsl.ir.qubo import NumericRange
    from qbdsl.ir.terms import EnergyError

    err = EnergyError(1e20, 10, np.inf, 0.25)
    assert NumericRange(err, 1.0, True, 1.0, None).ok  # 2 * 0.25 < 1
    r = NumericRange(err, 1.0, True, 1.0, None, data_error=0.3)  # 2 * (0.25 + 0.3) >= 1
    assert not r.ok and r.separation == pytest.approx(0.4) and r.margin_bits == pytest.approx(np.log2(0.8))
    assert NumericRange(err, 1.0, True, 1.0, None, data_error=0.6).margin_bits == -np.inf


# ---------------------------------------------------------------- the two-level error bound
def banded(n=1200, band=4, base=3000.0):
    """Groups of 4 binaries (pick one), couplers to the next ``band`` variables with costs
    ``base + one decimal`` (delta = 0.1): many couplers, few at each variable."""
    m = qb.Model("band")
    x = m.binary("x", n)
    m.add(x.reshape(n // 4, 4).sum(axis=1) == 1, name="pick")
    rng = np.random.default_rng(3)
    obj = (np.round(rng.uniform(0, 10, n), 1) * x).sum()
    for s in range(1, band + 1):
        obj = obj + ((base + np.round(rng.uniform(0, 10, n - s), 1)) * x[:-s] * x[s:]).sum()
    m.minimize(obj)
    return m


def test_few_couplers_per_variable_compile_where_a_flat_sum_bound_refuses():
    from qbdsl.ir.terms import gamma

    q = qb.compile(banded(), "qubo")
    r = q.numeric_range
    e = r.error
    # d = 2 * 4 couplers in the band + 3 from the group: T = n + d + 1 + K
    assert e.degree == 11 and e.summands == 1200 + 11 + 1 + 2
    nnz = len(q.objective_terms.v) + len(q.penalties["pick"].terms.v)  # counted per block
    assert e.flat_summands == 1200 + nnz + 1 + 2 > 5 * e.summands
    assert r.resolution == 0.1 and r.resolution_proven and not e.exact
    assert r.ok and r.margin_bits > 1.5
    assert 2 * gamma(e.flat_summands) * e.magnitude >= r.separation  # the flat bound: refused
    assert "T = n + d + 1 + K = 1214, d = 11" in q.explain_penalties()


def test_germany50_three_paths_compiles():
    from qbdsl.problems import data, routing

    q = qb.compile(routing.kpath_routing(data.network("sndlib:germany50"), k=3), "qubo")
    r = q.numeric_range
    e = r.error
    # was refused: gamma_T M with T = 363 689 (every term in one flat sum) = 0.0017 > delta / 2
    # (the candidate paths follow qbdsl.problems.paths' tie rule: germany50's links all cost
    # 0, so the 3 paths are the fewest-hop ones; networkx's search order gave longer ones and
    # T = 390 407, 0.0041)
    assert e.flat_summands == 363_689 and e.summands < 3_000
    T, u = e.flat_summands, 2.0**-53
    assert T * u / (1 - T * u) * e.magnitude > r.resolution / 2  # the flat bound still refuses
    assert r.resolution == 0.000625 and r.resolution_proven and r.ok
    assert r.margin_bits > 4


def test_a_row_sum_really_loses_one_unit_per_coupler_and_the_bound_covers_it():
    """Variable 0 coupled to d others, first with 2^53 then with 1s: the CSR row sum adds
    each 1 to 2^53 and rounds it away (ties to even), so the computed energy is d - 1 below
    the true one: the error grows with the row length, as T = n + d + 1 + K says, and a
    bound assuming fewer roundings (T = 2: 2u M ~ 2) would fail."""
    from qbdsl.ir.terms import QuboTerms, energy_error_bound

    d = 200
    v = np.ones(d)
    v[0] = 2.0**53
    t = QuboTerms(d + 1, np.zeros(d + 1), np.zeros(d, np.int64), np.arange(1, d + 1), v)
    y = np.ones(d + 1)
    exact = 2**53 + d - 1
    err = abs(int(t.energy(y)) - exact)
    assert err == d - 1
    b = energy_error_bound([(1.0, t)])
    assert b.summands == (d + 1) + d + 1 + 1 and err <= b.worst_case < 3 * err


@st.composite
def random_qubos(draw, sizes=(2, 40)):
    """Sparse QUBOs with coefficients of random sign and magnitude (2^0 .. 2^60): energies
    that float64 rounds, with a random row degree; and 16 random samples."""
    from qbdsl.ir.terms import QuboTerms

    n = draw(st.integers(*sizes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < draw(st.sampled_from([0.05, 0.3, 1.0]))
    top = draw(st.integers(0, 60))

    def coef(k):
        return rng.choice([-1.0, 1.0], k) * np.ldexp(rng.random(k), rng.integers(0, top + 1, k))

    t = QuboTerms.from_coo(n, coef(n), i[keep], j[keep], coef(int(keep.sum())), float(coef(1)[0]))
    return t, rng.integers(0, 2, (16, n))


def exact_energy(t, y):
    """``E(y)`` in rational arithmetic (every float64 is a rational)."""
    from fractions import Fraction

    e = Fraction(t.offset) + sum(Fraction(float(h)) for h, b in zip(t.h, y) if b)
    return e + sum(Fraction(float(c)) for a, b, c in zip(t.i, t.j, t.v) if y[a] and y[b])


@given(case=random_qubos())
def test_energy_errors_stay_within_the_two_level_bound(case):
    from fractions import Fraction

    from qbdsl.ir.terms import energy_error_bound

    t, Y = case
    bound = Fraction(energy_error_bound([(1.0, t)]).worst_case)
    for y, e in zip(Y, t.energy(Y)):
        assert abs(Fraction(float(e)) - exact_energy(t, y)) <= bound


@settings(max_examples=25, deadline=None)
@given(case=random_qubos(sizes=(15, 17)))
def test_the_exact_backends_chunked_energies_stay_within_the_bound_too(case):
    """15..17 binaries: 14 low bits and a chunk of high bits, so the cross term
    ``low @ (C @ H.T)`` is exercised (the offset is added after the minimum is found)."""
    from fractions import Fraction

    from qbdsl.backends.exact import dense_coefficients, energy_table
    from qbdsl.ir.terms import energy_error_bound

    t, Y = case
    bound = Fraction(energy_error_bound([(1.0, t)]).worst_case)
    h, J = dense_coefficients(t)
    table = energy_table(h, J)  # no offset
    for y in Y:
        e = table[int(y @ (1 << np.arange(t.n)))]
        assert abs(Fraction(float(e)) + Fraction(t.offset) - exact_energy(t, y)) <= bound
