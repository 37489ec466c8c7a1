"""CPLEX LP format: write a MilpIR, read a file into a Model.

Reads the common subset written by CPLEX, Gurobi, SCIP, HiGHS and Zimpl (QOBLIB):
``Minimize/Maximize``, ``Subject To``, ``Bounds``, ``General(s)``, ``Binar(y|ies)``,
``End``, ``\\`` comments, multi-line expressions, objective constants, quadratic terms
in ``[ ... ]`` (objective ``[ ... ] / 2``). Semi-continuous, SOS and indicator
constraints raise a :class:`FileFormatError` with the line number.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import FileFormatError
from .atomic import fmt
from .flat import FlatProblem, unique_name

_SECTIONS = {
    "minimize": "min", "minimum": "min", "min": "min",
    "maximize": "max", "maximum": "max", "max": "max",
    "subject to": "st", "such that": "st", "st": "st", "s.t.": "st",
    "bounds": "bounds", "bound": "bounds",
    "general": "int", "generals": "int", "gen": "int", "integer": "int", "integers": "int",
    "binary": "bin", "binaries": "bin", "bin": "bin",
    "semi-continuous": "unsupported", "semi": "unsupported", "semis": "unsupported", "sos": "unsupported",
    "end": "end",
}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<op><=|>=|=<|=>|->|<|>|=|\+|-|\[|\]|\*|\^|:(?!=)|/(?=\s|\d|$))"
    r"|(?P<name>[A-Za-z_!\"#$%&()/,.;?@`'{}|~][A-Za-z0-9_!\"#$%&()/,.;?@`'{}|~\[\]]*?(?=[\s+\-<>=*^:\[\]]|$)))"
)
_INF = {"inf", "infinity", "+inf", "+infinity"}


def _tokenize(text: str, path: str):
    toks = []  # (kind, value, line, first_on_line)
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("\\", 1)[0]
        if not line.strip():
            continue
        low = line.strip().lower()
        key = " ".join(low.split())
        if key.rstrip(":") in _SECTIONS:
            toks.append(("sec", _SECTIONS[key.rstrip(":")], ln, True))
            continue
        pos, first = 0, True
        while pos < len(line):
            if line[pos:].strip() == "":
                break
            m = _TOKEN.match(line, pos)
            if not m or m.end() == pos:
                raise FileFormatError(f"unexpected text {line[pos:].strip()[:30]!r}", path, ln)
            kind = m.lastgroup
            val = m.group(kind)
            if kind == "name" and first and val.lower() in _SECTIONS and _SECTIONS[val.lower()] != "st":
                toks.append(("sec", _SECTIONS[val.lower()], ln, True))
            else:
                toks.append((kind, val, ln, first))
            pos, first = m.end(), False
    return toks


class _Parser:
    def __init__(self, toks, path):
        self.t = toks
        self.k = 0
        self.path = path
        self.fp = FlatProblem()

    def peek(self, off=0):
        k = self.k + off
        return self.t[k] if k < len(self.t) else ("eof", None, self.t[-1][2] if self.t else 0, True)

    def take(self):
        tok = self.peek()
        self.k += 1
        return tok

    def error(self, msg, tok=None):
        tok = tok or self.peek()
        raise FileFormatError(msg, self.path, tok[2])

    def label(self):
        a, b = self.peek(), self.peek(1)
        if a[0] == "name" and b[0] == "op" and b[1] == ":":
            self.k += 2
            return a[1]
        return None

    def signs(self):
        """Consume a run of '+'/'-' tokens; return the sign and the next token."""
        sign = 1.0
        tok = self.peek()
        while tok[0] == "op" and tok[1] in "+-":
            sign = -sign if tok[1] == "-" else sign
            self.k += 1
            tok = self.peek()
        return sign, tok

    def number(self):
        sign, tok = self.signs()
        if tok[0] == "num":
            self.k += 1
            return sign * float(tok[1])
        if tok[0] == "name" and tok[1].lower() in _INF | {"inf", "infinity"}:
            self.k += 1
            return sign * np.inf
        self.error(f"expected a number, found {tok[1]!r}")

    def expression(self, stop_ops=("<=", ">=", "=<", "=>", "<", ">", "=")):
        """Linear + bracketed quadratic terms until a relational operator or section."""
        lin: dict[int, float] = {}
        quad: list = []
        const = 0.0
        while True:
            tok = self.peek()
            if tok[0] in ("sec", "eof") or (tok[0] == "op" and tok[1] in stop_ops):
                break
            if tok[0] in ("name", "num") and tok[3] and self.k > 0 and self.peek(1)[0] == "op" and self.peek(1)[1] == ":":
                break  # next labelled row
            if tok[0] == "op" and tok[1] == "->":
                self.error("indicator constraints are not supported")
            sign, tok = self.signs()
            if tok[0] == "op" and tok[1] == "[":
                self.k += 1
                q = self.quadratic()
                quad.extend((i, j, sign * v) for i, j, v in q)
                continue
            coef = 1.0
            if tok[0] == "num":
                coef = float(tok[1])
                self.k += 1
                tok = self.peek()
                if tok[0] != "name" or (tok[3] and self.peek(1)[1] == ":"):
                    const += sign * coef
                    continue
            if tok[0] != "name":
                self.error(f"expected a variable name, found {tok[1]!r}")
            self.k += 1
            j = self.fp.var(tok[1])
            lin[j] = lin.get(j, 0.0) + sign * coef
        return lin, quad, const

    def quadratic(self):
        out = []
        while True:
            tok = self.peek()
            if tok[0] == "op" and tok[1] == "]":
                self.k += 1
                if self.peek()[0] == "op" and self.peek()[1] == "/":
                    self.k += 1
                    d = self.number()
                    out = [(i, j, v / d) for i, j, v in out]
                return out
            if tok[0] in ("sec", "eof"):
                self.error("unterminated '[' in quadratic expression")
            sign, tok = self.signs()
            coef = 1.0
            if tok[0] == "num":
                coef = float(tok[1])
                self.k += 1
                tok = self.peek()
            if tok[0] != "name":
                self.error(f"expected a variable in a quadratic term, found {tok[1]!r}")
            self.k += 1
            i = self.fp.var(tok[1])
            nxt = self.peek()
            if nxt[0] == "op" and nxt[1] == "^":
                self.k += 1
                if self.number() != 2:
                    self.error("only ^2 is supported")
                out.append((i, i, sign * coef))
            elif nxt[0] == "op" and nxt[1] == "*":
                self.k += 1
                t2 = self.take()
                if t2[0] != "name":
                    self.error(f"expected a variable after '*', found {t2[1]!r}", t2)
                out.append((i, self.fp.var(t2[1]), sign * coef))
            else:
                self.error("a term inside '[ ]' must be a product x * y or a square x ^ 2")

    def parse(self):
        fp = self.fp
        tok = self.peek()
        if tok[0] != "sec" or tok[1] not in ("min", "max"):
            self.error("an LP file starts with Minimize or Maximize")
        fp.sense = self.take()[1]
        self.label()
        lin, quad, const = self.expression()
        fp.obj, fp.obj_quad, fp.offset = lin, quad, const
        section = None
        while True:
            tok = self.peek()
            if tok[0] == "eof":
                self.error("missing End")
            if tok[0] == "sec":
                self.k += 1
                section = tok[1]
                if section == "end":
                    return fp
                if section == "unsupported":
                    self.error("semi-continuous and SOS sections are not supported", tok)
                if section in ("min", "max"):
                    self.error("a second objective section", tok)
                continue
            if section == "st":
                self.constraint()
            elif section == "bounds":
                self.bound()
            elif section in ("int", "bin"):
                t = self.take()
                if t[0] != "name":
                    self.error(f"expected a variable name, found {t[1]!r}", t)
                j = fp.var(t[1])
                if section == "bin":
                    fp.kinds[j] = "binary"
                    fp.lb[j], fp.ub[j] = 0.0, 1.0
                elif fp.kinds[j] != "binary":
                    fp.kinds[j] = "integer"
            else:
                self.error(f"unexpected {tok[1]!r} outside a section")

    def constraint(self):
        start = self.peek()
        name = self.label() or f"R{len(self.fp.row_names) + 1}"
        lin, quad, const = self.expression()
        op = self.take()
        if op[0] != "op" or op[1] not in ("<=", ">=", "=<", "=>", "<", ">", "="):
            self.error(f"constraint {name!r} has no relational operator", start)
        rhs = self.number()
        sense = {"<=": "<=", "=<": "<=", "<": "<=", ">=": ">=", "=>": ">=", ">": ">=", "=": "=="}[op[1]]
        self.fp.add_row(name, sense, lin, rhs - const, quad)

    def bound(self):
        fp = self.fp
        tok = self.peek()
        ops = ("<=", ">=", "=<", "=>", "<", ">", "=")
        if tok[0] == "name" and self.peek(1)[0] == "name" and self.peek(1)[1].lower() == "free":
            j = fp.var(tok[1])
            self.k += 2
            fp.lb[j], fp.ub[j] = -np.inf, np.inf
            return
        if tok[0] == "name" and tok[1].lower() not in _INF:
            j = fp.var(self.take()[1])
            op = self.take()
            if op[1] not in ops:
                self.error(f"bad bound for {fp.var_names[j]!r}", op)
            v = self.number()
            if op[1] == "=":
                fp.lb[j] = fp.ub[j] = v
            elif op[1] in ("<=", "=<", "<"):
                fp.ub[j] = v
            else:
                fp.lb[j] = v
            return
        v = self.number()
        op = self.take()
        if op[1] not in ops:
            self.error("bad bound", op)
        t = self.take()
        if t[0] != "name":
            self.error(f"expected a variable name in bound, found {t[1]!r}", t)
        j = fp.var(t[1])
        if op[1] in ("<=", "=<", "<"):
            fp.lb[j] = v
        elif op[1] == "=":
            fp.lb[j] = fp.ub[j] = v
        else:
            fp.ub[j] = v
        nxt = self.peek()
        if nxt[0] == "op" and nxt[1] in ops:
            self.k += 1
            w = self.number()
            if nxt[1] in ("<=", "=<", "<"):
                fp.ub[j] = w
            else:
                fp.lb[j] = w


def read_lp(text: str, path: str = "<lp>", name: str | None = None, default_name: str = "model"):
    """Parse CPLEX LP text into a :class:`~qbdsl.model.Model`.

    The model's name is ``name``, else the one in a ``\\ qbdsl model NAME`` comment,
    else ``default_name``.
    """
    if name is None:
        m = re.match(r"\\ qbdsl model (\S+)", text)
        name = m.group(1) if m else default_name
    toks = _tokenize(text, path)
    if not toks:
        raise FileFormatError("empty LP file", path)
    p = _Parser(toks, path)
    fp = p.parse()
    fp.name = name
    return fp.to_model()


def _term(v: float, name: str) -> str:
    s = "-" if v < 0 else "+"
    a = abs(v)
    return f"{s} {name}" if a == 1 else f"{s} {fmt(a)} {name}"


def _terms(cols: np.ndarray, vals: np.ndarray, names: list[str]) -> list[str]:
    return [_term(v, names[j]) for j, v in zip(cols.tolist(), vals.tolist())]


def _wrap(prefix: str, parts: list[str], per_line: int = 8) -> str:
    lines = []
    for k in range(0, max(len(parts), 1), per_line):
        lines.append(" ".join(parts[k:k + per_line]))
    return prefix + "\n    ".join(lines)


_LP_BAD = re.compile(r"[^A-Za-z0-9_!\"#$%&()/,.;?@`'{}|~]")


def lp_names(names: list[str]) -> list[str]:
    """Names the LP format accepts: other characters (e.g. '-', an operator in LP) become
    '_', a leading digit or '.' gets a '_' prefix, collisions get a numeric suffix."""
    out, seen = [], set()
    for nm in names:
        s = _LP_BAD.sub("_", nm)
        if not s or s[0].isdigit() or s[0] == ".":
            s = "_" + s
        out.append(unique_name(s, seen))
    return out


def write_lp(ir) -> str:
    """CPLEX LP text of a :class:`~qbdsl.ir.milp.MilpIR` (names made LP-safe, see :func:`lp_names`)."""
    names = lp_names(ir.var_names)
    row_names = lp_names(ir.row_names)
    out = [f"\\ qbdsl model {ir.name}", "Maximize" if ir.sense == "max" else "Minimize"]
    # every column appears in the objective (zero coefficients included) so a reader
    # meets the variables in column order and a round trip keeps that order
    parts = [_term(v, nm) if v != 0 else f"+ 0 {nm}" for v, nm in zip(ir.c.tolist(), names)]
    if ir.offset != 0 or not parts:
        parts.append(("- " if ir.offset < 0 else "+ ") + fmt(abs(ir.offset)))
    out.append(_wrap(" obj: ", parts))
    out.append("Subject To")
    A = ir.A
    for r in range(A.shape[0]):
        s, e = A.indptr[r], A.indptr[r + 1]
        parts = _terms(A.indices[s:e], A.data[s:e], names) or [f"0 {names[0]}"]
        lo, hi = ir.row_lb[r], ir.row_ub[r]
        if lo == hi:
            tail = f"= {fmt(hi)}"
        elif np.isinf(lo):
            tail = f"<= {fmt(hi)}"
        elif np.isinf(hi):
            tail = f">= {fmt(lo)}"
        else:
            raise ValueError("ranged rows are split before writing")
        out.append(_wrap(f" {row_names[r]}: ", parts + [tail]))
    out.append("Bounds")
    binary = ir.binary if ir.binary is not None else np.zeros(len(names), bool)
    for j, nm in enumerate(names):
        if binary[j]:
            continue
        lo, hi = ir.lb[j], ir.ub[j]
        if lo == 0 and np.isinf(hi):
            continue
        if np.isinf(lo) and np.isinf(hi):
            out.append(f" {nm} free")
        elif lo == hi:
            out.append(f" {nm} = {fmt(lo)}")
        else:
            lo_s = "-inf" if np.isinf(lo) else fmt(lo)
            hi_s = "+inf" if np.isinf(hi) else fmt(hi)
            out.append(f" {lo_s} <= {nm} <= {hi_s}")
    gen = [names[j] for j in np.flatnonzero(ir.integrality & ~binary)]
    if gen:
        out.append("Generals")
        out.extend(_wrap(" ", gen, 10).split("\n"))
    bins = [names[j] for j in np.flatnonzero(binary)]
    if bins:
        out.append("Binaries")
        out.extend(_wrap(" ", bins, 10).split("\n"))
    out.append("End")
    return "\n".join(out) + "\n"
