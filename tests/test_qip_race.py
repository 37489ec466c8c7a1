"""Races: a prover (a backend that can prove the user's optimum) run beside a chosen heuristic,
to end the solve early with a proof; the heuristic's answer stops it (uncertain.choose's
``provers``, the evaluation's scoring, qb.solve's pair runners)."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.backends.budget import Budget, grace
from qbdsl.errors import ModelError
from qbdsl.ir.terms import QuboTerms
from qbdsl.qip import costmodel as cm
from qbdsl.qip import uncertain
from qbdsl.qip.uncertain import choose
from qbdsl.qip.variants import proves

from .pair_fakes import fake_backend


def P(backend, q, t50, p_meet=0.99, *, t90=None, qlow=None):
    return cm.Prediction(
        backend, 1.0, True, t50, t90 or t50 * 1.5, p_meet, p_meet, q, q - 0.01 if qlow is None else qlow, 0.01
    )


# ---- which backends prove --------------------------------------------------------------------


def test_provers_are_the_exact_backends_that_solve_the_users_objective():
    assert proves("ortools", 5, 3)  # a MILP solver proves the model's own optimum, rows or not
    assert proves("exact", 0, 0)  # enumeration of a QUBO without penalty blocks
    assert not proves("exact", 2, 0)  # a penalty QUBO's optimum is another objective's
    assert not proves("exact", 0, 1)  # an integer's one-hot encoding brings a penalty block
    assert not proves("anneal", 0, 0) and not proves("anneal+tuned", 0, 0) and not proves("tabu", 0, 0)
    assert not proves("no-such-backend", 0, 0)


# ---- the rule --------------------------------------------------------------------------------


def test_a_quick_prover_races_a_heuristic_chosen_alone():
    heur, prover = P("anneal", 0.999, 0.05), P("ortools", 0.9, 0.12)
    ch = choose([heur, prover], 0.5, cores=2, provers={"ortools"})
    assert ch.backend == "anneal" and ch.parallel == ("anneal", "ortools") and ch.race
    assert "Racing ortools" in ch.reason and "stops it" in ch.reason
    # 0.12 s is not below 2x 0.05 s: no race at that ratio; none with races off or one core
    assert not choose([heur, prover], 0.5, cores=2, provers={"ortools"}, race_ratio=2.0).race
    for kw in ({"race_ratio": 0}, {"cores": 1}, {"provers": ()}):
        ch = choose([heur, prover], 0.5, **{"cores": 2, "provers": {"ortools"}, **kw})
        assert not ch.race and ch.parallel == ()


def test_no_race_beside_a_prover_a_pair_or_under_the_floors():
    prover = P("ortools", 0.999, 0.05)
    # the chosen backend proves itself: nothing to race
    ch = choose([prover, P("exact", 0.99, 0.06)], 0.5, cores=2, provers={"ortools", "exact"})
    assert ch.backend == "ortools" and not ch.race
    # a quality pair takes the second core (the two heuristics are too close to tell apart)
    a, b = P("anneal", 0.99, 0.2, t90=0.9), P("tabu", 0.985, 0.25, t90=0.9)
    ch = choose([a, b, P("ortools", 0.5, 0.1)], 1.0, cores=2, provers={"ortools"})
    assert ch.parallel == ("anneal", "tabu") and not ch.race
    # under the pair deadline, or beside a run shorter than two process starts, no race
    heur = P("anneal", 0.999, 0.01, t90=0.02)
    assert not choose([heur, P("ortools", 0.9, 0.01)], 0.5, cores=2, provers={"ortools"}).race
    assert not choose([P("anneal", 0.999, 0.04), P("ortools", 0.9, 0.03)], 0.1, cores=2, provers={"ortools"}).race
    # the fastest of two quick provers is raced
    ch = choose([P("anneal", 0.999, 0.1), P("ortools", 0.8, 0.2), P("exact", 0.7, 0.15)], 1.0, cores=2,
                provers={"ortools", "exact"})  # fmt: skip
    assert ch.parallel == ("anneal", "exact") and ch.race


def test_a_sampler_beside_ortools_own_process_has_no_floor():
    """A pair of a backend that runs in a thread and one that runs in a child process of its own
    anyway (OR-Tools) starts no process the two alone would not: it may race at 0.05 s, where a
    pair of two solver processes may not."""
    heur, prover = P("anneal+tuned", 0.95, 0.04), P("ortools", 0.9, 0.03)
    kw = {"cores": 2, "provers": {"ortools"}}
    assert not choose([heur, prover], 0.05, **kw).race  # two processes under the pair floor
    ch = choose([heur, prover], 0.05, in_thread={"anneal+tuned"}, in_child={"ortools"}, **kw)
    assert ch.race and ch.parallel == ("anneal+tuned", "ortools")
    # one in a child beside one that is not in a thread: still two processes
    assert not choose([heur, prover], 0.05, in_child={"ortools"}, **kw).race
    assert not choose([heur, prover], 0.05, in_child={"ortools", "anneal+tuned"}, **kw).race
    # a close pair (not a race) in the same set-up, with the reason saying how it runs
    a, b = P("anneal+tuned", 0.9, 0.03, t90=0.2, qlow=0.6), P("ortools", 0.89, 0.04, t90=0.2, qlow=0.6)
    ch = choose([a, b], 0.05, cores=2, in_thread={"anneal+tuned"}, in_child={"ortools"})
    assert ch.parallel == ("anneal+tuned", "ortools") and not ch.race
    assert "beside ortools's own solver process" in ch.reason
    with pytest.raises(ModelError, match="in_child must be a collection of backend names"):
        choose([a, b], 0.05, in_child="ortools")


def test_an_extrapolated_choice_runs_beside_the_runner_up():
    """A prediction leaning on the shipped profile (an instance outside the fitted runs) is no
    ranking to trust: the runner-up runs beside it, though slower and not close in quality."""
    tabu, tuned = P("tabu", 0.8, 1.0, qlow=0.75), P("anneal+tuned", 0.66, 4.8, qlow=0.6)
    assert choose([tabu, tuned], 5.0, cores=2).parallel == ()  # inside the training range
    far = dataclasses.replace(tabu, prior_weight=0.6)
    ch = choose([far, tuned], 5.0, cores=2)
    assert ch.parallel == ("tabu", "anneal+tuned") and "outside the runs" in ch.reason and not ch.race
    assert choose([far, tuned], 5.0, cores=1).parallel == ()
    assert choose([dataclasses.replace(tabu, prior_weight=0.4), tuned], 5.0, cores=2).parallel == ()
    # never one algorithm twice
    twin = P("anneal", 0.7, 4.0, qlow=0.65)
    assert choose([far, tuned], 5.0, cores=2, same={frozenset(("tabu", "anneal+tuned"))}).parallel == ()
    assert choose([far, tuned, twin], 5.0, cores=2, same={frozenset(("tabu", "anneal+tuned"))}).parallel == (
        "tabu",
        "anneal",
    )


def test_a_pair_in_threads_whose_set_ups_fill_the_deadline_does_not_run():
    """Two runs in threads of one process set up one after the other: tabu and the tuned
    annealer on a k-path model of 574 000 couplers need about 0.29 s and 0.1 s before any answer,
    too much of a 0.5 s deadline for both; at 5 s the pair runs."""
    tabu, tuned = P("tabu", 0.8, 0.4, qlow=0.5), P("anneal+tuned", 0.79, 0.45, qlow=0.5)
    both = {"tabu", "anneal+tuned"}
    heavy = {"tabu": 0.1, "anneal+tuned": 0.29}
    assert choose([tabu, tuned], 0.5, cores=2, in_thread=both).parallel == ("tabu", "anneal+tuned")
    ch = choose([tabu, tuned], 0.5, cores=2, in_thread=both, startup=heavy)
    assert ch.parallel == () and "set-ups" in ch.reason
    assert choose([tabu, tuned], 5.0, cores=2, in_thread=both, startup=heavy).parallel == ("tabu", "anneal+tuned")
    # a pair in processes sets up on two cores: the rule is for threads only
    assert choose([tabu, tuned], 0.5, cores=2, startup=heavy).parallel == ("tabu", "anneal+tuned")


def test_bad_provers_and_race_ratio_are_refused():
    with pytest.raises(ModelError, match="provers must be a collection of backend names"):
        choose([P("anneal", 0.9, 0.1)], 1.0, provers="ortools")
    with pytest.raises(ModelError, match="race_ratio must be a finite number >= 0"):
        choose([P("anneal", 0.9, 0.1)], 1.0, race_ratio=-1.0)
    for bad in ([1, 2], "x", 5, {"anneal": "x"}, {"anneal": -5.0}, {"anneal": float("nan")}, {1: 0.1}):
        with pytest.raises(ModelError, match="startup must map backend names to seconds >= 0"):
            choose([P("anneal", 0.9, 0.1)], 1.0, startup=bad)


# ---- the scoring ------------------------------------------------------------------------------


def test_a_race_is_scored_as_stopped_by_the_proof_or_by_the_heuristics_answer():
    """The prover's proof ends the solve when it comes first; the heuristic's answer otherwise
    (the prover stopped, its later proof not waited for); the prover's answer when the heuristic
    failed."""
    d = cm.DECISION_SECONDS
    base = {"family": "f", "instance": "i", "deadline": 1.0, "oracle": "ortools", "qip": "anneal",
            "qip_choice": "anneal", "reason": "", "measured": ["anneal", "ortools"],
            "qip_parallel": ("anneal", "ortools"), "qip_race": True, "proven": ["ortools"]}  # fmt: skip
    first = {**base, "runs": {"anneal": (0.95, 0.2), "ortools": (1.0, 0.05)}}
    later = {**base, "oracle": "anneal", "runs": {"anneal": (0.95, 0.2), "ortools": (1.0, 0.6)}}
    unproven = {**first, "proven": []}  # ortools answered first but proved nothing: anneal's answer
    failed = {**base, "runs": {"ortools": (1.0, 0.6)}}
    for case, want in (
        (first, (1.0, 0.05 + d)),
        (later, (0.95, 0.2 + d)),
        (unproven, (0.95, 0.2 + d)),
        (failed, (1.0, 0.6 + d)),
    ):
        got = {r["policy"]: r for r in cm.score_cases([case], ["anneal", "ortools"])}["qip-parallel"]
        assert (got["quality"], got["time"]) == pytest.approx(want)
    # the same pair without the race flag waits for both (the later proof, the better answer)
    pair = {**later, "qip_race": False}
    got = {r["policy"]: r for r in cm.score_cases([pair], ["anneal", "ortools"])}["qip-parallel"]
    assert (got["quality"], got["time"]) == pytest.approx((1.0, 0.6 + d))


# ---- the runners ------------------------------------------------------------------------------


def _preps(kinds, release):
    return [
        SimpleNamespace(name=k, be=fake_backend(k, release), ir=None, same_objective=True, t1=time.perf_counter())
        for k in kinds
    ]


@pytest.mark.parametrize("runner", ["fork", "thread", "worker", "mixed"])
def test_the_chosen_runs_answer_stops_the_raced_prover(runner, monkeypatch):
    """With ``ends=0`` the first job's answer stops the second at once (RACED), where a plain pair
    waits for it until the time limit; a proof from the second stops the first (PROVED); a failed
    first job leaves the second to run."""
    from qbdsl.backends import isolate

    solve_mod = sys.modules["qbdsl.solve"]
    if runner in ("fork", "mixed") and not isolate.ISOLATED:
        pytest.skip("no fork on this platform")
    release = threading.Event()
    if runner == "worker":  # the worker call replaced by one that runs the fake backend or waits for its cancel

        def fake_call(fn, args, stop, cancel):
            name = args[0]
            if name == "slow":
                while not cancel.is_set():
                    if time.perf_counter() >= stop:
                        raise isolate.Killed
                    time.sleep(0.005)
                raise isolate.Killed
            return _preps([name], release)[0].be.solve(None)

        monkeypatch.setattr(isolate, "call_with_deadline", fake_call)
    mixed = lambda jobs, budget, ends: solve_mod._in_threads(jobs, budget, ends=ends, forked=[1])  # noqa: E731
    run = {"fork": solve_mod._fork_all, "thread": solve_mod._in_threads, "worker": solve_mod._in_workers,
           "mixed": mixed}[runner]  # fmt: skip
    try:
        for kinds, ends, want_status, by in (
            (("quick", "slow"), 0, solve_mod.RACED, 0.05),
            (("quick", "slow"), None, None, 0.3 * (1 + uncertain.IN_HAND_WAIT)),
            (("slow", "proof"), 0, solve_mod.PROVED, 0.05),
        ):
            budget = Budget(0.3, "solve")
            jobs = [(p, 0.3, budget, 0, {}) for p in _preps(kinds, release)]
            t = time.perf_counter()
            got = run(jobs, budget, ends=ends)
            wall = time.perf_counter() - t
            stopped = 1 if kinds[0] == "quick" else 0
            assert got[1 - stopped][0].status in ("feasible", "optimal") and got[stopped][0] is None
            assert got[stopped][2] == want_status, (runner, kinds, ends, got)
            assert by - 0.02 <= wall < by + 0.25, (runner, kinds, ends, wall)
        if runner != "worker":  # a failed chosen run: the prover is waited for (until the pair's stop here)
            budget = Budget(0.3, "solve")
            jobs = [(p, 0.3, budget, 0, {}) for p in _preps(("broken", "slow"), release)]
            got = run(jobs, budget, ends=0)
            assert "no answer" in str(got[0][2]) and got[1][2] is None
    finally:
        release.set()


def test_answers_that_come_in_together_are_all_kept(monkeypatch):
    """A parent that wakes late finds both answers in: each is read (a proof or a race's answer
    stops only runs still going; it used to stop the other's answer already in hand, a KeyError)."""
    import multiprocessing.connection as mc

    from qbdsl.backends import isolate

    if not isolate.ISOLATED:
        pytest.skip("no fork on this platform")
    solve_mod = sys.modules["qbdsl.solve"]
    real_wait = mc.wait

    def late_wait(objs, timeout=None):  # a busy machine: both children answered before this wakes
        time.sleep(0.15)
        return real_wait(objs, timeout)

    monkeypatch.setattr(mc, "wait", late_wait)
    release = threading.Event()
    try:
        for kinds, ends in ((("quick", "quick"), 0), (("quick", "proof"), None), (("proof", "quick"), None)):
            budget = Budget(1.0, "solve")
            got = solve_mod._fork_all([(p, 1.0, budget, 0, {}) for p in _preps(kinds, release)], budget, ends=ends)
            assert [g[0].status for g in got] == ["optimal" if k == "proof" else "feasible" for k in kinds], got
            assert all(g[2] is None for g in got)
    finally:
        release.set()


def test_highs_integer_noise_is_rounded_before_decoding():
    """HiGHS's solution files print binaries as 3e-13 or 0.9999999999999: a time-limited QUBO solve
    through OR-Tools failed to decode them ("a QUBO sample must be 0/1"); within the MIP
    tolerance they are rounded, a fractional value of a continuous column is kept."""
    from qbdsl.backends.ortools_backend import INTEGER_TOLERANCE, _snap_integers

    x = np.array([3e-13, 0.9999999999999, 1.0 - 0.5 * INTEGER_TOLERANCE, 0.4, 2.5e-13, 0.3])
    integer = np.array([True, True, True, True, False, False])
    got = _snap_integers(x, integer)
    assert got.tolist() == [0.0, 1.0, 1.0, 0.4, 2.5e-13, 0.3] and x[0] == 3e-13  # a copy


def test_qb_solve_runs_a_race_and_reports_it(monkeypatch):
    """End to end: a race proposed by the rule (forced here) runs both, returns a right answer
    within the time limit, and says which run stopped the other."""
    solve_mod = sys.modules["qbdsl.solve"]
    real = uncertain.choose

    def racing(preds, deadline, *a, **kw):
        ch = real(preds, deadline, *a, **kw)
        return dataclasses.replace(ch, backend="anneal", parallel=("anneal", "ortools"), race=True)

    monkeypatch.setattr(uncertain, "choose", racing)
    from qbdsl.backends.anneal import preload

    preload()  # the sampler's first import (0.6 s) is not what this test times
    # threads an earlier test left in this process send a pair to worker processes: have two
    # idle ones, as the benchmark harness does (else the pair is skipped for their start-up)
    from qbdsl.qip.benchmark import _warm_solver_worker

    _warm_solver_worker(workers=2)
    rng = np.random.default_rng(7)
    n = 12
    i, j = np.triu_indices(n, 1)
    h, J = rng.integers(-5, 6, size=n).astype(float), rng.integers(-5, 6, size=len(i)).astype(float)
    qubo = qb.QuboIR.from_terms(QuboTerms.from_coo(n, h, i, j, J))
    X = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    best = float(np.min(X @ h + (X[:, i] * X[:, j]) @ J))
    t = time.perf_counter()
    r = qb.solve(qubo, time_limit=1.0, deadline=1.0, seed=1)
    wall = time.perf_counter() - t
    assert wall <= 1.0 + grace(1.0)
    assert r.decision.race and r.decision.parallel == ("anneal", "ortools")
    assert "race: ortools runs beside anneal" in r.decision.explain()
    assert "parallel" in r.info, r.info.get("parallel_skipped")
    runs = {p["backend"]: p for p in r.info["parallel"]}
    assert set(runs) == {"anneal", "ortools"}
    if runs["ortools"]["status"] == solve_mod.RACED:  # anneal answered first: its answer, ortools stopped
        assert r.backend == "anneal" and runs["anneal"]["status"] != solve_mod.PROVED
    else:  # ortools proved first (anneal stopped), or both answers came in one wait (both read)
        assert runs["anneal"]["status"] in (solve_mod.PROVED, "feasible", "time_limit"), runs
        assert str(r.status) == "optimal" and r.objective == pytest.approx(best)
    assert r.objective >= best - 1e-9


def test_the_thread_pairs_script_refuses_bad_input_in_one_line(tmp_path, capsys):
    """scripts/qip_thread_pairs.py (the end-to-end evidence for THREAD_SETUP_SHARE): a missing runs
    file, a bad deadline or a runs file without the family's instances: one line, exit 2."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "qip_thread_pairs.py"
    spec = importlib.util.spec_from_file_location("qip_thread_pairs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    runs = tmp_path / "runs.csv"
    runs.write_text("family,instance,deadline,backend,seconds,objective,feasible,status,best\n"
                    "tiny,tiny-9-8,0.5,exact,0.01,-36,True,optimal,-36\n")  # fmt: skip
    out = str(tmp_path / "o.csv")
    for argv, words in (
        (["--runs", str(tmp_path / "nope.csv"), "--out", out], "nope.csv"),
        (["--runs", str(runs), "--out", out, "--deadline", "-1"], "--deadline must be positive"),
        (["--runs", str(runs), "--out", out], "no kpath instance of test6 has a best value"),
    ):
        assert mod.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("qip_thread_pairs: error: ") and words in err and "Traceback" not in err, err


def test_a_pair_let_under_the_floor_runs_alone_when_other_threads_run(monkeypatch):
    """The rule lets a sampler and OR-Tools pair under 0.25 s because OR-Tools is forked beside
    the sampler's thread; with other threads in the caller forking is unsafe and the pair would
    take two worker processes: the chosen backend runs alone, and the result says why."""
    real = uncertain.choose

    def pairing(preds, deadline, *a, **kw):
        ch = real(preds, deadline, *a, **kw)
        return dataclasses.replace(ch, backend="anneal", parallel=("anneal", "ortools"), race=True)

    monkeypatch.setattr(uncertain, "choose", pairing)
    from qbdsl.backends import isolate
    from qbdsl.backends.anneal import preload

    preload()  # the sampler's first import (0.6 s) is not what this test is about
    monkeypatch.setattr(isolate, "idle_workers", lambda: 0)  # (one an earlier test left would carry the pair)
    rng = np.random.default_rng(3)
    n = 10
    i, j = np.triu_indices(n, 1)
    qubo = qb.QuboIR.from_terms(QuboTerms.from_coo(n, rng.normal(size=n), i, j, rng.normal(size=len(i))))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        r = qb.solve(qubo, time_limit=0.2, deadline=0.2, seed=1)
    finally:
        stop.set()
    assert "parallel" not in r.info and r.backend == "anneal"
    assert "other threads run in this process" in r.info["parallel_skipped"]


ORPHAN = """
import os, signal, sys, threading, time
sys.path.insert(0, {tests!r})
from types import SimpleNamespace
from qbdsl.backends.budget import Budget
from pair_fakes import fake_backend
solve_mod = sys.modules["qbdsl.solve"] if "qbdsl.solve" in sys.modules else __import__("qbdsl.solve").solve
prep = SimpleNamespace(name="slow", be=fake_backend("slow", threading.Event()), ir=None, same_objective=True,
                       t1=time.perf_counter())
proc, conn = solve_mod._fork_one((prep, 30.0, Budget(30.0), 0, {{}}))
print(proc.pid, flush=True)
time.sleep(0.3)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_forked_pair_run_dies_with_its_parent():
    """A pair's forked run ends when the process that forked it is killed (it held the pipe's
    reading end and no parent-death signal: a run whose parent was SIGKILLed lived on)."""
    import subprocess
    from pathlib import Path

    from qbdsl.backends import isolate

    if not isolate.ISOLATED or not os.path.isdir("/proc/self"):
        pytest.skip("forks, and reads process states from /proc")
    tests = str(Path(__file__).resolve().parent)
    # (not subprocess.run: it would wait for the end of the output, which the child holds too)
    proc = subprocess.Popen([sys.executable, "-c", ORPHAN.format(tests=tests)], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline().split()[0])
    proc.wait(60)

    def alive() -> bool:
        try:
            with open(f"/proc/{child}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    end = time.perf_counter() + 3.0  # (without the fix it lives the fake run's 10 s)
    while alive() and time.perf_counter() < end:
        time.sleep(0.02)
    proc.stdout.close()
    assert not alive(), "the forked run outlived its parent"
