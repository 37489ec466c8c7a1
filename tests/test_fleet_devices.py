"""Fleets built from the backends' devices (issue 17, item 5): the orchestration's QPUs and the
``ibm`` / ``dwave`` backends are one model."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdsl.cli import main
from qbdsl.errors import BackendError, FileFormatError, ModelError
from qbdsl.orchestrate import QPU, Job, device_qpu, device_qpus, fidelity, fleet_document, load_fleet, run_time
from qbdsl.orchestrate.grounded import ibm_fleet_data

pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("dwave.system", reason="the dwave extra is not installed: pip install qbdsl[dwave]")

from qbdsl.backends import dwave_backend as dw  # noqa: E402
from qbdsl.backends import ibm_backend as ib  # noqa: E402

IBM = ("ibm:fake_fez", "ibm:fake_torino", "ibm:fake_kyiv")


@pytest.fixture
def no_account(monkeypatch):
    monkeypatch.setattr(ib, "account_configured", lambda: False)


@pytest.fixture
def no_token(monkeypatch):
    monkeypatch.setattr(dw, "token_configured", lambda: False)


def test_ibm_devices_match_the_shipped_fleet():
    shipped = {d["name"]: d for d in ibm_fleet_data()["qpus"]}
    for q in device_qpus(list(IBM)):
        d = shipped[q.name]
        assert (q.qubits, q.clops, q.family, q.kind) == (d["qubits"], d["clops"], d["family"], "gate")
        assert q.two_qubit_error == pytest.approx(d["two_qubit_error"], rel=1e-12)
        # same snapshot: the calibration date ibm_fleet.json records is in the source
        assert d["snapshot_date"] in q.source
        # one model: the case study's per-batch overhead is the ibm backend's per-job time
        assert q.overhead == ib.JOB_OVERHEAD_SECONDS == d["overhead"]


def test_ibm_figures_come_from_the_backend_functions():
    q = device_qpu("ibm:FakeFez")
    backend = ib.fake_backend("fake_fez")
    assert q.name == "fez" and q.qubits == backend.num_qubits
    assert q.clops == ib.clops_h(backend)[0]
    errors = [p.error for p in backend.target["cz"].values() if p is not None and p.error is not None]
    assert q.two_qubit_error == pytest.approx(float(np.median(errors)))


def test_dwave_timing_is_the_published_access_time_model(no_token):
    for spec, topology, qubits in (
        ("dwave:mock-advantage", "advantage", 5640),
        ("dwave:advantage2", "advantage2", 4800),
    ):
        q = device_qpu(spec, snapshot=True)
        assert q.kind == "anneal" and q.qubits == qubits and math.isinf(q.clops)
        job = Job(0, 40, 300, 100, 0.0, 10.0, kind="qubo")  # an annealer takes only QUBO jobs
        for reads in (1, 100, 1000):
            predicted = dw.predict_qpu_access_time(qubits, reads, topology=topology)
            assert run_time(job, q, reads) == pytest.approx(predicted + dw.REMOTE_OVERHEAD_SECONDS, rel=1e-12)
        assert run_time(Job(1, 40, 3, 100, 0.0, 1.0, kind="qubo"), q, 100) == pytest.approx(run_time(job, q, 100))
        assert math.isnan(fidelity(job, q))


@settings(max_examples=30, deadline=None)
@given(reads=st.integers(1, 10_000), depth=st.integers(1, 5000))
def test_dwave_run_time_matches_the_model_for_any_reads(reads, depth):
    q = device_qpu("dwave:mock-advantage")
    predicted = dw.predict_qpu_access_time(q.qubits, reads, topology="advantage") + dw.REMOTE_OVERHEAD_SECONDS
    assert run_time(Job(0, 10, depth, reads, 0.0, 1.0, kind="qubo"), q, reads) == pytest.approx(predicted, rel=1e-9)


def test_fleet_file_entries_name_devices_and_numbers_override(tmp_path):
    f = tmp_path / "fleet.json"
    f.write_text(
        json.dumps(
            {
                "qpus": [
                    {"device": "ibm:fake_fez"},
                    {"device": "ibm:fake_fez", "name": "fez-b", "overhead": 0.5, "clops": 100000},
                    {"device": "dwave:mock-advantage2", "shot_seconds": 1e-3},
                    {"name": "hand", "qubits": 27, "clops": 15e3, "two_qubit_error": 0.01},
                ]
            }
        )
    )
    fez, fez_b, adv2, hand = load_fleet(f)
    assert fez.clops == 195000.0 and fez.overhead == ib.JOB_OVERHEAD_SECONDS
    assert (fez_b.name, fez_b.clops, fez_b.overhead, fez_b.qubits) == ("fez-b", 100000.0, 0.5, 156)
    assert fez_b.two_qubit_error == fez.two_qubit_error and "given: clops=100000.0" in fez_b.source
    assert adv2.shot_seconds == 1e-3 and adv2.kind == "anneal"
    assert hand.source == "" and hand.kind == "gate"


def test_unknown_devices_are_one_error_naming_the_known_ones(tmp_path):
    for spec in ("nec:vector", "ibm:", "dwave:advantage3", "ibm:eagle"):
        with pytest.raises(ModelError, match="known devices: ibm:fake_<name>.*dwave:mock-advantage"):
            device_qpu(spec)
    with pytest.raises(ModelError, match="no fake device 'fake_nope'.*fake_fez"):
        device_qpu("ibm:fake_nope")
    f = tmp_path / "fleet.json"
    f.write_text(json.dumps({"qpus": [{"device": "ibm:fake_fez"}, {"device": "dwave:advantage3"}]}))
    with pytest.raises(FileFormatError, match=r"fleet.json: qpus\[1\]: unknown D-Wave device 'dwave:advantage3'"):
        load_fleet(f)
    f.write_text(json.dumps({"qpus": [{"device": "ibm:fake_fez", "clopz": 5}]}))
    with pytest.raises(FileFormatError, match=r"qpus\[0\]: unknown field\(s\) 'clopz'"):
        load_fleet(f)
    f.write_text(json.dumps({"qpus": [{"device": "ibm:fake_fez"}, {"device": "ibm:fake_fez"}]}))
    with pytest.raises(FileFormatError, match=r"qpus\[1\]: a QPU named 'fez' is already"):
        load_fleet(f)
    f.write_text(json.dumps({"qpus": [{"device": "ibm:fake_fez", "qubits": "many"}]}))
    with pytest.raises(FileFormatError, match=r"qpus\[0\]: 'qubits' must be a number"):
        load_fleet(f)
    for entry in ({"device": "dwave:mock-advantage", "snapshot": True}, {"device": "ibm:ibm_fez", "snapshot": "yes"}):
        f.write_text(json.dumps({"qpus": [entry]}))
        with pytest.raises(FileFormatError, match=r"qpus\[0\]: 'snapshot' is true or false, for a real device"):
            load_fleet(f)


def test_a_real_dwave_device_needs_a_token_or_the_snapshot_flag_and_reads_the_live_solver(monkeypatch, no_token):
    with pytest.raises(BackendError, match='needs a Leap token: set a Leap API token.*"snapshot": true'):
        device_qpu("dwave:advantage")
    offline = device_qpu("dwave:advantage", snapshot=True)
    assert offline.qubits == 5640 and "standing in for the QPU (no Leap token; snapshot)" in offline.source
    graph = dw.target_graph("advantage").copy()
    graph.remove_nodes_from(list(graph.nodes)[:40])
    timing = {**dw.qpu_timing_data("advantage"), "qpu_delay_time_per_sample": 100.0}
    monkeypatch.setattr(dw, "token_configured", lambda: True)
    monkeypatch.setattr(dw, "live_solver", lambda topology, timeout=None: dw.LiveSolver("Adv_test", graph, timing))
    live = device_qpu("dwave:advantage", snapshot=True)  # a token: the live solver even with the flag
    assert live.qubits == 5600 and "live: Adv_test" in live.source
    want = dw.predict_qpu_access_time(5600, 100, timing_data=timing) + dw.REMOTE_OVERHEAD_SECONDS
    assert run_time(Job(0, 10, 1, 100, 0.0, 1.0, kind="qubo"), live, 100) == pytest.approx(want, rel=1e-9)


def test_real_device_without_an_account(tmp_path, no_account):
    with pytest.raises(BackendError, match="no IBM Quantum account is configured.*QISKIT_IBM_TOKEN.*snapshot"):
        device_qpu("ibm:ibm_fez")
    q = device_qpu("ibm:ibm_fez", snapshot=True)
    assert q.name == "fez" and q.clops == 195000.0 and "standing in for ibm_fez" in q.source
    f = tmp_path / "fleet.json"
    f.write_text(json.dumps({"qpus": [{"device": "ibm:ibm_torino"}]}))
    with pytest.raises(BackendError, match=r"qpus\[0\]: ibm: device 'ibm_torino' is a real.*QISKIT_IBM_TOKEN"):
        load_fleet(f)
    assert load_fleet(f, snapshots=True)[0].qubits == 133
    f.write_text(json.dumps({"qpus": [{"device": "ibm:ibm_torino", "snapshot": True}]}))
    assert load_fleet(f)[0].qubits == 133


def test_written_fleet_reads_back_without_the_sdks(tmp_path):
    fleet = device_qpus("ibm:fake_fez,ibm:fake_kyiv,dwave:mock-advantage")
    from qbdsl.io.atomic import write_json

    f = write_json(tmp_path / "fleet.json", fleet_document(fleet))
    doc = json.loads(f.read_text())
    assert doc["qpus"][2]["clops"] is None  # infinite: strict JSON
    back = load_fleet(f)
    assert back == fleet and [q.source for q in back] == [q.source for q in fleet]


def test_bad_qpu_figures_are_refused():
    with pytest.raises(ModelError, match="kind must be one of gate, anneal"):
        QPU("x", 5, 1e3, 0.01, kind="photonic")
    with pytest.raises(ModelError, match="infinite clops needs shot_seconds > 0"):
        QPU("x", 5, math.inf, 0.0, kind="anneal")
    with pytest.raises(ModelError, match="shot_seconds must be finite"):
        QPU("x", 5, 1e3, 0.01, shot_seconds=-1.0)


def test_experiment_runs_on_a_device_fleet():
    from qbdsl.orchestrate import experiment as ox

    fleet = device_qpus("ibm:fake_fez,ibm:fake_torino,dwave:mock-advantage")
    rows = ox.sweep([0.5], [2.0], seeds=2, n_jobs=15, fleet=fleet)
    assert rows and all(0 <= r["served"] <= 15 for r in rows)
    served = [r for r in rows if r["policy"] == "qip-edf"]
    assert served and all(math.isfinite(r["busy_fraction"]) and r["realised_load"] > 0 for r in served)


def test_cli_fleet_write_then_experiment(tmp_path, capsys):
    out = tmp_path / "fleet.json"
    spec = "ibm:fake_fez,ibm:fake_kyiv,dwave:mock-advantage"
    assert main(["fleet", "write", "--devices", spec, "-o", str(out)]) == 0
    assert [q["name"] for q in json.loads(out.read_text())["qpus"]] == ["fez", "kyiv", "mock-advantage"]
    assert main(["fleet", "show", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Heron" in text and "5640" in text and "predict_qpu_access_time" in text
    args = ["--loads", "0.5", "--tightness", "2", "--seeds", "2", "--jobs", "12", "-o", str(tmp_path / "o")]
    assert main(["experiment", "orchestration", "--fleet", str(out), *args]) == 0
    assert (tmp_path / "o" / "orchestration-runs.csv").is_file()


def test_cli_fleet_errors(tmp_path, capsys, no_account):
    assert main(["fleet", "show", "--devices", "ibm:ibm_fez"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "QISKIT_IBM_TOKEN" in err and "--snapshots" in err
    assert main(["fleet", "show", "--devices", "ibm:ibm_fez", "--snapshots"]) == 0
    assert "standing in for ibm_fez" in capsys.readouterr().out
    assert main(["fleet", "write", "--devices", "qpu:x", "-o", str(tmp_path / "f.json")]) == 2
    assert "unknown device 'qpu:x'" in capsys.readouterr().err and not (tmp_path / "f.json").exists()
    assert main(["fleet", "show", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["fleet", "show", str(tmp_path / "nope.json"), "--devices", "ibm:fake_fez"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["fleet", "show"]) == 0  # the default fleet
    assert "marrakesh" in capsys.readouterr().out


def test_the_scheduling_model_times_an_annealer_as_the_orchestration_model_does():
    """problems.scheduling's vectorized batch times equal model.run_time on a fleet with a
    D-Wave device (its per-read time is in shot_seconds, not in CLOPS)."""
    import numpy as np

    from qbdsl.orchestrate.devices import device_qpus
    from qbdsl.orchestrate.model import Job, run_time
    from qbdsl.problems.scheduling import _run_seconds

    fleet = device_qpus(["ibm:fake_fez", "dwave:mock-advantage"])
    jobs = [Job(id=0, qubits=20, depth=40, shots=1000, arrival=0.0, deadline=100.0, kind="qubo")]
    got = _run_seconds(np.array([20.0]), np.array([[40.0, 40.0]]), np.array([1000.0]), fleet, np.array([True]))
    want = [run_time(jobs[0], q, 1000) for q in fleet]
    assert np.allclose(got[0], want, rtol=1e-12)


def test_an_annealer_takes_only_qubo_jobs():
    """A circuit job never runs on a D-Wave device (infinite time there, no batch from any
    policy); a QUBO job does, and the scheduling model's vectorized times agree."""
    import numpy as np

    from qbdsl.orchestrate import POLICIES
    from qbdsl.orchestrate.model import Job, per_shot_seconds, runs_on
    from qbdsl.orchestrate.policies import make
    from qbdsl.orchestrate.simulator import simulate
    from qbdsl.problems.scheduling import _batch_seconds

    fleet = device_qpus(["ibm:fake_fez", "dwave:mock-advantage"])
    fez, dw = fleet
    circuit = Job(0, 20, 40, 1000, 0.0, 100.0)
    qubo = Job(1, 20, 40, 1000, 0.0, 100.0, kind="qubo")
    assert runs_on(circuit, fez) and not runs_on(circuit, dw) and runs_on(qubo, dw)
    assert math.isinf(per_shot_seconds(circuit, dw)) and math.isfinite(per_shot_seconds(qubo, dw))
    assert not runs_on(Job(2, 6000, 1, 10, 0.0, 1.0, kind="qubo"), dw)  # an annealer does not cut
    got = _batch_seconds([circuit, qubo], fleet, [q.name for q in fleet], np.array([1000.0, 1000.0]))
    assert math.isinf(got[0, 1]) and got[1, 1] == pytest.approx(dw.overhead + 1000 * dw.shot_seconds)
    with pytest.raises(ModelError, match="kind must be one of circuit, qubo"):
        Job(3, 5, 5, 5, 0.0, 1.0, kind="anneal")

    rng = np.random.default_rng(4)
    jobs = [
        Job(i, int(rng.integers(5, 40)), int(rng.integers(10, 100)), 2000, 0.1 * i, 0.1 * i + 10.0, kind=k)
        for i, k in enumerate(["circuit", "qubo"] * 10)
    ]
    for name in POLICIES:
        out = simulate(jobs, fleet, make(name))
        on_annealer = {b[0] for b in out.batches if b[1] == dw.name}
        assert on_annealer <= {j.id for j in jobs if j.kind == "qubo"}, name
    assert any(b[1] == dw.name for b in simulate(jobs, fleet, make("least-busy")).batches)


def test_a_workload_file_may_name_the_job_kind(tmp_path):
    from qbdsl.errors import FileFormatError
    from qbdsl.orchestrate.workload import load_jobs

    f = tmp_path / "jobs.json"
    job = {"qubits": 5, "depth": 10, "shots": 100, "arrival": 0, "deadline": 5}
    f.write_text(json.dumps({"jobs": [job, {**job, "kind": "qubo"}]}))
    assert [j.kind for j in load_jobs(f)] == ["circuit", "qubo"]
    f.write_text(json.dumps({"jobs": [{**job, "kind": "photonic"}]}))
    with pytest.raises(FileFormatError, match=r"jobs\[0\].*kind must be one of circuit, qubo"):
        load_jobs(f)


def test_one_per_shot_rule_for_the_backend_the_fleet_and_the_case_study():
    """The ibm backend's predicted QPU seconds equal the orchestration model's run time of the
    same circuit on the same device, from qbdsl fleet and from the shipped fleet file."""
    from qbdsl.orchestrate.model import DEFAULT_OVERHEAD
    from qbdsl.orchestrate.workload import ibm_fleet

    assert DEFAULT_OVERHEAD == ib.JOB_OVERHEAD_SECONDS
    shipped = {q.name: q for q in ibm_fleet()}
    for n, shots in ((4, 4000), (10, 1000)):
        p = ib.predict(n, "fake_fez", shots=shots, seed=0)
        job = Job(0, n, p.two_qubit_depth, shots, 0.0, 1e9)
        for q in (device_qpu("ibm:fake_fez"), shipped["fez"]):
            assert q.shot_seconds == 250e-6
            assert run_time(job, q, shots) == pytest.approx(p.predicted_qpu_seconds, rel=1e-12)
