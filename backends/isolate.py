"""Run a call in a forked child process that can be killed at a deadline.

Some solver libraries do not stop at their own time limit: the HiGHS inside OR-Tools 9.15
ran 88 s on a 1 s limit (a linearized 2 000-binary QUBO) and ignores
``ModelSolverHelper.interrupt_solve()``. A thread cannot be stopped, a process can. The
child is forked, so it starts at once with the parent's memory (the model is not copied
or pickled); only the answer travels back, through a pipe.

Where ``fork`` does not exist (Windows), the call runs in this process and the deadline
is only as good as the library's own time limit; :data:`ISOLATED` says which.
"""
from __future__ import annotations

import multiprocessing
import os
import time
import traceback
import warnings
from typing import Any, Callable

ISOLATED = "fork" in multiprocessing.get_all_start_methods()


class Killed(Exception):
    """The child was still running at the deadline and was killed."""


def _child(conn, fn, args) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 -- everything goes back to the parent
        conn.send(("error", (type(exc).__name__, str(exc), traceback.format_exc())))
    finally:
        conn.close()
        os._exit(0)


def call_with_deadline(fn: Callable[..., Any], args: tuple, deadline: float) -> Any:
    """``fn(*args)`` in a forked child; its result, or :class:`Killed` at ``deadline``.

    Parameters
    ----------
    fn, args
        The call; its result must pickle (it crosses a pipe).
    deadline : float
        A ``time.perf_counter()`` instant; ``inf`` waits as long as it takes.

    Raises
    ------
    Killed
        The child had not answered by the deadline (it is killed and reaped).
    RuntimeError
        The child raised (the message names the exception) or died without answering.
    """
    if not ISOLATED:
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    with warnings.catch_warnings():   # Python >= 3.12 warns about fork in threaded programs
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
        proc.start()
    send.close()
    try:
        wait = None if deadline == float("inf") else max(0.0, deadline - time.perf_counter())
        if not recv.poll(wait):
            proc.kill()
            raise Killed
        try:
            kind, value = recv.recv()
        except EOFError:
            proc.join()
            raise RuntimeError(f"the solver process died without answering (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        proc.join(5)
        if proc.is_alive():  # pragma: no cover -- only if the child ignored SIGKILL's reaping
            proc.kill()
    if kind == "error":
        name, message, _ = value
        raise RuntimeError(f"{name}: {message}")
    return value
