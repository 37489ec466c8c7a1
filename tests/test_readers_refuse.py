"""Readers refuse bad headers, corrupt archives and truncated files with a FileFormatError
(``file:line`` where the format has lines), before allocating anything a header asks for."""

import bz2
import gzip
import lzma

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.io.qubo_format import MAX_UNUSED

QUBO = "c 3 variables\np qubo {topology} 3 2 2\n0 0 1.5\n2 2 -1\n0 1 2\n1 2 -3.25\n"


@pytest.mark.parametrize(
    "header, match",
    [
        ("p qubo 0 -3 0 0", "maxDiagonals must be >= 0, got -3"),
        ("p qubo 0 3 -1 0", "nDiagonals must be >= 0"),
        ("p qubo 0 3 0 -2", "nElements must be >= 0"),
        ("p qubo 0 100000000000 0 0", "maxDiagonals 100000000000 exceeds the 2147483647"),
        ("p qubo 0 2000000000 0 0", "header announces 2000000000 variables, but its 0 data lines name at most 0"),
        ("p qubo 0 3 4 0", "nDiagonals 4 exceeds maxDiagonals 3"),
        ("p qubo 0 3 0 4", "nElements 4 exceeds the 3 pairs of 3 variables"),
        ("p qubo 0 3 0 1000000000000", "nElements 1000000000000 exceeds"),
        ("p qubo 0 3.5 0 0", "maxDiagonals must be a whole number, got '3.5'"),
        ("p qubo chimera128 3 0 0", "topology 'chimera128' is not supported"),
        ("p qubo 0 3", "expected 'p qubo topology maxDiagonals nDiagonals nElements'"),
    ],
)
def test_bad_qubo_headers_are_refused_at_their_line(tmp_path, header, match):
    p = tmp_path / "bad.qubo"
    p.write_text(f"c a comment\n{header}\n")
    with pytest.raises(qb.FileFormatError, match=match) as err:
        qb.load(p)
    assert err.value.line == 2 and str(err.value).startswith(f"{p}:2: ")


def test_header_may_announce_unused_variables_within_a_bound(tmp_path):
    p = tmp_path / "wide.qubo"
    p.write_text(f"p qubo 0 {MAX_UNUSED + 2} 1 0\n0 0 1\n")
    assert qb.load(p).n == MAX_UNUSED + 2
    p.write_text(f"p qubo 0 {MAX_UNUSED + 3} 1 0\n0 0 1\n")
    with pytest.raises(qb.FileFormatError, match="data lines name at most 2"):
        qb.load(p)


def test_label_beyond_the_header_is_refused(tmp_path):
    p = tmp_path / "lab.qubo"
    p.write_text("c qbdsl label 7 y\np qubo 0 2 1 0\n0 0 1\n")
    with pytest.raises(qb.FileFormatError, match="label for variable 7") as err:
        qb.load(p)
    assert err.value.line == 1


@pytest.mark.parametrize("topology", ["unconstrained", "Unconstrained"])
def test_qbsolv_unconstrained_header_reads_like_topology_0(tmp_path, topology):
    a, b = tmp_path / "zero.qubo", tmp_path / "word.qubo"
    a.write_text(QUBO.format(topology="0"))
    b.write_text(QUBO.format(topology=topology))
    qa, qb_ = qb.load(a), qb.load(b)
    assert qb_.n == 3
    X = np.array([[int(c) for c in f"{k:03b}"] for k in range(8)])
    np.testing.assert_array_equal(qb_.energy(X), qa.energy(X))
    assert qb_.energy(np.array([[1, 1, 0]]))[0] == 1.5 + 2  # x0 + 2 x0 x1
    assert qb_.energy(np.array([[0, 1, 1]]))[0] == -1 - 3.25  # -x2 - 3.25 x1 x2


@pytest.mark.parametrize(
    "ext, name, compress",
    [
        ("gz", "gzip", lambda b: gzip.compress(b, mtime=0)),
        ("xz", "xz", lzma.compress),
        ("bz2", "bzip2", bz2.compress),
    ],
)
def test_corrupt_compressed_files_name_the_file(tmp_path, ext, name, compress):
    good = compress(b"Minimize\n obj: x\nSubject To\n c1: x <= 3\nEnd\n")
    for label, data in (("plain text", b"hello\n"), ("truncated", good[: len(good) // 2]), ("empty", b"")):
        p = tmp_path / f"m.lp.{ext}"
        p.write_bytes(data)
        with pytest.raises(qb.FileFormatError, match=f"not a valid {name} file") as err:
            qb.load(p)
        assert err.value.path == str(p), label
    p.write_bytes(good)
    assert qb.load(p).n_vars == 1


def test_folders_and_missing_files_are_refused(tmp_path):
    with pytest.raises(qb.FileFormatError, match="is a folder, not a file"):
        qb.load(tmp_path)
    with pytest.raises(qb.FileFormatError, match="no such file"):
        qb.load(tmp_path / "none.qubo.gz")


def _saved(tmp_path, ext):
    m = qb.Model("t")
    x = m.binary("x", 6)
    m.add(x.sum() <= 2, name="cap")
    m.minimize(-(x[0] * x[1]) - (x[2] * x[5]) - x.sum())
    p = tmp_path / f"t{ext}"
    qb.compile(m, "qubo").save(p)
    return p, p.read_bytes()


@pytest.mark.parametrize("ext", [".npz", ".bqm"])
def test_truncated_npz_and_bqm_files_are_refused(tmp_path, ext):
    p, data = _saved(tmp_path, ext)
    for cut in (0, 9, 40, len(data) // 3, len(data) // 2, (3 * len(data)) // 4):
        p.write_bytes(data[:cut])
        with pytest.raises(qb.FileFormatError) as err:
            qb.load(p)
        assert err.value.path == str(p)


@pytest.mark.parametrize("ext", [".npz", ".bqm"])
def test_corrupt_npz_and_bqm_files_are_refused_not_crashed(tmp_path, ext):
    """Flipped bytes anywhere: a FileFormatError or (where the bytes are padding) the same QUBO.

    A corrupt neighbour index in a BQM used to make dimod's C++ core abort the process.
    """
    p, data = _saved(tmp_path, ext)
    ref = qb.load(p)
    for start in range(0, len(data), max(1, len(data) // 60)):
        for mask in (0x5A, 0xFF):
            b = bytearray(data)
            for k in range(start, min(start + 8, len(b))):
                b[k] ^= mask
            p.write_bytes(bytes(b))
            try:
                q = qb.load(p)
            except qb.FileFormatError:
                continue
            assert q.n == ref.n
