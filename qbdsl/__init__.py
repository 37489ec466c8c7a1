"""qbdsl: a modelling language and compiler for network optimization.

Heavy libraries (dimod, qiskit, ortools, pyqubo, matplotlib) load only when used. The core
(models, expressions, IRs, compiler) imports no file format: files and other libraries'
objects are reached through the functions below (``load``, ``save``, ``to_bqm``, ``to_cqm``,
``to_qp``, ``to_latex``, ``from_dimod``, ``from_qp``, ``from_pyqubo``), which import
:mod:`qbdsl.io` when called.
"""

from .compiler import compile
from .errors import (
    BackendError,
    FileFormatError,
    FileFormatWarning,
    ModelError,
    OptionError,
    TimeLimitError,
    UnsupportedTermError,
)
from .expr import Constraint, Expr, quicksum
from .ir.milp import MilpIR
from .ir.qubo import QuboIR
from .model import Model, Variable
from .result import Result, Status
from .solution import Solution
from .solve import solve

__version__ = "0.1.0"


def load(path, name: str | None = None, *, group_rows: bool = False):
    """Read a file by extension and content: .qubo, .npz, .bqm, .lp, .mps (optionally .gz/.xz/.bz2).

    Parameters
    ----------
    path : str or os.PathLike
        The file to read. The format is told by the suffix, or by content when the name has
        none of the five; a ``.gz``/``.xz``/``.bz2`` file is decompressed (told by the
        suffix or by its magic bytes).
    name : str, optional
        The model's name for ``.lp``/``.mps`` files (default: the file's or its stem).
    group_rows : bool, default False
        ``.lp``/``.mps``: rows numbered alike of one sense (``R0001``, ``R0002``...) become one
        constraint block named by their stem, each row's name kept as its label. A file of
        thousands of such rows lowers and compiles far faster (MIPLIB's stein27: 19.6 -> 0.4 ms),
        but the blocks' names (penalties and violations are keyed by them) and the rows' order
        change, so it is off by default.

    Returns
    -------
    QuboIR or Model
        ``.qubo``/``.npz``/``.bqm`` give a QuboIR; ``.lp``/``.mps`` give a Model.

    Raises
    ------
    FileFormatError
        A missing or malformed file (with the line, where the format has lines).
    ModelError
        ``path`` is not a str or os.PathLike, ``name`` is not a str (the type is named), or
        ``group_rows`` is not a bool.
    """
    from .io import load as _load

    return _load(path, name, group_rows=group_rows)


def save(obj, path, **compile_opts) -> None:
    """Write a Model, QuboIR or MilpIR to ``path``; the format is told by the extension.

    Parameters
    ----------
    obj : Model, QuboIR or MilpIR
        A Model is compiled to a QUBO for ``.qubo``/``.npz``/``.bqm`` and to a MILP for
        ``.lp``/``.mps`` (see :mod:`qbdsl.routing`).
    path : str or os.PathLike
        Optionally compressed (``.gz``, ``.xz``, ``.bz2``); written atomically.
    **compile_opts
        ``encoding``, ``penalty``, ``inequality``, ``unbalanced`` for a QUBO compile (a
        Model or MilpIR written as ``.qubo``/``.npz``/``.bqm``).

    Raises
    ------
    ModelError
        An unknown extension, a ``path`` that is not a str or os.PathLike, or an object of
        another type.
    OptionError
        An unknown compile option (the known ones are named), or compile options that would
        be ignored: for a QuboIR, or for a ``.lp``/``.mps`` file.
    """
    from .io import save as _save

    _save(obj, path, **compile_opts)


def to_bqm(obj, **compile_opts):
    """A ``dimod.BinaryQuadraticModel`` of a QuboIR, or of a Model compiled with ``compile_opts``.

    Parameters
    ----------
    obj : QuboIR or Model
        A QuboIR is translated as it is; a Model is first compiled to a QUBO with
        ``compile_opts``.
    **compile_opts
        ``encoding``, ``penalty``, ``inequality``, ``unbalanced`` when ``obj`` is a Model.

    Returns
    -------
    dimod.BinaryQuadraticModel
        BINARY, labelled with the IR's variable names; the offset is the QUBO's constant.

    Raises
    ------
    ModelError
        Neither a QuboIR nor a Model, or a model the QUBO compiler refuses.
    OptionError
        An unknown compile option, or compile options for a QuboIR.
    """
    from .io.translate import to_bqm as _f

    return _f(obj, **compile_opts)


def to_cqm(model):
    """A ``dimod.ConstrainedQuadraticModel`` with the Model's variables and constraints.

    Parameters
    ----------
    model : Model
        The model to translate, its constraints kept as constraints (no penalties).

    Returns
    -------
    dimod.ConstrainedQuadraticModel

    Raises
    ------
    ModelError
        ``model`` is not a Model.
    """
    from .io.translate import to_cqm as _f

    return _f(model)


def to_qp(obj):
    """A qiskit-optimization ``QuadraticProgram`` of a Model or a QuboIR.

    Parameters
    ----------
    obj : Model or QuboIR
        A Model keeps its variables, objective and constraints; a QuboIR gives an
        unconstrained binary program with the IR's labels.

    Returns
    -------
    qiskit_optimization.QuadraticProgram

    Raises
    ------
    ModelError
        Neither a Model nor a QuboIR.
    """
    from .io.translate import to_qp as _f

    return _f(obj)


def to_latex(model, max_rows: int = 3, max_terms: int = 12) -> str:
    """LaTeX of a Model (through sympy), showing the first ``max_rows`` rows of each block.

    Parameters
    ----------
    model : Model
        The model to typeset: its objective and constraint blocks.
    max_rows : int, default 3
        Rows shown of each constraint block.
    max_terms : int, default 12
        Terms shown of each row and of the objective.

    Returns
    -------
    str

    Raises
    ------
    ModelError
        ``model`` is not a Model.
    """
    from .io.translate import to_latex as _f

    return _f(model, max_rows=max_rows, max_terms=max_terms)


def from_dimod(obj):
    """A dimod BQM (-> QuboIR) or CQM (-> Model).

    Parameters
    ----------
    obj : dimod.BinaryQuadraticModel or dimod.ConstrainedQuadraticModel
        A SPIN BQM is converted to BINARY first.

    Returns
    -------
    QuboIR or Model

    Raises
    ------
    ModelError
        Another type, or content qbdsl cannot represent.
    """
    from .io.dimod_io import from_dimod as _f

    return _f(obj)


def from_qp(qp):
    """A qiskit-optimization ``QuadraticProgram`` -> Model.

    Parameters
    ----------
    qp : qiskit_optimization.QuadraticProgram
        The program to convert (at least one variable); linear and quadratic constraints
        become rows of the Model.

    Returns
    -------
    Model
        Same variables (kinds and bounds), objective, sense and constraints.

    Raises
    ------
    ModelError
        ``qp`` is not a ``QuadraticProgram`` (its type is named), or a program without
        variables.
    """
    from .io.qiskit_io import from_qp as _f

    return _f(qp)


def from_pyqubo(compiled, feed_dict=None):
    """A compiled PyQUBO model -> QuboIR.

    Parameters
    ----------
    compiled : pyqubo.Model
        What ``pyqubo``'s ``expr.compile()`` returns.
    feed_dict : dict, optional
        Values of the model's placeholders.

    Returns
    -------
    QuboIR
        A bare QUBO labelled with PyQUBO's variable names (sorted).

    Raises
    ------
    ModelError
        ``compiled`` is not a compiled PyQUBO model.
    """
    from .io.pyqubo_io import from_pyqubo as _f

    return _f(compiled, feed_dict)


__all__ = [
    "Model",
    "Variable",
    "Expr",
    "Constraint",
    "quicksum",
    "compile",
    "solve",
    "QuboIR",
    "MilpIR",
    "Result",
    "Solution",
    "Status",
    "load",
    "save",
    "to_bqm",
    "to_cqm",
    "to_qp",
    "to_latex",
    "from_dimod",
    "from_qp",
    "from_pyqubo",
    "ModelError",
    "FileFormatError",
    "FileFormatWarning",
    "UnsupportedTermError",
    "BackendError",
    "OptionError",
    "TimeLimitError",
]
