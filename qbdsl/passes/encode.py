"""Integer encodings: every variable becomes binary (QUBO targets).

=============  =========================  ===========  ======================================
encoding       value                      bits         validity rule (penalty)
=============  =========================  ===========  ======================================
binary         lb + sum w_k b_k           ~log2(D+1)   none: every pattern is valid
unary          lb + sum b_k               D            none (redundant patterns)
one-hot        sum (lb + k) b_k           D + 1        (sum b_k - 1)^2
domain-wall    lb + sum b_k               D            sum b_{k+1} (1 - b_k)   (1..10..0 only)
=============  =========================  ===========  ======================================

``D = ub - lb``. The binary encoding uses bounded weights 1, 2, 4, ..., with the last
weight clipped so the largest value is exactly ``ub`` (no out-of-range patterns).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._ragged import ragged_arange
from ..errors import ModelError, UnsupportedTermError
from ..ir.problem import BINARY, Block, Problem
from ..ir.terms import PenaltyBlock, QuboTerms
from .base import AffineMap, Pass, QuboState, per_name

ENCODINGS = ("binary", "unary", "one-hot", "domain-wall")


def bounded_binary_weights(span: int) -> np.ndarray:
    """Weights 1, 2, 4, ... (last clipped) whose subsets sum to every integer in 0..span."""
    span = int(span)
    if span <= 0:
        return np.zeros(0, dtype=np.int64)
    k = int(np.floor(np.log2(span + 1)))
    w = [1 << t for t in range(k)]
    rest = span - ((1 << k) - 1)
    if rest > 0:
        w.append(rest)
    return np.asarray(w, dtype=np.int64)


@dataclass
class BitSources:
    """Where each binary of the QUBO came from, for labels (kept as arrays)."""

    kind: np.ndarray   # 0: user binary, 1: integer bit, 2: slack bit
    a: np.ndarray      # user variable index, or inequality block index
    b: np.ndarray      # bit index, or block row
    c: np.ndarray      # slack bit index
    block_names: list

    def extend(self, kind, a, b, c) -> "BitSources":
        cat = np.concatenate
        return BitSources(cat([self.kind, kind]), cat([self.a, a]), cat([self.b, b]), cat([self.c, c]),
                          self.block_names)

    def labels(self, user_labels: list[str]) -> list[str]:
        out = []
        ul = user_labels
        for k, a, b, c in zip(self.kind.tolist(), self.a.tolist(), self.b.tolist(), self.c.tolist()):
            if k == 0:
                out.append(ul[a])
            elif k == 1:
                out.append(f"{ul[a]}#{b}")
            else:
                out.append(f"{self.block_names[a]}#s({b})#{c}")
        return out


def _resolve(encoding, layout) -> dict[str, str]:
    names = [a.name for a in layout.arrays]
    if not isinstance(encoding, (str, dict)):
        raise ModelError(f"encoding must be a name or a dict, got {encoding!r}")
    per, default = per_name(encoding, names, "binary", "encoding", "variable")
    out = {}
    for nm in names:
        enc = per.get(nm, default)
        if enc not in ENCODINGS:
            raise ModelError(f"unknown encoding {enc!r} for variable {nm!r}; choose from {ENCODINGS}")
        out[nm] = enc
    return out


class EncodeIntegers(Pass):
    """Replace integer variables by binary encodings; reject continuous variables."""

    name = "encode-integers"

    def __init__(self, encoding="binary"):
        self.encoding = encoding

    def apply(self, state: QuboState):
        prob = state.problem
        layout = prob.layout
        enc = _resolve(self.encoding, layout)
        rows, cols, vals = [], [], []
        c = np.zeros(layout.n)
        src_a, src_b = [], []
        penalties = list(state.penalties)
        n_new = 0
        for arr in layout.arrays:
            lb = layout.lb[arr.start:arr.stop]
            ub = layout.ub[arr.start:arr.stop]
            idx = np.arange(arr.start, arr.stop)
            if arr.kind == "continuous":
                raise UnsupportedTermError(
                    f"continuous variable {arr.name!r} cannot go into a QUBO: use target='milp', "
                    "or declare it integer with bounds"
                )
            if arr.kind == BINARY:
                rows.append(idx)
                cols.append(n_new + np.arange(arr.size))
                vals.append(np.ones(arr.size))
                src_a.append(idx)
                src_b.append(np.full(arr.size, -1))
                n_new += arr.size
                continue
            if not np.all(np.isfinite(lb)) or not np.all(np.isfinite(ub)):
                k = int(np.flatnonzero(~(np.isfinite(lb) & np.isfinite(ub)))[0])
                raise ModelError(
                    f"integer variable {arr.element_label(k)} is unbounded: a QUBO needs finite "
                    "bounds (m.integer(..., lb=, ub=)); a MILP target takes it as is"
                )
            span = (ub - lb).astype(np.int64)
            method = enc[arr.name]
            if method == "binary":
                weights = [bounded_binary_weights(s) for s in np.unique(span)]
                wmap = dict(zip(np.unique(span).tolist(), weights))
                counts = np.array([len(wmap[s]) for s in span.tolist()], dtype=np.int64)
                w = np.concatenate([wmap[s] for s in span.tolist()]) if counts.sum() else np.zeros(0)
                c[idx] = lb
            elif method in ("unary", "domain-wall"):
                counts = span.copy()
                w = np.ones(int(counts.sum()))
                c[idx] = lb
            else:  # one-hot
                counts = span + 1
                w = np.repeat(lb, counts) + ragged_arange(counts)
            bit = ragged_arange(counts)
            owner = np.repeat(idx, counts)
            cols_here = n_new + np.arange(int(counts.sum()))
            rows.append(owner)
            cols.append(cols_here)
            vals.append(w.astype(float))
            src_a.append(owner)
            src_b.append(bit)
            if method in ("one-hot", "domain-wall"):
                penalties.append(_validity_block(arr.name, method, counts, n_new))
            n_new += int(counts.sum())
        M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(layout.n, n_new))
        inv = AffineMap(M, c)
        new_prob = Problem(
            prob.name,
            _binary_layout(n_new),
            prob.objective.substitute(M, c),
            prob.sense,
            [Block(b.name, b.sense, b.shape, b.poly.substitute(M, c), b.labels) for b in prob.constraints],
        )
        a = np.concatenate(src_a)
        b = np.concatenate(src_b)
        kind = np.where(b < 0, 0, 1).astype(np.int8)
        sources = BitSources(kind, a, np.maximum(b, 0), np.zeros(len(a), np.int64), [])
        # penalties built before this pass referred to a different variable space
        penalties = [p if p.terms.n == n_new else _reindex(p, n_new) for p in penalties]
        return QuboState(new_prob, penalties, sources), inv


def _reindex(p: PenaltyBlock, n: int) -> PenaltyBlock:
    return PenaltyBlock(p.name, p.kind, p.method, p.rows, p.terms.with_n(n), p.p_min, p.proven)


def _validity_block(name: str, method: str, counts: np.ndarray, first: int) -> PenaltyBlock:
    """Penalty that is 0 exactly on the valid one-hot / domain-wall patterns, else >= 1."""
    total = int(counts.sum())
    n_end = first + total
    starts = first + np.cumsum(counts) - counts
    if method == "one-hot":
        group = np.repeat(np.arange(len(counts)), counts)
        A = sp.csr_matrix((np.ones(total), (group, first + np.arange(total))), shape=(len(counts), n_end))
        terms = QuboTerms.squared_rows(A, np.ones(len(counts)))
    else:
        # b_{k+1} - b_k b_{k+1} for consecutive bits within each variable
        pos = ragged_arange(np.maximum(counts - 1, 0))
        base = np.repeat(starts, np.maximum(counts - 1, 0))
        k, k1 = base + pos, base + pos + 1
        h = np.zeros(n_end)
        np.add.at(h, k1, 1.0)
        terms = QuboTerms.from_coo(n_end, h, k, k1, -np.ones(len(k)))
    return PenaltyBlock(f"{name}.{method}", "encoding", method, len(counts), terms, 1.0, True)


def _binary_layout(n: int):
    from ..ir.problem import VarArray, VarLayout

    return VarLayout([VarArray("_y", BINARY, (n,), 0)], np.zeros(n), np.ones(n))
