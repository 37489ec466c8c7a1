"""Backends by name; third-party ones register through the ``qbdsl.backends`` entry points."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from qbdsl.errors import BackendError

_FACTORIES: dict[str, Callable] = {}
_ENTRY_POINTS_LOADED = False


def register(name: str, factory: Callable) -> None:
    """Register a backend factory (a class or a zero-argument callable) under ``name``."""
    _FACTORIES[name] = factory


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for ep in entry_points(group="qbdsl.backends"):
        if ep.name not in _FACTORIES:
            _FACTORIES[ep.name] = ep.load()


def names() -> list[str]:
    """The names of all registered backends (built-in and entry points), sorted."""
    _load_entry_points()
    return sorted(_FACTORIES)


def get(name: str):
    """An instance of the backend called ``name`` (a new one per call).

    Raises
    ------
    BackendError
        When no backend of that name is registered; the known names are listed.
    """
    _load_entry_points()
    if name not in _FACTORIES:
        raise BackendError(f"unknown backend {name!r}; known backends: {', '.join(names())}")
    return _FACTORIES[name]()


def _lazy(module: str, cls: str) -> Callable:
    """A factory that imports the backend's module only when the backend is first used."""

    def make():
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)()

    make.__name__ = cls
    return make


def _builtin() -> None:
    register("exact", _lazy("exact", "ExactBackend"))
    register("anneal", _lazy("anneal", "AnnealBackend"))
    register("tabu", _lazy("anneal", "TabuBackend"))
    register("qaoa", _lazy("qaoa", "QaoaBackend"))
    register("qaoa-qiskit", _lazy("qaoa", "QaoaQiskitBackend"))
    register("ortools", _lazy("ortools_backend", "OrtoolsBackend"))
    register("dwave", _lazy("dwave_backend", "DWaveBackend"))
    register("ibm", _lazy("ibm_backend", "IbmBackend"))


_builtin()
