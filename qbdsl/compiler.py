"""``qb.compile``: assemble the chain of reductions for a target and run it.

QUBO: ``ToMinimize -> EncodeIntegers -> InequalitiesToPenalties -> EqualitiesToPenalties``;
the chain's inverse data (:class:`~qbdsl.ir.maps.ComposedMap`) gives ``QuboIR.decode_map``,
its inverses composed into one sparse affine map. MILP: ``LinearizeProducts``; its
:class:`~qbdsl.ir.maps.LinearizationMap` becomes ``MilpIR.lin_map``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import ModelError, OptionError
from .ir.milp import MilpIR
from .ir.problem import Problem, element_names
from .ir.qubo import QuboIR
from .ir.terms import QuboTerms
from .passes.base import Chain, QuboState
from .passes.encode import EncodeIntegers
from .passes.linearize import LinearizeProducts
from .passes.penalize import UNBALANCED_DEFAULT, EqualitiesToPenalties, InequalitiesToPenalties, ToMinimize
from .passes.weights import resolve_weights

TARGETS = ("qubo", "milp")
# the options that shape a QUBO (compile_qubo's keywords); a MILP takes none
COMPILE_KEYS = ("encoding", "penalty", "inequality", "unbalanced")


def compile(model, target: str = "qubo", **options):
    """Compile a model to a :class:`QuboIR` or a :class:`MilpIR`.

    Parameters
    ----------
    model : Model or Problem
        What to compile: a Model is lowered to its :class:`~qbdsl.ir.problem.Problem` first
        (``model.to_problem()``); a Problem is compiled as it is.
    target : {"qubo", "milp"}
        ``"qubo"`` (default): an unconstrained binary quadratic model, constraints turned
        into penalties; ``"milp"``: a mixed-integer linear program, products linearized.
    **options
        The QUBO compile options below (keywords; refused with ``target="milp"``).
    encoding : str or dict
        Integer encoding for QUBO targets: ``"binary"``, ``"unary"``, ``"one-hot"``,
        ``"domain-wall"``, or a dict ``{var_name: encoding, "default": ...}``.
    penalty : "auto", float or dict
        Penalty weights; ``"auto"`` gives the provable weight (see
        :mod:`qbdsl.passes.weights`); a dict overrides per constraint name. Weights that
        leave energies too large for float64 to tell distinct objective values apart are
        refused with an :class:`~qbdsl.UnsupportedTermError` (a ``ModelError``;
        :meth:`QuboIR.numeric_range`). A weight multiplies the block's penalty as
        penalized: rows rescaled to coprime integers (:mod:`qbdsl.passes.penalize`).
    inequality : {"slack", "unbalanced"}
        How inequalities become penalties.
    unbalanced : (l1, l2)
        Weights of unbalanced penalization.

    Returns
    -------
    QuboIR or MilpIR
        A :class:`QuboIR` for ``target="qubo"``, a :class:`MilpIR` for ``target="milp"``.

    Raises
    ------
    ModelError
        An unknown target, encoding or inequality method, an object that is not a model, an
        empty model, an unbounded integer (QUBO), an invalid penalty weight, or a constraint
        that can never hold.
    UnsupportedTermError
        A term the target cannot take: a continuous variable or a quadratic constraint in a
        QUBO, penalty weights too large for float64 (QUBO), or a product with no bounded
        factor to linearize exactly (MILP). A subclass of ``ModelError``.
    OptionError
        An option that is not one of ``encoding``, ``penalty``, ``inequality``,
        ``unbalanced``, or any of them with ``target="milp"`` (a MILP encodes and penalizes
        nothing, so they would be ignored).
    """
    unknown = sorted(set(options) - set(COMPILE_KEYS))
    if unknown:
        raise OptionError(
            f"unknown compile option(s) {', '.join(map(repr, unknown))}; known: {', '.join(COMPILE_KEYS)}"
        )
    if target not in TARGETS:
        raise ModelError(f"unknown target {target!r}; choose from {TARGETS}")
    if target == "milp" and options:
        raise OptionError(
            f"{', '.join(sorted(options))}: compile options apply when compiling to a QUBO; "
            "target 'milp' would ignore them"
        )
    problem = model if isinstance(model, Problem) else _to_problem(model)
    if target == "qubo":
        return compile_qubo(problem, **options)
    return compile_milp(problem)


def _to_problem(model) -> Problem:
    if not hasattr(model, "to_problem"):
        raise ModelError(f"compile takes a qbdsl Model, got {type(model).__name__}")
    return model.to_problem()


def qubo_chain(*, encoding="binary", inequality="slack", unbalanced=UNBALANCED_DEFAULT) -> Chain:
    """The reductions from a :class:`QuboState` of a problem to an unconstrained QUBO.

    Raises
    ------
    ModelError
        An unknown inequality method.
    """
    return Chain(
        [
            ToMinimize(),
            EncodeIntegers(encoding),
            InequalitiesToPenalties(inequality, unbalanced),
            EqualitiesToPenalties(),
        ]
    )


def compile_qubo(
    problem: Problem, *, encoding="binary", penalty="auto", inequality="slack", unbalanced=UNBALANCED_DEFAULT
) -> QuboIR:
    """The :class:`QuboIR` of ``problem`` (see :func:`compile` for the options).

    Raises
    ------
    ModelError
        As :func:`compile` for ``target="qubo"``.
    """
    chain = qubo_chain(encoding=encoding, inequality=inequality, unbalanced=unbalanced)
    state, inverse = chain.apply(QuboState(problem))
    objective = QuboTerms.from_poly(state.problem.objective)
    penalties = state.penalties
    weights = resolve_weights(penalty, objective, penalties)
    return QuboIR(objective, penalties, weights, inverse.affine, problem, state.sources)


def compile_milp(problem: Problem) -> MilpIR:
    """The :class:`MilpIR` of ``problem``: products linearized exactly (:mod:`qbdsl.passes.linearize`).

    Raises
    ------
    UnsupportedTermError
        A product with no bounded integer or binary factor to expand exactly.
    """
    lin, lin_map = LinearizeProducts().apply(problem)
    n = lin.n
    obj = lin.objective
    c = np.asarray(obj.L.toarray()).ravel() if n else np.zeros(0)
    blocks = lin.constraints
    if blocks:
        A = sp.vstack([b.poly.L for b in blocks], format="csr")
        rhs = -np.concatenate([b.poly.const for b in blocks])
        senses = np.concatenate([np.full(b.poly.rows, b.sense) for b in blocks])
    else:
        A, rhs, senses = sp.csr_matrix((0, n)), np.zeros(0), np.zeros(0, dtype="<U2")
    row_lb = np.where(senses == "<=", -np.inf, rhs)
    row_ub = np.where(senses == ">=", np.inf, rhs)
    kinds = lin.layout.kinds()

    def row_names() -> list[str]:  # built on first access of MilpIR.row_names
        out: list[str] = []
        for b in blocks:
            out.extend(_block_row_names(b))
        return out

    return MilpIR(
        c=c,
        offset=float(obj.const[0]),
        sense=lin.sense,
        A=A,
        row_lb=row_lb,
        row_ub=row_ub,
        lb=lin.layout.lb.copy(),
        ub=lin.layout.ub.copy(),
        integrality=kinds < 2,
        var_names=lin.layout.labels,
        row_names=row_names,
        n_user=problem.n,
        source=problem,
        binary=kinds == 0,
        name=problem.name,
        lin_map=lin_map,
    )


def _block_row_names(b) -> list[str]:
    return list(b.labels) if b.labels is not None else element_names(b.name, b.shape)
