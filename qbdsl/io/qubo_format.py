"""qbsolv ``.qubo`` text format.

::

    c comment lines
    p qubo 0 maxDiagonals nDiagonals nElements
    i i value        (nDiagonals lines: linear terms)
    i j value        (nElements lines, i < j: couplers)

qbsolv's README (github.com/dwavesystems/qbsolv, "qbsolv QUBO Input File Format") names the
header fields ``p qubo topology maxNodes nNodes nCouplers`` and says that "for an
unconstrained problem, target will be "0" or "unconstrained""; other topology strings
("chimera128", ...) are only foreseen "for future implementations". The reader takes both
documented words and refuses any other topology by name.

Counts in the header are checked before anything is allocated: they must be whole numbers
>= 0, the diagonal and coupler counts must match the lines in the file, and the number of
variables may not exceed what the file can name (two per data line) by more than
:data:`MAX_UNUSED` variables that appear in no line.

What the file keeps
-------------------
A QUBO file holds one energy ``E(y)`` to minimize. A compiled model's energy is its objective
(negated for ``maximize``) plus the weighted penalties; qbdsl adds comments that other tools
skip (qbsolv and dimod read ``c`` lines as comments) so a round trip keeps:

* ``c qbdsl offset VALUE``: the constant, written as the shortest decimal that reads back to
  the same float64 (exact);
* ``c qbdsl sense max``: the model was a maximization, ``E = -objective + penalties``; the
  reloaded QuboIR reports ``objective = -E`` (a negation: exact), so a maximize model keeps
  its sign. Without the line the sense is ``min`` and ``objective = E``;
* ``c qbdsl label I NAME``: variable names (without them, ``x(0)``, ``x(1)``, ...).

Each of ``c qbdsl offset`` and ``c qbdsl sense`` may appear once (a second one is refused
at its line); the offset must be a finite number (``nan``/``inf`` refused at its line).
Labels must name distinct variables with distinct names. Numbers are read as C's ``strtod``
reads them: Python's digit separators (``1_0``) and non-ASCII digits are refused.

It does not keep the constraints, the penalty blocks and weights, integer encodings or the
objective apart from the penalties: a reloaded QUBO is bare, and an answer's objective is
computed from the merged energy. For integer data (integer weights) that value is exact; for
decimal data it carries float64 rounding of the merged terms (within
``QuboIR.numeric_range().error``; e.g. 20.1 comes back as 20.100000000000136). ``.npz``
keeps the whole IR (objective, penalties, weights, decode map) and reports the objective
exactly; dimod's ``.bqm`` keeps what ``.qubo`` keeps (:mod:`qbdsl.io.dimod_io`).
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import FileFormatError
from ..ir.terms import QuboTerms
from .atomic import fmt

TOPOLOGIES = ("0", "unconstrained")  # the unconstrained topologies qbsolv's README documents
MAX_UNUSED = 1 << 20  # variables a header may announce beyond those its lines name
MAX_VARIABLES = (1 << 31) - 1  # int32 indices, as qbsolv and dimod files use
HEADER = "expected 'p qubo topology maxDiagonals nDiagonals nElements'"
_COUNT = re.compile(r"[+-]?\d+", re.ASCII)
# a decimal number as C's strtod reads it (qbsolv, dimod): no '_' digit separators, ASCII only
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.I | re.ASCII)
_PLAIN = re.compile(r"[0-9A-Za-z+\-.\s]*")  # the characters data lines may hold


SENSES = ("min", "max")


def sense_of(ir) -> str:
    """``"max"`` when ``ir``'s energy is a maximization's negated objective, else ``"min"``."""
    src = getattr(ir, "source", None)
    return "max" if getattr(src, "sense", "min") == "max" else "min"


def bare_qubo(terms: QuboTerms, labels: list[str] | None = None, name: str = "qubo", sense: str = "min"):
    """A bare QuboIR with energy ``terms``; with ``sense="max"`` its objective is ``-energy``
    and its sense ``max`` (the reloaded form of a maximize model's QUBO)."""
    from ..ir.problem import Problem
    from ..ir.qubo import QuboIR

    if sense not in SENSES:
        raise ValueError(f"sense must be 'min' or 'max', got {sense!r}")
    ir = QuboIR.from_terms(terms, labels, name)
    if sense == "min":
        return ir
    src = ir.source
    neg = Problem(src.name, src.layout, src.objective.scaled(-1.0), "max", [])
    return QuboIR(terms, [], {}, ir.decode_map, neg)


def write_qubo(ir, labels: bool = True) -> str:
    """qbsolv text for a QuboIR (``topology`` 0), with offset, sense (``max`` only) and, if
    ``labels``, label comments."""
    t = ir.terms
    diag = np.flatnonzero(t.h)
    lines = [f"c qbdsl QUBO: {ir.n} binaries, {len(t.v)} couplers", f"c qbdsl offset {fmt(t.offset)}"]
    if sense_of(ir) == "max":
        lines.append("c qbdsl sense max")
    if labels:
        lines += [f"c qbdsl label {k} {nm}" for k, nm in enumerate(ir.labels)]
    lines.append(f"p qubo 0 {ir.n} {len(diag)} {len(t.v)}")
    lines += [f"{k} {k} {fmt(v)}" for k, v in zip(diag.tolist(), t.h[diag].tolist())]
    lines += [f"{i} {j} {fmt(v)}" for i, j, v in zip(t.i.tolist(), t.j.tolist(), t.v.tolist())]
    return "\n".join(lines) + "\n"


def _header(f: list[str], path: str, ln: int) -> tuple[int, int, int]:
    """(maxDiagonals, nDiagonals, nElements) from the fields of a ``p qubo`` line, checked."""
    if len(f) != 6 or f[1] != "qubo":
        raise FileFormatError(HEADER, path, ln)
    if f[2].lower() not in TOPOLOGIES:
        raise FileFormatError(
            f"topology {f[2]!r} is not supported: qbsolv's format documents '0' or "
            "'unconstrained' for an unconstrained QUBO",
            path,
            ln,
        )
    counts = []
    for name, v in zip(("maxDiagonals", "nDiagonals", "nElements"), f[3:]):
        if not _COUNT.fullmatch(v):
            raise FileFormatError(f"{HEADER}: {name} must be a whole number, got {v!r}", path, ln)
        if int(v) < 0:
            raise FileFormatError(f"{name} must be >= 0, got {v}", path, ln)
        counts.append(int(v))
    n, n_diag, n_el = counts
    if n > MAX_VARIABLES:
        raise FileFormatError(f"maxDiagonals {n} exceeds the {MAX_VARIABLES} variables a QUBO file can index", path, ln)
    if n_diag > n:
        raise FileFormatError(f"nDiagonals {n_diag} exceeds maxDiagonals {n}", path, ln)
    if n_el > n * (n - 1) // 2:
        raise FileFormatError(f"nElements {n_el} exceeds the {n * (n - 1) // 2} pairs of {n} variables", path, ln)
    return n, n_diag, n_el


def _parse_data(data_lines: list[tuple[int, str]], n: int, n_diag: int, path: str):
    """``(i, j, value)`` arrays of the data lines, checked; vectorized, with a line-by-line
    pass only to locate the first bad line for the error."""
    joined = " ".join(s for _, s in data_lines)
    tokens = joined.split()
    try:
        if not _PLAIN.fullmatch(joined) or len(tokens) != 3 * len(data_lines):
            raise ValueError
        ii = np.array(tokens[0::3], dtype=np.int64)
        jj = np.array(tokens[1::3], dtype=np.int64)
        vv = np.array(tokens[2::3], dtype=np.float64)
    except (ValueError, OverflowError):
        for ln, s in data_lines:
            f = s.split()
            try:
                if len(f) != 3 or not (_COUNT.fullmatch(f[0]) and _COUNT.fullmatch(f[1]) and _NUMBER.fullmatch(f[2])):
                    raise ValueError
                int(f[0]), int(f[1]), float(f[2])
            except ValueError:
                raise FileFormatError(f"expected 'i j value', found {s[:40]!r}", path, ln) from None
        raise FileFormatError("an index does not fit in 64 bits", path) from None
    bad = ~np.isfinite(vv)
    bad_msg = lambda k: f"non-finite coefficient {data_lines[k][1].split()[2]!r}"  # noqa: E731
    checks = [
        (bad, bad_msg),
        ((ii < 0) | (jj < 0) | (ii >= n) | (jj >= n), lambda k: f"index out of range 0..{n - 1}"),
        (
            (np.arange(len(ii)) < n_diag) != (ii == jj),
            lambda k: "diagonal entries come first (nDiagonals lines), then couplers with i != j",
        ),
    ]
    for mask, message in checks:
        if mask.any():
            k = int(np.flatnonzero(mask)[0])
            raise FileFormatError(message(k), path, data_lines[k][0])
    return ii, jj, vv


def read_qubo(text: str, path: str = "<qubo>"):
    """Parse qbsolv text into a bare :class:`~qbdsl.ir.qubo.QuboIR` (array ``x``), with the
    sense, offset and names its ``c qbdsl`` comments keep (module docstring).

    Parameters
    ----------
    text
        The file's contents.
    path
        The file name used in error messages.

    Raises
    ------
    FileFormatError
        A malformed or inconsistent file, located as ``path:line``; a header is refused
        before anything sized by it is allocated.
    """
    offset = 0.0
    sense = "min"
    seen: dict[str, int] = {}  # 'offset' / 'sense' -> line of its comment
    labels: dict[int, tuple[str, int]] = {}  # index -> (name, line)
    label_line: dict[str, int] = {}  # name -> line of its label comment
    header = None
    data_lines: list[tuple[int, str]] = []
    for ln, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("c"):
            f = s.split(None, 3)
            if len(f) >= 3 and f[1] == "qbdsl" and f[2] in ("offset", "sense"):
                if f[2] in seen:
                    raise FileFormatError(f"a second 'c qbdsl {f[2]}' line (first at line {seen[f[2]]})", path, ln)
                seen[f[2]] = ln
            if len(f) >= 3 and f[1] == "qbdsl" and f[2] == "offset" and len(f) == 4:
                try:
                    if not _NUMBER.fullmatch(f[3].strip()):
                        raise ValueError
                    offset = float(f[3])
                except ValueError:
                    raise FileFormatError(f"bad offset {f[3]!r}", path, ln) from None
                if not np.isfinite(offset):
                    raise FileFormatError(f"non-finite offset {f[3]!r}", path, ln)
            elif len(f) >= 3 and f[1] == "qbdsl" and f[2] == "sense":
                if len(f) != 4 or f[3].strip() not in SENSES:
                    raise FileFormatError(
                        "bad sense line: expected 'c qbdsl sense min' or 'c qbdsl sense max'", path, ln
                    )
                sense = f[3].strip()
            elif len(f) == 4 and f[1] == "qbdsl" and f[2] == "label":
                k, _, name = f[3].partition(" ")
                if not k.isdigit() or not name:
                    raise FileFormatError("bad label line", path, ln)
                if int(k) in labels:
                    raise FileFormatError(
                        f"a second label for variable {k} (first at line {labels[int(k)][1]})", path, ln
                    )
                if name in label_line:
                    raise FileFormatError(f"duplicate label {name!r} (first at line {label_line[name]})", path, ln)
                labels[int(k)] = (name, ln)
                label_line[name] = ln
            continue
        if s.startswith("p"):
            if header is not None:
                raise FileFormatError("a second 'p' line", path, ln)
            header = (ln, *_header(s.split(), path, ln))
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
            f"header announces {n_diag} diagonal and {n_el} coupler lines, found {len(data_lines)}", path, where
        )
    if n > 2 * len(data_lines) + MAX_UNUSED:
        raise FileFormatError(
            f"header announces {n} variables, but its {len(data_lines)} data lines name at most "
            f"{2 * len(data_lines)} (qbdsl allows {MAX_UNUSED} more that appear in no line)",
            path,
            header[0],
        )
    for k, (_, ln) in labels.items():
        if k >= n:
            raise FileFormatError(f"label for variable {k}, but the header announces {n} variables", path, ln)
    ii, jj, vv = _parse_data(data_lines, n, n_diag, path)
    h = np.zeros(n)
    np.add.at(h, ii[:n_diag], vv[:n_diag])
    terms = QuboTerms.from_coo(n, h, ii[n_diag:], jj[n_diag:], vv[n_diag:], offset)
    names = [labels[k][0] if k in labels else f"x({k})" for k in range(n)] if labels else None
    return bare_qubo(terms, names, sense=sense)
