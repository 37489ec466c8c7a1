"""Time limits as promises: a wall-clock budget that every backend plans its work against.

The contract (README, "Time limits"): ``qb.solve(..., time_limit=T)`` returns within
``T + grace(T)`` seconds, ``grace(T) = max(0.5 s, 0.25 T)``, with the best answer found so
far (status ``time_limit`` when the work was cut short). A backend therefore

1. predicts the cost of its smallest unit of work (one annealing read, one QAOA
   evaluation, the transfer of a model to a MILP solver) from measured rates, and raises
   :class:`~qbdsl.errors.TimeLimitError` at once when even that cannot fit;
2. sizes its work to the time left (reads, sweeps, per-read timeouts);
3. stops between units when the next one would not fit.

Backends aim to be done by ``T`` itself; the grace covers decoding and the noise of a
shared machine.
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from qbdsl.errors import TimeLimitError

_GC_LOCK = threading.Lock()
_gc_pausers = 0  # calls inside pause_gc now (nested or in other threads)
_gc_was_enabled = False  # the collector's state when the first of them entered


def _gc_after_fork() -> None:
    """In a forked child: no pause is held there (the lock may have been held by another thread)."""
    global _GC_LOCK, _gc_pausers
    _GC_LOCK = threading.Lock()
    if _gc_pausers:
        _gc_pausers = 0
        if _gc_was_enabled:
            gc.enable()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_gc_after_fork)


@contextmanager
def pause_gc(active: bool = True) -> Iterator[None]:
    """Python's automatic garbage collection off inside the block, as it was after it.

    A time-limited solve runs inside it: a full collection in a process that has imported the
    solver stacks took 20-40 ms on the development VM, which made annealing on a 0.05 s limit
    answer 60-70 % late in two of eight runs (none of eight with the collector off). Nested and
    concurrent blocks share one pause: the state is restored when the last one leaves. Cyclic
    garbage made inside is collected after it, by the next automatic collection.

    The pause is the process's: other threads run without automatic collection meanwhile, and
    a ``gc.disable()`` another thread makes inside the block is undone when the last block
    leaves. A process forked inside the block starts with the collector as it was before it (a
    one-shot solver child of ``qb.solve`` turns it off again itself).

    Parameters
    ----------
    active : bool, default True
        False: a block that changes nothing (a solve without a time limit).
    """
    global _gc_pausers, _gc_was_enabled
    if not active:
        yield
        return
    with _GC_LOCK:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


# what a deadline-driven solve (qb.solve with backend="auto" and a deadline) keeps of its limit
# from the backend to turn its answer into a Result: 2 ms plus 2 % of the limit, at most 0.1 s
# (OR-Tools killed at its limit handed its incumbent back 1-2 ms later, and the decode came after)
ANSWER_RESERVE_SECONDS = 2e-3
ANSWER_RESERVE_SHARE = 0.02
ANSWER_RESERVE_MAX = 0.1


def answer_reserve_seconds(time_limit: float) -> float:
    """:data:`ANSWER_RESERVE_SECONDS` plus :data:`ANSWER_RESERVE_SHARE` of ``time_limit``
    (seconds), at most :data:`ANSWER_RESERVE_MAX`: the seconds ``qb.solve`` keeps from a
    deadline-driven backend for decoding (``qbdsl.solve.answer_reserve``)."""
    return min(ANSWER_RESERVE_SECONDS + ANSWER_RESERVE_SHARE * time_limit, ANSWER_RESERVE_MAX)


def limit_after_reserve(left: float, reserve: float) -> float:
    """The time limit a backend starting with ``left`` seconds to go gets, ``reserve`` kept back:
    ``left - reserve``, at least half of ``left`` (a nearly spent budget still lets it try)."""
    return max(left - reserve, 0.5 * left)


def grace(time_limit: float) -> float:
    """Seconds a solve may take beyond ``time_limit``: ``max(0.5, 0.25 * time_limit)``."""
    return max(0.5, 0.25 * time_limit)


class Budget:
    """A deadline on ``time.perf_counter()``; ``time_limit=None`` never expires.

    Parameters
    ----------
    time_limit : float or None
        Seconds from now.
    backend : str
        Named in the errors raised by :meth:`require`.
    start : float, optional
        The ``time.perf_counter()`` instant the limit counts from (default: now).
    """

    def __init__(self, time_limit: float | None, backend: str = "", start: float | None = None):
        self.start = time.perf_counter() if start is None else start
        self.time_limit = time_limit
        self.deadline = math.inf if time_limit is None else self.start + float(time_limit)
        self.backend = backend

    @property
    def limited(self) -> bool:
        """Whether there is a time limit."""
        return self.time_limit is not None

    def left(self) -> float:
        """Seconds until the deadline (``inf`` without a limit; negative once past it)."""
        return self.deadline - time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since ``start``."""
        return time.perf_counter() - self.start

    def expired(self) -> bool:
        """Whether the deadline has passed (never without a limit)."""
        return time.perf_counter() >= self.deadline

    def fits(self, seconds: float) -> bool:
        """Whether ``seconds`` more work ends before the deadline."""
        return time.perf_counter() + seconds <= self.deadline

    def require(self, seconds: float, what: str, hint: str = "", who: str | None = None) -> None:
        """Raise :class:`TimeLimitError` unless ``seconds`` of work (``what``) fit in what is left.

        Raises
        ------
        TimeLimitError
            ``"<who>: <what> takes about X s here, more than the Y s left (time limit T s);
            <hint>"``; ``who`` defaults to the budget's backend.
        """
        if not self.limited or self.fits(seconds):
            return
        left = max(self.left(), 0.0)
        msg = (
            f"{who or self.backend}: {what} takes about {seconds:.3g} s here, more than the {left:.3g} s left "
            f"(time limit {self.time_limit:.3g} s)"
        )
        raise TimeLimitError(msg + (f"; {hint}" if hint else ""))


def require_import(budget: Budget, module: str, seconds: float, what: str, preload: str) -> None:
    """Count a library's first import against the time limit (it is part of the call).

    A vendor SDK imported on a backend's first call in a process can take seconds (the D-Wave
    SDK about 2 s here, qiskit-ibm-runtime about 1 s): when ``module`` is not imported yet and
    ``seconds`` do not fit in what is left, refuse at once rather than overrun the limit.

    Parameters
    ----------
    budget : Budget
        The call's budget.
    module : str
        The module whose import is the cost (``sys.modules`` says whether it is loaded).
    seconds : float
        Its measured import time, seconds.
    what : str
        What is imported, for the message.
    preload : str
        The call that imports it ahead of time, for the message's hint.

    Raises
    ------
    TimeLimitError
        When the import is still to come and does not fit in the time left.
    """
    import sys

    if module not in sys.modules:
        budget.require(
            seconds,
            f"importing {what} (once per process)",
            f"raise time_limit, or call {preload} before the timed call",
        )
