"""Lowered polynomial rows: the array form every compiler pass works on.

A :class:`Poly` holds ``rows`` polynomials of degree <= 2 over ``n`` variables:
a constant per row, a CSR matrix ``L`` (rows x n) of linear coefficients and canonical
COO quadratic terms (row, i, j, coef) with ``i <= j``, sorted and summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._ragged import expand_pairs, ragged_arange

_I = np.int64
_F = np.float64

# Poly.evaluate's temporaries: at most this many float64 values per chunk of points (32 MiB)
EVAL_CHUNK_FLOATS = 1 << 22


def chunk_rows(width: int) -> int:
    """Points per chunk so that ``points x width`` stays within :data:`EVAL_CHUNK_FLOATS`.

    Parameters
    ----------
    width : int
        float64 values one point needs in the largest temporary (variables, terms, rows).

    Returns
    -------
    int
        At least 1.
    """
    return max(1, EVAL_CHUNK_FLOATS // max(1, width))


def canonical_quad(row, i, j, coef, n: int):
    """Sum duplicate (row, i, j) quadratic terms, put i <= j, drop zeros, sort."""
    row, i, j, coef = (np.asarray(a) for a in (row, i, j, coef))
    if len(coef) == 0:
        return (np.zeros(0, _I),) * 3 + (np.zeros(0, _F),)
    lo, hi = np.minimum(i, j).astype(_I, copy=False), np.maximum(i, j).astype(_I, copy=False)
    nrow = int(row.max()) + 1
    if nrow * n <= 1 << 26:
        # scipy's COO -> CSR conversion sums duplicates with a counting sort: O(nnz)
        A = sp.csr_matrix((np.asarray(coef, _F), (row.astype(_I, copy=False) * n + lo, hi)), shape=(nrow * n, n))
        A.sum_duplicates()
        A.eliminate_zeros()
        key = np.repeat(np.arange(nrow * n, dtype=_I), np.diff(A.indptr))
        row2, lo2 = np.divmod(key, n)
        return row2, lo2, A.indices.astype(_I, copy=False), A.data
    if nrow * n * n < 2**62:
        key = (row.astype(_I, copy=False) * n + lo) * n + hi
        uniq, inv = np.unique(key, return_inverse=True)
        c = np.bincount(inv, weights=coef, minlength=len(uniq))
        keep = c != 0
        uniq, c = uniq[keep], c[keep]
        rest, hi2 = np.divmod(uniq, n)
        row2, lo2 = np.divmod(rest, n)
        return row2, lo2, hi2, c
    order = np.lexsort((hi, lo, row))
    row, lo, hi, coef = row[order], lo[order], hi[order], coef[order]
    new = np.ones(len(row), bool)
    new[1:] = (row[1:] != row[:-1]) | (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    grp = np.cumsum(new) - 1
    c = np.bincount(grp, weights=coef)
    keep = c != 0
    return row[new][keep], lo[new][keep], hi[new][keep], c[keep]


@dataclass
class Poly:
    """``rows`` polynomials over ``n`` variables (see module docstring)."""

    n: int
    const: np.ndarray
    L: sp.csr_matrix
    qrow: np.ndarray
    qi: np.ndarray
    qj: np.ndarray
    qcoef: np.ndarray

    @classmethod
    def build(cls, n: int, rows: int, const, lin=None, quad=None) -> Poly:
        """Rows from COO terms: duplicates summed, zeros dropped, quadratic terms canonical.

        Parameters
        ----------
        n : int
            Number of variables (columns).
        rows : int
            Number of polynomials (rows); every ``row`` index in ``lin`` and ``quad`` is below it.
        const : float or array_like, shape (rows,)
            Each row's constant (a scalar is broadcast).
        lin : (row, var, coef) of array_like, each shape (t,), optional
            Linear terms in COO form: ``coef`` times variable ``var`` in row ``row``;
            duplicates are summed. None (default): no linear term.
        quad : (row, i, j, coef) of array_like, each shape (q,), optional
            ``i`` and ``j`` in either order.

        Returns
        -------
        Poly
        """
        const = np.broadcast_to(np.asarray(const, _F), (rows,)).copy()
        if lin is None or len(lin[0]) == 0:
            L = sp.csr_matrix((rows, n), dtype=_F)
        else:
            L = sp.csr_matrix((np.asarray(lin[2], _F), (lin[0], lin[1])), shape=(rows, n))
            L.sum_duplicates()
            L.eliminate_zeros()
        if quad is None:
            q = (np.zeros(0, _I),) * 3 + (np.zeros(0, _F),)
        else:
            q = canonical_quad(*quad, n=n)
        return cls(n, const, L, *q)

    @property
    def rows(self) -> int:
        """Number of polynomials."""
        return len(self.const)

    @property
    def is_linear(self) -> bool:
        """No quadratic term is stored."""
        return len(self.qcoef) == 0

    @property
    def n_terms(self) -> int:
        """Stored linear and quadratic terms."""
        return int(self.L.nnz + len(self.qcoef))

    def _row_sum(self) -> sp.csr_matrix:
        """The (q, rows) 0/1 matrix summing each quadratic term into its row, built once per
        ``qrow`` array (decoding evaluates the objective chunk by chunk: 0.2 ms a build)."""
        # the cache holds the qrow array itself (compared by identity: its id cannot be reused
        # while held) and its length and the row count
        cached = self.__dict__.get("_row_sum_cache")
        if cached is None or cached[0] is not self.qrow or cached[1] != (len(self.qrow), self.rows):
            q = len(self.qrow)
            S = sp.csr_matrix((np.ones(q), (np.arange(q), self.qrow)), shape=(q, self.rows))
            cached = self.__dict__["_row_sum_cache"] = (self.qrow, (q, self.rows), S)
        return cached[2]

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """Values for a batch of points, evaluated in chunks of rows of bounded size.

        Points are taken ``chunk_rows(...)`` at a time, so the temporaries (one float64 per
        point and quadratic term, and per point and polynomial) stay within
        :data:`EVAL_CHUNK_FLOATS` values, whatever the batch size: the cost per point is
        constant and memory beyond the output is bounded. Each point's value comes from the
        same float64 operations in the same order as evaluating it alone.

        Parameters
        ----------
        X : array_like, shape (k, n) or (n,)
            A batch of ``k`` points over the ``n`` variables, one per row, or one point.

        Returns
        -------
        ndarray, shape (k, rows) or (rows,)
            Each polynomial's value at each point.
        """
        X = np.asarray(X, dtype=_F)
        single = X.ndim == 1
        X2 = np.atleast_2d(X)
        k = X2.shape[0]
        out = np.empty((k, self.rows), dtype=_F)
        S = self._row_sum() if len(self.qcoef) else None
        step = chunk_rows(self.n + len(self.qcoef) + self.rows)
        for lo in range(0, k, step):
            Xc = X2[lo : lo + step]
            part = np.asarray(self.L @ Xc.T).T + self.const
            if S is not None:
                prod = Xc[:, self.qi]
                prod *= Xc[:, self.qj]
                prod *= self.qcoef
                part = part + np.asarray(prod @ S)
            out[lo : lo + step] = part
        return out[0] if single else out

    def scaled(self, factor) -> Poly:
        """Rows multiplied by ``factor`` (a scalar or one value per row)."""
        f = np.broadcast_to(np.asarray(factor, _F), (self.rows,))
        return Poly(
            self.n,
            self.const * f,
            sp.csr_matrix(sp.diags(f) @ self.L),
            self.qrow,
            self.qi,
            self.qj,
            self.qcoef * f[self.qrow],
        )

    def with_n(self, n: int) -> Poly:
        """The same rows over ``n >= self.n`` variables (new variables absent)."""
        if n == self.n:
            return self
        L = sp.csr_matrix((self.L.data, self.L.indices, self.L.indptr), shape=(self.rows, n))
        return Poly(n, self.const, L, self.qrow, self.qi, self.qj, self.qcoef)

    def substitute(self, M: sp.csr_matrix, c: np.ndarray) -> Poly:
        """Substitute ``x = c + M y``; returns the rows as polynomials in ``y``."""
        M = sp.csr_matrix(M)
        c = np.asarray(c, _F)
        if _is_identity(M, c):
            return self.with_n(M.shape[1])
        n_new = M.shape[1]
        const = self.const + self.L @ c
        L = self.L @ M
        quad = [np.zeros(0, _I)] * 3 + [np.zeros(0, _F)]
        if len(self.qcoef):
            r, i, j, a = self.qrow, self.qi, self.qj, self.qcoef
            np.add.at(const, r, a * c[i] * c[j])
            # a c_i (M_j y) + a c_j (M_i y)
            Mi = sp.csr_matrix((a * c[i], (r, j)), shape=(self.rows, self.n)) @ M
            Mj = sp.csr_matrix((a * c[j], (r, i)), shape=(self.rows, self.n)) @ M
            L = L + Mi + Mj
            # a (M_i y)(M_j y): pair nonzeros of row i and row j of M, per term
            counts = np.diff(M.indptr)
            ti, pi = _expand_rows(M, i, counts)
            tj, pj = _expand_rows(M, j, counts)
            # pair within the same term: expand_pairs on term ids
            ia, ib = expand_pairs(ti, tj, len(a))
            t = ti[ia]
            quad = (r[t], M.indices[pi[ia]], M.indices[pj[ib]], a[t] * M.data[pi[ia]] * M.data[pj[ib]])
        L = sp.csr_matrix(L)
        L.sum_duplicates()
        L.eliminate_zeros()
        q = canonical_quad(*quad, n=n_new)
        return Poly(n_new, const, L, *q)


def _expand_rows(M: sp.csr_matrix, which: np.ndarray, counts: np.ndarray):
    """For each term t selecting row ``which[t]`` of M: (term id, nnz position) pairs."""
    reps = counts[which]
    term = np.repeat(np.arange(len(which), dtype=_I), reps)
    pos = np.repeat(M.indptr[which], reps) + ragged_arange(reps)
    return term, pos


def _is_identity(M: sp.csr_matrix, c: np.ndarray) -> bool:
    """True when ``c + M y`` is y itself (padded with new trailing variables)."""
    n = M.shape[0]
    return (
        M.nnz == n
        and not np.any(c)
        and np.array_equal(M.indptr, np.arange(n + 1))
        and np.array_equal(M.indices, np.arange(n))
        and bool(np.all(M.data == 1))
    )
