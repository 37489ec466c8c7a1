"""Vectorized polynomial expressions of degree <= 2 over a model's variables.

An :class:`Expr` is an array (any shape) of polynomials. Its terms live in flat COO
index arrays: linear terms ``(lrow, lvar, lcoef)`` and quadratic terms
``(qrow, qi, qj, qcoef)`` with ``qi <= qj``, where ``row`` is the flat position of the
element in the array. There is never one Python object per term; every operation is
index arithmetic on these arrays. Duplicates are allowed and summed when lowered.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ._ragged import check_finite, expand_pairs, ragged_arange
from .errors import ModelError, UnsupportedTermError

if TYPE_CHECKING:
    from .model import Model

_I = np.int64
_F = np.float64
_EMPTY_I = np.zeros(0, dtype=_I)
_EMPTY_F = np.zeros(0, dtype=_F)

SENSES = ("==", "<=", ">=")


def _is_constant(value: Any) -> bool:
    return isinstance(value, (numbers.Number, np.ndarray, np.generic, list, tuple)) or sp.issparse(value)


class Expr:
    """An array of polynomials (degree <= 2) over the variables of one model.

    Build expressions from variable arrays with ``+ - * / @``, ``**2``, ``sum(axis=)``,
    indexing and slicing; numpy arrays broadcast as usual. Comparisons (``==``, ``<=``,
    ``>=``) give a :class:`Constraint` array for :meth:`Model.add`.
    """

    __array_ufunc__ = None  # make numpy defer to Expr's reflected operators
    __slots__ = ("model", "shape", "const", "lrow", "lvar", "lcoef", "qrow", "qi", "qj", "qcoef")

    def __init__(self, model: Model, shape: tuple, const=None, lin=None, quad=None):
        self.model = model
        self.shape = tuple(int(s) for s in shape)
        self.const = (
            np.zeros(self.shape, dtype=_F) if const is None else np.asarray(const, dtype=_F).reshape(self.shape)
        )
        if lin is None:
            self.lrow, self.lvar, self.lcoef = _EMPTY_I, _EMPTY_I, _EMPTY_F
        else:
            self.lrow, self.lvar, self.lcoef = (np.asarray(a, dtype=t) for a, t in zip(lin, (_I, _I, _F)))
        if quad is None:
            self.qrow, self.qi, self.qj, self.qcoef = _EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F
        else:
            r, i, j, c = (np.asarray(a, dtype=t) for a, t in zip(quad, (_I, _I, _I, _F)))
            swap = i > j
            if swap.any():
                i, j = np.where(swap, j, i), np.where(swap, i, j)
            self.qrow, self.qi, self.qj, self.qcoef = r, i, j, c

    @classmethod
    def _raw(cls, model: Model, shape: tuple, const: np.ndarray, lin: tuple, quad: tuple) -> Expr:
        """An expression from arrays already of the right dtypes, with ``qi <= qj`` (hot paths:
        no conversions or checks)."""
        e = object.__new__(Expr)
        e.model, e.shape, e.const = model, shape, const
        e.lrow, e.lvar, e.lcoef = lin
        e.qrow, e.qi, e.qj, e.qcoef = quad
        return e

    # ------------------------------------------------------------------ basics
    @property
    def size(self) -> int:
        """Number of elements (polynomials) in the array."""
        return int(np.prod(self.shape, dtype=_I))

    @property
    def ndim(self) -> int:
        """Number of array dimensions."""
        return len(self.shape)

    @property
    def degree(self) -> int:
        """Highest degree among the terms (0, 1 or 2)."""
        if len(self.qcoef) and np.any(self.qcoef != 0):
            return 2
        if len(self.lcoef) and np.any(self.lcoef != 0):
            return 1
        return 0

    @property
    def n_terms(self) -> int:
        """Number of stored linear and quadratic terms (duplicates counted, zeros included)."""
        return len(self.lcoef) + len(self.qcoef)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar expression")
        return self.shape[0]

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    def __bool__(self):
        raise TypeError("an expression has no truth value; compare it to build a constraint and pass it to Model.add")

    __hash__ = None  # type: ignore[assignment]

    def __array__(self, dtype=None, copy=None):
        # numpy/scipy see an expression as one opaque object, so ``scipy_matrix @ expr``
        # returns NotImplemented and Python falls back to Expr.__rmatmul__
        out = np.empty((), dtype=object)
        out[()] = self
        return out

    def __repr__(self) -> str:
        return f"<Expr shape={self.shape} degree={self.degree} terms={self.n_terms}>"

    def copy(self) -> Expr:
        """An expression with its own constant array (the term arrays are shared, never mutated)."""
        return Expr(
            self.model,
            self.shape,
            self.const.copy(),
            (self.lrow, self.lvar, self.lcoef),
            (self.qrow, self.qi, self.qj, self.qcoef),
        )

    # ------------------------------------------------------------ coercion
    def _coerce(self, other: Any) -> Expr:
        if isinstance(other, Expr):
            if other.model is not self.model:
                raise ModelError("cannot combine expressions from two different models")
            return other
        if not _is_constant(other):
            raise TypeError(f"cannot combine an expression with {type(other).__name__}")
        arr = np.asarray(other.toarray() if sp.issparse(other) else other, dtype=_F)
        check_finite(arr, "a constant in an expression")
        return Expr(self.model, arr.shape, arr)

    def _remap(self, index: np.ndarray) -> Expr:
        """New expression whose element at p is this expression's element ``index[p]``."""
        index = np.asarray(index, dtype=_I)
        new_shape = index.shape
        flat = index.ravel()
        const = self.const.ravel()[flat].reshape(new_shape)
        size = self.size
        unique = flat.size <= size and (flat.size == 0 or np.bincount(flat, minlength=size).max() <= 1)
        if unique:
            inv = np.full(size, -1, dtype=_I)
            inv[flat] = np.arange(flat.size, dtype=_I)
            lr = inv[self.lrow]
            keep = lr >= 0
            lin = (lr[keep], self.lvar[keep], self.lcoef[keep])
            qr = inv[self.qrow]
            keepq = qr >= 0
            quad = (qr[keepq], self.qi[keepq], self.qj[keepq], self.qcoef[keepq])
        else:
            a, p = expand_pairs(self.lrow, flat, size)
            lin = (p, self.lvar[a], self.lcoef[a])
            a, p = expand_pairs(self.qrow, flat, size)
            quad = (p, self.qi[a], self.qj[a], self.qcoef[a])
        return Expr(self.model, new_shape, const, lin, quad)

    def _positions(self) -> np.ndarray:
        return np.arange(self.size, dtype=_I).reshape(self.shape)

    def broadcast_to(self, shape: tuple) -> Expr:
        """The expression broadcast to ``shape`` by numpy's rules (each element's terms repeated).

        Raises
        ------
        ModelError
            ``shape`` is not a broadcast of the expression's shape.
        """
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            index = np.broadcast_to(self._positions(), shape)
        except ValueError:
            raise ModelError(f"shape mismatch: cannot broadcast expression of shape {self.shape} to {shape}") from None
        return self._remap(index)

    def _aligned(self, other: Expr) -> tuple[Expr, Expr]:
        if self.shape == other.shape:
            return self, other
        try:
            shape = np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ModelError(
                f"shape mismatch: operands of shapes {self.shape} and {other.shape} do not broadcast"
            ) from None
        return self.broadcast_to(shape), other.broadcast_to(shape)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key) -> Expr:
        try:
            index = self._positions()[key]
        except IndexError as exc:
            raise ModelError(f"index {key!r} out of range for expression of shape {self.shape}: {exc}") from None
        return self._remap(index)

    def reshape(self, *shape) -> Expr:
        """The same elements in C order under a new shape (one ``-1`` is inferred), as ``ndarray.reshape``.

        Raises
        ------
        ModelError
            The new shape does not hold ``size`` elements.
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            return self._remap(self._positions().reshape(shape))
        except ValueError as exc:
            raise ModelError(f"cannot reshape expression of shape {self.shape}: {exc}") from None

    def flatten(self) -> Expr:
        """The elements in C order as a 1-d expression of shape ``(size,)``."""
        return self.reshape(-1)

    ravel = flatten

    def transpose(self, *axes) -> Expr:
        """The axes permuted as ``ndarray.transpose`` does (reversed when ``axes`` is omitted)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._remap(self._positions().transpose(*axes) if axes else self._positions().T)

    @property
    def T(self) -> Expr:
        """The expression with its axes reversed."""
        return self.transpose()

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None) -> Expr:
        """Sum over ``axis`` (an int, a tuple of ints, or None for all).

        Raises
        ------
        ModelError
            An axis out of range for the expression's shape.
        """
        if axis is None:
            axes = tuple(range(self.ndim))
        else:
            axes = tuple(a % self.ndim if self.ndim else a for a in np.atleast_1d(axis).tolist())
            if any(a >= self.ndim or a < 0 for a in axes):
                raise ModelError(f"axis {axis} out of range for expression of shape {self.shape}")
        new_shape = tuple(s for k, s in enumerate(self.shape) if k not in axes)
        keep_shape = tuple(1 if k in axes else s for k, s in enumerate(self.shape))
        row_map = np.broadcast_to(
            np.arange(int(np.prod(new_shape, dtype=_I)), dtype=_I).reshape(keep_shape), self.shape
        ).ravel()
        const = self.const.sum(axis=axes) if axes else self.const
        return Expr._raw(
            self.model,
            new_shape,
            np.asarray(const, dtype=_F).reshape(new_shape),
            (row_map[self.lrow], self.lvar, self.lcoef),
            (row_map[self.qrow], self.qi, self.qj, self.qcoef),
        )

    def dot(self, other) -> Expr:
        """``self @ other``: a matrix product with a constant array, sparse matrix or expression."""
        return self @ other

    # ------------------------------------------------------------ arithmetic
    def __pos__(self) -> Expr:
        return self

    def __neg__(self) -> Expr:
        return Expr(
            self.model,
            self.shape,
            -self.const,
            (self.lrow, self.lvar, -self.lcoef),
            (self.qrow, self.qi, self.qj, -self.qcoef),
        )

    def __add__(self, other) -> Expr:
        other = self._coerce(other)
        a, b = self._aligned(other)
        return LazySum(a, b)

    __radd__ = __add__

    def __sub__(self, other) -> Expr:
        return self + (-self._coerce(other))

    def __rsub__(self, other) -> Expr:
        return self._coerce(other) + (-self)

    def _scale(self, factor: np.ndarray) -> Expr:
        """Multiply elementwise by a constant array broadcastable to this shape."""
        f = _real(factor)
        if f is not None:  # a plain finite number: no broadcasting
            lc, qc = self.lcoef * f, self.qcoef * f
            lin, quad = (self.lrow, self.lvar, lc), (self.qrow, self.qi, self.qj, qc)
            if f == 0.0 or not lc.all():
                lk = lc != 0
                lin = (self.lrow[lk], self.lvar[lk], lc[lk])
            if f == 0.0 or not qc.all():
                qk = qc != 0
                quad = (self.qrow[qk], self.qi[qk], self.qj[qk], qc[qk])
            return Expr._raw(self.model, self.shape, np.asarray(self.const * f), lin, quad)
        factor = np.asarray(factor, dtype=_F)
        check_finite(factor, "a coefficient")
        try:
            shape = np.broadcast_shapes(self.shape, factor.shape)
        except ValueError:
            raise ModelError(
                f"shape mismatch: expression of shape {self.shape} times array of shape {factor.shape}"
            ) from None
        e = self.broadcast_to(shape)
        f = np.broadcast_to(factor, shape).ravel()
        lc = e.lcoef * f[e.lrow]
        qc = e.qcoef * f[e.qrow]
        lk, qk = lc != 0, qc != 0
        return Expr(
            self.model,
            shape,
            e.const * f.reshape(shape),
            (e.lrow[lk], e.lvar[lk], lc[lk]),
            (e.qrow[qk], e.qi[qk], e.qj[qk], qc[qk]),
        )

    def __mul__(self, other) -> Expr:
        if not isinstance(other, Expr):
            if not _is_constant(other):
                return NotImplemented
            return self._scale(other.toarray() if sp.issparse(other) else other)
        return _product(*self._aligned(self._coerce(other)))

    __rmul__ = __mul__

    def __truediv__(self, other) -> Expr:
        if isinstance(other, Expr):
            raise UnsupportedTermError("division by an expression is not polynomial; divide by constants only")
        arr = np.asarray(other, dtype=_F)
        if np.any(arr == 0):
            raise ModelError("division of an expression by zero")
        return self._scale(1.0 / arr)

    def __pow__(self, power) -> Expr:
        if power == 0:
            return Expr(self.model, self.shape, np.ones(self.shape))
        if power == 1:
            return self
        if power == 2:
            return self * self
        raise UnsupportedTermError(f"x ** {power}: qbdsl expressions have degree <= 2 (QUBO and MILP targets)")

    def __matmul__(self, other) -> Expr:
        if isinstance(other, Expr):
            return _expr_matmul(self, self._coerce(other))
        return _matmul_const(self, other)

    def __rmatmul__(self, other) -> Expr:
        if isinstance(other, Expr):
            return _expr_matmul(self._coerce(other), self)
        # A @ E == (E^T @ A^T)^T, with the first axis of E contracted
        a = other if sp.issparse(other) else np.asarray(other, dtype=_F)
        if self.ndim == 0:
            raise ModelError("matmul with a scalar expression")
        moved = self.transpose(tuple(range(1, self.ndim)) + (0,))
        out = _matmul_const(moved, a.T)
        if a.ndim == 1 or out.ndim <= 1:
            return out
        return out.transpose((out.ndim - 1,) + tuple(range(out.ndim - 1)))

    # ------------------------------------------------------------ comparisons
    def __eq__(self, other) -> Constraint:  # type: ignore[override]
        return Constraint(self - other, "==")

    def __le__(self, other) -> Constraint:
        return Constraint(self - other, "<=")

    def __ge__(self, other) -> Constraint:
        return Constraint(self - other, ">=")

    def __lt__(self, other):
        raise ModelError("strict inequality '<' is not supported: use '<=' (integers: '<= rhs - 1')")

    def __gt__(self, other):
        raise ModelError("strict inequality '>' is not supported: use '>=' (integers: '>= rhs + 1')")

    def __ne__(self, other):
        raise ModelError("'!=' constraints are not supported")

    # ------------------------------------------------------------ evaluation
    def value(self, x: np.ndarray) -> np.ndarray:
        """Evaluate every element at an assignment of all the model's variables.

        Parameters
        ----------
        x : ndarray, shape (model.n_vars,)
            One value per flat variable, in the model's layout order.

        Returns
        -------
        ndarray, shape ``self.shape``, float64
        """
        x = np.asarray(x, dtype=_F)
        out = self.const.ravel().copy()
        np.add.at(out, self.lrow, self.lcoef * x[self.lvar])
        np.add.at(out, self.qrow, self.qcoef * x[self.qi] * x[self.qj])
        return out.reshape(self.shape)


def _identity(rows: np.ndarray, size: int) -> bool:
    """True when ``rows`` is ``0, 1, ..., size - 1``: one term per element, in element order
    (a variable array and its selections)."""
    return (
        len(rows) == size
        and (size == 0 or (rows[0] == 0 and rows[-1] == size - 1))
        and np.array_equal(rows, np.arange(size, dtype=_I))
    )


def _pairs(key_a: np.ndarray, key_b: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`expand_pairs` (same pairs, same order), with a shortcut for the common case of
    one term per element in element order (a variable array) on either side."""
    if _identity(key_b, size):
        return np.arange(len(key_a), dtype=_I), key_a
    if _identity(key_a, size):
        order_b = np.argsort(key_b, kind="stable")
        return key_b[order_b], order_b
    return expand_pairs(key_a, key_b, size)


def _product(a: Expr, b: Expr) -> Expr:
    """Elementwise product of two expressions of equal shape."""
    if (len(a.qcoef) or len(b.qcoef)) and a.degree + b.degree > 2:
        hi, lo = (a, b) if a.degree == 2 else (b, a)
        k = int(np.flatnonzero(hi.qcoef)[0])
        names = a.model.var_label
        other = lo.lvar[0] if len(lo.lvar) else lo.qi[0]
        raise UnsupportedTermError(
            f"degree-3 term {names(int(hi.qi[k]))}*{names(int(hi.qj[k]))}*{names(int(other))}: "
            "qbdsl expressions have degree <= 2 (QUBO and MILP targets); introduce an auxiliary variable"
        )
    ca, cb = a.const.ravel(), b.const.ravel()
    lin_parts, quad_parts = [], []
    # constant x terms (skipped when the constant is zero, the common case)
    if cb.any():
        lin_parts.append((a.lrow, a.lvar, a.lcoef * cb[a.lrow]))
        quad_parts.append((a.qrow, a.qi, a.qj, a.qcoef * cb[a.qrow]))
    if ca.any():
        lin_parts.append((b.lrow, b.lvar, b.lcoef * ca[b.lrow]))
        quad_parts.append((b.qrow, b.qi, b.qj, b.qcoef * ca[b.qrow]))
    # linear x linear, paired within each element
    ia, ib = _pairs(a.lrow, b.lrow, a.size)
    vi, vj = a.lvar[ia], b.lvar[ib]
    quad_parts.append((a.lrow[ia], np.minimum(vi, vj), np.maximum(vi, vj), a.lcoef[ia] * b.lcoef[ib]))
    lin = tuple(np.concatenate(x) for x in zip(*lin_parts)) if lin_parts else (_EMPTY_I, _EMPTY_I, _EMPTY_F)
    quad = quad_parts[0] if len(quad_parts) == 1 else tuple(np.concatenate(x) for x in zip(*quad_parts))
    lk, qk = lin[2] != 0, quad[3] != 0
    if not lk.all():
        lin = tuple(x[lk] for x in lin)
    if not qk.all():
        quad = tuple(x[qk] for x in quad)
    return Expr._raw(a.model, a.shape, np.asarray(a.const * b.const), lin, quad)


def _csr_arrays(a) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """``(indptr, indices, data, shape)`` of a 2-D constant (dense or scipy sparse), duplicates
    summed and zeros dropped; dense arrays go straight through numpy (no scipy object)."""
    if sp.issparse(a):
        csr = sp.csr_matrix(a)
        csr.sum_duplicates()
        csr.eliminate_zeros()
        return csr.indptr.astype(_I), csr.indices.astype(_I), csr.data.astype(_F), csr.shape
    rows, cols = np.nonzero(a)  # row-major: already CSR order
    indptr = np.zeros(a.shape[0] + 1, dtype=_I)
    np.cumsum(np.bincount(rows, minlength=a.shape[0]), out=indptr[1:])
    return indptr, cols.astype(_I), a[rows, cols], a.shape


def _matmul_const(e: Expr, a) -> Expr:
    """``e @ a`` for a constant 1-D or 2-D array (dense or scipy sparse)."""
    if e.ndim == 0:
        raise ModelError("matmul with a scalar expression")
    if not sp.issparse(a):
        a = np.asarray(a, dtype=_F)
        check_finite(a, "a matrix in '@'")
    vector = a.ndim == 1
    if a.ndim not in (1, 2):
        raise ModelError(f"'@' takes a 1-D or 2-D array, got {a.ndim}-D")
    n = e.shape[-1]
    if a.shape[0] != n:
        raise ModelError(f"shape mismatch in '@': expression {e.shape} and array {a.shape}")
    a2 = a.reshape(-1, 1) if vector else a
    m = a2.shape[1]
    prefix_shape = e.shape[:-1]
    out_shape = prefix_shape + (() if vector else (m,))
    if not len(e.qrow) and _identity(e.lrow, e.size):
        # one term per element (a variable array): the terms are the nonzeros of ``a``, once
        # per leading index, in the order the general contraction below gives
        if sp.issparse(a2):
            indptr, col, w, _ = _csr_arrays(a2)
            k = np.repeat(np.arange(n, dtype=_I), np.diff(indptr))
        else:
            k, col = np.nonzero(a2)
            w = a2[k, col]
        P = int(np.prod(prefix_shape))  # e.size // n, also when n is 0 (an empty contraction)
        if P != 1:
            lead = np.arange(P, dtype=_I)[:, None]
            k, col, w = (lead * n + k).ravel(), (lead * m + col).ravel(), np.tile(w, P)
        lin = (col.astype(_I), e.lvar[k], e.lcoef[k] * w)
        quad = (_EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F)
        return Expr._raw(e.model, out_shape, _const_matmul(e.const, a2, out_shape), lin, quad)
    indptr, indices, data, _ = _csr_arrays(a2)
    counts_of = np.diff(indptr)

    def contract(rows):
        if not len(rows):
            return _EMPTY_I, _EMPTY_I, _EMPTY_F
        prefix, k = np.divmod(rows, n)
        counts = counts_of[k]
        src = np.repeat(np.arange(len(rows), dtype=_I), counts)
        nz = np.repeat(indptr[k], counts) + ragged_arange(counts)
        return src, prefix[src] * m + indices[nz], data[nz]

    s, r, w = contract(e.lrow)
    lin = (r, e.lvar[s], e.lcoef[s] * w)
    s, r, w = contract(e.qrow)
    quad = (r, e.qi[s], e.qj[s], e.qcoef[s] * w)
    return Expr._raw(e.model, out_shape, _const_matmul(e.const, a2, out_shape), lin, quad)


def _const_matmul(const: np.ndarray, a2, out_shape: tuple) -> np.ndarray:
    """The constant part of ``e @ a``: zeros when ``e`` has none (the common case), else a
    sparse product (a dense BLAS call can stall for tens of ms on a busy machine)."""
    if not const.any():
        return np.zeros(out_shape, dtype=_F)
    c = const.reshape(-1, a2.shape[0])
    return np.asarray((sp.csr_matrix(a2).T @ c.T).T, dtype=_F).reshape(out_shape)


def _expr_matmul(a: Expr, b: Expr) -> Expr:
    """``a @ b`` for two expressions (vector or matrix), via broadcast product and sum."""
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim == 2 and b.ndim == 1:
        return (a * b[None, :]).sum(axis=1)
    if a.ndim == 1 and b.ndim == 2:
        return (a[:, None] * b).sum(axis=0)
    if a.ndim == 2 and b.ndim == 2:
        return (a[:, :, None] * b[None, :, :]).sum(axis=1)
    raise ModelError(f"'@' between expressions of shapes {a.shape} and {b.shape} is not supported")


_TERM_SLOTS = ("lrow", "lvar", "lcoef", "qrow", "qi", "qj", "qcoef")


class LazySum(Expr):
    """``a + b`` for two expressions of one shape, with the term arrays concatenated late.

    ``sum(exprs)`` and ``h += e`` in a loop make a chain of n additions; concatenating at
    each step would copy O(n^2) terms. A lazy sum keeps its operands (``_k``) and the eager
    constant; the first read of a term array (``lrow`` ... ``qcoef``) walks the tree of
    pending sums iteratively and concatenates every leaf's arrays once, in operand order
    (the same arrays an eager chain builds).
    """

    __slots__ = ("_k",)

    def __init__(self, a: Expr, b: Expr):
        self.model = a.model
        self.shape = a.shape
        self.const = np.asarray(a.const + b.const)
        self._k = (a, b)

    def _leaves(self) -> list[Expr]:
        leaves, stack = [], [self]
        while stack:
            e = stack.pop()
            if type(e) is LazySum and e._k is not None:
                stack.extend(reversed(e._k))
            else:
                leaves.append(e)
        return leaves

    def __getattr__(self, name):
        if name not in _TERM_SLOTS or object.__getattribute__(self, "_k") is None:
            raise AttributeError(name)
        leaves = self._leaves()
        cat = np.concatenate
        for slot in _TERM_SLOTS:
            object.__setattr__(self, slot, cat([getattr(e, slot) for e in leaves]))
        self._k = None  # the operands may now be freed
        return object.__getattribute__(self, name)


class Constraint:
    """An array of scalar constraints ``expr (sense) 0``; pass it to :meth:`Model.add`."""

    __slots__ = ("expr", "sense")

    def __init__(self, expr: Expr, sense: str):
        if sense not in SENSES:
            raise ModelError(f"unknown constraint sense {sense!r}")
        self.expr = expr
        self.sense = sense

    @property
    def shape(self) -> tuple:
        """The shape of the constraint array (that of its expression)."""
        return self.expr.shape

    def __bool__(self):
        raise TypeError(
            "a constraint has no truth value (chained comparisons like 0 <= x <= 1 are not "
            "supported: add two constraints)"
        )

    def __repr__(self) -> str:
        return f"<Constraint {self.sense} shape={self.shape} terms={self.expr.n_terms}>"


def quicksum(items) -> Expr | float:
    """Sum an iterable of expressions and constants (one concatenation, not n additions).

    Parameters
    ----------
    items : iterable of Expr or array_like
        Expressions of one model and numeric constants (numbers, arrays, lists, sparse
        matrices), broadcast together by numpy's rules.

    Returns
    -------
    Expr or float
        An expression of the broadcast shape; a float when no item is an expression (the
        sum of every element, 0.0 for no items at all).

    Raises
    ------
    ModelError
        An item that is neither an expression nor numeric (its position and type are
        named), a non-finite constant, expressions of two different models, or items whose
        shapes do not broadcast together (the shapes are named).
    """
    items = list(items)
    scalar = _scalar_quicksum(items)
    if scalar is not None:
        return scalar
    exprs: list[Expr] = []
    consts: list[np.ndarray] = []
    first = 0  # the position of the first expression
    for k, x in enumerate(items):
        if isinstance(x, Expr):
            if not exprs:
                first = k
            elif x.model is not exprs[0].model:
                raise ModelError(
                    f"quicksum: cannot combine expressions from two different models: item {k} is of model "
                    f"{x.model.name!r}, item {first} of model {exprs[0].model.name!r}"
                )
            exprs.append(x)
        else:
            consts.append(_quicksum_constant(x, k))
    shapes = [e.shape for e in exprs] + [c.shape for c in consts]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ModelError(f"quicksum: the items' shapes {sorted(set(shapes))} do not broadcast together") from None
    const = np.zeros(shape)
    for c in consts:
        const = const + c
    if not exprs:
        return float(const.sum())
    exprs = [e.broadcast_to(shape) for e in exprs]
    for e in exprs:
        const = const + e.const
    cat = np.concatenate
    return Expr(
        exprs[0].model,
        shape,
        const,
        (cat([e.lrow for e in exprs]), cat([e.lvar for e in exprs]), cat([e.lcoef for e in exprs])),
        (
            cat([e.qrow for e in exprs]),
            cat([e.qi for e in exprs]),
            cat([e.qj for e in exprs]),
            cat([e.qcoef for e in exprs]),
        ),
    )


def _quicksum_constant(x: Any, k: int) -> np.ndarray:
    """Item ``k`` of a :func:`quicksum` that is not an expression, as a finite float array.

    Raises
    ------
    ModelError
        ``x`` is not numeric (a str, an object, a list holding expressions...) or not finite.
    """
    if not _is_constant(x) or isinstance(x, (str, bytes)):
        raise ModelError(f"quicksum: item {k} is a {type(x).__name__}; it sums expressions and numbers")
    try:
        arr = np.asarray(x.toarray() if sp.issparse(x) else x, dtype=_F)
    except (TypeError, ValueError):
        raise ModelError(
            f"quicksum: item {k} is a {type(x).__name__} that is not an array of numbers; "
            "it sums expressions and numbers (use quicksum over the expressions)"
        ) from None
    check_finite(arr, f"quicksum: item {k}")
    return arr


# ---------------------------------------------------------------- scalar terms
_BASE_SLOTS = frozenset(Expr.__slots__) - {"model", "shape"}
_NP_REAL = (np.floating, np.integer)


def _real(v: Any):
    """``v`` as a finite Python float when it is a plain real scalar, else None (slow path)."""
    t = type(v)
    if t is float or t is int or isinstance(v, _NP_REAL):
        f = float(v)
        if f - f == 0.0:  # finite
            return f
    return None


class ScalarExpr(Expr):
    """A scalar (shape ``()``) expression built term by term, e.g. ``x[i, j]``.

    Loops such as ``sum(d[i, j] * x[i, t] * x[j, t + 1] for ...)`` create one of these per
    term, so a leaf keeps its few terms in flat Python tuples (``_l``: var, coef, ...;
    ``_q``: i, j, coef, ... with i <= j) and a sum keeps them in flat Python lists of numbers
    shared along a chain of additions (``_k = (lin, quad, n_lin, n_quad)``: this sum's terms
    are the lists' first ``n_lin`` / ``n_quad`` entries). ``acc + term`` on the newest sum of
    a chain appends to the lists (amortized O(1), as ``sum()`` and ``+=`` do); on an older
    one it copies first. A chain thus keeps no tree of Python objects alive: the cyclic
    garbage collector, which scans every live container object, made a tree of sum nodes
    cost 1.7x more per term at 64 000 terms. The constant ``_c`` is always eager. No numpy array is built until the
    expression meets an array expression or is consumed by the model: then the COO arrays
    of :class:`Expr` are materialized once (``__getattr__`` fills the unset slots). Term
    values equal those the array operations build (same products, same zero-dropping);
    anything off the fast path (other shapes, arrays, non-finite or degree-3) falls back
    to :class:`Expr`'s own operators.
    """

    __slots__ = ("_c", "_l", "_q", "_k")

    def __init__(self, model: Model, c: float, lin: tuple = (), quad: tuple = (), kids: tuple | None = None):
        # the Expr slots other than model/shape stay unset until first read
        self.model = model
        self.shape = ()
        self._c = c
        self._l = lin
        self._q = quad
        self._k = kids

    # ------------------------------------------------------------ lazy arrays
    def _terms(self) -> tuple[tuple, tuple]:
        """The flat (linear, quadratic) term tuples (a sum's are copied out of its lists once)."""
        k = self._k
        if k is None:
            return self._l, self._q
        self._l, self._q, self._k = tuple(k[0][: k[2]]), tuple(k[1][: k[3]]), None
        return self._l, self._q

    def __getattr__(self, name):
        if name not in _BASE_SLOTS:
            raise AttributeError(name)
        lin, quad = self._terms()
        la = np.array(lin, dtype=_F).reshape(-1, 2)
        qa = np.array(quad, dtype=_F).reshape(-1, 3)
        Expr.__init__(
            self,
            self.model,
            (),
            np.array(self._c, dtype=_F),
            (np.zeros(len(la), dtype=_I), la[:, 0].astype(_I), la[:, 1].copy()),
            (np.zeros(len(qa), dtype=_I), qa[:, 0].astype(_I), qa[:, 1].astype(_I), qa[:, 2].copy()),
        )
        return object.__getattribute__(self, name)

    def _degree(self) -> int:
        lin, quad = self._terms()
        if any(quad[2::3]):
            return 2
        if any(lin[1::2]):
            return 1
        return 0

    @property
    def degree(self) -> int:
        """Highest degree among the terms (0, 1 or 2)."""
        return self._degree()

    @property
    def n_terms(self) -> int:
        """Number of linear and quadratic terms, counted from the flat term tuples."""
        lin, quad = self._terms()
        return len(lin) // 2 + len(quad) // 3

    # ------------------------------------------------------------ arithmetic
    def _scaled(self, f: float) -> ScalarExpr:
        lin, quad = self._terms()
        if len(lin) == 2 and not quad:  # one variable: the common ``d * x[i]``
            c = lin[1] * f
            return ScalarExpr(self.model, self._c * f, (lin[0], c) if c != 0.0 else ())
        out_l, out_q = [], []
        for k in range(0, len(lin), 2):
            c = lin[k + 1] * f
            if c != 0.0:
                out_l += (lin[k], c)
        for k in range(0, len(quad), 3):
            c = quad[k + 2] * f
            if c != 0.0:
                out_q += (quad[k], quad[k + 1], c)
        return ScalarExpr(self.model, self._c * f, tuple(out_l), tuple(out_q))

    def __neg__(self) -> Expr:
        lin, quad = self._terms()
        out_l = list(lin)
        out_l[1::2] = [-c for c in lin[1::2]]
        out_q = list(quad)
        out_q[2::3] = [-c for c in quad[2::3]]
        return ScalarExpr(self.model, -self._c, tuple(out_l), tuple(out_q))

    def __add__(self, other) -> Expr:
        if type(other) is ScalarExpr:
            if other.model is self.model:
                return _scalar_sum(self, other)
        else:
            f = _real(other)
            if f is not None:
                if self._k is None:
                    return ScalarExpr(self.model, self._c + f, self._l, self._q)
                return ScalarExpr(self.model, self._c + f, kids=self._k)
        return Expr.__add__(self, other)

    __radd__ = __add__

    def __sub__(self, other) -> Expr:
        if type(other) is ScalarExpr:
            if other.model is self.model:
                return self + (-other)
        else:
            f = _real(other)
            if f is not None:
                return self + (-f)
        return Expr.__sub__(self, other)

    def __rsub__(self, other) -> Expr:
        f = _real(other)
        if f is not None:
            return (-self) + f
        return Expr.__rsub__(self, other)

    def __mul__(self, other) -> Expr:
        if type(other) is ScalarExpr:
            if other.model is self.model:
                out = _scalar_product(self, other)
                if out is not None:
                    return out
        else:
            f = _real(other)
            if f is not None:
                return self._scaled(f)
        return Expr.__mul__(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other) -> Expr:
        f = _real(other)
        if f is not None and f != 0.0:
            return self._scaled(1.0 / f)
        return Expr.__truediv__(self, other)

    def __repr__(self) -> str:
        return f"<Expr shape=() degree={self.degree} terms={self.n_terms}>"


def _scalar_sum(a: ScalarExpr, b: ScalarExpr) -> ScalarExpr:
    """``a + b``: appends ``b``'s terms to ``a``'s lists when ``a`` is the newest sum of its
    chain (no other sum has appended since), else to a copy of ``a``'s terms."""
    k = a._k
    bl, bq = b._terms()  # read first: ``h + h`` shares one chain
    if k is not None and len(k[0]) == k[2] and len(k[1]) == k[3]:
        lin, quad = k[0], k[1]
    else:
        al, aq = a._terms()
        lin, quad = list(al), list(aq)
    lin += bl
    quad += bq
    return ScalarExpr(a.model, a._c + b._c, kids=(lin, quad, len(lin), len(quad)))


def _scalar_product(a: ScalarExpr, b: ScalarExpr):
    """``a * b`` with the terms :func:`_product` builds, or None when the degree would exceed 2."""
    al, aq = a._terms()
    bl, bq = b._terms()
    ca, cb = a._c, b._c
    if len(al) == 2 and len(bl) == 2 and not aq and not bq and not ca and not cb:
        # the common case: (c1 x_i) * (c2 x_j)
        c = al[1] * bl[1]
        if c == 0.0:
            return ScalarExpr(a.model, 0.0)
        i, j = al[0], bl[0]
        return ScalarExpr(a.model, 0.0, (), (i, j, c) if i <= j else (j, i, c))
    if a._degree() + b._degree() > 2:
        return None
    lin, quad = [], []
    if cb:
        for k in range(0, len(al), 2):
            lin += (al[k], al[k + 1] * cb)
        for k in range(0, len(aq), 3):
            quad += (aq[k], aq[k + 1], aq[k + 2] * cb)
    if ca:
        for k in range(0, len(bl), 2):
            lin += (bl[k], bl[k + 1] * ca)
        for k in range(0, len(bq), 3):
            quad += (bq[k], bq[k + 1], bq[k + 2] * ca)
    for p in range(0, len(al), 2):
        i, x = al[p], al[p + 1]
        for r in range(0, len(bl), 2):
            j = bl[r]
            quad += (i, j, x * bl[r + 1]) if i <= j else (j, i, x * bl[r + 1])
    if 0.0 in lin[1::2]:
        lin = [t for k in range(0, len(lin), 2) if lin[k + 1] != 0.0 for t in lin[k : k + 2]]
    if 0.0 in quad[2::3]:
        quad = [t for k in range(0, len(quad), 3) if quad[k + 2] != 0.0 for t in quad[k : k + 3]]
    return ScalarExpr(a.model, ca * cb, tuple(lin), tuple(quad))


def _scalar_var(model: Model, var: int) -> ScalarExpr:
    """The expression of one model variable (flat index ``var``)."""
    return ScalarExpr(model, 0.0, (var, 1.0))


def _scalar_quicksum(items: list):
    """:func:`quicksum` of scalar-term expressions and plain numbers as one lazy node, or None."""
    model, c, kids, consts = None, 0.0, [], []
    for x in items:
        if type(x) is ScalarExpr:
            if model is None:
                model = x.model
            elif x.model is not model:
                return None
            c += x._c
            kids.append(x)
        elif _real(x) is not None:
            consts.append(x)
        else:
            return None
    if model is None:
        return None
    if consts:
        c += float(np.sum(consts))
    lin, quad = [], []
    for x in kids:
        xl, xq = x._terms()
        lin += xl
        quad += xq
    return ScalarExpr(model, c, kids=(lin, quad, len(lin), len(quad)))
