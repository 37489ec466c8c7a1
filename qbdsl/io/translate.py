"""Translators to other libraries' objects, by the type of what is given: what the facade
functions ``qb.to_bqm``, ``qb.to_cqm``, ``qb.to_qp`` and ``qb.to_latex`` call.

Each library (dimod, qiskit-optimization, sympy) loads only when its translator runs.
"""

from __future__ import annotations

from ..errors import ModelError
from ..ir.qubo import QuboIR


def _is_model(obj) -> bool:
    return hasattr(obj, "to_problem") and hasattr(obj, "constraints")


def _refuse(func: str, obj, takes: str):
    raise ModelError(f"{func} takes {takes}, got a {type(obj).__name__}")


def to_bqm(obj, **compile_opts):
    """A ``dimod.BinaryQuadraticModel`` of a QuboIR, or of a Model compiled to a QUBO.

    Parameters
    ----------
    obj : QuboIR or Model
        A QuboIR is translated as it is; a Model is first compiled to a QUBO with
        ``compile_opts``.
    **compile_opts
        ``encoding``, ``penalty``, ``inequality``, ``unbalanced`` when ``obj`` is a Model.

    Raises
    ------
    ModelError
        Neither a QuboIR nor a Model; what the compiler raises for the model.
    OptionError
        Compile options for a QuboIR.
    """
    from ..routing import build, check_compile_options
    from .dimod_io import qubo_to_bqm

    if not (isinstance(obj, QuboIR) or _is_model(obj)):
        _refuse("to_bqm", obj, "a QuboIR or a Model")
    check_compile_options(obj, compile_opts)
    return qubo_to_bqm(build(obj, "qubo", compile_opts).ir)


def to_cqm(model):
    """A ``dimod.ConstrainedQuadraticModel`` with the model's variables and constraints.

    Raises
    ------
    ModelError
        ``model`` is not a Model.
    """
    from .dimod_io import model_to_cqm

    if not _is_model(model):
        _refuse("to_cqm", model, "a Model")
    return model_to_cqm(model)


def to_qp(obj):
    """A qiskit-optimization ``QuadraticProgram`` of a Model (same variables and
    constraints) or of a QuboIR (unconstrained, binary).

    Raises
    ------
    ModelError
        Neither a Model nor a QuboIR.
    """
    from .qiskit_io import model_to_qp, qubo_to_qp

    if isinstance(obj, QuboIR):
        return qubo_to_qp(obj)
    if not _is_model(obj):
        _refuse("to_qp", obj, "a Model or a QuboIR")
    return model_to_qp(obj)


def to_latex(model, max_rows: int = 3, max_terms: int = 12) -> str:
    """LaTeX of a Model (through sympy): the objective and the first ``max_rows`` rows of
    each constraint block, each with at most ``max_terms`` terms.

    Raises
    ------
    ModelError
        ``model`` is not a Model.
    """
    from .latex import model_to_latex

    if not _is_model(model):
        _refuse("to_latex", model, "a Model")
    return model_to_latex(model, max_rows=max_rows, max_terms=max_terms)
