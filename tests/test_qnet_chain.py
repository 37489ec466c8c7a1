"""The swap-as-soon-as-possible path rate (physics.chain_time): limits, a Monte Carlo, the independent check."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbdsl.errors import ModelError
from qbdsl.problems.qnet import physics as ph
from qbdsl.problems.qnet import routing as R

rates_st = st.lists(st.floats(0.5, 50.0), min_size=1, max_size=6)


def _all_at_once_rate(L, rounds, p: ph.Params) -> float:
    """The previous model, written out: q^(h-1) / (E[max_h X_h] + sum_h L_h / v) (no repeater stations)."""
    _, r = ph.hop_metrics(np.asarray(L, float), np.asarray(rounds), p)
    signal = np.sum(L) / p.fibre_speed_km_s if len(L) > 1 else 0.0
    return p.swap_success ** (len(L) - 1) / (float(ph.expected_max(r)) + signal)


def _swap_options(held, seg: tuple, order: str, partners: list) -> list:
    """``(node, other, merged)`` for each held neighbour ``seg`` may swap with now, its left end's first."""
    left = [s for s in held if s[1] == seg[0]]
    right = [s for s in held if s[0] == seg[1]]
    options = [(seg[0], left[0], (left[0][0], seg[1]))] if left else []
    options += [(seg[1], right[0], (seg[0], right[0][1]))] if right else []
    if order == "nested":
        options = [o for o in options if partners[o[0] - 1] == o[2]]
    return options


def _monte_carlo(rates, q, delays, order: str, reps: int, seed: int) -> tuple[float, float]:
    """Mean and standard error of the time to an end-to-end pair, event by event (a third implementation)."""
    rng = np.random.default_rng(seed)
    n = len(rates)
    partners = ph.nested_partners(n)
    times = np.empty(reps)
    for k in range(reps):
        t, held = 0.0, []
        while held != [(0, n)]:
            free = [h for h in range(n) if not any(a <= h < b for a, b in held)]
            r = np.array([rates[h] for h in free])
            t += rng.exponential(1.0 / r.sum())
            seg = (h := free[rng.choice(len(free), p=r / r.sum())], h + 1)
            while True:
                options = _swap_options(held, seg, order, partners)
                if not options:
                    held.append(seg)
                    break
                node, other, merged = options[0]
                held.remove(other)
                if rng.random() < q[node - 1]:
                    seg = merged
                    continue
                t += sum(delays[other[0] : other[1]]) + sum(delays[seg[0] : seg[1]])
                break
            held.sort()
        times[k] = t
    return float(times.mean()), float(times.std(ddof=1) / np.sqrt(reps))


def test_nested_partners_follow_sequences_doubling_order():
    assert ph.nested_partners(1) == []
    assert ph.nested_partners(2) == [(0, 2)]
    assert ph.nested_partners(3) == [(0, 2), (0, 3)]  # node 2 waits for a pair reaching node 0
    assert ph.nested_partners(4) == [(0, 2), (0, 4), (2, 4)]
    assert R._swap_partners(6) == dict(enumerate(ph.nested_partners(6), start=1))


@pytest.mark.parametrize("order", ph.SWAP_ORDERS)
def test_state_counts(order):
    assert [ph.chain_states(n, order) for n in range(1, 7)] == [2, 4, 8, 16, 32, 64]


def test_one_and_two_hops_equal_the_all_at_once_formula_exactly():
    for order in ph.SWAP_ORDERS:
        p = dataclasses.replace(ph.DEFAULT, swap_order=order, swap_success=0.37)
        for L, rounds in (([50.0], [1]), ([50.0, 30.0], [1, 0]), ([12.0, 80.0], [2, 2])):
            _, rate = ph.path_metrics([L], [rounds], p)
            assert rate[0] == pytest.approx(_all_at_once_rate(L, rounds, p), rel=1e-12)
    # two links by hand: (E[max] + d1 + d2) / q - d1 - d2
    a, b, q = 3.0, 5.0, 0.4
    assert ph.chain_time([a, b], q, [0.1, 0.2]) == pytest.approx((1 / a + 1 / b - 1 / (a + b) + 0.3) / q - 0.3)


@settings(max_examples=30, deadline=None)
@given(
    L=st.lists(st.floats(1.0, 120.0), min_size=1, max_size=2),
    rounds=st.lists(st.integers(0, 2), min_size=2, max_size=2),
    q=st.floats(0.05, 1.0),
    order=st.sampled_from(ph.SWAP_ORDERS),
)
def test_one_and_two_hops_property(L, rounds, q, order):
    p = dataclasses.replace(ph.DEFAULT, swap_success=q, swap_order=order)
    _, rate = ph.path_metrics([L], [rounds[: len(L)]], p)
    assert rate[0] == pytest.approx(_all_at_once_rate(L, rounds[: len(L)], p), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(rates=rates_st, delay=st.floats(0.0, 1.0), order=st.sampled_from(ph.SWAP_ORDERS))
def test_deterministic_swaps_give_the_expected_maximum(rates, delay, order):
    # nothing is ever lost: the end-to-end pair exists once every link has made one
    assert ph.chain_time(rates, 1.0, delay, order) == pytest.approx(ph.expected_max(rates), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(rates=rates_st, q=st.floats(0.05, 0.99), order=st.sampled_from(ph.SWAP_ORDERS))
def test_never_slower_than_all_at_once(rates, q, order):
    # (neither order dominates the other: rates [3, 2, 1], q = 0.5 take 3.387 s asap and 3.357 s nested)
    n = len(rates)
    t = float(ph.chain_time(rates, q, 0.0, order))
    assert float(ph.expected_max(rates)) * (1 - 1e-9) <= t <= float(ph.expected_max(rates)) / q ** (n - 1) * (1 + 1e-9)


@settings(max_examples=8, deadline=None)
@given(
    rates=st.lists(st.floats(1.0, 10.0), min_size=3, max_size=4),
    q=st.floats(0.3, 0.9),
    delay=st.floats(0.0, 0.2),
    order=st.sampled_from(ph.SWAP_ORDERS),
    seed=st.integers(0, 3),
)
def test_chain_time_matches_a_monte_carlo_of_the_same_chain(rates, q, delay, order, seed):
    n = len(rates)
    qs, delays = [q] * (n - 1), [delay] * n
    mean, se = _monte_carlo(rates, qs, delays, order, reps=1500, seed=seed)
    exact = float(ph.chain_time(rates, qs, delays, order, wait="chain"))
    assert abs(exact - mean) <= 4.5 * se  # 4.5 standard errors: a false alarm about once in 10^5 runs


def _freed_monte_carlo(rates, q, delays, order: str, reps: int, seed: int) -> tuple[float, float]:
    """Mean and standard error of the time to an end-to-end pair when only a failure's freed links
    wait for its deterministic signalling (as ReQuSim's protocol does), event by event."""
    rng = np.random.default_rng(seed)
    n = len(rates)
    partners = ph.nested_partners(n)
    times = np.empty(reps)
    for k in range(reps):
        held, ready = [], rng.exponential(1.0 / np.asarray(rates))  # each link's next pair
        while held != [(0, n)]:
            h = int(np.argmin(ready))
            t, ready[h] = ready[h], np.inf
            seg = (h, h + 1)
            while True:
                options = _swap_options(held, seg, order, partners)
                if not options:
                    held.append(seg)
                    break
                node, other, merged = options[0]
                held.remove(other)
                if rng.random() < q[node - 1]:
                    seg = merged
                    continue
                freed = [*range(other[0], other[1]), *range(seg[0], seg[1])]
                signal = sum(delays[f] for f in freed)
                for f in freed:  # these links start again once the failure reaches their ends
                    ready[f] = t + signal + rng.exponential(1.0 / rates[f])
                break
            held.sort()
        times[k] = t
    return float(times.mean()), float(times.std(ddof=1) / np.sqrt(reps))


@settings(max_examples=8, deadline=None)
@given(
    rates=st.lists(st.floats(1.0, 10.0), min_size=3, max_size=5),
    q=st.floats(0.3, 0.9),
    delay=st.floats(0.0, 0.3),
    order=st.sampled_from(ph.SWAP_ORDERS),
    seed=st.integers(0, 3),
)
def test_only_the_freed_links_wait(rates, q, delay, order, seed):
    # the Erlang-2 recovery stands in for deterministic signalling: its mean is exact, its
    # E[T] within 1 % of the deterministic process (0.6 % seen at up to 1.5 link waits per failure)
    n = len(rates)
    qs, delays = [q] * (n - 1), [delay] * n
    mean, se = _freed_monte_carlo(rates, qs, delays, order, reps=1500, seed=seed)
    freed = float(ph.chain_time(rates, qs, delays, order))
    assert abs(freed - mean) <= 4.5 * se + 0.01 * mean
    # the freed links' wait lies between no signalling and the whole chain waiting
    assert float(ph.chain_time(rates, qs, 0.0, order)) <= freed * (1 + 1e-9)
    assert freed <= float(ph.chain_time(rates, qs, delays, order, wait="chain")) * (1 + 1e-9)


def test_freed_links_at_long_signalling_against_deterministic_monte_carlo():
    # signalling 1.5 mean link waits per failure: where the series charge is 26 % long
    rng = np.random.default_rng(3)
    rates = rng.uniform(30, 120, 6)
    d = 1.5 / rates.mean() * rng.uniform(0.5, 1.5, 6)
    mean, se = _freed_monte_carlo(rates, [0.5] * 5, d, "asap", reps=6000, seed=2)
    freed = float(ph.chain_time(rates, 0.5, d, "asap"))
    chain = float(ph.chain_time(rates, 0.5, d, "asap", wait="chain"))
    assert abs(freed - mean) <= 4 * se + 0.01 * mean
    assert chain > 1.15 * mean
    second = R._swap_chain_wait(list(rates), [0.5] * 5, list(d), "asap", phases=ph.RECOVERY_PHASES)
    assert second == pytest.approx(freed, rel=1e-9)
    with pytest.raises(ModelError, match="wait must be one of freed, chain"):
        ph.chain_time(rates, 0.5, d, wait="none")


def test_asap_and_nested_orders_differ_from_three_links():
    assert float(ph.chain_time([3.0, 2.0, 1.0], 0.5, 0.0, "asap")) == pytest.approx(3.38667, rel=1e-5)
    assert float(ph.chain_time([3.0, 2.0, 1.0], 0.5, 0.0, "nested")) == pytest.approx(3.35686, rel=1e-5)
    assert ph.chain_time([2.0, 1.0], 0.5, 0.0, "asap") == ph.chain_time([2.0, 1.0], 0.5, 0.0, "nested")


def test_three_equal_links_by_first_step_analysis():
    # asap, rate 1 per link, q: from {} three links race; by hand with sympy-free algebra below
    q = 0.5
    t = float(ph.chain_time([1.0, 1.0, 1.0], q, 0.0, "asap"))
    mc, se = _monte_carlo([1.0, 1.0, 1.0], [q, q], [0.0] * 3, "asap", reps=4000, seed=11)
    assert abs(t - mc) <= 4.5 * se
    assert float(ph.expected_max([1.0] * 3)) < t < float(ph.expected_max([1.0] * 3)) / q**2


@settings(max_examples=25, deadline=None)
@given(
    L=st.lists(st.floats(2.0, 90.0), min_size=1, max_size=5),
    rounds=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    q=st.floats(0.1, 1.0),
    spacing=st.sampled_from([np.inf, 25.0, 40.0]),
    order=st.sampled_from(ph.SWAP_ORDERS),
)
def test_independent_check_recomputes_the_same_rate(L, rounds, q, spacing, order):
    p = dataclasses.replace(
        ph.DEFAULT, swap_success=q, repeater_spacing_km=spacing, repeater_swap_success=0.7, swap_order=order
    )
    r = rounds[: len(L)]
    f, rate = ph.path_metrics([L], [r], p)
    f2, rate2 = R.route_physics(L, r, p)
    assert f[0] == pytest.approx(f2, rel=1e-9)
    assert rate[0] == pytest.approx(rate2, rel=1e-8)


def test_beyond_the_chain_limit_the_all_at_once_bound_is_used_and_labelled():
    p = ph.Params(repeater_spacing_km=10.0)
    L = np.array([[35.0, 45.0], [15.0, np.nan], [25.0, 35.0]])  # 4 + 5 = 9 links; 2 links; 3 + 4 links
    assert ph.rate_model(L, p).tolist() == ["markov asap, chain waits at failures", "markov asap", "markov asap"]
    L = np.array([[60.0, 55.0]])  # 6 + 6 = 12 > MAX_CHAIN_LINKS
    assert ph.rate_model(L, p).tolist() == ["all-at-once lower bound"]
    f, rate = ph.path_metrics(L, 0, p)
    seg, _ = ph.expand_segments(L, 0, p)
    _, r = ph.hop_metrics(seg, 0, p)
    swaps = p.swap_success * p.repeater_swap_success**10
    assert rate[0] == pytest.approx(swaps / (float(ph.expected_max(r)[0]) + 115.0 / p.fibre_speed_km_s), rel=1e-12)
    assert R.route_physics([60.0, 55.0], [0, 0], p)[1] == pytest.approx(rate[0], rel=1e-9)


def test_bad_input_is_named():
    with pytest.raises(ModelError, match="swap order"):
        ph.chain_time([1.0, 1.0], 0.5, order="greedy")
    with pytest.raises(ModelError, match="Params.swap_order"):
        ph.Params(swap_order="greedy")
    with pytest.raises(ModelError, match="at most 10 links"):
        ph.chain_time(np.ones(11), 0.5)
    with pytest.raises(ModelError, match="rates >= 0"):
        ph.chain_time([1.0, -1.0], 0.5)
    with pytest.raises(ModelError, match=r"swap success must lie in \(0, 1\]"):
        ph.chain_time([1.0, 1.0], 0.0)
    assert ph.chain_time([[1.0, 0.0]], 0.5)[0] == np.inf  # a link that never succeeds
    for delay in (-1.0, np.nan, np.inf):
        with pytest.raises(ModelError, match="finite signalling delays >= 0"):
            ph.chain_time([1.0, 1.0], 0.5, delay)
        with pytest.raises(ModelError, match="finite signalling delays >= 0"):
            ph.chain_storage([1.0, 1.0, 1.0], 0.5, delay, 0.5)
    with pytest.raises(ModelError, match="nan between links"):
        ph.chain_time([1.0, np.nan, 3.0], 0.5, 0.1)
    with pytest.raises(ModelError, match="nan between hops"):
        ph.path_metrics([[10.0, np.nan, 5.0]], 0)
    with pytest.raises(ModelError, match="whole numbers >= 0, got 1.5"):
        ph.path_metrics([[10.0, 5.0]], 1.5)
    with pytest.raises(ModelError, match="at most 16 purification rounds"):
        ph.path_metrics([[10.0]], 50)
    for spacing in (np.inf, 25.0):  # an infinite fibre named, with or without repeater stations
        with pytest.raises(ModelError, match="fibre lengths must be finite"):
            ph.path_metrics([[10.0, np.inf]], 0, dataclasses.replace(ph.DEFAULT, repeater_spacing_km=spacing))
    for L, r, match in (
        ([10.0, -5.0], [0, 0], "finite and >= 0"),
        ([10.0, 5.0], [-1, 0], "whole numbers"),
        ([10.0, 5.0], [0], "one rounds count per hop"),
        ([10.0, 5.0], [np.nan, 0], "whole numbers"),
        ([], [], "at least one hop"),
    ):
        with pytest.raises(ModelError, match=match):
            R.route_physics(L, r)


@pytest.mark.parametrize("L", [[0.0, 10.0], [10.0, 0.0, 5.0], [0.0, 0.0], [0.0]])
def test_links_of_length_zero_agree_in_both_implementations(L):
    f, rate = ph.path_metrics([L], 0)
    f2, rate2 = R.route_physics(L, [0] * len(L))
    assert f[0] == pytest.approx(f2, rel=1e-9) and rate[0] == pytest.approx(rate2, rel=1e-9)
    assert (rate[0] == np.inf) == all(x == 0 for x in L)  # only a path of no fibre at all is instant


def test_tiny_rates_keep_their_precision():
    # GEANT's long fibres make pairs at 1e-17/s and less: the solve runs in the fastest link's units
    rates, d = np.array([1.0, 3.0, 2.0]), np.array([0.1, 0.2, 0.3])
    for order in ph.SWAP_ORDERS:
        t = float(ph.chain_time(rates, 0.5, d, order))
        assert float(ph.chain_time(rates * 1e-20, 0.5, d * 1e20, order)) == pytest.approx(t * 1e20, rel=1e-12)
        second = R._swap_chain_wait(list(rates * 1e-20), [0.5, 0.5], list(d * 1e20), order, phases=ph.RECOVERY_PHASES)
        assert second == pytest.approx(t * 1e20)


def test_rates_spanning_sixty_decades():
    # one link 1e-60 times slower than the rest (a long GEANT fibre beside short ones): it sets the pace
    r = np.array([6e-61, 2.5e-3, 1.0, 1.1e-6, 0.3])
    assert float(ph.chain_time(r, 1.0, 0.0)) * 6e-61 == pytest.approx(1.0, rel=1e-3)
    # asap: the other four links are joined long before, so one swap at node 1 decides: 2 tries
    assert float(ph.chain_time(r, 0.5, 0.0, "asap")) * 6e-61 == pytest.approx(2.0, rel=1e-6)
    # nested: the slow link's pair must survive the swaps at nodes 1, 2 and 4 in turn: 2^3 tries
    assert float(ph.chain_time(r, 0.5, 0.0, "nested")) * 6e-61 == pytest.approx(8.0, rel=1e-6)
    assert R._swap_chain_wait(list(r), [0.5] * 4, [0.0] * 5, "nested") * 6e-61 == pytest.approx(8.0, rel=1e-6)


@pytest.mark.parametrize("order", ph.SWAP_ORDERS)
def test_iterative_and_dense_solves_agree(order, monkeypatch):
    rng = np.random.default_rng(5)
    rates, d = rng.uniform(0.1, 20.0, (3, 8)), rng.uniform(0.0, 0.01, (3, 8))
    # 8 links > MAX_RECOVERY_LINKS: the chain waits at failures, 255 transient states, block-diagonal sparse LU
    iterative = ph.chain_time(rates, 0.45, d, order)
    monkeypatch.setattr(ph, "DENSE_STATES", 10_000)
    np.testing.assert_allclose(ph.chain_time(rates, 0.45, d, order), iterative, rtol=1e-10)
    assert R._swap_chain_wait(list(rates[0]), [0.45] * 7, list(d[0]), order) == pytest.approx(iterative[0], rel=1e-9)


# ------------------------------------------------------------------ storage of the delivered pair
def _storage_monte_carlo(rates, q, delays, c, order, reps, seed):
    """E[exp(-c A)] by simulating the swap chain (A: the delivered pair's ancestors' hold times)."""
    rng = np.random.default_rng(seed)
    n = len(rates)
    partners = ph.nested_partners(n)
    out = np.empty(reps)
    for k in range(reps):
        t, held = 0.0, {}  # segment -> [storage so far, time of its last update]
        while list(held) != [(0, n)]:
            free = [h for h in range(n) if not any(a <= h < b for a, b in held)]
            r = np.array([rates[h] for h in free])
            t += rng.exponential(1 / r.sum())
            h = free[rng.choice(len(free), p=r / r.sum())]
            seg, info = (h, h + 1), [0.0, t]
            while True:
                opts = _swap_options(held, seg, order, partners)
                if not opts:
                    held[seg] = info
                    break
                _, other, merged = opts[0]
                o = held.pop(other)
                if rng.random() < q:
                    seg, info = merged, [info[0] + (t - info[1]) + o[0] + (t - o[1]), t]
                    continue
                wait = sum(delays[other[0] : other[1]]) + sum(delays[seg[0] : seg[1]])
                for s in held.values():  # the chain waits out the failure's signal; the others keep decaying
                    s[0] += t - s[1] + wait
                    s[1] = t + wait
                t += wait
                break
        A = held[(0, n)][0] + t - held[(0, n)][1]
        out[k] = np.exp(-c * A)
    return out.mean(), out.std(ddof=1) / np.sqrt(reps)


@pytest.mark.parametrize(
    "rates, q, delays, c, order",
    [
        ([3.0, 2.0, 1.0], 0.5, [0.1, 0.2, 0.1], 0.3, "asap"),
        ([2.0, 1.0, 3.0, 1.5], 0.7, [0.1, 0.0, 0.2, 0.1], 0.5, "asap"),
        ([1.0] * 5, 0.5, [0.05] * 5, 0.2, "nested"),
    ],
)
def test_chain_storage_matches_a_monte_carlo_of_the_swaps(rates, q, delays, c, order):
    exact = float(ph.chain_storage(rates, q, delays, c, order, wait="chain"))
    mean, se = _storage_monte_carlo(rates, q, delays, c, order, 3000, 7)
    assert abs(exact - mean) <= 4 * se
    # only the freed links waiting (deterministic signalling, simulated) against the Erlang-2 chain
    freed = float(ph.chain_storage(rates, q, delays, c, order))
    mean_f, se_f = _freed_storage_monte_carlo(rates, q, delays, c, order, 3000, 7)
    assert abs(freed - mean_f) <= 4 * se_f + 0.005
    # (not ordered: the whole chain waiting keeps held pairs longer, but links that go on while
    # the freed ones wait make pairs that then wait for them)
    # the earlier charge (every pair one all-at-once cycle) is off by far more than the noise here
    cycle = float(ph.expected_max(rates)) + sum(delays)
    assert abs(np.exp(-len(rates) * c * cycle) - mean) > 4 * se


def _freed_storage_monte_carlo(rates, q, delays, c, order, reps, seed):
    """E[exp(-c A)] when only a failure's freed links wait for its deterministic signalling."""
    rng = np.random.default_rng(seed)
    n = len(rates)
    partners = ph.nested_partners(n)
    out = np.empty(reps)
    for k in range(reps):
        held, ready = {}, rng.exponential(1.0 / np.asarray(rates))  # segment -> (storage before, since)
        while list(held) != [(0, n)]:
            h = int(np.argmin(ready))
            t, ready[h] = ready[h], np.inf
            seg, info = (h, h + 1), (0.0, t)
            while True:
                opts = _swap_options(held, seg, order, partners)
                if not opts:
                    held[seg] = info
                    held = dict(sorted(held.items()))
                    break
                _, other, merged = opts[0]
                o = held.pop(other)
                if rng.random() < q:
                    seg, info = merged, (info[0] + (t - info[1]) + o[0] + (t - o[1]), t)
                    continue
                freed = [*range(other[0], other[1]), *range(seg[0], seg[1])]
                signal = sum(delays[f] for f in freed)
                for f in freed:
                    ready[f] = t + signal + rng.exponential(1.0 / rates[f])
                break
        A = held[(0, n)][0] + t - held[(0, n)][1]
        out[k] = np.exp(-c * A)
    return out.mean(), out.std(ddof=1) / np.sqrt(reps)


def test_chain_storage_with_slow_signalling_is_optimistic_but_closer_than_the_whole_chain_waiting():
    # R d = 2 (far from SURFnet's R d < 0.2): the Erlang-2 block recovers sooner than a fixed delay
    # would on average in exp(-c t) (Jensen), so the storage factor is high by about 0.03; the
    # whole chain waiting was high by 0.12 (review of issue 19). Documented in physics.chain_storage.
    rates, d, c = [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], 0.5
    mean, se = _freed_storage_monte_carlo(rates, 0.5, d, c, "asap", 3000, 11)
    freed = float(ph.chain_storage(rates, 0.5, d, c, "asap"))
    chain = float(ph.chain_storage(rates, 0.5, d, c, "asap", wait="chain"))
    assert mean + 4 * se < freed < mean + 0.045
    assert chain - mean > 3 * (freed - mean)


def test_chain_storage_limits():
    assert float(ph.chain_storage([5.0], 0.5, 0.0, 3.0)) == 1.0  # one link: delivered at its herald
    assert float(ph.chain_storage([5.0, 2.0, 1.0], 0.5, 0.1, 0.0)) == 1.0  # no decay
    a, b, c = 4.0, 1.0, 0.7
    two = a / (a + b) * b / (b + c) + b / (a + b) * a / (a + c)  # the first pair waits for the second
    for q in (0.2, 1.0):  # failures forget everything: the same whatever q
        assert float(ph.chain_storage([a, b], q, 0.3, c)) == pytest.approx(two, rel=1e-12)
    s = ph.chain_storage(np.array([[3.0, 2.0, 1.0]] * 3), 0.5, 0.01, [0.1, 1.0, 10.0])
    assert np.all(np.diff(s) < 0) and np.all((s > 0) & (s < 1))  # faster decay, less left
    assert float(ph.chain_storage([1.0, 0.0], 0.5, 0.0, 1.0)) == 0.0  # a link that never succeeds
    # rows solved together (dense, block sparse, row by row) agree with rows solved alone
    rng = np.random.default_rng(3)
    for n in (3, 6, 8):
        R = rng.uniform(1, 20, (3, n))
        together = ph.chain_storage(R, 0.5, 0.01, 0.8, "asap")
        alone = [float(ph.chain_storage(r, 0.5, 0.01, 0.8, "asap")) for r in R]
        np.testing.assert_allclose(together, alone, rtol=1e-9)
    with pytest.raises(ModelError, match="finite decay rates >= 0"):
        ph.chain_storage([1.0, 1.0], 0.5, 0.0, -1.0)
    with pytest.raises(ModelError, match="finite decay rates >= 0"):
        ph.chain_storage([1.0, 1.0], 0.5, 0.0, np.inf)
    # links of length 0 (infinite rates) everywhere: no wait, no storage (once: 3.2 s and 0.5)
    assert float(ph.chain_time([np.inf, np.inf], 0.5, 0.1)) == 0.0
    assert float(ph.chain_storage([np.inf, np.inf], 0.5, 0.1, 1.0)) == 1.0
    with pytest.raises(ModelError, match="at most 10 links"):
        ph.chain_storage(np.ones(11), 0.5, 0.0, 1.0)


def test_storage_beyond_the_exact_chain_is_labelled_and_recomputed_alike():
    p = ph.Params(repeater_spacing_km=10.0, swap_order="nested")
    L = np.array([[35.0, 45.0], [35.0, 50.0], [15.0, np.nan]])  # 4 + 5 = 9 links, 4 + 5 = 9, 2
    assert ph.storage_model(L, p).tolist() == ["one cycle per pair (approximation)"] * 2 + ["chain"]
    # 8 links (MAX_STORAGE_LINKS): the chain waits at failures; 6 links (MAX_RECOVERY_STORAGE_LINKS): freed links
    assert ph.storage_model([[40.0, 40.0], [30.0, 30.0]], p).tolist() == ["chain, chain waits at failures", "chain"]
    for row in ([35.0, 45.0], [40.0, 40.0], [30.0, 30.0], [30.0, 40.0]):
        f, rate = ph.path_metrics([row], 0, p)
        f2, rate2 = R.route_physics(row, [0, 0], p)
        assert (f[0], rate[0]) == pytest.approx((f2, rate2), rel=1e-9)


def test_solved_rows_are_kept_and_a_partly_known_batch_equals_a_fresh_solve(monkeypatch):
    """The chains' solved rows are kept across calls (the same paths recur across requests and
    baselines): a batch of which some rows were solved before gives what a fresh solve gives (to
    rounding: a block's LU may pivot differently beside other rows), only the new rows are
    solved, and a full cache is emptied rather than grown."""
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.5, 5.0, (6, 4))
    q = rng.uniform(0.3, 1.0, (6, 3))
    delays = rng.uniform(0.0, 0.3, (6, 4))
    monkeypatch.setattr(ph, "_SOLVED", {})
    fresh_t = ph.chain_time(rates, q, delays)
    fresh_s = ph.chain_storage(rates, q, delays, 0.5)
    monkeypatch.setattr(ph, "_SOLVED", {})
    solved = []
    real = ph._solve_jump
    monkeypatch.setattr(
        ph, "_solve_jump", lambda src, dst, rate, S, gain: solved.append(len(rate)) or real(src, dst, rate, S, gain)
    )
    ph.chain_time(rates[:3], q[:3], delays[:3])
    ph.chain_storage(rates[:3], q[:3], delays[:3], 0.5)
    before = sum(solved)
    np.testing.assert_allclose(ph.chain_time(rates, q, delays), fresh_t, rtol=1e-12)
    np.testing.assert_allclose(ph.chain_storage(rates, q, delays, 0.5), fresh_s, rtol=1e-12)
    assert sum(solved) - before == 6  # three new rows for each chain, not six
    np.testing.assert_allclose(ph.chain_time(rates, q, delays), fresh_t, rtol=1e-12)
    assert sum(solved) - before == 6  # all known now
    monkeypatch.setattr(ph, "SOLVED_CACHE_ROWS", 4)
    ph.chain_time(rates + 1.0, q, delays)
    assert sum(map(len, ph._SOLVED.values())) <= 6
