"""Purification on one hop against ReQuSim's density matrices (qbdsl.problems.qnet.requsim_purify)."""

import dataclasses

import numpy as np
import pytest

from qbdsl.errors import ModelError
from qbdsl.problems.qnet import physics as ph
from qbdsl.problems.qnet import requsim_purify as RP
from qbdsl.problems.qnet import routing as R
from qbdsl.problems.qnet.requsim_check import requsim_available

needs_requsim = pytest.mark.skipif(not requsim_available(), reason="ReQuSim is not installed (the qnet extra)")


@needs_requsim
@pytest.mark.parametrize("rounds", [1, 2, 3])
def test_dejmps_recurrence_equals_requsims_density_matrices(rounds):
    # memories that never decay: every delivered pair has exactly physics.purify's fidelity, which
    # checks the Bell-diagonal recurrence (A, B, C, D order and all) against ReQuSim's CNOTs
    p = dataclasses.replace(ph.DEFAULT, coherence_time_s=np.inf)
    sim = RP.simulate_hop_purification(20.0, rounds, p, n_pairs=40, seeds=[0, 1])
    np.testing.assert_allclose(sim.pair_fidelity, ph.purify(0.92, rounds)[0], rtol=0, atol=1e-12)
    assert sim.rate_agrees()  # the cost prod_i 2 / p_i


@needs_requsim
@pytest.mark.parametrize(
    "L, T2, rounds",
    [(20.0, 1.58, 2), pytest.param(20.0, 1.58, 3, marks=pytest.mark.slow), (20.0, 0.05, 1), (20.0, 0.05, 2),
     pytest.param(20.0, 0.05, 3, marks=pytest.mark.slow), pytest.param(60.0, 0.2, 3, marks=pytest.mark.slow)],
    # three rounds take 10-13 s each: with -m slow; one and two rounds check the same charge
)  # fmt: skip
def test_storage_inside_the_recurrence_is_charged(L, T2, rounds):
    # memories that decay: the pairs waiting for their partner lose fidelity; the model charges the
    # mean decay of those waits (physics.purify_stored) and must land in the simulated interval,
    # where the recurrence without storage (physics.purify) is far above it
    p = dataclasses.replace(ph.DEFAULT, coherence_time_s=T2)
    sim = RP.simulate_hop_purification(L, rounds, p, n_pairs=150, seeds=range(4))
    mean, half = sim.fidelity_ci()
    assert sim.fidelity_agrees(), (sim.model_fidelity, mean, half)
    assert sim.rate_agrees()
    heralded = ph.decohere(0.92, ph.heralding_time(L), T2 / 2)
    assert ph.purify(heralded, rounds)[0] > mean + 3 * half  # the charge this check added matters


def _recurrence_monte_carlo(f0, rounds, R, c, s, n, seed, protocol="dejmps"):
    """Mean delivered fidelity of the recurrence by sampling it: each level's pair built from nothing."""
    rng = np.random.default_rng(seed)

    def dep(w, lam):
        return [lam * x + (1 - lam) / 4 for x in w]

    def round_of(a, b):
        out, p = ph.dejmps_pair(np.array(a), np.array(b))
        return list(out), float(p)

    def build(k):
        if k == 0:
            e = (1 - f0) / 3
            return [f0, e, e, e], rng.exponential(1 / R)
        T = 0.0
        while True:
            w1, t1 = build(k - 1)
            w2, t2 = build(k - 1)
            T += t1 + t2
            out, p = round_of(dep(w1, np.exp(-c * t2)), w2)  # the first waited for the second's build
            if rng.random() < p:
                return dep(out, np.exp(-c * s)), T

    F = np.array([build(rounds)[0][0] for _ in range(n)])
    return F.mean(), F.std(ddof=1) / np.sqrt(n)


@pytest.mark.parametrize("rounds", [2, 3])
def test_purify_stored_is_exact_for_its_protocol(rounds):
    # a 60 km hop with T2 = 0.2 s: heavy decay, where a mean decay per round would be 0.014 low at
    # 3 rounds; the tilted moments match a sampled recurrence of the same protocol
    R, c, s = 23.6, 2 / 0.2, 60 / 2.04e5
    f, _ = ph.purify_stored(0.9, rounds, R, c, s)
    mean, se = _recurrence_monte_carlo(0.9, rounds, R, c, s, 3000 if rounds == 2 else 1500, 5)
    assert abs(float(f) - mean) <= 4 * se, (float(f), mean, se)


def test_purify_stored_reduces_to_purify_and_the_pair_formulas_to_the_copies():
    f, cost = ph.purify(0.9, 3)
    f2, cost2 = ph.purify_stored(0.9, 3, 100.0, 0.0, 0.001)
    assert (float(f2), float(cost2)) == pytest.approx((float(f), float(cost)))
    e = (1 - 0.8) / 3
    state = np.array([0.8, e, e, e])
    assert ph.dejmps_pair(state, state)[0] == pytest.approx(ph.dejmps(state)[0])
    assert ph.bbpssw_pair(0.8, 0.8) == pytest.approx(ph.bbpssw(0.8))
    # symmetric in the two pairs, and a decayed partner purifies to less
    other = np.array([0.7, 0.1, 0.1, 0.1])
    np.testing.assert_allclose(ph.dejmps_pair(state, other)[0], ph.dejmps_pair(other, state)[0])
    f_slow, _ = ph.purify_stored(0.9, 2, 10.0, 1.0, 0.0)
    f_fast, _ = ph.purify_stored(0.9, 2, 1000.0, 1.0, 0.0)
    assert f_slow < f_fast < ph.purify(0.9, 2)[0]


def test_refuses_bad_input(monkeypatch):
    with pytest.raises(ModelError, match="rounds must be a whole number in 0..4"):
        RP.simulate_hop_purification(20.0, 5)
    with pytest.raises(ModelError, match="length_km must be > 0"):
        RP.simulate_hop_purification(-1.0, 1)
    with pytest.raises(ModelError, match="DEJMPS only"):
        RP.simulate_hop_purification(20.0, 1, protocol="bbpssw")
    monkeypatch.setattr(RP, "requsim_available", lambda: False)
    with pytest.raises(ModelError, match="ReQuSim is not installed"):
        RP.simulate_hop_purification(20.0, 1)


def test_purify_stored_limits_and_bad_input():
    f, cost = ph.purify(0.9, 3)
    # no wait at all (elementary pairs instantly) and no signalling: the recurrence without storage
    g, cost_g = ph.purify_stored(0.9, 3, np.inf, 5.0, 0.0)
    assert (float(g), float(cost_g)) == pytest.approx((float(f), float(cost)))
    # memories that lose everything at once: a waiting pair is fully mixed; DEJMPS of (u, S) keeps
    # (A + B) / 2, and two such rounds reach 1/4 at 16 pairs
    one, _ = ph.purify_stored(0.9, 1, 20.0, np.inf, 0.0)
    assert float(one) == pytest.approx((0.9 + 0.1 / 3) / 2)
    assert tuple(map(float, ph.purify_stored(0.9, 2, 20.0, np.inf, 0.0))) == pytest.approx((0.25, 16.0))
    for bad in ((1.2, 1, 1.0, 0.0, 0.0), (0.9, 1, -1.0, 0.0, 0.0), (0.9, 1, 1.0, -1.0, 0.0), (0.9, 1, 1.0, 0.0, -1.0)):
        with pytest.raises(ModelError, match="out of range"):
            ph.purify_stored(*bad)


@pytest.mark.parametrize("protocol", ["dejmps", "bbpssw"])
def test_second_implementation_of_the_stored_recurrence(protocol):
    rng = np.random.default_rng(4)
    for _ in range(40):
        f, r = rng.uniform(0.6, 0.99), int(rng.integers(0, 5))
        R_, c, s = rng.choice([0.0, 5.0, 200.0, np.inf]), rng.choice([0.0, 1.0, 30.0, np.inf]), rng.choice([0.0, 1e-3])
        if np.isinf(R_) and np.isinf(c):
            continue
        a = ph.purify_stored(f, r, R_, c, s, protocol)
        b = R._purify_scalar(f, r, protocol, R_, c, s)
        assert (float(a[0]), float(a[1])) == pytest.approx(b, rel=1e-12)
