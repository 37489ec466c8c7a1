"""Orchestration: a SimPy simulation of quantum jobs over heterogeneous QPUs, and policies.

Modules: :mod:`.model` (jobs, QPUs, batches, decisions, run-time formulas), :mod:`.platform`
(what a policy sees), :mod:`.queues` (the device queue model), :mod:`.baselines` (raw and
matched baselines), :mod:`.deadline` (the qbdsl policy, ``qip-edf``), :mod:`.admission`
(admission rules measured not to help), :mod:`.policies` (registry), :mod:`.simulator`,
:mod:`.workload` (fleets, traces, capacity and load), :mod:`.devices` (fleet
entries naming a backend device), :mod:`.bound` (hindsight bounds),
:mod:`.experiment`, :mod:`.live`.
"""

from .baselines import Policy
from .deadline import QipEdf
from .devices import device_qpu, device_qpus
from .model import QPU, Batch, Decision, Job, Outcome, fidelity, fragments, run_time
from .platform import DeviceState, FleetPlatform, Platform
from .policies import ALL as POLICIES
from .policies import make
from .simulator import simulate
from .workload import (
    capacity,
    default_fleet,
    fleet_document,
    load_fleet,
    load_jobs,
    poisson_jobs,
    realised_load,
)

__all__ = [
    "QPU",
    "Job",
    "Batch",
    "Decision",
    "Outcome",
    "Policy",
    "QipEdf",
    "Platform",
    "FleetPlatform",
    "DeviceState",
    "POLICIES",
    "make",
    "simulate",
    "run_time",
    "fidelity",
    "fragments",
    "default_fleet",
    "poisson_jobs",
    "capacity",
    "realised_load",
    "load_fleet",
    "fleet_document",
    "device_qpu",
    "device_qpus",
    "load_jobs",
]
