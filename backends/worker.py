"""A worker process for :mod:`backends.isolate`: ``python -m qbdsl.backends.worker``.

Says ``("ready", None)`` once OR-Tools (and the modules named on its command line) are
imported, then reads calls ``(module, function
name, args)`` as length-prefixed pickles on stdin, runs each, and writes ``("ok", result)``
or ``("error", (type, message, traceback))`` on its
stdout, until stdin closes. Solver libraries print on file descriptor 1, so the answers
go out on a copy of it and descriptor 1 itself is pointed at stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback


def loaded(modules: list[str]) -> list[bool]:
    """Which of ``modules`` this process has imported (what a worker preloaded, for the caller)."""
    return [m in sys.modules for m in modules]


PARENT_POLL = 1.0  # seconds between looks at whether the caller is still alive


def exit_with_parent(parent: int) -> None:
    """Exit this process once ``parent`` is no longer its parent (the caller died and the worker
    was re-parented), even while the main thread is blocked: a worker left by an end-to-end
    run that had exited stayed blocked writing a pipe nobody read."""

    from qbdsl.backends.isolate import exit_when_orphaned

    # the name marks it safe to fork beside (isolate.FORK_SAFE_THREADS): it only sleeps
    exit_when_orphaned(parent, PARENT_POLL, "qbdsl-worker-parent")


def main() -> None:
    """Serve calls from stdin until it closes (see the module docstring for the protocol); exit
    quietly when the caller has gone (its end of the answers' pipe closed)."""
    try:
        _serve()
    except BrokenPipeError:  # the caller exited (an idle prewarmed worker at a run's end): nothing to say
        os._exit(0)


def _serve() -> None:
    from qbdsl.backends.budget import pause_gc
    from qbdsl.backends.isolate import read_frame, write_frame

    exit_with_parent(os.getppid())

    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what libraries print goes to stderr
    import ortools.linear_solver.python.model_builder_helper  # noqa: F401 -- the start, paid once

    import qbdsl.backends.ortools_backend  # noqa: F401

    for module in sys.argv[1:]:  # what the caller had loaded (isolate.WORKER_PRELOADS)
        importlib.import_module(module)
    write_frame(answers, ("ready", None))
    calls = sys.stdin.buffer
    while True:
        try:
            module, name, args = read_frame(calls)
        except EOFError:
            return
        try:
            fn = getattr(importlib.import_module(module), name)
            with pause_gc():  # a time-limited call: no collection's pause inside it (budget.pause_gc)
                answer = ("ok", fn(*args))
        except BaseException as exc:  # noqa: BLE001 -- everything goes back to the parent
            answer = ("error", (type(exc).__name__, str(exc), traceback.format_exc()))
        write_frame(answers, answer)


if __name__ == "__main__":
    main()
