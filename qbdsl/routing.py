"""Routing: which IR a backend gets for an input, how that IR is built, and how its answers
come back in the user's terms.

One answer for ``qb.solve`` and the command line (``qbdsl compile``, ``solve``, ``info``):

=============  =====================  ==============================================
input          IR kind it gets        how it is built
=============  =====================  ==============================================
Model/Problem  ``qubo``               :func:`~qbdsl.compiler.compile_qubo` (compile options)
Model/Problem  ``milp``               :func:`~qbdsl.compiler.compile_milp`
QuboIR         ``qubo``               itself
QuboIR         ``milp``               the QUBO itself, linearized: ``compile_milp(ir.as_problem())``
MilpIR         ``milp``               itself
MilpIR         ``qubo``               its source model, compiled with the compile options
=============  =====================  ==============================================

A backend that accepts the input's own kind gets it unchanged; a model goes to ``qubo``
when the backend takes QUBOs, else to ``milp``.

Compile options apply only to the two rows that compile to a QUBO. Where no route of a call
does (a QuboIR input, a ``.lp``/``.mps`` file, ``--target milp``, a named backend whose
chain gets MILPs only), they are refused by name rather than ignored
(:func:`check_compile_options`, :func:`check_chain_compile_options`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from .compiler import COMPILE_KEYS, compile_milp, compile_qubo
from .errors import BackendError, ModelError, OptionError
from .ir.milp import MilpIR
from .ir.problem import Problem
from .ir.qubo import QuboIR
from .solution import Solution

KINDS = ("qubo", "milp")
# the options of a Model -> QUBO compile (qb.compile's keywords besides the target)
# QUBO -> MILP linearization, seconds per product (1.2-2.8 us measured at 12 k-1.35 M couplers)
LINEARIZE_SECONDS_PER_PRODUCT = 3e-6
# Model -> QUBO compile, seconds per coupler of the features' upper bound (0.075 us for TSP
# n = 100, 1.98 M couplers; 0.13 us for one cardinality row over 4 000 binaries, 8 M couplers)
QUBO_COMPILE_SECONDS_PER_COUPLER = 0.25e-6
# and per constraint block, whatever its size: the penalty pass handles blocks one at a time
# (1.6-2.9 ms each for 10-400 one-row blocks over 30 binaries on two runs of this machine,
# 2026-12-01; a model that adds its rows one by one compiles in 0.65 s for 400 of them); the
# largest measured, so that the pre-flight refuses rather than compiles past the limit
QUBO_COMPILE_SECONDS_PER_BLOCK = 3e-3


class Route(NamedTuple):
    """The IR a backend gets and how to read its answers.

    Attributes
    ----------
    ir : QuboIR or MilpIR
    decode : callable
        ``decode(sample) -> Solution``: a sample of the IR's variables (1-D array, length
        ``ir.n`` or ``ir.num_variables``) in the user's variables and constraints.
    same_objective : bool
        Whether the IR's objective is the user's, so that a solver's bound bounds it too.
    """

    ir: QuboIR | MilpIR
    decode: Callable[[np.ndarray], Solution]
    same_objective: bool

    @property
    def kind(self) -> str:
        """``"qubo"`` or ``"milp"``."""
        return "qubo" if isinstance(self.ir, QuboIR) else "milp"


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ModelError(f"unknown IR kind {kind!r}; choose from {', '.join(KINDS)}")


def target_kind(obj, accepts: Collection[str]) -> str:
    """The IR kind (``"qubo"`` or ``"milp"``) that ``obj`` takes for a backend accepting ``accepts``.

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
        The input: a MilpIR stays a MILP when the backend takes MILPs; anything else goes
        to a QUBO when the backend takes QUBOs, else to a MILP.
    accepts : collection of str
        What the backend accepts (``Backend.capabilities.accepts``), a subset of
        ``{"qubo", "milp"}``.

    Raises
    ------
    BackendError
        When ``accepts`` names neither kind.
    """
    if not any(k in accepts for k in KINDS):
        raise BackendError(f"a backend accepting {sorted(accepts)!r} takes neither a QUBO nor a MILP")
    if isinstance(obj, MilpIR):
        return "milp" if "milp" in accepts else "qubo"
    return "qubo" if "qubo" in accepts else "milp"


def check_compile_options(
    obj, compile_opts: dict | None, kinds: Collection[str] | None = None, *, gets: str = "", flag: str = ""
) -> None:
    """Refuse compile options that nothing would use: the rule that they apply only to QUBO routes.

    Compile options (:data:`COMPILE_KEYS`) act when a model, or a MilpIR's source, is
    compiled to a QUBO. They are refused, rather than ignored, for an input that already is
    a QUBO and for a call whose every route gets a MILP.

    Parameters
    ----------
    obj : Model, Problem, QuboIR, MilpIR or None
        The input; None when it is not known yet (only the names and ``kinds`` are checked).
    compile_opts : dict or None
        The compile options given, by name; empty or None: nothing to check.
    kinds : collection of str, optional
        The IR kinds (``"qubo"``, ``"milp"``) that the call's routes get, e.g. one per
        backend of a fallback chain (:func:`backend_kinds`) or the ``--target`` of a compile.
        None (default): not known (``backend="auto"``), so the options may apply.
    gets : str
        The clause saying what gets a MILP, for the message (e.g. ``"backend 'ortools'
        gets a MILP"``); default ``"every route here gets a MILP"``.
    flag : str
        Prefix of the option names in the message: ``"--"`` on the command line.

    Raises
    ------
    OptionError
        An unknown option name (the known ones are listed); options for an input that is
        already a QUBO; options when no route in ``kinds`` is a QUBO (the options and
        ``gets`` are named).
    """
    if not compile_opts:
        return
    unknown = sorted(set(compile_opts) - set(COMPILE_KEYS))
    if unknown:
        raise OptionError(
            f"unknown compile option(s) {', '.join(map(repr, unknown))}; known: {', '.join(COMPILE_KEYS)}"
        )
    names = ", ".join(f"{flag}{k}" for k in sorted(compile_opts))
    if isinstance(obj, QuboIR):
        raise OptionError(
            f"{names}: compile options apply when a model is compiled to a QUBO; this input already is one"
        )
    if kinds is not None and "qubo" not in kinds:
        raise OptionError(
            f"{names}: compile options apply only when a model is compiled to a QUBO, and "
            f"{gets or 'every route here gets a MILP'}"
        )


def check_chain_compile_options(obj, compile_opts: dict | None, chain: Sequence[str] | None, *, flag: str = "") -> None:
    """Refuse compile options that no backend of a solve's ``chain`` would use.

    The rule of :func:`check_compile_options` for ``qb.solve`` and ``qbdsl solve/problem``:
    with a named backend, the options must reach a QUBO on at least one backend of the
    chain (the named one or a fallback); with ``backend="auto"`` the chain is the policy's
    and the options are kept.

    Parameters
    ----------
    obj : Model, Problem, QuboIR, MilpIR or None
        The input (None: a model not built yet).
    compile_opts : dict or None
        The compile options given.
    chain : sequence of str or None
        The named backend then its fallbacks; None for ``backend="auto"``.
    flag : str
        Prefix of the option names in the message (``"--"`` on the command line).

    Raises
    ------
    OptionError
        An unknown backend name in ``chain``; otherwise as :func:`check_compile_options`
        (the backends getting a MILP are named).
    """
    if chain is None or not compile_opts:
        check_compile_options(obj, compile_opts, flag=flag)
        return
    kinds = backend_kinds(obj, chain)
    if len(chain) == 1:
        gets = f"backend {chain[0]!r} gets a MILP"
    else:
        gets = f"every backend of {', '.join(map(repr, chain))} gets a MILP"
    check_compile_options(obj, compile_opts, kinds, gets=gets, flag=flag)


def backend_kinds(obj, backends: Iterable[str]) -> list[str]:
    """The IR kind each registered backend of ``backends`` gets for ``obj`` (:func:`target_kind`).

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
        The input.
    backends : iterable of str
        Registered backend names, e.g. a named backend and its fallbacks.

    Returns
    -------
    list of str
        ``"qubo"`` or ``"milp"``, one per backend, in order.

    Raises
    ------
    OptionError
        An unregistered backend name (the known ones are listed).
    BackendError
        A backend that accepts neither kind.
    """
    from qbdsl.backends import get, names

    backends, known = list(backends), names()
    for name in backends:
        if name not in known:
            raise OptionError(f"unknown backend {name!r}; known backends: {', '.join(known)}")
    return [target_kind(obj, get(name).capabilities.accepts) for name in backends]


def build(obj, kind: str, compile_opts: dict | None = None, problem: Problem | None = None) -> Route:
    """The IR of ``kind`` for ``obj``, built as the module's table says.

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
        The input, routed by the module's table: a Model or Problem is compiled, a QuboIR or
        MilpIR of ``kind`` is returned unchanged, a QuboIR bound for ``"milp"`` is
        linearized, and a MilpIR bound for ``"qubo"`` compiles its source model.
    kind : {"qubo", "milp"}
        The IR kind to build (e.g. from :func:`target_kind`).
    compile_opts : dict, optional
        ``encoding``, ``penalty``, ``inequality``, ``unbalanced``: used when a model (or a
        MilpIR's source) is compiled to a QUBO; ignored otherwise.
    problem : Problem, optional
        ``obj.to_problem()`` when the caller has it already (it is built once).

    Raises
    ------
    ModelError
        An unknown ``kind``, or an ``obj`` that is none of the four (the type is named);
        what the compiler raises for a model it cannot compile.
    """
    _check_kind(kind)
    opts = dict(compile_opts or {})
    if isinstance(obj, QuboIR):
        # a bare QUBO minimizing: its energy is its objective (a maximization's energy is minus it)
        plain = not obj.penalties and getattr(obj.source, "sense", "min") == "min"
        if kind == "qubo":
            return Route(obj, obj.decode, plain)
        milp = compile_milp(obj.as_problem())  # the same QUBO, linearized
        n = obj.n
        return Route(milp, lambda x: obj.decode(x[:n]), plain)
    if isinstance(obj, MilpIR):
        if kind == "milp":
            return Route(obj, obj.decode, True)
        q = compile_qubo(obj.source, **opts)
        return Route(q, q.decode, False)
    if isinstance(obj, Problem) or hasattr(obj, "to_problem"):
        if problem is None:
            problem = obj if isinstance(obj, Problem) else obj.to_problem()
        if kind == "qubo":
            q = compile_qubo(problem, **opts)
            return Route(q, q.decode, False)
        milp = compile_milp(problem)
        return Route(milp, milp.decode, True)
    raise ModelError(f"cannot route a {type(obj).__name__}: give a Model, Problem, QuboIR or MilpIR")


def route(obj, accepts: Collection[str], compile_opts: dict | None = None) -> Route:
    """The IR a backend accepting ``accepts`` gets for ``obj``: :func:`target_kind` then :func:`build`.

    Raises
    ------
    OptionError
        Unknown compile options, or compile options for an input that is already a QUBO or
        bound for a MILP (:func:`check_compile_options`).
    BackendError, ModelError
        As :func:`target_kind` and :func:`build`.
    """
    kind = target_kind(obj, accepts)
    check_compile_options(
        obj, compile_opts, (kind,), gets=f"a backend accepting {'/'.join(sorted(accepts))} gets a MILP"
    )
    return build(obj, kind, compile_opts)


def least_qubo_binaries(problem: Problem) -> int:
    """A lower bound on the QUBO size of ``problem`` under any encoding: one bit per binary,
    ceil(log2(span + 1)) per bounded integer (what the binary encoding uses, the fewest
    bits that can tell span + 1 values apart); slack bits only add to it."""
    lay = problem.layout
    kinds = lay.kinds()
    span = np.where(kinds == 1, np.nan_to_num(lay.ub - lay.lb, posinf=0.0), 0.0)
    bits = np.where(kinds == 0, 1, np.ceil(np.log2(span + 1)))
    return int(bits.sum())


class Inputs:
    """One ``qb.solve`` call's input: the object, its Problem (built once), and the
    :class:`Route` of each IR kind built so far (a fallback chain builds each kind once).

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
    compile_opts : dict
        Compile options for a model compiled to a QUBO.
    """

    def __init__(self, obj, compile_opts: dict):
        self.obj, self.compile_opts = obj, compile_opts
        self._problem: Problem | None = None
        self._irs: dict[str, Route] = {}
        # the Problem's QIP features, when a decision computed them already (O(nonzeros): 8 ms
        # on a k-path model of 1.2 M couplers, which the QUBO pre-flight would pay again)
        self.problem_features = None

    @property
    def problem(self) -> Problem:
        """``obj.to_problem()``, built on first use."""
        if self._problem is None:
            self._problem = self.obj if isinstance(self.obj, Problem) else self.obj.to_problem()
        return self._problem

    def _is_model(self) -> bool:
        return isinstance(self.obj, Problem) or hasattr(self.obj, "to_problem")

    def kind(self, accepts: Collection[str]) -> str:
        """The IR kind a backend accepting ``accepts`` gets (:func:`target_kind`)."""
        return target_kind(self.obj, accepts)

    def precheck(self, name: str, be, budget) -> None:
        """Refuse, before compiling, what the backend ``be`` (registered as ``name``) cannot
        take or what the time left on ``budget`` cannot fit.

        Raises
        ------
        BackendError
            The model needs more binaries than the backend takes.
        TimeLimitError
            The predicted compile or linearization time exceeds what is left.
        """
        kind, cap = self.kind(be.capabilities.accepts), be.capabilities.max_variables
        if kind in self._irs:
            return
        obj = self.obj
        if cap is not None and kind == "qubo" and self._is_model():
            least = least_qubo_binaries(self.problem)
            if least > cap:
                raise BackendError(
                    f"{name}: at least {least} binaries (the model's variables, encoded, before any "
                    f"slack) exceed the {cap} it takes"
                )
        if kind == "qubo" and budget.limited and self._is_model():
            from .qip.features import features

            f = self.problem_features if self.problem_features is not None else features(self.problem)
            if f.qubo_ok:
                blocks = len(self.problem.constraints)
                budget.require(
                    QUBO_COMPILE_SECONDS_PER_COUPLER * (f.qubo_couplers + f.qubo_binaries)
                    + QUBO_COMPILE_SECONDS_PER_BLOCK * blocks,
                    f"compiling the model to a QUBO of about {f.qubo_binaries} binaries and up to "
                    f"{f.qubo_couplers} couplers" + (f" from {blocks} constraint blocks" if blocks else ""),
                    "raise time_limit, or compile once with qb.compile and solve the QuboIR",
                    who=name,
                )
        if kind == "milp" and budget.limited:
            if isinstance(obj, QuboIR):
                products = len(obj.terms.v)
            elif self._is_model():
                p = self.problem
                products = len(p.objective.qcoef) + sum(len(b.poly.qcoef) for b in p.constraints)
            else:
                products = 0
            if products:
                budget.require(
                    LINEARIZE_SECONDS_PER_PRODUCT * products,
                    f"linearizing {products} products for a MILP solver",
                    "use a QUBO backend (anneal) or raise time_limit",
                    who=name,
                )

    def ir_for(self, accepts: Collection[str]) -> Route:
        """The :class:`Route` for a backend accepting ``accepts``, built once per kind."""
        kind = self.kind(accepts)
        if kind not in self._irs:
            self._irs[kind] = build(self.obj, kind, self.compile_opts, self._problem if self._is_model() else None)
        return self._irs[kind]
