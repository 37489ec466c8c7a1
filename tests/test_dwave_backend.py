"""The ``dwave`` backend: real embeddings on the Advantage / Advantage2 graphs, sampled by the
SDK's MockDWaveSampler (simulated annealing as its substitute), and the Leap paths' errors.

Tests that need a real Leap token are skipped when none is configured (``DWAVE_API_TOKEN`` or
``dwave config create``); the rest need no token and no network.
"""

import itertools
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends.budget import grace
from qbdsl.ir.terms import QuboTerms

pytest.importorskip("dwave.system", reason="the dwave extra is not installed: pip install qbdsl[dwave]")

from qbdsl.backends import dwave_backend as dw  # noqa: E402

MOCKS = ("mock-advantage", "mock-advantage2")
CI_SLACK = 0.5


def random_qubo(n: int, seed: int = 0, density: float = 1.0) -> qb.QuboIR:
    """Normal coefficients on about ``density`` of all pairs."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < density
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), i[keep], j[keep], rng.normal(size=int(keep.sum())))
    )


def brute_force_minimum(q: qb.QuboIR) -> float:
    X = np.array(list(itertools.product((0, 1), repeat=q.n)), dtype=np.int8)
    return float(np.min(q.energy(X)))


@pytest.fixture
def no_token(monkeypatch, tmp_path):
    """An environment with no Leap token: no DWAVE_API_TOKEN, an empty configuration file."""
    empty = tmp_path / "dwave.conf"
    empty.write_text("")
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.delenv("DWAVE_PROFILE", raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(empty))


@pytest.fixture
def fake_token(no_token, monkeypatch):
    """A token that no server will accept, and an endpoint that refuses connections (no network)."""
    monkeypatch.setenv("DWAVE_API_TOKEN", "DEV-not-a-real-token")
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi/v2/")


def tiny() -> qb.Model:
    m = qb.Model("tiny")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize((np.array([3.0, 1.0, 2.0]) * x).sum())
    return m


# --- embedding and unembedding -------------------------------------------------------------


@pytest.mark.parametrize("solver", MOCKS)
@pytest.mark.parametrize("n, density, method", [(20, 1.0, "clique"), (40, 0.1, "minorminer")])
def test_returned_energies_are_the_logical_qubo_energies(solver, n, density, method):
    q = random_qubo(n, 3, density)
    r = qb.solve(q, backend="dwave", solver=solver, seed=2, num_reads=50)
    out = r.raw
    assert out.info["embedding_method"] == method
    np.testing.assert_allclose(out.energies, q.energy(out.samples), rtol=0, atol=1e-9)
    assert out.num_occurrences.sum() == 50 == out.info["num_reads"]
    assert out.info["physical_qubits"] >= n and out.info["longest_chain"] >= 1
    assert "MockDWaveSampler" in out.info["sampler"] and "SimulatedAnnealingSampler" in out.info["sampler"]


@pytest.mark.parametrize("solver", MOCKS)
def test_broken_chains_are_unembedded_and_priced_on_the_logical_model(solver):
    """A chain strength far below the SDK's rule breaks chains; the reads are still logical
    samples whose energies are their QUBO energies, and the fraction is reported in [0, 1]."""
    q = random_qubo(40, 5)
    out = qb.solve(q, backend="dwave", solver=solver, seed=1, num_reads=40, chain_strength=0.02).raw
    lo, hi = out.info["chain_break_fraction_mean"], out.info["chain_break_fraction_max"]
    assert 0 < lo <= hi <= 1
    assert out.info["chain_strength"] == 0.02 and "chain_strength_rule" not in out.info
    np.testing.assert_allclose(out.energies, q.energy(out.samples), rtol=0, atol=1e-9)
    strong = qb.solve(q, backend="dwave", solver=solver, seed=1, num_reads=40).raw.info
    assert 0 <= strong["chain_break_fraction_mean"] <= strong["chain_break_fraction_max"] <= 1
    assert strong["chain_break_fraction_mean"] < lo
    assert "uniform_torque_compensation" in strong["chain_strength_rule"]


@pytest.mark.parametrize("topology", ["advantage", "advantage2"])
def test_the_embedding_is_valid_and_intact_chains_keep_the_logical_energy(topology):
    """The embedded BQM (chains coupled at the SDK's strength) gives every logical sample,
    spread over its chains, exactly its logical energy."""
    from dwave.embedding import embed_bqm, is_valid_embedding
    from dwave.embedding.chain_strength import uniform_torque_compensation

    q = random_qubo(24, 7, 0.5)
    s = dw.embed(q, topology, timeout=10, seed=0)
    assert s.ok and s.refusal is None and len(s.embedding) == 24
    source = [(int(i), int(j)) for i, j in zip(q.terms.i, q.terms.j, strict=True)]
    G = dw.target_graph(topology)
    assert is_valid_embedding(s.embedding, source, G)
    bqm = dw._bqm(q)
    physical = embed_bqm(bqm, s.embedding, G, chain_strength=uniform_torque_compensation(bqm.spin))
    X = np.random.default_rng(0).integers(0, 2, (20, 24))
    for x in X:
        spread = {p: int(x[v]) for v, chain in s.embedding.items() for p in chain}
        assert physical.energy(spread) == pytest.approx(float(q.energy(x)), abs=1e-9)


def test_embed_summarizes_for_qip_without_sampling():
    import dimod

    q = random_qubo(30, 0)
    s = dw.embed(q, "advantage2")
    assert s.ok and s.method == "clique" and s.physical_qubits >= 30 and 1 <= s.longest_chain <= 6
    assert s.mean_chain == pytest.approx(s.physical_qubits / 30)
    info = s.as_info()
    assert info["physical_qubits"] == s.physical_qubits and info["topology"].startswith("Advantage2")
    bqm = dimod.BinaryQuadraticModel({"a": 1.0, "b": -1.0, "c": 0.5}, {("a", "b"): 2.0}, 0.0, "BINARY")
    t = dw.embed(bqm, "mock-advantage", method="minorminer", seed=1)
    assert t.ok and sorted(t.embedding) == [0, 1, 2]  # the uncoupled variable "c" gets a qubit too
    with pytest.raises(qb.BackendError, match="unknown topology 'chimera'; known: advantage, advantage2"):
        dw.embed(q, "chimera")
    with pytest.raises(qb.BackendError, match="unknown embedding method 'spectral'"):
        dw.embed(q, "advantage", method="spectral")


# --- answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", MOCKS)
@pytest.mark.parametrize("n", [12, 16])
def test_a_known_optimum_is_reached(solver, n):
    q = random_qubo(n, 100 + n, 0.6)
    best = brute_force_minimum(q)
    r = qb.solve(q, backend="dwave", solver=solver, seed=0)
    assert r.energy == pytest.approx(best, abs=1e-9)
    assert r.raw.info["predicted_qpu_access_time"] > 0


def test_a_model_solves_through_the_facade_and_decodes():
    r = qb.solve(tiny(), backend="dwave", seed=0, solver="mock-advantage2")
    assert r.feasible and r.objective == 1.0


# --- refusals ------------------------------------------------------------------------------


def test_more_variables_than_qubits_is_refused_with_the_sizes():
    q = random_qubo(5000, 0, 0.0)
    with pytest.raises(qb.BackendError, match="5000 variables exceed the 4800 working qubits of Advantage2"):
        qb.solve(q, backend="dwave", solver="mock-advantage2")


def test_a_model_that_does_not_embed_is_refused_with_the_sizes():
    q = random_qubo(200, 0)
    t = time.perf_counter()
    with pytest.raises(
        qb.BackendError, match=r"\(200 variables, .* couplers\) does not embed in Advantage2 .*K_200.*K_18"
    ):
        qb.solve(q, backend="dwave", solver="mock-advantage2")
    assert time.perf_counter() - t < 10
    s = dw.embed(q, "advantage")
    assert not s.ok and s.physical_qubits == 0 and "the largest that fits is K_180" in s.refusal


def test_a_real_solver_without_a_token_names_the_setting_and_the_command(no_token):
    assert not dw.token_configured()
    for solver in ("advantage", "Advantage_system4.1", "hybrid"):
        with pytest.raises(qb.BackendError) as err:
            qb.solve(tiny(), backend="dwave", solver=solver)
        msg = str(err.value)
        assert f"solver={solver!r} needs a Leap API token" in msg
        assert "export DWAVE_API_TOKEN=" in msg and "dwave config create" in msg
    # without a token, "auto" is the mock, and says so
    r = qb.solve(tiny(), backend="dwave", seed=0)
    assert r.raw.info["solver"] == "mock-advantage" and "no QPU" in r.raw.info["sampler"]


@pytest.mark.parametrize("solver", ["advantage", "auto", "hybrid"])
def test_a_bad_token_or_no_network_fails_fast_and_the_fallback_runs(fake_token, solver):
    assert dw.token_configured()
    t = time.perf_counter()
    r = qb.solve(tiny(), backend="dwave", solver=solver, fallback=["exact"])
    assert time.perf_counter() - t < 10
    assert r.backend == "exact" and r.objective == 1.0
    assert [a["backend"] for a in r.attempts] == ["dwave"]
    assert "dwave: connecting to" in r.attempts[0]["error"] and "failed" in r.attempts[0]["error"]
    with pytest.raises(qb.BackendError, match="dwave: connecting to"):
        qb.solve(tiny(), backend="dwave", solver=solver)


def test_a_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "minorminer", None)
    with pytest.raises(qb.BackendError, match=r"minorminer missing\): pip install qbdsl\[dwave\]"):
        qb.solve(tiny(), backend="dwave")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"num_reads": 0}, "dwave: option num_reads must be an integer in \\[1, 10000\\], got 0"),
        ({"annealing_time": 0.1}, "option annealing_time must be a number in \\[0.5, 2000\\]"),
        ({"chain_strength": 0}, "option chain_strength must be a number > 0, got 0"),
        ({"embedding": "spectral"}, "option embedding must be one of auto, clique, minorminer"),
        ({"embedding_timeout": -1}, "option embedding_timeout must be a number >= 0"),
        ({"solver": 3}, "option solver must be a string"),
        ({"hybrid_time_limit": 5, "solver": "mock-advantage"}, "hybrid_time_limit applies to Leap hybrid"),
        ({"sweeps": 3}, r"dwave: unknown option\(s\) \['sweeps'\]"),
    ],
)
def test_bad_options_are_refused_before_any_work(options, match):
    with pytest.raises(qb.OptionError, match=match):
        qb.solve(tiny(), backend="dwave", **options)


def test_import_qbdsl_and_the_registry_do_not_import_the_sdk():
    code = (
        "import sys, qbdsl; from qbdsl.backends import names, get; b = get('dwave'); "
        "print('dwave' in names(), b.name, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dwave', 'minorminer', 'dimod')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True dwave []"


# --- time --------------------------------------------------------------------------------------


def test_predicted_access_time_matches_the_published_formula_by_hand():
    """120 qubits, 100 reads, Advantage_system4.1's timing data (the SDK's mock):
    programming 14072.88 + 1000 us; readout 10^interp(log10 120) = 10^2.2000267 = 158.4991 us
    (between the breakpoints (1.7242759, 2.1256318) and (2.7119755, 2.3326723) of log10 q, log10 t);
    per read 20 + 158.4991 + 20.54 + 0 = 199.0391 us; total 15072.88 + 100 * 199.0391 = 34976.79 us."""
    assert dw.predict_qpu_access_time(120, 100) == pytest.approx(34976.79e-6, rel=1e-6)
    log_readout = 2.125631787097315 + (np.log10(120) - 1.7242758696010096) / 0.9876995898881964 * 0.2070405529712409
    assert 10**log_readout == pytest.approx(158.4991, abs=1e-4)
    # 200 us anneals add 180 us per read; one read costs the programming plus one cycle
    assert dw.predict_qpu_access_time(120, 100, 200.0) - dw.predict_qpu_access_time(120, 100) == pytest.approx(0.018)
    assert dw.predict_qpu_access_time(120, 1) == pytest.approx((15072.88 + 199.0391) * 1e-6, rel=1e-6)
    both = dw.predict_qpu_access_time([120, 120], 100, topology="advantage2")
    assert both.shape == (2,) and both[0] == pytest.approx(34976.79e-6, rel=1e-6)
    with pytest.raises(ValueError, match="must be >= 1"):
        dw.predict_qpu_access_time(0, 100)


@pytest.fixture(scope="module")
def sdk_solver():
    from dwave.cloud.solver import StructuredSolver
    from dwave.cloud.testing.mocks import qpu_pegasus_solver_data, qpu_problem_timing_data

    data = qpu_pegasus_solver_data(16, problem_timing_data=qpu_problem_timing_data("advantage"))
    return StructuredSolver(client=None, data=data)


@settings(max_examples=60, deadline=None)
@given(
    qubits=st.integers(1, 5760),
    reads=st.integers(1, 10_000),
    anneal=st.one_of(st.none(), st.floats(0.5, 2000.0)),
)
def test_prediction_equals_the_sdk_estimator(sdk_solver, qubits, reads, anneal):
    ours = dw.predict_qpu_access_time(qubits, reads, anneal)
    sdk = sdk_solver.estimate_qpu_access_time(qubits, num_reads=reads, annealing_time=anneal) * 1e-6
    assert ours == pytest.approx(sdk, rel=1e-12)


def test_time_limit_is_kept_by_lowering_the_reads():
    q = random_qubo(120, 1)
    qb.solve(random_qubo(8, 0), backend="dwave", solver="mock-advantage")  # warm the SDK's imports
    t = time.perf_counter()
    r = qb.solve(q, backend="dwave", solver="mock-advantage", time_limit=1.0, num_reads=10_000, seed=0)
    wall = time.perf_counter() - t
    assert wall <= 1.0 + grace(1.0) + CI_SLACK, wall
    assert r.status == "time_limit" and 1 <= r.raw.info["num_reads"] < 10_000
    np.testing.assert_allclose(r.raw.energies, q.energy(r.raw.samples), rtol=0, atol=1e-9)


def test_under_a_time_limit_the_mock_sizes_its_reads_by_the_measured_rate():
    """A probe, then calls sized by the last call's measured rate: more reads than the first
    call's, each call's reads its own (a new seed per call), energies still the logical ones."""
    q = random_qubo(120, 1)
    qb.solve(random_qubo(8, 0), backend="dwave", solver="mock-advantage")  # warm
    t = time.perf_counter()
    r = qb.solve(q, backend="dwave", solver="mock-advantage", time_limit=2.0, num_reads=10_000, seed=5)
    assert time.perf_counter() - t <= 2.0 + grace(2.0) + CI_SLACK
    info = r.raw.info
    assert info["mock_calls"] >= 2 and info["num_reads"] > dw.MOCK_PROBE_READS
    X = r.raw.samples
    probe, rest = X[: dw.MOCK_PROBE_READS], X[dw.MOCK_PROBE_READS : 2 * dw.MOCK_PROBE_READS]
    assert not np.array_equal(probe, rest)  # the second call did not repeat the probe's seed
    np.testing.assert_allclose(r.raw.energies, q.energy(X), rtol=0, atol=1e-9)
    assert info["predicted_qpu_access_time"] == pytest.approx(
        dw.predict_qpu_access_time(info["physical_qubits"], info["num_reads"], topology="advantage")
    )


def test_an_embedding_search_cut_by_the_limit_says_so_within_the_limit():
    """A sparse model minorminer cannot embed in the time left: a TimeLimitError saying the
    search was cut short (not "does not embed"), returned within the promise; the clique
    fallback of embedding="auto" is not tried past the time left."""
    import dimod

    bqm = dimod.generators.gnp_random_bqm(400, 0.01, "BINARY", random_state=1)
    qb.solve(random_qubo(8, 0), backend="dwave", solver="mock-advantage")  # warm
    for limit in (1.0, 3.0):
        t = time.perf_counter()
        try:
            qb.solve(bqm, backend="dwave", solver="mock-advantage", time_limit=limit, seed=0)
        except qb.TimeLimitError as exc:
            assert "no embedding of 400 variables found in the" in str(exc) or "one mock read" in str(exc)
        assert time.perf_counter() - t <= limit + grace(limit) + CI_SLACK


def test_a_limit_too_short_for_one_read_is_refused_at_once():
    q = random_qubo(150, 1)
    dw.DWaveBackend().solve(random_qubo(4, 0), solver="mock-advantage")  # warm
    t = time.perf_counter()
    with pytest.raises(qb.TimeLimitError, match="dwave: one mock read on 150 binaries takes about"):
        dw.DWaveBackend().solve(q, time_limit=0.01, solver="mock-advantage")
    assert time.perf_counter() - t < 0.5


# --- with a real token (skipped without one) ----------------------------------------------------

needs_token = pytest.mark.skipif(
    not dw.token_configured(),
    reason="needs a Leap API token (export DWAVE_API_TOKEN=... or dwave config create); none is configured",
)


@needs_token
def test_real_qpu_reaches_the_optimum_of_a_small_qubo():
    q = random_qubo(8, 4)
    r = qb.solve(q, backend="dwave", solver="advantage", num_reads=100)
    info = r.raw.info
    assert r.energy == pytest.approx(brute_force_minimum(q), abs=1e-9)
    assert "QPU" in info["sampler"] and info["qpu_access_time"] > 0
    assert 0 <= info["chain_break_fraction_mean"] <= 1


@needs_token
def test_leap_hybrid_solves_a_model():
    q = random_qubo(30, 4, 0.3)
    r = qb.solve(q, backend="dwave", solver="hybrid")
    np.testing.assert_allclose(r.raw.energies, q.energy(r.raw.samples), rtol=0, atol=1e-9)
    assert "LeapHybridSampler" in r.raw.info["sampler"]
