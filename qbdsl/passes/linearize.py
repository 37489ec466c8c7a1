"""Exact linearization of products for MILP targets.

1. A product of two non-binary factors (``p*q``, ``p**2``) first binary-expands one
   bounded integer factor, ``q = lb + sum_k w_k b_k`` (linking rows ``_bits``), so every
   product has a binary factor: ``p*q = lb*p + sum_k w_k (p*b_k)``.
2. Each distinct product ``x*z`` with x binary becomes a continuous ``w`` (``_products``):

   - ``x*x`` with x binary: just ``x``;
   - ``z`` in ``[L, U]`` (finite): ``L x <= w <= U x``, ``z - U (1-x) <= w <= z - L (1-x)``,
     exact at integral x.

Products of two continuous variables, or with an unbounded factor, have no exact linear
form: they raise :class:`UnsupportedTermError` naming the variables.

The inverse data is a :class:`~qbdsl.ir.maps.LinearizationMap`: its ``forward(x)`` fills
every MILP column (bits and products) from the user's variables, its ``inverse`` keeps the
user's columns. ``MilpIR.lin_map`` holds it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._ragged import ragged_arange
from ..errors import UnsupportedTermError
from ..ir.bits import bounded_layout
from ..ir.maps import LinearizationMap
from ..ir.poly import Poly
from ..ir.problem import BINARY, CONTINUOUS, INTEGER, Block, Problem, VarArray, VarLayout
from .base import Pass

PRODUCTS_BLOCK = "_products"
REAL_PRODUCTS_BLOCK = "_products_real"  # products with a continuous factor
BITS_BLOCK = "_bits"


class LinearizeProducts(Pass):
    """Replace every quadratic term by auxiliary variables with exact linking rows."""

    name = "linearize-products"

    def apply(self, prob: Problem) -> tuple[Problem, LinearizationMap]:
        """``(linear problem, LinearizationMap)``; a linear problem comes back as it is.

        Raises
        ------
        UnsupportedTermError
            A product with no exact linear form (named by its variables).
        """
        n = prob.n
        polys = [prob.objective] + [b.poly for b in prob.constraints]
        if all(p.is_linear for p in polys):
            return prob, LinearizationMap.identity(n)
        expand = np.zeros(0, np.int64)
        expand_span = np.zeros(0, np.int64)
        kinds = prob.layout.kinds()
        lb, ub = prob.layout.lb, prob.layout.ub
        label = prob.layout.label
        arrays = list(prob.layout.arrays)
        blocks = list(prob.constraints)

        # ---- step 1: binary-expand one factor of every non-binary x non-binary product
        qi = np.concatenate([p.qi for p in polys])
        qj = np.concatenate([p.qj for p in polys])
        nb = (kinds[qi] != 0) & (kinds[qj] != 0)
        if nb.any():
            ei, ej = qi[nb], qj[nb]
            finite = lambda v: (kinds[v] == 1) & np.isfinite(lb[v]) & np.isfinite(ub[v])  # noqa: E731
            ok_i, ok_j = finite(ei), finite(ej)
            bad = ~(ok_i | ok_j)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                what = f"{label(int(ei[k]))}**2" if ei[k] == ej[k] else f"{label(int(ei[k]))}*{label(int(ej[k]))}"
                raise UnsupportedTermError(
                    f"{what}: a MILP is linear and this product has no bounded integer factor to expand "
                    "exactly; bound the integer, make a factor binary, or reformulate"
                )
            span = np.where(np.isfinite(ub - lb), ub - lb, np.inf)
            pick_j = ok_j & (~ok_i | (span[ej] <= span[ei]))
            expand = np.unique(np.where(pick_j, ej, ei))
            expand_span = span[expand].astype(np.int64)
            counts, _, wflat = bounded_layout(expand_span)
            first = np.zeros(n, np.int64)
            nbits = np.zeros(n, np.int64)
            first[expand] = n + np.cumsum(counts) - counts
            nbits[expand] = counts
            wflat = wflat.astype(float)
            n1 = n + int(counts.sum())
            # linking rows: q - sum w b - lb_q == 0
            rows = np.repeat(np.arange(len(expand)), counts)
            link = Poly.build(
                n1,
                len(expand),
                -lb[expand],
                (
                    np.concatenate([np.arange(len(expand)), rows]),
                    np.concatenate([expand, n + np.arange(int(counts.sum()))]),
                    np.concatenate([np.ones(len(expand)), -wflat]),
                ),
            )
            is_exp = np.zeros(n, bool)
            is_exp[expand] = True

            def expand_poly(p: Poly) -> Poly:
                p = p.with_n(n1)
                if p.is_linear:
                    return p
                i, j, a, r = p.qi, p.qj, p.qcoef, p.qrow
                both = (kinds[i] != 0) & (kinds[j] != 0)
                # the expanded factor goes to "e", the other to "o"
                e = np.where(is_exp[j], j, i)
                o = np.where(is_exp[j], i, j)
                t = np.flatnonzero(both)
                c = nbits[e[t]]
                src = np.repeat(t, c)
                bit = np.repeat(first[e[t]], c) + ragged_arange(c)
                w = wflat[bit - n]
                L = p.L + sp.csr_matrix((a[t] * lb[e[t]], (r[t], o[t])), shape=(p.rows, n1))
                quad = (
                    np.concatenate([r[~both], r[src]]),
                    np.concatenate([i[~both], o[src]]),
                    np.concatenate([j[~both], bit]),
                    np.concatenate([a[~both], a[src] * w]),
                )
                return Poly.build(n1, p.rows, p.const, _coo(L), quad)

            arrays.append(VarArray(BITS_BLOCK, BINARY, (n1 - n,), n))
            kinds = np.concatenate([kinds, np.zeros(n1 - n, np.int8)])
            lb = np.concatenate([lb, np.zeros(n1 - n)])
            ub = np.concatenate([ub, np.ones(n1 - n)])
            objective = expand_poly(prob.objective)
            blocks = [Block(b.name, b.sense, b.shape, expand_poly(b.poly), b.labels) for b in blocks]
            blocks.append(Block(BITS_BLOCK, "==", (len(expand),), link))
        else:
            n1 = n
            objective = prob.objective

        # ---- step 2: McCormick for binary x bounded products
        polys = [objective] + [b.poly for b in blocks]
        qi = np.concatenate([p.qi for p in polys])
        qj = np.concatenate([p.qj for p in polys])
        sq = qi == qj
        pi, pj = qi[~sq], qj[~sq]
        swap = (kinds[pi] != 0) & (kinds[pj] == 0)
        pi, pj = np.where(swap, pj, pi), np.where(swap, pi, pj)
        unbounded = ~(np.isfinite(lb[pj]) & np.isfinite(ub[pj]))
        if unbounded.any():
            k = np.flatnonzero(unbounded)[0]
            raise UnsupportedTermError(
                f"product {label(int(pi[k]))}*{label(int(pj[k]))}: {label(int(pj[k]))} needs finite bounds "
                "for an exact linearization"
            )
        key = np.unique(pi * n1 + pj)
        ui, uj = np.divmod(key, n1)
        m = len(key)
        n_new = n1 + m
        # a product of two integer-valued factors is an integer: those columns come first and
        # are integral (exact, and CP-SAT takes only integers); the rest stay continuous
        integral = kinds[uj] != 2  # kind codes: 0 binary, 1 integer, 2 continuous
        order = np.argsort(~integral, kind="stable")
        position = np.empty(m, np.int64)
        position[order] = np.arange(m)
        aux = n1 + position  # the column of the product key[k]
        m_int = int(integral.sum())
        data = LinearizationMap(n, expand, prob.layout.lb[expand].copy(), expand_span, ui[order], uj[order])

        def lin_of(p: Poly) -> Poly:
            if p.is_linear:
                return p.with_n(n_new)
            i, j = p.qi, p.qj
            s = i == j
            a, b = np.where(kinds[i] != 0, j, i), np.where(kinds[i] != 0, i, j)
            col = np.where(s, i, aux[np.minimum(np.searchsorted(key, a * n1 + b), m - 1)])
            extra = sp.csr_matrix((p.qcoef, (p.qrow, col)), shape=(p.rows, n_new))
            L = sp.csr_matrix((p.L.data, p.L.indices, p.L.indptr), shape=(p.rows, n_new)) + extra
            return Poly.build(n_new, p.rows, p.const, _coo(L))

        # rows, all "<= 0": w - U x, L x - w, w - z + L(1-x), z - U(1-x) - w
        L_, U_ = lb[uj], ub[uj]
        r = np.arange(m)
        rows = np.concatenate([r, m + r, 2 * m + r, 3 * m + r])
        link = Poly.build(
            n_new,
            4 * m,
            np.concatenate([np.zeros(2 * m), L_, -U_]),
            (
                np.concatenate([rows, rows, 2 * m + r, 3 * m + r]),
                np.concatenate([aux, aux, aux, aux, ui, ui, ui, ui, uj, uj]),
                np.concatenate(
                    [np.ones(m), -np.ones(m), np.ones(m), -np.ones(m), -U_, L_, -L_, U_, -np.ones(m), np.ones(m)]
                ),
            ),
        )
        products = [VarArray(PRODUCTS_BLOCK, INTEGER, (m_int,), n1)] if m_int else []
        if m - m_int:
            products.append(VarArray(REAL_PRODUCTS_BLOCK, CONTINUOUS, (m - m_int,), n1 + m_int))
        lo, hi = np.minimum(0.0, L_), np.maximum(0.0, U_)
        layout = VarLayout(arrays + products, np.concatenate([lb, lo[order]]), np.concatenate([ub, hi[order]]))
        new_blocks = [Block(b.name, b.sense, b.shape, lin_of(b.poly), b.labels) for b in blocks]
        new_blocks.append(Block(PRODUCTS_BLOCK, "<=", (4 * m,), link))
        new = Problem(prob.name, layout, lin_of(objective), prob.sense, new_blocks)
        return new, data


def _coo(L: sp.csr_matrix):
    c = sp.coo_matrix(L)
    return c.row, c.col, c.data
