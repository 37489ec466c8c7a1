"""QIP from the devices' real properties: D-Wave rows from the instance's actual embedding, IBM
rows from its transpiled circuit and the calibration snapshot's errors; real QPUs without
credentials kept as planning rows that say how to configure them.

No test needs credentials or the network: "configured" is simulated by replacing
``qbdsl.qip.devices.credentials``.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.ir.terms import QuboTerms
from qbdsl.qip import decide
from qbdsl.qip import devices as dv

pytest.importorskip("dwave.system", reason="the dwave extra is not installed: pip install qbdsl[dwave]")
pytest.importorskip("qiskit_ibm_runtime", reason="the ibm extra is not installed: pip install qbdsl[ibm]")

from qbdsl.backends import dwave_backend as dw  # noqa: E402


def random_qubo(n: int, seed: int = 0, density: float = 1.0) -> qb.QuboIR:
    """Normal coefficients on about ``density`` of all pairs."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < density
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), i[keep], j[keep], rng.normal(size=int(keep.sum())))
    )


def sparse_qubo(n: int, per_variable: int = 2, seed: int = 0) -> qb.QuboIR:
    """A ring plus random chords: about ``per_variable`` couplers per variable (built in O(n))."""
    rng = np.random.default_rng(seed)
    i = np.concatenate([np.arange(n - 1), rng.integers(0, n, (per_variable - 1) * n)])
    j = np.concatenate([np.arange(1, n), rng.integers(0, n, (per_variable - 1) * n)])
    keep = i != j
    lo, hi = np.minimum(i, j)[keep], np.maximum(i, j)[keep]
    pairs = np.unique(np.stack([lo, hi], 1), axis=0)
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), pairs[:, 0], pairs[:, 1], rng.normal(size=len(pairs)))
    )


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No Leap token and no IBM Quantum account (empty configuration files, no variables)."""
    from qiskit_ibm_runtime.accounts import management

    empty = tmp_path / "dwave.conf"
    empty.write_text("")
    for var in ("DWAVE_API_TOKEN", "DWAVE_PROFILE", "QISKIT_IBM_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(empty))
    monkeypatch.setattr(management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "qiskit-ibm.json"))


@pytest.fixture
def configured(monkeypatch):
    """As if a Leap token and an IBM Quantum account were configured (nothing reaches the network:
    a decision reads no live device)."""
    monkeypatch.setattr(dv, "credentials", lambda backend: (True, ""))
    monkeypatch.setattr(dv, "live_device", lambda dev: (None, ""))  # no network: planned offline


def rows_of(d):
    return {r.backend: r for r in d.rows}


def test_explain_lists_the_devices_real_figures(no_credentials):
    q = random_qubo(8, 1)
    d = decide(q)
    rows = rows_of(d)
    text = d.explain()
    for name in ("dwave:mock-advantage", "dwave:mock-advantage2", "dwave:advantage", "dwave:advantage2"):
        figs = rows[name].figures
        topology = dv.DEVICES[[x.name for x in dv.DEVICES].index(name)].topology
        summary = dw.embed(q, topology, seed=dv.PLAN_SEED)
        assert figs["physical qubits"] == summary.physical_qubits > 8  # the instance's own embedding
        assert figs["longest chain"] == summary.longest_chain >= 2
        access = dw.predict_qpu_access_time(summary.physical_qubits, dw.DEFAULT_READS, topology=topology)
        assert figs["predicted QPU access time"].startswith(f"{access * 1e3:.1f} ms")
    for name in ("ibm:fake_fez", "ibm:fake_torino", "ibm:ibm_fez"):
        figs = rows[name].figures
        assert figs["depth"] > figs["two-qubit layers"] > 0 and 0 < float(figs["ESP"]) < 1
        assert "predicted QPU time" in figs
    for word in ("physical qubits", "longest chain", "predicted QPU access time", "depth", "two-qubit layers", "ESP"):
        assert word in text
    # the local simulations say what they are; real devices are marked remote
    assert "local simulation" in rows["dwave:mock-advantage"].label and "no QPU" in rows["ibm:fake_fez"].label
    assert "dwave:advantage (remote)" in text and "ibm:ibm_fez (remote)" in text


def test_no_credentials_keeps_the_real_devices_and_names_the_configuration_step(no_credentials):
    d = decide(random_qubo(10, 2), prefer="quantum")
    rows = rows_of(d)
    for name in ("dwave:advantage", "dwave:advantage2", "ibm:ibm_fez"):
        assert rows[name].remote and rows[name].predicted_time is not None  # evaluated, not dropped
    assert rows["dwave:advantage"].verdict.startswith("planning only")
    assert "DWAVE_API_TOKEN" in rows["dwave:advantage"].configure and "dwave config create" in d.explain()
    assert "QISKIT_IBM_TOKEN" in rows["ibm:ibm_fez"].configure
    # what runs is a local simulation; what it would choose with a token is said, with the step
    assert d.backend == "dwave" and d.device.startswith("dwave:mock-")
    assert d.options["backend_options"]["solver"].startswith("mock-")
    assert "with credentials QIP would choose dwave:advantage" in d.planned and "DWAVE_API_TOKEN" in d.planned
    assert d.planned in d.explain()


def test_a_real_device_is_chosen_when_preferred_and_configured(configured):
    d = decide(random_qubo(10, 2), prefer="quantum")
    assert d.backend == "dwave" and d.device in ("dwave:advantage", "dwave:advantage2")
    assert d.options["backend_options"] == {"solver": d.device.split(":")[1]} and not d.planned
    # among IBM devices the real Fez and its snapshot predict the same quality: "quantum" means the QPU
    d = decide(random_qubo(6, 3), prefer="quantum", backends=["ibm"])
    rows = rows_of(d)
    assert rows["ibm:ibm_fez"].predicted_quality == rows["ibm:fake_fez"].predicted_quality
    assert d.device == "ibm:ibm_fez" and d.options["backend_options"] == {"device": "ibm_fez"}
    assert d.ranked == ["ibm"]


def test_a_real_qpu_wins_a_deadline_its_mock_cannot_meet(configured):
    """150 dense variables: simulating 100 reads of the embedded model takes seconds here, the QPU
    answers in its round trip; under a 2 s deadline the mock is cut short, the QPU is not."""
    q = random_qubo(150, 4)
    d = decide(q, deadline=2.0, backends=["dwave"])
    rows = rows_of(d)
    assert d.device in ("dwave:advantage", "dwave:advantage2"), d.explain()
    mock = rows["dwave:mock-" + d.device.split(":")[1]]
    assert mock.predicted_quality < rows[d.device].predicted_quality  # cut to the deadline
    assert rows[d.device].predicted_time < 2.0 < float(mock.figures["simulated in"].split()[0])


def test_too_many_variables_for_every_device_is_refused_with_the_sizes(no_credentials, monkeypatch):
    calls = []
    monkeypatch.setattr(dw, "embed", lambda *a, **k: calls.append(a) or pytest.fail("embedded"))
    d = decide(sparse_qubo(6000), backends=["dwave", "ibm"])
    rows = rows_of(d)
    assert "6000 binaries exceed the 5640 working qubits" in rows["dwave:advantage"].verdict
    assert "6000 binaries exceed the 4800 working qubits" in rows["dwave:mock-advantage2"].verdict
    assert "exceed the 16 qubits a noisy simulation" in rows["ibm:fake_fez"].verdict
    assert "exceed the 26 qubits" in rows["ibm:ibm_fez"].verdict
    assert d.backend is None and not calls  # refused before any embedding


def test_a_model_that_does_not_embed_is_refused_with_the_sizes(no_credentials):
    d = decide(random_qubo(200, 5), backends=["dwave", "anneal"])
    rows = rows_of(d)
    for name in ("dwave:advantage", "dwave:mock-advantage2"):
        assert not rows[name].fits and "does not embed" in rows[name].verdict
        assert "200 variables" in rows[name].verdict and "largest that fits is K_" in rows[name].verdict
    assert d.backend == "anneal" and "does not embed" in d.explain()


def test_a_circuit_too_deep_for_the_device_is_refused_saying_so(configured):
    q = random_qubo(20, 6)
    d = decide(q, backends=["ibm"], prefer="quantum")
    row = rows_of(d)["ibm:ibm_fez"]
    assert not row.fits and row.verdict.startswith("too deep for fake_fez")
    assert "estimated success probability" in row.verdict and "below 0.1" in row.verdict
    assert float(row.figures["ESP"]) < 0.1 and row.figures["two-qubit layers"] > 0  # shown, still
    assert "exceed the 16 qubits" in rows_of(d)["ibm:fake_fez"].verdict


def test_esp_bound_is_an_upper_bound_of_the_transpiled_esp():
    from qbdsl.backends import ibm_backend as ibm

    for n in (4, 8, 12):
        q = random_qubo(n, n)
        p = ibm.predict(q, "fake_fez", seed=0)
        assert dv.esp_bound("fake_fez", q.num_interactions) >= p.esp
        assert dv.esp_bound("fake_fez", p.two_qubit_gates) >= p.esp
    assert dv.esp_bound("fake_fez", 10) > dv.esp_bound("fake_fez", 1000) > 0


def test_one_embedding_per_instance_and_topology(no_credentials, monkeypatch):
    dv.clear_caches()
    real = dw.embed
    calls = []
    monkeypatch.setattr(dw, "embed", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    q = random_qubo(12, 7)
    decide(q)
    decide(q, deadline=10.0)
    assert sorted(calls) == ["advantage", "advantage2"]  # the mock and the QPU share it; cached after


def test_solve_keeps_remote_out_and_does_not_embed_when_devices_cannot_win(no_credentials, monkeypatch):
    dv.clear_caches()
    monkeypatch.setattr(dw, "embed", lambda *a, **k: pytest.fail("embedded for a classical case"))
    r = qb.solve(random_qubo(8, 8))
    assert r.backend == "exact"
    rows = rows_of(r.decision)
    assert not any(row.remote for row in r.decision.rows)  # solve's view: only what runs here
    # a local simulation is not assessed unless preferred (it costs the SDK import and an embedding)
    assert rows["dwave:mock-advantage"].verdict.startswith("not assessed: a local simulation")
    assert "prefer='dwave:mock-advantage'" in rows["dwave:mock-advantage"].verdict
    m = qb.Model("c")
    m.minimize(m.continuous("f", lb=1, ub=2))
    d = decide(m)
    assert "cannot take it as a QUBO" in rows_of(d)["dwave:advantage"].verdict


def test_a_device_that_cannot_meet_the_deadline_at_best_is_not_embedded(no_credentials, monkeypatch):
    """decide() plans the real QPUs too (include_remote=True): at a 50 ms deadline it spent 28 s
    embedding a 500-variable dense QUBO on devices whose remote overhead alone is seconds."""
    dv.clear_caches()
    monkeypatch.setattr(dw, "embed", lambda *a, **k: pytest.fail("embedded for a deadline it cannot meet"))
    monkeypatch.setattr(dv, "assess", lambda *a, **k: pytest.fail("assessed for a deadline it cannot meet"))
    q = random_qubo(60)
    d = decide(q, deadline=0.05)
    rows = rows_of(d)
    f = qb.qip.features(q)
    for name in ("dwave:advantage", "dwave:mock-advantage"):
        dev = next(x for x in dv.DEVICES if x.name == name)
        t_lb = dv.bound(dev, f, {})[0]
        assert t_lb > 0.05
        assert rows[name].verdict.startswith("not assessed: even at best") and "0.05 s deadline" in rows[name].verdict
    assert d.backend is not None and not d.backend.startswith("dwave")
    # a device too small for the instance says so, not that the deadline rules it out
    sim = rows_of(decide(q, deadline=0.05))["ibm:fake_fez"]
    assert not sim.fits and sim.verdict.startswith("60 binaries exceed the") and "qubits" in sim.verdict


def test_a_preferred_qpu_the_deadline_rules_out_still_asks_for_its_credentials(no_credentials):
    """Pruned by the deadline before any transpiling, a preferred real QPU without credentials is
    refused as such (the documented error), not swapped for a classical backend."""
    dv.clear_caches()
    q = random_qubo(12)
    row = rows_of(decide(q, deadline=5, prefer="ibm:ibm_fez"))["ibm:ibm_fez"]
    assert row.verdict.startswith("not assessed: even at best") and row.configure
    with pytest.raises(qb.BackendError, match="credentials are not configured"):
        qb.solve(q, prefer="ibm:ibm_fez", remote=True, deadline=5)


def test_solve_runs_the_chosen_mock_and_labels_it(no_credentials):
    q = random_qubo(8, 9)
    r = qb.solve(q, prefer="quantum", seed=0)
    assert r.backend == "dwave" and r.decision.device.startswith("dwave:mock-")
    assert "no QPU" in r.raw.info["sampler"] and r.raw.info["solver"] == r.decision.device.split(":")[1]
    assert r.energy == pytest.approx(qb.solve(q, backend="exact").energy)


def test_solve_names_the_device_and_falls_back_to_the_next_device_with_its_option(no_credentials, monkeypatch):
    """The policy's chain keeps each device row's option: when the chosen mock fails, the next
    device runs on its own device, and the result and attempts name the devices."""
    q = random_qubo(8, 9)
    d = decide(q, prefer="quantum", backends=["dwave"], include_remote=False)
    assert [opts.get("solver") for _, opts in d.plan] == ["mock-advantage", "mock-advantage2"] or [
        opts.get("solver") for _, opts in d.plan
    ] == ["mock-advantage2", "mock-advantage"]
    chosen = d.plan[0][1]["solver"]
    real_solve = dw.DWaveBackend.solve

    def failing(self, ir, **kw):
        if kw.get("solver") == chosen:
            raise qb.BackendError(f"dwave: {chosen} is down (test)")
        return real_solve(self, ir, **kw)

    monkeypatch.setattr(dw.DWaveBackend, "solve", failing)
    r = qb.solve(q, prefer="quantum", seed=0)
    other = ({"mock-advantage", "mock-advantage2"} - {chosen}).pop()
    assert r.backend == "dwave" and r.device == f"dwave:{other}"
    assert r.attempts == [{"backend": "dwave", "error": f"dwave: {chosen} is down (test)", "device": f"dwave:{chosen}"}]
    assert qb.solve(q, backend="anneal", seed=0).device is None


def test_solve_runs_a_real_qpu_only_when_asked(no_credentials):
    q = random_qubo(8, 9)
    with pytest.raises(qb.OptionError, match="names a real QPU .*only with remote=True"):
        qb.solve(q, prefer="dwave:advantage")
    with pytest.raises(qb.OptionError, match="remote must be True or False"):
        qb.solve(q, remote="yes")
    with pytest.raises(qb.OptionError, match="deadline, prefer and remote are the policy's"):
        qb.solve(q, backend="dwave", remote=True)
    with pytest.raises(qb.BackendError, match="prefer='ibm:ibm_fez': credentials are not configured.*QISKIT_IBM_TOKEN"):
        qb.solve(q, prefer="ibm:ibm_fez", remote=True)
    r = qb.solve(q, remote=True)  # real rows are judged (planning rows here), a local backend runs
    assert any(row.remote for row in r.decision.rows) and r.backend == "exact" and not r.decision.unjudged
    text = qb.solve(q).decision.explain()  # the default view says what it left out, and how to include it
    assert "real QPUs not judged in this view (dwave:advantage, dwave:advantage2, ibm:ibm_fez)" in text
    assert "remote=True" in text


def test_a_real_dwave_row_is_planned_on_the_live_working_graph(monkeypatch):
    """With credentials, the live solver's working graph (yield defects out) and timing data."""
    monkeypatch.setattr(dv, "credentials", lambda backend: (True, ""))
    dv.clear_caches()
    nominal = dw.target_graph("advantage")
    graph = nominal.copy()
    graph.remove_nodes_from(list(graph.nodes)[:200])  # 200 broken qubits
    timing = {**dw.qpu_timing_data("advantage"), "qpu_delay_time_per_sample": 100.0}
    live = dw.LiveSolver("Advantage_test", graph, timing)
    monkeypatch.setattr(dw, "live_solver", lambda topology, timeout=dw.REQUEST_TIMEOUT: live)
    seen = []
    real_embed = dw.embed
    monkeypatch.setattr(dw, "embed", lambda q, g, *a, **k: seen.append(g) or real_embed(q, g, *a, **k))
    q = random_qubo(12, 5)
    row = rows_of(decide(q, backends=["dwave"]))["dwave:advantage"]
    assert any(g is graph for g in seen)
    assert "live working graph of Advantage_test (5440 qubits)" in row.figures["planned on"]
    phys = row.figures["physical qubits"]
    want = dw.predict_qpu_access_time(phys, dw.DEFAULT_READS, topology="advantage", timing_data=timing)
    assert row.figures["predicted QPU access time"].startswith(f"{want * 1e3:.1f} ms")


def test_an_unreachable_vendor_is_planned_offline_and_not_asked_again(monkeypatch):
    monkeypatch.setattr(dv, "credentials", lambda backend: (True, ""))
    dv.clear_caches()
    calls = []

    def down(topology, timeout=dw.REQUEST_TIMEOUT):
        calls.append(topology)
        raise qb.BackendError("dwave: connecting to a pegasus QPU failed: ConnectionError (test)")

    monkeypatch.setattr(dw, "live_solver", down)
    q = random_qubo(10, 6)
    for _ in range(2):
        row = rows_of(decide(q, backends=["dwave"]))["dwave:advantage"]
        assert "nominal advantage graph (5640 qubits); live properties unavailable" in row.figures["planned on"]
        # credentials but no vendor: never a candidate (running it would only fail after a wait)
        assert row.verdict.startswith("not reachable now: live properties unavailable")
    assert calls.count("advantage") == 1


def test_a_real_ibm_row_uses_the_live_calibration(monkeypatch):
    from qbdsl.backends import ibm_backend as ibm

    monkeypatch.setattr(dv, "credentials", lambda backend: (True, ""))
    dv.clear_caches()
    stand_in = ibm.fake_backend("fake_torino")  # "today's calibration" of ibm_fez, for the test
    monkeypatch.setattr(ibm, "real_backend", lambda device, timeout=None: stand_in)
    ibm._REAL["ibm_fez"] = (1.0, stand_in)
    q = random_qubo(5, 7)
    row = rows_of(decide(q, backends=["ibm"]))["ibm:ibm_fez"]
    assert row.figures["calibration"].startswith("live from ibm_fez")
    want = ibm.predict(q, "fake_torino", seed=dv.PLAN_SEED)
    assert row.figures["ESP"] == f"{want.esp:.3g}" and row.figures["two-qubit gates"] == want.two_qubit_gates
    ibm._REAL.pop("ibm_fez")


def test_a_model_is_compiled_once_for_the_devices(no_credentials):
    m = qb.Model("pick")
    x = m.binary("x", shape=6)
    m.minimize(-(x.sum()) + 2 * (x[0] * x[1]))
    m.add(x.sum() <= 3, name="cap")
    d = decide(m, backends=["dwave", "ibm"])
    q = qb.compile(m, "qubo")
    assert dv.instance_qubo(m) is dv.instance_qubo(m)
    assert rows_of(d)["dwave:advantage"].figures["physical qubits"] == dw.embed(q, "advantage", seed=0).physical_qubits


def test_the_device_qubit_counts_are_the_graphs():
    for topology, qubits in dv.DWAVE_QUBITS.items():
        assert dw.target_graph(topology).number_of_nodes() == qubits


@given(st.floats(0, 1), st.integers(1, 40), st.integers(1, 40))
def test_chain_quality_falls_with_the_longest_chain(base, a, b):
    lo, hi = min(a, b), max(a, b)
    assert 0 <= dv.chain_quality(base, hi) <= dv.chain_quality(base, lo) <= base
    assert dv.chain_quality(base, dv.SAFE_CHAIN) == base
