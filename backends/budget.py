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

import math
import time

from qbdsl.errors import TimeLimitError


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
