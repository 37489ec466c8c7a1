"""What a policy sees of the devices: the :class:`Platform` protocol and its simulated form.

Devices ``0..n_quantum-1`` are QPUs, ``n_quantum..n_quantum+workers-1`` classical workers.
Times are *predictions*; the simulator may run the devices slower or faster than predicted
(:func:`qbdsl.orchestrate.simulator.simulate`'s ``error`` and ``noise``), and a policy learns
what actually runs from :meth:`Platform.device_state`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .model import CUT_OVERHEAD, QPU, Job, classical_time, fidelity, fragments, per_shot_seconds, run_time


@dataclass(frozen=True)
class DeviceState:
    """A device as it is at a dispatch: the job in service (``None``: idle), when it
    started, and the jobs whose batches wait there; the same by batch ``tag``."""

    running: int | None
    started: float
    waiting: frozenset
    running_tag: int = -1
    waiting_tags: frozenset = frozenset()


@runtime_checkable
class Platform(Protocol):
    n_quantum: int
    workers: int
    speed: np.ndarray  # CLOPS per QPU
    abortable: bool  # whether a batch in service can be aborted

    def qubits(self, k: int) -> int: ...
    def per_shot(self, job: Job, k: int) -> float: ...
    def overhead(self, k: int) -> float: ...
    def fragments(self, job: Job, k: int) -> int: ...
    def fidelity(self, job: Job, k: int) -> float: ...
    def classical(self, job: Job) -> float: ...
    def run_time(self, job: Job, k: int, shots: int) -> float: ...
    def device_state(self, k: int) -> DeviceState | None: ...


class FleetPlatform:
    """The simulated fleet: QPUs timed by :mod:`qbdsl.orchestrate.model`'s formulas, and
    ``workers`` classical workers timed by the QIP statevector profile."""

    def __init__(self, fleet: list[QPU], cut_overhead: float = CUT_OVERHEAD, workers: int = 0, worker_profile=None):
        self.fleet, self.cut, self.workers, self.profile = fleet, cut_overhead, workers, worker_profile
        self.abortable = True
        self.n_quantum = len(fleet)
        self.speed = np.array([q.clops for q in fleet])
        self._state = None  # set by the simulator: k -> DeviceState

    def qubits(self, k: int) -> int:
        return self.fleet[k].qubits

    def per_shot(self, job: Job, k: int) -> float:
        return per_shot_seconds(job, self.fleet[k], self.cut)

    def overhead(self, k: int) -> float:
        return self.fleet[k].overhead

    def fragments(self, job: Job, k: int) -> int:
        return fragments(job, self.fleet[k])

    def fidelity(self, job: Job, k: int) -> float:
        return fidelity(job, self.fleet[k])

    def classical(self, job: Job) -> float:
        return classical_time(job, self.profile) if self.workers else math.inf

    def run_time(self, job: Job, k: int, shots: int) -> float:
        return run_time(job, self.fleet[k], shots, self.cut)

    def device_state(self, k: int) -> DeviceState | None:
        return self._state(k) if self._state is not None else None
