"""Exact linearization of products for MILP targets.

Each distinct product ``x_i x_j`` becomes an auxiliary continuous variable ``w``:

- ``x_i * x_i`` with x_i binary: just ``x_i``;
- binary ``x`` times ``z`` in ``[L, U]`` (finite; z binary, integer or continuous):
  ``L x <= w <= U x``, ``z - U (1 - x) <= w <= z - L (1 - x)``  (exact at integral x).

Products of two non-binary variables, and squares of non-binaries, have no exact
linear form: they raise :class:`UnsupportedTermError` naming the variables.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import UnsupportedTermError
from ..ir.poly import Poly
from ..ir.problem import CONTINUOUS, Block, Problem, VarArray, VarLayout
from .base import AffineMap, Pass

PRODUCTS_BLOCK = "_products"


class LinearizeProducts(Pass):
    """Replace every quadratic term by an auxiliary variable with exact linking rows."""

    name = "linearize-products"

    def apply(self, prob: Problem):
        n = prob.n
        polys = [prob.objective] + [b.poly for b in prob.constraints]
        if all(p.is_linear for p in polys):
            return prob, AffineMap.identity(n)
        kinds = prob.layout.kinds()
        lb, ub = prob.layout.lb, prob.layout.ub
        qi = np.concatenate([p.qi for p in polys])
        qj = np.concatenate([p.qj for p in polys])
        label = prob.layout.label
        sq = qi == qj
        bad_sq = sq & (kinds[qi] != 0)
        if bad_sq.any():
            v = int(qi[np.flatnonzero(bad_sq)[0]])
            raise UnsupportedTermError(
                f"{label(v)}**2: a MILP is linear and the square of a non-binary variable has no exact "
                "linear form; compile to target='qubo' (integers are binary-encoded) or reformulate"
            )
        pi, pj = qi[~sq], qj[~sq]
        # orient so the first factor is binary
        swap = (kinds[pi] != 0) & (kinds[pj] == 0)
        pi, pj = np.where(swap, pj, pi), np.where(swap, pi, pj)
        both_nonbin = kinds[pi] != 0
        if both_nonbin.any():
            k = np.flatnonzero(both_nonbin)[0]
            raise UnsupportedTermError(
                f"product {label(int(pi[k]))}*{label(int(pj[k]))} of two non-binary variables has no "
                "exact linear form: make one factor binary, or compile to target='qubo'"
            )
        unbounded = ~(np.isfinite(lb[pj]) & np.isfinite(ub[pj]))
        if unbounded.any():
            k = np.flatnonzero(unbounded)[0]
            raise UnsupportedTermError(
                f"product {label(int(pi[k]))}*{label(int(pj[k]))}: {label(int(pj[k]))} needs finite bounds "
                "for an exact linearization"
            )
        key = np.unique(pi * n + pj)
        ui, uj = np.divmod(key, n)
        m = len(key)
        n_new = n + m
        aux = n + np.arange(m)

        def lin_of(p: Poly) -> Poly:
            if p.is_linear:
                return p.with_n(n_new)
            i, j = p.qi, p.qj
            s = i == j
            a, b = np.where(kinds[i] != 0, j, i), np.where(kinds[i] != 0, i, j)
            col = np.where(s, i, n + np.searchsorted(key, a * n + b))
            extra = sp.csr_matrix((p.qcoef, (p.qrow, col)), shape=(p.rows, n_new))
            L = sp.csr_matrix((p.L.data, p.L.indices, p.L.indptr), shape=(p.rows, n_new)) + extra
            return Poly.build(n_new, p.rows, p.const, _coo(L))

        # linking rows, all as "<= 0": w - U x <= 0, L x - w <= 0, w - z + L(1-x) <= 0, z - U(1-x) - w <= 0
        L_, U_ = lb[uj], ub[uj]
        r = np.arange(m)
        rows = np.concatenate([r, m + r, 2 * m + r, 3 * m + r])
        cols_w = np.concatenate([aux, aux, aux, aux])
        vals_w = np.concatenate([np.ones(m), -np.ones(m), np.ones(m), -np.ones(m)])
        cols_x = np.concatenate([ui, ui, ui, ui])
        vals_x = np.concatenate([-U_, L_, -L_, U_])
        cols_z = np.concatenate([uj, uj])
        vals_z = np.concatenate([-np.ones(m), np.ones(m)])
        rows_z = np.concatenate([2 * m + r, 3 * m + r])
        const = np.concatenate([np.zeros(2 * m), L_, -U_])
        link = Poly.build(
            n_new, 4 * m, const,
            (np.concatenate([rows, rows, rows_z]), np.concatenate([cols_w, cols_x, cols_z]),
             np.concatenate([vals_w, vals_x, vals_z])),
        )
        layout = VarLayout(
            prob.layout.arrays + [VarArray(PRODUCTS_BLOCK, CONTINUOUS, (m,), n)],
            np.concatenate([lb, np.minimum(0.0, L_)]), np.concatenate([ub, np.maximum(0.0, U_)]),
        )
        blocks = [Block(b.name, b.sense, b.shape, lin_of(b.poly), b.labels) for b in prob.constraints]
        blocks.append(Block(PRODUCTS_BLOCK, "<=", (4 * m,), link))
        new = Problem(prob.name, layout, lin_of(prob.objective), prob.sense, blocks)
        return new, AffineMap.identity(n, n_new)


def _coo(L: sp.csr_matrix):
    c = L.tocoo()
    return c.row, c.col, c.data

