"""QUBO coefficient blocks: ``offset + h . y + sum_{i<j} J_ij y_i y_j`` over binaries,
and the float64 arithmetic that decides whether their energies can be told apart.

Numeric facts used here and by :mod:`qbdsl.passes.penalize` and :class:`qbdsl.ir.qubo.QuboIR`
(N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002):

- float64 rounds to nearest with unit roundoff ``u = 2^-53`` (Sec. 2.1); every integer of
  magnitude at most ``2^53`` is a float64, so sums and products of such integers whose
  partial results stay below ``2^53`` are exact.
- Hence a sum of numbers that are all integer multiples of ``2^-e`` is exact, in any order,
  when every partial sum is at most ``2^(53-e)`` in magnitude: every intermediate result is
  then a float64 and nothing is rounded. Integral QUBOs of moderate size are evaluated
  exactly this way (:func:`energy_error_bound`).
- A value that passes through at most ``k`` roundings is ``x (1 + theta_k)`` with
  ``|theta_k| <= gamma_k = k u / (1 - k u)`` (Lemma 3.1); ``(1 + theta_j)(1 + theta_k) =
  1 + theta_{j+k}`` (Lemma 3.3). Hence an inner product of length ``T`` errs by at most
  ``gamma_T |x|^T |y|`` (eq. (3.5)), in every order of evaluation: the order only decides
  which term sees how many of the at most ``T`` roundings.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .poly import Poly, canonical_quad

_I = np.int64
_F = np.float64

UNIT_ROUNDOFF = 2.0 ** -53   # float64, round to nearest (Higham 2002, Sec. 2.1)
EXACT_INT = 2.0 ** 53        # every integer of magnitude <= 2^53 is exactly a float64
MAX_SCALE_DIGITS = 6         # decimal scales tried: 10^0 .. 10^6
# "integral" up to 64 units in the last place: a decimal typed or rounded to k digits, times
# 10^k, is within 2 ulps of its integer; a looser tolerance would round real digits away
# (1e-9 would turn 10000000.001 into an integer) and rescaled rows are rounded to integers
INTEGRAL_TOL = 2.0 ** -46
UNPROVEN_RESOLUTION = 2.0 ** 10   # objective range / this: the resolution asked of non-decimal data


def gamma(k: int) -> float:
    """``gamma_k = k u / (1 - k u)``: bound on the relative error of ``k`` roundings.

    Higham (2002), Lemma 3.1. Infinite once ``k u >= 1`` (no bound holds).
    """
    ku = k * UNIT_ROUNDOFF
    return ku / (1.0 - ku) if ku < 1.0 else np.inf


def _is_integral(x: np.ndarray) -> np.ndarray:
    """``x`` within ``INTEGRAL_TOL`` (relative) of an integer; exact integers take one pass."""
    r = np.rint(x)
    ok = x == r
    off = np.flatnonzero(~ok)
    if len(off):
        ok[off] = np.abs(x[off] - r[off]) <= INTEGRAL_TOL * np.maximum(1.0, np.abs(x[off]))
    return ok


def segment_reduce(ufunc: np.ufunc, values: np.ndarray, indptr: np.ndarray, empty=0) -> np.ndarray:
    """``ufunc.reduce(values[indptr[r]:indptr[r+1]])`` per segment r (``empty`` if none)."""
    values = np.asarray(values)
    counts = np.diff(indptr)
    out = np.full(len(counts), empty, dtype=values.dtype)
    full = counts > 0
    if full.any():
        out[full] = ufunc.reduceat(values, np.asarray(indptr[:-1], _I)[full])
    return out


def decimal_scale(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Per segment ``values[indptr[r]:indptr[r+1]]`` (a CSR row, or all values), the
    smallest ``10^k`` (``k <= 6``) making every value an integral float64 of magnitude at
    most ``2^53``; NaN where none does (1 for an empty segment).

    Integers are recognised in one pass. A value integral at some ``10^k`` is integral at
    ``10^6``, so one test at ``10^6`` rules out the rest (e.g. measured distances) before
    the smallest ``k`` is looked for among the values still open.
    """
    values = np.asarray(values, _F)
    k_of = np.where(_is_integral(values) & (np.abs(values) <= EXACT_INT), 0.0, np.inf)
    todo = np.flatnonzero(k_of > 0)
    todo = todo[_is_integral(values[todo] * 10.0 ** MAX_SCALE_DIGITS)]
    for k in range(1, MAX_SCALE_DIGITS + 1):
        if not len(todo):
            break
        v = values[todo] * 10.0 ** k
        hit = _is_integral(v) & (np.abs(v) <= EXACT_INT)
        k_of[todo[hit]] = k
        todo = todo[~hit]
    k_seg = segment_reduce(np.maximum, k_of, indptr, 0.0)
    sigma = np.where(np.isfinite(k_seg), 10.0 ** np.minimum(k_seg, MAX_SCALE_DIGITS), np.nan)
    biggest = segment_reduce(np.maximum, np.abs(values), indptr, 0.0)
    sigma[biggest * sigma > EXACT_INT] = np.nan   # integral, but beyond exact integers
    return sigma


def _sample(x: np.ndarray, size: int = 4096) -> np.ndarray:
    return x[:: max(1, len(x) // size)]


def dyadic_exponent(values) -> float:
    """Smallest ``e >= 0`` with every value an integer multiple of ``2^-e``; inf if a value
    is not finite or needs ``e > 52`` (no exactness to be had: ``0.1`` needs 56), which a
    strided sample usually shows before the whole array is read. ``0.5 -> 1``, ``3 -> 0``.
    """
    x = np.abs(np.asarray(values, _F).ravel())
    if np.all(x == np.rint(x)):
        return 0.0
    for part in (_sample(x), x):
        part = part[part != 0]
        if not np.isfinite(part).all():
            return np.inf
        m, ex = np.frexp(part)                           # part = m 2^ex, m in [0.5, 1)
        mant = np.ldexp(m, 53).astype(_I)                # the 53-bit significand, exact
        trailing = np.log2(mant & -mant).astype(_I)      # its trailing zero bits
        e = max(0, int((53 - ex - trailing).max())) if len(part) else 0
        if e > 52:
            return np.inf
    return float(e)


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

    @cached_property
    def magnitude(self) -> float:
        """``|offset| + sum|h| + sum|J|``: bounds ``|E(y)|`` and, for every ``y``, the sum of
        the absolute values of the terms that make up ``E(y)``."""
        return abs(self.offset) + self.abs_range()

    @cached_property
    def dyadic(self) -> float:
        """:func:`dyadic_exponent` of every coefficient and the offset."""
        return dyadic_exponent(np.concatenate([self.h, self.v, [self.offset]]))

    @cached_property
    def resolution(self) -> tuple[float, bool]:
        """``(delta, proven)``: no two energies differ by less than ``delta`` unless equal.

        Energies differ by integer combinations of the coefficients. When every nonzero
        coefficient is integral after scaling by ``sigma = 10^k`` (``k <= 6``), with gcd
        ``g`` of the scaled integers, every difference is a multiple of ``delta = g / sigma``
        (proven). Otherwise (measured or irrational data) distinct values can be arbitrarily
        close and no precision separates them all; the fallback is ``R / 2^10`` (``R`` =
        :meth:`abs_range`): values a thousandth of the objective's range apart must stay
        apart, i.e. penalties may not blur the objective more than that (not proven).
        ``delta = inf`` for a constant.
        """
        vals = np.concatenate([self.h[self.h != 0], self.v[self.v != 0]])
        if not len(vals):
            return np.inf, True
        few = _sample(vals)                   # one value off every decimal grid settles it
        sigma = float(decimal_scale(few, [0, len(few)])[0])
        if not np.isnan(sigma):
            sigma = float(decimal_scale(vals, [0, len(vals)])[0])
        if np.isnan(sigma):
            return self.abs_range() / UNPROVEN_RESOLUTION, False
        g = np.gcd.reduce(np.abs(np.rint(vals * sigma).astype(_I)))
        return float(g) / sigma, True

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


@dataclass(frozen=True)
class EnergyError:
    """How far a float64 energy ``fl(E(y))`` can be from ``E(y)``, for every binary ``y``."""

    magnitude: float      # M = sum_B |w_B| (|offset_B| + sum|h_B| + sum|J_B|)
    summands: int         # T = N + K (see energy_error_bound)
    grid: float           # all weighted coefficients are multiples of 2^-grid (inf: none)
    worst_case: float     # gamma_T * M

    @property
    def exact(self) -> bool:
        """Every energy is computed exactly: ``M 2^grid <= 2^53``."""
        return self.magnitude == 0 or np.log2(self.magnitude) + self.grid <= 53

    @property
    def bound(self) -> float:
        """0 when :attr:`exact`, else :attr:`worst_case`."""
        return 0.0 if self.exact else self.worst_case

    @property
    def exact_headroom_bits(self) -> float:
        """``53 - grid - log2 M``: bits the magnitude may still grow and stay exact."""
        return np.inf if self.magnitude == 0 else float(53 - self.grid - np.log2(self.magnitude))


def energy_error_bound(parts: list[tuple[float, QuboTerms]]) -> EnergyError:
    """A bound on ``|fl(E(y)) - E(y)|`` for every binary ``y``, ``E = sum_B w_B P_B``.

    Exact case: if every ``w_B * c`` (coefficients and offsets) is an integer multiple of
    ``2^-e`` and ``M = sum_B |w_B| (|offset_B| + sum|h_B| + sum|J_B|) <= 2^(53-e)``, every
    product ``w_B c`` and every partial sum (a sum of some of these terms, so at most
    ``M``) is a float64: assembling (:func:`combine`) and evaluating an energy, in any
    order, rounds nothing (Higham 2002, Sec. 2.1). Integral rows and objectives with
    integral weights get here.

    Otherwise: the assembly rounds each coefficient at most ``K`` times (a product and a sum
    over ``K`` weighted blocks), and an energy is a sum of at most
    ``N = n + min(sum_B nnz(J_B), n(n-1)/2) + 1`` terms ``h_i y_i``, ``J_ij y_i y_j`` and the
    offset (products with 0/1 are exact; whatever the summation order, BLAS or not, a term
    sees at most ``N - 1`` roundings). By Higham (2002) Lemmas 3.1 and 3.3 every term is off
    by a factor ``1 + theta_T``, ``T = N + K``, so, as in eq. (3.5), the error is at most
    ``gamma_T * M``. (Backends that rewrite the QUBO, e.g. into Ising spins, are outside
    this bound.)
    """
    live = [(w, t) for w, t in parts if w != 0]
    if not live:
        return EnergyError(0.0, 0, 0.0, 0.0)
    M = float(sum(abs(w) * t.magnitude for w, t in live))
    n = max(t.n for _, t in live)
    T = n + min(sum(len(t.v) for _, t in live), n * (n - 1) // 2) + 1 + len(live)
    grid = max(t.dyadic + dyadic_exponent([w]) for w, t in live)
    return EnergyError(M, T, grid, gamma(T) * M)


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
    ``P(y) >= p_min``. ``proven`` says whether p_min is a proof (integral rows, penalized
    after rescaling to coprime integers, so ``p_min = 1``) or an estimate (unbalanced
    penalization, coefficients with no integral decimal scale).
    """

    name: str
    kind: str        # "equality", "inequality", "encoding"
    method: str      # "squared", "slack", "unbalanced", "one-hot", "domain-wall"
    rows: int
    terms: QuboTerms
    p_min: float
    proven: bool
