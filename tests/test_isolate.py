"""Solver calls in a child process that is killed at the deadline, safely from threads too."""

import math
import os
import threading
import time

import numpy as np
import pytest

from qbdsl.backends import isolate


def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _boom() -> None:
    raise ValueError("no licence")


@pytest.fixture(params=["main thread", "with a BLAS thread"])
def threads(request):
    """The fork path (one Python thread) and the worker-process path (a thread busy in BLAS:
    forking then deadlocked in OpenBLAS's fork handler)."""
    if request.param == "main thread":
        yield 1
        return
    stop = threading.Event()

    def busy():
        a = np.random.default_rng(0).random((400, 400))
        while not stop.is_set():
            a @ a

    th = threading.Thread(target=busy, daemon=True)
    th.start()
    yield 2
    stop.set()
    th.join()


def test_a_call_returns_its_result(threads):
    assert threading.active_count() >= threads
    assert isolate.call_with_deadline(_slow, (0.0,), time.perf_counter() + 30) == "done"
    # a worker is kept for the next call: no start-up to pay then
    assert isolate.call_with_deadline(_slow, (0.0,), time.perf_counter() + 30) == "done"


def test_a_call_past_its_deadline_is_killed_on_time(threads):
    t = time.perf_counter()
    with pytest.raises(isolate.Killed):
        isolate.call_with_deadline(_slow, (30.0,), time.perf_counter() + 0.5)
    assert time.perf_counter() - t < 3.0


def test_an_exception_in_the_child_is_named(threads):
    with pytest.raises(RuntimeError, match="ValueError: no licence"):
        isolate.call_with_deadline(_boom, (), time.perf_counter() + 30)


def test_ortools_from_a_thread_next_to_blas_work_does_not_hang(threads):
    import sys
    from pathlib import Path

    import qbdsl as qb

    sys.path.insert(0, str(Path(__file__).parent.parent))
    from tests.test_time_limits import multi_knapsack

    r = qb.solve(multi_knapsack(), backend="ortools", time_limit=20)
    assert r.status == "optimal" and r.objective == 1718


def test_a_worker_preloads_the_solver_libraries_its_caller_loaded():
    """A worker process starts with what the caller preloaded (dwave-samplers after
    anneal.preload()): an anneal run handed to a fresh worker was refused at a 0.05 s limit
    for an import the caller had already paid."""
    from qbdsl.backends import worker
    from qbdsl.backends.anneal import preload

    preload()
    w = isolate._Worker()
    try:
        kind, value = w.call(worker.loaded, (["dwave.samplers", "qiskit"],), time.perf_counter() + 30)
    finally:
        w.close()
    assert kind == "ok" and value == [True, False]


def test_a_worker_start_past_the_deadline_is_killed_at_it():
    """Starting a worker (a fresh interpreter's imports: 0.3-1 s, 4.6 s under load) is bounded by
    the call's deadline: a 0.5 s call waited for a whole 4.6 s start before it was killed."""
    t = time.perf_counter()
    with pytest.raises(isolate.Killed):
        isolate._Worker(t + 0.02)
    assert time.perf_counter() - t < 0.2
    w = isolate._Worker(time.perf_counter() + 60)  # and in time it starts as before
    try:
        assert w.call(isolate.other_threads, (), time.perf_counter() + 30) == ("ok", 0)
    finally:
        w.close()


def test_a_threads_cancel_event_reaches_calls_that_name_none():
    """Inside cancelled_by(ev) a call that names no cancel event takes ev: setting it from another
    thread kills the child (a pair's OR-Tools run, whose backend makes the call)."""
    ev = threading.Event()
    got = []

    def run():
        with isolate.cancelled_by(ev):
            t = time.perf_counter()
            try:
                isolate.call_with_deadline(_slow, (30.0,), time.perf_counter() + 30)
            except isolate.Killed:
                got.append(time.perf_counter() - t)

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.05)  # (the call is most likely still starting its worker: a start takes 0.3-1 s)
    t_set = time.perf_counter()
    ev.set()
    th.join(10)
    assert got and got[0] < 5.0  # killed at the event, not at 30 s
    assert time.perf_counter() - t_set < 0.3  # a worker start in progress is stopped too (it was not)
    assert getattr(isolate._CALLER, "cancel", None) is None  # the block restores the thread's own


def test_a_worker_forks_its_own_solver_calls():
    """A worker's caller-death watch thread only sleeps: it does not make forking unsafe. Counted,
    it sent the OR-Tools run of every pair in workers to a nested worker start (0.6-1 s)."""
    w = isolate._Worker()
    try:
        kind, value = w.call(isolate.other_threads, (), time.perf_counter() + 30)
    finally:
        w.close()
    assert kind == "ok" and value == 0
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait, name="qbdsl-worker-parent", daemon=True)
    other = threading.Thread(target=stop.wait, daemon=True)
    base = isolate.other_threads()  # earlier tests may have left threads
    watcher.start()
    try:
        assert isolate.other_threads() == base
        other.start()
        assert isolate.other_threads() == base + 1
    finally:
        stop.set()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in fh)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_child_forked_by_a_worker_dies_with_the_worker():
    """A pair's cancel kills the worker; the solver it had forked (OR-Tools' HiGHS) ran on as an
    orphan, and one whose answer filled the pipe blocked forever writing it."""
    import subprocess

    w = isolate._Worker()
    pid = w.proc.pid
    out = {}
    caller = threading.Thread(
        target=lambda: out.setdefault("r", _call_quietly(w, pid)), daemon=True
    )  # the worker forks a 30 s child and waits for it
    caller.start()
    children: list[int] = []
    end = time.perf_counter() + 20
    while not children and time.perf_counter() < end:
        time.sleep(0.05)
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        children = [int(c) for c in found]
    assert children, "the worker forked no child"
    w.close()  # SIGKILL, as a pair's cancel does
    end = time.perf_counter() + 5
    while any(_alive(c) for c in children) and time.perf_counter() < end:
        time.sleep(0.05)
    assert not any(_alive(c) for c in children)


def _call_quietly(w, pid):
    try:
        return w.call(isolate.call_with_deadline, (_slow, (30.0,), math.inf), time.perf_counter() + 60)
    except Exception as exc:  # noqa: BLE001 -- the worker is killed under it
        return exc


def test_a_worker_killed_at_its_deadline_is_replaced_in_the_background(threads):
    """OR-Tools' HiGHS is killed at the deadline whenever it overruns its own limit; without a
    replacement the next call would pay a worker start (0.5-1 s) and be refused under a short limit."""
    if threads == 1:
        pytest.skip("the fork path keeps no workers")
    with pytest.raises(isolate.Killed):
        isolate.call_with_deadline(_slow, (30.0,), time.perf_counter() + 0.2)
    end = time.perf_counter() + 20
    while isolate.startup_seconds() > 0 and time.perf_counter() < end:
        time.sleep(0.05)
    assert isolate.startup_seconds() == 0


def test_a_call_is_stopped_when_its_cancel_event_is_set():
    """qb.solve's parallel pair in worker processes: once one run proves its answer optimal, the
    other is stopped (it ran to the deadline before: 1.03 s for a 0.03 s proof at a 5 s limit)."""
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    t = time.perf_counter()
    with pytest.raises(isolate.Killed):
        isolate.call_with_deadline(_slow, (30.0,), time.perf_counter() + 30, cancel)
    assert time.perf_counter() - t < 2.0
    # an event that is never set changes nothing
    assert isolate.call_with_deadline(_slow, (0.0,), time.perf_counter() + 30, threading.Event()) == "done"


PARENT_DIES = """
import os, sys
from qbdsl.backends import isolate
w = isolate._Worker()  # a worker process, ready
isolate.write_frame(w.proc.stdin, ("time", "sleep", (120,)))  # busy: it will not read stdin's end
print(w.proc.pid, flush=True)
os._exit(0)  # the caller dies without closing it
"""


def test_a_worker_exits_when_its_caller_dies():
    """A worker outlives no caller: re-parented, it exits within a few polls even in the middle
    of a call (an end-to-end run had left one blocked on a pipe nobody read)."""
    import subprocess
    import sys

    from qbdsl.backends import worker

    # the worker inherits the caller's stderr: not ours to wait on
    out = subprocess.run(
        [sys.executable, "-c", PARENT_DIES], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60
    )
    pid = int(out.stdout.split()[0])
    wait = 10 * getattr(worker, "PARENT_POLL", 1.0) + 5
    end = time.perf_counter() + wait
    while time.perf_counter() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:  # a zombie of ours would count as alive: reap it if it is our child (it is not)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail(f"worker {pid} still alive {wait:g} s after its caller died")


def test_a_worker_whose_caller_is_gone_exits_without_a_traceback():
    """A prewarmed worker whose caller exits before it says "ready" finds the answers' pipe
    closed: it exits quietly (an end-to-end run's end printed one BrokenPipeError traceback per
    idle worker)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "qbdsl.backends.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the caller's end of the answers: gone before "ready"
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode(errors="replace")
    assert proc.returncode == 0


def test_a_left_pair_thread_is_waited_for_briefly_before_choosing_fork_or_worker():
    """A thread a qb.solve pair left running (it ends at its own time limit, ms later) is joined
    for at most SETTLE_SECONDS and SETTLE_SHARE of the time left, so the next call can fork
    instead of starting a worker process (0.6 s)."""
    for ends_in, time_left, gone in ((0.02, 10.0, True), (0.3, 10.0, False), (0.02, 0.01, False)):
        t = threading.Thread(target=time.sleep, args=(ends_in,), name="qbdsl-pair-test", daemon=True)
        t.start()
        isolate.PAIR_THREADS.append(t)
        start = time.perf_counter()
        isolate.settle_pair_threads(start + time_left)
        waited = time.perf_counter() - start
        assert (not t.is_alive()) == gone and (t in isolate.PAIR_THREADS) == (not gone)
        cap = min(isolate.SETTLE_SECONDS, isolate.SETTLE_SHARE * time_left)
        assert waited <= cap + 0.02, (ends_in, time_left, waited)
        t.join()
    isolate.settle_pair_threads(time.perf_counter() + 1.0)
    assert isolate.PAIR_THREADS == []
    # a pair thread that calls it does not wait for itself
    me = []

    def pair_thread():
        isolate.PAIR_THREADS.append(threading.current_thread())
        isolate.settle_pair_threads(time.perf_counter() + 1.0)
        me.append(1)

    t = threading.Thread(target=pair_thread)
    t.start()
    t.join(5)
    assert me == [1]
    isolate.settle_pair_threads(time.perf_counter() + 1.0)
    assert isolate.PAIR_THREADS == []


def test_a_killed_forked_child_is_not_waited_for_and_is_reaped_by_the_next_start():
    """The fork path returns at the deadline without waiting for the killed child's exit (3.8 ms
    median from a 400 MB parent); the child is a zombie only until the next call starts one.
    Run in a fresh interpreter: the fork path needs a caller without other threads, which
    earlier tests in this process may have left."""
    import subprocess
    import sys

    if not os.path.isdir("/proc/self"):
        pytest.skip("reads process states from /proc")
    script = r"""
import os, time
from qbdsl.backends import isolate

def zombies():
    out = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == os.getpid():
                out.add(int(pid))
    return out

def slow(s):
    time.sleep(s)
    return "done"

assert isolate.ISOLATED and not isolate.other_threads()
after_kill = []
for _ in range(3):
    try:
        isolate.call_with_deadline(slow, (30.0,), time.perf_counter() + 0.05)
    except isolate.Killed:
        # the kill is asynchronous: wait (up to 1 s) for the child to have exited; a child that
        # was waited for is gone, one that was not stays a zombie until the next start reaps it
        end = time.perf_counter() + 1.0
        while not zombies() and time.perf_counter() < end:
            time.sleep(0.005)
        after_kill.append(len(zombies()))
assert isolate.call_with_deadline(slow, (0.0,), time.perf_counter() + 30) == "done"  # its start reaps
print(after_kill, len(zombies()))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    after_kill, left = out.stdout.split("]")
    assert [int(k) for k in after_kill.strip("[ ").split(",")] == [1, 1, 1]  # the one just killed, not waited for
    assert int(left) == 0  # reaped by the next start


def test_an_idle_worker_is_used_before_a_fork():
    """In a process running one thread, a call goes to an idle worker when one is waiting (a
    call to it took 6 ms here, a fork of a process with the solvers imported 27-35 ms), else it
    forks. Run in a fresh interpreter: earlier tests may have left workers or threads here."""
    import subprocess
    import sys

    if not isolate.ISOLATED:
        pytest.skip("no fork on this platform")
    script = r"""
import os, time
from qbdsl.backends import isolate
forked = {isolate.call_with_deadline(os.getpid, (), time.perf_counter() + 30) for _ in range(2)}
isolate.prewarm(1, always=True)
end = time.perf_counter() + 30
while isolate.idle_workers() < 1 and time.perf_counter() < end:
    time.sleep(0.01)
worker = {isolate.call_with_deadline(os.getpid, (), time.perf_counter() + 30) for _ in range(2)}
print(len(forked), len(worker), os.getpid() in forked | worker, isolate.idle_workers())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # two forks: two children; two worker calls: the same worker both times, kept idle after
    assert proc.stdout.split() == ["2", "1", "False", "1"], proc.stdout


def test_a_pair_thread_waits_for_no_sibling():
    """A run of a qb.solve pair calling into this module does not wait for the other run of its
    pair (a sampler's thread beside OR-Tools' would serialize the pair)."""
    sibling = threading.Thread(target=time.sleep, args=(0.3,), name="qbdsl-pair-sibling", daemon=True)
    sibling.start()
    isolate.PAIR_THREADS.append(sibling)
    waited = []

    def pair_run():
        isolate.PAIR_THREADS.append(threading.current_thread())
        t = time.perf_counter()
        isolate.settle_pair_threads(time.perf_counter() + 10.0)
        waited.append(time.perf_counter() - t)

    t = threading.Thread(target=pair_run, name="qbdsl-pair-run")
    t.start()
    t.join(5)
    sibling.join()
    isolate.settle_pair_threads(time.perf_counter() + 1.0)
    assert waited and waited[0] < 0.02 and isolate.PAIR_THREADS == []


def test_a_worker_starting_in_the_background_does_not_make_the_process_threaded():
    """The thread that starts a worker (after a killed worker call, or warm_up) waits on a pipe:
    it does not make forking unsafe, so a one-thread script keeps forking meanwhile (counted, it
    sent OR-Tools calls to a worker start of 0.5-1 s, refused under a short limit)."""
    before = isolate.other_threads()
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="qbdsl-worker-start", daemon=True)
    t.start()
    try:
        assert isolate.other_threads() == before
    finally:
        stop.set()
        t.join()


def test_a_killed_worker_call_does_not_wait_for_the_workers_exit():
    """At its deadline a worker call kills the worker and raises at once (waiting for its exit
    took 7-12 ms, all of it past the deadline); the worker is reaped later."""
    if not isolate.ISOLATED:
        pytest.skip("no fork on this platform")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # a thread: the call goes to a worker
    other.start()
    try:
        isolate.call_with_deadline(_slow, (0.0,), time.perf_counter() + 30)  # a started worker
        waits = []
        real_wait = isolate.subprocess.Popen.wait

        def counting_wait(self, *a, **kw):
            waits.append(self.pid)
            return real_wait(self, *a, **kw)

        isolate.subprocess.Popen.wait = counting_wait
        try:
            with pytest.raises(isolate.Killed):
                isolate.call_with_deadline(_slow, (30.0,), time.perf_counter() + 0.3)
        finally:
            isolate.subprocess.Popen.wait = real_wait
        assert waits == []  # killed, not waited for
    finally:
        stop.set()
        other.join()
