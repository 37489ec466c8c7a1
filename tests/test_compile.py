"""QUBO and MILP compiles: penalties, re-weighting, decoding, violations, bad input."""

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.testing import brute_force


def knapsack():
    m = qb.Model("knap")
    x = m.binary("x", 4)
    w = np.array([3, 4, 2, 5])
    v = np.array([4, 5, 3, 6])
    m.add((w * x).sum() <= 7, name="weight")
    m.add(x[0] + x[1] <= 1, name="pick-one")
    m.maximize((v * x).sum())
    return m


def test_energy_is_objective_plus_weighted_penalties_and_reweighting_is_exact():
    q = qb.compile(knapsack(), "qubo")
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (50, q.n))
    parts = {k: p.terms.energy(Y) for k, p in q.penalties.items()}
    want = q.objective_terms.energy(Y) + sum(q.weights[k] * parts[k] for k in parts)
    np.testing.assert_allclose(q.energy(Y), want)
    q2 = q.with_penalties(weight=7.5)
    want2 = want + (7.5 - q.weights["weight"]) * parts["weight"]
    np.testing.assert_allclose(q2.energy(Y), want2)
    assert q.weights["weight"] != 7.5  # the original is untouched
    assert q2.penalties["weight"] is q.penalties["weight"]  # blocks shared, not recompiled
    np.testing.assert_allclose([q.energy(y) for y in Y[:5]], q.energy(Y[:5]))
    with pytest.raises(qb.ModelError, match="no penalty block named"):
        q.with_penalties(nope=1.0)
    with pytest.raises(qb.ModelError, match="finite number"):
        q.with_penalties(weight=np.nan)


def test_auto_penalty_bound_is_reported_and_tight_weights_break_it():
    m = knapsack()
    q = qb.compile(m, "qubo")
    report = q.penalty_report()
    assert {r["block"] for r in report} == {"weight", "pick-one"}
    assert all(r["guaranteed"] and r["weight"] * r["p_min"] > r["objective_range"] for r in report)
    assert qb.solve(q, backend="exact").objective == brute_force(m).objective == 9
    # a too-small weight lets an infeasible point win, and decode says which constraint broke
    weak = q.with_penalties(weight=0.1, **{"pick-one": 0.1})
    r = qb.solve(weak, backend="exact")
    assert not r.feasible and set(r.violations) <= {"weight", "pick-one"}
    assert not any(row["guaranteed"] for row in weak.penalty_report())


def test_per_constraint_penalty_override_and_bad_values():
    q = qb.compile(knapsack(), "qubo", penalty={"weight": 100.0})
    assert q.weights["weight"] == 100.0 and q.weights["pick-one"] != 100.0
    assert qb.compile(knapsack(), "qubo", penalty=3.0).weights == {"weight": 3.0, "pick-one": 3.0}
    with pytest.raises(qb.ModelError, match="unknown constraint"):
        qb.compile(knapsack(), "qubo", penalty={"cpu": 1.0})
    with pytest.raises(qb.ModelError, match="finite number"):
        qb.compile(knapsack(), "qubo", penalty=-1.0)


def test_decode_gives_names_shapes_integers_and_violations():
    m = qb.Model("d")
    x = m.binary("x", (2, 2))
    p = m.integer("p", 3, lb=-1, ub=2)
    m.add(x.sum(axis=1) == 1, name="row")
    m.minimize(x.sum() + p.sum())
    q = qb.compile(m, "qubo", encoding="one-hot")
    y = np.zeros(q.n)
    sol = q.decode(y)
    assert sol.values["x"].shape == (2, 2) and sol.values["x"].dtype.kind == "i"
    assert sol.values["p"].shape == (3,)
    assert set(sol.violations) == {"row", "p.one-hot"}  # no bit set: both rules broken
    np.testing.assert_array_equal(sol.violations["row"], [1, 1])
    assert not sol.feasible
    good = qb.solve(q, backend="exact")
    assert good.feasible and good.values["p"].tolist() == [-1, -1, -1] and good.objective == -1


def test_domain_wall_invalid_pattern_is_a_violation():
    m = qb.Model("dw")
    p = m.integer("p", lb=0, ub=3)
    m.minimize(p)
    q = qb.compile(m, "qubo", encoding="domain-wall")
    assert q.n == 3
    assert q.decode(np.array([1, 1, 0])).feasible
    bad = q.decode(np.array([0, 1, 0]))
    assert "p.domain-wall" in bad.violations


def test_per_variable_encoding_and_unknown_encoding():
    m = qb.Model("enc")
    a = m.integer("a", lb=0, ub=6)
    b = m.integer("b", lb=0, ub=6)
    m.minimize(a - b)
    q = qb.compile(m, "qubo", encoding={"a": "unary", "default": "binary"})
    assert q.n == 6 + 3
    with pytest.raises(qb.ModelError, match="unknown encoding 'gray'"):
        qb.compile(m, "qubo", encoding="gray")
    with pytest.raises(qb.ModelError, match="unknown variable"):
        qb.compile(m, "qubo", encoding={"zz": "unary"})


def test_qubo_rejects_what_it_cannot_take():
    m = qb.Model("bad")
    x = m.binary("x", 2)
    f = m.continuous("f", ub=3)
    m.minimize(x.sum() + f)
    with pytest.raises(qb.UnsupportedTermError, match="continuous variable 'f'.*target='milp'"):
        qb.compile(m, "qubo")
    m2 = qb.Model("unb")
    k = m2.integer("k", 2, lb=0)
    m2.minimize(k.sum())
    with pytest.raises(qb.ModelError, match=r"integer variable k\(0\) is unbounded"):
        qb.compile(m2, "qubo")
    assert qb.compile(m2, "milp").ub[0] == np.inf  # a MILP takes it
    m3 = qb.Model("quadcons")
    y = m3.binary("y", 2)
    m3.add(y[0] * y[1] == 1, name="both")
    m3.minimize(y.sum())
    with pytest.raises(qb.UnsupportedTermError, match="constraint 'both' is quadratic"):
        qb.compile(m3, "qubo")
    with pytest.raises(qb.ModelError, match="unknown target"):
        qb.compile(m3, "ising")


def test_impossible_and_redundant_rows():
    m = qb.Model("rows")
    x = m.binary("x", 3)
    m.add(x.sum() <= 5, name="always")  # never violated: no slack bits
    m.minimize(x.sum())
    assert qb.compile(m, "qubo").n == 3
    m.add(x.sum() >= 4, name="never")
    with pytest.raises(qb.ModelError, match="constraint never can never hold"):
        qb.compile(m, "qubo")


def test_fractional_rows_use_their_resolution_and_irrational_rows_are_refused():
    m = qb.Model("frac")
    x = m.binary("x", 3)
    m.add((np.array([0.5, 0.25, 1.0]) * x).sum() <= 1.0, name="cap")
    m.maximize(x.sum())
    q = qb.compile(m, "qubo")
    # sigma = 100, gcd 25: penalized as 2 x0 + x1 + 4 x2 + s <= 4, s in 0..4 (3 slack bits)
    assert q.penalties["cap"].p_min == 1.0 and q.n == 3 + 3
    assert qb.solve(q, backend="exact").objective == brute_force(m).objective == 2
    m2 = qb.Model("irr")
    y = m2.binary("y", 2)
    m2.add((np.array([np.pi, 1.0]) * y).sum() <= 3.5, name="pi")
    m2.minimize(-y.sum())
    with pytest.raises(qb.ModelError, match="not multiples of 1e-6.*unbalanced"):
        qb.compile(m2, "qubo")
    assert qb.compile(m2, "qubo", inequality="unbalanced").penalty_report()[0]["proven"] is False


def test_unbalanced_penalization_adds_no_variables():
    m = knapsack()
    q_slack = qb.compile(m, "qubo")
    q_unb = qb.compile(m, "qubo", inequality="unbalanced")
    assert q_unb.n == 4 < q_slack.n
    assert {p.method for p in q_unb.penalties.values()} == {"unbalanced"}


def test_milp_structure():
    m = qb.Model("milp")
    x = m.binary("x", 2)
    p = m.integer("p", lb=-1, ub=3)
    f = m.continuous("f", 2, ub=5)
    m.add(f.sum() - p >= 1, name="flow")
    m.add(x.sum() == 1, name="one")
    m.minimize(f.sum() + 2 * x[0] * p + x[0] * x[1] + 4)
    lp = qb.compile(m, "milp")
    assert lp.n_user == 5 and lp.num_variables == 7  # two product columns
    # x0*p and x0*x1 are products of integer-valued factors: integral columns (CP-SAT takes them)
    assert lp.integrality.tolist() == [True, True, True, False, False, True, True]
    assert lp.binary.tolist()[:3] == [True, True, False]
    assert lp.offset == 4 and lp.sense == "min"
    assert lp.row_names[:2] == ["flow", "one"]
    assert lp.row_lb[0] == 1 and lp.row_ub[0] == np.inf and lp.row_lb[1] == lp.row_ub[1] == 1
    x_user = np.array([1, 0, 2, 1.5, 1.5])
    full = lp.lin_map.forward(x_user)
    assert np.all(lp.row_violation(full) <= 1e-12)
    assert lp.objective_value(full) == pytest.approx(3 + 2 * 2 + 0 + 4)
    sol = lp.decode(full)
    assert sol.feasible and sol.values["p"] == 2 and sol.objective == pytest.approx(11)


def test_milp_refuses_products_without_an_exact_form():
    m = qb.Model("nl")
    f = m.continuous("f", 2, ub=1)
    m.minimize(f[0] * f[1])
    with pytest.raises(qb.UnsupportedTermError, match=r"f\(0\)\*f\(1\).*no bounded integer factor"):
        qb.compile(m, "milp")


def test_compile_refuses_unknown_options_and_options_a_milp_would_ignore():
    m = qb.Model("o")
    x = m.integer("x", 2, ub=3)
    m.add(x.sum() <= 4, name="cap")
    m.minimize(-x.sum())
    with pytest.raises(qb.OptionError, match=r"unknown compile option\(s\) 'encodin'; known: encoding, penalty"):
        qb.compile(m, encodin="unary")
    with pytest.raises(qb.OptionError, match="encoding: compile options apply when compiling to a QUBO"):
        qb.compile(m, "milp", encoding="unary")
    with pytest.raises(qb.ModelError, match="unknown target 'ising'"):
        qb.compile(m, "ising")
    assert qb.compile(m, "qubo", encoding="unary").n > qb.compile(m, "qubo").n  # the option is used: 3 bits vs 2
    assert qb.compile(m, "milp").num_variables == 2
