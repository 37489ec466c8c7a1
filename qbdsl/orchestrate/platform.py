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
    """The devices as a policy sees them: device ``k`` is a QPU for ``k < n_quantum``, else a
    classical worker; every time is a prediction, in seconds."""

    n_quantum: int
    workers: int
    speed: np.ndarray  # CLOPS per QPU
    abortable: bool  # whether a batch in service can be aborted

    def qubits(self, k: int) -> int:
        """The qubits of QPU ``k``."""
        ...

    def per_shot(self, job: Job, k: int) -> float:
        """Seconds per shot of ``job`` on QPU ``k`` (cutting included; ``inf``: it cannot run there)."""
        ...

    def overhead(self, k: int) -> float:
        """Seconds per batch on QPU ``k`` besides its shots."""
        ...

    def fragments(self, job: Job, k: int) -> int:
        """The fragments ``job`` is cut into on QPU ``k`` (1: not cut)."""
        ...

    def fidelity(self, job: Job, k: int) -> float:
        """The estimated success probability of ``job`` on QPU ``k``, in [0, 1]."""
        ...

    def classical(self, job: Job) -> float:
        """Seconds to run ``job`` on a classical worker (``inf``: none can)."""
        ...

    def run_time(self, job: Job, k: int, shots: int) -> float:
        """Seconds for a batch of ``shots`` shots of ``job`` on QPU ``k``, overhead included."""
        ...

    def device_state(self, k: int) -> DeviceState | None:
        """Device ``k`` as it is now, or ``None`` when the platform does not say."""
        ...


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
        """The qubits of QPU ``k``."""
        return self.fleet[k].qubits

    def per_shot(self, job: Job, k: int) -> float:
        """Seconds per shot of ``job`` on QPU ``k``, cutting overhead included."""
        return per_shot_seconds(job, self.fleet[k], self.cut)

    def overhead(self, k: int) -> float:
        """QPU ``k``'s seconds per batch."""
        return self.fleet[k].overhead

    def fragments(self, job: Job, k: int) -> int:
        """The fragments ``job`` is cut into on QPU ``k``."""
        return fragments(job, self.fleet[k])

    def fidelity(self, job: Job, k: int) -> float:
        """The estimated success probability of ``job`` on QPU ``k``."""
        return fidelity(job, self.fleet[k])

    def classical(self, job: Job) -> float:
        """Seconds on a classical worker (``inf`` without workers or beyond the profile's qubits)."""
        return classical_time(job, self.profile) if self.workers else math.inf

    def run_time(self, job: Job, k: int, shots: int) -> float:
        """Seconds for ``shots`` shots of ``job`` on QPU ``k``, overhead included."""
        return run_time(job, self.fleet[k], shots, self.cut)

    def device_state(self, k: int) -> DeviceState | None:
        """Device ``k`` as the simulator reports it (``None`` outside a simulation)."""
        return self._state(k) if self._state is not None else None
