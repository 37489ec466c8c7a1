"""A fake backend for the tests of qb.solve's pair runners (_fork_all, _in_threads, _in_workers)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from qbdsl.errors import BackendError


def sleep_in_child(seconds: float) -> str:
    """What an isolated solver call runs in its child here: sleeps, then answers."""
    time.sleep(seconds)
    return "done"


def fake_backend(kind: str, release: threading.Event, killed: list | None = None) -> SimpleNamespace:
    """A backend whose ``solve`` answers after 0.05 s: ``"quick"`` feasible, ``"proof"`` optimal,
    ``"broken"`` raises; ``"slow"`` waits for ``release`` (at most 10 s), then answers feasible;
    ``"isolated"`` makes a 10 s isolated call (as OR-Tools' backend does) and appends to
    ``killed`` the ``time.perf_counter()`` instant it was killed, if it was."""

    def solve(ir, *, time_limit=None, seed=None, **options):
        if kind == "isolated":
            from qbdsl.backends import isolate

            try:
                isolate.call_with_deadline(sleep_in_child, (10.0,), time.perf_counter() + 10)
            except isolate.Killed:
                killed.append(time.perf_counter())
            return SimpleNamespace(status="feasible")
        if kind == "slow":
            release.wait(10)
            return SimpleNamespace(status="feasible")
        time.sleep(0.05)
        if kind == "broken":
            raise BackendError("broken: no answer")
        return SimpleNamespace(status="optimal" if kind == "proof" else "feasible")

    return SimpleNamespace(solve=solve)
