"""A fake backend for the tests of qb.solve's pair runners (_fork_all, _in_threads, _in_workers)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from qbdsl.errors import BackendError


def fake_backend(kind: str, release: threading.Event) -> SimpleNamespace:
    """A backend whose ``solve`` answers after 0.05 s: ``"quick"`` feasible, ``"proof"`` optimal,
    ``"broken"`` raises; ``"slow"`` waits for ``release`` (at most 10 s), then answers feasible."""

    def solve(ir, *, time_limit=None, seed=None, **options):
        if kind == "slow":
            release.wait(10)
            return SimpleNamespace(status="feasible")
        time.sleep(0.05)
        if kind == "broken":
            raise BackendError("broken: no answer")
        return SimpleNamespace(status="optimal" if kind == "proof" else "feasible")

    return SimpleNamespace(solve=solve)
