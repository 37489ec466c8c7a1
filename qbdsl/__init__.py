"""qbdsl: a modelling language and compiler for network optimization.

Heavy libraries (dimod, qiskit, ortools, pyqubo, matplotlib) load only when used.
"""
from .compiler import compile
from .errors import BackendError, FileFormatError, ModelError, UnsupportedTermError
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


__all__ = ["Model", "Variable", "Expr", "Constraint", "quicksum", "compile", "solve", "load",
           "QuboIR", "MilpIR", "Result", "Solution", "ModelError", "FileFormatError",
           "UnsupportedTermError", "BackendError"]
