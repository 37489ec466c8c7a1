"""Model construction, lowering, bad input, summary and LaTeX."""

import numpy as np
import pytest

import qbdsl as qb


def test_variables_constraints_and_summary():
    m = qb.Model("s")
    x = m.binary("x", (2, 3))
    p = m.integer("p", 2, lb=1, ub=4)
    f = m.continuous("f", lb=-1, ub=2)
    m.add(x.sum(axis=1) == 1, name="once")
    m.add(p.sum() + f <= 6, name="cap")
    m.maximize(x.sum() + p[0] * x[0, 0])
    assert m.n_vars == 9
    assert m.var("p") is p and p.lb.tolist() == [1, 1]
    text = m.summary()
    for word in ("x", "binary", "integer", "continuous", "once", "cap", "maximize", "rows=2"):
        assert word in text
    prob = m.to_problem()
    assert prob.sense == "max" and [b.name for b in prob.constraints] == ["once", "cap"]
    assert prob.objective.n_terms == 7


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.binary("x"), "duplicate variable name 'x'"),
        (lambda m: m.binary("bad name"), "invalid variable name"),
        (lambda m: m.integer("q", lb=3, ub=1), "lower bound 3.0 > upper bound 1.0"),
        (lambda m: m.integer("q", lb=np.nan, ub=1), "NaN bound"),
        (
            lambda m: m.add(m.var("x").sum() == 1, name="c") and m.add(m.var("x").sum() <= 1, name="c"),
            "duplicate constraint name 'c'",
        ),
        (lambda m: m.minimize(m.var("x")), "must be a scalar"),
        (lambda m: m.add(np.ones(2) == np.ones(2), name="k"), "compares constants only"),
        (lambda m: m.add("x", name="k"), "takes a constraint"),
    ],
)
def test_bad_model_input(call, match):
    m = qb.Model("bad")
    m.binary("x", 3)
    with pytest.raises(qb.ModelError, match=match):
        call(m)


def test_empty_model_is_an_error():
    m = qb.Model("empty")
    with pytest.raises(qb.ModelError, match="no variables"):
        qb.compile(m)
    m.binary("x", 2)
    with pytest.raises(qb.ModelError, match="is empty"):
        qb.compile(m)


def test_latex_shows_objective_rows_and_domains():
    m = qb.Model("l")
    x = m.binary("x", (2, 2))
    p = m.integer("p", lb=0, ub=3)
    m.add(x.sum(axis=1) == 1, name="row")
    m.minimize(2 * x[0, 1] + 0.5 * p * x[1, 1])
    tex = m.to_latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert "{x}_{0,1}" in tex and r"\text{(row)}" in tex and r"\le 3" in tex and "0.5" in tex
    assert m._repr_latex_().startswith("$$")
