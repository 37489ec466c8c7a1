"""Compiler passes as reductions (after CVXPY's ``Reduction``).

The contract
------------
A pass turns a problem into an equivalent one and says how to map points back:

- ``apply(problem) -> (new_problem, inverse_data)``. ``inverse_data`` is a
  :class:`~qbdsl.ir.maps.PassMap` from :mod:`qbdsl.ir.maps`: its ``forward(x)`` maps a
  feasible point of ``problem`` to the matching point of ``new_problem``, its
  ``inverse(y)`` maps back, and ``inverse(forward(x)) == x``.
- ``invert(point, inverse_data)`` maps a point (or a ``(k, n)`` batch) of the new problem
  to the previous problem: ``inverse_data.inverse(point)``.

A pass keeps only its options on ``self`` (set in ``__init__``); ``apply`` stores
nothing there and never mutates its input, so one pass object applies to any number of
problems. The maps live in the IR, which imports nothing from the compiler.

QUBO passes transform a :class:`QuboState` (the problem's remaining constraints plus the
penalty blocks built so far); :class:`~qbdsl.passes.linearize.LinearizeProducts` (MILP)
transforms a :class:`~qbdsl.ir.problem.Problem`.

A :class:`Chain` is itself a pass: it applies its members in order and its inverse data is
a :class:`~qbdsl.ir.maps.ComposedMap`, which keeps every member's map (``forward`` runs
them in order) and composes their inverses, all affine (``x_before = c + M x_after``), into
one sparse :class:`~qbdsl.ir.maps.AffineMap`: decoding a sample through a whole chain is
one sparse product. ``QuboIR.decode`` applies that composed map (``decode_map``);
:func:`qbdsl.compiler.compile` assembles the chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from ..ir.maps import ComposedMap, PassMap
from ..ir.problem import Problem
from ..ir.sources import BitSources


def per_name(option, names: list[str], default, what: str, noun: str) -> tuple[dict, object]:
    """Split an option given as one value or as ``{name: value, "default": value}``.

    Returns
    -------
    (dict, object)
        Overrides by name, and the default.

    Raises
    ------
    ModelError
        A name that is not in ``names``.
    """
    if not isinstance(option, dict):
        return {}, option
    per = dict(option)
    default = per.pop("default", default)
    unknown = set(per) - set(names)
    if unknown:
        raise ModelError(f"{what} given for unknown {noun}(s) {sorted(unknown)}; known: {names}")
    return per, default


@dataclass(frozen=True)
class QuboState:
    """A problem on its way to a QUBO.

    Attributes
    ----------
    problem : Problem
        The objective and the constraints not yet turned into penalties.
    penalties : list of PenaltyBlock
        Penalty blocks built so far (over ``problem``'s variables).
    sources : BitSources or None
        Where each binary came from (set once integers are encoded).
    """

    problem: Problem
    penalties: list = field(default_factory=list)
    sources: BitSources | None = None


class Pass:
    """One reduction: ``apply`` returns ``(new problem, inverse data)``; see the module docstring."""

    name = "pass"

    def apply(self, problem):  # pragma: no cover - interface
        """``(new_problem, inverse_data)``; ``inverse_data`` is a :class:`~qbdsl.ir.maps.PassMap`."""
        raise NotImplementedError

    @staticmethod
    def invert(point: np.ndarray, inverse_data: PassMap) -> np.ndarray:
        """The point of the problem before the pass.

        Parameters
        ----------
        point : numpy.ndarray, shape (n_after,) or (k, n_after)
            A point (or batch) of the problem ``apply`` returned.
        inverse_data : PassMap
            What ``apply`` returned with it.

        Returns
        -------
        numpy.ndarray, shape (n_before,) or (k, n_before)
        """
        return inverse_data.inverse(point)


class Chain(Pass):
    """Passes applied in order; the inverse data composes their maps (:class:`ComposedMap`).

    Raises
    ------
    ModelError
        An empty list of passes.
    """

    name = "chain"

    def __init__(self, passes: list[Pass]):
        if not passes:
            raise ModelError("a chain needs at least one pass")
        self.passes = list(passes)

    def apply(self, problem):
        """Apply every pass in order: ``(last problem, ComposedMap of their maps)``."""
        maps = []
        for p in self.passes:
            problem, data = p.apply(problem)
            maps.append(data)
        return problem, ComposedMap(tuple(maps))
