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
    if name.endswith(".gz") or name == "tiny":   # 'tiny': gzip bytes under a name that does not say so
        data = gzip.compress(data, mtime=0)
    p = tmp_path / name
    p.write_bytes(data)
    _tiny_check(qb.load(p))


def test_load_sniffs_past_blank_and_lp_comment_lines(tmp_path):
    p = tmp_path / "m.txt.gz"
    p.write_bytes(gzip.compress(b"\n\n\\ a comment\n   \n\\ another\nMinimize\n obj: - x - 2 y\n"
                                b"Subject To\n cap: x + y <= 2\nBounds\n x <= 1\n y <= 1\nGenerals\n x y\nEnd\n"))
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
