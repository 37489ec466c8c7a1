"""Solvers behind one protocol (see :mod:`qbdsl.backends.base`)."""

from .base import Backend, BackendOutput, Capabilities
from .registry import get, names, register

__all__ = ["Backend", "BackendOutput", "Capabilities", "QbdslSampler", "get", "names", "register"]


def __getattr__(name):
    if name == "QbdslSampler":  # dimod loads only when the sampler is asked for
        from qbdsl.io.dimod_sampler import QbdslSampler

        return QbdslSampler
    raise AttributeError(name)
