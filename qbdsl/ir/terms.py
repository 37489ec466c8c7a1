"""QUBO coefficient blocks: ``offset + h . y + sum_{i<j} J_ij y_i y_j`` over binaries,
and the float64 arithmetic that decides whether their energies can be told apart.

Numeric facts used here and by :mod:`qbdsl.passes.penalize` and :class:`qbdsl.ir.qubo.QuboIR`
(N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002):

- float64 rounds to nearest with unit roundoff ``u = 2^-53`` (Sec. 2.1); every integer of
  magnitude at most ``2^53`` is a float64, so sums and products of such integers whose
  partial results stay below ``2^53`` are exact. Every float64 is a dyadic rational
  ``m 2^e`` (``m`` an integer below ``2^53``); every float64 of magnitude at least ``2^52``
  is an integer, and above ``2^53`` consecutive float64 are at least 2 apart.
- Hence a sum of numbers that are all integer multiples of ``2^-e`` is exact, in any order,
  when every partial sum is at most ``2^(53-e)`` in magnitude: every intermediate result is
  then a float64 and nothing is rounded. Integral QUBOs of moderate size are evaluated
  exactly this way (:func:`energy_error_bound`).
- A value that passes through at most ``k`` roundings is ``x (1 + theta_k)`` with
  ``|theta_k| <= gamma_k = k u / (1 - k u)`` (Lemma 3.1); ``(1 + theta_j)(1 + theta_k) =
  1 + theta_{j+k}`` (Lemma 3.3). A sum of terms ``t_l``, evaluated by any grouping in which
  term ``l`` passes through at most ``k_l <= k`` roundings, errs by at most
  ``gamma_k sum_l |t_l|`` (the argument of eq. (3.5)). A flat sum of ``T`` terms has
  ``k = T - 1`` in every order; qbdsl's own energy evaluation is two-level (per-variable
  coupler sums, then a sum over variables) and has ``k <= n + d + 1`` (``d`` the largest
  number of couplers at one variable), see :func:`energy_error_bound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .poly import Poly, canonical_quad

_I = np.int64
_F = np.float64

UNIT_ROUNDOFF = 2.0**-53  # float64, round to nearest (Higham 2002, Sec. 2.1)
EXACT_INT = 2.0**53  # every integer of magnitude <= 2^53 is exactly a float64
MAX_SCALE_DIGITS = 6  # decimal scales tried: 10^0 .. 10^6
# "integral" up to 64 units in the last place: a decimal typed or rounded to k digits, times
# 10^k, is within 2 ulps of its integer; a looser tolerance would round real digits away
# (1e-9 would turn 10000000.001 into an integer) and rescaled rows are rounded to integers.
# At most INTEGRAL_ABS absolutely: above 2^38 64 ulps grow past it, and above 2^45 they would
# reach 1/2 and call every float64 integral (1e15 + 0.5, stored exactly, would read as 1e15).
# A decimal typed with n = sigma d <= 2^44 is stored within 2 u n <= 2^-8 of its integer.
INTEGRAL_TOL = 2.0**-46
INTEGRAL_ABS = 2.0**-8
UNPROVEN_RESOLUTION = 2.0**10  # objective range / this: the resolution asked of non-decimal data


def integral_tol(x: np.ndarray) -> np.ndarray:
    """How far ``x`` may be from an integer and still count as one:
    ``min(INTEGRAL_TOL max(1, |x|), INTEGRAL_ABS)``."""
    return np.minimum(INTEGRAL_TOL * np.maximum(1.0, np.abs(x)), INTEGRAL_ABS)


def gamma(k: int) -> float:
    """``gamma_k = k u / (1 - k u)``: bound on the relative error of ``k`` roundings.

    Higham (2002), Lemma 3.1. Infinite once ``k u >= 1`` (no bound holds).
    """
    ku = k * UNIT_ROUNDOFF
    return ku / (1.0 - ku) if ku < 1.0 else np.inf


def _is_integral(x: np.ndarray) -> np.ndarray:
    """``x`` within :func:`integral_tol` of an integer; exact integers take one pass."""
    r = np.rint(x)
    ok = x == r
    off = np.flatnonzero(~ok)
    if len(off):
        ok[off] = np.abs(x[off] - r[off]) <= integral_tol(x[off])
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


def decimal_digits(values: np.ndarray) -> np.ndarray:
    """Per value ``c``, the smallest ``k <= 6`` with ``10^k c`` integral (:func:`_is_integral`)
    and ``10^k |c| <= 2^53``, or 0 when ``c`` is an integer float64 of any magnitude (every
    float64 of magnitude ``>= 2^52`` is one); ``inf`` where none: ``c`` has no exact decimal
    reading within float64's exact integers.

    Integers are recognised in one pass. A value integral at some ``10^k`` is integral at
    ``10^6``, so one test at ``10^6`` rules out the rest (e.g. measured distances) before
    the smallest ``k`` is looked for among the values still open.
    """
    values = np.asarray(values, _F)
    k_of = np.where(values == np.rint(values), 0.0, np.inf)
    todo = np.flatnonzero(k_of > 0)
    # a necessary condition (relative tolerance, doubled for the two products' roundings)
    v6 = values[todo] * 10.0**MAX_SCALE_DIGITS
    todo = todo[np.abs(v6 - np.rint(v6)) <= 2.0 * INTEGRAL_TOL * np.maximum(1.0, np.abs(v6))]
    for k in range(0, MAX_SCALE_DIGITS + 1):
        if not len(todo):
            break
        v = values[todo] * 10.0**k
        hit = _is_integral(v) & (np.abs(v) <= EXACT_INT)
        k_of[todo[hit]] = k
        todo = todo[~hit]
    return k_of


def decimal_scale(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Per segment ``values[indptr[r]:indptr[r+1]]`` (a CSR row, or all values), the
    smallest ``10^k`` (``k <= 6``) making every value an integral float64 of magnitude at
    most ``2^53`` (:func:`decimal_digits`); NaN where none does (1 for an empty segment),
    including integers beyond ``2^53`` (or ``2^53 / 10^k`` next to values that need
    ``10^k``): their scaled integers would not be float64.
    """
    values = np.asarray(values, _F)
    k_seg = segment_reduce(np.maximum, decimal_digits(values), indptr, 0.0)
    sigma = np.where(np.isfinite(k_seg), 10.0 ** np.minimum(k_seg, MAX_SCALE_DIGITS), np.nan)
    biggest = segment_reduce(np.maximum, np.abs(values), indptr, 0.0)
    sigma[biggest * sigma > EXACT_INT] = np.nan  # integral, but beyond exact integers
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
        m, ex = np.frexp(part)  # part = m 2^ex, m in [0.5, 1)
        mant = np.ldexp(m, 53).astype(_I)  # the 53-bit significand, exact
        trailing = np.log2(mant & -mant).astype(_I)  # its trailing zero bits
        e = max(0, int((53 - ex - trailing).max())) if len(part) else 0
        if e > 52:
            return np.inf
    return float(e)


def dyadic_gcd(values) -> float:
    """The exact gcd of the nonzero float64 ``values`` as rationals (0 if none).

    Each float64 is ``o 2^e`` with ``o`` an odd integer below ``2^53`` (its significand with
    the trailing zero bits moved into ``e``); for odd ``o_i``, ``gcd_i(o_i 2^e_i) =
    gcd_i(o_i) 2^(min_i e_i)`` (an odd number shares no factor 2), so the gcd is computed
    exactly in int64 at every magnitude: ``dyadic_gcd([1e16, 1e16 + 8]) == 8``,
    ``dyadic_gcd([3e20, 0.5]) == 0.5``. Every integer combination of the values is a
    multiple of it. (``0.1`` is the dyadic ``3602879701896397 / 2^55``: values with no
    binary grid of their own have a gcd near ``2^-55``.)
    """
    x = np.abs(np.asarray(values, _F).ravel())
    x = x[x != 0]
    if not len(x):
        return 0.0
    if not np.isfinite(x).all():
        return np.nan
    m, ex = np.frexp(x)  # x = m 2^ex, m in [0.5, 1)
    mant = np.ldexp(m, 53).astype(_I)  # the 53-bit significand, exact
    tz = np.log2(mant & -mant).astype(_I)  # its trailing zero bits
    odd = mant >> tz
    e = ex.astype(_I) - 53 + tz
    return float(np.ldexp(float(np.gcd.reduce(odd)), int(e.min())))


@dataclass(frozen=True)
class Resolution:
    """What is known about the gaps between distinct objective values
    (:attr:`QuboTerms.resolution_info`).

    ``delta``: no two objective values differ by less than ``delta`` unless equal (for
    ``kind`` "decimal": the values of the decimal reading of the coefficients; for
    "float64": the stored coefficients themselves; "unproven": an assumption).
    ``data_error``: ``sum_i |c_i - d_i|`` over the stored float64 coefficients ``c_i`` and
    their decimal reading ``d_i`` (0 unless ``kind`` is "decimal" with inexact data), so
    every objective value of the stored data is within it of the decimal one.
    """

    delta: float
    proven: bool
    kind: str  # "decimal", "float64", "unproven", "constant"
    data_error: float = 0.0
    scale: float = 1.0  # sigma = 10^k of a decimal reading


@dataclass
class QuboTerms:
    """Upper-triangular QUBO coefficients over ``n`` binaries."""

    n: int
    h: np.ndarray  # (n,) linear (diagonal) coefficients
    i: np.ndarray  # coupler rows, i < j, sorted, unique
    j: np.ndarray
    v: np.ndarray
    offset: float = 0.0

    @classmethod
    def empty(cls, n: int) -> QuboTerms:
        """No terms over ``n`` binaries: a zero energy."""
        z = np.zeros(0, _I)
        return cls(n, np.zeros(n), z, z, np.zeros(0), 0.0)

    @classmethod
    def from_coo(cls, n: int, h, i, j, v, offset: float = 0.0) -> QuboTerms:
        """Canonicalize raw terms; ``i == j`` entries fold into ``h`` (y*y == y).

        Parameters
        ----------
        n : int
            Number of binaries.
        h : array_like, shape (n,)
            Linear coefficients (copied).
        i, j, v : array_like, shape (m,)
            Couplers in any order, duplicates summed, zeros dropped.
        offset : float, default 0.0
            The constant energy term, added to every sample's energy.

        Returns
        -------
        QuboTerms
        """
        h = np.array(h, dtype=_F, copy=True)
        i, j, v = np.asarray(i, _I), np.asarray(j, _I), np.asarray(v, _F)
        diag = i == j
        if diag.any():
            np.add.at(h, i[diag], v[diag])
            i, j, v = i[~diag], j[~diag], v[~diag]
        _, ci, cj, cv = canonical_quad(np.zeros(len(v), _I), i, j, v, n)
        return cls(n, h, ci, cj, cv, float(offset))

    @classmethod
    def from_poly(cls, poly: Poly, row: int = 0) -> QuboTerms:
        """One row of a Poly over binaries."""
        h = np.asarray(poly.L[row].toarray()).ravel()
        m = poly.qrow == row
        return cls.from_coo(poly.n, h, poly.qi[m], poly.qj[m], poly.qcoef[m], float(poly.const[row]))

    @classmethod
    def squared_rows(cls, A: sp.csr_matrix, b: np.ndarray, linear_weight: float = 0.0) -> QuboTerms:
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

    def with_n(self, n: int) -> QuboTerms:
        """The same terms over ``n >= self.n`` binaries (the new ones have zero coefficients)."""
        if n == self.n:
            return self
        h = np.zeros(n)
        h[: self.n] = self.h
        return QuboTerms(n, h, self.i, self.j, self.v, self.offset)

    @property
    def nnz(self) -> int:
        """Nonzero linear coefficients plus stored couplers."""
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

    @property
    def resolution(self) -> tuple[float, bool]:
        """``(delta, proven)`` of :attr:`resolution_info`."""
        r = self.resolution_info
        return r.delta, r.proven

    @cached_property
    def resolution_info(self) -> Resolution:
        """No two objective values differ by less than ``delta`` unless equal.

        Objective values differ by integer combinations of the coefficients, so every
        common divisor of the coefficients is a proven ``delta``. Three cases:

        1. ``decimal``: every nonzero coefficient is integral (within :func:`integral_tol`) after
           scaling by ``sigma = 10^k`` (``k <= 6``) with ``sigma |c| <= 2^53``
           (:func:`decimal_scale`). With ``g`` the gcd of the scaled integers ``n_i``, the
           decimal reading ``d_i = n_i / sigma`` has ``delta = g / sigma`` (proven). The stored
           float64 ``c_i`` may differ from ``d_i`` (``0.1`` is not a float64); ``data_error``
           bounds ``sum_i |c_i - d_i|`` (0 for integral data), and the range check of
           :class:`qbdsl.ir.qubo.QuboIR` subtracts twice it from ``delta``.
        2. ``float64``: every coefficient is an integer float64 (any magnitude) or has a
           decimal reading within ``2^53`` (:func:`decimal_digits`), but no one scale holds
           them all within ``2^53``: integral data at or above ``2^53`` (float64 holds no odd
           integer there: ``1e16 + 7`` is stored as ``1e16 + 8``, so the data may already be
           rounded), or such integers next to decimals (``1e16`` and ``0.5``). No exact
           decimal reading exists, so ``delta`` is the exact gcd of the coefficients as
           float64 stores them (:func:`dyadic_gcd`: 2 for ``1e16 + 2k``), proven at every
           magnitude. Such data usually need more precision than float64 energies have, and
           the range check then refuses them (with a gcd as coarse as the data, e.g.
           multiples of ``2^54``, it passes): integral data never reach the unproven fallback.
        3. ``unproven``: some coefficient has no decimal reading (measured or irrational data,
           e.g. ``1.2345678`` or ``pi``): distinct values can be arbitrarily close and no
           precision separates them all; the fallback asks ``R / 2^10`` (``R`` =
           :meth:`abs_range`): values a thousandth of the objective's range apart must stay
           apart, i.e. penalties may not blur the objective more than that (not proven). It is
           scale-invariant, a statement about the data's relative precision, and so only used
           for data with no exact reading; integers next to such data count as measured too,
           and so do non-integers that float64 stores more coarsely than their decimals
           (``1e15 + 0.5`` is 4 ulps off ``1e15`` and needs ``10^1``, beyond ``2^53``).

        ``delta = inf`` for a constant objective.
        """
        vals = np.concatenate([self.h[self.h != 0], self.v[self.v != 0]])
        if not len(vals):
            return Resolution(np.inf, True, "constant")
        few = _sample(vals)  # one value off every decimal grid settles it
        sigma = float(decimal_scale(few, [0, len(few)])[0])
        if not np.isnan(sigma):
            sigma = float(decimal_scale(vals, [0, len(vals)])[0])
        if not np.isnan(sigma):
            scaled = vals * sigma
            ints = np.rint(scaled)
            g = np.gcd.reduce(np.abs(ints.astype(_I)))
            # |c - n/sigma| <= (|fl(sigma c) - n| + u |fl(sigma c)| (1 + u)) / sigma (one
            # rounding in fl(sigma c); none when sigma = 1); the float64 sum and division
            # err by gamma_N < 1e-9 for N < 9e6 (Higham 2002, Lemma 3.1)
            off = np.abs(scaled - ints)
            if sigma != 1.0:
                off = off + 2.0 * UNIT_ROUNDOFF * np.abs(scaled)
            D = float(off.sum()) / sigma * (1.0 + 1e-9)
            return Resolution(float(g) / sigma, True, "decimal", D, sigma)
        if np.isfinite(decimal_digits(few)).all() and np.isfinite(decimal_digits(vals)).all():
            return Resolution(dyadic_gcd(vals), True, "float64")
        return Resolution(self.abs_range() / UNPROVEN_RESOLUTION, False, "unproven")

    def energy(self, X: np.ndarray) -> np.ndarray:
        """Energies of a (k, n) batch of 0/1 samples (or one sample of length n).

        Two levels, as :func:`energy_error_bound` assumes: ``X h + offset``, then per
        variable ``i`` the sum ``r_i = sum_j J_ij y_j`` over its row of couplers (a CSR
        product: scipy's ``csr_matvecs`` accumulates each output row from its own entries),
        then ``sum_i y_i r_i`` (``einsum``), added to the linear part. A coupler term passes
        through at most ``(r_i - 1) + (n - 1) + 1`` roundings, a linear term ``(n - 1) + 2``,
        whatever order BLAS or numpy use inside each level.
        """
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
            (
                np.concatenate([self.h[nz], self.v]),
                (np.concatenate([idx[nz], self.i]), np.concatenate([idx[nz], self.j])),
            ),
            shape=(self.n, self.n),
        )


@dataclass(frozen=True)
class EnergyError:
    """How far a float64 energy ``fl(E(y))`` can be from ``E(y)``, for every binary ``y``."""

    magnitude: float  # M = sum_B |w_B| (|offset_B| + sum|h_B| + sum|J_B|)
    summands: int  # T = n + d + 1 + K: roundings a term can see (see energy_error_bound)
    grid: float  # all weighted coefficients are multiples of 2^-grid (inf: none)
    worst_case: float  # gamma_T * M
    degree: int = 0  # d: the most couplers at one variable (a bound: summed over blocks)
    flat_summands: int = 0  # N + K: what a flat sum of every term would need (for comparison)

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
    """A bound on ``|fl(E(y)) - E(y)|`` for every binary ``y``, ``E = sum_B w_B P_B``, for the
    energies qbdsl itself computes: :meth:`QuboTerms.energy` (hence ``QuboIR.energy``,
    ``decode`` and every reported energy) and the ``exact`` backend's enumeration.

    Exact case: if every ``w_B * c`` (coefficients and offsets) is an integer multiple of
    ``2^-e`` and ``M = sum_B |w_B| (|offset_B| + sum|h_B| + sum|J_B|) <= 2^(53-e)``, every
    product ``w_B c`` and every partial sum (a sum of some of these terms, so at most
    ``M``) is a float64: assembling (:func:`combine`) and evaluating an energy, in any
    order, rounds nothing (Higham 2002, Sec. 2.1). Integral rows and objectives with
    integral weights get here.

    Otherwise, count the roundings each weighted term ``w_B c`` can pass through (products
    with 0/1 are exact; adding an exact zero rounds nothing, so a sum of ``m`` nonzero terms,
    in any order or blocking, rounds each at most ``m - 1`` times):

    - assembly (:func:`combine`): the product ``w_B c`` and the sums over the ``K``
      weighted blocks: at most ``K``;
    - :meth:`QuboTerms.energy`: ``X h`` (at most ``n - 1``), ``+ offset`` (1); per variable
      ``i`` the CSR row sum ``r_i = sum_j J_ij y_j`` (at most ``d - 1``, ``d`` the most
      couplers at one variable), ``sum_i y_i r_i`` (``n - 1``), added to the linear part
      (1): a coupler at most ``d + n - 1``, a linear term ``n + 1``, the offset 2;
    - the ``exact`` backend (``backends/exact.py``, low ``k`` bits and chunks of high
      bits): ``Y h`` (``<= k - 1``), ``Y J`` column sums (``<= d - 1``), ``einsum`` over
      the ``k`` low (or ``n - k`` high) variables, ``C H^T`` (``<= d - 1``), ``low @ .``
      (``<= k - 1``), then ``e_low + e_high`` and ``+ cross`` (2): at most ``d + n + 1``
      (the offset is added to the minimum after it is found).

    So every term is off by a factor ``1 + theta_T``, ``T = n + d + 1 + K`` (Higham 2002,
    Lemmas 3.1 and 3.3, applied level by level), and the error is at most ``gamma_T * M``.
    ``d`` is bounded by the sum over blocks of each variable's coupler count (at most
    ``n - 1``). Every term passing through at most ``N - 1`` roundings in a flat sum of all
    ``N = n + nnz(J) + 1`` terms, ``T = N + K`` (``flat_summands``) is valid for any
    evaluation, but much looser: for ``routing.kpath_routing(sndlib germany50, k=3)``
    (``n = 1986``, ``d = 986``, 388 418 couplers over two blocks) it is 390 407 against
    ``T = 2975``, and ``gamma_T M`` drops from 0.0021 to 1.6e-5 (``delta / 2 = 0.0003``).

    Not covered: tools that compute energies themselves (dimod, dwave-samplers' annealers,
    qiskit, OR-Tools) or rewrite the QUBO (e.g. into Ising spins) use their own arithmetic;
    no bound is claimed for them.
    """
    live = [(w, t) for w, t in parts if w != 0]
    if not live:
        return EnergyError(0.0, 0, 0.0, 0.0)
    M = float(sum(abs(w) * t.magnitude for w, t in live))
    n = max(t.n for _, t in live)
    K = len(live)
    deg = np.zeros(n, _I)
    for _, t in live:
        if len(t.v):
            deg[: t.n] += np.bincount(t.i, minlength=t.n) + np.bincount(t.j, minlength=t.n)
    d = int(min(deg.max() if n else 0, max(n - 1, 0)))
    T = n + d + 1 + K
    flat = n + min(sum(len(t.v) for _, t in live), n * (n - 1) // 2) + 1 + K
    grid = max(t.dyadic + dyadic_exponent([w]) for w, t in live)
    return EnergyError(M, T, grid, gamma(T) * M, d, flat)


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
    kind: str  # "equality", "inequality", "encoding"
    method: str  # "squared", "slack", "unbalanced", "one-hot", "domain-wall"
    rows: int
    terms: QuboTerms
    p_min: float
    proven: bool
