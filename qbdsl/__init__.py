"""qbdsl: a modelling language and compiler for network optimization.

Heavy libraries (dimod, qiskit, ortools, pyqubo, matplotlib) load only when used.
"""
from .compiler import compile
from .errors import (BackendError, FileFormatError, FileFormatWarning, ModelError, OptionError, TimeLimitError,
                     UnsupportedTermError)
from .expr import Constraint, Expr, quicksum
from .ir.milp import MilpIR
from .ir.qubo import QuboIR
from .model import Model, Variable
from .result import Result
from .solution import Solution
from .solve import solve

__version__ = "0.1.0"


def load(path, **kwargs):
    """Read a file by extension and content: .qubo, .npz, .bqm, .lp, .mps (optionally .gz/.xz)."""
    from .io import load as _load

    return _load(path, **kwargs)


def from_dimod(obj):
    """A dimod BQM (-> QuboIR) or CQM (-> Model)."""
    from .io.dimod_io import from_dimod as _f

    return _f(obj)


def from_qp(qp):
    """A qiskit-optimization ``QuadraticProgram`` -> Model."""
    from .io.qiskit_io import from_qp as _f

    return _f(qp)


def from_pyqubo(compiled, feed_dict=None):
    """A compiled PyQUBO model -> QuboIR."""
    from .io.pyqubo_io import from_pyqubo as _f

    return _f(compiled, feed_dict)


__all__ = ["from_dimod", "from_qp", "from_pyqubo", "Model", "Variable", "Expr", "Constraint", "quicksum", "compile", "solve", "load",
           "QuboIR", "MilpIR", "Result", "Solution", "ModelError", "FileFormatError", "FileFormatWarning",
           "UnsupportedTermError", "BackendError", "OptionError", "TimeLimitError"]
