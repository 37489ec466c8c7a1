"""Backend variants: a name ``"<backend>+<variant>"`` that QIP, ``qb.solve`` and the benchmark
treat as a backend of its own, run as a registered backend with fixed options.

The one table of them (:data:`VARIANTS`); :func:`resolve` maps a name to (backend, options).
"""

from __future__ import annotations

from ..errors import ModelError

VARIANTS: dict[str, tuple[str, dict]] = {
    # annealing with tuned penalty weights and feasibility repair (backends.anneal), for constrained models
    "anneal+tuned": ("anneal", {"penalty_search": True, "repair": True}),
}


def resolve(name: str) -> tuple[str, dict]:
    """A backend or variant name as (registered backend, the options that make the variant).

    ``"anneal+tuned"`` is ``("anneal", {"penalty_search": True, "repair": True})``; any other
    name is itself with no options.

    Parameters
    ----------
    name : str
        A backend name, or a variant name of :data:`VARIANTS`.

    Returns
    -------
    backend : str
    options : dict
        A fresh dict (the caller may change it).

    Raises
    ------
    ModelError
        A name with ``+`` that is not in :data:`VARIANTS` (the known variants are named).
    """
    if name in VARIANTS:
        backend, opts = VARIANTS[name]
        return backend, dict(opts)
    if "+" in name:
        raise ModelError(f"unknown backend variant {name!r}; known: {', '.join(sorted(VARIANTS))}")
    return name, {}


def solve_options(name: str) -> tuple[str, dict]:
    """The backend and options a benchmark backend name runs with.

    A plain name runs with its default work (:data:`qbdsl.qip.profiles.DEFAULT_WORK`); a
    variant ``"<backend>+<variant>"`` with its options in :data:`VARIANTS`.

    Parameters
    ----------
    name : str
        A backend name, or a variant name of :data:`VARIANTS`.

    Returns
    -------
    backend : str
    options : dict
        A fresh dict (the caller may change it).

    Raises
    ------
    ModelError
        A name with ``+`` that is not in :data:`VARIANTS` (the known variants are named).
    """
    from .profiles import DEFAULT_WORK

    backend, opts = resolve(name)
    return backend, opts if opts else dict(DEFAULT_WORK.get(name, {}))


def _capabilities(name: str):
    """The ``capabilities`` of backend or variant ``name``'s registered backend (None when unknown)."""
    from qbdsl.backends import registry
    from qbdsl.errors import BackendError

    try:
        backend = registry.get(resolve(name)[0])
    except (BackendError, ModelError, ImportError):
        return None
    return getattr(backend, "capabilities", None)


def runs_in_thread(name: str) -> bool:
    """Whether backend or variant ``name`` may run in a thread of the caller's process beside
    another such run (its registered backend's ``capabilities.in_thread``: the solver releases
    the GIL and stops at its time limit); False for an unknown name."""
    return bool(getattr(_capabilities(name), "in_thread", False))


def runs_in_child(name: str) -> bool:
    """Whether backend or variant ``name`` runs its solver in a child process of its own even
    alone (its registered backend's ``capabilities.in_child``: OR-Tools, killed at its limit), so
    that beside a backend that runs in a thread a pair starts no process the pair's two runs
    alone would not; False for an unknown name."""
    return bool(getattr(_capabilities(name), "in_child", False))


def proves(name: str, n_constraints: float, n_integer: float = 0) -> bool:
    """Whether backend or variant ``name`` can prove the user's optimum on an instance with
    ``n_constraints`` constraint rows and ``n_integer`` integer variables: its registered
    backend's ``capabilities.exact`` is set, and it solves the MILP, or the QUBO holds no penalty
    block (no constraint, no integer: an encoding's penalty makes a QUBO optimum the optimum of
    another objective). False for an unknown name."""
    caps = _capabilities(name)
    if not getattr(caps, "exact", False):
        return False
    return "milp" in getattr(caps, "accepts", ()) or (n_constraints == 0 and n_integer == 0)


PENALTY_OPTIONS = frozenset({"penalty_search", "repair", "penalty_rounds"})  # act on penalty blocks only


def same_runs(n_constraints: float, n_integer: float = 0) -> set[frozenset[str]]:
    """Pairs ``{variant, backend}`` that run the same algorithm on an instance with
    ``n_constraints`` constraint rows and ``n_integer`` integer variables: a variant whose
    options act on penalty blocks only (:data:`PENALTY_OPTIONS`: ``anneal+tuned``) is its
    backend on a QUBO without any, which needs no constraint and no integer (a one-hot or
    domain-wall encoding brings penalty blocks of its own). Two such runs in parallel are one
    algorithm twice (at 0.05 s on bqp1000 and Gset, two annealers contending for the memory,
    both late); empty otherwise."""
    if n_constraints > 0 or n_integer > 0:
        return set()
    return {frozenset((name, base)) for name, (base, opts) in VARIANTS.items() if set(opts) <= PENALTY_OPTIONS}
