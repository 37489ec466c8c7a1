"""The ``ibm`` backend: QAOA trained natively, transpiled for an IBM device and sampled on its
calibration snapshot (fake devices, qiskit-aer noise) or on the real device (needs an account)."""

import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends import ibm_backend as ib
from qbdsl.backends.budget import grace
from qbdsl.backends.qaoa import qaoa_kernel
from qbdsl.ir.terms import QuboTerms

pytest.importorskip("qiskit_ibm_runtime")


def random_qubo(n: int, seed: int, density: float = 0.5) -> qb.QuboIR:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < density
    h = rng.integers(-6, 7, n).astype(float)
    v = rng.integers(-4, 5, int(keep.sum())).astype(float)
    return qb.QuboIR.from_terms(QuboTerms.from_coo(n, h, iu[0][keep], iu[1][keep], v, offset=1.0))


def ideal_probabilities(q: qb.QuboIR, info: dict) -> np.ndarray:
    """The noiseless QAOA distribution for the angles the backend trained (native statevector)."""
    gammas = np.asarray(info["angles"]["gamma"]) * info["energy_scale"]
    psi = qaoa_kernel(q, cached=False).state(gammas, info["angles"]["beta"])
    return np.abs(psi) ** 2


def tvd(out, q: qb.QuboIR) -> float:
    """Total variation distance between the sampled and the ideal distribution."""
    index = (out.samples.astype(np.int64) << np.arange(q.n)).sum(axis=1)
    emp = np.zeros(2**q.n)
    np.add.at(emp, index, out.num_occurrences)
    return 0.5 * float(np.abs(emp / emp.sum() - ideal_probabilities(q, out.info)).sum())


@pytest.fixture
def no_account(monkeypatch, tmp_path):
    """No token in the environment and an empty qiskit-ibm-runtime account file."""
    from qiskit_ibm_runtime.accounts import management

    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setattr(management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "qiskit-ibm.json"))


def test_the_circuit_gives_the_native_statevector():
    from qiskit.quantum_info import Statevector

    q = random_qubo(7, 1)
    scale = ib.energy_scale(q.terms)
    qc, gammas, betas = ib.qaoa_circuit(q.terms, 2, scale)
    bound = qc.remove_final_measurements(inplace=False).assign_parameters(
        {gammas[0]: 0.7, gammas[1]: 1.1, betas[0]: 0.3, betas[1]: 0.5}
    )
    native = qaoa_kernel(q, cached=False).state(np.array([0.7, 1.1]) * scale, [0.3, 0.5])
    np.testing.assert_allclose(Statevector(bound).probabilities(), np.abs(native) ** 2, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1), min_size=5, max_size=5), min_size=1, max_size=20, unique_by=tuple))
def test_counts_are_read_little_endian(rows):
    """qiskit writes classical bit 0 rightmost: the key of row x is ''.join(x[::-1])."""
    counts = {"".join(str(b) for b in reversed(r)): k + 1 for k, r in enumerate(rows)}
    X, occ = ib._counts_to_samples(counts, 5)
    assert X.tolist() == rows and occ.tolist() == list(range(1, len(rows) + 1))


def test_layout_and_bit_order_survive_transpilation():
    """A separable QUBO whose ground state QAOA p=1 reaches: asymmetric, so a bit-order or layout
    mix-up would show; the most frequent shot on the noisy Heron is the ground state."""
    h = np.array([-1.0, 1, -1, -1, 1, 1, -1, 1])
    q = qb.QuboIR.from_terms(QuboTerms.from_coo(8, h, [], [], []))
    ground = (h < 0).astype(np.int8)
    for scale in (0.0, 1.0):
        r = qb.solve(q, backend="ibm", seed=2, noise_scale=scale, shots=2000)
        top = r.raw.samples[np.argmax(r.raw.num_occurrences)]
        assert top.tolist() == ground.tolist()
        assert r.raw.energies[0] == pytest.approx(q.energy(ground))
    assert r.raw.num_occurrences.max() > 0.5 * 2000


@pytest.mark.parametrize("n, bound", [(8, 0.05), (10, 0.08)])
def test_low_noise_matches_the_noiseless_distribution(n, bound):
    q = random_qubo(n, 5)
    noiseless = ib.IbmBackend().solve(q, seed=3, device="fake_fez", noise_scale=0.0, shots=20000)
    low = ib.IbmBackend().solve(q, seed=3, device="fake_fez", noise_scale=0.05, shots=20000)
    assert tvd(noiseless, q) < bound  # sampling error alone
    assert tvd(low, q) < bound
    assert low.info["esp"] > 0.95 and noiseless.info["esp"] == 1.0


def test_distribution_degrades_as_the_snapshot_errors_predict():
    """Noiseless, Heron r2 (fake_fez) and Eagle r3 (fake_kyiv): ESP falls and the distance to
    the ideal distribution grows, in the same order."""
    q = random_qubo(10, 5)
    runs = [
        ib.IbmBackend().solve(q, seed=3, device=dev, noise_scale=s, shots=20000)
        for dev, s in (("fake_fez", 0.0), ("fake_fez", 1.0), ("fake_kyiv", 1.0))
    ]
    esps = [r.info["esp"] for r in runs]
    dists = [tvd(r, q) for r in runs]
    assert esps[0] > esps[1] > esps[2] > 0, esps
    assert dists[0] < dists[1] < dists[2], dists
    assert dists[2] - dists[0] > 0.05


def test_every_shot_comes_back_with_its_qubo_energy_and_the_figures():
    q = random_qubo(8, 4)
    r = qb.solve(q, backend="ibm", seed=1, device="FakeTorino", shots=3000, layers=2)
    out = r.raw
    assert out.num_occurrences.sum() == 3000
    np.testing.assert_allclose(out.energies, q.energy(out.samples))
    assert np.all(np.diff(out.energies) >= 0)
    info = out.info
    assert 0 < info["esp"] <= 1
    assert info["device"] == "fake_torino" and info["snapshot_date"].startswith("2025-02-26")
    assert info["two_qubit_gates"] > 0 and 0 < info["two_qubit_depth"] <= info["depth"]
    assert info["predicted_qpu_seconds"] == pytest.approx(info["execution_seconds"] + ib.JOB_OVERHEAD_SECONDS)
    assert info["clops_h"] == 210_000 and info["clops_h_published"]
    assert len(info["angles"]["gamma"]) == 2 and r.feasible
    assert "fake_torino" in info["sampler"] and "local simulation, no QPU" in info["sampler"]


def test_predict_transpiles_without_sampling(monkeypatch):
    monkeypatch.setattr(ib, "_sample_fake", lambda *a, **k: pytest.fail("predict sampled"))
    a = ib.predict(8, "fake_fez", layers=2, shots=1000, seed=7)
    b = ib.predict(8, "fake_fez", layers=2, shots=4000, seed=7)
    assert a.execution_seconds > 0 and b.execution_seconds == pytest.approx(4 * a.execution_seconds)
    floor = 1000 * ((a.duration_seconds or 0.0) + 250e-6)  # each shot: the circuit, then the rep delay
    assert a.execution_seconds == pytest.approx(max(a.two_qubit_depth * 1000 / 195_000, floor))
    small = ib.predict(4, "fake_fez", layers=1, shots=4000, seed=7)  # few layers: the rep delay dominates
    assert small.execution_seconds >= 4000 * 250e-6 > small.two_qubit_depth * 4000 / 195_000
    assert b.predicted_qpu_seconds > a.predicted_qpu_seconds > ib.JOB_OVERHEAD_SECONDS
    assert 0 < a.esp <= 1 and a.depth > 0 and a.two_qubit_gates >= 28  # every pair of 8 is coupled
    from_ir = ib.predict(random_qubo(8, 4), "fake_fez", layers=1, shots=1000)
    assert from_ir.qubits == 8 and from_ir.as_dict()["device"] == "fake_fez"


def test_coherence_is_flagged_not_refused():
    deep = ib.predict(12, "fake_kyiv", layers=4, shots=1000, seed=1)
    assert deep.too_deep is not None and ("T2" in deep.too_deep or "success probability" in deep.too_deep)
    assert deep.duration_seconds > deep.min_t2_seconds or deep.esp < ib.ESP_THRESHOLD
    shallow = ib.predict(3, "fake_fez", layers=1, shots=1000, seed=1)
    assert shallow.too_deep is None


def test_no_account_for_a_real_device_is_one_clear_error(no_account):
    q = random_qubo(4, 0)
    with pytest.raises(qb.BackendError, match="no IBM Quantum account is configured: set .*QISKIT_IBM_TOKEN") as e:
        qb.solve(q, backend="ibm", device="ibm_fez")
    assert "QiskitRuntimeService.save_account(" in str(e.value) and "ibm_fez" in str(e.value)
    r = qb.solve(q, backend="ibm", device="ibm_fez", fallback=["exact"])
    assert r.backend == "exact" and r.attempts[0]["backend"] == "ibm"


@pytest.mark.parametrize("instance", ["crn:bad", "crn:v1:bluemix:public:quantum-computing:us-east:a/abc123::"])
def test_a_malformed_instance_crn_is_one_clear_error(monkeypatch, no_account, instance):
    """qiskit-ibm-runtime fails inside on these with "'NoneType' object has no attribute 'group'"."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "a-token")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", instance)
    with pytest.raises(qb.BackendError, match="QISKIT_IBM_INSTANCE is not a valid IBM Cloud CRN") as e:
        qb.solve(random_qubo(4, 0), backend="ibm", device="ibm_fez")
    assert instance in str(e.value) and "AttributeError" not in str(e.value)
    good = "crn:v1:bluemix:public:quantum-computing:us-east:a/b947c1c5:a3a7f181-35aa-42c8::"
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", good)
    ib.check_instance()  # the documented ten fields pass


def test_network_failure_is_fast_and_the_fallback_runs(monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "an-expired-token")
    monkeypatch.setenv("QISKIT_IBM_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("IAM_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(ib, "CONNECT_TIMEOUT_SECONDS", 3.0)
    q = random_qubo(4, 0)
    t = time.perf_counter()
    r = qb.solve(q, backend="ibm", device="ibm_fez", fallback=["exact"])
    assert time.perf_counter() - t < 10
    assert r.backend == "exact" and r.attempts[0]["backend"] == "ibm" and r.attempts[0]["device"] == "ibm:ibm_fez"
    assert "connecting to IBM Quantum for backend 'ibm_fez'" in r.attempts[0]["error"]


def test_a_service_that_does_not_answer_is_abandoned_at_the_timeout(monkeypatch):
    import qiskit_ibm_runtime

    class Hanging:
        def __init__(self, *a, **k):
            time.sleep(3.0)

    monkeypatch.setenv("QISKIT_IBM_TOKEN", "a-token")
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", Hanging)
    monkeypatch.setattr(ib, "CONNECT_TIMEOUT_SECONDS", 0.5)
    t = time.perf_counter()
    with pytest.raises(qb.BackendError, match="no answer within 0.5 s"):
        qb.solve(random_qubo(4, 0), backend="ibm", device="ibm_torino")
    assert time.perf_counter() - t < 2.0


def test_too_many_variables_names_the_sizes():
    with pytest.raises(qb.BackendError, match="200 variables exceed the 156 qubits of device 'fake_fez'"):
        ib.predict(200, "fake_fez")
    with pytest.raises(qb.BackendError, match="134 variables exceed the 133 qubits of device 'fake_torino'"):
        ib.predict(134, "fake_torino")
    too_big = random_qubo(ib.MAX_SIMULATED_QUBITS + 1, 0, 0.1)
    with pytest.raises(qb.BackendError, match=f"{too_big.n} variables exceed the {ib.MAX_SIMULATED_QUBITS} qubits"):
        qb.solve(too_big, backend="ibm")


def test_time_limit_refused_at_once_or_kept():
    q = random_qubo(10, 2)
    t = time.perf_counter()
    with pytest.raises(qb.TimeLimitError, match="ibm: 10 qubits on fake_fez"):
        qb.solve(q, backend="ibm", time_limit=0.05)
    assert time.perf_counter() - t < 0.5
    t = time.perf_counter()
    r = qb.solve(q, backend="ibm", time_limit=6.0, seed=0, shots=1000)
    assert time.perf_counter() - t <= 6.0 + grace(6.0) + 0.5
    assert r.raw.num_occurrences.sum() == 1000


@pytest.mark.parametrize(
    "options, match",
    [
        ({"shots": 0}, "ibm: option shots must be an integer in \\[1, 100000\\]"),
        ({"optimization_level": 4}, "ibm: option optimization_level must be an integer in \\[0, 3\\]"),
        ({"layers": 0}, "ibm: option layers must be"),
        ({"noise_scale": -1}, "ibm: option noise_scale must be"),
        ({"device": "ibm_fez", "noise_scale": 0.5}, "noise_scale applies to fake devices only"),
        ({"qubits": 3}, r"ibm: unknown option\(s\) \['qubits'\]"),
    ],
)
def test_bad_options_are_refused_before_work(options, match):
    with pytest.raises(qb.OptionError, match=match):
        qb.solve(random_qubo(4, 0), backend="ibm", **options)


def test_unknown_fake_device_lists_the_known_ones():
    with pytest.raises(qb.BackendError, match="no fake device 'fake_nowhere'.*fake_fez.*fake_kyiv"):
        qb.solve(random_qubo(4, 0), backend="ibm", device="fake_nowhere")


def test_missing_runtime_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "qiskit_ibm_runtime", None)
    with pytest.raises(qb.BackendError, match=r"pip install qbdsl\[ibm\]"):
        qb.solve(random_qubo(4, 0), backend="ibm")


def test_importing_qbdsl_does_not_import_the_runtime():
    code = (
        "import sys, qbdsl as qb; from qbdsl.backends import get, names; names(); get('ibm'); "
        "assert 'qiskit_ibm_runtime' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_noise_model_is_built_for_the_active_qubits_and_cached():
    t = time.perf_counter()
    a = ib.noise_model("fake_fez", (3, 4, 5, 16), 1.0)
    assert time.perf_counter() - t < 2.0  # the whole device's model takes 12-14 s
    assert ib.noise_model("fake_fez", (3, 4, 5, 16), 1.0) is a
    assert sorted(a.noise_qubits) == [0, 1, 2, 3] and "cz" in a.noise_instructions
    assert ib.noise_model("fake_fez", (3, 4), 0.0) is None


@pytest.mark.skipif(not ib.account_configured(), reason="needs an IBM Quantum account (QISKIT_IBM_TOKEN or saved)")
def test_real_device_when_an_account_is_configured():  # pragma: no cover - needs credentials and the network
    import os

    device = os.environ.get("QBDSL_IBM_DEVICE", "ibm_fez")
    q = random_qubo(4, 0)
    r = qb.solve(q, backend="ibm", device=device, shots=100, seed=0)
    assert r.raw.num_occurrences.sum() == 100
    np.testing.assert_allclose(r.raw.energies, q.energy(r.raw.samples))


def test_the_job_overhead_reproduces_ibms_published_usage_example():
    """IBM's guide: 4.106 quantum seconds for a Bell circuit at 4096 shots; the prediction's
    shot term plus JOB_OVERHEAD_SECONDS gives it back (to the constant's rounding)."""
    shots = ib.PUBLISHED_USAGE_SHOTS * ib.PUBLISHED_SHOT_SECONDS
    assert shots + ib.JOB_OVERHEAD_SECONDS == pytest.approx(ib.PUBLISHED_USAGE_SECONDS, abs=0.01)
    from qbdsl.orchestrate.grounded import ibm_fleet_data

    assert {q["overhead"] for q in ibm_fleet_data()["qpus"]} == {ib.JOB_OVERHEAD_SECONDS}


def _sleeping_sampler(*args):
    time.sleep(60)


def test_a_noisy_simulation_that_overruns_is_stopped_at_the_limit(monkeypatch):
    """qiskit-aer cannot be interrupted: under a time limit it runs in a child process that is
    stopped at the limit (a loaded machine ran it at 2x its prediction)."""
    monkeypatch.setattr(ib, "_sample_fake", _sleeping_sampler)
    q = random_qubo(4, 0)
    qb.solve(q, backend="qaoa")  # warm the native trainer
    t = time.perf_counter()
    r = qb.solve(q, backend="ibm", device="fake_fez", time_limit=3.0, seed=0)
    assert time.perf_counter() - t <= 3.0 + grace(3.0) + 0.5
    assert r.status == "time_limit" and r.sample is None
    assert "noisy simulation did not finish within the time limit" in r.raw.info["reason"]
