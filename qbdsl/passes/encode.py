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
weight clipped so the largest value is exactly ``ub`` (no out-of-range patterns;
:mod:`qbdsl.ir.bits`). The inverse data is an :class:`~qbdsl.ir.maps.EncodingMap`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._ragged import ragged_arange
from ..errors import ModelError, UnsupportedTermError
from ..ir.bits import bounded_layout
from ..ir.maps import BINARY_BITS, COPY, ONE_HOT_BITS, UNARY_BITS, AffineMap, EncodingMap
from ..ir.problem import BINARY, Block, Problem
from ..ir.sources import INTEGER_BIT, USER, BitSources
from ..ir.terms import PenaltyBlock, QuboTerms
from .base import Pass, QuboState, per_name

ENCODINGS = ("binary", "unary", "one-hot", "domain-wall")


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


_METHOD_CODE = {"binary": BINARY_BITS, "unary": UNARY_BITS, "domain-wall": UNARY_BITS, "one-hot": ONE_HOT_BITS}


class EncodeIntegers(Pass):
    """Replace integer variables by binary encodings; reject continuous variables.

    Parameters
    ----------
    encoding : str or dict
        One of :data:`ENCODINGS` for every integer, or ``{var_name: encoding, "default": ...}``.
    """

    name = "encode-integers"

    def __init__(self, encoding="binary"):
        self.encoding = encoding

    def apply(self, state: QuboState) -> tuple[QuboState, EncodingMap]:
        """``(state over binaries, EncodingMap)``; one-hot and domain-wall integers add a
        validity penalty block each.

        Raises
        ------
        UnsupportedTermError
            A continuous variable.
        ModelError
            An unbounded integer, or an unknown encoding.
        """
        prob = state.problem
        layout = prob.layout
        enc = _resolve(self.encoding, layout)
        rows, cols, vals = [], [], []
        c = np.zeros(layout.n)
        src_a, src_b, methods = [], [], []
        penalties = list(state.penalties)
        n_new = 0
        for arr in layout.arrays:
            lb = layout.lb[arr.start : arr.stop]
            ub = layout.ub[arr.start : arr.stop]
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
                methods.append(np.full(arr.size, COPY, np.int8))
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
                counts, _, w = bounded_layout(span)
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
            methods.append(np.full(len(owner), _METHOD_CODE[method], np.int8))
            if method in ("one-hot", "domain-wall"):
                penalties.append(_validity_block(arr.name, method, counts, n_new))
            n_new += int(counts.sum())
        M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(layout.n, n_new))
        new_prob = Problem(
            prob.name,
            _binary_layout(n_new),
            prob.objective.substitute(M, c),
            prob.sense,
            [Block(b.name, b.sense, b.shape, b.poly.substitute(M, c), b.labels) for b in prob.constraints],
        )
        a = np.concatenate(src_a)
        b = np.concatenate(src_b)
        kind = np.where(b < 0, USER, INTEGER_BIT).astype(np.int8)
        sources = BitSources(kind, a, np.maximum(b, 0), np.zeros(len(a), np.int64), [])
        # penalties built before this pass referred to a different variable space
        penalties = [p if p.terms.n == n_new else _reindex(p, n_new) for p in penalties]
        data = EncodingMap(
            AffineMap(M, c), a, np.maximum(b, 0), np.concatenate(methods), layout.lb.copy(), layout.ub.copy()
        )
        return QuboState(new_prob, penalties, sources), data


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
