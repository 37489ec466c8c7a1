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

    def __init__(self, model: "Model", shape: tuple, const=None, lin=None, quad=None):
        self.model = model
        self.shape = tuple(int(s) for s in shape)
        self.const = np.zeros(self.shape, dtype=_F) if const is None else np.asarray(const, dtype=_F).reshape(self.shape)
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

    # ------------------------------------------------------------------ basics
    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=_I))

    @property
    def ndim(self) -> int:
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
        return len(self.lcoef) + len(self.qcoef)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar expression")
        return self.shape[0]

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    def __bool__(self):
        raise TypeError(
            "an expression has no truth value; compare it to build a constraint and pass it to Model.add"
        )

    __hash__ = None  # type: ignore[assignment]

    def __array__(self, dtype=None, copy=None):
        # numpy/scipy see an expression as one opaque object, so ``scipy_matrix @ expr``
        # returns NotImplemented and Python falls back to Expr.__rmatmul__
        out = np.empty((), dtype=object)
        out[()] = self
        return out

    def __repr__(self) -> str:
        return f"<Expr shape={self.shape} degree={self.degree} terms={self.n_terms}>"

    def copy(self) -> "Expr":
        return Expr(self.model, self.shape, self.const.copy(),
                    (self.lrow, self.lvar, self.lcoef), (self.qrow, self.qi, self.qj, self.qcoef))

    # ------------------------------------------------------------ coercion
    def _coerce(self, other: Any) -> "Expr":
        if isinstance(other, Expr):
            if other.model is not self.model:
                raise ModelError("cannot combine expressions from two different models")
            return other
        if not _is_constant(other):
            raise TypeError(f"cannot combine an expression with {type(other).__name__}")
        arr = np.asarray(other.toarray() if sp.issparse(other) else other, dtype=_F)
        check_finite(arr, "a constant in an expression")
        return Expr(self.model, arr.shape, arr)

    def _remap(self, index: np.ndarray) -> "Expr":
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

    def broadcast_to(self, shape: tuple) -> "Expr":
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            index = np.broadcast_to(self._positions(), shape)
        except ValueError:
            raise ModelError(f"shape mismatch: cannot broadcast expression of shape {self.shape} to {shape}") from None
        return self._remap(index)

    def _aligned(self, other: "Expr") -> tuple["Expr", "Expr"]:
        if self.shape == other.shape:
            return self, other
        try:
            shape = np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ModelError(f"shape mismatch: operands of shapes {self.shape} and {other.shape} do not broadcast") from None
        return self.broadcast_to(shape), other.broadcast_to(shape)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key) -> "Expr":
        try:
            index = self._positions()[key]
        except IndexError as exc:
            raise ModelError(f"index {key!r} out of range for expression of shape {self.shape}: {exc}") from None
        return self._remap(index)

    def reshape(self, *shape) -> "Expr":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            return self._remap(self._positions().reshape(shape))
        except ValueError as exc:
            raise ModelError(f"cannot reshape expression of shape {self.shape}: {exc}") from None

    def flatten(self) -> "Expr":
        return self.reshape(-1)

    ravel = flatten

    def transpose(self, *axes) -> "Expr":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._remap(self._positions().transpose(*axes) if axes else self._positions().T)

    @property
    def T(self) -> "Expr":
        return self.transpose()

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None) -> "Expr":
        """Sum over ``axis`` (an int, a tuple of ints, or None for all)."""
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
        return Expr(self.model, new_shape, const,
                    (row_map[self.lrow], self.lvar, self.lcoef),
                    (row_map[self.qrow], self.qi, self.qj, self.qcoef))

    def dot(self, other) -> "Expr":
        return self @ other

    # ------------------------------------------------------------ arithmetic
    def __pos__(self) -> "Expr":
        return self

    def __neg__(self) -> "Expr":
        return Expr(self.model, self.shape, -self.const,
                    (self.lrow, self.lvar, -self.lcoef), (self.qrow, self.qi, self.qj, -self.qcoef))

    def __add__(self, other) -> "Expr":
        other = self._coerce(other)
        a, b = self._aligned(other)
        return Expr(self.model, a.shape, a.const + b.const,
                    (np.concatenate([a.lrow, b.lrow]), np.concatenate([a.lvar, b.lvar]),
                     np.concatenate([a.lcoef, b.lcoef])),
                    (np.concatenate([a.qrow, b.qrow]), np.concatenate([a.qi, b.qi]),
                     np.concatenate([a.qj, b.qj]), np.concatenate([a.qcoef, b.qcoef])))

    __radd__ = __add__

    def __sub__(self, other) -> "Expr":
        return self + (-self._coerce(other))

    def __rsub__(self, other) -> "Expr":
        return self._coerce(other) + (-self)

    def _scale(self, factor: np.ndarray) -> "Expr":
        """Multiply elementwise by a constant array broadcastable to this shape."""
        factor = np.asarray(factor, dtype=_F)
        check_finite(factor, "a coefficient")
        try:
            shape = np.broadcast_shapes(self.shape, factor.shape)
        except ValueError:
            raise ModelError(f"shape mismatch: expression of shape {self.shape} times array of shape {factor.shape}") from None
        e = self.broadcast_to(shape)
        f = np.broadcast_to(factor, shape).ravel()
        lc = e.lcoef * f[e.lrow]
        qc = e.qcoef * f[e.qrow]
        lk, qk = lc != 0, qc != 0
        return Expr(self.model, shape, e.const * f.reshape(shape),
                    (e.lrow[lk], e.lvar[lk], lc[lk]), (e.qrow[qk], e.qi[qk], e.qj[qk], qc[qk]))

    def __mul__(self, other) -> "Expr":
        if not isinstance(other, Expr):
            if not _is_constant(other):
                return NotImplemented
            return self._scale(other.toarray() if sp.issparse(other) else other)
        return _product(*self._aligned(self._coerce(other)))

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Expr":
        if isinstance(other, Expr):
            raise UnsupportedTermError("division by an expression is not polynomial; divide by constants only")
        arr = np.asarray(other, dtype=_F)
        if np.any(arr == 0):
            raise ModelError("division of an expression by zero")
        return self._scale(1.0 / arr)

    def __pow__(self, power) -> "Expr":
        if power == 0:
            return Expr(self.model, self.shape, np.ones(self.shape))
        if power == 1:
            return self
        if power == 2:
            return self * self
        raise UnsupportedTermError(f"x ** {power}: qbdsl expressions have degree <= 2 (QUBO and MILP targets)")

    def __matmul__(self, other) -> "Expr":
        if isinstance(other, Expr):
            return _expr_matmul(self, self._coerce(other))
        return _matmul_const(self, other)

    def __rmatmul__(self, other) -> "Expr":
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
    def __eq__(self, other) -> "Constraint":  # type: ignore[override]
        return Constraint(self - other, "==")

    def __le__(self, other) -> "Constraint":
        return Constraint(self - other, "<=")

    def __ge__(self, other) -> "Constraint":
        return Constraint(self - other, ">=")

    def __lt__(self, other):
        raise ModelError("strict inequality '<' is not supported: use '<=' (integers: '<= rhs - 1')")

    def __gt__(self, other):
        raise ModelError("strict inequality '>' is not supported: use '>=' (integers: '>= rhs + 1')")

    def __ne__(self, other):
        raise ModelError("'!=' constraints are not supported")

    # ------------------------------------------------------------ evaluation
    def value(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at a flat vector of all model variable values (``model.n_vars``)."""
        x = np.asarray(x, dtype=_F)
        out = self.const.ravel().copy()
        np.add.at(out, self.lrow, self.lcoef * x[self.lvar])
        np.add.at(out, self.qrow, self.qcoef * x[self.qi] * x[self.qj])
        return out.reshape(self.shape)


def _product(a: Expr, b: Expr) -> Expr:
    """Elementwise product of two expressions of equal shape."""
    if a.degree + b.degree > 2:
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
    if np.any(cb):
        lin_parts.append((a.lrow, a.lvar, a.lcoef * cb[a.lrow]))
        quad_parts.append((a.qrow, a.qi, a.qj, a.qcoef * cb[a.qrow]))
    if np.any(ca):
        lin_parts.append((b.lrow, b.lvar, b.lcoef * ca[b.lrow]))
        quad_parts.append((b.qrow, b.qi, b.qj, b.qcoef * ca[b.qrow]))
    # linear x linear, paired within each element
    ia, ib = expand_pairs(a.lrow, b.lrow, a.size)
    quad_parts.append((a.lrow[ia], a.lvar[ia], b.lvar[ib], a.lcoef[ia] * b.lcoef[ib]))
    if not lin_parts:
        lin_parts.append((_EMPTY_I, _EMPTY_I, _EMPTY_F))
    lin = tuple(np.concatenate(x) for x in zip(*lin_parts))
    quad = tuple(np.concatenate(x) for x in zip(*quad_parts))
    lk, qk = lin[2] != 0, quad[3] != 0
    return Expr(a.model, a.shape, a.const * b.const,
                tuple(x[lk] for x in lin), tuple(x[qk] for x in quad))


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
    csr = sp.csr_matrix(a.reshape(-1, 1) if vector else a)
    csr.sum_duplicates()
    m = csr.shape[1]
    prefix_shape = e.shape[:-1]
    out_shape = prefix_shape + (() if vector else (m,))

    def contract(rows):
        prefix, k = np.divmod(rows, n)
        counts = np.diff(csr.indptr)[k]
        src = np.repeat(np.arange(len(rows), dtype=_I), counts)
        nz = np.repeat(csr.indptr[k], counts) + ragged_arange(counts)
        return src, prefix[src] * m + csr.indices[nz], csr.data[nz]

    s, r, w = contract(e.lrow)
    lin = (r, e.lvar[s], e.lcoef[s] * w)
    s, r, w = contract(e.qrow)
    quad = (r, e.qi[s], e.qj[s], e.qcoef[s] * w)
    const = np.asarray((csr.T @ e.const.reshape(-1, n).T).T)
    return Expr(e.model, out_shape, np.asarray(const).reshape(out_shape), lin, quad)


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
        return self.expr.shape

    def __bool__(self):
        raise TypeError(
            "a constraint has no truth value (chained comparisons like 0 <= x <= 1 are not "
            "supported: add two constraints)"
        )

    def __repr__(self) -> str:
        return f"<Constraint {self.sense} shape={self.shape} terms={self.expr.n_terms}>"


def quicksum(items) -> Expr | float:
    """Sum an iterable of expressions and constants (one concatenation, not n additions)."""
    items = list(items)
    exprs = [x for x in items if isinstance(x, Expr)]
    consts = [x for x in items if not isinstance(x, Expr)]
    if not exprs:
        return float(np.sum(consts)) if consts else 0.0
    shape = np.broadcast_shapes(*(e.shape for e in exprs))
    exprs = [e.broadcast_to(shape) for e in exprs]
    const = sum((e.const for e in exprs), np.zeros(shape)) + (np.sum(consts, axis=0) if consts else 0.0)
    cat = np.concatenate
    return Expr(exprs[0].model, shape, const,
                (cat([e.lrow for e in exprs]), cat([e.lvar for e in exprs]), cat([e.lcoef for e in exprs])),
                (cat([e.qrow for e in exprs]), cat([e.qi for e in exprs]), cat([e.qj for e in exprs]),
                 cat([e.qcoef for e in exprs])))
