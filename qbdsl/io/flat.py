"""Flat problems (named scalar variables and rows) as read from LP/MPS/QP files, and
their conversion into a :class:`~qbdsl.model.Model` with variable arrays.

Names like ``x(0,1)`` (qbdsl's own) become arrays with that shape; other names are
grouped by their stem (``x#1#2`` -> ``x``, ``c1_4`` -> ``c1``) into 1-D arrays that keep
every original name as a label, so writing the model back reproduces them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError

_BOX = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_.\-]*)\((?P<idx>\d+(?:,\d+)*)\)$")
_HASH = re.compile(r"^(?P<base>[^#]+)#.+$")
_UNDER = re.compile(r"^(?P<base>.+?)_\d+$")
_DIGITS = re.compile(r"^(?P<base>[A-Za-z]+)\d+$")  # MIPLIB-style x12, C0001: one labelled array per stem
_TRAILING = re.compile(r"^(?P<base>.*?)\d+$")  # rows: R0001, dem...01, 17 (stem "" becomes "row")
_VALID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass
class FlatProblem:
    """A problem over named scalar variables."""

    name: str = "model"
    var_names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "binary" | "integer" | "continuous"
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    sense: str = "min"
    obj: dict[int, float] = field(default_factory=dict)
    obj_quad: list[tuple[int, int, float]] = field(default_factory=list)
    offset: float = 0.0
    row_names: list[str] = field(default_factory=list)
    row_sense: list[str] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)
    rows_i: list[int] = field(default_factory=list)
    rows_j: list[int] = field(default_factory=list)
    rows_v: list[float] = field(default_factory=list)
    row_quad: list[tuple[int, int, int, float]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def var(self, name: str) -> int:
        """The index of the variable called ``name``, added (continuous, ``[0, inf)``) when new."""
        k = self.index.get(name)
        if k is None:
            k = self.index[name] = len(self.var_names)
            self.var_names.append(name)
            self.kinds.append("continuous")
            self.lb.append(0.0)
            self.ub.append(np.inf)
        return k

    def add_row(self, name: str, sense: str, terms: dict[int, float], rhs: float, quad=()) -> None:
        """Append a row ``sum terms + quad (sense) rhs``.

        Parameters
        ----------
        name : str
            The row's name as in the file; :meth:`to_model` groups rows by its stem into
            constraint blocks and keeps it as the row's label.
        sense : {"==", "<=", ">="}
            The row's comparison.
        terms : dict of int to float
            Linear coefficients by variable index.
        rhs : float
            The constant right-hand side.
        quad : iterable of (int, int, float), optional
            Quadratic terms ``(i, j, coef)``.
        """
        r = len(self.row_names)
        self.row_names.append(name)
        self.row_sense.append(sense)
        self.rhs.append(rhs)
        for j, v in terms.items():
            self.rows_i.append(r)
            self.rows_j.append(j)
            self.rows_v.append(v)
        for i, j, v in quad:
            self.row_quad.append((r, i, j, v))

    def to_model(self, group_rows: bool = False):
        """The :class:`~qbdsl.model.Model` of this problem (:func:`flat_to_model`).

        Raises
        ------
        ModelError
            No variables, or what the Model API refuses.
        """
        return flat_to_model(self, group_rows)


def _stem(name: str, digits: bool = False, rows: bool = False):
    m = _BOX.match(name)
    if m:
        return m.group("base"), tuple(int(t) for t in m.group("idx").split(","))
    for rx in (_HASH, _UNDER, _TRAILING if rows else _DIGITS) if digits else (_HASH, _UNDER):
        m = rx.match(name)
        if m:
            return m.group("base") or "row", None
    return name, None


def _safe(base: str, taken: set) -> str:
    s = base if _VALID.match(base) else (re.sub(r"[^A-Za-z0-9_.\-]", "_", base) or "v")
    if not re.match(r"^[A-Za-z_]", s):
        s = "v_" + s
    return unique_name(s, taken)


def unique_name(name: str, taken: set) -> str:
    """``name``, or ``name_1``, ``name_2``... the first not in ``taken`` (which it joins)."""
    out, k = name, 1
    while out in taken:
        out = f"{name}_{k}"
        k += 1
    taken.add(out)
    return out


def _groups(names: list[str], split_by: list[str], digits: bool = False, rows: bool = False):
    """Group positions by (stem, split_by key); returns [(base, key, positions, shape|None)].
    ``digits``: also group MIPLIB-style names (``x12``) by their letters (one array per variable
    made a 1 MB file take a second to load); with ``rows``, any name ending in digits by what
    precedes them (one block per row made lowering MIPLIB's stein27 take 20 ms, 0.6 ms grouped)."""
    order: dict = {}
    idxs: dict = {}
    for k, (nm, key) in enumerate(zip(names, split_by)):
        base, idx = _stem(nm, digits, rows)
        g = (base, key)
        order.setdefault(g, []).append(k)
        idxs.setdefault(g, []).append(idx)
    out = []
    for g, pos in order.items():
        idx = idxs[g]
        shape = None
        if all(t is not None for t in idx) and len({len(t) for t in idx}) == 1:
            arr = np.asarray(idx)
            dims = tuple(int(d) for d in arr.max(axis=0) + 1)
            if int(np.prod(dims)) == len(pos) and len(set(idx)) == len(pos):
                flat = np.ravel_multi_index(arr.T, dims)
                pos = [p for _, p in sorted(zip(flat.tolist(), pos))]
                shape = dims
        # a row whose stem no other row of its sense shares keeps its own name (c1, R3 stay blocks
        # c1 and R3; only a run of rows R0001, R0002... becomes one block R with their labels)
        one = names[pos[0]]
        base = one if rows and len(pos) == 1 and shape is None and _stem(one)[0] == one else g[0]
        out.append((base, g[1], pos, shape))
    return out


def flat_to_model(fp: FlatProblem, group_rows: bool = False):
    """The :class:`~qbdsl.model.Model` of ``fp``, built through the public Model API only.

    Variables are grouped into arrays by name stem and kind, rows into constraint arrays by
    stem and sense (see the module docstring); original names are kept as labels where they
    differ from the generated ``name(i,j)``. With ``group_rows``, rows numbered alike
    (``R0001``, ``R0002``...) of one sense are one block too, named by their stem (one block per
    row made lowering MIPLIB's stein27 take 20 ms, 0.4 ms grouped); off by default, since the
    blocks' names (which penalties and violations are keyed by) and the rows' order change.

    Raises
    ------
    ModelError
        A problem that declares no variables.
    """
    from ..expr import Constraint, Expr
    from ..model import Model

    m = Model(fp.name)
    n = len(fp.var_names)
    if n == 0:
        raise ModelError(f"{fp.name}: the file declares no variables")
    perm = np.empty(n, np.int64)
    lb, ub = np.asarray(fp.lb, float), np.asarray(fp.ub, float)
    taken: set = set()
    # a binary variable is [0, 1] or inside it; one with other bounds is an integer variable
    kinds = [
        ("integer" if k == "binary" and not (0 <= lo and hi <= 1) else k)
        for k, lo, hi in zip(fp.kinds, lb.tolist(), ub.tolist())
    ]
    groups = _groups(fp.var_names, kinds, digits=True)
    bases = Counter(b for b, *_ in groups)  # a count per stem: list.count here was quadratic
    for base, kind, pos, shape in groups:
        nm = base if bases[base] == 1 else f"{base}_{kind}"
        nm = _safe(nm, taken)
        shape = (len(pos),) if shape is None else shape
        # the file's names; add_array keeps them only where they differ from nm(i,j)
        v = m.add_array(
            nm, kind, shape, lb[pos].reshape(shape), ub[pos].reshape(shape), labels=[fp.var_names[p] for p in pos]
        )
        perm[pos] = v.start + np.arange(len(pos))
    # objective
    oj = np.fromiter(fp.obj.keys(), np.int64, len(fp.obj))
    ov = np.fromiter(fp.obj.values(), float, len(fp.obj))
    q = np.asarray(fp.obj_quad, float).reshape(-1, 3)
    qi, qj = q[:, 0].astype(np.int64), q[:, 1].astype(np.int64)
    obj = Expr(
        m,
        (),
        fp.offset,
        (np.zeros(len(oj), np.int64), perm[oj], ov),
        (np.zeros(len(q), np.int64), perm[qi], perm[qj], q[:, 2]),
    )
    if fp.sense == "max":
        m.maximize(obj)
    else:
        m.minimize(obj)
    # constraints, grouped by stem and sense
    if fp.row_names:
        A = sp.csr_matrix((np.asarray(fp.rows_v, float), (fp.rows_i, fp.rows_j)), shape=(len(fp.row_names), n))
        rq = np.asarray(fp.row_quad, float).reshape(-1, 4)
        rhs = np.asarray(fp.rhs, float)
        taken_rows: set = set()
        rgroups = _groups(fp.row_names, fp.row_sense, digits=group_rows, rows=group_rows)
        rbases = Counter(b for b, *_ in rgroups)
        for base, sense, pos, shape in rgroups:
            pos = np.asarray(pos)
            sub = A[pos].tocoo()
            local = np.full(len(fp.row_names), -1, np.int64)
            local[pos] = np.arange(len(pos))
            qm = local[rq[:, 0].astype(np.int64)] >= 0 if len(rq) else np.zeros(0, bool)
            qr = rq[qm]
            size = len(pos)
            e = Expr(
                m,
                (size,),
                -rhs[pos],
                (sub.row, perm[sub.col], sub.data),
                (
                    local[qr[:, 0].astype(np.int64)],
                    perm[qr[:, 1].astype(np.int64)],
                    perm[qr[:, 2].astype(np.int64)],
                    qr[:, 3],
                ),
            )
            labels = [fp.row_names[p] for p in pos]
            if shape is not None:
                e = e.reshape(shape)
            nm = base if rbases[base] == 1 else f"{base}_{ {'==': 'eq', '<=': 'le', '>=': 'ge'}[sense] }"
            nm = _safe(nm, taken_rows)
            m.add(Constraint(e, sense), name=nm, labels=labels)  # labels kept where they differ from nm(i)
    return m
