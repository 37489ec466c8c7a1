"""CPLEX LP format: write a MilpIR, read a file into a Model.

Reads the common subset written by CPLEX, Gurobi, SCIP, HiGHS and Zimpl (QOBLIB):
``Minimize/Maximize``, ``Subject To``, ``Bounds``, ``General(s)``, ``Binar(y|ies)``,
``End``, ``\\`` comments, multi-line expressions, objective constants, quadratic terms
in ``[ ... ]`` (objective ``[ ... ] / 2``). Semi-continuous, SOS and indicator
constraints raise a :class:`FileFormatError` with the line number; an *empty*
semi-continuous or SOS section (HiGHS's writer emits one) is accepted.

Dialect rules where tools differ (every refusal is one :class:`FileFormatError` with
``file:line``):

- A section keyword starts a section on a line of its own or followed by content:
  ``Minimize``/``Maximize`` may carry the objective, ``Subject To c1: x >= 2`` the first
  (labelled) row, ``Generals x y`` / ``Binaries z`` their names (HiGHS, dimod). A keyword
  followed by ``:`` is a row label (``end: x >= 1`` is a constraint named ``end``), and a
  keyword among other names on a ``Generals`` line is a name.
- A single word alone in the objective section, followed by a section header, is the
  objective (``Minimize\n z\nSubject To``); elsewhere a line of unknown words where a
  section may start is reported as an unknown section.
- Two terms with no operator between them (``2 x 3 y``), or anything after a row's
  right-hand side on its line (``c1: x >= 7 y``), are a syntax error naming the text; ``inf``,
  ``infinity`` and ``nan`` are numbers, never variable names; a name followed by ``[``
  (``x[1]``) is refused: brackets are not allowed in LP names.
- A number that overflows float64 (``1e999``) is refused at its line. An infinite right-hand
  side bounds nothing on its side: a row ``c: x <= inf`` or ``c: x >= -inf`` has no finite
  side and is dropped with a :class:`LPWarning`; ``x = inf`` (or ``x <= -inf``) and bounds
  ``x >= inf``, ``x <= -inf``, ``x = inf`` are refused at their line.
- Duplicate row names are refused at the second one's line; a file that names no variable
  is refused; a leading UTF-8 byte-order mark is skipped.
- ``Binaries`` intersects ``[0, 1]`` with the bounds given in ``Bounds`` (HiGHS); a binary
  whose intersection is not ``[0, 1]`` becomes an integer with those bounds.
- A negative upper bound on a variable given no lower bound makes the lower bound ``-inf``
  (CPLEX's rule; HiGHS 1.16 and dimod keep 0). As in the MPS reader the rule is applied once
  all bounds are read (``x <= -2`` then ``x >= -5`` is ``[-5, -2]``), with a
  :class:`LPWarning` naming ``file:line`` only where it decides the final bound.
- Bounds that leave a variable empty (lower > upper) are refused at the line that set them.
- ``\\ qbdsl name LPNAME "ORIGINAL"`` (variables) and ``\\ qbdsl row LPNAME "ORIGINAL"``
  comments (written by :func:`write_lp`, JSON strings) give back the names the writer had to
  change (keywords, names read as numbers, see :func:`lp_names`).
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np

from ..errors import FileFormatError, FileFormatWarning
from .atomic import fmt
from .flat import FlatProblem, unique_name

LPWarning = FileFormatWarning  # the LP reader's dialect-rule warnings are the shared kind


_SECTIONS = {
    "minimize": "min",
    "minimum": "min",
    "min": "min",
    "maximize": "max",
    "maximum": "max",
    "max": "max",
    "subject to": "st",
    "such that": "st",
    "st": "st",
    "s.t.": "st",
    "st.": "st",
    "bounds": "bounds",
    "bound": "bounds",
    "general": "int",
    "generals": "int",
    "gen": "int",
    "integer": "int",
    "integers": "int",
    "binary": "bin",
    "binaries": "bin",
    "bin": "bin",
    "semi-continuous": "semi",
    "semi": "semi",
    "semis": "semi",
    "sos": "sos",
    "end": "end",
}
_SECTION_TITLE = {"semi": "semi-continuous", "sos": "SOS"}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<op><=|>=|=<|=>|->|<|>|=|\+|-|\[|\]|\*|\^|:(?!=)|/(?=\s|\d|$))"
    r"|(?P<name>[A-Za-z_!\"#$%&()/,.;?@`'{}|~][A-Za-z0-9_!\"#$%&()/,.;?@`'{}|~\[\]]*?(?=[\s+\-<>=*^:\[\]]|$)))"
)
_INF = {"inf", "infinity", "+inf", "+infinity"}
_NOT_NAMES = {"inf", "infinity", "nan"}  # numbers to every reader (strtod), never variables
_RELOPS = ("<=", ">=", "=<", "=>", "<", ">", "=")
_COLON = re.compile(r"\s*:")
_INLINE_ST = re.compile(r"\s*(subject\s+to|such\s+that|st|s\.t\.|st\.)\s+(?=[^\s:]+\s*:(?!=))", re.I)
_INLINE_LIST = re.compile(r"\s*(generals?|gen|integers?|binary|binaries|bin)\s+(?=[^\s:])", re.I)
_NOT_LIST = re.compile(r"[:<>=+\-\[\]*^]")  # a Generals/Binaries line holds names only
_NAME_MAP = re.compile(r"\\ qbdsl (name|row) (\S+) (\".*\")\s*$")


def _tokenize(text: str, path: str):
    toks = []  # (kind, value, line, first_on_line)
    names: dict[str, dict[str, tuple[str, int]]] = {"name": {}, "row": {}}
    for ln, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(("\\ qbdsl name ", "\\ qbdsl row ")):
            m = _NAME_MAP.match(raw)
            try:
                orig = json.loads(m.group(3))
                if not isinstance(orig, str):
                    raise ValueError
                names[m.group(1)][m.group(2)] = (orig, ln)
            except (AttributeError, ValueError):
                raise FileFormatError("malformed '\\ qbdsl name|row LPNAME \"ORIGINAL\"' comment", path, ln) from None
            continue
        line = raw.split("\\", 1)[0]
        if not line.strip():
            continue
        key = " ".join(line.strip().lower().split())
        # a keyword alone on its line is a section; 'end:' (a keyword and ':') is a label
        if key in _SECTIONS or (key.endswith(":") and " " in key[:-1].strip() and key[:-1].strip() in _SECTIONS):
            toks.append(("sec", _SECTIONS[key.rstrip(":").strip()], ln, True))
            continue
        # 'Subject To c1: x >= 2' and 'Generals x y' / 'Binaries z': the keyword starts the
        # section and the rest of the line is its first content (HiGHS, dimod)
        m = _INLINE_ST.match(line) or _INLINE_LIST.match(line)
        if m and not (m.re is _INLINE_LIST and _NOT_LIST.search(line, m.end())):
            kw = " ".join(m.group(1).lower().split())
            toks.append(("sec", _SECTIONS[kw], ln, True))
            line = " " * m.end() + line[m.end() :]
        pos, first, end = 0, True, len(line.rstrip())
        while pos < end:
            m = _TOKEN.match(line, pos)
            if not m or m.end() == pos:
                raise FileFormatError(f"unexpected text {line[pos:].strip()[:30]!r}", path, ln)
            kind = m.lastgroup
            val = m.group(kind)
            if kind == "name" and line.startswith("[", m.end()):
                raise FileFormatError(
                    f"brackets are not allowed in LP names: {line[m.start(kind) :].split()[0]!r} "
                    "('[' opens a quadratic term)",
                    path,
                    ln,
                )
            if (
                kind == "name"
                and first
                and _SECTIONS.get(val.lower()) in ("min", "max")
                and not _COLON.match(line, m.end())
            ):
                toks.append(("sec", _SECTIONS[val.lower()], ln, True))  # 'Minimize obj: ...' on one line
            else:
                toks.append((kind, val, ln, first))
            pos, first = m.end(), False
    return toks, names


class _Parser:
    def __init__(self, toks, path):
        self.t = toks
        self.k = 0
        self.path = path
        self.fp = FlatProblem()
        self.lb_line: dict[int, int] = {}  # variable -> line of the bound that set its lower bound
        self.ub_line: dict[int, int] = {}
        self.binaries: dict[int, int] = {}  # variable -> line of its Binaries entry
        self.row_line: dict[str, int] = {}  # explicit row name -> its line
        self.auto_rows: set[str] = set()  # names given to unnamed rows (R1, R2, ...)
        self.neg_up: set[int] = set()  # variables that were given a negative upper bound

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

    def var(self, tok):
        """The column of a name token; ``inf``/``nan`` are numbers, not names."""
        if tok[0] != "name" or tok[1].lower() in _NOT_NAMES:
            self.error(f"expected a variable name, found {tok[1]!r}", tok)
        return self.fp.var(tok[1])

    def lone_word(self, off=0):
        """The words of the line at token ``off`` when that line holds only names and the next
        line does not go on with an operator: where a statement may start, that is an
        (unknown) section header. None otherwise."""
        a = self.peek(off)
        if a[0] != "name" or not a[3]:
            return None
        words, k = [a[1]], off + 1
        while True:
            b = self.peek(k)
            if b[0] in ("sec", "eof") or b[3]:
                return " ".join(words) if b[0] != "op" else None
            if b[0] != "name":
                return None
            words.append(b[1])
            k += 1

    def unknown_section(self, tok):
        self.error(f"unknown section {self.lone_word()!r} (not an LP keyword)", tok)

    def label(self):
        a, b = self.peek(), self.peek(1)
        if a[0] in ("name", "num") and b[0] == "op" and b[1] == ":":
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

    def num(self, tok) -> float:
        """The value of a number token; one that overflows float64 (``1e999``) is refused."""
        v = float(tok[1])
        if not np.isfinite(v):
            self.error(f"number {tok[1]!r} overflows float64 (write 'inf' for an infinite bound)", tok)
        return v

    def number(self):
        sign, tok = self.signs()
        if tok[0] == "num":
            self.k += 1
            return sign * self.num(tok)
        if tok[0] == "name" and tok[1].lower() in _INF:
            self.k += 1
            return sign * np.inf
        self.error(f"expected a number, found {tok[1]!r}")

    def at_label(self):
        tok = self.peek()
        return tok[0] in ("name", "num") and tok[3] and self.peek(1)[0] == "op" and self.peek(1)[1] == ":"

    def expression(self, stop_ops=_RELOPS):
        """Linear + bracketed quadratic terms until a relational operator or section."""
        lin: dict[int, float] = {}
        quad: list = []
        const = 0.0
        first = True
        while True:
            tok = self.peek()
            if (
                tok[0] == "name"
                and str(tok[1]).lower() in ("s1", "s2")
                and self.peek(1)[:2] == ("op", ":")
                and self.peek(2)[:2] == ("op", ":")
            ):
                self.error(f"SOS constraints ('{tok[1]}::') are not supported")
            if tok[0] in ("sec", "eof") or (tok[0] == "op" and tok[1] in stop_ops) or self.at_label():
                break
            if tok[0] == "op" and tok[1] == "->":
                self.error("indicator constraints are not supported")
            if not first and not (tok[0] == "op" and tok[1] in "+-"):
                if self.lone_word():
                    self.unknown_section(tok)
                self.error(
                    f"missing operator before {tok[1]!r}: terms need a '+' or '-' between them, "
                    "a right-hand side a relational operator before it"
                )
            first = False
            sign, tok = self.signs()
            if tok[0] == "op" and tok[1] == "[":
                self.k += 1
                q = self.quadratic()
                quad.extend((i, j, sign * v) for i, j, v in q)
                continue
            coef = 1.0
            if tok[0] == "num" or (tok[0] == "name" and tok[1].lower() in _NOT_NAMES):
                if tok[0] == "name":
                    self.error(f"{tok[1]!r} is not a valid coefficient or variable name")
                coef = self.num(tok)
                self.k += 1
                tok = self.peek()
                if tok[0] != "name" or self.at_label():
                    const += sign * coef
                    continue
            j = self.var(tok)
            self.k += 1
            lin[j] = lin.get(j, 0.0) + sign * coef
        return lin, quad, const

    def quadratic(self):
        out = []
        first = True
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
            if not first and not (tok[0] == "op" and tok[1] in "+-"):
                self.error(
                    f"missing operator before {tok[1]!r} inside '[ ]': a term there must be a "
                    "product x * y or a square x ^ 2"
                )
            first = False
            sign, tok = self.signs()
            coef = 1.0
            if tok[0] == "num":
                coef = self.num(tok)
                self.k += 1
                tok = self.peek()
            if tok[0] != "name":
                self.error(f"expected a variable in a quadratic term, found {tok[1]!r}")
            i = self.var(tok)
            self.k += 1
            nxt = self.peek()
            if nxt[0] == "op" and nxt[1] == "^":
                self.k += 1
                if self.number() != 2:
                    self.error("only ^2 is supported")
                out.append((i, i, sign * coef))
            elif nxt[0] == "op" and nxt[1] == "*":
                self.k += 1
                t2 = self.take()
                out.append((i, self.var(t2), sign * coef))
            else:
                self.error("a term inside '[ ]' must be a product x * y or a square x ^ 2")

    def parse(self):
        fp = self.fp
        tok = self.peek()
        if tok[0] != "sec" or tok[1] not in ("min", "max"):
            self.error("an LP file starts with Minimize or Maximize")
        fp.sense = self.take()[1]
        words = self.lone_word()
        # 'Minimize\n z\nSubject To': a single word before the next section is the objective
        if words and not (" " not in words and self.peek(1)[0] in ("sec", "eof")):
            self.unknown_section(self.peek())
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
                    self.finish()
                    return fp
                if section in ("semi", "sos"):
                    nxt = self.peek()
                    if nxt[0] not in ("sec", "eof"):
                        self.error(
                            f"the {_SECTION_TITLE[section]} section lists {nxt[1]!r}: "
                            f"{_SECTION_TITLE[section]} variables are not supported",
                            tok,
                        )
                if section in ("min", "max"):
                    self.error("a second objective section", tok)
                continue
            if section == "st":
                if self.lone_word():
                    self.unknown_section(tok)
                self.constraint()
            elif section == "bounds":
                words = self.lone_word()
                if words and not (len(words.split()) == 2 and words.split()[1].lower() == "free"):
                    self.unknown_section(tok)
                self.bound()
            elif section in ("int", "bin"):
                t = self.take()
                j = self.var(t)
                if section == "bin":
                    self.binaries[j] = t[2]
                else:
                    fp.kinds[j] = "integer"
            else:
                self.error(f"unexpected {tok[1]!r} outside a section")

    def finish(self):
        """The negative-upper-bound rule, once all bounds are read; Binaries intersect [0, 1]
        with their bounds; empty domains are refused."""
        fp = self.fp
        for j in sorted(self.neg_up):
            if j not in self.lb_line and fp.lb[j] == 0 and fp.ub[j] < 0:
                warnings.warn(
                    f"{self.path}:{self.ub_line[j]}: upper bound {fp.ub[j]} of {fp.var_names[j]!r} is "
                    "negative and no lower bound is given: the lower bound becomes -inf (CPLEX's rule; "
                    "HiGHS 1.16 and dimod keep the lower bound 0)",
                    LPWarning,
                    stacklevel=4,
                )
                fp.lb[j] = -np.inf
        for j, ln in self.binaries.items():
            lo, hi = max(fp.lb[j], 0.0), min(fp.ub[j], 1.0)
            if (lo, hi) == (0.0, 1.0):
                fp.kinds[j] = "binary"
            else:  # tightened: an integer keeps the bounds (QUBO encodings ignore a binary's bounds)
                fp.kinds[j] = "integer"
                lo, hi = float(np.ceil(lo - 1e-9)), float(np.floor(hi + 1e-9))
            if lo > hi:
                raise FileFormatError(
                    f"binary {fp.var_names[j]!r} has bounds [{fp.lb[j]}, {fp.ub[j]}], outside [0, 1]", self.path, ln
                )
            fp.lb[j], fp.ub[j] = lo, hi
        for j, (lo, hi) in enumerate(zip(fp.lb, fp.ub)):
            if lo > hi:
                ln = max(self.lb_line.get(j, 0), self.ub_line.get(j, 0))
                raise FileFormatError(
                    f"variable {fp.var_names[j]!r}: lower bound {lo} > upper bound {hi}", self.path, ln or None
                )

    def constraint(self):
        start = self.peek()
        label = self.label()
        if label is not None:
            if label in self.row_line:
                self.error(f"duplicate row name {label!r} (first at line {self.row_line[label]})", start)
            self.row_line[label] = start[2]
        lin, quad, const = self.expression()
        op = self.take()
        shown = label if label is not None else "row"
        if op[0] != "op" or op[1] not in _RELOPS:
            self.error(f"constraint {shown!r} has no relational operator", start)
        rhs = self.number()
        nxt = self.peek()
        if nxt[0] not in ("sec", "eof") and not nxt[3]:
            self.error(
                f"syntax error in constraint {shown!r}: {nxt[1]!r} follows the right-hand side {rhs:g} "
                "(a right-hand side is one number; terms belong on the left)",
                nxt,
            )
        sense = {"<=": "<=", "=<": "<=", "<": "<=", ">=": ">=", "=>": ">=", ">": ">=", "=": "=="}[op[1]]
        if np.isinf(rhs):
            if sense == "==" or (sense == "<=") == (rhs < 0):
                self.error(f"constraint {shown!r}: '{op[1]} {rhs}' can never hold", op)
            warnings.warn(
                f"{self.path}:{op[2]}: constraint {shown!r} has no finite side "
                f"('{op[1]} {rhs}' bounds nothing): the row is dropped",
                LPWarning,
                stacklevel=4,
            )
            return
        if label is None:
            label = f"R{len(self.fp.row_names) + 1}"
            while label in self.row_line:
                label = "_" + label
            self.auto_rows.add(label)
        elif label in self.auto_rows:  # an explicit name taken by an earlier unnamed row: rename that row
            k = self.fp.row_names.index(label)
            new = "_" + label
            while new in self.row_line or new in self.fp.row_names:
                new = "_" + new
            self.fp.row_names[k] = new
            self.auto_rows.discard(label)
        self.fp.add_row(label, sense, lin, rhs - const, quad)

    def set_bound(self, j, op, v, tok):
        fp = self.fp
        upper = op in ("<=", "=<", "<")
        if np.isinf(v) and (op == "=" or upper == (v < 0)):
            self.error(f"bound '{fp.var_names[j]} {op} {v}' leaves {fp.var_names[j]!r} no finite value", tok)
        if op == "=":
            fp.lb[j] = fp.ub[j] = v
            self.lb_line[j] = self.ub_line[j] = tok[2]
        elif upper:
            if v < 0:
                self.neg_up.add(j)
            fp.ub[j] = v
            self.ub_line[j] = tok[2]
        else:
            fp.lb[j] = v
            self.lb_line[j] = tok[2]

    def bound(self):
        fp = self.fp
        tok = self.peek()
        flip = {"<=": ">=", "=<": ">=", "<": ">=", ">=": "<=", "=>": "<=", ">": "<=", "=": "="}
        if tok[0] == "name" and self.peek(1)[0] == "name" and self.peek(1)[1].lower() == "free":
            j = self.var(tok)
            self.k += 2
            fp.lb[j], fp.ub[j] = -np.inf, np.inf
            self.lb_line[j] = self.ub_line[j] = tok[2]
            return
        if tok[0] == "name" and tok[1].lower() not in _INF:
            j = self.var(self.take())
            op = self.take()
            if op[1] not in _RELOPS:
                self.error(f"bad bound for {fp.var_names[j]!r}", op)
            self.set_bound(j, op[1], self.number(), tok)
            return
        v = self.number()
        op = self.take()
        if op[1] not in _RELOPS:
            self.error("bad bound", op)
        t = self.take()
        if t[0] != "name":
            self.error(f"expected a variable name in bound, found {t[1]!r}", t)
        j = self.var(t)
        nxt = self.peek()
        two_sided = nxt[0] == "op" and nxt[1] in _RELOPS
        if two_sided and op[1] in ("<=", "=<", "<"):
            self.lb_line[j] = tok[2]  # 'lo <= x <= hi' sets both: no default lower bound left
        self.set_bound(j, flip[op[1]], v, tok)
        if two_sided:
            self.k += 1
            self.set_bound(j, nxt[1], self.number(), tok)


def _restore_names(fp: FlatProblem, names: dict, path: str) -> None:
    """Give back the original names that :func:`write_lp` had to change (its map comments)."""
    for attr, key in (("var_names", "name"), ("row_names", "row")):
        lst = getattr(fp, attr)
        names_ = names[key]
        if not names_:
            continue
        new = [names_[nm][0] if nm in names_ else nm for nm in lst]
        if len(set(new)) < len(set(lst)):  # the map made two different names one
            count: dict = {}
            for orig in new:
                count[orig] = count.get(orig, 0) + 1
            nm = next(nm for nm in lst if nm in names_ and count[names_[nm][0]] > 1)
            raise FileFormatError(
                f"the name map gives {names_[nm][0]!r} to two {key if key == 'row' else 'variable'}s",
                path,
                names_[nm][1],
            )
        lst[:] = new


def read_lp(
    text: str, path: str = "<lp>", name: str | None = None, default_name: str = "model", group_rows: bool = False
):
    """Parse CPLEX LP text into a :class:`~qbdsl.model.Model` (``group_rows``:
    :func:`qbdsl.io.flat.flat_to_model`).

    The model's name is ``name``, else the one in a ``\\ qbdsl model NAME`` comment,
    else ``default_name``.

    Raises
    ------
    FileFormatError
        Malformed text, located as ``path:line`` (module docstring).
    """
    text = text.removeprefix("\ufeff")
    if name is None:
        m = re.match(r"\\ qbdsl model (\S+)", text)
        name = m.group(1) if m else default_name
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark
    toks, names = _tokenize(text, path)
    if not toks:
        raise FileFormatError("empty LP file", path)
    p = _Parser(toks, path)
    fp = p.parse()
    if not fp.var_names:
        raise FileFormatError("the file declares no variables", path)
    _restore_names(fp, names, path)
    fp.name = name
    return fp.to_model(group_rows)


def _term(v: float, name: str) -> str:
    s = "-" if v < 0 else "+"
    a = abs(v)
    return f"{s} {name}" if a == 1 else f"{s} {fmt(a)} {name}"


def _terms(cols: np.ndarray, vals: np.ndarray, names: list[str]) -> list[str]:
    return [_term(v, names[j]) for j, v in zip(cols.tolist(), vals.tolist())]


_LINE = 250  # characters per written line at most (CPLEX reads 510), unless one part is longer


def _wrap(prefix: str, parts: list[str], per_line: int = 8) -> str:
    """``parts`` joined by spaces, at most ``per_line`` of them and about ``_LINE`` characters
    on a line; continuation lines are indented."""
    lines, cur, width = [], [], len(prefix)
    for part in parts:
        if cur and (len(cur) >= per_line or width + 1 + len(part) > _LINE):
            lines.append(" ".join(cur))
            cur, width = [], 4
        cur.append(part)
        width += 1 + len(part)
    lines.append(" ".join(cur))
    return prefix + "\n    ".join(lines)


_LP_BAD = re.compile(r"[^A-Za-z0-9_!\"#$%&()/,.;?@`'{}|~]")
# names that readers take for something else: section keywords (HiGHS and dimod refuse them
# anywhere), 'free', the first word of 'subject to' / 'such that', numbers (strtod reads
# 'inf...' and 'nan...'), and the exponent letter (CPLEX: avoid names starting with e/E)
_KEYWORDS = set(_SECTIONS) | {
    "free",
    "subject",
    "such",
    "infinity",
    "inf",
    "nan",
    "sos1",
    "sos2",
    "semicontinuous",
    "semi-continuous",
    "general",
    "integer",
    "binary",
}
_MAX_NAME = 255  # CPLEX's limit


def _unsafe(s: str) -> bool:
    low = s.lower()
    return (
        low in _KEYWORDS
        or low.startswith(("inf", "nan"))
        or s[0] in "eE."
        or s[0].isdigit()
        or "/" in s
        or len(s) > _MAX_NAME
    )


def lp_names(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Names every LP reader takes the same way, and the map back to the originals.

    Characters LP forbids (e.g. '-', an operator in LP) become '_' and stay so when read back
    (other tools see the same names). A name that readers would take for something else -- a
    section keyword (``end``, ``st``, ``free``, ``bounds``, ``bin`` ...), a number (``inf...``,
    ``nan...``), one starting with a digit, '.' or the exponent letter ``e``/``E``, one holding
    '/', one longer than 255 characters -- is written as ``_`` + the name (cut to 200 characters
    plus a hash when long) and the returned map (written name -> original name, forbidden
    characters included) lets :func:`read_lp` give the original back. Other collisions get a
    numeric suffix (not mapped back, as before).
    """
    import hashlib

    visible = [_LP_BAD.sub("_", nm) or "_" for nm in names]
    taken = set(visible)
    out, seen, back = [], set(), {}
    for nm, s in zip(names, visible):
        if _unsafe(s):
            t = s.replace("/", "_")
            if len(t) > 200:
                t = t[:200] + "_" + hashlib.sha1(t.encode()).hexdigest()[:10]
            w = unique_name("_" + t, seen | taken)
            back[w] = nm
        else:
            w = unique_name(s, seen)
        seen.add(w)
        out.append(w)
    return out, back


def _binary_columns(ir, integ, lb, ub) -> np.ndarray:
    """Columns written in ``Binaries``: the binaries (bounds [0, 1]), and the integer columns
    with bounds [0, 1] of every array (names grouped by stem as the reader groups them) whose
    columns are all such -- e.g. the products of binaries -- so that they read back as
    binaries; an array that mixes them with other integers stays whole as integers, since the
    reader keeps one kind per array and would otherwise reorder the columns."""
    from .flat import _stem

    flagged = np.asarray(ir.binary, bool) if ir.binary is not None else np.zeros(len(lb), bool)
    unit = integ & (lb == 0) & (ub == 1)
    out = flagged & unit
    groups: dict = {}
    for j, nm in enumerate(ir.var_names):
        groups.setdefault(_stem(nm)[0], []).append(j)
    for cols in groups.values():
        cols = np.asarray(cols)
        if unit[cols].all():
            out[cols] = True
    return out


def write_lp(ir) -> str:
    """CPLEX LP text of a :class:`~qbdsl.ir.milp.MilpIR` (names made LP-safe, see :func:`lp_names`).

    Binaries, and integer columns with bounds [0, 1] (products of binaries), go to
    ``Binaries`` (see :func:`_binary_columns`); any other bounds of a column are written in
    ``Bounds``, those of binaries included.
    """
    names, var_back = lp_names(ir.var_names)
    row_names, row_back = lp_names(ir.row_names)
    out = [f"\\ qbdsl model {ir.name}"]
    out += [f"\\ qbdsl name {w} {json.dumps(o)}" for w, o in var_back.items()]
    out += [f"\\ qbdsl row {w} {json.dumps(o)}" for w, o in row_back.items()]
    out.append("Maximize" if ir.sense == "max" else "Minimize")
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
    lb, ub = np.asarray(ir.lb, float), np.asarray(ir.ub, float)
    integ = np.asarray(ir.integrality, bool)
    binary = _binary_columns(ir, integ, lb, ub)
    for j, nm in enumerate(names):
        if binary[j]:
            continue
        lo, hi = lb[j], ub[j]
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
    gen = [names[j] for j in np.flatnonzero(integ & ~binary)]
    if gen:
        out.append("Generals")
        out.extend(_wrap(" ", gen, 10).split("\n"))
    bins = [names[j] for j in np.flatnonzero(binary)]
    if bins:
        out.append("Binaries")
        out.extend(_wrap(" ", bins, 10).split("\n"))
    out.append("End")
    return "\n".join(out) + "\n"
