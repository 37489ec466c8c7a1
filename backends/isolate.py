"""Run a call in a child process that can be killed at a deadline.

Some solver libraries do not stop at their own time limit: the HiGHS inside OR-Tools 9.15
ran 88 s on a 1 s limit (a linearized 2 000-binary QUBO) and ignores
``ModelSolverHelper.interrupt_solve()``. A thread cannot be stopped, a process can.

Two ways to get a child, chosen per call:

- **a worker process** (:mod:`backends.worker`, started with ``subprocess``, kept for
  later calls), when one is idle, or when other threads run. Forking then is unsafe:
  OpenBLAS's fork handler waits for its lock while another thread is inside a BLAS call, and
  the fork never returns (seen in live mode: an ``exact`` device thread in a matrix product
  and an ``ortools`` device thread forking). ``subprocess`` starts the worker without fork
  handlers (vfork + exec). The call and its answer are pickled over the worker's pipes. An
  idle worker is also the cheaper way: a call to it took 6 ms here where forking this process
  (qbdsl, OR-Tools and the samplers imported) took 27-35 ms (:func:`prewarm`;
  ``qbdsl.qip.warm_up`` starts one).
- **fork**, when this process runs one Python thread and no worker is idle: the child starts
  with the parent's memory (nothing is pickled); only the answer travels back, through a pipe.

A child still running at the deadline is killed (:class:`Killed`). Where neither way
exists (no ``fork``, e.g. Windows), the call runs in this process and the deadline is only
as good as the library's own time limit; :data:`ISOLATED` says which.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

ISOLATED = "fork" in multiprocessing.get_all_start_methods()
# a fresh interpreter importing numpy and OR-Tools: 0.37-0.57 s seen, also next to a CPU hog;
# replaced by what starts in this process measure
WORKER_START_SECONDS = 0.6


class Killed(Exception):
    """The child was still running at the deadline and was killed."""


# threads that never hold a lock a forked child could need (a sleeping watcher): they do not make
# forking unsafe. A worker process runs one (its caller-death watch), and counting it sent every
# OR-Tools run of a pair in workers to a nested worker start (0.6-1 s, where HiGHS proved the
# optimum in 10-100 ms)
FORK_SAFE_THREADS = frozenset({"qbdsl-worker-parent", "qbdsl-worker-start"})
# ("qbdsl-worker-start" starts a worker in the background, vfork + exec, then waits on its pipe:
# counting it made a one-thread script look threaded for the 0.5-1 s of each start after a killed
# worker call, and OR-Tools calls were refused for a worker start instead of forking in 30 ms)


def other_threads() -> int:
    """Threads of this process besides the calling one that make forking unsafe (all but
    :data:`FORK_SAFE_THREADS`)."""
    me = threading.current_thread()
    return sum(1 for t in threading.enumerate() if t is not me and t.name not in FORK_SAFE_THREADS)


PR_SET_PDEATHSIG = 1  # linux/prctl.h
ORPHAN_POLL = 0.05  # seconds between a forked child's looks at its parent where prctl is missing


def die_with_parent(parent: int) -> None:
    """End this forked child when ``parent`` dies: at once through ``PR_SET_PDEATHSIG`` on
    Linux, else by a thread that looks every :data:`ORPHAN_POLL` s. A child forked by a worker
    process outlived the worker when a pair's cancel killed it: HiGHS ran on as an orphan, and
    one whose answer filled the pipe waited forever to write it."""
    import signal

    try:
        import ctypes

        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL)) != 0:
            raise OSError
    except (OSError, AttributeError):  # not Linux: look for the parent instead
        exit_when_orphaned(parent, ORPHAN_POLL, "qbdsl-orphan-watch")
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)


def exit_when_orphaned(parent: int, poll: float, name: str) -> None:
    """A daemon thread ``name`` that ends this process once ``parent`` is no longer its parent
    (it died and the process was re-parented), looking every ``poll`` seconds."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(0)

    threading.Thread(target=watch, name=name, daemon=True).start()


def _child(conn, fn, args, parent: int | None = None, other_end=None) -> None:
    gc.disable()  # a one-shot timed call: no collection's pause inside it (budget.pause_gc)
    if other_end is not None:  # the parent's end: a child holding it would block writing to a dead reader
        other_end.close()
    if parent is not None:
        die_with_parent(parent)
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 -- everything goes back to the parent
        conn.send(("error", (type(exc).__name__, str(exc), traceback.format_exc())))
    finally:
        conn.close()
        os._exit(0)


def call_with_deadline(
    fn: Callable[..., Any], args: tuple, deadline: float, cancel: threading.Event | None = None
) -> Any:
    """``fn(*args)`` in a child process; its result, or :class:`Killed` at ``deadline``.

    Parameters
    ----------
    fn, args
        The call: a module-level function, and arguments and a result that pickle (they
        cross a pipe to a worker process when this process runs other threads).
    deadline : float
        A ``time.perf_counter()`` instant; ``inf`` waits as long as it takes.
    cancel : threading.Event, optional
        Set by another thread to stop the call early (checked every 10 ms; then as at the
        deadline). Only another thread can set it, so the call runs in a worker process then.

    Raises
    ------
    Killed
        The child had not answered by the deadline, or ``cancel`` was set (it is killed; a forked
        child is reaped at the next process start, a worker's at once).
    RuntimeError
        The child raised (the message names the exception) or died without answering.
    """
    if not ISOLATED:
        return fn(*args)
    if cancel is None:
        cancel = getattr(_CALLER, "cancel", None)  # the thread's own (cancelled_by), e.g. a pair's run
    if cancel is None and not _WORKERS.idle:  # a call with a cancel event or an idle worker goes to a worker anyway
        settle_pair_threads(deadline)
    if _WORKERS.idle or other_threads() or cancel is not None:
        return _WORKERS.call(fn, args, deadline, cancel)
    return _forked(fn, args, deadline)


_CALLER = threading.local()  # per thread: the cancel event its calls take when given none (cancelled_by)


@contextlib.contextmanager
def cancelled_by(event: threading.Event):
    """Within the block, every :func:`call_with_deadline` of this thread that names no ``cancel``
    event takes ``event``: setting it from another thread kills the call's child. ``qb.solve``'s
    pair threads run so (:func:`qbdsl.solve._in_threads`): a raced OR-Tools run, whose backend
    makes its own isolated call, used to run on in its worker to its time limit after the
    sampler beside it had answered, holding a core and its worker.

    Parameters
    ----------
    event : threading.Event
        The event this thread's calls are killed by once it is set.
    """
    before = getattr(_CALLER, "cancel", None)
    _CALLER.cancel = event
    try:
        yield
    finally:
        _CALLER.cancel = before


def cancelled() -> bool:
    """Whether this thread's cancel event (:func:`cancelled_by`) is set: a pair's run whose answer
    is no longer waited for. The samplers that run in threads (annealing, tabu, the penalty
    search) read it between reads, calls and rounds and stop, rather than run on to their time
    limit on a core the next solve needs."""
    event = getattr(_CALLER, "cancel", None)
    return event is not None and event.is_set()


# qb.solve's pair threads (qbdsl.solve._in_threads) whose answer was not waited for end at their own
# time limit, a few ms later; while one runs, this process has threads and may not fork
PAIR_THREADS: list[threading.Thread] = []
SETTLE_SECONDS = 0.05  # the most a call waits for them, and at most SETTLE_SHARE of its time left
SETTLE_SHARE = 0.2


def settle_pair_threads(deadline: float) -> None:
    """Wait for the pair threads a previous ``qb.solve`` left running to end, at most
    :data:`SETTLE_SECONDS` and :data:`SETTLE_SHARE` of the time to ``deadline`` (a
    ``time.perf_counter()`` instant): a left thread would send this call to a worker process
    (forking is unsafe beside threads), whose start costs 0.6 s (a 5 s OR-Tools pair took 1.9 s
    instead of 0.2 s after a 0.05 s pair had left a thread)."""
    PAIR_THREADS[:] = [t for t in PAIR_THREADS if t.is_alive()]
    if not PAIR_THREADS or threading.current_thread() in PAIR_THREADS:  # a pair's run waits for no sibling
        return
    end = time.perf_counter() + min(SETTLE_SECONDS, SETTLE_SHARE * max(0.0, deadline - time.perf_counter()))
    me = threading.current_thread()
    for t in list(PAIR_THREADS):
        if t is not me:  # a pair thread calling here would wait for itself
            t.join(max(0.0, end - time.perf_counter()))
    PAIR_THREADS[:] = [t for t in PAIR_THREADS if t.is_alive()]


def startup_seconds(calls: int = 1) -> float:
    """What starting children may cost the next ``calls`` concurrent calls: 0 when they will
    fork or reuse idle workers (a parallel pair needs two: one idle worker is not enough)."""
    if not ISOLATED or not other_threads() or _WORKERS.idle_count >= calls:
        return 0.0
    return _WORKERS.start_seconds


def idle_workers() -> int:
    """Worker processes started and waiting for a call."""
    return _WORKERS.idle_count


def starting_workers() -> bool:
    """Whether a worker is being started in the background (:func:`prewarm`)."""
    return _WORKERS.starting


def prewarm(workers: int = 1, always: bool = False) -> None:
    """Start workers in the background, up to ``workers`` idle ones, for a later call (after a
    call refused because starting one would not fit its time limit); with ``always``, also in a
    process that runs one thread (where a call would otherwise fork: an idle worker is cheaper)."""
    if ISOLATED and (always or other_threads()):
        _WORKERS.prewarm(workers)


def _wait(deadline: float) -> float | None:
    return None if deadline == math.inf else max(0.0, deadline - time.perf_counter())


def _forked(fn, args, deadline: float):
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork in threaded programs
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=_child, args=(send, fn, args, os.getpid(), recv), daemon=True)
        proc.start()
    send.close()
    killed = False
    try:
        if not recv.poll(_wait(deadline)):
            proc.kill()
            killed = True
            raise Killed
        try:
            kind, value = recv.recv()
        except EOFError:
            proc.join()
            raise RuntimeError(f"the solver process died without answering (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        # a killed child is not waited for: its exit (unmapping its copy of this process) took 3.8 ms
        # median past the deadline here (a 400 MB parent); multiprocessing reaps it at the next
        # process start, or at exit
        if not killed:
            proc.join(5)
            if proc.is_alive():  # pragma: no cover -- only if the child ignored SIGKILL's reaping
                proc.kill()
    return _unwrap(kind, value)


def _unwrap(kind: str, value):
    if kind == "error":
        name, message, _ = value
        raise RuntimeError(f"{name}: {message}")
    return value


# ---------------------------------------------------------------- worker processes
_HEADER = struct.Struct(">Q")


def write_frame(stream, obj) -> None:
    """A length-prefixed pickle on ``stream`` (the worker protocol)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream):
    """The next frame from ``stream``; EOFError when it closed."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


# solver libraries a worker imports before it says "ready" when this process has them loaded
# (anneal.preload): a job handed to a fresh worker must not pay the import the caller paid once
# (parallel anneal runs in workers were refused at 0.05 s: "importing dwave-samplers ... 0.6 s";
# a worker imports OR-Tools' model builder itself)
WORKER_PRELOADS = ("dwave.samplers",)
CANCEL_POLL = 0.01  # seconds between looks at a call's cancel event


_UNREAPED: list[subprocess.Popen] = []  # killed workers whose exit was not waited for


def _reap() -> None:
    """Collect the exit of the killed workers that have exited (no zombie is left behind)."""
    _UNREAPED[:] = [p for p in _UNREAPED if p.poll() is None]


class _Worker:
    def __init__(self, deadline: float = math.inf, cancel: threading.Event | None = None):
        """Start a worker and wait for its "ready" until ``deadline`` (a ``time.perf_counter()``
        instant) or ``cancel`` (looked at every :data:`CANCEL_POLL` s): then the half-started
        worker is killed and :class:`Killed` raised. Under load a start took 4.6 s, and a call
        with a 0.5 s deadline waited for all of it."""
        _reap()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        preload = [m for m in WORKER_PRELOADS if m in sys.modules]
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qbdsl.backends.worker", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._await_answer(deadline, cancel)
        try:
            kind, _ = read_frame(self.proc.stdout)  # "ready", once its imports are done
        except EOFError:
            raise RuntimeError(f"the solver worker did not start (exit code {self.proc.wait()})") from None
        self.start_seconds = time.perf_counter() - t

    def call(self, fn, args, deadline: float, cancel: threading.Event | None = None):
        write_frame(self.proc.stdin, (fn.__module__, fn.__qualname__, args))
        self._await_answer(deadline, cancel)
        try:
            kind, value = read_frame(self.proc.stdout)
        except EOFError:
            code = self.proc.wait()
            raise RuntimeError(f"the solver process died without answering (exit code {code})") from None
        return kind, value

    def _await_answer(self, deadline: float, cancel: threading.Event | None) -> None:
        """Wait until the worker has something to read, or kill it (its exit not waited for: 7-12 ms
        here, all of it on the answer) and raise :class:`Killed` at ``deadline`` or ``cancel``."""
        while True:
            wait = _wait(deadline)
            step = wait if cancel is None else (CANCEL_POLL if wait is None else min(wait, CANCEL_POLL))
            if select.select([self.proc.stdout], [], [], step)[0]:
                return
            if (cancel is not None and cancel.is_set()) or (wait is not None and wait <= step):
                self.close(wait=False)
                raise Killed

    def close(self, wait: bool = True) -> None:
        self.proc.kill()
        if wait:
            self.proc.wait()
        else:  # reaped by the next close or worker start (_reap)
            _UNREAPED.append(self.proc)
        _reap()


class _Workers:
    """Idle worker processes, reused across calls; one per concurrent call."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._starting = False
        self.start_seconds = WORKER_START_SECONDS

    @property
    def idle(self) -> bool:
        return bool(self._idle)

    @property
    def starting(self) -> bool:
        return self._starting

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    def _new(self, deadline: float = math.inf, cancel: threading.Event | None = None) -> _Worker:
        worker = _Worker(deadline, cancel)
        self.start_seconds = max(worker.start_seconds, 0.5 * self.start_seconds)
        return worker

    def prewarm(self, workers: int = 1) -> None:
        with self._lock:
            if len(self._idle) >= workers or self._starting:
                return
            self._starting = True

        def start():
            try:
                while len(self._idle) < workers:  # one at a time: each start is two cores' work
                    worker = self._new()
                    with self._lock:
                        self._idle.append(worker)
            except (RuntimeError, OSError):
                pass
            finally:
                self._starting = False

        threading.Thread(target=start, name="qbdsl-worker-start", daemon=True).start()

    def call(self, fn, args, deadline: float, cancel: threading.Event | None = None):
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        try:
            if worker is None or worker.proc.poll() is not None:
                worker = None
                worker = self._new(deadline, cancel)
            kind, value = worker.call(fn, args, deadline, cancel)
        except Killed:  # (the worker was killed, its exit not waited for)
            # the next call would otherwise start one (0.5-1 s): refused under a shorter limit
            self.prewarm(1)
            raise
        except (RuntimeError, OSError):
            if worker is not None:  # (None: the start failed, and said so)
                worker.close()
            raise
        with self._lock:
            self._idle.append(worker)
        return _unwrap(kind, value)


_WORKERS = _Workers()
