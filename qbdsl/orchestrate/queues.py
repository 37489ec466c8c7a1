"""One device's queue as the simulator runs it, as a policy predicts it."""

from __future__ import annotations

import bisect
import math

import numpy as np

from .platform import DeviceState


class DeviceQueue:
    """The batch in service (job ``running``, predicted to end at ``end``), then the waiting
    batches, served by ``key`` (the deadline for EDF, the order sent for FIFO), ties in the
    order sent: what :func:`~qbdsl.orchestrate.simulator.simulate`'s priority queues do.

    Waiting entries are ``(key, sequence, seconds, job, deadline)``."""

    __slots__ = ("end", "running", "running_tag", "waiting")

    def __init__(self):
        self.end, self.running, self.running_tag = 0.0, None, -1
        self.waiting: list[tuple[float, int, float, int, float]] = []

    def advance(self, now: float) -> None:
        """Start, in order, every waiting batch the device reaches by ``now`` (predicted)."""
        while self.waiting and self.end <= now:
            _, self.running_tag, dur, self.running, _ = self.waiting.pop(0)
            self.end += dur
        if self.end <= now:
            self.end, self.running, self.running_tag = now, None, -1

    def sync(self, state: DeviceState | None, now: float) -> None:
        """Bring the prediction in line with what the device actually does at ``now``
        (``state``), or :meth:`advance` by the prediction when the platform cannot tell.
        A batch that overran its prediction is expected to end now at the earliest."""
        if state is None:
            self.advance(now)
            return
        if state.running_tag >= 0 or any(t >= 0 for t in state.waiting_tags):  # by batch: a job may have several
            if state.running_tag != self.running_tag:
                item = next((w for w in self.waiting if w[1] == state.running_tag), None)
                if item is not None:
                    self.waiting.remove(item)
                self.end = state.started + (item[2] if item is not None else 0.0) if state.running is not None else now
            self.running, self.running_tag = state.running, state.running_tag
            self.waiting = [w for w in self.waiting if w[1] in state.waiting_tags]
            self.end = max(self.end, now)
            return
        if state.running != self.running:
            if state.running is None:
                self.end = now
            else:
                item = next((w for w in self.waiting if w[3] == state.running), None)
                if item is not None:
                    self.waiting.remove(item)
                self.end = state.started + (item[2] if item is not None else 0.0)
            self.running = state.running
        self.waiting = [w for w in self.waiting if w[3] in state.waiting]
        self.end = max(self.end, now)

    def finish_of(self, key: float) -> float:
        """When a batch inserted at ``key`` would start."""
        t = self.end
        for k, _, dur, _, _ in self.waiting:
            if k > key:
                break
            t += dur
        return t

    def room(self, key: float, deadline: float) -> float:
        """Seconds a new batch sent at ``key`` and due at ``deadline`` may last without it or
        any waiting batch behind it missing its deadline (a batch already late is not protected)."""
        t, before, slack = self.end, None, math.inf
        for k, _, dur, _, due in self.waiting:
            if k > key and before is None:
                before = t
            t += dur
            if before is not None and due - t >= 0:
                slack = min(slack, due - t)
        return min(deadline - (t if before is None else before), slack)

    def add(self, key: float, seq: int, seconds: float, job: int = -1, deadline: float = math.inf) -> None:
        """Queue a batch of ``seconds`` for ``job`` at priority ``key`` (ties by ``seq``), due at ``deadline``."""
        bisect.insort(self.waiting, (key, seq, seconds, job, deadline))

    def holds(self, now: float) -> dict[int, float]:
        """Device seconds from ``now`` each job still holds here (in service or waiting)."""
        out = {self.running: self.end - now} if self.running is not None else {}
        for _, _, dur, j, _ in self.waiting:
            out[j] = out.get(j, 0.0) + dur
        return out

    def remove(self, job: int, now: float) -> None:
        """Take ``job`` off the device at ``now``: aborted if in service, dropped if waiting.
        An aborted batch frees the device for the most urgent batch waiting *or dispatched at
        ``now``* (as SimPy grants it), so nothing is started here."""
        if self.running == job:
            self.end, self.running, self.running_tag = now, None, -1
        self.waiting = [w for w in self.waiting if w[3] != job]

    def copy(self) -> DeviceQueue:
        """An independent copy (for what-if placements)."""
        q = DeviceQueue()
        q.end, q.running, q.running_tag, q.waiting = self.end, self.running, self.running_tag, list(self.waiting)
        return q


CHUNK_OVERHEADS = 8.0  # default chunk length, in per-batch overheads (24.6 s at 3.07 s; 8 > 4 > 2 measured at 0.5 s)


def chunk_shots(shots: int, whole: float, overhead: float, room: float, chunk: float | None) -> list[int]:
    """Shots per consecutive chunk of a batch lasting ``whole`` seconds: chunks of about
    ``chunk`` seconds (``None``: ``CHUNK_OVERHEADS`` x ``overhead``), no more of them than the
    ``room`` on the device pays one ``overhead`` each for, and one chunk where that is one.
    Limited-preemptive scheduling: Buttazzo, Bertogna and Yao, IEEE Trans. Industrial
    Informatics 9, 2013."""
    length = chunk if chunk is not None else CHUNK_OVERHEADS * overhead
    if length <= 0 or whole <= length:
        return [shots]
    spare = max(room - whole, 0.0)
    n = int(min(np.ceil((whole - overhead) / length), 1 + np.floor(spare / overhead) if overhead > 0 else shots, shots))
    if n <= 1:
        return [shots]
    return [len(c) for c in np.array_split(np.arange(shots), n)]
