"""qbdsl.problems.qnet.requsim_check: routes run through ReQuSim (density matrices, depolarizing
memories) against closed forms and a brute-force integral derived here without the model, and the
model's prediction measured beside them (printed, not tuned)."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate

from qbdsl.errors import ModelError
from qbdsl.problems.qnet import Params, physics
from qbdsl.problems.qnet import requsim_check as RC

needs_requsim = pytest.mark.skipif(
    not RC.requsim_available(),
    reason="ReQuSim is not installed (the qnet extra: pip install -c constraints.txt -e '.[qnet]')",
)

V = 2.04e5  # km/s, the default fibre speed
F0 = 0.92


def _p(**kw) -> Params:
    return dataclasses.replace(physics.DEFAULT, **kw)


# ------------------------------------------------------------------ closed forms, derived here
def _werner(f):
    return (4.0 * f - 1.0) / 3.0


def _fid(w):
    return 0.25 + 0.75 * w


def _abs_gap_closed(r1: float, r2: float, a: float) -> float:
    """E[exp(-a |X1 - X2|)], X_h ~ Exp(r_h) independent.

    X1 > X2 with probability r2 / (r1 + r2), and then X1 - X2 ~ Exp(r1) (memoryless), whose
    Laplace transform at a is r1 / (r1 + a); symmetrically for X2 > X1.
    """
    return r2 / (r1 + r2) * r1 / (r1 + a) + r1 / (r1 + r2) * r2 / (r2 + a)


def _abs_gap_integral(r1: float, r2: float, a: float) -> float:
    """The same expectation by brute-force numerical integration over both waiting times."""

    def density(x2, x1):
        return r1 * math.exp(-r1 * x1) * r2 * math.exp(-r2 * x2) * math.exp(-a * abs(x1 - x2))

    top = 60.0 / min(r1, r2)  # the tail beyond is below e^-60
    # the kink at x1 = x2 split off: x2 below x1, and x2 above it
    below, _ = integrate.dblquad(density, 0.0, top, 0.0, lambda x1: x1, epsabs=1e-14, epsrel=1e-12)
    above, _ = integrate.dblquad(density, 0.0, top, lambda x1: x1, top, epsabs=1e-14, epsrel=1e-12)
    return below + above


def _two_hop_fidelity(L1: float, L2: float, params: Params) -> float:
    """Exact mean delivered fidelity of the simulated protocol on two hops, exponential attempts, q = 1.

    Hop h's pair appears at X_h ~ Exp(R_h) with Werner parameter w0 exp(-2 s_h / T2)
    (heralding noise, s_h = physics.heralding_time = 2 L_h / v, both qubits). The first to appear waits |X1 - X2| in
    memory (both qubits: exp(-2 |X1 - X2| / T2)); the swap multiplies the Werner parameters;
    the joined pair waits the final signalling S = (L1 + L2) / v. The fidelity is affine in w,
    so its mean is that of w: w0^2 exp(-2 (s1 + s2 + S) / T2) E[exp(-(2 / T2) |X1 - X2|)].
    """
    T2 = params.coherence_time_s
    r1, r2 = physics.link_rate([L1, L2], params)
    s = (L1 + L2) / params.fibre_speed_km_s
    herald = physics.heralding_time([L1, L2], params).sum()
    w = _werner(params.link_fidelity) ** 2 * math.exp(-2.0 * (herald + s) / T2) * _abs_gap_closed(r1, r2, 2.0 / T2)
    return _fid(w)


def test_abs_gap_closed_form_matches_the_integral():
    for r1, r2, a in [(840.0, 600.0, 40.0), (100.0, 3000.0, 2.0), (5.0, 5.0, 10.0)]:
        assert _abs_gap_closed(r1, r2, a) == pytest.approx(_abs_gap_integral(r1, r2, a), rel=1e-8)
    assert _abs_gap_closed(7.0, 3.0, 0.0) == pytest.approx(1.0, abs=1e-15)  # no decay: the expectation of 1


# ------------------------------------------------------------------ bad input
def test_refuses_bad_routes_and_options():
    with pytest.raises(ModelError, match="1-7 hops, got 8 hops"):
        RC.simulate_route_requsim([10.0] * 8)
    with pytest.raises(ModelError, match="hop lengths > 0"):
        RC.simulate_route_requsim([10.0, 0.0])
    with pytest.raises(ModelError, match="hop lengths > 0"):
        RC.simulate_route_requsim([])


@needs_requsim
def test_refuses_what_is_not_simulated():
    with pytest.raises(ModelError, match=r"rounds = \[0, 1\].*without purification"):
        RC.simulate_route_requsim([10.0, 20.0], rounds=[0, 1])
    with pytest.raises(ModelError, match="width = 2"):
        RC.simulate_route_requsim([10.0], width=2)
    with pytest.raises(ModelError, match="attempts must be one of geometric, exponential, got 'poisson'"):
        RC.simulate_route_requsim([10.0], attempts="poisson")
    with pytest.raises(ModelError, match="hop 1 .*repeater_spacing_km = 25.*no repeater stations"):
        RC.simulate_route_requsim([10.0, 40.0], _p(repeater_spacing_km=25.0))
    with pytest.raises(ModelError, match="n_pairs must be a whole number >= 1, got 0"):
        RC.simulate_route_requsim([10.0], n_pairs=0)
    with pytest.raises(ModelError, match="seeds is empty"):
        RC.simulate_route_requsim([10.0], seeds=[])
    with pytest.raises(ModelError, match="max_hops must lie in 1..7, got 8"):
        RC.requsim_surfnet_routes(8)


def test_refuses_without_requsim(monkeypatch):
    monkeypatch.setattr(RC, "requsim_available", lambda: False)
    with pytest.raises(ModelError, match="ReQuSim is not installed.*qnet"):
        RC.simulate_route_requsim([10.0])
    with pytest.raises(ModelError, match="ReQuSim is not installed"):
        RC.compare_route_requsim([10.0, 20.0])


# ------------------------------------------------------------------ the simulation against closed forms
@needs_requsim
@pytest.mark.parametrize("attempts", RC.ATTEMPTS)
def test_one_hop_fidelity_and_rate(attempts):
    # one hop: every pair carries the heralding noise 2 L / v (two Barrett-Kok rounds) on both qubits
    # and is delivered at once (no final signalling): every fidelity is 1/4 + (F0 - 1/4) exp(-4 L / (v T2))
    L, T2 = 20.0, 0.05
    params = _p(coherence_time_s=T2)
    sim = RC.simulate_route_requsim([L], params, n_pairs=400, attempts=attempts)
    exact = 0.25 + (F0 - 0.25) * math.exp(-2.0 * (2 * L / V) / T2)
    assert exact == pytest.approx(0.91476, abs=1e-5)  # 0.25 + 0.67 exp(-0.007843): below F0 = 0.92
    assert exact == pytest.approx(physics.path_fidelity([[L]], 0, params)[0], rel=1e-12)  # the model: the same
    np.testing.assert_allclose(sim.pair_fidelity, exact, rtol=0, atol=1e-9)
    # both modes have mean cycle 1 / link_rate: Geometric(p) attempts of mean length 1 / attempt_rate
    mean, half = sim.rate_ci()
    assert abs(mean - physics.link_rate(L, params)) <= half
    assert half < 0.2 * mean  # an interval that could fail


@needs_requsim
@pytest.mark.parametrize("hops", [2, 3, 4])
def test_noiseless_sure_swaps_give_the_werner_rule(hops):
    # swap_success 1, infinite T2: ReQuSim's Bell measurement on Werner pairs must multiply the
    # Werner parameters (F = F1 F2 + (1 - F1)(1 - F2) / 3 for two), deterministically
    params = _p(swap_success=1.0, coherence_time_s=np.inf, swap_order="nested" if hops == 4 else "asap")
    sim = RC.simulate_route_requsim([12.0, 30.0, 7.0, 22.0][:hops], params, n_pairs=20, seeds=[3])
    want = _fid(_werner(F0) ** hops)
    if hops == 2:
        assert want == pytest.approx(float(physics.swap_fidelity(F0, F0)), abs=1e-12)
    np.testing.assert_allclose(sim.pair_fidelity, want, rtol=0, atol=1e-9)
    assert sim.failed_swaps.sum() == 0 and sim.swaps.sum() == (hops - 1) * 20


@needs_requsim
def test_two_hops_short_t2_against_brute_force():
    # exponential attempts, sure swaps, T2 = 50 ms: the simulated mean fidelity against the
    # expectation derived above (its |X1 - X2| integral checked by quadrature)
    L1, L2, T2 = 20.0, 30.0, 0.05
    params = _p(swap_success=1.0, coherence_time_s=T2)
    r1, r2 = physics.link_rate([L1, L2], params)
    assert _abs_gap_closed(r1, r2, 2 / T2) == pytest.approx(_abs_gap_integral(r1, r2, 2 / T2), rel=1e-8)
    exact = _two_hop_fidelity(L1, L2, params)
    sim = RC.simulate_route_requsim([L1, L2], params, n_pairs=1500, attempts="exponential")
    mean, half = sim.fidelity_ci()
    assert abs(mean - exact) <= half
    assert abs(mean - exact) <= 3 * sim.fidelity_se()
    assert half < 0.005  # an interval that could fail: exact - model is about 0.01
    # the rate with sure swaps is 1 / (E[max] + S), exactly the model's
    rate_mean, rate_half = sim.rate_ci()
    f_model, r_model = physics.path_metrics(np.array([[L1, L2]]), 0, params)
    assert abs(rate_mean - r_model[0]) <= rate_half
    print(
        f"\ntwo hops {L1:g}+{L2:g} km, T2 = {T2} s, q = 1: exact {exact:.5f}, ReQuSim {mean:.5f} +/- {half:.5f}, "
        f"model (path_metrics) {f_model[0]:.5f}"
    )


@needs_requsim
@pytest.mark.parametrize("order", ["asap", pytest.param("nested", marks=pytest.mark.slow)])  # 20 s each
def test_rate_of_the_markov_chain_with_failed_swaps(order):
    # exponential attempts are the model's rate assumption; only the freed links wait for a
    # failure's signalling, here and in the chain (a recovering block): the model's rate must lie
    # in the simulated interval, and between the whole chain waiting and no signalling at all
    v = physics.DEFAULT.fibre_speed_km_s
    for L in ([20.0, 30.0], [20.0, 30.0, 10.0], [20.0, 30.0, 10.0, 25.0]):
        params = _p(swap_order=order)
        c = RC.compare_route_requsim(L, params, n_pairs=150, attempts="exponential")
        mean, half = c.sim.rate_ci()
        assert c.sim.failed_swaps.sum() > 0 and half < 0.25 * mean
        R, S, d = physics.link_rate(L, params), sum(L) / v, np.array(L) / v
        no_delay = 1.0 / (physics.chain_time(R, 0.5, 0.0, order) + S)
        whole = 1.0 / (physics.chain_time(R, 0.5, d, order, wait="chain") + S)
        assert c.model_rate == pytest.approx(1.0 / (physics.chain_time(R, 0.5, d, order) + S))
        assert c.rate_agrees(), RC.requsim_table([c])
        assert whole * (1 - 1e-9) <= c.model_rate <= no_delay * (1 + 1e-9)
        assert whole - half <= mean <= no_delay + half, RC.requsim_table([c])


@needs_requsim
@pytest.mark.slow  # 36 s, six routes of 150 pairs; make test checks short T2 in test_two_hops_short_t2_...
def test_short_coherence_time_table():
    # memories of T2 = 50 ms make storage count: the model's fidelity (the swap chain with hit marks,
    # physics.chain_storage) must lie in the simulated interval on 2-4 hops under both orders, with
    # swaps failing half the time; the charge it replaced (one cycle per pair) must not, from 3 hops
    params = _p(coherence_time_s=0.05)
    rows = [
        RC.compare_route_requsim(L, dataclasses.replace(params, swap_order=o), n_pairs=150, attempts="exponential")
        for o in ("asap", "nested")
        for L in ([20.0, 30.0], [20.0, 30.0, 10.0], [20.0, 30.0, 10.0, 25.0])
    ]
    print("\n" + RC.requsim_table(rows))
    for c in rows:
        f = c.sim.fidelity_ci()[0]
        assert 0.25 < f < _fid(_werner(F0) ** len(c.sim.length_km))
        assert c.fidelity_agrees(pooled=True), RC.requsim_table([c])
    for c in (rows[2], rows[5]):  # 4 hops: the old charge is several standard errors off
        before = RC.RequsimComparison(c.label, c.sim, c.historical_fidelity, c.model_rate)
        assert not before.fidelity_agrees(pooled=True), RC.requsim_table([c])
    assert rows[0].rate_agrees() and rows[3].rate_agrees()
    assert rows[0].sim.fidelity.mean() > rows[2].sim.fidelity.mean()


@needs_requsim
def test_reproducible_per_seed():
    a = RC.simulate_route_requsim([15.0, 25.0, 5.0], n_pairs=30, seeds=[7, 8])
    b = RC.simulate_route_requsim([15.0, 25.0, 5.0], n_pairs=30, seeds=[7, 8])
    np.testing.assert_array_equal(a.pair_fidelity, b.pair_fidelity)
    np.testing.assert_array_equal(a.sim_time_s, b.sim_time_s)
    assert not np.array_equal(a.pair_fidelity[0], a.pair_fidelity[1])  # the seeds differ
    assert a.delivered.tolist() == [30, 30] and a.pair_fidelity.shape == (2, 30)


@needs_requsim
def test_surfnet_routes_are_real_shortest_paths():
    from qbdsl.problems.qnet import load_topology

    topo = load_topology("surfnet")
    routes = RC.requsim_surfnet_routes(7, topo)
    assert [len(L) for _, _, L in routes] == list(range(1, 8))
    assert routes[0][:2] == ("Leiden-Oegstgeest", ("Leiden", "Oegstgeest"))
    assert routes[6][1][0] == "Breda" and routes[6][1][-1] == "Schiphol-Rijk" and len(routes[6][1]) == 8
    link = {}
    for e, (a, b) in enumerate(zip(topo.network.src.tolist(), topo.network.dst.tolist())):
        link[frozenset((topo.nodes[a], topo.nodes[b]))] = e
    for label, names, L in routes:
        assert label == "-".join(names) and len(set(names)) == len(names)  # a simple path
        lengths = [topo.length_km[link[frozenset(h)]] for h in zip(names[:-1], names[1:])]  # on real links
        np.testing.assert_allclose(L, lengths)
    assert routes[6][2].sum() == pytest.approx(134.6, abs=0.1)


@needs_requsim
def test_table_shape():
    c = RC.compare_route_requsim([10.0, 5.0], n_pairs=10, seeds=[0, 1], label="A-B-C")
    table = RC.requsim_table([c])
    lines = table.splitlines()
    assert len(lines) == 3 and lines[2].startswith("| A-B-C | 2 | 15.0 | asap | geometric |")
    assert lines[0].count("|") == lines[2].count("|")


@needs_requsim
@pytest.mark.slow
def test_surfnet_table_both_orders():
    # the report's table: SURFnet routes of 1-7 hops, both swap orders, the default memories and
    # T2 = 50 ms, geometric attempts (the module docstring's figures: n_pairs = 200, about 6 minutes)
    rows = []
    for T2 in (physics.DEFAULT.coherence_time_s, 0.05):
        for order in ("asap", "nested"):
            params = _p(coherence_time_s=T2, swap_order=order)
            for label, _, L in RC.requsim_surfnet_routes():
                rows.append(RC.compare_route_requsim(L, params, n_pairs=100, label=label))
    print("\n" + RC.requsim_table(rows))
    assert len(rows) == 28
    for c in rows:
        mean, _ = c.sim.fidelity_ci()
        half = 1.96 * c.sim.fidelity_se()
        assert 0.25 < mean <= F0
        assert c.sim.rate_ci()[0] > 0
        # the model is conservative (its chain waits out every failure's signal as a whole) and close:
        # within 0.0006 of the simulation with the default memories, 0.012 with T2 = 50 ms
        assert c.model_fidelity <= mean + half, RC.requsim_table([c])
        assert mean - c.model_fidelity <= (0.0006 if c.sim.params.coherence_time_s > 1 else 0.012) + half
    # the charge it replaced was outside the interval almost everywhere
    before = [RC.RequsimComparison(c.label, c.sim, c.historical_fidelity, c.model_rate) for c in rows]
    assert sum(b.fidelity_agrees(pooled=True) for b in before) <= 3 < sum(c.fidelity_agrees(pooled=True) for c in rows)
