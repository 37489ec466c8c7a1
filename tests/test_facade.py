"""The public Model API readers use (add_array, row labels) and the facade functions
(qb.save, qb.to_bqm, qb.to_cqm, qb.to_qp, qb.to_latex)."""

import numpy as np
import pytest

import qbdsl as qb


def _model() -> qb.Model:
    m = qb.Model("f")
    x = m.binary("x", 3)
    y = m.integer("y", 2, lb=0, ub=3)
    m.add(x.sum() + y.sum() <= 4, name="cap")
    m.add(x[0] + x[1] == 1, name="one")
    m.minimize(-(np.array([1.0, 2.0, 3.0]) * x).sum() + y.sum() + x[0] * x[2])
    return m


def test_add_array_keeps_labels_that_differ_and_drops_generated_ones():
    m = qb.Model()
    a = m.add_array("a", "integer", (2, 2), lb=-1.5, ub=2.5, labels=["p", "q", "r", "s"])
    b = m.add_array("b", "binary", 2, labels=["b(0)", "b(1)"])
    c = m.add_array("c", "continuous", (), lb=1.0)
    assert a.kind == "integer" and a.lb.tolist() == [[-1, -1], [-1, -1]] and a.ub.max() == 2
    assert c.ub == np.inf and c.kind == "continuous"
    labels = m.layout().labels()
    assert labels[:4] == ["p", "q", "r", "s"] and labels[4:6] == ["b(0)", "b(1)"] and labels[6] == "c"
    assert m.layout().arrays[1].labels is None  # the generated names: not stored
    blk = m.add(a.sum(axis=1) <= 2, name="row", labels=["first", "second"])
    gen = m.add(b <= 1, name="gen", labels=["gen(0)", "gen(1)"])
    assert blk.labels == ["first", "second"] and gen.labels is None
    assert qb.compile(m, "milp").row_names == ["first", "second", "gen(0)", "gen(1)"]


@pytest.mark.parametrize(
    "call, text",
    [
        (lambda m: m.add_array("z", "bool", 2), "variable 'z': unknown kind 'bool'; choose from binary, integer"),
        (lambda m: m.add_array("z", "binary", 3, labels=["a", "b"]), "variable 'z': 2 labels for 3 elements"),
        (lambda m: m.add_array("z", "binary", 2, labels=["a", 7]), "variable 'z': labels must be strings, got 7"),
        (lambda m: m.add_array("x", "binary", 2), "duplicate variable name 'x'"),
        (lambda m: m.add(m.var("x").sum() <= 1, name="k", labels=["a", "b"]), "constraint 'k': 2 labels for 1"),
        (
            lambda m: m.add_array("z", "binary", "ab", 0, 1),
            "variable 'z': shape must be an int or a tuple of ints, got 'ab'",
        ),
        (lambda m: m.add_array("z", "binary", 2.0), "variable 'z': shape must be an int or a tuple of ints, got 2.0"),
        (lambda m: m.add_array("z", "binary", (2, "3")), r"variable 'z': shape must be .*, got \(2, '3'\)"),
        (lambda m: m.add_array("z", "binary", (2, -1)), r"variable 'z': negative dimension in shape \(2, -1\)"),
        (
            lambda m: m.add_array("z4", "binary", (2,), 0, 5),
            r"'z4' element 0: a binary variable's bounds lie within \[0, 1\], got \[0, 5\]",
        ),
        (lambda m: m.add_array("z", "binary", 3, [0, 0, -1], 1), r"'z' element 2: a binary .* got \[-1, 1\]"),
        (
            lambda m: m.add_array("z", "integer", 2, "low", 3),
            "variable 'z': the lower bound must be numbers, got 'low'",
        ),
        (
            lambda m: m.add_array("z", "integer", 2, 0, [1, 2, 3]),
            r"'z': its upper bound, of shape \(3,\), does not broadcast to the shape \(2,\)",
        ),
    ],
)
def test_add_array_and_row_labels_refuse_bad_input(call, text):
    with pytest.raises(qb.ModelError, match=text):
        call(_model())


@pytest.mark.parametrize("ext", ["qubo", "npz", "bqm", "lp", "mps", "lp.gz"])
def test_save_writes_a_model_by_extension(ext, tmp_path):
    m = _model()
    qb.save(m, tmp_path / f"m.{ext}")
    back = qb.load(tmp_path / f"m.{ext}")
    if ext in ("qubo", "npz", "bqm"):
        assert isinstance(back, qb.QuboIR) and back.n == qb.compile(m).n
    else:
        assert isinstance(back, qb.Model) and back.n_vars == qb.compile(m, "milp").num_variables


def test_save_passes_compile_options_and_writes_irs(tmp_path):
    m = _model()
    qb.save(m, tmp_path / "w.npz", penalty={"cap": 11.0}, encoding="unary")
    q = qb.load(tmp_path / "w.npz")
    assert q.weights["cap"] == 11.0 and q.n == qb.compile(m, encoding="unary").n
    qb.save(q, tmp_path / "q.lp")  # a QUBO as a MILP: the QUBO, linearized
    assert qb.load(tmp_path / "q.lp").n_vars == q.n + len(q.terms.v)
    qb.save(qb.compile(m, "milp"), tmp_path / "m.mps")
    assert qb.load(tmp_path / "m.mps").n_vars == qb.compile(m, "milp").num_variables


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda d: qb.save(_model(), d / "m.txt"), qb.ModelError, "unknown file type 'm.txt': use .qubo, .npz"),
        (lambda d: qb.save(qb.compile(_model()), d / "q.qubo", penalty=3), qb.OptionError, "penalty: compile options"),
        (lambda d: qb.save([1, 2], d / "x.lp"), qb.ModelError, "save takes a Model, QuboIR or MilpIR, got a list"),
        (lambda d: qb.to_cqm(qb.compile(_model())), qb.ModelError, "to_cqm takes a Model, got a QuboIR"),
        (lambda d: qb.to_bqm("x.qubo"), qb.ModelError, "to_bqm takes a QuboIR or a Model, got a str"),
        (lambda d: qb.to_latex(qb.compile(_model())), qb.ModelError, "to_latex takes a Model, got a QuboIR"),
    ],
)
def test_facade_refuses_what_it_cannot_write(call, error, text, tmp_path):
    with pytest.raises(error, match=text):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_binary_arrays_default_to_and_keep_bounds_within_0_1():
    m = qb.Model()
    b = m.add_array("b", "binary", (2,))  # ub=None: 1 for a binary, as m.binary gives
    fixed = m.add_array("f", "binary", 2, lb=[0, 1], ub=1)
    assert b.ub.tolist() == [1.0, 1.0] and fixed.lb.tolist() == [0.0, 1.0]
    assert m.binary("c", 2).ub.tolist() == [1.0, 1.0]
    assert m.add_array("s", "binary", np.int64(3)).shape == (3,)  # numpy integers are dimensions


@pytest.mark.parametrize(
    "call, error, text",
    [
        (
            lambda d: qb.save(_model(), d / "a.qubo", encodin="unary"),
            qb.OptionError,
            "unknown compile option\\(s\\) 'encodin'; known: encoding, penalty, inequality, unbalanced",
        ),
        (
            lambda d: qb.save(_model(), d / "a.lp", encoding="unary"),
            qb.OptionError,
            "encoding: compile options apply only when a model is compiled to a QUBO, and a .lp file holds a MILP",
        ),
        (
            lambda d: qb.save(qb.compile(_model(), "milp"), d / "a.mps", penalty=2),
            qb.OptionError,
            "penalty: compile options apply only .* a .mps file holds a MILP",
        ),
        (lambda d: qb.to_bqm(_model(), inequalty="slack"), qb.OptionError, "unknown compile option\\(s\\) 'inequalty'"),
        (lambda d: qb.save(_model(), 3), qb.ModelError, "save takes a path \\(a str or os.PathLike\\), got a int"),
        (lambda d: qb.load(3), qb.ModelError, "load takes a path \\(a str or os.PathLike\\), got a int"),
        (lambda d: qb.load(d / "m.lp", name=7), qb.ModelError, "load: name must be a str, got a int"),
        (lambda d: qb.from_qp(3), qb.ModelError, "from_qp takes a qiskit_optimization QuadraticProgram, got a int"),
        (lambda d: qb.from_qp(_model()), qb.ModelError, "from_qp takes a .*QuadraticProgram, got a Model"),
    ],
)
def test_facade_refuses_bad_arguments_and_options_it_would_ignore(call, error, text, tmp_path):
    with pytest.raises(error, match=text):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_save_keeps_compile_options_for_a_milp_written_as_a_qubo(tmp_path):
    milp = qb.compile(_model(), "milp")
    qb.save(milp, tmp_path / "u.qubo", encoding="unary")  # its source, compiled: the options apply
    assert qb.load(tmp_path / "u.qubo").n == qb.compile(_model(), encoding="unary").n


def test_translators_agree_with_the_thin_methods():
    m = _model()
    q = qb.compile(m)
    assert qb.to_bqm(m) == q.to_bqm() == qb.to_bqm(q)
    assert qb.to_cqm(m).variables == m.to_cqm().variables
    assert qb.to_qp(m).prettyprint() == m.to_qp().prettyprint()
    assert qb.to_qp(q).prettyprint() == q.to_qp().prettyprint()
    assert qb.to_latex(m, max_rows=1) == m.to_latex(max_rows=1)


def test_solve_refuses_compile_options_no_backend_of_the_chain_would_use():
    m = _model()
    with pytest.raises(qb.OptionError, match="^encoding: compile options apply only .* backend 'ortools' gets a MILP"):
        qb.solve(m, backend="ortools", encoding="unary")
    with pytest.raises(qb.OptionError, match="every backend of 'ortools', 'ortools' gets a MILP"):
        qb.solve(m, backend="ortools", fallback=["ortools"], penalty=5.0)
    with pytest.raises(qb.OptionError, match="unknown fallback backend 'warp'"):  # names first, as before
        qb.solve(m, backend="ortools", fallback=["warp"], encoding="unary")
    r = qb.solve(m, backend="ortools", fallback=["exact"], encoding="unary")  # exact would get a QUBO
    assert r.backend == "ortools" and r.status == "optimal"
    r = qb.solve(m, backend="exact", encoding="unary")  # the options reach the QUBO
    assert r.status == "optimal" and r.objective == pytest.approx(qb.solve(m, backend="ortools").objective)
    assert qb.solve(m, encoding="unary", time_limit=20).feasible  # auto: the policy's chain may compile a QUBO


def test_more_bad_input_gets_one_named_error():
    m = qb.Model("e")
    with pytest.raises(qb.ModelError, match="labels must be a list of strings, one per element, got int"):
        m.add_array("zl", "binary", (2,), 0, 1, labels=5)
    with pytest.raises(qb.ModelError, match="the objective must be an expression of this model or a number, got str"):
        m.maximize("a")
    with pytest.raises(qb.ModelError, match="solve takes a Model, a QuboIR or MilpIR, a file path"):
        qb.solve(3)
