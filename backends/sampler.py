"""``QbdslSampler``: a ``dimod.Sampler`` whose ``sample()`` goes through ``qb.solve``, so qbdsl
can sit inside any optimizer written against dimod."""
from __future__ import annotations

import numpy as np
import dimod


class QbdslSampler(dimod.Sampler):
    """Solve BQMs with any qbdsl backend (``backend="auto"`` by default).

    Parameters set at construction are defaults; ``sample(bqm, backend=..., time_limit=...,
    seed=..., fallback=[...], **backend_options)`` overrides them per call.
    """

    def __init__(self, backend: str = "auto", **defaults):
        self.backend = backend
        self.defaults = defaults

    @property
    def parameters(self) -> dict:
        return {"backend": [], "time_limit": [], "seed": [], "fallback": []}

    @property
    def properties(self) -> dict:
        from . import names

        return {"backends": names(), "default_backend": self.backend}

    def sample(self, bqm, backend: str | None = None, **kwargs) -> dimod.SampleSet:
        from qbdsl.io.dimod_io import bqm_to_qubo
        from qbdsl.solve import solve

        opts = {**self.defaults, **kwargs}
        order = list(bqm.variables)
        q = bqm_to_qubo(bqm)
        r = solve(q, backend=backend or self.backend, **opts)
        if r.sample is None:
            return dimod.SampleSet.from_samples(([], order), bqm.vartype, energy=[],
                                                info={"status": r.status, "backend": r.backend})
        x = np.asarray(r.sample[: len(order)], dtype=np.int8)
        if bqm.vartype is dimod.SPIN:
            x = 2 * x - 1
        return dimod.SampleSet.from_samples_bqm(
            (x.reshape(1, -1), order), bqm,
            info={"status": r.status, "backend": r.backend, "timings": r.timings, "attempts": r.attempts})
