"""Conformance: qbdsl reads public LP/MPS files as other tools do (issue 15).

The loader's content sniffing and the QUBO formats' round trips come first; the suite over
``tests/conformance/MANIFEST.json`` follows.
"""

from __future__ import annotations

import gzip

import pytest

import qbdsl as qb

# A MIPLIB 3 original opens with a block of '*' comments before NAME (this is flugpl's head).
MIPLIB3_HEAD = """\
*NAME:         tiny
*ROWS:         1
*COLUMNS:      2
*INTEGER:      2
*BEST SOLN:    -3 (opt)
*SOURCE:       made up for this test
*
NAME          TINY
ROWS
 N  COST
 L  CAP
COLUMNS
    MARKER                 'MARKER'                 'INTORG'
    X         COST        -1.0   CAP          1.0
    Y         COST        -2.0   CAP          1.0
    MARKER                 'MARKER'                 'INTEND'
RHS
    RHS       CAP          2.0
BOUNDS
 UP BND       X            1.0
 UP BND       Y            1.0
ENDATA
"""


def _tiny_check(m):
    assert isinstance(m, qb.Model)
    assert qb.solve(m, backend="exact").objective == -3


@pytest.mark.parametrize("name", ["tiny", "tiny.gz", "tiny.mps.gz", "tiny.dat", "tiny.mps"])
def test_load_sniffs_past_mps_comment_lines_also_inside_gzip(tmp_path, name):
    """MIPLIB 3 originals (gzip, first line ``*NAME: flugpl``) were 'unknown file format'."""
    data = MIPLIB3_HEAD.encode()
    if name.endswith(".gz") or name == "tiny":  # 'tiny': gzip bytes under a name that does not say so
        data = gzip.compress(data, mtime=0)
    p = tmp_path / name
    p.write_bytes(data)
    _tiny_check(qb.load(p))


def test_load_sniffs_past_blank_and_lp_comment_lines(tmp_path):
    p = tmp_path / "m.txt.gz"
    p.write_bytes(
        gzip.compress(
            b"\n\n\\ a comment\n   \n\\ another\nMinimize\n obj: - x - 2 y\n"
            b"Subject To\n cap: x + y <= 2\nBounds\n x <= 1\n y <= 1\nGenerals\n x y\nEnd\n"
        )
    )
    _tiny_check(qb.load(p))


def test_load_sniff_still_refuses_what_is_no_format(tmp_path):
    for text in ("*just a comment\nhello world\n", "\n\nhello\n", "\\ comment\n\n12 3\n"):
        p = tmp_path / "z.dat"
        p.write_text(text)
        with pytest.raises(qb.FileFormatError, match="unknown file format"):
            qb.load(p)
    bad = tmp_path / "broken"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(qb.FileFormatError, match="not a valid gzip file"):
        qb.load(bad)


# ---------------------------------------------------------------- QUBO files keep the sense
def _max_model():
    m = qb.Model("knap")
    x = m.binary("x", (5,))
    m.maximize(qb.quicksum(w * x[i] for i, w in enumerate([3, 5, 7, 9, 4])) + 2 * x[0] * x[1] - 1)
    m.add(qb.quicksum(a * x[i] for i, a in enumerate([2, 3, 4, 5, 3])) <= 9, "cap")
    return m


@pytest.mark.parametrize("ext", [".qubo", ".bqm", ".qubo.gz", ".bqm.xz", ".npz"])
def test_maximize_model_keeps_sense_and_offset_through_qubo_files(tmp_path, ext):
    """A maximize model saved as .qubo/.bqm reloaded with its objective negated (issue 15)."""
    m = _max_model()
    want = qb.solve(m, backend="exact").objective
    assert want == 16  # x0, x1, x2: 3 + 5 + 7 + 2 - 1
    q = qb.compile(m, "qubo")
    q.save(tmp_path / f"k{ext}")
    q2 = qb.load(tmp_path / f"k{ext}")
    assert q2.source.sense == "max"
    assert q2.offset == q.offset and q2.labels == q.labels
    r = qb.solve(q2, backend="exact")
    assert r.objective == want and r.status == "optimal"  # exact, integer data
    assert r.energy == -want
    # saved again, the same bytes (the sense survives a second round trip)
    q2.save(tmp_path / f"again{ext}")
    assert qb.load(tmp_path / f"again{ext}").source.sense == "max"
    if ext in (".qubo", ".bqm"):
        assert (tmp_path / f"again{ext}").read_bytes() == (tmp_path / f"k{ext}").read_bytes()


def test_minimize_qubo_files_are_unchanged_and_other_readers_ignore_the_sense(tmp_path):
    import dimod
    import numpy as np

    q = qb.compile(_max_model(), "qubo")
    q.save(tmp_path / "k.bqm")
    bqm = dimod.BinaryQuadraticModel.from_file((tmp_path / "k.bqm").read_bytes())  # dimod skips our key
    assert bqm == q.to_bqm()
    y = np.array([1, 0, 1, 0, 0] + [0] * (q.n - 5))
    assert bqm.energy(dict(zip(q.labels, y))) == q.energy(y)
    m = qb.Model("min")
    x = m.binary("x", 3)
    m.minimize(x[0] - 2 * x[1] + 3 * x[0] * x[2] + 0.5)
    qm = qb.compile(m, "qubo")
    qm.save(tmp_path / "m.bqm")
    with qm.to_bqm().to_file() as f:
        assert (tmp_path / "m.bqm").read_bytes() == f.read()  # dimod's own bytes
    qm.save(tmp_path / "m.qubo")
    assert "sense" not in (tmp_path / "m.qubo").read_text()
    again = qb.load(tmp_path / "m.qubo")
    assert again.source.sense == "min" and qb.solve(again, backend="exact").objective == -1.5


def test_decimal_data_comes_back_within_the_float_error_bound(tmp_path):
    m = qb.Model("dec")
    x = m.binary("x", 4)
    m.maximize(0.1 * x[0] + 2.7 * x[1] + 1.3 * x[2] + 0.9 * x[3] + 0.3)
    m.add(x.sum() <= 2, "card")
    q = qb.compile(m, "qubo")
    want = qb.solve(m, backend="exact").objective
    for ext in (".qubo", ".bqm"):
        q.save(tmp_path / f"d{ext}")
        got = qb.solve(qb.load(tmp_path / f"d{ext}"), backend="exact").objective
        assert abs(got - want) <= 2 * q.numeric_range.error.bound + 1e-15


def test_bad_sense_entries_are_refused(tmp_path):
    p = tmp_path / "a.qubo"
    p.write_text("c qbdsl sense maximize\np qubo 0 1 1 0\n0 0 1\n")
    with pytest.raises(qb.FileFormatError, match=r"a.qubo:1: bad sense line"):
        qb.load(p)
    import io

    from dimod.serialization.fileview import make_header, read_header

    q = qb.compile(_max_model(), "qubo")
    q.save(tmp_path / "k.bqm")
    data = (tmp_path / "k.bqm").read_bytes()
    f = io.BytesIO(data)
    info = read_header(f, b"DIMODBQM")
    bad = dict(info.data, qbdsl={"sense": "up"})
    (tmp_path / "bad.bqm").write_bytes(bytes(make_header(b"DIMODBQM", bad, info.version)) + data[f.tell() :])
    with pytest.raises(qb.FileFormatError, match="qbdsl"):
        qb.load(tmp_path / "bad.bqm")


def test_bound_of_a_reloaded_maximize_qubo_has_the_objective_sign(tmp_path):
    m = qb.Model("u")
    x = m.binary("x", 3)
    m.maximize(3 * x[0] + 2 * x[1] - x[2] + x[0] * x[1])
    q = qb.compile(m, "qubo")
    q.save(tmp_path / "u.qubo")
    r = qb.solve(qb.load(tmp_path / "u.qubo"), backend="ortools")
    assert r.objective == 6
    assert r.bound is None or r.bound >= r.objective - 1e-9


# ---------------------------------------------------------------- the conformance suite
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

CONF = Path(__file__).resolve().parent / "conformance"
MANIFEST = json.loads((CONF / "MANIFEST.json").read_text())
REL_TOL = MANIFEST["rel_tol"]
TIME_LIMIT = 120.0


def _params(expects, marks_for=lambda e: ()):
    out = []
    for e in MANIFEST["files"]:
        if e["expect"] not in expects:
            continue
        marks = list(marks_for(e))
        if e["slow"]:
            marks.append(pytest.mark.slow)
        if e["xfail"]:
            marks.append(pytest.mark.xfail(strict=True, reason=e["xfail"]))
        out.append(pytest.param(e, id=e["file"], marks=marks))
    return out


def _agrees(status, value, e, sign=1.0):
    """``status``/``value`` match the manifest entry (``sign`` -1: a minimizing reader of a max model)."""
    if e["expect"] == "infeasible":
        return status == "infeasible"
    ref = sign * e["reference"]
    return status == "optimal" and math.isclose(value, ref, rel_tol=REL_TOL, abs_tol=REL_TOL)


def test_manifest_matches_the_files():
    listed = {e["file"] for e in MANIFEST["files"]}
    on_disk = {p.name for p in CONF.iterdir()} - {"MANIFEST.json", "SOURCE.md"}
    assert listed == on_disk
    for e in MANIFEST["files"]:
        data = (CONF / e["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["file"]
        assert e["source_url"] and e["licence_of_copy"] and e["origin"] and e["reference_source"]
        assert (e["reference"] is None) == (e["expect"] != "optimal")
    assert sum(e["bytes"] for e in MANIFEST["files"]) < 3_000_000


@pytest.mark.parametrize("e", _params({"optimal", "infeasible"}))
def test_reads_and_solves_to_the_reference(e):
    m = qb.load(CONF / e["file"])
    assert m.to_problem().sense == e["sense"]
    r = qb.solve(m, backend="ortools", time_limit=TIME_LIMIT)
    assert _agrees(r.status, r.objective, e), (r.status, r.objective, e["reference"])


@pytest.mark.parametrize("e", _params({"refused"}))
def test_refused_with_an_error_naming_the_section(e):
    with pytest.raises(qb.FileFormatError, match=rf"{e['file']}:\d+: .*\b{e['refuse_match']}\b"):
        qb.load(CONF / e["file"])


def _own_output(e, tmp_path, ext):
    m = qb.load(CONF / e["file"])
    p = tmp_path / f"own{ext}"
    qb.compile(m, "milp").save(p)
    return p


@pytest.mark.parametrize("e", _params({"optimal", "infeasible"}))
def test_own_mps_reads_the_same_in_ortools(e, tmp_path):
    """qbdsl's MPS output, read by OR-Tools' own MPS reader and solved by model_builder."""
    from ortools.linear_solver.python import model_builder as mb

    p = _own_output(e, tmp_path, ".mps")
    b = mb.ModelBuilder()
    assert b.import_from_mps_file(str(p)), "OR-Tools could not read qbdsl's MPS"
    s = mb.Solver("highs")
    s.set_time_limit_in_seconds(TIME_LIMIT)
    s.set_solver_specific_parameters("mip_rel_gap=0")  # HiGHS stops at 1e-4 by default
    st = s.solve(b)
    status = {mb.SolveStatus.OPTIMAL: "optimal", mb.SolveStatus.INFEASIBLE: "infeasible"}.get(st, st.name)
    value = s.objective_value if status == "optimal" else math.nan
    assert _agrees(status, value, e), (status, value, e["reference"])
    # and qbdsl reads its own MPS back to the same optimum
    r = qb.solve(qb.load(p), backend="ortools", time_limit=TIME_LIMIT)
    assert _agrees(r.status, r.objective, e)


def _dimod_marks(e):
    # dimod's LP reader and CQM build are pure-Python-heavy: files over 20 kB take seconds
    return [pytest.mark.slow] if e["bytes"] > 20_000 and not e["slow"] else []


@pytest.mark.parametrize("e", _params({"optimal", "infeasible"}, _dimod_marks))
def test_own_lp_reads_the_same_in_dimod(e, tmp_path):
    """qbdsl's LP output, read by dimod's LP reader (a CQM, which minimizes: a max model's
    objective comes back negated), solved through qbdsl."""
    dimod = pytest.importorskip("dimod")
    p = _own_output(e, tmp_path, ".lp")
    cqm = dimod.lp.load(str(p))
    r = qb.solve(qb.from_dimod(cqm), backend="ortools", time_limit=TIME_LIMIT)
    assert _agrees(r.status, r.objective, e, -1.0 if e["sense"] == "max" else 1.0), (r.status, r.objective)
    r = qb.solve(qb.load(p), backend="ortools", time_limit=TIME_LIMIT)
    assert _agrees(r.status, r.objective, e)


@pytest.mark.slow
def test_largest_file_parse_time():
    """Parse time of the largest file (80bau3b, 1.12 MB uncompressed); recorded, with a loose
    bound (issue 15 asks for well under a second per MB)."""
    big = max(
        MANIFEST["files"],
        key=lambda e: (
            len(__import__("gzip").decompress((CONF / e["file"]).read_bytes()))
            if e["file"].endswith(".gz")
            else e["bytes"]
        ),
    )
    t = time.perf_counter()
    qb.load(CONF / big["file"])
    elapsed = time.perf_counter() - t
    print(f"\n{big['file']}: parsed in {elapsed:.2f} s")
    assert elapsed < 30
