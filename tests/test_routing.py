"""qbdsl.routing: which IR a backend gets for each input, and how it is built."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl import routing
from qbdsl.ir.terms import QuboTerms

from .strategies import small_models


def _model() -> qb.Model:
    m = qb.Model("r")
    x = m.binary("x", 3)
    y = m.integer("y", lb=0, ub=3)
    m.add(x.sum() + y <= 3, name="cap")
    m.minimize(-(np.array([1.0, 2.0, 3.0]) * x).sum() + y + x[0] * x[1])
    return m


@st.composite
def qubos(draw):
    n = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    i, j = np.triu_indices(n, 1)
    keep = rng.random(i.size) < draw(st.floats(0.0, 1.0))
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(
            n,
            rng.integers(-5, 6, n).astype(float),
            i[keep],
            j[keep],
            rng.integers(-5, 6, int(keep.sum())).astype(float),
        )
    )


@pytest.mark.parametrize(
    "accepts, model_kind, qubo_kind, milp_kind",
    [
        (("qubo",), "qubo", "qubo", "qubo"),
        (("milp",), "milp", "milp", "milp"),
        (("qubo", "milp"), "qubo", "qubo", "milp"),
    ],
)
def test_the_kind_each_input_gets(accepts, model_kind, qubo_kind, milp_kind):
    m = _model()
    assert routing.target_kind(m, accepts) == model_kind
    assert routing.target_kind(m.to_problem(), accepts) == model_kind
    assert routing.target_kind(qb.compile(m), accepts) == qubo_kind
    assert routing.target_kind(qb.compile(m, "milp"), accepts) == milp_kind


def test_route_builds_what_the_table_says():
    m = _model()
    q = routing.route(m, ("qubo",), {"penalty": 9.0})
    assert q.kind == "qubo" and q.ir.weights["cap"] == 9.0 and not q.same_objective
    milp = routing.route(m, ("milp",))
    assert milp.kind == "milp" and milp.same_objective and milp.ir.n_user == m.n_vars
    assert routing.route(q.ir, ("qubo",)).ir is q.ir  # a QUBO for a QUBO backend: itself
    assert routing.route(milp.ir, ("milp",)).ir is milp.ir
    again = routing.route(milp.ir, ("qubo",), {"encoding": "unary"})  # MILP -> QUBO: its source, compiled
    assert again.kind == "qubo" and again.ir.n == qb.compile(m, encoding="unary").n
    lin = routing.route(q.ir, ("milp",)).ir  # QUBO -> MILP: the QUBO, linearized
    assert lin.n_user == q.ir.n and lin.num_variables == q.ir.n + len(q.ir.terms.v)


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: routing.build(_model(), "ising"), qb.ModelError, "unknown IR kind 'ising'; choose from qubo, milp"),
        (lambda: routing.build(3, "qubo"), qb.ModelError, "cannot route a int"),
        (lambda: routing.target_kind(_model(), ("ising",)), qb.BackendError, "takes neither a QUBO nor a MILP"),
        (
            lambda: routing.route(qb.compile(_model()), ("qubo",), {"penalty": 3}),
            qb.OptionError,
            "penalty: compile options apply when a model is compiled",
        ),
        (
            lambda: routing.route(_model(), ("milp",), {"encoding": "unary"}),
            qb.OptionError,
            "encoding: compile options apply only when a model is compiled to a QUBO, and a backend accepting milp",
        ),
        (
            lambda: routing.check_compile_options(_model(), {"encodin": "unary", "penalty": 2}),
            qb.OptionError,
            r"unknown compile option\(s\) 'encodin'; known: encoding, penalty, inequality, unbalanced",
        ),
        (lambda: routing.backend_kinds(_model(), ["ortools", "warp"]), qb.OptionError, "unknown backend 'warp'"),
    ],
)
def test_bad_routes_are_refused_with_the_culprit_named(call, error, text):
    with pytest.raises(error, match=text):
        call()


@settings(max_examples=40, deadline=None)
@given(q=qubos(), seed=st.integers(0, 2**31 - 1))
def test_a_linearized_qubo_has_the_qubos_energy_at_every_consistent_point(q, seed):
    """The MILP a QUBO routes to, at x with each product column set to x_i x_j: feasible,
    with objective = the QUBO's energy, and decoding gives x back."""
    r = routing.build(q, "milp")
    milp = r.ir
    pi, pj = milp.lin_map.pair_i, milp.lin_map.pair_j
    x = np.random.default_rng(seed).integers(0, 2, q.n).astype(float)
    z = np.concatenate([x, x[pi] * x[pj]])
    assert np.array_equal(z, milp.lin_map.forward(x))
    assert z.size == milp.num_variables
    rows = milp.A @ z
    assert np.all(rows >= milp.row_lb - 1e-9) and np.all(rows <= milp.row_ub + 1e-9)
    assert z @ milp.c + milp.offset == pytest.approx(float(q.energy(x)), abs=1e-9)
    assert r.decode(z).energy == pytest.approx(float(q.energy(x)), abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(m=small_models())
def test_solve_and_routing_build_the_same_irs_for_a_model(m):
    inputs = routing.Inputs(m, {})
    for accepts in (("qubo",), ("milp",)):
        try:
            want = routing.route(m, accepts)
        except qb.ModelError as exc:  # a model the compiler refuses: refused the same way
            with pytest.raises(type(exc), match="."):
                inputs.ir_for(accepts)
            continue
        got = inputs.ir_for(accepts)
        assert got is inputs.ir_for(accepts)  # built once per kind
        assert type(got.ir) is type(want.ir) and got.same_objective == want.same_objective
        if got.kind == "milp":
            np.testing.assert_array_equal(got.ir.c, want.ir.c)
            assert (got.ir.A != want.ir.A).nnz == 0
        else:
            assert got.ir.n == want.ir.n and np.array_equal(got.ir.terms.v, want.ir.terms.v)


@pytest.mark.parametrize(
    "chain, obj, refused",
    [
        (["ortools"], "model", "backend 'ortools' gets a MILP"),
        (["ortools", "ortools"], "model", "every backend of 'ortools', 'ortools' gets a MILP"),
        (["ortools", "exact"], "model", None),  # a fallback gets a QUBO: the options apply there
        (["anneal"], "model", None),
        (["ortools"], "milp", "backend 'ortools' gets a MILP"),  # a MILP for a MILP solver: itself
        (["anneal"], "milp", None),  # a MILP for a QUBO backend: its source, compiled with them
        (None, "model", None),  # backend="auto": the policy's chain, not known yet
    ],
)
def test_compile_options_apply_only_where_a_backend_of_the_chain_gets_a_qubo(chain, obj, refused):
    obj = _model() if obj == "model" else qb.compile(_model(), "milp")
    opts = {"encoding": "unary", "penalty": 4.0}
    if refused is None:
        routing.check_chain_compile_options(obj, opts, chain)
    else:
        with pytest.raises(qb.OptionError, match=f"encoding, penalty: compile options apply only .*{refused}"):
            routing.check_chain_compile_options(obj, opts, chain)
    routing.check_chain_compile_options(obj, {}, chain)  # no options: nothing to refuse
    assert routing.backend_kinds(obj, chain or []) == [
        routing.target_kind(obj, ("milp",) if b == "ortools" else ("qubo",)) for b in chain or []
    ]


def test_flag_prefix_names_command_line_options():
    with pytest.raises(qb.OptionError, match="^--inequality: compile options apply only .* --target milp"):
        routing.check_compile_options(None, {"inequality": "unbalanced"}, ("milp",), gets="--target milp", flag="--")
