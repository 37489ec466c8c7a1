"""Solvers behind one protocol (see :mod:`qbdsl.backends.base`)."""

from .base import Backend, BackendOutput, Capabilities
from .registry import get, names, register

__all__ = ["Backend", "BackendOutput", "Capabilities", "get", "names", "register"]
