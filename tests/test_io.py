"""File formats: bit-for-bit round trips, malformed input with line numbers, atomic writes."""

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import qbdsl as qb
from qbdsl.testing import domain_points

from .strategies import small_models

DATA = Path(__file__).resolve().parent.parent / "problems" / "data" / "qoblib"


def mixed_model():
    m = qb.Model("mixed")
    x = m.binary("x", (2, 3))
    p = m.integer("p", 2, lb=-2, ub=6)
    f = m.continuous("f", 2, lb=-1.5, ub=None)
    g = m.continuous("g", lb=-np.inf, ub=np.inf)
    m.add(x.sum(axis=1) == 1, name="place-once")
    m.add(p.sum() - 0.25 * f.sum() <= 7.5, name="cap")
    m.add(f[0] + g >= -3, name="lo")
    m.maximize((np.arange(6.0).reshape(2, 3) * x).sum() + 1.5 * p[0] * x[0, 0] - 0.1 * f.sum() + 2)
    return m


@pytest.mark.parametrize("ext", [".lp", ".mps", ".lp.gz", ".mps.xz"])
def test_milp_files_round_trip_bit_for_bit(tmp_path, ext):
    lp = qb.compile(mixed_model(), "milp")
    a, b = tmp_path / f"a{ext}", tmp_path / f"b{ext}"
    lp.save(a)
    m2 = qb.load(a)
    lp2 = qb.compile(m2, "milp")
    lp2.save(b)
    from qbdsl.io.atomic import read_bytes

    assert read_bytes(a) == read_bytes(b)
    # and the model means the same: same objective and feasibility on random points
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 8, (200, lp.num_variables))
    X[:, lp.integrality] = np.rint(X[:, lp.integrality])
    np.testing.assert_allclose(X @ lp2.c + lp2.offset, X @ lp.c + lp.offset)
    np.testing.assert_array_equal([lp2.row_violation(x) for x in X], [lp.row_violation(x) for x in X])
    assert lp2.sense == "max"
    np.testing.assert_array_equal(lp2.lb, lp.lb)
    np.testing.assert_array_equal(lp2.ub, lp.ub)
    np.testing.assert_array_equal(lp2.integrality, lp.integrality)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=small_models())
def test_random_models_round_trip_through_lp_and_mps(tmp_path, m):
    prob = m.to_problem()
    X = domain_points(prob)
    lp = qb.compile(m, "milp")
    for ext in (".lp", ".mps"):
        path = tmp_path / f"r{ext}"
        lp.save(path)
        lp2 = qb.compile(qb.load(path), "milp")
        lifted = lp.lin_map.forward(X)
        np.testing.assert_allclose(lifted @ lp2.c[: lifted.shape[1]] + lp2.offset, lifted @ lp.c + lp.offset)


@pytest.mark.parametrize("ext", [".qubo", ".npz", ".bqm", ".qubo.gz"])
def test_qubo_files_round_trip(tmp_path, ext):
    m = qb.Model("q")
    x = m.binary("x", 3)
    p = m.integer("p", lb=1, ub=4)
    m.add(x.sum() + p <= 4, name="cap")
    m.minimize(-x.sum() + 0.3 * p * x[1] + 1.25)
    q = qb.compile(m, "qubo")
    a, b = tmp_path / f"a{ext}", tmp_path / f"b{ext}"
    q.save(a)
    q2 = qb.load(a)
    q2.save(b)
    from qbdsl.io.atomic import read_bytes

    assert read_bytes(a) == read_bytes(b)
    Y = np.random.default_rng(0).integers(0, 2, (64, q.n))
    np.testing.assert_allclose(q2.energy(Y), q.energy(Y))
    assert q2.labels == q.labels
    if ext == ".npz":  # the full IR: decoding and re-weighting survive
        for y in Y[:8]:
            s1, s2 = q.decode(y), q2.decode(y)
            assert s1.objective == s2.objective and sorted(s1.violations) == sorted(s2.violations)
            np.testing.assert_array_equal(s1.values["p"], s2.values["p"])
        np.testing.assert_allclose(q2.with_penalties(cap=3.0).energy(Y), q.with_penalties(cap=3.0).energy(Y))


def test_load_sniffs_content_when_the_extension_is_unknown(tmp_path):
    lp = qb.compile(mixed_model(), "milp")
    for ext, reader in ((".lp", "Model"), (".mps", "Model")):
        p = tmp_path / f"x{ext}"
        lp.save(p)
        odd = tmp_path / f"x{ext}.txt"
        odd.write_bytes(p.read_bytes())
        assert type(qb.load(odd)).__name__ == reader
    m = qb.Model("t")
    m.minimize(m.binary("x", 2).sum())
    qb.compile(m, "qubo").save(tmp_path / "y.npz")
    (tmp_path / "y.bin").write_bytes((tmp_path / "y.npz").read_bytes())
    assert isinstance(qb.load(tmp_path / "y.bin"), qb.QuboIR)
    (tmp_path / "z.dat").write_text("hello\n")
    with pytest.raises(qb.FileFormatError, match="unknown file format"):
        qb.load(tmp_path / "z.dat")
    with pytest.raises(qb.FileFormatError, match="no such file"):
        qb.load(tmp_path / "missing.lp")


def test_qoblib_network05_loads_and_round_trips(tmp_path):
    m = qb.load(DATA / "network05.lp.xz")
    assert m.name == "network05"
    assert {n: v.size for n, v in m.variables.items()} == {"z": 1, "x": 20, "f": 80}
    assert {n: b.expr.size for n, b in m.constraints.items()} == {"c1": 5, "c2": 5, "c11": 20, "c14": 80, "c100": 20}
    lp = qb.compile(m, "milp")
    assert lp.var_names[:3] == ["z", "x#1#5", "x#1#4"] and lp.row_names[0] == "c1_1"
    assert lp.A.nnz == 440 and lp.integrality.all()
    lp.save(tmp_path / "n5.lp")
    lp.save(tmp_path / "n5.mps")
    for f in ("n5.lp", "n5.mps"):
        again = qb.compile(qb.load(tmp_path / f), "milp")
        assert again.var_names == lp.var_names and again.row_names == lp.row_names
        assert (again.A != lp.A).nnz == 0


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("p qubo 0 3 1 1\n0 0 1.0\n", 2, "found 1"),
        ("c hi\n0 0 1\np qubo 0 2 1 0\n", 2, "before the 'p qubo'"),
        ("p qubo 0 2 1 1\n0 0 1\n0 5 2\n", 3, "out of range"),
        ("p qubo 0 2 1 1\n0 0 1\n0 1 abc\n", 3, "expected 'i j value'"),
        ("p qubo 0 2 1 1\n0 0 nan\n0 1 1\n", 2, "non-finite"),
        ("p qubo 0 2 1 1\n0 1 1\n0 0 1\n", 2, "diagonal entries come first"),
        ("p qubo x 2\n", 1, "expected 'p qubo"),
    ],
)
def test_malformed_qubo_files_name_the_line(tmp_path, text, line, match):
    p = tmp_path / "bad.qubo"
    p.write_text(text)
    with pytest.raises(qb.FileFormatError, match=match) as err:
        qb.load(p)
    assert err.value.line == line and f"bad.qubo:{line}:" in str(err.value)


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("Minimize\n obj: x + y\nSubject To\n c1: x + y 3\nEnd\n", 4, "expected a number|relational"),
        ("Minimize\n obj: x + y\nSubject To\n c1: x + * y <= 3\nEnd\n", 4, "expected a variable name"),
        ("Minimize\n obj: x\nSubject To\n c1: x <= 3\n", 4, "missing End"),
        ("obj: x\nEnd\n", 1, "starts with Minimize"),
        ("Minimize\n obj: x\nSubject To\n c1: x <= 3\nBounds\n x <= abc\nEnd\n", 6, "expected a number"),
        ("Minimize\n obj: x\nSubject To\n c1: x <= 3\nSOS\n s1: x:1\nEnd\n", 5, "not supported"),
        ("Minimize\n obj: [ x * y * z ] / 2\nEnd\n", 2, "product x \\* y or a square|expected"),
    ],
)
def test_malformed_lp_files_name_the_line(tmp_path, text, line, match):
    p = tmp_path / "bad.lp"
    p.write_text(text)
    with pytest.raises(qb.FileFormatError, match=match) as err:
        qb.load(p)
    assert err.value.line == line


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("NAME t\nROWS\n N obj\n Q r1\nCOLUMNS\nENDATA\n", 4, "row type"),
        ("NAME t\nROWS\n N obj\n L r1\nCOLUMNS\n x r2 1\nENDATA\n", 6, "unknown row 'r2'"),
        ("NAME t\nROWS\n N obj\n L r1\nCOLUMNS\n x r1 one\nENDATA\n", 6, "malformed COLUMNS"),
        ("NAME t\nROWS\n N obj\n L r1\nCOLUMNS\n x r1 1\nBOUNDS\n XX BND x 1\nENDATA\n", 8, "unsupported bound"),
        ("NAME t\nROWS\n N obj\nCOLUMNS\n x obj 1\n", None, "missing ENDATA"),
        ("NAME t\nFOO\nENDATA\n", 2, "unknown or unsupported MPS section"),
    ],
)
def test_malformed_mps_files_name_the_line(tmp_path, text, line, match):
    p = tmp_path / "bad.mps"
    p.write_text(text)
    with pytest.raises(qb.FileFormatError, match=match) as err:
        qb.load(p)
    assert err.value.line == line


def test_lp_reader_takes_other_writers_syntax(tmp_path):
    text = (
        "\\ written by someone else\nMaximize\n obj: 3 x + 2 y - z + [ 2 x * y + 4 y ^ 2 ] / 2 + 5\n"
        "Subject To\n c1: x + y + z <= 10\n c2: x - y >= -2\n -x + 2 z = 1\n"
        "Bounds\n 0 <= x <= 4\n y <= 3\n z free\n -5 <= w\nGenerals\n x\nBinaries\n y\nEnd\n"
    )
    p = tmp_path / "other.lp"
    p.write_text(text)
    m = qb.load(p)
    prob = m.to_problem()
    assert prob.sense == "max" and prob.n == 4
    lab = prob.layout.labels()
    point = dict(x=2.0, y=1.0, z=1.5, w=0.0)
    X = np.array([point[nm] for nm in lab])
    assert prob.objective_value(X) == pytest.approx(3 * 2 + 2 - 1.5 + 2 + 2 + 5)
    kinds = dict(zip(lab, prob.layout.kinds()))
    assert kinds == {"x": 1, "y": 0, "z": 2, "w": 2}
    lb = dict(zip(lab, prob.layout.lb))
    assert lb["z"] == -np.inf and lb["w"] == -5
    assert [b.name for b in prob.constraints] == ["c1", "c2", "R3"] and sum(b.poly.rows for b in prob.constraints) == 3


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    lp = qb.compile(mixed_model(), "milp")
    target = tmp_path / "keep.lp"
    target.write_text("precious\n")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        lp.save(target)
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.lp"]  # no temporary left behind


def test_wrong_extension_for_the_ir_is_a_clear_error(tmp_path):
    lp = qb.compile(mixed_model(), "milp")
    with pytest.raises(qb.ModelError, match="use .lp or .mps"):
        lp.save(tmp_path / "a.qubo")
    m = qb.Model("t")
    m.minimize(m.binary("x", 2).sum())
    with pytest.raises(qb.ModelError, match="use .qubo, .npz or .bqm"):
        qb.compile(m, "qubo").save(tmp_path / "a.lp")


def test_lp_names_are_made_safe_for_other_tools(tmp_path):
    m = qb.Model("safe")
    x = m.binary("x-y", 2)
    m.add(x.sum() == 1, name="place-once")
    m.minimize(x.sum())
    lp = qb.compile(m, "milp")
    lp.save(tmp_path / "s.lp")
    text = (tmp_path / "s.lp").read_text()
    assert "x_y(0)" in text and "place_once:" in text and "x-y" not in text
    assert qb.load(tmp_path / "s.lp").var("x_y").shape == (2,)


def test_mps_rows_numbered_alike_are_one_block_and_keep_their_names(tmp_path):
    """With group_rows, a file's rows R1..R4 (one sense) become one constraint block R with the
    rows' names as labels (one block per row made lowering MIPLIB's stein27 take 20 ms); a row
    whose stem no other row of its sense shares keeps its own name; writing the model back keeps
    every name."""
    text = (
        "NAME t\nROWS\n N obj\n L R1\n L R2\n L R3\n L R4\n E cap7\n G R9\nCOLUMNS\n"
        " x obj 1 R1 1\n x R2 1 R3 1\n x R4 1 cap7 1\n x R9 1\n y obj 2 R1 1\n y cap7 1\n"
        "RHS\n rhs R1 1 R2 1\n rhs R3 1 R4 1\n rhs cap7 1 R9 0\nBOUNDS\n UP bnd x 1\n UP bnd y 1\nENDATA\n"
    )
    p = tmp_path / "t.mps"
    p.write_text(text)
    m = qb.load(p, group_rows=True)
    prob = m.to_problem()
    blocks = {b.name: (b.sense, b.poly.rows) for b in prob.constraints}
    assert blocks == {"R": ("<=", 4), "cap7": ("==", 1), "R9": (">=", 1)}
    assert [b.name for b in qb.load(p).to_problem().constraints] == ["R1", "R2", "R3", "R4", "cap7", "R9"]
    with pytest.raises(qb.ModelError, match="group_rows must be True or False"):
        qb.load(p, group_rows="yes")
    out = tmp_path / "back.mps"
    qb.save(m, out)
    written = out.read_text()
    for row in ("R1", "R2", "R3", "R4", "cap7", "R9"):
        assert f" {row}" in written
    back = qb.load(out).to_problem()
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    lab = prob.layout.labels()
    Xb = X[:, [lab.index(v) for v in back.layout.labels()]]
    assert np.allclose(prob.objective_value(X), back.objective_value(Xb))
    for x, xb in zip(X, Xb):
        assert bool(prob.violations(x)) == bool(back.violations(xb))
    assert prob.violations(X[2]) and not prob.violations(X[0])  # (1, 1) breaks R1; (1, 0) is feasible


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_a_saved_model_reads_back_with_its_constraint_names(tmp_path, suffix):
    """Scalar blocks cut1..cut3 come back as blocks cut1..cut3 (penalties and violations are
    keyed by them), in their order; ranged rows keep their _ge/_le names."""
    m = qb.Model("cuts")
    x = m.binary("x", 3)
    m.minimize(x.sum())
    for k in range(3):
        m.add(x[k] + x[(k + 1) % 3] >= 1, name=f"cut{k + 1}")
    qb.save(m, tmp_path / f"m{suffix}")
    back = qb.load(tmp_path / f"m{suffix}")
    assert list(back.constraints) == ["cut1", "cut2", "cut3"]
    q = qb.compile(back, "qubo", penalty={"cut2": 9.0})
    assert q.weights["cut2"] == 9.0
