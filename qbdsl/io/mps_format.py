"""Free MPS: write a MilpIR, read a file into a Model.

Sections NAME, OBJSENSE, ROWS, COLUMNS (with INTORG/INTEND markers), RHS (an RHS on
the objective row is minus the objective constant), RANGES, BOUNDS (UP, LO, FX, FR,
MI, PL, BV, LI, UI), ENDATA. Integer columns without bounds get [0, +inf).
"""
from __future__ import annotations

import numpy as np

from ..errors import FileFormatError
from .atomic import fmt
from .flat import FlatProblem

_SECTIONS = ("NAME", "OBJSENSE", "OBJSENSE MAX", "OBJSENSE MIN", "OBJSENSE MAXIMIZE", "OBJSENSE MINIMIZE",
             "ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "ENDATA")


def read_mps(text: str, path: str = "<mps>", name: str | None = None):
    """Parse free MPS text into a :class:`~qbdsl.model.Model`."""
    fp = FlatProblem()
    section = None
    obj_row = None
    row_index: dict[str, int] = {}
    row_sense: list[str] = []
    row_names: list[str] = []
    rhs: list[float] = []
    ranges: dict[int, float] = {}
    entries: list[tuple[int, int, float]] = []
    integer = False
    bounded_int: set = set()
    seen_end = False
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("*"):
            continue
        f = line.split()
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
            if section == "OBJSENSE":
                fp.sense = "max" if f[0].upper().startswith("MAX") else "min"
            elif section == "ROWS":
                kind, rname = f[0].upper(), f[1]
                if kind == "N":
                    if obj_row is None:
                        obj_row = rname
                    continue
                if kind not in ("E", "L", "G"):
                    raise FileFormatError(f"row type {f[0]!r} is not N, E, L or G", path, ln)
                if rname in row_index:
                    raise FileFormatError(f"duplicate row {rname!r}", path, ln)
                row_index[rname] = len(row_names)
                row_names.append(rname)
                row_sense.append({"E": "==", "L": "<=", "G": ">="}[kind])
                rhs.append(0.0)
            elif section == "COLUMNS":
                if len(f) >= 3 and f[1].strip("'\"").upper() == "MARKER":
                    tag = f[2].strip("'\"").upper()
                    integer = tag == "INTORG" if tag in ("INTORG", "INTEND") else integer
                    continue
                j = fp.var(f[0])
                if integer and fp.kinds[j] == "continuous":
                    fp.kinds[j] = "integer"
                if len(f) not in (3, 5):
                    raise FileFormatError("a COLUMNS line has a name and one or two (row, value) pairs", path, ln)
                for rn, val in zip(f[1::2], f[2::2]):
                    v = float(val)
                    if rn == obj_row:
                        fp.obj[j] = fp.obj.get(j, 0.0) + v
                    elif rn in row_index:
                        entries.append((row_index[rn], j, v))
                    else:
                        raise FileFormatError(f"unknown row {rn!r}", path, ln)
            elif section in ("RHS", "RANGES"):
                pairs = f[1:] if len(f) % 2 == 1 else f
                for rn, val in zip(pairs[0::2], pairs[1::2]):
                    v = float(val)
                    if section == "RHS" and rn == obj_row:
                        fp.offset = -v
                    elif rn not in row_index:
                        raise FileFormatError(f"unknown row {rn!r}", path, ln)
                    elif section == "RHS":
                        rhs[row_index[rn]] = v
                    else:
                        ranges[row_index[rn]] = v
            elif section == "BOUNDS":
                kind = f[0].upper()
                if kind in ("FR", "MI", "PL", "BV"):
                    col = f[2] if len(f) >= 3 else f[1]
                    val = None
                else:
                    if len(f) < 3:
                        raise FileFormatError(f"bound {kind} needs a value", path, ln)
                    col, val = (f[2], float(f[3])) if len(f) >= 4 else (f[1], float(f[2]))
                j = fp.var(col)
                if kind == "UP":
                    fp.ub[j] = val
                    if val < 0 and fp.lb[j] == 0:
                        fp.lb[j] = -np.inf
                elif kind == "LO":
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
                elif kind in ("LI", "UI"):
                    fp.kinds[j] = "integer" if fp.kinds[j] != "binary" else "binary"
                    if kind == "LI":
                        fp.lb[j] = val
                    else:
                        fp.ub[j] = val
                else:
                    raise FileFormatError(f"unsupported bound type {f[0]!r}", path, ln)
                bounded_int.add(j)
            else:
                raise FileFormatError("data before any section", path, ln)
        except (ValueError, IndexError) as exc:
            if isinstance(exc, FileFormatError):
                raise
            raise FileFormatError(f"malformed {section} line: {exc}", path, ln) from None
    if not seen_end:
        raise FileFormatError("missing ENDATA", path)
    if name:
        fp.name = name
    # rows, with ranges split in two
    by_row: dict[int, dict[int, float]] = {}
    for r, j, v in entries:
        d = by_row.setdefault(r, {})
        d[j] = d.get(j, 0.0) + v
    for r, rn in enumerate(row_names):
        terms = by_row.get(r, {})
        sense, b = row_sense[r], rhs[r]
        if r in ranges:
            R = ranges[r]
            lo, hi = {"<=": (b - abs(R), b), ">=": (b, b + abs(R)),
                      "==": (b, b + R) if R >= 0 else (b + R, b)}[sense]
            fp.add_row(rn + "#lo", ">=", terms, lo)
            fp.add_row(rn + "#hi", "<=", terms, hi)
        else:
            fp.add_row(rn, sense, terms, b)
    return fp.to_model()


def write_mps(ir) -> str:
    """Free MPS text of a :class:`~qbdsl.ir.milp.MilpIR`."""
    names = ir.var_names
    out = [f"NAME {ir.name}"]
    if ir.sense == "max":
        out += ["OBJSENSE", "    MAX"]
    out.append("ROWS")
    out.append(" N  obj")
    kinds = []
    for r, rn in enumerate(ir.row_names):
        lo, hi = ir.row_lb[r], ir.row_ub[r]
        k = "E" if lo == hi else ("L" if np.isinf(lo) else "G")
        kinds.append(k)
        out.append(f" {k}  {rn}")
    out.append("COLUMNS")
    A = ir.A.tocsc()
    binary = ir.binary if ir.binary is not None else np.zeros(len(names), bool)
    in_int = False
    marker = 0
    for j, nm in enumerate(names):
        integral = bool(ir.integrality[j])
        if integral != in_int:
            tag = "INTORG" if integral else "INTEND"
            out.append(f"    MARKER{marker} 'MARKER' '{tag}'")
            marker += integral
            in_int = integral
        entries = []
        if ir.c[j] != 0:
            entries.append(("obj", ir.c[j]))
        s, e = A.indptr[j], A.indptr[j + 1]
        entries += [(ir.row_names[r], v) for r, v in zip(A.indices[s:e].tolist(), A.data[s:e].tolist())]
        if not entries:
            entries = [("obj", 0.0)]
        for rn, v in entries:
            out.append(f"    {nm}  {rn}  {fmt(v)}")
    if in_int:
        out.append(f"    MARKER{marker} 'MARKER' 'INTEND'")
    out.append("RHS")
    if ir.offset != 0:
        out.append(f"    RHS  obj  {fmt(-ir.offset)}")
    for r, rn in enumerate(ir.row_names):
        v = ir.row_ub[r] if kinds[r] in ("E", "L") else ir.row_lb[r]
        if v != 0:
            out.append(f"    RHS  {rn}  {fmt(v)}")
    out.append("BOUNDS")
    for j, nm in enumerate(names):
        lo, hi = ir.lb[j], ir.ub[j]
        if binary[j]:
            out.append(f" BV BND  {nm}")
            continue
        if np.isinf(lo) and np.isinf(hi):
            out.append(f" FR BND  {nm}")
            continue
        if lo == hi:
            out.append(f" FX BND  {nm}  {fmt(lo)}")
            continue
        if np.isinf(lo):
            out.append(f" MI BND  {nm}")
        elif lo != 0:
            out.append(f" LO BND  {nm}  {fmt(lo)}")
        if not np.isinf(hi):
            out.append(f" UP BND  {nm}  {fmt(hi)}")
    out.append("ENDATA")
    return "\n".join(out) + "\n"
