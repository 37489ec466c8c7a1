"""``QbdslSampler``: a ``dimod.Sampler`` whose ``sample()`` goes through ``qb.solve``, so qbdsl
can sit inside any optimizer written against dimod."""

from __future__ import annotations

import dimod
import numpy as np


class QbdslSampler(dimod.Sampler):
    """Solve BQMs with any qbdsl backend (``backend="auto"`` by default).

    Parameters set at construction are defaults; ``sample(bqm, backend=..., time_limit=...,
    seed=..., fallback=[...], **backend_options)`` overrides them per call.

    The sample set holds every sample the backend returned (all reads of ``anneal``/``tabu``,
    every sampled bitstring of ``qaoa``, ``exact``'s lowest states), with their occurrence
    counts and energies computed on the BQM itself, lowest energy first; ``info`` has the
    status, backend, timings and the backends tried before (``attempts``).
    """

    def __init__(self, backend: str = "auto", **defaults):
        self.backend = backend
        self.defaults = defaults

    @property
    def parameters(self) -> dict:
        """The keyword arguments :meth:`sample` takes besides the BQM (dimod's convention)."""
        return {"backend": [], "time_limit": [], "seed": [], "fallback": []}

    @property
    def properties(self) -> dict:
        """The registered backend names and the default backend."""
        from qbdsl.backends import names

        return {"backends": names(), "default_backend": self.backend}

    def sample(self, bqm, backend: str | None = None, **kwargs) -> dimod.SampleSet:
        """Solve ``bqm`` through ``qb.solve`` and return every sample.

        Parameters
        ----------
        bqm : dimod.BinaryQuadraticModel
            BINARY or SPIN; the samples come back in its vartype and variable order.
        backend : str, optional
            Overrides the sampler's backend for this call.
        **kwargs
            ``time_limit``, ``seed``, ``fallback`` and backend options; override the defaults.

        Returns
        -------
        dimod.SampleSet
            Aggregated, with energies computed on ``bqm`` and occurrence counts; ``info`` has
            ``status``, ``backend``, ``timings`` and ``attempts``.

        Raises
        ------
        OptionError
            An unknown backend or option, or an invalid option value.
        BackendError
            Every backend of the chain failed.
        """
        from qbdsl.solve import solve

        from .dimod_io import bqm_to_qubo

        opts = {**self.defaults, **kwargs}
        order = list(bqm.variables)
        q = bqm_to_qubo(bqm)
        r = solve(q, backend=backend or self.backend, **opts)
        info = {"status": str(r.status), "backend": r.backend, "timings": r.timings, "attempts": r.attempts}
        if not len(r):
            return dimod.SampleSet.from_samples(([], order), bqm.vartype, energy=[], info=info)
        # the QUBO's own variables are the BQM's, in its order (a MILP backend adds product columns after them)
        x = np.array([s.sample[: len(order)] for s in r], dtype=np.int8).reshape(len(r), len(order))
        if bqm.vartype is dimod.SPIN:
            x = 2 * x - 1
        ss = dimod.SampleSet.from_samples_bqm(
            (x, order), bqm, info=info, num_occurrences=np.array([s.num_occurrences for s in r], dtype=np.int64)
        )
        return ss.aggregate() if len(ss) > 1 else ss
