"""The orchestration simulator: hand-computed schedules, capacity invariants, policies, files."""

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.orchestrate import (
    POLICIES,
    QPU,
    Job,
    default_fleet,
    load_fleet,
    load_jobs,
    make,
    poisson_jobs,
    realised_load,
    run_time,
    simulate,
)

FLEET = [QPU("fast", 20, 1000.0, 0.01, overhead=1.0), QPU("slow", 10, 500.0, 0.001, overhead=1.0)]


def test_run_time_formula_and_cutting():
    j = Job(0, 10, 10, 100, 0.0, 100.0)
    assert run_time(j, FLEET[0], 100) == pytest.approx(1.0 + 10 * 100 / 1000)
    wide = Job(1, 15, 10, 100, 0.0, 100.0)  # 15 qubits on the 10-qubit QPU: 2 fragments, x4 shots
    assert run_time(wide, FLEET[1], 100, cut_overhead=4.0) == pytest.approx(1.0 + 10 * 100 * 4 * 2 / 500)


def test_hand_computed_schedule_fcfs():
    # three jobs of 2 s each on "fast" (1 s overhead + 10*100/1000), 4 s on "slow"
    jobs = [Job(i, 5, 10, 100, a, a + 3.4) for i, a in enumerate([0.0, 0.0, 0.5])]
    out = simulate(jobs, FLEET, make("fcfs"))
    runs = sorted(out.batches, key=lambda b: b[0])
    assert runs[0][1:] == ("fast", 100, 0.0, 2.0)
    assert runs[1][1:] == ("slow", 100, 0.0, 3.0)
    assert runs[2][1:] == ("fast", 100, 2.0, 4.0)  # waits for "fast" to free at t = 2
    assert out.served.tolist() == [True, True, False]  # job 2 ends at 4.0 > 0.5 + 3.4
    assert out.makespan == pytest.approx(4.0) and out.busy.tolist() == [4.0, 3.0]


def test_qbdsl_rejects_early_and_splits_shots():
    jobs = [Job(0, 5, 10, 100, 0.0, 2.5), Job(1, 5, 10, 100, 0.0, 2.5), Job(2, 5, 10, 100, 0.0, 2.1)]
    out = simulate(jobs, FLEET, make("qip-edf-no-move-no-withdraw-no-chunk"))
    # job 0 on fast (ends 2.0); job 1 cannot finish by 2.5 anywhere whole (fast busy, slow 3.0) but
    # split shots: impossible too (fast frees at 2) -> rejected; job 2 likewise rejected
    assert out.served.tolist() == [True, False, False] and out.rejected.tolist() == [False, True, True]
    split = [Job(0, 5, 10, 1000, 0.0, 8.0)]  # whole: 11 s fast, 21 s slow; split meets 8 s
    out = simulate(split, FLEET, make("qip-edf-no-chunk+abort"))
    assert out.served.tolist() == [True] and len(out.batches) == 2
    assert sum(b[2] for b in out.batches) == 1000 and max(b[4] for b in out.batches) <= 8.0


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_policy_respects_capacity(name):
    fleet = default_fleet()
    jobs = poisson_jobs(80, 0.8, 2.0, fleet, seed=3)
    out = simulate(jobs, fleet, make(name, seed=3))
    for q in fleet:  # never two batches at once on one QPU
        spans = sorted((s, e) for _, n, _, s, e in out.batches if n == q.name)
        assert all(s2 >= e1 - 1e-9 for (_, e1), (s2, _) in zip(spans, spans[1:]))
    shots = {}
    for j, _, s, _, _ in out.batches:
        shots[j] = shots.get(j, 0) + s
    for j in jobs:  # every dispatched job got all its shots
        assert out.rejected[j.id] or shots[j.id] >= j.shots
    m = out.metrics()
    assert 0 <= m["served"] <= len(jobs) and 0 < m["utilisation"] <= 1 + 1e-9


def test_paired_seeds_give_identical_traces_and_results():
    fleet = default_fleet()
    a, b = poisson_jobs(50, 0.7, 2.0, fleet, seed=9), poisson_jobs(50, 0.7, 2.0, fleet, seed=9)
    assert [(j.arrival, j.deadline, j.qubits) for j in a] == [(j.arrival, j.deadline, j.qubits) for j in b]
    assert (
        simulate(a, fleet, make("random", 1)).served.tolist() == simulate(b, fleet, make("random", 1)).served.tolist()
    )


def test_qip_edf_serves_more_than_every_raw_baseline_under_tight_deadlines():
    from qbdsl.orchestrate.policies import RAW

    fleet = default_fleet()
    jobs = poisson_jobs(200, 0.9, 1.5, fleet, seed=0, workers=2)
    served = {n: simulate(jobs, fleet, make(n, 0), workers=2).metrics()["served"] for n in RAW + ("qip-edf",)}
    assert served["qip-edf"] > max(v for k, v in served.items() if k != "qip-edf")


def test_fleet_and_workload_files(tmp_path):
    f = tmp_path / "fleet.json"
    f.write_text(json.dumps({"qpus": [{"name": "a", "qubits": 27, "clops": 1e4, "two_qubit_error": 0.01}]}))
    assert load_fleet(f)[0].qubits == 27
    f.write_text(json.dumps({"qpus": [{"name": "a", "qubits": 27, "two_qubit_error": 0.01}]}))
    with pytest.raises(qb.FileFormatError, match=r"qpus\[0\] is missing field 'clops'"):
        load_fleet(f)
    f.write_text(json.dumps({"qpus": [{"name": "a", "qubits": -1, "clops": 1e4, "two_qubit_error": 0.01}]}))
    with pytest.raises(qb.FileFormatError, match="qubits and clops must be positive"):
        load_fleet(f)
    w = tmp_path / "jobs.json"
    w.write_text(json.dumps({"jobs": [{"qubits": 5, "depth": 10, "shots": 100, "arrival": 2, "deadline": 1}]}))
    with pytest.raises(qb.FileFormatError, match="deadline >= arrival"):
        load_jobs(w)
    w.write_text("{broken")
    with pytest.raises(qb.FileFormatError, match="cannot parse"):
        load_jobs(w)
    for bad, why in (
        ({"jobs": []}, "non-empty 'jobs' list"),
        ({"jobs": [{"qubits": 5, "depth": 10, "shots": 100, "arrival": 0, "deadline": float("nan")}]}, "finite"),
        (
            {"jobs": [{"qubits": "five", "depth": 10, "shots": 100, "arrival": 0, "deadline": 1}]},
            r"jobs\[0\]: invalid literal",
        ),
    ):
        w.write_text(json.dumps(bad))
        with pytest.raises(qb.FileFormatError, match=why):
            load_jobs(w)
    with pytest.raises(qb.ModelError, match="load and tightness must be positive"):
        poisson_jobs(5, 0.0, 1.0, default_fleet())
    with pytest.raises(qb.ModelError, match="unknown policy 'magic'"):
        make("magic")


def test_yaml_fleet(tmp_path):
    f = tmp_path / "fleet.yaml"
    f.write_text(
        "qpus:\n  - {name: a, qubits: 27, clops: 10000, two_qubit_error: 0.01}\n"
        "  - {name: b, qubits: 127, clops: 30000, two_qubit_error: 0.008, overhead: 1.0}\n"
    )
    fleet = load_fleet(f)
    assert [q.name for q in fleet] == ["a", "b"] and fleet[1].overhead == 1.0


def test_sweep_is_executor_independent_and_summarized_with_cis(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from qbdsl.orchestrate import experiment as ox

    kw = dict(loads=[0.6], tightness=[1.0, 3.0], seeds=3, n_jobs=40, policies=["qip-edf", "edf", "edf+ac", "fcfs+ac"])
    with ThreadPoolExecutor(2) as ex:
        a = ox.sweep(executor=ex, **kw)
    b = ox.sweep(**kw)  # processes
    strip = lambda rows: sorted((r["load"], r["tightness"], r["seed"], r["policy"], r["served"]) for r in rows)  # noqa: E731
    assert strip(a) == strip(b) and len(a) == 2 * 3 * 4
    summ = ox.summarize(a)
    assert all(s["n"] == 3 and s["ci95"] >= 0 for s in summ)
    gap = ox.sweep(loads=[0.9], tightness=[1.0], seeds=2, n_jobs=8, policies=["qip-edf", "edf"], gap_time=5)
    assert all(r["served"] <= r["bound"] and r["hindsight"] <= r["bound"] for r in gap)
    paths = ox.write_outputs(a, tmp_path, gap, command="qbdsl experiment orchestration --seeds 3")
    assert [p.name for p in paths] == [
        "orchestration-runs.csv",
        "orchestration-summary.csv",
        "orchestration-gap.csv",
        "served-vs-tightness.png",
        "served-vs-load.png",
        "report.md",
    ]
    report = (tmp_path / "report.md").read_text()
    assert "`qbdsl experiment orchestration --seeds 3`" in report and "Share of the offline bound" in report
    assert "## QPU-seconds of served jobs" in report and "| qip-edf |" in report
    for h in ox.headline(a):  # the headline compares with the strongest *matched* baseline, the raw one apart
        cells = [r for r in summ if (r["load"], r["tightness"]) == (h["load"], h["tightness"])]
        assert h["matched_served"] == max(r["mean"] for r in cells if r["policy"].endswith("+ac"))
        assert h["raw"] == "edf"
        x = {
            r["seed"]: r["served"]
            for r in a
            if (r["load"], r["tightness"], r["policy"]) == (h["load"], h["tightness"], "qip-edf")
        }
        y = {
            r["seed"]: r["served"]
            for r in a
            if (r["load"], r["tightness"], r["policy"]) == (h["load"], h["tightness"], h["matched"])
        }
        assert h["matched_ratio"] == pytest.approx(np.mean([x[k] / y[k] for k in x]))  # paired per seed


def _check_schedule(jobs, fleet, batches, workers=0):
    """Independent check of a schedule (job, device, shots, start, end), up to the 1 ms rounding."""
    from qbdsl.orchestrate.simulator import classical_time

    by_name = {q.name: q for q in fleet}
    shots, spans = {}, {}
    for j, dev, n, s, e in batches:
        job = jobs[j]
        need = run_time(job, by_name[dev], n) if dev in by_name else classical_time(job)
        assert job.arrival - 2e-3 <= s and e <= job.deadline + 2e-3 and e - s >= need - 2e-3 * (1 + n / 1000)
        shots[j] = shots.get(j, 0) + n
        spans.setdefault(dev, []).append((s, e))
    for v in spans.values():
        v.sort()
        assert all(s2 >= e1 - 1e-9 for (_, e1), (s2, _) in zip(v, v[1:]))
    return {j for j, n in shots.items() if n >= jobs[j].shots}


@pytest.mark.parametrize("load,s", [(0.6, 1.0), (1.2, 1.5), (0.9, 5.0)])
def test_hindsight_bracket_holds_every_policy(load, s):
    from qbdsl.orchestrate.bound import hindsight, relaxation_bound

    fleet = default_fleet()
    jobs = poisson_jobs(12, load, s, fleet, seed=4)
    h = hindsight(jobs, fleet, workers=2, time_limit=8)
    relax = relaxation_bound(jobs, fleet, workers=2)
    assert relax["status"] == "optimal"
    assert h["served"] <= h["bound"] and h["served"] <= relax["bound"] <= len(jobs)
    assert len(_check_schedule(jobs, fleet, h["batches"], workers=2)) == h["served"]
    for name in POLICIES:
        served = simulate(jobs, fleet, make(name, 4), workers=2).metrics()["served"]
        assert served <= min(h["bound"], relax["bound"])


def test_energy_rows_let_cp_sat_prove_the_hindsight_optimum():
    from qbdsl.orchestrate.bound import hindsight
    from qbdsl.orchestrate.workload import synthetic_fleet, synthetic_templates

    fleet = synthetic_fleet()  # overloaded, tight, invented job mix: the plain model proves little
    jobs = poisson_jobs(16, 2.0, 1.0, fleet, seed=2, workers=2, templates=synthetic_templates(2000, seed=12345))
    plain = hindsight(jobs, fleet, workers=2, time_limit=3, threads=1, energy=False)
    strong = hindsight(jobs, fleet, workers=2, time_limit=20, threads=1)
    assert strong["status"] == "optimal" and strong["served"] == strong["bound"] == 10
    assert plain["served"] <= strong["bound"] < plain["bound"]
    assert len(_check_schedule(jobs, fleet, strong["batches"], workers=2)) == 10


def test_hindsight_optimum_on_a_hand_made_trace():
    from qbdsl.orchestrate.bound import hindsight, relaxation_bound

    jobs = [
        Job(0, 5, 10, 100, 0.0, 10.0),  # flexible
        Job(1, 5, 10, 100, 0.0, 2.0),  # needs "fast" now (2 s there, 3 s on "slow")
        Job(2, 5, 10, 100, 0.0, 3.0),
    ]  # needs "slow" now
    h = hindsight(jobs, FLEET)
    assert (h["served"], h["bound"], h["status"]) == (3, 3, "optimal")
    # a hint (a known schedule, even a wrong one) only guides the search
    for hint in (h["batches"], [(0, "fast", 100, 0.0, 2.0), (1, "fast", 7, 0.5, 9.0), (9, "nowhere", 1, 0, 1)]):
        assert hindsight(jobs, FLEET, hint=hint)["served"] == 3
    assert relaxation_bound(jobs, FLEET)["bound"] == 3
    assert simulate(jobs, FLEET, make("fcfs")).metrics()["served"] == 1
    from qbdsl.orchestrate.deadline import QipEdf

    assert simulate(jobs, FLEET, QipEdf(chunk=None, offload=False, move=False, withdraw=False)).metrics()["served"] == 2
    # offloading job 0's shots to the idle slow QPU then costs job 2: online choices have a price
    assert simulate(jobs, FLEET, QipEdf(chunk=None, move=False, withdraw=False, offload=True)).metrics()["served"] == 1
    # the exchange moves job 0 (running on fast, so only an aborting policy may) and reaches the optimum
    assert simulate(jobs, FLEET, QipEdf(chunk=None, offload=False)).metrics()["served"] == 2
    out = simulate(jobs, FLEET, QipEdf(chunk=None, offload=False, abort=True))
    assert out.metrics()["served"] == 3 and out.moved.tolist() == [True, False, False]
    assert sorted(b[:3] for b in out.batches if b[2]) == [(0, "fast", 100), (1, "fast", 100), (2, "slow", 100)]
    # one job that needs both QPUs at once: only a split serves it, and the bound knows it
    wide = [Job(0, 5, 10, 1000, 0.0, 8.0)]
    assert hindsight(wide, FLEET, split=False)["bound"] == 0 and hindsight(wide, FLEET)["served"] == 1
    assert relaxation_bound(wide, FLEET)["bound"] == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qbdsl_predictions_are_exact_no_admitted_job_is_late(seed):
    fleet = default_fleet()
    for load, s in ((0.6, 1.0), (1.2, 3.0)):
        jobs = poisson_jobs(150, load, s, fleet, seed=seed)
        out = simulate(jobs, fleet, make("qip-edf", seed), workers=2)
        admitted = ~out.rejected
        assert (out.served == admitted).all()  # every job it admitted met its deadline
        assert set(out.reasons) == set(np.flatnonzero(out.rejected).tolist())


def test_lookahead_admission_is_seeded_and_keeps_every_admitted_deadline():
    from qbdsl.orchestrate.admission import SampledAdmission

    fleet = default_fleet()
    jobs = poisson_jobs(80, 1.2, 1.0, fleet, seed=5)
    a = simulate(jobs, fleet, SampledAdmission(5, lookahead=4, abort=True), workers=2)
    b = simulate(jobs, fleet, SampledAdmission(5, lookahead=4, abort=True), workers=2)
    assert a.served.tolist() == b.served.tolist() and (a.served == ~a.rejected).all()
    assert any(r.startswith("qip-edf+abort+lookahead4: look-ahead") for r in a.reasons.values())  # it turned jobs away
    capped = simulate(jobs, fleet, SampledAdmission(5, target=0.3), workers=2)
    assert any("admission:" in r for r in capped.reasons.values()) and (capped.served == ~capped.rejected).all()


def test_exchange_moves_or_aborts_a_long_job_for_a_short_one_hand_computed():
    # A: 1 + 10 s on "fast" (21 s on "slow"), due at 11; B arrives at 2, 2 s on "fast", due at 4: only
    # "fast" serves B in time. A restarts at 2 split: "slow" (2 -> 11) takes (11 - 2 - 1) / 0.02 = 400
    # shots, "fast" after B (4 -> 11) the other 600: both served
    jobs = [Job(0, 5, 10, 1000, 0.0, 11.0), Job(1, 5, 10, 100, 2.0, 4.0)]
    keep = simulate(jobs, FLEET, make("qip-edf-no-move-no-withdraw-no-chunk"))
    assert keep.served.tolist() == [True, False] and keep.busy.tolist() == [11.0, 0.0]
    out = simulate(jobs, FLEET, make("qip-edf-no-chunk+abort"))
    assert out.served.all() and out.moved.tolist() == [True, False]
    assert sorted(out.batches) == [
        (0, "fast", 0, 0.0, 2.0),
        (0, "fast", 600, 4.0, 11.0),
        (0, "slow", 400, 2.0, 11.0),
        (1, "fast", 100, 2.0, 4.0),
    ]
    # A of 1050 shots due at 11.5; B at 5, due at 7: a restart at 5 fits 350 + 275 < 1050 shots, so A
    # (6.5 s left) is aborted for B's 2 s: the fleet frees at 7 instead of 11.5
    jobs = [Job(0, 5, 10, 1050, 0.0, 11.5), Job(1, 5, 10, 100, 5.0, 7.0)]
    out = simulate(jobs, FLEET, make("qip-edf-no-chunk+abort"))
    assert out.served.tolist() == [False, True] and out.withdrawn.tolist() == [True, False]
    assert sorted(out.batches) == [(0, "fast", 0, 0.0, 5.0), (1, "fast", 100, 5.0, 7.0)]
    assert out.busy.tolist() == [7.0, 0.0] and "withdrawn, job 1 needs less QPU time" in out.reasons[0]
    m = out.metrics()
    assert (m["served"], m["rejected"], m["withdrawn"], m["moved"]) == (1, 1, 1, 0)


def test_a_job_that_found_no_room_waits_and_is_admitted_late_hand_computed():
    # A and B are 15 qubits wide: "slow" would cut them (0.16 s a shot), so only "fast" (1 + 10 s)
    # serves them. A: 0 -> 11 on fast. B (arrives 1, due 15.5) fits nowhere and needs more time
    # than A still holds (11 > 10 s): no exchange, B waits. C (arrives 2, due 4.5) fits only on fast:
    # A, holding 9 s, is withdrawn for C's 2 s; room grew, so B is admitted late: fast 4 -> 15
    jobs = [Job(0, 15, 10, 1000, 0.0, 11.5), Job(1, 15, 10, 1000, 1.0, 15.5), Job(2, 5, 10, 100, 2.0, 4.5)]
    out = simulate(jobs, FLEET, make("qip-edf-no-chunk+abort"))
    assert out.served.tolist() == [False, True, True]
    assert out.deferred.tolist() == [False, True, False] and out.withdrawn.tolist() == [True, False, False]
    assert sorted(out.batches) == [(0, "fast", 0, 0.0, 2.0), (1, "fast", 1000, 4.0, 15.0), (2, "fast", 100, 2.0, 4.0)]
    m = out.metrics()
    assert (m["served"], m["deferred"], m["withdrawn"], m["rejected"]) == (2, 1, 1, 1)
    now = simulate(jobs, FLEET, make("qip-edf-no-defer-no-chunk+abort"))  # B is turned away on arrival
    assert now.served.tolist() == [False, False, True] and not now.deferred.any()


def test_device_queue_model_of_edf_service_and_withdrawal():
    from qbdsl.orchestrate.queues import DeviceQueue

    q = DeviceQueue()
    q.add(10.0, 1, 4.0, job=7, deadline=10.0)  # due 10, 4 s
    q.add(6.0, 2, 2.0, job=8, deadline=6.0)  # due 6, 2 s: more urgent, served first
    q.advance(0.0)
    assert (q.running, q.end) == (8, 2.0) and q.holds(1.0) == {8: 1.0, 7: 4.0}
    assert q.room(5.0, 5.0) == pytest.approx(3.0)  # after job 8 (ends 2), before job 7: 5 - 2, and 7 still fits
    assert q.room(20.0, 20.0) == pytest.approx(14.0)  # behind both: 20 - 6
    assert q.room(99.0, 7.0) == pytest.approx(1.0)  # FIFO (key past every other): behind both, due at 7
    q.remove(8, 1.0)  # aborted at 1: nothing started yet (the most urgent
    assert (q.running, q.end) == (None, 1.0)  # batch sent at 1 may take the device)
    q.advance(1.0)
    assert (q.running, q.end) == (7, 5.0) and q.holds(3.0) == {7: 2.0}
    q.remove(7, 3.0)
    assert q.holds(3.0) == {} and q.room(4.0, 4.0) == pytest.approx(1.0)
    # what the device actually does overrides the prediction: job 9 runs since 3.5 and overran
    from qbdsl.orchestrate.platform import DeviceState

    q.add(8.0, 3, 2.0, job=9, deadline=8.0)
    q.add(9.0, 4, 1.0, job=10, deadline=9.0)
    q.sync(DeviceState(9, 3.5, frozenset({10})), 6.0)
    assert (q.running, q.end, [w[3] for w in q.waiting]) == (9, 6.0, [10])
    q.sync(DeviceState(None, 0.0, frozenset()), 6.5)
    assert (q.running, q.end, q.waiting) == (None, 6.5, [])


def test_simulator_refuses_a_withdrawal_or_move_it_cannot_honour():
    from qbdsl.orchestrate import Batch, Decision, Policy

    class Bad(Policy):
        name = "bad"

        def __init__(self, what):
            super().__init__()
            self.what = what

        def dispatch(self, job, now, state):
            if job.id == 1 and self.what == "withdraw":
                return Decision([Batch(1, 0, 100)], {7: "no such job"})
            if job.id == 1 and self.what == "move":
                return Decision([Batch(1, 0, 100), Batch(0, 1, 100)])  # job 0 was not withdrawn
            if job.id == 1 and self.what == "early":
                return Decision([Batch(1, 0, 100), Batch(2, 1, 100)])  # job 2 has not arrived
            if job.id == 1 and self.what == "list":
                return [Batch(1, 0, 100)]
            return Decision([Batch(job.id, 0, 100)])

    jobs = [Job(0, 5, 10, 100, 0.0, 9.0), Job(1, 5, 10, 100, 1.0, 9.0), Job(2, 5, 10, 100, 2.0, 9.0)]
    with pytest.raises(qb.ModelError, match="withdrew job 7"):
        simulate(jobs, FLEET, Bad("withdraw"))
    with pytest.raises(qb.ModelError, match="batches of job 0 while dispatching job 1"):
        simulate(jobs, FLEET, Bad("move"))
    with pytest.raises(qb.ModelError, match="batches of job 2 while dispatching job 1"):
        simulate(jobs, FLEET, Bad("early"))
    with pytest.raises(qb.ModelError, match="returned list, not a Decision"):
        simulate(jobs, FLEET, Bad("list"))


def test_offload_frees_the_fast_qpu_sooner():
    from qbdsl.orchestrate.deadline import QipEdf

    job = [Job(0, 5, 10, 1000, 0.0, 11.0)]  # whole on "fast": 1 + 10 s = 11 s
    whole = simulate(job, FLEET, QipEdf(chunk=None, offload=False))
    shared = simulate(job, FLEET, QipEdf(chunk=None, offload=True))
    assert [b[1:3] for b in whole.batches] == [("fast", 1000)]
    # "slow" takes what it can by 11 s ((11 - 1) / 0.02 = 500 shots); "fast" is done at 6 s
    assert sorted(b[1:3] for b in shared.batches) == [("fast", 500), ("slow", 500)]
    assert shared.served.all() and max(b[4] for b in shared.batches if b[1] == "fast") == pytest.approx(6.0)


def test_shot_split_model_is_the_least_device_time_split(monkeypatch):
    import itertools

    from qbdsl.problems.scheduling import shot_split_model

    per_shot, over, cap = np.array([0.01, 0.02, 0.05]), np.array([1.0, 0.2, 0.1]), np.array([6, 5, 9])
    r = qb.solve(shot_split_model(10, per_shot, over, cap), backend="ortools")
    best = min(
        (sum(over[k] * (n[k] > 0) + per_shot[k] * n[k] for k in range(3)), n)
        for n in itertools.product(*(range(c + 1) for c in cap))
        if sum(n) == 10
    )
    assert r.objective == pytest.approx(best[0]) and tuple(r.values["shots"]) == best[1]
    from qbdsl.orchestrate.deadline import exact_split

    assert tuple(exact_split(10, per_shot, over, cap)) == best[1]  # the policy's default: enumeration
    rng = np.random.default_rng(0)
    for _ in range(40):  # against brute force
        p, o, c = rng.uniform(0.01, 0.1, 3), rng.uniform(0.0, 1.0, 3), rng.integers(0, 7, 3)
        n = int(rng.integers(1, c.sum() + 1)) if c.sum() else 0
        if not n:
            continue
        cost = lambda s, o=o, p=p: sum(o[k] * (s[k] > 0) + p[k] * s[k] for k in range(3))  # noqa: E731
        brute = min(cost(s) for s in itertools.product(*(range(x + 1) for x in c)) if sum(s) == n)
        assert cost(exact_split(n, p, o, c)) == pytest.approx(brute)
    sa = qb.solve(shot_split_model(10, per_shot, over, cap), backend="anneal", seed=0)  # the QUBO path
    assert sa.feasible and sa.objective == pytest.approx(best[0]) and tuple(sa.values["shots"]) == best[1]
    with pytest.raises(qb.ModelError, match="can take 20 shots"):
        shot_split_model(21, per_shot, over, cap)
    with pytest.raises(qb.ModelError, match="one length"):
        shot_split_model(5, per_shot, over[:2], cap)
    # the policy uses it when no QPU can take the whole job in time
    out = simulate([Job(0, 5, 10, 1000, 0.0, 8.0)], FLEET, make("qip-edf-no-chunk+abort"))
    assert out.served.tolist() == [True] and sorted(b[2] for b in out.batches) == [300, 700]  # fast full to 8 s
    from qbdsl.orchestrate import deadline

    def no_stand_in(*args):
        raise AssertionError("the split fell back to the greedy rule")

    monkeypatch.setattr(deadline, "greedy_split", no_stand_in)  # annealing answers within the budget
    out = simulate(
        [Job(0, 5, 10, 1000, 0.0, 8.0)], FLEET, deadline.QipEdf(split_backend="anneal", budget=0.5, chunk=None)
    )
    assert out.served.tolist() == [True] and sorted(b[2] for b in out.batches) == [300, 700]


def test_ablations_and_bad_policies():
    from qbdsl.orchestrate import Batch, Policy
    from qbdsl.orchestrate.experiment import ABLATIONS

    _policy = make
    assert [make(n, 0).name for n in ABLATIONS] == list(ABLATIONS)
    fleet = default_fleet()
    jobs = poisson_jobs(60, 0.9, 2.0, fleet, seed=1)
    out = simulate(jobs, fleet, _policy("qip-edf-no-cutting", 1), workers=2)
    assert all(jobs[j].qubits <= {q.name: q.qubits for q in fleet}.get(dev, 10**9) for j, dev, *_ in out.batches)
    no_adm = simulate(jobs, fleet, _policy("qip-edf-no-admission", 1), workers=2)
    assert not (no_adm.rejected & ~no_adm.impossible).any()  # without admission it turns nobody away
    no_fb = simulate(jobs, fleet, _policy("qip-edf-no-fallback", 1), workers=2)
    assert not no_fb.classical.any()
    assert make("qip-edf-no-split-no-defer+abort").name == "qip-edf-no-split-no-defer+abort"
    for bad in ("qip-edf-no-magic", "qip-edf+", "edf+ac+ac", "qbdsl"):
        with pytest.raises(qb.ModelError, match="unknown policy"):
            make(bad)

    from qbdsl.orchestrate import Decision

    class Twice(Policy):
        name = "twice"

        def dispatch(self, job, now, state):
            return Decision([Batch(job.id, 0, job.shots), Batch(job.id, 9, 0)])

    with pytest.raises(
        qb.ModelError, match=r"devices \[0, 9\] with shots \[\d+, 0\]: devices are 0..3, shots positive"
    ):
        simulate(jobs[:1], fleet, Twice())


def test_qbdsl_falls_back_to_a_classical_worker():
    from qbdsl.orchestrate.simulator import classical_time

    big = [QPU("big", 40, 1000.0, 0.01, overhead=1.0)]
    busy = Job(0, 30, 10, 1000, 0.0, 12.0)  # 11 s on "big"; too wide to simulate classically
    small = Job(1, 8, 10, 1000, 0.0, 3.0)  # "big" is busy until 11 s; a CPU does it in ms
    assert classical_time(busy) == float("inf") and classical_time(small) < 0.01
    out = simulate([busy, small], big, make("qip-edf-no-chunk+abort"), workers=1)
    assert out.served.tolist() == [True, True] and out.classical.tolist() == [False, True]
    assert [b[1] for b in sorted(out.batches)] == ["big", "cpu-0"]
    out = simulate([busy, small], big, make("qip-edf-no-chunk+abort"), workers=0)
    assert out.served.tolist() == [True, False] and out.rejected.tolist() == [False, True]
    assert "cannot finish within its 3 s window" in out.reasons[1] and out.metrics()["impossible"] == 1
    # QIP-guided: a job the statevector profile predicts faster than any QPU goes classical first
    out = simulate([Job(0, 5, 10, 1000, 0.0, 12.0)], FLEET, make("qip-edf-no-chunk+abort"), workers=1)
    assert out.classical.tolist() == [True]


def test_dask_cluster_gives_the_same_results_as_local_processes():
    from distributed import Client, LocalCluster

    from qbdsl.orchestrate import experiment as ox

    kw = dict(loads=[0.9], tightness=[1.5], seeds=3, n_jobs=30, policies=["qip-edf", "fcfs"])
    local = ox.sweep(**kw)
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        remote = ox.sweep(executor=client.get_executor(), **kw)
    key = lambda rows: sorted((r["seed"], r["policy"], r["served"], r["served_qpu_seconds"]) for r in rows)  # noqa: E731
    assert key(local) == key(remote)


def _live_jobs():
    import sys
    from pathlib import Path

    from qbdsl.orchestrate.live import LiveJob
    from qbdsl.problems import data, routing

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    from slice_placement import build

    return [
        LiveJob("slice", build(), 0.0, 10.0),
        LiveJob("mlu", routing.min_mlu(data.repetita("Abilene")), 0.05, 10.0),
        LiveJob("kpath", routing.kpath_routing(data.repetita("Abilene"), 2, demands=np.arange(6)), 0.1, 10.0),
        LiveJob("hopeless", build(), 0.15, 1e-4),
    ]


def test_live_mode_dispatches_real_solves_under_deadlines():
    from qbdsl.orchestrate.live import Device, run_live

    devices = [Device("cpu-exact", "exact"), Device("cpu-milp", "ortools"), Device("sa", "anneal")]
    out = {o.job: o for o in run_live(_live_jobs(), devices, policy="qip-edf")}
    assert out["slice"].status == "served" and out["slice"].objective == pytest.approx(7.0)
    assert out["mlu"].status == "served" and out["mlu"].device == "cpu-milp"  # continuous: only the MILP device
    assert out["mlu"].objective == pytest.approx(0.899999, rel=1e-5)
    assert out["kpath"].status == "served"
    assert out["hopeless"].status == "rejected"  # predicted to miss: rejected up front
    assert "deadline" in out["hopeless"].reason
    rr = {o.job: o for o in run_live(_live_jobs(), devices, policy="round-robin")}
    assert rr["mlu"].device == "cpu-milp" and rr["hopeless"].status in ("late", "missed")


def test_live_mode_retries_a_failing_device(monkeypatch):
    from qbdsl.backends import registry
    from qbdsl.backends.base import Capabilities
    from qbdsl.orchestrate.live import Device, run_live
    from qbdsl.qip import profiles as prof_mod

    class Broken:
        name = "broken"
        capabilities = Capabilities(accepts=("qubo",))

        def solve(self, ir, **kw):
            raise RuntimeError("device lost")

    monkeypatch.setitem(registry._FACTORIES, "broken", Broken)
    defaults = prof_mod.default_profiles()
    defaults["broken"] = prof_mod.Profile("broken", ("qubo",), 0.0, 0.0, exact=True)
    monkeypatch.setattr(prof_mod, "load_profiles", lambda path=None: (defaults, "test"))
    jobs = _live_jobs()[:1]
    out = run_live(jobs, [Device("bad", "broken"), Device("cpu-milp", "ortools")], policy="qip-edf")
    assert out[0].status == "served" and out[0].device == "cpu-milp"
    assert "device lost" in out[0].attempts[0]
    out = run_live(jobs, [Device("bad", "broken")], policy="qip-edf")
    assert out[0].status == "missed" and "device lost" in out[0].attempts[0]


@pytest.mark.parametrize("move", [False, True])
def test_live_mode_withdraws_waiting_jobs_and_never_aborts_a_running_solve(monkeypatch, move):
    import time
    import types

    from qbdsl.orchestrate import Batch, Decision, Policy, live

    def slow_solve(model, backend, options, time_limit, clock):
        time.sleep(0.3)
        return types.SimpleNamespace(feasible=True, objective=1.0), clock()

    monkeypatch.setattr(live, "_solve", slow_solve)

    class Juggler(Policy):
        name = "juggler"

        def dispatch(self, job, now, state):
            if job.id < 2:  # job 1 waits behind job 0 on device 0
                return Decision([Batch(job.id, 0, 1)])
            return Decision(
                [Batch(2, 0, 1)] + ([Batch(1, 1, 1)] if move else []), {0: "test", 1: "job 2 is more urgent"}
            )  # job 0 is already solving

    model = _live_jobs()[0].model
    jobs = [live.LiveJob(f"j{i}", model, 0.05 * i, 10.0) for i in range(3)]
    out = live.run_live(jobs, [live.Device("a", "exact"), live.Device("b", "exact")], policy=Juggler())
    assert out[0].status == "served" and out[0].device == "a"  # running: not aborted
    assert out[2].status == "served" and out[2].device == "a"
    if move:
        assert out[1].status == "served" and out[1].device == "b" and "moved" in out[1].attempts[0]
    else:
        assert out[1].status == "rejected" and "withdrawn from a, job 2 is more urgent" in out[1].reason


def test_live_mode_sends_a_job_admitted_late():
    from qbdsl.orchestrate import Batch, Decision, Policy, live

    class Later(Policy):
        name = "later"

        def dispatch(self, job, now, state):
            if job.id == 0:
                return Decision(why="no room yet")  # job 0 waits ...
            return Decision([Batch(1, 0, 1), Batch(0, 1, 1)])  # ... and is admitted when job 1 arrives

    model = _live_jobs()[0].model
    jobs = [live.LiveJob(f"j{i}", model, 0.05 * i, 10.0) for i in range(2)]
    out = live.run_live(jobs, [live.Device("a", "exact"), live.Device("b", "exact")], policy=Later())
    assert [o.status for o in out] == ["served", "served"] and out[0].device == "b"
    assert out[0].attempts == ["admitted late (no room yet)"]


@settings(max_examples=30, deadline=None)
@given(
    load=st.sampled_from([0.6, 0.9, 1.2, 1.6]),
    tightness=st.sampled_from([1.0, 1.2, 1.5, 2.0, 3.0]),
    seed=st.integers(0, 10_000),
    evict=st.sampled_from([1, 2, 3]),
    defer=st.booleans(),
)
@example(load=1.2, tightness=1.0, seed=0, evict=1, defer=True)  # job 15: admitted late, withdrawn unstarted
def test_exchange_keeps_every_promise_on_random_traces(load, tightness, seed, evict, defer):
    """Whatever the exchange withdraws or moves and whichever waiting jobs are admitted late:
    no admitted job is late, no device runs two batches at once (aborted ones included), a
    served job got all its shots from batches that ran to the end, and the bookkeeping adds up."""
    from qbdsl.orchestrate.deadline import QipEdf

    fleet = default_fleet()
    jobs = poisson_jobs(40, load, tightness, fleet, seed=seed)
    out = simulate(jobs, fleet, QipEdf(seed, evict=evict, defer=defer), workers=2)
    assert (out.served == ~out.rejected).all()
    assert defer or not out.deferred.any()
    for j in np.flatnonzero(out.deferred):  # admitted at a later arrival (maybe withdrawn before it ran)
        assert all(b[3] > jobs[j].arrival for b in out.batches if b[0] == j)
        assert out.served[j] or out.withdrawn[j]
    assert not (out.withdrawn & ~out.rejected).any() and not (out.moved & ~out.withdrawn & out.rejected).any()
    for dev in {b[1] for b in out.batches}:
        spans = sorted((s, e) for _, n, _, s, e in out.batches if n == dev)
        assert all(s2 >= e1 - 1e-9 for (_, e1), (s2, _) in zip(spans, spans[1:]))
    done = {}
    for j, _, n, s, e in out.batches:
        if n:
            done[j] = done.get(j, 0) + n
            assert jobs[j].arrival - 1e-9 <= s and (not out.served[j] or e <= jobs[j].deadline + 1e-9)
    assert all(done.get(j.id, 0) >= j.shots for j in jobs if out.served[j.id])


@settings(max_examples=25, deadline=None)
@given(
    load=st.sampled_from([0.6, 0.9, 1.2, 2.0]),
    tightness=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    seed=st.integers(0, 10_000),
    name=st.sampled_from(
        ["fcfs+ac", "edf+ac", "greedy-earliest+ac", "fidelity-aware+ac", "round-robin+ac", "edf+ac+chunk"]
    ),
)
def test_matched_baselines_never_start_a_job_they_predict_late(load, tightness, seed, name):
    """With exact predictions, a matched baseline's admitted jobs all meet their deadlines (it
    never starts a job it predicts late), it never aborts or withdraws, and it only uses QPUs
    with the job's qubits."""
    fleet = default_fleet()
    jobs = poisson_jobs(60, load, tightness, fleet, seed=seed, workers=2)
    out = simulate(jobs, fleet, make(name, seed), workers=2)
    assert (out.served == ~out.rejected).all()
    assert out.aborted == 0 and not out.withdrawn.any()
    width = {q.name: q.qubits for q in fleet}
    assert all(jobs[j].qubits <= width.get(dev, 10**9) for j, dev, *_ in out.batches)


@settings(max_examples=25, deadline=None)
@given(
    load=st.sampled_from([0.6, 0.9, 1.2, 2.0]),
    tightness=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    seed=st.integers(0, 10_000),
    error=st.sampled_from([0.0, -0.3, 0.3]),
)
def test_qip_edf_never_aborts_running_work(load, tightness, seed, error):
    """The headline policy never aborts a batch in service (every batch it started ran to its
    end, 0-shot aborted entries never appear), even when run times are off the prediction;
    with exact predictions every job it admitted is served."""
    fleet = default_fleet()
    jobs = poisson_jobs(60, load, tightness, fleet, seed=seed, workers=2)
    out = simulate(jobs, fleet, make("qip-edf", seed), workers=2, error=error)
    assert out.aborted == 0 and all(b[2] > 0 for b in out.batches)
    assert out.discarded == 0  # nor takes back a job some of whose chunks already ran
    if error == 0.0:
        assert (out.served == ~out.rejected).all()
    aborting = simulate(jobs, fleet, make("qip-edf+abort", seed), workers=2)
    assert aborting.aborted == sum(b[2] == 0 for b in aborting.batches)  # the variant's aborts are counted


def test_load_is_calibrated_against_the_platforms_capacity():
    """On long traces the realised load (arrival rate over the capacity LP for the trace's own
    mix) is within 5 % of the label, and a raw FCFS fleet at a sustainable load keeps up."""
    from qbdsl.orchestrate.workload import capacity

    fleet = default_fleet()
    for load in (0.5, 0.9):
        jobs = poisson_jobs(3000, load, 50.0, fleet, seed=1, workers=2)
        assert realised_load(jobs, fleet, workers=2) == pytest.approx(load, rel=0.05)
    # hand-computed capacity: one job type taking 2 s on "fast" -> 0.5 jobs/s; "slow" (3 s) adds 1/3
    one = [Job(0, 5, 10, 100, 0.0, 0.0)]
    assert capacity(one, FLEET[:1]) == pytest.approx(1 / 2.0)
    assert capacity(one, FLEET) == pytest.approx(1 / 2.0 + 1 / 3.0)
    with pytest.raises(qb.ModelError, match="fits no device"):
        capacity([Job(0, 50, 10, 100, 0.0, 0.0)], FLEET)


def test_prediction_error_makes_runs_longer_and_the_policies_see_it():
    jobs = [Job(0, 5, 10, 100, 0.0, 2.1), Job(1, 5, 10, 100, 0.5, 9.0)]
    out = simulate(jobs, FLEET, make("edf+ac"), error=0.5)  # 2 s predicted, 3 s actual on "fast"
    assert sorted(b[1:] for b in out.batches)[0] == ("fast", 100, 0.0, 3.0)
    assert out.served.tolist() == [False, True]  # job 0 admitted, then late
    with pytest.raises(qb.ModelError, match="error must exceed -1"):
        simulate(jobs, FLEET, make("edf"), error=-1.0)


def test_relaxation_bound_stays_an_upper_bound_when_the_solver_runs_out_of_time():
    """At a time limit the incumbent is a lower bound; the function must fall back to the
    MILP's proven bound or the LP relaxation (a policy served 198 against a "bound" of 156)."""
    from qbdsl.orchestrate.bound import relaxation_bound

    fleet = default_fleet()
    jobs = poisson_jobs(200, 1.2, 3.0, fleet, seed=19, workers=2)
    served = max(
        simulate(jobs, fleet, make(p, 19), workers=2).metrics()["served"]
        for p in ("qip-edf", "qip-edf+abort", "edf+ac+chunk")
    )
    r = relaxation_bound(jobs, fleet, workers=2, time_limit=0.3)
    assert r["status"] in ("optimal", "bound", "lp", "trivial") and r["bound"] >= served


def test_cut_fragments_are_timed_by_the_routed_depth():
    from qbdsl.orchestrate.model import depth_on

    j = Job(0, 150, 4, 100, 0.0, 1.0, "dj-150", {"fez": 875, "marrakesh": 901}, {})
    narrow = QPU("torino", 133, 210e3, 4e-3)
    assert depth_on(j, narrow) == 901 and depth_on(j, QPU("fez", 156, 195e3, 4e-3)) == 875
    assert depth_on(Job(1, 5, 7, 10, 0.0, 1.0), narrow) == 7  # no transpiled depths: the logical one


def test_write_outputs_refuses_an_empty_run_list(tmp_path):
    from qbdsl.orchestrate.experiment import write_outputs

    with pytest.raises(ValueError, match="no runs to write"):
        write_outputs([], tmp_path / "out")
    assert not (tmp_path / "out").exists()
