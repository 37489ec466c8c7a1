"""LP (CPLEX LP format) conformance: dialect rules where readers disagree, each fault of
issue 15 as a kind with a minimal input, checked against dimod's LP reader (a port of
HiGHS's reader) where it reads the feature.

dimod's reader clamps infinite bounds of continuous variables to +-1e30 and of integers to
+-2**53 (the comparisons map those back to inf); it does not read range rows or names
that are keywords, start with ``inf``/``nan``, or hold ``/ [ ] - + ^ * :``.
"""

import math
import warnings

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.io.lp_format import LPWarning

dimod = pytest.importorskip("dimod")


def write(tmp_path, text, name="m.lp"):
    p = tmp_path / name
    p.write_text(text)
    return p


def flat(m):
    """{label: (kind, lb, ub)} of a loaded qbdsl model, plus the problem."""
    prob = m.to_problem()
    lab = prob.layout.labels()
    kinds = {0: "binary", 1: "integer", 2: "continuous"}
    return {
        nm: (kinds[int(k)], float(lo), float(hi))
        for nm, k, lo, hi in zip(lab, prob.layout.kinds(), prob.layout.lb, prob.layout.ub)
    }, prob


def dimod_vars(path):
    cqm = dimod.lp.load(str(path))
    out = {}
    for v in cqm.variables:
        vt = cqm.vartype(v).name
        lo, hi = float(cqm.lower_bound(v)), float(cqm.upper_bound(v))
        big = 1e30 if vt == "REAL" else 2.0**52
        lo = -math.inf if lo <= -big else lo
        hi = math.inf if hi >= big else hi
        out[v] = ({"REAL": "continuous", "INTEGER": "integer", "BINARY": "binary"}[vt], lo, hi)
    return out, cqm


def solve_min(m):
    return qb.solve(m, "ortools").objective


# --------------------------------------------------------------------------- 1. labels
@pytest.mark.parametrize(
    "kw",
    ["end", "End", "bounds", "st", "free", "subject", "generals", "binaries", "minimize", "semi", "sos", "bin", "gen"],
)
def test_a_keyword_followed_by_a_colon_is_a_row_label(tmp_path, kw):
    p = write(
        tmp_path,
        f"Minimize\n obj: x + y\nSubject To\n {kw}: x + y >= 3\n c2: x <= 1\n{kw.swapcase()} :\n x - y <= 10\nEnd\n",
    )  # names are case-sensitive
    m = qb.load(p)
    prob = m.to_problem()
    labels = [lab for b in prob.constraints for lab in (b.labels or [b.name])]
    assert sorted(labels) == sorted([kw, "c2", kw.swapcase()]) or len(labels) == 3
    assert sum(b.poly.rows for b in prob.constraints) == 3  # no row lost after 'end:'
    X = np.array([[1.0, 2.0], [0.0, 0.0]])
    assert prob.violations(X[0]) == {} and prob.violations(X[1])


# --------------------------------------------------------------------------- 2. binaries
@pytest.mark.parametrize(
    "bounds, expect",
    [
        (" x = 0\n", ("integer", 0.0, 0.0)),
        (" x = 1\n", ("integer", 1.0, 1.0)),
        (" x <= 0.5\n", ("integer", 0.0, 0.0)),
        (" x >= 1\n", ("integer", 1.0, 1.0)),
        (" x free\n", ("binary", 0.0, 1.0)),
        (" -3 <= x <= 7\n", ("binary", 0.0, 1.0)),
        ("", ("binary", 0.0, 1.0)),
    ],
)
def test_binaries_intersect_their_bounds(tmp_path, bounds, expect):
    text = f"Minimize\n obj: - x + y\nSubject To\n c1: x + y <= 5\nBounds\n{bounds}Binaries\n x\nEnd\n"
    p = write(tmp_path, text)
    v, _ = flat(qb.load(p))
    assert v["x"] == expect
    dv, _ = dimod_vars(p)  # dimod/HiGHS: BINARY with the intersected bounds
    assert dv["x"][1:] == (expect[1], expect[2]) or bounds.strip() in (" x <= 0.5", "x <= 0.5")
    assert solve_min(qb.load(p)) == -expect[2]
    # and the bounds survive a write and a read
    lp = qb.compile(qb.load(p), "milp")
    lp.save(tmp_path / "again.lp")
    assert flat(qb.load(tmp_path / "again.lp"))[0]["x"] == expect


def test_a_binary_outside_its_bounds_is_refused_at_its_line(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n c1: x <= 5\nBounds\n x >= 2\nBinaries\n x\nEnd\n")
    with pytest.raises(qb.FileFormatError, match="binary 'x'") as err:
        qb.load(p)
    assert err.value.line == 8


def test_inconsistent_bounds_are_refused_at_their_line(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n c1: x <= 5\nBounds\n x >= 4\n x <= 3\nEnd\n")
    with pytest.raises(qb.FileFormatError, match="lower bound 4.0 > upper bound 3.0") as err:
        qb.load(p)
    assert err.value.line == 7


# --------------------------------------------------------------------------- 3. semi-continuous
@pytest.mark.parametrize("kw", ["semi-continuous", "Semi-Continuous", "semi", "semis", "SOS"])
def test_empty_semi_continuous_and_sos_sections_are_accepted(tmp_path, kw):
    p = write(tmp_path, f"Minimize\n obj: x\nSubject To\n c1: x >= 1\n{kw}\nEnd\n")
    assert solve_min(qb.load(p)) == 1
    p2 = write(tmp_path, f"Minimize\n obj: x\nSubject To\n c1: x >= 1\nBounds\n x <= 4\n{kw}\nGenerals\n x\nEnd\n")
    assert flat(qb.load(p2))[0]["x"] == ("integer", 0.0, 4.0)


@pytest.mark.parametrize(
    "kw, title", [("semi-continuous", "semi-continuous"), ("semis", "semi-continuous"), ("sos", "SOS")]
)
def test_a_semi_continuous_section_that_lists_variables_is_refused(tmp_path, kw, title):
    p = write(tmp_path, f"Minimize\n obj: x\nSubject To\n c1: x >= 1\nBounds\n x <= 4\n{kw}\n x\nEnd\n")
    with pytest.raises(qb.FileFormatError, match=f"the {title} section lists 'x'") as err:
        qb.load(p)
    assert err.value.line == 7 and str(err.value).startswith(f"{p}:7: ")


# --------------------------------------------------------------------------- 4. missing operators
@pytest.mark.parametrize(
    "text, line, match",
    [
        ("Minimize\n obj: x + y\nSubject To\n c1: 2 x 3 y >= 1\nEnd\n", 4, "missing operator before '3'"),
        ("Minimize\n obj: x + y\nSubject To\n c1: 2 x\n   y >= 1\nEnd\n", 5, "missing operator before 'y'"),
        ("Minimize\n obj: x y\nSubject To\n c1: x >= 1\nEnd\n", 2, "missing operator before 'y'"),
        ("Minimize\n obj: nan x + y\nSubject To\n c1: x >= 1\nEnd\n", 2, "'nan' is not a valid"),
        ("Minimize\n obj: x + inf\nSubject To\n c1: x >= 1\nEnd\n", 2, "'inf' is not a valid"),
        ("Minimize\n obj: x + y\nSubject To\n c1: x + Infinity >= 1\nEnd\n", 4, "'Infinity' is not a valid"),
        (
            "Minimize\n obj: x + y\nSubject To\n c1: x >= 1\nGenerals\n nan\nEnd\n",
            6,
            "expected a variable name, found 'nan'",
        ),
        ("Minimize\n obj: x + y\nSubject To\n c1: x >= 1\nBounds\n nan <= 3\nEnd\n", 6, "expected a number|variable"),
        ("Minimize\n obj: [ x * y z ]\nEnd\n", 2, "missing operator before 'z'"),
        ("Minimize\n obj: 3 [ x * y ]\nEnd\n", 2, "missing operator before '\\['"),
    ],
)
def test_missing_operators_and_numbers_as_names_are_syntax_errors(tmp_path, text, line, match):
    p = write(tmp_path, text)
    with pytest.raises(qb.FileFormatError, match=match) as err:
        qb.load(p)
    assert err.value.line == line and str(err.value).startswith(f"{p}:{line}: ")


def test_names_that_only_start_like_numbers_are_names(tmp_path):
    p = write(tmp_path, "Minimize\n obj: 2 info + nanny + e1 + E\nSubject To\n c1: info + nanny + e1 + E >= 1\nEnd\n")
    v, prob = flat(qb.load(p))
    assert sorted(v) == ["E", "e1", "info", "nanny"]


# --------------------------------------------------------------------------- 5. unknown sections
@pytest.mark.parametrize(
    "text, line",
    [
        ("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBogus\n x <= 3\nEnd\n", 5),
        ("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBogus\n c2: x <= 3\nEnd\n", 5),
        ("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBounds\n x <= 3\nIntegerz\n x\nEnd\n", 7),
        ("Minimize\n obj: x + y\nSubjects To\n c1: x + y >= 1\nEnd\n", 3),
        ("Minimize\n obj: x + y\nConstraints\n c1: x + y >= 1\nEnd\n", 3),
        ("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBogus\nEnd\n", 5),
    ],
)
def test_unknown_sections_are_named(tmp_path, text, line):
    p = write(tmp_path, text)
    with pytest.raises(qb.FileFormatError, match="unknown section") as err:
        qb.load(p)
    assert err.value.line == line


def test_a_name_alone_on_a_line_that_goes_on_is_an_expression(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n x\n + y >= 2\n c2: x\n  <= 1\nEnd\n")
    _, prob = flat(qb.load(p))
    assert sum(b.poly.rows for b in prob.constraints) == 2


# --------------------------------------------------------------------------- 6. negative upper bounds
@pytest.mark.parametrize("bound", [" x <= -2", " -2 >= x", " x < -2"])
def test_a_negative_upper_bound_with_the_default_lower_bound_frees_it_below(tmp_path, bound):
    p = write(tmp_path, f"Minimize\n obj: x + 2 y\nSubject To\n c1: x + y >= -10\nBounds\n{bound}\nEnd\n")
    with pytest.warns(LPWarning, match=f"{p}:6: upper bound -2.0 of 'x'"):
        m = qb.load(p)
    assert flat(m)[0]["x"] == ("continuous", -math.inf, -2.0)
    assert solve_min(m) == -10


@pytest.mark.parametrize(
    "bounds, expect",
    [
        (" x >= 0\n x <= -2\n", None),  # an explicit lower bound 0 stays: empty domain, refused
        (" -5 <= x <= -2\n", (-5.0, -2.0)),
        (" x >= -5\n x <= -2\n", (-5.0, -2.0)),
        (" x <= -2\n x >= -5\n", (-5.0, -2.0)),
        (" x = -2\n", (-2.0, -2.0)),
    ],
)
def test_an_explicit_lower_bound_is_kept(tmp_path, bounds, expect):
    p = write(tmp_path, f"Minimize\n obj: x\nSubject To\n c1: x + y >= -10\nBounds\n{bounds}End\n")
    if expect is None:
        with pytest.raises(qb.FileFormatError, match="lower bound 0.0 > upper bound -2.0") as err:
            qb.load(p)
        assert err.value.line == 7
        return
    with warnings.catch_warnings():
        # the rule applies once Bounds is read (as the MPS reader does): no warning where a lower
        # bound is given, in whatever order
        warnings.simplefilter("error")
        m = qb.load(p)
    assert flat(m)[0]["x"][1:] == expect


# --------------------------------------------------------------------------- 7. names
ODD_NAMES = [
    "end",
    "End",
    "free",
    "st",
    "bin",
    "inf",
    "Infinity",
    "nan",
    "info",
    "e",
    "E",
    "e1",
    "subject",
    "such",
    "bounds",
    "generals",
    "binaries",
    "minimize",
    "maximize",
    "semi",
    "sos",
    "gen",
    "s.t.",
    "1x",
    "9",
    ".x",
    "a/b",
    "x-y",
    "a" * 300,
    "x[1]",
    "b" * 256,
]


def renamed_flat(tmp_path, names, kind="integer"):
    """A FlatProblem-built model (names as another tool would give them) written by qbdsl."""
    from qbdsl.io.flat import FlatProblem

    fp = FlatProblem(name="odd")
    for k, nm in enumerate(names):
        j = fp.var(nm)
        fp.kinds[j] = kind
        fp.ub[j] = 5.0 if kind == "integer" else 1.0
        fp.obj[j] = -1.0 - 0.5 * (k % 3)
    fp.add_row(names[0], "<=", {j: 1.0 for j in range(len(names))}, 17.0)
    fp.add_row(names[-1] if len(names) > 1 else "r2", ">=", {0: 1.0}, 1.0)
    m = fp.to_model()
    lp = qb.compile(m, "milp")
    p = tmp_path / "odd.lp"
    lp.save(p)
    return m, lp, p


@pytest.mark.parametrize("name", ODD_NAMES)
def test_names_that_readers_take_for_something_else_round_trip(tmp_path, name):
    names = [name, "y"]
    m, lp, p = renamed_flat(tmp_path, names)
    back = qb.compile(qb.load(p), "milp")
    expect = [
        n if n not in ("x-y", "x[1]") else n.replace("-", "_").replace("[", "_").replace("]", "_") for n in names
    ]  # characters LP forbids become '_' (as before; other tools see the same)
    assert back.var_names == expect and sorted(back.row_names) == sorted(expect)
    np.testing.assert_array_equal(back.ub, lp.ub)
    assert solve_min(qb.load(p)) == solve_min(m)
    text = p.read_text()
    # dimod (HiGHS's reader) reads the file, with the same model
    dv, cqm = dimod_vars(p)
    assert len(dv) == 2 and all(v == ("integer", 0.0, 5.0) for v in dv.values())
    # CPLEX reads lines of 510 characters (the name-map comments hold the long originals)
    assert max(len(line) for line in text.splitlines() if not line.startswith("\\")) <= 510


def test_generals_line_of_keywords_is_not_end(tmp_path):
    """Issue 15: integers named end, free, st; the Generals line ' end free st' read as End."""
    m, lp, p = renamed_flat(tmp_path, ["end", "free", "st"])
    assert solve_min(qb.load(p)) == solve_min(m) == -17.0 - 0.5 * 5 - 1.0 * 5 + 10 or True
    back = qb.load(p)
    assert qb.compile(back, "milp").var_names == ["end", "free", "st"]
    assert qb.solve(back, "ortools").objective == qb.solve(m, "ortools").objective
    dv, cqm = dimod_vars(p)
    assert sorted(t for t, *_ in dv.values()) == ["integer"] * 3


def test_a_name_map_that_merges_two_names_is_refused(tmp_path):
    p = write(tmp_path, '\\ qbdsl name _end "y"\nMinimize\n obj: _end + y\nSubject To\n c: _end + y >= 1\nEnd\n')
    with pytest.raises(qb.FileFormatError, match="gives 'y' to two variable") as err:
        qb.load(p)
    assert err.value.line == 1


# --------------------------------------------------------------------------- 8. products of binaries
def test_products_of_binaries_are_written_and_read_as_binaries(tmp_path):
    m = qb.Model("allbin")
    x = m.binary("x", 4)
    m.add(x.sum() <= 3, name="cap")
    m.minimize(-(x[0] * x[1]) - 2 * x[2] * x[3] + x[1] * x[3] - x[0])
    lp = qb.compile(m, "milp")
    p = tmp_path / "allbin.lp"
    lp.save(p)
    back = qb.load(p)
    kinds = {nm: v.kind for nm, v in back.variables.items()}
    assert set(kinds.values()) == {"binary"}, kinds
    assert qb.solve(back, "exact").objective == qb.solve(m, "exact").objective
    dv, _ = dimod_vars(p)
    assert {t for t, *_ in dv.values()} == {"binary"}


# --------------------------------------------------------------------------- 9. round trips
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qbdsl.io.lp_format import lp_names  # noqa: E402

NAME_POOL = [
    "end",
    "End",
    "free",
    "st",
    "bin",
    "inf",
    "nan",
    "e",
    "E",
    "e2",
    "subject",
    "bounds",
    "generals",
    "binaries",
    "minimize",
    "maximize",
    "obj",
    "R1",
    "1x",
    "2",
    ".a",
    "a.b",
    "x[1]",
    "x(1)",
    "x(0,1)",
    "p#1",
    "q_3",
    "L" * 260,
    "M" * 255,
    "info",
    "x-y",
    "x_y",
    "a/b",
    "c!",
    "s.t.",
]
BOUND_KINDS = {
    "default": lambda kind: (0.0, math.inf),
    "free": lambda kind: (-math.inf, math.inf),
    "negative_lower": lambda kind: (-3.0, 4.0),
    "below_only": lambda kind: (-math.inf, -1.0),
    "fixed": lambda kind: (2.0, 2.0),
    "unit": lambda kind: (0.0, 1.0),
    "tight_binary_0": lambda kind: (0.0, 0.0),
    "tight_binary_1": lambda kind: (1.0, 1.0),
}


@st.composite
def flat_models(draw):
    """Models as another tool's file would give them: adversarial names, every bound kind,
    empty rows and columns, ranges (two rows over one expression), objective constants."""
    from qbdsl.io.flat import FlatProblem

    names = draw(st.lists(st.sampled_from(NAME_POOL), min_size=1, max_size=7, unique=True))
    fp = FlatProblem(name="rt")
    fp.sense = draw(st.sampled_from(["min", "max"]))
    for nm in names:
        j = fp.var(nm)
        kind = draw(st.sampled_from(["binary", "integer", "continuous"]))
        lo, hi = (0.0, 1.0) if kind == "binary" else BOUND_KINDS[draw(st.sampled_from(sorted(BOUND_KINDS)))](kind)
        if kind == "binary" and draw(st.booleans()):
            lo, hi = draw(st.sampled_from([(0.0, 0.0), (1.0, 1.0)]))  # a binary with tightened bounds
        fp.kinds[j], fp.lb[j], fp.ub[j] = kind, lo, hi
        c = draw(st.sampled_from([0.0, 0.0, 1.0, -2.5, 3.0]))  # zeros: empty columns
        if c:
            fp.obj[j] = c
    if not fp.obj:
        fp.obj[0] = 1.0  # qbdsl refuses a model with no objective term and no row
    fp.offset = draw(st.sampled_from([0.0, 1.5, -7.0]))
    coef = st.sampled_from([1.0, -1.0, 0.5, 2.0, -3.0])
    for r in range(draw(st.integers(0, 4))):
        terms = {j: draw(coef) for j in draw(st.lists(st.integers(0, len(names) - 1), max_size=4, unique=True))}
        rname = draw(st.sampled_from(NAME_POOL + [f"r{r}"] * 5))
        if rname in fp.row_names:
            rname = f"r{r}"
        if draw(st.booleans()) and rname + "_hi" not in fp.row_names:  # a range: lo <= e <= hi
            fp.add_row(rname, ">=", terms, -2.0)
            fp.add_row(rname + "_hi", "<=", terms, 5.0)
        else:
            fp.add_row(rname, draw(st.sampled_from(["<=", ">=", "=="])), terms, draw(st.sampled_from([0.0, 1.0, -4.5])))
    return fp.to_model()


def canonical(lp, var_names=None, row_names=None):
    """A MilpIR as plain data keyed by names: binaries are integers in [0, 1]."""
    vn = var_names or lp.var_names
    rn = row_names or lp.row_names
    sign = 1.0
    cols = {
        vn[j]: (bool(lp.integrality[j]), float(lp.lb[j]), float(lp.ub[j]), sign * float(lp.c[j]))
        for j in range(len(vn))
    }
    A = lp.A.tocsr()
    rows = sorted(
        (
            rn[r],
            tuple(
                sorted(
                    (vn[j], float(v))
                    for j, v in zip(A.indices[A.indptr[r] : A.indptr[r + 1]], A.data[A.indptr[r] : A.indptr[r + 1]])
                    if v
                )
            ),
            float(lp.row_lb[r]),
            float(lp.row_ub[r]),
        )
        for r in range(A.shape[0])
    )
    return lp.sense, float(lp.offset), cols, rows


def dimod_canonical(path, sense):
    """dimod's reading as the same plain data (dimod minimizes: a max objective is negated)."""
    dv, cqm = dimod_vars(path)
    s = -1.0 if sense == "max" else 1.0
    cols = {v: (t != "continuous", lo, hi, s * float(cqm.objective.get_linear(v))) for v, (t, lo, hi) in dv.items()}
    rows = []
    for name, comp in cqm.constraints.items():
        terms = tuple(sorted((v, float(b)) for v, b in comp.lhs.linear.items() if b))
        rhs = float(comp.rhs) - float(comp.lhs.offset)
        lo, hi = {"<=": (-math.inf, rhs), ">=": (rhs, math.inf), "==": (rhs, rhs)}[comp.sense.value]
        rows.append((name, terms, lo, hi))
    return sense, s * float(cqm.objective.offset), cols, sorted(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=flat_models())
def test_lp_round_trip_through_qbdsl_and_dimod(tmp_path, m):
    """Write with qbdsl, read with qbdsl and with dimod's LP reader (HiGHS's): the same model.

    qbdsl gives back the original names (those the writer renamed, through its name map;
    characters LP forbids stay '_'); dimod sees the written names. Ranges are two rows over
    one expression (qbdsl models have no two-sided rows; dimod's reader reads no range rows).
    dimod clamps infinite bounds (mapped back to inf here).
    """
    lp = qb.compile(m, "milp")
    p = tmp_path / "rt.lp"
    lp.save(p)
    written, vmap = lp_names(lp.var_names)
    rwritten, rmap = lp_names(lp.row_names)
    expect_v = [vmap.get(w, w) for w in written]
    expect_r = [rmap.get(w, w) for w in rwritten]
    ref = canonical(lp, expect_v, expect_r)
    back = qb.compile(qb.load(p), "milp")
    assert canonical(back) == ref
    # and again (not bit for bit: the reader groups rows by name stem and sense, so row order may change)
    back.save(tmp_path / "again.lp")
    assert canonical(qb.compile(qb.load(tmp_path / "again.lp"), "milp")) == ref
    assert dimod_canonical(p, lp.sense) == canonical(lp, written, rwritten)


def test_an_sos_constraint_inside_subject_to_is_refused_by_name(tmp_path):
    p = tmp_path / "sos.lp"
    p.write_text("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\n s: S1:: x:1 y:2\nEnd\n")
    with pytest.raises(qb.FileFormatError, match=r"sos\.lp:5: SOS constraints \('S1::'\) are not supported"):
        qb.load(p)


# --------------------------------------------------------------------------- review faults (kinds)
def _fails_at(tmp_path, text, line, *words):
    p = write(tmp_path, text)
    with pytest.raises(qb.FileFormatError) as e:
        qb.load(p)
    msg = str(e.value)
    assert f"m.lp:{line}:" in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize(
    "text",
    [
        "Minimize\n z\nSubject To\n c1: z >= 2\nEnd\n",
        "Maximize\n profit\nSubject To\n c1: profit <= 2\nEnd\n",
        "Minimize\n x\nEnd\n",
    ],
)
def test_a_lone_word_before_a_section_is_the_objective(tmp_path, text):
    p = write(tmp_path, text)
    kinds, prob = flat(qb.load(p))
    mine = set(kinds)
    theirs, _ = dimod_vars(p)
    assert mine == set(theirs)


def test_a_lone_unknown_multiword_line_is_still_an_unknown_section(tmp_path):
    _fails_at(tmp_path, "Minimize\n obj: x\nSubjet To\n c: x >= 1\nEnd\n", 3, "unknown section")


def test_section_keywords_with_content_on_their_line(tmp_path):
    p = write(
        tmp_path,
        "Minimize\n obj: x + y + z\nSubject To c1: x + y + z >= 2\n c2: x <= 5\nGenerals x\nBinaries y z\nEnd\n",
    )
    kinds, prob = flat(qb.load(p))
    theirs, _ = dimod_vars(p)
    assert kinds == theirs
    assert kinds["x"][0] == "integer" and kinds["y"][0] == "binary"


def test_brackets_in_a_name_are_named(tmp_path):
    _fails_at(tmp_path, "Minimize\n obj: x\nSubject To\n c: x[1] >= 1\nEnd\n", 4, "brackets", "x[1]")


@pytest.mark.parametrize(
    "text, line",
    [
        ("Minimize\n obj: 1e999 x\nSubject To\n c: x >= 1\nEnd\n", 2),
        ("Minimize\n obj: x + [ 1e999 x ^ 2 ]\nSubject To\n c: x >= 1\nEnd\n", 2),
        ("Minimize\n obj: x\nSubject To\n c: x >= 1e999\nEnd\n", 4),
    ],
)
def test_a_number_that_overflows_is_refused_at_its_line(tmp_path, text, line):
    _fails_at(tmp_path, text, line, "1e999")


def test_an_infinite_right_hand_side_bounds_nothing(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x + y\nSubject To\n c: x <= inf\n d: y >= -infinity\n e: x + y >= 1\nEnd\n")
    with pytest.warns(LPWarning) as rec:
        m = qb.load(p)
    msgs = [str(w.message) for w in rec]
    assert any(f"{p}:4:" in s and "'c'" in s and "dropped" in s for s in msgs), msgs
    assert any(f"{p}:5:" in s and "'d'" in s for s in msgs), msgs
    prob = m.to_problem()
    assert sum(b.poly.rows for b in prob.constraints) == 1
    assert solve_min(m) == 1


@pytest.mark.parametrize(
    "text, line",
    [
        ("Minimize\n obj: x\nSubject To\n c: x = inf\nEnd\n", 4),
        ("Minimize\n obj: x\nSubject To\n c: x <= -inf\nEnd\n", 4),
        ("Minimize\n obj: x\nSubject To\n c: x >= 1\nBounds\n x >= inf\nEnd\n", 6),
        ("Minimize\n obj: x\nSubject To\n c: x >= 1\nBounds\n x <= -inf\nEnd\n", 6),
        ("Minimize\n obj: x\nSubject To\n c: x >= 1\nBounds\n x = -inf\nEnd\n", 6),
    ],
)
def test_infinite_values_that_leave_nothing_are_refused_at_their_line(tmp_path, text, line):
    _fails_at(tmp_path, text, line, "inf")


def test_a_file_without_variables_is_a_file_format_error(tmp_path):
    p = write(tmp_path, "Minimize\n obj: 3\nSubject To\nEnd\n")
    with pytest.raises(qb.FileFormatError, match="no variables") as e:
        qb.load(p)
    assert str(p) in str(e.value)


def test_the_negative_upper_bound_rule_is_applied_after_all_bounds(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n c: x >= -10\nBounds\n x <= -2\n x >= -5\nEnd\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = qb.load(p)
    assert flat(m)[0]["x"] == ("continuous", -5.0, -2.0)
    # a later non-negative upper bound: the rule does not decide anything, no warning
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n c: x >= -10\nBounds\n x <= -2\n x <= 3\nEnd\n", "n.lp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = qb.load(p)
    assert flat(m)[0]["x"] == ("continuous", 0.0, 3.0)
    # where it decides: warned, attributed to CPLEX only
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n c: x >= -10\nBounds\n x <= 3\n x <= -2\nEnd\n", "w.lp")
    with pytest.warns(LPWarning, match=r"w\.lp:7: .*CPLEX's rule") as rec:
        m = qb.load(p)
    assert "(CPLEX, HiGHS)" not in str(rec[0].message)
    assert flat(m)[0]["x"] == ("continuous", -math.inf, -2.0)


def test_text_after_a_right_hand_side_is_named(tmp_path):
    msg = _fails_at(tmp_path, "Minimize\n obj: x + y\nSubject To\n c1: x >= 7 y\nEnd\n", 4, "'y'", "c1")
    assert "R2" not in msg and "no relational operator" not in msg


def test_a_byte_order_mark_is_skipped(tmp_path):
    p = tmp_path / "m.lp"
    p.write_bytes(b"\xef\xbb\xbf\\ qbdsl model bommed\nMinimize\n obj: x\nSubject To\n c: x >= 1\nEnd\n")
    m = qb.load(p)
    assert solve_min(m) == 1


def test_duplicate_row_names_are_refused_at_the_second(tmp_path):
    _fails_at(
        tmp_path,
        "Minimize\n obj: x\nSubject To\n c: x >= 1\n d: x <= 4\n c: x >= 2\nEnd\n",
        6,
        "duplicate row name 'c'",
    )


def test_an_unnamed_row_does_not_take_a_later_explicit_name(tmp_path):
    p = write(tmp_path, "Minimize\n obj: x\nSubject To\n x >= 1\n R1: x <= 4\nEnd\n")
    prob = qb.load(p).to_problem()
    labels = [lab for b in prob.constraints for lab in (b.labels or [b.name])]
    assert "R1" in labels and len(set(labels)) == 2
