"""The QIP benchmark suite (qbdsl.problems.benchmarks) and its harness (qbdsl.qip.benchmark)."""

from __future__ import annotations

import csv
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.errors import FileFormatError, ModelError
from qbdsl.io.atomic import read_text
from qbdsl.problems import benchmarks as bm
from qbdsl.qip import benchmark as hb

ALL = bm.instances()


def _objective(model, X) -> np.ndarray:
    return model.to_problem().objective.evaluate(np.asarray(X, float)).ravel()


def _feasible(model, X) -> np.ndarray:
    """Whether each row of ``X`` (k, n) of 0/1 meets every constraint row of ``model`` (batched)."""
    prob = model.to_problem()
    ok = np.ones(len(X), bool)
    for block in prob.constraints:
        ok &= block.violation(np.asarray(X, float)).reshape(len(X), -1).max(axis=1) <= 0
    return ok


def _all_points(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), float)


# ------------------------------------------------------------------ the suite
def test_families_and_quick_subset():
    assert bm.families() == [
        "tiny",
        "bqp",
        "gset",
        "qplib",
        "miplib",
        "qoblib",
        "kpath",
        "constrained",
        "randqubo",
        "ran",
        "maxcut",
        "linksched",
        "misqubo",
        "ctrlplace",
        "bisection",
        "chanassign",
        "vnfplace",
    ]
    quick = bm.instances(quick=True)
    per = {f: [b for b in quick if b.family == f] for f in bm.FAMILIES}
    assert all(1 <= len(v) <= 2 for v in per.values()), per
    assert len({b.name for b in ALL}) == len(ALL)
    # the families of the eighth split have no dev instance (held out from every fit)
    assert {b.family for b in ALL} == set(bm.FAMILIES) == set(bm.families()) - set(bm.HELD_OUT_FAMILIES)
    assert bm.instances("linksched") == [] and len(bm.instances("linksched", split="test8")) == 7
    assert [b.name for b in bm.instances("gset")] == ["G1", "G14", "G22", "G70"]
    with pytest.raises(ModelError, match="unknown benchmark family 'bqp2500'.*known: tiny"):
        bm.instances("bqp2500")


@pytest.mark.parametrize("inst", ALL, ids=[b.name for b in ALL])
def test_every_instance_reads_with_its_declared_size_and_sense(inst):
    obj = inst.build()
    n = obj.n if isinstance(obj, qb.QuboIR) else obj.to_problem().n
    if inst.size is not None:
        assert n == inst.size
    sense = obj.source.sense if isinstance(obj, qb.QuboIR) else obj.sense
    assert sense == inst.sense
    assert inst.sense == ("max" if inst.family in ("bqp", "gset", "qplib", "constrained", "ran", "maxcut") else "min")
    assert (inst.best_known is None) == (inst.family in ("kpath", "constrained", "randqubo", "ran", "maxcut"))
    assert inst.best_known_source


def test_bqp_file_counts_match_the_headers():
    for n, i, j, v in bm._bqp_file(str(bm.DATA / "bqp" / "bqp500.txt.xz")):
        assert n == 500 and len(i) == len(j) == len(v) > 0
        assert i.min() >= 0 and max(i.max(), j.max()) < 500
    text = read_text(bm.DATA / "bqp" / "bqp500.txt.xz").splitlines()
    assert text[0].split() == ["10"] and text[1].split() == ["500", "12421"]
    assert len(bm._bqp_file(str(bm.DATA / "bqp" / "bqp500.txt.xz"))[0][1]) == 12421


TINY_BQP = """ 2
 3 4
 1 1 5
 1 2 -4
 2 3 3
 3 3 -1
 2 1
 2 2 -7
"""


def test_bqp_is_beasleys_maximization_of_x_q_x(tmp_path):
    """Beasley: maximize sum_ij q_ij x_i x_j with q symmetric; checked by brute force."""
    probs = bm.read_bqp(TINY_BQP, "tiny.txt")
    assert [p[0] for p in probs] == [3, 2]
    n, i, j, v = probs[0]
    Q = np.zeros((n, n))
    Q[i, j] = v
    Q[j, i] = v
    X = _all_points(n)
    direct = np.einsum("ki,ij,kj->k", X, Q, X)
    m = bm.bqp_model("tiny", n, i, j, v)
    assert m.sense == "max"
    np.testing.assert_allclose(_objective(m, X), direct)
    r = qb.solve(m, backend="exact")
    assert r.objective == direct.max() == 5.0  # x = (1, 0, 0) or (0, 1, 1); (1, 1, 1) gives 5 - 8 + 6 - 1
    assert direct.min() < 0  # a minimizing reading would give another answer


def test_bqp500_1_reaches_its_best_known_value_and_never_beats_it():
    inst = next(b for b in ALL if b.name == "bqp500.1")
    r = qb.solve(inst.build(), backend="tabu", time_limit=3, seed=1, num_reads=4)
    assert r.feasible and 0.99 * inst.best_known <= r.objective <= inst.best_known


@given(
    st.integers(2, 7).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(1, n), st.integers(1, n), st.sampled_from([-1, 1, 2])), min_size=1, max_size=12
            ),
        )
    )
)
def test_maxcut_model_is_the_cut_weight(case):
    n, edges = case
    edges = [(a, b, w) for a, b, w in edges if a != b]
    total: dict = {}
    for a, b, w in edges:
        total[min(a, b), max(a, b)] = total.get((min(a, b), max(a, b)), 0) + w
    assume(any(total.values()))  # all weights cancelling is an empty model, which qbdsl refuses
    text = f"{n} {len(edges)}\n" + "".join(f"{a} {b} {w}\n" for a, b, w in edges)
    n2, i, j, w = bm.read_rudy(text, "g.txt")
    assert n2 == n and len(i) == len(edges)
    m = bm.maxcut_model("g", n, i, j, w)
    X = _all_points(n)
    cut = (X[:, i] != X[:, j]).astype(float) @ w
    np.testing.assert_allclose(_objective(m, X), cut)
    assert m.sense == "max"


def test_gset_headers_match_the_models():
    for g, nodes, edges in (("G14", 800, 4694), ("G1", 800, 19176)):
        path = bm.DATA / "gset" / f"{g}.txt.xz"
        n, i, j, w = bm.read_rudy(read_text(path), str(path))
        assert (n, len(i)) == (nodes, edges)
        assert set(np.unique(w)) <= {-1.0, 1.0}


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("", "b.txt", "empty file"),
        ("x\n", "b.txt:1", "number of problems"),
        (" 1\n 3 2\n 1 2 5\n", "b.txt:3", "expected 2 'i j value' lines, the file ends after 1"),
        (" 1\n 3 1\n 1 4 5\n", "b.txt:3", r"variable index 4 is outside 1..3"),
        (" 1\n 3 1\n 1 2 five\n", "b.txt:3", "not a number"),
        (" 1\n 3 1\n 1 2\n", "b.txt:3", "expected 'i j value'"),
        (" 2\n 3 1\n 1 2 5\n", "b.txt:3", "expected 2 problems, found 1"),
    ],
)
def test_bqp_reader_names_file_and_line(text, where, what):
    with pytest.raises(FileFormatError, match=f"^{where}: .*{what}"):
        bm.read_bqp(text, "b.txt")


# ------------------------------------------------------------------ QPLIB
QPLIB_TEXT = """TINY ! a comment
QBN
maximize
3 # number of variables
2 # number of quadratic terms in objective
2 1 4.0
3 3 -2.0
1.5 # default value for linear coefficients in objective
1 # number of non-default linear coefficients in objective
2 -1.0
0.25 # objective constant

1.0E+30 # value for infinity
0.0 # default variable primal value in starting point
1 # number of non-default variable primal values in starting point
3 1.0
0.0 # default variable bound dual value in starting point
0 # number of non-default variable bound dual values in starting point
1 # number of non-default variable names
2 y
0 # number of non-default constraint names
"""


def test_qplib_reader_follows_the_format_and_the_half_xqx_convention():
    p = bm.read_qplib(QPLIB_TEXT, "t.qplib")
    assert (p.name, p.type_code, p.sense, p.n, p.constant) == ("TINY", "QBN", "max", 3, 0.25)
    assert p.i.tolist() == [1, 2] and p.j.tolist() == [0, 2] and p.v.tolist() == [4.0, -2.0]
    assert p.b.tolist() == [1.5, -1.0, 1.5]
    m = bm.qplib_model("tiny", p)
    assert m.sense == "max"
    X = _all_points(3)
    # 0.5 x'Qx with Q lower triangular: 0.5 * 4 x2 x1 + 0.5 * (-2) x3^2; then b'x + c
    direct = 2.0 * X[:, 1] * X[:, 0] - 1.0 * X[:, 2] + X @ np.array([1.5, -1.0, 1.5]) + 0.25
    np.testing.assert_allclose(_objective(m, X), direct)


@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(1, n), st.integers(1, n), st.integers(-9, 9)), min_size=0, max_size=10),
            st.lists(st.integers(-5, 5), min_size=n, max_size=n),
            st.integers(-3, 3),
            st.sampled_from(["minimize", "maximize"]),
        )
    )
)
def test_qplib_model_is_half_xqx_plus_bx_plus_c(case):
    """Any small QPLIB text: the model's objective is 0.5 x'Qx + b'x + c with Q as listed."""
    n, entries, b, c = case[:4]
    entries = [(max(a, k), min(a, k), v) for a, k, v in entries]  # the lower triangle
    Q = np.zeros((n, n))
    for a, k, v in entries:
        Q[a - 1, k - 1] += v
    # an objective of a constant only is an empty model, which qbdsl refuses
    assume(np.any(np.tril(Q, -1)) or np.any(0.5 * np.diag(Q) + np.array(b)))
    text = (
        f"p\nQBB\n{case[4]}\n{n}\n{len(entries)}\n"
        + "".join(f"{a} {k} {v}\n" for a, k, v in entries)
        + f"0\n{n}\n"
        + "".join(f"{k + 1} {w}\n" for k, w in enumerate(b))
        + f"{c}\n1e30\n0\n0\n0\n0\n0\n0\n"
    )
    m = bm.qplib_model("p", bm.read_qplib(text, "p.qplib"))
    X = _all_points(n)
    direct = 0.5 * np.einsum("ki,ij,kj->k", X, Q, X) + X @ np.array(b, float) + c
    np.testing.assert_allclose(_objective(m, X), direct)
    assert m.sense == ("max" if case[4] == "maximize" else "min")


def _qplib_broken(old: str, new: str) -> str:
    assert old in QPLIB_TEXT
    return QPLIB_TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("", "t.qplib:1", "expected the problem name, the file ends"),
        (_qplib_broken("QBN", "QBL"), "t.qplib:2", "problem type 'QBL' has constraints"),
        (_qplib_broken("QBN", "QCN"), "t.qplib:2", "problem type 'QCN' has non-binary variables"),
        (_qplib_broken("QBN", "QMB"), "t.qplib:2", "problem type 'QMB' has non-binary variables"),
        (_qplib_broken("QBN", "XYZ"), "t.qplib:2", "unknown problem type 'XYZ'"),
        (_qplib_broken("maximize", "maximise"), "t.qplib:3", "expected 'minimize' or 'maximize', got 'maximise'"),
        (_qplib_broken("3 # number of variables", "three"), "t.qplib:4", "number of variables .*got 'three'"),
        (
            _qplib_broken("2 # number of quadratic", "3 # number of quadratic"),
            "t.qplib:8",
            "expected 'i j value', got '1.5'",
        ),
        (
            _qplib_broken("2 # number of quadratic", "1 # number of quadratic"),
            "t.qplib:7",
            "default linear coefficient alone on its line, got '3 3 -2.0'",
        ),
        (_qplib_broken("2 1 4.0", "2 1 four"), "t.qplib:6", "not a number in '2 1 four'"),
        (_qplib_broken("2 1 4.0", "4 1 4.0"), "t.qplib:6", "variable index 4 is outside 1..3"),
        (_qplib_broken("2 1 4.0", "1 2 4.0"), "t.qplib:6", r"entry \(1, 2\) is above the diagonal"),
        (_qplib_broken("2 -1.0", "0 -1.0"), "t.qplib:10", "variable index 0 is outside 1..3"),
        (_qplib_broken("0.25 #", "x #"), "t.qplib:11", "objective constant \\(a number\\), got 'x'"),
        (_qplib_broken("3 1.0", "5 1.0"), "t.qplib:16", "variable index 5 is outside 1..3"),
        (_qplib_broken("2 y", "y"), "t.qplib:20", "expected 'index name'"),
        (QPLIB_TEXT.rsplit("0 #", 1)[0], "t.qplib:20", "non-default constraint names, the file ends"),
        (QPLIB_TEXT + "7\n", "t.qplib:22", "unexpected content after the last section: '7'"),
    ],
)
def test_qplib_reader_names_file_and_line(text, where, what):
    with pytest.raises(FileFormatError, match=f"^{where}: .*{what}"):
        bm.read_qplib(text, "t.qplib")


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("b2 1\n", "s.sol:1", "expected 'objvar value'"),
        ("objvar x\n", "s.sol:1", "expected 'objvar value'"),
        ("objvar 1\nx3 1\n", "s.sol:2", "expected 'b<k> value', got 'x3 1'"),
        ("objvar 1\nb2 1\nb1 1\n", "s.sol:3", "variable b1 is outside b2..b4"),
        ("objvar 1\nb5 1\n", "s.sol:2", "variable b5 is outside b2..b4"),
        ("objvar 1\nb2 0.5\n", "s.sol:2", "value 0.5 of a binary is not 0 or 1"),
        ("objvar 1\nb2 one\n", "s.sol:2", "not a number in 'b2 one'"),
        ("objvar 1\nb3 1\nb2 1\nb3 1\n", "s.sol:4", "variable b3 is listed twice"),
    ],
)
def test_qplib_solution_reader_names_file_and_line(text, where, what):
    with pytest.raises(FileFormatError, match=f"^{where}: .*{what}"):
        bm.read_qplib_solution(text, 3, "s.sol")


def test_qplib_solution_names_are_gams_columns_after_objvar():
    objvar, x = bm.read_qplib_solution("objvar  7.5\nb2   1.000\n\nb4 1\n", 3, "s.sol")
    assert objvar == 7.5 and x.tolist() == [1.0, 0.0, 1.0]


QPLIB_ALL = bm._list_qplib(every_file=True)


def test_qplib_family_lists_every_vendored_instance_but_the_duplicate_of_another_family():
    assert [b.name for b in QPLIB_ALL] == list(bm.QPLIB) and len(QPLIB_ALL) == 23
    suite = [b.name for b in bm.instances("qplib")]
    assert suite == [n for n in bm.QPLIB if n != "QPLIB_5922"] and bm.QPLIB_DUPLICATES == {"QPLIB_5922": "bqp500.2"}
    files = sorted(p.name for p in (bm.DATA / "qplib").glob("QPLIB_*.qs.xz"))
    assert files == sorted([f"{b}.qs.xz" for b in bm.QPLIB] + [f"{b}_answer.qs.xz" for b in bm.QPLIB])
    assert [b.name for b in bm.instances("qplib", quick=True)] == ["QPLIB_5881"]
    assert all(b.family == "qplib" and b.sense == "max" for b in QPLIB_ALL)
    assert {b.size for b in QPLIB_ALL} >= {120, 1225}


@pytest.mark.parametrize("inst", QPLIB_ALL, ids=[b.name for b in QPLIB_ALL])
def test_qplib_published_solution_reaches_its_objvar(inst):
    objvar, x = bm.qplib_solution(inst.name)
    assert inst.best_known == objvar
    m = inst.build()
    assert m.to_problem().n == inst.size == len(x)
    value = float(_objective(m, x[None, :])[0])
    assert value == pytest.approx(objvar, rel=1e-6, abs=1e-9)
    assert 0 < x.sum() < len(x)  # a real point, not all-zero or all-one


def test_qplib_model_agrees_with_a_dimod_bqm_built_from_the_file():
    """QPLIB_5881 read independently into dimod: energies agree on random points."""
    dimod = pytest.importorskip("dimod")
    path = bm.DATA / "qplib" / "QPLIB_5881.qs.xz"
    lines = [ln.split("#")[0].split() for ln in read_text(path).splitlines()]
    n, m = int(lines[3][0]), int(lines[4][0])
    quad = lines[5 : 5 + m]
    default, k = float(lines[5 + m][0]), int(lines[6 + m][0])
    linear = {v: default for v in range(n)}
    for j, val in lines[7 + m : 7 + m + k]:
        linear[int(j) - 1] = float(val)
    bqm = dimod.BinaryQuadraticModel(linear, {}, float(lines[7 + m + k][0]), dimod.BINARY)
    for i, j, val in quad:
        a, c = int(i) - 1, int(j) - 1
        if a == c:
            bqm.add_linear(a, 0.5 * float(val))
        else:
            bqm.add_quadratic(a, c, 0.5 * float(val))
    X = np.random.default_rng(3).integers(0, 2, (50, n)).astype(float)
    ours = _objective(bm.instances("qplib", quick=True)[0].build(), X)
    theirs = bqm.energies((X.astype(np.int8), list(range(n))))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    objvar, x = bm.qplib_solution("QPLIB_5881")
    assert bqm.energy((x.astype(np.int8), list(range(n)))) == objvar


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("3\n", "g.txt:1", "'nodes edges'"),
        ("3 1\n2 2 1\n", "g.txt:2", "self-loop on node 2"),
        ("3 2\n1 2 1\n0 3 1\n", "g.txt:3", "variable index 0 is outside 1..3"),
    ],
)
def test_rudy_reader_names_file_and_line(text, where, what):
    with pytest.raises(FileFormatError, match=f"^{where}: .*{what}"):
        bm.read_rudy(text, "g.txt")


def test_solu_reader():
    assert bm.read_solu("=opt= a 1.5\n=inf= b\n=best= c 3\n", "s") == {"a": 1.5}
    with pytest.raises(FileFormatError, match=r"^s:2: expected '=opt= name value'"):
        bm.read_solu("=opt= a 1\n=opt= b x\n", "s")


@pytest.mark.parametrize("name", ["flugpl", "egout", "lseu"])
def test_miplib_instance_solved_by_ortools_through_qbdsl_equals_its_solu_value(name):
    inst = next(b for b in ALL if b.name == name)
    r = qb.solve(inst.build(), backend="ortools", time_limit=60, seed=0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(inst.best_known, rel=1e-7)


def test_miplib_sizes_match_the_mps_comment_headers():
    for inst in bm.instances("miplib"):
        assert inst.size == bm.miplib_header_columns(inst.name)
    assert bm.miplib_header_columns("stein27") == 27


def test_tiny_optimum_is_the_exact_backends():
    for inst in bm.instances("tiny"):
        r = qb.solve(inst.build(), backend="exact")
        assert r.objective == inst.best_known


def test_brute_force_refuses_too_many_variables():
    with pytest.raises(ModelError, match="at most 22 variables, got 23"):
        bm.brute_force_minimum(np.zeros(23), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    for i, j in ((-1, 0), (0, 3)):
        with pytest.raises(ModelError, match="index lies outside 0..2"):
            bm.brute_force_minimum(np.zeros(3), np.array([i]), np.array([j]), np.ones(1))


@given(
    n=st.integers(0, 9),
    pairs=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(-6, 6)), max_size=20),
    fields=st.lists(st.integers(-6, 6), min_size=9, max_size=9),
)
def test_brute_force_equals_enumeration_with_repeated_and_diagonal_pairs(n, pairs, fields):
    """The split-in-halves enumeration against a plain loop over every assignment; pairs may
    repeat, come in either order, or sit on the diagonal (x_i x_i = x_i)."""
    pairs = [(i % max(n, 1), j % max(n, 1), w) for i, j, w in pairs] if n else []
    h = np.array(fields[:n], float)
    i = np.array([p[0] for p in pairs], np.int64)
    j = np.array([p[1] for p in pairs], np.int64)
    v = np.array([p[2] for p in pairs], float)
    want = min(
        float(np.dot(h, x) + sum(w * x[a] * x[b] for a, b, w in pairs)) for x in itertools.product([0.0, 1.0], repeat=n)
    )
    assert bm.brute_force_minimum(h, i, j, v, 2.5) == pytest.approx(want + 2.5, abs=1e-9)


# ------------------------------------------------------------------ the harness
def _run(inst, d, b, obj, feas=True, secs=0.1, sense="min", known=math.nan, fam="f"):
    return hb.Run(fam, inst, d, b, secs, obj, feas, "feasible", known, sense=sense)


def test_quality_formula():
    assert hb.quality(10.0, True, 0.1, 1.0, 8.0) == pytest.approx(1 - 2 / 8)
    assert hb.quality(0.5, True, 0.1, 1.0, 0.0) == pytest.approx(0.5)  # max(1, |best|) below 1
    assert hb.quality(30.0, True, 0.1, 1.0, 8.0) == 0.0  # clipped at 0
    assert hb.quality(8.0, False, 0.1, 1.0, 8.0) == 0.0
    assert hb.quality(8.0, True, 1.05, 1.0, 8.0) == 1.0  # within the 5 % slack
    assert hb.quality(8.0, True, 1.06, 1.0, 8.0) == 0.0  # late: the solve's grace does not count
    assert hb.quality(8.0, True, 0.1, 1.0, math.nan) == 0.0


def test_score_uses_the_better_of_published_and_found_in_the_instances_sense():
    runs = [
        _run("a", 1.0, "x", 90.0, sense="max", known=100.0),
        _run("a", 1.0, "y", 80.0, sense="max", known=100.0),
        _run("a", 5.0, "y", 120.0, sense="max", known=100.0, secs=9.0),  # late, but a better value
        _run("b", 1.0, "x", 5.0, known=4.0),
        _run("b", 1.0, "y", 3.0, feas=False, known=4.0),  # infeasible: not a best
        _run("c", 1.0, "x", 7.0),
        _run("c", 1.0, "y", math.nan, feas=False),
    ]
    for r in runs[:5]:
        r.best_source = "paper"
    hb.score(runs)
    assert [r.best for r in runs] == [120.0] * 3 + [4.0] * 2 + [7.0] * 2
    assert [r.best_source for r in runs] == ["best found"] * 3 + ["paper"] * 2 + ["best found"] * 2
    q = [r.quality for r in runs]
    assert q == pytest.approx([1 - 30 / 120, 1 - 40 / 120, 0.0, 0.75, 0.0, 1.0, 0.0])


def test_oracle_table_picks_the_best_quality_then_the_fastest():
    runs = [
        _run("i1", 1.0, "exact", 1.0, secs=0.5),
        _run("i1", 1.0, "tabu", 1.0, secs=0.2),
        _run("i2", 1.0, "exact", 2.0, secs=0.1),
        _run("i2", 1.0, "tabu", 1.0, secs=0.9),
        _run("i3", 1.0, "exact", 1.0, feas=False),
        _run("i3", 1.0, "tabu", 1.0, feas=False),
    ]
    hb.score(runs)
    table = hb.oracle_table(runs)
    assert [(r["family"], r["deadline"]) for r in table] == [("f", 1.0), ("all", 1.0)]
    row = table[0]
    assert row["picks"] == {"tabu": 2, "none": 1}
    assert row["oracle_quality"] == pytest.approx(2 / 3)
    # i2 is a minimization whose best is tabu's 1.0: exact's 2.0 is 100 % off, quality 0
    assert row["always"] == pytest.approx({"exact": 1 / 3, "tabu": 2 / 3})
    assert row["always_seconds"] == pytest.approx({"exact": (0.5 + 0.1 + 0.1) / 3, "tabu": (0.2 + 0.9 + 0.1) / 3})
    assert "| f | 1 | 3 | tabu 2, none 1 | 0.667 | 0.333 | 0.667 |" in hb.format_table(table)


TWO = [b for b in bm.instances("tiny") if b.name in ("tiny-6-1", "tiny-10-1")]


def test_measure_schema_resume_and_outputs(tmp_path, monkeypatch):
    out = tmp_path / "runs.csv"
    calls = []
    real = hb._solve

    def counting(obj, backend, deadline, seed):
        calls.append((backend, deadline))
        return real(obj, backend, deadline, seed)

    monkeypatch.setattr(hb, "_solve", counting)
    ticks = []
    runs = hb.measure(TWO, [0.5, 1.0], ["exact", "anneal"], progress=lambda *a: ticks.append(a), out=out)
    assert len(runs) == len(calls) == 8 and ticks[-1][:2] == (8, 8)
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:10] == ["family", "instance", "deadline", "backend", "seconds", "objective", "feasible",
                                  "status", "best_known", "quality"]  # fmt: skip
    assert list(rows[0]) == hb.COLUMNS
    assert {(r["instance"], float(r["deadline"]), r["backend"]) for r in rows} == {
        (i.name, d, b) for i in TWO for d in (0.5, 1.0) for b in ("exact", "anneal")
    }
    for r in rows:
        assert r["family"] == "tiny" and r["f_n_binary"] in ("6", "10") and r["f_qubo_ok"] == "True"
        assert float(r["best"]) == float(r["best_known"])  # the exact optimum: nothing beats it
        if r["backend"] == "exact":
            assert r["status"] == "optimal" and float(r["quality"]) == 1.0
        assert 0.0 <= float(r["quality"]) <= 1.0
    for r in rows:  # these instances are QUBOs already: nothing to lower
        assert float(r["lower_seconds"]) == 0.0 <= float(r["feature_seconds"])
    # resume: nothing left to do
    again = hb.measure(TWO, [0.5, 1.0], ["exact", "anneal"], out=out)
    assert len(calls) == 8 and [r.key for r in again] == [r.key for r in runs]
    # a run killed while appending: the complete rows stay, the cut one is done again
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:6]) + lines[6][:15])
    hb.measure(TWO, [0.5, 1.0], ["exact", "anneal"], out=out)
    assert len(calls) == 8 + 3  # 5 complete rows kept
    assert len(hb.read_runs(out)) == 8
    # a new deadline adds only its runs
    more = hb.measure(TWO, [0.5, 1.0, 2.0], ["exact"], out=out)
    assert len(calls) == 11 + 2 and len(more) == 10
    paths = hb.write_outputs(more, hb.oracle_table(more), tmp_path / "o")
    assert [p.name for p in paths] == ["bench-runs.csv", "bench-oracle.csv", "bench-oracle.md", "bench-oracle.png"]
    assert paths[3].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| tiny | 2 | 2 | exact 2 | 1.000 |" in paths[2].read_text()


def test_measure_resumes_a_file_written_before_lower_seconds(tmp_path):
    """A runs file from before the column is resumed: its rows read with lower_seconds NaN, runs
    appended while the measurement goes on are written in its columns (a file cut short then
    stays readable), and the final rewrite puts it in today's columns."""
    out = tmp_path / "old.csv"
    knap = [b for b in bm.instances("constrained") if b.name == "knapsack-20-1"]  # a Model: lowered
    hb.measure(knap, [0.5], ["ortools"], out=out)
    old_columns = [c for c in hb.COLUMNS if c != "lower_seconds"]
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=old_columns, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    runs = hb.measure(knap, [0.5, 1.0], ["ortools"], out=out)
    assert len(runs) == 2 and math.isnan(runs[0].lower_seconds)
    assert 0.0 < runs[1].lower_seconds <= runs[1].feature_seconds
    with open(out, newline="") as fh:
        back = list(csv.reader(fh))
    # rewritten at the end in today's columns, the old row's lower_seconds NaN
    assert back[0] == hb.COLUMNS and all(len(r) == len(hb.COLUMNS) for r in back)
    assert [math.isnan(r.lower_seconds) for r in hb.read_runs(out)] == [True, False]
    # a run appended before that rewrite goes in the file's own columns
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(",".join(old_columns) + "\n")
    hb._append(legacy, [runs[1]])
    with open(legacy, newline="") as fh:
        assert [len(r) for r in csv.reader(fh)] == [len(old_columns)] * 2


def test_measure_records_a_backend_that_raises(tmp_path):
    inst = next(b for b in bm.instances("miplib") if b.name == "flugpl")
    (run,) = hb.measure([inst], [1.0], ["anneal"], out=tmp_path / "r.csv")
    assert run.status.startswith("error: UnsupportedTermError: continuous variable")
    assert not run.feasible and math.isnan(run.objective) and run.quality == 0.0
    assert run.features["qubo_ok"] is False and run.features["n_continuous"] == 7


def test_measure_refuses_bad_arguments(tmp_path):
    with pytest.raises(ModelError, match="deadlines must be positive"):
        hb.measure(TWO, [0.0], ["exact"])
    with pytest.raises(ModelError, match="at least one backend"):
        hb.measure(TWO, [1.0], [])
    with pytest.raises(ModelError, match="share the name 'tiny-6-1'"):
        hb.measure(TWO[:1] * 2, [1.0], ["exact"])
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(FileFormatError, match=r"x.csv:1: not a benchmark runs file: no column family"):
        hb.measure(TWO, [1.0], ["exact"], out=bad)


# ------------------------------------------------------------------ backend variants
def test_variant_names_map_to_their_backend_and_options():
    assert hb.solve_options("anneal+tuned") == ("anneal", {"penalty_search": True, "repair": True})
    name, opts = hb.solve_options("anneal")
    assert name == "anneal" and opts == {"num_reads": 100}  # the default work, as before
    opts["num_reads"] = 1  # a fresh dict: the table is not changed through it
    assert hb.solve_options("anneal") == ("anneal", {"num_reads": 100})
    assert hb.solve_options("ortools") == ("ortools", {})
    with pytest.raises(ModelError, match="unknown backend variant 'anneal\\+magic'; known: anneal\\+tuned"):
        hb.solve_options("anneal+magic")
    with pytest.raises(ModelError, match="unknown backend variant 'tabu\\+x'"):
        hb.measure(bm.instances("constrained")[:1], [1.0], ["tabu+x"])


def test_the_harness_measures_a_variant_like_a_backend(tmp_path):
    """anneal+tuned on a constrained knapsack: rows under the variant's name, scored against the
    best any run found (OR-Tools' optimum here), and its answer is a feasible point."""
    (knap,) = [b for b in bm.instances("constrained") if b.name == "knapsack-20-1"]
    out = tmp_path / "runs.csv"
    runs = hb.measure([knap], [2.0], ["ortools", "anneal+tuned"], out=out)
    by = {r.backend: r for r in runs}
    assert set(by) == {"ortools", "anneal+tuned"}
    assert by["ortools"].status == "optimal" and by["ortools"].quality == 1.0
    tuned = by["anneal+tuned"]
    assert tuned.best == by["ortools"].objective and tuned.best_source == "best found"
    # scored 0 only when late: inside a full test run the tuned annealer once answered at 2.25 s on
    # this 2 s limit (within qb.solve's grace, past the harness's 5 % slack)
    late = tuned.seconds > 2.0 * 1.05
    assert tuned.feasible and (0.0 < tuned.quality <= 1.0 or (late and tuned.quality == 0.0)), tuned
    assert tuned.objective <= by["ortools"].objective  # a maximization: never above the optimum
    back = {r.backend for r in hb.read_runs(out)}
    assert back == {"ortools", "anneal+tuned"}


def test_knapsack_is_a_capacity_constrained_maximization():
    m = bm.knapsack(12, 3)
    p = m.to_problem()
    assert m.sense == "max" and p.n == 12
    r = qb.solve(m, backend="ortools")
    x = np.asarray(r.sample, float)[:12]
    assert r.feasible and np.all(np.isin(x, (0.0, 1.0)))
    assert r.objective == pytest.approx(float(_objective(m, x[None, :])[0]))


def test_random_graph_is_simple_and_its_maxcut_model_is_the_cut_weight():
    i, j = bm.random_graph(300, degree=4, seed=2)
    assert len(i) == 600 and np.all(i < j) and len(set(zip(i.tolist(), j.tolist(), strict=True))) == 600
    assert np.array_equal(bm.random_graph(300, degree=4, seed=2)[0], i)  # fixed by its seed
    m = bm.maxcut_model("g", 300, i, j, np.ones(len(i)))
    x = np.random.default_rng(0).integers(0, 2, (5, 300)).astype(float)
    cut = (x[:, i] != x[:, j]).sum(axis=1)
    assert np.allclose(_objective(m, x), cut)


@pytest.mark.parametrize("n, seed", [(9, 3), (12, 4), (14, 5)])
def test_link_scheduling_and_its_penalty_qubo_have_the_brute_force_optimum(n, seed):
    """Both formulations of a scheduling slot reach the maximum-weight independent set of its
    conflict graph: the constrained model over its feasible points, the penalty QUBO over all."""
    i, j = bm.conflict_graph(n, seed)
    w = bm.queue_lengths(n, seed)
    X = _all_points(n)
    independent = ~((X[:, i] * X[:, j]) > 0).any(axis=1)
    best = (X[independent] @ w).max()
    model = bm.link_scheduling(n, seed)
    assert model.to_problem().n == n
    feasible = _feasible(model, X)
    assert (feasible[:64] == [not model.to_problem().violations(x) for x in X[:64]]).all()  # as the decode reads it
    assert (feasible == independent).all()
    assert _objective(model, X[feasible]).max() == pytest.approx(best)
    q = bm.mis_qubo(n, seed)
    values = _objective(q, X)
    assert values.max() == pytest.approx(best)
    assert independent[np.argmax(values)]  # a penalised pair never pays


def test_conflict_graph_has_its_mean_degree_and_no_repeated_edge():
    i, j = bm.conflict_graph(4000, 2)
    assert (i < j).all() and len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(i)
    assert 2 * len(i) / 4000 == pytest.approx(bm.LINKSCHED_DEGREE, rel=0.1)


def test_controller_placement_and_bisection_have_the_brute_force_optimum():
    """The ninth split's two families against enumeration on small sizes: p-median over all
    (placement, assignment) points, and the balanced cut over all halvings."""
    import itertools as it

    n = 3  # 12 binaries
    model = bm.controller_placement(n, 9)
    prob = model.to_problem()
    X = _all_points(prob.n)
    feasible = _feasible(model, X)
    rng = np.random.default_rng(6151 * 9 + n)
    pts = rng.random((n, 2))
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    # the optimum by hand: choose p = 2 sites, each switch to its nearest
    best = min(dist[:, list(c)].min(axis=1).sum() for c in it.combinations(range(n), 2))
    assert feasible.sum() > 0 and _objective(model, X[feasible]).min() == pytest.approx(best)
    i, j = bm.conflict_graph(10, 5)
    model = bm.bisection(10, 5)
    X = _all_points(10)
    halves = X.sum(axis=1) == 5
    cut = (X[:, i] != X[:, j]).sum(axis=1)
    feasible = _feasible(model, X)
    assert (feasible == halves).all()
    assert _objective(model, X[halves]).min() == pytest.approx(cut[halves].min())


def test_channel_assignment_and_vnf_placement_have_the_brute_force_optimum():
    """The tenth split's two families against enumeration on small sizes: every channel choice of
    four access points (one-hot rows, the interference cost by hand), and every placement of four
    VNFs on two servers (the capacity rows by hand)."""
    n, seed = 4, 8
    model = bm.channel_assignment(n, seed)
    X = _all_points(n * bm.CHANNELS)
    i, j = bm.conflict_graph(n, seed)
    load = np.random.default_rng(3571 * seed + n).integers(1, 6, n).astype(float)
    C = X.reshape(len(X), n, bm.CHANNELS)
    one_hot = (C.sum(axis=2) == 1).all(axis=1)
    cost = ((C[:, i] * C[:, j]).sum(axis=2) * (load[i] * load[j])).sum(axis=1)
    assert (_feasible(model, X) == one_hot).all()
    assert np.allclose(_objective(model, X[one_hot]), cost[one_hot])
    assert len(i) > 0 and cost[one_hot].min() < cost[one_hot].max()  # the choice matters

    v, k, seed = 4, 2, 3
    model = bm.vnf_placement(v, k, seed)
    X = _all_points(v * k)
    rng = np.random.default_rng(2749 * seed + 31 * v + k)
    demand = rng.integers(1, 9, v).astype(float)
    cap = max(float(np.ceil(1.3 * demand.sum() / k)), float(demand.max()))
    latency = rng.integers(1, 21, (v, k)).astype(float)
    P = X.reshape(len(X), v, k)
    ok = (P.sum(axis=2) == 1).all(axis=1) & ((demand[:, None] * P).sum(axis=1) <= cap).all(axis=1)
    assert ok.any() and (_feasible(model, X) == ok).all()
    assert _objective(model, X[ok]).min() == pytest.approx((latency * P[ok]).sum(axis=(1, 2)).min())
    cheapest = np.zeros((v, k))
    cheapest[np.arange(v), latency.argmin(axis=1)] = 1
    assert ((demand[:, None] * cheapest).sum(axis=0) > cap).any()  # the capacity binds here


def test_every_vnf_placement_of_the_tenth_split_builds():
    """Each placement of the split has a feasible point (the generator's first-fit check passed)."""
    for v, k, seed in bm.TEST10_VNFPLACE:
        assert bm.vnf_placement(v, k, seed).to_problem().n == v * k
