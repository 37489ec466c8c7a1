"""Simulated annealing and tabu search from dwave-samplers (``dwave.samplers``).

``time_limit`` is honoured by batching reads: after each batch the backend estimates the
next batch's duration from the ones so far and stops before the budget would be
exceeded. Batches draw their seeds from one ``numpy.random.SeedSequence(seed)``, so a
fixed ``num_reads`` with the same seed gives the same answer; with a time limit the
number of batches depends on the machine's speed.
"""
from __future__ import annotations

import time

import numpy as np

from .base import BackendOutput, Capabilities, check_options

SA_OPTIONS = ("num_reads", "num_sweeps", "beta_range", "beta_schedule_type", "num_sweeps_per_beta",
              "randomize_order", "proposal_acceptance_criteria", "batch_reads")
TABU_OPTIONS = ("num_reads", "tenure", "timeout", "num_restarts", "batch_reads")


def _bqm(ir):
    import dimod

    t = ir.terms
    return dimod.BinaryQuadraticModel.from_numpy_vectors(t.h, (t.i, t.j, t.v), t.offset, dimod.BINARY)


def _batched(sample_fn, ir, *, num_reads: int | None, batch_reads: int, time_limit: float | None,
             seed: int | None, name: str) -> BackendOutput:
    """Run ``sample_fn(bqm, reads, seed)`` in batches; keep the lowest-energy sample."""
    if ir.n == 0:
        return BackendOutput(np.zeros(0), "feasible", float(ir.offset), {"reads": 0, "batches": 0})
    bqm = _bqm(ir)
    seeds = np.random.SeedSequence(seed)
    target = num_reads if num_reads is not None else (None if time_limit else 100)
    done, batches, best_e, best = 0, 0, np.inf, None
    durations = []
    t0 = time.perf_counter()
    while True:
        reads = batch_reads if target is None else min(batch_reads, target - done)
        if reads <= 0:
            break
        if time_limit is not None and durations:
            elapsed = time.perf_counter() - t0
            if elapsed + max(durations) * reads / batch_reads > time_limit:
                break
        child = int(seeds.spawn(1)[0].generate_state(1)[0])
        tb = time.perf_counter()
        ss = sample_fn(bqm, reads, child)
        durations.append(time.perf_counter() - tb)
        rec = ss.record
        k = int(np.argmin(rec.energy))
        if rec.energy[k] < best_e:
            best_e = float(rec.energy[k])
            order = np.argsort(np.asarray(list(ss.variables)))
            best = np.asarray(rec.sample[k], dtype=float)[order]
        done += reads
        batches += 1
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
    status = "time_limit" if (time_limit is not None and target is not None and done < target) else "feasible"
    return BackendOutput(best, status, best_e, {"reads": done, "batches": batches, "seconds": time.perf_counter() - t0,
                                                 "sampler": name})


class AnnealBackend:
    """Simulated annealing (dwave-samplers): ``num_reads``, ``num_sweeps``, ``beta_range``,
    ``beta_schedule_type`` ("geometric" | "linear"), ``batch_reads``."""

    name = "anneal"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        from dwave.samplers import SimulatedAnnealingSampler

        check_options("anneal", options, SA_OPTIONS)
        num_reads = options.pop("num_reads", None)
        batch = int(options.pop("batch_reads", 10 if time_limit else (num_reads or 100)))
        sampler = SimulatedAnnealingSampler()
        opts = {"num_sweeps": 1000, **options}

        def run(bqm, reads, s):
            return sampler.sample(bqm, num_reads=reads, seed=s % (2**31 - 1), **opts)

        out = _batched(run, ir, num_reads=num_reads, batch_reads=max(batch, 1), time_limit=time_limit,
                       seed=seed, name="simulated-annealing")
        out.info["options"] = opts
        return out


class TabuBackend:
    """Tabu search (dwave-samplers): ``num_reads``, ``tenure``, ``timeout`` (ms per read), ``num_restarts``."""

    name = "tabu"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        from dwave.samplers import TabuSampler

        check_options("tabu", options, TABU_OPTIONS)
        num_reads = options.pop("num_reads", None)
        reads = num_reads or 10
        batch = int(options.pop("batch_reads", 1 if time_limit else reads))
        opts = dict(options)
        # tabu runs each read until its timeout: 100 ms per read, less if the budget is short
        opts.setdefault("timeout", 100 if time_limit is None else max(1, min(100, int(1000 * time_limit / reads))))
        sampler = TabuSampler()

        def run(bqm, reads, s):
            return sampler.sample(bqm, num_reads=reads, seed=s % (2**31 - 1), **opts)

        out = _batched(run, ir, num_reads=num_reads if num_reads is not None or time_limit else 10,
                       batch_reads=max(batch, 1), time_limit=time_limit, seed=seed, name="tabu")
        out.info["options"] = opts
        return out
