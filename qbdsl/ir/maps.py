"""Maps between a problem and the problem a compiler pass makes of it.

Each compiler pass (:mod:`qbdsl.passes`) returns one of these as its *inverse data*. A
map knows both directions between the variables before the pass (``n_before`` columns)
and after it (``n_after`` columns):

- ``forward(x)``: a feasible point of the problem before the pass -> the matching point
  after it (integer bits, slacks, product columns filled in);
- ``inverse(y)``: a point after the pass -> the point before it. Every inverse in qbdsl
  is affine, ``x = c + M y`` (:attr:`PassMap.affine`), so a chain's inverses compose
  into one sparse :class:`AffineMap`: what ``QuboIR.decode`` applies to a sample.

``inverse(forward(x)) == x`` for every feasible ``x``. Both directions take one point
(shape ``(n,)``) or a batch (shape ``(k, n)``). The IR defines the maps so that it
depends on nothing in the compiler; the passes build them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, reduce

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from .bits import bounded_bits, bounded_layout, column_bits

# EncodingMap.method codes, one per binary column
COPY, BINARY_BITS, UNARY_BITS, ONE_HOT_BITS = 0, 1, 2, 3


@dataclass
class AffineMap:
    """``x_before = c + M @ x_after``.

    Attributes
    ----------
    M : scipy.sparse.csr_matrix, shape (n_before, n_after)
    c : numpy.ndarray, shape (n_before,)
    """

    M: sp.csr_matrix
    c: np.ndarray

    @classmethod
    def identity(cls, n: int, n_after: int | None = None) -> AffineMap:
        """The identity on ``n`` variables, or the projection of ``n_after >= n`` onto the first ``n``."""
        n_after = n if n_after is None else n_after
        return cls(sp.eye(n, n_after, format="csr"), np.zeros(n))

    @property
    def n_before(self) -> int:
        """Number of variables before the map's pass (rows of ``M``)."""
        return self.M.shape[0]

    @property
    def n_after(self) -> int:
        """Number of variables after the map's pass (columns of ``M``)."""
        return self.M.shape[1]

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """``c + M y`` for one point (n_after,) or a batch (k, n_after)."""
        y = np.asarray(y, dtype=float)
        return np.asarray(self.M @ y.T).T + self.c

    def then(self, inner: AffineMap) -> AffineMap:
        """Compose: self maps x <- y, ``inner`` maps y <- z; the result maps x <- z."""
        return AffineMap(sp.csr_matrix(self.M @ inner.M), self.c + self.M @ inner.c)


class PassMap:
    """A pass's inverse data: ``forward`` and ``inverse`` between ``n_before`` and ``n_after``
    variables (see the module docstring). Subclasses define :attr:`affine`, ``n_before``,
    ``n_after`` and :meth:`forward`."""

    n_before: int
    n_after: int
    affine: AffineMap  # (no class attribute here: subclasses make it a field or a property)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """The point after the pass for a point before it.

        Parameters
        ----------
        x : ndarray, shape (n_before,) or (k, n_before)
            One point, or a batch of ``k`` points, over the variables before the pass.

        Returns
        -------
        ndarray, shape (n_after,) or (k, n_after)
        """
        raise NotImplementedError

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The point before the pass, ``c + M y``; shape (n_before,) or (k, n_before)."""
        return self.affine(_points(y, self.n_after, "inverse"))


def _points(x, n: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2) or x.shape[-1] != n:
        raise ModelError(f"{what} takes points of {n} variables (shape ({n},) or (k, {n})), got shape {x.shape}")
    return x


@dataclass(frozen=True)
class IdentityMap(PassMap):
    """A pass that keeps the variables as they are (it changes objective or constraints)."""

    n: int

    @property
    def n_before(self) -> int:
        """The number of variables, ``n``."""
        return self.n

    @property
    def n_after(self) -> int:
        """The number of variables, ``n``."""
        return self.n

    @cached_property
    def affine(self) -> AffineMap:
        """The identity on ``n`` variables."""
        return AffineMap.identity(self.n)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """A float copy of ``x``."""
        return _points(x, self.n, "forward").copy()

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """A float copy of ``y``."""
        return _points(y, self.n, "inverse").copy()


@dataclass(frozen=True)
class EncodingMap(PassMap):
    """Integer variables replaced by binaries: ``x = c + M y`` (:attr:`affine`).

    Attributes
    ----------
    affine : AffineMap
        ``x_v = lb_v + sum_k w_k y_k`` (one-hot: ``x_v = sum_k (lb_v + k) y_k``).
    owner : numpy.ndarray of int, shape (n_after,)
        The variable each binary encodes.
    pos : numpy.ndarray of int, shape (n_after,)
        The binary's position within its variable's encoding.
    method : numpy.ndarray of int8, shape (n_after,)
        ``COPY`` (a binary kept as is), ``BINARY_BITS``, ``UNARY_BITS`` (unary and
        domain-wall: the first ``x - lb`` bits are 1) or ``ONE_HOT_BITS``.
    lb, ub : numpy.ndarray, shape (n_before,)
        Bounds of the variables before the pass.
    """

    affine: AffineMap
    owner: np.ndarray
    pos: np.ndarray
    method: np.ndarray
    lb: np.ndarray
    ub: np.ndarray

    @property
    def n_before(self) -> int:
        """The number of variables before encoding (integers and binaries)."""
        return len(self.lb)

    @property
    def n_after(self) -> int:
        """The number of binaries after encoding."""
        return len(self.owner)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The binaries encoding integral ``x`` within its bounds.

        Raises
        ------
        ModelError
            ``x`` has the wrong width, or a value off its variable's integers in ``[lb, ub]``
            (the first such variable is named by index).
        """
        x = _points(x, self.n_before, "forward")
        r = np.rint(x)
        bad = (np.abs(x - r) > 1e-9) | (r < self.lb) | (r > self.ub)
        if bad.any():
            v = int(np.flatnonzero(bad.reshape(-1, self.n_before).any(axis=0))[0])
            raise ModelError(
                f"variable {v} takes a value that is not an integer in "
                f"[{self.lb[v]:g}, {self.ub[v]:g}]: it has no binary encoding"
            )
        v = (r - self.lb)[..., self.owner].astype(np.int64)
        y = np.where(self.method == ONE_HOT_BITS, self.pos == v, self.pos < v).astype(np.float64)
        copy = self.method == COPY
        y[..., copy] = r[..., self.owner[copy]]
        bits = self.method == BINARY_BITS
        if bits.any():
            span = (self.ub - self.lb)[self.owner[bits]].astype(np.int64)
            y[..., bits] = column_bits(v[..., bits], self.pos[bits], span)
        return y


@dataclass(frozen=True)
class SlackMap(PassMap):
    """Inequality rows ``A x <= b`` given slack binaries: ``y = [x, bits(b - A x)]``.

    Attributes
    ----------
    A : scipy.sparse.csr_matrix, shape (rows, n_before)
        The rows as penalized (coprime integers), every slack block stacked in order.
    b : numpy.ndarray, shape (rows,)
        Their integral right-hand sides.
    span : numpy.ndarray of int, shape (rows,)
        Largest slack of each row; its bounded binary bits follow ``x`` row by row.
    """

    A: sp.csr_matrix
    b: np.ndarray
    span: np.ndarray

    @property
    def n_before(self) -> int:
        """The number of variables before the slacks: the columns of ``A``."""
        return self.A.shape[1]

    @cached_property
    def n_after(self) -> int:
        """``n_before`` plus every row's slack bits."""
        return self.n_before + int(bounded_layout(self.span)[0].sum())

    @cached_property
    def affine(self) -> AffineMap:
        """The projection that drops the slack bits."""
        return AffineMap.identity(self.n_before, self.n_after)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` with the bits of each row's slack ``b - A x`` appended.

        Raises
        ------
        ModelError
            ``x`` violates a row (its slack would be negative) or the slack is not integral.
        """
        x = _points(x, self.n_before, "forward")
        s = self.b - np.asarray(self.A @ x.T).T
        r = np.rint(s)
        bad = (np.abs(s - r) > 1e-6) | (r < 0) | (r > self.span)
        if bad.any():
            row = int(np.flatnonzero(bad.reshape(-1, len(self.b)).any(axis=0))[0])
            raise ModelError(
                f"inequality row {row} (as penalized) has no slack in 0..{int(self.span[row])} "
                "at this point: the point violates it"
            )
        return np.concatenate([x, bounded_bits(r, self.span)], axis=-1)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The first ``n_before`` columns of ``y``."""
        return _points(y, self.n_after, "inverse")[..., : self.n_before].copy()


@dataclass(frozen=True)
class LinearizationMap(PassMap):
    """A MILP's columns from the user's: ``[x, bits of expanded integers, products]``.

    Attributes
    ----------
    n_user : int
        Variables before the pass.
    expand : numpy.ndarray of int, shape (e,)
        Integers binary-expanded (bounded binary encoding of ``x_v - lb_v`` in ``0..span``),
        their bits in this order after ``x``.
    expand_lb, expand_span : numpy.ndarray, shape (e,)
        Their lower bounds and spans.
    pair_i, pair_j : numpy.ndarray of int, shape (m,)
        Product column ``k`` is ``z[pair_i[k]] * z[pair_j[k]]``, ``z`` = ``x`` with the bits.
    """

    n_user: int
    expand: np.ndarray
    expand_lb: np.ndarray
    expand_span: np.ndarray
    pair_i: np.ndarray
    pair_j: np.ndarray

    @classmethod
    def identity(cls, n: int) -> LinearizationMap:
        """No bits and no products: the MILP's columns are the user's."""
        e = np.zeros(0, np.int64)
        return cls(n, e, np.zeros(0), e, e, e)

    @property
    def n_before(self) -> int:
        """The user's variables, ``n_user``."""
        return self.n_user

    @cached_property
    def n_bits(self) -> int:
        """The number of bits of the binary-expanded integers."""
        return int(bounded_layout(self.expand_span)[0].sum())

    @property
    def n_after(self) -> int:
        """Every MILP column: the user's, the bits, then the products."""
        return self.n_user + self.n_bits + len(self.pair_i)

    @cached_property
    def affine(self) -> AffineMap:
        """The projection onto the user's columns."""
        return AffineMap.identity(self.n_user, self.n_after)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """All MILP columns for a point (or batch) of the user's variables.

        Raises
        ------
        ModelError
            Wrong width, or an expanded integer outside its bounds.
        """
        x = _points(x, self.n_user, "forward")
        if len(self.expand):
            try:
                bits = bounded_bits(np.rint(x[..., self.expand] - self.expand_lb), self.expand_span)
            except ValueError as exc:
                raise ModelError(f"forward: an expanded integer is outside its bounds ({exc})") from None
            x = np.concatenate([x, bits], axis=-1)
        if len(self.pair_i):
            x = np.concatenate([x, x[..., self.pair_i] * x[..., self.pair_j]], axis=-1)
        return x

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The user's columns: the first ``n_user`` of ``y``."""
        return _points(y, self.n_after, "inverse")[..., : self.n_user].copy()


@dataclass(frozen=True)
class ComposedMap(PassMap):
    """The inverse data of a chain: its passes' maps in order, and their inverses
    composed into one sparse affine map (what decoding applies).

    Raises
    ------
    ValueError
        No steps, or consecutive steps whose widths do not match.
    """

    steps: tuple

    def __post_init__(self):
        if not self.steps:
            raise ValueError("a composed map needs at least one step")
        for k, (a, b) in enumerate(zip(self.steps, self.steps[1:])):
            if a.n_after != b.n_before:
                raise ValueError(f"step {k} ends with {a.n_after} variables, step {k + 1} starts with {b.n_before}")

    @property
    def n_before(self) -> int:
        """The first step's ``n_before``."""
        return self.steps[0].n_before

    @property
    def n_after(self) -> int:
        """The last step's ``n_after``."""
        return self.steps[-1].n_after

    @cached_property
    def affine(self) -> AffineMap:
        """The steps' inverses composed into one sparse map, ``x_first = c + M y_last``."""
        return reduce(lambda total, m: total.then(m.affine), self.steps[1:], self.steps[0].affine)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Each step's ``forward`` in order."""
        for m in self.steps:
            x = m.forward(x)
        return x
