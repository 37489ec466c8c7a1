"""Free MPS: write a MilpIR, read a file into a Model.

Sections NAME, OBJSENSE, ROWS, COLUMNS (with INTORG/INTEND markers), RHS (an RHS on
the objective row is minus the objective constant), RANGES, BOUNDS (UP, LO, FX, FR,
MI, PL, BV, LI, UI), ENDATA.

Dialect rules of the reader, where tools disagree
-------------------------------------------------
- Comments: only a line with ``*`` in column 1 is a comment. A data line whose first
  field starts with ``*`` (Xpress names its RHS set ``*RHS*``) is data.
- Numbers: Fortran exponents (``1.0D3``, ``1d-2``) are read like ``1.0E3``. NaN is refused.
- Several ``N`` rows: the first is the objective; every other free row is dropped, with its
  entries, and a warning naming ``file:line`` (HiGHS and CPLEX do the same; OR-Tools keeps
  them as free constraints, which constrain nothing either).
- Integer columns between ``MARKER 'INTORG'`` and ``'INTEND'`` with no line in BOUNDS are
  binary, [0, 1] (the rule of CPLEX, Gurobi, HiGHS, SCIP and OR-Tools), with one warning
  naming ``file:line`` of the first such column. Any bound line (UP, LO, FX, FR, MI, PL, BV,
  LI, UI) cancels the rule: ``UP`` alone gives [0, up], ``PL`` alone [0, +inf).
- A negative ``UP`` bound on a column whose lower bound was never given sets the lower bound
  to -inf, with a warning naming ``file:line`` (CPLEX's rule, also lp_solve's; HiGHS 1.16
  and OR-Tools 9.15 keep 0 and so read an empty interval). After an explicit ``LO``, ``MI``
  or ``FR`` the lower bound stays as given. The LP reader follows the same rule.
- A column whose bounds end up empty (lower > upper) is an error at its last bound line.
- A column marked binary by ``BV`` whose final bounds are not within [0, 1] is an integer
  column with those bounds, with a warning naming ``file:line`` of the last bound line after
  the ``BV`` (bounds tightened inside [0, 1], e.g. ``BV`` then ``UP 0``, stay binary). Bound
  lines act in file order, each setting its side(s), the last
  line winning (OR-Tools' rule): ``BV`` then ``UP 5`` is integer [0, 5]; ``UP 5`` then ``BV``
  is binary [0, 1].
- Several RHS, RANGES or BOUNDS sets: only the first set of each section is read (the MPS
  convention); the lines of other sets are ignored with one warning per section naming
  ``file:line`` of the first ignored line. A line without a set name belongs to any set.
- Repeated entries keep their meaning but are warned about, naming both lines: a second bound
  line of the same type on a column (the last holds), a second RHS or RANGES entry for a row
  (the last holds), a second COLUMNS entry for the same (column, row) (the two are summed).
- A bound line may omit the set name. For FR, MI, PL and BV with two fields, the first field
  is the column when it is a known column and the second is not (HiGHS's rule: ``BV x 1``),
  else the fields are set and column. A bound on a column that is not in COLUMNS is refused
  at its line (a typo used to add a phantom variable).
- Non-finite numbers: an infinite coefficient in COLUMNS, an infinite objective constant, an
  infinite bound that makes no sense (``LO``/``LI`` +inf, ``UP``/``UI`` -inf, ``FX`` either)
  are refused at their line; ``UP inf`` and ``LO -inf`` are PL and MI. An infinite RHS or
  RANGES value removes that side of the row (OR-Tools reads such rows as free); a row left
  with no finite side is dropped with a warning, as extra ``N`` rows are.
- RANGES on the objective row is ignored with a warning (HiGHS and OR-Tools do the same).
- A ROWS line is a type and a name, nothing more: other field counts are refused at the line.
  A file with no columns is refused, naming the file.

What the writer guarantees
--------------------------
- Every integer column gets explicit bounds (``PL``, ``MI``, ``FR``, ``LO``/``UP``, ``FX``),
  so no reader applies the binary default to a general integer. A binary column is ``BV``
  when its bounds are [0, 1], else an integer column with its actual bounds (HiGHS ignores
  an ``UP`` after ``BV``), marked binary in a ``* qbdsl binary`` comment for qbdsl.
- The objective row gets a name no constraint has (``obj``, else ``obj_1``...).
- A name that other readers would misread (a section keyword such as ``RHS`` or ``MARKER``,
  any case; one starting with ``*`` or ``$``; one with whitespace; one containing
  ``'MARKER'``, which OR-Tools takes for a marker line wherever it stands; an empty one) is
  written under a deterministic substitute (``RHS_``, ``_*x``, ``a_b``; made unique with
  ``_1``, ``_2``...), and a ``* qbdsl name`` comment line keeps the original, which qbdsl's
  reader restores. Other readers ignore the comment and see the substitute. A name longer
  than 255 characters (CPLEX's limit) is cut to 200 characters plus a hash of the whole
  (``_`` + 10 hex digits), as the LP writer does, and mapped back the same way.
- Two-sided rows are written with RANGES; free rows (no finite side) as extra ``N`` rows.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings

import numpy as np

from ..errors import FileFormatError, FileFormatWarning
from .atomic import fmt
from .flat import FlatProblem

# Section names of any MPS dialect (free, fixed, CPLEX, Gurobi, HiGHS, Xpress), plus the
# marker words: names equal to one of these, in any case, are renamed by the writer.
KEYWORDS = frozenset(
    """NAME OBJSENSE OBJSENCE OBJNAME ROWS USERCUTS LAZYCONS COLUMNS RHS RANGES
    BOUNDS SOS QSECTION QUADOBJ QMATRIX QCMATRIX CSECTION INDICATORS GENCONS PWLOBJ PWLNAM
    PWLCON ENDATA MARKER INTORG INTEND""".split()
)

_FORTRAN = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)[dD][+-]?\d+$")
_MAP = "* qbdsl name "
_BIN = "* qbdsl binary "
_MAX_NAME = 255  # CPLEX's limit on a name


def _num(tok: str) -> float:
    """A number of an MPS file: Fortran ``D`` exponents read as ``E``; NaN and Python-only
    spellings (``1_000``) refused with ValueError."""
    try:
        v = float(tok)
    except ValueError:
        if _FORTRAN.match(tok):
            return float(tok.replace("d", "e").replace("D", "e"))
        raise ValueError(f"{tok!r} is not a number") from None
    if v != v or "_" in tok:
        raise ValueError(f"{tok!r} is not a number")
    return v


def _warn(msg: str) -> None:
    warnings.warn(FileFormatWarning(msg), stacklevel=4)


def read_mps(text: str, path: str = "<mps>", name: str | None = None, group_rows: bool = False):
    """Parse free MPS text into a :class:`~qbdsl.model.Model` (rules: module docstring;
    ``group_rows``: :func:`qbdsl.io.flat.flat_to_model`).

    Raises
    ------
    FileFormatError
        Malformed text, located as ``path:line``.
    """
    fp = FlatProblem()
    section = None
    obj_row = None
    free_rows: set = set()
    row_index: dict[str, int] = {}
    row_sense: list[str] = []
    row_names: list[str] = []
    rhs: list[float] = []
    rhs_line: dict[int, int] = {}
    ranges: dict[int, float] = {}
    range_line: dict[int, int] = {}
    entries: list[tuple[int, int, float]] = []
    entry_line: dict[tuple[int, int], int] = {}  # (row or -1 for the objective, column) -> line
    first_set: dict[str, str] = {}  # section -> name of its first (the only read) set
    ignored_set: set = set()  # sections whose other sets were warned about
    integer = False
    int_cols: dict[int, int] = {}  # column -> line where it was first seen between markers
    st = {
        "bound_line": {},
        "lower_given": set(),
        "neg_up": [],
        "kind_line": {},
        "bin_line": {},
        "first_set": first_set,
        "ignored_set": ignored_set,
    }
    bound_line = st["bound_line"]
    col_names: dict[str, str] = {}  # written -> original (qbdsl's own files)
    row_map: dict[str, str] = {}
    binaries: set = set()
    seen_end = False
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            continue
        if line[0] == "*":
            if line.startswith(_MAP):
                try:
                    kind, written, original = line[len(_MAP) :].split(None, 2)
                    (col_names if kind == "col" else row_map)[written] = json.loads(original)
                except ValueError:
                    raise FileFormatError("malformed '* qbdsl name' line", path, ln) from None
            elif line.startswith(_BIN):
                binaries.add(line[len(_BIN) :].strip())
            continue
        f = line.split()
        if not f:
            continue
        if not line[0].isspace():
            head = f[0].upper()
            if head == "NAME":
                fp.name = f[1] if len(f) > 1 else "model"
                section = "NAME"
                continue
            if head == "OBJSENSE":
                section = "OBJSENSE"
                if len(f) > 1:
                    fp.sense = "max" if f[1].upper().startswith("MAX") else "min"
                continue
            if head in ("ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS"):
                section = head
                continue
            if head == "ENDATA":
                seen_end = True
                break
            if head in ("MAX", "MIN", "MAXIMIZE", "MINIMIZE") and section == "OBJSENSE":
                fp.sense = "max" if head.startswith("MAX") else "min"
                continue
            raise FileFormatError(f"unknown or unsupported MPS section {f[0]!r}", path, ln)
        try:
            if section == "COLUMNS":
                if len(f) >= 3 and f[1].strip("'\"").upper() == "MARKER":
                    tag = f[2].strip("'\"").upper()
                    if tag not in ("INTORG", "INTEND"):
                        raise FileFormatError(f"unknown marker {f[2]!r} (expected 'INTORG' or 'INTEND')", path, ln)
                    integer = tag == "INTORG"
                    continue
                if len(f) not in (3, 5):
                    raise FileFormatError("a COLUMNS line has a name and one or two (row, value) pairs", path, ln)
                j = fp.var(f[0])
                if integer and fp.kinds[j] == "continuous":
                    fp.kinds[j] = "integer"
                    int_cols.setdefault(j, ln)
                for k in range(1, len(f), 2):
                    rn, v = f[k], _num(f[k + 1])
                    if not np.isfinite(v):
                        raise FileFormatError(
                            f"coefficient {f[k + 1]!r} of column {f[0]!r} in row {rn!r} is not finite", path, ln
                        )
                    r = row_index.get(rn)
                    if r is None and rn == obj_row:
                        r = -1
                    elif r is None:
                        if rn not in free_rows:
                            raise FileFormatError(f"unknown row {rn!r}", path, ln)
                        continue
                    prev = entry_line.get((r, j))
                    if prev is not None:
                        _warn(
                            f"{path}:{ln}: column {f[0]!r} has a second entry in row {rn!r} (first at "
                            f"line {prev}): the two are summed"
                        )
                    entry_line[(r, j)] = ln
                    if r >= 0:
                        entries.append((r, j, v))
                    else:
                        fp.obj[j] = fp.obj.get(j, 0.0) + v
            elif section in ("RHS", "RANGES"):
                if len(f) % 2 == 1:
                    set_name, pairs = f[0], f[1:]
                    first = first_set.setdefault(section, set_name)
                    if set_name != first:
                        if section not in ignored_set:
                            ignored_set.add(section)
                            _warn(
                                f"{path}:{ln}: {section} set {set_name!r} ignored: only the first "
                                f"{section} set ({first!r}) is read"
                            )
                        continue
                else:
                    pairs = f
                for rn, val in zip(pairs[0::2], pairs[1::2]):
                    v = _num(val)
                    r = row_index.get(rn)
                    if r is not None:
                        book = rhs_line if section == "RHS" else range_line
                        prev = book.get(r)
                        if prev is not None:
                            _warn(
                                f"{path}:{ln}: a second {section} entry for row {rn!r} (first at line "
                                f"{prev}): the last one holds"
                            )
                        book[r] = ln
                        if section == "RHS":
                            rhs[r] = v
                        else:
                            ranges[r] = v
                    elif rn == obj_row:
                        if section == "RANGES":
                            _warn(f"{path}:{ln}: RANGES on the objective row {rn!r} ignored")
                        elif not np.isfinite(v):
                            raise FileFormatError(f"objective constant {val!r} is not finite", path, ln)
                        else:
                            fp.offset = -v
                    elif rn not in free_rows:
                        raise FileFormatError(f"unknown row {rn!r}", path, ln)
            elif section == "BOUNDS":
                _bound(fp, f, path, ln, st)
            elif section == "ROWS":
                if len(f) != 2:
                    raise FileFormatError("a ROWS line is a row type and a row name", path, ln)
                kind, rname = f[0].upper(), f[1]
                if rname in row_index or rname == obj_row or rname in free_rows:
                    raise FileFormatError(f"duplicate row {rname!r}", path, ln)
                if kind == "N":
                    if obj_row is None:
                        obj_row = rname
                    else:
                        free_rows.add(rname)
                        warnings.warn(
                            FileFormatWarning(
                                f"{path}:{ln}: free row {rname!r} dropped: the first N row {obj_row!r} is the "
                                "objective, other N rows constrain nothing"
                            ),
                            stacklevel=3,
                        )
                    continue
                if kind not in ("E", "L", "G"):
                    raise FileFormatError(f"row type {f[0]!r} is not N, E, L or G", path, ln)
                row_index[rname] = len(row_names)
                row_names.append(rname)
                row_sense.append({"E": "==", "L": "<=", "G": ">="}[kind])
                rhs.append(0.0)
            elif section == "OBJSENSE":
                fp.sense = "max" if f[0].upper().startswith("MAX") else "min"
            else:
                raise FileFormatError("data before any section", path, ln)
        except (ValueError, IndexError) as exc:
            if isinstance(exc, FileFormatError):
                raise
            raise FileFormatError(f"malformed {section} line: {exc}", path, ln) from None
    if not seen_end:
        raise FileFormatError("missing ENDATA", path)
    if not fp.var_names:
        raise FileFormatError("the file declares no columns", path)
    if name:
        fp.name = name
    for ln, j in st["neg_up"]:
        if j not in st["lower_given"]:
            warnings.warn(
                FileFormatWarning(
                    f"{path}:{ln}: column {fp.var_names[j]!r} has a negative upper bound and no lower bound: "
                    "its lower bound is -inf (CPLEX's rule)"
                ),
                stacklevel=2,
            )
    # integer columns between markers with no bound line: binary
    unbounded = [j for j in int_cols if j not in bound_line]
    if unbounded:
        j0 = unbounded[0]
        for j in unbounded:
            fp.kinds[j], fp.lb[j], fp.ub[j] = "binary", 0.0, 1.0
        more = f" and {len(unbounded) - 1} more" if len(unbounded) > 1 else ""
        warnings.warn(
            FileFormatWarning(
                f"{path}:{int_cols[j0]}: integer column {fp.var_names[j0]!r}{more} between INTORG/INTEND markers "
                "with no bounds read as binary [0, 1] (the rule of CPLEX, HiGHS, SCIP and OR-Tools)"
            ),
            stacklevel=2,
        )
    # a binary (BV) column whose later bound lines moved its bounds outside [0, 1]: integer
    for j, ln in st["bin_line"].items():
        if fp.kinds[j] == "binary" and not (0 <= fp.lb[j] and fp.ub[j] <= 1):
            fp.kinds[j] = "integer"
            warnings.warn(
                FileFormatWarning(
                    f"{path}:{ln}: binary column {fp.var_names[j]!r} gets bounds [{fmt(fp.lb[j])}, {fmt(fp.ub[j])}] "
                    "here: read as an integer column with those bounds"
                ),
                stacklevel=2,
            )
    for j, ln in bound_line.items():
        if fp.lb[j] > fp.ub[j]:
            raise FileFormatError(
                f"column {fp.var_names[j]!r} has lower bound {fmt(fp.lb[j])} > upper bound {fmt(fp.ub[j])}", path, ln
            )
    # qbdsl's own files: restore renamed names and binaries with tightened bounds
    for w in binaries:
        j = fp.index.get(w)
        if j is not None and fp.kinds[j] == "integer" and 0 <= fp.lb[j] and fp.ub[j] <= 1:
            fp.kinds[j] = "binary"
    if col_names:
        fp.var_names = [col_names.get(v, v) for v in fp.var_names]
    if row_map:
        row_names = [row_map.get(r, r) for r in row_names]
    # rows, with ranges split in two; an infinite side is no side
    by_row: dict[int, dict[int, float]] = {}
    for r, j, v in entries:
        d = by_row.setdefault(r, {})
        d[j] = d.get(j, 0.0) + v
    for r, rn in enumerate(row_names):
        terms = by_row.get(r, {})
        sense, b = row_sense[r], rhs[r]
        if not np.isfinite(b):
            lo = hi = None
        elif r in ranges:
            R = ranges[r]
            lo, hi = {"<=": (b - abs(R), b), ">=": (b, b + abs(R)), "==": (b, b + R) if R >= 0 else (b + R, b)}[sense]
            lo = lo if np.isfinite(lo) else None
            hi = hi if np.isfinite(hi) else None
        else:
            lo = b if sense in (">=", "==") else None
            hi = b if sense in ("<=", "==") else None
        if lo is None and hi is None:
            warnings.warn(
                FileFormatWarning(
                    f"{path}:{rhs_line.get(r, range_line.get(r))}: row {rn!r} has no finite side and is dropped "
                    "(as extra N rows are)"
                ),
                stacklevel=2,
            )
        elif r in ranges and lo is not None and hi is not None:
            fp.add_row(rn + "#lo", ">=", terms, lo)
            fp.add_row(rn + "#hi", "<=", terms, hi)
        elif lo is not None and hi is not None:
            fp.add_row(rn, sense, terms, b)
        elif lo is not None:
            fp.add_row(rn, ">=", terms, lo)
        else:
            fp.add_row(rn, "<=", terms, hi)
    return fp.to_model(group_rows)


_NOVAL = ("FR", "MI", "PL", "BV")
_VAL = ("UP", "LO", "FX", "LI", "UI")


def _bound(fp, f, path, ln, st) -> None:
    kind = f[0].upper()
    args = f[1:]
    known = fp.index
    val = None
    if kind in _NOVAL:
        if len(args) == 1:
            set_name, col = None, args[0]
        elif len(args) == 2:
            if args[0] in known and args[1] not in known:  # 'BV x 1': no set name (HiGHS's rule)
                set_name, col = None, args[0]
            else:
                set_name, col = args
        elif len(args) == 3:  # a value after the column (some writers add one) is ignored
            set_name, col = args[0], args[1]
        else:
            raise FileFormatError(f"bound {kind} takes [set] column", path, ln)
    elif kind in _VAL:
        if len(args) == 2:
            if args[0] not in known and args[1] in known:
                raise FileFormatError(f"bound {kind} on column {args[1]!r} has no value", path, ln)
            set_name, col, tok = None, args[0], args[1]
        elif len(args) == 3:
            set_name, col, tok = args
        else:
            raise FileFormatError(f"bound {kind} takes [set] column value", path, ln)
        val = _num(tok)
    else:
        raise FileFormatError(f"unsupported bound type {f[0]!r}", path, ln)
    if set_name is not None:
        first = st["first_set"].setdefault("BOUNDS", set_name)
        if set_name != first:
            if "BOUNDS" not in st["ignored_set"]:
                st["ignored_set"].add("BOUNDS")
                _warn(f"{path}:{ln}: BOUNDS set {set_name!r} ignored: only the first BOUNDS set ({first!r}) is read")
            return
    j = known.get(col)
    if j is None:
        raise FileFormatError(f"bound {kind} on column {col!r}, which is not in COLUMNS", path, ln)
    if val is not None and (
        kind == "FX"
        and not np.isfinite(val)
        or kind in ("LO", "LI")
        and val == np.inf
        or kind in ("UP", "UI")
        and val == -np.inf
    ):
        raise FileFormatError(f"bound {kind} {tok!r} on column {col!r} is not a usable bound", path, ln)
    prev = st["kind_line"].get((j, kind))
    if prev is not None:
        _warn(f"{path}:{ln}: a second {kind} bound on column {col!r} (first at line {prev}): the last one holds")
    st["kind_line"][(j, kind)] = ln
    lower_given = st["lower_given"]
    if kind in ("UP", "UI"):
        fp.ub[j] = val
        if val < 0 and j not in lower_given:
            fp.lb[j] = -np.inf
            st["neg_up"].append((ln, j))
    elif kind in ("LO", "LI"):
        fp.lb[j] = val
    elif kind == "FX":
        fp.lb[j] = fp.ub[j] = val
    elif kind == "FR":
        fp.lb[j], fp.ub[j] = -np.inf, np.inf
    elif kind == "MI":
        fp.lb[j] = -np.inf
    elif kind == "PL":
        fp.ub[j] = np.inf
    elif kind == "BV":
        fp.kinds[j] = "binary"
        fp.lb[j], fp.ub[j] = 0.0, 1.0
    if kind == "BV":
        st["bin_line"].pop(j, None)
    elif fp.kinds[j] == "binary":
        st["bin_line"][j] = ln
    if kind in ("LO", "LI", "FX", "FR", "MI", "BV"):
        lower_given.add(j)
    if kind in ("LI", "UI") and fp.kinds[j] == "continuous":
        fp.kinds[j] = "integer"
    st["bound_line"][j] = ln


# ---------------------------------------------------------------- writer
_QUOTED_MARKER = re.compile(r"['\"]MARKER['\"]", re.I)


def _needs_rename(name: str) -> bool:
    return (
        not name
        or name[0] in "*$"
        or any(c.isspace() for c in name)
        or name.strip("'\"").upper() in KEYWORDS
        or _QUOTED_MARKER.search(name) is not None
        or len(name) > _MAX_NAME
    )


def _safe_names(names, taken: set | None = None) -> tuple[list[str], dict[str, str]]:
    """(names as written, {written: original}) with every name that other readers would
    misread replaced by a deterministic, unique substitute (``taken``: every name, built
    from ``names`` when not given)."""
    names = names if isinstance(names, list) else list(names)
    if not _any_needs_rename(names):
        return names, {}
    if taken is None:
        taken = set(names)
    out, renamed = [], {}
    for nm in names:
        if not _needs_rename(nm):
            out.append(nm)
            continue
        s = re.sub(r"\s", "_", nm) or "_"
        if _QUOTED_MARKER.search(s):  # OR-Tools takes any line with 'MARKER' for a marker
            s = re.sub(r"['\"]", "_", s)
        if s[0] in "*$":
            s = "_" + s
        if s.strip("'\"").upper() in KEYWORDS:
            s += "_"
        if len(s) > _MAX_NAME:  # CPLEX's limit: cut, with a hash of the whole name
            s = s[:200] + "_" + hashlib.sha1(nm.encode()).hexdigest()[:10]
        w, k = s, 1
        while w in taken:
            w = f"{s}_{k}"
            k += 1
        taken.add(w)
        out.append(w)
        renamed[w] = nm
    return out, renamed


_SUSPECT = re.compile(r"[\s*$'\"]")


def _any_needs_rename(names: list[str]) -> bool:
    """Whether :func:`_needs_rename` may hold for some name (False is exact; True may be a
    false alarm), in a few passes over one joined string instead of a call per name."""
    if not names:
        return False
    if max(map(len, names)) > _MAX_NAME or min(map(len, names)) == 0:
        return True
    big = "\0".join(names)
    if big.count("\0") != len(names) - 1:  # a NUL inside a name: check name by name
        return any(map(_needs_rename, names))
    if _SUSPECT.search(big):  # whitespace, a leading * or $, a quote
        return True
    return not KEYWORDS.isdisjoint(big.upper().split("\0"))


def _obj_name(row_names) -> str:
    lower = {r.lower() for r in row_names}
    out, k = "obj", 1
    while out in lower:
        out = f"obj_{k}"
        k += 1
    return out


def _fmt_all(values) -> np.ndarray:
    """``fmt`` of every value, as an object array (each distinct value formatted once)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return np.empty(0, dtype=object)
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in uniq.tolist()] + [""], dtype=object)[:-1][inv.reshape(-1)]


def _objs(strings) -> np.ndarray:
    """A 1-d object array of the given strings (never a 2-d character array)."""
    out = np.empty(len(strings), dtype=object)
    out[:] = strings
    return out


def write_mps(ir) -> str:
    """Free MPS text of a :class:`~qbdsl.ir.milp.MilpIR` (guarantees: module docstring)."""
    names, col_map = _safe_names(ir.var_names)
    rnames, row_map = _safe_names(ir.row_names)
    obj = _obj_name(rnames)
    out = ["NAME " + (re.sub(r"[\s*]", "_", str(ir.name)) or "model")]
    for w, o in col_map.items():
        out.append(f"{_MAP}col {w} {json.dumps(o)}")
    for w, o in row_map.items():
        out.append(f"{_MAP}row {w} {json.dumps(o)}")
    n = len(names)
    binary = np.asarray(ir.binary, bool) if ir.binary is not None else np.zeros(n, bool)
    lbs, ubs = np.asarray(ir.lb, float), np.asarray(ir.ub, float)
    integrality = np.asarray(ir.integrality, bool)
    plain_bv = binary & (lbs == 0) & (ubs == 1)
    for j in np.flatnonzero(binary & ~plain_bv):
        out.append(f"{_BIN}{names[j]}")
    if ir.sense == "max":
        out += ["OBJSENSE", "    MAX"]
    out.append("ROWS")
    out.append(f" N  {obj}")
    # row types, right-hand sides and ranges, in the order of the tests of the scalar writer
    lo, hi = np.asarray(ir.row_lb, float), np.asarray(ir.row_ub, float)
    m = len(rnames)
    eq = lo == hi
    free = ~eq & np.isinf(lo) & np.isinf(hi)
    le = ~eq & ~free & np.isinf(lo)
    ge = ~eq & ~free & ~le & np.isinf(hi)
    two = ~(eq | free | le | ge)
    with np.errstate(invalid="ignore", over="ignore"):
        two_le = two & (hi - (hi - lo) == lo)  # two-sided: the form that reproduces both sides exactly
    kinds = np.full(m, "G", dtype="<U1")
    kinds[eq | le | two_le] = "L"
    kinds[eq] = "E"
    kinds[free] = "N"
    rhs_val = np.where(eq | le | two_le, hi, lo)
    rhs_val[free] = 0.0
    out += [f" {k}  {rn}" for k, rn in zip(kinds.tolist(), rnames)]
    out.append("COLUMNS")
    out += _columns(ir, names, rnames, obj, integrality)
    out.append("RHS")
    if ir.offset != 0:
        out.append(f"    RHS1  {obj}  {fmt(-ir.offset)}")
    rows = np.flatnonzero(~free & (rhs_val != 0))
    rn_arr = _objs(rnames)
    out += [f"    RHS1  {rn}  {v}" for rn, v in zip(rn_arr[rows].tolist(), _fmt_all(rhs_val[rows]).tolist())]
    rows = np.flatnonzero(two)
    if len(rows):
        out.append("RANGES")
        with np.errstate(invalid="ignore", over="ignore"):
            rng = hi[rows] - lo[rows]
        out += [f"    RNG  {rn}  {v}" for rn, v in zip(rn_arr[rows].tolist(), _fmt_all(rng).tolist())]
    out.append("BOUNDS")
    out += _bounds(_objs(names), lbs, ubs, plain_bv, integrality)
    out.append("ENDATA")
    return "\n".join(out) + "\n"


def _columns(ir, names, rnames, obj, integrality) -> list[str]:
    """COLUMNS lines: per column its objective entry (if any) then its matrix entries, an
    objective entry of 0 for a column with neither; markers around integer runs."""
    n = len(names)
    A = ir.A.tocsc()
    c = np.asarray(ir.c, dtype=float)
    colnnz = np.diff(A.indptr).astype(np.int64)
    has_obj = (c != 0) | (colnnz == 0)
    count = colnnz + has_obj
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    total = int(start[-1])
    rows = np.empty(total, dtype=np.int64)
    vals = np.empty(total, dtype=float)
    obj_pos = start[:-1][has_obj]
    rows[obj_pos] = len(rnames)  # the objective row, appended below
    vals[obj_pos] = np.where(c[has_obj] != 0, c[has_obj], 0.0)
    a_pos = (
        np.arange(A.nnz, dtype=np.int64)
        - np.repeat(A.indptr[:-1].astype(np.int64), colnnz)
        + np.repeat(start[:-1] + has_obj, colnnz)
    )
    rows[a_pos] = A.indices
    vals[a_pos] = A.data
    row_name = _objs(list(rnames) + [obj])[rows].tolist()
    col_name = np.repeat(_objs(names), count).tolist()
    lines = [f"    {a}  {b}  {v}" for a, b, v in zip(col_name, row_name, _fmt_all(vals).tolist())]
    # integer runs: a marker line wherever integrality changes (INTORG k ... INTEND k+1)
    change = np.flatnonzero(np.diff(np.concatenate([[False], integrality])))
    if not len(change) and not (n and integrality[-1]):
        return lines
    out: list[str] = []
    marker, prev = 0, 0
    for j in change.tolist():
        out += lines[start[prev] : start[j]]
        integral = bool(integrality[j])
        out.append(f"    MARKER{marker} 'MARKER' '{'INTORG' if integral else 'INTEND'}'")
        marker += integral
        prev = j
    out += lines[start[prev] :]
    if n and integrality[-1]:
        out.append(f"    MARKER{marker} 'MARKER' 'INTEND'")
    return out


def _bounds(names: np.ndarray, lbs, ubs, plain_bv, integrality) -> list[str]:
    """BOUNDS lines, one or two per column, in column order."""
    n = len(names)
    first = np.full(n, None, dtype=object)
    second = np.full(n, None, dtype=object)
    inf_lo, inf_hi = np.isinf(lbs), np.isinf(ubs)
    bv = plain_bv
    fr = ~bv & inf_lo & inf_hi
    fx = ~bv & ~fr & (lbs == ubs)
    rest = ~(bv | fr | fx)
    mi = rest & inf_lo
    lo_ = rest & ~inf_lo & (lbs != 0)
    up = rest & ~inf_hi
    pl = rest & inf_hi & integrality & (lbs == 0)

    def put(dest, mask, head, values=None):
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        nm = names[idx].tolist()
        if values is None:
            dest[idx] = _objs([head + a for a in nm])
        else:
            dest[idx] = _objs([f"{head}{a}  {v}" for a, v in zip(nm, _fmt_all(values[idx]).tolist())])

    put(first, bv, " BV BND  ")
    put(first, fr, " FR BND  ")
    put(first, fx, " FX BND  ", lbs)
    # lower side first, so that a negative UP never meets a default lower bound
    put(first, mi, " MI BND  ")
    put(first, lo_, " LO BND  ", lbs)
    put(second, up, " UP BND  ", ubs)
    put(second, pl, " PL BND  ")
    both = np.stack([first, second], axis=1).ravel()
    keep = np.stack([first != None, second != None], axis=1).ravel()  # noqa: E711
    return both[keep].tolist()
