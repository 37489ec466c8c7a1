"""The fitted cost model wired into QIP and ``qb.solve``: decisions under uncertainty, backend
variants, two backends run in parallel within the time limit, and the cost-model commands."""

import csv
import json
import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.backends.budget import grace
from qbdsl.ir.terms import QuboTerms
from qbdsl.qip import VARIANTS, decide, features, load_cost_model, resolve
from qbdsl.qip.costmodel import CostModel, fit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
from slice_placement import build  # noqa: E402


def random_qubo(n: int, seed: int = 0, density: float = 0.3) -> qb.QuboIR:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < density
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(
            n,
            rng.integers(-5, 6, n).astype(float),
            iu[0][keep],
            iu[1][keep],
            rng.integers(-3, 4, int(keep.sum())).astype(float),
        )
    )


def synthetic_rows(spec: dict, sizes=(8, 10, 12, 14), deadlines=(0.5, 1.0, 2.0), reps=6, seed=0) -> list[dict]:
    """Run rows of made-up backends: ``spec[name] = (median s, log spread, share late, quality)``.

    A late run is cut at 1.3 x its deadline (status time_limit, quality 0); the others end
    before 0.85 x the deadline with the given quality. Features are those of random QUBOs.
    """
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        f = {f"f_{k}": v for k, v in features(random_qubo(n, n)).as_dict().items()}
        for d in deadlines:
            for name, (median, spread, p_late, q) in spec.items():
                for _ in range(reps):
                    late = rng.random() < p_late
                    t = 1.3 * d if late else min(0.85 * d, median * math.exp(spread * rng.standard_normal()))
                    out.append(
                        {
                            "family": f"fam{n % 3}",
                            "instance": f"q{n}",
                            "deadline": d,
                            "backend": name,
                            "seconds": t,
                            "objective": 0.0,
                            "feasible": True,
                            "status": "time_limit" if late else "feasible",
                            "best_known": 0.0,
                            "quality": 0.0 if late else q,
                            **f,
                        }
                    )
    return out


# exact: a little worse but always in time; tabu: faster when it finishes, late 40 % of the time
SAFE_VS_RISKY = {"exact": (0.02, 0.1, 0.0, 0.97), "tabu": (0.002, 0.3, 0.4, 1.0)}


@pytest.fixture(scope="module")
def safe_vs_risky() -> CostModel:
    return fit(synthetic_rows(SAFE_VS_RISKY))


def test_the_safe_backend_beats_a_faster_risky_one(safe_vs_risky):
    q = random_qubo(10, 10)
    d = decide(q, deadline=1.0, backends=["exact", "tabu"], cost_model=safe_vs_risky, include_remote=False)
    rows = {r.backend: r for r in d.rows}
    tabu, exact = rows["tabu"], rows["exact"]
    assert tabu.judged_by == exact.judged_by == "cost model"
    assert tabu.predicted_time < exact.predicted_time  # the point estimate prefers tabu...
    assert tabu.p_meet < 0.9 <= exact.p_meet  # ...which misses the deadline too often
    assert d.backend == "exact" and d.parallel == ()
    assert "P(meet) " in tabu.verdict and "below the 0.9 required" in tabu.verdict
    text = d.explain()
    assert "P(meet)" in text and "p90 s" in text and "cost model: given" in text
    assert d.reason in text and "meet the 1 s deadline with P >= 0.9" in d.reason


def test_without_a_model_or_a_deadline_the_profiles_decide_as_before(safe_vs_risky, monkeypatch):
    q = random_qubo(12, 1)
    monkeypatch.setenv("QBDSL_COSTMODEL", "off")
    before = decide(q, deadline=1.0)  # no cost model at all: the profiles' decision
    for d in (
        decide(q, deadline=1.0, cost_model=False),
        decide(q, cost_model=safe_vs_risky),  # no deadline: the model is not consulted
    ):
        assert all(r.judged_by == "profile" and r.p_meet is None for r in d.rows)
        assert d.parallel == () and d.cost_model == "" and "P(meet)" not in d.explain()
    off = decide(q, deadline=1.0, cost_model=False)
    assert (off.backend, off.plan, off.reason) == (before.backend, before.plan, before.reason)
    assert [(r.backend, r.verdict) for r in off.rows] == [(r.backend, r.verdict) for r in before.rows]


def test_the_cost_model_is_found_lazily_and_bad_ones_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("QBDSL_COSTMODEL", raising=False)
    model, note = load_cost_model()
    assert isinstance(model, CostModel) and "costmodel.json" in note  # the shipped one
    d = decide(random_qubo(10, 2), deadline=1.0)
    assert any(r.judged_by == "cost model" for r in d.rows) and "costmodel.json" in d.cost_model
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something-else"}))
    monkeypatch.setenv("QBDSL_COSTMODEL", str(bad))
    with pytest.raises(qb.FileFormatError, match="bad.json: not a qbdsl cost model"):
        decide(random_qubo(10, 2), deadline=1.0)
    monkeypatch.setenv("QBDSL_COSTMODEL", "off")
    assert load_cost_model() == (None, "")
    with pytest.raises(qb.OptionError, match="cost_model must be a CostModel"):
        decide(random_qubo(10, 2), deadline=1.0, cost_model=3)
    with pytest.raises(qb.OptionError, match="confidence must be a probability"):
        decide(random_qubo(10, 2), deadline=1.0, confidence=1.0)
    # importing qbdsl reads no cost model
    code = "import sys, qbdsl; print(any(m.startswith('qbdsl.qip') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_variant_is_chosen_and_runs_with_its_options():
    assert resolve("anneal+tuned") == ("anneal", {"penalty_search": True, "repair": True})
    assert resolve("anneal") == ("anneal", {})
    m = build()  # a constrained model: 12 binaries, equalities and inequalities
    f = {f"f_{k}": v for k, v in features(m).as_dict().items()}
    rows = [
        {**r, **f, "instance": f"{r['instance']}-{k}", "family": f"fam{k % 3}"}
        for k in range(3)
        for r in synthetic_rows({"anneal": (0.05, 0.1, 0.0, 0.8), "anneal+tuned": (0.3, 0.1, 0.0, 1.0)})
    ]
    cm = fit(rows)
    d = decide(m, deadline=2.0, backends=["anneal"], cost_model=cm, include_remote=False)
    rows_ = {r.backend: r for r in d.rows}
    assert rows_["anneal+tuned"].runs_on == "anneal" and rows_["anneal+tuned"].judged_by == "cost model"
    assert d.backend == "anneal" and d.variant == "anneal+tuned" and d.device is None
    assert d.options["backend_options"] == VARIANTS["anneal+tuned"][1]
    assert d.plan[0] == ("anneal", {"penalty_search": True, "repair": True})
    assert "(anneal+tuned)" in d.explain().splitlines()[0]
    r = qb.solve(m, deadline=2.0, cost_model=cm, seed=0)
    assert r.backend == "anneal" and r.options["penalty_search"] is True and r.options["repair"] is True
    assert r.feasible
    named = qb.solve(m, backend="anneal+tuned", time_limit=2.0, seed=0)  # a variant by name
    assert named.options == {"penalty_search": True, "repair": True} and named.feasible
    with pytest.raises(qb.OptionError, match="unknown backend 'anneal\\+nope'"):
        qb.solve(m, backend="anneal+nope")


@pytest.fixture
def weak_variant(monkeypatch):
    """A made-up variant whose answers are poor: one read of one sweep (its runs take
    milliseconds: the pair runs although a real choice that fast would run alone)."""
    import qbdsl.qip.uncertain as uncertain

    monkeypatch.setattr(uncertain, "MIN_PARALLEL_SECONDS", 0.0)
    monkeypatch.setitem(VARIANTS, "anneal+weak", ("anneal", {"num_reads": 1, "num_sweeps": 1}))
    return "anneal+weak"


def _parallel_model(fast: str, slow: str) -> CostModel:
    # the fast one is predicted a hair better, the slow one's time is very uncertain: run both
    return fit(synthetic_rows({fast: (0.005, 0.1, 0.0, 1.0), slow: (0.02, 1.5, 0.0, 0.995)}))


def test_two_backends_in_parallel_return_the_better_answer(weak_variant, monkeypatch):
    import threading

    from qbdsl.qip import uncertain as uncertain_mod

    monkeypatch.setattr(uncertain_mod, "BAND_DEADLINE_SHARE", 0.0)  # the slow one's band is doubt at 2 s

    q = random_qubo(16, 5)
    optimum = qb.solve(q, backend="exact").energy
    weak = qb.solve(q, backend=weak_variant, seed=0)
    assert weak.energy > optimum + 1e-9  # the two really give different answers
    cm = _parallel_model(weak_variant, "exact")
    d = decide(q, deadline=2.0, backends=["exact", "anneal"], cost_model=cm, include_remote=False)
    assert d.backend == "anneal" and d.variant == weak_variant  # the weak one is the first choice
    assert d.parallel == (weak_variant, "exact") and "in parallel" in d.reason
    assert "parallel: anneal+weak and exact run at once" in d.explain()
    # forked when this process runs one thread; with other threads, in worker processes
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    for threaded in (False, True):
        if threaded or threading.active_count() > 1:
            # (inside a full test run earlier tests may have left threads, so even the "unthreaded"
            # pass can take the worker path: it then needs the idle workers too)
            if threaded:
                other.start()
            # two idle workers, as a long-running threaded caller has them (the harness waits for
            # them too): otherwise a pair whose worker starts do not fit the limit runs one backend
            from qbdsl.backends import isolate

            isolate.prewarm(2)
            end = time.perf_counter() + 30
            while isolate.startup_seconds(2) > 0 and time.perf_counter() < end:
                time.sleep(0.01)
        try:
            t = time.perf_counter()
            r = qb.solve(q, deadline=2.0, cost_model=cm, seed=0)
            wall = time.perf_counter() - t
        finally:
            stop.set() if threaded else None
        assert wall <= 2.0 + grace(2.0)
        why = f"threaded={threaded}, threads={threading.active_count()}, backend={r.backend}, info={r.info}"
        assert r.energy == pytest.approx(optimum) and r.backend == "exact", why  # the better of the two
        runs = {p["backend"]: p for p in r.info["parallel"]}
        assert set(runs) == {weak_variant, "exact"} and runs["exact"]["status"] == "optimal"
        assert runs[weak_variant]["runs_on"] == "anneal" and all(p["seconds"] >= 0 for p in runs.values())
        if threaded:
            assert {p["process"] for p in runs.values()} == {"worker"}
    other.join()


def test_a_pair_in_workers_stops_at_ortools_proof_without_a_nested_worker(monkeypatch):
    """In a threaded caller a pair runs in worker processes; OR-Tools inside one forks its HiGHS
    child (the worker's watch thread is safe to fork beside). It used to start a nested worker
    first: knapsacks whose optimum HiGHS proves in 0.05-0.2 s answered in 1.0-1.4 s."""
    import threading

    import qbdsl.qip.uncertain as uncertain
    from qbdsl.backends import isolate

    monkeypatch.setattr(uncertain, "MIN_PARALLEL_SECONDS", 0.0)  # the synthetic tabu is predicted at 5 ms
    from qbdsl.problems.benchmarks import knapsack

    m = knapsack(30, 5)
    cm = _parallel_model("tabu", "ortools")
    d = decide(m, deadline=3.0, backends=["tabu", "ortools"], cost_model=cm, include_remote=False)
    assert set(d.parallel) == {"tabu", "ortools"}, d.reason
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        isolate.prewarm(2)
        end = time.perf_counter() + 30
        while isolate.startup_seconds(2) > 0 and time.perf_counter() < end:
            time.sleep(0.01)
        qb.solve(m, deadline=3.0, cost_model=cm, seed=0)  # the first OR-Tools import in this process
        isolate.prewarm(2)
        while isolate.startup_seconds(2) > 0 and time.perf_counter() < end:
            time.sleep(0.01)
        t = time.perf_counter()
        r = qb.solve(m, deadline=3.0, cost_model=cm, seed=0)
        wall = time.perf_counter() - t
    finally:
        stop.set()
    runs = {p["backend"]: p for p in r.info["parallel"]}
    assert runs["ortools"]["status"] == "optimal" and runs["ortools"]["process"] == "worker", runs
    assert wall < 0.6, (wall, runs)  # measured 0.08-0.25 s; 1.0-1.4 s with the nested worker


STUCK = """
import json, sys, threading, time
sys.path.insert(0, {tests!r})
import qbdsl as qb
import test_qip_costmodel_wiring as w
from qbdsl.backends.anneal import TabuBackend, preload

preload()  # dwave-samplers' first import, outside the timed call

def stuck(self, ir, *, time_limit=None, seed=None, **options):
    time.sleep(60)  # a solver that ignores its time limit

TabuBackend.solve = stuck
if not {in_thread}:  # the forked path: a solver process, killed at the time limit
    import dataclasses
    TabuBackend.capabilities = dataclasses.replace(TabuBackend.capabilities, in_thread=False)
import qbdsl.qip.uncertain
qbdsl.qip.uncertain.MIN_PARALLEL_SECONDS = 0.0  # the made-up pair is fast: let it run in parallel
# a wait into the grace of 2 x 0.5 s: a pair that waited for the stuck run past the time limit
# would return after 1.5 s; one that returns the answer in hand at the limit, after about 0.5 s
sys.modules["qbdsl.solve"].PARALLEL_WAIT = 2.0  # the module (qbdsl.solve is the function)
w.VARIANTS["anneal+weak"] = ("anneal", {{"num_reads": 1, "num_sweeps": 1}})
cm = w._parallel_model("anneal+weak", "tabu")
q = w.random_qubo(16, 5)
d = qb.qip.decide(q, deadline=0.5, backends=["tabu", "anneal"], cost_model=cm, include_remote=False)
t = time.perf_counter()
r = qb.solve(q, deadline=0.5, cost_model=cm, seed=0)
wall = time.perf_counter() - t
print(json.dumps({{"planned": list(d.parallel), "wall": wall, "backend": r.backend, "sample": r.sample is not None,
                  "threads": threading.active_count(), "parallel": r.info.get("parallel")}}))
"""


@pytest.mark.parametrize("in_thread", [False, True], ids=["forked", "threads"])
def test_a_parallel_run_past_its_limit_is_stopped_within_the_promise(tmp_path, in_thread):
    # a fresh interpreter: one thread, so the two runs are forked (the patched solver lives there),
    # or, both backends running in threads, in two threads of it (the stuck one is left behind);
    # isolated (-I) and outside the checkout, as a user runs it: the checkout's top-level
    # `backends` folder is not importable there (an import of it broke every parallel run)
    code = STUCK.format(tests=str(ROOT / "tests"), in_thread=in_thread)
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["planned"] == ["anneal+weak", "tabu"]
    assert got["wall"] <= 0.5 + grace(0.5)  # the time-limit promise
    # once one answer is in hand the late run is stopped at the time limit (+2 %), not in the grace
    assert got["wall"] < 0.5 + 0.4, got["wall"]
    runs = {p["backend"]: p for p in got["parallel"]}
    solve_mod = sys.modules["qbdsl.solve"]
    how, status = ("thread", solve_mod.LEFT) if in_thread else ("fork", solve_mod.KILLED)
    assert runs["tabu"]["status"] == status and {p["process"] for p in runs.values()} == {how}
    assert got["backend"] == "anneal" and got["sample"]


def test_worker_pairs_return_the_answer_in_hand_at_the_time_limit(monkeypatch):
    """The threaded path (worker processes): once one run has answered, the other is cancelled at
    the time limit (and IN_HAND_WAIT of it) instead of running into the grace; a proof cancels it at once. The worker
    call is replaced by one that answers at a set time or waits for its cancel event."""
    import sys as _sys
    from types import SimpleNamespace

    from qbdsl.backends import isolate
    from qbdsl.backends.budget import Budget
    from qbdsl.qip import uncertain as uncertain_mod

    solve_mod = _sys.modules["qbdsl.solve"]
    monkeypatch.setattr(solve_mod, "PARALLEL_WAIT", 4.0)  # stop = limit + 2 s: far from the limit
    answers = {"quick": SimpleNamespace(status="feasible"), "proof": SimpleNamespace(status="optimal")}

    def fake_call(fn, args, stop, cancel):
        name = args[0]
        if name in answers:
            time.sleep(0.05)
            return answers[name]
        while not cancel.is_set():  # a run that would go on until the stop
            if time.perf_counter() >= stop:
                raise isolate.Killed
            time.sleep(0.005)
        raise isolate.Killed

    monkeypatch.setattr(isolate, "call_with_deadline", fake_call)
    in_hand = 0.3 * (1 + uncertain_mod.IN_HAND_WAIT)  # the time limit and the late run's 2 % beyond it
    for first, same, want, by in (("quick", False, solve_mod.KILLED, in_hand), ("proof", True, solve_mod.PROVED, 0.05)):
        budget = Budget(0.3, "solve")
        jobs = [(SimpleNamespace(name=n, ir=None, same_objective=same), 0.3, budget, 0, {}) for n in (first, "slow")]
        t = time.perf_counter()
        got = solve_mod._in_workers(jobs, budget)
        wall = time.perf_counter() - t
        assert got[0][0] is answers[first] and got[1][0] is None
        assert (got[1][2] == solve_mod.PROVED) == (want == solve_mod.PROVED)
        assert by - 0.02 <= wall < by + 0.25, (first, wall)  # not the stop, 2.3 s away
    # a deadline's answer reserve: the runs were given the limit less it, and the late one is
    # cancelled IN_HAND_WAIT past that, not past the time limit (a 0.5 s pair answered at 0.533 s)
    budget = Budget(0.3, "solve")
    jobs = [(SimpleNamespace(name=n, ir=None, same_objective=False), 0.2, budget, 0, {}) for n in ("quick", "slow")]
    t = time.perf_counter()
    got = solve_mod._in_workers(jobs, budget, reserve=0.1)
    wall = time.perf_counter() - t
    assert got[0][0] is answers["quick"] and got[1][0] is None
    assert in_hand - 0.1 - 0.02 <= wall < in_hand - 0.1 + 0.05, wall
    unlimited = Budget(None, "solve")  # no time limit: neither stop is a time (was a TypeError)
    assert solve_mod._pair_stop(unlimited) == math.inf and solve_mod._in_hand_stop(unlimited) == math.inf


def test_thread_pairs_return_the_answer_in_hand_at_the_time_limit():
    """Pairs in threads wait as forked ones do: once one run has answered, the other is waited
    for until the time limit (and IN_HAND_WAIT of it), not into the grace, and not at all once
    a run proved the user's optimum; a failing run is reported beside the other's answer."""
    import sys as _sys
    from types import SimpleNamespace

    from qbdsl.backends.budget import Budget
    from qbdsl.qip import uncertain as uncertain_mod

    from .pair_fakes import fake_backend

    solve_mod = _sys.modules["qbdsl.solve"]
    release = threading.Event()  # lets the left-behind runs end with the test
    backend = lambda kind: fake_backend(kind, release)  # noqa: E731
    in_hand = 0.3 * (1 + uncertain_mod.IN_HAND_WAIT)
    from qbdsl.backends import isolate

    isolate.PAIR_THREADS.append(threading.Thread(target=lambda: None))  # never started: not alive, dropped
    try:
        for first, same, by in (("quick", False, in_hand), ("proof", True, 0.05), ("broken", False, None)):
            budget = Budget(0.3, "solve")
            preps = [SimpleNamespace(name=n, be=backend(n), ir=None, same_objective=same, t1=time.perf_counter())
                     for n in (first, "slow")]  # fmt: skip
            jobs = [(p, 0.3, budget, 0, {}) for p in preps]
            t = time.perf_counter()
            got = solve_mod._in_threads(jobs, budget)
            wall = time.perf_counter() - t
            assert got[1][0] is None and got[1][1] == pytest.approx(wall, abs=0.01)
            if first == "broken":  # nothing in hand: the slow run is waited for until the pair's stop
                assert got[0][0] is None and "no answer" in str(got[0][2]) and got[1][2] is None
                assert solve_mod._pair_stop(budget) - t - 0.05 <= wall < solve_mod._pair_stop(budget) - t + 0.2
                continue
            assert got[0][0].status == ("optimal" if first == "proof" else "feasible")
            assert got[1][2] == (solve_mod.PROVED if first == "proof" else None)
            assert by - 0.02 <= wall < by + 0.15, (first, wall)
            assert all(t.is_alive() for t in isolate.PAIR_THREADS[:-2])  # ended threads are not kept
    finally:
        release.set()


def test_a_thread_pairs_isolated_run_not_waited_for_is_killed():
    """A run of a pair in threads whose backend makes an isolated call (OR-Tools runs in a
    worker process) is killed once the pair has its answer, not left to its time limit."""
    import sys as _sys
    from types import SimpleNamespace

    from qbdsl.backends.budget import Budget

    from .pair_fakes import fake_backend

    solve_mod = _sys.modules["qbdsl.solve"]
    release, killed = threading.Event(), []
    budget = Budget(0.3, "solve")
    preps = [
        SimpleNamespace(name=n, be=fake_backend(n, release, killed), ir=None, same_objective=False,
                        t1=time.perf_counter())
        for n in ("quick", "isolated")
    ]  # fmt: skip
    try:
        got = solve_mod._in_threads([(p, 0.3, budget, 0, {}) for p in preps], budget)
        done = time.perf_counter()
        assert got[0][0].status == "feasible" and got[1][0] is None
        end = done + 5
        while not killed and time.perf_counter() < end:
            time.sleep(0.01)
        assert killed and killed[0] - done < 2.0  # at the pair's end (its worker's start aside), not at 10 s
    finally:
        release.set()


# ---------------------------------------------------------------- the command line
def _write_rows(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_cli_costmodel_fit_and_evaluate(tmp_path, capsys):
    from qbdsl.cli import main

    rows = synthetic_rows(SAFE_VS_RISKY)
    rows[0]["status"] = "error: BackendError: exact: too large"  # the benchmark's form of "cannot"
    src = _write_rows(tmp_path / "runs.csv", rows)
    out = tmp_path / "model.json"
    assert main(["costmodel", "fit", str(src), "-o", str(out)]) == 0
    model = CostModel.load(out)
    assert set(model.backends) == {"exact", "tabu"} and model.backends["exact"].rows == len(rows) // 2 - 1
    assert model.meta["deadlines"] == [0.5, 2.0]
    assert "wrote" in capsys.readouterr().out
    # several files are fitted as one: the same rows split in two give the same model
    half = len(rows) // 2
    a, b = _write_rows(tmp_path / "a.csv", rows[:half]), _write_rows(tmp_path / "b.csv", rows[half:])
    assert main(["costmodel", "fit", str(a), str(b), "-o", str(tmp_path / "two.json")]) == 0
    two = CostModel.load(tmp_path / "two.json")
    assert two.meta["source"] == "a.csv, b.csv" and two.to_json()["backends"] == model.to_json()["backends"]
    capsys.readouterr()
    assert main(["costmodel", "evaluate", str(src), "--confidence", "0.8"]) == 0
    text = capsys.readouterr().out
    assert "| backend | runs |" in text and "| all | qip |" in text and "always-tabu" in text
    cases = [
        (["costmodel", "fit", str(tmp_path / "nope.csv"), "-o", str(out)], "nope.csv: no such file"),
        (["costmodel", "fit", str(src)], "the following arguments are required: -o/--output"),
        (["costmodel", "fit", str(src), "-o", str(out), "--ridge", "0"], "--ridge must be a positive number"),
        (["costmodel", "evaluate", str(src), "--confidence", "1.5"], "--confidence must be strictly between"),
        (["costmodel", "frob"], "unknown costmodel command 'frob'"),
    ]
    for argv, culprit in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and culprit in err[0], err


def test_cli_calibrate_rows_and_explain_with_a_model(tmp_path, monkeypatch, capsys, safe_vs_risky):
    import qbdsl.qip.calibrate as cal
    from qbdsl.cli import main

    seen = {}

    def fake(quick=False, progress=None, backends=None, rows_out=None, deadlines=None):
        seen.update(quick=quick, rows_out=rows_out, deadlines=deadlines)
        return {}, []

    monkeypatch.setattr(cal, "calibrate", fake)
    rows = str(tmp_path / "rows.csv")
    prof = str(tmp_path / "p.json")
    assert main(["calibrate", "-o", prof, "--quick", "--rows-out", rows, "--deadlines", "0.05,0.5,2"]) == 0
    assert seen == {"quick": True, "rows_out": rows, "deadlines": (0.05, 0.5, 2.0)}
    assert main(["calibrate", "-o", prof, "--deadlines", "0.5"]) == 2
    assert "give --rows-out" in capsys.readouterr().err
    assert main(["calibrate", "-o", prof, "--rows-out", rows, "--deadlines", "0,x"]) == 2
    assert "--deadlines takes positive numbers" in capsys.readouterr().err
    model = safe_vs_risky.save(tmp_path / "m.json")
    spec = f"{ROOT / 'examples' / 'slice_placement.py'}:build"
    assert main(["explain", spec, "--deadline", "2", "--cost-model", str(model)]) == 0
    assert "P(meet)" in capsys.readouterr().out
    assert main(["explain", spec, "--deadline", "2", "--no-cost-model"]) == 0
    assert "P(meet)" not in capsys.readouterr().out


def test_cli_experiment_bench_is_resumable_and_checks_its_input(tmp_path, capsys):
    from qbdsl.cli import main

    out = tmp_path / "bench"
    argv = ["experiment", "bench", "--quick", "--families", "tiny", "--instances", "tiny-6-1"]
    argv += ["--backends", "exact", "--deadlines", "0.5", "--out", str(out)]
    assert main(argv) == 0
    runs = list(csv.DictReader((out / "bench-runs.csv").open()))
    assert [(r["instance"], r["backend"], float(r["deadline"])) for r in runs] == [("tiny-6-1", "exact", 0.5)]
    assert float(runs[0]["quality"]) == 1.0 and (out / "bench-oracle.md").is_file()
    first = (out / "bench-runs.csv").read_text()
    assert main(argv) == 0  # resumed: nothing to do again
    assert (out / "bench-runs.csv").read_text() == first
    capsys.readouterr()
    for bad, culprit in (
        (["--families", "nope"], "--families: unknown 'nope'"),
        (["--backends", "exact,nope"], "--backends: unknown 'nope'"),
        (["--deadlines", "0.5,-1"], "--deadlines takes positive numbers"),
        (["--families", "tiny", "--instances", "zzz"], "--instances: zzz not in the quick suite of tiny"),
        (["--split", "test99"], "--split must be one of dev, test, "),
        (["--families", "linksched"], "--families linksched: no instance in the 'dev' split"),
        # an empty list is an error, not the default (--backends '' ran every backend)
        (["--backends", ""], "--backends takes names separated by commas"),
        (["--families", ""], "--families takes names separated by commas"),
        (["--families", "tiny", "--instances", " , "], "--instances takes names separated by commas"),
    ):
        assert main(["experiment", "bench", "--quick", "--out", str(out), *bad]) == 2, bad
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and culprit in err[0], err


@pytest.mark.parametrize("deadline", [0.05, 0.5, 5.0])
def test_qb_solve_decides_as_the_held_out_evaluation_scores_it(deadline):
    """decide() with a cost model picks what costmodel.evaluate simulates (choose() on the
    model's predictions): no other floor or filter between the evaluation and qb.solve (a
    profile floor once refused annealing on bqp1000 at 0.05 s, which the evaluation scored)."""
    from qbdsl.qip.costmodel import startups
    from qbdsl.qip.uncertain import available_cores, choose
    from qbdsl.qip.variants import proves, runs_in_child, runs_in_thread, same_runs

    cm, _ = load_cost_model(None)
    for obj in (random_qubo(12, 1), random_qubo(300, 2, 0.1), random_qubo(1000, 3, 0.05), build()):
        d = decide(obj, deadline=deadline, cost_model=cm, include_remote=False)
        f = features(obj)
        preds = cm.predict_all(f, deadline)
        threads = {b for b in preds if runs_in_thread(b)}
        same = same_runs(f.n_constraints, f.n_integer)
        provers = {b for b in preds if proves(b, f.n_constraints, f.n_integer)}  # as costmodel.evaluate
        children = {b for b in preds if runs_in_child(b)}
        ch = choose(preds, deadline, cores=available_cores(), in_thread=threads, in_child=children, same=same,
                    provers=provers, startup=startups(preds, f))  # fmt: skip
        assert (d.variant or d.backend) == ch.backend, (d.reason, ch.reason)
        assert d.parallel == tuple(ch.parallel), (d.parallel, ch.parallel)
        assert d.race == ch.race


PAIR_WITH_ORTOOLS = """
import json, sys, threading
sys.path.insert(0, {tests!r})
import qbdsl as qb
import qbdsl.qip.uncertain
import test_qip_costmodel_wiring as w

qbdsl.qip.uncertain.MIN_PARALLEL_SECONDS = 0.0
qbdsl.qip.uncertain.BAND_DEADLINE_SHARE = 0.0  # ortools' time band is doubt at 5 s here
cm = w._parallel_model("exact", "ortools")
q = w.random_qubo(12, 5)
d = qb.qip.decide(q, deadline=5.0, backends=["exact", "ortools"], cost_model=cm, include_remote=False)
r = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)
print(json.dumps({{"planned": list(d.parallel), "threads": threading.active_count(),
                  "parallel": r.info.get("parallel"), "energy": r.energy,
                  "optimum": qb.solve(q, backend="exact").energy}}))
"""


def test_ortools_runs_inside_a_forked_parallel_pair(tmp_path):
    """A pair run in forked processes (one thread here): OR-Tools starts no child of its own
    there (it failed in every such pair: "daemonic processes are not allowed to have children")."""
    code = PAIR_WITH_ORTOOLS.format(tests=str(ROOT / "tests"))
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["planned"] == ["exact", "ortools"] and got["threads"] == 1
    runs = {p["backend"]: p for p in got["parallel"]}
    assert runs["ortools"]["process"] == "fork" and not runs["ortools"]["status"].startswith("error"), runs
    assert got["energy"] == pytest.approx(got["optimum"])


@pytest.mark.parametrize("process", ["fork", "worker"])
def test_a_sampler_runs_in_a_thread_beside_ortools_own_process(tmp_path, process):
    """A pair of a sampler (in a thread) and OR-Tools (in a process of its own anyway), in a
    process running one thread: OR-Tools goes to the idle solver worker qbdsl.qip.warm_up()
    keeps, or without one is forked before the sampler's thread starts; the sampler runs here,
    each answer is decoded as it comes, and the better one is returned."""
    code = PAIR_WITH_ORTOOLS.format(tests=str(ROOT / "tests")).replace('"exact", "ortools"', '"anneal", "ortools"')
    if process == "worker":
        code = code.replace("q = w.random_qubo(12, 5)", "qb.qip.warm_up()\nq = w.random_qubo(12, 5)")
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["planned"] == ["anneal", "ortools"]  # (a sampler stopped by the proof may still run out its limit)
    runs = {p["backend"]: p for p in got["parallel"]}
    assert runs["anneal"]["process"] == "thread" and runs["ortools"]["process"] == process, runs
    assert not any(r["status"].startswith("error") for r in runs.values()), runs
    assert got["energy"] == pytest.approx(got["optimum"])


def test_ortools_starts_before_the_samplers_compile_in_a_mixed_pair(tmp_path):
    """In a pair of a sampler (thread) and OR-Tools (its own process) the sampler's compile runs in
    its thread once OR-Tools has started: a slow compile (0.6 s here) no longer holds back
    OR-Tools' proof (its 40-120 ms proofs took 160-330 ms in such pairs on the tenth split)."""
    code = PAIR_WITH_ORTOOLS.format(tests=str(ROOT / "tests")).replace('"exact", "ortools"', '"anneal", "ortools"')
    slow = (
        "import time\nS = sys.modules['qbdsl.solve']\n_p = S._prepare\n"
        "S._prepare = lambda i, n, b: (time.sleep(0.6) if n == 'anneal' else None) or _p(i, n, b)\n"
        "import qbdsl.backends.anneal as A\nran = []\n_s = A.AnnealBackend.solve\n"
        "A.AnnealBackend.solve = lambda self, *a, **k: ran.append(1) or _s(self, *a, **k)\n"
        "t = time.perf_counter()\nr = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)\n"
        "wall = time.perf_counter() - t\ntime.sleep(0.9)\n"
    )
    code = code.replace("r = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)\n", slow)
    code = code.replace('"energy": r.energy,', '"energy": r.energy, "wall": wall, "sampler_ran": len(ran),')
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["planned"] == ["anneal", "ortools"]
    runs = {p["backend"]: p for p in got["parallel"]}
    assert runs["ortools"]["status"] == "optimal" and got["energy"] == pytest.approx(got["optimum"]), runs
    assert got["wall"] < 0.45, got  # the proof ends the pair; the 0.6 s compile is not waited for
    assert got["sampler_ran"] == 0, got  # the pair had ended when its compile did: the sampler never started


@pytest.mark.parametrize(
    "error, raised", [("ValueError('boom')", "ValueError"), ("OptionError('bad x')", "OptionError"),
                      ("BackendError('cannot take it')", "")],
)  # fmt: skip
def test_a_deferred_compiles_failure_is_raised_as_an_eager_one_is(tmp_path, error, raised):
    """The sampler's compile in its thread (a mixed pair) fails as it would before the pair
    starts: a BackendError is that run's failure (OR-Tools' answer stands), anything else (a bad
    option included) is the caller's and raises; it was reported inside info["parallel"]."""
    code = PAIR_WITH_ORTOOLS.format(tests=str(ROOT / "tests")).replace('"exact", "ortools"', '"anneal", "ortools"')
    patch = (
        "from qbdsl.errors import BackendError, OptionError\nS = sys.modules['qbdsl.solve']\n_p = S._prepare\n"
        f"def bad(i, n, b):\n    if n == 'anneal':\n        raise {error}\n    return _p(i, n, b)\n"
        "S._prepare = bad\ntry:\n    r = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)\n"
        "except Exception as e:\n    print(json.dumps({'raised': type(e).__name__}))\n    sys.exit(0)\n"
    )
    code = code.replace("r = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)\n", patch)
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if raised:
        assert got == {"raised": raised}
    else:
        runs = {p["backend"]: p for p in got["parallel"]}
        assert runs["anneal"]["status"] == "error: cannot take it" and runs["ortools"]["status"] == "optimal"


@pytest.mark.parametrize("backend", ["anneal", "anneal+tuned", "tabu"])
def test_a_samplers_run_stops_at_its_threads_cancel_event(backend):
    """The samplers that run in a pair's thread read the thread's cancel event (set by qb.solve
    once the pair has its answer) between reads, calls and rounds and stop: a run not waited for
    used to run on to its time limit (5 s here), on a core the next solve needed."""
    from qbdsl.backends import isolate

    m = qb.Model("cancel")
    x = m.binary("x", 30)
    w = np.arange(1, 31, dtype=float)
    m.add((w * x).sum() <= 100, name="cap")
    m.maximize((w * x).sum() - 0.1 * (x[:-1] * x[1:]).sum())
    ev, got = threading.Event(), {}

    def run():
        with isolate.cancelled_by(ev):
            t = time.perf_counter()
            got["result"] = qb.solve(m, backend=backend, time_limit=5.0, seed=0)
            got["seconds"] = time.perf_counter() - t

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.5)
    ev.set()
    th.join(10)
    assert got["seconds"] < 3.0, got  # stopped at the event (tabu: at its next call), not at 5 s
    assert got["result"].status in ("feasible", "time_limit", "optimal")


def test_a_pair_in_a_threaded_process_needs_two_idle_workers(monkeypatch):
    """With threads, a pair runs in two worker processes: one idle worker is not enough (the
    second started inside the time limit: 1.4-9.4 s on a 0.5 s limit)."""
    from qbdsl.backends import isolate

    monkeypatch.setattr(isolate, "ISOLATED", True)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        isolate.prewarm(1)
        end = time.perf_counter() + 20
        while isolate.startup_seconds(1) > 0 and time.perf_counter() < end:
            time.sleep(0.01)
        if isolate._WORKERS.idle_count == 1:
            assert isolate.startup_seconds(1) == 0 and isolate.startup_seconds(2) > 0
        isolate.prewarm(2)
        while isolate.startup_seconds(2) > 0 and time.perf_counter() < end:
            time.sleep(0.01)
        assert isolate._WORKERS.idle_count >= 2 and isolate.startup_seconds(2) == 0
    finally:
        stop.set()
        other.join()


def test_a_run_stopped_by_the_others_proof_says_so(tmp_path):
    """The pair's second run, stopped because the first proved its answer optimal, is reported
    as stopped by that proof, not as killed at the time limit (a status is a claim)."""
    code = (
        STUCK.format(tests=str(ROOT / "tests"), in_thread=False)  # exact runs in a process: the pair forks
        .replace('w._parallel_model("anneal+weak", "tabu")', 'w._parallel_model("exact", "tabu")')
        .replace('backends=["tabu", "anneal"]', 'backends=["tabu", "exact"]')
    )
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["planned"] == ["exact", "tabu"]
    runs = {p["backend"]: p for p in got["parallel"]}
    assert runs["exact"]["status"] == "optimal"
    assert runs["tabu"]["status"] == "stopped: the other run proved its answer optimal", runs
    assert got["wall"] < 0.5  # stopped at the proof, long before the 0.5 s limit and its grace


WARM = """
import json, time
import qbdsl as qb
from qbdsl.problems import benchmarks as B
from qbdsl.qip import warm_up

warm_up()
m = B.tiny_qubo(11, 5)
t = time.perf_counter()
r = qb.solve(m, backend="auto", time_limit=0.05, deadline=0.05)
print(json.dumps({"wall": time.perf_counter() - t, "status": str(r.status), "backend": r.backend}))
"""


def test_warm_up_refuses_a_bad_cost_model_as_solve_does():
    from qbdsl.errors import OptionError
    from qbdsl.qip import warm_up

    with pytest.raises(OptionError):
        warm_up(42)


def test_warm_up_lets_a_fresh_process_meet_a_short_deadline(tmp_path):
    """A fresh process's first auto solve pays one-time imports (0.1-0.2 s: at 0.05 s no backend
    had time left); after qbdsl.qip.warm_up() the first timed one answers, the optimum of a tiny QUBO."""
    proc = subprocess.run([sys.executable, "-I", "-c", WARM], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["status"] == "optimal" and got["wall"] <= 0.05 + grace(0.05), got


def test_a_failed_chain_names_each_backend_once():
    """The message of a chain that failed lists each attempt as "<backend>: <error>", without the
    backend twice when its own error names it ("anneal: anneal: no time left" read twice);
    result.attempts keep the backend's error as it was."""
    solve_mod = sys.modules["qbdsl.solve"]
    assert solve_mod._named({"backend": "anneal", "error": "anneal: no time left"}) == "anneal: no time left"
    assert solve_mod._named({"backend": "dwave", "error": "mock-advantage is down"}) == "dwave: mock-advantage is down"
    q = random_qubo(12, 1)
    with pytest.raises(qb.TimeLimitError) as info:
        qb.solve(q, backend="anneal", fallback=["tabu"], time_limit=1e-9)
    assert "anneal: anneal:" not in str(info.value) and "tabu: tabu:" not in str(info.value), str(info.value)
