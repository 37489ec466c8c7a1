"""MPS dialect conformance (issue 15): the reader follows the common rules where tools
disagree, and what qbdsl writes reads back as the same model in qbdsl and in an independent
reader (OR-Tools' MPS reader)."""

import re
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.io.mps_format import FileFormatWarning, read_mps, write_mps
from qbdsl.ir.milp import MilpIR

mb = pytest.importorskip("ortools.linear_solver.python.model_builder")


def load(tmp_path, text, name="t.mps"):
    p = tmp_path / name
    p.write_text(text)
    return p, qb.load(p)


def milp(model):
    return qb.compile(model, "milp")


def ortools_proto(text):
    m = mb.ModelBuilder()
    assert m.import_from_mps_string(text), "OR-Tools refused the file"
    return m.export_to_proto()


def by_name(ir):
    """{name: (lb, ub, integral, binary, c)} of a MilpIR."""
    bin_ = ir.binary if ir.binary is not None else np.zeros(len(ir.var_names), bool)
    return {
        n: (float(ir.lb[j]), float(ir.ub[j]), bool(ir.integrality[j]), bool(bin_[j]), float(ir.c[j]))
        for j, n in enumerate(ir.var_names)
    }


# ------------------------------------------------------------------ reader
def test_only_a_star_in_column_1_starts_a_comment(tmp_path):
    text = "* a comment\nNAME t\nROWS\n N obj\n G c\nCOLUMNS\n    x obj 1 c 1\nRHS\n    *RHS* c 5\nENDATA\n"
    p, m = load(tmp_path, text)
    ir = milp(m)
    assert ir.row_lb.tolist() == [5.0]
    assert qb.solve(m, backend="ortools").objective == pytest.approx(5)
    proto = ortools_proto(text)  # the independent reader agrees
    assert proto.constraint[0].lower_bound == 5


def test_extra_free_rows_are_dropped_with_a_warning(tmp_path):
    text = (
        "NAME t\nROWS\n N cost\n N spare\n G c\nCOLUMNS\n    x cost 1 c 1\n    x spare 5\n"
        "    y spare 2 cost -1\nRHS\n    RHS c 2 spare 7\nBOUNDS\n UP BND y 3\nENDATA\n"
    )
    with pytest.warns(FileFormatWarning, match=r"t\.mps:4: free row 'spare' dropped"):
        p, m = load(tmp_path, text)
    ir = milp(m)
    assert by_name(ir) == {"x": (0, np.inf, False, False, 1.0), "y": (0, 3, False, False, -1.0)}
    assert ir.row_names == ["c"] and ir.A.toarray().tolist() == [[1.0, 0.0]]
    assert qb.solve(m, backend="ortools").objective == pytest.approx(2 - 3)


def test_duplicate_n_row_name_is_refused(tmp_path):
    with pytest.raises(qb.FileFormatError, match="duplicate row 'a'") as err:
        load(tmp_path, "NAME t\nROWS\n N a\n N a\nCOLUMNS\n x a 1\nENDATA\n")
    assert err.value.line == 4


@pytest.mark.parametrize(
    "tok, value", [("1.0D3", 1000.0), ("1d-2", 0.01), ("-2.5D+1", -25.0), (".5d1", 5.0), ("1e3", 1000.0)]
)
def test_fortran_exponents_are_numbers(tmp_path, tok, value):
    text = f"NAME t\nROWS\n N obj\n L c\nCOLUMNS\n    x obj {tok} c {tok}\nRHS\n    RHS c {tok}\nBOUNDS\n UP BND x {tok}\nENDATA\n"  # noqa: E501  (a whole file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FileFormatWarning)  # a negative UP: checked elsewhere
        ir = milp(load(tmp_path, text)[1])
    assert ir.c.tolist() == [value] and ir.A.toarray().tolist() == [[value]]
    assert ir.row_ub.tolist() == [value]
    assert ir.ub.tolist() == [value] if value > 0 else ir.lb.tolist() == [-np.inf]


@pytest.mark.parametrize("tok", ["nan", "1_000", "1.0Q3", "D3"])
def test_non_numbers_are_refused_at_their_line(tmp_path, tok):
    with pytest.raises(qb.FileFormatError, match="malformed COLUMNS line") as err:
        load(tmp_path, f"NAME t\nROWS\n N obj\nCOLUMNS\n    x obj {tok}\nENDATA\n")
    assert err.value.line == 5


INTORG = """NAME t
ROWS
 N obj
 L c
COLUMNS
    x obj 1 c 1
    M1 'MARKER' 'INTORG'
    b obj -1 c 1
    b2 obj -1
    u obj -1
    p obj -1
    m obj 1
    l obj -1
    f obj 1
    v obj -1
    M1 'MARKER' 'INTEND'
RHS
    RHS c 100
BOUNDS
 UP BND u 5
 PL BND p
 MI BND m
 LO BND l 2
 FR BND f
 BV BND v
 UP BND x 4
ENDATA
"""


def test_integer_columns_without_bounds_are_binary(tmp_path):
    with pytest.warns(FileFormatWarning, match=r"t\.mps:8: integer column 'b' and 1 more .* binary \[0, 1\]"):
        p, m = load(tmp_path, INTORG)
    got = {k: v[:4] for k, v in by_name(milp(m)).items()}
    want = {
        "x": (0, 4, False, False),
        "b": (0, 1, True, True),
        "b2": (0, 1, True, True),
        "u": (0, 5, True, False),
        "p": (0, np.inf, True, False),
        "m": (-np.inf, np.inf, True, False),
        "l": (2, np.inf, True, False),
        "f": (-np.inf, np.inf, True, False),
        "v": (0, 1, True, True),
    }
    assert got == want
    # OR-Tools reads the same bounds
    proto = ortools_proto(INTORG)
    ort = {v.name: (v.lower_bound, v.upper_bound, v.is_integer) for v in proto.variable}
    assert ort == {k: w[:3] for k, w in want.items()}


def test_no_warning_when_every_integer_column_has_a_bound(tmp_path):
    text = "NAME t\nROWS\n N obj\nCOLUMNS\n M 'MARKER' 'INTORG'\n    x obj 1\n M 'MARKER' 'INTEND'\nBOUNDS\n UP BND x 7\nENDATA\n"  # noqa: E501  (a whole file)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ir = milp(load(tmp_path, text)[1])
    assert by_name(ir)["x"] == (0, 7, True, False, 1.0)


def test_negative_upper_bound_with_default_lower_bound_frees_the_lower_bound(tmp_path):
    text = "NAME t\nROWS\n N obj\nCOLUMNS\n    x obj 1\n    y obj 1\n    z obj 1\nBOUNDS\n UP BND x -2\n LO BND y -5\n UP BND y -2\n MI BND z\n UP BND z -1\nENDATA\n"  # noqa: E501  (a whole file)
    with pytest.warns(FileFormatWarning, match=r"t\.mps:9: column 'x' has a negative upper bound") as rec:
        ir = milp(load(tmp_path, text)[1])
    assert len([w for w in rec if issubclass(w.category, FileFormatWarning)]) == 1
    got = {k: v[:2] for k, v in by_name(ir).items()}
    assert got == {"x": (-np.inf, -2), "y": (-5, -2), "z": (-np.inf, -1)}


def test_negative_upper_bound_after_an_explicit_zero_lower_bound_is_refused(tmp_path):
    text = "NAME t\nROWS\n N obj\nCOLUMNS\n    x obj 1\nBOUNDS\n LO BND x 0\n UP BND x -2\nENDATA\n"
    with pytest.raises(qb.FileFormatError, match="lower bound 0 > upper bound -2") as err:
        load(tmp_path, text)
    assert err.value.line == 8


def test_bound_lines_without_a_set_name_or_with_an_ignored_value(tmp_path):
    text = (
        "NAME t\nROWS\n N obj\nCOLUMNS\n    x obj 1\n    y obj 1\n    z obj 1\nBOUNDS\n UP x 4\n BV BND y 1\n"
        " FR z\nENDATA\n"
    )
    got = {k: v[:4] for k, v in by_name(milp(load(tmp_path, text)[1])).items()}
    assert got == {"x": (0, 4, False, False), "y": (0, 1, True, True), "z": (-np.inf, np.inf, False, False)}


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("NAME t\nROWS\n N obj\nCOLUMNS\n M 'MARKER' 'INTSTART'\nENDATA\n", 5, "unknown marker"),
        ("NAME t\nROWS\n N obj\nCOLUMNS\n x obj 1\nBOUNDS\n FR BND x 1 2\nENDATA\n", 7, "bound FR takes"),
        ("NAME t\nROWS\n N obj\nCOLUMNS\n x obj 1\nBOUNDS\n UP BND\nENDATA\n", 7, "bound UP takes"),
        ("NAME t\nROWS\n N obj\nCOLUMNS\n x obj 1\nBOUNDS\n UP BND x 1 2\nENDATA\n", 7, "bound UP takes"),
        ("NAME t\nROWS\n N obj\nCOLUMNS\n x obj 1\nRHS\n RHS obj nan\nENDATA\n", 7, "not a number"),
    ],
)
def test_more_malformed_mps_name_the_line(tmp_path, text, line, match):
    with pytest.raises(qb.FileFormatError, match=match) as err:
        load(tmp_path, text)
    assert err.value.line == line


# ------------------------------------------------------------------ writer
def write_read(tmp_path, model_or_ir, name="w.mps"):
    ir = model_or_ir if isinstance(model_or_ir, MilpIR) else milp(model_or_ir)
    text = write_mps(ir)
    p = tmp_path / name
    p.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileFormatWarning)  # qbdsl's own files need no rule
        back = milp(qb.load(p))
    return text, back


def test_general_integers_get_explicit_bounds(tmp_path):
    m = qb.Model("gi")
    a = m.integer("a")  # [0, inf)
    b = m.integer("b", lb=-3)  # [-3, inf)
    c = m.integer("c", lb=-np.inf, ub=4)  # (-inf, 4]
    d = m.integer("d", lb=-np.inf, ub=-2)  # (-inf, -2]
    e = m.integer("e", lb=-np.inf)  # free
    f = m.integer("f", lb=0, ub=9)
    m.add(a + b + c + d + e + f >= 1.5, name="k")
    m.add(e >= -10, name="e_lo")
    m.minimize(a + b - c - d + e + f)
    text, back = write_read(tmp_path, m)
    assert re.search(r"^ PL BND +a$", text, re.M)
    want = {
        "a": (0, np.inf),
        "b": (-3, np.inf),
        "c": (-np.inf, 4),
        "d": (-np.inf, -2),
        "e": (-np.inf, np.inf),
        "f": (0, 9),
    }
    assert {k: v[:2] for k, v in by_name(back).items()} == want
    proto = ortools_proto(text)
    assert {v.name: (v.lower_bound, v.upper_bound) for v in proto.variable} == want
    assert all(v.is_integer for v in proto.variable)


def test_unbounded_general_integer_solves_the_same_after_a_round_trip(tmp_path):
    # the PuLP-like case: x integer >= 0 unbounded, optimum needs x = 7
    m = qb.Model("pulp")
    x = m.integer("x")
    m.add(x >= 6.5, name="c")
    m.minimize(x)
    p = tmp_path / "p.mps"
    milp(m).save(p)
    assert qb.solve(qb.load(p), backend="ortools").objective == pytest.approx(7)
    s = mb.Solver("scip")
    mod = mb.ModelBuilder()
    assert mod.import_from_mps_file(str(p))
    if not s.solver_is_supported():
        pytest.skip("OR-Tools has no SCIP")
    s.solve(mod)
    assert s.objective_value == pytest.approx(7)


def test_binaries_keep_tightened_bounds(tmp_path):
    text = (
        "NAME t\nROWS\n N obj\nCOLUMNS\n    x obj -1\n    y obj 1\n    z obj -1\nBOUNDS\n BV BND x\n UP BND x 0\n"
        " BV BND y\n LO BND y 1\n BV BND z\nENDATA\n"
    )
    ir = milp(load(tmp_path, text)[1])
    assert by_name(ir) == {"x": (0, 0, True, True, -1), "y": (1, 1, True, True, 1), "z": (0, 1, True, True, -1)}
    out, back = write_read(tmp_path, ir)
    assert by_name(back) == by_name(ir)
    proto = ortools_proto(out)
    assert [(v.lower_bound, v.upper_bound, v.is_integer) for v in proto.variable] == [
        (0, 0, True),
        (1, 1, True),
        (0, 1, True),
    ]
    assert qb.solve(qb.load(tmp_path / "w.mps"), backend="ortools").objective == pytest.approx(1 - 1)


@pytest.mark.parametrize("row", ["obj", "OBJ", "Obj", "obj_1"])
def test_a_constraint_named_like_the_objective_row_stays_a_constraint(tmp_path, row):
    m = qb.Model("o")
    x = m.continuous("x", 2, ub=10)
    m.add(x[0] + x[1] >= 3, name=row)
    m.add(x[0] <= 1, name="obj_x")
    m.minimize(2 * x[0] + x[1] + 1)
    text, back = write_read(tmp_path, m)
    assert back.row_names == [row, "obj_x"]
    np.testing.assert_array_equal(back.c, [2, 1])
    assert back.offset == 1
    proto = ortools_proto(text)
    assert [c.name for c in proto.constraint] == [row, "obj_x"]
    assert list(proto.constraint[0].coefficient) == [1, 1] and proto.objective_offset == 1
    assert qb.solve(qb.load(tmp_path / "w.mps"), backend="ortools").objective == pytest.approx(3 + 1)


def raw_ir(var_names, row_names, A, row_lb, row_ub, lb, ub, integral, binary, c, offset=0.0, sense="min"):
    n = len(var_names)
    return MilpIR(
        c=np.asarray(c, float),
        offset=offset,
        sense=sense,
        A=sp.csr_matrix(np.asarray(A, float).reshape(-1, n)),
        row_lb=np.asarray(row_lb, float),
        row_ub=np.asarray(row_ub, float),
        lb=np.asarray(lb, float),
        ub=np.asarray(ub, float),
        integrality=np.asarray(integral, bool),
        var_names=list(var_names),
        row_names=list(row_names),
        n_user=n,
        source=None,
        binary=np.asarray(binary, bool),
        name="raw",
    )


KEYWORD_NAMES = [
    "NAME",
    "ROWS",
    "COLUMNS",
    "RHS",
    "RANGES",
    "BOUNDS",
    "ENDATA",
    "MARKER",
    "'MARKER'",
    "intorg",
    "OBJSENSE",
    "qsection",
    "RHS_",
]


def test_keyword_and_odd_names_are_renamed_and_restored(tmp_path):
    names = KEYWORD_NAMES + ["*x", "a b", "$y", ""]
    n = len(names)
    rows = ["RHS", "obj", "* c", "MARKER"]
    A = np.zeros((4, n))
    A[0, :3] = 1
    A[1, 3:6] = 1
    A[2, 13:] = 1
    A[3, [0, 7]] = 1
    ir = raw_ir(
        names,
        rows,
        A,
        [1, -np.inf, 2, -np.inf],
        [np.inf, 5, 2, 1],
        np.zeros(n),
        np.full(n, 3.0),
        np.zeros(n),
        np.zeros(n),
        np.arange(n) + 1.0,
    )
    text, back = write_read(tmp_path, ir)
    # nothing in the file makes a data line look like a section or a comment
    for line in text.splitlines()[1:]:
        if line.startswith("* qbdsl"):
            continue
        f = line.split()
        if line[0].isspace():
            assert f[0].strip("'").upper() not in KEYWORDS_UP and not f[0].startswith(("*", "$"))
    assert sorted(back.var_names) == sorted(names) and back.row_names == rows
    assert by_name(back) == by_name(ir)
    proto = ortools_proto(text)
    assert len(proto.variable) == n and [v.objective_coefficient for v in proto.variable] == ir.c.tolist()
    assert [(c.lower_bound, c.upper_bound) for c in proto.constraint] == list(zip(ir.row_lb, ir.row_ub))
    for r, c in enumerate(proto.constraint):
        assert dict(zip(c.var_index, c.coefficient)) == {j: 1.0 for j in np.flatnonzero(A[r])}


KEYWORDS_UP = {
    "NAME",
    "ROWS",
    "COLUMNS",
    "RHS",
    "RANGES",
    "BOUNDS",
    "ENDATA",
    "MARKER",
    "INTORG",
    "INTEND",
    "OBJSENSE",
    "QSECTION",
}


def test_two_sided_and_free_rows(tmp_path):
    ir = raw_ir(
        ["x", "y"],
        ["r", "s", "free"],
        [[1, 1], [1, -1], [1, 0]],
        [0.1, -2, -np.inf],
        [0.7, 3, np.inf],
        [0, 0],
        [1, 1],
        [0, 0],
        [0, 0],
        [1, 1],
    )
    text = write_mps(ir)
    assert "RANGES" in text
    with pytest.warns(FileFormatWarning, match="free row 'free' dropped"):
        back = milp(read_mps(text, "w.mps"))
    assert back.row_names == ["r#lo", "r#hi", "s#lo", "s#hi"]
    assert back.row_lb.tolist() == [0.1, -np.inf, -2, -np.inf] and back.row_ub.tolist() == [np.inf, 0.7, np.inf, 3]
    proto = ortools_proto(text)
    assert [(c.lower_bound, c.upper_bound) for c in proto.constraint] == [(0.1, 0.7), (-2, 3), (-np.inf, np.inf)]


# ------------------------------------------------------------------ hypothesis round trip
ADVERSARIAL = [
    "NAME",
    "ROWS",
    "COLUMNS",
    "RHS",
    "RANGES",
    "BOUNDS",
    "ENDATA",
    "MARKER",
    "obj",
    "OBJ",
    "COST",
    "rhs",
    "1x",
    "007",
    "a.b",
    "x[1]",
    "x(0,1)",
    "x(1)",
    "c#lo",
    "y_3",
    "*star",
    "$d",
    "a b",
    "tab\tx",
    "L" * 300,
    "'MARKER'",
    "INTORG",
    "BND",
    "RNG",
    "N",
    "E",
    "G",
    "UP",
    "FR",
    "-",
    ".5",
    "1e3",
    "é",
]


@st.composite
def mps_models(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(0, 5))
    names = draw(
        st.lists(st.sampled_from(ADVERSARIAL) | st.text(min_size=1, max_size=12), min_size=n, max_size=n, unique=True)
    )
    rnames = draw(
        st.lists(st.sampled_from(ADVERSARIAL) | st.text(min_size=1, max_size=12), min_size=m, max_size=m, unique=True)
    )
    kinds = draw(st.lists(st.sampled_from(["cont", "int", "bin"]), min_size=n, max_size=n))
    lb, ub = [], []
    for k in kinds:
        if k == "bin":
            lo, hi = draw(st.sampled_from([(0, 1), (0, 0), (1, 1)]))
        elif k == "int":
            lo, hi = draw(
                st.sampled_from(
                    [
                        (0, np.inf),
                        (-3, np.inf),
                        (-np.inf, 4),
                        (-np.inf, -2),
                        (2, 2),
                        (-np.inf, np.inf),
                        (0, 5),
                        (-7, -1),
                    ]
                )
            )
        else:
            lo, hi = draw(
                st.sampled_from(
                    [
                        (0, np.inf),
                        (-np.inf, np.inf),
                        (-2.5, 3.25),
                        (1.5, 1.5),
                        (-np.inf, -0.5),
                        (0, 0.75),
                        (0.5, np.inf),
                    ]
                )
            )
        lb.append(lo)
        ub.append(hi)
    coef = st.sampled_from([0, 0, 0, 1, -1, 2.5, -0.125, 3e-7, 1e6])
    A = np.array(draw(st.lists(coef, min_size=n * m, max_size=n * m)), float).reshape(m, n)
    row_lb, row_ub = [], []
    for _ in range(m):
        s = draw(st.sampled_from(["E", "L", "G", "range"]))
        b = draw(st.sampled_from([0, 1, -2, 0.3, 7.5]))
        if s == "E":
            row_lb.append(b), row_ub.append(b)
        elif s == "L":
            row_lb.append(-np.inf), row_ub.append(b)
        elif s == "G":
            row_lb.append(b), row_ub.append(np.inf)
        else:
            w = draw(st.sampled_from([0.5, 1, 4, 0.7]))
            row_lb.append(b), row_ub.append(b + w)
    c = draw(st.lists(coef, min_size=n, max_size=n))
    offset = draw(st.sampled_from([0, 0, 1.5, -3, 1e-3]))
    sense = draw(st.sampled_from(["min", "max"]))
    return raw_ir(
        names,
        rnames,
        A,
        row_lb,
        row_ub,
        lb,
        ub,
        [k != "cont" for k in kinds],
        [k == "bin" for k in kinds],
        c,
        offset,
        sense,
    )


def rows_of(ir, split_ranges=False):
    """{row name: (lo, hi, {var name: coef})}; with ``split_ranges`` a two-sided row becomes
    the '#lo' and '#hi' rows qbdsl's reader makes of it."""
    out = {}
    A = ir.A.tocsr()
    for r, rn in enumerate(ir.row_names):
        s, e = A.indptr[r], A.indptr[r + 1]
        terms = {ir.var_names[j]: v for j, v in zip(A.indices[s:e].tolist(), A.data[s:e].tolist())}
        lo, hi = float(ir.row_lb[r]), float(ir.row_ub[r])
        if split_ranges and np.isfinite(lo) and np.isfinite(hi) and lo != hi:
            out[rn + "#lo"] = (lo, np.inf, terms)
            out[rn + "#hi"] = (-np.inf, hi, terms)
        else:
            out[rn] = (lo, hi, terms)
    return out


def close(a, b):
    return a == b or (np.isfinite(a) and np.isfinite(b) and abs(a - b) <= 1e-12 * max(1, abs(a)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ir=mps_models())
def test_random_models_round_trip_through_qbdsl_and_ortools(tmp_path, ir):
    text = write_mps(ir)
    # qbdsl reads back the same model, names included
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileFormatWarning)
        back = milp(read_mps(text, "r.mps"))
    assert by_name(back) == by_name(ir)
    assert back.sense == ir.sense and back.offset == ir.offset
    want_rows, got_rows = rows_of(ir, split_ranges=True), rows_of(back)
    assume(
        len(want_rows)
        == len(ir.row_names) + int(np.sum(np.isfinite(ir.row_lb) & np.isfinite(ir.row_ub) & (ir.row_lb != ir.row_ub)))
    )  # no name clash
    assert got_rows.keys() == want_rows.keys()
    for rn, (lo, hi, terms) in want_rows.items():
        glo, ghi, gterms = got_rows[rn]
        assert close(glo, lo) and close(ghi, hi), rn
        assert gterms == {k: v for k, v in terms.items()}, rn
    # OR-Tools reads the same model, in the same order (under the written names)
    proto = ortools_proto(text)
    assert len(proto.variable) == len(ir.var_names) and len(proto.constraint) == len(ir.row_names)
    assert proto.maximize == (ir.sense == "max") and proto.objective_offset == ir.offset
    for j, v in enumerate(proto.variable):
        assert (v.lower_bound, v.upper_bound, v.is_integer, v.objective_coefficient) == (
            ir.lb[j],
            ir.ub[j],
            bool(ir.integrality[j]),
            ir.c[j],
        ), ir.var_names[j]
    A = ir.A.toarray()
    for r, con in enumerate(proto.constraint):
        assert close(con.lower_bound, ir.row_lb[r]) and close(con.upper_bound, ir.row_ub[r])
        assert dict(zip(con.var_index, con.coefficient)) == {j: A[r, j] for j in np.flatnonzero(A[r])}


def test_small_models_solve_the_same_in_qbdsl_and_ortools(tmp_path):
    solver = mb.Solver("scip")
    if not solver.solver_is_supported():
        pytest.skip("OR-Tools has no SCIP")
    for seed in range(8):
        rng = np.random.default_rng(seed)
        m = qb.Model("rt")
        x = m.binary("x", 3)
        p = m.integer("RHS", 2, lb=-2)  # keyword name, unbounded above
        f = m.continuous("obj", lb=-1.5, ub=None)
        m.add((rng.integers(-3, 4, 3) * x).sum() + p.sum() - f <= float(rng.integers(0, 6)), name="obj")
        m.add(p.sum() + f >= -2.5, name="MARKER")
        m.add(f <= 9, name="COST")
        m.maximize((rng.integers(-5, 6, 3) * x).sum() - p.sum() - 0.5 * f + 1.25)
        path = tmp_path / f"s{seed}.mps"
        milp(m).save(path)
        ours = qb.solve(qb.load(path), backend="ortools")
        mod = mb.ModelBuilder()
        assert mod.import_from_mps_file(str(path))
        solver.solve(mod)
        assert ours.objective == pytest.approx(solver.objective_value, abs=1e-6)
        assert ours.objective == pytest.approx(qb.solve(m, backend="ortools").objective, abs=1e-6)


def test_one_megabyte_parses_in_well_under_a_second(tmp_path):
    n, m = 4000, 400
    rng = np.random.default_rng(0)
    A = sp.random(m, n, density=0.018, random_state=0, format="csr")
    A.data = np.round(rng.uniform(-9, 9, A.nnz), 3)
    ir = raw_ir(
        [f"x_{j}" for j in range(n)],
        [f"c_{r}" for r in range(m)],
        A.toarray(),
        np.full(m, -np.inf),
        np.full(m, 10.0),
        np.zeros(n),
        np.where(np.arange(n) % 3 == 0, np.inf, 5.0),
        np.arange(n) % 2 == 0,
        np.zeros(n),
        rng.integers(-9, 9, n),
    )
    text = write_mps(ir)
    assert len(text) > 900_000
    t = time.perf_counter()
    model = read_mps(text, "big.mps")
    read_s = time.perf_counter() - t
    assert model.n_vars == n
    print(f"\nMPS parse: {len(text) / 1e6:.2f} MB in {read_s:.3f} s")
    assert read_s < 1.0


# ------------------------------------------------------------------ review fixes (reader faults)
HEAD2 = "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n    x obj -1 c1 1\n    y obj -1 c1 1\n"


def _ir(tmp_path, text):
    return milp(load(tmp_path, text)[1])


@pytest.mark.parametrize(
    "after, bounds, line",
    [
        (" UP BND x 5\n", (0, 5), 12),
        (" FX BND x 3\n", (3, 3), 12),
        (" LO BND x -2\n", (-2, 1), 12),
        (" MI BND x\n", (-np.inf, 1), 12),
        (" FR BND x\n", (-np.inf, np.inf), 12),
        (" UP BND x 0\n UP BND y 9\n UI BND x 7\n", (0, 7), 14),
    ],
)
def test_bv_then_other_bounds_is_an_integer_column(tmp_path, after, bounds, line):
    text = HEAD2 + "RHS\n    RHS c1 100\nBOUNDS\n BV BND x\n" + after + "ENDATA\n"
    with pytest.warns(FileFormatWarning, match=rf"t\.mps:{line}: binary column 'x' gets bounds"):
        ir = _ir(tmp_path, text)
    lb, ub, integral, binary, _ = by_name(ir)["x"]
    assert (lb, ub) == bounds and integral and not binary
    m = ortools_proto(text).variable[0]  # OR-Tools: the same bounds
    assert (m.lower_bound, m.upper_bound) == bounds


def test_bv_after_other_bounds_is_binary(tmp_path):
    text = HEAD2 + "BOUNDS\n UP BND x 5\n BV BND x\nENDATA\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileFormatWarning)
        ir = _ir(tmp_path, text)
    assert by_name(ir)["x"][:4] == (0, 1, True, True)


def test_flat_never_makes_a_binary_outside_0_1():
    from qbdsl.io.flat import FlatProblem

    fp = FlatProblem()
    j = fp.var("x")
    fp.kinds[j], fp.lb[j], fp.ub[j] = "binary", 0.0, 5.0
    fp.obj[j] = 1.0
    ir = milp(fp.to_model())
    assert ir.ub.tolist() == [5.0] and ir.integrality.tolist() == [True]
    assert ir.binary is None or not ir.binary.any()


@pytest.mark.parametrize(
    "section, lines, bad, expect",
    [
        ("RHS", "    RHS1 c1 5\n    RHS2 c1 9\n", 10, ("row_ub", [5.0])),
        ("RANGES", "    R1 c1 2\n    R2 c1 7\n", 10, ("row_lb", [3.0])),
    ],
)
def test_only_the_first_rhs_or_ranges_set_is_read(tmp_path, section, lines, bad, expect):
    text = HEAD2 + ("RHS\n    RHS c1 5\n" if section == "RANGES" else "") + f"{section}\n" + lines + "ENDATA\n"
    if section == "RANGES":
        bad += 2
    with pytest.warns(FileFormatWarning, match=rf"t\.mps:{bad}: {section} set '[A-Z0-9]+' ignored"):
        ir = _ir(tmp_path, text)
    assert [v for v in getattr(ir, expect[0]).tolist() if np.isfinite(v)] == expect[1]


def test_only_the_first_bounds_set_is_read(tmp_path):
    text = HEAD2 + "BOUNDS\n UP B1 x 4\n UP B2 x 6\n UP B2 y 6\nENDATA\n"
    with pytest.warns(FileFormatWarning, match=r"t\.mps:10: BOUNDS set 'B2' ignored") as rec:
        ir = _ir(tmp_path, text)
    assert sum("ignored" in str(w.message) for w in rec) == 1  # once
    assert ir.ub.tolist() == [4.0, np.inf]


@pytest.mark.parametrize(
    "tail, line, first, check",
    [
        ("BOUNDS\n UP BND x 4\n UP BND x 6\n", 10, 9, lambda ir: ir.ub.tolist()[0] == 6),
        ("RANGES\n    RNG c1 2\n    RNG c1 3\n", 10, 9, lambda ir: -3.0 in ir.row_lb.tolist()),
        ("RHS\n    RHS c1 2\n    RHS c1 3\n", 10, 9, lambda ir: ir.row_ub.tolist() == [3.0]),
    ],
)
def test_repeated_entries_warn_naming_both_lines(tmp_path, tail, line, first, check):
    with pytest.warns(FileFormatWarning, match=rf"t\.mps:{line}: .*first at line {first}"):
        ir = _ir(tmp_path, HEAD2 + tail + "ENDATA\n")
    assert check(ir)


def test_duplicate_columns_entry_is_summed_with_a_warning(tmp_path):
    text = "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n    x c1 1\n    x c1 1 obj -1\nRHS\n    RHS c1 4\nENDATA\n"
    with pytest.warns(
        FileFormatWarning,
        match=r"t\.mps:7: column 'x' has a second entry in row 'c1' "
        r"\(first at line 6\)",
    ):
        ir = _ir(tmp_path, text)
    assert ir.A.toarray().tolist() == [[2.0]]


@pytest.mark.parametrize(
    "line, bounds",
    [
        (" BV x 1\n", (0, 1)),
        (" MI x 0\n", (-np.inf, np.inf)),
        (" UP x 5\n", (0, 5)),
        (" PL x\n", (0, np.inf)),
        (" FR x\n", (-np.inf, np.inf)),
    ],
)
def test_bound_lines_without_a_set_name(tmp_path, line, bounds):
    text = HEAD2 + "BOUNDS\n" + line + "ENDATA\n"
    ir = _ir(tmp_path, text)
    assert by_name(ir)["x"][:2] == bounds


@pytest.mark.parametrize("line", [" LO BND xx 6\n", " BV BND xx\n", " UP xx 3\n", " UP BND x\n"])
def test_bound_on_an_unknown_column_is_refused(tmp_path, line):
    with pytest.raises(qb.FileFormatError) as err:
        load(tmp_path, HEAD2 + "BOUNDS\n" + line + "ENDATA\n")
    assert err.value.line == 9


@pytest.mark.parametrize("body", ["    x obj inf\n", "    x obj 1e999\n", "    x obj 1 c1 -inf\n"])
def test_infinite_coefficients_are_refused(tmp_path, body):
    with pytest.raises(qb.FileFormatError, match="not finite") as err:
        load(tmp_path, "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n" + body + "ENDATA\n")
    assert err.value.line == 6


@pytest.mark.parametrize(
    "line", [" LO BND x inf\n", " FX BND x inf\n", " FX BND x -inf\n", " UP BND x -inf\n", " LI BND x 1e999\n"]
)
def test_nonsense_infinite_bounds_are_refused(tmp_path, line):
    with pytest.raises(qb.FileFormatError) as err:
        load(tmp_path, HEAD2 + "BOUNDS\n" + line + "ENDATA\n")
    assert err.value.line == 9


def test_infinite_bounds_that_mean_pl_and_mi(tmp_path):
    ir = _ir(tmp_path, HEAD2 + "BOUNDS\n UP BND x inf\n LO BND y -inf\n UP BND y 3\nENDATA\n")
    assert by_name(ir)["x"][:2] == (0, np.inf) and by_name(ir)["y"][:2] == (-np.inf, 3)


def test_infinite_rhs_side_is_no_side(tmp_path):
    text = (
        "NAME t\nROWS\n N obj\n L c1\n G c2\n E c3\n L c4\nCOLUMNS\n    x obj 1 c1 1\n    x c2 1 c3 1\n"
        "    x c4 1\nRHS\n    RHS c1 inf c2 2\n    RHS c3 -inf c4 10\nRANGES\n    RNG c2 inf c4 inf\nENDATA\n"
    )
    with pytest.warns(FileFormatWarning) as rec:
        ir = _ir(tmp_path, text)
    msgs = [str(w.message) for w in rec]
    assert any("t.mps:13: row 'c1' has no finite side" in s for s in msgs)
    assert any("t.mps:14: row 'c3' has no finite side" in s for s in msgs)
    assert ir.row_names == ["c2", "c4"]
    assert ir.row_lb.tolist() == [2.0, -np.inf] and ir.row_ub.tolist() == [np.inf, 10.0]
    assert qb.solve(load(tmp_path, text)[1], backend="ortools").objective == pytest.approx(2)


def test_infinite_objective_constant_is_refused(tmp_path):
    with pytest.raises(qb.FileFormatError, match="not finite") as err:
        load(tmp_path, HEAD2 + "RHS\n    RHS obj inf\nENDATA\n")
    assert err.value.line == 9


def test_a_file_without_columns_is_a_file_format_error(tmp_path):
    with pytest.raises(qb.FileFormatError, match="no columns") as err:
        load(tmp_path, "NAME t\nROWS\n N obj\nCOLUMNS\nENDATA\n")
    assert "t.mps" in str(err.value)


@pytest.mark.parametrize("line", [" N\n", " G c1 junk\n", " L\n"])
def test_rows_lines_with_wrong_field_counts_are_refused(tmp_path, line):
    with pytest.raises(qb.FileFormatError, match="row type and a row name") as err:
        load(tmp_path, "NAME t\nROWS\n N obj\n" + line + "COLUMNS\n    x obj 1\nENDATA\n")
    assert err.value.line == 4


def test_ranges_on_the_objective_row_is_ignored_with_a_warning(tmp_path):
    text = HEAD2 + "RHS\n    RHS c1 4\nRANGES\n    RNG obj 5 c1 2\nENDATA\n"
    with pytest.warns(FileFormatWarning, match=r"t\.mps:11: RANGES on the objective row 'obj' ignored"):
        ir = _ir(tmp_path, text)
    assert sorted(ir.row_lb[np.isfinite(ir.row_lb)].tolist() + ir.row_ub[np.isfinite(ir.row_ub)].tolist()) == [2, 4]


def test_writer_renames_names_over_255_characters(tmp_path):
    long_x, long_c = "x" * 300, "c" * 256
    ir = raw_ir([long_x], [long_c], [[1.0]], [-np.inf], [3.0], [0.0], [np.inf], [False], [False], [-1.0])
    out = write_mps(ir)
    assert max(len(t) for t in out.split() if not t.startswith('"')) <= 255
    assert out == write_mps(ir)  # deterministic
    back = milp(load(tmp_path, out)[1])
    assert back.var_names == [long_x] and back.row_names == [long_c]
    assert len(ortools_proto(out).variable) == 1
