"""The user-facing model: named variable arrays, named constraint arrays, an objective."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ._ragged import check_finite
from .errors import ModelError
from .expr import Constraint, Expr, _scalar_var
from .ir.poly import Poly
from .ir.problem import BINARY, CONTINUOUS, INTEGER, Block, Problem, VarArray, VarLayout, element_names

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
KINDS = (BINARY, INTEGER, CONTINUOUS)


class Variable(Expr):
    """A named array of decision variables; behaves as an :class:`Expr`."""

    __slots__ = ("name", "kind", "lb", "ub", "start", "_pos")

    def __init__(self, model: Model, array: VarArray, lb: np.ndarray, ub: np.ndarray):
        size = array.size
        pos = np.arange(size, dtype=np.int64)
        super().__init__(model, array.shape, None, (pos, array.start + pos, np.ones(size)))
        self.name = array.name
        self.kind = array.kind
        self.lb = lb
        self.ub = ub
        self.start = array.start
        self._pos = None

    def __getitem__(self, key) -> Expr:
        # one element (``x[i, j]`` with plain integers): a light scalar-term expression, so
        # per-term loops build no numpy arrays (see expr.ScalarExpr)
        flat = _flat_element(key, self.shape)
        if flat is not None:
            return _scalar_var(self.model, self.start + flat)
        # a variable's terms are the identity, so a selection costs O(selected), not O(size):
        # loops like ``for i in ...: x[i, j]`` stay cheap on large arrays
        if self._pos is None:
            self._pos = np.arange(self.size, dtype=np.int64).reshape(self.shape)
        try:
            idx = self._pos[key]
        except IndexError as exc:
            raise ModelError(
                f"index {key!r} out of range for variable {self.name!r} of shape {self.shape}: {exc}"
            ) from None
        flat = np.ravel(idx)
        n = flat.size
        return Expr(
            self.model, idx.shape, np.zeros(idx.shape), (np.arange(n, dtype=np.int64), self.start + flat, np.ones(n))
        )

    def __repr__(self) -> str:
        return f"<Variable {self.name} {self.kind} shape={self.shape}>"


def _flat_element(key, shape: tuple):
    """Flat position of ``key`` when it names one in-range element with plain integers, else None."""
    if type(key) is not tuple:
        key = (key,)
    if len(key) != len(shape) or not shape:
        return None
    flat = 0
    for k, n in zip(key, shape):
        if type(k) is not int:
            if not isinstance(k, np.integer):
                return None
            k = int(k)
        if k < 0:
            k += n
        if not 0 <= k < n:
            return None
        flat = flat * n + k
    return flat


@dataclass
class ConstraintBlock:
    """A constraint array added to a model."""

    name: str
    sense: str
    expr: Expr
    labels: list[str] | None = None  # original row names (files read from disk)

    @property
    def shape(self) -> tuple:
        """The block's shape: one constraint row per element."""
        return self.expr.shape


def _labels(labels, shape: tuple, name: str, what: str) -> list[str] | None:
    """``labels`` checked against ``shape``; None when absent or equal to the generated names."""
    if labels is None:
        return None
    if isinstance(labels, str) or not hasattr(labels, "__iter__"):
        raise ModelError(f"{what}: labels must be a list of strings, one per element, got {type(labels).__name__}")
    labels = list(labels)
    size = int(np.prod(shape, dtype=np.int64))
    if len(labels) != size:
        raise ModelError(f"{what}: {len(labels)} labels for {size} elements of shape {shape}")
    if not all(isinstance(t, str) for t in labels):
        bad = next(t for t in labels if not isinstance(t, str))
        raise ModelError(f"{what}: labels must be strings, got {bad!r}")
    first = f"{name}({','.join('0' * len(shape))})" if shape else name
    if size and labels[0] != first:  # the usual case for a file's names: no need to build them all
        return labels
    return None if labels == element_names(name, shape) else labels


def _is_whole(s) -> bool:
    return isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))


def _shape(shape, what: str) -> tuple:
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape; None is ``()``).

    Raises
    ------
    ModelError
        Anything else: a str, a float, a tuple holding a non-integer, a negative
        dimension (``what`` and the shape given are named).
    """
    if shape is None:
        return ()
    if _is_whole(shape):
        shape = (int(shape),)
    elif isinstance(shape, (tuple, list)) and all(_is_whole(s) for s in shape):
        shape = tuple(int(s) for s in shape)
    else:
        raise ModelError(f"{what}: shape must be an int or a tuple of ints, got {shape!r}")
    if any(s < 0 for s in shape):
        raise ModelError(f"{what}: negative dimension in shape {shape}")
    return shape


def _bound(value, shape: tuple, name: str, which: str) -> np.ndarray:
    """A bound broadcast to ``shape``, flattened (C order), as floats.

    Raises
    ------
    ModelError
        A value that is not numeric or does not broadcast to ``shape`` (``which`` bound of
        variable ``name`` is named).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ModelError(f"variable {name!r}: the {which} bound must be numbers, got {value!r}") from None
    try:
        return np.broadcast_to(arr, shape).astype(float).ravel()
    except ValueError:
        raise ModelError(
            f"variable {name!r}: its {which} bound, of shape {arr.shape}, does not broadcast to the shape {shape}"
        ) from None


class Model:
    """A named optimisation model.

    Examples
    --------
    >>> m = Model("toy")
    >>> x = m.binary("x", shape=3)
    >>> m.add(x.sum() == 1, name="one")
    >>> m.minimize((np.array([3.0, 1.0, 2.0]) * x).sum())
    """

    def __init__(self, name: str = "model"):
        self.name = name
        self._arrays: list[VarArray] = []
        self._vars: dict[str, Variable] = {}
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self.n_vars = 0
        self.constraints: dict[str, ConstraintBlock] = {}
        self.objective: Expr | None = None
        self.sense = "min"

    # ------------------------------------------------------------ variables
    def add_array(self, name: str, kind: str, shape=(), lb=0.0, ub=None, labels: list[str] | None = None) -> Variable:
        """Add a named array of variables of any kind; what readers of files use.

        Parameters
        ----------
        name : str
            Letters, digits, ``_``, ``.``, ``-``, starting with a letter or ``_``; unique.
        kind : {"binary", "integer", "continuous"}
            The variables' domain: 0/1, whole numbers (bounds rounded inwards), or reals
            (continuous variables compile to MILP targets only).
        shape : int or tuple of int
            ``()`` for a scalar.
        lb, ub : float or array_like
            Bounds, broadcast to ``shape``; ``ub=None`` is unbounded above (1 for a binary
            array). Integer bounds are rounded inwards; a binary array's lie within [0, 1].
        labels : list of str, optional
            One name per element in C order (length ``prod(shape)``), e.g. the names a file
            gave them; writers use them instead of ``name(i,j)``. Labels equal to the
            generated names are not stored.

        Returns
        -------
        Variable

        Raises
        ------
        ModelError
            An invalid or duplicate name, an unknown kind, a shape that is not an int or a
            tuple of ints (or has a negative dimension), bounds that are not numbers or do
            not broadcast to ``shape``, NaN bounds, ``lb > ub`` or binary bounds outside
            [0, 1] (the first such element is named), or labels of the wrong length or type.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ModelError(
                f"invalid variable name {name!r}: use letters, digits, '_', '.', '-' (starting with a letter or '_')"
            )
        if name in self._vars:
            raise ModelError(f"duplicate variable name {name!r}")
        if kind not in KINDS:
            raise ModelError(f"variable {name!r}: unknown kind {kind!r}; choose from {', '.join(KINDS)}")
        shape = _shape(shape, f"variable {name!r}")
        labels = _labels(labels, shape, name, f"variable {name!r}")
        if ub is None:
            ub = 1.0 if kind == BINARY else np.inf
        lb_arr = _bound(lb, shape, name, "lower")
        ub_arr = _bound(ub, shape, name, "upper")
        if np.isnan(lb_arr).any() or np.isnan(ub_arr).any():
            raise ModelError(f"variable {name!r} has a NaN bound")
        if np.any(lb_arr > ub_arr):
            k = int(np.flatnonzero(lb_arr > ub_arr)[0])
            raise ModelError(f"variable {name!r} element {k}: lower bound {lb_arr[k]} > upper bound {ub_arr[k]}")
        if kind == BINARY and (np.any(lb_arr < 0) or np.any(ub_arr > 1)):
            k = int(np.flatnonzero((lb_arr < 0) | (ub_arr > 1))[0])
            raise ModelError(
                f"variable {name!r} element {k}: a binary variable's bounds lie within [0, 1], got "
                f"[{lb_arr[k]:g}, {ub_arr[k]:g}] (use kind 'integer' for a wider range)"
            )
        if kind == INTEGER:
            lb_arr = np.ceil(lb_arr - 1e-9) + 0.0
            ub_arr = np.floor(ub_arr + 1e-9) + 0.0
        array = VarArray(name, kind, shape, self.n_vars, labels)
        self._arrays.append(array)
        self._lb.append(lb_arr)
        self._ub.append(ub_arr)
        self.n_vars += array.size
        var = Variable(self, array, lb_arr.reshape(shape), ub_arr.reshape(shape))
        self._vars[name] = var
        self._layout_cache = None
        return var

    def binary(self, name: str, shape=()) -> Variable:
        """An array of 0/1 variables.

        Raises
        ------
        ModelError
            An invalid or duplicate name, or a negative dimension.
        """
        return self.add_array(name, BINARY, shape, 0.0, 1.0)

    def integer(self, name: str, shape=(), lb=0, ub=None) -> Variable:
        """An array of integer variables in ``[lb, ub]``.

        ``ub=None`` leaves it unbounded above: fine for a MILP, an error for a QUBO compile.

        Raises
        ------
        ModelError
            An invalid or duplicate name, a negative dimension, NaN bounds or ``lb > ub``
            (after rounding the bounds inwards to integers).
        """
        return self.add_array(name, INTEGER, shape, lb, ub)

    def continuous(self, name: str, shape=(), lb=0.0, ub=None) -> Variable:
        """An array of real variables in ``[lb, ub]`` (MILP targets only).

        Raises
        ------
        ModelError
            An invalid or duplicate name, a negative dimension, NaN bounds or ``lb > ub``.
        """
        return self.add_array(name, CONTINUOUS, shape, lb, ub)

    def var(self, name: str) -> Variable:
        """The variable array called ``name``.

        Raises
        ------
        ModelError
            The model has no variable of that name.
        """
        try:
            return self._vars[name]
        except KeyError:
            raise ModelError(f"model {self.name!r} has no variable {name!r}") from None

    @property
    def variables(self) -> dict[str, Variable]:
        """The variable arrays by name, in the order they were added (a copy)."""
        return dict(self._vars)

    def layout(self) -> VarLayout:
        """The flat variable layout: every array's kind and offset, and the bounds.

        Returns
        -------
        VarLayout
            ``lb`` and ``ub`` are float64 arrays of shape ``(n_vars,)`` (``ub`` may be ``inf``).
        """
        lb = np.concatenate(self._lb) if self._lb else np.zeros(0)
        ub = np.concatenate(self._ub) if self._ub else np.zeros(0)
        return VarLayout(list(self._arrays), lb, ub)

    def var_label(self, k: int) -> str:
        """Readable name of flat variable ``k``, e.g. ``x(2,3)``."""
        return self.layout().label(k)

    # ------------------------------------------------------------ constraints
    def add(self, constraint: Constraint, name: str | None = None, labels: list[str] | None = None) -> ConstraintBlock:
        """Add an array of constraints (from ``==``, ``<=`` or ``>=``) under one name.

        Parameters
        ----------
        constraint : Constraint
            ``expr == rhs``, ``expr <= rhs`` or ``expr >= rhs``, of any shape.
        name : str, optional
            Unique; ``c0``, ``c1``... when omitted.
        labels : list of str, optional
            One name per row in C order (e.g. the row names a file gave them); writers
            use them instead of ``name(i,j)``. Labels equal to the generated names are not
            stored.

        Returns
        -------
        ConstraintBlock

        Raises
        ------
        ModelError
            Not a constraint, a comparison of constants only, variables of another model,
            an invalid or duplicate name, non-finite coefficients, or labels of the wrong
            length or type.
        """
        if isinstance(constraint, (bool, np.bool_)) or (
            isinstance(constraint, np.ndarray) and constraint.dtype == bool
        ):
            raise ModelError(f"constraint {name or ''!r} compares constants only (no variables): {constraint!r}")
        if not isinstance(constraint, Constraint):
            raise ModelError(f"Model.add takes a constraint (expr == / <= / >= rhs), got {type(constraint).__name__}")
        if constraint.expr.model is not self:
            raise ModelError(f"constraint {name!r} uses variables of another model")
        if name is None:
            name = f"c{len(self.constraints)}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise ModelError(f"invalid constraint name {name!r}")
        if name in self.constraints:
            raise ModelError(f"duplicate constraint name {name!r}")
        e = constraint.expr
        check_finite(e.const, f"constraint {name!r}")
        check_finite(e.lcoef, f"constraint {name!r}")
        check_finite(e.qcoef, f"constraint {name!r}")
        labels = _labels(labels, e.shape, name, f"constraint {name!r}")
        block = ConstraintBlock(name, constraint.sense, e, labels)
        self.constraints[name] = block
        return block

    def remove(self, name: str) -> None:
        """Remove the constraint block called ``name``.

        Raises
        ------
        ModelError
            The model has no constraint block of that name.
        """
        if name not in self.constraints:
            raise ModelError(f"no constraint named {name!r}")
        del self.constraints[name]

    # ------------------------------------------------------------ objective
    def _set_objective(self, expr, sense: str) -> None:
        if not isinstance(expr, Expr):
            try:
                arr = np.asarray(expr, dtype=float)
            except (TypeError, ValueError):
                raise ModelError(
                    f"the objective must be an expression of this model or a number, got {type(expr).__name__} "
                    f"{expr!r:.40}"
                ) from None
            if arr.shape != ():
                raise ModelError("the objective must be a scalar")
            expr = Expr(self, (), arr)
        if expr.model is not self:
            raise ModelError("objective uses variables of another model")
        if expr.shape != ():
            raise ModelError(f"the objective must be a scalar, got shape {expr.shape}: use .sum()")
        check_finite(expr.const, "objective")
        check_finite(expr.lcoef, "objective")
        check_finite(expr.qcoef, "objective")
        self.objective = expr
        self.sense = sense

    def minimize(self, expr) -> None:
        """Set the objective to minimize: a scalar :class:`Expr` of this model, or a constant.

        Raises
        ------
        ModelError
            A non-scalar expression or constant, variables of another model, or non-finite
            coefficients.
        """
        self._set_objective(expr, "min")

    def maximize(self, expr) -> None:
        """Set the objective to maximize: a scalar :class:`Expr` of this model, or a constant.

        Raises
        ------
        ModelError
            A non-scalar expression or constant, variables of another model, or non-finite
            coefficients.
        """
        self._set_objective(expr, "max")

    # ------------------------------------------------------------ lowering
    def to_problem(self) -> Problem:
        """Lower to the flat array form the compiler passes take.

        Returns
        -------
        Problem
            The layout, the objective as a one-row :class:`~qbdsl.ir.poly.Poly` over
            ``n_vars`` columns, and one :class:`~qbdsl.ir.problem.Block` per constraint array.

        Raises
        ------
        ModelError
            A model without variables, or without objective terms and constraints.
        """
        if self.n_vars == 0:
            raise ModelError(f"model {self.name!r} has no variables")
        if (self.objective is None or self.objective.n_terms == 0) and not self.constraints:
            raise ModelError(f"model {self.name!r} is empty: no objective terms and no constraints")
        n = self.n_vars
        obj = self.objective if self.objective is not None else Expr(self, ())
        objective = _lower(obj, n)
        blocks = [Block(b.name, b.sense, b.shape, _lower(b.expr, n), b.labels) for b in self.constraints.values()]
        return Problem(self.name, self.layout(), objective, self.sense, blocks)

    # ------------------------------------------------------------ display
    def summary(self) -> str:
        """A plain-text table of variables, constraints and the objective."""
        lines = [
            f"Model {self.name!r}: {self.n_vars} variables, "
            f"{sum(b.expr.size for b in self.constraints.values())} constraint rows"
        ]
        lines.append("  variables:")
        for a, lb, ub in zip(self._arrays, self._lb, self._ub):
            bounds = "" if a.kind == BINARY else f" in [{lb.min() if lb.size else 0:g}, {ub.max() if ub.size else 0:g}]"
            lines.append(f"    {a.name:<16} {a.kind:<10} shape={a.shape}{bounds}")
        lines.append("  constraints:")
        for b in self.constraints.values():
            lines.append(
                f"    {b.name:<16} {b.sense:<3} rows={b.expr.size:<8} terms={b.expr.n_terms} degree={b.expr.degree}"
            )
        if self.objective is not None:
            o = self.objective
            lines.append(
                f"  objective: {'minimize' if self.sense == 'min' else 'maximize'} "
                f"({len(o.lcoef)} linear, {len(o.qcoef)} quadratic terms)"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Model {self.name!r}: {self.n_vars} vars, {len(self.constraints)} constraint blocks>"

    def to_latex(self, max_rows: int = 3, max_terms: int = 12) -> str:
        """LaTeX of the model (through sympy), showing the first rows of each block."""
        from .io.latex import model_to_latex

        return model_to_latex(self, max_rows=max_rows, max_terms=max_terms)

    def to_cqm(self):
        """A ``dimod.ConstrainedQuadraticModel`` with the same variables and constraints."""
        from .io.dimod_io import model_to_cqm

        return model_to_cqm(self)

    def to_qp(self):
        """A qiskit-optimization ``QuadraticProgram`` with the same variables and constraints."""
        from .io.qiskit_io import model_to_qp

        return model_to_qp(self)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"


def _lower(e: Expr, n: int) -> Poly:
    return Poly.build(n, e.size, e.const.ravel(), (e.lrow, e.lvar, e.lcoef), (e.qrow, e.qi, e.qj, e.qcoef))
