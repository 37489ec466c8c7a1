"""Orchestration: a SimPy simulation of quantum jobs over heterogeneous QPUs, and policies."""
from .policies import ALL as POLICIES
from .policies import Policy, make
from .simulator import QPU, Batch, Job, Outcome, fidelity, fragments, run_time, simulate
from .workload import default_fleet, load_fleet, load_jobs, poisson_jobs

__all__ = ["QPU", "Job", "Batch", "Outcome", "Policy", "POLICIES", "make", "simulate", "run_time", "fidelity",
           "fragments", "default_fleet", "poisson_jobs", "load_fleet", "load_jobs"]
