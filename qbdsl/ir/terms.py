"""QUBO coefficient blocks: ``offset + h . y + sum_{i<j} J_ij y_i y_j`` over binaries."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .poly import Poly, canonical_quad

_I = np.int64
_F = np.float64


@dataclass
class QuboTerms:
    """Upper-triangular QUBO coefficients over ``n`` binaries."""

    n: int
    h: np.ndarray          # (n,) linear (diagonal) coefficients
    i: np.ndarray          # coupler rows, i < j, sorted, unique
    j: np.ndarray
    v: np.ndarray
    offset: float = 0.0

    @classmethod
    def empty(cls, n: int) -> "QuboTerms":
        z = np.zeros(0, _I)
        return cls(n, np.zeros(n), z, z, np.zeros(0), 0.0)

    @classmethod
    def from_coo(cls, n: int, h, i, j, v, offset: float = 0.0) -> "QuboTerms":
        """Canonicalize raw terms; ``i == j`` entries fold into ``h`` (y*y == y)."""
        h = np.array(h, dtype=_F, copy=True)
        i, j, v = np.asarray(i, _I), np.asarray(j, _I), np.asarray(v, _F)
        diag = i == j
        if diag.any():
            np.add.at(h, i[diag], v[diag])
            i, j, v = i[~diag], j[~diag], v[~diag]
        _, ci, cj, cv = canonical_quad(np.zeros(len(v), _I), i, j, v, n)
        return cls(n, h, ci, cj, cv, float(offset))

    @classmethod
    def from_poly(cls, poly: Poly, row: int = 0) -> "QuboTerms":
        """One row of a Poly over binaries."""
        h = np.asarray(poly.L[row].toarray()).ravel()
        m = poly.qrow == row
        return cls.from_coo(poly.n, h, poly.qi[m], poly.qj[m], poly.qcoef[m], float(poly.const[row]))

    @classmethod
    def squared_rows(cls, A: sp.csr_matrix, b: np.ndarray, linear_weight: float = 0.0) -> "QuboTerms":
        """``sum_r (A_r y - b_r)^2 + linear_weight * sum_r (A_r y - b_r)`` over binaries."""
        A = sp.csr_matrix(A)
        n = A.shape[1]
        G = sp.coo_matrix(A.T @ A)
        h = np.asarray(-2.0 * (A.T @ b)).ravel()
        if linear_weight:
            h = h + linear_weight * np.asarray(A.sum(axis=0)).ravel()
        diag = G.row == G.col
        np.add.at(h, G.row[diag], G.data[diag])
        up = G.row < G.col
        offset = float(b @ b) - linear_weight * float(b.sum())
        # G is symmetric: J_ij (i<j) = G_ij + G_ji = 2 G_ij; COO from a product is canonical
        return cls(n, h, G.row[up].astype(_I, copy=False), G.col[up].astype(_I, copy=False), 2.0 * G.data[up], offset)

    def with_n(self, n: int) -> "QuboTerms":
        if n == self.n:
            return self
        h = np.zeros(n)
        h[: self.n] = self.h
        return QuboTerms(n, h, self.i, self.j, self.v, self.offset)

    @property
    def nnz(self) -> int:
        return int(np.count_nonzero(self.h) + len(self.v))

    def abs_range(self) -> float:
        """Upper bound on max - min over all binary points: sum of |coefficients|."""
        return float(np.abs(self.h).sum() + np.abs(self.v).sum())

    def energy(self, X: np.ndarray) -> np.ndarray:
        """Energies of a (k, n) batch of 0/1 samples (or one sample of length n)."""
        X = np.asarray(X, dtype=_F)
        single = X.ndim == 1
        X2 = np.atleast_2d(X)
        if X2.shape[1] != self.n:
            from ..errors import ModelError

            raise ModelError(f"samples have {X2.shape[1]} columns, the QUBO has {self.n} variables")
        e = X2 @ self.h + self.offset
        if len(self.v):
            e = e + np.einsum("ki,ki->k", np.asarray((self._couplers @ X2.T).T), X2)
        return e[0] if single else e

    @cached_property
    def _couplers(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.v, (self.i, self.j)), shape=(self.n, self.n))

    def matrix(self) -> sp.csr_matrix:
        """Upper-triangular matrix with h on the diagonal (y^T Q y + offset)."""
        idx = np.arange(self.n)
        nz = self.h != 0
        return sp.csr_matrix(
            (np.concatenate([self.h[nz], self.v]),
             (np.concatenate([idx[nz], self.i]), np.concatenate([idx[nz], self.j]))),
            shape=(self.n, self.n),
        )


def combine(blocks: list[tuple[float, QuboTerms]], n: int) -> QuboTerms:
    """Weighted sum of QUBO blocks (sparse matrix additions, linear time)."""
    h = np.zeros(n)
    offset = 0.0
    J = None
    for w, t in blocks:
        if w == 0:
            continue
        h[: t.n] += w * t.h
        offset += w * t.offset
        if len(t.v):
            M = sp.csr_matrix((w * t.v, (t.i, t.j)), shape=(n, n))
            J = M if J is None else J + M
    if J is None:
        return QuboTerms(n, h, np.zeros(0, _I), np.zeros(0, _I), np.zeros(0), offset)
    J.sum_duplicates()
    J.eliminate_zeros()
    rows = np.repeat(np.arange(n, dtype=_I), np.diff(J.indptr))
    return QuboTerms(n, h, rows, J.indices.astype(_I, copy=False), J.data, offset)


@dataclass
class PenaltyBlock:
    """A constraint (or an integer encoding's validity rule) as a penalty ``P(y) >= 0``.

    ``P(y) == 0`` exactly when the constraint holds (for the best slack); otherwise
    ``P(y) >= p_min``. ``proven`` says whether p_min is a proof (integral rows) or an
    estimate (unbalanced penalization, non-rational coefficients).
    """

    name: str
    kind: str        # "equality", "inequality", "encoding"
    method: str      # "squared", "slack", "unbalanced", "one-hot", "domain-wall"
    rows: int
    terms: QuboTerms
    p_min: float
    proven: bool
