"""qbsolv ``.qubo`` text format.

::

    c comment lines
    p qubo 0 maxDiagonals nDiagonals nElements
    i i value        (nDiagonals lines: linear terms)
    i j value        (nElements lines, i < j: couplers)

qbdsl adds optional ``c qbdsl offset VALUE`` and ``c qbdsl label I NAME`` comments so
a round trip keeps the constant and the variable names; other tools skip them.
"""
from __future__ import annotations

import numpy as np

from ..errors import FileFormatError
from ..ir.terms import QuboTerms
from .atomic import fmt


def write_qubo(ir, labels: bool = True) -> str:
    t = ir.terms
    diag = np.flatnonzero(t.h)
    lines = [f"c qbdsl QUBO: {ir.n} binaries, {len(t.v)} couplers", f"c qbdsl offset {fmt(t.offset)}"]
    if labels:
        lines += [f"c qbdsl label {k} {nm}" for k, nm in enumerate(ir.labels)]
    lines.append(f"p qubo 0 {ir.n} {len(diag)} {len(t.v)}")
    lines += [f"{k} {k} {fmt(v)}" for k, v in zip(diag.tolist(), t.h[diag].tolist())]
    lines += [f"{i} {j} {fmt(v)}" for i, j, v in zip(t.i.tolist(), t.j.tolist(), t.v.tolist())]
    return "\n".join(lines) + "\n"


def read_qubo(text: str, path: str = "<qubo>"):
    """Parse qbsolv text into a bare :class:`~qbdsl.ir.qubo.QuboIR` (array ``x``)."""
    from ..ir.qubo import QuboIR

    offset = 0.0
    labels: dict[int, str] = {}
    header = None
    data_lines: list[tuple[int, str]] = []
    for ln, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("c"):
            f = s.split(None, 3)
            if len(f) >= 3 and f[1] == "qbdsl" and f[2] == "offset" and len(f) == 4:
                try:
                    offset = float(f[3])
                except ValueError:
                    raise FileFormatError(f"bad offset {f[3]!r}", path, ln) from None
            elif len(f) == 4 and f[1] == "qbdsl" and f[2] == "label":
                k, _, name = f[3].partition(" ")
                if not k.isdigit() or not name:
                    raise FileFormatError("bad label line", path, ln)
                labels[int(k)] = name
            continue
        if s.startswith("p"):
            f = s.split()
            if header is not None:
                raise FileFormatError("a second 'p' line", path, ln)
            if len(f) != 6 or f[1] != "qubo" or not all(x.lstrip("-").isdigit() for x in f[2:]):
                raise FileFormatError("expected 'p qubo topology maxDiagonals nDiagonals nElements'", path, ln)
            header = (ln, int(f[3]), int(f[4]), int(f[5]))
            continue
        if header is None:
            raise FileFormatError("data before the 'p qubo' line", path, ln)
        data_lines.append((ln, s))
    if header is None:
        raise FileFormatError("no 'p qubo' line", path)
    _, n, n_diag, n_el = header
    if len(data_lines) != n_diag + n_el:
        where = data_lines[-1][0] if data_lines else header[0]
        raise FileFormatError(
            f"header announces {n_diag} diagonal and {n_el} coupler lines, found {len(data_lines)}", path, where)
    ii = np.empty(len(data_lines), np.int64)
    jj = np.empty(len(data_lines), np.int64)
    vv = np.empty(len(data_lines))
    for k, (ln, s) in enumerate(data_lines):
        f = s.split()
        try:
            if len(f) != 3:
                raise ValueError
            ii[k], jj[k], vv[k] = int(f[0]), int(f[1]), float(f[2])
        except ValueError:
            raise FileFormatError(f"expected 'i j value', found {s[:40]!r}", path, ln) from None
        if not np.isfinite(vv[k]):
            raise FileFormatError(f"non-finite coefficient {f[2]!r}", path, ln)
        if ii[k] < 0 or jj[k] < 0 or ii[k] >= n or jj[k] >= n:
            raise FileFormatError(f"index out of range 0..{n - 1}", path, ln)
        is_diag = ii[k] == jj[k]
        if (k < n_diag) != is_diag:
            raise FileFormatError(
                "diagonal entries come first (nDiagonals lines), then couplers with i != j", path, ln)
    h = np.zeros(n)
    np.add.at(h, ii[:n_diag], vv[:n_diag])
    terms = QuboTerms.from_coo(n, h, ii[n_diag:], jj[n_diag:], vv[n_diag:], offset)
    names = [labels.get(k, f"x({k})") for k in range(n)] if labels else None
    return QuboIR.from_terms(terms, names)
